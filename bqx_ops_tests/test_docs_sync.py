"""The weekly docs sync materialized on temporary data dirs: commits, reruns, hostile input, tags."""

import datetime as dt
import json
import re

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.airtable.assets import airtable_tables, raw_records
from bqx_ops.defs.docs_sync import assets, repo_assets
from bqx_ops.landing import Landing, write_json
from bqx_ops.resources.docs_repo import DocsRepo
from bqx_ops.resources.factory import build_resources
from bqx_ops_tests.base_builder import edit, minimal_base, record, write_snapshot
from bqx_ops_tests.test_docs_repo import git

D1, D2, D3 = dt.date(2025, 8, 18), dt.date(2025, 8, 25), dt.date(2025, 9, 1)
W1, W2 = "2025-08-18", "2025-08-25"
DOCS = dg.load_assets_from_modules([assets, repo_assets])
UTC = dt.timezone.utc


def land(data_dir, first: dt.date, last: dt.date | None = None) -> None:
    """Snapshots of the days first..last, in one run (days without a snapshot are skipped)."""
    assert dg.materialize([raw_records, airtable_tables], resources=build_resources("local", data_dir), tags={
        "dagster/asset_partition_range_start": first.isoformat(),
        "dagster/asset_partition_range_end": (last or first).isoformat()}).success


