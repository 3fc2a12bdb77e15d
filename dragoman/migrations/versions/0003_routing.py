"""routing: skills, agent skills and capacities, queues, steps, hours, decisions

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22 07:45:00

A branch from the initial schema: it needs nothing newer, and `dragoman db
upgrade` applies every head.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "routing_skills",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("routing_skills", "account_id", "accounts", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_skills")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_routing_skills_account_id_name")),
    )
    op.create_index(op.f("ix_routing_skills_account_id"), "routing_skills", ["account_id"])
    op.create_table(
        "routing_agent_skills",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_routing_agent_skills_level_range")),
        _fk("routing_agent_skills", "user_id", "users", "CASCADE"),
        _fk("routing_agent_skills", "skill_id", "routing_skills", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "skill_id", name=op.f("pk_routing_agent_skills")),
    )
    op.create_index(op.f("ix_routing_agent_skills_skill_id"), "routing_agent_skills", ["skill_id"])
    op.create_table(
        "routing_agent_capacities",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.CheckConstraint("capacity >= 0", name=op.f("ck_routing_agent_capacities_capacity_not_negative")),
        _fk("routing_agent_capacities", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "channel", name=op.f("pk_routing_agent_capacities")),
    )
    op.create_table(
        "routing_queues",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("strategy", sa.String(length=30), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("default_skill_id", sa.Integer(), nullable=True),
        sa.Column("sticky_seconds", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("holiday_country", sa.String(length=8), nullable=True),
        sa.Column("holiday_subdivision", sa.String(length=16), nullable=True),
        sa.Column("closed_dates", sa.JSON(), nullable=False),
        sa.Column("service_target_seconds", sa.Integer(), nullable=False),
        sa.Column("answer_timeout_seconds", sa.Integer(), nullable=False),
        sa.Column("overflow_queue_id", sa.Integer(), nullable=True),
        sa.Column("overflow_after_seconds", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        _fk("routing_queues", "account_id", "accounts", "CASCADE"),
        _fk("routing_queues", "default_skill_id", "routing_skills", "SET NULL"),
        _fk("routing_queues", "overflow_queue_id", "routing_queues", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_queues")),
        sa.UniqueConstraint("account_id", "name", name=op.f("uq_routing_queues_account_id_name")),
    )
    op.create_index(op.f("ix_routing_queues_account_id"), "routing_queues", ["account_id"])
    op.create_table(
        "routing_queue_inboxes",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("inbox_id", sa.Integer(), nullable=False),
        _fk("routing_queue_inboxes", "queue_id", "routing_queues", "CASCADE"),
        _fk("routing_queue_inboxes", "inbox_id", "inboxes", "CASCADE"),
        sa.PrimaryKeyConstraint("queue_id", "inbox_id", name=op.f("pk_routing_queue_inboxes")),
    )
    op.create_index(op.f("ix_routing_queue_inboxes_inbox_id"), "routing_queue_inboxes", ["inbox_id"])
    op.create_table(
        "routing_queue_teams",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        _fk("routing_queue_teams", "queue_id", "routing_queues", "CASCADE"),
        _fk("routing_queue_teams", "team_id", "teams", "CASCADE"),
        sa.PrimaryKeyConstraint("queue_id", "team_id", name=op.f("pk_routing_queue_teams")),
    )
    op.create_index(op.f("ix_routing_queue_teams_team_id"), "routing_queue_teams", ["team_id"])
    op.create_table(
        "routing_steps",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("after_seconds", sa.Integer(), nullable=False),
        sa.Column("min_language_level", sa.Integer(), nullable=False),
        sa.Column("min_skill_level", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("skill_id", sa.Integer(), nullable=True),
        sa.Column("machine_translation", sa.Boolean(), nullable=False),
        sa.Column("skippable", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.CheckConstraint("min_language_level BETWEEN 0 AND 5", name=op.f("ck_routing_steps_language_level_range")),
        sa.CheckConstraint("min_skill_level BETWEEN 0 AND 5", name=op.f("ck_routing_steps_skill_level_range")),
        _fk("routing_steps", "queue_id", "routing_queues", "CASCADE"),
        _fk("routing_steps", "skill_id", "routing_skills", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_steps")),
    )
    op.create_index(op.f("ix_routing_steps_queue_id"), "routing_steps", ["queue_id"])
    op.create_table(
        "routing_hours",
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        _fk("routing_hours", "queue_id", "routing_queues", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_hours")),
    )
    op.create_index(op.f("ix_routing_hours_queue_id"), "routing_hours", ["queue_id"])
    op.create_table(
        "routing_conversations",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=True),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("enqueued_at", sa.DateTime(), nullable=True),
        _fk("routing_conversations", "conversation_id", "conversations", "CASCADE"),
        _fk("routing_conversations", "skill_id", "routing_skills", "SET NULL"),
        _fk("routing_conversations", "queue_id", "routing_queues", "SET NULL"),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_routing_conversations")),
    )
    op.create_table(
        "routing_decisions",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("machine_translation", sa.Boolean(), nullable=False),
        sa.Column("waited_seconds", sa.Float(), nullable=True),
        sa.Column("closed_until", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        _fk("routing_decisions", "account_id", "accounts", "CASCADE"),
        _fk("routing_decisions", "conversation_id", "conversations", "CASCADE"),
        _fk("routing_decisions", "queue_id", "routing_queues", "SET NULL"),
        _fk("routing_decisions", "agent_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_decisions")),
    )
    op.create_index("ix_routing_decisions_conversation_id_id", "routing_decisions", ["conversation_id", "id"])
    op.create_index("ix_routing_decisions_account_id_created_at", "routing_decisions", ["account_id", "created_at"])


def downgrade() -> None:
    for table in (
        "routing_decisions",
        "routing_conversations",
        "routing_hours",
        "routing_steps",
        "routing_queue_teams",
        "routing_queue_inboxes",
        "routing_queues",
        "routing_agent_capacities",
        "routing_agent_skills",
        "routing_skills",
    ):
        op.drop_table(table)
