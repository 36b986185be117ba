"""A second team's recorded landing zone, independent of the bundled sample: another plan, a start
before 2025, six phases, renamed tables and fields (through the schema map), other targets, weekly
snapshots only, its own log group, a SageMaker failure retried under another name, and months
without cost data. Used to prove bqx_ops works on any base, not just the sample.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from bqx_ops.landing import Landing, write_json
from bqx_ops_tests.base_builder import cost_month, write_snapshots

START, END = dt.date(2024, 10, 7), dt.date(2025, 3, 31)  # a Monday; the Q1 2025 assessment is 2025-03-28
PLAN_ID, NAME = "ACME-DF-24", "Acme Demand Forecast"
BUDGET, DAYS_MIN, DAYS_MAX, R2_MIN, R2_MAX, COST_CEILING = 1200, 100, 120, 0.8, 0.9, 300
CHANNEL, DOCS_DIR, LOG_GROUP = "#acme-forecast", "acme-forecast-docs", "/acme/forecast/api"
RECURRING_NAME = "Weekly operations review"
TABLES = {"Plans": "Programme", "Phases": "Milestones", "Stages": "Work Items", "Model Results": "Evaluations"}
FIELDS = {"Stages": {"Realized Cost": "Actual Cost", "Stage ID": "Item ID"}, "Phases": {"Phase ID": "Milestone ID"},
          "Plans": {"Estimated Budget": "Budget"}}
PHASES = 6
FAILED_JOB, RETRY_JOB = "acme-df-lstm-w15-train", "acme-df-lstm-w15-train-retry-1"
FAILED_DAY = dt.date(2024, 11, 4)
COST_MONTHS = ((2024, 10), (2024, 11), (2024, 12))  # 2025 has no Cost Explorer data at all
DAILY_COST = 7.5


def snapshot_days() -> list[dt.date]:
    """Every Monday from START to END: weekly snapshots only."""
    return [START + dt.timedelta(weeks=w) for w in range((END - START).days // 7 + 1)]


def ts(day: dt.date) -> str:
    return f"{day.isoformat()}T08:00:00.000Z"


def stage_plan() -> list[dict]:
    """Two work stages per phase, one every two weeks, each $100 estimated; the last phase also has
    the recurring operations stage (In Progress forever, 5 estimated days)."""
    out = []
    for p in range(PHASES):
        for j in range(2):
            n = 2 * p + j
            begin = START + dt.timedelta(weeks=2 * n)
            done = begin + dt.timedelta(days=11)  # a Friday
            out.append({"rid": f"recWI{n:012d}", "id": f"{p + 1}.{j + 1}", "phase": p, "name": f"Work item {p + 1}.{j + 1}",
                        "start": begin, "done": done, "est": 100.0, "real": 100.0 + 10 * (n % 3), "days": 8})
    out.append({"rid": "recWI999999999999", "id": f"{PHASES}.9", "phase": PHASES - 1, "name": RECURRING_NAME,
                "start": START, "done": None, "est": 0.0, "real": None, "days": 5})
    return out


def _status(begin: dt.date, done: dt.date | None, day: dt.date) -> str:
    return "Done" if done and done <= day else "In Progress" if begin <= day else "Todo"


def base_on(day: dt.date) -> dict[str, list[dict]]:
    """The base as fetched on ``day`` (logical table and field names)."""
    stages = [s for s in stage_plan() if s["start"] <= day + dt.timedelta(days=14)]
    plan = {"Plan ID": PLAN_ID, "Name": NAME, "Goal": "weekly demand at 15 and 30 days", "Estimated Budget": BUDGET,
            "Estimated Days Min": DAYS_MIN, "Estimated Days Max": DAYS_MAX, "R2 Target Min": R2_MIN,
            "R2 Target Max": R2_MAX, "Horizons": ["w15", "w30"], "Start Date": START.isoformat(), "Status": "Active",
            "Last Modified": ts(START)}
    phases = []
    for p in range(PHASES):
        mine = [s for s in stage_plan() if s["phase"] == p and s["done"]]
        begin, end = mine[0]["start"], mine[-1]["done"]
        fields = {"Phase ID": f"M{p + 1}", "Number": p + 1, "Name": f"Milestone {p + 1}", "Plan": ["recPROGRAMME00001"],
                  "Status": _status(begin, end, day), "Owner": "COORD-001", "Estimated Cost": 200.0,
                  "Estimated Days": 16, "Start Date": begin.isoformat(), "Notes": f"Milestone {p + 1} notes.",
                  "Last Modified": ts(min(day, end))}
        if fields["Status"] == "Done":
            fields["End Date"] = end.isoformat()
            fields["Realized Cost"] = sum(s["real"] for s in mine)
        phases.append({"id": f"recMS{p:012d}", "createdTime": ts(START), "fields": fields})
    rows = []
    for s in stages:
        status = _status(s["start"], s["done"], day)
        fields = {"Stage ID": s["id"], "Name": s["name"], "Phase": [f"recMS{s['phase']:012d}"], "Status": status,
                  "Owner": "ML-001", "Estimated Cost": s["est"], "Estimated Days": s["days"],
                  "Notes": "Recurring." if s["done"] is None else "On track.", "Last Modified": ts(min(day, s["start"]))}
        if status != "Todo":
            fields["Start Date"] = s["start"].isoformat()
        if status == "Done":
            fields["Completed Date"] = s["done"].isoformat()
            fields["Realized Cost"] = s["real"]
        rows.append({"id": s["rid"], "createdTime": ts(START), "fields": fields})
    results = []
    for k, evaluated in enumerate(d for d in snapshot_days() if d <= day):
        for h, horizon in enumerate(("w15", "w30")):
            results.append({"id": f"recEV{k:09d}{h:03d}", "createdTime": ts(evaluated), "fields": {
                "Result ID": f"Ensemble-{horizon}-{evaluated}", "Model": "Ensemble", "Horizon": horizon,
                "Evaluated On": evaluated.isoformat(), "R2": round(0.70 + 0.006 * k - 0.01 * h, 4),
                "Last Modified": ts(evaluated)}})
    return {
        "Plans": [{"id": "recPROGRAMME00001", "createdTime": ts(START), "fields": plan}],
        "Phases": phases, "Stages": rows, "Model Results": results,
        "Tasks": [{"id": "recTASK000000001", "createdTime": ts(START), "fields": {
            "Task Key": "ACME-T1", "Name": "Wire the feature store", "Status": "Todo", "Priority": "P2"}}],
        "Decisions": [{"id": "recDEC0000000001", "createdTime": ts(START), "fields": {
            "Title": "Weekly snapshots", "Date": START.isoformat()}}],
        "Learnings": [], "Artifacts": [{"id": "recART0000000001", "createdTime": ts(START), "fields": {
            "Name": "Forecast design", "Type": "Design", "Content": "# Forecast design\n"}}],
    }


def config() -> dict:
    return {
        "project": {"name": NAME, "goal": "weekly demand at 15 and 30 days", "plan_id": PLAN_ID},
        "start_date": START.isoformat(), "github_repo": "acme/demand-forecast",
        "docs_repo": {"dir_name": DOCS_DIR}, "slack": {"channel": CHANNEL},
        "reminders": {"plan_update": ["ML-001"]},
        "aws": {"log_groups": [LOG_GROUP], "sagemaker": {"name_contains": "acme-df"}},
        "recurring_stages": {"name_patterns": ["operations review"]},
        "cost_budget_per_month": COST_CEILING,
        "schema_map": {"tables": TABLES, "fields": FIELDS},
    }


def _job(name: str, status: str, ended: dt.datetime) -> dict:
    job = {"TrainingJobName": name, "TrainingJobStatus": status, "CreationTime": (ended - dt.timedelta(hours=1)).isoformat(),
           "TrainingEndTime": ended.isoformat(), "LastModifiedTime": ended.isoformat()}
    if status == "Failed":
        job["FailureReason"] = "AlgorithmError: out of memory"
    else:
        job["FinalMetricDataList"] = [{"MetricName": "validation:r2", "Value": 0.81, "Timestamp": ended.isoformat()}]
    return job


def write(data_dir: Path) -> None:
    """The landing zone (the base's own table and field names) and the team's bqx_ops.yaml."""
    data_dir = Path(data_dir)
    landing = Landing(data_dir)
    write_snapshots(landing, snapshot_days(), base_on, TABLES, FIELDS)
    write_json(landing.github_issues, [])
    day = START
    while day <= END:
        noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.timezone.utc)
        events = [] if day.weekday() else [{"logStreamName": "api/1", "timestamp": int(noon.timestamp() * 1000),
                                            "message": "ERROR upstream timeout calling the feature store",
                                            "ingestionTime": int(noon.timestamp() * 1000) + 500, "eventId": f"{day:%Y%m%d}1"}]
        write_json(landing.cloudwatch_day(LOG_GROUP, day), events)
        day += dt.timedelta(days=1)
    failed_end = dt.datetime.combine(FAILED_DAY, dt.time(6), dt.timezone.utc)
    write_json(landing.sagemaker_jobs, [_job(FAILED_JOB, "Failed", failed_end),
                                        _job(RETRY_JOB, "Completed", failed_end + dt.timedelta(days=1))])
    for year, month in COST_MONTHS:  # whole months: the plan's END is after the last of them
        write_json(landing.costs_month(year, month),
                   cost_month(year, month, None, END, lambda d: {"Amazon SageMaker": f"{DAILY_COST:.2f}"}))
    (data_dir / "bqx_ops.yaml").write_text(yaml.safe_dump(config(), sort_keys=False), encoding="utf-8")
