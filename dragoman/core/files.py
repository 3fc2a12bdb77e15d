"""Files kept under the data directory by their SHA-256: attachments of the
mail customers send, files agents attach to replies and files visitors send
in the web chat. The same file sent twice is kept once, and a reader never
sees half a file."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import UploadFile
from fastapi.responses import FileResponse

from dragoman.core.errors import InvalidInput, NotFound

# One file sent over the API (an agent's reply, a visitor's chat), at most.
MAX_FILE_BYTES = 10 * 1024 * 1024


def read_upload(file: UploadFile, field: str = "file") -> bytes:
    """An uploaded file's bytes (call it from a synchronous route: it reads
    the spooled file directly); InvalidInput naming `field` when it is empty
    or over MAX_FILE_BYTES. One byte more than allowed is enough to refuse
    it: the rest is never read."""
    data = file.file.read(MAX_FILE_BYTES + 1)
    if not data:
        raise InvalidInput(f"{field} is empty", field=field)
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput(f"{field} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB", field=field)
    return data


def store_file(directory: Path, data: bytes) -> str:
    """Keep `data`; its SHA-256 (hex) is its name from now on."""
    digest = hashlib.sha256(data).hexdigest()
    path = directory / digest[:2] / digest
    if path.exists():
        # Stored before: its time is renewed, so that the sweep of unused
        # files (conversations.file_sweeper) sees it as just uploaded.
        path.touch()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(path)
    return digest


def unused_files(directory: Path, used: set[str], min_age_seconds: float, now: float) -> list[Path]:
    """Files kept under `directory` that no message names (`used`: the
    digests messages hold) and that were written more than `min_age_seconds`
    before `now` (a file uploaded a moment ago may be about to be sent with
    a reply). Half-written ones (.part) left by a crash count too."""
    found: list[Path] = []
    for path in sorted(directory.glob("??/*")):
        if not path.is_file() or path.stem in used:
            continue
        try:
            age = now - path.stat().st_mtime
        except FileNotFoundError:  # removed meanwhile
            continue
        if age > min_age_seconds:
            found.append(path)
    return found


def stored_file(directory: Path, digest: str) -> Path | None:
    """The file kept under `digest`, or None (a malformed digest names none)."""
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        return None
    path = directory / digest[:2] / digest
    return path if path.is_file() else None


# What the download routes say of their `preview` query parameter.
PREVIEW_DESCRIPTION = "true: a picture (PNG, JPEG, GIF, WebP, known by its bytes) served as itself, to show; anything else is refused"

# The types a sender may call a picture, that a client then asks to see as
# one (?preview=true); the bytes decide, see image_type.
PICTURE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# Pictures a browser decodes and never runs, known by their first bytes
# whatever type the sender claimed. SVG is markup that can carry a script,
# so it is never among them.
_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def image_type(path: Path) -> str | None:
    """The picture type of the file at `path` by its first bytes (PNG, JPEG,
    GIF, WebP), or None for anything else."""
    with path.open("rb") as file:
        head = file.read(12)
    for signature, media_type in _IMAGE_SIGNATURES:
        if head.startswith(signature):
            return media_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def download_of(
    directory: Path, files: Sequence[Mapping[str, Any]], index: int, owner: str, *, preview: bool = False
) -> FileResponse:
    """The `index`th of a message's files (as its attributes keep them) as a
    download: never shown inline, since an HTML or SVG file from a stranger
    must not run in the console's origin. With `preview`, a picture (its
    bytes say PNG, JPEG, GIF or WebP) is served as that picture, for an <img>
    in the console; anything else is refused, naming `preview`."""
    if not 0 <= index < len(files) or "sha256" not in files[index]:
        raise NotFound(f"{owner} has no file {index}", field="index")
    path = stored_file(directory, str(files[index]["sha256"]))
    if path is None:
        raise NotFound("the file is missing on this server", field="index")
    filename = quote(str(files[index].get("filename") or "file"))
    if preview:
        media_type = image_type(path)
        if media_type is None:
            raise InvalidInput(f"{owner}'s file {index} is not a picture that can be shown (PNG, JPEG, GIF or WebP)", field="preview")
        return FileResponse(
            path,
            media_type=media_type,
            headers={
                "Content-Disposition": f"inline; filename*=UTF-8''{filename}",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Cache-Control": "private, max-age=3600",
            },
        )
    return FileResponse(
        path,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{filename}", "X-Content-Type-Options": "nosniff"},
    )
