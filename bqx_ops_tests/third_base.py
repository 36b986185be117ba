"""A third team's recorded landing zone, written by hand and independent of the sample and of
other_base: a wind-power forecast plan started on a Wednesday in mid-November 2022 that crosses the
year; Q4-2022 ends on a Saturday (its last Friday is the 30th), Q1-2023 ends on its last Friday.
Snapshots every Monday, Wednesday and Friday with a missing week; targets in the Plans record that change
mid-project and a second Active plan that must be ignored; a phase added and one deleted; a stage
re-opened, one whose Stage ID is renamed, stages without estimated days; costs with cents; horizons
``1w``/``4w``, models ``xgb``/``lstm`` and an ensemble the base calls ``Blend``; non-ASCII people and
table names; GitHub labels in another style mapped by triage rules; two log groups; several cost
services; a SageMaker job that fails twice; a Slack channel id.
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
START, END = D("2022-11-16"), D("2023-04-05")  # a Wednesday; the Q1-2023 final is Friday 2023-03-31
GAP = (D("2023-01-23"), D("2023-01-29"))  # no snapshot at all that week (the plan update of 01-27 is stale)
PLAN_ID, OTHER_PLAN, NAME = "EOLE-W22", "EOLE-SOLAR", "Éole Prévisions"
CHANNEL, DOCS_DIR = "C04EOLE7Q2", "eole-docs"
LOG_GROUPS = ("/eole/api", "/aws/lambda/eole-scorer")
COST_CEILING = 150
BUDGET_RAISED, R2_MOVED = D("2023-01-16"), D("2023-02-06")
BUDGET = {False: 2400.50, True: 3000.00}  # the Plans record's budget before / from BUDGET_RAISED
R2_BAND = {False: (0.85, 0.92), True: (0.80, 0.90)}  # before / from R2_MOVED
DAYS_MIN, DAYS_MAX = 60, 75
JOSE, ZOE, LUKASZ, INES = "José Núñez", "Zoë Ørsted", "Łukasz Żółć", "Inès Ç. Müller"
TABLES = {"Plans": "Feuilles de route", "Stages": "Tâches", "Model Results": "Évaluations"}
FIELDS = {"Stages": {"Stage ID": "Code", "Realized Cost": "Coût réel"}, "Plans": {"Estimated Budget": "Budget €"}}
OPTIONS = {"Stages": {"Status": {"Terminé": "Done", "En cours": "In Progress", "À faire": "Todo"}},
           "Model Results": {"Model": {"Blend": "Ensemble"}}}
REVERSE = {t: {v: k for k, v in o.items()} for t, o in (("Stages", OPTIONS["Stages"]["Status"]),)}
LABELS = {"priority": {"sev/critical": "P0", "sev/high": "P1", "sev/medium": "P2", "sev/low": "P3"},
          "category": {"area/data": "Data Quality", "area/model": "Model Performance", "area/infra": "Infrastructure",
                       "area/cost": "Cost Overruns", "area/schedule": "Timeline Delays"}}

# phase id, number, name, added, deleted (None: never)
PHASES = [("PH-1", 1, "Données", START, None), ("PH-2", 2, "Modèles", START, None),
          ("PH-3", 3, "Spike: radar nowcasting", START, D("2023-02-01")), ("PH-4", 4, "Déploiement", START, None),
          ("PH-5", 5, "Rétrospective", D("2023-01-09"), None)]
# record, ids [(from, Stage ID)], phase, name, owner, est cost, est days, [(from, status, realized)]
STAGES = [
    ("recT11", [(START, "1.1")], "PH-1", "Ingestion SCADA", JOSE, 310.25, 7,
     [(START, "In Progress", None), (D("2022-11-25"), "Done", 342.80)]),
    ("recT12", [(START, "1.2")], "PH-1", "Nettoyage météo", INES, 205.50, None,
     [(D("2022-11-28"), "In Progress", None), (D("2022-12-09"), "Done", 198.40)]),
    ("recT21", [(START, "2.1")], "PH-2", "Baseline xgb", ZOE, 400.00, 8,
     [(D("2022-12-05"), "In Progress", None), (D("2022-12-16"), "Done", 455.55)]),
    ("recT22", [(START, "2.2")], "PH-2", "LSTM 4w", ZOE, 520.75, 10,
     [(D("2022-12-12"), "In Progress", None), (D("2022-12-23"), "Done", 480.10),
      (D("2023-01-04"), "In Progress", None), (D("2023-01-20"), "Done", 610.35)]),
    ("recT23", [(START, "2.3")], "PH-2", "Blend des modèles", ZOE, 300.00, 12,
     [(D("2023-01-09"), "In Progress", None), (D("2023-02-10"), "Done", 289.99)]),
    ("recT31", [(START, "3.1")], "PH-3", "Radar spike", LUKASZ, 150.00, None, [(D("2022-12-01"), "In Progress", None)]),
    ("recT41", [(START, "4.1"), (D("2023-01-18"), "DEP-1")], "PH-4", "API de scoring", JOSE, 350.40, 15,
     [(D("2023-01-16"), "In Progress", None), (D("2023-03-03"), "Done", 420.00)]),
    ("recT42", [(START, "4.2")], "PH-4", "Monitoring", INES, 180.00, 5, [(D("2023-02-20"), "In Progress", None)]),
    ("recT43", [(START, "4.3")], "PH-4", "Suivi hebdomadaire", JOSE, 0.00, 3, [(START, "In Progress", None)]),
    ("recT51", [(D("2023-01-09"), "5.1")], "PH-5", "Rapport final", LUKASZ, 120.30, 4,
     [(D("2023-03-20"), "In Progress", None)]),
]
STAGE_START = {s[0]: s[7][0][0] for s in STAGES}


def snapshot_days() -> list[dt.date]:
    """Every Monday, Wednesday and Friday from START to END, except the week of GAP (none at all)."""
    days = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
    return [d for d in days if d.weekday() in (0, 2, 4) and not GAP[0] <= d <= GAP[1]]


def ts(day: dt.date, hour: int = 8) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00.000Z"


def _stage_alive(rec: tuple, day: dt.date) -> bool:
    phase = next(p for p in PHASES if p[0] == rec[2])
    return rec[1][0][0] <= day and (phase[4] is None or day < phase[4])


def stage_fields(rec: tuple, day: dt.date) -> dict:
    """A stage's logical fields on ``day``."""
    rid, ids, phase, name, owner, est, days, changes = rec
    state = last_change(changes, day)
    status = state[1] if state else "Todo"
    fields = {"Stage ID": last_change(ids, day)[1], "Name": name, "Phase": [f"rec{phase}"], "Status": status, "Owner": owner,
              "Estimated Cost": est, "Notes": "Suivi." if status != "Todo" else "", "Last Modified": ts(day)}
    if days is not None:
        fields["Estimated Days"] = days
    worked(fields, changes, state)
    if rid == "recT42" and status == "In Progress":
        fields["Notes"] = "Blocked: alerting account not provisioned."
    return fields


