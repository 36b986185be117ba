"""Live Airtable mode with the real pyairtable client against a local list-records server."""

import datetime as dt
from urllib.parse import quote

import dagster as dg
import duckdb
import pytest

from bqx_ops.base_schema import TABLES
from bqx_ops.defs.airtable.assets import airtable_tables, raw_records
from bqx_ops.landing import Landing, read_json
from bqx_ops.resources.airtable import NOT_LANDED, LiveAirtable, SnapshotUnavailable
from bqx_ops.resources.factory import build_resources
from bqx_ops_tests.base_builder import minimal_base, record
from bqx_ops_tests.servers.fixtures import AIRTABLE_TOKEN

BASE = "appBQXML00000001"
TODAY = dt.datetime.now(dt.timezone.utc).date()


def seed(server, extra_stages: int = 0) -> dict:
    base = minimal_base()
    base["Stages"] += [
        record(f"recEXTRA{n:09d}", {"Stage ID": f"9.{n}", "Name": f"Extra {n}",
                                     "Phase": ["recPHASE000000001"], "Status": "Todo"})
        for n in range(extra_stages)
    ]
    for table, records in base.items():
        server.set_records(BASE, table, records)
    return base


def live(server, data_dir, **kw) -> LiveAirtable:
    return LiveAirtable(data_dir=str(data_dir), api_key=AIRTABLE_TOKEN, base_id=BASE,
                        endpoint_url=server.url, **kw)


def test_today_s_snapshot_is_fetched_page_by_page_into_the_landing_zone(airtable_server, tmp_path):
    base = seed(airtable_server, extra_stages=250)
    live(airtable_server, tmp_path).land_snapshot(TODAY, TODAY)
    landed = read_json(Landing(tmp_path).airtable_table(TODAY, "Stages"))["records"]
    assert [r["id"] for r in landed] == [r["id"] for r in base["Stages"]]
    assert landed[0] == base["Stages"][0]  # exactly as list-records returns it
    stage_pages = airtable_server.requests_matching("GET", "/Stages")
    assert len(stage_pages) == 3  # 253 records, 100 per page, offset pagination


def test_a_429_is_waited_out_as_retry_after_asks_and_5xx_are_retried(airtable_server, tmp_path):
    seed(airtable_server)
    airtable_server.fail_next(1, 429, retry_after=1, path_contains="/Plans")
    airtable_server.fail_next(2, 503, path_contains="/Phases")
    live(airtable_server, tmp_path, backoff_factor=0.05).land_snapshot(TODAY, TODAY)
    plans = airtable_server.requests_matching("GET", "/Plans")
    assert [r.status for r in plans] == [429, 200]
    assert plans[1].timestamp - plans[0].timestamp >= 1.0  # Retry-After honoured
    assert [r.status for r in airtable_server.requests_matching("GET", "/Phases")] == [503, 503, 200]
    assert len(read_json(Landing(tmp_path).airtable_table(TODAY, "Phases"))["records"]) == 2


def test_requests_are_paced_to_five_per_second_per_base(airtable_server, tmp_path):
    seed(airtable_server, extra_stages=450)  # 5 pages of stages + 7 other tables + the absent optional one
    live(airtable_server, tmp_path).land_snapshot(TODAY, TODAY)
    requests = airtable_server.requests
    assert len(requests) == 13
    assert airtable_server.max_requests_per_window(1.0, requests) <= 5


def test_a_past_snapshot_is_never_retaken_and_a_missing_one_cannot_be_invented(airtable_server, tmp_path):
    seed(airtable_server)
    yesterday = TODAY - dt.timedelta(days=1)
    source = live(airtable_server, tmp_path)
    with pytest.raises(SnapshotUnavailable, match="Airtable has no history API"):
        source.land_snapshot(yesterday, TODAY)
    Landing(tmp_path).airtable_dir(yesterday).mkdir(parents=True)
    source.land_snapshot(yesterday, TODAY)  # recorded earlier: used as it is
    assert airtable_server.requests == []


def test_the_live_snapshot_asset_lands_parses_and_never_logs_the_token(airtable_server, tmp_path, monkeypatch):
    seed(airtable_server)
    monkeypatch.setenv("AIRTABLE_API_KEY", AIRTABLE_TOKEN)
    monkeypatch.setenv("AIRTABLE_BASE_ID", BASE)
    monkeypatch.setenv("AIRTABLE_ENDPOINT_URL", airtable_server.url)
    today = dt.datetime.now(dt.timezone.utc).date()  # the asset's own today: not the import's, a suite may cross midnight
    result = dg.materialize([raw_records, airtable_tables], resources=build_resources("live", tmp_path),
                            partition_key=today.isoformat())
    assert result.success
    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb"), read_only=True) as conn:
        assert conn.execute("SELECT count(*) FROM airtable.stages").fetchone() == (3,)
    logged = " ".join(str(e.message) for e in result.all_events)
    assert AIRTABLE_TOKEN not in logged
    assert AIRTABLE_TOKEN not in "".join(p.read_text() for p in tmp_path.rglob("*.json"))


