"""The sample landing zone: deterministic, complete, realistic and bad in exactly the documented ways."""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from bqx_ops.base_schema import TABLES, TABLES_BY_NAME
from bqx_ops.sample.vocabulary import HORIZONS, MODELS
from bqx_ops.landing import Landing, dumps, log_group_from_dirname
from bqx_ops.sample import (
    BAD_RECORDS,
    LOG_GROUPS,
    SAMPLE_END,
    SAMPLE_REPO,
    SAMPLE_START,
    ensure_sample,
    write_sample,
)

REPO = Path(__file__).resolve().parents[1]
REC_ID = re.compile(r"^rec[0-9A-Za-z]{14}$")
AIRTABLE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
GITHUB_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
NUMERIC_KINDS = ("number", "integer", "currency")


# --- fixtures ----------------------------------------------------------------
@pytest.fixture(scope="module")
def full(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("full")
    summary = write_sample(data_dir)
    return data_dir, summary


@pytest.fixture(scope="module")
def landing(full) -> Landing:
    return Landing(full[0])


@pytest.fixture(scope="module")
def snapshots(landing) -> dict[dt.date, dict[str, list[dict]]]:
    """Every snapshot, parsed: {day: {table: records}}."""
    out = {}
    for day in landing.airtable_snapshot_dates():
        out[day] = {t.name: json.loads(landing.airtable_table(day, t.name).read_text())["records"] for t in TABLES}
    return out


def _by_key(records: list[dict], key: str) -> dict[str, dict]:
    return {r["fields"][key]: r["fields"] for r in records if key in r["fields"]}


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


# --- determinism and windows ---------------------------------------------------
def test_two_runs_write_byte_identical_trees(full, tmp_path):
    """A second run, in another process with another hash seed (set order), writes the same bytes."""
    first = _digests(full[0] / "landing")
    env = dict(os.environ, PYTHONHASHSEED="4242")
    done = subprocess.run([sys.executable, "-m", "bqx_ops.sample", str(tmp_path)], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True)
    assert _digests(tmp_path / "landing") == first
    assert json.loads(done.stdout) == full[1]
    assert not [name for name in first if ".tmp" in name]  # no leftovers of the atomic writes


def test_a_writer_killed_half_way_leaves_no_landing_zone_and_the_next_writes_it_whole(full, tmp_path):
    """The demo writes the sample in a child process: killed before it finishes, nothing the next
    demo could take for a whole landing zone is left; the next writes it whole and removes the rest."""
    import signal
    import time

    data = tmp_path / "data"
    code = "import sys; from bqx_ops.sample import ensure_sample; ensure_sample(sys.argv[1])"
    writer = subprocess.Popen([sys.executable, "-c", code, str(data)], cwd=REPO)
    deadline = time.monotonic() + 60
    while not list(data.glob(".sample-*/landing/airtable/*")) and writer.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert list(data.glob(".sample-*")), "the writer was killed before it began: nothing tested"
    assert not Landing(data).exists()
    assert ensure_sample(data) is True and ensure_sample(data) is False
    assert _digests(data / "landing") == _digests(full[0] / "landing")
    assert not list(data.glob(".sample-*"))  # the dead writer's staging folder is gone


def test_files_are_canonical_json(landing):
    for path in [landing.github_issues, landing.sagemaker_jobs, landing.costs_month(2025, 12),
                 landing.airtable_table(SAMPLE_END, "Stages"), landing.cloudwatch_day(LOG_GROUPS[0], dt.date(2026, 3, 4))]:
        text = path.read_text(encoding="utf-8")
        assert dumps(json.loads(text)) == text, path


def test_restricting_start_and_end_restricts_the_output(full, tmp_path):
    start, end = dt.date(2025, 11, 3), dt.date(2025, 11, 30)
    summary = write_sample(tmp_path, start=start, end=end)
    part = Landing(tmp_path)
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    assert part.airtable_snapshot_dates() == [d for d in Landing(full[0]).airtable_snapshot_dates() if start <= d <= end]
    assert summary["snapshots"] == len(part.airtable_snapshot_dates())
    for group in LOG_GROUPS:
        written = sorted(p.stem for p in part.cloudwatch_day(group, start).parent.glob("*.json"))
        assert written == [d.isoformat() for d in days]
    assert sorted(p.name for p in (part.root / "aws" / "costs").iterdir()) == ["2025-11.json"]
    jobs = json.loads(part.sagemaker_jobs.read_text())
    assert jobs and all("20251103" <= j["TrainingJobName"].split("-")[-2] <= "20251130" for j in jobs)
    issues = json.loads(part.github_issues.read_text())
    assert issues and all(i["created_at"] <= "2025-11-30T23:59:59Z" and i["updated_at"] >= "2025-11-03" for i in issues)
    assert len(issues) < len(json.loads(Landing(full[0]).github_issues.read_text()))
    # A day's data does not depend on the window.
    whole, piece = _digests(full[0] / "landing"), _digests(tmp_path / "landing")
    same = [name for name in piece if name.startswith(("airtable/", "aws/cloudwatch/"))]
    assert len(same) > 100
    assert all(piece[name] == whole[name] for name in same)


def test_start_after_end_is_refused(tmp_path):
    with pytest.raises(ValueError):
        write_sample(tmp_path, start=SAMPLE_END, end=SAMPLE_START)


def test_cli_writes_the_sample(tmp_path, capsys):
    from bqx_ops.sample.__main__ import main

    assert main([str(tmp_path), "--start", "2026-03-02", "--end", "2026-03-08"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["snapshots"] == 2  # Monday 2nd and Friday 6th; no 1st, 15th or month end inside
    assert Landing(tmp_path).airtable_snapshot_dates() == [dt.date(2026, 3, 2), dt.date(2026, 3, 6)]


def test_summary_counts(full):
    summary = full[1]
    assert summary["snapshots"] > 100
    assert set(summary["records"]) == {t.name for t in TABLES}
    assert 35 <= summary["records"]["Tasks"] <= 45
    assert 12 <= summary["records"]["Decisions"] <= 21  # incl. 3 answered 360 approval requests
    assert 18 <= summary["records"]["Learnings"] <= 24
    assert 18 <= summary["records"]["Artifacts"] <= 24
    assert 100 <= summary["issues"] + summary["pull_requests"] <= 140
    assert 100 <= summary["training_jobs"] <= 230
    assert 0 < summary["log_events"] < 15_000
    assert summary["cost_months"] == 11


def test_sample_is_small(full):
    total = sum(p.stat().st_size for p in (full[0] / "landing").rglob("*") if p.is_file())
    assert total < 25 * 1024 * 1024


# --- Airtable snapshots --------------------------------------------------------
def _expected_snapshot_days(start: dt.date, end: dt.date) -> list[dt.date]:
    out, day = [], start
    while day <= end:
        month_end = calendar.monthrange(day.year, day.month)[1]
        if calendar.day_name[day.weekday()] in ("Monday", "Friday") or day.day in (1, 15, month_end):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def test_snapshot_dates_follow_the_cadence(landing):
    dates = landing.airtable_snapshot_dates()
    assert dates == _expected_snapshot_days(SAMPLE_START, SAMPLE_END)
    assert dates[0] == SAMPLE_START and dates[-1] == SAMPLE_END
    assert dt.date(2025, 8, 31) in dates and dt.date(2026, 2, 28) in dates  # month ends on weekends
    assert dt.date(2025, 11, 15) in dates  # a Saturday 15th


def test_every_table_file_is_a_list_of_airtable_records(snapshots):
    for day, tables in snapshots.items():
        for name, records in tables.items():
            schema = TABLES_BY_NAME[name]
            allowed = {f.name for f in schema.fields}
            keys = [(r["createdTime"], r["id"]) for r in records]
            assert keys == sorted(keys), (day, name)
            for r in records:
                assert set(r) == {"id", "createdTime", "fields"}
                assert REC_ID.match(r["id"]) and AIRTABLE_TIME.match(r["createdTime"])
                assert r["createdTime"][:10] <= day.isoformat()
                assert set(r["fields"]) <= allowed, (day, name, set(r["fields"]) - allowed)
                for value in r["fields"].values():
                    assert value not in (None, "", []), (day, name, r["id"])
                modified = r["fields"]["Last Modified"]
                assert AIRTABLE_TIME.match(modified) and r["createdTime"] <= modified <= f"{day}T23:59:59.999Z"
                for f in schema.fields:
                    if f.kind == "link" and f.name in r["fields"]:
                        assert all(REC_ID.match(x) for x in r["fields"][f.name])


def test_plan_record(snapshots):
    plan = snapshots[SAMPLE_END]["Plans"]
    assert [r["id"] for r in plan] == ["recSb2RvwT60eSu8U"]
    f = plan[0]["fields"]
    assert f["Plan ID"] == "MP-BQX_ML-001" and f["Name"] == "BQX-ML" and f["Status"] == "Active"
    assert "exact prediction of future bqx variables" in f["Goal"].lower()
    assert f["Estimated Budget"] == 650 and (f["Estimated Days Min"], f["Estimated Days Max"]) == (71, 85)
    assert (f["R2 Target Min"], f["R2 Target Max"]) == (0.95, 0.99)
    assert f["Horizons"] == list(HORIZONS) and f["Start Date"] == "2025-08-18"


def test_phases_and_stages_add_up(snapshots):
    bad = {(b["table"], b["record_id"], b["field"]): b for b in BAD_RECORDS}
    for day, tables in snapshots.items():
        phases = {r["fields"]["Number"]: r for r in tables["Phases"]}
        assert sorted(phases) == list(range(11))
        assert phases[10]["id"] == "recz83Da9IXxNFubs" and phases[10]["fields"]["Name"] == "Continuous Improvement"
        costs = {n: r["fields"]["Estimated Cost"] for n, r in phases.items()}
        broken = [n for n, c in costs.items() if not isinstance(c, (int, float))]
        for n in broken:
            b = bad[("Phases", phases[n]["id"], "Estimated Cost")]
            assert b["first_snapshot"] <= day <= b["last_snapshot"]
        if not broken:
            assert sum(costs.values()) == 650
        assert 71 <= sum(r["fields"]["Estimated Days"] for r in phases.values()) <= 85
        stages = defaultdict(list)
        for r in tables["Stages"]:
            stages[r["fields"]["Phase"][0]].append(r["fields"])
        for n, phase in phases.items():
            own = stages[phase["id"]]
            assert 3 <= len(own) <= 8
            assert all(s["Stage ID"].startswith(f"{n}.") for s in own)
            if n not in broken:
                assert sum(s["Estimated Cost"] for s in own) == phase["fields"]["Estimated Cost"], (day, n)


def test_phase_10_operational_stages(snapshots):
    stages = {r["fields"]["Stage ID"]: r for r in snapshots[SAMPLE_END]["Stages"]}
    assert sorted(s for s in stages if s.startswith("10.")) == [f"10.{k}" for k in range(1, 9)]
    expected = {"10.5": ("recD9snWVRPnWkJ3s", "COORD-001", "Repository & Documentation Sync"),
                "10.6": ("recKxwnLeNuvbq6L5", "COORD-001", "Airtable Plan Updates"),
                "10.7": ("recfs1gghdsEPuvT8", "QA-001", "Issue Resolution Review"),
                "10.8": ("recwWHLfjt5ADumdH", "ARCH-001", "360 Plan Assessment")}
    for sid, (rec_id, owner, name) in expected.items():
        r = stages[sid]
        assert (r["id"], r["fields"]["Owner"], r["fields"]["Name"]) == (rec_id, owner, name)
        assert r["fields"]["Status"] == "In Progress" and r["fields"]["Phase"] == ["recz83Da9IXxNFubs"]
    for sid in ("10.1", "10.2", "10.3", "10.4"):
        done = stages[sid]["fields"]
        assert done["Status"] == "Done" and "2026-03-01" <= done["Completed Date"] <= "2026-06-30"


def test_statuses_only_move_forward_and_carry_their_dates(snapshots):
    order = {"Todo": 0, "In Progress": 1, "Done": 2}
    seen: dict[str, int] = {}
    for day, tables in snapshots.items():
        for table, end_field in (("Phases", "End Date"), ("Stages", "Completed Date")):
            for r in tables[table]:
                f = r["fields"]
                if f["Status"] not in order:
                    continue  # the documented bad "Blocked" value, checked elsewhere
                rank = order[f["Status"]]
                assert rank >= seen.get(r["id"], 0), (day, r["id"])
                seen[r["id"]] = rank
                assert ("Start Date" in f) == (rank >= 1), (day, table, f)
                assert (end_field in f) == (rank == 2), (day, table, f)
                if rank == 2:
                    assert f["Start Date"] <= f[end_field] <= day.isoformat()


def test_the_story_ends_behind_plan_and_over_budget(snapshots):
    last = snapshots[SAMPLE_END]
    phases = {r["fields"]["Number"]: r["fields"] for r in last["Phases"]}
    for n in range(10):
        assert phases[n]["Status"] == "Done" and "2025-09-01" <= phases[n]["End Date"] <= "2026-02-28"
    assert phases[10]["Status"] == "In Progress" and phases[10]["Start Date"].startswith("2026-02")
    variance = {n: f["Realized Cost"] / f["Estimated Cost"] - 1 for n, f in phases.items() if n < 10}
    assert max(variance.values()) > 0.25
    assert sum(v < 0 for v in variance.values()) >= 2
    realized = sum(r["fields"].get("Realized Cost", 0) for r in last["Stages"])
    assert 650 * 1.05 <= realized <= 650 * 1.20
    elapsed = (dt.date.fromisoformat(phases[9]["End Date"]) - SAMPLE_START).days
    assert elapsed > 85


def test_success_metric_gaps_appear_then_get_fixed(snapshots):
    def gaps(tables):
        no_notes = [r["id"] for r in tables["Phases"] if "Notes" not in r["fields"]]
        no_cost = [r["id"] for r in tables["Stages"]
                   if r["fields"]["Status"] == "Done" and "Realized Cost" not in r["fields"]]
        return no_notes, no_cost

    days_with = Counter()
    for tables in snapshots.values():
        no_notes, no_cost = gaps(tables)
        days_with["notes"] += bool(no_notes)
        days_with["cost"] += bool(no_cost)
    assert days_with["notes"] >= 3 and days_with["cost"] >= 3
    assert gaps(snapshots[SAMPLE_END]) == ([], [])


def test_blockers_are_mentioned_for_a_while_then_cleared(snapshots):
    blocked = re.compile(r"\bblock(ed|er)\b", re.I)
    hits = Counter()
    for day, tables in snapshots.items():
        for table in ("Phases", "Stages"):
            for r in tables[table]:
                if blocked.search(r["fields"].get("Notes", "")):
                    hits[r["id"]] += 1
    assert len(hits) >= 3 and max(hits.values()) >= 3
    last = snapshots[SAMPLE_END]
    assert not [r for t in ("Phases", "Stages") for r in last[t] if blocked.search(r["fields"].get("Notes", ""))]


def test_tasks_decisions_learnings(snapshots):
    last = snapshots[SAMPLE_END]
    tasks = _by_key(last["Tasks"], "Task Key")
    assert all(re.match(r"^T-\d{3}$", k) for k in tasks)
    assert {f["Status"] for f in tasks.values()} == {"Todo", "In Progress", "Done"}
    assert {f["Priority"] for f in tasks.values()} == {"P0", "P1", "P2", "P3"}
    stage_ids = {r["id"] for r in last["Stages"]}
    for table in ("Tasks", "Decisions", "Learnings", "Model Results"):
        linked = [r for r in last[table] if "Approval" not in r["fields"]]  # 360 approval requests: no stage
        assert all(r["fields"]["Stage"][0] in stage_ids for r in linked)
    # tasks evolve: the same task is seen with several statuses over time
    statuses = defaultdict(set)
    for tables in snapshots.values():
        for r in tables["Tasks"]:
            statuses[r["id"]].add(r["fields"]["Status"])
    assert sum(len(s) == 3 for s in statuses.values()) >= 10
    created = sorted(r["createdTime"] for r in last["Decisions"] + last["Learnings"])
    assert created[0] < "2025-09-01" and created[-1] > "2026-05-01"


def test_model_results_tell_the_r2_story(snapshots, landing):
    results = [r["fields"] for r in snapshots[SAMPLE_END]["Model Results"]]
    assert {f["Model"] for f in results} == set(MODELS)
    assert min(f["Evaluated On"] for f in results) == "2025-09-15"
    series = defaultdict(list)
    for f in sorted(results, key=lambda f: f["Evaluated On"]):
        assert f["Result ID"] == f"{f['Model']}-{f['Horizon']}-{f['Evaluated On']}"
        series[(f["Model"], f["Horizon"])].append(f["R2"])
    for h in HORIZONS:
        ensemble = series[("Ensemble", h)]
        assert ensemble[0] < 0.85 and ensemble[-1] > 0.95, h
    drops = {key for key, values in series.items() for a, b in zip(values, values[1:]) if a - b > 0.05}
    assert len(drops) >= 2 and any(model == "Ensemble" for model, _ in drops)
    days = sorted({f["Evaluated On"] for f in results})
    gaps = {(dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days for a, b in zip(days, days[1:])}
    assert gaps <= {7, 14}
    # every result names the completed SageMaker job whose final metric it is
    jobs = {j["TrainingJobName"]: j for j in json.loads(landing.sagemaker_jobs.read_text())}
    for f in results:
        job = jobs[f["Training Job"]]
        assert job["TrainingJobStatus"] == "Completed"
        assert job["HyperParameters"]["model"] == f["Model"] and job["HyperParameters"]["horizon"] == f["Horizon"]
        metric = {m["MetricName"]: m["Value"] for m in job["FinalMetricDataList"]}
        assert metric["validation:r2"] == f["R2"]


def test_artifacts_change_over_time(snapshots):
    last = snapshots[SAMPLE_END]["Artifacts"]
    assert 18 <= len(last) <= 24
    names = Counter(r["fields"]["Name"] for r in last)
    assert [n for n, c in names.items() if c == 2]  # two different records with the same Name
    ever, modified = {}, defaultdict(set)
    for tables in snapshots.values():
        for r in tables["Artifacts"]:
            ever[r["id"]] = r
            modified[r["id"]].add(r["fields"]["Last Modified"])
    deleted = set(ever) - {r["id"] for r in last}
    assert len(deleted) == 1
    assert sum(len(m) > 1 for m in modified.values()) >= 3
    for r in last:
        content, f = r["fields"]["Content"], r["fields"]
        assert content.startswith("# ") and "\n## " in content and "\n- " in content
        assert "\n|---|" in content and "\n```" in content
        assert f["Type"] in TABLES_BY_NAME["Artifacts"].field("Type").choices
        assert f["Phase"] and f["Stage"]


# --- deliberately bad records ----------------------------------------------------
def _violations(tables: dict[str, list[dict]]) -> set[tuple[str, str, str]]:
    """An independent mini-validator: (table, record id, kind) of every problem in one snapshot."""
    ids = {name: {r["id"] for r in records} for name, records in tables.items()}
    found = set()
    for name, records in tables.items():
        schema = TABLES_BY_NAME[name]
        for rec_id, count in Counter(r["id"] for r in records).items():
            if count > 1:
                found.add((name, rec_id, "duplicate_id"))
        for r in records:
            fields = r["fields"]
            for f in schema.fields:
                value = fields.get(f.name)
                if value is None:
                    if f.required:
                        found.add((name, r["id"], "missing_required"))
                    continue
                if f.kind in NUMERIC_KINDS:
                    if not isinstance(value, (int, float)) or isinstance(value, bool):
                        found.add((name, r["id"], "wrong_type"))
                        continue
                    if f.minimum is not None and value < f.minimum:
                        found.add((name, r["id"], "negative_number"))
                    if f.maximum is not None and value > f.maximum:
                        found.add((name, r["id"], "out_of_range"))
                if f.kind == "single_select" and f.choices and value not in f.choices:
                    found.add((name, r["id"], "unknown_choice"))
                if f.kind == "date":
                    try:
                        dt.date.fromisoformat(value)
                    except ValueError:
                        found.add((name, r["id"], "malformed_date"))
                if f.kind == "link" and any(x not in ids[f.link_to] for x in value):
                    found.add((name, r["id"], "dangling_link"))
    return found


def test_bad_records_are_documented_once_per_kind():
    kinds = [b["kind"] for b in BAD_RECORDS]
    assert sorted(kinds) == sorted({"missing_required", "wrong_type", "unknown_choice", "negative_number",
                                    "out_of_range", "dangling_link", "duplicate_id", "malformed_date"})
    for b in BAD_RECORDS:
        assert {"table", "record_id", "first_snapshot", "last_snapshot", "problem"} <= set(b)
        assert b["table"] in TABLES_BY_NAME and REC_ID.match(b["record_id"])
        assert SAMPLE_START <= b["first_snapshot"] < b["last_snapshot"] <= SAMPLE_END


def test_each_bad_record_is_bad_exactly_in_its_window(snapshots):
    dates = sorted(snapshots)
    for b in BAD_RECORDS:
        window = [d for d in dates if b["first_snapshot"] <= d <= b["last_snapshot"]]
        assert len(window) >= 3, b
        assert b["first_snapshot"] in snapshots and b["last_snapshot"] in snapshots
    for day in dates:
        expected = {(b["table"], b["record_id"], b["kind"]) for b in BAD_RECORDS
                    if b["first_snapshot"] <= day <= b["last_snapshot"]}
        assert _violations(snapshots[day]) == expected, day


def test_bad_values_are_the_documented_ones(snapshots):
    for b in BAD_RECORDS:
        records = [r for r in snapshots[b["first_snapshot"]][b["table"]] if r["id"] == b["record_id"]]
        assert records, b
        value = records[0]["fields"].get(b["field"])
        expected = {"wrong_type": "fifty", "unknown_choice": "Blocked", "out_of_range": 1.07,
                    "malformed_date": "2025-13-45"}.get(b["kind"])
        if expected is not None:
            assert value == expected
        if b["kind"] == "negative_number":
            assert value < 0
        if b["kind"] == "duplicate_id":
            assert len(records) == 2 and records[0]["fields"] != records[1]["fields"]


# --- GitHub ---------------------------------------------------------------------
def test_github_issues_look_like_the_rest_api(landing):
    issues = json.loads(landing.github_issues.read_text())
    assert [i["number"] for i in issues] == list(range(1, len(issues) + 1))
    prs = [i for i in issues if "pull_request" in i]
    assert 0.15 <= len(prs) / len(issues) <= 0.3
    for i in issues:
        assert i["repository_url"] == f"https://api.github.com/repos/{SAMPLE_REPO}"
        assert ("/pull/" in i["html_url"]) == ("pull_request" in i)
        assert GITHUB_TIME.match(i["created_at"]) and GITHUB_TIME.match(i["updated_at"])
        assert i["created_at"] <= i["updated_at"]
        assert (i["state"] == "closed") == (i["closed_at"] is not None)
        if i["closed_at"]:
            assert i["created_at"] <= i["closed_at"] <= i["updated_at"]
        for label in i["labels"]:
            assert {"id", "node_id", "url", "name", "color", "default", "description"} <= set(label)
    for pr in prs:
        assert set(pr["pull_request"]) == {"url", "html_url", "diff_url", "patch_url", "merged_at"}
    names = Counter(label["name"] for i in issues for label in i["labels"])
    known = {f"priority:P{k}" for k in range(4)} | {"bug", "enhancement"} | {
        f"category:{c}" for c in ("data-quality", "model-performance", "infrastructure", "cost", "timeline")}
    assert known <= set(names) and 1 <= len(set(names) - known) <= 2
    assert [i for i in issues if not i["labels"] and "pull_request" not in i]
    assert [i for i in issues if i["user"] is None]
    assert [i for i in issues if i["user"] and i["user"]["login"] == "ghost"]
    assert [i for i in issues if i["body"] is None]
    assert [i for i in issues if "|" in i["title"]] and [i for i in issues if not i["title"].isascii()]
    assert [i for i in issues if i["state"] == "open"]


def test_github_issue_resolution_times_vary(landing):
    issues = json.loads(landing.github_issues.read_text())

    def hours(i):
        parse = lambda s: dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
        return (parse(i["closed_at"]) - parse(i["created_at"])).total_seconds() / 3600

    def priority(i):
        return next((label["name"] for label in i["labels"] if label["name"].startswith("priority:P")), None)

    closed = [i for i in issues if i["closed_at"]]
    assert [i for i in closed if priority(i) == "priority:P0" and hours(i) < 12]
    assert [i for i in closed if priority(i) == "priority:P0" and hours(i) > 24]  # an SLA breach
    assert [i for i in closed if priority(i) == "priority:P1" and hours(i) > 14 * 24]
    assert [i for i in issues if i["state"] == "open" and priority(i) == "priority:P1"]


# --- AWS ------------------------------------------------------------------------
def test_cloudwatch_files_cover_every_day(landing):
    days = (SAMPLE_END - SAMPLE_START).days + 1
    total, per_day = 0, {}
    for group in LOG_GROUPS:
        folder = landing.cloudwatch_day(group, SAMPLE_START).parent
        assert log_group_from_dirname(folder.name) == group
        files = sorted(folder.glob("*.json"))
        assert len(files) == days
        for path in files:
            events = json.loads(path.read_text())
            assert isinstance(events, list)
            day = dt.date.fromisoformat(path.stem)
            for e in events:
                assert set(e) == {"logStreamName", "timestamp", "message", "ingestionTime", "eventId"}
                moment = dt.datetime.fromtimestamp(e["timestamp"] / 1000, dt.timezone.utc)
                assert moment.date() == day and e["ingestionTime"] >= e["timestamp"]
                assert re.search(r"ERROR|WARN|Exception|timed out|Error", e["message"])
            assert [e["timestamp"] for e in events] == sorted(e["timestamp"] for e in events)
            per_day[(group, day)] = events
            total += len(events)
    assert total < 15_000
    quiet = [k for k, v in per_day.items() if not v]
    assert len(quiet) > 50
    timeouts = [sum("Task timed out" in e["message"] for e in v) for (g, _), v in per_day.items() if g == LOG_GROUPS[0]]
    assert max(timeouts) >= 100
    typical = sorted(len(v) for v in per_day.values())[len(per_day) // 2]
    assert typical <= 10


def test_cloudwatch_messages_group_into_few_fingerprints(landing):
    def fingerprint(message):
        message = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<id>", message)
        message = re.sub(r"\S*\d\S*", "<n>", message)
        return message

    prints = Counter()
    for group in LOG_GROUPS:
        for path in landing.cloudwatch_day(group, SAMPLE_START).parent.glob("*.json"):
            prints.update(fingerprint(e["message"]) for e in json.loads(path.read_text()))
    assert 10 <= len(prints) <= 40, list(prints)


def test_sagemaker_jobs(landing):
    jobs = json.loads(landing.sagemaker_jobs.read_text())
    statuses = Counter(j["TrainingJobStatus"] for j in jobs)
    assert set(statuses) == {"Completed", "Failed", "Stopped"} and statuses["Failed"] >= 5
    for j in jobs:
        assert re.match(r"^bqx-ml-(lstm|xgboost|transformer|ensemble)-w\d\d-\d{8}-\d\d$", j["TrainingJobName"])
        assert j["TrainingJobArn"].endswith(":training-job/" + j["TrainingJobName"])
        assert j["CreationTime"].endswith("+00:00") and j["CreationTime"] <= j["TrainingEndTime"] <= j["LastModifiedTime"]
        assert j["HyperParameters"]["model"] in MODELS and j["HyperParameters"]["horizon"] in HORIZONS
        if j["TrainingJobStatus"] == "Failed":
            assert j["FailureReason"] and "FinalMetricDataList" not in j
        if j["TrainingJobStatus"] == "Completed":
            r2 = [m for m in j["FinalMetricDataList"] if m["MetricName"] == "validation:r2"]
            assert len(r2) == 1 and 0 < r2[0]["Value"] < 1
    assert any(j.get("FailureReason", "").startswith("ResourceLimitExceeded") for j in jobs)
    assert any("out of memory" in j.get("FailureReason", "") for j in jobs)


def test_costs_cover_every_day_and_stay_plausible(landing):
    amount = re.compile(r"^\d+\.\d{4,10}$")
    covered, monthly, sagemaker = [], {}, {}
    for path in sorted((landing.root / "aws" / "costs").glob("*.json")):
        response = json.loads(path.read_text())
        assert response["GroupDefinitions"] == [{"Type": "DIMENSION", "Key": "SERVICE"}]
        total = 0.0
        for result in response["ResultsByTime"]:
            start = dt.date.fromisoformat(result["TimePeriod"]["Start"])
            assert result["TimePeriod"]["End"] == (start + dt.timedelta(days=1)).isoformat()
            assert start.strftime("%Y-%m") == path.stem and result["Total"] == {}
            covered.append(start)
            for group in result["Groups"]:
                cost = group["Metrics"]["UnblendedCost"]
                assert amount.match(cost["Amount"]) and cost["Unit"] == "USD"
                total += float(cost["Amount"])
                if group["Keys"] == ["Amazon SageMaker"]:
                    sagemaker[start] = float(cost["Amount"])
        monthly[path.stem] = total
    assert covered == [SAMPLE_START + dt.timedelta(days=i) for i in range((SAMPLE_END - SAMPLE_START).days + 1)]
    assert all(total < 500 for total in monthly.values())
    assert 500 < sum(monthly.values()) < 1000
    median = sorted(sagemaker.values())[len(sagemaker) // 2]
    assert max(sagemaker.values()) > 5 * median  # training days spike
