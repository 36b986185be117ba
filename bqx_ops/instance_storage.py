"""The local instance's event log and run storage: Dagster's own SQLite storages, same files and
schema, with each database's engine kept open (the run storage: ``PooledSqliteRunStorage`` below).

Dagster's ``SqliteEventLogStorage`` builds a new SQLAlchemy engine for every event it stores:
a new SQLite connection, a fresh statement cache (every INSERT compiled again) and a synced
commit, twice per materialization (the run's file and the cross-run index). A single-run
backfill writes one materialization per partition, so that was over half of the demo's CPU.
Here the index's engine and the few most recent runs' engines stay open, and WAL commits are
synced at checkpoints (``synchronous=NORMAL``: a power cut may lose the last events, never
corrupt the file). Production runs on PostgreSQL (deploy/dagster.yaml) and does not use this.

With ``DAGSTER_EVENT_BATCH_SIZE`` set (the demo sets it), the materializations of a single-run
backfill's output (one per partition) are written as one batch: one executemany into the run's file
and one into the index, the asset's row updated once for the last, as dagster-postgres does.

Configured in the repo's dagster.yaml; ``base_dir`` defaults to $DAGSTER_HOME/history/runs,
where Dagster's default storage keeps the same files, so an existing instance keeps its history.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections import OrderedDict
from contextlib import contextmanager

import sqlalchemy as sa
from dagster import DagsterEventType, Field, StringSource
from dagster import __version__ as dagster_version
from dagster._core.errors import DagsterInvariantViolationError
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.sqlite import create_db_conn_string

RECENT_RUNS = 4  # run files kept open besides the index: a run writes to one, the UI reads a few


def default_base_dir() -> str:
    """$DAGSTER_HOME/history/runs. Dagster tells a storage nothing of the folder its dagster.yaml
    was read from, so this instance needs DAGSTER_HOME set to that folder (as `dg dev`, the
    daemon and `DagsterInstance.get()` do); loading it without is an error, never another folder."""
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise RuntimeError("bqx_ops' event log storage needs DAGSTER_HOME set to the folder of its dagster.yaml "
                           "(or base_dir in the event_log_storage config)")
    return os.path.join(home, "history", "runs")


def _sync_at_checkpoints(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` whose engines outlive one event (see the module docstring)."""

    def __init__(self, base_dir: str | None = None, inst_data=None):
        self._engines: OrderedDict[str, sa.Engine] = OrderedDict()  # before: the parent connects
        self._template: str | None = None
        self._tables_seen: set[str] = set()
        super().__init__(base_dir or default_base_dir(), inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> sa.Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = sa.create_engine(self.conn_string_for_shard(shard),
                                      connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
            sa.event.listen(engine, "connect", _sync_at_checkpoints)
        self._engines[shard] = engine  # most recently used last
        runs = [s for s in self._engines if s != INDEX_SHARD_NAME]
        for stale in runs[:-RECENT_RUNS]:
            self._engines.pop(stale).dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str):
        with self._db_lock:
            if shard not in self._initialized_dbs and shard != INDEX_SHARD_NAME and self._from_template(shard):
                self._initialized_dbs.add(shard)
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _from_template(self, shard: str) -> bool:
        """A new run's file as a copy of an empty one Dagster initialized (its tables, WAL mode and
        alembic stamp): ``_initdb`` on every new run file (create_all, an alembic revision check and
        stamp) cost ~60 ms a run. The template is made once per process, by ``_initdb`` itself; the
        copy is put in place only if no file is there (a run's file is never replaced). False: no
        template (the run's file is then initialized as Dagster does)."""
        path = self.path_for_shard(shard)
        if os.path.exists(path):
            return False
        if self._template is None:
            self._template = self._made_template()
        staged = f"{path}.{os.getpid()}.new"
        shutil.copyfile(self._template, staged)
        try:
            os.link(staged, path)  # fails if the file appeared meanwhile: that one is kept
        except FileExistsError:
            return False
        finally:
            os.unlink(staged)
        return True

    def _made_template(self) -> str:
        """The empty run file, made once per Dagster release in a folder of the instance beside the
        runs (``*.db`` of ``base_dir`` itself are runs; a subfolder is not read as one). Kept with
        the instance rather than in a temporary folder, which a killed process would leave behind;
        made under a staging name and renamed into place, so a concurrent or killed maker never
        leaves a half file under the final name."""
        folder = os.path.join(self._base_dir, "event_log_template")
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"dagster-{dagster_version}.db")
        if os.path.exists(path):
            return path
        staging = f"staging-{os.getpid()}-{threading.get_ident()}"
        engine = sa.create_engine(create_db_conn_string(folder, staging))
        try:
            self._initdb(engine)
        finally:
            engine.dispose()
        os.replace(os.path.join(folder, f"{staging}.db"), path)
        return path

    def has_table(self, table_name: str) -> bool:
        # asked before every asset event's tags are stored, each time with a new engine and a schema
        # reflection; a table of the index, once there, stays (only "exists" is remembered)
        if table_name in self._tables_seen:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables_seen.add(table_name)
        return found

    def store_event_batch(self, events) -> None:
        """One run's batch of one asset's materializations (or observations): the events inserted by
        two executemany statements (one per file); anything else event by event, as Dagster's own
        storage does (check evaluations are never batched: Dagster stores each as it comes)."""
        kinds = {e.dagster_event_type for e in events}
        one_run = len(events) > 1 and len({e.run_id for e in events}) == 1 and events[0].run_id
        if (not one_run or kinds not in ({DagsterEventType.ASSET_MATERIALIZATION},
                                         {DagsterEventType.ASSET_OBSERVATION})
                or len({e.dagster_event.asset_key for e in events}) != 1):
            return super().store_event_batch(events)
        rows = self._insert_in_run_file(events)  # first: one connection at a time (the storage's lock)
        with self.index_transaction() as conn:
            ids = self._insert_in_index(conn, rows)
            self._store_asset_event_tags(conn, events, ids)
            self._store_asset_event(conn, events[-1], ids[-1])  # the asset's row: its latest event

    # One executemany of a statement compiled once, rather than Dagster's one INSERT of N VALUES rows
    # (compiled anew for each N: a third of the cost of storing a 317-partition output); each event
    # serialized once for both files.
    def _insert_in_run_file(self, events) -> list[dict]:
        rows = [self._event_to_row(event) for event in events]
        with self.run_connection(events[0].run_id) as conn:
            conn.execute(SqlEventLogStorageTable.insert(), rows)
        return rows

    @staticmethod
    def _insert_in_index(conn, rows: list[dict]) -> list[int]:
        """The rows' ids in the index, in the rows' order."""
        returning = SqlEventLogStorageTable.insert().returning(SqlEventLogStorageTable.c.id,
                                                               sort_by_parameter_order=True)
        ids = [row[0] for row in conn.execute(returning, rows).fetchall()]
        if len(ids) != len(rows) or any(i is None for i in ids):
            raise DagsterInvariantViolationError("Cannot store asset event tags for null event id.")
        return ids

    def _dispose_engines(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._dispose_engines()  # the run files are deleted: no connection may stay on them
        self._tables_seen.clear()
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


class PooledSqliteRunStorage(SqliteRunStorage):
    """Dagster's SQLite run storage (``runs.db``, the same file, schema, migrations and journal) with its
    engine kept open: Dagster's builds a new engine and opens a new SQLite connection for every read and
    write of a run's record (its creation, each status change, the tags and snapshots read at each
    step), some 200 times in the demo's replay."""

    def __init__(self, conn_string: str, inst_data=None):
        super().__init__(conn_string, inst_data)
        self._kept: sa.Engine | None = None
        self._kept_lock = threading.Lock()

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        # Dagster's default place: $DAGSTER_HOME/history/runs.db (the run files are in history/runs/)
        base_dir = config_value.get("base_dir") or os.path.dirname(default_base_dir())
        return cls.from_local(base_dir, inst_data=inst_data)

    @contextmanager
    def connect(self):
        with self._kept_lock:
            if self._kept is None:  # Dagster's engine options but its pool: one connection kept per thread
                self._kept = sa.create_engine(self._conn_string)
        with self._kept.connect() as conn, conn.begin():
            yield conn

    def dispose(self) -> None:
        with self._kept_lock:
            if self._kept is not None:
                self._kept.dispose()
                self._kept = None
        super().dispose()
