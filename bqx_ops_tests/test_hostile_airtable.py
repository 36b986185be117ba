"""Hostile Airtable snapshots through the real snapshot assets on a temporary DuckDB: every bad
record is quarantined with its reason, a table missing from a snapshot is a snapshot problem
answered with its last good copy, and nothing crashes or is counted twice."""

import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest

from bqx_ops.asof import as_of_snapshot
from bqx_ops.base_schema import TABLES
from bqx_ops.landing import Landing
from bqx_ops_tests import hostile_corpus as hc
from bqx_ops_tests.base_builder import edit, minimal_base, write_snapshot
from bqx_ops_tests.test_snapshot_assets import materialize, query

MON, TUE, WED, THU, FRI = (dt.date(2025, 8, 18) + dt.timedelta(days=i) for i in range(5))
BAD = re.compile(hc.CONTROL_OR_SURROGATE)


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def landed(data_dir, day: dt.date, table: str) -> list[dict]:
    """The records of a landed table file, read here independently of bqx_ops."""
    raw = Landing(data_dir).airtable_table(day, table).read_bytes().decode("utf-8-sig")
    return json.loads(raw)["records"]


def test_every_hostile_record_is_quarantined_with_its_reason_and_the_run_succeeds(data_dir):
    base = hc.with_hostile_records(minimal_base())
    write_snapshot(data_dir, MON, base)
    assert materialize(data_dir, MON).success
    reasons = dict(query(data_dir, "SELECT record_id, reason FROM airtable.quarantine"))
    for case in hc.RECORD_CASES:
        _, rec = hc.hostile_record(minimal_base(), case)
        assert case[-1] in reasons.get(rec["id"], ""), (case[0], reasons.get(rec["id"]))
    assert len(reasons) == len(hc.RECORD_CASES)
    # the genuine records all proceed: counts from the landing JSON minus the hostile ones
    for table, asset in (("Stages", "stages"), ("Phases", "phases"), ("Tasks", "tasks"),
                         ("Model Results", "model_results"), ("Decisions", "decisions")):
        genuine = [r for r in landed(data_dir, MON, table) if not r["id"].startswith("recHOST")]
        assert query(data_dir, f"SELECT count(*) FROM airtable.{asset}") == [(len(genuine),)]


def test_no_control_character_or_surrogate_reaches_a_table(data_dir):
    base = hc.with_hostile_records(minimal_base())
    base["Stages"].append(hc.surrogate_id_record())
    write_snapshot(data_dir, MON, base)
    assert materialize(data_dir, MON).success
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        tables = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'airtable'"
                              ).fetchall()
        for (table,) in tables:
            for row in conn.execute(f"SELECT * FROM airtable.{table}").fetchall():
                assert not any(isinstance(v, str) and BAD.search(v) for v in row), (table, row)
        # raw JSON is lossless: the lone surrogate is still there once the JSON is parsed
        raw = conn.execute("SELECT raw_json FROM airtable.quarantine WHERE reason LIKE 'malformed record%'"
                           ).fetchone()[0]
    assert json.loads(raw)["id"] == f"rec{hc.SURROGATE}BAD"


@pytest.mark.parametrize("spelling", list(hc.KEY_SPELLINGS))
@pytest.mark.parametrize("listed_first", [True, False])
def test_a_duplicate_human_key_is_counted_once_keeping_the_earliest_created(data_dir, listed_first, spelling):
    base, kept, duplicate = hc.with_duplicate_key(minimal_base(), spelling=spelling)
    if not listed_first:
        base["Stages"].append(base["Stages"].pop(0))
    write_snapshot(data_dir, MON, base)
    assert materialize(data_dir, MON).success
    [original] = [r for r in base["Stages"] if r["id"] == kept]
    [copy_] = [r for r in base["Stages"] if r["id"] == duplicate]
    stage_id, written = original["fields"]["Stage ID"], copy_["fields"]["Stage ID"]
    assert query(data_dir, f"SELECT record_id FROM airtable.stages WHERE trim(stage_id) = '{stage_id}'") == [(kept,)]
    [(rid, reason)] = query(data_dir, "SELECT record_id, reason FROM airtable.quarantine")
    assert rid == duplicate
    assert reason.startswith(f"duplicate Stage ID {written!r}: record {kept} has the same one")
    assert reason.endswith("is kept (the earliest created is kept, so nothing is counted twice)")
    # the figure: the realized cost of the stages, each key once (computed here from the landed JSON)
    once = {}
    for r in sorted(landed(data_dir, MON, "Stages"), key=lambda r: (r["createdTime"], r["id"])):
        once.setdefault(r["fields"]["Stage ID"].strip(), r["fields"].get("Realized Cost") or 0)
    assert query(data_dir, "SELECT sum(coalesce(realized_cost, 0)) FROM airtable.stages") == [(sum(once.values()),)]


