"""One review of the sample (period 2026-03-01 -> 2026-03-15 10:00 UTC) against independent counts.

The expected values are computed here from the landing files and the sample's own
story constants, never from the review code's output.
"""

import datetime as dt
import json
import re
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from bqx_ops.defs.issue_review import assets, checks
from bqx_ops.landing import Landing, read_json
from bqx_ops.sample.timeline import LOG_GROUPS
from bqx_ops.sample.training import DROPS
from bqx_ops_tests.sample_runs import snapshotted_sample

pytestmark = pytest.mark.slow  # one materialization of the sample (~5 s) shared by the module

KEY = "2026-03-01"
START, AS_OF = dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 15, 10)
SLA_HOURS = {"P0": 24, "P1": 168, "P2": 336, "P3": 720}  # the seed's table
CATEGORY_LABELS = {"category:data-quality": "Data Quality", "category:model-performance": "Model Performance",
                   "category:infrastructure": "Infrastructure", "category:cost": "Cost Overruns",
                   "category:timeline": "Timeline Delays"}


def utc(text):
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None) if text else None


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory):
    data = tmp_path_factory.mktemp("sample") / "data"
    resources = snapshotted_sample(data, dt.date(2026, 3, 16), "2026-02-01", "2026-03-15")
    result = dg.materialize([*dg.load_assets_from_modules([assets]), *dg.load_asset_checks_from_modules([checks])],
                            resources=resources, partition_key=KEY)
    assert result.success
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        inventory = conn.execute("SELECT * FROM review.issue_inventory").df()
    return data, inventory, result


def github_expected(data):
    """From the landing file: issues (not PRs) existing at the as-of instant and not closed before the period."""
    out = {}
    for item in read_json(Landing(data).github_issues):
        if "pull_request" in item or "/pull/" in item["html_url"]:
            continue
        created, closed = utc(item["created_at"]), utc(item["closed_at"])
        if created >= AS_OF or (closed is not None and closed < START):
            continue
        labels = {label["name"] for label in item["labels"]}
        priority = next((name.split(":")[1] for name in sorted(labels) if re.fullmatch(r"priority:P[0-3]", name)), None)
        category = next((CATEGORY_LABELS[n] for n in sorted(labels) if n in CATEGORY_LABELS), None)
        is_open = closed is None or closed >= AS_OF
        breached = is_open and priority is not None and (AS_OF - created) > dt.timedelta(hours=SLA_HOURS[priority])
        out[str(item["number"])] = (priority, category, is_open, breached)
    return out


def test_github_counts_by_priority_category_and_breach_match_the_landing_file(reviewed):
    data, inventory, _ = reviewed
    expected = github_expected(data)
    rows = inventory[inventory["source"] == "github"].set_index("source_ref")
    assert sorted(rows.index) == sorted(expected)
    labelled = {n: e for n, e in expected.items() if e[0] and e[1]}
    assert len(labelled) >= 5  # enough to mean something
    for number, (priority, category, is_open, breached) in labelled.items():
        row = rows.loc[number]
        assert (row["priority"], row["category"], row["state"] == "open", bool(row["breached"])) == (
            priority, category, is_open, breached), number
    open_by_priority = {p: sum(1 for e in labelled.values() if e[0] == p and e[2]) for p in SLA_HOURS}
    got = {p: int(((rows["priority"] == p) & (rows["state"] == "open") & rows.index.isin(list(labelled))).sum())
           for p in SLA_HOURS}
    assert got == open_by_priority
    assert int(rows.loc[list(labelled), "breached"].sum()) == sum(e[3] for e in labelled.values())
    # the story's incidents of the period, resolved within it
    assert rows.loc["83", "priority"] == "P0" and rows.loc["83", "state"] == "resolved"
    assert rows.loc["83", "time_to_close_hours"] == pytest.approx(6 + 25 / 60, abs=1e-4)  # 08:40 -> 15:05


