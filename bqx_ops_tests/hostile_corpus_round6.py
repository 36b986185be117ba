"""Round 6 of the hostile corpus: a JSON key given twice in one object (every source), a CloudWatch day
file holding nothing but white space, a training job whose name is blank. Each case is data with the reason
it must be reported with, written by hand; nothing here calls the code under test."""

from __future__ import annotations

import json

from bqx_ops_tests.base_builder import minimal_base


def with_key_twice(text: str, written: str, again: str) -> str:
    """``text`` (JSON) with ``written`` (``"key": value``, as json.dumps writes it, found once) followed by
    ``again`` in the same object: the key given a second time."""
    assert text.count(written) == 1, written
    return text.replace(written, f"{written}, {again}")


def stages_with_cost_twice() -> tuple[str, str]:
    """The Stages file of minimal_base whose first stage gives Realized Cost twice (25 then 25000): which
    one is meant cannot be told (json kept the last, a 1000-fold cost). (text, reason fragment)"""
    text = json.dumps({"records": minimal_base()["Stages"]})
    return (with_key_twice(text, '"Realized Cost": 25', '"Realized Cost": 25000'),
            "the key 'Realized Cost' is given twice in one object, with different values (25, 25000)")


def stages_with_same_value_twice() -> str:
    """The same key twice with the same value: nothing to choose between, read as written."""
    text = json.dumps({"records": minimal_base()["Stages"]})
    return with_key_twice(text, '"Realized Cost": 25', '"Realized Cost": 25')


ISSUE = {"number": 7, "title": "disk full", "state": "open", "created_at": "2026-03-10T08:00:00Z",
         "closed_at": None, "labels": []}
JOB = {"TrainingJobName": "bqx-w15-1", "TrainingJobStatus": "Failed", "TrainingEndTime": "2026-03-10T01:00:00Z"}
# (source, landing file, its text, reason fragment): each file is no data for its source, said why
SOURCE_FILES_WITH_A_KEY_TWICE = [
    ("github", "github/issues.json", with_key_twice(json.dumps([ISSUE]), '"state": "open"', '"state": "closed"'),
     "github: no data: unreadable landing file github/issues.json: the key 'state' is given twice in one "
     "object, with different values ('open', 'closed')"),
    ("sagemaker", "aws/sagemaker/training_jobs.json",
     with_key_twice(json.dumps([JOB]), '"TrainingJobStatus": "Failed"', '"TrainingJobStatus": "Completed"'),
     "sagemaker: no data: unreadable landing file aws/sagemaker/training_jobs.json: the key 'TrainingJobStatus' "
     "is given twice in one object, with different values ('Failed', 'Completed')"),
]


def cloudwatch_event_with_message_twice(day_ms: int) -> tuple[str, str]:
    """A day file (``day_ms``: noon of its day) whose one event gives its message twice, an ERROR then an
    INFO line: json kept the INFO one, so the error was neither counted nor said. (text, reason fragment)"""
    text = json.dumps([{"timestamp": day_ms, "message": "ERROR disk full"}])
    return (with_key_twice(text, '"message": "ERROR disk full"', '"message": "INFO all good"'),
            "the key 'message' is given twice in one object, with different values ('ERROR disk full', "
            "'INFO all good')")


# a CloudWatch day file of nothing but white space (DuckDB read it as a day without events)
BLANK_DAY_TEXTS = ["", " \n", "\ufeff\n"]
BLANK_DAY_REASON = "empty (no JSON array, not even []); not read"

# training job names that name nothing: each job left out, said (all were one "duplicate", all but one dropped)
BLANK_JOB_NAMES = ["", "   ", "\u200b"]