def test_a_record_whose_id_is_empty_is_quarantined(data_dir):
    base = minimal_base()
    base["Stages"].append(hc.empty_id_record(base))
    write_snapshot(data_dir, MON, base)
    assert materialize(data_dir, MON).success
    assert query(data_dir, "SELECT record_id, reason FROM airtable.quarantine") == [
        ("", "malformed record: expected {id, createdTime, fields}")]
    assert query(data_dir, "SELECT count(*) FROM airtable.stages WHERE stage_id = 'H.10'") == [(0,)]


@pytest.mark.parametrize("bad_id", [["recA0000000000001", "recB0000000000001"], {"id": "recA"}, 5, None])
def test_a_record_whose_id_is_not_text_is_quarantined_and_the_others_proceed(data_dir, bad_id):
    """A list or an object as an id made the snapshot fail (it was put in a set of ids)."""
    base = minimal_base()
    base["Stages"].append(hc.odd_id_record(base, bad_id))
    write_snapshot(data_dir, MON, base)
    assert materialize(data_dir, MON).success
    assert query(data_dir, "SELECT record_id, reason FROM airtable.quarantine") == [
        (None, "malformed record: expected {id, createdTime, fields}")]
    genuine = [r for r in landed(data_dir, MON, "Stages") if isinstance(r["id"], str)]
    assert query(data_dir, "SELECT count(*) FROM airtable.stages") == [(len(genuine),)]


def _unreadable_cases():
    return [pytest.param(make, why, id=name) for name, make, why in hc.UNREADABLE_FILE_CASES] + [
        pytest.param("permission", hc.PERMISSION_REASON, id="no permission")]


def deny(monkeypatch, path):
    """``path`` cannot be read, as after chmod 000 for a user that is not root (the tests run as root)."""
    real = Path.read_text

    def read_text(self, *args, **kwargs):
        if Path(self) == Path(path):
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)


@pytest.mark.parametrize("make, why", _unreadable_cases())
def test_an_unreadable_table_file_is_a_snapshot_problem_and_the_last_good_copy_stands_in(data_dir, monkeypatch,
                                                                                        make, why):
    write_snapshot(data_dir, MON, minimal_base())
    write_snapshot(data_dir, TUE, minimal_base())
    path = Landing(data_dir).airtable_table(TUE, "Stages")
    if make == "permission":
        deny(monkeypatch, path)
    else:
        make(path)
    assert materialize(data_dir, MON, TUE).success
    [(reason,)] = query(data_dir, f"SELECT reason FROM airtable.quarantine WHERE snapshot_date = '{TUE}'")
    assert reason.startswith(f"snapshot problem: Stages could not be read (unreadable landing file "
                             f"airtable/{TUE}/Stages.json: ") and why in reason, reason
    assert str(data_dir) not in reason  # named relative to the landing zone
    assert query(data_dir, f"SELECT count(*) FROM airtable.stages WHERE snapshot_date = '{TUE}'") == [
        (len(minimal_base()["Stages"]),)]  # Monday's copy stands in


def test_a_folder_not_named_as_a_day_is_reported_with_every_snapshot(data_dir):
    write_snapshot(data_dir, MON, minimal_base())
    write_snapshot(data_dir, TUE, minimal_base())
    stray = Landing(data_dir).root / "airtable" / "2025-8-20"
    shutil.copytree(Landing(data_dir).airtable_dir(TUE), stray)
    (Landing(data_dir).root / "airtable" / ".DS_Store").write_text("")  # the file system's own: not reported
    assert materialize(data_dir, MON, TUE).success
    rows = query(data_dir, "SELECT snapshot_date::DATE, table_name, record_id, reason FROM airtable.quarantine "
                           "ORDER BY 1")
    assert [(d, rid) for d, _, rid, _ in rows] == [(MON, None), (TUE, None)]
    assert all(r.startswith("snapshot problem: airtable/2025-8-20 is not a snapshot folder") for *_, r in rows)


