"""Round 7 of the hostile corpus: Cost Explorer groups without a Unit, days marked Estimated, service names
differing only by Unicode form or invisible characters, groups of several keys; GitHub issues labelled with
two priorities. Each case is data with what it must give, written by hand; nothing here calls the code
under test."""

from __future__ import annotations

import datetime as dt
import unicodedata

SAGEMAKER_EVAL = "Amazon SageMaker \u00c9val"  # É composed (NFC)
SAGEMAKER_EVAL_NFD = unicodedata.normalize("NFD", SAGEMAKER_EVAL)  # E + combining acute: looks the same
assert SAGEMAKER_EVAL_NFD != SAGEMAKER_EVAL


def group(keys, amount, unit: str | None = "USD") -> dict:
    metric = {"Amount": amount} if unit is None else {"Amount": amount, "Unit": unit}
    return {"Keys": list(keys), "Metrics": {"UnblendedCost": metric}}


def day(start: str, *groups, **extra) -> dict:
    end = (dt.date.fromisoformat(start) + dt.timedelta(days=1)).isoformat()
    return {"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Groups": list(groups), **extra}


BY_SERVICE = [{"Type": "DIMENSION", "Key": "SERVICE"}]
COST_MONTHS = {
    "2026-03.json": {"GroupDefinitions": BY_SERVICE, "ResultsByTime": [
        day("2026-03-02", group(["Amazon S3"], "2.00", unit=None), group(["Amazon EC2"], "3.00")),
        day("2026-03-03", group([SAGEMAKER_EVAL], "1.25"), group([SAGEMAKER_EVAL_NFD], "9.00"),
            group(["Amazon\u200b S3"], "0.50"), group(["Amazon S3"], "7.00")),
        day("2026-03-04", group([SAGEMAKER_EVAL_NFD], "2.00"), Estimated=True),
        day("2026-03-05", group(["Amazon S3"], "1.00"), Estimated="yes"),
    ]},
    # grouped by account and service: the service is the second key, summed over the accounts
    "2026-04.json": {"GroupDefinitions": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, *BY_SERVICE],
                     "ResultsByTime": [day("2026-04-01", group(["111", "Amazon S3"], "1.00"),
                                           group(["222", "Amazon S3"], "2.00"), group(["111", "AWS Lambda"], "0.25"))]},
    # two keys per group with no GroupDefinitions; a EUR amount beside one without a Unit
    "2026-05.json": {"ResultsByTime": [
        day("2026-05-01", group(["Amazon S3", "us-east-1"], "1.00"), group(["Amazon S3", "eu-west-1"], "0.50")),
        day("2026-05-02", group(["Amazon EC2"], "5.00", unit="EUR"), group(["AWS Lambda"], "4.00", unit=None)),
    ]},
    # grouped by account only: no service at all
    "2026-06.json": {"GroupDefinitions": [{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}],
                     "ResultsByTime": [day("2026-06-01", group(["111"], "3.00"))]},
}

# aws.daily_costs from COST_MONTHS, worked out by hand:
# 03-02: S3 without Unit counted as USD; 03-03: the NFD SageMaker and the zero-width-space S3 repeat the first
# groups (counted once, from the first); 03-04: the NFD name stored in NFC; 04-01: S3 1.00 + 2.00 over two
# accounts; 05-01: S3 1.00 + 0.50 over two regions; 05-02: EUR and the Unit-less beside it left out;
# 06-01: the account id read as the service.
EXPECTED_COSTS = {
    (dt.date(2026, 3, 2), "Amazon EC2"): 3.00, (dt.date(2026, 3, 2), "Amazon S3"): 2.00,
    (dt.date(2026, 3, 3), "Amazon S3"): 0.50, (dt.date(2026, 3, 3), SAGEMAKER_EVAL): 1.25,
    (dt.date(2026, 3, 4), SAGEMAKER_EVAL): 2.00, (dt.date(2026, 3, 5), "Amazon S3"): 1.00,
    (dt.date(2026, 4, 1), "AWS Lambda"): 0.25, (dt.date(2026, 4, 1), "Amazon S3"): 3.00,
    (dt.date(2026, 5, 1), "Amazon S3"): 1.50, (dt.date(2026, 6, 1), "111"): 3.00,
}
MARCH_TO_DATE = 9.75  # 3.00 + 2.00 + 0.50 + 1.25 + 2.00 + 1.00
MARCH_ESTIMATED = 2  # 03-04 (Estimated true) and 03-05 (Estimated "yes", read as an estimate)

