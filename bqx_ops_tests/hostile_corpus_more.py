"""Round 4 of the hostile corpus: classes beyond ``hostile_corpus`` (unicode variants of one key,
invisible keys and names, impossible creation times, a duplicate whose first copy is quarantined,
links to the wrong table, numbers, dates and links in other shapes, markup in addresses and names).

Every case is data with the reason the quarantine or the review must give, written by hand;
nothing here calls the code under test.
"""

from __future__ import annotations

import copy
import unicodedata

from bqx_ops_tests.base_builder import minimal_base

SURROGATE = "\ud800"
FIRST_STAGE, SECOND_STAGE = "recSTAGE000000001", "recSTAGE000000002"  # keys "0.1" and "1.1" in minimal_base
DUP_ID = "recDUPK0000000001"


def stage_copy(key: str, created: str = "2025-08-19T08:00:00.000Z", rid: str = DUP_ID) -> dict:
    """The first stage of minimal_base under a new id, created a day later, with the key ``key``."""
    rec = copy.deepcopy(minimal_base()["Stages"][0])
    rec.update(id=rid, createdTime=created)
    rec["fields"]["Stage ID"] = key
    return rec


# -- one stage key written as people (or their tools) write it: each is "0.1", so the copy is a duplicate ------
KEY_VARIANTS = [
    ("zero-width space after", "0.1\u200b"),
    ("byte order mark before", "\ufeff0.1"),
    ("word joiner inside", "0\u2060.1"),
    ("soft hyphen inside", "0.\u00ad1"),
    ("fullwidth digits", "\uff10.\uff11"),
    ("no-break space after", "0.1\u00a0"),
]
# ... and a key with an accent, composed in one record and decomposed in the other (NFC / NFD)
ACCENTED_KEY = "É.1"
NFD_KEY = unicodedata.normalize("NFD", ACCENTED_KEY)


# -- single records made wrong in one field: (case, table, record id, fields changed, createdTime, reason) -----
# the record ids are minimal_base's; None in fields removes nothing (see the test)
RECORD_CASES = [
    ("a Stage ID of spaces", "Stages", FIRST_STAGE, {"Stage ID": "   "}, None,
     "missing required field 'Stage ID' (it holds only spaces or invisible characters: '   ')"),
    ("a Stage ID of a zero-width space", "Stages", FIRST_STAGE, {"Stage ID": "\u200b"}, None,
     "missing required field 'Stage ID' (it holds only spaces or invisible characters: '\\u200b')"),
    ("a name of a byte order mark and a tab", "Phases", "recPHASE000000000", {"Name": "\ufeff\t"}, None,
     "missing required field 'Name' (it holds only spaces or invisible characters: '\\ufeff\\t')"),
    ("a status of one space", "Tasks", "recTASK0000000001", {"Status": " "}, None,
     "missing required field 'Status' (it holds only spaces or invisible characters: ' ')"),
    ("an owner that is invisible", "Stages", SECOND_STAGE, {"Owner": "\u200b\u200c"}, None,
     "'Owner': option contains nothing but spaces or invisible characters"),
    ("a horizon option that is invisible", "Plans", "recPLAN0000000001", {"Horizons": ["w15", "\u2060"]}, None,
     "'Horizons': option contains nothing but spaces or invisible characters"),
    ("created years after the snapshot", "Stages", SECOND_STAGE, {}, "2099-01-01T00:00:00.000Z",
     "createdTime 2099-01-01 is after the snapshot's day 2025-08-25 (by more than 7 days"),
    ("created a month after the snapshot", "Tasks", "recTASK0000000001", {}, "2025-09-30T23:00:00-05:00",
     "createdTime 2025-10-01 is after the snapshot's day 2025-08-25"),  # its UTC day
    # classes already handled, kept here so that they stay so
    ("a phase link naming a stage (the wrong table)", "Stages", FIRST_STAGE, {"Phase": [SECOND_STAGE]}, None,
     f"'Phase' links to {SECOND_STAGE}, which does not exist in Phases"),
    ("a task linking to itself", "Tasks", "recTASK0000000001", {"Stage": ["recTASK0000000001"]}, None,
     "'Stage' links to recTASK0000000001, which does not exist in Stages"),
    ("a link written as one id, not a list", "Stages", FIRST_STAGE, {"Phase": "recPHASE000000000"}, None,
     "'Phase': expected a list of record ids, got 'recPHASE000000000'"),
    ("a link to a deleted record", "Tasks", "recTASK0000000001", {"Stage": ["recDELETED0000001"]}, None,
     "'Stage' links to recDELETED0000001, which does not exist in Stages"),
    ("a cost as the text '12'", "Stages", FIRST_STAGE, {"Realized Cost": "12"}, None,
     "'Realized Cost': expected a number, got '12'"),
    ("a cost of true", "Phases", "recPHASE000000000", {"Realized Cost": True}, None,
     "'Realized Cost': expected a number, got True"),
    ("a cost as a list", "Phases", "recPHASE000000001", {"Estimated Cost": [80]}, None,
     "'Estimated Cost': expected a number, got [80]"),
    ("a date as a number", "Stages", FIRST_STAGE, {"Completed Date": 20250820}, None,
     "'Completed Date': expected a date string, got int"),
    ("a name as a number", "Tasks", "recTASK0000000001", {"Name": 12}, None, "'Name': expected text, got int"),
    ("a key as an object", "Model Results", "recMODL0000000001", {"Result ID": {"text": "x"}}, None,
     "'Result ID': expected text, got dict"),
]

