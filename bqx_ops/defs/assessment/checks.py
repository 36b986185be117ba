"""Stage 10.8's promises: all 7 dimensions scored or explicitly marked manual, every assessed quarter; approved
adjustments reflected in Airtable within a week."""

import ast
import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.assessment import approval
from bqx_ops.assessment.score import DIMENSIONS, MANUAL, NO_DATA, SCORED
from bqx_ops.db import table_exists
from bqx_ops.defs.assessment.assets import SCORES_KEY
from bqx_ops.defs.assessment.followup import OUTCOME_KEY
from bqx_ops.resources.airtable import AirtableSource
from bqx_ops.markdown import table as md_table


@dg.asset_check(asset=SCORES_KEY, blocking=True,
                description="Every quarter has all 7 dimensions, each scored, manual or explicitly no data (ERROR).")
def all_seven_dimensions_present(duckdb: DuckDBResource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        exists = table_exists(conn, "assessment", "quarterly_scores")
        rows = conn.execute("SELECT quarter, dimension, score, status FROM assessment.quarterly_scores "
                            "ORDER BY quarter_start, position").fetchall() if exists else []
    found: dict[str, dict[str, tuple]] = {}
    for quarter, dimension, score, status in rows:
        found.setdefault(quarter, {})[dimension] = (score, status)
    problems = []
    for quarter, dims in found.items():
        problems += [[quarter, d, "missing"] for d in DIMENSIONS if d not in dims]
        for d, (score, status) in sorted(dims.items()):
            scored_ok = status == SCORED and score is not None and 0 <= score <= 100
            unscored_ok = status in (MANUAL, NO_DATA) and (score is None or score != score)
            if not (scored_ok or unscored_ok):
                problems.append([quarter, d, f"{status} with score {score}"])
    return dg.AssetCheckResult(
        passed=bool(found) and not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        description=None if found and not problems else (
            "assessment.quarterly_scores has no quarter" if not found else
            f"{len(problems)} dimension(s) missing or neither scored nor marked manual / no data"),
        metadata={"quarters": len(found),
                  "problems": dg.MetadataValue.md(md_table(["quarter", "dimension", "problem"], problems))},
    )


@dg.asset_check(asset=OUTCOME_KEY, description=(
    "Approved 360 adjustments show in Airtable within a week of the request, and no request waits unanswered "
    "longer (WARN: it reports the project's follow-through, seed 'Adjustments reflected in Airtable within 1 week')."))
def approved_adjustments_in_airtable(duckdb: DuckDBResource, airtable: AirtableSource) -> dg.AssetCheckResult:
    with duckdb.get_connection() as conn:
        if not table_exists(conn, "assessment", "approval_outcome"):
            requests, proposed = [], []
        else:
            requests = conn.execute("SELECT quarter, requested_at, status, decided_by, decided_at, note "
                                    "FROM assessment.approval_outcome ORDER BY quarter_start").fetchall()
            proposed = conn.execute("SELECT quarter, \"table\", key_field, key, field, value FROM "
                                    "assessment.proposed_updates ORDER BY quarter_start, position").fetchall() \
                if table_exists(conn, "assessment", "proposed_updates") else []
    now = dt.datetime.now(dt.timezone.utc)
    updates: dict[str, list[dict]] = {}
    for quarter, table, key_field, key, field, value in proposed:
        updates.setdefault(quarter, []).append({"table": table, "key_field": key_field, "key": key, "field": field,
                                                "value": ast.literal_eval(value)})
    wanted: dict[tuple[str, str], set[str]] = {}
    for quarter, _, status, *_ in requests:
        if status == approval.APPROVED:
            for u in updates.get(quarter, []):
                wanted.setdefault((u["table"], u["key_field"]), set()).add(u["key"])
    current = {(table, k): fields for (table, key_field), keys in sorted(wanted.items())
               for k, fields in airtable.find_records(table, key_field, sorted(keys)).items()}
    states, problems = [], []
    for quarter, requested_at, status, decided_by, decided_at, note in requests:
        answer = approval.Answer(status, decided_by, decided_at, note)
        missing = approval.missing_updates(updates.get(quarter, []), current) if status == approval.APPROVED else []
        state = approval.follow_through(requested_at.replace(tzinfo=dt.timezone.utc), answer, missing, now)
        states.append([quarter, f"{requested_at:%Y-%m-%d %H:%M}", status, state, len(missing)])
        problems += [[quarter, m["table"], m["key"], m["field"], m["value"], m["found"]] for m in missing]
    failing = [s for s in states if s[3] in approval.FAILING]
    return dg.AssetCheckResult(
        passed=not failing, severity=dg.AssetCheckSeverity.WARN,
        description=None if not failing else (
            f"{len(failing)} assessment(s) not followed through within a week: "
            + ", ".join(f"{s[0]} ({s[3]})" for s in failing)),
        metadata={"requests": dg.MetadataValue.md(md_table(["quarter", "requested", "answer", "state", "missing"],
                                                           states)),
                  "missing_updates": dg.MetadataValue.md(md_table(
                      ["quarter", "table", "key", "field", "proposed", "in Airtable"], problems))},
    )