def _phase_status(stages: list[dict]) -> str:
    return phase_status_of(stages)


def plan_fields(day: dt.date) -> dict:
    lo, hi = R2_BAND[day >= R2_MOVED]
    return {"Plan ID": PLAN_ID, "Name": NAME, "Goal": "puissance éolienne à 1 et 4 semaines",
            "Estimated Budget": BUDGET[day >= BUDGET_RAISED], "Estimated Days Min": DAYS_MIN,
            "Estimated Days Max": DAYS_MAX, "R2 Target Min": lo, "R2 Target Max": hi, "Horizons": ["1w", "4w"],
            "Start Date": START.isoformat(), "Status": "Active", "Last Modified": ts(day)}


def r2_value(model: str, horizon: str, k: int) -> float:
    """Week k's R² of a model and horizon; the Blend 1w drops by 0.07 in week 8, then recovers."""
    base = {"xgb": 0.70, "lstm": 0.66, "Blend": 0.74}[model] - (0.03 if horizon == "4w" else 0.0)
    value = base + 0.011 * k - (0.07 if (model, horizon, k) == ("Blend", "1w", 8) else 0.0)
    return round(min(value, 0.97), 4)


def evaluation_days(day: dt.date) -> list[dt.date]:
    return weekly(START + dt.timedelta(days=5), day)  # Monday 2022-11-21, then weekly


