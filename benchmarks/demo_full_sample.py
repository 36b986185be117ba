"""Benchmark: `bqx-ops demo` over the whole sample, in a fresh data dir and Dagster home.

Run by hand:  .venv/bin/python benchmarks/demo_full_sample.py [--from YYYY-MM-DD --to YYYY-MM-DD]
Prints wall time and the peak RSS of the demo process.
"""

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--from", dest="date_from")
    parser.add_argument("--to", dest="date_to")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        shutil.copy(REPO / "dagster.yaml", home)
        cmd = [str(Path(sys.executable).with_name("bqx-ops")), "demo", "--data-dir", str(Path(tmp) / "data")]
        if args.date_from and args.date_to:
            cmd += ["--from", args.date_from, "--to", args.date_to]
        start = time.perf_counter()
        done = subprocess.run(cmd, env={"DAGSTER_HOME": str(home), "PATH": "/usr/bin:/bin"},
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print("\n".join(line for line in done.stdout.splitlines() if line.startswith("- ")))
        print(f"exit={done.returncode} wall={wall:.1f}s peak_rss={peak_mb:.0f}MB")


if __name__ == "__main__":
    main()
