"""CPU to load the bqx_ops code location against an empty ``Definitions``, in fresh processes.

Each load imports the module and builds the repository (what `dg check defs` and the code
server do before serving). The two are run in turns (empty, ours, empty, ours, ...) so that the
machine's neighbours weigh on both alike; prints the quietest of N runs of each, their ratio, and
the median of the N side-by-side ratios. Run by hand:

    .venv/bin/python benchmarks/code_location_load.py [N]
"""

import statistics
import sys

from measure import measure

EMPTY = "import gc, dagster as dg; gc.freeze(); dg.Definitions().get_repository_def()"
OURS = "from bqx_ops.definitions import defs; defs.get_repository_def()"
CHECK = "import sys, warnings; warnings.simplefilter('always'); {code}; print(len(sys.modules))"
NAMES = ("empty Definitions", "bqx_ops")


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    figures = {name: [] for name in NAMES}
    for _ in range(runs):
        for name, code in zip(NAMES, (EMPTY, OURS)):
            figures[name].append(measure([sys.executable, "-c", CHECK.format(code=code)]))
    best = {name: min(runs_of, key=lambda f: f.cpu) for name, runs_of in figures.items()}
    for name in NAMES:
        print(f"{name:18s} {best[name].line()} cpu={best[name].cpu:.3f}s modules={best[name].stdout.strip()}")
    pairs = [ours.cpu / empty.cpu for empty, ours in zip(*figures.values())]
    print(f"ratio (CPU, quietest against quietest) = {best['bqx_ops'].cpu / best['empty Definitions'].cpu:.2f}x; "
          f"median of {runs} side-by-side ratios = {statistics.median(pairs):.2f}x")


if __name__ == "__main__":
    main()
