"""Alembic environment. The URL comes from the caller (`dragoman db upgrade`)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

import dragoman.models  # noqa: F401 - registers every table
from dragoman.core.db import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        context.configure(connection=connectable, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with engine.connect() as connection:
        # Batch mode: SQLite cannot ALTER most things, so Alembic rebuilds tables.
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
