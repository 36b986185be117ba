"""Resources for a mode: ``local`` (embedded sample, no network) or ``live`` (real clients).

Secrets are only ever ``dg.EnvVar`` references, resolved by Dagster at run time.
"""

import os
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource
from dagster_duckdb_pandas import DuckDBPandasIOManager

from bqx_ops.resources.airtable import EmbeddedAirtable, LiveAirtable


def build_resources(mode: str, data_dir: Path) -> dict:
    database = str(data_dir / "bqx_ops.duckdb")
    schema_map = os.environ.get("BQX_OPS_SCHEMA_MAP") or None
    resources: dict = {
        "io_manager": DuckDBPandasIOManager(database=database),
        "duckdb": DuckDBResource(database=database),
    }
    if mode == "live":
        resources["airtable"] = LiveAirtable(
            data_dir=str(data_dir),
            schema_mapping_path=schema_map,
            api_key=dg.EnvVar("AIRTABLE_API_KEY"),
            base_id=dg.EnvVar("AIRTABLE_BASE_ID"),
            endpoint_url=os.environ.get("AIRTABLE_ENDPOINT_URL", "https://api.airtable.com"),
        )
    else:
        resources["airtable"] = EmbeddedAirtable(data_dir=str(data_dir), schema_mapping_path=schema_map)
    return resources
