"""REST routes: the caller's profile, agents, teams, vendors, API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from dragoman.accounts import services
from dragoman.accounts.auth import Principal, account_principal, admin_principal, current_principal
from dragoman.accounts.schemas import (
    AgentIn,
    AgentOut,
    AgentPatchIn,
    ApiTokenCreatedOut,
    ApiTokenIn,
    ApiTokenOut,
    ProfileOut,
    ProfilePatchIn,
    TeamIn,
    TeamOut,
    TeamPatchIn,
    VendorIn,
    VendorOut,
    agent_out,
    api_token_out,
    team_out,
    to_skills,
    vendor_out,
)
from dragoman.core.http import get_db

router = APIRouter(prefix="/api/v1", tags=["agents and teams"])
ACCOUNT = "/accounts/{account_id}"


def _profile(db: Session, principal: Principal) -> ProfileOut:
    base = agent_out(principal.user, services.user_team_ids(db, principal.user.id))
    return ProfileOut(**base.model_dump(), csrf_token=principal.csrf_token)


@router.get("/profile", response_model=ProfileOut, summary="Who am I")
def read_profile(principal: Principal = Depends(current_principal), db: Session = Depends(get_db)) -> ProfileOut:
    return _profile(db, principal)


@router.patch("/profile", response_model=ProfileOut, summary="Change my presence, UI language or working language")
def patch_profile(
    body: ProfilePatchIn, principal: Principal = Depends(current_principal), db: Session = Depends(get_db)
) -> ProfileOut:
    user = db.merge(principal.user)
    if body.availability is not None:
        services.set_availability(db, user, body.availability)
        # The agent's own choice is what their next console starts with.
        user.last_availability = user.availability
    services.update_user(
        db,
        user,
        name=body.name,
        working_language=body.working_language,
        # "" in the request means "follow the browser" (stored as None); the
        # service takes "" to mean "unchanged".
        ui_locale=(body.ui_locale or None) if body.ui_locale is not None else "",
        timezone=body.timezone,
    )
    db.commit()
    return _profile(db, Principal(user=user, viewer=principal.viewer, via=principal.via, csrf_token=principal.csrf_token))


@router.get(ACCOUNT + "/agents", response_model=list[AgentOut])
def list_agents(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[AgentOut]:
    return [agent_out(u, services.user_team_ids(db, u.id)) for u in services.list_users(db, principal.account_id)]


@router.post(ACCOUNT + "/agents", response_model=AgentOut, status_code=201)
def create_agent(body: AgentIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> AgentOut:
    user = services.create_user(
        db,
        principal.account_id,
        email=body.email,
        name=body.name,
        password=body.password,
        role=body.role,
        languages=to_skills(body.languages),
        team_ids=body.team_ids,
        working_language=body.working_language,
        ui_locale=body.ui_locale,
        timezone=body.timezone,
    )
    db.commit()
    return agent_out(user, services.user_team_ids(db, user.id))


@router.patch(ACCOUNT + "/agents/{agent_id}", response_model=AgentOut)
def patch_agent(
    agent_id: int, body: AgentPatchIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> AgentOut:
    user = services.get_user(db, principal.account_id, agent_id)
    services.update_user(
        db,
        user,
        name=body.name,
        role=body.role,
        password=body.password,
        languages=to_skills(body.languages) if body.languages is not None else None,
        team_ids=body.team_ids,
        working_language=body.working_language,
        timezone=body.timezone,
        active=body.active,
    )
    db.commit()
    return agent_out(user, services.user_team_ids(db, user.id))


@router.get(ACCOUNT + "/teams", response_model=list[TeamOut])
def list_teams(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[TeamOut]:
    return [team_out(t, services.team_member_ids(db, t.id)) for t in services.list_teams(db, principal.account_id)]


@router.post(ACCOUNT + "/teams", response_model=TeamOut, status_code=201)
def create_team(body: TeamIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> TeamOut:
    team = services.create_team(db, principal.account_id, body.name, body.vendor_id)
    services.set_team_members(db, team, body.member_ids)
    db.commit()
    return team_out(team, services.team_member_ids(db, team.id))


@router.patch(ACCOUNT + "/teams/{team_id}", response_model=TeamOut)
def patch_team(
    team_id: int, body: TeamPatchIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> TeamOut:
    team = services.get_team(db, principal.account_id, team_id)
    services.update_team(
        db, team, name=body.name, vendor_id=body.vendor_id if "vendor_id" in body.model_fields_set else "unchanged"
    )
    if body.member_ids is not None:
        services.set_team_members(db, team, body.member_ids)
    db.commit()
    return team_out(team, services.team_member_ids(db, team.id))


@router.get(ACCOUNT + "/vendors", response_model=list[VendorOut])
def list_vendors(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[VendorOut]:
    return [vendor_out(v) for v in services.list_vendors(db, principal.account_id)]


@router.post(ACCOUNT + "/vendors", response_model=VendorOut, status_code=201)
def create_vendor(body: VendorIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> VendorOut:
    vendor = services.create_vendor(db, principal.account_id, body.name)
    db.commit()
    return vendor_out(vendor)


@router.get(ACCOUNT + "/api_tokens", response_model=list[ApiTokenOut], tags=["API tokens"])
def list_api_tokens(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[ApiTokenOut]:
    return [api_token_out(t) for t in services.list_api_tokens(db, principal.viewer)]


@router.post(ACCOUNT + "/api_tokens", response_model=ApiTokenCreatedOut, status_code=201, tags=["API tokens"])
def create_api_token(
    body: ApiTokenIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> ApiTokenCreatedOut:
    token, row = services.create_api_token(db, db.merge(principal.user), body.name)
    db.commit()
    return ApiTokenCreatedOut(**api_token_out(row).model_dump(), token=token)


@router.delete(ACCOUNT + "/api_tokens/{token_id}", status_code=204, tags=["API tokens"])
def revoke_api_token(token_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> None:
    services.revoke_api_token(db, principal.viewer, token_id)
    db.commit()