COST_PROBLEMS = [
    "2026-03.json: 1 amount(s) without a Unit (the first: ResultsByTime[0].Groups[0] (2026-03-02)); counted as "
    "USD, the currency of Cost Explorer's UnblendedCost",
    f"2026-03.json: ResultsByTime[1].Groups[1] (2026-03-03): repeats the Keys ['{SAGEMAKER_EVAL}'] of Groups[0]; "
    "counted once, from the first",
    "2026-03.json: ResultsByTime[1].Groups[3] (2026-03-03): repeats the Keys ['Amazon S3'] of Groups[2]; counted "
    "once, from the first",
    "2026-03.json: ResultsByTime[3] (2026-03-05): Estimated is 'yes', not true or false; read as an estimate",
    "2026-04.json: grouped by LINKED_ACCOUNT, SERVICE: each service's amounts are summed over the other keys",
    "2026-05.json: 2 group(s) carry up to 2 keys (grouped by several dimensions): key 1 is read as the service, "
    "its amounts summed over the others",
    "2026-05.json: ResultsByTime[1].Groups[0] (2026-05-02): skipped (amount in 'EUR', never added to USD)",
    "2026-05.json: ResultsByTime[1].Groups[1] (2026-05-02): skipped (no Unit, and the file also has amounts in "
    "'EUR': its currency cannot be told, never added to USD)",
    "2026-06.json: grouped by LINKED_ACCOUNT, not by SERVICE: each group's first key is read as its service (the "
    "month's total is right, its split per service is not)",
]


def issue(number: int, *labels: str) -> dict:
    return {"number": number, "title": f"issue {number}", "state": "open", "created_at": "2026-03-10T08:00:00Z",
            "closed_at": None, "labels": [{"name": name} for name in labels]}


# an issue labelled P0 and P2: triaged P0 (the most severe), said by number; one whose two labels name one
# priority ("P1" and "priority: p1") and one with a single priority label say nothing
TWO_PRIORITIES = [issue(41, "P2", "P0", "bug"), issue(42, "P1", "priority: p1"), issue(43, "P3")]
# a P0 label written with a zero-width space or in fullwidth letters: a P0, never untriaged (its SLA missed)
HIDDEN_P0 = [issue(44, "P\u200b0"), issue(45, "\uff30\uff10")]
TWO_PRIORITIES_PROBLEM = "github: #41: labels name several priorities ('P0' (P0), 'P2' (P2)); the most severe, P0, is used"

# keys holding characters Python calls digits that int() cannot read (superscripts, circled numbers): a
# Stage ID "1.²" or a Horizon "w¹⁵" crashed every report that sorts them (plan update, docs sync, models)
NOT_DECIMAL_DIGITS = {"stage_id": "1.\u00b2", "horizon": "w\u00b9\u2075", "stage_id_circled": "\u2460"}


def completed(name: str, ended: str, *metrics: tuple[str, float]) -> dict:
    return {"TrainingJobName": name, "TrainingJobStatus": "Completed", "CreationTime": ended,
            "TrainingEndTime": ended, "LastModifiedTime": ended, "HyperParameters": {"model": "CASE", "horizon": "w15"},
            "FinalMetricDataList": [{"MetricName": n, "Value": v} for n, v in metrics]}


# the rules' metric is validation:r2. Job 2 gives it only as "Validation:R2" (0.80 after 0.95: a degradation
# of 0.15, read as people mean the name); job 3 gives it twice in two spellings with different values (which is
# final cannot be told: not compared, said), where the exact spelling alone was read before
METRIC_CASE_JOBS = [
    completed("bqx-case-w15-1", "2026-03-03T00:00:00Z", ("validation:r2", 0.95)),
    completed("bqx-case-w15-2", "2026-03-05T00:00:00Z", ("Validation:R2", 0.80)),
    completed("bqx-case-w15-3", "2026-03-07T00:00:00Z", ("validation:r2", 0.96), ("VALIDATION:R2 ", 0.70)),
]
METRIC_CASE_PROBLEM = ("sagemaker: job bqx-case-w15-3: final validation:r2 given 2 times with different values "
                       "(0.96, 0.7); not compared")
