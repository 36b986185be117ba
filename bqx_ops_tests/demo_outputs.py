"""Everything a `bqx-ops demo` leaves behind, in a comparable form (for the crash-recovery tests).

Two runs over the same period must leave the same tables, report bytes, git history and tags,
and outbox. Only bookkeeping that names a run or a wall-clock instant may differ (VOLATILE).
"""

import difflib
import subprocess
from pathlib import Path

import duckdb

# (schema.table, column): which run or when, never what. An intent without a period (the dashboard's
# CloudWatch alarms) takes the enqueue instant as its period_end, and delivered_at is a wall clock.
VOLATILE = {("ops.outbox", c) for c in ("producer_run", "created_at", "updated_at", "delivered_at", "period_end")}


def tables(db_path: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, without the volatile columns."""
    with duckdb.connect(str(db_path), read_only=True) as conn:
        names = conn.execute("SELECT table_schema, table_name FROM information_schema.tables "
                             "WHERE table_schema NOT IN ('information_schema', 'pg_catalog') ORDER BY 1, 2").fetchall()
        out = {}
        for schema, table in names:
            name = f"{schema}.{table}"
            cols = [c for (c,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ? "
                "ORDER BY ordinal_position", [schema, table]).fetchall() if (name, c) not in VOLATILE]
            select = ", ".join(f'"{c}"' for c in cols)
            out[name] = conn.execute(f'SELECT {select} FROM "{schema}"."{table}" ORDER BY ALL').fetchall()
        return out


def _git(bare: Path, *args: str) -> str:
    return subprocess.run(["git", "--git-dir", str(bare), *args], capture_output=True, text=True,
                          check=True).stdout


def repository(bare: Path) -> dict[str, str]:
    """The docs origin: history (shas, dates, subjects), every tag and its target, every file's blob."""
    return {
        "log": _git(bare, "log", "--format=%H %P %ad %s", "--date=raw", "--all"),
        "tags": _git(bare, "for-each-ref", "--format=%(refname) %(objectname) %(*objectname) %(taggerdate:raw)",
                     "refs/tags"),
        "tree": _git(bare, "ls-tree", "-r", "HEAD"),
    }


def sinks(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()} \
        if folder.exists() else {}


def outputs(data_dir: Path) -> dict:
    return {"tables": tables(data_dir / "bqx_ops.duckdb"), "repo": repository(data_dir / "bqx-ml.git"),
            "sinks": sinks(data_dir / "sinks")}


def differences(a: dict, b: dict) -> list[str]:
    """Human-readable list of what differs (empty when identical)."""
    diffs = []
    for part in ("tables", "repo", "sinks"):
        for key in sorted(set(a[part]) | set(b[part])):
            if a[part].get(key) != b[part].get(key):
                diffs.append(f"{part}: {key}" + _lines(a[part].get(key), b[part].get(key)))
    return diffs


def _lines(a, b) -> str:
    """For text (git log, tags, tree), the first differing lines, so a failure says what differs."""
    if not isinstance(a, str) or not isinstance(b, str):
        return ""
    changed = [line for line in difflib.unified_diff(a.splitlines(), b.splitlines(), lineterm="", n=0)
               if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    return "\n  " + "\n  ".join(changed[:8]) if changed else ""
