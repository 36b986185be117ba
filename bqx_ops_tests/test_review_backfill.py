"""The reviews of the whole sample period backfill as one run, and re-running changes nothing."""

import datetime as dt
import hashlib
import json

import dagster as dg
import duckdb
import pytest

from bqx_ops.defs.cadence.partitions import ISSUE_REVIEW_PARTITIONS
from bqx_ops.defs.issue_review import assets, checks
from bqx_ops.resources.factory import build_resources
from bqx_ops.sample import write_sample
from bqx_ops_tests.sample_runs import take_snapshots

pytestmark = pytest.mark.slow  # the full sample: ~10 s of Airtable snapshots, ~5 s per review backfill

FIRST, LAST = "2025-09-01", "2026-06-15"  # every review period inside the sample (2025-08-18 .. 2026-06-30)
TABLES = ("issue_inventory", "sla_breaches", "issue_trend", "resolution_stats", "action_items", "review_periods")


def backfill(resources):
    return dg.materialize(
        [*dg.load_assets_from_modules([assets]), *dg.load_asset_checks_from_modules([checks])],
        resources=resources,
        tags={"dagster/asset_partition_range_start": FIRST, "dagster/asset_partition_range_end": LAST},
    )


def state(data):
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        tables = {t: conn.execute(f"SELECT * FROM review.{t} ORDER BY ALL").fetchall() for t in TABLES}
        outbox = conn.execute("SELECT key, version, channel, payload_sha256, status, period_end FROM ops.outbox "
                              "ORDER BY key, version").fetchall()
    reports = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted((data / "bqx-ml" / "docs" / "reviews").iterdir())}
    return tables, outbox, reports


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    data = tmp_path_factory.mktemp("backfill") / "data"
    write_sample(data)
    resources = build_resources("local", data)
    take_snapshots(resources, "2025-08-18", "2026-06-30")
    first = backfill(resources)
    return data, resources, first, state(data)


def test_the_whole_sample_period_backfills_in_one_run(backfilled):
    data, _, result, (tables, outbox, reports) = backfilled
    keys = ISSUE_REVIEW_PARTITIONS.get_partition_keys_in_range(dg.PartitionKeyRange(FIRST, LAST))
    assert len(keys) == 20 and result.success
    for node in ("issue_review_tables", "review__issue_review_report", "review__issue_review_notifications"):
        assert len(result.get_step_success_events()) and sorted(
            m.partition for m in result.asset_materializations_for_node(node)) == sorted(
            k for k in keys for _ in range(6 if node == "issue_review_tables" else 1))
    periods = [row[0] for row in tables["review_periods"]]
    assert len(periods) == 20 and periods[0] == dt.datetime(2025, 9, 1, 10)
    assert len(reports) == 40 and "2026-07-01-issue-review.md" in reports and "2025-09-15-issue-review.json" in reports
    assert any(channel == "slack" for _, _, channel, *_ in outbox)


def test_rerunning_the_backfill_leaves_identical_tables_reports_and_outbox(backfilled):
    data, resources, _, before = backfilled
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        intents = conn.execute("SELECT count(*) FROM ops.outbox").fetchone()[0]
    head = (data / "bqx-ml.git" / "refs" / "heads" / "main").read_text()

    again = backfill(resources)

    assert again.success
    after = state(data)
    assert after[0] == before[0]  # tables, row for row
    assert after[2] == before[2]  # reports, byte for byte
    assert after[1] == before[1] and len(after[1]) == intents  # no new outbox intents
    assert (data / "bqx-ml.git" / "refs" / "heads" / "main").read_text() == head  # nothing to commit
    [notified] = again.asset_materializations_for_node("review__issue_review_notifications")[:1]
    assert set(notified.metadata["intents"].value) <= {"unchanged", "same_as_last_review"}


def test_the_checks_of_the_latest_review_name_what_is_late(backfilled):
    _, _, result, _ = backfilled
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert evaluations["every_p0_p1_has_an_action_item"].passed
    late_p0 = evaluations["no_p0_open_longer_than_24_hours"]
    assert not late_p0.passed and late_p0.severity == dg.AssetCheckSeverity.WARN
    assert "Athena ReadTimeoutError" in late_p0.description  # the incident still open at the end of June


