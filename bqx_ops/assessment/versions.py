"""The three weeks of a 360 assessment: a draft at the 3-week reminder, refreshed weekly, final on the last Friday.

Each version is the report as of its instant (09:00 UTC on its Friday), committed dated at it
and marked by its banner; only the final one asks RM-001 for approval.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

DRAFT, REFRESH, FINAL = "draft", "refresh", "final"
WEEKS = 3


@dataclass(frozen=True)
class Version:
    kind: str
    instant: dt.datetime
    number: int  # 1 = the draft at the reminder .. 4 = final

    @property
    def banner(self) -> str:
        if self.kind == FINAL:
            from bqx_ops.assessment.approval import approver

            return f"FINAL: submitted to {approver()} for approval"
        if self.kind == DRAFT:
            return f"DRAFT 1 of {WEEKS} (week 1, at the 3-week reminder): refreshed weekly, final on the last Friday"
        return (f"DRAFT {self.number} of {WEEKS} (weekly refresh, week {self.number}): final on the last Friday")


def versions(final: dt.datetime) -> list[Version]:
    """All four versions of the quarter whose final instant is ``final``, oldest first."""
    out = []
    for n in range(WEEKS):
        kind = DRAFT if n == 0 else REFRESH
        out.append(Version(kind, final - dt.timedelta(weeks=WEEKS - n), n + 1))
    return out + [Version(FINAL, final, WEEKS + 1)]


def due(final: dt.datetime, now: dt.datetime, start: dt.date | None = None) -> list[Version]:
    """The versions whose instant has come at ``now``, none before the plan's ``start`` day: a plan starting
    in the quarter's last three weeks has no draft of a week that had not begun (it would be scored from
    no snapshot and dated before the docs repo's first commit); its first version is the first refresh."""
    return [v for v in versions(final) if v.instant <= now and (start is None or v.instant.date() >= start)]
