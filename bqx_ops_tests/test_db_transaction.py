"""bqx_ops.db.transaction: a block of writes is all or nothing, one commit, nested blocks are one."""

import duckdb
import pytest

from bqx_ops.db import transaction


def _rows(path) -> list:
    with duckdb.connect(str(path)) as other:  # what a fresh connection (another run) sees
        return other.execute("SELECT x FROM t ORDER BY x").fetchall()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "t.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE t (x INTEGER PRIMARY KEY)")
    return path


def test_a_block_commits_all_its_writes(db):
    with duckdb.connect(str(db)) as conn:
        with transaction(conn):
            for x in range(3):
                conn.execute("INSERT INTO t VALUES (?)", [x])
    assert _rows(db) == [(0,), (1,), (2,)]


def test_an_error_in_the_block_rolls_every_write_back_and_the_connection_stays_usable(db):
    with duckdb.connect(str(db)) as conn:
        with pytest.raises(duckdb.ConstraintException):
            with transaction(conn):
                conn.execute("INSERT INTO t VALUES (1)")
                conn.execute("INSERT INTO t VALUES (1)")  # duplicate key
        with pytest.raises(RuntimeError):
            with transaction(conn):
                conn.execute("INSERT INTO t VALUES (2)")
                raise RuntimeError("killed half-way")
        conn.execute("INSERT INTO t VALUES (9)")  # autocommit again
    assert _rows(db) == [(9,)]


def test_a_block_inside_another_is_part_of_it(db):
    with duckdb.connect(str(db)) as conn:
        with pytest.raises(RuntimeError):
            with transaction(conn):
                with transaction(conn):
                    conn.execute("INSERT INTO t VALUES (1)")
                conn.execute("INSERT INTO t VALUES (2)")
                raise RuntimeError("after the inner block")
        with transaction(conn):
            with transaction(conn):
                conn.execute("INSERT INTO t VALUES (3)")
    assert _rows(db) == [(3,)]