# genuine values that must pass: (case, table, record id, fields changed) -> the typed value of one column
ACCEPTED_CASES = [
    ("a time with +05:30 is read as its UTC day", "Stages", FIRST_STAGE,
     {"Completed Date": "2025-08-20T02:00:00+05:30"}, "completed_date", "2025-08-19"),
    ("a time without a zone is UTC", "Stages", FIRST_STAGE,
     {"Completed Date": "2025-08-20T23:59:59"}, "completed_date", "2025-08-20"),
    ("a leap day", "Decisions", "recDECI0000000001", {"Date": "2024-02-29"}, "date", "2024-02-29"),
    ("an unknown extra field is ignored", "Stages", FIRST_STAGE, {"Colour": {"nested": [1, 2]}}, "stage_id", "0.1"),
    ("a 1 MB note is kept whole", "Phases", "recPHASE000000000", {"Notes": "n" * 1_000_000}, "notes", 1_000_000),
    # an open select's option as people mean it: "w15 " beside "w15" was a third horizon in the ensemble mean
    ("a horizon with spaces and a zero-width space", "Model Results", "recMODL0000000001",
     {"Horizon": " w15\u200b"}, "horizon", "w15"),
    ("an owner with a trailing space", "Stages", SECOND_STAGE, {"Owner": "COORD-001 "}, "owner", "COORD-001"),
    ("a model decomposed (NFD)", "Model Results", "recMODL0000000001",
     {"Model": unicodedata.normalize("NFD", "Modèle")}, "model", "Modèle"),
    ("the ensemble in lower case", "Model Results", "recMODL0000000001", {"Model": "ensemble"}, "model", "Ensemble"),
    ("plan horizons listing one twice", "Plans", "recPLAN0000000001", {"Horizons": ["w15", "w15 ", "w30"]},
     "horizons", "w15,w30"),
]

# -- GitHub items: (item fields, problem fragment); each is kept, its address replaced by the repository's ------
GITHUB_ADDRESS_CASES = [
    ({"html_url": "javascript:alert(1)"}, "html_url 'javascript:alert(1)' is not one http(s) address"),
    ({"html_url": "https://github.com/o/r/issues/1\n# heading | cell"},
     "html_url 'https://github.com/o/r/issues/1\\n# heading | cell' is not one http(s) address"),
    ({"html_url": f"https://github.com/o/r/issues/{SURROGATE}"},
     "html_url 'https://github.com/o/r/issues/\\ud800' is not one http(s) address"),
    ({"html_url": "https://github.com/o/r/issues/1>|<!channel>"},
     "html_url 'https://github.com/o/r/issues/1>|<!channel>' is not one http(s) address"),
]

# -- latency responses (GetMetricData): (case, response, problem fragment) ---------------------------------------
LATENCY_POINT = {"Timestamps": ["2026-03-10T00:00:00Z"], "Values": [50.0]}
LATENCY_CASES = [
    ("the query's Id in capitals", {"MetricDataResults": [{"Id": "P95", **LATENCY_POINT}]},
     "f.json: no result of the query 'p95' (results: 'P95'); none of its points counted"),
    ("a result without an Id", {"MetricDataResults": [dict(LATENCY_POINT)]},
     "f.json: no result of the query 'p95' (results: None); none of its points counted"),
    ("an error message of the whole query", {"MetricDataResults": [{"Id": "p95", "Timestamps": [], "Values": []}],
                                             "Messages": [{"Code": "Forbidden", "Value": "no access"}]},
     "f.json: CloudWatch says {'Code': 'Forbidden', 'Value': 'no access'}"),
    # already handled: kept so
    ("a value as text", {"MetricDataResults": [{"Id": "p95", "Timestamps": ["2026-03-10T00:00:00Z"], "Values": ["50"]}]},
     "f.json: point '2026-03-10T00:00:00Z' = '50': the value is not a non-negative number"),
    ("a timestamp in epoch seconds", {"MetricDataResults": [{"Id": "p95", "Timestamps": [1773100800], "Values": [5]}]},
     "f.json: point 1773100800 = 5: the time is not a time"),
]

