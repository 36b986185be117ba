"""The weekly plan update's tables: one row set per Friday-to-Friday week, from its as-of snapshot.

Partitioned by PLAN_UPDATE_PARTITIONS; a backfill of many weeks runs as one run
(single-run policy) and each asset walks the weeks of ``context.partition_time_window``.
The maths are in ``bqx_ops.plan_update``; these assets only read snapshots and write tables.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops import config as project_config
from bqx_ops.defs.cadence.partitions import PLAN_UPDATE_PARTITIONS
from bqx_ops.defs.plan_update.tables import (
    BUDGET_COLUMNS, DECISION_COLUMNS, FORECAST_COLUMNS, LEARNING_COLUMNS, PLAN_TIMELINE_COLUMNS, R2_TREND_COLUMNS,
    T, out, output, stamp, table_frame,
)
from bqx_ops.defs.plan_update.weeks import airtable_deps, load_weeks
from bqx_ops.plan_update import estimates, journal, r2, timeline, transitions, variance, writeback
from bqx_ops.plan_update.common import records

COMMON = dict(partitions_def=PLAN_UPDATE_PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run(), pool="duckdb")


@dg.multi_asset(
    name="plan_transitions",
    outs={"stage_transitions": out("stage_transitions",
                                   "Stage status changes of the week; backward moves and skips flagged."),
          "overdue_stages": out("overdue_stages", "In Progress stages past their estimated working days.")},
    deps=airtable_deps("stages", "quarantine"), **COMMON,
)
def plan_transitions(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """Stage transitions against last week's as-of snapshot, and overdue stages."""
    moved, overdue = [], []
    recurring = project_config.current().recurring_stages  # operational stages never complete: never overdue
    with duckdb.get_connection() as conn:
        for week in load_weeks(conn, context, ("stages",), transitions=True):
            if week.previous_stages is not None:
                changes = transitions.stage_transitions(week.previous_stages, week["stages"], week.stages_during,
                                                        week.quarantined_before, week.quarantined_now)
                moved += stamp(week, [{"previous_snapshot_date": week.previous_snapshot_date, **r}
                                      for r in records(changes)])
            # transitions read the snapshot as it is (a quarantine is their event); the overdue list,
            # like every figure, counts a quarantined stage as its last valid version, marked carried
            current = week.snapshots.rows("stages", week.snapshot_date, carry_forward=True)
            overdue += stamp(week, records(timeline.overdue_stages(current, week.as_of, recurring,
                                                                   week.snapshot_date)))
    moved_df = table_frame(moved, {"previous_snapshot_date": T, **transitions.TRANSITION_COLUMNS})
    yield output(duckdb, "stage_transitions", moved_df, ["period_start", "stage_id", "path", "kind"],
                 flagged=int(moved_df["flagged"].sum()))
    yield output(duckdb, "overdue_stages", table_frame(overdue, timeline.OVERDUE_COLUMNS),
                 ["period_start", "stage_id", "days_over"])


