"""Shared machinery for the protocol-faithful fake API servers.

Every server is a real HTTP/1.1 server (stdlib ``ThreadingHTTPServer``) bound to
``127.0.0.1`` on an ephemeral port and served from a daemon thread, so the real
client libraries (pyairtable, PyGithub, slack_sdk) talk to it over a socket
exactly as they would talk to the vendor.

What this module provides to the concrete servers:

* lifecycle: ``start()`` / ``stop()`` / context manager, ``.url``;
* a request log (``.requests``) of :class:`RecordedRequest`;
* deterministic fault injection (``fail_next``, ``fault_rate``) and an optional
  server-side requests-per-second limit (``enforce_rate_limit``), each answered
  with the protocol's own error body via :meth:`FakeServer.fault_response`;
* slow answers (``slow_answers``: the request takes effect, the answer comes late) and lost
  answers (``lose_answer_of_next``): the request takes effect, then the client gets a 5xx or a
  reset connection instead of the answer, as when a proxy or the network fails after the vendor
  stored a message: the case a client's own retries turn into a duplicate;
* a lock (``self.lock``) that the subclasses hold around their state.

Stdlib only.
"""

from __future__ import annotations

import collections
import json
import random
import socket
import struct
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable

__all__ = [
    "FakeServer",
    "RecordedRequest",
    "Request",
    "Response",
    "json_response",
]


@dataclass
class Request:
    """One parsed incoming HTTP request, as handed to ``FakeServer.handle``."""

    method: str
    path: str  # decoded path, without the query string
    raw_path: str  # path exactly as sent (still percent-encoded), without the query string
    query: dict[str, list[str]]  # urllib.parse.parse_qs(..., keep_blank_values=True)
    headers: dict[str, str]  # as received (original case); see ``header()``
    raw_body: bytes
    json: Any = None  # parsed JSON body, or None
    json_error: bool = False  # a JSON content-type with an unparseable body
    form: dict[str, Any] = field(default_factory=dict)  # urlencoded body, single values flattened

    @property
    def body(self) -> Any:
        """The parsed body: JSON if it was JSON, else the form dict (possibly empty)."""
        return self.json if self.json is not None else self.form

    def header(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return default

    def arg(self, name: str, default: str | None = None) -> str | None:
        """First value of query parameter ``name``."""
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: Any = None  # dict/list -> JSON; str/bytes sent as-is; None -> empty body
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None  # defaults: JSON for dict/list, text/plain for str

    def encode(self) -> tuple[bytes, str | None]:
        if self.body is None:
            return b"", self.content_type
        if isinstance(self.body, bytes):
            return self.body, self.content_type or "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), self.content_type or "text/plain; charset=utf-8"
        return (
            json.dumps(self.body, ensure_ascii=False).encode("utf-8"),
            self.content_type or "application/json; charset=utf-8",
        )


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status=status, body=body, headers=dict(headers or {}))


