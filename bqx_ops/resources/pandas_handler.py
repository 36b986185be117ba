"""dagster-duckdb-pandas' type handler, with a window's column list stated once rather than per partition.

A single-run backfill stores one materialization per partition, each carrying its output's metadata.
The type handler's ``dataframe_columns`` (the frame's column list) is the largest part: in the
snapshot run it made each of ~3,500 partition events 6.8 KB instead of 3.6 KB, and serializing it
three times the cost of the rest. A window of several partitions keeps its row count and storage
kind; the column list is stated by the assets' single-partition runs (every live run) as before.

Imported by ``PandasTablesIOManager`` when a run opens it: this module imports pandas.
"""

from collections.abc import Mapping

from dagster_duckdb_pandas import DuckDBPandasTypeHandler

COLUMN_LIST = "dataframe_columns"


class _OneStatement:
    """The output context, with the column list left out of the metadata it is given."""

    def __init__(self, context):
        self._context = context

    def __getattr__(self, name):
        return getattr(self._context, name)

    def add_output_metadata(self, metadata: Mapping) -> None:
        self._context.add_output_metadata({k: v for k, v in metadata.items() if k != COLUMN_LIST})


def _window(context) -> bool:
    return context.has_asset_partitions and len(context.asset_partition_keys) > 1


class WindowPandasTypeHandler(DuckDBPandasTypeHandler):
    def handle_output(self, context, table_slice, obj, connection):
        return super().handle_output(_OneStatement(context) if _window(context) else context, table_slice, obj,
                                     connection)
