"""Files kept under the data directory by their SHA-256: attachments of the
mail customers send and files agents attach to replies. The same file sent
twice is kept once, and a reader never sees half a file."""

from __future__ import annotations

import hashlib
from pathlib import Path


def store_file(directory: Path, data: bytes) -> str:
    """Keep `data`; its SHA-256 (hex) is its name from now on."""
    digest = hashlib.sha256(data).hexdigest()
    path = directory / digest[:2] / digest
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)
    return digest


def stored_file(directory: Path, digest: str) -> Path | None:
    """The file kept under `digest`, or None (a malformed digest names none)."""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    path = directory / digest[:2] / digest
    return path if path.is_file() else None