def test_cloudwatch_events_of_the_14_day_window_are_all_counted_once(reviewed):
    data, inventory, _ = reviewed
    errors = re.compile(r"ERROR|WARN|Error|Exception|Task timed out")
    lo, hi = (int(t.replace(tzinfo=dt.timezone.utc).timestamp() * 1000) for t in (AS_OF - dt.timedelta(days=14), AS_OF))
    expected, timeouts = {}, 0
    for group in LOG_GROUPS:
        for path in sorted((Landing(data).root / "aws" / "cloudwatch" / group.replace("/", "__")).glob("*.json")):
            for e in read_json(path):
                if lo <= e["timestamp"] < hi and errors.search(e["message"]):
                    expected[group] = expected.get(group, 0) + 1
                    timeouts += "Task timed out" in e["message"]
    logs = inventory[inventory["source"] == "cloudwatch"]
    got = logs.groupby(logs["source_ref"].str.split("|").str[0])["event_count"].sum().to_dict()
    assert got == expected
    # the 2026-03-04 incident and the odd timeout a week later: two episodes, two rows, each its own events
    # and so its own priority (the rules' 100 events make the storm P0, never the odd timeout after it)
    rows = logs[logs["title"].str.contains("Task timed out")].sort_values("created_at")
    assert int(rows["event_count"].sum()) == timeouts and len(rows) == 2
    storm, odd = rows.iloc[0], rows.iloc[1]
    assert storm["event_count"] >= 214 and (storm["priority"], storm["category"]) == ("P0", "Infrastructure")
    assert odd["event_count"] == timeouts - storm["event_count"] < 100 and odd["priority"] == "P1"
    assert storm["state"] == "resolved" and storm["time_to_close_hours"] > 24  # a P0 of days, never "0.0 h"


def test_sagemaker_failures_and_the_r2_drop_of_the_period_are_there(reviewed):
    data, inventory, _ = reviewed
    failed = [j for j in read_json(Landing(data).sagemaker_jobs)
              if j["TrainingJobStatus"] == "Failed" and START <= utc(j["TrainingEndTime"][:23]) < AS_OF]
    rows = inventory[inventory["kind"] == "training_failure"]
    in_period = rows[rows["created_at"] >= START]
    assert sorted(in_period["source_ref"]) == sorted(j["TrainingJobName"] for j in failed)
    drops = [(m, h, day) for (m, h, day) in DROPS if START.date() <= day < AS_OF.date()]
    assert drops == [("XGBoost", "w30", dt.date(2026, 3, 9))]
    r2 = inventory[inventory["kind"] == "r2_drop"]
    assert [(row.priority, row.category, row.created_at.date()) for row in r2.itertuples()] == [
        ("P1", "Model Performance", dt.date(2026, 3, 9))]
    assert "XGBoost w30" in r2.iloc[0]["title"]


def test_an_r2_drop_seen_by_model_results_and_sagemaker_is_one_issue(reviewed):
    data, inventory, _ = reviewed
    # the drop of the period from the landed snapshot: its Model Results row names the training job
    snapshot = max(p.name for p in (data / "landing" / "airtable").iterdir() if p.name <= "2026-03-15")
    rows = json.loads((data / "landing" / "airtable" / snapshot / "Model Results.json").read_text())["records"]
    row = next(r["fields"] for r in rows if r["fields"].get("Model") == "XGBoost"
               and r["fields"].get("Horizon") == "w30" and r["fields"].get("Evaluated On") == "2026-03-09")
    job = row["Training Job"]
    assert any(j["TrainingJobName"] == job for j in read_json(Landing(data).sagemaker_jobs))
    about = inventory[inventory["title"].str.contains(job, regex=False)
                      | inventory["detail"].fillna("").str.contains(job, regex=False)]
    assert len(about) == 1, about[["source", "kind", "title"]]  # one problem, one issue
    (issue,) = about.itertuples()
    assert (issue.source, issue.kind, issue.priority) == ("derived", "r2_drop", "P1")
    assert "also sagemaker: " in issue.detail and job in issue.detail
    assert inventory[inventory["kind"] == "degradation"]["title"].str.contains(job, regex=False).sum() == 0


