"""Peak memory of the CloudWatch part of the issue review as the event volume grows.

For each volume, two fresh processes (so each peak is its own):

1. *land*: a review window's events (3 log groups x 15 days) are produced page by page,
   as ``filter_log_events`` pages would arrive, and streamed into the landing zone's day
   files with ``write_json_array`` (what ``LiveCloudWatchLogs`` does);
2. *review*: ``bqx_ops.issue_review.cloudwatch.aggregate`` groups them in DuckDB (a database
   file, default settings, as the asset's DuckDBResource) and ``log_issues`` turns the
   groups into issues.

Peak memory is the process's maximum resident set size. Run by hand, not in the tests::

    .venv/bin/python benchmarks/cloudwatch_volume.py                 # 125k .. 1M events
    .venv/bin/python benchmarks/cloudwatch_volume.py 1000000 2000000
"""

from __future__ import annotations

import datetime as dt
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GROUPS = ("/aws/lambda/bqx-ml-inference", "/aws/sagemaker/TrainingJobs", "/bqx-ml/pipeline")
AS_OF = dt.datetime(2026, 3, 15, 10)
WINDOW_DAYS = 14
PAGE = 10_000  # filter_log_events' largest page
TEMPLATES = (
    "{ts} {req} Task timed out after 30.{n:02d} seconds",
    "[ERROR] ValueError: Input contains NaN for feature bqx_eurusd_lag_{n} (RequestId: {req})",
    "[WARN] latency {n} ms exceeds p95 budget of 100 ms for horizon w{h} (RequestId: {req})",
    "ERROR ingest: bqx-db export for GBPUSD {day} returned {n} rows, expected 1440",
    "WARN quality: {n} outliers clipped in bqx_usdjpy (robust z > 7.{h})",
    'Exception in thread "scheduler" botocore.exceptions.ReadTimeoutError: (query {req})',
    "INFO request {req} served in {n} ms",  # not an error: filtered out
)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def pages(rng: random.Random, day: dt.date, count: int):
    """``count`` events of one day, PAGE at a time, like a filter_log_events paginator."""
    start = int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc).timestamp() * 1000)
    made = 0
    while made < count:
        page = []
        for _ in range(min(PAGE, count - made)):
            ts = start + rng.randrange(86_400_000)
            req = f"{rng.getrandbits(128):032x}"
            req = f"{req[:8]}-{req[8:12]}-{req[12:16]}-{req[16:20]}-{req[20:]}"
            text = rng.choice(TEMPLATES).format(ts=f"{day}T10:00:00.000Z", req=req, n=rng.randrange(1000),
                                                h=rng.randrange(1, 7), day=day)
            page.append({"eventId": str(rng.getrandbits(180)), "ingestionTime": ts + 500, "logStreamName": "s",
                         "message": text, "timestamp": ts})
        made += len(page)
        yield page


def land(root: Path, total: int) -> dict:
    from bqx_ops.landing import Landing
    from bqx_ops.resources.aws_sources import write_json_array
    from bqx_ops.issue_review.cloudwatch import window, window_days

    started, rng = time.time(), random.Random(total)
    days = window_days(*window(AS_OF, WINDOW_DAYS))
    per_file, written = total // (len(GROUPS) * len(days)), 0
    for group in GROUPS:
        for day in days:
            events = (e for page in pages(rng, day, per_file) for e in page)
            written += write_json_array(Landing(root).cloudwatch_day(group, day), events)
    size = sum(p.stat().st_size for p in (root / "landing").rglob("*.json"))
    return {"events": written, "mb_on_disk": round(size / 2**20), "seconds": round(time.time() - started, 1),
            "peak_mb": round(peak_mb())}


def review(root: Path) -> dict:
    import duckdb

    from bqx_ops.landing import Landing
    from bqx_ops.issue_review import cloudwatch
    from bqx_ops.issue_review.episodes import log_issues
    from bqx_ops.issue_review.rules import load_rules

    rules = load_rules(path="")
    start, end = cloudwatch.window(AS_OF, WINDOW_DAYS)
    files = [(g, Landing(root).cloudwatch_day(g, d)) for g in GROUPS for d in cloudwatch.window_days(start, end)]
    started = time.time()
    with duckdb.connect(str(root / "bqx_ops.duckdb")) as conn:
        groups, problems = cloudwatch.aggregate(conn, files, start, end, rules.cloudwatch)
    issues = log_issues(groups, end, rules.cloudwatch)
    return {"matched": sum(g["events"] for g in groups), "issues": len(issues), "problems": len(problems),
            "seconds": round(time.time() - started, 1), "peak_mb": round(peak_mb())}


def child(step: str, root: str, total: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", step, root, str(total)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(volumes: list[int]) -> None:
    print(f"{'events':>10} {'on disk':>8} {'land s':>7} {'land peak':>10} {'matched':>9} {'issues':>6} "
          f"{'review s':>8} {'review peak':>12}")
    for total in volumes:
        with tempfile.TemporaryDirectory() as root:
            landed = child("land", root, total)
            reviewed = child("review", root, total)
        print(f"{landed['events']:>10,} {landed['mb_on_disk']:>6} MB {landed['seconds']:>7} "
              f"{landed['peak_mb']:>7} MB {reviewed['matched']:>9,} {reviewed['issues']:>6} "
              f"{reviewed['seconds']:>8} {reviewed['peak_mb']:>9} MB", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        step, root, total = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
        print(json.dumps(land(root, total) if step == "land" else review(root)))
    else:
        main([int(v) for v in sys.argv[1:]] or [125_000, 250_000, 500_000, 1_000_000])
