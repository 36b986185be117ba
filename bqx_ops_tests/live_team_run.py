"""A team's cadence in LIVE mode, in a process of its own (definitions read the environment): the same
replay the demo makes (bqx_ops.replay's steps in date order), but with live resources. The Airtable
snapshots must already be in the landing zone: live mode takes only today's, so the test lands each past
day through the live client on that day's state (``land_snapshots``).

    python -m bqx_ops_tests.live_team_run DATA_DIR FIRST LAST
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path


def land_snapshots(server, base_id: str, data_dir: Path, days_and_tables: list[tuple[dt.date, dict]]) -> None:
    """Serve each day's tables from the local Airtable server and take that day's snapshot with the real
    pyairtable client (``today`` = that day: the one thing the test stands in for is the clock)."""
    from bqx_ops.resources.airtable import LiveAirtable
    from bqx_ops_tests.servers.fixtures import AIRTABLE_TOKEN

    source = LiveAirtable(data_dir=str(data_dir), api_key=AIRTABLE_TOKEN, base_id=base_id,
                          endpoint_url=server.url, requests_per_second=1000)
    for day, tables in days_and_tables:
        for name, records in tables.items():
            server.set_records(base_id, name, records)
        source.land_snapshot(day, day)


def main(data_dir: Path, first: dt.date, last: dt.date) -> int:
    import os

    # the demo's own settings for many partitions in one run (bqx_ops.cli.prepare_environment)
    os.environ.setdefault("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", "1")
    os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", "10000")
    os.environ.setdefault("BQX_OPS_SHARED_LOOKS", "1")
    import dagster

    from bqx_ops import cli, replay
    from bqx_ops.definitions import build_defs
    from bqx_ops.landing import Landing

    defs = build_defs(mode="live", data_dir=data_dir)
    days = [d for d in Landing(data_dir).airtable_snapshot_dates() if first <= d <= last]
    with dagster.DagsterInstance.get() as instance, cli._warehouse_open(defs, data_dir):
        return replay.replay(defs, instance, data_dir, Path(os.environ["DAGSTER_HOME"]), days, from_start=True)


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2]), dt.date.fromisoformat(sys.argv[3])))
