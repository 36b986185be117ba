"""RM-001's approval of each final 360 assessment, and the follow-through in Airtable (bqx_ops.assessment.approval).

``approval_request`` enqueues, for every quarter whose final is out, the Decisions record (upsert on
Title) and one Slack message. ``approval_outcome`` (run by ``assessment_approval_sensor`` when an
answer appears, or when a request is a week old) reads RM-001's answer through the Airtable
resource, records it in ``assessment.approvals``, and on approval enqueues the proposed updates
as one upsert per table; a rejection is recorded and announced on Slack.
"""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops import outbox
from bqx_ops.assessment import approval, proposals, read
from bqx_ops.assessment.report import adjustment_path, gap_plan_path, report_path
from bqx_ops.assessment.versions import WEEKS
from bqx_ops.calendar import UTC
from bqx_ops.db import table_exists
from bqx_ops.defs.airtable.assets import ensure_table
from bqx_ops.docs_sync.queue import files_of
from bqx_ops.defs.assessment.assets import (
    ASSESSMENT_PARTITIONS, GROUP, OWNERS, PROPOSALS_KEY, REPORT_KEY, SCORES_KEY, quarters_of, versions_of,
)
from bqx_ops.frames import frame
from bqx_ops.resources.airtable import AirtableSource
from bqx_ops.resources.docs_repo import DocsRepo
from bqx_ops.slack_text import escape

REQUEST_KEY = dg.AssetKey(["assessment", "approval_request"])
OUTCOME_KEY = dg.AssetKey(["assessment", "approval_outcome"])
APPROVAL_COLUMNS = {
    "quarter_start": "datetime64[us]", "quarter": "string", "requested_at": "datetime64[us]", "status": "string",
    "decided_by": "string", "decided_at": "string", "note": "string", "updates": "Int64", "intents": "string",
}
COMMON = dict(partitions_def=ASSESSMENT_PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run(),
              pool="duckdb", group_name=GROUP, owners=OWNERS)


def finals_of(context: dg.AssetExecutionContext) -> list[tuple[dt.datetime, dt.datetime]]:
    """(quarter start, final instant) of every quarter of the run whose final version is out."""
    out = []
    for start in quarters_of(context):
        done = versions_of(start)
        if done and done[-1].kind == "final":
            out.append((start, done[-1].instant))
    return out


def _scores(conn, start: dt.datetime) -> tuple[str, float | None]:
    row = conn.execute("SELECT decision, overall FROM assessment.quarterly_scores WHERE quarter_start = ? "
                       "ORDER BY position LIMIT 1", [start.replace(tzinfo=None)]).fetchone()
    return ("no data", None) if row is None else (row[0], None if row[1] != row[1] else row[1])


def _proposed(conn, start: dt.datetime) -> list[dict]:
    if not table_exists(conn, "assessment", "proposed_updates"):
        return []
    cur = conn.execute("SELECT * FROM assessment.proposed_updates WHERE quarter_start = ? ORDER BY position",
                       [start.replace(tzinfo=None)])
    names = [d[0] for d in cur.description]
    return proposals.from_rows([dict(zip(names, r)) for r in cur.fetchall()])


def written_documents(conn, docs_repo: DocsRepo, quarter: str) -> list[str]:
    """The final's gap remediation plan and adjustment proposal that the report wrote (each only when its
    finding calls for it): the request names those, never a file the approver cannot find. A replay's
    final is in the publication queue (maybe not committed yet); a scheduled one is in the repository."""
    paths = [gap_plan_path(quarter), adjustment_path(quarter)]
    queued = files_of(conn, "assessment", f"{quarter}/{WEEKS + 1}")
    if queued is not None:
        return [p for p in paths if queued.get(p) is not None]
    return [p for p in paths if docs_repo.read(p) is not None]


@dg.asset(key=REQUEST_KEY, kinds={"airtable", "slack"}, deps=[SCORES_KEY, PROPOSALS_KEY, REPORT_KEY], **COMMON)
def approval_request(context: dg.AssetExecutionContext, duckdb: DuckDBResource,
                     docs_repo: DocsRepo) -> dg.MaterializeResult:
    """RM-001's approval request of each final assessment: a Decisions record and a Slack message, via the outbox."""
    outcomes: dict[str, str] = {}
    now = dt.datetime.now(UTC)
    with duckdb.get_connection() as conn:
        for start, final in finals_of(context):
            quarter = read.label(start)
            decision, overall = _scores(conn, start)
            updates = _proposed(conn, start)
            documents = written_documents(conn, docs_repo, quarter)
            producer = outbox.Producer(asset="assessment/approval_request", partition=start.strftime("%Y-%m-%d"),
                                       run_id=context.run.run_id)
            record = approval.request_fields(quarter, final.date(), decision, overall, report_path(quarter),
                                             documents, len(updates))
            outcomes[f"{quarter} decision"] = outbox.enqueue(
                conn, f"assessment/{quarter}/approval-request/decision", "airtable",
                {"table": "Decisions", "merge_on": ["Title"], "records": [record]}, producer, final, now)
            outcomes[f"{quarter} slack"] = outbox.enqueue(
                conn, f"assessment/{quarter}/approval-request/slack", "slack",
                {"text": escape(approval.slack_text(quarter, decision, overall, report_path(quarter)))},
                producer, final, now)
    return dg.MaterializeResult(metadata={"intents": dg.MetadataValue.json(outcomes)})


@dg.asset(key=OUTCOME_KEY, kinds={"airtable", "duckdb"}, metadata={"partition_expr": "quarter_start"},
          deps=[REQUEST_KEY, PROPOSALS_KEY], **COMMON)
def approval_outcome(context: dg.AssetExecutionContext, duckdb: DuckDBResource,
                     airtable: AirtableSource):
    """RM-001's answer per final assessment; approved updates applied once as Airtable upserts, rejections reported."""
    finals = finals_of(context)
    titles = [approval.approval_title(read.label(s)) for s, _ in finals]
    found = airtable.find_records("Decisions", "Title", titles) if titles else {}
    rows, now = [], dt.datetime.now(UTC)
    with duckdb.get_connection() as conn:
        for start, final in finals:
            quarter = read.label(start)
            answer = approval.answer_of(found.get(approval.approval_title(quarter)))
            updates = _proposed(conn, start)
            producer = outbox.Producer(asset="assessment/approval_outcome", partition=start.strftime("%Y-%m-%d"),
                                       run_id=context.run.run_id)
            intents = []
            if answer.status == approval.APPROVED:
                for payload in proposals.upserts(updates):
                    key = f"assessment/{quarter}/apply/{payload['table']}"
                    intents.append(f"{key}: {outbox.enqueue(conn, key, 'airtable', payload, producer, now, now)}")
            elif answer.status == approval.REJECTED:
                key = f"assessment/{quarter}/approval-rejected"
                text = escape(approval.rejection_text(quarter, answer.note))
                intents.append(f"{key}: {outbox.enqueue(conn, key, 'slack', {'text': text}, producer, now, now)}")
            rows.append({"quarter_start": start.replace(tzinfo=None), "quarter": quarter,
                         "requested_at": final.replace(tzinfo=None), "status": answer.status,
                         "decided_by": answer.decided_by, "decided_at": answer.decided_at, "note": answer.note,
                         "updates": len(updates), "intents": "; ".join(intents)})
    df = frame(rows, APPROVAL_COLUMNS)
    ensure_table(duckdb, ["assessment", "approval_outcome"], df)
    context.add_output_metadata({"dagster/row_count": len(df), "answers": dg.MetadataValue.json(
        {r["quarter"]: r["status"] for r in rows})})
    return df
