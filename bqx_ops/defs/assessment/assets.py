"""Stage 10.8, the quarterly 360 plan assessment: scores per dimension, and the report in the docs repo.

Partitioned by calendar quarter (keyed by its first day; the open quarter exists too,
end_offset=1, because the assessment happens before the quarter closes). A quarter is
assessed as of its last Friday 09:00 UTC from the plan and review tables; a backfill of
many quarters runs as one run and walks every quarter of the run. Maths: bqx_ops.assessment.
"""

import datetime as dt

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from bqx_ops.assessment import read
from bqx_ops.assessment.report import render, report_path
from bqx_ops.assessment.rows import SCORE_COLUMNS, from_rows, to_rows
from bqx_ops.assessment.score import assess
from bqx_ops.calendar import quarter_start
from bqx_ops.config import project_start
from bqx_ops.db import table_exists
from bqx_ops.defs.airtable.assets import ensure_table
from bqx_ops.frames import frame
from bqx_ops.resources.docs_repo import DocsRepo

GROUP = "assessment"
OWNERS = ["team:ARCH-001"]
SCORES_KEY = dg.AssetKey(["assessment", "quarterly_scores"])
ASSESSMENT_PARTITIONS = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *", start=dt.datetime.combine(quarter_start(project_start()), dt.time()), timezone="UTC", fmt="%Y-%m-%d",
    end_offset=1,
)
INPUTS = [dg.AssetKey(["plan", t]) for t in ("r2_trend", "budget_variance", "plan_timeline")] + [
    dg.AssetKey(["review", t]) for t in ("review_periods", "issue_inventory", "sla_breaches")] + [
    dg.AssetKey(["airtable", t]) for t in ("assessment_inputs", "tasks", "decisions")]
COMMON = dict(partitions_def=ASSESSMENT_PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run(),
              pool="duckdb", group_name=GROUP, owners=OWNERS)


def quarters_of(context: dg.AssetExecutionContext) -> list[dt.datetime]:
    """The first instant (UTC) of every quarter of the run, in order."""
    return [ASSESSMENT_PARTITIONS.time_window_for_partition_key(k).start for k in sorted(context.partition_keys)]


@dg.asset(key=SCORES_KEY, kinds={"duckdb", "pandas"}, metadata={"partition_expr": "quarter_start"},
          deps=INPUTS, **COMMON)
def quarterly_scores(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> pd.DataFrame:
    """The seven 360 dimensions of each quarter, scored 0-100 (or manual / no data), with the decision."""
    rows, decisions = [], {}
    with duckdb.get_connection() as conn:
        for start in quarters_of(context):
            when = read.as_of(start)
            assessment = assess(read.read_inputs(conn, start, when))
            rows += to_rows(start, when, read.label(start), assessment)
            decisions[read.label(start)] = assessment.decision.decision
    df = frame(rows, SCORE_COLUMNS)
    ensure_table(duckdb, ["assessment", "quarterly_scores"], df)
    context.add_output_metadata({"dagster/row_count": len(df), "quarters": len(decisions),
                                 "decisions": dg.MetadataValue.json(decisions)})
    return df


@dg.asset(key=["assessment", "report"], kinds={"github", "markdown"}, deps=[SCORES_KEY, *INPUTS], **COMMON)
def report(context: dg.AssetExecutionContext, duckdb: DuckDBResource, docs_repo: DocsRepo) -> dg.MaterializeResult:
    """docs/assessments/Q{n}-{year}.md for each quarter, committed dated at its as-of instant."""
    rendered = []
    with duckdb.get_connection() as conn:
        exists = table_exists(conn, "assessment", "quarterly_scores")
        for start in quarters_of(context):
            when, quarter = read.as_of(start), read.label(start)
            rows = [] if not exists else conn.execute(
                "SELECT * FROM assessment.quarterly_scores WHERE quarter_start = ? ORDER BY position",
                [start.replace(tzinfo=None)]).df().to_dict("records")
            assessment = from_rows(rows)
            risks = read.risks(read.read_inputs(conn, start, when))
            rendered.append((quarter, when, render(quarter, when, assessment, risks),
                             "no data" if assessment is None else assessment.decision.decision))
    published, unchanged = [], []
    for quarter, when, markdown, decision in rendered:  # DuckDB closed: publishing may take a while
        path = report_path(quarter)
        sha = docs_repo.publish({path: markdown}, f"360 plan assessment {quarter} (Stage 10.8): {decision}", when)
        (published if sha else unchanged).append(path)
    return dg.MaterializeResult(metadata={
        "published": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in published) or "_none_"),
        "unchanged": len(unchanged), "reports": len(rendered),
    })
