"""pyairtable, as the live Airtable resources use it: a paced Api whose paging stops at a cursor that
comes back (UnusableListing), raw list-records pages, and the status and type of Airtable's errors."""

import functools
import threading
import time
from collections import deque

from bqx_ops.base_schema import COPIES


class UnusableListing(Exception):
    """A paginated answer that cannot be followed to its end: its cursor repeats or goes back (followed,
    it would never end), or a page is no listing at all."""


def raw_records(api, table, formula: str | None = None) -> list:
    """Every record of ``table`` (matching ``formula``) as list-records answers it, page by page, as
    ``Table.iterate`` asks (GET, POST when the URL would be too long). Not ``Table.all()``: it rejects a
    whole listing for one record without ``fields`` (pydantic), which then never landed; such a record is
    landed as it came and quarantined with its reason (``validation.parse_snapshot``)."""
    records: list = []
    options = {"formula": formula} if formula else {}
    for page in api.iterate_requests("get", table.urls.records, fallback=("post", table.urls.records_post),
                                     options=options):
        found = page.get("records") if isinstance(page, dict) else None
        if not isinstance(found, list):
            raise UnusableListing(f"a page of the listing is not a list-records answer: {str(page)[:80]!r}")
        records += found
    return records


def status_and_code(exc: Exception) -> tuple[int | None, str]:
    """The HTTP status of a failed Airtable request and Airtable's error type (``TABLE_NOT_FOUND``)."""
    response = getattr(exc, "response", None)
    try:
        error = response.json().get("error")
    except Exception:  # noqa: BLE001 - any body that is not Airtable's JSON error
        error = None
    code = error.get("type") if isinstance(error, dict) else error
    return getattr(response, "status_code", None), code if isinstance(code, str) else ""


def not_found(exc: Exception) -> bool:
    """A 404 from Airtable (TABLE_NOT_FOUND / NOT_FOUND)."""
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None) == 404


@functools.cache
def paced_api_class():
    """pyairtable's Api with pacing, defined on first use: loading the code location never imports pyairtable."""
    from pyairtable import Api

    class _PacedApi(Api):
        """pyairtable's Api with a sliding-window limiter: at most ``per_second`` requests in any
        second (evenly spaced requests are not enough: 0, 0.2 .. 1.0 s puts 6 in one second)."""

        MARGIN = 0.05  # seconds of slack for clock and network jitter
        MAX_PAGES = 100_000  # 10 million records: no base has a table that long

        def __init__(self, *args, per_second: int, **kwargs):
            super().__init__(*args, **kwargs)
            self._sent: deque[float] = deque(maxlen=per_second)
            self._lock = threading.Lock()

        def iterate_requests(self, method, url, *args, offset_field: str = "offset", **kwargs):
            """pyairtable's paging, stopped with UnusableListing when the next page's cursor was seen
            already or (a webhook's numeric ``cursor``) goes back: followed, it would never end."""
            seen: set = set()
            for page in super().iterate_requests(method, url, *args, offset_field=offset_field, **kwargs):
                yield page
                cursor = page.get(offset_field) if isinstance(page, dict) else None
                if not cursor or (offset_field == "cursor" and not page.get("mightHaveMore")):
                    continue  # the last page (pyairtable stops here itself)
                cursor = cursor if isinstance(cursor, (int, str)) else str(cursor)  # hashable, as pyairtable sends it
                why = ("came back" if cursor in seen else "went back" if isinstance(cursor, int) and seen
                       and cursor < max(seen) else "was still not the last" if len(seen) >= self.MAX_PAGES else None)
                if why:
                    raise UnusableListing(f"Airtable's {offset_field} {str(cursor)[:40]!r} {why} after "
                                           f"{len(seen) + 1} page(s): the listing would never end; stopped")
                seen.add(cursor)

        def request(self, *args, **kwargs):
            with self._lock:
                if len(self._sent) == self._sent.maxlen:
                    wait = self._sent[0] + 1.0 + self.MARGIN - time.monotonic()
                    if wait > 0:
                        time.sleep(wait)
                self._sent.append(time.monotonic())
            return super().request(*args, **kwargs)

    return _PacedApi


def keep(found: dict[str, dict], key: str, fields: dict) -> None:
    """``find_records``' one entry per key: a key held by several records (a record copied in Airtable) keeps
    the first's fields with every copy's under ``COPIES``, never the last listed silently."""
    if key not in found:
        found[key] = fields
    else:
        first = found[key]
        found[key] = {**first, COPIES: [*(first.get(COPIES) or [first]), fields]}
