"""A fourth team's recorded landing zone, written by hand and independent of the sample, other_base and
third_base: a grid-load forecast plan started on a *Sunday* (2019-11-17) that crosses the year end and the
(Saturday) leap day 2020-02-29; its quarters end on a Tuesday, so their last Fridays are the 27th
(2019-12-27, 2020-03-27). Snapshots every Tuesday and Thursday, and on the leap day; three plans in the
base, one followed; every table, the key fields and every status renamed by the schema map; a budget in
five figures, a low R² band, hourly horizons, an ensemble the base calls ``Stack``; SLAs of its own (P0 in
8 h); reports pushed to a ``trunk`` branch.

``write(data_dir, variant)``:
- ``"bare"``: NO SageMaker, NO Cost Explorer and NO CloudWatch file at all (the sources are absent, not
  empty), GitHub holds pull requests only, and no stage is ever completed;
- ``"full"``: the three AWS sources landed, no GitHub file at all, and the plan progressing normally;
- ``"early"``: every stage done before the first issue review (2019-12-01).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from bqx_ops.landing import Landing, write_json
from bqx_ops_tests.base_builder import (
    cost_month, day_events, last_change, phase_status_of,
    weekly, worked, write_log_days, write_snapshots,
)

D = dt.date.fromisoformat
START, END = D("2019-11-17"), D("2020-04-15")  # a Sunday; the last snapshot is Tuesday 2020-04-14
PLAN_ID, NAME, GOAL = "KGL-2020", "Kestrel Grid Load", "hourly grid load at 24 h and 168 h"
CHANNEL, DOCS_DIR = "#kestrel-load-ops", "kestrel-docs"
LOG_GROUP = "/kestrel/load-api"
COST_CEILING = 1200
BUDGET, DAYS_MIN, DAYS_MAX, R2_MIN, R2_MAX = 18500, 95, 120, 0.70, 0.80
HORIZONS = ["h24", "h168"]
LEAP_DAY = D("2020-02-29")  # a Saturday
AMARA, BRUNO, CHIDI, DAGNY = "Amara Osei", "Bruno Vasquez", "Chidi Okafor", "Dagny Lund"
TABLES = {"Plans": "Programs", "Phases": "Workstreams", "Stages": "Tickets", "Model Results": "Scores",
          "Decisions": "ADRs", "Tasks": "Chores"}
FIELDS = {"Stages": {"Stage ID": "Ticket", "Realized Cost": "Spend", "Estimated Days": "Est Days",
                     "Completed Date": "Shipped On"},
          "Phases": {"Phase ID": "Stream", "Realized Cost": "Spend"},
          "Plans": {"Plan ID": "Program Code", "Estimated Budget": "Budget USD"}}
OPTIONS = {"Stages": {"Status": {"Shipped": "Done", "Building": "In Progress", "Queued": "Todo"}},
           "Phases": {"Status": {"Closed": "Done", "Open": "In Progress", "Planned": "Todo"}},
           "Plans": {"Status": {"Live": "Active", "Paused": "On Hold", "Retired": "Done"}},
           "Tasks": {"Status": {"Shipped": "Done", "Building": "In Progress", "Queued": "Todo"}},
           "Model Results": {"Model": {"Stack": "Ensemble"}}}
BASE_WORD = {t: {v: k for k, v in OPTIONS[t]["Status"].items()} for t in ("Stages", "Phases", "Plans", "Tasks")}
SLA_HOURS = {"P0": 8, "P1": 72, "P2": 240, "P3": 504}

PHASES = [("WS-A", 1, "Load history"), ("WS-B", 2, "Forecasters"), ("WS-C", 3, "Serving")]
# record, Stage ID, phase, name, owner, est cost, est days, [(day, status, realized)] in the "full" variant
STAGES = [
    ("recK1", "A-1", "WS-A", "Meter ingest", AMARA, 2400.00, 10,
     [(D("2019-11-19"), "In Progress", None), (D("2019-12-05"), "Done", 2650.75)]),
    ("recK2", "A-2", "WS-A", "Weather join", BRUNO, 1800.00, 8,
     [(D("2019-12-03"), "In Progress", None), (D("2020-01-07"), "Done", 1725.10)]),
    ("recK3", "B-1", "WS-B", "GBM baseline", CHIDI, 3100.00, 12,
     [(D("2019-12-17"), "In Progress", None), (D("2020-02-29"), "Done", 3890.00)]),  # shipped on the leap day
    ("recK4", "B-2", "WS-B", "TFT model", CHIDI, 4200.00, 20, [(D("2020-01-14"), "In Progress", None)]),
    ("recK5", "C-1", "WS-C", "Load API", DAGNY, 2900.00, 15, [(D("2020-03-10"), "In Progress", None)]),
    ("recK6", "C-2", "WS-C", "Ops rota", AMARA, 0.00, 2, [(D("2019-11-19"), "In Progress", None)]),  # recurring
]


def history(variant: str, rec: tuple) -> list:
    changes = rec[7]
    if variant == "bare":  # nothing ever ships
        return [(d, "In Progress" if s == "Done" else s, None) for d, s, _ in changes][:1]
    if variant == "early":  # everything ships in the first fortnight
        return [(D("2019-11-19"), "In Progress", None), (D("2019-11-28"), "Done", round(rec[5] * 1.05, 2))]
    return changes


def snapshot_days() -> list[dt.date]:
    days = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
    return [d for d in days if d.weekday() in (1, 3) or d == LEAP_DAY]  # and the (Saturday) leap day


def ts(day: dt.date, hour: int = 7) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00.000Z"


def stage_fields(variant: str, rec: tuple, day: dt.date) -> dict:
    rid, sid, phase, name, owner, est, days, _ = rec
    changes = history(variant, rec)
    state = last_change(changes, day)
    status = state[1] if state else "Todo"
    fields = {"Stage ID": sid, "Name": name, "Phase": [f"rec{phase}"], "Status": status, "Owner": owner,
              "Estimated Cost": est, "Estimated Days": days, "Notes": "On track." if status != "Todo" else "",
              "Last Modified": ts(day)}
    worked(fields, changes, state)
    return fields


def _phase_status(stages: list[dict]) -> str:
    return phase_status_of(stages)


def evaluation_days(day: dt.date) -> list[dt.date]:
    return weekly(D("2019-11-20"), day)  # Wednesdays


def r2_value(model: str, horizon: str, k: int) -> float:
    base = {"gbm": 0.60, "tft": 0.58, "Stack": 0.63}[model] - (0.04 if horizon == "h168" else 0.0)
    return round(min(base + 0.006 * k, 0.9), 4)


def base_on(variant: str, day: dt.date) -> dict[str, list[dict]]:
    """The base on ``day`` in logical table and field names, the base's own status words."""
    stages = {r[0]: stage_fields(variant, r, day) for r in STAGES}
    phases = []
    for pid, number, name in PHASES:
        mine = [f for f in stages.values() if f["Phase"] == [f"rec{pid}"]]
        status = _phase_status(mine)
        fields = {"Phase ID": pid, "Number": number, "Name": name, "Plan": ["recKGL"], "Status": BASE_WORD["Phases"][status],
                  "Owner": AMARA, "Estimated Cost": round(sum(r[5] for r in STAGES if r[2] == pid), 2),
                  "Notes": f"{name} workstream.", "Last Modified": ts(day)}
        if status == "Done":
            fields["Realized Cost"] = round(sum(f["Realized Cost"] for f in mine), 2)
        phases.append({"id": f"rec{pid}", "createdTime": ts(START), "fields": fields})
    phases.append({"id": "recPILOTW", "createdTime": ts(START), "fields": {
        "Phase ID": "PIL-1", "Number": 1, "Name": "Pilot feeders", "Plan": ["recPILOT"], "Status": "Closed",
        "Estimated Cost": 700.0, "Realized Cost": 9100.0, "Notes": "Pilot."}})
    rows = [{"id": rid, "createdTime": ts(START),
             "fields": {**f, "Status": BASE_WORD["Stages"][f["Status"]]}} for rid, f in stages.items()]
    rows.append({"id": "recPILOTT", "createdTime": ts(START), "fields": {
        "Stage ID": "PIL-1.1", "Name": "Feeder survey", "Phase": ["recPILOTW"], "Status": "Shipped",
        "Estimated Cost": 700.0, "Estimated Days": 30, "Realized Cost": 9100.0, "Start Date": "2019-06-03",
        "Completed Date": "2019-07-30"}})
    plans = [
        {"id": "recSOLAR", "createdTime": ts(START), "fields": {
            "Plan ID": "KGL-SOLAR", "Name": "Kestrel Solar", "Estimated Budget": 4444.0, "Status": "Live",
            "Estimated Days Min": 11, "Estimated Days Max": 13, "R2 Target Min": 0.33, "R2 Target Max": 0.44,
            "Horizons": ["h1"], "Start Date": "2019-09-02"}},
        {"id": "recPILOT", "createdTime": ts(START), "fields": {
            "Plan ID": "KGL-PILOT", "Name": "Kestrel Pilot", "Estimated Budget": 7777.0, "Status": "Paused",
            "Start Date": "2019-06-03"}},
        {"id": "recKGL", "createdTime": ts(START), "fields": {
            "Plan ID": PLAN_ID, "Name": NAME, "Goal": GOAL, "Estimated Budget": BUDGET, "Status": "Live",
            "Estimated Days Min": DAYS_MIN, "Estimated Days Max": DAYS_MAX, "R2 Target Min": R2_MIN,
            "R2 Target Max": R2_MAX, "Horizons": HORIZONS, "Start Date": START.isoformat(), "Last Modified": ts(day)}},
    ]
    results = []
    for k, when in enumerate(evaluation_days(day)):
        for model in ("gbm", "tft", "Stack"):
            for horizon in HORIZONS:
                results.append({"id": f"recSC{k:03d}{model}{horizon}", "createdTime": ts(when, 20), "fields": {
                    "Result ID": f"{model}/{horizon}/{when}", "Model": model, "Horizon": horizon,
                    "Evaluated On": when.isoformat(), "R2": r2_value(model, horizon, k)}})
    tasks = [{"id": "recCH1", "createdTime": ts(START), "fields": {
        "Task Key": "KGL-T1", "Name": "Get meter API keys", "Owner": BRUNO,
        "Status": BASE_WORD["Tasks"]["Done" if day >= D("2019-12-10") else "In Progress"]}}]
    decisions = [{"id": "recADR1", "createdTime": ts(START), "fields": {
        "Title": "ADR-1: hourly grain", "Date": "2019-11-18", "Decided By": DAGNY}}]
    learnings = [{"id": "recLN1", "createdTime": ts(D("2020-01-09")), "fields": {
        "Title": "Holiday weeks need their own calendar feature", "Date": "2020-01-09"}}] if day >= D("2020-01-09") else []
    return {"Plans": plans, "Phases": phases, "Stages": rows, "Model Results": results, "Tasks": tasks,
            "Decisions": decisions, "Learnings": learnings,
            "Artifacts": [{"id": "recART1", "createdTime": ts(START), "fields": {
                "Name": "Load model card", "Type": "Report", "Content": "# Load model card\n"}}]}


