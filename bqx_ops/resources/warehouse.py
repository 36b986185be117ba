"""The warehouse: one DuckDB file (the default) or DuckLake (production, many writers).

DuckLake keeps its catalog in PostgreSQL and its data as Parquet files under a shared path
(a directory or an S3 prefix), so runs in separate processes, containers or machines write
the same tables through the same SQL. Every connection is an in-memory DuckDB that LOADs the
two extensions from the ``duckdb-ext-*`` wheels (no download at run time: production has no
route to DuckDB's extension repository), ATTACHes the lake and USEs it, so ``schema.table``
names resolve exactly as they do in the file. Both the ``duckdb`` resource and the
dagster-duckdb-pandas IO manager are subclasses that only change how a connection is opened.
"""

from __future__ import annotations

import importlib.util
import os
import time
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
from dagster._core.storage.db_io_manager import DbIOManager
from dagster_duckdb import DuckDBResource
from dagster_duckdb.io_manager import DuckDbClient
from pydantic import Field, PrivateAttr

from bqx_ops.resources.pandas_tables import PandasTablesIOManager

LAKE = "lake"
RUN_WAITS_FOR_LOCK_SECONDS = 6 * 3600  # a run waits this long for another run's process to release the file


class KeptDuckDBResource(DuckDBResource):
    """``DuckDBResource`` on the file, which keeps one connection open while a run (or a sensor tick)
    executes. DuckDB shares one database instance among a process's connections: while one stays
    open, every ``get_connection()`` and every IO-manager connection of the run attaches to it in
    ~0.2 ms, where opening the file costs ~20 ms and the last close a checkpoint (the demo opened
    and closed it ~110 times). The run's last close checkpoints once. The kept connection is opened by
    ``get_connection`` itself: the same configuration as every other (DuckDB refuses a second one)."""

    _kept: ExitStack | None = PrivateAttr(default=None)

    def setup_for_execution(self, context) -> None:
        # not before its folder exists: a first run's assets create it (landing), as they always did
        if self.database != ":memory:" and Path(self.database).parent.is_dir():
            kept = ExitStack()
            is_run = getattr(context, "run", None) is not None
            deadline = time.monotonic() + (RUN_WAITS_FOR_LOCK_SECONDS if is_run else 0)
            while True:
                try:
                    kept.enter_context(self.get_connection())  # dagster-duckdb's own connect: its config and retries
                    break
                except duckdb.IOException as exc:
                    # Another run's process has the file (DuckDB allows one): a run started meanwhile (a
                    # schedule tick during a manual run) waits for it to end, where dagster-duckdb's ~100 s
                    # of retries made it fail. A sensor tick does not wait: its next tick reads.
                    if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                        raise
                    context.log.info(f"{self.database} is in use by another process; waiting for it")
                    time.sleep(1)
            self._kept = kept

    def teardown_after_execution(self, context) -> None:
        kept, self._kept = self._kept, None
        if kept is not None:
            kept.close()


def extension_directory() -> str:
    """Where the ``duckdb-ext-ducklake`` / ``duckdb-ext-postgres`` wheels put the extensions
    (``<dir>/v<duckdb version>/<platform>/<name>.duckdb_extension``, DuckDB's own layout)."""
    spec = importlib.util.find_spec("duckdb_ext")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("DuckLake needs the duckdb-ext-ducklake and duckdb-ext-postgres packages")
    return str(Path(next(iter(spec.submodule_search_locations))) / "extensions")


def attach_sql(catalog: str, data_path: str) -> str:
    """``catalog`` is a libpq DSN (``dbname=bqx_lake host=db user=bqx``) or ``postgres:<dsn>``."""
    dsn = catalog.removeprefix("ducklake:").removeprefix("postgres:")
    quoted_dsn, quoted_path = dsn.replace("'", "''"), data_path.replace("'", "''")
    return f"ATTACH 'ducklake:postgres:{quoted_dsn}' AS {LAKE} (DATA_PATH '{quoted_path}')"


def s3_secret_sql() -> str:
    """S3 credentials from boto3's chain (env, profile, task role), never from our config;
    ``AWS_ENDPOINT_URL`` (moto, LocalStack, MinIO) switches to a path-style endpoint."""
    options = ["TYPE s3", "PROVIDER credential_chain"]
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if region:
        options.append(f"REGION '{region}'")
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        url = urlsplit(endpoint)
        options += [f"ENDPOINT '{url.netloc}'", "URL_STYLE 'path'", f"USE_SSL {str(url.scheme == 'https').lower()}"]
    return f"CREATE OR REPLACE SECRET bqx_ops_lake_s3 ({', '.join(options)})"


