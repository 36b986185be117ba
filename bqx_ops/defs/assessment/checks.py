"""Stage 10.8's own promise: all 7 dimensions scored or explicitly marked manual, every assessed quarter."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.assessment.score import DIMENSIONS, MANUAL, NO_DATA, SCORED
from bqx_ops.db import table_exists
from bqx_ops.defs.assessment.assets import SCORES_KEY
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
