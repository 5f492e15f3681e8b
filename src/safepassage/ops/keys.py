"""The service's signing key: an Ed25519 key in a file apart from the database, made on first
use with owner-only permissions. It signs the log's checkpoints (see `heads.py`) and, through a
key derived from it, seals user rows so that one written straight into the database is refused.

Where: `SAFEPASSAGE_INTEGRITY_DIR/<name>.key` when that variable is set; otherwise next to a
SQLite file (`ops.db` -> `ops.db.key`), and for PostgreSQL under
`~/.local/state/safepassage/<host>-<port>-<database>.key`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import stat
import tempfile
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from safepassage.errors import Problem, SafePassageError


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL or path; None for other databases."""
    if "://" not in url:
        return Path(url).expanduser().resolve()
    if url.startswith("sqlite:///"):
        return Path(url.split(":///", 1)[1]).expanduser().resolve()
    return None


def _server_name(url: str) -> str:
    """host-port-database of a server URL (never its password), safe as a file name."""
    from sqlalchemy.engine import make_url

    u = make_url(url.replace("postgres://", "postgresql://", 1))
    name = f"{u.host or 'local'}-{u.port or 5432}-{u.database or 'db'}"
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)


def integrity_paths(url: str) -> tuple[Path, Path]:
    """(key file, checkpoint file) for the database at `url`."""
    db_file = sqlite_file(url)
    name = db_file.name if db_file else _server_name(url)
    folder = os.environ.get("SAFEPASSAGE_INTEGRITY_DIR")
    if folder:
        base = Path(folder).expanduser().resolve() / name
    elif db_file is not None:
        base = db_file
    else:
        base = Path.home() / ".local" / "state" / "safepassage" / name
    return base.with_name(base.name + ".key"), base.with_name(base.name + ".heads")


def _problem(path: Path, message: str, hint: str) -> SafePassageError:
    return SafePassageError(Problem(message, file=str(path), hint=hint))


class SigningKey:
    """The private key of one database's log, loaded from (or made at) `path`."""

    def __init__(self, path: Path, private: Ed25519PrivateKey, created: bool) -> None:
        self.path, self._private, self.created = path, private, created
        raw = private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.public_hex = raw.hex()
        secret = private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        # A separate key for sealing rows, so a seal never doubles as a signature.
        self._mac_key = hashlib.sha256(b"safepassage row seal\0" + secret).digest()

    @classmethod
    def load_or_create(cls, path: Path) -> SigningKey:
        """The key at `path`, made there (mode 0600) when there is none yet."""
        if not path.exists():
            created = _create(path)
            if created is not None:
                return cls(path, created, created=True)
        return cls(path, _load(path), created=False)

    @classmethod
    def load(cls, path: Path) -> SigningKey | None:
        """The key at `path`, or None when there is none."""
        return cls(path, _load(path), created=False) if path.exists() else None

    def sign(self, data: bytes) -> str:
        return self._private.sign(data).hex()

    def seal(self, data: bytes) -> str:
        return hmac.new(self._mac_key, data, hashlib.sha256).hexdigest()

    def seal_ok(self, data: bytes, seal: str | None) -> bool:
        return seal is not None and hmac.compare_digest(self.seal(data), seal)


def signature_ok(public_hex: str, data: bytes, signature_hex: str) -> bool:
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        key.verify(bytes.fromhex(signature_hex), data)
    except (ValueError, InvalidSignature):
        return False
    return True


def _create(path: Path) -> Ed25519PrivateKey | None:
    """Write a new key to `path` atomically; None when another process made one first."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".key-")  # mkstemp: mode 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
                f.flush()
                os.fsync(f.fileno())
            os.link(tmp, path)  # fails if a key appeared meanwhile: never replace a key
        finally:
            os.unlink(tmp)
    except FileExistsError:
        return None
    except OSError as exc:
        raise _problem(
            path,
            f"cannot create the log's signing key: {exc.strerror or exc}",
            "make the folder writable, or set SAFEPASSAGE_INTEGRITY_DIR to one that is",
        ) from None
    return key


def _load(path: Path) -> Ed25519PrivateKey:
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise _problem(
            path, f"cannot read the log's signing key: {exc.strerror or exc}", "check its owner"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise _problem(
            path,
            f"the log's signing key is open to other users (mode {stat.S_IMODE(mode):04o})",
            f"chmod 600 {path}",
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise _problem(
            path,
            "not an Ed25519 private key in PEM",
            "restore the key file from its backup; never replace it with a new one",
        )
    return key
