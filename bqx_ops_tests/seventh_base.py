"""A seventh team's recorded landing zone, written by hand and independent of the sample and of the other
bases: a solar-power forecast plan kept in Norwegian, started on a *Tuesday* at the end of November 2021 and
followed for over thirteen months, so *two* year ends (2021/22 and 2022/23) fall inside the history and the
dashboard's yearly 360 count starts again. What no other base has:

- *every* field a report reads renamed (Status, Name, Phase, Owner, Model, Horizon, R2, Evaluated On, dates
  and costs, not only the key fields) and the status words of plans, phases, stages and tasks in Norwegian;
- a plan of *twenty* phases (``F1`` .. ``F20``, Numbers 1 .. 20, one with ten stages ``3.1`` .. ``3.10``);
- a budget of *$0* in the Plans record until the plan is re-baselined (2022-03-01, $48,000), horizons named
  ``J+1`` .. ``J+14`` with a fifth (``J+30``) added at the re-baseline of 2022-06-07, two phases added then and
  one removed (2022-09-06), a stage moved to another phase while In Progress (2022-06-01) and a Done stage re-opened;
- *no Model Results at all* for the first four months;
- no monthly cost ceiling, Cost Explorer months in four services with credits (a refund day below zero), and
  the days of November 2021 before the start (a prototype on the same account);
- a GitHub repository without a single priority or category label (its issues stay untriaged), the team's
  own triage rules (its own SLAs and a rules list that replaces ours), four CloudWatch log groups (one never
  logs) and a SageMaker listing that holds no job at all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from bqx_ops.landing import Landing, write_json
from bqx_ops_tests.base_builder import cost_month, day_events, phase_status_of, weekly, write_log_days, write_snapshots

D = dt.date.fromisoformat
START, END = D("2021-11-30"), D("2023-01-09")  # a Tuesday; END the second Monday of 2023
PLAN_ID, NAME, GOAL = "NSK-22", "Nordlys Solkraft", "solkraftprognoser for J+1 til J+30"
CHANNEL, DOCS_DIR = "#nordlys-solkraft", "nordlys-docs"
REBASELINE_BUDGET, REBASELINE_SCOPE, STAGE_MOVED, PHASE_REMOVED = (
    D("2022-03-01"), D("2022-06-07"), D("2022-06-01"), D("2022-09-06"))
BUDGET = {False: 0, True: 48000}  # before / from REBASELINE_BUDGET
DAYS_MIN, DAYS_MAX, R2_MIN, R2_MAX = 250, 300, 0.60, 0.80
HORIZONS = {False: ["J+1", "J+3", "J+7", "J+14"], True: ["J+1", "J+3", "J+7", "J+14", "J+30"]}  # from SCOPE
FIRST_EVALUATION = D("2022-04-07")  # a Thursday: no Model Results before it
ASE, OYVIND, SIRI, HAKON = "Åse Bjørnstad", "Øyvind Lærum", "Siri Ødegård", "Håkon Ås"
TABLES = {"Plans": "Planer", "Phases": "Faser", "Stages": "Steg", "Tasks": "Oppgaver",
          "Model Results": "Modellresultater", "Decisions": "Beslutninger"}
_COMMON = {"Status": "Tilstand", "Name": "Navn", "Owner": "Ansvarlig", "Notes": "Notater",
           "Estimated Cost": "Estimert kost", "Realized Cost": "Faktisk kost", "Start Date": "Startdato",
           "Last Modified": "Sist endret"}
FIELDS = {
    "Plans": {"Plan ID": "Plan-ID", "Name": "Navn", "Goal": "Mål", "Estimated Budget": "Budsjett",
              "Estimated Days Min": "Dager min", "Estimated Days Max": "Dager maks", "R2 Target Min": "R² min",
              "R2 Target Max": "R² maks", "Horizons": "Horisonter", "Start Date": "Startdato", "Status": "Tilstand",
              "Last Modified": "Sist endret"},
    "Phases": {**_COMMON, "Phase ID": "Fase-ID", "Number": "Nummer", "End Date": "Sluttdato"},
    "Stages": {**_COMMON, "Stage ID": "Steg-ID", "Phase": "Fase", "Estimated Days": "Estimerte dager",
               "Completed Date": "Fullført dato"},
    "Tasks": {"Task Key": "Oppgave", "Name": "Navn", "Status": "Tilstand", "Stage": "Steg", "Owner": "Ansvarlig"},
    "Model Results": {"Result ID": "Resultat-ID", "Model": "Modell", "Horizon": "Horisont", "R2": "R²",
                      "Evaluated On": "Evaluert"},
}
STATUS_WORDS = {"Ferdig": "Done", "Pågår": "In Progress", "Ikke startet": "Todo"}
OPTIONS = {"Stages": {"Status": STATUS_WORDS}, "Phases": {"Status": STATUS_WORDS}, "Tasks": {"Status": STATUS_WORDS},
           "Plans": {"Status": {"Aktiv": "Active", "På vent": "On Hold", "Avsluttet": "Done"}},
           "Model Results": {"Model": {"Samlet": "Ensemble"}}}
BASE_WORD = {v: k for k, v in STATUS_WORDS.items()}
ENSEMBLE = "Samlet"
PEOPLE = (ASE, OYVIND, SIRI, HAKON)

# stages per phase (F1 .. F20); F3 has ten, so 3.10 sorts after 3.9 for a reader
STAGE_COUNTS = [2, 1, 10, 1, 2, 1, 2, 1, 1, 2, 1, 1, 2, 1, 1, 1, 1, 1, 2, 2]
ADDED = {19: REBASELINE_SCOPE, 20: REBASELINE_SCOPE}  # phases added at the scope re-baseline
REMOVED = {18: PHASE_REMOVED}  # never started; removed with its stage
MOVED = ("7.2", 8)  # stage 7.2 moves to phase F8 from STAGE_MOVED
REOPENED = ("2.1", D("2022-02-15"), D("2022-03-08"))  # Done, re-opened, Done again (costs more)
LONG_STAGE = "20.2"  # the last stage: long, still In Progress at END


def stage_ids() -> list[tuple[str, int]]:
    """(Stage ID, phase number) in the order the work is done: F18's stage last (it never starts)."""
    ids = [(f"{n}.{k}", n) for n, count in enumerate(STAGE_COUNTS, 1) for k in range(1, count + 1)]
    return [s for s in ids if s[1] != 18] + [s for s in ids if s[1] == 18]