def base_on(day: dt.date) -> dict[str, list[dict]]:
    """The base as fetched on ``day`` (logical table and field names; base select options)."""
    stages = {r[0]: stage_fields(r, day) for r in STAGES if _stage_alive(r, day)}
    phases = []
    for pid, number, name, added, deleted in PHASES:
        if added > day or (deleted and day >= deleted):
            continue
        mine = [f for r, f in stages.items() if f["Phase"] == [f"rec{pid}"]]
        status = _phase_status(mine)
        fields = {"Phase ID": pid, "Number": number, "Name": name, "Plan": ["recPLANEOLE"], "Status": status,
                  "Owner": JOSE, "Estimated Cost": round(sum(r[5] for r in STAGES if r[2] == pid), 2),
                  "Notes": f"{name}: suivi.", "Last Modified": ts(day)}
        if status == "Done":
            fields["Realized Cost"] = round(sum(f["Realized Cost"] for f in mine), 2)
        phases.append({"id": f"rec{pid}", "createdTime": ts(added), "fields": fields})
    # the other Active plan (listed first) and its own phase and stage: never counted for EOLE-W22
    other_plan = {"Plan ID": OTHER_PLAN, "Name": "Éole Solaire", "Estimated Budget": 999.0, "Estimated Days Min": 10,
                  "Estimated Days Max": 12, "R2 Target Min": 0.5, "R2 Target Max": 0.6, "Horizons": ["1d"],
                  "Start Date": "2022-10-03", "Status": "Active"}
    phases.append({"id": "recSOL1", "createdTime": ts(START), "fields": {
        "Phase ID": "SOL-1", "Number": 1, "Name": "Panneaux", "Plan": ["recPLANSOL"], "Status": "Done",
        "Estimated Cost": 900.0, "Realized Cost": 1999.99, "Notes": "Autre plan."}})
    rows = [{"id": rid, "createdTime": ts(STAGE_START[rid] if rid == "recT51" else START),
             "fields": {**f, "Status": REVERSE["Stages"][f["Status"]]}} for rid, f in stages.items()]
    rows.append({"id": "recSOLS1", "createdTime": ts(START), "fields": {
        "Stage ID": "S.1", "Name": "Pose", "Phase": ["recSOL1"], "Status": "Terminé", "Estimated Cost": 900.0,
        "Estimated Days": 40, "Realized Cost": 1999.99, "Start Date": "2022-10-03", "Completed Date": "2022-11-10"}})
    results = []
    for k, when in enumerate(evaluation_days(day)):
        for model in ("xgb", "lstm", "Blend"):
            for horizon in ("1w", "4w"):
                results.append({"id": f"recEV{k:03d}{model}{horizon}", "createdTime": ts(when, 18), "fields": {
                    "Result ID": f"{model}-{horizon}-{when}", "Model": model, "Horizon": horizon,
                    "Evaluated On": when.isoformat(), "R2": r2_value(model, horizon, k)}})
    tasks = [{"id": "recTK1", "createdTime": ts(START), "fields": {
        "Task Key": "EOLE-1", "Name": "Brancher la météo", "Status": "In Progress" if day < D("2023-01-06") else "Done",
        "Owner": INES, "Priority": "P2"}},
        {"id": "recTK2", "createdTime": ts(START), "fields": {
            "Task Key": "EOLE-2", "Name": "Calibrer le blend", "Status": "In Progress" if day >= D("2023-01-09") else "Todo",
            "Owner": ZOE}}]
    decisions = [{"id": "recDE1", "createdTime": ts(START), "fields": {
        "Title": "Fenêtre glissante de 90 jours", "Date": START.isoformat(), "Decided By": ZOE}}]
    if day >= D("2023-02-15"):
        decisions.append({"id": "recDE2", "createdTime": ts(D("2023-02-15")), "fields": {
            "Title": "Adopt conformal prediction intervals", "Date": "2023-02-15", "Decided By": LUKASZ}})
    if day >= D("2023-01-05"):
        decisions.append({"id": "recDE3", "createdTime": ts(D("2022-12-30"), 10), "fields": {
            "Title": "360 assessment Q4-2022: approval request", "Date": "2022-12-30", "Approval": "Approved",
            "Decided By": "Søren Ågård"}})
    learnings = [{"id": "recLE1", "createdTime": ts(D("2022-12-14")), "fields": {
        "Title": "Les rafales trompent le LSTM", "Date": "2022-12-14", "What Worked": "Clip à 3σ."}}] \
        if day >= D("2022-12-14") else []
    inputs = []
    if day >= D("2023-03-20"):
        for key, kind, score in (("Q1-S1", "User Satisfaction", 7.2), ("Q1-C1", "Competitive Position", 6.0),
                                 ("Q1-M1", "Market Alignment", 7.0), ("Q1-T1", "Technique Adopted", None)):
            fields = {"Input Key": key, "Quarter": "Q1-2023", "Kind": kind, "Summary": f"{kind} — relevé.",
                      "Recorded By": LUKASZ, "Date": "2023-03-20"}
            if score is not None:
                fields["Score"] = score
            inputs.append({"id": f"recAI{key}", "createdTime": ts(D("2023-03-20")), "fields": fields})
    return {
        "Plans": [{"id": "recPLANSOL", "createdTime": ts(START), "fields": other_plan},
                  {"id": "recPLANEOLE", "createdTime": ts(START), "fields": plan_fields(day)}],
        "Phases": phases, "Stages": rows, "Model Results": results, "Tasks": tasks, "Decisions": decisions,
        "Learnings": learnings, "Assessment Inputs": inputs,
        "Artifacts": [{"id": "recAR1", "createdTime": ts(START), "fields": {
            "Name": "Étude de faisabilité", "Type": "Report", "Content": "# Étude de faisabilité\n\nÉolien côtier.\n"}}],
    }


