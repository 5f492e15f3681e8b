"""Fuzz the API from its own OpenAPI spec (schemathesis): whatever arrives, no 500s."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from safepassage.api.app import create_app  # noqa: E402
from safepassage.ops.store import EventStore  # noqa: E402

_store = EventStore(str(Path(tempfile.mkdtemp(prefix="sp-fuzz-")) / "fuzz.db"))
_tokens = {
    "admin": _store.add_user("fuzz-admin", "admin"),
    "reporter": _store.add_user("fuzz-reporter", "reporter", ["cp04-manhush"]),
}
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_store, rate=1e6, burst=10**6))


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("role", ["admin", "reporter"])
@schema.parametrize()
# CI runs a fixed set of examples (derandomize: the same each run, so a failure is a real
# regression); SAFEPASSAGE_FUZZ_EXAMPLES=500 explores further (done before each release).
@settings(
    max_examples=int(os.environ.get("SAFEPASSAGE_FUZZ_EXAMPLES", "25")),
    derandomize="SAFEPASSAGE_FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: object, role: str) -> None:
    case.call_and_validate(  # type: ignore[attr-defined]
        headers={"Authorization": f"Bearer {_tokens[role]}"}, checks=[not_a_server_error]
    )