def schedule(sid: str) -> tuple[dt.date, dt.date | None]:
    """A stage's start and completion: one every 10 days from START, 11 calendar days each (the long one is
    open); F18's stage never starts (no start)."""
    j = [s for s, _ in stage_ids()].index(sid)
    if sid.startswith("18."):
        return dt.date.max, None
    start = START + dt.timedelta(days=10 * j)
    return start, (None if sid == LONG_STAGE else start + dt.timedelta(days=11))


def estimates(sid: str) -> tuple[float, int]:
    """Estimated Cost (with cents) and Estimated Days."""
    j = [s for s, _ in stage_ids()].index(sid)
    return round(800 + 37.55 * j, 2), (40 if sid == LONG_STAGE else 7)


def realized(sid: str, second: bool = False) -> float:
    j = [s for s, _ in stage_ids()].index(sid)
    factor = (1.10, 0.95, 1.25, 1.00)[j % 4] + (0.30 if second else 0.0)
    return round(estimates(sid)[0] * factor, 2)


def snapshot_days() -> list[dt.date]:
    return weekly(START, END)  # every Tuesday


def ts(day: dt.date, hour: int = 7) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00.000Z"


def phase_alive(n: int, day: dt.date) -> bool:
    return ADDED.get(n, START) <= day and (n not in REMOVED or day < REMOVED[n])


def stage_fields(sid: str, n: int, day: dt.date) -> dict:
    """A stage's logical fields on ``day`` (our status words)."""
    start, done = schedule(sid)
    cost, days = estimates(sid)
    status, paid, completed = "Todo", None, None
    if start <= day:
        status = "In Progress"
    if done and done <= day:
        status, paid, completed = "Done", realized(sid), done
    if sid == REOPENED[0] and REOPENED[1] <= day:
        status, paid, completed = ("In Progress", None, None) if day < REOPENED[2] else \
            ("Done", realized(sid, second=True), REOPENED[2])
    phase = MOVED[1] if sid == MOVED[0] and day >= STAGE_MOVED else n
    fields = {"Stage ID": sid, "Name": f"Steg {sid} – solprognose", "Phase": [f"recF{phase}"], "Status": status,
              "Owner": PEOPLE[n % 4], "Estimated Cost": cost, "Estimated Days": days,
              "Notes": "Går etter planen." if status != "Todo" else "", "Last Modified": ts(day)}
    if status != "Todo":
        fields["Start Date"] = start.isoformat()
    if status == "Done":
        fields["Completed Date"] = completed.isoformat()
        fields["Realized Cost"] = paid
    return fields


