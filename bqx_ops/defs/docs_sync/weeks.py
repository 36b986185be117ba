"""The weeks a docs-sync run covers and the Airtable snapshots it may read (the as-of rule).

DOCS_SYNC_PARTITIONS is WEEKLY_SYNC_PARTITIONS (same keys: the Monday 09:00 tick opening each week)
plus the week in progress (``end_offset=1``). A closed week is read as of its end; the week in
progress as of now, so the change sensor can bring the repository up to date mid-week, and the
Monday run finalizes it once closed.
"""

import datetime as dt

import dagster as dg
import duckdb

from bqx_ops import plan_scope
from bqx_ops.asof import BY_ASSET, all_rows, quarantined
from bqx_ops.calendar import UTC, WEEKLY_SYNC, Period, period_for
from bqx_ops.defs.cadence.partitions import PLAN_UPDATE_PARTITIONS, WEEKLY_SYNC_PARTITIONS
from bqx_ops.docs_sync.snapshot import TABLES, Snapshot
from bqx_ops.landing import Landing, read_json
from bqx_ops.plan_update.dashboard import week_dashboard
from bqx_ops.snapshots import Snapshots

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


NOW_TAG = "bqx_ops/now"  # a replay (the demo) runs "as of" the end of its period, never later


def run_tags(context) -> dict:
    """The run's tags; none for a context without a run (direct invocation)."""
    try:
        return dict(context.run.tags or {})
    except Exception:
        return {}


def run_now(context) -> dt.datetime:
    """Now, or the run's ``bqx_ops/now`` tag when earlier: a replay of history up to a day dates
    nothing after that day."""
    now = dt.datetime.now(UTC)
    tag = run_tags(context).get(NOW_TAG)
    return min(now, dt.datetime.fromisoformat(tag).astimezone(UTC)) if tag else now


def weeks(context: dg.AssetExecutionContext) -> list[Week]:
    now = run_now(context)
    return [week(key, now) for key in sorted(context.partition_keys)]


def weeks_snapshot_days(conn: duckdb.DuckDBPyConnection,
                        run_weeks: list[Week]) -> list[tuple[Week, dt.date | None, dt.date | None]]:
    """(w, the snapshot the week starts from, the snapshot it is read as of) for each of a run's weeks,
    from one query of the snapshot days (``as_of_snapshot`` of each week's start and as-of instant)."""
    if not run_weeks:
        return []
    snapshots = Snapshots(conn, max(w.as_of for w in run_weeks).date(), instants=())
    return [(w, snapshots.snapshot(w.start), snapshots.snapshot(w.as_of)) for w in run_weeks]


CARRIED = ("plans", "phases", "stages")  # the tables whose quarantined records count as their last valid version


def load_snapshots(conn: duckdb.DuckDBPyConnection, days, tables=TABLES, carry_forward: tuple = ()) -> dict:
    """Snapshot per day (None -> an empty Snapshot), one query per table. Phases and stages come with the
    plans and phases that scope them to the followed plan (``Snapshot.from_frames``). A table named in
    ``carry_forward`` holds a record quarantined that day as its last valid version (``all_rows``), as
    the plan update counts it: a stage with a bad Status is not "removed from Airtable"."""
    if set(tables) & set(plan_scope.SCOPED):
        tables = (*tables, *(t for t in ("plans", "phases") if t not in tables))
    wanted = sorted({d for d in days if d is not None})
    out = {None: Snapshot(None, {})}
    existing = {r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'airtable'").fetchall()}
    frames: dict = {d: {} for d in wanted}
    quarantined_on = quarantined(conn) if carry_forward and wanted else set()  # (day, Airtable table name)
    for table in tables:
        if table not in existing or not wanted:
            continue
        df = conn.execute(
            f"SELECT * FROM airtable.{table} WHERE snapshot_date::DATE IN (SELECT unnest(?::DATE[]))", [wanted]
        ).df()
        name = BY_ASSET[table].name if table in carry_forward and table in BY_ASSET else None
        held = {d for d, quarantined_in in quarantined_on if quarantined_in == name}
        dates = df["snapshot_date"].dt.date  # once per table, not once per day (a date object per row each time)
        for day in wanted:
            frames[day][table] = all_rows(conn, table, day, carry_forward=True) if day in held else \
                df[dates == day]
    out.update({day: Snapshot.from_frames(day, frames[day]) for day in wanted})
    return out


def plan_week_end(as_of: dt.datetime) -> dt.datetime | None:
    """The end of the latest plan week closed by ``as_of`` (Friday 16:00 UTC); None before the first."""
    keys = PLAN_UPDATE_PARTITIONS.get_partition_keys(current_time=as_of)  # the weeks closed by as_of
    return PLAN_UPDATE_PARTITIONS.time_window_for_partition_key(keys[-1]).end.astimezone(UTC) if keys else None


def plan_dashboard_as_of(conn: duckdb.DuckDBPyConnection, as_of: dt.datetime,
                         snapshots: Snapshots | None = None) -> tuple[dt.date, list[str]] | None:
    """The plan dashboard of the latest plan week that closed by ``as_of`` (Friday 16:00 UTC), computed
    from that week's as-of snapshot: a function of the data only, never of whether the plan update ran
    before this sync (so re-running everything changes nothing). None before the first plan week, and
    for a week that closed before the first snapshot (no empty dashboard beside the statuses).
    ``snapshots``: a run's reader for many weeks (their ``plan_week_end``s); None reads this one alone."""
    end = plan_week_end(as_of)
    if end is None:
        return None
    snapshots = snapshots or Snapshots(conn, end.date(), instants=[end])
    day = snapshots.snapshot(end)
    if day is None:
        return None
    frames = {t: snapshots.rows(t, day, carry_forward=True) for t in ("stages", "phases", "plans", "model_results")}
    return end.date(), week_dashboard(frames["stages"], frames["phases"], frames["plans"], frames["model_results"],
                                      end.date())


def sagemaker_jobs(landing: Landing):
    """The landed DescribeTrainingJob list, or None when it is missing or unreadable."""
    try:
        return read_json(landing.sagemaker_jobs)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
