"""The seed's success metrics of Stage 10.7, checked on every review of the run.

The checks are partitioned like the reviews (``AssetCheckSpec(partitions_def=...)``): a run yields
one evaluation per review period of its window, each on its own partition, so a backfill shows which
reviews failed, not only the last one. The SLA checks WARN: they report on the project, not on the
pipeline. That every P0/P1 has an action item is the pipeline's own promise, so it is an ERROR.
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.db import table_exists
from bqx_ops.defs.cadence.check_periods import evaluations, periods_or_latest
from bqx_ops.defs.cadence.partitions import ISSUE_REVIEW_PARTITIONS
from bqx_ops.issue_review.rules import p0_p1_sla_hours, sla_words
from bqx_ops.markdown import table as md_table

INVENTORY = dg.AssetKey(["review", "issue_inventory"])
ACTIONS = dg.AssetKey(["review", "action_items"])


def _rows(conn, table: str, start: dt.datetime, where: str = "TRUE") -> list[dict]:
    if not table_exists(conn, "review", table):
        return []
    cur = conn.execute(f"SELECT * FROM review.{table} WHERE period_start = ? AND ({where}) ORDER BY 1, 2, 3", [start])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _judge(context, duckdb: DuckDBResource, judge, severity: dg.AssetCheckSeverity):
    """``judge(conn, key, start)`` -> (passed, description, metadata) for each review of the run."""
    with duckdb.get_connection() as conn:
        judged = [(key, *judge(conn, key, start)) for key, start in periods_or_latest(
            context, conn, ISSUE_REVIEW_PARTITIONS, "review", "issue_inventory")]
    yield from evaluations(context, judged, severity, no_data="no data: no review computed yet")


def _review(key: str) -> str:
    end = ISSUE_REVIEW_PARTITIONS.time_window_for_partition_key(key).end
    return f"Review {key} – {end:%Y-%m-%d}"


def _late(priority: str):
    def judge(conn, key, start):
        limit = f"its SLA ({sla_words(p0_p1_sla_hours()[priority])})"  # the team's triage rules, as the breach flag
        rows = _rows(conn, "issue_inventory", start, f"state = 'open' AND priority = '{priority}' AND breached")
        rows.sort(key=lambda r: (-r["age_hours"], r["fingerprint"]))
        listed = [[r["fingerprint"], r["title"], r["owner"], f"{r['age_hours']:.1f}", str(r["sla_due_at"])]
                  for r in rows]
        description = None if not rows else (
            f"{_review(key)}: {len(rows)} {priority} issue(s) open longer than {limit}: "
            + "; ".join(f"{r['title'][:80]} ({r['age_hours']:.0f} h, owner {r['owner']})" for r in rows[:5]))
        return not rows, description, {
            "review_period_start": key, "offending_issues": len(rows),
            "issues": dg.MetadataValue.md(md_table(["fingerprint", "issue", "owner", "age (h)", "SLA due"], listed))}
    return judge


def _check(asset: dg.AssetKey, description: str):
    return dg.asset_check(asset=asset, partitions_def=ISSUE_REVIEW_PARTITIONS, pool="duckdb", description=description)


@_check(INVENTORY, "No P0 issue unresolved longer than its SLA (the triage rules' sla_hours; the seed's 24 hours), "
                   "each review (WARN).")
def no_p0_open_longer_than_24_hours(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    yield from _judge(context, duckdb, _late("P0"), dg.AssetCheckSeverity.WARN)


@_check(INVENTORY, "No P1 issue unresolved longer than its SLA (the triage rules' sla_hours; the seed's one week), "
                   "each review (WARN).")
def no_p1_open_longer_than_a_week(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    yield from _judge(context, duckdb, _late("P1"), dg.AssetCheckSeverity.WARN)


def _untriaged(conn, key, start):
    rows = _rows(conn, "issue_inventory", start, "untriaged")
    listed = [[r["fingerprint"], r["source"], r["title"], r["labels"], r["priority"], r["category"]] for r in rows]
    description = None if not rows else (
        f"{_review(key)}: {len(rows)} issue(s) no triage rule could rank: label them (priority:P0-P3, "
        "category:...) or extend the triage rules (BQX_OPS_TRIAGE_RULES).")
    return not rows, description, {
        "review_period_start": key, "untriaged": len(rows),
        "issues": dg.MetadataValue.md(md_table(["fingerprint", "source", "issue", "labels", "priority", "category"],
                                               listed))}


@_check(INVENTORY, "Every issue of each review has a priority and a category (WARN).")
def every_issue_is_triaged(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    yield from _judge(context, duckdb, _untriaged, dg.AssetCheckSeverity.WARN)


def _untracked(conn, key, start):
    urgent = _rows(conn, "issue_inventory", start, "priority IN ('P0', 'P1')")
    actions = _rows(conn, "action_items", start)
    tracked = {a["task_key"] for a in actions if a["owner"] and a["due_date"] is not None}
    missing = [r for r in urgent if r["fingerprint"] not in tracked]
    description = None if not missing else (
        f"{_review(key)}: P0/P1 issues without an owned, dated action item: "
        + ", ".join(f"{r['fingerprint']} ({r['title'][:60]})" for r in missing[:10]))
    return not missing, description, {"review_period_start": key, "p0_p1_issues": len(urgent),
                                      "action_items": len(actions), "untracked": len(missing)}


@_check(ACTIONS, "Every P0/P1 issue of each review has an action item (tracked).")
def every_p0_p1_has_an_action_item(context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource):
    yield from _judge(context, duckdb, _untracked, dg.AssetCheckSeverity.ERROR)
