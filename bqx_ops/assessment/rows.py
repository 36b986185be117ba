"""An assessment as the rows of ``assessment.quarterly_scores`` (one per dimension) and back."""

from __future__ import annotations

import datetime as dt
import math

from bqx_ops.assessment.score import Assessment, Decision, Dimension

T, S, F, I = "datetime64[us]", "string", "float64", "Int64"
SCORE_COLUMNS = {
    "quarter_start": T, "as_of": T, "quarter": S, "position": I, "dimension": S, "score": F, "status": S,
    "rationale": S, "overall": F, "band": S, "overrides": S, "decision": S, "reasons": S,
}
SEP = " | "


def to_rows(quarter_start: dt.datetime, as_of: dt.datetime, quarter: str, a: Assessment) -> list[dict]:
    common = {"quarter_start": quarter_start.replace(tzinfo=None), "as_of": as_of.replace(tzinfo=None),
              "quarter": quarter}
    summary = {"overall": a.overall, "band": a.decision.band, "overrides": SEP.join(a.decision.overrides),
               "decision": a.decision.decision, "reasons": SEP.join(a.decision.reasons)}
    return [{**common, "position": i, "dimension": d.name, "score": d.score, "status": d.status,
             "rationale": d.rationale, **summary} for i, d in enumerate(a.dimensions)]


def _none(value):
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def from_rows(rows: list[dict]) -> Assessment | None:
    """The assessment of one quarter's rows (ordered by position); None without rows."""
    if not rows:
        return None
    rows = sorted(rows, key=lambda r: r["position"])
    first = rows[0]
    split = lambda text: tuple(x for x in (text or "").split(SEP) if x)  # noqa: E731
    dims = tuple(Dimension(r["dimension"], _none(r["score"]), r["status"], r["rationale"]) for r in rows)
    return Assessment(dims, _none(first["overall"]),
                      Decision(first["band"], split(first["overrides"]), split(first["reasons"])))
