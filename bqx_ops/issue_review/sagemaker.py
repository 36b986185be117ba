"""SageMaker training jobs (DescribeTrainingJob responses) as review issues.

* a Failed job is an issue from its end until the next Completed job of the same
  model and horizon ends (the retry that fixed it, even under another name: the
  configuration's retry pattern is removed from names before they are matched);
* a Completed job whose final metric fell by more than ``min_drop`` versus the
  previous Completed job of the same model and horizon is a degradation, resolved by
  the first later job back within ``min_drop`` of the value before the drop.

Only jobs that had ended by the as-of instant are used: a review never sees the future.
Jobs that cannot be used (unknown status, no end time, a duplicate name, a NaN metric)
are reported as data problems, never silently skipped.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from bqx_ops.issue_review.github_issues import parse_time
from bqx_ops.issue_review.model import Found
from bqx_ops.sanitize import visible

_ATTEMPT = re.compile(r"-\d{8}-\d+$")
STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")  # DescribeTrainingJob's, exactly
FINISHED = ("Completed", "Failed", "Stopped")
MAX_METRIC = 1e6  # a final metric beyond it (1e308) is implausible: never compared, reported


def _series(job: dict, retry: re.Pattern | None = None) -> str:
    """Model and horizon of a job: its hyperparameters, else its name without date and attempt, and
    without the configured retry suffix (``aws.sagemaker.retry_pattern``), so a retry joins its job."""
    hp = job.get("HyperParameters") if isinstance(job.get("HyperParameters"), dict) else {}
    if hp.get("model") and hp.get("horizon"):
        return f"{hp['model']} {hp['horizon']}"
    name = _ATTEMPT.sub("", str(job.get("TrainingJobName")))
    return retry.sub("", name) if retry is not None else name


def _metric(job: dict, name: str, problems: list[str] | None = None) -> float | None:
    """The final value of metric ``name``; None when absent, not a number (a boolean or a string is not
    one), NaN or infinite (reported: comparing with NaN, or with ``true`` read as 1.0, would invent a
    degradation; a Completed job without it is never compared)."""
    metrics = job.get("FinalMetricDataList")
    item = next((m for m in metrics if isinstance(m, dict) and m.get("MetricName") == name), None) \
        if isinstance(metrics, list) else None
    label = visible(job.get("TrainingJobName"))
    if item is None:
        if problems is not None:
            problems.append(f"job {label}: no final {name} (FinalMetricDataList is {visible(repr(metrics))[:60]}); "
                            "not compared")
        return None
    raw = item.get("Value")
    # DescribeTrainingJob's Value is a float: true is not R² 1.0 and "0.9" is text (both reported, never compared)
    try:
        value = float(raw) if isinstance(raw, (int, float)) and not isinstance(raw, bool) else None
    except OverflowError:  # an integer of 400 digits
        value = None
    if value is None or not math.isfinite(value) or abs(value) > MAX_METRIC:
        if problems is not None:
            problems.append(f"job {label}: final {name} {visible(repr(item.get('Value')))} is not a finite number "
                            f"within ±{MAX_METRIC:g}; not compared")
        return None
    return value


def _ended(job: dict) -> dt.datetime | None:
    return parse_time(job.get("TrainingEndTime")) or parse_time(job.get("LastModifiedTime"))


def _usable(jobs: list, problems: list[str]) -> list[dict]:
    """Jobs with a name and a known status, one per name; everything else is reported.

    A duplicate name keeps the most recently modified copy (then the first listed); a
    status SageMaker does not have (missing, ``completed``, ``Crashed``) leaves the job
    out; a finished job without a readable end time too, since it cannot be placed in time."""
    named: dict[str, list[tuple[int, dict]]] = {}
    for position, job in enumerate(jobs if isinstance(jobs, list) else []):
        if not isinstance(job, dict):
            problems.append(f"training job {position} is {visible(repr(job))[:60]}, not an object; left out")
            continue
        if not isinstance(job.get("TrainingJobName"), str):
            problems.append(f"training job {position} has no TrainingJobName; left out")
            continue
        named.setdefault(job["TrainingJobName"], []).append((position, job))
    out = []
    for name, copies in named.items():
        def recency(copy: tuple[int, dict]):
            modified = parse_time(copy[1].get("LastModifiedTime"))
            return (modified is None, dt.datetime.max - modified if modified else dt.timedelta(0), copy[0])
        position, job = min(copies, key=recency)
        label = visible(name)
        if len(copies) > 1:
            problems.append(f"duplicate job name {label}: job {position} (the latest modified) is used, job(s) "
                            + ", ".join(str(p) for p, _ in copies if p != position) + " ignored")
        status = job.get("TrainingJobStatus")
        if status not in STATUSES:
            problems.append(f"job {label}: status {visible(repr(status))} is not a SageMaker status "
                            f"({', '.join(STATUSES)}); left out")
            continue
        for key in ("TrainingEndTime", "LastModifiedTime"):
            if job.get(key) not in (None, "") and parse_time(job.get(key)) is None:
                problems.append(f"job {label}: {key} {visible(repr(job.get(key)))} is not a plausible time")
        if status in FINISHED and _ended(job) is None:
            problems.append(f"job {label}: {status} without a readable end time; left out")
            continue
        out.append(job)
    return out


def _first_line(text, limit: int = 160) -> str:
    lines = str(text or "").strip().splitlines()
    line = lines[0] if lines else "no failure reason"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def usable_jobs(jobs: list) -> tuple[list[tuple[dt.datetime | None, dict]], list[str]]:
    """(end time, job) of each usable job, and the problems found choosing them: what depends on the
    jobs alone, whatever the instant (a replay's looks work it out once: ``SourceData``)."""
    problems: list[str] = []
    return [(_ended(job), job) for job in _usable(jobs, problems)], problems


def sagemaker_issues(jobs: list, as_of: dt.datetime, config: dict,
                     usable: tuple[list, list[str]] | None = None) -> tuple[list[Found], list[str]]:
    """(issues, problems) from the jobs that had ended by ``as_of``; ``usable``: ``usable_jobs(jobs)``."""
    chosen, found_problems = usable if usable is not None else usable_jobs(jobs)
    problems, known = list(found_problems), []
    for ended, job in chosen:
        if ended is not None and ended < as_of:
            known.append((ended, job["TrainingJobName"], job))
    known.sort(key=lambda k: (k[0], k[1]))
    metric = config.get("metric", "validation:r2")
    degradation = config.get("degradation") or {}
    min_drop, p1_drop = float(degradation.get("min_drop", 0.02)), float(degradation.get("p1_drop", 0.05))
    retry = re.compile(config["retry_pattern"]) if config.get("retry_pattern") else None
    by_series: dict[str, list[tuple[dt.datetime, str, dict]]] = {}
    for entry in known:
        by_series.setdefault(_series(entry[2], retry), []).append(entry)
    found = []
    for series, entries in sorted(by_series.items()):
        completed = [(e, n, j, _metric(j, metric, problems)) for e, n, j in entries
                     if j.get("TrainingJobStatus") == "Completed"]
        for ended, name, job in entries:
            if job.get("TrainingJobStatus") != "Failed":
                continue
            fix = next((e for e, _, _, _ in completed if e > ended), None)
            reason = str(job.get("FailureReason") or "")
            found.append(Found(
                source="sagemaker", source_ref=name, kind="training_failure",
                title=f"Training job {name} failed: {_first_line(reason)}", created_at=ended, resolved_at=fix,
                text=reason, detail=f"{series}; {_first_line(reason, 400)}",
            ))
        scored = [c for c in completed if c[3] is not None]
        for i in range(1, len(scored)):
            before, (ended, name, _, value) = scored[i - 1][3], scored[i]
            drop = round(before - value, 10)
            if drop <= min_drop:
                continue
            fix = next((e for e, _, _, v in scored[i + 1:] if v >= before - min_drop), None)
            found.append(Found(
                source="sagemaker", source_ref=f"{name}/{metric}", kind="degradation",
                title=f"{series}: {metric} fell {drop:.4f} in job {name}", created_at=ended, resolved_at=fix,
                text=f"{metric} degradation", priority="P1" if drop > p1_drop else "P2",
                category=degradation.get("category", "Model Performance"), rule="sagemaker.degradation",
                detail=f"{before:.4f} -> {value:.4f} ({series})", problem=f"training-job:{name}",
            ))
    return found, problems
