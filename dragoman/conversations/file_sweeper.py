"""Files no message names any more, removed from `<data dir>/attachments`.

Files are kept by digest (core/files.py) and uploaded before the reply that
sends them, so a file an agent uploaded and never sent stayed on disk for
ever. A scheduled job looks every few hours; `dragoman files prune` does the same
once."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from dragoman.conversations.services import file_uses, forget_unused_uploads
from dragoman.core.files import unused_files
from dragoman.core.jobs import JobRunner

log = logging.getLogger(__name__)

# A file younger than this is left alone: it may be on its way into a reply.
MIN_AGE_SECONDS = 24 * 3600
SWEEP_EVERY_SECONDS = 6 * 3600


@dataclass(frozen=True)
class SweepResult:
    removed: int
    bytes_freed: int


def remove_unused_files(db: Session, directory: Path, min_age_seconds: float = MIN_AGE_SECONDS, now: float | None = None) -> SweepResult:
    """Remove the files under `directory` no message names, older than
    `min_age_seconds`, and forget the uploads (file_uploads) no message of
    their account names once they are as old: an account keeps only the
    files its messages carry and those it uploaded within the day."""
    now = time.time() if now is None else now
    # The files in use are read before anything is listed: a file a message
    # names from now on is either in the set or younger than the age limit
    # (keep_file renews an existing file's time and its upload's).
    uses = file_uses(db)
    forget_unused_uploads(db, uses, datetime.fromtimestamp(now - min_age_seconds, timezone.utc).replace(tzinfo=None))
    db.commit()
    if not directory.is_dir():
        return SweepResult(0, 0)
    used = {digest for _account_id, digest in uses}
    removed, freed = 0, 0
    for path in unused_files(directory, used, min_age_seconds, now):
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue
        removed, freed = removed + 1, freed + size
    return SweepResult(removed, freed)


REMOVE_UNUSED_FILES = "files.remove_unused"


def register_file_sweep(runner: JobRunner, directory: Path, every_seconds: float = SWEEP_EVERY_SECONDS) -> None:
    """A scheduled job (core.jobs): once per period whatever the number of
    processes; the first waits a full period, start-up is busy enough."""

    def sweep(db: Session, _payload: dict[str, Any]) -> None:
        result = remove_unused_files(db, directory)
        if result.removed:
            log.info("removed %d unused files (%d bytes) from %s", result.removed, result.bytes_freed, directory)

    runner.every(REMOVE_UNUSED_FILES, every_seconds, sweep)
