"""Loading the code location: no warning printed, no client library nor pandas imported (fresh processes)."""

import subprocess
import sys
from pathlib import Path

LOAD = ("import sys, warnings; warnings.simplefilter('default'); "
        "from bqx_ops.definitions import build_defs; repo = build_defs(mode='{mode}').get_repository_def(); "
        "repo.get_all_jobs(); list(repo.sensor_defs); list(repo.schedule_defs); "
        "print(' '.join(sorted({{m.split('.')[0] for m in sys.modules}} & {clients!r})))")
CLIENTS = {"boto3", "botocore", "github", "pyairtable", "slack_sdk", "dagster_aws", "dagster_slack",
           "pandas", "numpy", "dagster_duckdb_pandas"}  # pandas: imported by the first run that uses it


def _load(mode: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", LOAD.format(mode=mode, clients=CLIENTS)],
                          capture_output=True, text=True, timeout=300)


def test_loading_the_code_location_prints_nothing_and_imports_no_client_nor_pandas_in_either_mode():
    for mode in ("local", "live"):
        done = _load(mode)
        assert done.returncode == 0, done.stderr
        assert done.stderr == "", f"{mode}: {done.stderr}"  # no BetaWarning, no PreviewWarning, nothing
        assert done.stdout.strip() == "", f"{mode} imported {done.stdout}"


def test_the_readmes_dg_check_defs_prints_only_its_verdict(tmp_path):
    """`export DAGSTER_HOME=$PWD && .venv/bin/dg check defs`, as the README has it: no venv activated."""
    repo = Path(__file__).resolve().parents[1]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DAGSTER_HOME": str(repo)}  # nothing activated
    done = subprocess.run([str(Path(sys.executable).with_name("dg")), "check", "defs"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    assert lines == ["All component YAML validated successfully.", "All definitions loaded successfully."]