def test_every_p0_p1_issue_has_an_action_item_and_the_report_adds_up(reviewed):
    data, inventory, result = reviewed
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        actions = conn.execute("SELECT task_key, owner, due_date FROM review.action_items").fetchall()
        intents = conn.execute("SELECT key, channel, payload_json FROM ops.outbox ORDER BY key").fetchall()
    urgent = set(inventory.loc[inventory["priority"].isin(["P0", "P1"]), "fingerprint"])
    assert {a[0] for a in actions} == urgent and all(a[1] and a[2] for a in actions)
    tasks = [json.loads(p) for k, c, p in intents if c == "airtable"]
    assert {t["records"][0]["Task Key"] for t in tasks} == urgent
    assert all(t["table"] == "Tasks" and t["merge_on"] == ["Task Key"] for t in tasks)
    [slack] = [json.loads(p)["text"] for k, c, p in intents if c == "slack"]
    assert slack.startswith("*Issue review 2026-03-15*")
    report = (data / "bqx-ml" / "docs" / "reviews" / "2026-03-15-issue-review.md").read_text()
    summary = report.split("## Summary")[1].split("\n")[4]
    open_, resolved = (inventory["state"] == "open").sum(), (inventory["state"] == "resolved").sum()
    # Resolved (README): the "Resolved since the last review" list, the issues resolved in the period plus
    # those open at the previous review whose episode ended (no longer reported, or begun again)
    listed = [r for r in report.split("## Resolved since the last review")[1].split("\n## ")[0].splitlines()
              if r.startswith("| ") and not r.startswith("| Priority")]
    ended = [r for r in listed if "| no longer reported |" in r or "| episode ended, began again |" in r]
    assert len(listed) - len(ended) == resolved
    breached = int((inventory['state'].eq('open') & inventory['breached']).sum())
    assert summary.startswith(f"| {open_} | ") and f"| {len(listed)} | {breached} |" in summary
    twin = json.loads((data / "bqx-ml" / "docs" / "reviews" / "2026-03-15-issue-review.json").read_text())
    assert len(twin["inventory"]) == len(inventory) and twin["review"]["review_date"].startswith("2026-03-15")
    checks_by_name = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks_by_name["every_p0_p1_has_an_action_item"].passed
    assert checks_by_name["no_p0_open_longer_than_24_hours"].severity == dg.AssetCheckSeverity.WARN


