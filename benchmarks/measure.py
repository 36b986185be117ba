"""What the benchmarks share: run a command as a child process and read its wall and CPU time.

The figures are those /usr/bin/time prints: wall clock, user + sys CPU seconds of the child
(and its children), peak RSS. The machine's load average is printed with them, because on a
shared machine the wall time says as much about the neighbours as about the code.
"""

from __future__ import annotations

import os
import resource
import subprocess
import time
from dataclasses import dataclass


@dataclass
class Figures:
    wall: float
    user: float
    sys: float
    peak_mb: float
    load: float  # 1-minute load average when the command started
    returncode: int
    stdout: str

    @property
    def cpu(self) -> float:
        return self.user + self.sys

    def line(self) -> str:
        return (f"wall={self.wall:.1f}s cpu={self.cpu:.1f}s (user {self.user:.1f} + sys {self.sys:.1f}) "
                f"peak_rss={self.peak_mb:.0f}MB load={self.load:.1f}")


def measure(cmd: list[str], env: dict | None = None, cwd: str | None = None) -> Figures:
    """Run ``cmd`` and return its figures (RUSAGE_CHILDREN deltas, so one command at a time;
    peak RSS is the largest child's so far)."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Figures(wall, after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime,
                   after.ru_maxrss / 1024, load, done.returncode, done.stdout)
