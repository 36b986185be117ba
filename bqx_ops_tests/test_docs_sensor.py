"""Triggers of the weekly sync: the Monday schedule and the Airtable change sensor (cursor on Last Modified)."""

import datetime as dt
import json

import dagster as dg

from bqx_ops.base_schema import TABLES
from bqx_ops.defs.airtable.assets import airtable_tables
from bqx_ops.defs.docs_sync.schedules import weekly_sync_schedule
from bqx_ops.defs.docs_sync.sensors import airtable_change_sensor
from bqx_ops.defs.docs_sync.weeks import DOCS_SYNC_PARTITIONS
from bqx_ops.resources.airtable import EmbeddedAirtable, LiveAirtable
from bqx_ops_tests.base_builder import edit, minimal_base, write_snapshot
from bqx_ops_tests.servers.fixtures import AIRTABLE_TOKEN

BASE = "appBQXML00000001"
UTC = dt.timezone.utc
SENSOR = airtable_change_sensor("live")


def seed(server, base: dict) -> None:
    """A base whose token cannot create webhooks: the sensor polls (the change feed: test_airtable_change_feed)."""
    server.webhooks_allowed = False
    for table in TABLES:
        server.set_records(BASE, table.name, base.get(table.name, []))


def stamped(day: str) -> dict:
    """The minimal base with every record last modified on ``day``."""
    base = minimal_base()
    for records in base.values():
        for rec in records:
            rec["fields"]["Last Modified"] = f"{day}T08:00:00.000Z"
    return base


def tick(server, tmp_path, instance, cursor):
    airtable = LiveAirtable(data_dir=str(tmp_path), api_key=AIRTABLE_TOKEN, base_id=BASE, endpoint_url=server.url)
    server.clear_requests()
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"airtable": airtable})
    result = SENSOR(context)
    return result, result.cursor


def test_the_change_sensor_asks_for_a_snapshot_then_a_sync_and_is_quiet_otherwise(airtable_server, tmp_path):
    seed(airtable_server, stamped("2026-11-02"))
    instance = dg.DagsterInstance.ephemeral()
    result, cursor = tick(airtable_server, tmp_path, instance, None)
    assert not result.run_requests and "baseline" in result.skip_reason.skip_message
    assert len(airtable_server.requests) == 1 + len(TABLES)  # the refused webhook, then one request per table

    result, cursor = tick(airtable_server, tmp_path, instance, cursor)
    assert not result.run_requests and result.skip_reason.skip_message.startswith("no Airtable change [polling")
    assert len(airtable_server.requests) == len(TABLES)  # the webhook is tried again only a day later

    changed = stamped("2026-11-02")
    changed = edit(changed, "Stages", "recSTAGE000000002", Status="Done",
                   Last_Modified="2026-11-23T14:05:00.000Z")
    airtable_server.set_records(BASE, "Stages", changed["Stages"])
    result, cursor = tick(airtable_server, tmp_path, instance, cursor)
    today = dt.datetime.now(UTC).strftime("%Y-%m-%d")
    [snapshot] = result.run_requests
    assert (snapshot.job_name, snapshot.partition_key) == ("airtable_snapshot_job", today)

    result, cursor = tick(airtable_server, tmp_path, instance, cursor)
    assert not result.run_requests and result.skip_reason.skip_message.startswith("waiting for the snapshot run")

    for key in airtable_tables.keys:  # what the snapshot run records when it has landed and parsed today
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, partition=today))
    result, cursor = tick(airtable_server, tmp_path, instance, cursor)
    [sync] = result.run_requests
    assert (sync.job_name, sync.partition_key) == ("docs_sync_job", DOCS_SYNC_PARTITIONS.get_last_partition_key())

    result, cursor = tick(airtable_server, tmp_path, instance, cursor)
    assert not result.run_requests and result.skip_reason.skip_message.startswith("no Airtable change [polling")


def test_a_snapshot_run_that_never_lands_is_requested_again_after_an_hour(airtable_server, tmp_path):
    seed(airtable_server, stamped("2026-11-02"))
    instance = dg.DagsterInstance.ephemeral()
    _, cursor = tick(airtable_server, tmp_path, instance, None)
    state = json.loads(cursor)
    state["pending"] = {"digest": "abc", "day": "2026-11-23", "attempt": 1,
                        "since": (dt.datetime.now(UTC) - dt.timedelta(hours=2)).isoformat()}
    result, cursor = tick(airtable_server, tmp_path, instance, json.dumps(state))
    [again] = result.run_requests
    assert again.run_key == "airtable-change:snapshot:2026-11-23:abc:2"
    assert json.loads(cursor)["pending"]["attempt"] == 2


def test_an_unreachable_table_is_skipped_for_one_tick_without_losing_the_cursor(airtable_server, tmp_path):
    seed(airtable_server, stamped("2026-11-02"))
    instance = dg.DagsterInstance.ephemeral()
    _, cursor = tick(airtable_server, tmp_path, instance, None)
    airtable_server.fail_next(20, 401, path_contains="/Stages")  # not retried by pyairtable
    result, next_cursor = tick(airtable_server, tmp_path, instance, cursor)
    assert not result.run_requests and "unreachable: Stages" in result.skip_reason.skip_message
    assert json.loads(next_cursor)["feed"]["modified"] == json.loads(cursor)["feed"]["modified"]


def test_embedded_latest_modified_reads_the_newest_landing_snapshot(tmp_path):
    write_snapshot(tmp_path, dt.date(2025, 8, 18), stamped("2025-08-18"))
    later = edit(stamped("2025-08-22"), "Stages", "recSTAGE000000003", Last_Modified="2025-08-22T15:30:00.000Z")
    write_snapshot(tmp_path, dt.date(2025, 8, 22), later)
    airtable = EmbeddedAirtable(data_dir=str(tmp_path))
    assert airtable.latest_modified("Stages") == "2025-08-22T15:30:00.000Z"
    assert airtable.latest_modified("Plans") == "2025-08-22T08:00:00.000Z"
    assert EmbeddedAirtable(data_dir=str(tmp_path / "empty")).latest_modified("Stages") is None


def test_the_monday_schedule_syncs_the_week_that_just_closed():
    schedule = weekly_sync_schedule("local")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED
    assert weekly_sync_schedule("live").default_status == dg.DefaultScheduleStatus.RUNNING
    monday = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    request = schedule(dg.build_schedule_context(scheduled_execution_time=monday))
    assert request.partition_key == "2026-02-23" and request.run_key == "weekly_sync:2026-02-23"
    tuesday = dg.build_schedule_context(scheduled_execution_time=monday + dt.timedelta(days=1))
    assert isinstance(schedule(tuesday), dg.SkipReason)
    # the plan's first Monday (the start, 00:00) closes the partial week holding the start ...
    first = schedule(dg.build_schedule_context(scheduled_execution_time=dt.datetime(2025, 8, 18, 9, tzinfo=UTC)))
    assert first.partition_key == "2025-08-11"
    # ... and the Monday before it closes no week of the plan
    before = dg.build_schedule_context(scheduled_execution_time=dt.datetime(2025, 8, 11, 9, tzinfo=UTC))
    assert isinstance(schedule(before), dg.SkipReason)
