"""REST routes for routing: skills, queues (steps, strategy, hours), agents'
skills and capacities, a conversation's routing attributes and decisions,
and the supervisors' live wall."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from dragoman.accounts import services as accounts
from dragoman.accounts.auth import Principal, account_principal, admin_principal, supervisor_principal
from dragoman.calendars.services import hours_out, to_epoch
from dragoman.conversations import services as conversations
from dragoman.core.clock import isoformat, utcnow
from dragoman.core.errors import Conflict
from dragoman.core.http import AppContext, app_context, get_db
from dragoman.routing import services
from dragoman.routing.engine import Channel, RoutingEngine
from dragoman.routing.models import RoutingDecision
from dragoman.routing.runtime import RoutingRuntime
from dragoman.routing.schemas import (
    AgentRoutingIn,
    AgentRoutingOut,
    AgentSkillIn,
    ConversationRoutingIn,
    DecisionOut,
    QueueIn,
    QueueOut,
    SkillIn,
    SkillOut,
    WallOut,
    WallQueueOut,
)

router = APIRouter(prefix="/api/v1/accounts/{account_id}/routing", tags=["routing"])


def _runtime(request: Request) -> RoutingRuntime | None:
    return app_context(request).services.get("routing")  # type: ignore[no-any-return]


# -- skills -------------------------------------------------------------------------------


@router.get("/skills", response_model=list[SkillOut])
def list_skills(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[SkillOut]:
    return [SkillOut(id=s.id, name=s.name) for s in services.list_skills(db, principal.account_id)]


@router.post("/skills", response_model=SkillOut, status_code=201)
def create_skill(body: SkillIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> SkillOut:
    skill = services.create_skill(db, principal.account_id, body.name)
    db.commit()
    return SkillOut(id=skill.id, name=skill.name)


@router.delete("/skills/{skill_id}", status_code=204)
def delete_skill(
    skill_id: int, request: Request, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> None:
    services.delete_skill(db, principal.account_id, skill_id)
    db.commit()
    runtime = _runtime(request)
    if runtime is not None:
        runtime.reload_queues()
        runtime.reload_agents(u.id for u in accounts.list_users(db, principal.account_id))


# -- queues -------------------------------------------------------------------------------


@router.get("/queues", response_model=list[QueueOut])
def list_queues(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[QueueOut]:
    return [services.queue_out(db, q) for q in services.list_queues(db, principal.account_id)]


@router.post("/queues", response_model=QueueOut, status_code=201)
def create_queue(
    body: QueueIn, request: Request, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> QueueOut:
    queue = services.save_queue(db, principal.account_id, body)
    db.commit()
    _after_queue_change(request)
    return services.queue_out(db, queue)


@router.get("/queues/{queue_id}", response_model=QueueOut)
def read_queue(queue_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> QueueOut:
    return services.queue_out(db, services.get_queue(db, principal.account_id, queue_id))


@router.put("/queues/{queue_id}", response_model=QueueOut)
def replace_queue(
    queue_id: int, body: QueueIn, request: Request, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> QueueOut:
    queue = services.save_queue(db, principal.account_id, body, services.get_queue(db, principal.account_id, queue_id))
    db.commit()
    _after_queue_change(request)
    return services.queue_out(db, queue)


@router.delete("/queues/{queue_id}", status_code=204)
def delete_queue(
    queue_id: int, request: Request, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> None:
    services.delete_queue(db, services.get_queue(db, principal.account_id, queue_id))
    db.commit()
    _after_queue_change(request)


def _after_queue_change(request: Request) -> None:
    runtime = _runtime(request)
    if runtime is not None:
        runtime.reload_queues()


# -- agents -------------------------------------------------------------------------------


def _loads(request: Request, user_ids: list[int]) -> dict[int, dict[str, int]]:
    runtime = _runtime(request)

    def read(engine: RoutingEngine) -> dict[int, dict[str, int]]:
        return {ident: {c.value: engine.agent_load(ident, c) for c in Channel} for ident in user_ids}

    found = runtime.read(read) if runtime is not None else None
    return found or {ident: {c.value: 0 for c in Channel} for ident in user_ids}


def _agent_out(db: Session, user: Any, load: dict[str, int]) -> AgentRoutingOut:
    routing = services.agent_routing(db, user)
    schedule = services.agent_schedule(db, user)
    return AgentRoutingOut(
        agent_id=user.id,
        name=user.name,
        availability=user.availability.value,
        skills=[AgentSkillIn(skill=name, level=level) for name, level in routing.skills],
        capacities=routing.capacities,
        load=load,
        timezone=user.timezone or "UTC",
        working_hours=hours_out(schedule.windows) if schedule is not None else [],
        holiday_country=schedule.holiday_country if schedule is not None else None,
        holiday_subdivision=schedule.holiday_subdivision if schedule is not None else None,
        working_now=schedule is None or schedule.is_open(to_epoch(utcnow())),
    )


@router.get("/agents", response_model=list[AgentRoutingOut])
def list_agents(
    request: Request, principal: Principal = Depends(supervisor_principal), db: Session = Depends(get_db)
) -> list[AgentRoutingOut]:
    users = accounts.list_users(db, principal.account_id)
    loads = _loads(request, [u.id for u in users])
    return [_agent_out(db, u, loads[u.id]) for u in users]


@router.get("/agents/{agent_id}", response_model=AgentRoutingOut)
def read_agent(
    agent_id: int, request: Request, principal: Principal = Depends(supervisor_principal), db: Session = Depends(get_db)
) -> AgentRoutingOut:
    user = accounts.get_user(db, principal.account_id, agent_id)
    return _agent_out(db, user, _loads(request, [user.id])[user.id])


@router.put("/agents/{agent_id}", response_model=AgentRoutingOut, summary="Set an agent's skills and capacities")
def set_agent(
    agent_id: int,
    body: AgentRoutingIn,
    request: Request,
    principal: Principal = Depends(admin_principal),
    db: Session = Depends(get_db),
) -> AgentRoutingOut:
    user = accounts.get_user(db, principal.account_id, agent_id)
    services.set_agent_routing(
        db,
        user,
        skills=[(s.skill, s.level) for s in body.skills] if body.skills is not None else None,
        capacities=body.capacities,
    )
    if body.working_hours is not None:
        services.set_agent_schedule(db, user, body.working_hours, body.holiday_country, body.holiday_subdivision)
    db.commit()
    runtime = _runtime(request)
    if runtime is not None:
        runtime.reload_agents([user.id])
    return _agent_out(db, user, _loads(request, [user.id])[user.id])


# -- conversations ------------------------------------------------------------------------


def _decision_out(row: RoutingDecision) -> DecisionOut:
    return DecisionOut(
        id=row.id,
        conversation_id=row.conversation_id,
        queue_id=row.queue_id,
        agent_id=row.agent_id,
        outcome=row.outcome,
        step=row.step,
        machine_translation=row.machine_translation,
        waited_seconds=row.waited_seconds,
        closed_until=isoformat(row.closed_until),
        reason=dict(row.reason or {}),
        created_at=isoformat(row.created_at) or "",
    )


@router.get("/conversations/{conversation_id}/decisions", response_model=list[DecisionOut])
def list_decisions(
    conversation_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> list[DecisionOut]:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    return [_decision_out(row) for row in services.list_decisions(db, conversation.id)]


@router.patch(
    "/conversations/{conversation_id}",
    status_code=204,
    summary="Set the skill a conversation needs, VIP, or transfer it to a queue",
)
def patch_conversation(
    conversation_id: int,
    body: ConversationRoutingIn,
    request: Request,
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
    ctx: AppContext = Depends(app_context),
) -> None:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    services.set_conversation_routing(db, conversation, skill=body.skill, vip=body.vip, queue_id=body.queue_id)
    if body.queue_id is not None:
        # A transfer: nobody holds it any more; routing finds it a new agent
        # in that queue (conversation.assigned brings it back in line).
        conversations.assign_conversation(db, principal.viewer, conversation, assignee_id=None, team_id=None)
        if body.note and body.note.strip():
            queue = services.get_queue(db, principal.account_id, body.queue_id)
            conversations.add_translated_note(
                db, principal.viewer, ctx.services["language"], conversation, body.note,
                {"transfer": {"queue_id": queue.id, "queue": queue.name}},
            )
    db.commit()
    runtime = _runtime(request)
    if runtime is not None:
        runtime.route([conversation.id])


@router.post(
    "/conversations/{conversation_id}/accept",
    status_code=204,
    summary="Accept a routed conversation (an offer): its answer timeout stops",
)
def accept_conversation(
    conversation_id: int, request: Request, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> None:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    if conversation.assignee_id != principal.user.id:
        raise Conflict("only the agent it is assigned to may accept it", field="conversation_id")
    runtime = _runtime(request)
    if runtime is not None:
        runtime.accept(conversation.id, principal.user.id)


@router.post("/reload", status_code=204, summary="Read every queue, agent and waiting conversation again")
def reload_routing(request: Request, principal: Principal = Depends(admin_principal)) -> None:
    """For changes routing hears no event of (an inbox's teams, an agent's
    languages edited under /agents)."""
    runtime = _runtime(request)
    if runtime is not None:
        runtime.reload_all()


# -- the wall -------------------------------------------------------------------------------


@router.get("/wall", response_model=WallOut, summary="Live per-queue and per-language figures for supervisors")
def wall(request: Request, principal: Principal = Depends(supervisor_principal), db: Session = Depends(get_db)) -> WallOut:
    now = utcnow()
    runtime = _runtime(request)
    moment = to_epoch(now)
    snapshot = runtime.read(lambda engine: engine.snapshot(principal.account_id, moment)) if runtime is not None else None
    levels = services.service_levels(db, principal.account_id, now)
    queues = []
    for item in (snapshot or {"queues": []})["queues"]:
        answered, share, target = levels.get(item["queue_id"], (0, None, 20))
        queues.append(
            WallQueueOut(
                **item, service_target_seconds=target, answered_last_hour=answered, service_level_last_hour=share
            )
        )
    return WallOut(queues=queues, generated_at=isoformat(now) or "")
