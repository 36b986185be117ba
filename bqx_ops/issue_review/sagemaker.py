"""SageMaker training jobs (DescribeTrainingJob responses) as review issues.

* a Failed job is an issue from its end until the next Completed job of the same
  model and horizon ends (the retry that fixed it, even under another name: the
  configuration's retry pattern is removed from names before they are matched); retries
  that fail again before that are the same issue (its title counts the failures);
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

from bqx_ops.calendar import naive_utc
from bqx_ops.issue_review.github_issues import latest_copy, parse_time
from bqx_ops.issue_review.model import Found
from bqx_ops.sanitize import blank, defects, visible

_ATTEMPT = re.compile(r"-\d{8}-\d+$")
STATUSES = ("InProgress", "Completed", "Failed", "Stopping", "Stopped")  # DescribeTrainingJob's, exactly
FINISHED = ("Completed", "Failed", "Stopped")
MAX_METRIC = 1e6  # a final metric beyond it (1e308) is implausible: never compared, reported


def _series(job: dict, retry: re.Pattern | None = None) -> str:
    """Model and horizon of a job: its hyperparameters, else its name without date and attempt, and
    without the configured retry suffix (``aws.sagemaker.retry_pattern``), so a retry joins its job."""
    hp = job.get("HyperParameters") if isinstance(job.get("HyperParameters"), dict) else {}
    # SageMaker keeps hyperparameters as text: "XGBoost " and "XGBoost" are one model, as a reader sees them
    model, horizon = (" ".join(str(hp.get(k) or "").split()) for k in ("model", "horizon"))
    if model and horizon:
        return f"{model} {horizon}"
    name = _ATTEMPT.sub("", str(job.get("TrainingJobName")))
    return retry.sub("", name) if retry is not None else name


def _metric(job: dict, name: str, problems: list[str] | None = None) -> float | None:
    """The final value of metric ``name``; None when absent, not a number (a boolean or a string is not
    one), NaN or infinite (reported: comparing with NaN, or with ``true`` read as 1.0, would invent a
    degradation; a Completed job without it is never compared)."""
    metrics = job.get("FinalMetricDataList")
    # names as people mean them ("Validation:R2 " is validation:r2): one found only in another case is read, and
    # two spellings with different values are a metric given twice, never the exact one picked silently
    named = [m for m in metrics if isinstance(m, dict) and _metric_name(m.get("MetricName")) == _metric_name(name)] \
        if isinstance(metrics, list) else []
    item = named[0] if named else None
    label = visible(job.get("TrainingJobName"))
    values = list(dict.fromkeys(visible(repr(m.get("Value"))) for m in named))
    if len(values) > 1:  # which one is final cannot be told: the first listed could invent a degradation
        if problems is not None:
            problems.append(f"job {label}: final {name} given {len(named)} times with different values "
                            f"({', '.join(values[:3])[:80]}); not compared")
        return None
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


def _metric_name(name) -> str | None:
    return " ".join(name.split()).casefold() if isinstance(name, str) else None


def _ended(job: dict) -> dt.datetime | None:
    return parse_time(job.get("TrainingEndTime")) or parse_time(job.get("LastModifiedTime"))


def _created(job: dict) -> dt.datetime | None:
    """When a job came to exist: its CreationTime, else its end (None: it cannot be placed in time)."""
    return parse_time(job.get("CreationTime")) or _ended(job)


def _after(job, now: dt.datetime | None) -> str | None:
    """Why a job's times cannot be true at ``now`` (when the jobs were read), or None."""
    if now is None or not isinstance(job, dict):
        return None
    for key in ("CreationTime", "TrainingEndTime", "LastModifiedTime"):
        moment = parse_time(job.get(key))
        if moment is not None and moment > now:
            return f"{key} {moment:%Y-%m-%d %H:%M} is after the jobs were read ({now:%Y-%m-%d %H:%M})"
    return None


def _usable(jobs: list, problems: list[str], as_of: dt.datetime | None = None,
            now: dt.datetime | None = None) -> list[dict]:
    """Jobs with a name and a known status, one per name; everything else is reported.

    A duplicate name keeps the most recently modified copy (then the first listed); a
    status SageMaker does not have (missing, ``completed``, ``Crashed``) leaves the job
    out; a finished job without a readable end time too, since it cannot be placed in time.
    A job created at or after ``as_of`` did not exist then: left out unreported, so a past
    review reads the same after it is listed. A job with a time after ``now`` (when the jobs were read)
    cannot be placed: left out and reported by every review (it was left out of them all unsaid)."""
    named: dict[str, list[tuple[int, dict]]] = {}
    now = naive_utc(now) if now is not None and now.tzinfo else now
    for position, job in enumerate(jobs if isinstance(jobs, list) else []):
        future = _after(job, now)
        if future:
            problems.append(f"job {visible(job.get('TrainingJobName'))}: {future}; left out")
            continue
        created = _created(job) if isinstance(job, dict) and as_of is not None else None
        if created is not None and created >= as_of:
            continue
        if not isinstance(job, dict):
            problems.append(f"training job {position} is {visible(repr(job))[:60]}, not an object; left out")
            continue
        if not isinstance(job.get("TrainingJobName"), str) or blank(job["TrainingJobName"]):
            # "" or spaces name no job: kept, every nameless job was one "duplicate" and all but one dropped
            problems.append(f"training job {position} has no TrainingJobName; left out")
            continue
        named.setdefault(job["TrainingJobName"], []).append((position, job))
    out = []
    for name, copies in named.items():
        position, job = latest_copy(copies, "LastModifiedTime")
        label = visible(name)
        if defects(name):  # a lone surrogate or control character: shown escaped, never refused by DuckDB or git
            problems.append(f"job {label}: name contains {defects(name)}; shown escaped")
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
        created, ended = parse_time(job.get("CreationTime")), _ended(job)
        if created is not None and ended is not None and ended < created:
            problems.append(f"job {label}: ended ({ended:%Y-%m-%d %H:%M}) before it was created "
                            f"({created:%Y-%m-%d %H:%M}); left out")
            continue
        out.append(job)
    return out


def _first_line(text, limit: int = 160) -> str:
    lines = str(text or "").strip().splitlines()
    line = lines[0] if lines else "no failure reason"
    return line if len(line) <= limit else line[: limit - 1] + "…"


def sagemaker_issues(jobs: list, as_of: dt.datetime, config: dict,
                     now: dt.datetime | None = None) -> tuple[list[Found], list[str]]:
    """(issues, problems) from the jobs that had ended by ``as_of`` (``now``: when the jobs were read)."""
    problems, known = [], []
    for job in _usable(jobs, problems, as_of, now):
        ended = _ended(job)
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
        failed = [(e, n, j) for e, n, j in entries if j.get("TrainingJobStatus") == "Failed"]
        while failed:
            # one problem, one issue: the retries that fail again before a job of the series completes are
            # that first failure still open, not new issues (named in its title and detail)
            ended, name, job = failed[0]
            fix = next((e for e, _, _, _ in completed if e > ended), None)
            again = [f for f in failed[1:] if fix is None or f[0] < fix]
            failed = failed[1 + len(again):]
            reason = str(job.get("FailureReason") or "")
            times = f" {len(again) + 1} times" if again else ""
            retries = "".join(f"; failed again: {n} at {e:%Y-%m-%d %H:%M}" for e, n, _ in again)
            found.append(Found(
                source="sagemaker", source_ref=name, kind="training_failure",
                title=f"Training job {name} failed{times}: {_first_line(reason)}", created_at=ended, resolved_at=fix,
                text=reason, detail=f"{series}; {_first_line(reason, 400)}{retries}",
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
