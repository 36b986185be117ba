"""``python -m bqx_ops.sample DATA_DIR [--start YYYY-MM-DD] [--end YYYY-MM-DD]``"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

from . import SAMPLE_END, SAMPLE_START, write_sample


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bqx_ops.sample", description=__doc__)
    parser.add_argument("data_dir", help="the data dir; files go to DATA_DIR/landing/")
    parser.add_argument("--start", type=dt.date.fromisoformat, default=SAMPLE_START)
    parser.add_argument("--end", type=dt.date.fromisoformat, default=SAMPLE_END)
    args = parser.parse_args(argv)
    summary = write_sample(args.data_dir, args.start, args.end)
    print(json.dumps(summary, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
