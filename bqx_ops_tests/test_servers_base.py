"""The shared server machinery: lifecycle, request log, fault injection, formula evaluator."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import requests

from bqx_ops_tests.servers import airtable_formula as F
from bqx_ops_tests.servers.base import Clock, FakeServer, Request, Response, json_response


class EchoServer(FakeServer):
    def handle(self, req: Request) -> Response:
        return json_response({"path": req.path, "query": req.query, "body": req.body})


def test_lifecycle_log_and_clean_stop():
    with EchoServer() as srv:
        url, port = srv.url, srv.port
        assert url == f"http://127.0.0.1:{port}"
        with requests.Session() as s:  # keep-alive connection over HTTP/1.1
            assert s.get(f"{url}/a b", params={"x": ["1", "2"]}).json()["query"] == {"x": ["1", "2"]}
            assert s.post(f"{url}/j", json={"k": 1}).json()["body"] == {"k": 1}
            assert s.post(f"{url}/f", data={"k": "v"}).json()["body"] == {"k": "v"}
        log = srv.requests
        assert [(r.method, r.path, r.status) for r in log] == [("GET", "/a b", 200), ("POST", "/j", 200), ("POST", "/f", 200)]
        assert log[0].timestamp <= log[1].timestamp <= log[2].timestamp
        srv.clear_requests()
        assert srv.requests == []
    assert not srv.running
    with socket.socket() as sock:  # the port is released
        assert sock.connect_ex(("127.0.0.1", port)) != 0


def test_fail_next_is_fifo_and_filtered():
    with EchoServer(retry_after=2) as srv:
        srv.fail_next(1, 503, path_contains="/b")
        srv.fail_next(2, 429, method="GET")
        r1 = requests.get(f"{srv.url}/a")
        r2 = requests.post(f"{srv.url}/b")
        r3 = requests.get(f"{srv.url}/b")
        r4 = requests.get(f"{srv.url}/b")
        assert [r1.status_code, r2.status_code, r3.status_code, r4.status_code] == [429, 503, 429, 200]
        assert r1.headers["Retry-After"] == "2" and "Retry-After" not in r2.headers
        assert srv.pending_faults == 0
        assert [r.fault for r in srv.requests] == [True, True, True, False]


class CountingServer(FakeServer):
    """Each handled request is an effect (a stored message): ``handled`` counts them."""

    handled = 0

    def handle(self, req: Request) -> Response:
        self.handled += 1
        return json_response({"n": self.handled})


def test_a_lost_answer_comes_after_the_effect_as_a_5xx_or_a_reset_connection():
    with CountingServer() as srv:
        srv.lose_answer_of_next(1, 502, path_contains="/post")
        srv.lose_answer_of_next(1, None, path_contains="/post")
        assert requests.post(f"{srv.url}/post").status_code == 502
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{srv.url}/post")
        assert requests.post(f"{srv.url}/post").json() == {"n": 3}  # both lost answers' requests took effect
        assert [(r.status, r.fault) for r in srv.requests] == [(502, True), (0, True), (200, False)]


def test_a_slow_answer_arrives_after_the_effect():
    with CountingServer() as srv:
        srv.slow_answers(0.5, path_contains="/post")
        with pytest.raises(requests.Timeout):
            requests.post(f"{srv.url}/post", timeout=0.1)
        srv.slow_answers(None)
        assert requests.post(f"{srv.url}/post", timeout=5).json() == {"n": 2}


def test_fault_rate_is_seeded():
    def statuses(seed: int) -> list[int]:
        with EchoServer() as srv:
            srv.fault_rate(0.5, statuses=(500, 502), seed=seed)
            return [requests.get(srv.url).status_code for _ in range(20)]

    assert statuses(3) == statuses(3) != statuses(4)
    assert {500, 502, 200} <= set(statuses(3))


def test_clock():
    clock = Clock("2024-05-01T00:00:00Z", frozen=True)
    assert clock.now() == dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc).timestamp()
    clock.advance(90)
    clock.set(dt.datetime(2024, 5, 2, tzinfo=dt.timezone.utc))
    assert clock.now() == dt.datetime(2024, 5, 2, tzinfo=dt.timezone.utc).timestamp()


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("{Name}='a'", True),
        ("{Name}='A'", False),
        ("AND({N}>=2,{N}<3)", True),
        ("OR({N}=1,{Missing}=BLANK())", True),
        ("{Missing}=''", True),
        ("NOT({Done})", True),
        ("{Tags}='x, y'", True),
        ("FIND('y',{Tags})>0", True),
        ("IS_AFTER({When},DATETIME_PARSE('2024-01-01'))", True),
        ("{When}>=DATETIME_PARSE('2024-03-01T00:00:00.000Z')", False),
        ("LOWER({Name}&'B')='ab'", True),
        ("IF({N}>1,'big','small')='big'", True),
        ("RECORD_ID()='rec1'", True),
        ("{N}/0", False),
        ("Name='a'", True),
    ],
)
def test_formula_semantics(formula, expected):
    fields = {"Name": "a", "N": 2, "Tags": ["x", "y"], "When": "2024-02-01"}
    value = F.evaluate(F.parse(formula), fields, record_id="rec1")
    assert F.truthy(value) is expected


def test_formula_errors():
    for bad in ("AND({a}", "NOPE({a})", "{a} ==", "'unterminated"):
        with pytest.raises(F.FormulaError):
            F.parse(bad)