# number, title, labels, created, closed (None: open)
ISSUES = [
    (1, "Vent mesuré manquant sur 3 turbines", ["sev/high", "area/data"], "2022-11-21T09:10:00Z", "2022-11-24T16:00:00Z"),
    (2, "Scoring API returns 502 under load", ["sev/critical", "area/infra"], "2022-12-19T07:45:00Z", "2022-12-21T12:00:00Z"),
    (3, "Blend 1w R² chute après la tempête", ["sev/high", "area/model"], "2023-01-17T10:00:00Z", None),
    (4, "Coquille dans le tableau de bord", ["sev/low"], "2023-02-02T14:30:00Z", None),
    (5, "Facture S3 en hausse", ["sev/medium", "area/cost"], "2023-02-20T08:00:00Z", "2023-03-10T09:00:00Z"),
    (6, "Monitoring en retard sur le planning", ["sev/medium", "area/schedule"], "2023-03-06T11:00:00Z", None),
    (7, "Question sans étiquette", [], "2023-03-13T12:00:00Z", None),
]


def issues() -> list[dict]:
    out = []
    for number, title, labels, created, closed in ISSUES:
        out.append({"number": number, "title": title, "state": "closed" if closed else "open",
                    "created_at": created, "closed_at": closed, "updated_at": closed or created,
                    "labels": [{"name": n} for n in labels], "user": {"login": "jose-nunez"}, "assignees": [],
                    "html_url": f"https://github.com/eole-energie/previsions/issues/{number}"})
    out.append({"number": 8, "title": "Bump pandas", "state": "closed", "created_at": "2023-01-10T10:00:00Z",
                "closed_at": "2023-01-11T10:00:00Z", "updated_at": "2023-01-11T10:00:00Z", "labels": [],
                "html_url": "https://github.com/eole-energie/previsions/pull/8",
                "pull_request": {"url": "https://api.github.com/repos/eole-energie/previsions/pulls/8"}})
    return out


def log_events(group: str, day: dt.date) -> list[dict]:
    """The API logs a timeout burst on 2023-02-13..15; the scorer runs out of memory every Monday in March."""
    events = []
    if group == LOG_GROUPS[0] and D("2023-02-13") <= day <= D("2023-02-15"):
        events = [(h, f"ERROR upstream ReadTimeoutError calling meteo provider after {30 + h}s") for h in (9, 11, 15)]
    if group == LOG_GROUPS[1] and day.month == 3 and day.weekday() == 0:
        events = [(6, "ERROR worker killed: out of memory (4096 MB)")]
    return day_events(day, events, "s/1", 400)


