"""A Cost Explorer month revised after a dashboard week: the week, re-run, reads the amounts known then.

Every fetch rewrites its month file with the latest amounts; aws.cost_revisions dates each change, and
a week's Cost/Month reads the amounts seen by its as-of instant (a first amount counts from its day)."""

import datetime as dt
import json

import dagster as dg
import duckdb
import pytest

from bqx_ops.dashboard import revisions
from bqx_ops.dashboard.costs import CostRow
from bqx_ops.dashboard.read import latency_points
from bqx_ops.defs.dashboard.assets import daily_costs, report, success_metrics
from bqx_ops.landing import Landing
from bqx_ops.resources.factory import build_resources

WEEK = "2026-03-09"  # as of Monday 2026-03-16 09:00 UTC


def month(amounts: dict[str, dict[str, str]]) -> dict:
    """A GetCostAndUsage response (DAILY, by SERVICE): day -> service -> amount."""
    return {"ResultsByTime": [
        {"TimePeriod": {"Start": day, "End": (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()},
         "Groups": [{"Keys": [s], "Metrics": {"UnblendedCost": {"Amount": a, "Unit": "USD"}}}
                    for s, a in services.items()]}
        for day, services in amounts.items()]}


def dashboard(data, resources) -> tuple[tuple, bytes]:
    assert dg.materialize([daily_costs], resources=resources).success
    assert dg.materialize([daily_costs, success_metrics, report], selection=[success_metrics.key, report.key],
                          resources=resources, partition_key=WEEK).success
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        row = conn.execute("SELECT current, value, status FROM dashboard.success_metrics "
                           "WHERE metric = 'Cost/Month'").fetchone()
    return row, (data / "bqx-ml" / "docs" / "dashboard.md").read_bytes()


@pytest.fixture(scope="module")
def revised_later(tmp_path_factory):
    data = tmp_path_factory.mktemp("revised")
    path = Landing(data).costs_month(2026, 3)
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(month({"2026-03-02": {"Amazon SageMaker": "2.50", "AWS Lambda": "0.50"},
                                      "2026-03-03": {"Amazon SageMaker": "1.00"}})), encoding="utf-8")
    resources = build_resources("local", data)
    first = dashboard(data, resources)
    # a later fetch: 03-02 revised (SageMaker up, Lambda gone), 03-03 as it was
    path.write_text(json.dumps(month({"2026-03-02": {"Amazon SageMaker": "40.00"},
                                      "2026-03-03": {"Amazon SageMaker": "1.00"}})), encoding="utf-8")
    return first, dashboard(data, resources)


def test_a_week_rerun_after_its_month_was_revised_is_byte_identical(revised_later):
    (row, page), (row_again, page_again) = revised_later
    assert row[1] == pytest.approx(2.50 + 0.50 + 1.00)  # the month to date known on 03-16: 3 days' first amounts
    assert row_again == row and page_again == page


def test_a_revision_counts_from_the_instant_it_was_seen():
    conn = duckdb.connect()
    d1, d2, t1, t2 = dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.datetime(2026, 3, 20), dt.datetime(2026, 4, 2)
    revisions.record(conn, [CostRow(d1, "S", 2.5), CostRow(d1, "L", 0.5), CostRow(d2, "S", 1.0)], t1, set())
    assert revisions.record(conn, [CostRow(d1, "S", 2.5), CostRow(d1, "L", 0.5), CostRow(d2, "S", 1.0)],
                                 t1, set()) == 0  # a fetch that changes nothing records nothing
    revisions.record(conn, [CostRow(d1, "S", 40.0), CostRow(d2, "S", 1.0)], t2, set())

    def at(instant):
        return [(d, s, a) for d, s, a in conn.execute(revisions.as_of_sql(revisions.COSTS), [instant.date(), instant]).fetchall()]

    assert at(dt.datetime(2026, 3, 16, 9)) == [(d1, "L", 0.5), (d1, "S", 2.5), (d2, "S", 1.0)]  # first amounts
    assert at(t2) == [(d1, "S", 40.0), (d2, "S", 1.0)]  # the revision, and Lambda's amount gone
    # a month whose file has no usable data revises nothing: "no data" is not "no cost"
    revisions.record(conn, [], t2 + dt.timedelta(days=1), {"2026-03"})
    assert at(t2 + dt.timedelta(days=2)) == [(d1, "S", 40.0), (d2, "S", 1.0)]


def test_a_latency_p95_revised_later_is_read_from_the_instant_it_was_seen():
    """The dashboard's latency points: a day's p95 moved by a later fetch (a late datapoint) counts from
    the run that saw it; the week before reads the p95 it read."""
    conn = duckdb.connect()
    conn.execute("CREATE SCHEMA aws; CREATE TABLE aws.api_latency (day TIMESTAMP, p95_ms DOUBLE)")
    day, seen = dt.date(2026, 5, 12), dt.datetime(2026, 5, 18, 9)
    revisions.record(conn, [(day, "p95_ms", 88.0)], dt.datetime(2026, 5, 13), set(), revisions.LATENCY)
    revisions.record(conn, [(day, "p95_ms", 142.0)], seen, set(), revisions.LATENCY)
    tables = {"aws.api_latency", revisions.LATENCY}
    assert [p.p95_ms for p in latency_points(conn, tables, dt.datetime(2026, 5, 14, 9))] == [88.0]
    assert [p.p95_ms for p in latency_points(conn, tables, seen - dt.timedelta(minutes=1))] == [88.0]
    assert [p.p95_ms for p in latency_points(conn, tables, seen)] == [142.0]


def test_an_unreadable_latency_file_revises_nothing(tmp_path):
    """A month's latency file that becomes unreadable (a torn write, a bad fetch) leaves its days unknown
    now, not gone: no revision to nothing is recorded, and a past week still reads the p95s it read."""
    from bqx_ops.defs.dashboard.latency import api_latency
    from bqx_ops.sample import write_sample

    write_sample(tmp_path, dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    resources = build_resources("local", tmp_path)
    [path] = (tmp_path / "landing" / "aws" / "metrics").glob("*/2026-05.json")
    [series] = json.loads(path.read_text())["MetricDataResults"]
    landed = sorted(zip([t[:10] for t in series["Timestamps"]], series["Values"]))
    assert dg.materialize([api_latency], resources=resources).success
    for broken in ("{not json", json.dumps({"MetricDataResults": "gone"})):
        path.write_text(broken, encoding="utf-8")
        assert dg.materialize([api_latency], resources=resources).success
        with duckdb.connect(str(tmp_path / "bqx_ops.duckdb"), read_only=True) as conn:
            assert conn.execute(f"SELECT count(*) FROM {revisions.LATENCY} WHERE amount IS NULL").fetchone()[0] == 0
            later = dt.datetime(2026, 6, 1, 9)
            points = latency_points(conn, {"aws.api_latency", revisions.LATENCY}, later)
            problems = conn.execute("SELECT problem FROM aws.latency_problems").fetchall()
        assert [(p.day.isoformat(), p.p95_ms) for p in points] == [(d, v) for d, v in landed if d >= "2026-05-25"]
        assert len(points) == 7
        assert problems and "2026-05.json" in problems[0][0]
