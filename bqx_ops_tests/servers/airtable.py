"""A fake of Airtable's Web API v0, faithful to what pyairtable 3.x sends and expects.

Usage::

    with AirtableServer({"appBQX": {"Stages": [{"Name": "s1"}, ...]}}, token="patTEST") as srv:
        api = pyairtable.Api("patTEST", endpoint_url=srv.url)
        api.table("appBQX", "Stages").all()

Endpoints (``/v0`` prefix):

* ``GET  {base}/{table}`` list records: ``pageSize`` (1..100, default 100),
  ``offset``, ``maxRecords``, ``fields[]``, ``sort[i][field|direction]``,
  ``filterByFormula`` (see ``airtable_formula``), ``view`` (accepted, ignored),
  ``cellFormat`` (``json``/``string``), ``timeZone``, ``userLocale``,
  ``returnFieldsByFieldId``, ``recordMetadata[]=commentCount``. Unknown
  parameters -> 422 ``INVALID_REQUEST_UNKNOWN``.
* ``POST {base}/{table}/listRecords`` the same with a JSON body (pyairtable's long-URL fallback).
* ``GET/PATCH/PUT/DELETE {base}/{table}/{recordId}``.
* ``POST {base}/{table}`` create one (``{"fields"}``) or up to 10 (``{"records"}``).
* ``PATCH/PUT {base}/{table}`` batch update (<= 10), and upsert with
  ``performUpsert.fieldsToMergeOn`` -> ``{"records", "createdRecords", "updatedRecords"}``.
* ``DELETE {base}/{table}?records[]=...`` batch delete (<= 10).
* ``GET meta/whoami``, ``GET meta/bases``, ``GET meta/bases/{base}/tables``.

Tables are addressed by name (URL-encoded) or by id (``tbl...``). Like Airtable,
empty cell values (``None``, ``""``, ``[]``, ``false``) are not stored/returned.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from . import airtable_formula as formula
from .airtable_webhooks import WebhooksMixin
from .base import Clock, FakeServer, Request, Response, json_response

#: token the server accepts unless told otherwise (fake, safe to log)
DEFAULT_TOKEN = "patBQXTESTTOKEN.0000"

__all__ = ["DEFAULT_TOKEN", "AirtableServer", "MAX_RECORDS_PER_REQUEST", "MAX_PAGE_SIZE"]

MAX_RECORDS_PER_REQUEST = 10
MAX_PAGE_SIZE = 100
DEFAULT_CLOCK_START = "2024-01-01T00:00:00+00:00"

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

_LIST_PARAMS = {
    "pageSize", "maxRecords", "offset", "fields[]", "filterByFormula", "view",
    "cellFormat", "timeZone", "userLocale", "returnFieldsByFieldId", "recordMetadata[]",
}
_LIST_BODY_KEYS = {
    "pageSize", "maxRecords", "offset", "fields", "filterByFormula", "view", "cellFormat",
    "timeZone", "userLocale", "returnFieldsByFieldId", "recordMetadata", "sort",
}
_SORT_PARAM = re.compile(r"^sort\[(\d+)\]\[(field|direction)\]$")


def _b62(digest: bytes, n: int) -> str:
    num = int.from_bytes(digest, "big")
    out = []
    for _ in range(n):
        num, rem = divmod(num, 62)
        out.append(_B62[rem])
    return "".join(out)


def _iso(epoch: float) -> str:
    return (
        dt.datetime.fromtimestamp(epoch, dt.timezone.utc)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value is False


def _error(status: int, type_: str, message: str | None = None) -> Response:
    err: dict[str, Any] = {"type": type_}
    if message is not None:
        err["message"] = message
    return json_response({"error": err}, status)


class _Unprocessable(Exception):
    def __init__(self, response: Response):
        self.response = response


@dataclass
class _Table:
    id: str
    name: str
    records: list[dict[str, Any]] = field(default_factory=list)
    modified: dict[str, float] = field(default_factory=dict)
    declared_fields: list[str] | None = None  # None: schema-less (any field accepted)
    field_types: dict[str, str] = field(default_factory=dict)
    field_ids: dict[str, str] = field(default_factory=dict)  # name -> fld id

    def index_of(self, record_id: str) -> int | None:
        for i, rec in enumerate(self.records):
            if rec["id"] == record_id:
                return i
        return None


@dataclass
class _Base:
    id: str
    name: str
    tables: list[_Table] = field(default_factory=list)


class AirtableServer(WebhooksMixin, FakeServer):
    """Fake Airtable Web API.

    Args:
        bases: optional seed ``{base_id: {table_name: [record | fields-dict, ...]}}``.
            A record is ``{"id", "createdTime", "fields"}``; a plain dict without
            ``"fields"`` is taken as the fields of a new record.
        token: accepted bearer token(s) (str or iterable of str).
        retry_after: default ``Retry-After`` seconds of injected 429s.
        clock: start time of the server clock (used for ``createdTime``);
            epoch/datetime/ISO string. The clock is frozen unless ``clock_running=True``.
        id_seed: seed of the deterministic record/table/field ids.
        not_found_as_403: answer unknown bases/tables like PAT-authenticated
            Airtable does today (403 ``INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND``)
            instead of 404 ``TABLE_NOT_FOUND``.
    """

    name = "airtable"

    def __init__(
        self,
        bases: Mapping[str, Mapping[str, Iterable[Mapping[str, Any]]]] | None = None,
        *,
        token: str | Iterable[str] = DEFAULT_TOKEN,
        retry_after: int = 1,
        clock: Any = DEFAULT_CLOCK_START,
        clock_running: bool = False,
        id_seed: int | str = 0,
        user_id: str = "usrBQXTESTUSER01",
        not_found_as_403: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        super().__init__(retry_after=retry_after, host=host, port=port)
        self.tokens = {token} if isinstance(token, str) else set(token)
        self.clock = Clock(clock, frozen=not clock_running)
        self.id_seed = id_seed
        self.user_id = user_id
        self.not_found_as_403 = not_found_as_403
        self._counter = 0
        self._offset_epoch = 0
        self._bases: dict[str, _Base] = {}
        for base_id, tables in (bases or {}).items():
            for table_name, records in tables.items():
                self.set_records(base_id, table_name, records)

    # ------------------------------------------------------------------ state API
    def new_id(self, prefix: str) -> str:
        """Next deterministic Airtable-style id: prefix + 14 base62 chars."""
        with self.lock:
            self._counter += 1
            digest = hashlib.sha256(f"{self.id_seed}:{prefix}:{self._counter}".encode()).digest()
            return prefix + _b62(digest, 14)

    def add_table(
        self,
        base_id: str,
        table_name: str,
        *,
        table_id: str | None = None,
        fields: Iterable[str] | None = None,
        field_types: Mapping[str, str] | None = None,
        base_name: str | None = None,
    ) -> str:
        """Create (or redeclare) an empty table; returns its id.

        ``fields``: declare the schema; then unknown field names in writes,
        ``fields[]`` or formulas give Airtable's 422 errors. Without it the table
        accepts any field name.
        """
        with self.lock:
            base = self._bases.get(base_id)
            if base is None:
                base = self._bases[base_id] = _Base(base_id, base_name or base_id)
            table = self._find_table(base, table_name)
            if table is None:
                table = _Table(table_id or self.new_id("tbl"), table_name)
                base.tables.append(table)
            if fields is not None:
                table.declared_fields = list(fields)
                for name in table.declared_fields:
                    self._field_id(table, name)
            if field_types:
                table.field_types.update(field_types)
            return table.id

    def set_records(
        self,
        base_id: str,
        table_name: str,
        records: Iterable[Mapping[str, Any]],
        *,
        table_id: str | None = None,
        fields: Iterable[str] | None = None,
        field_types: Mapping[str, str] | None = None,
    ) -> str:
        """Replace a table's records (creating base/table as needed); returns the table id."""
        with self.lock:
            tid = self.add_table(base_id, table_name, table_id=table_id, fields=fields, field_types=field_types)
            table = self._tables_by_id()[tid]
            before = {r["id"] for r in table.records}
            table.records = []
            table.modified = {}
            for rec in records:
                if "fields" in rec:
                    rid = rec.get("id") or self.new_id("rec")
                    created = rec.get("createdTime") or _iso(self.clock.now())
                    values = rec["fields"]
                else:
                    rid, created, values = self.new_id("rec"), _iso(self.clock.now()), rec
                stored = {
                    "id": rid,
                    "createdTime": created,
                    "fields": {k: copy.deepcopy(v) for k, v in values.items() if not _is_empty(v)},
                }
                for name in stored["fields"]:
                    self._field_id(table, name)
                table.records.append(stored)
                table.modified[rid] = self.clock.now()
                self._record_event(table, "changed" if rid in before else "created", rid, stored["fields"])
            for rid in sorted(before - {r["id"] for r in table.records}):
                self._record_event(table, "destroyed", rid)
            return tid

    def records(self, base_id: str, table: str) -> list[dict[str, Any]]:
        """Deep copy of a table's records in stored order (table by name or id)."""
        with self.lock:
            t = self._lookup(base_id, table)
            if t is None:
                raise KeyError(f"no table {table!r} in base {base_id!r}")
            return copy.deepcopy(t.records)

    def table_id(self, base_id: str, table_name: str) -> str:
        with self.lock:
            t = self._lookup(base_id, table_name)
            if t is None:
                raise KeyError(f"no table {table_name!r} in base {base_id!r}")
            return t.id

    def field_id(self, base_id: str, table: str, field_name: str) -> str:
        with self.lock:
            t = self._lookup(base_id, table)
            if t is None:
                raise KeyError(f"no table {table!r} in base {base_id!r}")
            return self._field_id(t, field_name)

    @property
    def bases(self) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Snapshot ``{base_id: {table_name: [records]}}``."""
        with self.lock:
            return {
                b.id: {t.name: copy.deepcopy(t.records) for t in b.tables} for b in self._bases.values()
            }

    def invalidate_offsets(self) -> None:
        """Expire all outstanding pagination offsets (-> 422 LIST_RECORDS_ITERATOR_NOT_AVAILABLE)."""
        with self.lock:
            self._offset_epoch += 1

    # ------------------------------------------------------------------ internals
    def _tables_by_id(self) -> dict[str, _Table]:
        return {t.id: t for b in self._bases.values() for t in b.tables}

    @staticmethod
    def _find_table(base: _Base, id_or_name: str) -> _Table | None:
        for t in base.tables:
            if t.id == id_or_name:
                return t
        for t in base.tables:
            if t.name == id_or_name:
                return t
        return None

    def _lookup(self, base_id: str, id_or_name: str) -> _Table | None:
        base = self._bases.get(base_id)
        return None if base is None else self._find_table(base, id_or_name)

    def _field_id(self, table: _Table, name: str) -> str:
        fid = table.field_ids.get(name)
        if fid is None:
            digest = hashlib.sha256(f"{self.id_seed}:{table.id}:{name}".encode()).digest()
            fid = table.field_ids[name] = "fld" + _b62(digest, 14)
        return fid

    def _not_found(self, base_id: str, table: str) -> Response:
        if self.not_found_as_403:
            return _error(
                403,
                "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
                "Invalid permissions, or the requested model was not found. Check that both your "
                "user and your token have the required permissions, and that the model names "
                "and/or ids are correct.",
            )
        if base_id not in self._bases:
            return json_response({"error": "NOT_FOUND"}, 404)
        return _error(404, "TABLE_NOT_FOUND", f"Could not find table {table} in application {base_id}")

    def _record_not_found(self, record_id: str) -> Response:
        return _error(404, "MODEL_ID_NOT_FOUND", f'Could not find a record with ID "{record_id}".')

    def _render(self, table: _Table, rec: dict[str, Any], opts: dict[str, Any]) -> dict[str, Any]:
        values = rec["fields"]
        wanted = opts.get("fields")
        if wanted is not None:
            names = [self._name_for(table, f) for f in wanted]
            values = {k: v for k, v in values.items() if k in names}
        if opts.get("cellFormat") == "string":
            values = {k: self._stringify(v) for k, v in values.items()}
        if opts.get("returnFieldsByFieldId"):
            values = {self._field_id(table, k): v for k, v in values.items()}
        out = {"id": rec["id"], "createdTime": rec["createdTime"], "fields": copy.deepcopy(values)}
        if "commentCount" in (opts.get("recordMetadata") or []):
            out["commentCount"] = 0
        return out

    @staticmethod
    def _stringify(value: Any) -> str:
        if isinstance(value, list):
            return ", ".join(AirtableServer._stringify(v) for v in value)
        if isinstance(value, dict):
            return str(value.get("name") or value.get("email") or value.get("url") or value.get("id") or "")
        if isinstance(value, bool):
            return "checked" if value else ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def _name_for(self, table: _Table, key: str) -> str:
        """Field id -> name (writes and ``fields[]`` may use either)."""
        if key.startswith("fld"):
            for name, fid in table.field_ids.items():
                if fid == key:
                    return name
        return key

    def _check_known(self, table: _Table, names: Iterable[str]) -> None:
        if table.declared_fields is None:
            return
        for name in names:
            if name not in table.declared_fields:
                raise _Unprocessable(_error(422, "UNKNOWN_FIELD_NAME", f'Unknown field name: "{name}"'))

    def _fields_in(self, table: _Table, values: Any) -> dict[str, Any]:
        if not isinstance(values, dict):
            raise _Unprocessable(
                _error(422, "INVALID_RECORDS", "Invalid record: expected an object for \"fields\"")
            )
        named = {self._name_for(table, k): v for k, v in values.items()}
        self._check_known(table, named)
        return named

    def _auth(self, req: Request) -> Response | None:
        header = req.header("Authorization")
        if not header:
            return _error(401, "AUTHENTICATION_REQUIRED", "Authentication required")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.tokens:
            return _error(401, "UNAUTHORIZED", "Invalid authentication token")
        return None

    # ------------------------------------------------------------------ faults
    def fault_response(self, status: int, retry_after: int | None, req: Request) -> Response:
        headers: dict[str, str] = {}
        if retry_after is None and status == 429:
            retry_after = self.default_retry_after
        if retry_after is not None:
            headers["Retry-After"] = str(int(retry_after))
        if status == 429:
            body: Any = {
                "errors": [
                    {"error": "RATE_LIMIT_REACHED", "message": "Rate limit exceeded. Please try again later"}
                ]
            }
            return json_response(body, 429, headers)
        if status == 401:
            resp = _error(401, "AUTHENTICATION_REQUIRED", "Authentication required")
        elif status == 403:
            resp = _error(403, "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND", "Invalid permissions")
        elif status == 404:
            resp = json_response({"error": "NOT_FOUND"}, 404)
        elif status == 422:
            resp = _error(422, "INVALID_REQUEST_UNKNOWN", "Invalid request: parameter validation failed. Check your request data.")
        else:
            return super().fault_response(status, retry_after, req)
        resp.headers.update(headers)
        return resp

    # ------------------------------------------------------------------ routing
    def handle(self, req: Request) -> Response:
        parts = [urllib.parse.unquote(p) for p in req.raw_path.split("/")[1:]]
        if not parts or parts[0] != "v0":
            return json_response({"error": "NOT_FOUND"}, 404)
        denied = self._auth(req)
        if denied is not None:
            return denied
        if req.json_error:
            return _error(400, "INVALID_REQUEST_BODY", "Could not parse request body")
        rest = parts[1:]
        try:
            with self.lock:
                if rest and rest[0] == "meta":
                    return self._meta(req, rest[1:])
                if len(rest) >= 3 and rest[0] == "bases" and rest[2] == "webhooks":
                    return self._webhook_route(req, rest[1], rest[3:])
                if len(rest) == 2:
                    return self._table_route(req, rest[0], rest[1])
                if len(rest) == 3:
                    if rest[2] == "listRecords" and req.method == "POST":
                        return self._list_post(req, rest[0], rest[1])
                    return self._record_route(req, rest[0], rest[1], rest[2])
                return json_response({"error": "NOT_FOUND"}, 404)
        except _Unprocessable as exc:
            return exc.response

    def _meta(self, req: Request, rest: list[str]) -> Response:
        if req.method != "GET":
            return json_response({"error": "NOT_FOUND"}, 404)
        if rest == ["whoami"]:
            return json_response({"id": self.user_id})
        if rest == ["bases"]:
            return json_response(
                {"bases": [{"id": b.id, "name": b.name, "permissionLevel": "create"} for b in self._bases.values()]}
            )
        if len(rest) == 3 and rest[0] == "bases" and rest[2] == "tables":
            base = self._bases.get(rest[1])
            if base is None:
                return self._not_found(rest[1], "")
            return json_response({"tables": [self._table_schema(t) for t in base.tables]})
        return json_response({"error": "NOT_FOUND"}, 404)

    def _table_schema(self, table: _Table) -> dict[str, Any]:
        names = list(table.declared_fields or [])
        for rec in table.records:
            for name in rec["fields"]:
                if name not in names:
                    names.append(name)
        fields = [
            {"id": self._field_id(table, n), "name": n, "type": table.field_types.get(n, "singleLineText")}
            for n in names
        ]
        if not fields:
            fields = [{"id": self._field_id(table, "Name"), "name": "Name", "type": "singleLineText"}]
        view_digest = hashlib.sha256(f"{self.id_seed}:{table.id}:view".encode()).digest()
        return {
            "id": table.id,
            "name": table.name,
            "primaryFieldId": fields[0]["id"],
            "fields": fields,
            "views": [{"id": "viw" + _b62(view_digest, 14), "name": "Grid view", "type": "grid"}],
        }

    def _table_route(self, req: Request, base_id: str, table_key: str) -> Response:
        table = self._lookup(base_id, table_key)
        if table is None:
            return self._not_found(base_id, table_key)
        if req.method == "GET":
            return self._list(table, self._list_opts_from_query(req))
        if req.method == "POST":
            return self._create(table, req.json)
        if req.method in ("PATCH", "PUT"):
            return self._batch_update(table, req.json, replace=req.method == "PUT")
        if req.method == "DELETE":
            ids = req.query.get("records[]") or req.query.get("records") or []
            return self._batch_delete(table, ids)
        return json_response({"error": "NOT_FOUND"}, 404)

    def _record_route(self, req: Request, base_id: str, table_key: str, record_id: str) -> Response:
        table = self._lookup(base_id, table_key)
        if table is None:
            return self._not_found(base_id, table_key)
        idx = table.index_of(record_id)
        if idx is None:
            return self._record_not_found(record_id)
        rec = table.records[idx]
        if req.method == "GET":
            opts = {
                "returnFieldsByFieldId": _boolish(req.arg("returnFieldsByFieldId")),
                "cellFormat": req.arg("cellFormat", "json"),
            }
            return json_response(self._render(table, rec, opts))
        if req.method in ("PATCH", "PUT"):
            body = req.json if isinstance(req.json, dict) else {}
            if "fields" not in body:
                return _error(422, "INVALID_REQUEST_MISSING_FIELDS", 'Could not find field "fields" in the request body')
            values = self._fields_in(table, body["fields"])
            self._apply(table, rec, values, replace=req.method == "PUT")
            return json_response(self._render(table, rec, _write_opts(body)))
        if req.method == "DELETE":
            del table.records[idx]
            table.modified.pop(record_id, None)
            self._record_event(table, "destroyed", record_id)
            return json_response({"deleted": True, "id": record_id})
        return json_response({"error": "NOT_FOUND"}, 404)

    # ------------------------------------------------------------------ list
    def _list_opts_from_query(self, req: Request) -> dict[str, Any]:
        opts: dict[str, Any] = {}
        sorts: dict[int, dict[str, str]] = {}
        for key, values in req.query.items():
            m = _SORT_PARAM.match(key)
            if m:
                sorts.setdefault(int(m.group(1)), {})[m.group(2)] = values[-1]
                continue
            if key not in _LIST_PARAMS:
                raise _Unprocessable(
                    _error(422, "INVALID_REQUEST_UNKNOWN", "Invalid request: parameter validation failed. Check your request data.")
                )
            if key in ("fields[]", "recordMetadata[]"):
                opts[key[:-2]] = list(values)
            else:
                opts[key] = values[-1]
        if sorts:
            opts["sort"] = [sorts[i] for i in sorted(sorts)]
        opts["returnFieldsByFieldId"] = _boolish(opts.get("returnFieldsByFieldId"))
        return opts

    def _list_post(self, req: Request, base_id: str, table_key: str) -> Response:
        table = self._lookup(base_id, table_key)
        if table is None:
            return self._not_found(base_id, table_key)
        body = req.json if isinstance(req.json, dict) else {}
        unknown = set(body) - _LIST_BODY_KEYS
        if unknown:
            return _error(422, "INVALID_REQUEST_UNKNOWN", "Invalid request: parameter validation failed. Check your request data.")
        opts = dict(body)
        for key in ("timeZone", "userLocale"):
            if key not in opts and req.arg(key) is not None:
                opts[key] = req.arg(key)
        opts["returnFieldsByFieldId"] = _boolish(opts.get("returnFieldsByFieldId"))
        return self._list(table, opts)

    def _int_opt(self, opts: dict[str, Any], key: str, lo: int, hi: int | None, default: int | None) -> int | None:
        raw = opts.get(key)
        if raw is None:
            return default
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = lo - 1
        if value < lo or (hi is not None and value > hi):
            type_ = "INVALID_PAGE_SIZE" if key == "pageSize" else "INVALID_MAX_RECORDS"
            raise _Unprocessable(_error(422, type_, f"Invalid {key}: {raw!r}"))
        return value

    def _list(self, table: _Table, opts: dict[str, Any]) -> Response:
        page_size = self._int_opt(opts, "pageSize", 1, MAX_PAGE_SIZE, MAX_PAGE_SIZE)
        max_records = self._int_opt(opts, "maxRecords", 1, None, None)
        if opts.get("cellFormat", "json") not in ("json", "string"):
            raise _Unprocessable(_error(422, "INVALID_CELL_FORMAT", f"Invalid cellFormat: {opts['cellFormat']!r}"))
        if opts.get("cellFormat") == "string" and not (opts.get("timeZone") and opts.get("userLocale")):
            raise _Unprocessable(
                _error(422, "INVALID_REQUEST_UNKNOWN", "timeZone and userLocale are required when cellFormat is string")
            )
        if opts.get("fields") is not None:
            if isinstance(opts["fields"], str):
                opts["fields"] = [opts["fields"]]
            self._check_known(table, [self._name_for(table, f) for f in opts["fields"]])

        rows = list(table.records)
        text = opts.get("filterByFormula")
        if text:
            try:
                tree = formula.parse(text)
            except formula.FormulaError as exc:
                raise _Unprocessable(_error(422, "INVALID_FILTER_BY_FORMULA", f"The formula for filtering records is invalid: {exc}"))
            if table.declared_fields is not None:
                unknown = sorted(formula.field_names(tree) - set(table.declared_fields))
                if unknown:
                    raise _Unprocessable(
                        _error(422, "INVALID_FILTER_BY_FORMULA", f"Unknown field names: {', '.join(unknown)}")
                    )
            now = dt.datetime.fromtimestamp(self.clock.now(), dt.timezone.utc)
            kept = []
            for rec in rows:
                try:
                    value = formula.evaluate(
                        tree,
                        rec["fields"],
                        record_id=rec["id"],
                        created_time=formula._parse_dt(rec["createdTime"]),
                        modified_time=dt.datetime.fromtimestamp(table.modified.get(rec["id"], 0), dt.timezone.utc),
                        now=now,
                    )
                except formula.FormulaError as exc:
                    raise _Unprocessable(_error(422, "INVALID_FILTER_BY_FORMULA", f"The formula for filtering records is invalid: {exc}"))
                if formula.truthy(value):
                    kept.append(rec)
            rows = kept

        sort = opts.get("sort") or []
        if sort:
            if not isinstance(sort, list) or not all(isinstance(s, dict) and "field" in s for s in sort):
                raise _Unprocessable(_error(422, "INVALID_SORT", "Invalid sort parameter"))
            self._check_known(table, [s["field"] for s in sort])
            for spec in reversed(sort):
                direction = spec.get("direction", "asc")
                if direction not in ("asc", "desc"):
                    raise _Unprocessable(_error(422, "INVALID_SORT_DIRECTION", f"Invalid sort direction: {direction!r}"))
                name = self._name_for(table, spec["field"])
                rows.sort(key=lambda r, n=name: _sort_key(r["fields"].get(n)), reverse=direction == "desc")

        if max_records is not None:
            rows = rows[:max_records]

        start = 0
        offset = opts.get("offset")
        if offset:
            start = self._decode_offset(table, str(offset), rows)
        page = rows[start: start + page_size]  # type: ignore[operator]
        body: dict[str, Any] = {"records": [self._render(table, r, opts) for r in page]}
        nxt = start + page_size  # type: ignore[operator]
        if nxt < len(rows):
            body["offset"] = self._encode_offset(table, rows[nxt]["id"])
        return json_response(body)

    def _epoch_tag(self, table: _Table) -> str:
        digest = hashlib.sha256(f"{self.id_seed}:{table.id}:{self._offset_epoch}".encode()).digest()
        return "itr" + _b62(digest, 14)

    def _encode_offset(self, table: _Table, next_record_id: str) -> str:
        return f"{self._epoch_tag(table)}/{next_record_id}"

    def _decode_offset(self, table: _Table, offset: str, rows: list[dict[str, Any]]) -> int:
        tag, sep, rid = offset.partition("/")
        if not sep or not tag.startswith("itr") or not rid.startswith("rec"):
            raise _Unprocessable(_error(422, "INVALID_OFFSET_VALUE", f"The value of offset {offset} is invalid"))
        if tag != self._epoch_tag(table):
            raise _Unprocessable(
                _error(422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE", "Iterator not available: it may have expired")
            )
        for i, rec in enumerate(rows):
            if rec["id"] == rid:
                return i
        raise _Unprocessable(
            _error(422, "LIST_RECORDS_ITERATOR_NOT_AVAILABLE", "Iterator not available: it may have expired")
        )

    # ------------------------------------------------------------------ writes
    def _apply(self, table: _Table, rec: dict[str, Any], values: dict[str, Any], *, replace: bool) -> None:
        new = {} if replace else dict(rec["fields"])
        for name, value in values.items():
            if _is_empty(value):
                new.pop(name, None)
            else:
                new[name] = copy.deepcopy(value)
                self._field_id(table, name)
        rec["fields"] = new
        table.modified[rec["id"]] = self.clock.now()
        if table.index_of(rec["id"]) is not None:  # a new record is announced once it is added
            self._record_event(table, "changed", rec["id"], new)

    def _new_record(self, table: _Table, values: dict[str, Any]) -> dict[str, Any]:
        rec = {"id": self.new_id("rec"), "createdTime": _iso(self.clock.now()), "fields": {}}
        self._apply(table, rec, values, replace=True)
        table.records.append(rec)
        self._record_event(table, "created", rec["id"], rec["fields"])
        return rec

    def _records_payload(self, body: Any) -> list[Any]:
        if not isinstance(body, dict) or not isinstance(body.get("records"), list):
            raise _Unprocessable(_error(422, "INVALID_RECORDS", 'Could not find field "records" in the request body'))
        records = body["records"]
        if len(records) > MAX_RECORDS_PER_REQUEST:
            raise _Unprocessable(
                _error(
                    422,
                    "INVALID_REQUEST",
                    f"Invalid request: you can only send up to {MAX_RECORDS_PER_REQUEST} records per request "
                    f"(got {len(records)})",
                )
            )
        if not records:
            raise _Unprocessable(_error(422, "INVALID_RECORDS", "No records provided"))
        return records

    def _create(self, table: _Table, body: Any) -> Response:
        if isinstance(body, dict) and "records" not in body and "fields" in body:
            rec = self._new_record(table, self._fields_in(table, body["fields"]))
            return json_response(self._render(table, rec, _write_opts(body)))
        records = self._records_payload(body)
        prepared = []
        for item in records:
            if not isinstance(item, dict) or "fields" not in item:
                raise _Unprocessable(_error(422, "INVALID_RECORDS", 'Could not find field "fields" in a record'))
            prepared.append(self._fields_in(table, item["fields"]))
        created = [self._new_record(table, values) for values in prepared]
        return json_response({"records": [self._render(table, r, _write_opts(body)) for r in created]})

    def _batch_update(self, table: _Table, body: Any, *, replace: bool) -> Response:
        records = self._records_payload(body)
        upsert = body.get("performUpsert")
        if upsert is not None:
            return self._upsert(table, body, records, upsert, replace=replace)
        plan = []
        for item in records:
            if not isinstance(item, dict) or "id" not in item or "fields" not in item:
                raise _Unprocessable(_error(422, "INVALID_RECORDS", "Each record needs an id and fields"))
            idx = table.index_of(item["id"])
            if idx is None:
                raise _Unprocessable(
                    _error(422, "ROW_DOES_NOT_EXIST", f"Record ID {item['id']} does not exist in this table")
                )
            plan.append((table.records[idx], self._fields_in(table, item["fields"])))
        for rec, values in plan:
            self._apply(table, rec, values, replace=replace)
        return json_response({"records": [self._render(table, rec, _write_opts(body)) for rec, _ in plan]})

    def _upsert(self, table: _Table, body: dict[str, Any], records: list[Any], upsert: Any, *, replace: bool) -> Response:
        merge_on = upsert.get("fieldsToMergeOn") if isinstance(upsert, dict) else None
        if not isinstance(merge_on, list) or not 1 <= len(merge_on) <= 3:
            raise _Unprocessable(
                _error(422, "INVALID_REQUEST", "performUpsert.fieldsToMergeOn must be a list of 1 to 3 field names")
            )
        merge_on = [self._name_for(table, f) for f in merge_on]
        self._check_known(table, merge_on)
        # validate the whole batch first: Airtable applies a request atomically
        plan: list[tuple[str, dict[str, Any] | None, dict[str, Any]]] = []
        for item in records:
            if not isinstance(item, dict) or "fields" not in item:
                raise _Unprocessable(_error(422, "INVALID_RECORDS", 'Could not find field "fields" in a record'))
            values = self._fields_in(table, item["fields"])
            if "id" in item:
                idx = table.index_of(item["id"])
                if idx is None:
                    raise _Unprocessable(
                        _error(422, "ROW_DOES_NOT_EXIST", f"Record ID {item['id']} does not exist in this table")
                    )
                plan.append(("update", table.records[idx], values))
                continue
            missing = [f for f in merge_on if f not in values]
            if missing:
                raise _Unprocessable(
                    _error(422, "INVALID_REQUEST", f"Record is missing the fieldsToMergeOn field(s): {', '.join(missing)}")
                )
            plan.append(("match", None, values))
        result, created_ids, updated_ids = [], [], []
        for action, rec, values in plan:
            if action == "match":
                key = [values[f] for f in merge_on]
                matches = [r for r in table.records if [r["fields"].get(f) for f in merge_on] == key]
                if len(matches) > 1:
                    raise _Unprocessable(
                        _error(
                            422,
                            "INVALID_REQUEST",
                            f"Upsert failed: {len(matches)} records match the fieldsToMergeOn values {key!r}",
                        )
                    )
                rec = matches[0] if matches else None
            if rec is None:
                rec = self._new_record(table, values)
                created_ids.append(rec["id"])
            else:
                self._apply(table, rec, values, replace=replace)
                if rec["id"] not in created_ids and rec["id"] not in updated_ids:
                    updated_ids.append(rec["id"])
            result.append(rec)
        return json_response(
            {
                "records": [self._render(table, r, _write_opts(body)) for r in result],
                "createdRecords": created_ids,
                "updatedRecords": updated_ids,
            }
        )

    def _batch_delete(self, table: _Table, ids: list[str]) -> Response:
        if not ids:
            return _error(422, "INVALID_REQUEST_UNKNOWN", "Invalid request: parameter validation failed. Check your request data.")
        if len(ids) > MAX_RECORDS_PER_REQUEST:
            return _error(
                422, "INVALID_REQUEST", f"Invalid request: you can only delete up to {MAX_RECORDS_PER_REQUEST} records per request"
            )
        for rid in ids:
            if table.index_of(rid) is None:
                return _error(422, "ROW_DOES_NOT_EXIST", f"Record ID {rid} does not exist in this table")
        for rid in ids:
            idx = table.index_of(rid)
            if idx is not None:
                del table.records[idx]
                self._record_event(table, "destroyed", rid)
            table.modified.pop(rid, None)
        return json_response({"records": [{"deleted": True, "id": rid} for rid in ids]})


def _write_opts(body: Any) -> dict[str, Any]:
    """Render options of a write response (only returnFieldsByFieldId applies)."""
    flag = body.get("returnFieldsByFieldId") if isinstance(body, dict) else None
    return {"returnFieldsByFieldId": _boolish(flag)}


def _boolish(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("1", "true")
    return bool(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    """Blanks first (ascending), then numbers, then text (case-insensitive)."""
    if _is_empty(value):
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, list):
        return (2, ", ".join(str(v) for v in value).lower())
    if isinstance(value, dict):
        return (2, str(value.get("name") or value.get("id") or value).lower())
    return (2, str(value).lower())
