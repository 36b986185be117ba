"""One problem, one issue: evidence of the same problem from several sources becomes one issue.

An R² drop is seen twice: as a drop between consecutive Model Results evaluations (derived)
and as a degradation of the SageMaker job that produced that result. Both carry the same
``Found.problem`` ("training-job:<name>"); counting them apart would double the P1 count and
the risk score. Issues sharing a problem are merged:

* the kept issue is the one of the first source in ``SOURCE_ORDER`` (derived before
  sagemaker: Airtable is the source of truth), so its fingerprint, and its action item, are
  stable from review to review;
* priority: the most severe of the evidence; created: the earliest; resolved: only when every
  source says so, at the latest of their times;
* ``detail`` names every other piece of evidence ("also sagemaker: <title>").
"""

from __future__ import annotations

from dataclasses import replace

from bqx_ops.issue_review.model import PRIORITY_ORDER, Found

SOURCE_ORDER = ("derived", "airtable_notes", "github", "sagemaker", "cloudwatch")


def _source_rank(f: Found) -> tuple:
    rank = SOURCE_ORDER.index(f.source) if f.source in SOURCE_ORDER else len(SOURCE_ORDER)
    return (rank, f.source, f.source_ref)


def _merge(group: list[Found]) -> Found:
    group = sorted(group, key=_source_rank)
    kept, others = group[0], group[1:]
    priorities = [f.priority for f in group if f.priority in PRIORITY_ORDER]
    resolved = [f.resolved_at for f in group]
    also = "; ".join(f"also {f.source}: {f.title}" for f in others)
    return replace(
        kept,
        priority=min(priorities, key=PRIORITY_ORDER.get) if priorities else kept.priority,
        created_at=min(f.created_at for f in group),
        resolved_at=None if any(r is None for r in resolved) else max(resolved),
        detail=" | ".join(x for x in (kept.detail, also) if x),
    )


def merge_evidence(found: list[Found]) -> list[Found]:
    """``found`` with every group of issues about one problem replaced by one issue, in place of
    the first of them (the order of everything else is kept)."""
    groups: dict[str, list[Found]] = {}
    for f in found:
        if f.problem:
            groups.setdefault(f.problem, []).append(f)
    out, done = [], set()
    for f in found:
        if not f.problem or len(groups[f.problem]) == 1:
            out.append(f)
        elif f.problem not in done:
            done.add(f.problem)
            out.append(_merge(groups[f.problem]))
    return out
