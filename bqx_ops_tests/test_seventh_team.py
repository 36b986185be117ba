"""A seventh team's base (bqx_ops_tests/seventh_base.py) through the demo, read as its manager would: thirteen
months over two year ends, every field and status word renamed (Norwegian), twenty phases, a $0 budget until a
re-baseline, five horizons (one added mid-way), four months without any Model Results, costs with credits, no
GitHub label a triage rule knows, four log groups and an empty SageMaker listing. Expectations come from the
landing JSON, the calendar and the base's constants, never from bqx_ops.

One module fixture (one demo run of 58 snapshots, ~40-60 s); each defect it found also has a pure test here."""

import datetime as dt
import json
import re
import subprocess

import numpy as np
import pytest

from bqx_ops.landing import Landing, read_json
from bqx_ops_tests import seventh_base as nsk
from bqx_ops_tests.test_other_team import SAMPLE_WORDS, fridays, names_in_outputs, reviews, run_demo

LAST_SNAPSHOT = nsk.snapshot_days()[-1]  # Tuesday 2023-01-03: the replay ends there
F = nsk.FIELDS
DONE = nsk.BASE_WORD["Done"]


@pytest.fixture(scope="module")
def nsk_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("nordlys")
    rules = nsk.write(tmp / "data")
    done = run_demo(tmp, "--to", nsk.END.isoformat(), BQX_OPS_OUTBOX_HORIZON_DAYS="100000",
                    BQX_OPS_TRIAGE_RULES=str(rules))
    assert done.returncode == 0, done.stdout + done.stderr
    return tmp / "data", done


def docs(data):
    return data / nsk.DOCS_DIR / "docs"


def as_of_snapshot(day: dt.date) -> dt.date:
    return max(d for d in nsk.snapshot_days() if d <= day)


def table(data, day: dt.date, name: str) -> list[dict]:
    return [r["fields"] for r in read_json(Landing(data).airtable_table(day, nsk.TABLES[name]))["records"]]


def committed(data, grep: str, path: str) -> str:
    """``path`` as the docs repo's commit whose message holds ``grep`` left it."""
    git = ["git", "-C", str(data / f"{nsk.DOCS_DIR}.git")]
    sha = subprocess.run([*git, "log", "--format=%H", f"--grep={grep}"], capture_output=True, text=True,
                         check=True).stdout.split()[0]
    return subprocess.run([*git, "show", f"{sha}:{path}"], capture_output=True, text=True, check=True).stdout


def plan_update(data, friday: dt.date) -> str:
    return (docs(data) / "plan-updates" / f"{friday}.md").read_text(encoding="utf-8")


def test_every_period_is_reported_and_nothing_names_the_sample(nsk_run):
    data, done = nsk_run
    assert f"bqx-ops demo: {nsk.START} .. {LAST_SNAPSHOT}" in done.stdout
    assert sorted(p.name for p in (docs(data) / "plan-updates").iterdir()) == \
        [f"{d}.md" for d in fridays(nsk.START, LAST_SNAPSHOT)]
    assert sorted(p.name for p in (docs(data) / "reviews").glob("*.md")) == \
        [f"{d}-issue-review.md" for d in reviews(nsk.START, LAST_SNAPSHOT)]
    quarters = {re.match(r"Q\d-\d{4}", p.name).group() for p in (docs(data) / "assessments").iterdir()}
    assert quarters == {"Q4-2021", "Q1-2022", "Q2-2022", "Q3-2022", "Q4-2022"}
    assert not names_in_outputs(data, nsk.DOCS_DIR, done.stdout, SAMPLE_WORDS)


FRIDAYS = [dt.date(2021, 12, 17), dt.date(2022, 2, 25), dt.date(2022, 3, 4), dt.date(2022, 6, 10),
           dt.date(2022, 9, 9), dt.date(2022, 12, 30)]


