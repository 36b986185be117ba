"""Airtable: the plan's single source of truth, reached only through these resources.

``AirtableSource`` lands a day's snapshot in the landing zone and reads it back;
``EmbeddedAirtable`` replays the landing zone (writing the bundled sample first if
there is none), ``LiveAirtable`` fetches today's snapshot with pyairtable.
"""

import datetime as dt
import os
import shutil
from abc import abstractmethod
from pathlib import Path

import dagster as dg
from pydantic import Field as PField

from bqx_ops.base_schema import TABLES, TABLES_BY_NAME
from bqx_ops.landing import UNREADABLE_ERRORS, Landing, read_json, write_json, zone_path
from bqx_ops.resources.airtable_api import (UnusableListing, keep, not_found, paced_api_class, raw_records,
                                            status_and_code)
from bqx_ops.schema_mapping import SchemaMapping
from bqx_ops.validation import UNREADABLE


NOT_LANDED = "not_landed"  # a table file holding only why its listing could not be taken (live fetch)


def _why(exc: Exception) -> str:
    """Why a landing file could not be read, without the local path an OSError carries (reports name
    files relative to the landing zone)."""
    if isinstance(exc, OSError):
        return f"{type(exc).__name__}: {exc.strerror or 'cannot be read'}"
    return str(exc)


class SnapshotUnavailable(Exception):
    """A snapshot that was never taken cannot be produced after the fact."""


class AirtableSource(dg.ConfigurableResource):
    """Where Airtable snapshots come from. Snapshots are immutable once their day is over."""

    data_dir: str = PField(description="Data dir holding landing/ (the landing zone).")
    schema_mapping_path: str | None = PField(
        default=None, description="YAML remapping table/field names of a real base (see README)."
    )

    @property
    def landing(self) -> Landing:
        return Landing(self.data_dir)

    def mapping(self) -> SchemaMapping:
        """``schema_mapping_path`` (BQX_OPS_SCHEMA_MAP), else the configuration's ``schema_map``."""
        if self.schema_mapping_path:
            return SchemaMapping.load(self.schema_mapping_path)
        from bqx_ops import config as project_config

        cfg = project_config.current(data_dir=self.data_dir)
        return SchemaMapping.from_data(cfg.schema_map_data(), f"{cfg.source}: schema_map")

    def snapshot_dates(self) -> list[dt.date]:
        return self.landing.airtable_snapshot_dates()

    @abstractmethod
    def land_snapshot(self, day: dt.date, today: dt.date) -> Path:
        """Make sure the snapshot of ``day`` is in the landing zone and return its folder."""

    def read_snapshot(self, day: dt.date) -> dict[str, list]:
        """Logical table name -> records, exactly as landed under the base's own table names (field
        names are mapped when parsing; missing table -> empty; an unreadable file or one without a
        records list -> one ``UNREADABLE`` marker, a snapshot problem downstream)."""
        out, mapping = {}, self.mapping()
        for table in TABLES:
            path = self.landing.airtable_table(day, mapping.table_name(table.name))
            if not path.exists() and not path.is_symlink():  # a dangling link is said (read_json), not absent
                out[table.name] = []
                continue
            try:
                data = read_json(path)
            except UNREADABLE_ERRORS as exc:  # not JSON, too deep, a directory, no permission: one marker
                out[table.name] = [{UNREADABLE: zone_path(path), "error": _why(exc)}]
                continue
            records = data.get("records") if isinstance(data, dict) else None
            if isinstance(data, dict) and isinstance(data.get(NOT_LANDED), str):  # the fetch said why (live)
                out[table.name] = [{UNREADABLE: zone_path(path), "error": f"not landed: {data[NOT_LANDED]}"}]
                continue
            if isinstance(records, list) and data.get("offset") not in (None, ""):
                # one page of a paginated listing: read as the whole table, every record of the later pages
                # would look deleted (the docs sync would remove their pages)
                out[table.name] = [{UNREADABLE: zone_path(path), "error": (
                    f"one page of a paginated listing ({len(records)} record(s) and an offset to the next page): "
                    "the rest of the table was never landed")}]
                continue
            out[table.name] = records if isinstance(records, list) else [
                {UNREADABLE: zone_path(path), "error": 'not a list-records response (no "records" list)'}]
        return out

    def has_table_file(self, day: dt.date, table_name: str, mapping: SchemaMapping | None = None) -> bool:
        """Whether the snapshot of ``day`` holds a file for ``table_name`` (logical name), under the base's
        own name for it (``mapping``, read once by a caller asking about many days: else ``mapping()``)."""
        return self.landing.airtable_table(day, (mapping or self.mapping()).table_name(table_name)).is_file()

    def webhook_changes(self, hook: dict | None, now: dt.datetime) -> tuple[bool | None, dict, str]:
        """Changes since the webhook's cursor (see resources/airtable_feed.py); raises
        WebhooksUnavailable when the base has no change feed (then the sensor polls)."""
        from bqx_ops.resources.airtable_feed import WebhooksUnavailable

        raise WebhooksUnavailable("embedded mode replays recorded snapshots: no change feed")

    def _missing(self, day: dt.date, why: str) -> SnapshotUnavailable:
        known = self.snapshot_dates()
        span = f"{known[0]} .. {known[-1]} ({len(known)} snapshots)" if known else "none"
        return SnapshotUnavailable(
            f"No Airtable snapshot for {day} in {self.landing.root / 'airtable'}: {why} "
            f"Snapshots in the landing zone: {span}."
        )


