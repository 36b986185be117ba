"""Round 5: Airtable answering oddly, in its own protocol, to the real pyairtable client: an offset that
repeats (an endless listing), offsets that expire mid-listing (the table changed), a table renamed (404),
records without ``fields`` or ``id``, a webhook's payload cursor that goes back. Each: the fetch ends, the
rest of the snapshot lands, and the table's problem says why (quarantine), never a hang or a wrong table."""

import datetime as dt

import pytest

from bqx_ops.landing import Landing, read_json
from bqx_ops.resources.airtable import LiveAirtable
from bqx_ops.resources.airtable_feed import WebhooksUnavailable
from bqx_ops.validation import parse_snapshot
from bqx_ops_tests.base_builder import minimal_base, record
from bqx_ops_tests.servers.fixtures import AIRTABLE_TOKEN

BASE = "appBQXML00000001"
TODAY = dt.datetime.now(dt.timezone.utc).date()


def seed(server, extra_stages: int = 0, rename: dict | None = None) -> dict:
    base = minimal_base()
    base["Stages"] += [record(f"recEXTRA{n:09d}", {"Stage ID": f"9.{n}", "Name": f"Extra {n}",
                                                   "Phase": ["recPHASE000000001"], "Status": "Todo"})
                       for n in range(extra_stages)]
    for table, records in base.items():
        server.set_records(BASE, (rename or {}).get(table, table), records)
    return base


def live(server, data_dir) -> LiveAirtable:
    return LiveAirtable(data_dir=str(data_dir), api_key=AIRTABLE_TOKEN, base_id=BASE, endpoint_url=server.url,
                        backoff_factor=0.01)


def stages_listing(req) -> bool:
    return req.method == "GET" and req.path.endswith("/Stages")


def quarantine_reasons(source, table: str) -> list[str]:
    parsed = parse_snapshot(TODAY, source.read_snapshot(TODAY))
    return [row["reason"] for row in parsed.quarantine if row["table_name"] == table]


def test_an_offset_that_repeats_ends_the_listing_with_a_reason_and_the_rest_lands(airtable_server, tmp_path):
    base = seed(airtable_server, extra_stages=250)
    first_offset = {}

    def loop(req, resp):  # every page of Stages points at the second page again
        if stages_listing(req) and isinstance(resp.body, dict) and resp.body.get("offset"):
            resp.body["offset"] = first_offset.setdefault("offset", resp.body["offset"])
        return resp
    airtable_server.answer_oddly(loop)
    source = live(airtable_server, tmp_path)
    source.land_snapshot(TODAY, TODAY)
    assert len([r for r in airtable_server.requests if stages_listing(r)]) == 2  # page 2 names page 2 again: stop
    assert "records" not in read_json(Landing(tmp_path).airtable_table(TODAY, "Stages"))  # no half table
    [reason] = quarantine_reasons(source, "Stages")
    assert reason.startswith("unreadable landing file airtable/") and "came back after 2 page(s)" in reason
    phases = read_json(Landing(tmp_path).airtable_table(TODAY, "Phases"))["records"]
    assert [r["id"] for r in phases] == [r["id"] for r in base["Phases"]]


def test_offsets_that_expire_mid_listing_restart_it_and_land_every_record_once(airtable_server, tmp_path):
    base = seed(airtable_server, extra_stages=150)
    expired = []

    def expire_once(req, resp):  # the table changed after page 1: its offsets are gone (422)
        if stages_listing(req) and not expired and isinstance(resp.body, dict) and resp.body.get("offset"):
            expired.append(1)
            airtable_server.invalidate_offsets()
        return resp
    airtable_server.answer_oddly(expire_once)
    source = live(airtable_server, tmp_path)
    source.land_snapshot(TODAY, TODAY)
    landed = read_json(Landing(tmp_path).airtable_table(TODAY, "Stages"))["records"]
    assert [r["id"] for r in landed] == [r["id"] for r in base["Stages"]]
    assert [r.status for r in airtable_server.requests if stages_listing(r)] == [200, 422, 200, 200]


def test_a_renamed_table_is_a_problem_of_that_table_not_a_failed_snapshot(airtable_server, tmp_path):
    seed(airtable_server, rename={"Stages": "Stages (old)"})
    source = live(airtable_server, tmp_path)
    source.land_snapshot(TODAY, TODAY)
    [reason] = quarantine_reasons(source, "Stages")
    assert "HTTP 404" in reason and "'Stages'" in reason and "renamed or deleted?" in reason
    assert len(read_json(Landing(tmp_path).airtable_table(TODAY, "Phases"))["records"]) == 2


def test_records_without_fields_or_id_are_quarantined_not_dropped(airtable_server, tmp_path):
    seed(airtable_server)

    def strip(req, resp):
        if stages_listing(req):
            del resp.body["records"][0]["fields"]
            del resp.body["records"][1]["id"]
        return resp
    airtable_server.answer_oddly(strip)
    source = live(airtable_server, tmp_path)
    source.land_snapshot(TODAY, TODAY)
    assert quarantine_reasons(source, "Stages") == ["malformed record: expected {id, createdTime, fields}"] * 2


