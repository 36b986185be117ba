"""The followed plan's records: a base may hold several plans (another team's, an earlier one, both
Active). Every figure is about the plan the configuration follows (``project.plan_id``, else the
first Active plan: ``plan_update.targets.plan_targets``), so the phases linked to another Plans record,
and the stages of those phases, are left out of what the reports read.

Only records known to belong to another plan are left out: a phase whose plan link names no Plans
record of the snapshot, or a stage whose phase is not in it, stays (validation quarantines dangling
links; nothing is dropped on a guess).
"""

from __future__ import annotations

from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import text

SCOPED = ("phases", "stages")  # the tables linked to a plan, directly or through a phase


def other_plans(plans: pd.DataFrame) -> set[str]:
    """Record ids of the Plans records other than the followed one (empty with one plan or none)."""
    from bqx_ops.plan_update.targets import plan_targets

    # the ids alone: asked for every snapshot read, where a whole frame's records cost ~0.2 ms
    ids = {text(v) for v in plans["record_id"]} - {None} if plans is not None and "record_id" in plans else set()
    if len(ids) < 2:
        return set()
    followed = plan_targets(plans).record_id
    return ids - {followed} if followed else set()


def other_phases(phases: pd.DataFrame, others: set[str]) -> set[str]:
    """Record ids of the phases linked to one of ``others``."""
    if not others or phases is None or phases.empty or "plan_id" not in phases:
        return set()
    return set(phases.loc[phases["plan_id"].isin(others), "record_id"].dropna())


def scoped(table: str, df: pd.DataFrame, plans: pd.DataFrame, phases: pd.DataFrame | None = None) -> pd.DataFrame:
    """``df`` (rows of ``table`` in one snapshot) without the records of another plan; ``phases``: every
    phase of that snapshot (needed for stages)."""
    if table not in SCOPED or df.empty:
        return df
    return _without(table, df, other_plans(plans), lambda: phases)


def _without(table: str, df: pd.DataFrame, others: set[str], phases) -> pd.DataFrame:
    """``df`` without the records of the plans ``others``; ``phases()``: the snapshot's phases (stages)."""
    if not others:
        return df
    if table == "phases":
        keep = ~df["plan_id"].isin(others)
    else:
        keep = ~df["phase_id"].isin(other_phases(phases(), others))
    return df if keep.all() else df[keep].reset_index(drop=True)


def scoped_by(table: str, df: pd.DataFrame, read) -> pd.DataFrame:
    """``scoped`` for a reader of one snapshot: ``read(name)`` gives that snapshot's rows of another table
    (quarantined records carried). Phases are read only for stages, and only when another plan exists."""
    if table not in SCOPED or df.empty:
        return df
    return _without(table, df, other_plans(read("plans")), lambda: read("phases"))


def left_out(table: str, read) -> set[str]:
    """Record ids of one snapshot's ``table`` that ``scoped_by`` leaves out: another plan's records, for
    a reader matching rows of another table to them (a task to its stage). ``read(name)``: that
    snapshot's rows of a table; with one plan in the base only the plans are read."""
    if table not in SCOPED:
        return set()
    others = other_plans(read("plans"))
    df = read(table) if others else None
    if df is None or df.empty:
        return set()
    kept = _without(table, df, others, lambda: read("phases"))
    return set(df["record_id"].dropna()) - set(kept["record_id"].dropna())
