"""Round 4 hostile input (bqx_ops_tests/hostile_corpus_more.py): every case quarantined or reported
with its reason, none counted twice, none crashing a run. Pure validation on minimal_base, one small
two-snapshot base through the real snapshot assets, and reviews of a few hand-built items."""

import copy
import datetime as dt
import json
import re

import duckdb
import pytest

from bqx_ops.asof import read_as_of
from bqx_ops.issue_review.collect import SourceData, review
from bqx_ops.issue_review.model import ReviewPeriod
from bqx_ops.issue_review.report import render_markdown
from bqx_ops.issue_review.rules import load_rules
from bqx_ops.landing import Landing
from bqx_ops.validation import parse_snapshot
from bqx_ops_tests import hostile_corpus as hc
from bqx_ops_tests import hostile_corpus_more as hm
from bqx_ops_tests.base_builder import minimal_base, write_snapshot
from bqx_ops_tests.test_snapshot_assets import materialize

DAY = dt.date(2025, 8, 25)
BAD = re.compile(hc.CONTROL_OR_SURROGATE)


def quarantined(parsed) -> dict:
    return {row["record_id"]: row["reason"] for row in parsed.quarantine}


def stage_keys(parsed) -> list[str]:
    return [row["stage_id"] for row in parsed.rows["Stages"]]


@pytest.mark.parametrize("written", [k for _, k in hm.KEY_VARIANTS], ids=[c for c, _ in hm.KEY_VARIANTS])
def test_a_key_written_with_invisible_or_variant_characters_is_the_same_key(written):
    base = minimal_base()
    base["Stages"].append(hm.stage_copy(written))
    parsed = parse_snapshot(DAY, base)
    assert stage_keys(parsed) == ["0.1", "1.1", "1.2"]  # the copy is not a fourth stage
    assert quarantined(parsed)[hm.DUP_ID].startswith(f"duplicate Stage ID {written!r}: record {hm.FIRST_STAGE} "
                                                     "has the same one written '0.1'")


@pytest.mark.parametrize("first, second", [(hm.ACCENTED_KEY, hm.NFD_KEY), (hm.NFD_KEY, hm.ACCENTED_KEY)])
def test_a_key_composed_in_one_record_and_decomposed_in_another_is_one_key(first, second):
    base = minimal_base()
    base["Stages"][0]["fields"]["Stage ID"] = first
    base["Stages"].append(hm.stage_copy(second))
    parsed = parse_snapshot(DAY, base)
    assert stage_keys(parsed) == [first, "1.1", "1.2"]
    assert list(quarantined(parsed)) == [hm.DUP_ID]


@pytest.mark.parametrize("case", hm.RECORD_CASES, ids=[c[0] for c in hm.RECORD_CASES])
def test_each_record_case_is_quarantined_with_its_reason_and_nothing_else(case):
    _, table, rid, fields, created, reason = case
    base = minimal_base()
    [rec] = [r for r in base[table] if r["id"] == rid]
    rec["fields"].update(fields)
    if created:
        rec["createdTime"] = created
    parsed = parse_snapshot(DAY, base)
    assert list(quarantined(parsed)) == [rid]
    assert reason in quarantined(parsed)[rid]
    assert len(parsed.rows[table]) == len(base[table]) - 1


@pytest.mark.parametrize("case", hm.ACCEPTED_CASES, ids=[c[0] for c in hm.ACCEPTED_CASES])
def test_genuine_values_in_unusual_shapes_are_read(case):
    _, table, rid, fields, column, expected = case
    base = minimal_base()
    [rec] = [r for r in base[table] if r["id"] == rid]
    rec["fields"].update(fields)
    parsed = parse_snapshot(DAY, base)
    assert parsed.quarantine == []
    [row] = [r for r in parsed.rows[table] if r["record_id"] == rid]
    value = row[column]
    assert (len(value) if isinstance(expected, int) else str(value)) == expected


