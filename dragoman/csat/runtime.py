"""The survey thread: hears a conversation resolved (after commit) and
offers its survey. Only `app.py` imports this module."""

from __future__ import annotations

import logging
import queue as queue_module
import threading

from sqlalchemy.orm import Session, sessionmaker

from dragoman.conversations.models import Conversation
from dragoman.core import events
from dragoman.csat import services

log = logging.getLogger(__name__)


class CsatRuntime:
    def __init__(self, factory: sessionmaker[Session], public_url: str) -> None:
        self._factory = factory
        self._public_url = public_url
        self._jobs: queue_module.SimpleQueue[int | None] = queue_module.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._pending = 0
        self._idle = threading.Condition()

    def start(self) -> None:
        if self._thread is not None:  # started already: one thread, or one would never stop
            return
        self._thread = threading.Thread(target=self._run, name="dragoman-csat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=5)
            self._thread = None

    def on_event(self, event: events.Event) -> None:
        if event.name != events.CONVERSATION_STATUS_CHANGED:
            return
        conversation = event.data.get("conversation") or {}
        if conversation.get("status") == "resolved":
            with self._idle:
                self._pending += 1
            self._jobs.put(int(conversation["id"]))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def _run(self) -> None:
        while (conversation_id := self._jobs.get()) is not None:
            try:
                with self._factory() as db:
                    conversation = db.get(Conversation, conversation_id)
                    if conversation is not None and services.offer_survey(db, conversation, self._public_url):
                        db.commit()
            except Exception:  # noqa: BLE001 - the thread must outlive one bad job
                log.exception("offering a survey for conversation %d failed", conversation_id)
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()
