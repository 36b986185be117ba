"""A corpus of hostile inputs for every source, each with the reason it must be reported with.

Every case is data: what to land, and a fragment of the reason the quarantine or the
review's data problems must give. The tests (test_hostile_*.py) land them through the
real assets and assert each reason; nothing here calls bqx_ops code under test.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
import shutil
from pathlib import Path

from bqx_ops_tests.base_builder import record

SURROGATE, NUL, BELL, ESC = "\ud800", "\x00", "\x07", "\x1b"
# markdown, HTML and Slack mrkdwn that must stay inert wherever a source's text is published
INJECTION = "<script>alert(1)</script> <!channel> @here <@U0HOST> [x](javascript:alert(1)) | a | b `tick` *bold*"
LIVE_IN_MARKDOWN = re.compile(r"<script|<!channel>|<@U0HOST>|(?<!\\)\]\(javascript:", re.IGNORECASE)  # \] is inert
LIVE_IN_SLACK = re.compile(r"<script|<!channel>|<@U0HOST>|@here", re.IGNORECASE)
CONTROL_OR_SURROGATE = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]"  # what must never be published

# -- Airtable, one record each: (case, table, key value, fields changed, createdTime, reason fragment) ----------
# Each hostile record is a copy of the first record of its table in the base (so its links hold) with a
# new id and a new human key, so the only thing wrong with it is the hostile value.
RECORD_CASES = [
    ("cost 1e308", "Stages", "H.1", {"Realized Cost": 1e308}, None,
     "'Realized Cost': 1e+308 is above the maximum 1e+07"),
    ("estimate 2**63 in an integer", "Stages", "H.2", {"Estimated Days": 2**63}, None,
     "'Estimated Days': 9223372036854775808 is above the maximum 3650"),
    ("phase number 2**63", "Phases", "PH", {"Number": 2**63}, None,
     "'Number': 9223372036854775808 is above the maximum 1000"),
    ("budget 1e308", "Plans", "MP-H", {"Estimated Budget": 1e308}, None,
     "'Estimated Budget': 1e+308 is above the maximum 1e+07"),
    ("R² -1e308", "Model Results", "H-r2", {"R2": -1e308}, None, "'R2': -1e+308 is below the minimum -1"),
    ("R² band the wrong way round", "Plans", "MP-H2", {"R2 Target Min": 0.99, "R2 Target Max": 0.9}, None,
     "'R2 Target Min' 0.99 is above 'R2 Target Max' 0.9"),
    ("stage completed before it started", "Stages", "H.6", {"Start Date": "2026-03-05", "Completed Date": "2026-03-01"},
     None, "'Start Date' 2026-03-05 is after 'Completed Date' 2026-03-01"),
    ("date 9999-12-31", "Stages", "H.3", {"Start Date": "9999-12-31"}, None,
     "'Start Date': date '9999-12-31' is outside 2000-01-01 .. 2099-12-31"),
    ("date 0001-01-01", "Decisions", "H decision", {"Date": "0001-01-01"}, None,
     "'Date': date '0001-01-01' is outside 2000-01-01 .. 2099-12-31"),
    ("last modified 9999", "Tasks", "T-H1", {"Last Modified": "9999-12-31T23:59:59.000Z"}, None,
     "'Last Modified': date '9999-12-31T23:59:59.000Z' is outside"),
    ("createdTime 0001", "Tasks", "T-H2", {}, "0001-01-01T00:00:00.000Z",
     "createdTime: date '0001-01-01T00:00:00.000Z' is outside"),
    ("lone surrogate in a name", "Stages", "H.4", {"Name": f"Ingest {SURROGATE} BQX"}, None,
     "'Name': text contains a lone UTF-16 surrogate \\ud800 at position 7"),
    ("NUL in notes", "Phases", "PH2", {"Notes": f"ok{NUL}bad{NUL}"}, None,
     "'Notes': text contains a control character \\x00 at position 2 (2 in all)"),
    ("C1 control in notes", "Stages", "H.5", {"Notes": "next\x85line\x7f"}, None,
     "'Notes': text contains a control character \\x85 at position 4 (2 in all)"),
    ("bell and escape in a title", "Learnings", f"ding{BELL}{ESC}[31m", {}, None,
     "'Title': text contains a control character \\x07 at position 4 (2 in all)"),
    # a link names one record: a second id would move the stage silently (only the first was read)
    ("a stage on two phases", "Stages", "H.7", lambda base: {"Phase": [base["Phases"][-1]["id"], base["Phases"][0]["id"]]},
     None, "'Phase': links to 2 records ("),
    # ... and every id is checked: a dangling second id was never looked at
    ("a dangling second link", "Stages", "H.8", lambda base: {"Phase": [base["Phases"][0]["id"], "recDOESNOTEXIST00"]},
     None, "'Phase' links to recDOESNOTEXIST00, which does not exist in Phases"),
    # what records something done cannot be dated after the snapshot (a planned start may: see test_validation)
    ("evaluated after the snapshot", "Model Results", "H-future", {"Evaluated On": "2099-06-01", "R2": 0.999}, None,
     "'Evaluated On' 2099-06-01 is after the snapshot's day"),
    ("completed after the snapshot", "Stages", "H.9", {"Completed Date": "2099-06-01"}, None,
     "'Completed Date' 2099-06-01 is after the snapshot's day"),
    ("decided after the snapshot", "Decisions", "H future decision", {"Date": "2099-06-01"}, None,
     "'Date' 2099-06-01 is after the snapshot's day"),
    # round 3: an integer beyond any float (math.isfinite raised OverflowError: the whole snapshot failed)
    ("cost of 401 digits", "Stages", "H.11", {"Realized Cost": 10**400}, None,
     "'Realized Cost': an integer of about 401 digits is above the maximum 1e+07"),
    ("days of minus 401 digits", "Phases", "PH3", {"Estimated Days": -10**400}, None,
     "'Estimated Days': an integer of about 401 digits is below the minimum 0"),
    # numbers written as people write them are text, never guessed at
    ("cost with a thousands comma", "Stages", "H.12", {"Estimated Cost": "1,234.50"}, None,
     "'Estimated Cost': expected a number, got '1,234.50'"),
    ("budget with a dollar sign", "Plans", "MP-H3", {"Estimated Budget": "$1,000"}, None,
     "'Estimated Budget': expected a number, got '$1,000'"),
    ("R² as a percentage", "Model Results", "H-pct", {"R2": "95%"}, None, "'R2': expected a number, got '95%'"),
    ("R² padded with spaces", "Model Results", "H-pad", {"R2": " 0.95 "}, None, "'R2': expected a number, got ' 0.95 '"),
    ("R² just above 1", "Model Results", "H-above", {"R2": 1.0000001}, None, "'R2': 1.0000001 is above the maximum 1"),
    ("negative estimated days", "Stages", "H.13", {"Estimated Days": -3}, None, "'Estimated Days': -3 is below the minimum 0"),
    # dates in other formats (Python read 20260105 and 2026-W01-1 as days), days that do not exist
    ("slashed date", "Stages", "H.14", {"Start Date": "2026/01/05"}, None,
     "'Start Date': malformed date '2026/01/05' (expected YYYY-MM-DD)"),
    ("day-first date", "Tasks", "T-H3", {"Due Date": "05/01/2026"}, None, "'Due Date': malformed date '05/01/2026'"),
    ("compact date", "Decisions", "H compact date", {"Date": "20260105"}, None, "'Date': malformed date '20260105'"),
    ("ISO week date", "Tasks", "T-H4", {"Due Date": "2026-W01-1"}, None, "'Due Date': malformed date '2026-W01-1'"),
    ("30 February", "Stages", "H.15", {"Start Date": "2026-02-30"}, None,
     "'Start Date': malformed date '2026-02-30' (no such day)"),
    ("29 February of a common year", "Learnings", "H leap", {"Date": "2026-02-29"}, None,
     "'Date': malformed date '2026-02-29' (no such day)"),
    ("a time at +14:00 that is 1999 in UTC", "Tasks", "T-H5", {"Last Modified": "2000-01-01T00:30:00+14:00"}, None,
     "'Last Modified': date '2000-01-01T00:30:00+14:00' is outside 2000-01-01 .. 2099-12-31"),
    ("createdTime that is no time", "Tasks", "T-H6", {}, "yesterday", "createdTime: malformed datetime 'yesterday'"),
    # selects as people mistype them, lookups and attachments where one value is expected
    ("a status with a trailing space", "Stages", "H.16", {"Status": "Done "}, None, "'Status': unknown option 'Done '"),
    ("a status in lower case", "Tasks", "T-H7", {"Status": "done"}, None, "'Status': unknown option 'done'"),
    ("a status of 10,000 characters", "Tasks", "T-H8", {"Status": "x" * 10_000}, None,
     "'Status': unknown option '" + "x" * 50),
    ("an owner lookup of two people", "Stages", "H.17", {"Owner": ["ANA", "BOB"]}, None,
     "'Owner': expected one option, got list"),
    ("an attachment as notes", "Stages", "H.18", {"Notes": [{"url": "https://x.test/a.pdf", "filename": "a.pdf"}]},
     None, "'Notes': expected text, got list"),
    ("a boolean as a name", "Phases", "PH4", {"Name": True}, None, "'Name': expected text, got bool"),
    ("an object as a phase number", "Phases", "PH5", {"Number": {"value": 3}}, None,
     "'Number': expected a number, got {'value': 3}"),
]
KEY_FIELD = {"Stages": "Stage ID", "Phases": "Phase ID", "Plans": "Plan ID", "Model Results": "Result ID",
             "Decisions": "Title", "Learnings": "Title", "Tasks": "Task Key"}


def hostile_record(base: dict, case: tuple) -> tuple[str, dict]:
    """(table, record) of one RECORD_CASES entry, built on ``base``."""
    name, table, key, fields, created, _ = case
    rec = copy.deepcopy(base[table][0])
    rec["id"] = "recHOST" + f"{RECORD_CASES.index(case):010d}"
    rec["fields"][KEY_FIELD[table]] = key
    rec["fields"].update(fields(base) if callable(fields) else fields)  # links name the base's own records
    if created:
        rec["createdTime"] = created
    return table, rec


def with_hostile_records(base: dict) -> dict:
    out = copy.deepcopy(base)
    for case in RECORD_CASES:
        table, rec = hostile_record(base, case)
        out[table].append(rec)
    return out


# a duplicate key as people write it: the same key with spaces around it is the same key ("9.5 " and "9.5")
KEY_SPELLINGS = {"exact": lambda k: k, "trailing space": lambda k: k + " ", "spaces around": lambda k: f"  {k} "}


def with_duplicate_key(base: dict, table: str = "Stages", spelling: str = "exact",
                       dup_id: str = "recDUPL0000000001") -> tuple[dict, str, str]:
    """``base`` plus a copy of the table's first record under a new id, created later and listed
    first, its key written per ``spelling``: (base, kept id, duplicate id). The earliest created
    must be kept whatever the order."""
    out = copy.deepcopy(base)
    original = out[table][0]
    dup = copy.deepcopy(original)
    created = dt.datetime.fromisoformat(original["createdTime"].replace("Z", "+00:00")) + dt.timedelta(days=1)
    dup["id"], dup["createdTime"] = dup_id, created.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    dup["fields"][KEY_FIELD[table]] = KEY_SPELLINGS[spelling](original["fields"][KEY_FIELD[table]])
    dup["fields"]["Name"] = "Same key, later record"
    out[table].insert(0, dup)
    return out, original["id"], dup["id"]


def surrogate_id_record() -> dict:
    return record(f"rec{SURROGATE}BAD", {"Stage ID": "H.9", "Name": "bad id", "Status": "Todo"})


def odd_id_record(base: dict, rid) -> dict:
    """A stage whose id is not text (a list, an object, a number, null): it names no record."""
    rec = copy.deepcopy(base["Stages"][0])
    rec["id"] = rid
    rec["fields"]["Stage ID"] = "H.19"
    return rec


def empty_id_record(base: dict) -> dict:
    """A stage whose id is "": it names no record, so nothing could link to it or carry it forward."""
    rec = copy.deepcopy(base["Stages"][0])
    rec["id"] = ""
    rec["fields"]["Stage ID"] = "H.10"
    return rec


# -- whole landing files that cannot be read: (case, how to make ``path`` unreadable, reason fragment) ---------
DEEP_JSON = "[" * 100_000 + "]" * 100_000  # json.loads raises RecursionError on it


def deep_table_text() -> str:
    """A table file whose one record holds the deeply nested value (valid JSON, unreadable in Python)."""
    return ('{"records": [{"id": "recDEEP0000000001", "createdTime": "2025-08-18T00:00:00.000Z", '
            '"fields": {"Notes": ' + DEEP_JSON + '}}]}')


def make_deep(path: Path) -> None:
    write_raw(path, deep_table_text() if path.parent.parent.name == "airtable" else DEEP_JSON)


def make_directory(path: Path) -> None:
    if path.exists():
        path.unlink()
    path.mkdir(parents=True)


UNREADABLE_FILE_CASES = [  # a PermissionError (chmod 000) is raised by a patched read: the tests run as root
    ("nested 100000 levels", make_deep, "JSON nested deeper than 100 levels"),
    ("a directory", make_directory, "IsADirectoryError"),
]
PERMISSION_REASON = "PermissionError"


# -- whole table files ------------------------------------------------------------------------------------------
def write_raw(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))


def with_bom(obj) -> bytes:
    return b"\xef\xbb\xbf" + json.dumps(obj).encode("utf-8")


# genuine records (never quarantined) whose text is markup: (table, field); published, it must stay inert
INJECTED_TEXT = [("Stages", "Name"), ("Tasks", "Name"), ("Decisions", "Title"), ("Learnings", "What Didn't"),
                 ("Artifacts", "Name"), ("Phases", "Notes")]


def with_injected_text(base: dict) -> dict:
    out = copy.deepcopy(base)
    for table, name in INJECTED_TEXT:
        if out.get(table):
            fields = out[table][0]["fields"]
            fields[name] = f"{fields.get(name) or ''} {INJECTION}\n# not a heading".strip()
    if out.get("Artifacts"):  # an artifact's content is markdown, kept as such: its HTML and code links made inert
        fields = out["Artifacts"][0]["fields"]
        fields["Content"] = f"{fields.get('Content') or ''}\n\n{INJECTION}"
    return out


# -- GitHub issues: (item, problem fragment) -------------------------------------------------------------------
def gh(number: int, title: str, created="2026-03-10T08:00:00Z", closed=None, state="open", **extra) -> dict:
    return {"number": number, "title": title, "created_at": created, "closed_at": closed, "state": state,
            "updated_at": extra.pop("updated_at", created), "html_url": f"https://github.com/o/r/issues/{number}",
            "labels": [{"name": "priority:P1"}, {"name": "category:infrastructure"}], **extra}


GITHUB_KEPT_WITH_A_PROBLEM = ["9014", "9015", "9016", "9020"]
GITHUB_KEPT = ["9021", "9022", "9023"]  # genuine but hostile to publish or to triage: kept, no problem  # a wrong type in a field read as absent: kept
GITHUB_CASES = [
    (gh(9001, f"Lone {SURROGATE} surrogate"), "#9001: title contains a lone UTF-16 surrogate \\ud800"),
    (gh(9002, f"NUL{NUL} and bell{BELL}"), "#9002: title contains a control character \\x00"),
    (gh(9003, "closed before created", created="2026-03-10T08:00:00Z", closed="2026-03-01T08:00:00Z",
        state="closed"), "#9003: closed (2026-03-01 08:00) before it was created (2026-03-10 08:00); left out"),
    (gh(9004, "from the future", created="2099-01-01T00:00:00Z"), "#9004: created in the future (2099-01-01 00:00"),
    (gh(9005, "closed at nonsense", closed="yesterday-ish", state="closed"),
     "#9005: closed, but closed_at 'yesterday-ish' is not a plausible time; left out"),
    (gh(9007, "created in year 1", created="0001-01-01T00:00:00+05:00"),
     "#9007: created_at '0001-01-01T00:00:00+05:00' is not a plausible time; left out"),
    (dict(gh(9009, "number as text"), number="9009"), ": number '9009' is not an issue number; left out"),
    (dict(gh(9010, "number as a boolean"), number=True), ": number True is not an issue number; left out"),
    (dict(gh(9011, "labels as one string"), labels="priority:P0"),
     "#9011: labels is 'priority:P0', not a list; triaged on the labels that could be read"),
    (dict(gh(9013, "labels null"), labels=None), "#9013: labels is null; triaged on the labels that could be read"),
    (dict(gh(9012, "a label without a name"), labels=[{"name": None}, {"name": "priority:P2"}]),
     "#9012: 1 label(s) without a name ({'name': None}); triaged on the labels that could be read"),
    (gh(9008, "closed in 9999", closed="9999-12-31T23:59:59-05:00", state="closed"),
     "#9008: closed, but closed_at '9999-12-31T23:59:59-05:00' is not a plausible time; left out"),
    (gh(9014, "assignees as a number", assignees=5), "#9014: assignees is 5, not a list; read as none"),
    (gh(9015, "user as text", user="alice"), "#9015: user is 'alice', not a user with a login; author shown as ghost"),
    (dict(gh(9016, "x"), title=["a"]), "#9016: title is ['a'], not text; shown as (no title)"),
    (dict(gh(9017, "negative number"), number=-5),
     ": number -5 is not an issue number; left out (an issue number is a whole number from 0 to 2147483647)"),
    (dict(gh(9017, "number 2**70"), number=2**70), f": number {2**70} is not an issue number"),
    (gh(9018, "state in capitals", closed="2026-03-11T08:00:00Z", state="OPEN"),
     "#9018: state 'OPEN' is not 'open' or 'closed'; left out"),
    (gh(9019, "state null", closed="2026-03-11T08:00:00Z", state=None),
     "#9019: state None is not 'open' or 'closed'; left out"),
    (dict(gh(9020, "a blank label"), labels=[{"name": "   "}, {"name": "priority:P2"}]),
     "#9020: 1 label(s) whose name is empty or only spaces ({'name': '   '}); triaged on the labels that could be read"),
    (dict(gh(9021, INJECTION), body=None, user=None), None),  # a deleted user, no body: kept, shown inert
    # labels as people write them: around spaces, another case, a space after the colon (read as P0, P1)
    (dict(gh(9022, "label with spaces and case"), labels=[{"name": " p0 "}]), None),
    (dict(gh(9023, "label with a space after the colon"), labels=[{"name": "Priority: P1"}]
          + [{"name": f"tag-{i}"} for i in range(300)]), None),
    (gh(9006, "first copy", updated_at="2026-03-10T08:00:00Z"), None),  # the duplicate below is newer
    (gh(9006, "second copy, newer", updated_at="2026-03-11T08:00:00Z"),
     "duplicate issue number #9006: item"),
]


# -- SageMaker jobs: (job, problem fragment) -------------------------------------------------------------------
def job(name: str, status, ended="2026-03-10T01:00:00.000+00:00", r2=None, **extra) -> dict:
    out = {"TrainingJobName": name, "TrainingEndTime": ended, "LastModifiedTime": ended,
           "HyperParameters": {"model": "HOST", "horizon": name.rsplit("-", 1)[-1]}, **extra}
    if status is not None:
        out["TrainingJobStatus"] = status
    if r2 is not None:
        out["FinalMetricDataList"] = [{"MetricName": "validation:r2", "Value": r2}]
    return out


HOSTX = {"model": "HOSTX", "horizon": "w15"}
SAGEMAKER_CASES = [
    (job("host-nan-1", "Completed", ended="2026-03-08T01:00:00.000+00:00", r2=0.9), None),
    (job("host-nan-2", "Completed", r2=float("nan")),
     "job host-nan-2: final validation:r2 nan is not a finite number within ±1e+06; not compared"),
    (job("host-inf-1", "Completed", ended="2026-03-08T01:00:00.000+00:00", r2=0.9), None),
    (job("host-inf-2", "Completed", r2="Infinity"),
     "job host-inf-2: final validation:r2 'Infinity' is not a finite number within ±1e+06; not compared"),
    (job("host-huge-1", "Completed", ended="2026-03-08T01:00:00.000+00:00", r2=0.9), None),
    (job("host-huge-2", "Completed", r2=-1e308),
     "job host-huge-2: final validation:r2 -1e+308 is not a finite number within ±1e+06; not compared"),
    (job("host-year-9999", "Completed", ended="9999-12-31T00:00:00.000+00:00", r2=0.5),
     "job host-year-9999: Completed without a readable end time; left out"),
    (job("host-lower", "completed"), "job host-lower: status 'completed' is not a SageMaker status"),
    (job("host-missing", None), "job host-missing: status None is not a SageMaker status"),
    (job("host-unknown", "Crashed"), "job host-unknown: status 'Crashed' is not a SageMaker status"),
    (job("host-endtime", "Failed", ended="the 10th of March", FailureReason="OOM"),
     "job host-endtime: Failed without a readable end time; left out"),
    (dict(job("host-metrics-text", "Completed", ended="2026-03-08T02:00:00.000+00:00"), FinalMetricDataList="r2 0.9"),
     "job host-metrics-text: no final validation:r2 (FinalMetricDataList is 'r2 0.9'); not compared"),
    # one series (HOSTX w15): text and a boolean are not numbers; read as 0.99 and 1.0 they made a degradation to 0.96
    (job("host-text-r2", "Completed", ended="2026-03-05T01:00:00.000+00:00", r2="0.99", HyperParameters=HOSTX),
     "job host-text-r2: final validation:r2 '0.99' is not a finite number within ±1e+06; not compared"),
    (job("host-bool-r2", "Completed", ended="2026-03-06T01:00:00.000+00:00", r2=True, HyperParameters=HOSTX),
     "job host-bool-r2: final validation:r2 True is not a finite number within ±1e+06; not compared"),
    (job("host-real-r2", "Completed", ended="2026-03-07T01:00:00.000+00:00", r2=0.96, HyperParameters=HOSTX), None),
    (job("host-inject", "Failed", FailureReason=INJECTION + "\nsecond line"), None),
    (dict(job("host-two-r2", "Completed", ended="2026-03-09T01:00:00.000+00:00"), FinalMetricDataList=[
        {"MetricName": "validation:r2", "Value": 0.9}, {"MetricName": "validation:r2", "Value": 0.5}]),
     "job host-two-r2: final validation:r2 given 2 times with different values (0.9, 0.5); not compared"),
    (job("host-backwards", "Failed", CreationTime="2026-03-11T00:00:00.000+00:00", FailureReason="x"),
     "job host-backwards: ended (2026-03-10 01:00) before it was created (2026-03-11 00:00); left out"),
    (job("host-dup", "Failed", FailureReason="first copy", LastModifiedTime="2026-03-10T02:00:00.000+00:00"), None),
    (job("host-dup", "Failed", FailureReason="second copy, older", LastModifiedTime="2026-03-10T01:30:00.000+00:00"),
     "duplicate job name host-dup: job"),
]


# -- CloudWatch day file events ---------------------------------------------------------------------------------
def cloudwatch_day_text(day: dt.date) -> str:
    """A day file (JSON text, as landed) with genuine events, one lone surrogate (a raw JSON escape, as
    an API may send it), a NUL, a timestamp in seconds and one far in the future."""
    t = int(dt.datetime.combine(day, dt.time(12), dt.timezone.utc).timestamp() * 1000)
    events = [
        {"timestamp": t, "message": "ERROR genuine failure one"},
        {"timestamp": t + 1, "message": "ERROR genuine failure two"},
        {"timestamp": t + 2, "message": "ERROR broken SURROGATE_HERE text"},
        {"timestamp": t + 3, "message": "WARN nul NUL_HERE inside"},
        {"timestamp": t // 1000, "message": "ERROR stamped in seconds"},
        {"timestamp": 4102444800000, "message": "ERROR stamped in 2100"},
        {"timestamp": t + 4, "message": "ERROR " + INJECTION},
        # no log line: never counted (an object's JSON text was matched as an ERROR), reported
        {"timestamp": t + 5, "message": None},
        {"timestamp": t + 6, "message": {"ERROR": "an object"}},
        {"timestamp": t + 7, "message": 404},
        {"timestamp": t + 8},
    ]
    text = json.dumps(events, indent=1)
    return text.replace("SURROGATE_HERE", "\\ud800").replace("NUL_HERE", "\\u0000")


CLOUDWATCH_NOT_TEXT = 4  # events of cloudwatch_day_text whose message is not text
STRAY_LOG_FILE = "2026-3-12.json"  # not a day file's name: never read, said


def cloudwatch_object_day_text(day: dt.date) -> str:
    """A day file holding an object where filter_log_events' events array is expected."""
    t = int(dt.datetime.combine(day, dt.time(12), dt.timezone.utc).timestamp() * 1000)
    return json.dumps({"events": [{"timestamp": t, "message": "ERROR inside an object"}]})


