"""``aws/api_latency``: the inference API's daily p95 from every landed GetMetricData response."""

import datetime as dt

import dagster as dg

from bqx_ops.calendar import UTC
from dagster_duckdb import DuckDBResource

from bqx_ops.dashboard import revisions
from bqx_ops.dashboard.costs import file_month
from bqx_ops.dashboard.latency import LatencyProblem, merge, parse_response
from bqx_ops.defs.dashboard.assets import GROUP, OWNERS
from bqx_ops.defs.docs_sync.weeks import run_now
from bqx_ops.frames import frame
from bqx_ops.landing import read_json, why_unreadable
from bqx_ops.resources.metrics import LatencySource

LATENCY_COLUMNS = {"day": "datetime64[us]", "p95_ms": "float64"}
PROBLEM_COLUMNS = {"day": "datetime64[us]", "problem": "string"}


@dg.asset(key=["aws", "api_latency"], group_name=GROUP, owners=OWNERS, kinds={"aws", "duckdb"},
          pool="duckdb")
def api_latency(context: dg.AssetExecutionContext, api_latency: LatencySource, duckdb: DuckDBResource):
    """Daily p95 latency (ms) of the inference API from landing/aws/metrics/<metric>/*.json, rebuilt whole."""
    fetched = api_latency.land(dt.datetime.now(UTC).date())  # live: the last two weeks; embedded: nothing
    spec, files, parsed, quarantine, unusable = api_latency.spec, api_latency.files(), [], [], set()
    for path in files:
        try:
            doc = read_json(path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            quarantine.append(LatencyProblem(f"{path.name}: unreadable JSON ({why_unreadable(exc)})"))  # no local path
            unusable.add(file_month(path.name) or revisions.ANY_MONTH)
            continue
        rows, problems = parse_response(path.name, doc, spec)
        if problems and not rows:  # a file with nothing usable: its days are unknown now, not gone
            unusable.add(file_month(path.name) or revisions.ANY_MONTH)
        parsed.append((path.name, rows))
        quarantine += problems
    points = merge(parsed)
    # beside the points, so the dashboard says which of its week's points were left out and why
    problems = frame([{"day": None if p.day is None else dt.datetime.combine(p.day, dt.time()), "problem": p.problem}
                      for p in quarantine], PROBLEM_COLUMNS)
    with duckdb.get_connection() as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS aws")
        conn.execute("CREATE OR REPLACE TABLE aws.latency_problems AS SELECT * FROM problems")
        # what changed since the last fetch, dated: a past week reads the p95 known then
        revisions.record(conn, [(p.day, "p95_ms", p.p95_ms) for p in points], run_now(context), unusable,
                         revisions.LATENCY)
    df = frame([{"day": dt.datetime.combine(p.day, dt.time()), "p95_ms": p.p95_ms} for p in points], LATENCY_COLUMNS)
    context.add_output_metadata({
        "dagster/row_count": len(df), "files": len(files), "fetched": ", ".join(fetched) or "none",
        "metric": f"{spec.namespace} {spec.metric} {dict(spec.dimensions)} {spec.stat}" if spec
                  else "not configured (aws.latency): no data",
        "first_day": str(points[0].day) if points else "none", "last_day": str(points[-1].day) if points else "none",
        "quarantined": len(quarantine), "quarantine": dg.MetadataValue.json([p.problem for p in quarantine][:200])})
    return df
