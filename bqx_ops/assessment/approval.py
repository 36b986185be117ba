"""RM-001's approval of a final 360 assessment, and the follow-through in Airtable.

The loop (Level 3 autonomy, "RM Approval"):

1. The final assessment asks for approval: a Decisions record titled ``approval_title(quarter)``
   (upserted on Title, so a retry never makes a second one) and one Slack message. The request
   never writes the Approval field: that is RM-001's.
2. RM-001 answers by setting Approval to Approved or Rejected on that record.
3. On Approved, the proposed Airtable updates of the assessment are applied as upserts (one
   outbox intent per table and quarter: applied once). On Rejected, nothing is applied; the
   rejection is recorded and reported.
4. Follow-through: approved updates must show in Airtable within ``FOLLOW_UP`` of the request
   (the seed: "Adjustments reflected in Airtable within 1 week"); a request still unanswered
   after that is overdue too.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from bqx_ops.base_schema import COPIES
from bqx_ops.plan_update.fmt import plural

APPROVED, REJECTED, PENDING = "Approved", "Rejected", "Pending"
REQUEST_PREFIX = "Approval requested for the 360 assessment"
FOLLOW_UP = dt.timedelta(weeks=1)
# follow-through states
ON_TIME, WAITING, OVERDUE, NOT_APPLIED, APPLIED, DECLINED = (
    "pending (within a week)", "waiting", "unanswered after a week", "approved, not in Airtable after a week",
    "applied", "rejected")


def approver() -> str:
    """Who approves a final 360 assessment: the configuration's ``roles.approver``."""
    from bqx_ops.config import person

    return person("approver")


def approval_title(quarter: str) -> str:
    return f"360 assessment {quarter}: approval request"


def request_fields(quarter: str, day: dt.date, decision: str, overall: float | None, report: str,
                   documents: list[str], updates: int) -> dict:
    """The Decisions record of the request (no Approval field: RM-001 sets it)."""
    alignment = "no data" if overall is None else f"{overall:.1f}%"
    docs = ", ".join([report, *documents])
    return {"Title": approval_title(quarter), "Date": day.isoformat(),
            "Decision": f"{REQUEST_PREFIX} {quarter}: {decision} (alignment {alignment}).",
            "Rationale": f"{approver()}: set Approval to Approved or Rejected. Documents: {docs}. "
                         f"{plural(updates, 'proposed Airtable update')} {'is' if updates == 1 else 'are'} "
                         "applied on approval."}


def slack_text(quarter: str, decision: str, overall: float | None, report: str) -> str:
    alignment = "no data" if overall is None else f"{overall:.1f}%"
    return (f"{approver()}: the final 360 assessment {quarter} needs your approval. Decision: {decision}, "
            f"alignment {alignment}. Report: {report}. Answer in Airtable Decisions "
            f"\u201c{approval_title(quarter)}\u201d (Approval: Approved / Rejected).")


@dataclass(frozen=True)
class Answer:
    status: str  # Approved, Rejected or Pending
    decided_by: str | None = None
    decided_at: str | None = None  # the record's Last Modified when answered
    note: str | None = None


def answer_of(fields: dict | None) -> Answer:
    """RM-001's answer on the request record's fields (None: the record is not there yet). A request
    copied in Airtable (``COPIES``) is answered by the copy that holds an answer; copies answering
    differently (one Approved, one Rejected) answer nothing: neither is applied, and the note says why."""
    if fields and fields.get(COPIES):
        return answer_of_copies(fields[COPIES])
    if not fields:
        return Answer(PENDING)
    value = fields.get("Approval")
    if value not in (APPROVED, REJECTED):
        return Answer(PENDING)
    note = (fields.get("Decision") or "").strip()
    if not note or note.startswith(REQUEST_PREFIX):  # the request's own words, not the approver's note
        note = None
    return Answer(value, fields.get("Decided By"), fields.get("Last Modified"), note)


def answer_of_copies(copies: list[dict]) -> Answer:
    answered = [answer_of(c) for c in copies if isinstance(c, dict) and c.get("Approval") in (APPROVED, REJECTED)]
    statuses = sorted({a.status for a in answered})
    if len(statuses) == 1:
        return answered[0]
    if not statuses:
        return Answer(PENDING)
    return Answer(PENDING, note=f"the approval request is in Airtable {len(copies)} times, answered "
                               f"{' and '.join(statuses)}: which answer holds cannot be told, neither is applied")


def rejection_text(quarter: str, note: str | None) -> str:
    """The Slack text of a rejection (plain; the caller escapes it), quoting the approver's note if any."""
    said = f": {note.rstrip()}" if note else "."
    if note and not said.endswith((".", "!", "?")):
        said += "."
    return f"{approver()} rejected the 360 assessment {quarter}{said} No Airtable update is applied."


def _same(a, b) -> bool:
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), abs_tol=0.005)
    return a == b


def missing_updates(proposed: list[dict], current: dict[tuple[str, str], dict]) -> list[dict]:
    """The proposed field values Airtable does not hold; ``current`` maps (table, key) -> fields."""
    out = []
    for p in proposed:
        have = current.get((p["table"], p["key"])) or {}
        if not _same(have.get(p["field"]), p["value"]):
            out.append({**p, "found": have.get(p["field"])})
    return out


def follow_through(requested_at: dt.datetime, answer: Answer, missing: list[dict], now: dt.datetime) -> str:
    """The state of one request at ``now``: OVERDUE and NOT_APPLIED fail the check."""
    late = now > requested_at + FOLLOW_UP
    if answer.status == REJECTED:
        return DECLINED
    if answer.status == PENDING:
        return OVERDUE if late else ON_TIME
    if not missing:
        return APPLIED
    return NOT_APPLIED if late else WAITING


FAILING = (OVERDUE, NOT_APPLIED)
