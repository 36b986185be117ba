"""A review source with no data at all says "no data" (in the By source table, the statistics and the
data problems), never "0 issues"; and a report names landing files relative to the landing zone, so
the same zone in another folder gives the same bytes. Expectations come from the landing files here."""

import datetime as dt
import json
import shutil

import duckdb
import pytest

from bqx_ops.defs.issue_review.sources import landed_sources
from bqx_ops.issue_review.collect import review
from bqx_ops.issue_review.model import ReviewPeriod
from bqx_ops.issue_review.report import render_json, render_markdown
from bqx_ops.issue_review.rules import load_rules
from bqx_ops.resources.factory import build_resources

PERIOD = ReviewPeriod(dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 15, 10))
NOW = dt.datetime(2026, 3, 15, 10)
RULES = load_rules(path="")


def run(data_dir):
    resources = build_resources("local", data_dir)
    data, _ = landed_sources(resources["github_issues"], resources["sagemaker_jobs"], resources["cloudwatch_logs"],
                             RULES, [PERIOD.end], NOW)
    with duckdb.connect() as conn:
        out = review(conn, PERIOD, RULES, data, None)
    tables = {"inventory": out.inventory, "breaches": out.breaches, "trend": out.trend, "stats": out.stats,
              "actions": out.actions, "meta": out.meta}
    return out, render_markdown(tables, RULES), render_json(tables)


def make_zone(root, kind):
    landing = root / "landing"
    (landing / "airtable").mkdir(parents=True)  # a landing zone (no sample is written into it)
    if kind == "some":
        (landing / "github").mkdir()
        (landing / "github" / "issues.json").write_text("[]")  # data: no issue
        (landing / "aws" / "sagemaker").mkdir(parents=True)
        (landing / "aws" / "sagemaker" / "training_jobs.json").write_text("{not json")  # no data
        group = build_resources("local", root)["cloudwatch_logs"].groups()[0]
        day = landing / "aws" / "cloudwatch" / group.replace("/", "__") / "2026-03-14.json"
        day.parent.mkdir(parents=True)
        moment = dt.datetime(2026, 3, 14, 12, tzinfo=dt.timezone.utc)
        day.write_text(json.dumps([{"timestamp": int(moment.timestamp() * 1000), "message": "ERROR boom"}]))
    return root


def expected_without_data(root):
    """Per source, whether the landing zone holds anything readable for it (plain file checks)."""
    landing = root / "landing"

    def readable_list(path):
        try:
            return isinstance(json.loads(path.read_text()), list)
        except (OSError, ValueError):
            return False

    days = {(PERIOD.end - dt.timedelta(days=14) + dt.timedelta(days=i)).date().isoformat() for i in range(15)}
    logs = [p for p in (landing / "aws" / "cloudwatch").glob("*/*.json") if p.stem in days]
    return {"github": not readable_list(landing / "github" / "issues.json"),
            "sagemaker": not readable_list(landing / "aws" / "sagemaker" / "training_jobs.json"),
            "cloudwatch": not logs}


@pytest.mark.parametrize("kind", ["nothing", "some"])
def test_a_source_without_data_says_no_data_and_the_report_is_the_same_in_any_folder(tmp_path, kind):
    first = make_zone(tmp_path / "one" / "data", kind)
    second = tmp_path / "elsewhere" / "deeper" / "data"
    shutil.copytree(first, second)
    out, md, js = run(first)
    _, md2, js2 = run(second)
    assert (md, js) == (md2, js2)  # byte-identical: no local path in either
    assert str(tmp_path) not in md + js
    without = expected_without_data(first)
    assert any(without.values()) and (kind == "nothing") == all(without.values())
    by_source = md.split("### By source")[1].split("## SLA breaches")[0]
    rows = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in by_source.splitlines()
            if line.startswith("| ") and not line.startswith("| Source")}
    problems = json.loads(out.meta.iloc[0]["problems"])
    stats = out.stats[out.stats["dimension"] == "source"].set_index("value")
    found = json.loads(out.meta.iloc[0]["found_by_source"])
    for source, none in without.items():
        assert (rows[source] == "no data") == none, (source, rows[source])
        assert any(p.startswith(f"{source}: no data") for p in problems) == none, source
        assert (stats.loc[source, "open"] is None or str(stats.loc[source, "open"]) == "<NA>") == none
        assert (source in found and found[source] is None) == none
        assert none or isinstance(found[source], int)  # a source with data has its count, 0 included
    if kind == "some":
        assert rows["github"] == "0" and rows["cloudwatch"] == "1"  # 0 issues found is not "no data"
        assert found["github"] == 0 and "github 0," in md.split("Issues found per source")[1]
        assert any(p.startswith("sagemaker: no data: unreadable landing file aws/sagemaker/training_jobs.json: ")
                   for p in problems)


def test_an_issue_open_at_the_last_review_whose_source_has_no_data_now_is_not_resolved():
    """GitHub's file is missing this time: the issue open at the previous review is 'not known', never
    counted as resolved (a missing file is no evidence that anything was fixed)."""
    from bqx_ops.issue_review.collect import SourceData
    from bqx_ops_tests.test_figures_text import gh

    issue = {**gh(7, "still open"), "created_at": "2026-02-20T08:00:00Z"}
    before = ReviewPeriod(dt.datetime(2026, 2, 15, 10), PERIOD.start)
    none = lambda start, end: ([], [])  # noqa: E731
    with duckdb.connect() as conn:
        previous = review(conn, before, RULES, SourceData([issue], [], none), None)
        now = review(conn, PERIOD, RULES, SourceData([], [], none, without_data=frozenset({"github"})), previous)
    [change] = [r for r in now.trend.to_dict("records") if r["title"] == "#7 still open"]
    assert change["change"] == "unknown"
    tables = {"inventory": now.inventory, "breaches": now.breaches, "trend": now.trend, "stats": now.stats,
              "actions": now.actions, "meta": now.meta}
    md = render_markdown(tables, RULES)
    resolved = md[md.index("## Resolved since the last review"):md.index("## Not known this time")]
    assert "still open" not in resolved and "still open" in md[md.index("## Not known this time"):]
