"""Offering a satisfaction survey when a conversation is resolved, and
storing the customer's answer.

The invitation is an outgoing message in the conversation, in the
customer's language: the widget shows it (with the link), and on an e-mail
inbox the e-mail channel mails it like any reply. So the survey reaches the
customer by the channel they wrote on, with no code per channel here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dragoman.conversations import services as conversations
from dragoman.conversations.models import Conversation, ConversationStatus, Direction, Message
from dragoman.core.clock import isoformat, utcnow
from dragoman.core.errors import InvalidInput, NotFound
from dragoman.core.security import new_token
from dragoman.csat.models import CsatSurvey
from dragoman.customer_pages.texts import WIDGET_TEXTS, language_for, widget_catalogs
from dragoman.inboxes.models import Inbox
from dragoman.tickets.models import Ticket
from dragoman.tickets.schemas import TicketCsat

MAX_COMMENT = 2000
SURVEY_ACTIVITY = "csat"


def survey_locale(language: str | None) -> str:
    """The widget catalogue closest to the customer's language."""
    return language_for(language).locale


def survey_text(language: str | None, message: str) -> str:
    return widget_catalogs().get(survey_locale(language)).gettext(message)


def surveys_enabled(inbox: Inbox | None) -> bool:
    return bool(inbox is not None and (inbox.settings or {}).get("csat"))


def offer_survey(db: Session, conversation: Conversation, public_url: str, now: datetime | None = None) -> CsatSurvey | None:
    """A survey for this resolution, unless there is nothing new to rate:
    the conversation is open again, or it was surveyed after the customer's
    last message (resolving twice does not ask twice)."""
    if conversation.status is not ConversationStatus.resolved or not surveys_enabled(db.get(Inbox, conversation.inbox_id)):
        return None
    last_customer = db.scalar(
        select(Message.created_at)
        .where(Message.conversation_id == conversation.id, Message.direction == Direction.incoming)
        .order_by(Message.id.desc())
        .limit(1)
    )
    if last_customer is None:
        return None
    last_survey = db.scalar(
        select(CsatSurvey.created_at).where(CsatSurvey.conversation_id == conversation.id).order_by(CsatSurvey.id.desc()).limit(1)
    )
    if last_survey is not None and last_survey >= last_customer:
        return None
    ticket = db.scalar(select(Ticket).where(Ticket.conversation_id == conversation.id))
    if ticket is not None and ticket.merged_into_id is not None:
        return None  # closed by a merge: the customer's question lives on elsewhere
    ticket_id = ticket.id if ticket is not None else None
    survey = CsatSurvey(
        account_id=conversation.account_id,
        conversation_id=conversation.id,
        ticket_id=ticket_id,
        token=new_token(24),
        language=conversation.language,
        assignee_id=conversation.assignee_id,
        team_id=conversation.team_id,
        created_at=now or utcnow(),
    )
    db.add(survey)
    db.flush()
    url = f"{public_url.rstrip('/')}/csat/{survey.token}"
    text = survey_text(conversation.language, WIDGET_TEXTS["csat_invite"]).replace("{url}", url)
    conversations.send_bot_reply(db, conversation, text, {"csat": {"survey_id": survey.id}})
    return survey


def get_survey_by_token(db: Session, token: str) -> CsatSurvey:
    survey = db.scalar(select(CsatSurvey).where(CsatSurvey.token == token)) if 10 <= len(token) <= 64 else None
    if survey is None:
        raise NotFound("this survey link is not valid", field="token")
    return survey


def answer_survey(db: Session, survey: CsatSurvey, rating: object, comment: str | None, now: datetime | None = None) -> CsatSurvey:
    """Store the customer's rating (1-5) and comment; answering again changes
    them (a customer who clicked the wrong star corrects it)."""
    try:
        value = int(str(rating))
    except ValueError:
        value = 0
    if not 1 <= value <= 5:
        raise InvalidInput("rating must be a whole number from 1 to 5", field="rating")
    text = (comment or "").strip()
    if len(text) > MAX_COMMENT:
        raise InvalidInput(f"comment must be at most {MAX_COMMENT} characters", field="comment")
    first_answer = survey.rating is None
    survey.rating, survey.comment, survey.answered_at = value, text or None, now or utcnow()
    conversation = db.get(Conversation, survey.conversation_id)
    if conversation is not None:
        words = f"Customer rated {value}/5" + (f": {text[:300]}" if text else "")
        conversations.add_activity(
            db,
            conversation,
            words if first_answer else f"{words} (changed)",
            {"activity": SURVEY_ACTIVITY, "rating": value, "comment": text[:300] or None, "survey_id": survey.id},
        )
    db.flush()
    return survey


def survey_out(survey: CsatSurvey) -> dict[str, object]:
    return {
        "id": survey.id,
        "conversation_id": survey.conversation_id,
        "ticket_id": survey.ticket_id,
        "language": survey.language,
        "assignee_id": survey.assignee_id,
        "team_id": survey.team_id,
        "rating": survey.rating,
        "comment": survey.comment,
        "sent_at": isoformat(survey.created_at),
        "answered_at": isoformat(survey.answered_at),
    }