class EmbeddedAirtable(AirtableSource):
    """Replays the landing zone; writes the bundled sample into it when it is empty."""

    def ensure_landing(self) -> None:
        from bqx_ops.sample import ensure_sample

        ensure_sample(self.data_dir)

    def land_snapshot(self, day: dt.date, today: dt.date) -> Path:
        self.ensure_landing()
        folder = self.landing.airtable_dir(day)
        if not folder.is_dir():
            raise self._missing(day, "embedded mode only replays snapshots that were recorded.")
        return folder

    def find_records(self, table_name: str, key_field: str, keys: list[str]) -> dict[str, dict]:
        """Key -> logical fields of the records of ``table_name`` whose ``key_field`` is one of ``keys``,
        as Airtable holds them now (embedded: the newest landing snapshot)."""
        days, mapping = self.snapshot_dates(), self.mapping()
        path = self.landing.airtable_table(days[-1], mapping.table_name(table_name)) if days else None
        if path is None or not path.is_file():
            return {}
        try:
            data = read_json(path)
        except UNREADABLE_ERRORS:
            return {}
        wanted, out = set(keys), {}
        for r in (data.get("records") if isinstance(data, dict) else None) or []:
            fields = mapping.to_logical_fields(table_name, r.get("fields") or {}) if isinstance(r, dict) else {}
            if fields.get(key_field) in wanted:
                keep(out, fields[key_field], fields)
        return out

    def latest_modified(self, table_name: str, field_name: str = "Last Modified") -> str | None:
        """The newest ``Last Modified`` of a table in the newest landing snapshot (embedded
        mode's "Airtable now"); None without a snapshot, a table file or a readable value."""
        days = self.snapshot_dates()
        mapping = self.mapping()
        path = self.landing.airtable_table(days[-1], mapping.table_name(table_name)) if days else None
        if path is None or not path.is_file():
            return None
        real_field = mapping.fields.get(table_name, {}).get(field_name, field_name)
        try:
            data = read_json(path)
        except UNREADABLE_ERRORS:
            return None
        records = data.get("records") if isinstance(data, dict) else None
        values = [r["fields"][real_field] for r in records or []
                  if isinstance(r, dict) and isinstance(r.get("fields"), dict)
                  and isinstance(r["fields"].get(real_field), str)]
        return max(values) if values else None  # ISO-8601 UTC strings sort as time does


