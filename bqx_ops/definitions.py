"""The bqx_ops code location: one entry point for `dg dev`, `dg check defs` and the code server.

Each domain under bqx_ops/defs/<domain>/definitions.py contributes ``domain_defs(mode)``;
resources are chosen here, once, for the mode.
"""

import gc
from pathlib import Path

import dagster as dg

# Dagster's own objects (and whatever the host process loaded before us) live as long as the
# process: leave them out of the cyclic collector's full scans, which the definitions' allocations
# below would otherwise trigger (two such scans were ~80 ms of a ~400 ms load). Nothing is lost:
# objects created from here on are collected as before.
gc.freeze()

from bqx_ops import settings  # noqa: E402 - after the freeze, on purpose
from bqx_ops.defs.airtable import definitions as airtable  # noqa: E402
from bqx_ops.defs.assessment import definitions as assessment  # noqa: E402
from bqx_ops.defs.cadence import definitions as cadence  # noqa: E402
from bqx_ops.defs.dashboard import definitions as dashboard  # noqa: E402
from bqx_ops.defs.docs_sync import definitions as docs_sync  # noqa: E402
from bqx_ops.defs.issue_review import definitions as issue_review  # noqa: E402
from bqx_ops.defs.outbox import definitions as outbox  # noqa: E402
from bqx_ops.defs.plan_update import definitions as plan_update  # noqa: E402
from bqx_ops.resources.factory import build_resources  # noqa: E402

DOMAINS = (airtable, cadence, outbox, docs_sync, plan_update, issue_review, assessment, dashboard)


def build_defs(mode: str | None = None, data_dir: Path | None = None) -> dg.Definitions:
    """Definitions for a mode and data dir (defaults: the environment, see README)."""
    mode = mode or settings.mode()
    data_dir = Path(data_dir) if data_dir else settings.data_dir()
    return dg.Definitions.merge(
        *(domain.domain_defs(mode) for domain in DOMAINS),
        dg.Definitions(resources=build_resources(mode, data_dir), executor=dg.in_process_executor),
    )


defs = build_defs()