# -- Cost Explorer month files -----------------------------------------------------------------------------------
def cost_day(start: str, *groups: tuple[str, str, str]) -> dict:
    return {"TimePeriod": {"Start": start, "End": start}, "Estimated": False, "Total": {},
            "Groups": [{"Keys": [s], "Metrics": {"UnblendedCost": {"Amount": a, "Unit": u}}} for s, a, u in groups]}


def hostile_cost_months() -> dict[str, object]:
    """File name -> content (a str is written as is). 2026-03 is not JSON, 2026-04 has no ResultsByTime,
    2026-02 has a credit, a EUR amount, a day given twice and a day that 2026-01 also holds, 2026-05
    malformed entries and groups beside a good one."""
    return {
        "2026-01.json": {"ResultsByTime": [cost_day("2026-01-31", ("Amazon S3", "1.50", "USD"))]},
        "2026-02.json": {"ResultsByTime": [
            cost_day("2026-01-31", ("Amazon S3", "99.00", "USD")),  # January's day: 2026-01.json wins
            cost_day("2026-02-01", ("Amazon S3", "10.00", "USD"), ("AWS Lambda", "-4.00", "USD"),
                     ("Amazon EC2", "50.00", "EUR")),
            cost_day("2026-02-01", ("Amazon S3", "1000.00", "USD")),  # the same day again: the first wins
            cost_day("2026-02-02", ("Amazon S3", "2.25", "USD"), ("Amazon Bogus", "1e308", "USD")),
            cost_day("9999-12-31", ("Amazon S3", "1.00", "USD")),
            cost_day("0001-01-01", ("Amazon S3", "1.00", "USD")),
        ]},
        "2026-03.json": "{not json at all",
        "2026-04.json": {"NextPageToken": "x"},
        "2026-06.json": DEEP_JSON,  # unreadable: nested 100000 levels (2026-07.json is a directory: see the test)
        "2026-05.json": {"ResultsByTime": [  # malformed parts: each skipped with its reason, the rest counted
            cost_day("2026-05-01", ("Amazon S3", "abc", "USD"), ("AWS Lambda", "2.00", "USD")),
            {"TimePeriod": {"Start": "2026-05-02", "End": "2026-05-03"}, "Groups": None},
            cost_day("2026-05-03", ("Amazon S3", None, "USD")),
            {"TimePeriod": {"Start": "2026-05-04"}, "Groups": [
                {"Keys": [], "Metrics": {"UnblendedCost": {"Amount": "1", "Unit": "USD"}}},
                {"Keys": ["Amazon S3"], "Metrics": {}}, "a string group"]},
            {"Groups": []},
            "a string day",
            # a month's cost on its first day (MONTHLY data) would be all of it in every month-to-date
            dict(cost_day("2026-05-06", ("Amazon S3", "500.00", "USD")), TimePeriod={"Start": "2026-05-06",
                                                                                     "End": "2026-06-01"}),
            dict(cost_day("2026-05-07", ("Amazon S3", "7.00", "USD")), TimePeriod={"Start": "2026-05-07",
                                                                                   "End": "2026-05-01"}),
            cost_day("2026-05-08", ("Amazon S3", 2.5, "USD")),  # an amount as a JSON number: counted
            cost_day("2026-05-09", ("Amazon S3", "1.00", "USD"), ("Amazon S3 ", "100.00", "USD")),  # one service
            # no service given for a day's cost: a problem, never $0.00; a zero Total is a day without cost
            {"TimePeriod": {"Start": "2026-05-10", "End": "2026-05-11"}, "Groups": [],
             "Total": {"UnblendedCost": {"Amount": "7.00", "Unit": "USD"}}},
            {"TimePeriod": {"Start": "2026-05-11", "End": "2026-05-12"}, "Groups": [],
             "Total": {"UnblendedCost": {"Amount": "0", "Unit": "USD"}}},
        ]},
    }


