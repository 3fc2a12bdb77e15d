"""Language REST API: settings, glossary, detection and translation of any
text. Translating a conversation's messages is `conversations.translation_routes`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal, admin_principal
from dragoman.core.errors import InvalidInput
from dragoman.core.http import app_context, get_db
from dragoman.core.validation import require_language, require_text
from dragoman.language import evidence, services
from dragoman.language.detect import base_language
from dragoman.language.pipeline import no_engine_reason
from dragoman.language.runtime import ENGINE_NAMES, LanguageRuntime
from dragoman.language.schemas import (
    DetectIn,
    DetectOut,
    EngineInfo,
    GlossaryTermIn,
    GlossaryTermOut,
    GlossaryTermPatch,
    LanguageSettingsIn,
    LanguageSettingsOut,
    TranslateIn,
    TranslationOut,
)

router = APIRouter(prefix="/api/v1/accounts/{account_id}", tags=["language"])


def runtime(request: Request) -> LanguageRuntime:
    return app_context(request).services["language"]  # type: ignore[no-any-return]


# -- settings --------------------------------------------------------------------


def _settings_out(db: Session, rt: LanguageRuntime, account_id: int) -> LanguageSettingsOut:
    view = services.get_settings(db, account_id)
    engines = [
        EngineInfo(name=name, available=rt.engines.get(name) is not None, reason=rt.unavailable.get(name))
        for name in ENGINE_NAMES
    ]
    return LanguageSettingsOut(**view.as_dict(), default_chain=rt.default_chain(), engines=engines)


@router.get("/language_settings", response_model=LanguageSettingsOut, summary="Languages, order-number pattern, engine chains")
def read_language_settings(
    request: Request, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> LanguageSettingsOut:
    return _settings_out(db, runtime(request), principal.account_id)


@router.patch("/language_settings", response_model=LanguageSettingsOut, summary="Change them (admins)")
def patch_language_settings(
    body: LanguageSettingsIn, request: Request, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> LanguageSettingsOut:
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    if "order_pattern" in changes and changes["order_pattern"] is None:
        changes["order_pattern"] = ""
    for name in ("languages", "engine_chains"):
        if name in changes and changes[name] is None:
            raise InvalidInput(f"{name} must not be null", field=name)
    services.update_settings(db, principal.account_id, **changes)
    db.commit()
    return _settings_out(db, runtime(request), principal.account_id)


# -- glossary ---------------------------------------------------------------------


def _term_out(row: Any) -> GlossaryTermOut:
    return GlossaryTermOut(
        id=row.id, term=row.term, translation=row.translation, source_language=row.source_language,
        target_language=row.target_language, case_sensitive=row.case_sensitive,
    )  # fmt: skip


@router.get("/glossary", response_model=list[GlossaryTermOut], summary="The account's glossary")
def list_glossary(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[GlossaryTermOut]:
    return [_term_out(row) for row in services.list_glossary(db, principal.account_id)]


@router.post("/glossary", response_model=GlossaryTermOut, status_code=201, summary="Add a do-not-translate term or a forced translation")
def add_glossary_term(
    body: GlossaryTermIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> GlossaryTermOut:
    row = services.add_glossary_term(db, principal.account_id, **body.model_dump())
    db.commit()
    return _term_out(row)


@router.patch("/glossary/{term_id}", response_model=GlossaryTermOut)
def patch_glossary_term(
    term_id: int, body: GlossaryTermPatch, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> GlossaryTermOut:
    row = services.get_glossary_term(db, principal.account_id, term_id)
    services.update_glossary_term(db, row, {name: getattr(body, name) for name in body.model_fields_set})
    db.commit()
    return _term_out(row)


@router.delete("/glossary/{term_id}", status_code=204)
def delete_glossary_term(term_id: int, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> Response:
    services.delete_glossary_term(db, services.get_glossary_term(db, principal.account_id, term_id))
    db.commit()
    return Response(status_code=204)


# -- detection and free text -----------------------------------------------------------


@router.post("/language/detect", response_model=DetectOut, summary="Detect a text's language among the account's languages")
def detect(body: DetectIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> DetectOut:
    text = require_text(body.text, "text", max_length=services.MAX_TRANSLATION_CHARS)
    found = services.detect_for_account(db, principal.account_id, text)
    return DetectOut(
        language=found.language, confidence=round(found.confidence, 4), words=found.words,
        counts_for_conversation=evidence.message_counts(found.words, found.confidence),
    )  # fmt: skip


@router.post("/language/translate", response_model=TranslationOut, summary="Translate any text with the account's engines and glossary")
def translate(
    body: TranslateIn, request: Request, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> TranslationOut:
    text = require_text(body.text, "text", max_length=services.MAX_TRANSLATION_CHARS)
    target = base_language(require_language(body.target_language, "target_language")) or ""
    if body.source_language:
        source = base_language(require_language(body.source_language, "source_language")) or ""
    else:
        source = services.detect_for_account(db, principal.account_id, text).language or ""
        if not source:
            raise InvalidInput("the text's language could not be detected; give source_language", field="source_language")
    result = services.translate_for_account(db, runtime(request), principal.account_id, text, source, target)
    if result.status != "translated" and not result.attempts:
        raise services.UnsupportedPairError(no_engine_reason(source, target), field="target_language")
    db.commit()  # the memory entry
    return TranslationOut.model_validate(result.as_dict())
