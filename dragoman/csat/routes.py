"""The survey page customers open from the invitation, and the API that
reads the answers (for supervisors' reports)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path


from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal, supervisor_principal
from dragoman.conversations import services as conversations
from dragoman.core.errors import InvalidInput, NotFound
from dragoman.core.clock import utcnow
from dragoman.core.http import get_db
from dragoman.csat import services
from dragoman.customer_pages.rendering import render_customer_page
from dragoman.customer_pages.texts import language_for, widget_texts

router = APIRouter(tags=["satisfaction"])
TEMPLATES_DIR = Path(__file__).parent / "templates"
REPORT_DEFAULT_DAYS = 30
REPORT_MAX_DAYS = 366


def _page(request: Request, survey: services.CsatSurvey | None, *, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    # The customer's language when the survey knows it, else the browser's.
    if survey is not None:
        language = language_for(survey.language)
    else:
        language = language_for(None, request.headers.get("accept-language"))
    return render_customer_page(
        TEMPLATES_DIR, "csat.html", {"language": language, "survey": survey, "error": error}, status_code=status_code
    )


@router.get("/csat/{token}", response_class=HTMLResponse, include_in_schema=False)
def survey_page(token: str, request: Request, db: Session = Depends(get_db)) -> HTMLResponse:
    try:
        survey = services.get_survey_by_token(db, token)
    except NotFound:
        return _page(request, None, status_code=404)
    return _page(request, survey)


@router.post("/csat/{token}", response_class=HTMLResponse, include_in_schema=False)
def answer_survey(
    token: str,
    request: Request,
    rating: str = Form(""),
    comment: str = Form(""),
    db: Session = Depends(get_db),
) -> HTMLResponse:
    try:
        survey = services.get_survey_by_token(db, token)
    except NotFound:
        return _page(request, None, status_code=404)
    try:
        services.answer_survey(db, survey, rating, comment)
    except InvalidInput as error:
        db.rollback()
        texts = widget_texts(services.survey_locale(survey.language))
        return _page(request, survey, error=texts["csat_pick"] if error.field == "rating" else str(error), status_code=422)
    db.commit()
    return _page(request, survey)


@router.get("/api/v1/accounts/{account_id}/csat", summary="Satisfaction surveys, newest first (for reports)")
def list_surveys(
    answered: bool = Query(True, description="Only surveys the customer answered"),
    principal: Principal = Depends(supervisor_principal),
    db: Session = Depends(get_db),
) -> list[dict[str, object]]:
    return [services.survey_out(s) for s in services.list_surveys(db, principal.account_id, answered)]


def _day(value: str | None, field: str, default: date) -> date:
    if value is None or value == "":
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{field} must be a date, YYYY-MM-DD", field=field) from None


@router.get(
    "/api/v1/accounts/{account_id}/csat/report",
    summary="Satisfaction over a period: the score overall, per agent, team, language and channel, and the comments",
)
def satisfaction_report(
    since: str | None = Query(None, description="First day (YYYY-MM-DD, UTC); default: 29 days before `until`"),
    until: str | None = Query(None, description="Last day, included (YYYY-MM-DD, UTC); default: today"),
    principal: Principal = Depends(supervisor_principal),
    db: Session = Depends(get_db),
) -> dict[str, object]:
    last = _day(until, "until", utcnow().date())
    first = _day(since, "since", last - timedelta(days=REPORT_DEFAULT_DAYS - 1))
    if first > last:
        raise InvalidInput("since must be on or before until", field="since")
    if (last - first).days >= REPORT_MAX_DAYS:
        raise InvalidInput(f"the period may be at most {REPORT_MAX_DAYS} days", field="since")
    start = datetime.combine(first, time.min)
    end = datetime.combine(last + timedelta(days=1), time.min)
    report = services.satisfaction_report(services.answered_between(db, principal.account_id, start, end))
    return {"since": first.isoformat(), "until": last.isoformat(), **report}


@router.get("/api/v1/accounts/{account_id}/conversations/{conversation_id}/csat", summary="The conversation's latest survey (404: none)")
def conversation_survey(
    conversation_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> dict[str, object]:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    survey = services.latest_survey(db, conversation.id)
    if survey is None:
        raise NotFound(f"conversation {conversation_id} has no survey", field="conversation_id")
    return services.survey_out(survey)
