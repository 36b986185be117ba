"""A throwaway database on the machine's PostgreSQL (127.0.0.1:5432, trust auth, user postgres):
created for one test and dropped after it, whatever happened."""

from __future__ import annotations

import contextlib
import os
import uuid

import sqlalchemy as sa

SERVER = os.environ.get("BQX_OPS_TEST_PG_SERVER", "postgresql+psycopg2://postgres@127.0.0.1:5432")


def _admin() -> sa.Engine:
    return sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")


@contextlib.contextmanager
def scratch_database(prefix: str):
    """Yields the name of a new, empty database; drops it afterwards (terminating sessions)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = _admin()
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield name
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


def url(name: str) -> str:
    return f"{SERVER}/{name}"
