"""Stage status transitions of a week: last week's as-of snapshot against this week's.

A stage's path is its status in last week's snapshot, in each snapshot taken during
the week (when there are any) and in this week's, with repeats collapsed. A path that
ever goes back (Done -> In Progress, In Progress -> Todo, ...) is ``backward``; one
that jumps Todo -> Done without an In Progress snapshot in between is ``skipped``;
both are flagged. A stage started and finished inside one week is therefore a normal
forward move when a mid-week snapshot saw it In Progress.

Records missing from a snapshot because validation quarantined them are not
"removed": they are ``quarantined`` (gone this week) or ``restored`` (back this week).
"""

from __future__ import annotations

from bqx_ops.base_schema import STATUSES
from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import records, stage_key, text

RANK = {status: i for i, status in enumerate(STATUSES)}
FORWARD, SKIPPED, BACKWARD = "forward", "skipped", "backward"
ADDED, REMOVED, QUARANTINED, RESTORED = "added", "removed", "quarantined", "restored"
FLAGGED = (SKIPPED, BACKWARD)
ARROW = " → "

TRANSITION_COLUMNS = {
    "record_id": "string", "stage_id": "string", "name": "string", "phase_id": "string", "owner": "string",
    "status_before": "string", "status_now": "string", "path": "string", "kind": "string", "flagged": "bool",
}


def _path(statuses: list[str | None]) -> list[str]:
    out: list[str] = []
    for status in statuses:
        if status is not None and (not out or out[-1] != status):
            out.append(status)
    return out


def _kind(path: list[str]) -> str | None:
    if len(path) < 2:
        return None
    steps = [RANK.get(b, -1) - RANK.get(a, -1) for a, b in zip(path, path[1:])]
    if any(step < 0 for step in steps):
        return BACKWARD
    return SKIPPED if any(step > 1 for step in steps) else FORWARD


def stage_transitions(
    before: pd.DataFrame,
    now: pd.DataFrame,
    during: list[pd.DataFrame] | None = None,
    quarantined_before: set[str] | frozenset = frozenset(),
    quarantined_now: set[str] | frozenset = frozenset(),
) -> pd.DataFrame:
    """Stages whose status changed, were added, removed, quarantined or restored; in stage order.

    ``during``: the stage rows of the snapshots taken between the two, oldest first.
    """
    old = {r["record_id"]: r for r in records(before)}
    new = {r["record_id"]: r for r in records(now)}
    middle = [{r["record_id"]: text(r.get("status")) for r in records(df)} for df in (during or [])]
    rows = []
    for rid in sorted(set(old) | set(new)):
        was, is_ = old.get(rid), new.get(rid)
        status_before = text(was.get("status")) if was else None
        status_now = text(is_.get("status")) if is_ else None
        path = _path([status_before, *(m.get(rid) for m in middle), status_now])
        if was and is_:
            kind = _kind(path)
        elif is_:
            kind = RESTORED if rid in quarantined_before else ADDED
        else:
            kind = QUARANTINED if rid in quarantined_now else REMOVED
        if kind is None:
            continue
        ref = is_ or was
        rows.append({
            "record_id": rid, "stage_id": text(ref.get("stage_id")), "name": text(ref.get("name")),
            "phase_id": text(ref.get("phase_id")), "owner": text(ref.get("owner")),
            "status_before": status_before, "status_now": status_now, "path": ARROW.join(path),
            "kind": kind, "flagged": kind in FLAGGED,
        })
    rows.sort(key=lambda r: (stage_key(r["stage_id"]), r["record_id"]))
    return frame(rows, TRANSITION_COLUMNS)
