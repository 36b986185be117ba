"""Drift between Airtable and the repository, measured by the check: what differs, since when, how bad."""

import datetime as dt

import dagster as dg
from dagster_duckdb import DuckDBResource

from bqx_ops.defs.docs_sync import checks
from bqx_ops.defs.docs_sync.weeks import DOCS_SYNC_PARTITIONS
from bqx_ops.resources.airtable import EmbeddedAirtable
from bqx_ops.resources.docs_repo import DocsRepo
from bqx_ops_tests.base_builder import edit, minimal_base, write_snapshot
from bqx_ops_tests.test_docs_repo import human_clone, human_commit
from bqx_ops_tests import test_docs_sync
from bqx_ops_tests.test_docs_sync import D3, W1, W2, land, show, sync, week_two_base

data_dir, two_weeks = test_docs_sync.data_dir, test_docs_sync.two_weeks  # fixtures of these tests too

UTC = dt.timezone.utc


def drift_check(data_dir) -> dg.AssetCheckResult:
    return checks.docs_match_latest_snapshot(
        dg.build_asset_check_context(),
        duckdb=DuckDBResource(database=str(data_dir / "bqx_ops.duckdb")), docs_repo=DocsRepo(data_dir=str(data_dir)),
        airtable=EmbeddedAirtable(data_dir=str(data_dir)))


def test_the_drift_check_says_what_differs_and_since_which_snapshot(two_weeks):
    data_dir = two_weeks
    sync(data_dir, W1)
    assert drift_check(data_dir).passed
    write_snapshot(data_dir, D3, edit(week_two_base(), "Artifacts", "recARTI0000000002", Content="Step 2\n"))
    land(data_dir, D3)
    result = drift_check(data_dir)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR  # a year old: > 1 week
    assert result.metadata["drifting_since"].value == "2025-09-01T00:00:00+00:00"
    assert "| docs/artifacts/runbook.md |" in result.metadata["files"].value
    assert "| README.md |" in result.metadata["files"].value


def test_a_hand_edit_of_a_synced_file_is_drift_dated_by_its_commit(two_weeks, tmp_path):
    data_dir = two_weeks
    sync(data_dir, W1)
    clone = human_clone(data_dir, tmp_path)
    human_commit(clone, "docs/artifacts/runbook.md", "edited on GitHub\n")
    result = drift_check(data_dir)
    assert not result.passed
    assert result.metadata["drifting_since"].value == "2025-09-01T12:00:00+00:00"  # the human commit's date
    assert "changed by hand" in result.description and "docs/artifacts/runbook.md" in result.description


def test_drift_older_than_24_hours_but_younger_than_a_week_is_a_warning(data_dir):
    today = dt.datetime.now(UTC).date()
    older, recent = today - dt.timedelta(days=9), today - dt.timedelta(days=3)
    write_snapshot(data_dir, older, minimal_base())
    land(data_dir, older)
    assert sync(data_dir, (older - dt.timedelta(days=older.weekday())).isoformat()).success
    write_snapshot(data_dir, recent, week_two_base())
    land(data_dir, recent)
    stale = drift_check(data_dir)
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.WARN  # 3 days: > 24 h, < 1 week
    assert stale.metadata["drifting_since"].value == f"{recent.isoformat()}T00:00:00+00:00"


def test_the_week_in_progress_syncs_as_of_now_and_fresh_drift_is_within_the_sla(data_dir):
    today = dt.datetime.now(UTC).date()
    write_snapshot(data_dir, today - dt.timedelta(days=1), week_two_base())
    land(data_dir, today - dt.timedelta(days=1))
    assert sync(data_dir, DOCS_SYNC_PARTITIONS.get_last_partition_key()).success
    assert drift_check(data_dir).passed
    assert " (in progress)\n" in show(data_dir, "main:CHANGELOG.md")
    write_snapshot(data_dir, today, edit(week_two_base(), "Phases", "recPHASE000000001", Status="Done"))
    land(data_dir, today)
    fresh = drift_check(data_dir)
    assert fresh.passed and fresh.description.startswith("Within the 24 h SLA")
    assert fresh.metadata["files"].value == "| path |\n|---|\n| README.md |\n"  # the status only


def test_a_synced_readme_showing_the_plan_dashboard_is_not_drift(two_weeks):
    data_dir = two_weeks
    assert sync(data_dir, W1, W2).success
    assert "plan update of 2025-08-29" in show(data_dir, "main:README.md")  # the sync published it
    result = drift_check(data_dir)
    assert result.passed, result.description