FAILED = ("eole-xgb-1w-20230110-01", "eole-xgb-1w-20230110-01-retry-1")
RETRIED = "eole-xgb-1w-20230110-01-retry-2"


def _job(name: str, status: str, ended: dt.datetime, r2: float | None = None) -> dict:
    job = {"TrainingJobName": name, "TrainingJobStatus": status, "CreationTime": (ended - dt.timedelta(hours=2)).isoformat(),
           "TrainingEndTime": ended.isoformat(), "LastModifiedTime": ended.isoformat(),
           "HyperParameters": {"model": "xgb", "horizon": "1w"}}
    if status == "Failed":
        job["FailureReason"] = "ClientError: ResourceLimitExceeded for ml.m5.2xlarge"
    else:
        job["FinalMetricDataList"] = [{"MetricName": "validation:r2", "Value": r2, "Timestamp": ended.isoformat()}]
    return job


def jobs() -> list[dict]:
    t = dt.datetime(2023, 1, 10, 3, tzinfo=dt.timezone.utc)
    return [_job("eole-xgb-1w-20221220-01", "Completed", t - dt.timedelta(days=21), 0.74),
            _job(FAILED[0], "Failed", t), _job(FAILED[1], "Failed", t + dt.timedelta(hours=5)),
            _job(RETRIED, "Completed", t + dt.timedelta(days=1, hours=2), 0.76)]


COST_MONTHS = ((2022, 11), (2022, 12), (2023, 1), (2023, 2), (2023, 3), (2023, 4))
SERVICES = {"Amazon SageMaker": "3.17", "Amazon Simple Storage Service": "0.42", "AWS Lambda": "1.08"}


def daily_costs(day: dt.date) -> dict[str, str]:
    """Per service, the day's cost; SageMaker doubles in March 2023."""
    return {s: (f"{float(a) * 2:.2f}" if s == "Amazon SageMaker" and (day.year, day.month) == (2023, 3) else a)
            for s, a in SERVICES.items()}


def config() -> dict:
    return {
        "project": {"name": NAME, "goal": "puissance éolienne à 1 et 4 semaines", "plan_id": PLAN_ID},
        "start_date": START.isoformat(), "github_repo": "eole-energie/previsions",
        "docs_repo": {"dir_name": DOCS_DIR}, "slack": {"channel": CHANNEL},
        "roles": {"coordinator": JOSE, "qa": ZOE, "architect": LUKASZ, "approver": "Søren Ågård", "ml": ZOE,
                  "data": INES, "infra": JOSE},
        "aws": {"log_groups": list(LOG_GROUPS), "sagemaker": {"name_contains": "eole-"}},
        "recurring_stages": {"name_patterns": ["suivi hebdo"]},
        "cost_budget_per_month": COST_CEILING,
        "schema_map": {"tables": TABLES, "fields": FIELDS, "options": OPTIONS},
    }


def triage_rules() -> dict:
    """The team's label style, merged over the packaged triage rules (BQX_OPS_TRIAGE_RULES)."""
    return {"labels": LABELS}


def write(data_dir: Path) -> Path:
    """The landing zone (the base's own names), the team's bqx_ops.yaml and its triage rules; returns the
    rules file (for BQX_OPS_TRIAGE_RULES)."""
    data_dir = Path(data_dir)
    landing = Landing(data_dir)
    write_snapshots(landing, snapshot_days(), base_on, TABLES, FIELDS)
    write_json(landing.github_issues, issues())
    write_log_days(landing, LOG_GROUPS, START, END, log_events)
    write_json(landing.sagemaker_jobs, jobs())
    for year, month in COST_MONTHS:
        write_json(landing.costs_month(year, month), cost_month(year, month, None, END, daily_costs))
    (data_dir / "bqx_ops.yaml").write_text(yaml.safe_dump(config(), sort_keys=False, allow_unicode=True),
                                           encoding="utf-8")
    rules = data_dir / "triage.yaml"
    rules.write_text(yaml.safe_dump(triage_rules(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return rules
