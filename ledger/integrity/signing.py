"""Ed25519 keys and signed notes, as in C2SP ``signed-note`` (and Go's ``sumdb/note`` package).

A signed note is a text ending in a newline, a blank line, then signature lines::

    — <key name> base64(key ID (4 bytes, big-endian) || Ed25519 signature (64 bytes))

where ``—`` is U+2014 and the signature is over the text (its final newline included). The key
ID is ``SHA-256(key name || 0x0A || 0x01 || 32-byte public key)[:4]``.

Keys are written in the forms Go's ``note`` package reads:

* verifier key (public, printed by ``accord key show``):
  ``<name>+<key ID, 8 hex>+<base64(0x01 || public key)>``
* signer key (the private key file):
  ``PRIVATE+KEY+<name>+<key ID, 8 hex>+<base64(0x01 || 32-byte seed)>``

The private key file is created on first use with owner-only permissions (0600, in a directory
created 0700), atomically, so two processes starting at once agree on one key. Its location:
``ACCORD_KEY_FILE``; else ``$ACCORD_DATA_DIR/accord-log.key``; else beside the SQLite database
file; else ``./accord-data/accord-log.key``. The key name — also the log's origin line — is
``ACCORD_LOG_ORIGIN`` when the key is created, else ``accord.ledger/<16 random hex digits>``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
import stat
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.storage.settings import Storage

__all__ = [
    "KEY_FILE_NAME",
    "KeyFileError",
    "NoteError",
    "SignedNote",
    "Signer",
    "Verifier",
    "default_key_file",
    "load_or_create_signer",
    "load_signer",
    "open_note",
    "sign_note",
]

KEY_FILE_NAME: Final = "accord-log.key"
KEY_FILE_VARIABLE: Final = "ACCORD_KEY_FILE"
DATA_DIR_VARIABLE: Final = "ACCORD_DATA_DIR"
ORIGIN_VARIABLE: Final = "ACCORD_LOG_ORIGIN"

_ED25519: Final = b"\x01"
_DASH: Final = "\u2014 "
_MAX_SIGNATURES: Final = 16


class KeyFileError(Exception):
    """The signing key file cannot be read, written, or is not safe to use."""


class NoteError(ValueError):
    """A signed note is malformed, or no trusted key's signature on it verifies."""


def _key_id(name: str, public: bytes) -> int:
    return int.from_bytes(sha256(name.encode() + b"\n" + _ED25519 + public).digest()[:4], "big")


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name) or not name.isprintable():
        raise ValueError(f"key name {name!r}: must be non-empty, without spaces or '+'")
    return name


