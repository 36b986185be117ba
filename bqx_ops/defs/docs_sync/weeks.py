"""The weeks a docs-sync run covers and the Airtable snapshots it may read (the as-of rule).

DOCS_SYNC_PARTITIONS is WEEKLY_SYNC_PARTITIONS (same keys: the Monday 09:00 tick opening each week)
plus the week in progress (``end_offset=1``). A closed week is read as of its end; the week in
progress as of now, so the change sensor can bring the repository up to date mid-week, and the
Monday run finalizes it once closed.
"""

import datetime as dt

import dagster as dg
import duckdb

from bqx_ops.asof import as_of_snapshot
from bqx_ops.calendar import UTC, WEEKLY_SYNC, Period, naive_utc, period_for
from bqx_ops.db import table_exists
from bqx_ops.defs.cadence.partitions import WEEKLY_SYNC_PARTITIONS
from bqx_ops.docs_sync.snapshot import TABLES, Snapshot
from bqx_ops.landing import Landing, read_json

DOCS_SYNC_PARTITIONS = WEEKLY_SYNC_PARTITIONS  # includes the open week (end_offset=1)
GROUP = "docs_sync"
OWNERS = ["team:COORD-001"]
PARTITION_META = {"partition_expr": "period_start"}


Week = Period  # one period type: a week of the sync is a calendar Period read as of min(end, now)


def week(key: str, now: dt.datetime | None = None) -> Period:
    now = now or dt.datetime.now(UTC)
    start = dt.datetime.strptime(key, "%Y-%m-%d").replace(hour=9, tzinfo=UTC)
    period = period_for(WEEKLY_SYNC, start)
    return Period(period.start, period.end, key=key, read_at=now)


def open_week_key(now: dt.datetime) -> str:
    """The partition of the week in progress at ``now`` (opened by the last Monday tick <= now)."""
    ticks = [t for t in WEEKLY_SYNC.ticks(now.date() - dt.timedelta(days=7), now.date()) if t <= now]
    return ticks[-1].strftime("%Y-%m-%d")


def weeks(context: dg.AssetExecutionContext) -> list[Week]:
    now = dt.datetime.now(UTC)
    return [week(key, now) for key in sorted(context.partition_keys)]


def snapshot_days(conn: duckdb.DuckDBPyConnection, w: Week) -> tuple[dt.date | None, dt.date | None]:
    """(snapshot the week starts from, snapshot it is read as of)."""
    return as_of_snapshot(conn, w.start), as_of_snapshot(conn, w.as_of)


def load_snapshots(conn: duckdb.DuckDBPyConnection, days, tables=TABLES) -> dict:
    """Snapshot per day (None -> an empty Snapshot), one query per table."""
    wanted = sorted({d for d in days if d is not None})
    out = {None: Snapshot(None, {})}
    existing = {r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'airtable'").fetchall()}
    frames: dict = {d: {} for d in wanted}
    for table in tables:
        if table not in existing or not wanted:
            continue
        df = conn.execute(
            f"SELECT * FROM airtable.{table} WHERE snapshot_date::DATE IN (SELECT unnest(?::DATE[]))", [wanted]
        ).df()
        for day in wanted:
            frames[day][table] = df[df["snapshot_date"].dt.date == day]
    out.update({day: Snapshot.from_frames(day, frames[day]) for day in wanted})
    return out


def plan_dashboards(conn: duckdb.DuckDBPyConnection) -> list[tuple[dt.datetime, list[str]]]:
    """The plan-update domain's dashboards (``plan.dashboard``), by period end; [] when it never ran.
    A week that closed before the first snapshot has no dashboard to show beside the statuses."""
    if not table_exists(conn, "plan", "dashboard"):
        return []
    rows = conn.execute("SELECT period_end, block FROM plan.dashboard WHERE block IS NOT NULL "
                        "AND snapshot_date IS NOT NULL ORDER BY period_end, position").fetchall()
    return [(end, block.splitlines()) for end, block in rows]


def dashboard_as_of(dashboards: list, as_of: dt.datetime) -> tuple[dt.date, list[str]] | None:
    """The latest plan update whose period ended by ``as_of`` (never a later one)."""
    done = [(end, lines) for end, lines in dashboards if end <= naive_utc(as_of)]
    return (done[-1][0].date(), done[-1][1]) if done else None


def sagemaker_jobs(landing: Landing):
    """The landed DescribeTrainingJob list, or None when it is missing or unreadable."""
    try:
        return read_json(landing.sagemaker_jobs)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
