"""GitHub issues and pull requests of bqx-labs/bqx-ml, as ``GET /repos/{o}/{r}/issues?state=all`` returns them."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import urllib.parse
from dataclasses import dataclass, field

from . import training
from .aws import LAMBDA_LIVE, PIPELINE_LIVE
from .plan import STAGES
from .timeline import SAMPLE_END, SAMPLE_REPO, SAMPLE_START, at, base62, d, digest, github_time, rng

API = f"https://api.github.com/repos/{SAMPLE_REPO}"
WEB = f"https://github.com/{SAMPLE_REPO}"

# login -> (id, type, author_association)
USERS = {
    "mkhan-bqx": (40211873, "User", "OWNER"),
    "lucia-ops": (51877302, "User", "MEMBER"),
    "ariel-ml": (63320199, "User", "MEMBER"),
    "tomasz-data": (71299045, "User", "MEMBER"),
    "jchen-quant": (88123456, "User", "CONTRIBUTOR"),
    "bqx-coord[bot]": (128331045, "Bot", "NONE"),
    "dependabot[bot]": (49699333, "Bot", "CONTRIBUTOR"),
    "ghost": (10137, "User", "NONE"),
}
HUMANS = ("mkhan-bqx", "lucia-ops", "ariel-ml", "tomasz-data")

# name -> (color, default, description); the last two are not part of the project's label scheme
LABELS = {
    "priority:P0": ("b60205", False, "Critical - system down, data loss (SLA 24 hours)"),
    "priority:P1": ("d93f0b", False, "High - major feature broken, R2 drop > 0.05 (SLA 1 week)"),
    "priority:P2": ("fbca04", False, "Medium - minor feature broken, small degradation (SLA 2 weeks)"),
    "priority:P3": ("0e8a16", False, "Low - cosmetic, nice-to-have (SLA 1 month)"),
    "category:data-quality": ("1d76db", False, "Missing data, anomalies, outliers"),
    "category:model-performance": ("5319e7", False, "Drift detected, R2 degradation"),
    "category:infrastructure": ("006b75", False, "Lambda timeouts, SageMaker errors"),
    "category:cost": ("c5def5", False, "Budget exceeded, unexpected charges"),
    "category:timeline": ("bfd4f2", False, "Stages taking longer than estimated"),
    "bug": ("d73a4a", True, "Something isn't working"),
    "enhancement": ("a2eeef", True, "New feature or request"),
    "needs-triage": ("ededed", False, None),
    "priority:urgent": ("e11d21", False, None),
}
CATEGORY = {"dq": "category:data-quality", "mp": "category:model-performance", "inf": "category:infrastructure",
            "cost": "category:cost", "tl": "category:timeline"}


@dataclass
class Item:
    title: str
    created: dt.datetime
    closed: dt.datetime | None
    user: str | None
    labels: list[str]
    body: str | None = None
    pr: bool = False
    merged: bool = True
    reason: str = "completed"
    assignees: list[str] = field(default_factory=list)
    comments: list[dt.datetime] = field(default_factory=list)
    locked: bool = False


def _t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)


# The issues the rest of the story refers to (incidents, blockers, cost and timeline problems).
STORY = [
    Item("Set up CI for training and inference packages", _t("2025-08-20T10:05:00"), _t("2025-08-21T16:40:00"),
         "mkhan-bqx", ["enhancement"], "Adds lint, unit tests and a container build.\n\nCloses the 0.2 checklist.", pr=True),
    Item("Ingestion Lambda cannot read the cross-account bqx-db export bucket", _t("2025-09-03T09:12:00"),
         _t("2025-09-12T11:30:00"), "tomasz-data", ["priority:P1", "category:infrastructure", "bug"],
         "`AccessDenied` on `s3:GetObject` for `s3://bqx-db-exports/`.\n\nBlocks stage 1.3.", assignees=["lucia-ops"]),
    Item("SageMaker ResourceLimitExceeded for ml.p3.8xlarge training jobs", _t("2025-12-15T02:10:00"),
         _t("2026-01-05T15:00:00"), "ariel-ml", ["priority:P1", "category:infrastructure", "bug"],
         "All transformer jobs fail with `ResourceLimitExceeded`; quota request opened.", assignees=["lucia-ops"]),
    Item("Transformer training cost ~3× the Phase 7 estimate in December", _t("2025-12-19T09:45:00"),
         _t("2026-01-20T10:00:00"), "mkhan-bqx", ["priority:P2", "category:cost"],
         "| Service | Dec to date |\n|---|---|\n| SageMaker | $118 |\n\nSee Cost Explorer."),
    Item("R² drop of 0.07 on Ensemble w60 after the year-end regime shift", _t("2025-12-29T09:30:00"),
         _t("2026-01-13T17:20:00"), "bqx-coord[bot]", ["priority:P1", "category:model-performance"],
         "{drop}", assignees=["ariel-ml"]),
    Item("Phase 7 (Transformer) running two weeks behind plan", _t("2026-01-06T08:55:00"), _t("2026-01-19T09:00:00"),
         "mkhan-bqx", ["priority:P2", "category:timeline"], None),
    Item("Inference Lambda times out (30 s) on w90 requests | payload > 6 MB", _t("2026-03-04T08:40:00"),
         _t("2026-03-04T15:05:00"), "lucia-ops", ["priority:P0", "category:infrastructure", "bug"],
         "```\nTask timed out after 30.03 seconds\n```\n~200 timeouts since 07:00 UTC.", assignees=["lucia-ops"]),
    Item("Stream w90 payloads and raise the inference timeout to 60 s", _t("2026-03-04T11:20:00"),
         _t("2026-03-04T14:58:00"), "lucia-ops", ["bug"], "Fixes the 2026-03-04 timeouts.", pr=True),
    Item("Ingestion dropped 38% of rows for 2026-03-06; XGBoost w30 R² fell 0.06", _t("2026-03-09T10:02:00"),
         _t("2026-03-11T12:45:00"), "bqx-coord[bot]", ["priority:P0", "category:data-quality", "bug"],
         "bqx-db export returned 17,841 rows instead of 28,800 for 2026-03-06.", assignees=["tomasz-data"]),
    Item("Lambda timeouts again after the model v7 rollout", _t("2026-05-12T07:55:00"), _t("2026-05-12T13:10:00"),
         "lucia-ops", ["priority:P0", "category:infrastructure", "bug"], None, assignees=["lucia-ops"]),
    Item("Drift detector raises false positives on JPY pairs after BoJ meetings", _t("2026-06-08T10:30:00"), None,
         "ariel-ml", ["priority:P1", "category:model-performance"], "PSI > 0.2 on `bqx_usdjpy_*` every BoJ day.",
         assignees=["ariel-ml"]),
    Item("Nightly pipeline failing: Athena ReadTimeoutError", _t("2026-06-29T21:15:00"), None, "bqx-coord[bot]",
         ["priority:P0", "category:infrastructure", "bug"], "Nightly feature job failed twice."),
    # Oddities a parser must survive.
    Item("Docs: README status table breaks when a phase name contains `|` <br> or **bold**",
         _t("2025-10-14T13:00:00"), _t("2025-10-20T09:00:00"), "jchen-quant", ["priority:P3", "bug"],
         "Phase | Status\n--- | ---\n<b>P3</b> | In Progress"),
    Item("Unicode pair names (“EUR⁄USD”, ÄÖÜ) break feature store paths — 日本円 too", _t("2025-10-22T15:30:00"),
         _t("2025-11-05T10:00:00"), "ghost", ["category:data-quality"], None),
    Item("Question about the bqx-db licence", _t("2025-11-26T18:00:00"), _t("2025-12-01T09:00:00"), None,
         ["needs-triage"], "Can the exported data be shared?", reason="not_planned", locked=True),
    Item("Please look at this ASAP", _t("2026-04-08T12:00:00"), _t("2026-04-10T09:00:00"), "jchen-quant",
         ["priority:urgent"], "Predictions look off for w75.", reason="not_planned"),
]

# category -> [(first day it makes sense, title template)], earliest first
_FILLER = {
    "dq": [(PIPELINE_LIVE, "Missing bars for {pair} on {day}"), (PIPELINE_LIVE, "Duplicate timestamps in bqx_raw for {pair}"),
           (d("2025-09-22"), "Outlier clipping too aggressive on {pair}"),
           (PIPELINE_LIVE, "Schema check fails on new bqx-db column `{col}`")],
    "mp": [(training.FIRST_EVAL, "R² for {model} {h} below baseline on fold {k}"),
           (training.FIRST_EVAL, "Early stopping triggers too soon for {model} {h}"),
           (d("2025-10-27"), "Feature importance shift in {pair} lag features")],
    "inf": [(training.FIRST_EVAL, "SageMaker job for {model} {h} failed on {day}"),
            (LAMBDA_LIVE, "Inference Lambda cold start > {n} s"),
            (d("2025-09-15"), "Athena query timeout in the nightly pipeline"),
            (LAMBDA_LIVE, "CloudWatch alarm flapping: {alarm}")],
    "cost": [(SAMPLE_START, "S3 storage growing faster than planned ({n} GB/week)"),
             (training.FIRST_EVAL, "Unexpected SageMaker Studio charges on weekends")],
    "tl": [(SAMPLE_START, "Stage {sid} slipping behind its estimate")],
    "enh": [(SAMPLE_START, "Show R² trend arrows in the README status section"),
            (training.FIRST_EVAL, "Add {h} confidence intervals to the evaluation report"),
            (d("2026-02-09"), "Export Airtable artifacts to docs/ on the Monday sync")],
}
_PRS = ["Add {what} (stage {sid})", "Fix {fix}", "Refactor {what}"]
_WHAT = ["walk-forward splitter", "feature store writer", "R² report", "evaluation harness", "cost dashboard",
         "ingestion retries", "SageMaker launcher"]
_FIX = ["NaN handling in sequence windows", "off-by-one in horizon shift", "timezone bug in ingestion",
        "flaky evaluation test", "S3 retry on SlowDown"]
_BUMPS = {"boto3": "1.40.{}", "pandas": "2.3.{}", "xgboost": "3.0.{}", "torch": "2.8.{}"}
_PAIRS = ["EURUSD", "GBPUSD", "USDJPY", "AUDUSD", "USDCHF", "EURGBP", "NZDUSD"]


def _running_stage(day: dt.date, r) -> str:
    running = [s.sid for s in STAGES.values() if s.start <= day <= (s.done or SAMPLE_END)]
    return r.choice(running) if running else "0.1"


def _filler(n_issues: int, n_prs: int) -> list[Item]:
    r = rng("github")
    span = int((at(SAMPLE_END, 18) - at(SAMPLE_START, 9)).total_seconds())
    items = []
    for i in range(n_issues + n_prs):
        created = at(SAMPLE_START, 9) + dt.timedelta(seconds=r.randrange(span))
        day = created.date()
        models = [m for m, spec in training.MODEL_SPECS.items() if spec[0] <= day] or ["LSTM"]
        values = {"pair": r.choice(_PAIRS), "day": day, "col": f"spread_{r.randint(1, 9)}",
                  "model": r.choice(models), "h": f"w{15 * r.randint(1, 6)}",
                  "k": r.randint(1, 6), "n": r.randint(3, 40), "alarm": r.choice(("bqx-ml-5xx", "bqx-ml-latency-p95")),
                  "sid": _running_stage(day, r), "what": r.choice(_WHAT), "fix": r.choice(_FIX)}
        if i >= n_issues:
            author = "dependabot[bot]" if r.random() < 0.25 else r.choice(HUMANS)
            if author == "dependabot[bot]":
                package = r.choice(sorted(_BUMPS))
                old = r.randint(0, 8)
                title = f"Bump {package} from {_BUMPS[package].format(old)} to {_BUMPS[package].format(old + r.randint(1, 3))}"
            else:
                title = r.choice(_PRS).format(**values)
            labels = [] if author == "dependabot[bot]" or r.random() < 0.5 else [r.choice(("enhancement", "bug"))]
            hours = r.uniform(0.5, 24 * r.choice((1, 2, 5, 10)))
            item = Item(title, created, created + dt.timedelta(hours=hours), author, labels,
                        None if r.random() < 0.3 else f"Part of stage {values['sid']}.", pr=True,
                        merged=r.random() < 0.85)
        else:
            cat = r.choice([c for c, templates in _FILLER.items() if templates[0][0] <= day])
            title = r.choice([t for since, t in _FILLER[cat] if since <= day]).format(**values)
            if r.random() < 0.12:
                labels, prio = [], None  # nobody triaged it
            else:
                prio = r.choices(("P0", "P1", "P2", "P3"), (5, 20, 50, 25))[0]
                labels = [f"priority:{prio}"] + ([CATEGORY[cat]] if cat in CATEGORY else ["enhancement"])
                if cat in ("dq", "inf") and r.random() < 0.5:
                    labels.append("bug")
            hours = {"P0": (1, 20), "P1": (24, 24 * 20), "P2": (48, 24 * 25), "P3": (120, 24 * 60),
                     None: (24, 24 * 30)}[prio]
            closed = created + dt.timedelta(hours=r.uniform(*hours))
            item = Item(title, created, None if r.random() < 0.1 else closed, r.choice(HUMANS + ("bqx-coord[bot]",)),
                        labels, None if r.random() < 0.2 else f"Seen in the {values['day']} run.\n\n- pair: {values['pair']}",
                        reason="not_planned" if r.random() < 0.08 else "completed",
                        assignees=[r.choice(HUMANS)] if r.random() < 0.6 else [])
        end = item.closed or at(SAMPLE_END, 23)
        item.comments = sorted(item.created + (end - item.created) * r.random() for _ in range(r.randint(0, 5)))
        items.append(item)
    return items


def _user(login: str | None) -> dict | None:
    if login is None:
        return None
    uid, kind, _ = USERS[login]
    return {
        "login": login, "id": uid, "node_id": base64.b64encode(f"04:{kind}{uid}".encode()).decode(),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4", "gravatar_id": "",
        "url": f"https://api.github.com/users/{urllib.parse.quote(login)}",
        "html_url": f"https://github.com/{urllib.parse.quote(login)}", "type": kind, "site_admin": False,
        "user_view_type": "public",
    }


def _label(name: str) -> dict:
    color, default, description = LABELS[name]
    return {"id": 7_800_000_000 + digest("label", name) % 100_000_000, "node_id": "LA_kwDOOb4pWM8" +
            base62(digest("label-node", name), 8), "url": f"{API}/labels/{urllib.parse.quote(name)}",
            "name": name, "color": color, "default": default, "description": description}


def _render(number: int, item: Item, cutoff: dt.datetime) -> dict:
    closed = item.closed if item.closed and item.closed <= cutoff else None
    comments = [c for c in item.comments if c <= cutoff]
    updated = max([item.created, *comments, *([closed] if closed else [])])
    kind = "pull" if item.pr else "issues"
    url = f"{API}/issues/{number}"
    out = {
        "url": url, "repository_url": API, "labels_url": url + "/labels{/name}", "comments_url": url + "/comments",
        "events_url": url + "/events", "html_url": f"{WEB}/{kind}/{number}", "timeline_url": url + "/timeline",
        "id": 3_300_000_000 + int((item.created - at(SAMPLE_START)).total_seconds() // 60) * 7 + number % 7,
        "node_id": ("PR_kwDOOb4pWM6" if item.pr else "I_kwDOOb4pWM7") + base62(digest("issue", number), 7),
        "number": number, "title": item.title, "user": _user(item.user),
        "labels": [_label(name) for name in item.labels], "state": "closed" if closed else "open",
        "locked": item.locked and bool(closed), "active_lock_reason": "resolved" if item.locked and closed else None,
        "assignee": _user(item.assignees[0]) if item.assignees else None,
        "assignees": [_user(a) for a in item.assignees], "milestone": None, "comments": len(comments),
        "created_at": github_time(item.created), "updated_at": github_time(updated),
        "closed_at": github_time(closed) if closed else None,
        "author_association": USERS[item.user][2] if item.user else "NONE",
        "body": item.body, "performed_via_github_app": None,
        "state_reason": None if item.pr or not closed else item.reason,
        "reactions": {"url": url + "/reactions", "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
                      "confused": 0, "heart": 0, "rocket": 0, "eyes": 0},
    }
    if item.pr:
        out["draft"] = False
        out["pull_request"] = {"url": f"{API}/pulls/{number}", "html_url": f"{WEB}/pull/{number}",
                               "diff_url": f"{WEB}/pull/{number}.diff", "patch_url": f"{WEB}/pull/{number}.patch",
                               "merged_at": github_time(closed) if closed and item.merged else None}
    return out


def _drop_text(model: str, horizon: str, day: dt.date) -> str:
    pair = [e for e in training.evaluations() if (e.model, e.horizon) == (model, horizon) and e.day <= day][-2:]
    return (f"{model} {horizon}: {pair[0].r2:.4f} → {pair[1].r2:.4f} between the {pair[0].day} and "
            f"{pair[1].day} evaluations (job `{pair[1].job}`).")


def issues(start: dt.date, end: dt.date) -> list[dict]:
    """The repository's issues and PRs as fetched at the end of ``end`` with ``since=start``."""
    story = [dataclasses.replace(item, body=item.body.format(drop=_drop_text("Ensemble", "w60", d("2025-12-29"))))
             if item.body == "{drop}" else item for item in STORY]
    world = sorted(story + _filler(84, 22), key=lambda item: item.created)
    cutoff, since = at(end, 23, 59, 59), at(start)
    out = []
    for number, item in enumerate(world, 1):
        if item.created > cutoff:
            continue
        issue = _render(number, item, cutoff)
        if issue["updated_at"] >= github_time(since):
            out.append(issue)
    return out
