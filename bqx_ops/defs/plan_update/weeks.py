"""The weeks of a run and their as-of Airtable data.

A run covers ``context.partition_time_window`` (one week for the Friday schedule,
many for a single-run backfill); each week is a Period of the PLAN_UPDATE cadence,
computed only from the snapshot as of its end (``bqx_ops.asof``), with last week's
as-of snapshot (as of its start) for the transitions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

import dagster as dg
import duckdb

from bqx_ops.asof import carried, snapshot_rows
from bqx_ops.calendar import UTC, Period
from bqx_ops.defs.cadence.partitions import PLAN_UPDATE_PARTITIONS
from bqx_ops.lazy import pd
from bqx_ops.plan_update.targets import PlanTargets, configured_targets, plan_targets
from bqx_ops.snapshots import Snapshots


@dataclass
class Week:
    key: str
    period: Period
    snapshot_date: dt.date | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    previous_snapshot_date: dt.date | None = None
    baseline_is_first: bool = False  # previous_snapshot_date is the plan's first snapshot, inside the week
    previous_stages: pd.DataFrame | None = None
    stages_during: list[pd.DataFrame] = field(default_factory=list)
    quarantined_before: set[str] = field(default_factory=set)
    quarantined_now: set[str] = field(default_factory=set)
    snapshots: Snapshots | None = field(default=None, repr=False, compare=False)  # the run's reader, for more reads

    @property
    def as_of(self) -> dt.date:
        return self.period.as_of.date()

    @property
    def targets(self) -> PlanTargets:
        return plan_targets(self.tables["plans"]) if "plans" in self.tables else configured_targets()

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.tables[table]


def period_of(key: str) -> Period:
    window = PLAN_UPDATE_PARTITIONS.time_window_for_partition_key(key)
    return Period(window.start.astimezone(UTC), window.end.astimezone(UTC))


def run_weeks(context) -> list[tuple[str, Period]]:
    """(partition key, period) of every week in the run's partition window, oldest first."""
    if context.has_partition_key_range or context.has_partition_key:
        keys = list(context.partition_keys)
    else:
        keys = []
    return [(key, period_of(key)) for key in sorted(keys)]


def carried_records(conn: duckdb.DuckDBPyConnection, when, tables=("plans", "phases", "stages"),
                    snapshots: Snapshots | None = None) -> list[dict]:
    """The quarantined records of the as-of snapshot whose last valid version the figures use: table,
    record, label, the snapshot that version comes from, and why the current one was quarantined.
    ``snapshots``: the run's reader (``week_snapshots``); None reads this instant alone."""
    snapshots = snapshots or Snapshots(conn, when.date() if isinstance(when, dt.datetime) else when, instants=[when])
    day = snapshots.snapshot(when)
    frames = {table: carried(snapshots.rows(table, day, carry_forward=True), day) for table in tables}
    q = snapshot_rows(conn, "quarantine", day)  # its own read: the reasons in its order, as always
    if not any(len(df) for df in frames.values()) and q.empty:
        return []
    reasons = {(r.table_name, r.record_id): r.reason for r in q.itertuples()} if not q.empty else {}
    out, names = [], {"plans": "Plans", "phases": "Phases", "stages": "Stages"}
    for table, df in frames.items():
        for r in df.to_dict("records"):
            name = names[table]
            label = r.get("stage_id") or r.get("phase_id") or r.get("plan_id") or ""
            out.append({"table": name, "record_id": r["record_id"], "label": str(label),
                        "from_snapshot": pd.Timestamp(r["snapshot_date"]).date(),
                        "reason": reasons.get((name, r["record_id"]), "")})
    # quarantined with no earlier valid version to carry: not in any figure, and said so (never silently)
    used = {(c["table"], c["record_id"]) for c in out}
    wanted = {names[t] for t in tables}
    for (name, record_id), reason in reasons.items():
        if name in wanted and record_id and (name, record_id) not in used:
            out.append({"table": name, "record_id": record_id, "label": "", "from_snapshot": None,
                        "reason": reason})
    return out


def baseline(snapshots: Snapshots, period: Period, snapshot_date: dt.date | None) -> tuple[dt.date | None, bool]:
    """The snapshot a week's transitions start from, and whether it is the plan's first snapshot.

    Last week's as-of snapshot; for the first week, which has none, the first snapshot of the plan
    when it is inside the week and older than the week's own (two snapshots are enough to compare).
    (None, False) when there is nothing to compare with."""
    if snapshot_date is None:
        return None, False
    previous = snapshots.snapshot(period.start)
    if previous is not None:
        return previous, False
    first = snapshots.days[0] if snapshots.days else None
    return (first, True) if first is not None and first < snapshot_date else (None, False)


def _stage_quarantine(snapshots: Snapshots, day: dt.date | None) -> set[str]:
    q = snapshots.rows("quarantine", day)
    return set(q.loc[q["table_name"] == "Stages", "record_id"].dropna()) if not q.empty else set()


def week_snapshots(conn: duckdb.DuckDBPyConnection, weeks: list[tuple[str, Period]],
                   transitions: bool = False) -> Snapshots:
    """The as-of reader of a run's weeks: their as-of snapshots and, for transitions, every day between."""
    last = max((period.as_of.date() for _, period in weeks), default=dt.date.min)
    instants = None if transitions else [period.as_of for _, period in weeks] + [period.start for _, period in weeks]
    return Snapshots(conn, last, instants)


def load_week(conn: duckdb.DuckDBPyConnection, key: str, period: Period, tables: tuple[str, ...],
              transitions: bool = False, snapshots: Snapshots | None = None) -> Week:
    """The as-of rows of ``tables`` for one week; with ``transitions``, last week's stages too.
    ``snapshots``: the run's reader (``week_snapshots``); None reads this week alone.

    Figures read a quarantined record as its last valid version (``read_as_of(carry_forward=True)``),
    so one bad field does not drop a phase from the counts or a stage from the costs; transitions
    read the snapshot as it is, where the quarantine itself is the event."""
    snapshots = snapshots or week_snapshots(conn, [(key, period)], transitions)
    week = Week(key, period, snapshots.snapshot(period.as_of), snapshots=snapshots)
    for table in tables:
        week.tables[table] = snapshots.rows(table, week.snapshot_date, carry_forward=not transitions)
    if transitions and week.snapshot_date is not None:
        week.previous_snapshot_date, week.baseline_is_first = baseline(snapshots, period, week.snapshot_date)
        if week.previous_snapshot_date is not None:
            week.previous_stages = snapshots.rows("stages", week.previous_snapshot_date)
            week.quarantined_before = _stage_quarantine(snapshots, week.previous_snapshot_date)
            week.stages_during = [snapshots.rows("stages", day) for day in
                                  snapshots.between(week.previous_snapshot_date, week.snapshot_date)]
        week.quarantined_now = _stage_quarantine(snapshots, week.snapshot_date)
    return week


def load_weeks(conn: duckdb.DuckDBPyConnection, context, tables: tuple[str, ...],
               transitions: bool = False) -> Iterator[Week]:
    """``load_week`` for each week of the run's partition window, oldest first, through one reader."""
    weeks = run_weeks(context)
    snapshots = week_snapshots(conn, weeks, transitions)
    for key, period in weeks:
        yield load_week(conn, key, period, tables, transitions, snapshots)


def airtable_deps(*tables: str) -> list[dg.AssetDep]:
    """Lineage to the daily snapshot tables a week reads (the daily partitions inside the week)."""
    return [dg.AssetDep(dg.AssetKey(["airtable", t]), partition_mapping=dg.TimeWindowPartitionMapping())
            for t in tables]