def test_a_history_read_once_for_many_periods_gives_each_what_its_own_read_gives(reviewed):
    """The escalation replay and a review backfill read the notes and quarantine history once, up
    to their last day, and cut it at each period's end, and the snapshot tables a window of days per
    query: every period must find exactly what reading its own history and snapshot finds (blockers,
    quarantine episodes, derived issues, in order; its Tasks frame, dtypes included)."""
    from bqx_ops.issue_review.collect import AirtableHistory, airtable_found
    from bqx_ops.issue_review.model import ReviewPeriod
    from bqx_ops.issue_review.rules import load_rules

    data, _, _ = reviewed
    rules = load_rules()
    copy = data.parent / "history.duckdb"  # the module's database stays as the review left it
    copy.write_bytes((data / "bqx_ops.duckdb").read_bytes())
    with duckdb.connect(str(copy)) as conn:
        days = [r[0].date() for r in conn.execute(
            "SELECT DISTINCT snapshot_date FROM airtable.raw_records ORDER BY 1").fetchall()]
        # planted: a blocker noted in one snapshot only, and a quarantine episode of one snapshot,
        # both on a day in the middle (seen only by a cut that keeps that day's own rows)
        planted = days[len(days) // 2]
        conn.execute("UPDATE airtable.stages SET notes = 'Blocked: planted for one snapshot' WHERE snapshot_date = ? "
                     "AND record_id = (SELECT min(record_id) FROM airtable.stages WHERE snapshot_date = ?)",
                     [planted, planted])
        conn.execute("INSERT INTO airtable.quarantine (snapshot_date, table_name, record_id, reason) "
                     "VALUES (?, 'Stages', 'recPLANTED', 'planted: bad cost')", [planted])
        history = AirtableHistory(conn, days[-1])
        seen = set()
        for day in days:
            period = ReviewPeriod.of(dt.datetime.combine(day, dt.time()) - dt.timedelta(days=14),
                                     dt.datetime.combine(day, dt.time(10)))
            alone, shared = airtable_found(conn, period, rules), airtable_found(conn, period, rules, history)
            assert alone[0] == shared[0] and alone[1] == shared[1], day
            pd.testing.assert_frame_equal(alone[2], shared[2])
            seen |= {(day, f.source) for f in alone[0] if "planted" in f.title.lower() or "recPLANTED" in f.source_ref}
    assert len(days) > 5 and (planted, "airtable_notes") in seen and (planted, "derived") in seen


def cloudwatch_episodes(data, before):
    """(log group, normalized message) -> [(first, last event) of each episode before ``before``], in
    plain Python over every landed day file: the YAML's match and normalize rules applied with ``re``, the
    events of one key sorted, an episode ending at a gap of 72 h or more."""
    import yaml

    rules_file = Path(__file__).resolve().parents[1] / "bqx_ops" / "rules" / "issue_triage.yaml"
    config = yaml.safe_load(rules_file.read_text(encoding="utf-8"))["cloudwatch"]
    match, quiet = re.compile(config["match"]), dt.timedelta(hours=config["resolved_after_quiet_hours"])
    times = {}
    for group in LOG_GROUPS:
        for path in sorted((Landing(data).root / "aws" / "cloudwatch" / group.replace("/", "__")).glob("*.json")):
            for e in read_json(path):
                at = dt.datetime.fromtimestamp(e["timestamp"] / 1000, dt.timezone.utc).replace(tzinfo=None)
                if at >= before or not match.search(e["message"]):
                    continue
                text = e["message"]
                for pattern, replacement in config["normalize"]:
                    text = re.sub(pattern, replacement, text)
                times.setdefault((group, text.strip()), []).append(at)
    out = {}
    for key, moments in times.items():
        moments.sort()
        episodes = [[moments[0], moments[0]]]
        for earlier, later in zip(moments, moments[1:]):
            if later - earlier >= quiet:
                episodes.append([later, later])
            episodes[-1][1] = later
        out[key] = [tuple(e) for e in episodes]
    return out


def test_a_log_issue_is_created_at_the_first_event_of_its_episode_even_before_the_window(reviewed):
    data, inventory, _ = reviewed
    expected = cloudwatch_episodes(data, AS_OF)
    logs = inventory[inventory["source"] == "cloudwatch"]
    assert len(logs) > 3
    before_window = 0
    earlier = 0
    for ref, created, last in zip(logs["source_ref"], logs["created_at"], logs["last_seen"]):
        group, normalized = ref.split("|", 1)
        normalized, since = (normalized.split("|since-") + [None])[:2]
        episodes = expected[(group, normalized)]
        # the issue is its latest episode; an earlier one of the window is its own row, named by its start
        begin, end = episodes[-1] if since is None else next(e for e in episodes if f"{e[0]:%Y%m%dT%H%M%S}" == since)
        assert (created.to_pydatetime(), last.to_pydatetime()) == (begin, end), ref
        before_window += begin < AS_OF - dt.timedelta(days=14)
        earlier += since is not None
    assert before_window >= 1  # an episode that began before the log window keeps its creation
    assert earlier >= 2  # the period's storms that ended before their pattern came back are not hidden
    # and the report's "New since the last review" never lists an issue created before the period
    report = (data / "bqx-ml" / "docs" / "reviews" / "2026-03-15-issue-review.md").read_text()
    new = report.split("## New since the last review")[1].split("## Resolved")[0]
    created = re.findall(r"\| (\d{4}-\d{2}-\d{2} \d{2}:\d{2}) \|", new)
    assert created and all(c >= START.strftime("%Y-%m-%d %H:%M") for c in created)
