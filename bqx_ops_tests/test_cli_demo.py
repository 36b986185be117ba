"""`bqx-ops demo`: the main command, run for real on a short window of the sample."""

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from bqx_ops_tests.instances import instance_at

REPO = Path(__file__).resolve().parents[1]


def run_demo(tmp_path, *args):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home)}
    env.pop("BQX_OPS_MODE", None)
    cmd = [str(Path(sys.executable).with_name("bqx-ops")), "demo", "--data-dir", str(tmp_path / "data"), *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300), home


def assert_github_escalations(data: Path):
    """Every labelled GitHub issue open past its SLA at a replayed look (each June snapshot day 09:00)
    is escalated once at its level, and no other labelled issue is; computed from the landed JSON."""
    import datetime as dt
    import hashlib
    import json

    sla = {"P0": 24, "P1": 168, "P2": 336, "P3": 720}
    looks = [dt.datetime(2026, 6, d, 9) for d in (1, 5, 8, 12, 15, 19, 22, 26, 29, 30)]
    when = lambda t: t and dt.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    expected, labelled = set(), set()
    for item in json.loads((data / "landing" / "github" / "issues.json").read_text()):
        names = [x["name"] for x in item.get("labels") or [] if isinstance(x, dict) and x.get("name")]
        priority = next((n[-2:] for n in names if n.lower().startswith("priority:")), None)
        if "pull_request" in item or priority not in sla:
            continue
        fp = "github-" + hashlib.sha256(f"github\x1f{item['number']}".encode()).hexdigest()[:12]
        labelled.add(fp)
        created, closed = when(item["created_at"]), when(item["closed_at"]) if item["state"] != "open" else None
        if any(created + dt.timedelta(hours=sla[priority]) <= t and (closed is None or closed >= t) for t in looks):
            expected.add(f"escalation/issue/{fp}/{priority}/slack")
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        got = {k for (k,) in conn.execute("SELECT key FROM ops.outbox WHERE starts_with(key, 'escalation/issue/github-') "
                                          "AND channel = 'slack'").fetchall()}
    assert expected and {k for k in got if k.split("/")[2] in labelled} == expected


@pytest.mark.slow
def test_the_demo_writes_the_sample_runs_the_cadence_and_prints_a_summary(tmp_path):
    done, home = run_demo(tmp_path, "--from", "2026-06-01", "--to", "2026-06-30")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNING" not in done.stderr and "Warning" not in done.stderr, done.stderr[-2000:]  # the Quickstart's own
    out = done.stdout
    assert "bqx-ops demo: 2026-06-01 .. 2026-06-30" in out
    assert "Airtable snapshots: run" in out and "succeeded" in out
    assert "airtable.stages" in out and "dg dev" in out
    # every check of a partitioned asset is judged per period: the dashboard's four Mondays of June
    # (1, 8, 15, 22), the one review (June 1st), each line saying how many of its periods failed
    import re
    judged = dict(re.findall(r"\] \S+ (\w+)(?:: \d+ of | \()(\d+) periods", out))
    assert judged["operational_health_is_green"] == "4" and judged["no_p1_open_longer_than_a_week"] == "1", out
    # the sample was written because the data dir had no landing zone
    assert (tmp_path / "data" / "landing" / "airtable" / "2026-06-01" / "Stages.json").exists()
    with duckdb.connect(str(tmp_path / "data" / "bqx_ops.duckdb"), read_only=True) as conn:
        days = conn.execute("SELECT count(DISTINCT snapshot_date) FROM airtable.raw_records").fetchone()[0]
    assert days == 10  # Mon/Fri/1st/15th/month-end of June 2026: 1,5,8,12,15,19,22,26,29,30
    # the runs live in the repo-rooted instance, so `dg dev` shows them
    with instance_at(home) as instance:
        jobs = sorted(r.job_name for r in instance.get_runs())
    assert jobs == ["airtable_snapshot_job", "assessment_job", "dashboard_job", "docs_publication_job",
                    "docs_sync_job", "docs_sync_job",  # the sync's work, then its tags and notes after the commits
                    "issue_review_job", "outbox_delivery_job", "plan_update_job", "unresolved_issue_job"]
    assert_github_escalations(tmp_path / "data")
    with instance_at(home) as instance:  # the escalations' warnings are in the run's event log, not on the console
        [run] = [r for r in instance.get_runs() if r.job_name == "unresolved_issue_job"]
        assert any(e.level == logging.WARNING and "escalation/issue/" in (e.user_message or "")
                   for e in instance.all_logs(run.run_id))
    assert "| **Cost/Month** | &lt; $500 |" in (tmp_path / "data" / "bqx-ml" / "docs" / "dashboard.md").read_text()
    # June holds Q2's assessment day (2026-06-26)
    assert (tmp_path / "data" / "bqx-ml" / "docs" / "assessments" / "Q2-2026.md").exists()
    changelog = (tmp_path / "data" / "bqx-ml" / "CHANGELOG.md").read_text()
    assert all(f"2026-06-{day:02d}" in changelog for day in (1, 8, 15, 22))  # the Mondays of June
    # the Fridays whose week lies inside June: reports committed to the docs repo
    reports = sorted(p.name for p in (tmp_path / "data" / "bqx-ml" / "docs" / "plan-updates").iterdir())
    assert reports == ["2026-06-12.md", "2026-06-19.md", "2026-06-26.md"]
    reviews = sorted(p.name for p in (tmp_path / "data" / "bqx-ml" / "docs" / "reviews").iterdir())
    assert reviews == ["2026-06-15-issue-review.json", "2026-06-15-issue-review.md"]  # the 1st..15th period


