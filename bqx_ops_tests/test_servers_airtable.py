"""Protocol fidelity of the fake Airtable server, exercised with the real pyairtable client."""

from __future__ import annotations

import time

import pytest
import requests
from pyairtable import Api
from pyairtable.api.retrying import retry_strategy
from pyairtable.formulas import match

from bqx_ops_tests.servers.airtable import AirtableServer
from bqx_ops_tests.servers.airtable import DEFAULT_TOKEN as AIRTABLE_TOKEN

# redundant (and harmless) once the root conftest lists the plugin
pytest_plugins = ["bqx_ops_tests.servers.fixtures"]

BASE = "appBQXTESTBASE001"


def _stages(n: int) -> list[dict]:
    return [
        {"Name": f"stage-{i:03d}", "Order": i, "Status": ("Todo", "In Progress", "Done")[i % 3]}
        for i in range(n)
    ]


def _api(server: AirtableServer, **kwargs) -> Api:
    kwargs.setdefault("retry_strategy", None)
    return Api(AIRTABLE_TOKEN, endpoint_url=server.url, **kwargs)


def test_all_returns_250_records_in_order_across_three_pages(airtable_server):
    airtable_server.set_records(BASE, "Stages", _stages(250))

    records = _api(airtable_server).table(BASE, "Stages").all()

    assert [r["fields"]["Name"] for r in records] == [f"stage-{i:03d}" for i in range(250)]
    assert all(r["id"].startswith("rec") and len(r["id"]) == 17 for r in records)
    assert records == airtable_server.records(BASE, "Stages")
    gets = airtable_server.requests
    assert [(r.method, r.path) for r in gets] == [("GET", f"/v0/{BASE}/Stages")] * 3
    assert "offset" not in gets[0].query
    assert all(r.query["offset"][0].startswith("itr") for r in gets[1:])
    # the token only ever travels in the Authorization header
    for r in gets:
        assert r.header("Authorization") == f"Bearer {AIRTABLE_TOKEN}"
        assert AIRTABLE_TOKEN not in r.path + str(r.query) + r.raw_body.decode()


def test_last_page_has_no_offset_and_page_size_max_records(airtable_server):
    airtable_server.set_records(BASE, "Stages", _stages(25))
    url = f"{airtable_server.url}/v0/{BASE}/Stages"
    auth = {"Authorization": f"Bearer {AIRTABLE_TOKEN}"}

    first = requests.get(url, params={"pageSize": 10}, headers=auth).json()
    assert len(first["records"]) == 10 and "offset" in first
    last = requests.get(url, params={"pageSize": 10, "offset": first["offset"]}, headers=auth).json()
    assert len(last["records"]) == 10 and "offset" in last
    tail = requests.get(url, params={"pageSize": 10, "offset": last["offset"]}, headers=auth).json()
    assert len(tail["records"]) == 5 and "offset" not in tail

    pages = list(_api(airtable_server).table(BASE, "Stages").iterate(page_size=7, max_records=20))
    assert [len(p) for p in pages] == [7, 7, 6]
    too_big = requests.get(url, params={"pageSize": 101}, headers=auth)
    assert too_big.status_code == 422


def test_table_by_name_with_spaces_and_by_id(airtable_server):
    table_id = airtable_server.set_records(BASE, "Risk Register", [{"Risk": "r1"}, {"Risk": "r2"}])
    api = _api(airtable_server)

    assert [r["fields"]["Risk"] for r in api.table(BASE, "Risk Register").all()] == ["r1", "r2"]
    assert [r["fields"]["Risk"] for r in api.table(BASE, table_id).all()] == ["r1", "r2"]
    assert airtable_server.requests[0].path == f"/v0/{BASE}/Risk Register"
    assert api.table(BASE, "Risk Register").schema().id == table_id


