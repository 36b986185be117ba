"""The people-dimensions' inputs of a quarter, read from DuckDB as of the assessment instant.

* Assessment Inputs: the records of the quarter in the latest snapshot at or before the as-of.
The quarter's days start at the later of its first day and the project's start_date.

* Agent utilization: over the quarter's Airtable snapshots up to the as-of (every snapshot day; one
  whose Tasks table is empty counts, with nobody busy), for each agent owning a task in one of them,
  the share of those snapshots on which it had a task In Progress. A task linked to a stage of another
  plan's phase (a base with several plans) is left out: it is that plan's work.
* Dependency uptime: the days of the quarter up to the as-of, and those on which a failure issue
  (a CloudWatch pattern with ERROR-level events, a failed SageMaker training job) was created, by the
  issues of every review up to the as-of and those collected at the as-of (the days since the last review). No review of the quarter with data from either source (nothing landed): "no data".
* Innovation adoption: Decisions dated in the quarter (up to the as-of) titled "Adopt ...".
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb

from bqx_ops.assessment.people import ADOPTION_PREFIX, PeopleInputs
from bqx_ops.calendar import naive_utc
from bqx_ops.config import project_start
from bqx_ops.db import table_exists
from bqx_ops.lazy import pd
from bqx_ops.snapshots import Snapshots

FAILURE_SOURCES = ("cloudwatch", "sagemaker")
# A failure is an error, not a warning: a CloudWatch pattern with at least one ERROR-level event in its
# review (its detail reads "ERROR: ..."; "WARN: ..." when every event matched the warning pattern: a
# latency budget, clipped outliers, a SIGTERM) or a failed training job. A warning or a metric
# degradation is no dependency down: counting them read Q2-2026 at 62.1% on the sample.
FAILURE_ISSUE = ("((source = 'cloudwatch' AND kind = 'log_pattern' AND detail LIKE 'ERROR:%') "
                 "OR (source = 'sagemaker' AND kind = 'training_failure'))")


def _latest_snapshot(conn, table: str, when: dt.datetime):
    if not table_exists(conn, "airtable", table):
        return None
    return conn.execute(f"SELECT max(snapshot_date) FROM airtable.{table} WHERE snapshot_date <= ?",
                        [naive_utc(when)]).fetchone()[0]


def records(conn, quarter: str, when: dt.datetime) -> tuple[dict, ...]:
    day = _latest_snapshot(conn, "assessment_inputs", when)
    if day is None:
        return ()
    cur = conn.execute("SELECT input_key, kind, score, summary, recorded_by, date FROM airtable.assessment_inputs "
                       "WHERE snapshot_date = ? AND quarter = ? AND date <= ? ORDER BY date, input_key",
                       [day, quarter, naive_utc(when)])
    names = [c[0] for c in cur.description]
    return tuple(dict(zip(names, row)) for row in cur.fetchall())


def first_day(start: dt.datetime, started: dt.date | None = None) -> dt.datetime:
    """The quarter's first day the project existed: the later of ``start`` and the project's start_date."""
    started = project_start() if started is None else started
    return max(naive_utc(start), dt.datetime.combine(started, dt.time()))


def _other_plans_stages(conn, first: dt.datetime, when: dt.datetime) -> list[tuple[dt.datetime, str]]:
    """(snapshot, stage record id) of another plan's stages in each snapshot of [first, when]: the
    records ``plan_scope`` leaves out of every report (none in a base with one plan)."""
    if not all(table_exists(conn, "airtable", t) for t in ("plans", "phases", "stages")):
        return []
    snapshots = Snapshots(conn, naive_utc(when).date())
    days = [midnight for midnight in (dt.datetime.combine(d, dt.time()) for d in snapshots.days)
            if naive_utc(first) <= midnight <= naive_utc(when)]
    return [(midnight, rid) for midnight in days for rid in sorted(snapshots.left_out("stages", midnight.date()))]


def utilization(conn, first: dt.datetime, when: dt.datetime) -> dict | None:
    if not (table_exists(conn, "airtable", "tasks") and table_exists(conn, "airtable", "raw_records")):
        return None
    # a task linked to a stage of another plan (in the same snapshot) is that plan's work, not ours
    others = _other_plans_stages(conn, first, when)
    theirs = ("NOT EXISTS (SELECT 1 FROM (SELECT unnest($other_days::TIMESTAMP[]) AS d, "
              "unnest($other_stages::VARCHAR[]) AS s) o WHERE o.d = t.snapshot_date AND o.s = t.stage_id)"
              if others else "TRUE")
    rows = conn.execute(
        f"""WITH snaps AS (SELECT DISTINCT snapshot_date FROM airtable.raw_records WHERE snapshot_date >= $first
                          AND snapshot_date <= $when),
                ours AS (SELECT * FROM airtable.tasks t WHERE snapshot_date IN (SELECT * FROM snaps) AND {theirs}),
                busy AS (SELECT owner, count(DISTINCT snapshot_date) AS n FROM ours
                         WHERE status = 'In Progress' GROUP BY owner),
                owners AS (SELECT DISTINCT owner FROM ours WHERE owner IS NOT NULL)
           SELECT o.owner, 100.0 * coalesce(b.n, 0) / (SELECT count(*) FROM snaps)
           FROM owners o LEFT JOIN busy b USING (owner) ORDER BY o.owner""",
        {"first": naive_utc(first), "when": naive_utc(when),
         **({"other_days": [d for d, _ in others], "other_stages": [s for _, s in others]} if others else {})}
    ).fetchall()
    return {owner: round(float(pct), 4) for owner, pct in rows} or None


def _failure_sources_landed(conn, first: dt.datetime, when: dt.datetime) -> bool:
    """Whether a review ending in (first, when] had data from a failure source: its found_by_source
    names a source without data as null (a landed source with no issue is simply absent)."""
    if not table_exists(conn, "review", "review_periods"):
        return False
    try:
        rows = conn.execute("SELECT found_by_source FROM review.review_periods WHERE period_end <= ? AND period_end > ?",
                            [naive_utc(when), naive_utc(first)]).fetchall()
    except duckdb.Error:  # a table of another shape: nothing known of the sources
        return False
    for (found,) in rows:
        try:
            by_source = json.loads(found or "{}")
        except ValueError:
            by_source = {}
        if any(by_source.get(source, 0) is not None for source in FAILURE_SOURCES):
            return True
    return False


def failure_days_at(inventory: pd.DataFrame | None, first: dt.datetime, when: dt.datetime) -> set[dt.date]:
    """The days in [first, when] on which a failure issue of ``inventory`` (the issues collected at the
    instant: those since the last review) began."""
    if inventory is None or inventory.empty:
        return set()
    with duckdb.connect() as conn:  # FAILURE_ISSUE, the reviews' rule, over the frame
        conn.register("at_instant", inventory[["source", "kind", "detail", "created_at"]])
        return {d for (d,) in conn.execute(
            f"SELECT DISTINCT CAST(created_at AS DATE) FROM at_instant WHERE created_at >= ? AND created_at <= ? "
            f"AND {FAILURE_ISSUE}", [naive_utc(first), naive_utc(when)]).fetchall()}


def failures(conn, first: dt.datetime, when: dt.datetime, since_review: set[dt.date] = frozenset()
             ) -> tuple[int | None, int]:
    """(failure days or None without failure source data, days from ``first`` to ``when``, both included):
    those of every review up to ``when`` and ``since_review`` (``failure_days_at`` the instant: the days
    after the last review are the quarter's too, never counted up unseen).
    No data: no review up to ``when`` had CloudWatch or SageMaker data (landed with no failure is data)."""
    days = max(0, (naive_utc(when).date() - naive_utc(first).date()).days + 1)
    if not table_exists(conn, "review", "issue_inventory") or not _failure_sources_landed(conn, first, when):
        return None, days
    found = {d for (d,) in conn.execute(
        "SELECT DISTINCT CAST(created_at AS DATE) FROM review.issue_inventory WHERE period_end <= ? "
        f"AND created_at >= ? AND created_at <= ? AND {FAILURE_ISSUE}",
        [naive_utc(when), naive_utc(first), naive_utc(when)]).fetchall()}
    return len(found | set(since_review)), days


def adoptions(conn, start: dt.datetime, when: dt.datetime) -> tuple[str, ...]:
    day = _latest_snapshot(conn, "decisions", when)
    if day is None:
        return ()
    rows = conn.execute("SELECT DISTINCT title FROM airtable.decisions WHERE snapshot_date = ? AND date >= ? "
                        "AND date <= ? AND lower(title) LIKE ? ORDER BY title",
                        [day, naive_utc(start), naive_utc(when), ADOPTION_PREFIX + "%"]).fetchall()
    return tuple(t for (t,) in rows)


def read_people(conn, quarter: str, start: dt.datetime, when: dt.datetime,
                at_instant: pd.DataFrame | None = None) -> PeopleInputs:
    """``at_instant``: the issues collected at ``when`` (their failures since the last review count)."""
    first = first_day(start)
    failure_days, days = failures(conn, first, when, failure_days_at(at_instant, first, when))
    return PeopleInputs(records=records(conn, quarter, when), utilization=utilization(conn, first, when),
                        failure_days=failure_days, days=days, adopted=adoptions(conn, start, when))
