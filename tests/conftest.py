"""Shared fixtures: real databases (SQLite file and the local PostgreSQL), real data paths."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from chainsleuth.db import make_engine, migrate

DATA = Path(
    os.environ.get("CHAINSLEUTH_SHARED_DATA", Path(__file__).parents[2] / "shared" / "data")
)
PG_ADMIN_URL = os.environ.get(
    "CHAINSLEUTH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The bundled real data (../shared/data), read-only."""
    if not DATA.is_dir():
        pytest.fail(f"real data folder {DATA} is missing; set CHAINSLEUTH_SHARED_DATA")
    return DATA


def _postgres_engine() -> Iterator[Engine]:
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"cs_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated operational database, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'ops.db'}")
        migrate(eng)
        yield eng
        eng.dispose()
    else:
        for eng in _postgres_engine():
            migrate(eng)
            yield eng