def test_a_later_copy_of_a_quarantined_first_record_is_not_counted_beside_its_carried_version(tmp_path):
    """Monday: stage 0.1 and a later copy of it (quarantined as the duplicate). Tuesday: 0.1 has a cost
    of "abc". Its Monday version is carried forward; the copy, valid on Tuesday, was kept beside it and
    stage 0.1 counted twice (its costs too)."""
    data_dir = tmp_path / "data"
    monday, tuesday = DAY, DAY + dt.timedelta(days=1)
    base = minimal_base()
    base["Stages"].append(hm.stage_copy("0.1"))
    write_snapshot(data_dir, monday, base)
    broken = copy.deepcopy(base)
    broken["Stages"][0]["fields"]["Realized Cost"] = "abc"
    write_snapshot(data_dir, tuesday, broken)
    assert materialize(data_dir, monday, tuesday).success
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        _, stages = read_as_of(conn, "stages", tuesday, carry_forward=True)
        reasons = dict(conn.execute("SELECT record_id, reason FROM airtable.quarantine WHERE snapshot_date = ?",
                                    [dt.datetime.combine(tuesday, dt.time())]).fetchall())
    assert sorted(stages["stage_id"]) == ["0.1", "1.1", "1.2"]
    assert stages.loc[stages["stage_id"] == "0.1", "record_id"].tolist() == [hm.FIRST_STAGE]  # carried
    assert "'Realized Cost': expected a number, got 'abc'" in reasons[hm.FIRST_STAGE]
    assert reasons[hm.DUP_ID].startswith(f"duplicate Stage ID '0.1': record {hm.FIRST_STAGE} has the same one, "
                                         "was created first and is quarantined")


def test_a_second_copy_of_a_kept_record_id_never_unseats_it():
    """A repeated record id (quarantined) created earlier than the first occurrence holds no key."""
    base = minimal_base()
    repeat = copy.deepcopy(base["Stages"][0])
    repeat["createdTime"] = "2025-08-01T00:00:00.000Z"
    base["Stages"].append(repeat)
    parsed = parse_snapshot(DAY, base)
    assert stage_keys(parsed) == ["0.1", "1.1", "1.2"]
    assert [r["reason"] for r in parsed.quarantine] == [
        f"duplicate record id {hm.FIRST_STAGE} (only its first occurrence is kept)"]


# -- the review -------------------------------------------------------------------------------------------------
PERIOD = ReviewPeriod(dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 15, 10))


def run_review(items: list, jobs: list):
    rules = load_rules(path="")
    with duckdb.connect() as conn:
        out = review(conn, PERIOD, rules, SourceData(items, jobs, lambda s, e: ([], []), now=dt.datetime(2026, 3, 20)),
                     None)
    tables = {"inventory": out.inventory, "breaches": out.breaches, "trend": out.trend, "stats": out.stats,
              "actions": out.actions, "meta": out.meta}
    return out, json.loads(out.meta.iloc[0]["problems"]), render_markdown(tables, rules)


def test_a_job_name_with_a_lone_surrogate_is_reported_and_shown_escaped_never_a_crash():
    """Its fingerprint hashed the name as UTF-8, which refuses a lone surrogate: the review failed."""
    name = f"host-{hm.SURROGATE}-w15"
    out, problems, report = run_review([], [hc.job(name, "Failed", FailureReason="OOM")])
    assert "sagemaker: job host-\\ud800-w15: name contains a lone UTF-16 surrogate \\ud800 at position 5; " \
           "shown escaped" in problems
    assert out.inventory["title"].tolist() == ["Training job host-\\ud800-w15 failed: OOM"]
    assert not BAD.search(report)


@pytest.mark.parametrize("fields, fragment", hm.GITHUB_ADDRESS_CASES, ids=range(len(hm.GITHUB_ADDRESS_CASES)))
def test_an_issue_address_that_is_not_one_web_address_is_reported_and_never_linked(fields, fragment):
    out, problems, report = run_review([dict(hc.gh(77, "an issue"), **fields)], [])
    assert f"github: #77: {fragment}; the repository's address is linked instead" in problems
    assert out.inventory["source_ref"].tolist() == ["77"]  # kept
    assert out.inventory["url"].isna().all()  # no repository address configured here: none
    assert not BAD.search(report) and "<!channel>" not in report and "\n# heading" not in report