@pytest.mark.slow
def test_an_existing_landing_zone_is_used_as_it_is(tmp_path):
    from bqx_ops_tests.base_builder import minimal_base, write_snapshot
    import datetime as dt

    write_snapshot(tmp_path / "data", dt.date(2026, 3, 2), minimal_base())
    done, _ = run_demo(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "bqx-ops demo: 2026-03-02 .. 2026-03-02" in done.stdout
    assert sorted(p.name for p in (tmp_path / "data" / "landing" / "airtable").iterdir()) == ["2026-03-02"]


def test_a_period_without_snapshots_is_a_clear_error_not_a_crash(tmp_path):
    done, _ = run_demo(tmp_path, "--from", "2030-01-01", "--to", "2030-01-31")
    assert done.returncode == 2
    assert "No Airtable snapshots" in done.stderr


def test_a_landing_zone_dated_after_today_is_refused_with_the_reason_not_a_crash(tmp_path):
    """Partitions end at the present: snapshots of days still to come cannot be replayed."""
    from bqx_ops_tests.base_builder import minimal_base, write_snapshot
    import datetime as dt

    future = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=400)
    write_snapshot(tmp_path / "data", future, minimal_base())
    done, _ = run_demo(tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "1 snapshot day after today" in done.stderr and future.isoformat() in done.stderr
    assert "No Airtable snapshots" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_a_failed_snapshot_run_stops_what_reads_it_and_the_summary_still_prints(tmp_path):
    # a warehouse table altered by hand: the snapshot run cannot write airtable.plans
    (tmp_path / "data").mkdir()
    with duckdb.connect(str(tmp_path / "data" / "bqx_ops.duckdb")) as conn:
        conn.execute("CREATE SCHEMA airtable")
        conn.execute("CREATE TABLE airtable.plans (snapshot_date DATE, altered_by_hand INTEGER)")
    done, home = run_demo(tmp_path, "--from", "2025-09-01", "--to", "2025-09-15")
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "- Airtable snapshots: run" in out and "FAILED" in out
    assert "error: airtable_tables:" in out  # the root cause, not Dagster's wrapper
    skipped = [line for line in out.splitlines() if "SKIPPED" in line]
    assert [line.split(" (")[0] for line in skipped] == [
        "- Plan updates", "- Repository & docs sync", "- Issue reviews", "- Unresolved-issue escalations",
        "- Success-metrics dashboard", "- Docs repository commits", "- Release tags and sync notifications"]
    assert all("reads the outputs of airtable_snapshot_job" in line for line in skipped)
    # the summary printed the tables (no DuckDB configuration clash with the failed run's connection)
    assert "DuckDB tables (rows):" in out and "airtable.raw_records" in out and "cannot read" not in out
    with instance_at(home) as instance:
        jobs = sorted(r.job_name for r in instance.get_runs())
    assert jobs == ["airtable_snapshot_job", "outbox_delivery_job"]  # nothing ran on partial tables
    assert not (tmp_path / "data" / "bqx-ml.git").exists()  # so nothing was committed either


def test_a_data_dir_that_cannot_be_created_ends_with_one_clear_line_not_a_traceback(tmp_path):
    """A full disk, a read-only file system, a file in the way: the same path (OSError) ends the demo."""
    (tmp_path / "data").write_text("a file where the data dir should be\n")
    done, _ = run_demo(tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"bqx-ops demo: cannot create the data dir in {tmp_path / 'data'}: "), done.stderr
    assert "Nothing half-written was kept" in done.stderr


@pytest.mark.slow  # writes the sample first (~10 s on a loaded machine)
def test_a_warehouse_that_cannot_be_opened_ends_with_one_clear_line_at_once(tmp_path):
    """Not after dagster-duckdb's ~2 minutes of retries, which only a lock held by another process deserves."""
    data = tmp_path / "data"
    (data / "bqx_ops.duckdb").mkdir(parents=True)  # in the way of the warehouse file, as a read-only mount is
    done, _ = run_demo(tmp_path, "--from", "2025-09-01", "--to", "2025-09-01")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith(f"bqx-ops demo: cannot open the warehouse in {data}: "), done.stderr
