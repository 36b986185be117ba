"""A sixth team's recorded landing zone, written by hand and independent of the sample and of the other
bases: a rain-nowcast plan started on a *Wednesday mid-month* (2023-12-13) across the year end and the
*weekday* leap day Thursday 2024-02-29 (a snapshot, a stage shipped, a timeout burst and a cost day that
day; February's projection over 29 days). Every name a reader sees is hostile but allowed: markdown and
mrkdwn metacharacters (``|``, ``*``, ``_``, ``<``, ``>``, ``&``, backticks), ``@channel`` / ``<!channel>``,
emoji, non-ASCII and a 300-character stage name, in the project, plan, phases, stages, people, horizons,
the ensemble (``Mix ⚡``), GitHub titles, log messages and a training job's failure reason. Two phases have
no stage at all, stages lack estimates, the optional tables are empty (Assessment Inputs not even landed),
the docs folder is derived from the project name (no ``dir_name``), and tables, fields and options are
renamed by the schema map.
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
START, END = D("2023-12-13"), D("2024-03-04")  # a Wednesday; END a Monday (the dashboard after the leap day)
LEAP_DAY = D("2024-02-29")  # a Thursday: a working day
NAME = "Ωmega_Nowcast *β* <ops> & `co` | 🌧️ @channel"
GOAL = "rain at 15 min & 1 h — <b>bold</b> claims | *none*"
PLAN_ID = "ΩN-24|β"
CHANNEL = "#omega-nowcast"
LOG_GROUP = "/omega/nowcast-api"
COST_CEILING = 250
BUDGET, DAYS_MIN, DAYS_MAX, R2_MIN, R2_MAX = 12345.67, 40, 55, 0.55, 0.70
HORIZONS = ["15 min", "1 h"]
ENSEMBLE = "Mix ⚡"
ANA, BO, CY, DEE = "Ana Løvberg 🌟", "Bo_b <bo@example.com>", "Cy *Kim*", "Dee | Ops & Co"
TABLES = {"Plans": "Roadmaps 🗺️", "Phases": "Epics & Themes", "Stages": "Stories", "Model Results": "Scores (R²)"}
FIELDS = {"Stages": {"Stage ID": "Story #", "Estimated Days": "Est. days", "Realized Cost": "Spent $"},
          "Phases": {"Phase ID": "Epic #"}, "Plans": {"Estimated Budget": "Budget $"}}
OPTIONS = {"Stages": {"Status": {"✅ shipped": "Done", "🚧 doing": "In Progress", "📋 backlog": "Todo"}},
           "Model Results": {"Model": {ENSEMBLE: "Ensemble"}}}
BASE_WORD = {v: k for k, v in OPTIONS["Stages"]["Status"].items()}
LONG_NAME = ("Backfill of every radar tile from 2019 to 2023 — " + "très long nom ✨ | *x* _y_ " * 12).strip()[:300]

# phase id, number, name, status when it has no stage (None: from its stages)
PHASES = [("E1", 1, "Data 📦 | ingest & <clean>", None), ("E2", 2, "Models *core* `v2`", None),
          ("E3", 3, "Ideas 💡 _someday_", "Todo"), ("E4", 4, "Kick-off @here", "Done")]
# record, Stage ID, phase, name, owner, est cost, est days, [(day, status, realized)]
STAGES = [
    ("recS1", "1.1", "E1", "Ingest radar tiles | *fast* path", ANA, 1500.00, 6,
     [(START, "In Progress", None), (D("2023-12-21"), "Done", 1720.40)]),
    ("recS2", "1.2", "E1", LONG_NAME, BO, None, None,  # no estimate at all
     [(D("2023-12-18"), "In Progress", None), (D("2024-01-11"), "Done", 640.00)]),
    ("recS3", "2.1", "E2", "Baseline `lgbm` & <tuning>", CY, 2200.00, 10,
     [(D("2023-12-20"), "In Progress", None), (LEAP_DAY, "Done", 2475.50)]),
    ("recS4", "2.2", "E2", "Mix ⚡ ensemble ✨", CY, 3000.00, 12, [(D("2024-01-08"), "In Progress", None)]),
    ("recS5", "2.3", "E2", "On-call rota @here", DEE, 0.00, 1, [(START, "In Progress", None)]),  # recurring
    ("recS6", "1.3", "E1", "Backfill **gaps** 2019–2023", BO, 800.00, None, [(D("2024-02-05"), "In Progress", None)]),
]
BLOCKER = "Blocked: vendor <!channel> *late* | see `TICKET-9` & <@U0123>"


def snapshot_days() -> list[dt.date]:
    """Mondays and Thursdays (the leap day is one), and the Wednesday start."""
    days = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
    return [d for d in days if d.weekday() in (0, 3) or d == START]


def ts(day: dt.date, hour: int = 6) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00.000Z"


def stage_fields(rec: tuple, day: dt.date) -> dict:
    """A stage's logical fields on ``day`` (our status words)."""
    rid, sid, phase, name, owner, est, days, changes = rec
    state = last_change(changes, day)
    status = state[1] if state else "Todo"
    fields = {"Stage ID": sid, "Name": name, "Phase": [f"rec{phase}"], "Status": status, "Owner": owner,
              "Notes": "ok" if status != "Todo" else "", "Last Modified": ts(day)}
    if est is not None:
        fields["Estimated Cost"] = est
    if days is not None:
        fields["Estimated Days"] = days
    worked(fields, changes, state)
    if rid == "recS6" and status == "In Progress":
        fields["Notes"] = BLOCKER
    return fields