# -- the whole corpus, injected into a sample landing zone (March 2026) ---------------------------------------
RECORDS_DAY, GONE_DAY, BROKEN_DAY, DUPLICATE_DAY = (dt.date(2026, 3, d) for d in (2, 6, 9, 13))
STRAY_FOLDER = "2026-3-14"  # a copy of a snapshot under a name that is not YYYY-MM-DD: never read, reported
LOG_GROUP_DIR, LOG_DAY = "__bqx-ml__pipeline", dt.date(2026, 3, 12)


def inject_into_sample(data_dir: Path) -> None:
    """Every hostile case of this module, in the landing zone of a written sample."""
    root = Path(data_dir) / "landing"

    def tables(day: dt.date) -> dict:
        return {p.stem: json.loads(p.read_text(encoding="utf-8"))["records"]
                for p in (root / "airtable" / day.isoformat()).glob("*.json")}

    def write_tables(day: dt.date, base: dict) -> None:
        for name, records in base.items():
            write_raw(root / "airtable" / day.isoformat() / f"{name}.json",
                      json.dumps({"records": records}, ensure_ascii=True))  # lone surrogates as JSON escapes

    for folder in sorted((root / "airtable").iterdir()):  # genuine records whose text is markup, in every snapshot
        write_tables(dt.date.fromisoformat(folder.name), with_injected_text(tables(dt.date.fromisoformat(folder.name))))
    hostile = with_hostile_records(tables(RECORDS_DAY))
    hostile["Stages"].append(odd_id_record(hostile, ["recLIST000000001", "recLIST000000002"]))  # an id as a list
    write_tables(RECORDS_DAY, hostile)
    (root / "airtable" / GONE_DAY.isoformat() / "Stages.json").unlink()
    (root / "airtable" / GONE_DAY.isoformat() / "Plans.json").unlink()
    write_raw(root / "airtable" / BROKEN_DAY.isoformat() / "Phases.json", json.dumps({"records": []}))
    write_raw(root / "airtable" / BROKEN_DAY.isoformat() / "Tasks.json", "{not json")
    make_deep(root / "airtable" / BROKEN_DAY.isoformat() / "Decisions.json")
    make_directory(root / "airtable" / BROKEN_DAY.isoformat() / "Learnings.json")
    shutil.copytree(root / "airtable" / DUPLICATE_DAY.isoformat(), root / "airtable" / STRAY_FOLDER)
    duplicated, _, _ = with_duplicate_key(tables(DUPLICATE_DAY))
    duplicated, _, _ = with_duplicate_key(duplicated, "Phases", "trailing space", "recDUPL0000000002")
    write_tables(DUPLICATE_DAY, duplicated)
    artifacts = root / "airtable" / DUPLICATE_DAY.isoformat() / "Artifacts.json"
    write_raw(artifacts, b"\xef\xbb\xbf" + artifacts.read_bytes())

    issues = json.loads((root / "github" / "issues.json").read_text(encoding="utf-8"))
    write_raw(root / "github" / "issues.json", json.dumps(issues + [i for i, _ in GITHUB_CASES], ensure_ascii=True))
    jobs_path = root / "aws" / "sagemaker" / "training_jobs.json"
    jobs = json.loads(jobs_path.read_text(encoding="utf-8"))
    write_raw(jobs_path, json.dumps(jobs + [j for j, _ in SAGEMAKER_CASES], ensure_ascii=True))
    write_raw(root / "aws" / "cloudwatch" / LOG_GROUP_DIR / f"{LOG_DAY.isoformat()}.json", cloudwatch_day_text(LOG_DAY))
    write_raw(root / "aws" / "cloudwatch" / LOG_GROUP_DIR / STRAY_LOG_FILE, cloudwatch_day_text(LOG_DAY))
    write_raw(root / "aws" / "costs" / "2026-03.json", "{not json at all")
