"""Escalation of unresolved issues (seed: Escalation Paths, "Unresolved Issues"). Pure logic.

An issue of the inventory that is still open when its priority's SLA runs out is escalated
once at that priority's level (``unresolved.levels`` of the triage rules): P0 > 24 h to
RM-001, P1 > 1 week to ARCH-001, P2 > 2 weeks to QA-001, P3 > 1 month to its owner with
the question whether it is still relevant. The outbox key names the issue and the level,
so an escalation is enqueued once however often the sensor looks; a resolved issue is no
longer open, so nothing more is enqueued for it. Payloads hold only what is fixed when the
SLA ran out (never "now"), so looking again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from bqx_ops import slack_text
from bqx_ops.escalation import tenths_down
from bqx_ops.issue_review.actions import TASKS_TABLE
from bqx_ops.issue_review.model import OPEN
from bqx_ops.issue_review.rules import TriageRules
from bqx_ops.lazy import pd
from bqx_ops.plan_update.common import records

KEY_PREFIX = "escalation/issue"
RELEVANCE_DAYS = 7  # the owner's answer to "still relevant?" is due a week after the question


@dataclass(frozen=True)
class IssueEscalation:
    fingerprint: str
    priority: str
    title: str
    source: str
    owner: str
    escalate_to: str
    action: str
    created_at: dt.datetime  # naive UTC
    due_at: dt.datetime  # the SLA ran out: created_at + sla
    url: str | None
    sns: bool
    relevance_task: bool
    recurrence: bool = False  # a later episode of an issue already escalated at this level

    @property
    def key(self) -> str:
        first = f"{KEY_PREFIX}/{self.fingerprint}/{self.priority}"
        return f"{first}/since-{self.created_at:%Y%m%dT%H%M%S}" if self.recurrence else first


def escalated_level(key: str) -> tuple[str, str]:
    """(fingerprint, priority) of an escalation's outbox key (with or without its channel)."""
    fingerprint, priority = key[len(KEY_PREFIX) + 1:].split("/")[:2]
    return fingerprint, priority


def to_enqueue(escalations: list[IssueEscalation], last_look: dict[tuple[str, str], dt.datetime | None],
               as_of: dt.datetime) -> list[IssueEscalation]:
    """The escalations of ``escalations`` (due at ``as_of``) not made before. ``last_look`` maps each
    (fingerprint, priority) escalated so far to the latest look that escalated it (None: unknown, so every
    episode counts as escalated) and is updated. An episode created after that look is a recurrence: the
    earlier episode ended (it was open at that look) and this one was never escalated."""
    out = []
    for e in escalations:
        level = (e.fingerprint, e.priority)
        if level in last_look:
            last = last_look[level]
            if last is None or e.created_at <= last:
                continue
            e = replace(e, recurrence=True)
        last_look[level] = as_of
        out.append(e)
    return out


def _text(value, limit: int = 150) -> str:
    value = " ".join(str(value or "(untitled)").split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def due(inventory: pd.DataFrame, rules: TriageRules, as_of: dt.datetime) -> list[IssueEscalation]:
    """The escalations due at ``as_of`` (naive UTC): open issues past their priority's SLA."""
    out = []
    for row in records(inventory):
        level = rules.unresolved.get(row.get("priority") or "")
        if row.get("state") != OPEN or level is None or row.get("created_at") is None:
            continue
        created = pd.Timestamp(row["created_at"]).to_pydatetime()
        deadline = created + dt.timedelta(hours=rules.sla_hours[row["priority"]])
        if as_of < deadline:
            continue
        owner = row.get("owner") or rules.untriaged_owner
        out.append(IssueEscalation(
            fingerprint=row["fingerprint"], priority=row["priority"], title=_text(row.get("title")),
            source=row["source"], owner=owner, escalate_to=owner if level["to"] == "owner" else level["to"],
            action=level["action"], created_at=created, due_at=deadline, url=row.get("url"),
            sns=level["sns"], relevance_task=level["relevance_task"]))
    return sorted(out, key=lambda e: (e.due_at, e.priority, e.fingerprint))


def _no_full_stop(text: str) -> str:
    return str(text).rstrip().rstrip(".")


def _age(e: IssueEscalation) -> str:
    """The SLA the issue outlived, cut (never rounded up) to a tenth: "more than 2 h" of a 1.5 h SLA is false."""
    hours = (e.due_at - e.created_at).total_seconds() / 3600
    return f"{tenths_down(hours)} h" if hours < 48 else f"{tenths_down(hours / 24)} days"


def intents(e: IssueEscalation, mentions: dict[str, str] | None = None,
            topic_arn: str | None = None) -> list[tuple[str, str, dict]]:
    """(outbox key, channel, payload) of one escalation: Slack, then SNS and the relevance Task."""
    link = f" {slack_text.link(e.url)}" if e.url else ""
    action = _no_full_stop(e.action)  # a sentence of its own ending in "." read "provisioned.. Owner"
    slack = (f"*[{e.priority}] unresolved for more than {_age(e)}* (since {e.created_at:%Y-%m-%d %H:%M} UTC): "
             f"{slack_text.escape(e.title)}{link}\n"
             f"Escalated to {slack_text.mention(e.escalate_to, mentions)}: {slack_text.escape(action)}. "
             f"Owner: {slack_text.mention(e.owner, mentions)}.")
    out = [(f"{e.key}/slack", "slack", {"text": slack})]
    plain = (f"[{e.priority}] unresolved for more than {_age(e)} (since {e.created_at:%Y-%m-%d %H:%M} UTC): "
             f"{_no_full_stop(e.title)}. Source: {e.source} {e.url or e.fingerprint}. Escalated to {e.escalate_to}: {action}. "
             f"Owner: {e.owner}.")
    if e.sns:
        sns = {"subject": f"{e.priority} issue unresolved: {e.escalate_to} {action}", "message": plain}
        if topic_arn:
            sns["topic_arn"] = topic_arn
        out.append((f"{e.key}/sns", "sns", sns))
    if e.relevance_task:
        fields = {"Task Key": f"{e.fingerprint}-relevance", "Name": _text(f"Still relevant? {e.title}", 250),
                  "Priority": e.priority, "Owner": e.owner, "Status": "Todo",
                  "Due Date": (e.due_at + dt.timedelta(days=RELEVANCE_DAYS)).date().isoformat(),
                  "Notes": _text(f"Open for more than {_age(e)}: close it, re-prioritize it or say why it "
                                 f"still matters. {plain}", 1000)}
        out.append((f"{e.key}/airtable", "airtable",
                    {"table": TASKS_TABLE, "merge_on": ["Task Key"], "records": [fields]}))
    return out
