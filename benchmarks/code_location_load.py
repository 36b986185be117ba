"""CPU to load the bqx_ops code location against an empty ``Definitions``, in fresh processes.

Each load imports the module and builds the repository (what `dg check defs` and the code
server do before serving). Prints the quietest of N runs of each and the ratio. Run by hand:

    .venv/bin/python benchmarks/code_location_load.py [N]
"""

import sys
import warnings

from measure import measure

EMPTY = "import dagster as dg; dg.Definitions().get_repository_def()"
OURS = "from bqx_ops.definitions import defs; defs.get_repository_def()"
CHECK = "import sys, warnings; warnings.simplefilter('always'); {code}; print(len(sys.modules))"


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    best = {}
    for name, code in (("empty Definitions", EMPTY), ("bqx_ops", OURS)):
        figures = [measure([sys.executable, "-c", CHECK.format(code=code)]) for _ in range(runs)]
        quietest = min(figures, key=lambda f: f.cpu)
        best[name] = quietest
        print(f"{name:18s} {quietest.line()} modules={quietest.stdout.strip()}")
    warnings.simplefilter("ignore")
    print(f"ratio (CPU) = {best['bqx_ops'].cpu / best['empty Definitions'].cpu:.2f}x over {runs} runs each")


if __name__ == "__main__":
    main()
