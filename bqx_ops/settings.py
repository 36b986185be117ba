"""Run-time settings read from the environment (never secrets: those go through dg.EnvVar)."""

from __future__ import annotations

import os
from pathlib import Path

MODES = ("local", "live")


def mode() -> str:
    """``BQX_OPS_MODE``: ``local`` (embedded sample, the default) or ``live``."""
    value = os.environ.get("BQX_OPS_MODE", "local").strip().lower()
    if value not in MODES:
        raise ValueError(f"BQX_OPS_MODE must be one of {MODES}, got {value!r}")
    return value


def data_dir() -> Path:
    """``BQX_OPS_DATA_DIR``: landing zone, DuckDB file, docs repo and sinks (default ./data)."""
    return Path(os.environ.get("BQX_OPS_DATA_DIR", "data")).resolve()


def duckdb_path() -> Path:
    return data_dir() / "bqx_ops.duckdb"