def test_each_review_of_the_backfill_is_judged_on_its_own_partition(backfilled):
    """A backfill's checks judge every review, not only the last: the failing partitions are the reviews
    whose published JSON lists an open P0 older than 24 h, an open P1 older than a week, an unranked issue."""
    data, _, result, _ = backfilled
    expected = {"no_p0_open_longer_than_24_hours": set(), "no_p1_open_longer_than_a_week": set(),
                "every_issue_is_triaged": set()}
    reviews = set()
    for path in (data / "bqx-ml" / "docs" / "reviews").glob("*.json"):
        doc = json.loads(path.read_text())
        key = doc["review"]["period_start"][:10]
        reviews.add(key)
        open_ = [i for i in doc["inventory"] if i["state"] == "open"]
        if any(i["priority"] == "P0" and i["age_hours"] > 24 for i in open_):
            expected["no_p0_open_longer_than_24_hours"].add(key)
        if any(i["priority"] == "P1" and i["age_hours"] > 7 * 24 for i in open_):
            expected["no_p1_open_longer_than_a_week"].add(key)
        if any(i["priority"] is None or i["category"] is None for i in doc["inventory"]):
            expected["every_issue_is_triaged"].add(key)
    assert len(reviews) == 20 and all(expected.values())  # the sample has late and unranked issues to find
    for name, failing in expected.items():
        evaluations = [e for e in result.get_asset_check_evaluations() if e.check_name == name]
        assert sorted(e.partition for e in evaluations) == sorted(reviews), name
        assert {e.partition for e in evaluations if not e.passed} == failing, name
        assert all(e.description.startswith(f"Review {e.partition} – ") for e in evaluations if not e.passed)


def test_an_action_item_is_upserted_again_only_when_it_changes(backfilled):
    data, _, _, (tables, outbox, _) = backfilled
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        reviews_per_task = dict(conn.execute(
            "SELECT task_key, count(*) FROM review.action_items GROUP BY 1").fetchall())
        payloads = conn.execute("SELECT key, payload_json FROM ops.outbox WHERE channel = 'airtable'").fetchall()
    upserts: dict[str, list[str]] = {}
    for key, payload in sorted(payloads):  # keys sort by review date
        upserts.setdefault(key.rsplit("/", 1)[1], []).append(payload)
    assert set(upserts) == set(reviews_per_task)  # every action item was upserted at least once
    assert all(a != b for runs in upserts.values() for a, b in zip(runs, runs[1:]))  # never the same twice in a row
    # a log pattern's due date moves with its first event in each 14-day window; other issues keep theirs
    steady = {k: n for k, n in reviews_per_task.items() if not k.startswith("cloudwatch-")}
    longest = max(sorted(steady), key=steady.get)
    assert steady[longest] >= 5 and len(upserts[longest]) <= 2  # created (Todo), maybe closed (Done)


def late_stages_by_period(data, periods) -> dict:
    """From the landing snapshots and the configuration: per review period end, the stages In Progress past
    their Estimated Days (working days from Start Date through the snapshot's day) in any snapshot of the
    period; stages ever quarantined (carried as an older version) and recurring stages left aside."""
    import numpy as np
    import yaml

    recurring = set(yaml.safe_load((data / "bqx_ops.yaml").read_text())["recurring_stages"]["stage_ids"])
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        quarantined = {r for (r,) in conn.execute("SELECT DISTINCT record_id FROM airtable.quarantine").fetchall()}
    out = {}
    for start, end in periods:
        late = set()
        for folder in sorted((data / "landing" / "airtable").iterdir()):
            day = dt.date.fromisoformat(folder.name)
            if not start.date() < day <= end.date():
                continue
            for r in json.loads((folder / "Stages.json").read_text())["records"]:
                f = r["fields"]
                if (r["id"] in quarantined or f.get("Stage ID") in recurring or f.get("Status") != "In Progress"
                        or not f.get("Start Date") or not f.get("Estimated Days")):
                    continue
                worked = np.busday_count(dt.date.fromisoformat(f["Start Date"][:10]), day + dt.timedelta(days=1))
                if worked > f["Estimated Days"]:
                    late.add(f"timeline/{r['id']}")
        out[end] = late
    return out


