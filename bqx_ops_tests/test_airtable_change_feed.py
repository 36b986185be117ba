"""The Airtable change sensor on the change feed (a webhook's payloads read with a cursor), against
the local Airtable server through pyairtable: a deletion is seen on the next tick, a quiet tick
costs one request, an expiring or expired webhook is refreshed, no webhook means polling."""

import datetime as dt
import json

import dagster as dg

from bqx_ops.base_schema import TABLES
from bqx_ops.defs.docs_sync.sensors import airtable_change_sensor
from bqx_ops.resources.airtable import LiveAirtable
from bqx_ops_tests.base_builder import minimal_base
from bqx_ops_tests.servers.fixtures import AIRTABLE_TOKEN

BASE = "appBQXML00000001"
UTC = dt.timezone.utc


def seed(server) -> None:
    for table in TABLES:
        server.set_records(BASE, table.name, minimal_base().get(table.name, []))


def tick(server, tmp_path, instance, cursor):
    airtable = LiveAirtable(data_dir=str(tmp_path), api_key=AIRTABLE_TOKEN, base_id=BASE, endpoint_url=server.url)
    sensor = airtable_change_sensor("live", clock=lambda: dt.datetime.fromtimestamp(server.clock.now(), UTC))
    server.clear_requests()
    result = sensor(dg.build_sensor_context(instance=instance, cursor=cursor, resources={"airtable": airtable}))
    return result, result.cursor


def paths(server) -> list[str]:
    return [f"{r.method} {r.path.split('?')[0]}" for r in server.requests]


def test_a_deleted_record_requests_a_snapshot_on_the_next_tick_and_a_quiet_tick_is_one_request(
        airtable_server, tmp_path):
    seed(airtable_server)
    instance = dg.DagsterInstance.ephemeral()
    result, cursor = tick(airtable_server, tmp_path, instance, None)
    assert not result.run_requests and result.skip_reason.skip_message == "baseline recorded [webhook created]"
    [hook] = airtable_server.webhooks(BASE)
    assert hook["notificationUrl"] is None and hook["specification"]["options"]["filters"]["dataTypes"] == ["tableData"]

    result, cursor = tick(airtable_server, tmp_path, instance, cursor)
    assert not result.run_requests and result.skip_reason.skip_message == "no Airtable change [payloads read]"
    assert paths(airtable_server) == [f"GET /v0/bases/{BASE}/webhooks/{hook['id']}/payloads"]

    [victim] = airtable_server.records(BASE, "Artifacts")[:1]
    airtable = LiveAirtable(data_dir=str(tmp_path), api_key=AIRTABLE_TOKEN, base_id=BASE,
                            endpoint_url=airtable_server.url)
    airtable._api().table(BASE, "Artifacts").delete(victim["id"])  # a pure deletion: no Last Modified moves
    result, cursor = tick(airtable_server, tmp_path, instance, cursor)
    [snapshot] = result.run_requests
    assert snapshot.job_name == "airtable_snapshot_job"
    assert snapshot.partition_key == dt.datetime.fromtimestamp(airtable_server.clock.now(), UTC).strftime("%Y-%m-%d")
    assert json.loads(cursor)["feed"]["webhook"]["cursor"] == 2  # the one payload consumed

    result, cursor = tick(airtable_server, tmp_path, instance, cursor)  # nothing new: no second snapshot
    assert not result.run_requests and result.skip_reason.skip_message.startswith("waiting for the snapshot run")


def test_a_webhook_close_to_expiry_or_expired_is_refreshed_and_keeps_its_cursor(airtable_server, tmp_path):
    seed(airtable_server)
    instance = dg.DagsterInstance.ephemeral()
    _, cursor = tick(airtable_server, tmp_path, instance, None)
    [hook] = airtable_server.webhooks(BASE)
    airtable_server.clock.advance(6 * 86400)  # one day left: refreshed before it runs out
    result, cursor = tick(airtable_server, tmp_path, instance, cursor)
    assert result.skip_reason.skip_message == "no Airtable change [webhook refreshed, payloads read]"
    assert paths(airtable_server) == [f"POST /v0/bases/{BASE}/webhooks/{hook['id']}/refresh",
                                      f"GET /v0/bases/{BASE}/webhooks/{hook['id']}/payloads"]
    refreshed = dt.datetime.fromisoformat(json.loads(cursor)["feed"]["webhook"]["expires"])
    assert refreshed == dt.datetime.fromtimestamp(airtable_server.clock.now() + 7 * 86400, UTC)

    airtable_server.expire_webhooks(BASE)  # nobody refreshed it: expired
    airtable_server.set_records(BASE, "Plans", [])  # and a change happened meanwhile
    state = json.loads(cursor)
    state["feed"]["webhook"]["expires"] = dt.datetime.fromtimestamp(airtable_server.clock.now() - 1, UTC).isoformat()
    result, cursor = tick(airtable_server, tmp_path, instance, json.dumps(state))
    [snapshot] = result.run_requests  # refreshed, then its payloads (kept while expired) read
    assert snapshot.job_name == "airtable_snapshot_job" and [h["id"] for h in airtable_server.webhooks(BASE)] == [
        hook["id"]]


def test_a_webhook_that_is_gone_is_replaced_and_the_gap_counts_as_a_change(airtable_server, tmp_path):
    seed(airtable_server)
    instance = dg.DagsterInstance.ephemeral()
    _, cursor = tick(airtable_server, tmp_path, instance, None)
    state = json.loads(cursor)
    state["feed"]["webhook"].update(id="achGONE0000000001", expires="2024-01-01T00:00:00+00:00")
    result, cursor = tick(airtable_server, tmp_path, instance, json.dumps(state))
    [snapshot] = result.run_requests
    assert snapshot.job_name == "airtable_snapshot_job" and len(airtable_server.webhooks(BASE)) == 2


def test_without_webhooks_the_sensor_polls_and_tries_the_webhook_again_a_day_later(airtable_server, tmp_path):
    seed(airtable_server)
    airtable_server.webhooks_allowed = False
    instance = dg.DagsterInstance.ephemeral()
    result, cursor = tick(airtable_server, tmp_path, instance, None)
    assert result.skip_reason.skip_message.startswith("baseline recorded [polling (creating a webhook failed with "
                                                      "HTTP 403)")
    assert len(airtable_server.requests) == 1 + len(TABLES)
    airtable_server.webhooks_allowed = True
    result, cursor = tick(airtable_server, tmp_path, instance, cursor)
    assert "polling" in result.skip_reason.skip_message and len(airtable_server.requests) == len(TABLES)
    airtable_server.clock.advance(86400 + 1)
    stages = minimal_base()["Stages"]
    stages[0]["fields"]["Last Modified"] = "2030-01-01T00:00:00.000Z"
    airtable_server.set_records(BASE, "Stages", stages)  # changed since the last poll, before any webhook
    result, cursor = tick(airtable_server, tmp_path, instance, cursor)
    [snapshot] = result.run_requests  # the webhook is created and a last poll covers the gap
    assert snapshot.job_name == "airtable_snapshot_job" and len(airtable_server.webhooks(BASE)) == 1
    result, cursor = tick(airtable_server, tmp_path, instance, cursor)
    assert len(airtable_server.requests) == 1  # from now on: the feed, one request a tick