def latest_survey(db: Session, conversation_id: int) -> CsatSurvey | None:
    return db.scalar(
        select(CsatSurvey).where(CsatSurvey.conversation_id == conversation_id).order_by(CsatSurvey.id.desc()).limit(1)
    )


def list_surveys(db: Session, account_id: int, answered_only: bool, limit: int = 500) -> list[CsatSurvey]:
    statement = select(CsatSurvey).where(CsatSurvey.account_id == account_id)
    if answered_only:
        statement = statement.where(CsatSurvey.rating.is_not(None))
    return list(db.scalars(statement.order_by(CsatSurvey.id.desc()).limit(limit)))


# -- the satisfaction report ----------------------------------------------------

# A 4 or a 5 counts as satisfied, as CSAT is usually reported.
SATISFIED_FROM = 4
# The report reads at most this many answers of a period (newest first).
REPORT_LIMIT = 20000
COMMENTS_SHOWN = 200


@dataclass(frozen=True)
class AnsweredSurvey:
    """One answer, with what a report groups it by."""

    rating: int
    comment: str | None
    answered_at: datetime
    language: str | None
    assignee_id: int | None
    team_id: int | None
    channel: str
    conversation_id: int
    ticket_id: int | None


def score(ratings: Sequence[int]) -> dict[str, object]:
    """How many answered, their average (1-5) and the share satisfied (4 or 5), in percent."""
    answered = len(ratings)
    if not answered:
        return {"answered": 0, "average": None, "satisfied_percent": None}
    satisfied = sum(1 for rating in ratings if rating >= SATISFIED_FROM)
    return {
        "answered": answered,
        "average": round(sum(ratings) / answered, 2),
        "satisfied_percent": round(100 * satisfied / answered, 1),
    }


def score_by(answers: Sequence[AnsweredSurvey], key: Callable[[AnsweredSurvey], object]) -> list[dict[str, object]]:
    """The score per value of `key` (an agent, a team, a language, a
    channel; None: answers without one), most answers first."""
    groups: dict[object, list[int]] = {}
    for answer in answers:
        groups.setdefault(key(answer), []).append(answer.rating)
    rows = [{"key": value, **score(ratings)} for value, ratings in groups.items()]
    return sorted(rows, key=lambda row: (-int(row["answered"]), str(row["key"])))  # type: ignore[call-overload]


def satisfaction_report(answers: Sequence[AnsweredSurvey]) -> dict[str, object]:
    """Pure: the scores of a period overall and per agent, team, language and
    channel, and its comments, newest first."""
    newest = sorted(answers, key=lambda answer: answer.answered_at, reverse=True)
    return {
        "overall": score([answer.rating for answer in answers]),
        "by_agent": score_by(answers, lambda answer: answer.assignee_id),
        "by_team": score_by(answers, lambda answer: answer.team_id),
        "by_language": score_by(answers, lambda answer: answer.language),
        "by_channel": score_by(answers, lambda answer: answer.channel),
        "comments": [
            {
                "rating": answer.rating,
                "comment": answer.comment,
                "answered_at": isoformat(answer.answered_at),
                "language": answer.language,
                "assignee_id": answer.assignee_id,
                "team_id": answer.team_id,
                "channel": answer.channel,
                "conversation_id": answer.conversation_id,
                "ticket_id": answer.ticket_id,
            }
            for answer in newest
            if answer.comment
        ][:COMMENTS_SHOWN],
    }


def answered_between(db: Session, account_id: int, start: datetime, end: datetime) -> list[AnsweredSurvey]:
    """The account's answers given from `start` up to (not including) `end`, UTC."""
    rows = db.execute(
        select(CsatSurvey, Inbox.channel_type)
        .join(Conversation, Conversation.id == CsatSurvey.conversation_id)
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .where(
            CsatSurvey.account_id == account_id,
            CsatSurvey.rating.is_not(None),
            CsatSurvey.answered_at >= start,
            CsatSurvey.answered_at < end,
        )
        .order_by(CsatSurvey.answered_at.desc())
        .limit(REPORT_LIMIT)
    )
    return [
        AnsweredSurvey(
            rating=int(survey.rating),
            comment=survey.comment,
            answered_at=survey.answered_at,
            language=survey.language,
            assignee_id=survey.assignee_id,
            team_id=survey.team_id,
            channel=channel_type,
            conversation_id=survey.conversation_id,
            ticket_id=survey.ticket_id,
        )
        for survey, channel_type in rows
        if survey.answered_at is not None
    ]

def ticket_satisfaction(db: Session, ticket_id: int) -> TicketCsat | None:
    """The customer's latest rating of a ticket, as the ticket's detail shows
    it (plugged into tickets by csat/feature.py)."""
    survey = db.scalar(
        select(CsatSurvey)
        .where(CsatSurvey.ticket_id == ticket_id, CsatSurvey.rating.is_not(None))
        .order_by(CsatSurvey.answered_at.desc())
        .limit(1)
    )
    if survey is None or survey.rating is None:
        return None
    return TicketCsat(rating=survey.rating, comment=survey.comment, answered_at=isoformat(survey.answered_at) or "")