def pull_requests() -> list[dict]:
    """Only pull requests: the team tracks its issues elsewhere."""
    return [{"number": n, "title": f"PR {n}", "state": "closed", "created_at": f"2019-12-{n:02d}T10:00:00Z",
             "closed_at": f"2019-12-{n + 1:02d}T10:00:00Z", "updated_at": f"2019-12-{n + 1:02d}T10:00:00Z",
             "labels": [], "html_url": f"https://github.com/kestrel/grid-load/pull/{n}",
             "pull_request": {"url": f"https://api.github.com/repos/kestrel/grid-load/pulls/{n}"}} for n in (3, 9)]


def log_events(day: dt.date) -> list[dict]:
    """A timeout burst across the year end, and one on the leap day."""
    events = []
    if D("2019-12-30") <= day <= D("2020-01-02") or day == D("2020-02-29"):
        events = [(h, f"ERROR upstream timeout calling scada feed after {40 + h}s") for h in (1, 13)]
    return day_events(day, events, "api/1", 250)


def jobs() -> list[dict]:
    out = []
    for name, status, ended in (("kgl-gbm-h24-1", "Failed", dt.datetime(2020, 2, 28, 22, tzinfo=dt.timezone.utc)),
                                ("kgl-gbm-h24-1-retry-1", "Completed", dt.datetime(2020, 2, 29, 6, tzinfo=dt.timezone.utc))):
        job = {"TrainingJobName": name, "TrainingJobStatus": status, "CreationTime": (ended - dt.timedelta(hours=3)).isoformat(),
               "TrainingEndTime": ended.isoformat(), "LastModifiedTime": ended.isoformat(),
               "HyperParameters": {"model": "gbm", "horizon": "h24"}}
        if status == "Failed":
            job["FailureReason"] = "AlgorithmError: out of memory"
        else:
            job["FinalMetricDataList"] = [{"MetricName": "validation:r2", "Value": 0.7, "Timestamp": ended.isoformat()}]
        out.append(job)
    return out


