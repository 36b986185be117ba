"""Cost Explorer revises past days (estimated amounts become final, credits land late) and every fetch
rewrites its month file: the landed files hold only the latest amounts. ``aws.cost_revisions`` keeps
each (day, service)'s amounts in the order they were seen, so a past week's dashboard re-run later
reads the amounts known at its as-of instant, not a revision that came after it.

* The first amount seen for a (day, service) counts from that day on (``seen_at`` NULL): history
  before the first fetch is unknown, and a replay lands everything at once.
* A later, different amount is a revision counting from the instant it was seen (the run's now).
* A (day, service) gone from a readable month is a revision to nothing (``amount_usd`` NULL); a month
  whose file has no usable data (``CostProblem.no_data``) revises nothing: "no data" is not "no cost".

No Dagster here.
"""

from __future__ import annotations

import datetime as dt

import duckdb

from bqx_ops.dashboard.costs import CostRow

TABLE = "aws.cost_revisions"
CREATE = f"CREATE TABLE IF NOT EXISTS {TABLE} (day DATE, service VARCHAR, amount_usd DOUBLE, seen_at TIMESTAMP)"
Key = tuple[dt.date, str]


def new_revisions(current: list[CostRow], known: dict[Key, float | None], seen_at: dt.datetime,
                  unusable_months: set[str]) -> list[tuple[dt.date, str, float | None, dt.datetime | None]]:
    """The rows to append: (day, service, amount or None, seen_at or None for a first amount)."""
    out = []
    now = {(r.day, r.service): r.amount_usd for r in current}
    for key, amount in sorted(now.items()):
        if key not in known:
            out.append((*key, amount, None))
        elif known[key] != amount:
            out.append((*key, amount, seen_at))
    for key in sorted(set(known) - set(now)):
        if known[key] is not None and f"{key[0]:%Y-%m}" not in unusable_months:
            out.append((*key, None, seen_at))
    return out


def _latest(conn: duckdb.DuckDBPyConnection) -> dict[Key, float | None]:
    rows = conn.execute(f"SELECT day, service, arg_max_null(amount_usd, coalesce(seen_at, TIMESTAMP '0001-01-01')) "
                        f"FROM {TABLE} GROUP BY day, service").fetchall()
    return {(d, s): a for d, s, a in rows}


def record(conn: duckdb.DuckDBPyConnection, current: list[CostRow], seen_at: dt.datetime,
           unusable_months: set[str]) -> int:
    """Append what changed since the last fetch (in one transaction); the number of rows appended."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS aws")
    conn.execute(CREATE)
    rows = new_revisions(current, _latest(conn), seen_at.replace(tzinfo=None), unusable_months)
    if rows:
        conn.execute("BEGIN TRANSACTION")
        try:
            conn.executemany(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
        except Exception:
            conn.execute("ROLLBACK")
            raise
    return len(rows)


# per (day, service) before the instant's day: the latest amount seen by the instant (a first amount
# counts from the start); a revision to nothing drops the pair
AS_OF_SQL = f"""
    SELECT day, service, amount_usd FROM (
        SELECT day, service, arg_max_null(amount_usd, coalesce(seen_at, TIMESTAMP '0001-01-01')) AS amount_usd
        FROM {TABLE} WHERE day < ?::DATE AND (seen_at IS NULL OR seen_at <= ?)
        GROUP BY day, service)
    WHERE amount_usd IS NOT NULL ORDER BY day, service
"""
