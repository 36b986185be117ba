"""What the weekly plan update produces from its tables: the dashboard, the report, the write-back."""

import datetime as dt

import dagster as dg
import duckdb as duckdb_lib
from dagster_duckdb import DuckDBResource

from bqx_ops import outbox
from bqx_ops.calendar import UTC
from bqx_ops.db import transaction
from bqx_ops.defs.plan_update.assets import COMMON
from bqx_ops.defs.plan_update.tables import (
    DASHBOARD_COLUMNS,
    GROUP,
    OWNERS,
    PARTITION_META,
    SCHEMA,
    output,
    stamp,
    table_frame,
)
from bqx_ops.defs.plan_update.week_tables import WeekTables
from bqx_ops.defs.plan_update.weeks import Week, baseline, carried_records, run_weeks, week_snapshots
from bqx_ops.lazy import pd
from bqx_ops.plan_update import dashboard as dash
from bqx_ops.plan_update import writeback
from bqx_ops.plan_update.common import records
from bqx_ops.plan_update.report import WeekReport, render_report, report_path
from bqx_ops.plan_update.targets import PlanTargets, configured_targets, pick
from bqx_ops.docs_sync.queue import Publication, publish_or_queue
from bqx_ops.resources.docs_repo import DocsRepo
from bqx_ops.snapshots import Snapshots

REPORT_TABLES = (
    "stage_transitions", "overdue_stages", "stage_cost_variance", "phase_cost_variance", "budget_variance",
    "phase_timeline_variance", "plan_timeline", "r2_evaluations", "r2_trend", "r2_drops", "adjusted_estimates",
    "forecast_at_completion", "learnings", "decisions", "dashboard",
)
WRITEBACK_TABLES = ("phase_status_notes", "stage_cost_variance", "adjusted_estimates")


def _key(name: str) -> dg.AssetKey:
    return dg.AssetKey([SCHEMA, name])


def _first(df: "pd.DataFrame") -> dict:
    rows = records(df)
    return rows[0] if rows else {}


def _targets(budget: dict, timeline: dict, r2: dict) -> PlanTargets:
    """The week's targets as its tables recorded them (from the plan), else the configuration's."""
    seed = configured_targets()
    days_min, days_max = pick(timeline.get("days_min"), seed.days_min), pick(timeline.get("days_max"), seed.days_max)
    return PlanTargets(
        plan_id=timeline.get("plan_id"), budget=pick(budget.get("budget"), seed.budget),
        days_min=None if days_min is None else int(days_min), days_max=None if days_max is None else int(days_max),
        r2_min=pick(r2.get("target_min"), seed.r2_min), r2_max=pick(r2.get("target_max"), seed.r2_max),
    )


