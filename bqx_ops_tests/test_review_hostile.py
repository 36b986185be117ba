"""Hostile input (null bodies, deleted users, markdown/HTML in titles, unicode, huge messages,
unknown labels) still gives a valid report, JSON twin and Slack message."""

import datetime as dt
import json
import re

import duckdb
import pytest

from bqx_ops.landing import write_json
from bqx_ops.issue_review.actions import slack_intent
from bqx_ops.issue_review.collect import SourceData, review
from bqx_ops.issue_review.model import ReviewPeriod
from bqx_ops.issue_review.report import render_json, render_markdown
from bqx_ops.issue_review.rules import load_rules
from bqx_ops.slack_text import WORD_JOINER

PERIOD = ReviewPeriod(dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 15, 10))
HUGE_TITLE = "A|" * 5000  # 10,000 characters of table-breaking text
EVIL = "<script>alert('x')</script> | **bold** [click](javascript:alert(1)) `code` <img src=x onerror=1>"
UNICODE = "Ünïcödé 日本円 ‮reversed‬ 🔥 zero\u200bwidth"


def gh(number, title, **extra):
    return {"number": number, "title": title, "created_at": "2026-03-10T08:00:00Z", "closed_at": None,
            "state": "open", "html_url": f"https://github.com/o/r/issues/{number}", **extra}


ISSUES = [
    gh(1, HUGE_TITLE, labels=[{"name": "priority:P0"}, {"name": "category:infrastructure"}], body=None, user=None),
    gh(2, EVIL + "\nsecond line\r\nthird", labels=["priority:P1", {"name": "category:cost"}], user={"login": "ghost"}),
    gh(3, UNICODE, labels=[{"name": "🔥 hot|fix"}, {"name": None}, {"no": "name"}, 42], body="x" * 70_000),
    gh(4, None, labels="not a list", user={"id": 1}),
    gh(5, "@channel <!here> wake up", labels=[{"name": "priority:P1"}, {"name": "category:data-quality"}]),
    {"number": 6, "title": "a PR", "created_at": "2026-03-10T08:00:00Z", "pull_request": {}},
    "not even an object",
]
JOBS = [{"TrainingJobName": "bqx-ml-lstm-w15-20260310-01", "TrainingJobStatus": "Failed",
         "TrainingEndTime": "2026-03-10T01:00:00.000+00:00", "FailureReason": EVIL + "\n" + "y" * 5000},
        {"TrainingJobStatus": "Failed"}]


def events():
    t = int(dt.datetime(2026, 3, 12, tzinfo=dt.timezone.utc).timestamp() * 1000)
    return [{"timestamp": t, "message": "ERROR " + EVIL + " " + ("|<b>" * 25_000)},  # 100,000 characters
            {"timestamp": t + 1, "message": "WARN " + UNICODE},
            {"timestamp": t + 2, "message": None}, {"timestamp": "soon", "message": "ERROR typed badly"},
            {"message": "ERROR no timestamp"}]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    good, bad = root / "good.json", root / "bad.json"
    write_json(good, events())
    bad.write_text("\x00\xff not json", encoding="latin-1")
    data = SourceData(ISSUES, JOBS, lambda start, end: ([("/evil|group", good), ("/evil|group", bad)], []))
    rules = load_rules(path="")
    with duckdb.connect() as conn:  # no Airtable tables at all: "no data", not a crash
        previous = review(conn, ReviewPeriod(dt.datetime(2026, 2, 15, 10), PERIOD.start), rules, data, None)
        result = review(conn, PERIOD, rules, data, previous)
    tables = {"inventory": result.inventory, "breaches": result.breaches, "trend": result.trend,
              "stats": result.stats, "actions": result.actions, "meta": result.meta}
    return result, render_markdown(tables, rules), render_json(tables)


def test_every_table_row_keeps_its_columns(rendered):
    _, md, _ = rendered
    lines = md.split("\n")
    tables = 0
    for i, line in enumerate(lines):
        if line.startswith("|---"):
            tables += 1
            width = len(re.findall(r"(?<!\\)\|", lines[i - 1]))
            j = i + 1
            while j < len(lines) and lines[j].startswith("|"):
                assert len(re.findall(r"(?<!\\)\|", lines[j])) == width, lines[j][:200]
                j += 1
    assert tables >= 8


def test_user_text_is_escaped_and_cut(rendered):
    _, md, _ = rendered
    assert "<" not in md and "<script" not in md  # every angle bracket of user text is an entity
    assert "[click](javascript" not in md and "\\[click\\]" in md
    assert max(len(line) for line in md.split("\n")) < 3000
    assert HUGE_TITLE not in md and "A\\|A\\|" in md
    assert "日本円" in md and "(no title)" in md


def test_the_inventory_keeps_everything_and_flags_the_untriaged(rendered):
    result, md, _ = rendered
    inv = result.inventory.set_index("source_ref")
    assert {"1", "2", "3", "4", "5", "bqx-ml-lstm-w15-20260310-01"} <= set(inv.index)
    assert inv.loc["1", "title"] == "#1 " + HUGE_TITLE and inv.loc["1", "author"] == "ghost"
    assert bool(inv.loc["3", "untriaged"]) and inv.loc["3", "labels"] == "🔥 hot|fix"
    logs = result.inventory[result.inventory["source"] == "cloudwatch"]
    assert sorted(logs["event_count"]) == [1, 1]  # events without a message or a usable timestamp are skipped
    assert logs["title"].str.len().max() < 400 and logs["detail"].str.contains("<script>").any()
    assert re.search(r"untriaged issues?\*\*", md)
    problems = json.loads(result.meta.iloc[0]["problems"])
    assert any("unreadable log file" in p for p in problems) and any("no snapshot" in p for p in problems)
    assert any("has no TrainingJobName" in p for p in problems) and any("not an object" in p for p in problems)


def test_the_json_twin_parses_and_holds_the_full_text(rendered):
    _, _, text = rendered
    body = json.loads(text)
    titles = {row["source_ref"]: row["title"] for row in body["inventory"]}
    assert titles["1"] == "#1 " + HUGE_TITLE
    assert body["review"]["review_date"] == "2026-03-15T00:00:00"
    assert text == json.dumps(body, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


def test_the_slack_message_cannot_mention_or_inject(rendered):
    result, _, _ = rendered
    _, payload = slack_intent(result.inventory, PERIOD, "docs/reviews/2026-03-15-issue-review.md")
    text = payload["text"]
    assert "<script" not in text and "<!here>" not in text and "&lt;!here&gt;" in text
    assert "@channel" not in text and f"@{WORD_JOINER}channel" in text
    assert len(text) < 3000
