"""Benchmark: `bqx-ops demo` over the whole sample, in a fresh data dir and Dagster home.

Run by hand (from the repo root, N runs, the quietest kept):

    .venv/bin/python benchmarks/demo_full_sample.py [--runs N] [--from YYYY-MM-DD --to YYYY-MM-DD]

Prints each run's figures as /usr/bin/time would (wall, user + sys CPU of the demo process and
its git children, peak RSS), the load average when it started, and the demo's per-run lines.
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from measure import measure

REPO = Path(__file__).resolve().parents[1]


def once(date_from: str | None, date_to: str | None):
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        shutil.copy(REPO / "dagster.yaml", home)
        cmd = [sys.executable, "-m", "bqx_ops.cli", "demo", "--data-dir", str(Path(tmp) / "data")]
        if date_from and date_to:
            cmd += ["--from", date_from, "--to", date_to]
        env = {"DAGSTER_HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "PYTHONPATH": str(REPO)}
        return measure(cmd, env=env, cwd=str(REPO))  # `python -m` imports from the working directory first


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--from", dest="date_from")
    parser.add_argument("--to", dest="date_to")
    args = parser.parse_args()
    results = []
    for i in range(args.runs):
        figures = once(args.date_from, args.date_to)
        results.append(figures)
        print(f"run {i + 1}: exit={figures.returncode} {figures.line()}", flush=True)
    best = min(results, key=lambda f: f.cpu)
    print("\n".join(line for line in best.stdout.splitlines() if line.startswith("- ")))
    print(f"quietest: {best.line()}")


if __name__ == "__main__":
    main()
