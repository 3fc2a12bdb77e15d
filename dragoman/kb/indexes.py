"""Search indexes per account, kept in memory and rebuilt only when the
knowledge base changed (`services.knowledge_base_fingerprint`, one small
query, so an edit made by another process is noticed too)."""

from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy.orm import Session

from dragoman.kb import services
from dragoman.kb.retrieval import SearchIndex, shared_embedder

Fingerprint = tuple[int, datetime | None]


class IndexCache:
    def __init__(self, semantic: bool) -> None:
        self._semantic = semantic
        self._indexes: dict[int, tuple[Fingerprint, SearchIndex]] = {}
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        if self._semantic:
            shared_embedder()

    def peek(self, db: Session, account_id: int) -> SearchIndex | None:
        """The account's index if it is built and current; never builds."""
        with self._lock:
            cached = self._indexes.get(account_id)
        if cached is not None and cached[0] == services.knowledge_base_fingerprint(db, account_id):
            return cached[1]
        return None

    def get(self, db: Session, account_id: int) -> SearchIndex:
        """The account's index, built now if it is missing or stale (seconds
        with the embedding model: call it off the request path)."""
        fingerprint = services.knowledge_base_fingerprint(db, account_id)
        with self._lock:
            cached = self._indexes.get(account_id)
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
        embedder = shared_embedder() if self._semantic else None
        index = SearchIndex.build(services.published_documents(db, account_id), embedder)
        with self._lock:
            self._indexes[account_id] = (fingerprint, index)
        return index