class LiveAirtable(AirtableSource):
    """Fetches today's snapshot from the Airtable Web API with pyairtable."""

    api_key: str = PField(description="Airtable personal access token (dg.EnvVar('AIRTABLE_API_KEY')).")
    base_id: str = PField(description="The project's base id (appXXXXXXXXXXXXXX).")
    endpoint_url: str = PField(default="https://api.airtable.com", description="API root.")
    requests_per_second: int = PField(default=5, description="Airtable allows 5 per second per base.")
    max_retries: int = PField(default=8, description="Retries on 429/5xx per request.")
    backoff_factor: float = PField(
        default=1.0, description="Exponential backoff base (s) when no Retry-After is sent."
    )
    max_wait_seconds: float = PField(default=120.0, description="The longest Retry-After obeyed (s); a longer "
                                                                "one is waited this long, then retried.")

    def land_snapshot(self, day: dt.date, today: dt.date) -> Path:
        folder = self.landing.airtable_dir(day)
        if day < today:
            if folder.is_dir():
                return folder  # immutable: a past day's snapshot is never re-taken
            raise self._missing(
                day, "Airtable has no history API, so only today's snapshot can be taken."
            )
        if day > today:
            raise self._missing(day, "that day has not come yet.")
        mapping = self.mapping()
        api = self._api()
        # Landed whole or not at all: a fetch that fails half-way (the base unreachable, retries exhausted,
        # a killed run) must not leave a folder that, once the day is over, would be read as the day's
        # immutable snapshot with its missing tables absent. A table Airtable says is not there (404,
        # 422) is landed as not landed, a snapshot problem with the reason (``_listing``).
        staging = folder.with_name(f".{folder.name}.landing-{os.getpid()}")  # dot: not a snapshot
        shutil.rmtree(staging, ignore_errors=True)
        try:
            for table in TABLES:  # landed under the name the API was asked for: the base's own
                name = mapping.table_name(table.name)
                write_json(staging / self.landing.airtable_table(day, name).name, self._listing(api, table, name))
            replaced = folder.with_name(f".{folder.name}.replaced-{os.getpid()}")
            if folder.is_dir():  # today's, taken again: swapped whole
                shutil.rmtree(replaced, ignore_errors=True)
                folder.rename(replaced)
            staging.rename(folder)
            shutil.rmtree(replaced, ignore_errors=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return folder

    def _listing(self, api, table, name: str) -> dict:
        """The landing file of one table: ``{"records": [...]}``, or ``{NOT_LANDED: why}`` when Airtable
        answers that the table is not there (404: renamed or deleted; an optional table lands empty) or
        cannot be listed (422) or its pages never end. The snapshot then has a problem for this table
        (and the as-of rule reads its last good copy) instead of a failed run or a wrong table. An offset
        that expired while paging (the table changed) restarts the listing: twice, then said."""
        from requests import HTTPError

        for attempt in range(3):
            try:
                return {"records": raw_records(api, api.table(self.base_id, name))}
            except UnusableListing as exc:
                return {NOT_LANDED: str(exc)}
            except ValueError as exc:  # a 200 whose body is not JSON (a proxy's HTML page)
                return {NOT_LANDED: f"Airtable's answer listing {name!r} was not JSON ({type(exc).__name__})"}
            except HTTPError as exc:
                status, code = status_and_code(exc)
                if status == 404 and table.optional:
                    return {"records": []}
                if status == 422 and code == "LIST_RECORDS_ITERATOR_NOT_AVAILABLE" and attempt < 2:
                    continue
                if status not in (404, 422):
                    raise  # the base itself unreachable (401, 403, 5xx after retries): the run fails, says so
                renamed = " (renamed or deleted? map its name in schema_map)" if status == 404 else ""
                return {NOT_LANDED: f"Airtable answered HTTP {status} {code} listing the table {name!r}{renamed}"}
        return {NOT_LANDED: f"the listing of {name!r} changed while it was read, three times"}

    def latest_modified(self, table_name: str, field_name: str = "Last Modified") -> str | None:
        """One cheap request: the newest ``Last Modified`` value of a table."""
        mapping = self.mapping()
        real_field = mapping.fields.get(table_name, {}).get(field_name, field_name)
        table = self._api().table(self.base_id, mapping.table_name(table_name))
        try:
            rows = table.all(max_records=1, page_size=1, fields=[real_field], sort=[f"-{real_field}"])
        except Exception as exc:
            if TABLES_BY_NAME[table_name].optional and not_found(exc):
                return None
            raise
        return rows[0]["fields"].get(real_field) if rows else None

    def find_records(self, table_name: str, key_field: str, keys: list[str]) -> dict[str, dict]:
        """Key -> logical fields of the records whose ``key_field`` is one of ``keys`` (one filtered list
        request per 20 keys)."""
        from pyairtable.formulas import OR, match, to_formula_str

        if not keys:
            return {}
        mapping = self.mapping()
        real = mapping.fields.get(table_name, {}).get(key_field, key_field)
        table = self._api().table(self.base_id, mapping.table_name(table_name))
        out: dict[str, dict] = {}
        ordered = sorted(set(keys))
        for n in range(0, len(ordered), 20):
            formula = OR(*[match({real: k}) for k in ordered[n:n + 20]])
            for r in raw_records(table.api, table, to_formula_str(formula)):  # a record without fields: not it
                fields = mapping.to_logical_fields(table_name, r.get("fields") or {}) if isinstance(r, dict) else {}
                if fields.get(key_field) in keys:
                    keep(out, fields[key_field], fields)
        return out

    def webhook_changes(self, hook: dict | None, now: dt.datetime) -> tuple[bool | None, dict, str]:
        from bqx_ops.resources.airtable_feed import read_changes

        return read_changes(self._api().base(self.base_id), hook, now)

    def upsert(self, table_name: str, records: list[dict], key_fields: list[str]) -> dict:
        """batch_upsert (10 records a request, paced) keyed on our own fields; names are logical."""
        mapping = self.mapping()
        real = mapping.fields.get(table_name, {})
        table = self._api().table(self.base_id, mapping.table_name(table_name))
        result = table.batch_upsert(
            [{"fields": mapping.to_real_fields(table_name, r["fields"])} for r in records],
            key_fields=[real.get(k, k) for k in key_fields],
            typecast=True,
        )
        return {"createdRecords": list(result["createdRecords"]), "updatedRecords": list(result["updatedRecords"])}

    def _api(self):
        from urllib3.util.retry import Retry  # imported where used: not at code-location load

        from bqx_ops.resources.retry_waits import capped_retry_class

        # Retry-After (Airtable asks for 30 s after a 429) is honoured by urllib3's Retry, up to max_wait_seconds;
        # pyairtable's retry_strategy with all methods retried (allowed_methods=None), in a class that caps it
        retry = capped_retry_class(Retry, float(self.max_wait_seconds))(
            status_forcelist=(429, 500, 502, 503, 504),
            backoff_factor=self.backoff_factor,
            total=self.max_retries,
            allowed_methods=None,
            backoff_max=60,
        )
        return paced_api_class()(
            self.api_key,
            endpoint_url=self.endpoint_url,
            retry_strategy=retry,
            timeout=(10, 60),
            per_second=self.requests_per_second,
        )
