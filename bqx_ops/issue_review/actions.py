"""Action items for P0/P1 issues and the outbox intents of a review (payloads only; no I/O).

Every P0 and P1 issue of the inventory has an action item: an Airtable Task keyed on
the issue's fingerprint (``Task Key``), owned per the rules, due at the SLA. The
notifications asset upserts it only when it differs from the last upsert enqueued
by an earlier review, so a review where nothing moved sends nothing. The review sets a Task's
Status only when it creates it (Todo) or when the issue is resolved (Done): a Status
someone set by hand while the issue is open is left alone.
"""

from __future__ import annotations

from bqx_ops import slack_text
from bqx_ops.frames import frame
from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import as_date, records, text
from bqx_ops.issue_review.model import ACTION_COLUMNS, OPEN, ReviewPeriod, one_line

URGENT = ("P0", "P1")
TASKS_TABLE = "Tasks"
MAX_NAME = 250


def action_items(inventory: pd.DataFrame, tasks: pd.DataFrame | None, period: ReviewPeriod) -> pd.DataFrame:
    existing = {text(t.get("task_key")) for t in records(tasks)} if tasks is not None else set()
    rows = []
    for r in records(inventory):
        if r["priority"] not in URGENT:
            continue
        is_open = r["state"] == OPEN
        row = {
            "period_start": period.start, "period_end": period.end, "task_key": r["fingerprint"],
            "name": one_line(r["title"], MAX_NAME), "priority": r["priority"], "category": r["category"],
            "owner": r["owner"], "due_date": pd.Timestamp(r["sla_due_at"]).normalize(),
            "status": "Todo" if is_open else "Done", "sets_status": (not is_open) or r["fingerprint"] not in existing,
            "stage_record_id": r["stage_record_id"], "source": r["source"], "url": r["url"],
            "notes": one_line(" ".join(x for x in ("Issue review:", r["source"], r["source_ref"], r["url"]) if x), 1000),
        }
        rows.append(row)
    rows.sort(key=lambda a: (a["status"] != "Todo", a["priority"], a["due_date"], a["task_key"]))
    return frame(rows, ACTION_COLUMNS)


def task_fields(row: dict) -> dict:
    """The Airtable Tasks fields of one action item (logical field names)."""
    fields = {"Task Key": row["task_key"], "Name": row["name"], "Priority": row["priority"],
              "Owner": row["owner"], "Due Date": as_date(row["due_date"]).isoformat(), "Notes": row["notes"]}
    if row.get("category"):
        fields["Category"] = row["category"]
    if row.get("stage_record_id"):
        fields["Stage"] = [row["stage_record_id"]]
    if row.get("sets_status"):
        fields["Status"] = row["status"]
    return fields


def task_intent(row: dict, period: ReviewPeriod) -> tuple[str, dict]:
    """(outbox key, airtable payload): one upsert per review and task, keyed on the fingerprint."""
    key = f"issue-review/{period.report_date.isoformat()}/task/{row['task_key']}"
    return key, {"table": TASKS_TABLE, "merge_on": ["Task Key"], "records": [task_fields(row)]}


def slack_intent(inventory: pd.DataFrame, period: ReviewPeriod, report_path: str,
                 limit: int = 10) -> tuple[str, dict] | None:
    """(outbox key, slack payload) when the review has open P0/P1 issues, else None."""
    urgent = [r for r in records(inventory) if r["state"] == OPEN and r["priority"] in URGENT]
    if not urgent:
        return None
    counts = {p: sum(r["priority"] == p for r in urgent) for p in URGENT}
    breached = sum(bool(r["breached"]) for r in urgent)
    lines = [f"*Issue review {period.report_date.isoformat()}*: {counts['P0']} P0 and {counts['P1']} P1 open "
             f"({breached} past SLA). Report: {slack_text.escape(report_path)}"]
    for r in urgent[:limit]:
        due = pd.Timestamp(r["sla_due_at"]).strftime("%Y-%m-%d %H:%M")
        late = " — SLA breached" if r["breached"] else ""
        lines.append(f"• [{r['priority']}] {slack_text.escape(one_line(r['title'], 150))} "
                     f"(owner {slack_text.escape(str(r['owner']))}, due {due} UTC{late})")  # a name is text too
    if len(urgent) > limit:
        lines.append(f"… and {len(urgent) - limit} more in the report.")
    return f"issue-review/{period.report_date.isoformat()}/slack", {"text": "\n".join(lines)}