def test_fields_sort_and_formula(airtable_server):
    airtable_server.set_records(BASE, "Stages", _stages(30))
    table = _api(airtable_server).table(BASE, "Stages")

    done = table.all(formula=match({"Status": "Done"}), sort=["-Order"], fields=["Name"])
    assert [r["fields"] for r in done][:2] == [{"Name": "stage-029"}, {"Name": "stage-026"}]
    assert len(done) == 10
    window = table.all(formula="AND({Order} >= 5, {Order} < 8, NOT({Status} = 'Done'))")
    assert [r["fields"]["Order"] for r in window] == [6, 7]
    assert table.first(formula=match({"Name": "stage-013"}))["fields"]["Order"] == 13
    assert table.first(formula=match({"Name": "missing"})) is None
    with pytest.raises(requests.HTTPError) as err:
        table.all(formula="AND({Order} > 1")
    assert err.value.response.status_code == 422
    assert err.value.response.json()["error"]["type"] == "INVALID_FILTER_BY_FORMULA"


def test_long_url_falls_back_to_post_list_records(airtable_server):
    airtable_server.set_records(BASE, "Stages", _stages(150))
    table = _api(airtable_server).table(BASE, "Stages")
    # > 16k characters of URL makes pyairtable switch to POST .../listRecords
    names = [f"stage-{i:03d}" for i in range(0, 150, 1)] * 4
    formula = "OR(" + ",".join(f"{{Name}}='{n}'" for n in names) + ")"

    records = table.all(formula=formula)

    assert len(records) == 150
    posts = airtable_server.requests_matching("POST", "/listRecords")
    assert len(posts) == 2  # 100 + 50, the offset travels in the JSON body
    assert "offset" not in posts[0].body and posts[1].body["offset"].startswith("itr")


def test_retry_strategy_survives_429_with_retry_after_and_503s(airtable_server):
    airtable_server.set_records(BASE, "Stages", _stages(250))
    airtable_server.fail_next(1, 429, retry_after=1)
    airtable_server.fail_next(2, 503)
    api = _api(airtable_server, retry_strategy=retry_strategy(status_forcelist=(429, 503), backoff_factor=0.01))

    started = time.monotonic()
    records = api.table(BASE, "Stages").all()

    assert len(records) == 250
    assert [r.status for r in airtable_server.requests] == [429, 503, 503, 200, 200, 200]
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    gap = airtable_server.requests[1].timestamp - airtable_server.requests[0].timestamp
    assert gap >= 0.95


def test_429_body_and_headers_without_retries(airtable_server):
    airtable_server.set_records(BASE, "Stages", _stages(3))
    airtable_server.fail_next(1, 429, retry_after=7)

    with pytest.raises(requests.HTTPError) as err:
        _api(airtable_server).table(BASE, "Stages").all()

    resp = err.value.response
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "7"
    assert resp.json()["errors"][0]["error"] == "RATE_LIMIT_REACHED"


def test_seeded_fault_rate_is_reproducible_and_survivable():
    def run() -> list[int]:
        with AirtableServer({BASE: {"Stages": _stages(250)}}, token=AIRTABLE_TOKEN) as srv:
            srv.fault_rate(0.4, statuses=(429, 503), seed=7, retry_after=0)
            api = Api(
                AIRTABLE_TOKEN,
                endpoint_url=srv.url,
                retry_strategy=retry_strategy(status_forcelist=(429, 503), backoff_factor=0.001, total=10),
            )
            assert len(api.table(BASE, "Stages").all()) == 250
            return [r.status for r in srv.requests]

    first, second = run(), run()
    assert first == second
    assert any(s != 200 for s in first) and first.count(200) == 3


def test_batch_upsert_creates_then_updates_ten_per_request(airtable_server):
    airtable_server.add_table(BASE, "Stages")
    table = _api(airtable_server).table(BASE, "Stages")
    rows = [{"fields": {"Name": f"s{i:02d}", "Order": i}} for i in range(25)]

    first = table.batch_upsert(rows, key_fields=["Name"])
    assert len(first["createdRecords"]) == 25 and first["updatedRecords"] == []

    changed = [{"fields": {"Name": f"s{i:02d}", "Order": i * 10}} for i in range(25)]
    second = table.batch_upsert(changed, key_fields=["Name"])
    assert second["createdRecords"] == []
    assert second["updatedRecords"] == first["createdRecords"]
    assert [r["fields"]["Order"] for r in second["records"]] == [i * 10 for i in range(25)]

    stored = airtable_server.records(BASE, "Stages")
    assert len(stored) == 25 and stored[3]["fields"] == {"Name": "s03", "Order": 30}
    patches = airtable_server.requests_matching("PATCH")
    assert [len(r.body["records"]) for r in patches] == [10, 10, 5, 10, 10, 5]
    assert all(r.body["performUpsert"] == {"fieldsToMergeOn": ["Name"]} for r in patches)