def test_a_table_file_holding_one_page_of_a_listing_is_a_snapshot_problem_and_the_last_good_copy_stands_in(tmp_path):
    """{"records": [...], "offset": "itr..."} is Airtable's first page: read as the whole table, the
    records of the later pages looked deleted."""
    data_dir = tmp_path / "data"
    monday, tuesday = DAY, DAY + dt.timedelta(days=1)
    base = minimal_base()
    write_snapshot(data_dir, monday, base)
    write_snapshot(data_dir, tuesday, base)
    page = Landing(data_dir).airtable_table(tuesday, "Stages")
    page.write_text(json.dumps({"records": base["Stages"][:1], "offset": "itrNEXTPAGE/recSTAGE000000002"}))
    assert materialize(data_dir, monday, tuesday).success
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        [reason] = conn.execute("SELECT reason FROM airtable.quarantine WHERE snapshot_date = ? AND record_id IS NULL",
                                [dt.datetime.combine(tuesday, dt.time())]).fetchone()
        _, stages = read_as_of(conn, "stages", tuesday)
    assert reason == (f"snapshot problem: Stages could not be read (unreadable landing file airtable/{tuesday}/"
                      "Stages.json: one page of a paginated listing (1 record(s) and an offset to the next page): the "
                      f"rest of the table was never landed); the last good copy, of the {monday} snapshot (3 records), "
                      "is used instead")
    assert sorted(stages["record_id"]) == sorted(r["id"] for r in base["Stages"])


@pytest.mark.parametrize("fields, fragment", hm.GITHUB_TEXT_CASES, ids=range(len(hm.GITHUB_TEXT_CASES)))
def test_a_login_or_label_with_a_control_character_is_reported_and_shown_escaped(fields, fragment):
    out, problems, report = run_review([dict(hc.gh(78, "an issue"), **fields)], [])
    assert f"github: #78: {fragment}; shown escaped" in problems
    assert out.inventory["source_ref"].tolist() == ["78"]
    assert not BAD.search(report) and not any(BAD.search(str(v)) for v in out.inventory.to_numpy().ravel())


@pytest.mark.parametrize("surrogate", [False, True], ids=["read by DuckDB", "read again escaped"])
def test_an_event_listed_twice_in_a_day_file_is_counted_once_and_reported(tmp_path, surrogate):
    from bqx_ops.issue_review.cloudwatch import aggregate

    day = dt.date(2026, 3, 12)
    noon = int(dt.datetime.combine(day, dt.time(12), dt.timezone.utc).timestamp() * 1000)
    text = hm.repeated_events_text(noon)
    if surrogate:  # a lone surrogate in another event: DuckDB refuses the file, Python reads it again
        text = text.replace('"WARN slow query", "eventId": "303"', '"WARN slow \\ud800", "eventId": "303"')
    path = tmp_path / f"{day}.json"
    path.write_text(text)
    # independently: events by eventId, from the file's JSON
    distinct = {e["eventId"]: e for e in json.loads(text)}
    with duckdb.connect() as conn:
        groups, problems = aggregate(conn, [("/g", path)], dt.datetime(2026, 3, 1), dt.datetime(2026, 3, 15), {})
    assert sum(g["events"] for g in groups) == len(distinct) == 3
    assert "/g: 1 event(s) in 2026-03-12.json listed again with the same eventId; each counted once" in problems


@pytest.mark.parametrize("written, read, reason", hm.QUARTER_CASES, ids=[c[0] for c in hm.QUARTER_CASES])
def test_an_assessment_inputs_quarter_is_read_in_its_one_form_or_quarantined(written, read, reason):
    """The assessment reads the inputs of "Q1-2026" exactly: "q1 2026" was never counted, with no word."""
    from bqx_ops_tests.base_builder import record

    base = minimal_base()
    base["Assessment Inputs"] = [record("recAINP000000001", {
        "Input Key": "AI-1", "Quarter": written, "Kind": "User Satisfaction", "Score": 8, "Date": "2025-08-20"})]
    parsed = parse_snapshot(DAY, base)
    assert [r["quarter"] for r in parsed.rows["Assessment Inputs"]] == ([read] if read else [])
    reasons = [r["reason"] for r in parsed.quarantine]
    assert reasons == [] if read else (len(reasons) == 1 and reason in reasons[0]), reasons
