"""One review period end to end: every source's issues, triaged, and the derived tables.

Reads the Airtable tables of DuckDB through the as-of rule only (snapshots up to the
period's end); GitHub issues and SageMaker jobs come as the landed lists, CloudWatch
as the landed day files of the period's window. No Dagster here.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from bqx_ops import config as project_config, plan_scope
from bqx_ops.asof import all_rows, as_of_snapshot, snapshot_days, snapshot_rows
from bqx_ops.calendar import ISSUE_REVIEW, naive_utc
from bqx_ops.db import database, table_exists
from bqx_ops.frames import frame
from bqx_ops.issue_review import cloudwatch, cloudwatch_windows
from bqx_ops.issue_review.actions import action_items
from bqx_ops.issue_review.airtable_issues import blocker_issues, quarantine_issues
from bqx_ops.issue_review.derived import cost_issues, done_since, r2_issues, reopened_days, timeline_issues
from bqx_ops.issue_review.episodes import episode_starts, log_issues
from bqx_ops.issue_review.github_issues import dated_github_issues, existed_by
from bqx_ops.issue_review.merge import merge_evidence
from bqx_ops.issue_review.model import PERIOD_COLUMNS, Found, ReviewPeriod
from bqx_ops.issue_review.rules import SOURCES, TriageRules
from bqx_ops.issue_review.sagemaker import sagemaker_issues
from bqx_ops.issue_review.stats import resolution_stats
from bqx_ops.issue_review.trend import sla_breaches, trend
from bqx_ops.issue_review.triage import build_inventory, priority_conflicts
from bqx_ops.lazy import pd
from bqx_ops.snapshots import Snapshots

# (log group, day file) pairs of a window, and the problems (missing days) found listing them
LogFiles = Callable[[dt.datetime, dt.datetime], tuple[list[tuple[str, Path]], list[str]]]


@dataclass
class SourceData:
    github_items: list
    sagemaker_jobs: list
    log_files: LogFiles
    problems: list[str] = field(default_factory=list)  # found while landing/reading the sources
    now: dt.datetime | None = None  # when the sources were read: an item created later is impossible
    # sources with no data at all (no landed file, or one that cannot be read), never "0 issues found";
    # CloudWatch is judged per window (no landed day file in it)
    without_data: frozenset[str] = frozenset()

    @cached_property
    def _github(self) -> tuple[list[Found], list[tuple[dt.datetime | None, str]]]:
        return dated_github_issues(self.github_items, now=self.now)

    def github_found(self, as_of: dt.datetime | None = None) -> tuple[list[Found], list[str]]:
        """The GitHub issues as Found, parsed once for every look at these sources (they depend on the
        items and ``now`` only; each look gets its own list): those created before ``as_of`` and the
        problems of the items that existed then (``existed_by``)."""
        return existed_by(*self._github, as_of)


@dataclass
class Review:
    period: ReviewPeriod
    inventory: pd.DataFrame
    breaches: pd.DataFrame
    trend: pd.DataFrame
    stats: pd.DataFrame
    actions: pd.DataFrame
    meta: pd.DataFrame


def _history(conn: duckdb.DuckDBPyConnection, sql: str, tables: list[str], day: dt.date) -> pd.DataFrame | None:
    if not all(table_exists(conn, "airtable", t) for t in tables):
        return None
    return conn.execute(sql, [dt.datetime.combine(day, dt.time())] * sql.count("?")).df()


NOTES_SQL = """
    SELECT snapshot_date, 'Stages' AS "table", record_id, stage_id AS label, name, owner, notes, status
    FROM airtable.stages WHERE snapshot_date <= ?
    UNION ALL
    SELECT snapshot_date, 'Phases', record_id, phase_id, name, owner, notes, status
    FROM airtable.phases WHERE snapshot_date <= ?
    ORDER BY ALL
