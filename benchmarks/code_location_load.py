"""CPU to load the bqx_ops code location against an empty ``Definitions``, in fresh processes.

Each load imports the module and builds the repository (what `dg check defs` and the code
server do before serving). The loads are run in turns (empty, empty frozen, ours, empty, ...) so that
the machine's neighbours weigh on all alike; prints the quietest of N runs of each, and our ratio
(quietest against quietest, and the median of the N side-by-side ratios) against two baselines:
the goal's, an empty ``Definitions``; and an empty ``Definitions`` that also freezes Dagster's
objects out of the cyclic collector's scans as ``bqx_ops.definitions`` does (``gc.freeze()``), so
that the second ratio is the weight of our own modules and definitions alone. Run by hand:

    .venv/bin/python benchmarks/code_location_load.py [N]
"""

import statistics
import sys

from measure import measure

EMPTY = "import dagster as dg; dg.Definitions().get_repository_def()"
EMPTY_FROZEN = "import gc, dagster as dg; gc.freeze(); dg.Definitions().get_repository_def()"
OURS = "from bqx_ops.definitions import defs; defs.get_repository_def()"
CHECK = "import sys, warnings; warnings.simplefilter('always'); {code}; print(len(sys.modules))"
LOADS = {"empty Definitions": EMPTY, "empty, frozen": EMPTY_FROZEN, "bqx_ops": OURS}


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    figures = {name: [] for name in LOADS}
    for _ in range(runs):
        for name, code in LOADS.items():
            figures[name].append(measure([sys.executable, "-c", CHECK.format(code=code)]))
    best = {name: min(runs_of, key=lambda f: f.cpu) for name, runs_of in figures.items()}
    for name in LOADS:
        print(f"{name:18s} {best[name].line()} cpu={best[name].cpu:.3f}s modules={best[name].stdout.strip()}")
    for baseline in ("empty Definitions", "empty, frozen"):
        pairs = [ours.cpu / empty.cpu for empty, ours in zip(figures[baseline], figures["bqx_ops"])]
        print(f"bqx_ops / {baseline} (CPU): {best['bqx_ops'].cpu / best[baseline].cpu:.2f}x quietest against "
              f"quietest, {statistics.median(pairs):.2f}x median of {runs} side-by-side ratios")


if __name__ == "__main__":
    main()
