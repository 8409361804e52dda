"""Alembic environment: runs against the engine chainsleuth.db hands over."""

from __future__ import annotations

from alembic import context

from chainsleuth.db import Base
from chainsleuth.jobs import models as _jobs_models  # noqa: F401  (registers tables)

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