@pytest.mark.parametrize("friday", FRIDAYS)
def test_the_budget_and_timeline_lines_are_the_landed_base_recomputed(nsk_run, friday):
    """Budget: the Plans record's (Budsjett) of the as-of snapshot, $0 before the re-baseline; realized and variance
    over the Done stages (Ferdig); timeline: working days from the Tuesday start, earned = their Estimated Days."""
    data, _ = nsk_run
    snap = as_of_snapshot(friday)
    [plan] = table(data, snap, "Plans")
    budget = plan[F["Plans"]["Estimated Budget"]]
    assert budget == (0 if friday < nsk.REBASELINE_BUDGET else 48000)
    done = [s for s in table(data, snap, "Stages") if s[F["Stages"]["Status"]] == DONE]
    realized = sum(s[F["Stages"]["Realized Cost"]] for s in done)
    estimated = sum(s[F["Stages"]["Estimated Cost"]] for s in done)
    spent = f"{100 * realized / budget:.1f}% of budget spent" if budget else \
        "budget spent: no percentage of a $0 budget: over budget"
    line = f"Budget: ${budget:,} estimated | ${realized:,.2f} realized | " \
           f"{100 * (realized - estimated) / estimated:+.1f}% variance | {spent}"
    text = plan_update(data, friday)
    assert line in text
    elapsed = int(np.busday_count(nsk.START, friday + dt.timedelta(days=1)))
    earned = sum(s[F["Stages"]["Estimated Days"]] for s in done)
    assert f"Timeline: {nsk.DAYS_MIN}-{nsk.DAYS_MAX} days estimated | {elapsed} actual | " \
           f"{elapsed - earned} days behind" in text


@pytest.mark.parametrize("friday", [dt.date(2022, 4, 1), dt.date(2022, 4, 8), dt.date(2022, 6, 10),
                                    dt.date(2022, 6, 17), dt.date(2022, 12, 30)])
def test_r2_current_is_the_mean_of_the_latest_ensemble_row_per_horizon(nsk_run, friday):
    """The base's ensemble is 'Samlet'; no Model Results at all before 2022-04-07; J+30 evaluated from 06-09."""
    data, _ = nsk_run
    rows = [r for r in table(data, as_of_snapshot(friday), "Model Results")
            if r[F["Model Results"]["Model"]] == nsk.ENSEMBLE
            and dt.date.fromisoformat(r[F["Model Results"]["Evaluated On"]]) <= friday]
    latest = {}
    for r in sorted(rows, key=lambda r: r[F["Model Results"]["Evaluated On"]]):
        latest[r[F["Model Results"]["Horizon"]]] = r[F["Model Results"]["R2"]]
    text = plan_update(data, friday)
    if not latest:
        assert "R²: Current: no data | Target 0.60-0.80 | Trend: no data" in text
        return
    shown = float(re.search(r"R²: Current ([0-9.]+) \|", text).group(1))
    assert shown == pytest.approx(sum(latest.values()) / len(latest), abs=0.005)
    assert f"over {len(latest)} horizon" in text


def month_rows(data, year, month):
    return read_json(Landing(data).costs_month(year, month))["ResultsByTime"]


def day_total(row) -> float:
    return sum(float(g["Metrics"]["UnblendedCost"]["Amount"]) for g in row["Groups"])


@pytest.mark.parametrize("monday", [dt.date(2022, 1, 3), dt.date(2022, 2, 7), dt.date(2022, 3, 7)])
def test_cost_per_month_sums_every_service_with_its_credits(nsk_run, monday):
    """Four services; January-March's SageMaker credited to -0.0000001 a day and a -$180 refund on 02-01:
    a month to date below zero is shown as it is, and there is no ceiling (no target)."""
    data, _ = nsk_run
    prev = monday.replace(day=1) - dt.timedelta(days=1)
    last_month = sum(day_total(r) for r in month_rows(data, prev.year, prev.month))
    n = monday.day - 1
    to_date = sum(day_total(r) for r in month_rows(data, monday.year, monday.month)[:n])
    days_in = (monday.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)

    def usd(v):
        return f"-${-v:,.2f}" if round(v, 2) < 0 else f"${v:,.2f}"
    board = committed(data, f"dashboard as of {monday}", "docs/dashboard.md")
    row = f"| **Cost/Month** | no target | {prev:%b} {usd(last_month)}; {monday:%b} to date {usd(to_date)} " \
          f"({n} day{'s' if n > 1 else ''}), projected {usd(to_date / n * days_in.day)} |"
    assert row in board