@dataclass(frozen=True)
class Verifier:
    """A public key that checks signatures of one name."""

    name: str
    public_key: bytes  # 32 bytes

    @property
    def key_id(self) -> int:
        return _key_id(self.name, self.public_key)

    @property
    def vkey(self) -> str:
        """``<name>+<key ID hex>+<base64(0x01 || public key)>``."""
        encoded = base64.b64encode(_ED25519 + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{encoded}"

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the public key, hex: a short thing to read out over the phone."""
        return sha256(self.public_key).hexdigest()

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Read ``<name>+<hex key ID>+<base64>``; ``ValueError`` if malformed or inconsistent."""
        text = vkey.strip()
        parts = text.split("+", 2)  # the base64 key may itself hold '+'
        if len(parts) != 3:
            raise ValueError("a verifier key reads <name>+<key id>+<base64 key>")
        name, key_hex, encoded = parts
        _check_name(name)
        try:
            raw = base64.b64decode(encoded, validate=True)
            key_id = int(key_hex, 16)
        except (binascii.Error, ValueError):
            raise ValueError("the key id or the key is not well encoded") from None
        if len(key_hex) != 8 or len(raw) != 33 or raw[:1] != _ED25519:
            raise ValueError("not an Ed25519 verifier key (type 0x01, 32 bytes)")
        verifier = cls(name, raw[1:])
        if verifier.key_id != key_id:
            raise ValueError("the key id does not match the name and key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """A private key with its name; :attr:`verifier` is its public half."""

    name: str
    seed: bytes  # the 32-byte Ed25519 private key
    path: Path | None = None

    @classmethod
    def generate(cls, name: str) -> Signer:
        return cls(_check_name(name), secrets.token_bytes(32))

    @property
    def verifier(self) -> Verifier:
        public = (
            Ed25519PrivateKey.from_private_bytes(self.seed)
            .public_key()
            .public_bytes(Encoding.Raw, PublicFormat.Raw)
        )
        return Verifier(self.name, public)

    def sign(self, message: bytes) -> bytes:
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)

    @property
    def skey(self) -> str:
        """``PRIVATE+KEY+<name>+<key ID hex>+<base64(0x01 || seed)>`` (keep secret)."""
        encoded = base64.b64encode(_ED25519 + self.seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.key_id:08x}+{encoded}"

    @classmethod
    def parse(cls, skey: str, path: Path | None = None) -> Signer:
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise ValueError("a signer key reads PRIVATE+KEY+<name>+<key id>+<base64 key>")
        _, _, name, key_hex, encoded = parts
        _check_name(name)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise ValueError("the key is not base64") from None
        if len(raw) != 33 or raw[:1] != _ED25519:
            raise ValueError("not an Ed25519 signer key (type 0x01, 32 bytes)")
        signer = cls(name, raw[1:], path)
        if f"{signer.verifier.key_id:08x}" != key_hex.lower():
            raise ValueError("the key id does not match the name and key")
        return signer


# ---------------------------------------------------------------------------------------------
# Signed notes


@dataclass(frozen=True)
class SignedNote:
    """A note whose signature by ``verifier`` was checked: ``text`` (ending in a newline)."""

    text: str
    verifier: Verifier


def sign_note(text: str, signer: Signer) -> str:
    """``text`` (one or more lines, each ending in a newline) signed by ``signer``."""
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise ValueError("a note text is non-empty lines, each ending in a newline")
    _check_characters(text)
    signature = signer.sign(text.encode())
    key_id = signer.verifier.key_id.to_bytes(4, "big")
    line = base64.b64encode(key_id + signature).decode()
    return f"{text}\n{_DASH}{signer.name} {line}\n"


def open_note(note: str, verifiers: list[Verifier] | tuple[Verifier, ...]) -> SignedNote:
    """Check ``note`` against the trusted ``verifiers`` and return its text.

    As C2SP signed-note says: signatures of unknown keys (another name or key ID) are ignored;
    if a known key's signature fails the whole note is rejected; at least one known key's
    signature must verify. Raises :class:`NoteError` saying which rule failed."""
    if not isinstance(note, str):
        raise NoteError("a note is text")
    _check_characters(note)
    if not note.endswith("\n"):
        raise NoteError("a note ends with a newline")
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("a note has a blank line between its text and its signatures")
    text = note[: split + 1]
    lines = note[split + 2 :].splitlines()
    if not lines:
        raise NoteError("the note has no signature")
    if len(lines) > _MAX_SIGNATURES:
        raise NoteError(f"the note has more than {_MAX_SIGNATURES} signatures")
    known = {(v.name, v.key_id): v for v in verifiers}
    good: Verifier | None = None
    for line in lines:
        if not line.startswith(_DASH):
            raise NoteError(f"not a signature line: {line[:40]!r}")
        name, _, encoded = line[len(_DASH) :].rpartition(" ")
        try:
            _check_name(name)
            raw = base64.b64decode(encoded, validate=True)
        except (ValueError, binascii.Error):
            raise NoteError(f"malformed signature line: {line[:40]!r}") from None
        if len(raw) < 5:
            raise NoteError("a signature is too short")
        verifier = known.get((name, int.from_bytes(raw[:4], "big")))
        if verifier is None:
            continue  # another key: ignored, as the spec says
        if not verifier.verify(text.encode(), raw[4:]):
            raise NoteError(f"the signature of {name} does not verify: the note was altered")
        good = good or verifier
    if good is None:
        names = ", ".join(sorted({v.name for v in verifiers})) or "none"
        raise NoteError(f"no signature by a trusted key (trusted: {names})")
    return SignedNote(text, good)


def _check_characters(text: str) -> None:
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise NoteError("a note holds no control characters other than newline")


# ---------------------------------------------------------------------------------------------
# The key file


def default_key_file(storage: Storage | None = None) -> Path:
    """Where the log's signing key lives (see the module docstring for the order)."""
    explicit = os.environ.get(KEY_FILE_VARIABLE)
    if explicit:
        return Path(explicit)
    data_dir = os.environ.get(DATA_DIR_VARIABLE)
    if data_dir:
        return Path(data_dir) / KEY_FILE_NAME
    if storage is not None and storage.is_sqlite:
        database = storage.env["SQLITE_DBNAME"]
        if database != ":memory:" and not database.startswith("file:"):
            return Path(database).resolve().parent / KEY_FILE_NAME
    return Path("accord-data") / KEY_FILE_NAME


def load_signer(path: Path) -> Signer:
    """Read the key at ``path``; :class:`KeyFileError` if missing, unreadable, malformed, or
    readable by others than its owner (fix with ``chmod 600``)."""
    try:
        info = path.stat()
        if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeyFileError(
                f"{path} is readable by others (mode {stat.S_IMODE(info.st_mode):o}); "
                f"run: chmod 600 {path}"
            )
        text = path.read_text(encoding="ascii")
    except KeyFileError:
        raise
    except FileNotFoundError:
        raise KeyFileError(f"no signing key at {path}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise KeyFileError(f"cannot read the signing key {path}: {e}") from None
    try:
        return Signer.parse(text, path)
    except ValueError as e:
        raise KeyFileError(f"{path} is not an Accord signing key: {e}") from None


def load_or_create_signer(path: Path, origin: str | None = None) -> Signer:
    """The key at ``path``, created first if there is none (name: ``origin``, else
    ``ACCORD_LOG_ORIGIN``, else a random ``accord.ledger/…``)."""
    if path.exists():
        return load_signer(path)
    name = origin or os.environ.get(ORIGIN_VARIABLE) or f"accord.ledger/{secrets.token_hex(8)}"
    try:
        signer = Signer.generate(name)
    except ValueError as e:
        raise KeyFileError(f"{ORIGIN_VARIABLE}: {e}") from None
    try:
        if not path.parent.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as f:
                f.write(signer.skey + "\n")
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):  # another process won the race
                os.link(temporary, path)  # atomic
        finally:
            temporary.unlink(missing_ok=True)
    except OSError as e:
        raise KeyFileError(f"cannot create the signing key {path}: {e}") from None
    return load_signer(path)
