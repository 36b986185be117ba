"""DuckDB helpers shared by every domain (no Dagster)."""

import weakref
from contextlib import contextmanager

import duckdb

# Tables seen to exist, per connection: our tables are created, never dropped, and a connection
# is one writer's (DuckDB allows one writer process), so a table once seen stays. The as-of
# reads ask thousands of times in a replay; only "exists" is remembered, never "absent".
_SEEN: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, set]" = weakref.WeakKeyDictionary()


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True once ``schema.table`` exists: dagster-duckdb-pandas creates no table for an empty
    first write, and a domain may read another's table before that domain ever ran."""
    seen = _SEEN.setdefault(conn, set())
    if (schema, table) not in seen:
        # every table there is, in one query: a run asks for a few dozen, each a query of ~1 ms (a new
        # connection per run, and ~400 of them in a replay). duckdb_tables(), not information_schema.tables
        # (a view over it and more): a third of the cost. Temporary tables are a run's own, dropped after use
        seen.update(conn.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary").fetchall())
    return (schema, table) in seen


_COLUMNS: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, dict]" = weakref.WeakKeyDictionary()


def column_types(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> tuple[tuple[str, str], ...]:
    """(name, type) of each column of an existing table, remembered per connection like
    ``table_exists`` (a table's columns are set when dagster-duckdb-pandas creates it)."""
    known = _COLUMNS.setdefault(conn, {})
    if (schema, table) not in known:
        known[(schema, table)] = tuple(conn.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
            "ORDER BY column_index", [schema, table]).fetchall())
    return known[(schema, table)]


# What a reader keeps for the length of one ``transaction`` (the outbox's latest versions): a transaction
# sees no other writer's commits, so only its own writes can change what was read at its start.
_TRANSACTION_STATE: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, dict]" = weakref.WeakKeyDictionary()
_DATABASE: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, tuple]" = weakref.WeakKeyDictionary()


def database(conn: duckdb.DuckDBPyConnection) -> tuple[str | None, str | None]:
    """(path, type) of the connection's default catalog, remembered per connection (a replay asks per look
    and per transaction, ~1 ms a query; a connection's default catalog does not change)."""
    if conn not in _DATABASE:
        row = conn.execute("SELECT path, type FROM duckdb_databases() WHERE database_name = current_database()"
                           ).fetchone()
        _DATABASE[conn] = tuple(row) if row else (None, None)
    return _DATABASE[conn]


def in_ducklake(conn: duckdb.DuckDBPyConnection) -> bool:
    """The connection's default catalog is a DuckLake."""
    return database(conn)[1] == "ducklake"


@contextmanager
def transaction(conn: duckdb.DuckDBPyConnection):
    """The block's writes as one transaction: all of them or none (an error rolls them all back), and
    one commit instead of one per statement (~0.65 ms saved per small write: an op's loop of outbox
    intents or queue rows). Inside another ``transaction`` on the same connection it is that one.
    Nothing in the block may catch a DuckDB error and go on: the error has aborted the transaction
    (reads that fall back on an error, like the CloudWatch aggregation, stay outside).
    On DuckLake each statement commits alone, as before: one long transaction would conflict with
    another writer's commit to the same table."""
    if conn in _TRANSACTION_STATE or in_ducklake(conn):
        yield conn
        return
    conn.execute("BEGIN TRANSACTION")
    _TRANSACTION_STATE[conn] = {}  # also what marks the connection as inside a transaction
    try:
        yield conn
    except BaseException:
        _TRANSACTION_STATE.pop(conn, None)
        conn.execute("ROLLBACK")
        raise
    _TRANSACTION_STATE.pop(conn, None)
    conn.execute("COMMIT")


def transaction_state(conn: duckdb.DuckDBPyConnection) -> dict | None:
    """A dict that lives as long as the ``transaction`` the connection is in (None: in none, or on
    DuckLake, where each statement commits alone). A reader may keep there what it read in the
    transaction, as long as it keeps it current with the transaction's own writes."""
    return _TRANSACTION_STATE.get(conn)