def test_every_stage_late_in_a_snapshot_of_a_period_is_in_that_periods_review(backfilled):
    data, _, _, _ = backfilled
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        periods = conn.execute("SELECT period_start, period_end FROM review.review_periods ORDER BY 1").fetchall()
        listed = {}
        for end, ref in conn.execute("SELECT period_end, source_ref FROM review.issue_inventory "
                                     "WHERE source_ref LIKE 'timeline/%'").fetchall():
            listed.setdefault(end, set()).add(ref)
    expected = late_stages_by_period(data, periods)
    assert sum(map(len, expected.values())) > 0
    missing = {end: sorted(refs - listed.get(end, set())) for end, refs in expected.items() if refs - listed.get(end, set())}
    assert not missing


def landed_episodes(data):
    """(log group, normalized message) -> every episode [(time, message)...] of the landed day files, in plain
    Python: the rules file's match and normalize applied with ``re``, an episode ending at a quiet gap of 72 h."""
    import re
    from pathlib import Path

    import yaml

    rules = yaml.safe_load((Path(assets.__file__).parents[2] / "rules" / "issue_triage.yaml").read_text())["cloudwatch"]
    match, quiet = re.compile(rules["match"]), dt.timedelta(hours=rules["resolved_after_quiet_hours"])
    times: dict = {}
    for folder in sorted((data / "landing" / "aws" / "cloudwatch").iterdir()):
        for path in sorted(folder.glob("*.json")):
            for e in json.loads(path.read_text()):
                if not match.search(e["message"]):
                    continue
                text = e["message"]
                for pattern, replacement in rules["normalize"]:
                    text = re.sub(pattern, replacement, text)
                at = dt.datetime(1970, 1, 1) + dt.timedelta(milliseconds=e["timestamp"])
                times.setdefault((folder.name.replace("__", "/"), text.strip()), []).append(at)
    out = {}
    for key, moments in times.items():
        moments.sort()
        episodes = [[moments[0]]]
        for earlier, later in zip(moments, moments[1:]):
            (episodes.append([later]) if later - earlier >= quiet else episodes[-1].append(later))
        out[key] = episodes
    return out


def test_every_cloudwatch_episode_of_a_period_is_reviewed_once_with_its_own_events(backfilled):
    """Each episode with an event inside a review's period is one row of that review: created at its first event
    (before the period too), its events those of the period (the review's window reaches back to the period's
    start: the 15th to the 1st is up to 17 days, more than the 14 days of an escalation's look), resolved at its
    last one after 72 h quiet. None is hidden by a later episode of its pattern or left between two windows."""
    data, _, _, (tables, _, _) = backfilled
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT period_start, period_end, source_ref, created_at, last_seen, event_count, state "
                            "FROM review.issue_inventory WHERE source = 'cloudwatch'").fetchall()
    got = sorted((start, end, ref.split("|since-")[0], created, last, count, state)
                 for start, end, ref, created, last, count, state in rows)
    expected = []
    for (group, message), episodes in landed_episodes(data).items():
        for start, end in {(r[0], r[1]) for r in tables["review_periods"]}:
            for ep in episodes:
                seen = [t for t in ep if t < end]
                inside = [t for t in seen if t >= start]
                if inside:
                    state = "resolved" if end - seen[-1] >= dt.timedelta(hours=72) else "open"
                    expected.append((start, end, f"{group}|{message}", seen[0], seen[-1], len(inside), state))
    assert got == sorted(expected)
    # the sample's 2026-04-15 .. 05-01 review (16 days) holds an episode of its first two days only
    assert any(r[0] == dt.datetime(2026, 4, 15, 10) and r[4] < dt.datetime(2026, 4, 17, 10) for r in got)
