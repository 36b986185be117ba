"""The short summary `bqx-ops demo` prints at the end."""

from __future__ import annotations

import contextlib
import datetime as dt
from pathlib import Path

import duckdb

from bqx_ops.config import current
from bqx_ops.db import table_exists


def _mark(ev) -> str:
    return "ok  " if ev.passed else ("WARN" if ev.severity.value == "WARN" else "FAIL")


def _check_lines(result) -> list[str]:
    """One line per check; a partitioned check says how many periods failed and which."""
    by_check: dict[tuple[str, str], list] = {}
    for ev in result.get_asset_check_evaluations():
        by_check.setdefault((ev.asset_key.to_user_string(), ev.check_name), []).append(ev)
    lines = []
    for (asset, name), evs in by_check.items():
        failed = [ev for ev in evs if not ev.passed]
        worst = next((ev for ev in failed if _mark(ev) == "FAIL"), failed[-1] if failed else evs[-1])
        if any(ev.partition for ev in evs):
            periods = sorted(ev.partition for ev in failed)
            detail = (f": {len(failed)} of {len(evs)} periods failed: {', '.join(periods)}" if failed
                      else f" ({len(evs)} periods)")
            lines.append(f"  [{_mark(worst)}] {asset} {name}{detail}")
            if failed and failed[-1].description:
                lines.append(f"         latest: {failed[-1].description[:160]}")
        else:
            detail = f": {worst.description}" if failed and worst.description else ""
            lines.append(f"  [{_mark(worst)}] {asset} {name}{detail[:160]}")
    return lines


@contextlib.contextmanager
def _connect(db_path: Path):
    """The configuration dagster-duckdb's runs used: DuckDB refuses a connection with another
    configuration (read-only, say) to a file this process still holds, and dagster-duckdb leaves
    the connection of a step that raised open until garbage collection."""
    conn = duckdb.connect(str(db_path), config={"custom_user_agent": "dagster"})
    try:
        yield conn
    finally:
        conn.close()


def table_counts(db_path: Path) -> list[tuple[str, int]]:
    if not db_path.exists():
        return []
    with _connect(db_path) as conn:
        names = conn.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2"
        ).fetchall()
        return [(f"{s}.{t}", conn.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0]) for s, t in names]


def _outbox_counts(db_path: Path) -> list[tuple[str, int]]:
    if not db_path.exists():
        return []
    with _connect(db_path) as conn:
        if not table_exists(conn, "ops", "outbox"):
            return []
        return conn.execute("SELECT status, count(*) FROM ops.outbox GROUP BY 1").fetchall()


def _first_error(result) -> str | None:
    """The first failed step's root cause, one line."""
    for event in result.all_events:
        if event.is_step_failure and (error := event.step_failure_data.error):
            while error.cause:  # Dagster's wrapper first, the real reason last
                error = error.cause
            lines = error.message.strip().splitlines() or [""]
            return f"{event.step_key}: {lines[0][:200]}"
    return None


def print_summary(results, data_dir: Path, dagster_home: Path, period: tuple[dt.date, dt.date]) -> None:
    print(f"\nbqx-ops demo: {period[0]} .. {period[1]} (local mode, data in {data_dir})")
    for title, result in results:
        if hasattr(result, "because"):
            print(f"- {title}: SKIPPED: it reads the outputs of {', '.join(result.because)}, "
                  "which did not succeed")
            continue
        status = "succeeded" if result.success else "FAILED"
        took = f" in {result.seconds:.1f} s" if hasattr(result, "seconds") else ""
        print(f"- {title}: run {result.run_id[:8]} {status}{took}")
        for line in _check_lines(result):
            print(line)
        if not result.success and (error := _first_error(result)):
            print(f"  error: {error}")
    print("\nDuckDB tables (rows):")
    try:
        counts, outbox = table_counts(data_dir / "bqx_ops.duckdb"), dict(
            (name, rows) for name, rows in _outbox_counts(data_dir / "bqx_ops.duckdb"))
    except duckdb.Error as exc:  # the summary always prints; say why the tables cannot be shown
        counts, outbox = [], {}
        print(f"  (cannot read {data_dir / 'bqx_ops.duckdb'}: {exc})")
    for name, rows in counts:
        print(f"  {name:32s} {rows:>8d}")
    if outbox:
        print("\nOutbox: " + ", ".join(f"{n} {status}" for status, n in sorted(outbox.items())))
        if outbox.get("recorded_only"):
            print("  (recorded_only: periods older than the horizon are never sent, so a replay of\n"
                  "   history pages nobody; BQX_OPS_OUTBOX_HORIZON_DAYS widens it for the sinks; also a\n"
                  "   version superseded by a newer one of its key before it was sent)")
    print(f"\nOutputs: DuckDB {data_dir / 'bqx_ops.duckdb'}; landing zone {data_dir / 'landing'};")
    docs = current("local", data_dir).docs_dir()
    print(f"  docs repo {data_dir / docs} (origin {data_dir / f'{docs}.git'}: git log, docs/); sinks {data_dir / 'sinks'}")
    print(f"Browse runs, lineage and checks: DAGSTER_HOME={dagster_home} dg dev")