@dg.asset(
    key=[SCHEMA, "dashboard"], group_name=GROUP, owners=OWNERS, kinds={"duckdb", "pandas"}, metadata=PARTITION_META,
    deps=[_key(n) for n in ("budget_variance", "plan_timeline", "r2_trend", "phase_timeline_variance")], **COMMON,
)
def dashboard(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """The seed's four-line plan dashboard for each week, with its figures."""
    rows = []
    with duckdb.get_connection() as conn:
        weeks = run_weeks(context)
        tables = WeekTables(conn, [period.start for _, period in weeks])
        snapshots = week_snapshots(conn, weeks)
        for key, period in weeks:
            budget, timeline = (_first(tables.get(n, period.start)) for n in ("budget_variance", "plan_timeline"))
            r2 = _first(tables.get("r2_trend", period.start))
            statuses = tables.get("phase_timeline_variance", period.start).get("status", pd.Series(dtype=str))
            counts = dash.phase_counts(statuses.tolist())
            targets = _targets(budget, timeline, r2)
            week = Week(key, period, snapshots.snapshot(period.as_of))
            if week.snapshot_date is None:  # no data is not zero: never "Phases: 0 total"
                counts = {k: None for k in counts}
                lines = [dash.no_snapshot_line(period.as_of.date())] + [None] * 3
            else:
                lines = dash.dashboard_lines(counts, targets, budget, timeline, r2)
            rows += stamp(week, [{
                "plan_id": targets.plan_id, "phases_total": counts["total"], "phases_complete": counts["complete"],
                "phases_in_progress": counts["in progress"], "phases_todo": counts["todo"], "budget": targets.budget,
                "realized_cost": budget.get("spent_cost"), "budget_variance_pct": budget.get("variance_pct"),
                "days_min": targets.days_min, "days_max": targets.days_max,
                "elapsed_days": timeline.get("elapsed_days"),
                "schedule_variance_days": timeline.get("schedule_variance_days"),
                "r2_current": r2.get("current_r2"), "r2_target_min": targets.r2_min,
                "r2_target_max": targets.r2_max, "r2_trend": r2.get("trend"),
                "phases_line": lines[0], "budget_line": lines[1], "timeline_line": lines[2], "r2_line": lines[3],
                "block": "\n".join(line for line in lines if line),
                "snapshot_age_days": None if week.snapshot_date is None
                else (period.as_of.date() - week.snapshot_date).days,
            }])
    result = output(duckdb, "dashboard", table_frame(rows, DASHBOARD_COLUMNS), ["period_start", "block"])
    context.add_output_metadata(dict(result.metadata))
    return result.value


def week_report(conn: duckdb_lib.DuckDBPyConnection, week: Week, tables: WeekTables | None = None,
                snapshots: Snapshots | None = None) -> WeekReport:
    """One week's report content, read back from the plan tables (``tables``: the run's weeks, read once;
    ``snapshots``: the run's as-of reader)."""
    tables = tables or WeekTables(conn, [week.period.start])
    snapshots = snapshots or week_snapshots(conn, [(week.key, week.period)])
    t = {name: tables.get(name, week.period.start) for name in REPORT_TABLES}
    board = _first(t["dashboard"])
    budget, timeline, r2 = _first(t["budget_variance"]), _first(t["plan_timeline"]), _first(t["r2_trend"])
    previous, first = baseline(snapshots, week.period, week.snapshot_date)
    return WeekReport(
        period_start=week.period.start, period_end=week.period.end, snapshot_date=week.snapshot_date,
        previous_snapshot_date=previous, baseline_is_first=first, targets=_targets(budget, timeline, r2),
        dashboard=(board.get("block") or "").splitlines(), budget=budget, timeline=timeline, r2=r2,
        forecast=_first(t["forecast_at_completion"]), transitions=t["stage_transitions"], overdue=t["overdue_stages"],
        stage_costs=t["stage_cost_variance"], phase_costs=t["phase_cost_variance"],
        phase_times=t["phase_timeline_variance"], evaluations=t["r2_evaluations"], drops=t["r2_drops"],
        adjusted=t["adjusted_estimates"], learnings=t["learnings"], decisions=t["decisions"],
        carried=carried_records(conn, week.period.as_of, snapshots=snapshots),
    )


@dg.asset(
    key=[SCHEMA, "weekly_report"], group_name=GROUP, owners=OWNERS, kinds={"github", "markdown"},
    deps=[_key(n) for n in REPORT_TABLES], **COMMON,
)
def weekly_report(context: dg.AssetExecutionContext, duckdb: DuckDBResource,
                  docs_repo: DocsRepo) -> dg.MaterializeResult:
    """docs/plan-updates/YYYY-MM-DD.md for each week, committed through the docs repo."""
    written, commits, queued = [], [], 0
    with duckdb.get_connection() as conn:
        reports, weeks = [], run_weeks(context)
        tables = WeekTables(conn, [period.start for _, period in weeks])
        snapshots = week_snapshots(conn, weeks)
        for key, period in weeks:
            week = Week(key, period, snapshots.snapshot(period.as_of))
            report = week_report(conn, week, tables, snapshots)
            reports.append((period, render_report(report), report.dashboard))
    for period, markdown, lines in reports:  # DuckDB closed: publishing may take a while
        path = report_path(period.report_date)
        message = f"Plan update {period.report_date.isoformat()}\n\n" + "\n".join(lines)
        sha, outcome = publish_or_queue(docs_repo, duckdb, context.run.tags, Publication(
            "plan_update", period.report_date.isoformat(), period.end, message, {path: markdown}))
        written.append(path)
        queued += outcome == "queued"
        if sha:
            commits.append(sha)
    return dg.MaterializeResult(metadata={
        "reports": len(written), "commits": len(commits), "queued_for_ordered_publication": queued,
        "paths": dg.MetadataValue.md("\n".join(f"- `{p}`" for p in written) or "_none_"),
    })


def _enqueue(conn, context, key: str, period, name: str, table: str, key_field: str, rows: list[dict]) -> str | None:
    if not rows:
        return None
    return outbox.enqueue(
        conn, f"plan_update/{period.report_date.isoformat()}/{name}", "airtable",
        writeback.upsert_payload(table, key_field, rows),
        outbox.Producer(asset="plan/airtable_writeback", partition=key, run_id=context.run.run_id),
        period_end=period.end, now=dt.datetime.now(UTC),
    )


@dg.asset(
    key=[SCHEMA, "airtable_writeback"], group_name=GROUP, owners=OWNERS, kinds={"airtable", "duckdb"},
    deps=[_key(n) for n in WRITEBACK_TABLES], **COMMON,
)
def airtable_writeback(context: dg.AssetExecutionContext, duckdb: DuckDBResource) -> dg.MaterializeResult:
    """Phase status notes, realized-cost confirmations and adjusted estimates, upserted via the outbox."""
    outcomes: dict[str, int] = {}
    records_written = 0
    with duckdb.get_connection() as conn:
        weeks = run_weeks(context)
        tables = WeekTables(conn, [period.start for _, period in weeks])
        snapshots = week_snapshots(conn, weeks)
        for key, period in weeks:
            stages = snapshots.rows("stages", snapshots.snapshot(period.as_of))
            batches = [
                ("phase_notes", "Phases", "Phase ID",
                 writeback.phase_note_updates(tables.get("phase_status_notes", period.start))),
                ("realized_costs", "Stages", "Stage ID",
                 writeback.realized_confirmations(tables.get("stage_cost_variance", period.start), stages)),
                ("adjusted_estimates", "Stages", "Stage ID",
                 writeback.adjusted_estimate_notes(tables.get("adjusted_estimates", period.start), stages)),
            ]
            with transaction(conn):  # the week's intents, all or none, in one commit
                for name, table, key_field, rows in batches:
                    outcome = _enqueue(conn, context, key, period, name, table, key_field, rows)
                    if outcome:
                        outcomes[outcome] = outcomes.get(outcome, 0) + 1
                        records_written += len(rows)
    return dg.MaterializeResult(metadata={
        "intents": dg.MetadataValue.json(dict(sorted(outcomes.items()))), "records": records_written,
    })
