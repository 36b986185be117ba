"""Airtable change sensor. It reads the base's change feed: a webhook's payloads after a cursor
(one request per tick when nothing changed; creations, updates and deletions alike). Where no
webhook can be created it polls, with a cursor on each table's newest Last Modified (one request
per table per tick, blind to pure deletions), and tries the webhook again a day later.
A change requests a fresh snapshot; once that snapshot run has materialized the typed tables, the
week in progress is synced, so the repository reflects Airtable within 24 hours. It never opens
DuckDB (the sensor process must not take its lock): only Airtable and the instance.
"""

import datetime as dt
import hashlib
import json
from typing import Callable

import dagster as dg

from bqx_ops.base_schema import TABLES
from bqx_ops.calendar import UTC
from bqx_ops.defs.airtable.assets import airtable_tables
from bqx_ops.defs.airtable.schedules import snapshot_job
from bqx_ops.defs.docs_sync.schedules import docs_sync_job
from bqx_ops.defs.docs_sync.weeks import open_week_key
from bqx_ops.resources.airtable import AirtableSource
from bqx_ops.resources.airtable_feed import WebhooksUnavailable

RETRY_SNAPSHOT_AFTER = dt.timedelta(hours=1)
RETRY_WEBHOOK_AFTER = dt.timedelta(days=1)


def _poll(airtable: AirtableSource, seen: dict) -> tuple[bool | None, dict, list[str]]:
    """Each table's newest Last Modified: (changed, None on the first tick; latest; unreachable tables)."""
    latest, failed = {}, []
    for table in TABLES:
        try:
            latest[table.name] = airtable.latest_modified(table.name)
        except Exception as exc:  # noqa: BLE001 - one unreachable table must not stop the sensor
            failed.append(f"{table.name}: {type(exc).__name__}")
            latest[table.name] = seen.get(table.name)
    changed = any(latest[t] != seen.get(t) for t in latest) if seen else None
    return changed, latest, failed


def _feed(airtable: AirtableSource, state: dict, now: dt.datetime) -> tuple[bool | None, dict, str, list[str]]:
    """(changed, None: baseline; the cursor's feed part; how it was read; unreachable tables)."""
    feed = dict(state.get("feed") or {})
    poll_until = feed.get("poll_until")
    if not poll_until or now >= dt.datetime.fromisoformat(poll_until):
        try:
            changed, hook, how = airtable.webhook_changes(feed.get("webhook"), now)
            if changed is None and feed.get("modified"):  # it polled until now: one last look covers the gap
                polled, _, failed = _poll(airtable, feed["modified"])
                return bool(polled), {"webhook": hook}, how + ", last poll", failed
            return changed, {"webhook": hook}, how, []
        except WebhooksUnavailable as exc:
            feed = {"modified": feed.get("modified") or {}, "poll_until": (now + RETRY_WEBHOOK_AFTER).isoformat(),
                    "why": str(exc)}
    changed, latest, failed = _poll(airtable, feed.get("modified") or {})
    return changed, {**feed, "modified": latest}, f"polling ({feed.get('why')})", failed


def _snapshot_landed(instance: dg.DagsterInstance, day: str, since: dt.datetime) -> bool:
    """Every typed table of ``day`` materialized after ``since``."""
    for key in airtable_tables.keys:
        found = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day], after_timestamp=since.timestamp()), limit=1)
        if not found.records:
            return False
    return True


def _snapshot_request(pending: dict) -> dg.RunRequest:
    return dg.RunRequest(job_name=snapshot_job.name, partition_key=pending["day"],
                         run_key=f"airtable-change:snapshot:{pending['day']}:{pending['digest']}:{pending['attempt']}",
                         tags={"bqx_ops/trigger": "airtable_change"})


def airtable_change_sensor(mode: str, clock: Callable[[], dt.datetime] | None = None) -> dg.SensorDefinition:
    @dg.sensor(
        name="airtable_change_sensor",
        jobs=[snapshot_job, docs_sync_job],
        minimum_interval_seconds=15 * 60,
        default_status=dg.DefaultSensorStatus.RUNNING if mode == "live" else dg.DefaultSensorStatus.STOPPED,
        description="Airtable changed -> fresh snapshot -> docs sync of the week in progress.",
    )
    def _sensor(context: dg.SensorEvaluationContext, airtable: AirtableSource):
        now = (clock or (lambda: dt.datetime.now(UTC)))()
        state = json.loads(context.cursor) if context.cursor else {}
        if "modified" in state and "feed" not in state:  # a cursor from before the change feed
            state = {"feed": {"modified": state["modified"]}, "pending": state.get("pending")}
        changed, feed, how, failed = _feed(airtable, state, now)
        pending, requests = state.get("pending"), []
        if changed:
            digest = hashlib.sha256(json.dumps(feed, sort_keys=True).encode()).hexdigest()[:12]
            pending = {"digest": digest, "day": now.strftime("%Y-%m-%d"), "since": now.isoformat(), "attempt": 1}
            requests.append(_snapshot_request(pending))
        elif pending:
            since = dt.datetime.fromisoformat(pending["since"])
            if _snapshot_landed(context.instance, pending["day"], since):
                week = open_week_key(now)
                requests.append(dg.RunRequest(job_name=docs_sync_job.name, partition_key=week,
                                              run_key=f"airtable-change:sync:{week}:{pending['digest']}",
                                              tags={"bqx_ops/trigger": "airtable_change"}))
                pending = None
            elif now - since > RETRY_SNAPSHOT_AFTER:  # the snapshot run failed or never ran: ask again
                pending = {**pending, "since": now.isoformat(), "attempt": pending["attempt"] + 1}
                requests.append(_snapshot_request(pending))
        cursor = json.dumps({"feed": feed, "pending": pending}, sort_keys=True)
        if requests:
            return dg.SensorResult(run_requests=requests, cursor=cursor)
        why = ("baseline recorded" if changed is None else
               "waiting for the snapshot run" if pending else "no Airtable change")
        return dg.SensorResult(skip_reason=f"{why} [{how}]" + (f" (unreachable: {', '.join(failed)})" if failed else ""),
                               cursor=cursor)

    return _sensor