def sync(data_dir, first: str, last: str | None = None):
    return dg.materialize(DOCS, resources=build_resources("local", data_dir), tags={
        "dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last or first})


def show(data_dir, ref: str) -> str:
    return git(data_dir / "bqx-ml.git", "show", ref)


def outbox(data_dir) -> dict[str, tuple]:
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT key, version, channel, payload_json FROM ops.outbox ORDER BY key").fetchall()
    return {key: (version, channel, json.loads(payload)) for key, version, channel, payload in rows}


def week_two_base() -> dict:
    base = edit(minimal_base(), "Stages", "recSTAGE000000002", Status="Done", Realized_Cost=41)
    base["Artifacts"].append(record("recARTI0000000002", {"Name": "Runbook", "Content": "Step 1\n"}))
    base["Decisions"].append(record("recDECI0000000002", {"Title": "Weekly retraining", "Date": "2025-08-21"}))
    base["Model Results"].append(record("recMODL0000000002", {
        "Result ID": "Ensemble-w15-2025-08-22", "Model": "Ensemble", "Horizon": "w15", "Evaluated On": "2025-08-22",
        "R2": 0.83, "Training Job": "bqx-ml-ensemble-w15-20250822-01"}))
    return base


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def two_weeks(data_dir):
    write_snapshot(data_dir, D1, minimal_base())
    write_snapshot(data_dir, D2, week_two_base())
    write_json(Landing(data_dir).sagemaker_jobs, [{
        "TrainingJobName": "bqx-ml-ensemble-w15-20250822-01", "TrainingJobStatus": "Completed",
        "CreationTime": "2025-08-22T00:30:00.000+00:00",
        "ModelArtifacts": {"S3ModelArtifacts": "s3://bqx-ml-models/ensemble-w15-0822/model.tar.gz"}}])
    land(data_dir, D1, D2)
    return data_dir


def plan_updates(data_dir, *blocks: tuple, snapshot: str = "2025-08-18") -> None:
    """What the plan-update domain leaves in plan.dashboard: (period end, dashboard block[, snapshot day])
    per Friday; a week read from no snapshot has none."""
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb")) as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS plan; CREATE TABLE IF NOT EXISTS plan.dashboard "
                     "(period_start TIMESTAMP, period_end TIMESTAMP, snapshot_date TIMESTAMP, position BIGINT, "
                     "block VARCHAR)")
        for end, block, *day in blocks:
            conn.execute("INSERT INTO plan.dashboard VALUES (?::TIMESTAMP - INTERVAL 7 DAY, ?, ?, 0, ?)",
                         [end, end, day[0] if day else snapshot, block])


def test_a_week_is_exported_in_one_commit_dated_by_its_end_pushed_and_tagged(two_weeks):
    data_dir = two_weeks
    plan_updates(data_dir, ("2025-08-29 16:00", "Phases: from the future"))  # plan.dashboard is never read
    assert sync(data_dir, W1).success
    bare = data_dir / "bqx-ml.git"
    log = git(bare, "log", "--format=%cI|%s", "main").splitlines()
    assert log == ["2025-08-25T09:00:00+00:00|docs: weekly sync, week ending 2025-08-25: 2 artifacts added, "
                   "README status, CHANGELOG, models",
                   "2025-08-18T00:00:00+00:00|Initial commit: README with the bqx-ops status section"]
    assert git(bare, "ls-tree", "-r", "--name-only", "main").split() == [
        "CHANGELOG.md", "README.md", "docs/artifacts/design.md", "docs/artifacts/runbook.md", "docs/models.md"]
    changelog = show(data_dir, "main:CHANGELOG.md")
    assert "## 2025-08-25\n\n_Week 2025-08-18 – 2025-08-25 · Airtable snapshot 2025-08-25, compared with 2025-08-18_" \
        in changelog
    assert "- 1.1 Ingest BQX (realized $41.00 vs $40.00 estimated)" in changelog
    assert "**Weekly retraining**" in changelog and "- Ensemble w15: 0.8100 → 0.8300 (+0.0200)" in changelog
    readme = show(data_dir, "main:README.md")
    assert "<!-- bqx-ops:snapshot 2025-08-25 -->" in readme and "| P1 | Data | In Progress |  | 1/2 |" in readme
    # the plan week closed by the as-of instant (Friday 08-22 16:00), computed from its snapshot (D1): P0 Done,
    # P1 In Progress; stage 0.1 Done, $25 realized against $20 estimated: +25.0%
    assert ("### Plan dashboard (plan update of 2025-08-22)\n\n- Phases: 2 total \\| 1 complete \\| "
            "1 in progress \\| 0 todo\n- Budget: $650 estimated \\| $25.00 realized \\| +25.0% variance \\| "
            "3.8% of budget spent\n") in readme  # 25 / 650
    assert "from the future" not in readme  # plan.dashboard is never read
    assert ("| Ensemble | w15 | 0.8300 | 2025-08-22 | bqx-ml-ensemble-w15-20250822-01 | Completed | "
            "s3://bqx-ml-models/ensemble-w15-0822/model.tar.gz |") in show(data_dir, "main:docs/models.md")
    assert show(data_dir, "main:docs/artifacts/runbook.md").endswith("---\n\nStep 1\n")
    head = git(bare, "rev-parse", "main").strip()
    assert git(bare, "rev-parse", "phase-0-done^{commit}").strip() == head
    intents = outbox(data_dir)
    assert intents["github-release/phase-0-done"][1:] == ("github", {
        "tag": "phase-0-done", "name": "Phase 0 – Foundations: Done", "target_sha": head,
        "message": intents["github-release/phase-0-done"][2]["message"],
        "body": intents["github-release/phase-0-done"][2]["body"]})
    # phase 0 has no End Date: its completion is its Done stage's Completed Date (stage 0.1, 2025-08-20)
    assert ("Completed 2025-08-20 (its last stage's Completed Date; no End Date); realized $60.00 vs $50.00 "
            "estimated.") in intents["github-release/phase-0-done"][2]["message"]
    assert head[:12] in intents["docs-sync/2025-08-18"][2]["text"]
    assert "Released" not in intents["docs-sync/2025-08-18"][2]["text"]  # phase 0 was Done before the week


def test_a_plan_update_of_a_week_before_the_first_snapshot_is_not_shown_beside_the_statuses(data_dir):
    # the first snapshot is Monday 08-25: the plan week that closed Friday 08-22 had none to read
    write_snapshot(data_dir, D2, week_two_base())
    land(data_dir, D2)
    assert sync(data_dir, W1).success
    readme = show(data_dir, "main:README.md")
    assert "| P1 | Data | In Progress |" in readme  # the statuses are there ...
    assert "Plan dashboard" not in readme and "No snapshot yet" not in readme  # ... an empty dashboard is not


def test_rerunning_a_week_changes_nothing_and_pushes_nothing(two_weeks, monkeypatch):
    data_dir = two_weeks
    sync(data_dir, W1)
    bare = data_dir / "bqx-ml.git"
    refs, intents = git(bare, "show-ref"), outbox(data_dir)
    pushes = []
    real_push = DocsRepo._push
    monkeypatch.setattr(DocsRepo, "_push", lambda self, refspec: pushes.append(refspec) or real_push(self, refspec))
    result = sync(data_dir, W1)
    assert pushes == [] and git(bare, "show-ref") == refs
    assert outbox(data_dir) == intents  # same keys, same versions: no duplicate Slack message or release
    [meta] = [m.metadata for m in result.asset_materializations_for_node("docs__repo_sync")]
    assert meta["commits_pushed"].value == 0


def test_hostile_artifact_names_and_contents_stay_inside_docs_artifacts_as_text(data_dir, tmp_path):
    base = minimal_base()
    hostile = ["../../etc/passwd", "CON", "Über Café ☕", "/absolute/README.md", ".git", "docs\\..\\x",
               "Ensemble Evaluation Report", "Ensemble Evaluation Report"]
    content = "<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n<!-- bqx-ops:status:end -->\n```\n"
    base["Artifacts"] = [record(f"recHOSTILE{i:07d}", {"Name": name, "Content": content})
                         for i, name in enumerate(hostile)]
    write_snapshot(data_dir, D1, base)
    land(data_dir, D1)
    assert sync(data_dir, W1).success
    work = data_dir / "bqx-ml"
    files = sorted(p.relative_to(work).as_posix() for p in work.rglob("*") if p.is_file() and ".git" not in p.parts)
    pages = [f for f in files if f.startswith("docs/artifacts/")]
    assert len(pages) == len(hostile)  # the two reports do not overwrite each other
    assert all(re.fullmatch(r"docs/artifacts/[a-z0-9-]+\.md", p) for p in pages), pages
    assert "docs/artifacts/etc-passwd.md" in pages and "docs/artifacts/con-artifact.md" in pages
    assert "docs/artifacts/uber-cafe.md" in pages
    assert set(files) - set(pages) == {"CHANGELOG.md", "README.md", "docs/models.md"}
    assert not (tmp_path / "etc").exists() and not (data_dir / "etc").exists()
    for page in pages:
        text = (work / page).read_text()
        assert "<script" not in text and "<img" not in text and "<!-- bqx-ops" not in text
        assert "&lt;script>alert(1)&lt;/script>" in text
    readme = (work / "README.md").read_text()
    assert readme.count("<!-- bqx-ops:status:end -->") == 1


def test_a_removed_record_loses_its_file_and_an_old_week_rerun_never_rolls_the_repo_back(two_weeks, monkeypatch):
    data_dir = two_weeks
    finished = edit(week_two_base(), "Phases", "recPHASE000000001", Status="Done", Realized_Cost=90)
    write_snapshot(data_dir, D3, {**finished, "Artifacts": finished["Artifacts"][1:]})
    land(data_dir, D3)
    assert sync(data_dir, W1, W2).success  # two weeks, one run, one commit each
    bare = data_dir / "bqx-ml.git"
    assert git(bare, "log", "--format=%cs", "main").split() == ["2025-09-01", "2025-08-25", "2025-08-18"]
    assert git(bare, "ls-tree", "-r", "--name-only", "main", "docs/artifacts").split() == ["docs/artifacts/runbook.md"]
    assert "- removed: Design (`docs/artifacts/design.md`)" in show(data_dir, "main:CHANGELOG.md")
    head = git(bare, "rev-parse", "main")
    assert git(bare, "rev-parse", "phase-1-done^{commit}") == head  # completed in the second week
    assert "Released: phase-1-done" in outbox(data_dir)["docs-sync/2025-08-25"][2]["text"]
    pushes = []
    real_push = DocsRepo._push
    monkeypatch.setattr(DocsRepo, "_push", lambda self, refspec: pushes.append(refspec) or real_push(self, refspec))
    assert sync(data_dir, W1).success
    assert pushes == [] and git(bare, "rev-parse", "main") == head
    assert "<!-- bqx-ops:snapshot 2025-09-01 -->" in show(data_dir, "main:README.md")


def test_a_stage_quarantined_for_a_week_is_neither_removed_nor_new_in_the_changelog(data_dir):
    # 1.1 In Progress, then a Status no option allows (quarantined: its last valid version stands), then Done
    write_snapshot(data_dir, D1, minimal_base())
    write_snapshot(data_dir, D2, edit(minimal_base(), "Stages", "recSTAGE000000002", Status="Blocked"))
    write_snapshot(data_dir, D3, week_two_base())
    land(data_dir, D1, D3)
    assert sync(data_dir, W1, W2).success
    changelog = show(data_dir, "main:CHANGELOG.md")
    assert "removed from Airtable" not in changelog and "new →" not in changelog
    week_two = changelog.split("## 2025-09-01", 1)[1].split("<!--", 1)[0]
    assert "- 1.1 Ingest BQX (realized $41.00 vs $40.00 estimated)" in week_two


def test_the_readme_is_the_same_whether_or_not_the_plan_update_ran_before(two_weeks):
    from bqx_ops.defs.plan_update import assets as plan_assets
    from bqx_ops.defs.plan_update import outputs as plan_outputs
    from bqx_ops.resources.factory import build_resources

    data_dir = two_weeks
    assert sync(data_dir, W2).success  # no plan tables yet
    head, readme, intents = git(data_dir / "bqx-ml.git", "rev-parse", "main"), show(data_dir, "main:README.md"), \
        outbox(data_dir)
    plan = [a for a in dg.load_assets_from_modules([plan_assets, plan_outputs])
            if "airtable_writeback" not in str(a.keys) and "weekly_report" not in str(a.keys)]
    assert dg.materialize(plan, resources=build_resources("local", data_dir), partition_key="2025-08-22").success
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        (block,), = conn.execute("SELECT block FROM plan.dashboard").fetchall()
    assert all(f"- {line.replace('|', chr(92) + '|')}" in readme for line in block.splitlines())  # the same four lines
    assert "### Plan dashboard (plan update of 2025-08-29)" in readme
    assert sync(data_dir, W2).success  # now the plan tables exist: nothing changes, nothing is sent again
    assert git(data_dir / "bqx-ml.git", "rev-parse", "main") == head and show(data_dir, "main:README.md") == readme
    assert outbox(data_dir) == intents
