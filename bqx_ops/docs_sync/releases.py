"""Release tags for completed phases: name, annotated-tag message, and the GitHub release payload."""

from __future__ import annotations

import datetime as dt
import re

from bqx_ops.docs_sync.slugs import slug
from bqx_ops.lazy import pd
from bqx_ops.docs_sync.snapshot import day_text, realized_vs
from bqx_ops.markdown import cell

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# GitHub notifies every @user (or @org/team) a release body names: a phase called 'Kick-off @here' pinged
# the account 'here'. A word joiner after the '@' keeps the text as it reads and stops the mention.
_MENTION = re.compile(r"@(?=[A-Za-z0-9])")


def _plain(value) -> str:
    return " ".join(_CONTROL.sub("", str(value or "")).split())


def phase_tag(phase: dict) -> str:
    number = phase.get("number")
    return f"phase-{number}-done" if number is not None else f"phase-{slug(phase.get('phase_id'))}-done"


def completed(phase: dict, stages=()) -> str:
    """When the phase was completed: its End Date, else the latest Completed Date of its Done stages
    (``stages``: the snapshot's), said as such; else that the base does not record it."""
    if day_text(phase.get("end_date")):
        return day_text(phase.get("end_date"))
    days = sorted(day_text(s["completed_date"]) for s in stages if s.get("phase_id") == phase.get("record_id")
                  and s.get("status") == "Done" and not pd.isna(s.get("completed_date")))
    return f"{days[-1]} (its last stage's Completed Date; no End Date)" if days else "on an unrecorded date"


def tag_message(phase: dict, week_end: dt.date, snapshot_day: dt.date, stages=()) -> str:
    """First line: the release name. Plain text (a tag message is not rendered)."""
    label = f"Phase {phase.get('number')} – {_plain(phase.get('name'))}".strip()
    return (f"{label}: Done\n\n"
            f"Completed {completed(phase, stages)}; "
            f"{realized_vs(phase.get('realized_cost'), phase.get('estimated_cost'))}.\n"
            f"Tagged by the weekly docs sync of {week_end.isoformat()} (Airtable snapshot "
            f"{snapshot_day.isoformat()}); Airtable record {_plain(phase.get('record_id'))}.\n")


def release_payload(tag: str, target_sha: str, message: str) -> dict:
    """The outbox's github payload; derived from the tag alone, so it is the same every week."""
    lines = [line for line in message.splitlines() if line.strip()]
    return {"tag": tag, "name": lines[0] if lines else tag, "target_sha": target_sha, "message": message,
            "body": "\n\n".join(_MENTION.sub("@\u2060", cell(line, limit=1000)) for line in lines)}
