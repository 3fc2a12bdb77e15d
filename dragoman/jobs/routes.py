"""An account's background jobs, for its admins: what is waiting, what
failed for good (dead letters, with the error) and a retry. The job system
itself is `core.jobs`; this is its window in the API."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, admin_principal
from dragoman.core.clock import isoformat
from dragoman.core.errors import Conflict, NotFound
from dragoman.core.http import get_db
from dragoman.core.jobs import Job, JobStatus, retry_dead

router = APIRouter(prefix="/api/v1/accounts/{account_id}/jobs", tags=["jobs"])


class JobOut(BaseModel):
    id: int
    kind: str
    status: Literal["queued", "running", "done", "dead"]
    attempts: int
    max_attempts: int
    payload: dict[str, Any]
    run_at: str
    last_error: str | None
    created_at: str
    finished_at: str | None


def _job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        status=job.status.value,
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        payload=dict(job.payload or {}),
        run_at=isoformat(job.run_at) or "",
        last_error=job.last_error,
        created_at=isoformat(job.created_at) or "",
        finished_at=isoformat(job.finished_at),
    )


@router.get("", response_model=list[JobOut], summary="The account's background jobs, newest first (dead letters by default)")
def list_jobs(
    status: Literal["queued", "running", "done", "dead"] = Query("dead"),
    limit: int = Query(100, ge=1, le=500),
    principal: Principal = Depends(admin_principal),
    db: Session = Depends(get_db),
) -> list[JobOut]:
    rows = db.scalars(
        select(Job).where(Job.account_id == principal.account_id, Job.status == JobStatus(status)).order_by(Job.id.desc()).limit(limit)
    )
    return [_job_out(job) for job in rows]


@router.post("/{job_id}/retry", response_model=JobOut, summary="Run a dead job again, now")
def retry_job(job_id: int, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> JobOut:
    job = db.get(Job, job_id)
    if job is None or job.account_id != principal.account_id:
        raise NotFound(f"job {job_id} not found", field="job_id")
    if job.status is not JobStatus.dead:
        raise Conflict(f"job {job_id} is {job.status.value}; only a dead job can be retried", field="job_id")
    retry_dead(db, job)
    db.commit()
    return _job_out(job)