"""
QUARANTINE_SQL = ("SELECT snapshot_date, table_name, record_id, reason FROM airtable.quarantine "
                  "WHERE snapshot_date <= ? ORDER BY ALL")


class AirtableHistory:
    """The Airtable history of the snapshots up to ``last``, for many looks in date order (a replay's
    ticks, a review backfill's periods). The notes and quarantine history are read once and cut at each
    look's day; the snapshot tables a look reads whole come through ``Snapshots`` (a window of days per
    query). Cut at a day, it is what reading up to that day gives; ``many=False`` (one look) reads the
    look's snapshot tables on their own."""

    def __init__(self, conn: duckdb.DuckDBPyConnection, last: dt.date, many: bool = True):
        self._conn, self.last = conn, last
        self._notes = _history(conn, NOTES_SQL, ["stages", "phases"], last)
        with_quarantine = table_exists(conn, "airtable", "raw_records") and table_exists(conn, "airtable", "quarantine")
        self._quarantine = _history(conn, QUARANTINE_SQL, ["quarantine"], last) if with_quarantine else None
        self._snapshots = Snapshots(conn, last) if many else None
        days = self._snapshots.days if many else snapshot_days(conn, last)
        self._all_days = days
        self._days = days if with_quarantine else []

    @staticmethod
    def _upto(df: pd.DataFrame | None, day: dt.date) -> pd.DataFrame | None:
        if df is None:
            return None
        return df[df["snapshot_date"] <= pd.Timestamp(day)].reset_index(drop=True)

    def notes(self, day: dt.date) -> pd.DataFrame | None:
        return self._upto(self._notes, day)

    @cached_property
    def reopened(self) -> dict[str, list[dt.date]]:
        """``reopened_days`` of the whole history, worked out once: a look keeps the days up to its own
        (a re-opening up to a day depends only on the snapshots up to it)."""
        return reopened_days(self._notes) if self._notes is not None else {}

    def between(self, after: dt.date | None, before: dt.date) -> list[dt.date]:
        """Snapshot days strictly between two days (``after`` None: every one before ``before``)."""
        return [d for d in self._all_days if (after is None or after < d) and d < before]

    def quarantine(self, day: dt.date) -> tuple[pd.DataFrame | None, list[dt.date]]:
        """The quarantine rows and the snapshot days up to ``day`` (None: no quarantine table)."""
        return self._upto(self._quarantine, day), [d for d in self._days if d <= day]

    def snapshot(self, as_of: dt.datetime) -> dt.date | None:
        return self._snapshots.snapshot(as_of) if self._snapshots else as_of_snapshot(self._conn, as_of)

    def rows(self, table: str, day: dt.date | None, carry_forward: bool = False) -> pd.DataFrame:
        return self._snapshots.rows(table, day, carry_forward) if self._snapshots else \
            snapshot_rows(self._conn, table, day, carry_forward)


def airtable_found(conn: duckdb.DuckDBPyConnection, period: ReviewPeriod, rules: TriageRules,
                   history: AirtableHistory | None = None, whole_period: bool = False
                   ) -> tuple[list[Found], dt.date | None, pd.DataFrame]:
    """Blockers, quarantine episodes and derived plan issues as of the period's end, the as-of
    snapshot, and its Tasks (the action items are matched against them too). ``history``: read
    once for many periods (it must reach the period's end); None reads it for this period.
    ``whole_period`` (a review): also the stages late in a snapshot inside the period, done by its end."""
    day = period.end.date()
    if history is None or history.last < day:
        history = AirtableHistory(conn, day, many=False)
    found: list[Found] = []
    snapshot = history.snapshot(period.end)
    # a stage or phase quarantined in the snapshot is its last valid version, as in the plan update: its
    # delay or overrun stays open (and is resolved when it completes), never vanishes for the weeks it is bad
    stages, phases = (history.rows(t, snapshot, carry_forward=True) for t in ("stages", "phases"))
    tasks, results = (history.rows(t, snapshot) for t in ("tasks", "model_results"))
    notes = history.notes(day)
    if notes is not None:
        # another plan's phases and stages (plan_scope) are not this plan's blockers
        foreign = {rid for t, mine in (("phases", phases), ("stages", stages))
                   for rid in set(all_rows(conn, t, snapshot)["record_id"]) - set(mine["record_id"])} \
            if plan_scope.other_plans(history.rows("plans", snapshot)) else set()
        found += blocker_issues(notes[~notes["record_id"].isin(foreign)] if foreign else notes, rules.notes_blocker)
    quarantine, days = history.quarantine(day)
    if quarantine is not None:
        found += quarantine_issues(quarantine, days, rules.derived.get("quarantine") or {})
    before_snapshot = history.snapshot(period.start)
    stages_before = history.rows("stages", before_snapshot, carry_forward=True)
    found += r2_issues(results, rules.derived.get("r2_drop") or {})
    found += cost_issues(stages, phases, tasks, rules.derived.get("cost_overrun") or {}, done_since(notes))
    # the configuration says which operational stages recur (never complete): they are never overdue
    timeline_rules = {**(rules.derived.get("timeline") or {}), "recurring": project_config.current().recurring_stages}
    # a stage re-opened (Done, then In Progress again) is late from its re-opening, never while it was Done
    timeline_rules["reopened"] = history.reopened  # _overdue keeps the re-openings up to ``day``
    # a review lists the delays of the snapshots inside its period too (late, then done before its end); a
    # look between reviews (escalations, dashboard) counts only what is open, which the end's snapshot says
    inside = [(d, history.rows("stages", d, carry_forward=True))
              for d in (history.between(before_snapshot or period.start.date(), snapshot)
                        if whole_period and snapshot else []) if d > period.start.date()]
    found += timeline_issues(stages, day, stages_before if before_snapshot else None, period.start.date(),
                             timeline_rules, since=period.start, inside=inside)
    return found, snapshot, tasks