def phase_status(pid: str, stages: list[dict]) -> str:
    fixed = next(p[3] for p in PHASES if p[0] == pid)
    if fixed:
        return fixed
    return phase_status_of(stages)


def evaluation_days(day: dt.date) -> list[dt.date]:
    return weekly(D("2023-12-19"), day)  # Tuesdays


def r2_value(model: str, horizon: str, k: int) -> float:
    """Week k's R²; the ensemble's 15 min drops by 0.08 in week 5 (Tuesday 2024-01-23), then recovers."""
    base = {"lgbm": 0.50, ENSEMBLE: 0.54}[model] - (0.03 if horizon == "1 h" else 0.0)
    drop = 0.08 if (model, horizon, k) == (ENSEMBLE, "15 min", 5) else 0.0
    return round(base + 0.007 * k - drop, 4)


def base_on(day: dt.date) -> dict[str, list[dict]]:
    """The base on ``day``: logical table and field names, the base's own status and model words."""
    stages = {r[0]: stage_fields(r, day) for r in STAGES}
    phases = []
    for pid, number, name, _ in PHASES:
        mine = [f for f in stages.values() if f["Phase"] == [f"rec{pid}"]]
        status = phase_status(pid, mine)
        fields = {"Phase ID": pid, "Number": number, "Name": name, "Plan": ["recOMEGA"], "Status": status,
                  "Owner": ANA, "Notes": f"{name} & more", "Last Modified": ts(day)}
        costs = [r[5] for r in STAGES if r[2] == pid and r[5] is not None]
        if costs:
            fields["Estimated Cost"] = round(sum(costs), 2)
        if status == "Done" and mine:
            fields["Realized Cost"] = round(sum(f["Realized Cost"] for f in mine), 2)
        phases.append({"id": f"rec{pid}", "createdTime": ts(START), "fields": fields})
    rows = [{"id": rid, "createdTime": ts(START), "fields": {**f, "Status": BASE_WORD[f["Status"]]}}
            for rid, f in stages.items()]
    plan = {"Plan ID": PLAN_ID, "Name": NAME, "Goal": GOAL, "Estimated Budget": BUDGET, "Status": "Active",
            "Estimated Days Min": DAYS_MIN, "Estimated Days Max": DAYS_MAX, "R2 Target Min": R2_MIN,
            "R2 Target Max": R2_MAX, "Horizons": HORIZONS, "Start Date": START.isoformat(), "Last Modified": ts(day)}
    results = []
    for k, when in enumerate(evaluation_days(day)):
        for model in ("lgbm", ENSEMBLE):
            for horizon in HORIZONS:
                results.append({"id": f"recR{k:03d}{'E' if model == ENSEMBLE else 'L'}{horizon[:2].strip()}",
                                "createdTime": ts(when, 21), "fields": {
                                    "Result ID": f"{model} · {horizon} · {when}", "Model": model, "Horizon": horizon,
                                    "Evaluated On": when.isoformat(), "R2": r2_value(model, horizon, k)}})
    return {"Plans": [{"id": "recOMEGA", "createdTime": ts(START), "fields": plan}], "Phases": phases,
            "Stages": rows, "Model Results": results, "Tasks": [], "Decisions": [], "Learnings": [], "Artifacts": []}