def connect_lake(catalog: str, data_path: str, config: dict | None = None):
    """An in-memory DuckDB connection whose default catalog is the lake."""
    import duckdb

    conn = duckdb.connect(":memory:", config={
        "custom_user_agent": "dagster",
        "extension_directory": extension_directory(),
        "autoinstall_known_extensions": False,
        **(config or {}),
    })
    try:
        conn.execute("LOAD ducklake")
        conn.execute("LOAD postgres")
        if data_path.startswith("s3://"):
            conn.execute("LOAD httpfs")
            conn.execute("LOAD aws")
            conn.execute(s3_secret_sql())
        conn.execute(attach_sql(catalog, data_path))
        conn.execute(f"USE {LAKE}")
    except Exception:
        conn.close()
        raise
    return conn


class DuckLakeResource(DuckDBResource):
    """``DuckDBResource`` on DuckLake: same ``get_connection()``, the lake as default catalog."""

    database: str = Field(default=":memory:", description="Unused: connections are in-memory.")
    catalog: str = Field(description="PostgreSQL DSN of the DuckLake catalog (libpq key=value).")
    data_path: str = Field(description="Directory or s3:// prefix holding the lake's Parquet files.")

    @contextmanager
    def get_connection(self):
        conn = connect_lake(self.catalog, self.data_path, self.connection_config)
        try:
            yield conn
        finally:
            conn.close()


class _DuckLakeClient(DuckDbClient):
    @staticmethod
    @contextmanager
    def connect(context, _):
        config = context.resource_config
        conn = connect_lake(config["catalog"], config["data_path"], config.get("connection_config"))
        try:
            yield conn
        finally:
            conn.close()


CONFLICT_ATTEMPTS = 5  # a write DuckLake refuses for a conflicting transaction is tried again


def _refused_commit(exc: Exception) -> bool:
    """DuckLake refused the commit (so nothing of the transaction was applied): a conflict, or its
    catalog read failing while another writer commits ("Failed to parse catalog entry")."""
    text = str(exc)
    return "Failed to commit DuckLake transaction" in text or "conflict" in text.lower()


class _LakeDbIOManager(DbIOManager):
    """``DbIOManager`` whose write is tried again when DuckLake refuses its commit: two first runs
    creating the same schema or table at once (the loser then finds it there), two runs committing
    to one table, or the catalog read failing under another writer's commit. The write is idempotent (delete the slice, insert),
    so trying again is safe; any other error, or the last attempt's, goes up unchanged."""

    def handle_output(self, context, obj) -> None:
        import duckdb

        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                return super().handle_output(context, obj)
            except duckdb.TransactionException as exc:
                if not _refused_commit(exc) or attempt == CONFLICT_ATTEMPTS:
                    raise
                context.log.info(f"DuckLake transaction conflict, attempt {attempt} of {CONFLICT_ATTEMPTS}: "
                                 f"{str(exc).splitlines()[-1]}")
                time.sleep(0.05 * 2 ** attempt)


class DuckLakePandasIOManager(PandasTablesIOManager):
    """The pandas tables IO manager on DuckLake: its type handler, partition deletes and
    metadata are unchanged; only the connection differs."""

    database: str = Field(default=":memory:", description="Unused: connections are in-memory.")
    catalog: str = Field(description="PostgreSQL DSN of the DuckLake catalog (libpq key=value).")
    data_path: str = Field(description="Directory or s3:// prefix holding the lake's Parquet files.")

    def create_io_manager(self, context) -> DbIOManager:
        # DuckDBIOManager.create_io_manager with the lake's client instead of the file's.
        return _LakeDbIOManager(
            db_client=_DuckLakeClient(), database=self.database, schema=self.schema_,
            type_handlers=self.type_handlers(), default_load_type=self.default_load_type(),
            io_manager_name="DuckLakePandasIOManager",
        )


def warehouse_resources(kind: str, database: str, catalog: str | None, data_path: str | None) -> dict:
    """``io_manager`` and ``duckdb`` for ``BQX_OPS_WAREHOUSE`` = ``duckdb`` (file) or ``ducklake``."""
    if kind == "duckdb":
        return {"io_manager": PandasTablesIOManager(database=database),
                "duckdb": KeptDuckDBResource(database=database)}
    if kind != "ducklake":
        raise ValueError(f"BQX_OPS_WAREHOUSE must be 'duckdb' or 'ducklake', got {kind!r}")
    if not catalog or not data_path:
        raise ValueError("BQX_OPS_WAREHOUSE=ducklake needs BQX_OPS_LAKE_CATALOG and BQX_OPS_LAKE_DATA_PATH")
    return {"io_manager": DuckLakePandasIOManager(catalog=catalog, data_path=data_path),
            "duckdb": DuckLakeResource(catalog=catalog, data_path=data_path)}