def collect(conn: duckdb.DuckDBPyConnection, period: ReviewPeriod, rules: TriageRules,
            data: SourceData, history: AirtableHistory | None = None,
            whole_period: bool = False) -> tuple[list[Found], dict]:
    """Every issue any source knows as of the period's end, and what was found per source."""
    problems = list(data.problems)
    found, github_problems = data.github_found(period.end)  # what existed at the period's end
    problems += [f"github: {p}" for p in github_problems + priority_conflicts(found, rules)]
    retry = project_config.current().aws.sagemaker.retry_pattern  # a retry under another name fixes its job
    # the usable jobs depend on the instant (a job created after it did not exist): worked out per look
    jobs, job_problems = sagemaker_issues(data.sagemaker_jobs, period.end, {**rules.sagemaker, "retry_pattern": retry},
                                          data.now)
    found += jobs
    problems += [f"sagemaker: {p}" for p in job_problems]
    days = int(rules.cloudwatch.get("window_days", 14))
    # a review reads its whole period; a look between reviews needs only what is open: the last days
    start, end = cloudwatch.review_window(period.start, period.end, days, project_config.current().start_date) \
        if whole_period else cloudwatch.window(period.end, days)
    files, missing = data.log_files(start, end)
    without_data = set(data.without_data) | ({"cloudwatch"} if not files else set())
    if not files:
        problems.append(f"cloudwatch: no data: no log file landed for the window {start:%Y-%m-%d %H:%M} → "
                        f"{end:%Y-%m-%d %H:%M}" + ("" if missing else " (no log group configured or landed)"))
    groups, log_problems = cloudwatch.aggregate(conn, files, start, end, rules.cloudwatch)
    starts, lookback_problems = episode_starts(conn, groups, start, data.log_files, rules.cloudwatch)
    found += log_issues(groups, period.end, rules.cloudwatch, starts)
    problems += [f"cloudwatch: {p}" for p in missing + log_problems + lookback_problems]
    airtable, snapshot, tasks = airtable_found(conn, period, rules, history, whole_period)
    if snapshot is None:
        problems.append(f"airtable: no snapshot on or before {period.end.date()}; notes and plan issues have no data")
    found += airtable
    return merge_evidence(found), {"snapshot": snapshot, "problems": problems, "tasks": tasks,
                                   "without_data": without_data}


LOOKS_PER_QUERY = 16  # a replay's CloudWatch windows grouped per query (cloudwatch_windows): a few MB at most


def log_windows(looks: list, rules: TriageRules) -> list[tuple[dt.datetime, dt.datetime]]:
    """The CloudWatch log window of each look: a review period's (``ReviewPeriod``: its whole period, as
    ``collect`` reads it for a review), else an instant's last ``window_days``."""
    days, began = int(rules.cloudwatch.get("window_days", 14)), project_config.current().start_date
    return [cloudwatch.review_window(look.start, look.end, days, began) if isinstance(look, ReviewPeriod)
            else cloudwatch.window(look, days) for look in looks]


