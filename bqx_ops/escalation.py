"""Escalation paths for missed operational activities (seed: "Escalation Paths"). Pure logic.

An activity is *missed* from the first cadence tick after its latest output; it
is *missed by* the time since that tick (or by the number of ticks missed since).
Past the threshold, the owner's escalation goes to the named role, once per
first missed tick (the outbox key carries its date).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from bqx_ops.calendar import ASSESSMENT, ISSUE_REVIEW, PLAN_UPDATE, UTC, WEEKLY_SYNC, Cadence


@dataclass(frozen=True)
class EscalationRule:
    name: str
    cadence: Cadence
    missed_by: dt.timedelta | None  # escalate when missed for longer than this...
    escalate_to_role: str  # a key of the configuration's roles
    action: str  # the seed's words
    missed_ticks: int | None = None  # ...or when at least this many ticks were missed

    @property
    def escalate_to(self) -> str:
        from bqx_ops.config import person

        return person(self.escalate_to_role)


RULES = (
    EscalationRule("repository_sync", WEEKLY_SYNC, dt.timedelta(days=3), "approver", "notification"),
    EscalationRule("plan_update", PLAN_UPDATE, dt.timedelta(weeks=1), "approver", "escalation"),
    # "> 1 cycle": the next review came due and was missed too
    EscalationRule("issue_review", ISSUE_REVIEW, None, "architect", "escalation", missed_ticks=2),
    EscalationRule("assessment_360", ASSESSMENT, dt.timedelta(weeks=2), "approver", "urgent escalation"),
)


def tenths_down(value: float) -> str:
    """``value`` cut to a tenth, never rounded up ("more than 1.4" of 1.45 stays true), no trailing ".0"."""
    return f"{math.floor(value * 10 + 1e-9) / 10:g}"


@dataclass(frozen=True)
class Escalation:
    rule: EscalationRule
    due_at: dt.datetime  # the missed tick
    missed_for: dt.timedelta

    @property
    def key(self) -> str:
        return f"escalation/{self.rule.name}/{self.due_at:%Y-%m-%d}"

    def _missed(self) -> str:
        days = tenths_down(self.missed_for.total_seconds() / 86400)
        return f"{days} day" if days == "1" else f"{days} days"

    def text(self) -> str:
        return (f"{self.rule.cadence.title} due {self.due_at:%Y-%m-%d %H:%M} UTC has not run for {self._missed()}: "
                f"{self.rule.cadence.owner} -> {self.rule.escalate_to} {self.rule.action}.")

    def slack_text(self, mentions: dict[str, str] | None = None) -> str:
        """``text`` for Slack: the roles are the configuration's names, shown inert (a role named
        ``<!channel>`` or ``@here`` pinged the whole channel) or as the mention ``mentions`` maps them to."""
        from bqx_ops import slack_text

        return (f"{slack_text.escape(self.rule.cadence.title)} due {self.due_at:%Y-%m-%d %H:%M} UTC has not run for "
                f"{self._missed()}: {slack_text.mention(self.rule.cadence.owner, mentions)} -&gt; "
                f"{slack_text.mention(self.rule.escalate_to, mentions)} {slack_text.escape(self.rule.action)}.")


def overdue(
    rule: EscalationRule, last_done: dt.datetime | None, now: dt.datetime, lookback_days: int = 200
) -> Escalation | None:
    """The escalation due now for ``rule``, or None (on time, or not late enough yet)."""
    now = now.astimezone(UTC)
    ticks = rule.cadence.ticks(now.date() - dt.timedelta(days=lookback_days), now.date())
    missed = [t for t in ticks if t <= now and (last_done is None or t > last_done)]
    if not missed:
        return None
    first, missed_for = missed[0], now - missed[0]
    late = (rule.missed_by is not None and missed_for > rule.missed_by) or (
        rule.missed_ticks is not None and len(missed) >= rule.missed_ticks)
    return Escalation(rule, first, missed_for) if late else None