LONG_TITLE = "Very long issue title " + "with | pipes and *stars* and _underscores_ " * 10
# number, title, labels, created, closed (None: open)
ISSUES = [
    (1, "Radar feed `null` | tiles *missing* <!channel>", ["priority:P1", "category:data-quality"],
     "2023-12-18T09:00:00Z", "2023-12-20T15:30:00Z"),
    (2, "@channel API 500s & <script>alert(1)</script>", ["priority:P0", "category:infrastructure"],
     "2024-01-03T08:00:00Z", None),
    (3, "_Typo_ in docs ~strike~ [link](http://x.example)", [], "2024-02-01T12:00:00Z", None),
    (4, LONG_TITLE, ["P2", "category:timeline"], "2024-01-16T10:00:00Z", None),
    (5, "🔥 Cost spike on GPU <@U0123>", ["P2", "category:cost"], "2024-02-12T07:00:00Z", "2024-02-29T18:00:00Z"),
]


def issues() -> list[dict]:
    return [{"number": n, "title": title, "state": "closed" if closed else "open", "created_at": created,
             "closed_at": closed, "updated_at": closed or created, "labels": [{"name": x} for x in labels],
             "user": {"login": "ana-l"}, "assignees": [], "html_url": f"https://github.com/omega-wx/nowcast/issues/{n}"}
            for n, title, labels, created, closed in ISSUES]


def log_events(day: dt.date) -> list[dict]:
    """Lambda timeouts with hostile text across the year end and on the leap day."""
    events = []
    if day in (D("2023-12-31"), D("2024-01-01"), LEAP_DAY):
        events = [(h, f"Task timed out after 30.0{h} seconds | <@U0123> *oops* & <!here>") for h in (2, 14)]
    return day_events(day, events, "api/1", 100)


FAILURE = "AlgorithmError: *NaN* in `loss` <!channel> | see <http://evil.example|here>"


def jobs() -> list[dict]:
    out = []
    for name, status, ended in (("omega-mix-15min-1", "Completed", dt.datetime(2024, 1, 9, 4, tzinfo=dt.timezone.utc)),
                                ("omega-mix-15min-2", "Failed", dt.datetime(2024, 1, 22, 4, tzinfo=dt.timezone.utc))):
        job = {"TrainingJobName": name, "TrainingJobStatus": status, "CreationTime": (ended - dt.timedelta(hours=1)).isoformat(),
               "TrainingEndTime": ended.isoformat(), "LastModifiedTime": ended.isoformat(),
               "HyperParameters": {"model": "mix", "horizon": "15 min"}}
        if status == "Failed":
            job["FailureReason"] = FAILURE
        else:
            job["FinalMetricDataList"] = [{"MetricName": "validation:r2", "Value": 0.6, "Timestamp": ended.isoformat()}]
        out.append(job)
    return out


COST_MONTHS = ((2023, 12), (2024, 1), (2024, 2), (2024, 3))


def daily_cost(day: dt.date) -> str:
    return {12: "6.50", 1: "7.25", 2: "10.00", 3: "4.00"}[day.month]


def config() -> dict:
    return {
        "project": {"name": NAME, "goal": GOAL, "plan_id": PLAN_ID},
        "start_date": START.isoformat(), "github_repo": "omega-wx/nowcast", "slack": {"channel": CHANNEL},
        "roles": {"coordinator": ANA, "qa": BO, "architect": CY, "approver": DEE, "ml": CY, "data": BO, "infra": DEE},
        "aws": {"log_groups": [LOG_GROUP], "sagemaker": {"name_contains": "omega-"}},
        "recurring_stages": {"name_patterns": ["on-call"]},
        "cost_budget_per_month": COST_CEILING,
        "schema_map": {"tables": TABLES, "fields": FIELDS, "options": OPTIONS},
    }


def write(data_dir: Path) -> None:
    """The landing zone in the base's own names and the team's bqx_ops.yaml."""
    data_dir = Path(data_dir)
    landing = Landing(data_dir)
    write_snapshots(landing, snapshot_days(), base_on, TABLES, FIELDS)
    write_json(landing.github_issues, issues())
    write_log_days(landing, [LOG_GROUP], START, END, lambda _, day: log_events(day))
    write_json(landing.sagemaker_jobs, jobs())
    for year, month in COST_MONTHS:
        write_json(landing.costs_month(year, month),
                   cost_month(year, month, START, END, lambda d: {"Amazon SageMaker": daily_cost(d)}))
    (data_dir / "bqx_ops.yaml").write_text(yaml.safe_dump(config(), sort_keys=False, allow_unicode=True),
                                           encoding="utf-8")