# -- Cost Explorer amounts written as no Cost Explorer writes them: never guessed at ------------------------------
COST_AMOUNTS_REFUSED = ["5_000", "\u0661\u0662", " 5 ", "1,200.50", "$5", "12%", "0x10", "NaN", "Infinity", True, [1]]
COST_AMOUNTS_READ = [("12.3456", 12.3456), ("-0.01", -0.01), ("1e2", 100.0), (7, 7.0), (2.5, 2.5)]

# -- the team configuration: (YAML text, what the refusal must say) -----------------------------------------------
CONFIG_REFUSED = [
    ("targets: {budget: true}\n", "targets.budget: Value error, a number, not true or false"),
    ("cost_budget_per_month: yes\n", "cost_budget_per_month: Value error, a number, not true or false"),
    ("targets: {budget: 1e308}\n", "targets.budget: Input should be less than or equal to 10000000"),
    ("cost_budget_per_month: 1.0e+12\n", "cost_budget_per_month: Input should be less than or equal to 10000000"),
    ("targets: {days_max: 99999}\n", "targets.days_max: Input should be less than or equal to 3650"),
    ("targets: {horizons: [w15, w30, w15]}\n", "targets.horizons: Value error, w15 listed more than once"),
    ("targets: {horizons: [w15, '  ']}\n", "targets.horizons: Value error, a name that can be seen"),
    ("start_date: 1772323200\n", "start_date: Value error, a day as YYYY-MM-DD, not int 1772323200"),
    ("project: {name: ''}\n", "project.name: Value error, a name that can be seen"),
    ('project: {name: "\\u200b\\u200b"}\n', "project.name: Value error, a name that can be seen"),
    ('roles: {qa: "\\ufeff "}\n', "roles.qa: Value error, a person's or role's name, not empty"),
    ("aws: {latency: {namespace: '', metric: Latency}}\n", "aws.latency.namespace: Value error, a name that can be seen"),
    ("aws: {latency: {namespace: AWS/ApiGateway, metric: Latency, to_ms: true}}\n",
     "aws.latency.to_ms: Value error, a number, not true or false"),
    # a key given twice: YAML kept the last one silently
    ("targets: {budget: 650}\nproject: {name: x}\ntargets: {budget: 9}\n",
     "not valid YAML: the key 'targets' is given twice in one mapping"),
    ("roles: {qa: Ana, qa: Bob}\n", "not valid YAML: the key 'qa' is given twice in one mapping"),
]
RULES_REFUSED = [
    ("priorities: {P0: {sla_hours: 4}, P0: {sla_hours: 400}}\n", "the key 'P0' is given twice in one mapping"),
]

# -- GitHub texts besides the title, shown in the inventory: (item fields, problem fragment); each kept ---------
GITHUB_TEXT_CASES = [
    ({"user": {"login": f"dev{SURROGATE}"}}, "user login 'dev\\ud800' contains a lone UTF-16 surrogate \\ud800 at position 3"),
    ({"assignees": [{"login": "ops\x00"}]}, "assignee login 'ops\\x00' contains a control character \\x00 at position 3"),
    ({"labels": [{"name": "priority:P1\x1b[31m"}]},
     "label 'priority:P1\\x1b[31m' contains a control character \\x1b at position 11"),
]

# -- roles named with Slack's control sequences: a Slack text must never ping with them -------------------------
HOSTILE_ROLES = "roles: {coordinator: '<!channel>', approver: '@here <@U0HOST> *boss* & co'}\n"


# -- CloudWatch: one event listed twice in a day file (the same eventId) is one event ----------------------------
def repeated_events_text(day_ms: int) -> str:
    """A day file's JSON (``day_ms``: noon of its day): three events, the first listed again."""
    import json

    events = [{"timestamp": day_ms, "message": "ERROR disk full", "eventId": "301"},
              {"timestamp": day_ms + 5, "message": "WARN slow query", "eventId": "302"},
              {"timestamp": day_ms, "message": "ERROR disk full", "eventId": "301"},
              {"timestamp": day_ms + 9, "message": "WARN slow query", "eventId": "303"}]
    return json.dumps(events)

# -- an assessment input's Quarter as people write it: (written, read as, or None and the reason) -----------------
QUARTER_CASES = [
    ("Q1-2026", "Q1-2026", None),
    ("q1 2026", "Q1-2026", None),
    (" Q1-2026 ", "Q1-2026", None),
    ("Q1/2026", "Q1-2026", None),
    ("Q5-2026", None, "'Quarter': 'Q5-2026' is not a quarter (expected the form Q1-2026)"),
    ("2026-Q1", None, "'Quarter': '2026-Q1' is not a quarter (expected the form Q1-2026)"),
    ("Q1-26", None, "'Quarter': 'Q1-26' is not a quarter (expected the form Q1-2026)"),
    ("first quarter", None, "'Quarter': 'first quarter' is not a quarter"),
]
