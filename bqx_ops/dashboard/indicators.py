"""The 13 indicators of the seed's Success Metrics Dashboard and their status rules.

Each indicator is computed from facts read as of one instant (``Facts``); a fact that is
None means its source had no data then, and the indicator says "no data", never a guess.
Status: ✅ target met, ⚠️ missed by a small margin (documented per rule), ❌ missed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bqx_ops.issue_review.rules import SEED_SLA_HOURS, sla_words
from bqx_ops.plan_update.fmt import money_vs, num_vs, pct_vs, plural
from bqx_ops.plan_update.timeline import behind_with_nothing_earned

OK, WARN, FAIL, NO_DATA = "✅", "⚠️", "❌", "no data"
UP, DOWN, FLAT, NO_TREND = "↑", "↓", "→", "-"
OPERATIONAL, PROJECT = "Operational Health Indicators", "Project Health Indicators"
DAY = dt.timedelta(days=1)
NO_TARGET = "no target"  # neither the plan nor the configuration gives one
R2_WARN_MARGIN = 0.05  # ⚠️ within 0.05 under the plan's R² target
COST_WARN_SHARE = 0.8  # ⚠️ from 80% of the monthly cost budget


@dataclass(frozen=True)
class Facts:
    """What the sources said as of one instant (None: no data)."""

    as_of: dt.datetime
    last_sync_end: dt.datetime | None = None  # end (= as-of) of the last synced docs week <= as_of
    last_plan_end: dt.datetime | None = None  # end of the last plan-update week <= as_of
    old_p0: int | None = None  # open P0 issues older than their SLA (sla_hours[0]) at as_of
    old_p1: int | None = None  # open P1 issues older than their SLA (sla_hours[1]) at as_of
    sla_hours: tuple[float, float] = (SEED_SLA_HOURS["P0"], SEED_SLA_HOURS["P1"])  # the triage rules' P0, P1
    alignment: float | None = None  # overall score (0-100) of the latest final 360 assessment <= as_of
    assessments: int | None = None  # final assessments of as_of's year made by as_of
    assessments_due: int = 0  # quarters of that year whose final is due by as_of (the project running then)
    assessed_quarter: str | None = None  # the quarter of that latest final
    approval: str | None = None  # the approver's answer on it as of as_of (None: none yet)
    r2: float | None = None  # ensemble R² of the latest plan week
    # when the previous plan week knew other horizons, the mean change over the horizons both know (else None): a
    # horizon added to the plan moves the mean without any horizon changing, so the trend is judged on this
    r2_change: float | None = None
    drops: int | None = None  # R² drops (> 0.05) the latest plan week is the first to show (live drift)
    budget_variance_pct: float | None = None
    timeline_variance_pct: float | None = None
    timeline_behind_days: float | None = None  # the same week's days ahead (-) / behind (+) the earned schedule
    cost_month: float | None = None  # USD, days of as_of's month ended by as_of
    cost_problems: tuple[str, ...] = ()  # data problems of as_of's month in the cost files
    r2_target: float | None = None  # the plan's R² target minimum as that plan week recorded it
    cost_ceiling: float | None = None  # the configuration's cost_budget_per_month (USD)
    latency: tuple[float, dt.date, int] | None = None  # worst daily p95 (ms), its day, days: latency.week_p95
    latency_problems: tuple[str, ...] = ()  # points of the week (or responses) left out, and why
    latency_configured: bool = True  # the configuration names the API's latency metric (aws.latency)
    cost: dict | None = None  # costs.month_figures: previous month, month to date, projection, like days


@dataclass(frozen=True)
class Indicator:
    section: str
    metric: str
    target: str
    current: str
    status: str
    value: float | None = field(default=None, compare=False)  # what the trend compares
    # When set, the trend compares ``value`` with this baseline instead of last week's value (Cost/Month:
    # month to date against the previous month's same days); None inside a tuple means no baseline.
    baseline: tuple[float | None] | None = field(default=None, compare=False)


def _days(since: dt.datetime | None, as_of: dt.datetime) -> float | None:
    return None if since is None else (as_of - since) / DAY


def recency(days: float | None, ok_days: float, warn_days: float) -> str:
    """Happened within ok_days ✅, within warn_days ⚠️, longer ago or never ❌."""
    if days is None:
        return FAIL
    return OK if days <= ok_days else WARN if days <= warn_days else FAIL


def zero_count(count: int | None) -> str:
    """0 ✅, anything else ❌ (the seed's targets are zero tolerance)."""
    return NO_DATA if count is None else OK if count == 0 else FAIL


def at_least(value: float | None, target: float, warn_from: float) -> str:
    """Above target ✅, from warn_from ⚠️, below ❌."""
    if value is None:
        return NO_DATA
    return OK if value > target else WARN if value >= warn_from else FAIL


def within_band(pct: float | None, band: float, warn_band: float) -> str:
    """|variance| <= band ✅, <= warn_band ⚠️, beyond ❌."""
    if pct is None:
        return NO_DATA
    return OK if abs(pct) <= band else WARN if abs(pct) <= warn_band else FAIL


def below(value: float | None, limit: float, warn_from: float) -> str:
    """Under warn_from ✅, under limit ⚠️ (close to it), at or over the limit ❌."""
    if value is None:
        return NO_DATA
    return OK if value < warn_from else WARN if value < limit else FAIL


def assessments_status(done: int | None, due: int) -> str:
    """Every assessment due so far this year done ✅, one behind ⚠️, more ❌."""
    if done is None:
        return NO_DATA
    return OK if done >= due else WARN if done >= due - 1 else FAIL


def _num(value: float | None, fmt: str, none: str = "no data") -> str:
    return none if value is None else fmt.format(value + 0.0)


def _timeline_none(f: Facts) -> tuple[str, str]:
    """No percentage: with nothing earned yet (0 days, the plan update's days behind known) and days behind,
    the plan is further behind than any percentage (❌, as the 360 scores it); else no data."""
    days = behind_with_nothing_earned(f.timeline_variance_pct, f.timeline_behind_days)
    if days is None or round(days) <= 0:
        return "no data", NO_DATA
    return f"nothing earned yet: {plural(round(days), 'working day')} behind", FAIL


def _problems(problems: tuple[str, ...]) -> str:
    """" (data problem: ...)" after a value whose source had problems; the first is named."""
    if not problems:
        return ""
    more = f"; +{len(problems) - 1} more" if len(problems) > 1 else ""
    return f" (data problem: {problems[0]}{more})"


def _latency(week: tuple[float, dt.date, int] | None, problems: tuple[str, ...] = (),
             configured: bool = True) -> Indicator:
    """The week's worst daily p95: under 90 ms ✅, under 100 ms ⚠️ (close to the budget), else ❌. Without a
    configured metric it says so: "no latency points this week" would send the team looking for an outage."""
    if week is None:
        why = "no latency points this week" if configured else "no latency metric configured: aws.latency"
        return Indicator(PROJECT, "API Latency", "< 100ms p95", f"no data ({why})" + _problems(problems), NO_DATA)
    ms, day, count = week
    current = f"{num_vs(ms, (90, 100), 1)} ms (worst daily p95, {day:%Y-%m-%d}; {plural(count, 'day')})" + _problems(problems)
    return Indicator(PROJECT, "API Latency", "< 100ms p95", current, below(ms, 100, 90), ms)


def _alignment(f: Facts) -> str:
    """The latest final's overall score, naming its quarter and the approver's answer."""
    if f.alignment is None:
        return "no data (no final 360 assessment yet)" if f.assessed_quarter is None else \
            f"no data ({f.assessed_quarter} scored no dimension)"
    answer = {"Approved": "approved", "Rejected": "rejected"}.get(f.approval or "", "awaiting approval")
    return f"{num_vs(f.alignment, (90, 80), 1)}% ({f.assessed_quarter} final, {answer})"


def indicators(f: Facts) -> list[Indicator]:
    """The two seed tables, in the seed's order. Every shown figure follows the reports' display rule (one
    rounding rule, never rounded onto or across the line its status is judged against)."""
    sync_days, plan_days = _days(f.last_sync_end, f.as_of), _days(f.last_plan_end, f.as_of)
    sync = "never" if sync_days is None else f"{f.last_sync_end:%Y-%m-%d} ({num_vs(sync_days, (7, 14), 1)} days ago)"
    plan = "never" if plan_days is None else f"{f.last_plan_end:%Y-%m-%d} ({num_vs(plan_days, (7, 14), 1)} days ago)"
    drift = "no synced week" if sync_days is None else f"{num_vs(sync_days, (7, 14), 1)} days"
    return [
        Indicator(OPERATIONAL, "Repository Sync", "Weekly", sync, recency(sync_days, 7, 14), sync_days),
        Indicator(OPERATIONAL, "Airtable Updates", "Weekly", plan, recency(plan_days, 7, 14), plan_days),
        Indicator(OPERATIONAL, "P0 Issues", f"0 older than {sla_words(f.sla_hours[0])}", _num(f.old_p0, "{:.0f}"),
                  zero_count(f.old_p0), f.old_p0),
        Indicator(OPERATIONAL, "P1 Issues", f"0 older than {sla_words(f.sla_hours[1])}", _num(f.old_p1, "{:.0f}"),
                  zero_count(f.old_p1), f.old_p1),
        Indicator(OPERATIONAL, "Documentation Drift", "< 1 week", drift,
                  FAIL if sync_days is None else OK if sync_days < 7 else WARN if sync_days < 14 else FAIL,
                  sync_days),
        Indicator(OPERATIONAL, "Plan Alignment", "> 90%", _alignment(f), at_least(f.alignment, 90, 80), f.alignment),
        # the status is judged against the finals due so far, which the text says: "0/4" alone read the same
        # ✅ in September (none due yet) as ⚠️ in April (Q1's missed)
        # a year's count starts again at 0: the first week of a year compares with that 0, not with last
        # year's total (a ↓ on every 1 January that nobody caused)
        Indicator(OPERATIONAL, "360 Assessments", "4/year",
                  NO_DATA if f.assessments is None else f"{int(f.assessments)}/4 ({f.assessments_due} due so far)",
                  assessments_status(f.assessments, f.assessments_due), f.assessments,
                  baseline=(0.0,) if (f.as_of - dt.timedelta(days=7)).year != f.as_of.year else None),
        Indicator(PROJECT, "R² (Ensemble)", _num(f.r2_target, "> {:.2f}", NO_TARGET),
                  num_vs(f.r2, () if f.r2_target is None else (f.r2_target, f.r2_target - R2_WARN_MARGIN), 4),
                  NO_DATA if f.r2_target is None else at_least(f.r2, f.r2_target, f.r2_target - R2_WARN_MARGIN), f.r2,
                  baseline=None if f.r2 is None or f.r2_change is None else (f.r2 - f.r2_change,)),
        _latency(f.latency, f.latency_problems, f.latency_configured),
        Indicator(PROJECT, "Model Drift", "0 alerts", _num(f.drops, "{:.0f}"), zero_count(f.drops), f.drops),
        Indicator(PROJECT, "Budget Variance", "±15%", pct_vs(f.budget_variance_pct, (15, -15, 20, -20)),
                  within_band(f.budget_variance_pct, 15, 20), f.budget_variance_pct),
        Indicator(PROJECT, "Timeline Variance", "±20%",
                  *((pct_vs(f.timeline_variance_pct, (20, -20, 25, -25)), within_band(f.timeline_variance_pct, 20, 25))
                    if f.timeline_variance_pct is not None else _timeline_none(f)), f.timeline_variance_pct),
        cost_indicator(f),
    ]


def cost_indicator(f: Facts) -> Indicator:
    """Cost/Month: the previous full month and the month to date with its projection; the status is the
    projection's (the previous month's on the 1st) against the configured ceiling; the trend compares
    the month to date with the previous month's same days. Without ``cost`` (a bare fact), the month
    to date alone."""
    target = _num(f.cost_ceiling, "< ${:,.0f}", NO_TARGET)

    lines = () if f.cost_ceiling is None else (f.cost_ceiling, f.cost_ceiling * COST_WARN_SHARE)

    def status(value):
        return NO_DATA if f.cost_ceiling is None else below(value, f.cost_ceiling, f.cost_ceiling * COST_WARN_SHARE)

    def usd(value):
        return money_vs(value, lines)

    c = f.cost
    if c is None or (c.get("month_to_date") is None and c.get("previous_month") is None):
        shown = NO_DATA if f.cost_month is None else usd(f.cost_month)
        return Indicator(PROJECT, "Cost/Month", target, shown + _problems(f.cost_problems),
                         status(f.cost_month), f.cost_month)
    prev = "no data" if c["previous_month"] is None else usd(c["previous_month"])
    if c.get("previous_since"):  # the project's first month: from its start, as its month to date was
        prev += f" (since the start, {c['previous_since']:%Y-%m-%d})"
    if c["days"] == 0:  # the 1st: no day of the month has ended, so nothing of it is missing either
        mtd = "no day ended yet"
    else:
        since = f" since the start, {c['since']:%Y-%m-%d}" if c.get("since") else ""
        estimated = c.get("estimated_days") if c["month_to_date"] is not None else 0
        mtd = ("no data" if c["month_to_date"] is None else usd(c["month_to_date"])) + \
            f" ({c['days']} day{'' if c['days'] == 1 else 's'}{since}" + \
            (f", {estimated} of them Cost Explorer estimates, not final)" if estimated else ")")
    text = f"{c['previous']:%b} {prev}; {c['month']:%b} to date {mtd}"
    if c["projected"] is not None:
        text += f", projected {usd(c['projected'])}"
    text += _problems(f.cost_problems)
    # the projection; the previous month only on the 1st (nothing of the month has ended yet): a month whose
    # days have ended without Cost Explorer data is no data, never last month's status carried over
    judged = c["previous_month"] if c["days"] == 0 else c["projected"]
    return Indicator(PROJECT, "Cost/Month", target, text, status(judged), c["month_to_date"],
                     baseline=(c["like_days"],))


def week_trend(current: Indicator, previous: Indicator | None) -> str:
    """An indicator's trend: against its own baseline when it has one (Cost/Month's like days, a year's
    first 360 count), else against last week's indicator; → when both weeks show the same figure (a
    +13.1% beside last week's +13.1% never reads ↑ because the hidden decimals rose)."""
    if current.baseline is not None:
        return trend(current.value, current.baseline[0])
    if previous is None:
        return NO_TREND
    if current.value is not None and previous.value is not None and current.current == previous.current:
        return FLAT
    return trend(current.value, previous.value)


def trend(current: float | None, previous: float | None) -> str:
    """↑ / ↓ / → against last week's value (rounded to 4 decimals), "-" when either is missing."""
    if current is None or previous is None:
        return NO_TREND
    a, b = round(current, 4), round(previous, 4)
    return UP if a > b else DOWN if a < b else FLAT