def test_missing_empty_unreadable_and_bom_tables_use_the_last_good_copy_and_say_so(data_dir):
    good = minimal_base()
    write_snapshot(data_dir, MON, good)
    later = edit(good, "Stages", "recSTAGE000000002", Status="Done", Realized_Cost=41)
    write_snapshot(data_dir, TUE, later)
    write_snapshot(data_dir, WED, later)
    folder = Landing(data_dir).airtable_dir(WED)
    (folder / "Stages.json").unlink()  # missing
    (folder / "Plans.json").unlink()  # missing Plans: never "Phases: 0 total"
    hc.write_raw(folder / "Phases.json", json.dumps({"records": []}))  # suddenly empty
    hc.write_raw(folder / "Tasks.json", "{not json")  # unreadable
    hc.write_raw(folder / "Artifacts.json", hc.with_bom({"records": good["Artifacts"]}))  # BOM: fine
    hc.write_raw(folder / "Decisions.json", json.dumps({"rows": []}))  # no records list
    assert materialize(data_dir, MON, WED).success

    problems = dict(query(data_dir, "SELECT table_name, reason FROM airtable.quarantine "
                                    f"WHERE snapshot_date = '{WED}' AND record_id IS NULL"))
    assert set(problems) == {"Stages", "Plans", "Phases", "Tasks", "Decisions"}
    assert problems["Stages"] == ("snapshot problem: Stages is missing from the snapshot; the last good copy, of "
                                  f"the {TUE} snapshot ({len(landed(data_dir, TUE, 'Stages'))} records), is used instead")
    assert problems["Phases"].startswith('snapshot problem: Phases is empty ({"records": []}); the last good copy')
    assert problems["Tasks"].startswith(  # named relative to the landing zone: no local path in any report
        f"snapshot problem: Tasks could not be read (unreadable landing file airtable/{WED}/Tasks.json: ")
    assert 'no "records" list' in problems["Decisions"]
    # the copies stand in for the day: same rows as the last good day, nothing quarantined as a dangling link
    for asset in ("stages", "plans", "phases", "tasks", "decisions"):
        day_rows = f"SELECT * EXCLUDE (snapshot_date) FROM airtable.{asset} WHERE snapshot_date = '{{}}' ORDER BY 1"
        assert query(data_dir, day_rows.format(WED)) == query(data_dir, day_rows.format(TUE)), asset
    assert query(data_dir, f"SELECT count(*) FROM airtable.quarantine WHERE snapshot_date = '{WED}' "
                           "AND record_id IS NOT NULL") == [(0,)]
    assert query(data_dir, f"SELECT count(*) FROM airtable.artifacts WHERE snapshot_date = '{WED}'") == [
        (len(good["Artifacts"]),)]
    assert query(data_dir, f"SELECT status FROM airtable.stages WHERE snapshot_date = '{WED}' "
                           "AND record_id = 'recSTAGE000000002'") == [("Done",)]  # Tuesday's, not Monday's


def test_the_copy_is_the_last_good_one_as_of_that_day_even_in_a_run_of_its_own(data_dir):
    write_snapshot(data_dir, MON, minimal_base())
    write_snapshot(data_dir, TUE, edit(minimal_base(), "Stages", "recSTAGE000000003", Status="In Progress"))
    write_snapshot(data_dir, WED, minimal_base())
    (Landing(data_dir).airtable_dir(WED) / "Stages.json").unlink()
    write_snapshot(data_dir, THU, edit(minimal_base(), "Stages", "recSTAGE000000003", Status="Done"))
    (Landing(data_dir).airtable_dir(THU) / "Stages.json").write_text("[]")  # unreadable again
    # each day in a run of its own: the copy comes from the earlier runs' raw records in DuckDB
    for day in (MON, TUE, WED, THU):
        assert materialize(data_dir, day).success
    alone = query(data_dir, "SELECT snapshot_date::DATE, status FROM airtable.stages "
                            "WHERE record_id = 'recSTAGE000000003' ORDER BY 1")
    assert alone == [(MON, "Todo"), (TUE, "In Progress"), (WED, "In Progress"), (THU, "In Progress")]
    problems = query(data_dir, "SELECT snapshot_date::DATE, reason FROM airtable.quarantine ORDER BY 1")
    assert [(d, f"of the {TUE} snapshot" in r) for d, r in problems] == [(WED, True), (THU, True)]
    # and the same in one backfill run
    assert materialize(data_dir, MON, THU).success
    assert query(data_dir, "SELECT snapshot_date::DATE, status FROM airtable.stages "
                           "WHERE record_id = 'recSTAGE000000003' ORDER BY 1") == alone