def test_latest_modified_costs_one_request_per_table(airtable_server, tmp_path):
    base = seed(airtable_server)
    base["Stages"][1]["fields"]["Last Modified"] = "2025-09-01T08:00:00.000Z"
    base["Stages"][2]["fields"]["Last Modified"] = "2025-09-03T08:00:00.000Z"
    airtable_server.set_records(BASE, "Stages", base["Stages"])
    assert live(airtable_server, tmp_path).latest_modified("Stages") == "2025-09-03T08:00:00.000Z"
    assert len(airtable_server.requests) == 1


def test_a_base_without_the_optional_assessment_inputs_table_lands_it_empty(airtable_server, tmp_path):
    seed(airtable_server)  # the minimal base has no "Assessment Inputs" table: the server answers 404
    source = live(airtable_server, tmp_path)
    source.land_snapshot(TODAY, TODAY)
    assert read_json(Landing(tmp_path).airtable_table(TODAY, "Assessment Inputs")) == {"records": []}
    assert source.latest_modified("Assessment Inputs") is None
    assert airtable_server.requests_matching("GET", "Assessment", status=404)  # it was asked, not skipped


def test_find_records_filters_on_the_key_field(airtable_server, tmp_path):
    seed(airtable_server)
    found = live(airtable_server, tmp_path).find_records("Decisions", "Title", ["Use DuckDB", "Nope"])
    assert list(found) == ["Use DuckDB"] and found["Use DuckDB"]["Date"] == "2025-08-19"


def test_an_upsert_writes_the_bases_own_names_and_options(airtable_server, tmp_path):
    """Logical fields and options out, the base's own on the wire; read back, ours again."""
    seed(airtable_server)
    mapping = tmp_path / "map.yaml"
    mapping.write_text("tables: {Tasks: Work Items}\nfields: {Tasks: {Task Key: Key}}\n"
                       "options: {Tasks: {Status: {Not started: Todo, Doing: In Progress, Complete: Done}}}\n")
    airtable_server.set_records(BASE, "Work Items", [])
    airtable = live(airtable_server, tmp_path, schema_mapping_path=str(mapping))
    airtable.upsert("Tasks", [{"fields": {"Task Key": "T-9", "Name": "Wire it", "Status": "Todo"}}], ["Task Key"])
    [stored] = airtable_server.records(BASE, "Work Items")
    assert stored["fields"] == {"Key": "T-9", "Name": "Wire it", "Status": "Not started"}
    assert airtable.find_records("Tasks", "Task Key", ["T-9"])["T-9"]["Status"] == "Todo"


def test_a_snapshot_is_landed_whole_or_not_at_all_and_a_table_the_base_lacks_is_said(airtable_server, tmp_path):
    """A fetch that fails half-way (the base refusing the token on the fourth table) leaves no folder: once
    the day was over, a partial one was read as that day's immutable snapshot with its other tables absent.
    A table the schema map names but the base lacks lands as not landed, with Airtable's 404 and the hint."""
    from bqx_ops_tests.servers.base import Response

    base = seed(airtable_server)
    tables = [t.name for t in TABLES]
    refused = tables[3]
    airtable_server.answer_oddly(lambda req, answer: Response(401, {"error": {"type": "AUTHENTICATION_REQUIRED"}})
                                 if answer is None and req.path.endswith("/" + quote(refused)) else None, instead=True)
    with pytest.raises(Exception, match="401"):
        live(airtable_server, tmp_path).land_snapshot(TODAY, TODAY)
    airtable_server.answer_oddly(None)
    assert Landing(tmp_path).airtable_snapshot_dates() == []
    assert not (tmp_path / "landing" / "airtable").exists() or list((tmp_path / "landing" / "airtable").iterdir()) == []
    mapping = tmp_path / "map.yaml"
    mapping.write_text("tables: {Phases: Workstreams}\n")  # the base has no such table
    live(airtable_server, tmp_path, schema_mapping_path=str(mapping)).land_snapshot(TODAY, TODAY)
    said = read_json(Landing(tmp_path).airtable_table(TODAY, "Workstreams"))
    assert "404" in said[NOT_LANDED] and "schema_map" in said[NOT_LANDED]
    source = live(airtable_server, tmp_path)
    source.land_snapshot(TODAY, TODAY)  # with the right names: today's, taken again, replaced whole
    assert read_json(Landing(tmp_path).airtable_table(TODAY, "Phases"))["records"] == base["Phases"]
    assert not Landing(tmp_path).airtable_table(TODAY, "Workstreams").exists()
    airtable_server.set_records(BASE, "Stages", base["Stages"][:1])
    source.land_snapshot(TODAY, TODAY)
    assert len(read_json(Landing(tmp_path).airtable_table(TODAY, "Stages"))["records"]) == 1
    assert sorted(p.name for p in (tmp_path / "landing" / "airtable").iterdir()) == [TODAY.isoformat()]
