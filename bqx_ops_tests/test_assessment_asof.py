"""The 360 assessment's open issues are those open at its instant (issue #10): the latest review can be
up to two weeks older, so an issue closed since it is no longer open and one opened since is. The
issues are collected and triaged at the instant (the dashboard's way) from the landed sources, only
what existed then. Hand-built: a GitHub landing file and a review that still shows the old state."""

import datetime as dt
import json

import duckdb

from bqx_ops.assessment import read
from bqx_ops.assessment.score import assess
from bqx_ops.defs.issue_review.sources import inventories_at
from bqx_ops.issue_review.rules import load_rules
from bqx_ops.landing import Landing
from bqx_ops.resources.factory import review_sources

UTC = dt.timezone.utc
START = dt.datetime(2024, 1, 1, tzinfo=UTC)
WHEN = dt.datetime(2024, 3, 29, 9, tzinfo=UTC)  # Q1-2024's last Friday (31 March is a Sunday), 09:00
REVIEW_END = dt.datetime(2024, 3, 15, 10)


def gh(number: int, priority: str, created: str, closed: str | None = None) -> dict:
    return {"number": number, "title": f"issue {number}", "created_at": created, "closed_at": closed,
            "state": "closed" if closed else "open", "labels": [{"name": f"priority:{priority}"}, {"name": "category:infrastructure"}],
            "html_url": f"https://github.com/o/r/issues/{number}", "user": {"login": "someone"}}


ISSUES = [
    gh(1, "P0", "2024-03-14T08:00:00Z", "2024-03-20T12:00:00Z"),  # open at the review, closed before the instant
    gh(2, "P1", "2024-03-01T08:00:00Z"),  # open throughout: 673 h at the instant, past the P1 SLA (168 h)
    gh(3, "P1", "2024-03-27T09:00:00Z"),  # opened after the review: 48 h at the instant, within its SLA
    gh(4, "P0", "2024-03-30T08:00:00Z"),  # opened after the instant: it did not exist then
]


def review_of_the_15th(conn) -> None:
    """The review of 2024-03-15 10:00 as it stood: #1 (P0) and #2 (P1) open, #1 past its SLA."""
    conn.execute("CREATE SCHEMA review")
    conn.execute("CREATE TABLE review.review_periods AS SELECT ?::TIMESTAMP AS period_end", [REVIEW_END])
    conn.execute("CREATE TABLE review.issue_inventory (period_end TIMESTAMP, fingerprint VARCHAR, priority VARCHAR, "
                 "untriaged BOOLEAN, title VARCHAR, owner VARCHAR, age_hours DOUBLE, url VARCHAR, source VARCHAR, "
                 "kind VARCHAR, stage_record_id VARCHAR, state VARCHAR, created_at TIMESTAMP)")
    for n, prio, created in ((1, "P0", "2024-03-14 08:00"), (2, "P1", "2024-03-01 08:00")):
        conn.execute("INSERT INTO review.issue_inventory VALUES (?, ?, ?, false, ?, '', 0, '', 'github', 'issue', "
                     "NULL, 'open', ?)", [REVIEW_END, f"gh-{n}", prio, f"issue {n}", created])
    conn.execute("CREATE TABLE review.sla_breaches AS SELECT ?::TIMESTAMP AS period_end, 'gh-1' AS fingerprint, "
                 "'P0' AS priority", [REVIEW_END])


def test_the_issues_are_those_open_at_the_assessments_instant(tmp_path):
    assert read.as_of(START) == WHEN
    landing = Landing(tmp_path)
    landing.github_issues.parent.mkdir(parents=True)
    landing.github_issues.write_text(json.dumps(ISSUES))
    sources = review_sources("local", tmp_path, None)
    with duckdb.connect() as conn:
        review_of_the_15th(conn)
        at = inventories_at(conn, load_rules(path=""), [WHEN], **sources)
        inputs = read.read_inputs(conn, START, WHEN, at)
    assert sorted((r["title"], r["priority"]) for r in inputs.open_issues) == [("#2 issue 2", "P1"), ("#3 issue 3", "P1")]
    assert [b["priority"] for b in inputs.breaches] == ["P1"]  # #2 only; #1 (the review's breach) closed
    assert [round(r["age_hours"], 1) for r in read.risks(inputs)] == [673.0, 48.0]
    scores = {d.name: d.score for d in assess(inputs).dimensions}
    # 2 open P1, no P0, nothing untriaged: 100 - 10 * 2; Risk n = 2: 100 - 10 * 2; Success criteria: only the
    # two SLA targets have data (no plan week), no P0 > 24h met, no P1 > 1 week missed: 1/2
    assert (scores["Technical gaps"], scores["Risk"], scores["Success criteria"]) == (80.0, 80.0, 50.0)


def test_an_earlier_instant_reads_only_what_existed_then(tmp_path):
    """The draft three weeks earlier (2024-03-08 09:00): #1 and #3 not yet created, #2 open 7 days + 1 h, past
    its 1-week SLA."""
    landing = Landing(tmp_path)
    landing.github_issues.parent.mkdir(parents=True)
    landing.github_issues.write_text(json.dumps(ISSUES))
    draft = WHEN - dt.timedelta(weeks=3)
    with duckdb.connect() as conn:
        at = inventories_at(conn, load_rules(path=""), [draft, WHEN], **review_sources("local", tmp_path, None))
        issues, breaches = read.open_issues(at, draft)
    assert [(r["title"], round(r["age_hours"], 1)) for r in issues] == [("#2 issue 2", 169.0)]
    assert [b["priority"] for b in breaches] == ["P1"]
