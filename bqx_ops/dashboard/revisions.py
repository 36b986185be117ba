"""Cost Explorer revises past days (estimated amounts become final, credits land late), CloudWatch
metrics too (a late datapoint moves a day's p95), and every fetch rewrites its files: the landed files
hold only the latest values. ``aws.cost_revisions`` (per day and service) and ``aws.latency_revisions``
(per day) keep each value in the order it was seen, so a past week's dashboard re-run later reads the
values known at its as-of instant, not a revision that came after it.

* The first amount seen for a (day, item) counts from that day on (``seen_at`` NULL): history
  before the first fetch is unknown, and a replay lands everything at once.
* A later, different amount is a revision counting from the instant it was seen (the run's now).
* A (day, item) gone from a readable month is a revision to nothing (``amount`` NULL); a month
  whose file has no usable data (``CostProblem.no_data``, an unreadable latency file) revises nothing:
  "no data" is not "no cost" nor "no traffic". An unusable file that names no month (``ANY_MONTH``)
  revises nothing at all: which days it held is unknown.

No Dagster here.
"""

from __future__ import annotations

import datetime as dt

import duckdb

COSTS, LATENCY = "aws.cost_revisions", "aws.latency_revisions"
# the days Cost Explorer marked Estimated (item ESTIMATED, amount 1), revised to nothing once final
ESTIMATES, ESTIMATED = "aws.cost_estimate_revisions", "estimated"
Key = tuple[dt.date, str]  # (day, item): the service of a cost, "p95_ms" for the latency
ANY_MONTH = "*"  # in unusable_months: an unusable file whose month is unknown


def new_revisions(current: list[tuple[dt.date, str, float]], known: dict[Key, float | None], seen_at: dt.datetime,
                  unusable_months: set[str]) -> list[tuple[dt.date, str, float | None, dt.datetime | None]]:
    """The rows to append: (day, item, amount or None, seen_at or None for a first amount)."""
    out = []
    now = {(day, item): value for day, item, value in current}
    for key, amount in sorted(now.items()):
        if key not in known:
            out.append((*key, amount, None))
        elif known[key] != amount:
            out.append((*key, amount, seen_at))
    for key in sorted(set(known) - set(now)):
        if known[key] is not None and not unusable_months & {f"{key[0]:%Y-%m}", ANY_MONTH}:
            out.append((*key, None, seen_at))
    return out


def _latest(conn: duckdb.DuckDBPyConnection, table: str) -> dict[Key, float | None]:
    rows = conn.execute(f"SELECT day, item, arg_max_null(amount, coalesce(seen_at, TIMESTAMP '0001-01-01')) "
                        f"FROM {table} GROUP BY day, item").fetchall()
    return {(d, s): a for d, s, a in rows}


def record(conn: duckdb.DuckDBPyConnection, current: list[tuple[dt.date, str, float]], seen_at: dt.datetime,
           unusable_months: set[str], table: str = COSTS) -> int:
    """Append what changed since the last fetch (in one statement); the number of rows appended."""
    conn.execute("CREATE SCHEMA IF NOT EXISTS aws")
    conn.execute(f"CREATE TABLE IF NOT EXISTS {table} (day DATE, item VARCHAR, amount DOUBLE, seen_at TIMESTAMP)")
    rows = new_revisions(current, _latest(conn, table), seen_at.replace(tzinfo=None), unusable_months)
    if rows:  # one statement of four lists: executemany is a statement per row (~0.2 ms each, 2,000 a replay)
        conn.execute(f"INSERT INTO {table} SELECT unnest(?::DATE[]), unnest(?::VARCHAR[]), unnest(?::DOUBLE[]), "
                     "unnest(?::TIMESTAMP[])", [list(column) for column in zip(*rows)])
    return len(rows)


def as_of_sql(table: str) -> str:
    """Per (day, item) before the instant's day (parameters: the day, the instant): the latest value seen
    by the instant (a first value counts from the start); a revision to nothing drops the pair."""
    return f"""
    SELECT day, item, amount FROM (
        SELECT day, item, arg_max_null(amount, coalesce(seen_at, TIMESTAMP '0001-01-01')) AS amount
        FROM {table} WHERE day < ?::DATE AND (seen_at IS NULL OR seen_at <= ?)
        GROUP BY day, item)
    WHERE amount IS NOT NULL ORDER BY day, item
"""