@pytest.mark.parametrize("cursor", [1, 2], ids=["repeats", "goes back"])
def test_a_webhook_cursor_that_repeats_or_goes_back_falls_back_to_polling(airtable_server, tmp_path, cursor):
    seed(airtable_server)
    source = live(airtable_server, tmp_path)
    _, hook, _ = source.webhook_changes(None, dt.datetime.now(dt.timezone.utc))
    for n in range(3):  # three writes: three payloads on the webhook
        source.upsert("Decisions", [{"fields": {"Title": f"T{n}"}}], ["Title"])
    hook = {**hook, "cursor": 3}

    def stuck(req, resp):  # every page says there is more, from a cursor already read (or before it)
        if req.path.endswith("/payloads"):
            resp.body.update(cursor=cursor if cursor == 2 else int(req.arg("cursor")), mightHaveMore=True)
        return resp
    airtable_server.answer_oddly(stuck)
    with pytest.raises(WebhooksUnavailable, match="payloads: Airtable's cursor"):
        source.webhook_changes(hook, dt.datetime.now(dt.timezone.utc))
    assert len([r for r in airtable_server.requests if r.path.endswith("/payloads")]) <= 3


def test_a_200_with_an_html_body_is_a_problem_of_that_table(airtable_server, tmp_path):
    from bqx_ops_tests.servers.base import Response

    seed(airtable_server)
    airtable_server.answer_oddly(lambda req, resp: Response(200, "<html><body>Proxy login</body></html>",
                                                            content_type="text/html")
                                 if stages_listing(req) else resp)
    source = live(airtable_server, tmp_path)
    source.land_snapshot(TODAY, TODAY)
    [reason] = quarantine_reasons(source, "Stages")
    assert "Airtable's answer listing 'Stages' was not JSON" in reason
    assert len(read_json(Landing(tmp_path).airtable_table(TODAY, "Phases"))["records"]) == 2


def test_a_webhook_payload_pyairtable_cannot_read_falls_back_to_polling(airtable_server, tmp_path):
    seed(airtable_server)
    source = live(airtable_server, tmp_path)
    _, hook, _ = source.webhook_changes(None, dt.datetime.now(dt.timezone.utc))
    source.upsert("Decisions", [{"fields": {"Title": "T"}}], ["Title"])

    def no_timestamp(req, resp):
        if req.path.endswith("/payloads"):
            for payload in resp.body["payloads"]:
                payload.pop("timestamp")
        return resp
    airtable_server.answer_oddly(no_timestamp)
    with pytest.raises(WebhooksUnavailable, match="payloads could not be read"):
        source.webhook_changes(hook, dt.datetime.now(dt.timezone.utc))


def test_a_renamed_table_in_the_live_snapshot_asset_is_a_snapshot_problem_and_the_run_succeeds(
        airtable_server, tmp_path, monkeypatch):
    import dagster as dg
    import duckdb

    from bqx_ops.defs.airtable.assets import airtable_tables, raw_records
    from bqx_ops.resources.factory import build_resources

    seed(airtable_server, rename={"Tasks": "Tasks (archived)"})
    monkeypatch.setenv("AIRTABLE_API_KEY", AIRTABLE_TOKEN)
    monkeypatch.setenv("AIRTABLE_BASE_ID", BASE)
    monkeypatch.setenv("AIRTABLE_ENDPOINT_URL", airtable_server.url)
    today = dt.datetime.now(dt.timezone.utc).date()  # the asset's own today
    result = dg.materialize([raw_records, airtable_tables], resources=build_resources("live", tmp_path),
                            partition_key=today.isoformat())
    assert result.success
    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb"), read_only=True) as conn:
        [(reason,)] = conn.execute("SELECT reason FROM airtable.quarantine WHERE table_name = 'Tasks'").fetchall()
        assert conn.execute("SELECT count(*) FROM airtable.stages").fetchone() == (3,)
    assert reason.startswith(f"snapshot problem: Tasks could not be read (unreadable landing file airtable/{today}/"
                             "Tasks.json: not landed: Airtable answered HTTP 404"), reason


def test_find_records_reads_past_a_record_without_fields(airtable_server, tmp_path):
    seed(airtable_server)

    def strip(req, resp):  # the filtered listing of Decisions holds one record without fields
        if req.path.endswith("/Decisions") and isinstance(resp.body, dict):
            resp.body["records"].append({"id": "recNOFIELDS000001", "createdTime": "2025-08-19T00:00:00.000Z"})
        return resp
    airtable_server.answer_oddly(strip)
    found = live(airtable_server, tmp_path).find_records("Decisions", "Title", ["Use DuckDB", "Nope"])
    assert list(found) == ["Use DuckDB"]  # pyairtable's Table.all() raised a ValidationError for the whole list
