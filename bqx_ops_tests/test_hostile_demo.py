"""The whole hostile corpus injected into the sample, through `bqx-ops demo` for March 2026: no crash,
every case quarantined or reported with its reason, reports valid and outbox texts escaped."""

import json
import re
import subprocess

import duckdb
import pytest

from bqx_ops.sample import write_sample
from bqx_ops_tests import hostile_corpus as hc
from bqx_ops_tests.test_cli_demo import run_demo

pytestmark = pytest.mark.slow
BAD = re.compile(hc.CONTROL_OR_SURROGATE)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-demo")
    write_sample(root / "data")
    hc.inject_into_sample(root / "data")
    done, _ = run_demo(root, "--from", "2026-03-01", "--to", "2026-03-31")
    return root / "data", done


def query(data, sql: str):
    with duckdb.connect(str(data / "bqx_ops.duckdb"), read_only=True) as conn:
        return conn.execute(sql).fetchall()


def test_the_demo_completes_every_run(demo):
    data, done = demo
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stderr


def test_every_hostile_record_and_table_is_in_the_quarantine_with_its_reason(demo):
    data, _ = demo
    rows = query(data, "SELECT snapshot_date::DATE, table_name, record_id, reason FROM airtable.quarantine")
    for case in hc.RECORD_CASES:
        assert any(d == hc.RECORDS_DAY and case[-1] in r for d, _, _, r in rows), case[0]
    assert (hc.RECORDS_DAY, "Stages", None, "malformed record: expected {id, createdTime, fields}") in rows  # a list id
    whole = {(d, t): r for d, t, rid, r in rows if rid is None and not r.startswith("malformed record")}
    assert "Stages is missing from the snapshot; the last good copy, of the 2026-03-02 snapshot" in \
        whole[(hc.GONE_DAY, "Stages")]
    assert "Plans is missing" in whole[(hc.GONE_DAY, "Plans")]
    assert 'Phases is empty ({"records": []}); the last good copy, of the 2026-03-06 snapshot' in \
        whole[(hc.BROKEN_DAY, "Phases")]
    assert "Tasks could not be read" in whole[(hc.BROKEN_DAY, "Tasks")]
    assert (hc.DUPLICATE_DAY, "Artifacts") not in whole  # a BOM is read, not rejected
    assert any(d == hc.DUPLICATE_DAY and rid == "recDUPL0000000001" and r.startswith("duplicate Stage ID")
               for d, _, rid, r in rows)
    # no stage is counted twice, and a missing Stages file never empties the plan
    per_day = dict(query(data, "SELECT snapshot_date::DATE, count(*) FROM airtable.stages GROUP BY 1"))
    assert per_day[hc.GONE_DAY] == per_day[hc.DUPLICATE_DAY] > 0
    assert any(d == hc.DUPLICATE_DAY and rid == "recDUPL0000000002" and r.startswith("duplicate Phase ID")
               for d, _, rid, r in rows)  # the same key with a trailing space
    assert "JSON nested deeper than 100 levels" in whole[(hc.BROKEN_DAY, "Decisions")]
    assert "IsADirectoryError" in whole[(hc.BROKEN_DAY, "Learnings")]
    assert f"airtable/{hc.STRAY_FOLDER} is not a snapshot folder" in whole[(hc.DUPLICATE_DAY, "Landing zone")]
    phases = dict(query(data, "SELECT snapshot_date::DATE, count(*) FROM airtable.phases GROUP BY 1"))
    landed = json.loads((data / "landing" / "airtable" / hc.DUPLICATE_DAY.isoformat() / "Phases.json").read_text())
    keys = {" ".join(r["fields"]["Phase ID"].split()) for r in landed["records"]}
    assert len(landed["records"]) == len(keys) + 1 and phases[hc.DUPLICATE_DAY] == len(keys)  # counted once