@dg.multi_asset(
    name="plan_cost_variance",
    outs={"stage_cost_variance": out("stage_cost_variance", "Estimated vs realized cost per stage."),
          "phase_cost_variance": out("phase_cost_variance", "Cost variance of each phase's completed stages."),
          "budget_variance": out("budget_variance", "Plan totals: completed work against its estimates, ±15% band.")},
    deps=airtable_deps("stages", "phases", "plans"), **COMMON,
)
def plan_cost_variance(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """Cost variance per stage, per phase and for the plan against its budget."""
    stages, phases, totals = [], [], []
    with duckdb.get_connection() as conn:
        for week in load_weeks(conn, context, ("stages", "phases", "plans")):
            stages += stamp(week, records(variance.stage_cost_variance(week["stages"])))
            phases += stamp(week, records(variance.phase_cost_variance(week["stages"], week["phases"])))
            totals += stamp(week, [variance.budget_totals(week["stages"], week.targets)])
    yield output(duckdb, "stage_cost_variance", table_frame(stages, variance.STAGE_COST_COLUMNS))
    yield output(duckdb, "phase_cost_variance", table_frame(phases, variance.PHASE_COST_COLUMNS))
    yield output(duckdb, "budget_variance", table_frame(totals, BUDGET_COLUMNS),
                 ["period_start", "realized_cost", "variance_pct", "within_band"])


@dg.multi_asset(
    name="plan_timeline_variance",
    outs={"phase_timeline_variance": out("phase_timeline_variance", "Estimated vs actual working days per phase."),
          "plan_timeline": out("plan_timeline", "The plan's elapsed vs earned working days, ±20% band.")},
    deps=airtable_deps("stages", "phases", "plans"), **COMMON,
)
def plan_timeline_variance(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """Timeline variance per phase and for the plan against the plan's days band."""
    phases, plan = [], []
    with duckdb.get_connection() as conn:
        for week in load_weeks(conn, context, ("stages", "phases", "plans")):
            phases += stamp(week, records(timeline.phase_timeline(week["stages"], week["phases"], week.as_of)))
            row = timeline.plan_timeline(week["stages"], week["phases"], week.targets, week.as_of)
            plan += stamp(week, [{"plan_id": week.targets.plan_id, **row}])
    yield output(duckdb, "phase_timeline_variance", table_frame(phases, timeline.PHASE_TIMELINE_COLUMNS))
    yield output(duckdb, "plan_timeline", table_frame(plan, {"plan_id": "string", **PLAN_TIMELINE_COLUMNS}),
                 ["period_start", "elapsed_days", "earned_days", "variance_pct"])


@dg.multi_asset(
    name="plan_r2_trend",
    outs={"r2_evaluations": out("r2_evaluations", "Every model evaluation known as of the week, with its predecessor."),
          "r2_trend": out("r2_trend", "Current ensemble R² against the plan's target band and its 28-day trend."),
          "r2_drops": out("r2_drops", "R² drops greater than 0.05 between consecutive evaluations.")},
    deps=airtable_deps("model_results", "plans"), **COMMON,
)
def plan_r2_trend(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """R² per evaluation, the ensemble's current value and trend, and drops above 0.05."""
    evaluations, trend, drops = [], [], []
    with duckdb.get_connection() as conn:
        for week in load_weeks(conn, context, ("model_results", "plans")):
            results, targets = week["model_results"], week.targets
            evaluations += stamp(week, records(r2.r2_evaluations(results)))
            week_drops = records(r2.r2_drops(results))
            drops += stamp(week, week_drops)
            row = {k: v for k, v in r2.r2_trend(results, week.as_of, plan_horizons=targets.horizons).items()
                   if k != "latest_by_horizon"}
            current = row["current_r2"]
            trend += stamp(week, [{
                **row, "window_days": r2.TREND_WINDOW_DAYS, "target_min": targets.r2_min,
                "target_max": targets.r2_max, "evaluations": len(results), "drops": len(week_drops),
                "on_target": None if current is None or targets.r2_min is None or targets.r2_max is None
                else targets.r2_min <= current <= targets.r2_max,
            }])
    yield output(duckdb, "r2_evaluations", table_frame(evaluations, r2.R2_EVALUATION_COLUMNS))
    yield output(duckdb, "r2_trend", table_frame(trend, R2_TREND_COLUMNS),
                 ["period_start", "current_r2", "trend", "on_target"])
    yield output(duckdb, "r2_drops", table_frame(drops, r2.R2_DROP_COLUMNS),
                 ["period_start", "model", "horizon", "evaluated_on", "drop"])


@dg.multi_asset(
    name="plan_adjusted_estimates",
    outs={"adjusted_estimates": out("adjusted_estimates", "Adjusted cost and days of every stage not yet done."),
          "forecast_at_completion": out("forecast_at_completion", "Forecast total cost at completion vs the budget.")},
    deps=airtable_deps("stages", "phases", "plans"), **COMMON,
)
def plan_adjusted_estimates(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """Open stages' estimates scaled by how completed work compared with its estimates."""
    adjusted, forecast = [], []
    with duckdb.get_connection() as conn:
        for week in load_weeks(conn, context, ("stages", "phases", "plans")):
            frame_ = estimates.adjusted_estimates(week["stages"], week["phases"])
            adjusted += stamp(week, records(frame_))
            forecast += stamp(week, [estimates.forecast_at_completion(week["stages"], frame_, week.targets)])
    yield output(duckdb, "adjusted_estimates", table_frame(adjusted, estimates.ADJUSTED_COLUMNS),
                 ["period_start", "stage_id", "adjusted_cost", "adjusted_days"])
    yield output(duckdb, "forecast_at_completion", table_frame(forecast, FORECAST_COLUMNS),
                 ["period_start", "forecast_cost", "variance_pct", "within_band"])


@dg.multi_asset(
    name="plan_week_records",
    outs={"learnings": out("learnings", "Learnings recorded in Airtable during the week."),
          "decisions": out("decisions", "Decisions logged in Airtable during the week.")},
    deps=airtable_deps("learnings", "decisions"), **COMMON,
)
def plan_week_records(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """Learnings and decisions new in the week's snapshot since last week's."""
    found: dict[str, list] = {"learnings": [], "decisions": []}
    fields = {"learnings": journal.LEARNING_FIELDS, "decisions": journal.DECISION_FIELDS}
    with duckdb.get_connection() as conn:
        for week in load_weeks(conn, context, tuple(found)):
            for table in found:
                previous_day = week.snapshots.snapshot(week.period.start)
                previous = week.snapshots.rows(table, previous_day)
                rows = journal.recorded_in_week(week[table], previous if previous_day else None,
                                                week.period.start, week.period.end, fields[table])
                found[table] += stamp(week, rows)
    yield output(duckdb, "learnings", table_frame(found["learnings"], LEARNING_COLUMNS), ["period_start", "title"])
    yield output(duckdb, "decisions", table_frame(found["decisions"], DECISION_COLUMNS), ["period_start", "title"])


@dg.asset(
    key=["plan", "phase_status_notes"], group_name="plan_update", owners=["team:COORD-001"],
    kinds={"duckdb", "pandas"}, metadata={"partition_expr": "period_start"},
    deps=airtable_deps("stages", "phases", "plans"), **COMMON,
)
def phase_status_notes(context: dg.AssetExecutionContext, duckdb: DuckDBResource):
    """Each phase's Notes as of the week and the latest-status line the update writes back."""
    rows = []
    with duckdb.get_connection() as conn:
        for week in load_weeks(conn, context, ("stages", "phases", "plans")):
            costs = variance.phase_cost_variance(week["stages"], week["phases"])
            times = timeline.phase_timeline(week["stages"], week["phases"], week.as_of)
            rows += stamp(week, records(writeback.phase_notes(week["phases"], costs, times, week.as_of)))
    df = table_frame(rows, writeback.PHASE_NOTE_COLUMNS)
    result = output(duckdb, "phase_status_notes", df, ["period_start", "phase_id", "has_notes", "changed"])
    context.add_output_metadata(dict(result.metadata))
    return result.value
