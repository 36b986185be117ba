"""The warehouse's IO manager: dagster-duckdb-pandas' own, with pandas imported when a run opens it.

``DuckDBPandasIOManager`` imports pandas with its module, so the code location would import it at
load; this is the same IO manager (``DuckDBIOManager`` with a pandas type handler and
``pd.DataFrame`` as the default load type), its type handler imported by ``create_io_manager``.
The handler (``pandas_handler.WindowPandasTypeHandler``) states a window's column list once.
"""

from collections.abc import Sequence

from dagster._core.storage.db_io_manager import DbTypeHandler
from dagster_duckdb import DuckDBIOManager


class PandasTablesIOManager(DuckDBIOManager):
    """DuckDBPandasIOManager with ``WindowPandasTypeHandler``, its pandas imported by a run."""

    @staticmethod
    def type_handlers() -> Sequence[DbTypeHandler]:
        from bqx_ops.resources.pandas_handler import WindowPandasTypeHandler

        return [WindowPandasTypeHandler()]

    @staticmethod
    def default_load_type() -> type | None:
        import pandas as pd

        return pd.DataFrame
