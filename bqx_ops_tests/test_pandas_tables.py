"""The pandas tables IO manager: dagster-duckdb-pandas' writes and metadata, the column list said once per window."""

import dagster as dg
import duckdb
import pandas as pd

from bqx_ops.resources.pandas_handler import COLUMN_LIST
from bqx_ops.resources.pandas_tables import PandasTablesIOManager

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-01-10")


@dg.asset(key=["demo", "daily"], partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run(),
          metadata={"partition_expr": "day"})
def daily(context: dg.AssetExecutionContext) -> pd.DataFrame:
    start, end = context.partition_time_window
    days = pd.date_range(start.replace(tzinfo=None), end.replace(tzinfo=None), freq="D", inclusive="left")
    return pd.DataFrame({"day": days, "value": range(len(days))})


def _run(tmp_path, tags: dict) -> dg.DagsterInstance:
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize([daily], instance=instance, tags=tags,
                            resources={"io_manager": PandasTablesIOManager(database=str(tmp_path / "t.duckdb"))})
    assert result.success
    return instance


def _metadata(instance) -> dict[str, dict]:
    events = instance.fetch_materializations(dg.AssetKey(["demo", "daily"]), limit=100).records
    return {e.asset_materialization.partition: e.asset_materialization.metadata for e in events}


def test_a_window_of_partitions_stores_its_rows_and_counts_without_a_column_list_per_partition(tmp_path):
    instance = _run(tmp_path, {"dagster/asset_partition_range_start": "2025-01-02",
                               "dagster/asset_partition_range_end": "2025-01-05"})
    by_partition = _metadata(instance)
    assert sorted(by_partition) == ["2025-01-02", "2025-01-03", "2025-01-04", "2025-01-05"]
    for metadata in by_partition.values():
        assert COLUMN_LIST not in metadata
        assert metadata["dagster/row_count"].value == 4 and metadata["dagster/storage_kind"].value == "duckdb"
    with duckdb.connect(str(tmp_path / "t.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT strftime(day, '%Y-%m-%d'), value FROM demo.daily ORDER BY day").fetchall() == [
            ("2025-01-02", 0), ("2025-01-03", 1), ("2025-01-04", 2), ("2025-01-05", 3)]


def test_a_single_partition_keeps_dagster_duckdb_pandas_metadata_whole(tmp_path):
    instance = _run(tmp_path, {"dagster/partition": "2025-01-07"})
    (metadata,) = _metadata(instance).values()
    assert [c.name for c in metadata[COLUMN_LIST].value.columns] == ["day", "value"]
    assert metadata["dagster/partition_row_count"].value == 1
