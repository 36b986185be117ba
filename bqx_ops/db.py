"""DuckDB helpers shared by every domain (no Dagster)."""

import duckdb


def table_exists(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """True once ``schema.table`` exists: dagster-duckdb-pandas creates no table for an empty
    first write, and a domain may read another's table before that domain ever ran."""
    return bool(conn.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
        [schema, table],
    ).fetchone()[0])
