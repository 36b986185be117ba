"""DuckDB helpers shared by every domain (no Dagster)."""

import duckdb


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True once ``schema.table`` exists: dagster-duckdb-pandas creates no table for an empty
    first write, and a domain may read another's table before that domain ever ran."""
    # duckdb_tables(), not information_schema.tables (a view over it and more): a third of the cost,
    # and the as-of reads ask this thousands of times in a replay
    return bool(conn.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
        [schema, table],
    ).fetchone()[0])