def windows_prepared(conn: duckdb.DuckDBPyConnection, looks: list, rules: TriageRules, data: SourceData) -> Iterator:
    """``looks`` (the instants a replay looks at, or the periods a backfill reviews), in order, the CloudWatch
    log windows (``log_windows``) of each run of LOOKS_PER_QUERY of them grouped in one query before they are
    looked at: a window's own query costs ~9 ms, most of it fixed, and a replay looks at over a hundred
    (``cloudwatch_windows``)."""
    for i in range(0, len(looks), LOOKS_PER_QUERY):
        batch = looks[i:i + LOOKS_PER_QUERY]
        if len(batch) > 1:  # one look (a live tick) is its own query anyway: its files are not listed twice
            windows = log_windows(batch, rules)
            cloudwatch_windows.prepare(conn, [(data.log_files(*w)[0], *w) for w in windows], rules.cloudwatch)
        yield from batch


def review_period_at(instant: dt.datetime) -> ReviewPeriod:
    """The review period running at ``instant`` (naive UTC), cut at it: what the review would see then."""
    ticks = ISSUE_REVIEW.ticks(instant.date() - dt.timedelta(days=20), instant.date())
    start = [t for t in ticks if naive_utc(t) <= instant][-1]
    return ReviewPeriod.of(start, instant)


# A replay (the demo) runs the escalation looks and then the dashboard in one process over sources and
# Airtable tables that no longer change once its snapshot run is done: a look both make (a Monday
# 09:00 the sensor is replayed at) is collected once. Only with this variable set (the demo sets it);
# scheduled runs are each their own process and always collect.
SHARED_LOOKS_ENV = "BQX_OPS_SHARED_LOOKS"
_LOOKS: OrderedDict[tuple, tuple[ReviewPeriod, pd.DataFrame]] = OrderedDict()
_LOOKS_KEPT = 1024  # a replay's looks (113 escalation looks for the full sample), a few kB each


def _look_key(conn: duckdb.DuckDBPyConnection, instant: dt.datetime, rules: TriageRules) -> tuple | None:
    if os.environ.get(SHARED_LOOKS_ENV) != "1":
        return None
    return database(conn)[0], instant, rules.origin


def inventory_at(conn: duckdb.DuckDBPyConnection, instant: dt.datetime, rules: TriageRules, data: SourceData,
                 history: AirtableHistory | None = None) -> tuple[ReviewPeriod, pd.DataFrame]:
    """Every issue known at ``instant``, triaged and aged to it: the review's own collection and
    triage, run at that instant (the escalations' and the dashboard's view, between two reviews)."""
    key = _look_key(conn, instant, rules)
    if key is not None and key in _LOOKS:
        period, inventory = _LOOKS[key]
        return period, inventory.copy()
    period = review_period_at(instant)
    found, _ = collect(conn, period, rules, data, history)
    inventory = build_inventory(found, rules, period)
    if key is not None:
        _LOOKS[key] = (period, inventory.copy())
        while len(_LOOKS) > _LOOKS_KEPT:
            _LOOKS.popitem(last=False)
    return period, inventory


def review(conn: duckdb.DuckDBPyConnection, period: ReviewPeriod, rules: TriageRules, data: SourceData,
           previous: Review | None, history: AirtableHistory | None = None) -> Review:
    """The review of ``period``; ``previous`` is the review of the period before (None: none)."""
    found, info = collect(conn, period, rules, data, history, whole_period=True)
    inventory = build_inventory(found, rules, period)
    changes = trend(inventory, previous.inventory if previous else None, period, frozenset(info["without_data"]))
    # every source: null when it had no data, else its count, 0 included (a landed [] is data: 0 issues)
    by_source = {source: None if source in info["without_data"] else 0 for source in SOURCES}
    for issue in found:  # as of the period's end: an issue created after it (a replay's later landing) is not counted
        if issue.created_at is not None and issue.created_at < period.end:
            by_source[issue.source] = (by_source.get(issue.source) or 0) + 1
    meta = frame([{
        "period_start": period.start, "period_end": period.end,
        "review_date": dt.datetime.combine(period.report_date, dt.time()),
        "as_of_snapshot": dt.datetime.combine(info["snapshot"], dt.time()) if info["snapshot"] else None,
        "found_by_source": json.dumps(dict(sorted(by_source.items()))),
        "problems": json.dumps(sorted(set(info["problems"])), ensure_ascii=False),
    }], PERIOD_COLUMNS)
    return Review(
        period=period, inventory=inventory, breaches=sla_breaches(inventory), trend=changes,
        stats=resolution_stats(inventory, changes, period, info["without_data"],
                               previous.inventory if previous else None),
        actions=action_items(inventory, info["tasks"], period), meta=meta,
    )