@dataclass(frozen=True)
class RecordedRequest:
    """An entry of ``server.requests``."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any  # parsed JSON or form body (None / {} when there was none)
    raw_body: bytes
    timestamp: float  # time.monotonic() when the request was received
    status: int  # status code the server answered with (0: the connection was reset instead)
    fault: bool  # True when the answer came from fault injection / rate limiting

    def header(self, name: str, default: str | None = None) -> str | None:
        lname = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lname:
                return value
        return default


@dataclass
class _QueuedFault:
    remaining: int
    status: int
    retry_after: int | None
    path_contains: str | None
    method: str | None

    def matches(self, req: Request) -> bool:
        if self.path_contains is not None and self.path_contains not in req.raw_path and self.path_contains not in req.path:
            return False
        if self.method is not None and req.method.upper() != self.method.upper():
            return False
        return True


@dataclass
class _LostAnswer(_QueuedFault):
    """The request is handled (its effect stays), then answered with ``status``, or reset if None."""


@dataclass
class _SlowAnswer:
    seconds: float
    path_contains: str | None
    method: str | None

    matches = _QueuedFault.matches


RESET = object()  # an answer never sent: the connection is reset instead


@dataclass
class _RateFault:
    probability: float
    statuses: tuple[int, ...]
    rng: random.Random
    retry_after: int | None
    path_contains: str | None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stalls on small responses
    server_version = "bqx-fake"
    sys_version = ""
    fake: "FakeServer"  # set on the per-server subclass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # keep pytest output clean

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size_line = self.rfile.readline().strip()
                size = int(size_line.split(b";")[0] or b"0", 16)
                if size == 0:
                    # trailers until blank line
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _dispatch(self) -> None:
        raw_body = self._read_body()
        split = urllib.parse.urlsplit(self.path)
        raw_path = split.path
        headers = {k: v for k, v in self.headers.items()}
        req = Request(
            method=self.command.upper(),
            path=urllib.parse.unquote(raw_path),
            raw_path=raw_path,
            query=urllib.parse.parse_qs(split.query, keep_blank_values=True),
            headers=headers,
            raw_body=raw_body,
        )
        ctype = (self.headers.get("Content-Type") or "").lower()
        if raw_body:
            if "json" in ctype:
                try:
                    req.json = json.loads(raw_body.decode("utf-8"))
                except (ValueError, UnicodeDecodeError):
                    req.json_error = True
            elif "x-www-form-urlencoded" in ctype:
                parsed = urllib.parse.parse_qs(raw_body.decode("utf-8"), keep_blank_values=True)
                req.form = {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}
        resp = self.fake._respond(req)
        if resp is RESET:  # RST, no answer: the client sees a connection reset after its request took effect
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        payload, ctype_out = resp.encode()
        if self.command.upper() == "HEAD":
            payload_to_send = b""
        else:
            payload_to_send = payload
        self.send_response(resp.status)
        sent = {k.lower() for k in resp.headers}
        for key, value in resp.headers.items():
            self.send_header(key, str(value))
        if ctype_out and "content-type" not in sent:
            self.send_header("Content-Type", ctype_out)
        self.send_header("Content-Length", str(len(payload)))
        # headers and body in one write (one TCP segment for small responses)
        self._headers_buffer.append(b"\r\n" + payload_to_send)
        self.flush_headers()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _dispatch


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # don't join handler threads on close: a client's idle keep-alive connection
    # would block stop(); close_connections() ends them instead
    block_on_close = False

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return  # the client stopped waiting (a slow answer past its timeout): no server error
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class FakeServer:
    """Base class of the fake API servers.

    Subclasses implement :meth:`handle` (route a :class:`Request` to a
    :class:`Response`) and :meth:`fault_response` (the protocol's error answer
    for an injected status), and hold ``self.lock`` around their state.
    """

    #: human name used in error messages
    name = "fake"

    def __init__(self, *, retry_after: int = 1, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self._port = port
        self.default_retry_after = retry_after
        self.lock = threading.RLock()
        self._requests: list[RecordedRequest] = []
        self._fault_queue: list[_QueuedFault] = []
        self._fault_rate: _RateFault | None = None
        self._lost_answers: list[_LostAnswer] = []
        self._slow: _SlowAnswer | None = None
        self._rewrite: Any = None  # answer_oddly: (request, real answer) -> the answer sent
        self._rewrite_instead = False
        self._rps_limit: tuple[int, float] | None = None
        self._rps_window: collections.deque[float] = collections.deque()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._last_port: int | None = None

    # -- lifecycle --------------------------------------------------------
    def start(self) -> "FakeServer":
        if self._httpd is not None:
            return self
        handler = type(f"{type(self).__name__}Handler", (_Handler,), {"fake": self})
        self._httpd = _HTTPServer((self.host, self._port), handler)
        self._last_port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}@{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        httpd.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> "FakeServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        """Bound port (still answers after ``stop()``, for assertions)."""
        if self._last_port is None:
            raise RuntimeError(f"{type(self).__name__} is not started")
        return self._last_port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash); needs ``start()``."""
        return f"http://{self.host}:{self.port}"

    # -- request log ----------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot (a copy) of every request received so far, in arrival order."""
        with self.lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self.lock:
            self._requests.clear()

    def requests_matching(
        self,
        method: str | None = None,
        path_contains: str | None = None,
        *,
        status: int | None = None,
    ) -> list[RecordedRequest]:
        out = []
        for r in self.requests:
            if method is not None and r.method != method.upper():
                continue
            if path_contains is not None and path_contains not in r.path:
                continue
            if status is not None and r.status != status:
                continue
            out.append(r)
        return out

    def max_requests_per_window(self, window: float = 1.0, requests: Iterable[RecordedRequest] | None = None) -> int:
        """Largest number of requests that arrived within any ``window`` seconds (pacing assertions)."""
        stamps = sorted(r.timestamp for r in (self.requests if requests is None else requests))
        best = 0
        lo = 0
        for hi, t in enumerate(stamps):
            while t - stamps[lo] >= window:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # -- fault injection --------------------------------------------------------
    def fail_next(
        self,
        count: int,
        status: int,
        retry_after: int | None = None,
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next ``count`` matching requests with ``status`` (protocol error body).

        ``retry_after``: seconds for the ``Retry-After`` header; ``None`` uses the
        server default for statuses whose protocol sends one (e.g. 429).
        Queued faults are consumed in FIFO order; a request consumes at most one.
        """
        if count <= 0:
            return
        with self.lock:
            self._fault_queue.append(_QueuedFault(count, status, retry_after, path_contains, method))

    def lose_answer_of_next(
        self,
        count: int,
        status: int | None = None,
        path_contains: str | None = None,
        method: str | None = None,
    ) -> None:
        """Handle the next ``count`` matching requests, then answer ``status`` (a 5xx) instead of the
        real answer, or reset the connection when ``status`` is None. The request's effect stays."""
        if count > 0:
            with self.lock:
                self._lost_answers.append(_LostAnswer(count, status or 0, None, path_contains, method))

    def slow_answers(self, seconds: float | None, path_contains: str | None = None, method: str | None = None) -> None:
        """Answer matching requests ``seconds`` after handling them (the effect is there meanwhile, as
        with a slow vendor or network); ``None`` turns it off."""
        with self.lock:
            self._slow = None if seconds is None else _SlowAnswer(seconds, path_contains, method)

    def answer_oddly(self, rewrite: Any, instead: bool = False) -> None:
        """Send ``rewrite(request, answer)`` instead of each real answer (a ``Response``, the real one
        changed or replaced): a vendor answering in its protocol but oddly (a pagination cursor that
        repeats, a record without fields, an HTML body). ``instead``: ``rewrite(request, None)`` is asked
        first, and a Response it returns is sent without handling the request (a refusal: no effect);
        None handles it as usual. ``None`` turns it off; faults come first."""
        with self.lock:
            self._rewrite = rewrite
            self._rewrite_instead = instead

    def fault_rate(
        self,
        probability: float,
        statuses: tuple[int, ...] = (429, 503),
        seed: int = 0,
        retry_after: int | None = 1,
        path_contains: str | None = None,
    ) -> None:
        """Fail a seeded, reproducible fraction of (matching) requests; ``probability=0`` turns it off."""
        with self.lock:
            if probability <= 0:
                self._fault_rate = None
            else:
                self._fault_rate = _RateFault(
                    probability, tuple(statuses), random.Random(seed), retry_after, path_contains
                )

    def enforce_rate_limit(self, max_requests: int | None, per_seconds: float = 1.0) -> None:
        """Emulate the vendor's own limit: more than ``max_requests`` within ``per_seconds`` -> 429.

        ``None`` turns it off. Requests answered with 429 do not count.
        """
        with self.lock:
            self._rps_limit = None if max_requests is None else (max_requests, per_seconds)
            self._rps_window.clear()

    def clear_faults(self) -> None:
        with self.lock:
            self._fault_queue.clear()
            self._lost_answers.clear()
            self._slow = None
            self._rewrite = None
            self._fault_rate = None
            self._rps_limit = None
            self._rps_window.clear()

    @property
    def pending_faults(self) -> int:
        with self.lock:
            return sum(f.remaining for f in self._fault_queue)

    def _pick_fault(self, req: Request, now: float) -> tuple[int, int | None] | None:
        with self.lock:
            for fault in self._fault_queue:
                if fault.matches(req):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._fault_queue.remove(fault)
                    return fault.status, fault.retry_after
            rate = self._fault_rate
            if rate is not None and (rate.path_contains is None or rate.path_contains in req.path):
                if rate.rng.random() < rate.probability:
                    return rate.rng.choice(rate.statuses), rate.retry_after
            if self._rps_limit is not None:
                limit, per = self._rps_limit
                while self._rps_window and now - self._rps_window[0] >= per:
                    self._rps_window.popleft()
                if len(self._rps_window) >= limit:
                    return 429, None
                self._rps_window.append(now)
        return None

    def _pick_lost_answer(self, req: Request) -> int | None:
        """The status to answer a handled request with instead of its answer (0: reset), or None."""
        with self.lock:
            for lost in self._lost_answers:
                if lost.matches(req):
                    lost.remaining -= 1
                    if lost.remaining <= 0:
                        self._lost_answers.remove(lost)
                    return lost.status
        return None

    # -- dispatch -----------------------------------------------------------------
    def exempt_from_faults(self, req: Request) -> bool:
        """Subclasses may exempt endpoints (e.g. GitHub's /rate_limit)."""
        return False

    def _respond(self, req: Request) -> Response:
        now = time.monotonic()
        is_fault = False
        picked = None if self.exempt_from_faults(req) else self._pick_fault(req, now)
        try:
            if picked is not None:
                status, retry_after = picked
                resp = self.fault_response(status, retry_after, req)
                is_fault = True
            else:
                refusal = self._rewrite(req, None) if self._rewrite and self._rewrite_instead else None
                resp = refusal or self.handle(req)
                if self._rewrite is not None and not self._rewrite_instead:
                    resp = self._rewrite(req, resp)
                lost = self._pick_lost_answer(req)
                if lost is not None:
                    resp, is_fault = (self.fault_response(lost, None, req) if lost else RESET), True
                slow = self._slow
                if slow is not None and slow.matches(req):
                    time.sleep(slow.seconds)
        except Exception as exc:  # a bug in the fake must surface as a 500, not a hung client
            import traceback

            traceback.print_exc()
            resp = Response(500, f"fake server error: {exc!r}")
        with self.lock:
            self._requests.append(
                RecordedRequest(
                    method=req.method,
                    path=req.path,
                    query=req.query,
                    headers=req.headers,
                    body=req.body,
                    raw_body=req.raw_body,
                    timestamp=now,
                    status=0 if resp is RESET else resp.status,
                    fault=is_fault,
                )
            )
        return resp

    # -- to implement -------------------------------------------------------------
    def handle(self, req: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError

    def fault_response(self, status: int, retry_after: int | None, req: Request) -> Response:
        """Default: plain-text body, ``Retry-After`` on 429 (server default) or when given."""
        headers = {}
        if retry_after is None and status == 429:
            retry_after = self.default_retry_after
        if retry_after is not None:
            headers["Retry-After"] = str(int(retry_after))
        return Response(status, _reason(status), headers)


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class Clock:
    """A settable wall clock (UTC) used for timestamps the fakes generate."""

    def __init__(self, start: Any = None, *, frozen: bool = False):
        self._offset = 0.0
        self._frozen_at: float | None = None
        if frozen:
            self._frozen_at = time.time() if start is None else as_epoch(start)
        elif start is not None:
            self.set(as_epoch(start))

    def now(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at
        return time.time() + self._offset

    def set(self, when: Any) -> None:
        """Set the clock to ``when`` (epoch seconds, aware/naive-UTC datetime or ISO string)."""
        epoch_seconds = as_epoch(when)
        if self._frozen_at is not None:
            self._frozen_at = epoch_seconds
        else:
            self._offset = epoch_seconds - time.time()

    def advance(self, seconds: float) -> None:
        if self._frozen_at is not None:
            self._frozen_at += seconds
        else:
            self._offset += seconds

    def freeze(self) -> None:
        self._frozen_at = self.now()


def as_epoch(value: Any) -> float:
    """datetime / ISO string / number -> epoch seconds."""
    import datetime as dt

    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.timestamp()
    raise TypeError(f"cannot convert {value!r} to epoch seconds")


Callback = Callable[[Request], Response]