def test_a_table_empty_from_the_first_snapshot_is_just_empty_but_a_missing_one_is_reported(data_dir):
    base = minimal_base()
    base["Learnings"] = []
    write_snapshot(data_dir, MON, base)
    (Landing(data_dir).airtable_dir(MON) / "Decisions.json").unlink()
    assert materialize(data_dir, MON).success
    assert query(data_dir, "SELECT table_name, reason FROM airtable.quarantine") == [
        ("Decisions", "snapshot problem: Decisions is missing from the snapshot; no earlier good copy, so it is "
                      "taken as empty")]


def test_a_snapshot_without_any_record_is_not_used_and_says_so(data_dir):
    write_snapshot(data_dir, MON, minimal_base())
    write_snapshot(data_dir, TUE, {})  # every table file is {"records": []}
    result = materialize(data_dir, MON, TUE)
    assert result.success
    [meta] = [m.metadata for m in result.asset_materializations_for_node("airtable__raw_records")
              if m.partition == TUE.isoformat()]
    assert meta["snapshots_without_records"].value == TUE.isoformat()
    with duckdb.connect(str(data_dir / "bqx_ops.duckdb"), read_only=True) as conn:
        assert as_of_snapshot(conn, TUE) == MON  # the whole previous snapshot stands in


def test_an_optional_table_no_snapshot_had_yet_is_simply_empty_but_one_absent_after_it_appeared_is_reported(data_dir):
    """Point in time: before the first snapshot holding the table, a base has not had it yet (empty); a
    later snapshot adding it never turns the earlier ones into problems."""
    optional = [t.name for t in TABLES if t.optional]
    assert optional  # the schema has an optional table (Assessment Inputs)
    for day in (MON, TUE):
        write_snapshot(data_dir, day, minimal_base())
        for name in optional:
            Landing(data_dir).airtable_table(day, name).unlink()  # a base that never had it
    assert materialize(data_dir, MON, TUE).success
    assert query(data_dir, "SELECT table_name, reason FROM airtable.quarantine") == []
    # present in one snapshot (even empty): absent from the others is a snapshot problem in each of them
    write_snapshot(data_dir, WED, minimal_base())
    write_snapshot(data_dir, THU, minimal_base())
    for name in optional:
        Landing(data_dir).airtable_table(THU, name).unlink()
    assert materialize(data_dir, MON, THU).success
    assert [(d, t) for d, t, _ in query(data_dir, "SELECT snapshot_date::DATE, table_name, reason FROM "
                                                 "airtable.quarantine ORDER BY ALL")] == sorted((THU, n) for n in optional)
    assert all(f"{name} is missing from the snapshot" in r
               for _, name, r in query(data_dir, "SELECT snapshot_date::DATE, table_name, reason FROM airtable.quarantine"))


def test_a_renamed_table_is_looked_for_under_its_own_name(data_dir, tmp_path, monkeypatch):
    """schema_map tables: {Model Results: <another name>}: its file, present and {"records": []}
    from the first snapshot on, is an empty table, not one missing from the snapshot."""
    mapping = tmp_path / "map.yaml"
    mapping.write_text("tables: {Model Results: Résultats}\n", encoding="utf-8")
    monkeypatch.setenv("BQX_OPS_SCHEMA_MAP", str(mapping))
    for day in (MON, TUE):
        write_snapshot(data_dir, day, minimal_base())
        folder = Landing(data_dir).airtable_dir(day)
        (folder / "Model Results.json").unlink()
        (folder / "Résultats.json").write_text(json.dumps({"records": []}), encoding="utf-8")
    assert materialize(data_dir, MON, TUE).success
    assert query(data_dir, "SELECT table_name, reason FROM airtable.quarantine") == []
    # and missing under its own name in one snapshot is still reported, under the logical name
    (Landing(data_dir).airtable_dir(TUE) / "Résultats.json").unlink()
    assert materialize(data_dir, MON, TUE).success
    assert query(data_dir, "SELECT snapshot_date::DATE, table_name FROM airtable.quarantine") == [
        (TUE, "Model Results")]
