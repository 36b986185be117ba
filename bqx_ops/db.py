"""DuckDB helpers shared by every domain (no Dagster)."""

import weakref

import duckdb

# Tables seen to exist, per connection: our tables are created, never dropped, and a connection
# is one writer's (DuckDB allows one writer process), so a table once seen stays. The as-of
# reads ask thousands of times in a replay; only "exists" is remembered, never "absent".
_SEEN: "weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, set]" = weakref.WeakKeyDictionary()


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True once ``schema.table`` exists: dagster-duckdb-pandas creates no table for an empty
    first write, and a domain may read another's table before that domain ever ran."""
    seen = _SEEN.setdefault(conn, set())
    if (schema, table) in seen:
        return True
    # duckdb_tables(), not information_schema.tables (a view over it and more): a third of the cost
    found = bool(conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [schema, table],
    ).fetchone()[0])
    if found:
        seen.add((schema, table))
    return found


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