@pytest.mark.parametrize("monday, shown", [(dt.date(2022, 12, 26), "3/4 (3 due so far)"),
                                           (dt.date(2023, 1, 2), "0/4 (0 due so far)")])
def test_the_yearly_360_count_starts_again_after_the_year_end(nsk_run, monday, shown):
    """2022's Q1-Q3 finals (03-25, 06-24, 09-30) are due by 12-26, Q4's (12-30) not yet; on 2023-01-02 no quarter
    of 2023 is due, and 2022's four do not count."""
    data, _ = nsk_run
    board = committed(data, f"dashboard as of {monday}", "docs/dashboard.md")
    assert f"| **360 Assessments** | 4/year | {shown} ✅ |" in board


def test_review_lists_every_open_unlabelled_github_issue_as_untriaged(nsk_run):
    """No label of the repository names a priority or category and the team's rules never match GitHub:
    each open issue is untriaged, listed and counted, none dropped."""
    data, _ = nsk_run
    for end in (dt.date(2022, 7, 1), dt.date(2023, 1, 1)):
        instant = f"{end}T10:00:00Z"
        open_ = sorted(n for n, _, _, created, closed in nsk.ISSUES
                       if created < instant and (closed is None or closed >= instant))
        review = json.loads((docs(data) / "reviews" / f"{end}-issue-review.json").read_text())
        github = [i for i in review["inventory"] if i["source"] == "github" and i["state"] == "open"]
        assert sorted(int(i["source_ref"]) for i in github) == open_
        assert all(i["priority"] is None and i["category"] is None for i in github)
        text = (docs(data) / "reviews" / f"{end}-issue-review.md").read_text(encoding="utf-8")
        assert f"**{len(open_)} untriaged issue{'s' if len(open_) > 1 else ''}**" in text


def test_the_changelog_says_which_stage_moved_to_another_phase(nsk_run):
    """Stage 7.2 moves from F7 to F8 in the week of 2022-06-06 while In Progress: the CHANGELOG said only
    'Completed phases: Phase 7' (its other stage was Done), as if 7.2 had vanished or been finished."""
    data, _ = nsk_run
    moved = nsk.STAGE_MOVED
    before, after = as_of_snapshot(moved - dt.timedelta(days=1)), as_of_snapshot(moved + dt.timedelta(days=6))
    link = F["Stages"]["Phase"]
    [old] = [s for s in table(data, before, "Stages") if s[F["Stages"]["Stage ID"]] == nsk.MOVED[0]]
    [new] = [s for s in table(data, after, "Stages") if s[F["Stages"]["Stage ID"]] == nsk.MOVED[0]]
    assert old[link] != new[link] and new[F["Stages"]["Status"]] == nsk.BASE_WORD["In Progress"]
    changelog = (data / nsk.DOCS_DIR / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "- stage moved: 7.2 Steg 7.2 – solprognose: Phase 7 – Fase 7 → Phase 8 – Fase 8" in changelog


def test_a_phase_done_again_after_reopening_is_not_announced_as_released_twice(nsk_run):
    """Stage 2.1 (phase F2's only stage) is Done 2021-12-31, re-opened 2022-02-15 and Done again 03-08. The tag
    phase-2-done and its GitHub release stay those of January; the Slack sync note of March said 'Released:
    phase-2-done' all the same, a release nobody could find."""
    data, _ = nsk_run
    sinks = [json.loads(line) for line in (data / "sinks" / "slack.jsonl").read_text().splitlines()]
    released = [s["key"] for s in sinks if s["key"].startswith("docs-sync/")
                and re.search(r"^Released: .*\bphase-2-done\b", s["request"]["text"], re.MULTILINE)]
    again = [s["key"] for s in sinks if s["key"].startswith("docs-sync/")
             and "\nDone again (released before): phase-2-done" in s["request"]["text"]]
    github = [json.loads(line)["key"] for line in (data / "sinks" / "github.jsonl").read_text().splitlines()]
    assert github.count("github-release/phase-2-done") == 1
    # the first Monday whose week's as-of snapshot shows F2 Done: Done 12-31, snapshot 01-04, week of 01-03
    assert released == ["docs-sync/2022-01-03"]
    assert again == ["docs-sync/2022-03-07"]  # Done again 03-08: the snapshot of the week of 03-07


def horizon_rows(text: str, heading: str) -> list[str]:
    """The horizon column of the first table after ``heading``, in the order the report lists it."""
    lines = text.split(heading, 1)[1].splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("|---")) + 1
    body = [line for line in lines[first:first + 20]]
    body = body[:next((i for i, line in enumerate(body) if not line.startswith("|")), len(body))]
    return [line.split("|")[1].strip() for line in body]


