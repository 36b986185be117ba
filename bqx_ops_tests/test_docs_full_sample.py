"""Done-when: syncing every Monday of the sample, in one single-run backfill.

Expectations are computed here from the landing zone's raw Airtable JSON (not from DuckDB or the
docs-sync renderers): which weeks exist, which phases are Done when, which artifacts exist, their
file names, and the latest model per model and horizon.
"""

import datetime as dt
import hashlib
import re
from collections import Counter

import dagster as dg
import pytest

from bqx_ops.defs.docs_sync import assets, repo_assets
from bqx_ops.landing import Landing, read_json
from bqx_ops.resources.factory import build_resources
from bqx_ops.sample import SAMPLE_END, SAMPLE_START, write_sample
from bqx_ops_tests.test_docs_repo import git
from bqx_ops_tests.sample_runs import take_snapshots

pytestmark = pytest.mark.slow  # ~35 s: the sample's 113 snapshots, then 46 weekly commits


def mondays(first: dt.date, last: dt.date) -> list[dt.date]:
    day = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    out = []
    while day <= last:
        out.append(day)
        day += dt.timedelta(weeks=1)
    return out


@pytest.fixture(scope="module")
def synced(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("full-sample") / "data"
    write_sample(data_dir)
    resources = build_resources("local", data_dir)
    take_snapshots(resources, SAMPLE_START.isoformat(), SAMPLE_END.isoformat())
    keys = [m.isoformat() for m in mondays(SAMPLE_START, SAMPLE_END)]
    result = dg.materialize(dg.load_assets_from_modules([assets, repo_assets]), resources=resources, tags={
        "dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]})
    assert result.success
    return data_dir, keys


def landed(data_dir, day: dt.date, table: str) -> list[dict]:
    return read_json(Landing(data_dir).airtable_table(day, table))["records"]


def as_text(markdown: str) -> str:
    """The sample's markdown with "<" escaped outside its ``` code blocks (no inline code holds one)."""
    lines, in_code = [], False
    for line in markdown.split("\n"):
        in_code ^= line.startswith("```")
        lines.append(line if in_code or line.startswith("```") else line.replace("<", "&lt;"))
    return "\n".join(lines)


def as_of(data_dir, moment: dt.date) -> dt.date:
    return max(d for d in Landing(data_dir).airtable_snapshot_dates() if d <= moment)


def test_one_commit_per_week_dated_by_its_end_and_one_changelog_entry_each(synced):
    data_dir, keys = synced
    week_ends = [dt.date.fromisoformat(k) + dt.timedelta(weeks=1) for k in keys]
    bare = data_dir / "bqx-ml.git"
    dates = git(bare, "log", "--reverse", "--format=%cI", "main").split()[1:]  # after the initial commit
    # every week has a new snapshot (Mondays are snapshot days), so every week changes the repository
    assert len({as_of(data_dir, end) for end in week_ends}) == len(week_ends)
    assert dates == [f"{end.isoformat()}T09:00:00+00:00" for end in week_ends]
    changelog = git(bare, "show", "main:CHANGELOG.md")
    marks = re.findall(r"<!-- bqx-ops:week-from (\S+) -->", changelog)  # keyed by the week's first day
    assert marks == [(end - dt.timedelta(weeks=1)).isoformat() for end in reversed(week_ends)]
    assert Counter(re.findall(r"^## (\d{4}-\d{2}-\d{2})$", changelog, re.M)) == Counter(e.isoformat() for e in week_ends)


def test_each_completed_phase_has_an_annotated_tag_on_the_week_it_was_first_done(synced):
    data_dir, keys = synced
    bare = data_dir / "bqx-ml.git"
    commit_of_week = dict(zip(git(bare, "log", "--reverse", "--format=%cs", "main").split()[1:],
                              git(bare, "log", "--reverse", "--format=%H", "main").split()[1:]))
    expected = {}
    for key in keys:
        end = dt.date.fromisoformat(key) + dt.timedelta(weeks=1)
        for phase in landed(data_dir, as_of(data_dir, end), "Phases"):
            tag = f"phase-{phase['fields']['Number']}-done"
            if phase["fields"].get("Status") == "Done" and tag not in expected:
                expected[tag] = commit_of_week[end.isoformat()]
    assert len(expected) == 10  # phases 0-9; phase 10 is still running at the end of the story
    tags = git(bare, "for-each-ref", "--format=%(refname:short) %(objecttype) %(*objectname)", "refs/tags").split("\n")
    assert sorted(t for t in tags if t) == sorted(f"{tag} tag {sha}" for tag, sha in expected.items())


def test_the_repository_matches_an_export_of_the_last_snapshot_computed_here(synced):
    data_dir, keys = synced
    last = as_of(data_dir, dt.date.fromisoformat(keys[-1]) + dt.timedelta(weeks=1))
    bare = data_dir / "bqx-ml.git"
    artifacts = landed(data_dir, last, "Artifacts")
    names = Counter(re.sub(r"[^a-z0-9]+", "-", a["fields"]["Name"].lower()).strip("-") for a in artifacts)
    expected = {}
    for a in artifacts:
        base = re.sub(r"[^a-z0-9]+", "-", a["fields"]["Name"].lower()).strip("-")
        name = base if names[base] == 1 else f"{base}-{hashlib.sha256(a['id'].encode()).hexdigest()[:8]}"
        expected[f"docs/artifacts/{name}.md"] = a
    assert sum(1 for p in expected if p.startswith("docs/artifacts/ensemble-evaluation-report-")) == 2
    listed = git(bare, "ls-tree", "-r", "--name-only", "main", "docs/artifacts").split()
    assert sorted(listed) == sorted(expected)
    for path, a in expected.items():
        page = git(bare, "show", f"main:{path}")
        assert f"| {a['id']} | {a['fields']['Type']} |" in page
        assert page.endswith("---\n\n" + as_text(a["fields"]["Content"]).strip("\n") + "\n")

    latest = {}
    for r in landed(data_dir, last, "Model Results"):
        f = r["fields"]
        key = (f["Model"], f["Horizon"])
        rank = (f["Evaluated On"], f["Result ID"])
        if key not in latest or rank > (latest[key]["Evaluated On"], latest[key]["Result ID"]):
            latest[key] = f
    models = git(bare, "show", "main:docs/models.md")
    assert models.count("\n| ") == len(latest) + 1  # header + one row per model and horizon
    for (model, horizon), f in latest.items():
        job = f["Training Job"]
        assert (f"| {model} | {horizon} | {f['R2']:.4f} | {f['Evaluated On']} | {job} | Completed | "
                f"s3://bqx-ml-models/training/{job}/output/model.tar.gz |") in models

    readme = git(bare, "show", "main:README.md")
    assert f"<!-- bqx-ops:snapshot {last.isoformat()} -->" in readme
    for p in landed(data_dir, last, "Phases"):
        f = p["fields"]
        assert f"| {f['Phase ID']} | {f['Name'].replace('&', '&amp;')} | {f['Status']} |" in readme
    assert readme.startswith("# bqx-ml\n\nBQX-ML: exact prediction")  # the rest of the README is untouched


def test_a_runs_readers_give_each_week_what_reading_it_alone_gives(synced):
    """The sync reads its weeks' snapshot days from one query and the plan dashboards through one
    reader: each week's days and dashboard must be what the single-instant as-of reads give."""
    import duckdb

    from bqx_ops.asof import as_of_snapshot, snapshot_rows
    from bqx_ops.defs.docs_sync.weeks import plan_dashboard_as_of, plan_week_end, week, weeks_snapshot_days
    from bqx_ops.plan_update.dashboard import week_dashboard
    from bqx_ops.snapshots import Snapshots

    data_dir, keys = synced
    copy = data_dir.parent / "readers.duckdb"
    copy.write_bytes((data_dir / "bqx_ops.duckdb").read_bytes())
    with duckdb.connect(str(copy)) as conn:
        run_weeks = [week(k) for k in keys]
        days = weeks_snapshot_days(conn, run_weeks)
        assert [(w.key, a, b) for w, a, b in days] == \
            [(w.key, as_of_snapshot(conn, w.start), as_of_snapshot(conn, w.as_of)) for w in run_weeks]
        ends = [e for w in run_weeks if (e := plan_week_end(w.as_of)) is not None]
        reader = Snapshots(conn, max(ends).date(), instants=ends)
        boards = 0
        for w in run_weeks:
            end = plan_week_end(w.as_of)
            day = as_of_snapshot(conn, end) if end else None
            alone = None if day is None else (end.date(), week_dashboard(
                *(snapshot_rows(conn, t, day, carry_forward=True) for t in ("stages", "phases", "plans", "model_results")),
                end.date()))
            assert plan_dashboard_as_of(conn, w.as_of, reader) == alone, w.key
            boards += alone is not None
    assert boards > 40