def plan_fields(day: dt.date) -> dict:
    return {"Plan ID": PLAN_ID, "Name": NAME, "Goal": GOAL, "Estimated Budget": BUDGET[day >= REBASELINE_BUDGET],
            "Estimated Days Min": DAYS_MIN, "Estimated Days Max": DAYS_MAX, "R2 Target Min": R2_MIN,
            "R2 Target Max": R2_MAX, "Horizons": HORIZONS[day >= REBASELINE_SCOPE], "Start Date": START.isoformat(),
            "Status": "Aktiv", "Last Modified": ts(day)}


def evaluation_days(day: dt.date) -> list[dt.date]:
    return weekly(FIRST_EVALUATION, day)  # Thursdays


def r2_value(model: str, horizon: str, k: int) -> float:
    """Week k's R²: the ensemble's J+7 drops by 0.07 in week 10 (2022-06-16), then recovers."""
    offset = {"J+1": 0.0, "J+3": 0.02, "J+7": 0.04, "J+14": 0.07, "J+30": 0.10}[horizon]
    base = {"prophet": 0.55, "lgbm": 0.60, ENSEMBLE: 0.64}[model] - offset
    drop = 0.07 if (model, horizon, k) == (ENSEMBLE, "J+7", 10) else 0.0
    return round(min(base + 0.003 * k, 0.9) - drop, 4)


def base_on(day: dt.date) -> dict[str, list[dict]]:
    """The base on ``day``: logical table and field names, the base's own status and model words."""
    stages = {sid: stage_fields(sid, n, day) for sid, n in stage_ids() if phase_alive(n, day)}
    phases = []
    for n in range(1, 21):
        if not phase_alive(n, day):
            continue
        mine = [f for f in stages.values() if f["Phase"] == [f"recF{n}"]]
        status = phase_status_of(mine) if mine else "Todo"
        fields = {"Phase ID": f"F{n}", "Number": n, "Name": f"Fase {n}", "Plan": ["recNSK"], "Status": BASE_WORD[status],
                  "Owner": PEOPLE[n % 4], "Estimated Cost": round(sum(f["Estimated Cost"] for f in mine), 2),
                  "Notes": "", "Last Modified": ts(day)}
        if status == "Done":
            fields["Realized Cost"] = round(sum(f["Realized Cost"] for f in mine), 2)
            fields["End Date"] = max(f["Completed Date"] for f in mine)
        phases.append({"id": f"recF{n}", "createdTime": ts(ADDED.get(n, START)), "fields": fields})
    rows = [{"id": f"recS{sid.replace('.', '_')}", "createdTime": ts(START),
             "fields": {**f, "Status": BASE_WORD[f["Status"]]}} for sid, f in stages.items()]
    results = []
    for k, when in enumerate(evaluation_days(day)):
        for model in ("prophet", "lgbm", ENSEMBLE):
            for horizon in HORIZONS[when >= REBASELINE_SCOPE]:
                results.append({"id": f"recR{k:03d}{model[:3]}{horizon}", "createdTime": ts(when, 20), "fields": {
                    "Result ID": f"{model}/{horizon}/{when}", "Model": model, "Horizon": horizon,
                    "Evaluated On": when.isoformat(), "R2": r2_value(model, horizon, k)}})
    tasks = [{"id": "recT1", "createdTime": ts(START), "fields": {
        "Task Key": "OPP-1", "Name": "Skaff værdata", "Status": BASE_WORD["Done" if day >= D("2022-01-11") else "Todo"],
        "Stage": ["recS1_1"], "Owner": ASE}}]
    return {"Plans": [{"id": "recNSK", "createdTime": ts(START), "fields": plan_fields(day)}], "Phases": phases,
            "Stages": rows, "Tasks": tasks, "Model Results": results, "Decisions": [], "Learnings": [],
            "Artifacts": []}


# number, title, labels (none says a priority or a category), created, closed (None: open)
ISSUES = [
    (1, "Værdata fra met.no mangler for Tromsø", ["bug"], "2021-12-06T09:00:00Z", "2021-12-09T12:00:00Z"),
    (2, "Dashbordet laster sakte", ["enhancement"], "2022-02-02T10:00:00Z", None),
    (3, "Prognosen for J+30 er flat", ["bug", "spørsmål"], "2022-06-20T08:30:00Z", "2022-07-04T15:00:00Z"),
    (4, "Oppdater avhengigheter", [], "2022-12-27T11:00:00Z", None),
]


def issues() -> list[dict]:
    return [{"number": n, "title": title, "state": "closed" if closed else "open", "created_at": created,
             "closed_at": closed, "updated_at": closed or created, "labels": [{"name": x} for x in labels],
             "user": {"login": "ase-b"}, "assignees": [], "html_url": f"https://github.com/nordlys/solkraft/issues/{n}"}
            for n, title, labels, created, closed in ISSUES]