def test_more_than_ten_records_is_422(airtable_server):
    airtable_server.add_table(BASE, "Stages")
    api = _api(airtable_server)
    url = api.table(BASE, "Stages").urls.records

    for method, payload in (
        ("POST", {"records": [{"fields": {"Name": str(i)}} for i in range(11)]}),
        ("PATCH", {"records": [{"fields": {"Name": str(i)}} for i in range(11)],
                   "performUpsert": {"fieldsToMergeOn": ["Name"]}}),
    ):
        with pytest.raises(requests.HTTPError) as err:
            api.request(method, url, json=payload)
        assert err.value.response.status_code == 422
        assert err.value.response.json()["error"]["type"] == "INVALID_REQUEST"
    assert airtable_server.records(BASE, "Stages") == []


def test_crud_and_errors(airtable_server):
    airtable_server.add_table(BASE, "Stages", fields=["Name", "Order", "Done"])
    table = _api(airtable_server).table(BASE, "Stages")

    created = table.batch_create([{"Name": "a", "Order": 1}, {"Name": "b", "Order": 2, "Done": True}])
    assert created[0]["createdTime"] == "2024-01-01T00:00:00.000Z"
    one = table.create({"Name": "c"})
    assert table.get(one["id"])["fields"] == {"Name": "c"}
    assert table.update(one["id"], {"Order": 3})["fields"] == {"Name": "c", "Order": 3}
    assert table.update(one["id"], {"Done": False})["fields"] == {"Name": "c", "Order": 3}  # empty -> omitted
    assert table.batch_update([{"id": created[0]["id"], "fields": {"Name": "a2"}}])[0]["fields"]["Name"] == "a2"
    assert table.delete(one["id"]) == {"id": one["id"], "deleted": True}
    assert [r["id"] for r in table.batch_delete([created[1]["id"]])] == [created[1]["id"]]
    assert [r["fields"]["Name"] for r in table.all()] == ["a2"]

    def status_of(call) -> tuple[int, object]:
        with pytest.raises(requests.HTTPError) as err:
            call()
        return err.value.response.status_code, err.value.response.json()["error"]

    assert status_of(lambda: table.get("recXXXXXXXXXXXXXX"))[0] == 404
    assert status_of(lambda: table.create({"Nope": 1})) == (
        422, {"type": "UNKNOWN_FIELD_NAME", "message": 'Unknown field name: "Nope"'})
    assert status_of(lambda: _api(airtable_server).table(BASE, "Nope").all())[1]["type"] == "TABLE_NOT_FOUND"
    bad = Api("patWRONG", endpoint_url=airtable_server.url, retry_strategy=None)
    assert status_of(lambda: bad.table(BASE, "Stages").all())[0] == 401


def test_expired_offset_is_422(airtable_server):
    airtable_server.set_records(BASE, "Stages", _stages(150))
    pages = _api(airtable_server).table(BASE, "Stages").iterate()
    next(pages)
    airtable_server.invalidate_offsets()
    with pytest.raises(requests.HTTPError) as err:
        next(pages)
    assert err.value.response.json()["error"]["type"] == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE"


def test_server_side_rate_limit_and_pacing_log(airtable_server):
    airtable_server.set_records(BASE, "Stages", _stages(1))
    airtable_server.enforce_rate_limit(5, per_seconds=1.0)
    table = _api(airtable_server).table(BASE, "Stages")
    for _ in range(5):
        table.all()
    with pytest.raises(requests.HTTPError) as err:
        table.all()
    assert err.value.response.status_code == 429
    ok = airtable_server.requests_matching(status=200)
    assert airtable_server.max_requests_per_window(1.0, ok) == 5