def test_every_source_problem_is_in_the_review(demo):
    data, _ = demo
    problems = [p for (text,) in query(data, "SELECT problems FROM review.review_periods "
                                             "WHERE period_start::DATE = '2026-03-01'") for p in json.loads(text)]
    for _, fragment in hc.GITHUB_CASES + hc.SAGEMAKER_CASES:
        if fragment:
            assert any(fragment in p for p in problems), fragment
    assert any("with a lone surrogate or control character in the message, counted with it escaped" in p
               for p in problems)
    assert any("with a timestamp that is missing or not within a day of the file's day" in p for p in problems)
    assert any(f"aws/cloudwatch/{hc.LOG_GROUP_DIR}/{hc.STRAY_LOG_FILE} is not a day file" in p for p in problems)
    assert any(f"{hc.CLOUDWATCH_NOT_TEXT} event(s) in {hc.LOG_DAY}.json whose message is not text" in p for p in problems)
    assert not any(str(data) in p for p in problems)  # no local path


def test_the_unreadable_cost_month_is_no_data_with_its_problem(demo):
    data, _ = demo
    rows = query(data, "SELECT DISTINCT current, status FROM dashboard.success_metrics WHERE metric = 'Cost/Month' "
                       "AND as_of >= '2026-03-02' AND as_of < '2026-04-01'")
    assert rows and all(c.startswith("no data (data problem: 2026-03.json: unreadable JSON") and s == "no data"
                        for c, s in rows), rows


def test_published_files_are_text_without_control_characters_and_tables_are_intact(demo):
    data, _ = demo
    repo = data / "bqx-ml"
    files = subprocess.run(["git", "-C", str(repo), "ls-files"], capture_output=True, text=True, check=True)
    numstat = subprocess.run(["git", "-C", str(repo), "log", "--numstat", "--format="], capture_output=True,
                             text=True, check=True).stdout
    assert not any(line.startswith("-\t-\t") for line in numstat.splitlines())  # git saw no binary file
    for name in files.stdout.split():
        text = (repo / name).read_bytes().decode("utf-8")
        assert not BAD.search(text), name
        if name.endswith(".md"):  # (a JSON twin holds the text as data: nothing renders it)
            assert not hc.LIVE_IN_MARKDOWN.search(text), (name, hc.LIVE_IN_MARKDOWN.search(text))
            assert not re.search(r"^#+ not a heading", text, re.MULTILINE), name  # a newline starts no heading
        lines = text.split("\n")
        for i, line in enumerate(lines):
            if line.startswith("|---") or line.startswith("| ---"):
                width = len(re.findall(r"(?<!\\)\|", lines[i - 1]))
                for row in lines[i + 1:]:
                    if not row.startswith("|"):
                        break
                    assert len(re.findall(r"(?<!\\)\|", row)) == width, (name, row[:200])


def test_outbox_texts_are_escaped(demo):
    data, _ = demo
    payloads = [p for (p,) in query(data, "SELECT payload_json FROM ops.outbox")]
    assert payloads
    for text in payloads:
        assert not BAD.search(json.loads(text).get("text", "") if text.startswith("{") else text)
    assert not BAD.search("".join(payloads))
    for text in payloads:  # markup from the sources never becomes a live mention, link or tag in Slack
        slack = json.loads(text).get("text", "") if text.startswith("{") else ""
        assert not hc.LIVE_IN_SLACK.search(slack), (hc.LIVE_IN_SLACK.search(slack), slack[:300])


def test_injected_markup_reaches_the_published_files_inert(demo):
    """The genuine records holding markup are not quarantined: their text is published (escaped)."""
    data, _ = demo
    quarantined = {r for (r,) in query(data, "SELECT record_id FROM airtable.quarantine WHERE record_id IS NOT NULL")}
    landed = json.loads((data / "landing" / "airtable" / "2026-03-31" / "Stages.json").read_text())["records"]
    assert landed[0]["id"] not in quarantined and hc.INJECTION in landed[0]["fields"]["Name"]
    repo = data / "bqx-ml"
    published = "".join(p.read_text(encoding="utf-8") for p in repo.rglob("*.md") if ".git" not in p.parts)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in published