LOG_GROUPS = ("/aws/lambda/nordlys-predict", "/nordlys/etl", "/nordlys/batch", "/aws/sagemaker/TrainingJobs")
TIMEOUT = "Task timed out after 15.00 seconds"
MISSING = "ERROR Mangler data fra met.no for stasjon"


def log_events(group: str, day: dt.date) -> list[dict]:
    """The predict Lambda times out over the 2021/22 year end; the ETL misses a station's data on the
    first Mondays of 2022's months; the batch warns once; the SageMaker group never logs."""
    events = []
    if group == LOG_GROUPS[0] and D("2021-12-30") <= day <= D("2022-01-03"):
        events = [(h, TIMEOUT) for h in (3, 9, 15)]
    elif group == LOG_GROUPS[1] and day.year == 2022 and day.day <= 7 and day.weekday() == 0:
        events = [(5, f"{MISSING} 1{day.month:02d}")]
    elif group == LOG_GROUPS[2] and day == D("2022-10-12"):
        events = [(4, "WARN batch tok lengre tid enn vanlig")]
    return day_events(day, events, "s/1", 50)


COST_MONTHS = [(2021, 11), (2021, 12)] + [(2022, m) for m in range(1, 13)] + [(2023, 1)]
REFUND_DAY = D("2022-02-01")  # a SageMaker credit larger than the day's usage


def daily_costs(day: dt.date) -> dict[str, str]:
    if day < START:  # the account ran a prototype before the plan began: Cost Explorer has those days too
        return {"Amazon SageMaker": "2.50"}
    costs = {"Amazon SageMaker": "14.20", "AWS Lambda": "1.35", "Amazon Simple Storage Service": "0.42"}
    if D("2022-01-01") <= day <= D("2022-03-31"):
        costs["Amazon SageMaker"] = "-0.0000001"  # credits cover the usage (Cost Explorer's rounding)
    if day == REFUND_DAY:
        costs["Amazon SageMaker"] = "-180.00"
    if day.day == 1:
        costs["Tax"] = "25.00"
    return costs


def triage_rules() -> dict:
    """The team's SLAs and its own rules list (it replaces ours): its Lambda timeouts and missing weather
    data only. No label of its repository names a priority or a category."""
    return {"priorities": {"P0": {"sla_hours": 12}, "P1": {"sla_hours": 96}, "P2": {"sla_hours": 240},
                           "P3": {"sla_hours": 480}},
            "rules": [{"name": "lambda-timeout", "sources": ["cloudwatch"], "pattern": "Task timed out",
                       "category": "Infrastructure", "priority": "P1"},
                      {"name": "mangler-data", "sources": ["cloudwatch"], "pattern": "(?i)mangler data",
                       "category": "Data Quality", "priority": "P2"}]}


def config() -> dict:
    return {
        "project": {"name": NAME, "goal": GOAL, "plan_id": PLAN_ID},
        "start_date": START.isoformat(), "github_repo": "nordlys/solkraft", "slack": {"channel": CHANNEL},
        "docs_repo": {"dir_name": DOCS_DIR},
        "roles": {"coordinator": ASE, "qa": SIRI, "architect": OYVIND, "approver": HAKON, "ml": OYVIND,
                  "data": SIRI, "infra": HAKON},
        "aws": {"log_groups": list(LOG_GROUPS)},
        "schema_map": {"tables": TABLES, "fields": FIELDS, "options": OPTIONS},
    }


def write(data_dir: Path) -> Path:
    """The landing zone in the base's own names, bqx_ops.yaml and the triage rules; returns the rules file."""
    data_dir = Path(data_dir)
    landing = Landing(data_dir)
    write_snapshots(landing, snapshot_days(), base_on, TABLES, FIELDS)
    write_json(landing.github_issues, issues())
    write_log_days(landing, LOG_GROUPS, START, END, log_events)
    write_json(landing.sagemaker_jobs, [])
    for year, month in COST_MONTHS:
        write_json(landing.costs_month(year, month), cost_month(year, month, None, END, daily_costs))
    (data_dir / "bqx_ops.yaml").write_text(yaml.safe_dump(config(), sort_keys=False, allow_unicode=True),
                                           encoding="utf-8")
    rules = data_dir / "triage.yaml"
    rules.write_text(yaml.safe_dump(triage_rules(), sort_keys=False, allow_unicode=True), encoding="utf-8")
    return rules
