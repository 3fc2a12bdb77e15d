"""Console pages (placeholder: being written)."""

from fastapi import APIRouter, FastAPI

router = APIRouter()


def mount_static(app: FastAPI) -> None:
    return None
