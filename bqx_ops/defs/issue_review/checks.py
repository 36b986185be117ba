"""The seed's success metrics of Stage 10.7, checked on the latest review in DuckDB.

The SLA checks WARN: they report on the project, not on the pipeline. That every
P0/P1 has an action item is the pipeline's own promise, so it is an ERROR.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.db import table_exists
from bqx_ops.issue_review.rules import p0_p1_sla_hours, sla_words
from bqx_ops.markdown import table as md_table

INVENTORY = dg.AssetKey(["review", "issue_inventory"])
ACTIONS = dg.AssetKey(["review", "action_items"])


def _latest(conn, table: str, where: str = "TRUE"):
    if not table_exists(conn, "review", table):
        return None, []
    latest = conn.execute(f"SELECT max(period_start) FROM review.{table}").fetchone()[0]
    if latest is None:
        return None, []
    cur = conn.execute(f"SELECT * FROM review.{table} WHERE period_start = ? AND ({where}) ORDER BY 1, 2, 3", [latest])
    names = [d[0] for d in cur.description]
    return latest, [dict(zip(names, row)) for row in cur.fetchall()]


def _sla_check(duckdb: DuckDBResource, priority: str) -> dg.AssetCheckResult:
    limit = f"its SLA ({sla_words(p0_p1_sla_hours()[priority])})"  # the team's triage rules, as the breach flag
    with duckdb.get_connection() as conn:
        period, rows = _latest(conn, "issue_inventory", f"state = 'open' AND priority = '{priority}' AND breached")
    rows.sort(key=lambda r: (-r["age_hours"], r["fingerprint"]))
    listed = [[r["fingerprint"], r["title"], r["owner"], f"{r['age_hours']:.1f}", str(r["sla_due_at"])] for r in rows]
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        description=None if not rows else f"{len(rows)} {priority} issue(s) open longer than {limit}: "
        + "; ".join(f"{r['title'][:80]} ({r['age_hours']:.0f} h, owner {r['owner']})" for r in rows[:5]),
        metadata={
            "review_period_start": str(period), "offending_issues": len(rows),
            "issues": dg.MetadataValue.md(md_table(["fingerprint", "issue", "owner", "age (h)", "SLA due"], listed)),
        },
    )


@dg.asset_check(asset=INVENTORY, description="No P0 issue unresolved longer than its SLA (24 hours), latest review.")
def no_p0_open_longer_than_24_hours(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    return _sla_check(duckdb, "P0")


@dg.asset_check(asset=INVENTORY, description="No P1 issue unresolved longer than its SLA (one week), latest review.")
def no_p1_open_longer_than_a_week(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    return _sla_check(duckdb, "P1")


@dg.asset_check(asset=INVENTORY, description="Every issue of the latest review has a priority and a category (WARN).")
def every_issue_is_triaged(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        period, rows = _latest(conn, "issue_inventory", "untriaged")
    listed = [[r["fingerprint"], r["source"], r["title"], r["labels"], r["priority"], r["category"]] for r in rows]
    return dg.AssetCheckResult(
        passed=not rows,
        severity=dg.AssetCheckSeverity.WARN,
        description=None if not rows else f"{len(rows)} issue(s) no triage rule could rank: label them "
        "(priority:P0-P3, category:...) or extend the triage rules (BQX_OPS_TRIAGE_RULES).",
        metadata={
            "review_period_start": str(period), "untriaged": len(rows),
            "issues": dg.MetadataValue.md(md_table(["fingerprint", "source", "issue", "labels", "priority",
                                                    "category"], listed)),
        },
    )


@dg.asset_check(asset=ACTIONS, description="Every P0/P1 issue of the latest review has an action item (tracked).")
def every_p0_p1_has_an_action_item(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        period, urgent = _latest(conn, "issue_inventory", "priority IN ('P0', 'P1')")
        _, actions = _latest(conn, "action_items")
    tracked = {a["task_key"] for a in actions if a["owner"] and a["due_date"] is not None}
    missing = [r for r in urgent if r["fingerprint"] not in tracked]
    return dg.AssetCheckResult(
        passed=not missing,
        description=None if not missing else "P0/P1 issues without an owned, dated action item: "
        + ", ".join(f"{r['fingerprint']} ({r['title'][:60]})" for r in missing[:10]),
        metadata={"review_period_start": str(period), "p0_p1_issues": len(urgent), "action_items": len(actions),
                  "untracked": len(missing)},
    )
