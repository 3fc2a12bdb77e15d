"""Surveys as durable jobs: a conversation resolved asks for one in the same
transaction (core.jobs), so a survey is offered even if the process dies
right after the agent resolved. Only `csat/feature.py` imports this module."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from dragoman.conversations.events import ConversationStatusChanged
from dragoman.conversations.models import Conversation
from dragoman.core import events
from dragoman.core.jobs import JobRunner, JobSpec
from dragoman.csat import services

OFFER_SURVEY = "csat.offer_survey"


def survey_jobs(event: events.Event) -> Sequence[JobSpec]:
    """A resolved conversation may get a survey (`offer_survey` decides)."""
    payload = event.payload
    if not isinstance(payload, ConversationStatusChanged) or payload.conversation.status != "resolved":
        return ()
    return (JobSpec(OFFER_SURVEY, {"conversation_id": payload.conversation.id}, account_id=event.account_id),)


def register_survey_jobs(runner: JobRunner, public_url: str) -> None:
    def offer(db: Session, payload: dict[str, Any]) -> None:
        # Runs at least once: offer_survey offers one survey per resolution.
        conversation = db.get(Conversation, int(payload["conversation_id"]))
        if conversation is not None:
            services.offer_survey(db, conversation, public_url)

    runner.handle(OFFER_SURVEY, offer)
    runner.on_events(survey_jobs)
