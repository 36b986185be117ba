"""The bqx_ops code location: one entry point for `dg dev`, `dg check defs` and the code server.

Each domain under bqx_ops/defs/<domain>/definitions.py contributes ``domain_defs(mode)``;
resources are chosen here, once, for the mode.
"""

from pathlib import Path

import dagster as dg

from bqx_ops import settings
from bqx_ops.defs.airtable import definitions as airtable
from bqx_ops.defs.assessment import definitions as assessment
from bqx_ops.defs.cadence import definitions as cadence
from bqx_ops.defs.dashboard import definitions as dashboard
from bqx_ops.defs.docs_sync import definitions as docs_sync
from bqx_ops.defs.issue_review import definitions as issue_review
from bqx_ops.defs.outbox import definitions as outbox
from bqx_ops.defs.plan_update import definitions as plan_update
from bqx_ops.resources.factory import build_resources

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
