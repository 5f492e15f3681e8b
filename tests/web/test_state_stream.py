"""The state stream sends what GET /api/v1/state/{corridor} answers, the model's estimates
included (under their own key), so a page that follows the stream loses nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from safepassage.api.routes import stream
from tests.ops.test_model_estimates import _h, _settled, service  # noqa: F401 (a fixture)


def _events(body: str) -> list[dict[str, Any]]:
    """The `event: state` messages of a finished stream, by the protocol's lines."""
    out = []
    for message in body.split("\n\n"):
        lines = message.split("\n")
        if "event: state" in lines:
            data = "\n".join(line[6:] for line in lines if line.startswith("data: "))
            out.append(json.loads(data))
    return out


def test_the_stream_sends_the_same_json_as_get_state(
    service: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, tokens, _clock = service
    got = _settled(client, tokens, "saved calibration cal.json")
    assert got["model_estimates"]["calibration"] is not None  # the model has estimated
    monkeypatch.setattr(stream, "MAX_STREAM_S", 0.1)  # one message, then the stream ends
    body = client.get("/api/v1/state/mariupol/stream", headers=_h(tokens, "obs")).text
    (sent,) = _events(body)
    assert sent == client.get("/api/v1/state/mariupol", headers=_h(tokens, "obs")).json()
    assert sent["model_estimates"]["etas"]  # the journeys with their ETAs, as estimated
    # Model figures stay under their key: none of the observed figures is a model's.
    observed = json.dumps({k: v for k, v in sent.items() if k != "model_estimates"})
    assert "model_estimate" not in observed