def test_horizons_read_in_the_order_a_reader_counts_them(nsk_run):
    """J+1, J+3, J+7, J+14, J+30 (the Plans record's order, and docs/models.md's): the plan update, the 360 and
    the CHANGELOG listed them by text, J+1, J+14, J+3, J+30, J+7."""
    data, _ = nsk_run
    counted = nsk.HORIZONS[True]
    assert horizon_rows(plan_update(data, dt.date(2022, 12, 30)), "| Horizon | Latest Ensemble R² |") == counted
    q4 = (docs(data) / "assessments" / "Q4-2022.md").read_text(encoding="utf-8")
    assert horizon_rows(q4, "Latest Ensemble R² per horizon:") == counted
    changelog = (data / nsk.DOCS_DIR / "CHANGELOG.md").read_text(encoding="utf-8")
    week = changelog.split("## 2022-06-27", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^- Ensemble (J\+\d+):", week, re.MULTILINE) == counted
    models = (docs(data) / "models.md").read_text(encoding="utf-8")
    assert re.findall(r"^\| Ensemble \| (J\+\d+) \|", models, re.MULTILINE) == counted


def test_the_proposed_updates_list_the_stages_in_plan_order(nsk_run):
    """Q4-2021's adjustment proposal re-estimates every open stage: it listed 10.1 .. 18.1 before 2.1, and 3.10
    before 3.2, where every other table of the reports reads 2.1 < 3.2 < 3.10 < 10.1."""
    data, _ = nsk_run
    text = (docs(data) / "assessments" / "Q4-2021-budget-timeline-adjustment.md").read_text(encoding="utf-8")
    keys = [m for m in re.findall(r"^\| Stages \| ([0-9.]+) \| Estimated Cost \|", text, re.MULTILINE)]
    assert len(keys) > 20 and "3.10" in keys
    assert keys == sorted(keys, key=lambda k: tuple(int(p) for p in k.split(".")))


def test_a_zero_budget_is_a_budget_not_missing_data(nsk_run):
    """Until the re-baseline the Plans record's budget is $0: the forecast at completion read '(no data)', the
    360 'against $0.00 (no data)', the adjustment proposal '(no data on the budget)', as if the plan had no
    budget. There is no percentage of $0, and any cost is over it (as the budget line already says)."""
    data, _ = nsk_run
    friday = dt.date(2021, 12, 17)
    [plan] = table(data, as_of_snapshot(friday), "Plans")
    assert plan[F["Plans"]["Estimated Budget"]] == 0
    forecast = re.search(r"Forecast total at completion \$([0-9,.]+) against the \$0 budget: \+\$([0-9,.]+), "
                         r"no percentage of a \$0 budget: over budget \(realized", plan_update(data, friday))
    assert forecast and forecast.group(1) == forecast.group(2)
    q4 = (docs(data) / "assessments" / "Q4-2021.md").read_text(encoding="utf-8")
    assert re.search(r"- Forecast at completion: \$[0-9,.]+ against \$0\.00 \(no percentage of a \$0 budget: "
                     r"over budget\)\.", q4)
    proposal = (docs(data) / "assessments" / "Q4-2021-budget-timeline-adjustment.md").read_text(encoding="utf-8")
    assert re.search(r"- Cost: \+[0-9,.]+ USD \(no percentage of a \$0 budget: over budget\)\.", proposal)
    assert "no data on the budget" not in proposal and "against $0.00 (no data)" not in q4


def drops_first_shown(data, monday: dt.date) -> int:
    """R² drops (> 0.05, consecutive evaluations of a model and horizon) of the latest plan week's as-of
    snapshot evaluated after the previous plan week's as-of snapshot: the ones that week is the first to show."""
    friday = monday - dt.timedelta(days=(monday.weekday() - 4) % 7)
    shown, before = as_of_snapshot(friday), as_of_snapshot(friday - dt.timedelta(weeks=1))
    mr = F["Model Results"]
    series = {}
    for r in sorted(table(data, shown, "Model Results"), key=lambda r: (r[mr["Evaluated On"]], r[mr["Result ID"]])):
        series.setdefault((r[mr["Model"]], r[mr["Horizon"]]), []).append(r)
    return sum(1 for rows in series.values() for prev, cur in zip(rows, rows[1:])
               if round(prev[mr["R2"]] - cur[mr["R2"]], 10) > 0.05
               and before < dt.date.fromisoformat(cur[mr["Evaluated On"]]) <= friday)


def test_model_drift_counts_a_drop_evaluated_after_the_weeks_snapshot(nsk_run):
    """The ensemble's J+7 drops by 0.067 on Thursday 2022-06-16; snapshots are taken on Tuesdays, so the plan week
    closing 06-17 cannot see it and the one closing 06-24 first does. Counting only drops 'evaluated during the
    week', no dashboard ever showed it: Model Drift read 0 ✅ beside an R² that had fallen."""
    data, _ = nsk_run
    mondays = [dt.date(2022, 6, 13) + dt.timedelta(weeks=k) for k in range(5)]
    counts = [drops_first_shown(data, m) for m in mondays]
    assert sum(counts) == 1 and counts[2] == 1  # shown once, on Monday 06-27
    for monday, n in zip(mondays, counts):
        board = committed(data, f"dashboard as of {monday}", "docs/dashboard.md")
        assert f"| **Model Drift** | 0 alerts | {n} {'✅' if n == 0 else '❌'} |" in board, monday


def ensemble_by_horizon(data, friday: dt.date) -> dict[str, float]:
    mr = F["Model Results"]
    rows = sorted((r for r in table(data, as_of_snapshot(friday), "Model Results") if r[mr["Model"]] == nsk.ENSEMBLE
                   and dt.date.fromisoformat(r[mr["Evaluated On"]]) <= friday),
                  key=lambda r: (r[mr["Evaluated On"]], r[mr["Result ID"]]))
    return {r[mr["Horizon"]]: r[mr["R2"]] for r in rows}


def test_the_dashboards_r2_trend_compares_the_horizons_both_weeks_know(nsk_run):
    """J+30 is first evaluated 2022-06-09 (the week closing 06-17 first shows it) and starts lowest: the mean over
    five horizons fell below last week's mean over four, and the dashboard of 06-20 said R² ↓ while every
    horizon had risen by 0.003."""
    data, _ = nsk_run
    monday, friday = dt.date(2022, 6, 20), dt.date(2022, 6, 17)
    now, then = ensemble_by_horizon(data, friday), ensemble_by_horizon(data, friday - dt.timedelta(weeks=1))
    assert set(now) - set(then) == {"J+30"}
    mean_now, mean_then = sum(now.values()) / len(now), sum(then.values()) / len(then)
    change = sum(now[h] - then[h] for h in then) / len(then)
    assert mean_now < mean_then and change > 0
    board = committed(data, f"dashboard as of {monday}", "docs/dashboard.md")
    assert re.search(rf"\| \*\*R² \(Ensemble\)\*\* \| &gt; 0\.60 \| {mean_now:.4f} ✅ \| ↑ \|", board)


def test_the_previous_month_counts_from_the_start_in_the_projects_first_month(nsk_run):
    """Cost Explorer also holds November 2021's 29 days before the Tuesday 11-30 start (a prototype on the same
    account). The first month's month to date counts from the start; read as the previous month in December it
    was the whole of November, the prototype's days and all, and the trend compared December with them."""
    data, _ = nsk_run
    rows = month_rows(data, 2021, 11)
    assert len(rows) == 30  # the whole month landed
    project = sum(day_total(r) for r in rows if r["TimePeriod"]["Start"] >= nsk.START.isoformat())
    board = committed(data, "dashboard as of 2021-12-06", "docs/dashboard.md")
    dec = sum(day_total(r) for r in month_rows(data, 2021, 12)[:5])
    assert f"| **Cost/Month** | no target | Nov ${project:,.2f} (since the start, {nsk.START}); Dec to date " \
           f"${dec:,.2f} (5 days), projected ${dec / 5 * 31:,.2f} | - |" in board