COST_MONTHS = ((2019, 11), (2019, 12), (2020, 1), (2020, 2), (2020, 3), (2020, 4))


def daily_cost(day: dt.date) -> str:
    return "41.30" if day.month != 2 else "12.05"


def config(variant: str) -> dict:
    cfg = {
        "project": {"name": NAME, "goal": GOAL, "plan_id": PLAN_ID},
        "start_date": START.isoformat(), "github_repo": "kestrel/grid-load",
        "docs_repo": {"dir_name": DOCS_DIR, "branch": "trunk"}, "slack": {"channel": CHANNEL},
        "roles": {"coordinator": AMARA, "qa": BRUNO, "architect": CHIDI, "approver": DAGNY, "ml": CHIDI,
                  "data": BRUNO, "infra": DAGNY},
        "recurring_stages": {"name_patterns": ["ops rota"]},
        "cost_budget_per_month": COST_CEILING,
        "schema_map": {"tables": TABLES, "fields": FIELDS, "options": OPTIONS},
    }
    if variant == "full":
        cfg["aws"] = {"log_groups": [LOG_GROUP], "sagemaker": {"name_contains": "kgl-"}}
    return cfg


def triage_rules() -> dict:
    return {"priorities": {p: {"sla_hours": h} for p, h in SLA_HOURS.items()}}


def write(data_dir: Path, variant: str = "full") -> Path:
    """The landing zone, bqx_ops.yaml and the triage rules of a variant; returns the rules file."""
    data_dir = Path(data_dir)
    landing = Landing(data_dir)
    write_snapshots(landing, snapshot_days(), lambda day: base_on(variant, day), TABLES, FIELDS)
    if variant == "bare":
        write_json(landing.github_issues, pull_requests())
    if variant == "full":
        write_log_days(landing, [LOG_GROUP], START, END, lambda _, day: log_events(day))
        write_json(landing.sagemaker_jobs, jobs())
        for year, month in COST_MONTHS:
            write_json(landing.costs_month(year, month),
                       cost_month(year, month, START, END, lambda d: {"Amazon SageMaker": daily_cost(d)}))
    (data_dir / "bqx_ops.yaml").write_text(yaml.safe_dump(config(variant), sort_keys=False), encoding="utf-8")
    rules = data_dir / "triage.yaml"
    rules.write_text(yaml.safe_dump(triage_rules(), sort_keys=False), encoding="utf-8")
    return rules
