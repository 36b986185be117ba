"""Triage of the issue review: rules as data, priorities, categories, SLAs, fingerprints (pure)."""

import datetime as dt

import pandas as pd
import pytest

from bqx_ops.issue_review.model import Found, ReviewPeriod, fingerprint
from bqx_ops.issue_review.rules import RulesError, load_rules
from bqx_ops.issue_review.triage import build_inventory, classify

PERIOD = ReviewPeriod(dt.datetime(2026, 3, 1, 10), dt.datetime(2026, 3, 15, 10))


def issue(ref="1", title="Something", created=dt.datetime(2026, 3, 10, 10), resolved=None, **kw) -> Found:
    return Found(source=kw.pop("source", "github"), source_ref=ref, kind="issue", title=title,
                 created_at=created, resolved_at=resolved, text=kw.pop("text", title), **kw)


@pytest.fixture
def rules():
    return load_rules(path="")


def test_labels_decide_priority_and_category_before_any_pattern(rules):
    found = issue(title="Lambda timeout everywhere", labels=("priority:P3", "category:cost"))
    assert classify(found, rules)[:2] == ("P3", "Cost Overruns")


def test_labels_match_case_insensitively_and_unknown_labels_are_ignored(rules):
    found = issue(title="zzz", labels=("PRIORITY:p1", "wontfix", "💥", "category:Data-Quality"))
    assert classify(found, rules)[:2] == ("P1", "Data Quality")


def test_a_title_pattern_triages_an_unlabelled_issue(rules):
    priority, category, used = classify(issue(title="Missing bars for EURUSD on 2026-03-02"), rules)
    assert (priority, category) == ("P2", "Data Quality") and used == ["data-quality-words"]


def test_an_issue_no_rule_matches_is_untriaged_and_kept(rules):
    rows = build_inventory([issue(title="Question about the licence", labels=("needs-triage",))], rules, PERIOD)
    assert len(rows) == 1
    row = rows.iloc[0]
    assert bool(row["untriaged"]) and pd.isna(row["priority"]) and pd.isna(row["category"])
    assert row["owner"] == "QA-001" and pd.isna(row["sla_due_at"]) and not row["breached"]


def test_a_cloudwatch_pattern_escalates_with_its_event_count(rules):
    quiet = issue(source="cloudwatch", ref="g|t", title="timeouts", text="Task timed out after 30.02 seconds",
                  event_count=12)
    storm = issue(source="cloudwatch", ref="g|t", title="timeouts", text="Task timed out after 30.02 seconds",
                  event_count=214)
    assert classify(quiet, rules)[:2] == ("P1", "Infrastructure")
    assert classify(storm, rules)[:2] == ("P0", "Infrastructure")


def test_sla_due_time_age_and_breach_follow_the_seed_slas(rules):
    as_of = PERIOD.end
    found = [
        issue("p0-late", labels=("priority:P0", "category:infrastructure"), created=as_of - dt.timedelta(hours=25)),
        issue("p0-fresh", labels=("priority:P0", "category:infrastructure"), created=as_of - dt.timedelta(hours=23)),
        issue("p1-late", labels=("priority:P1", "category:cost"), created=as_of - dt.timedelta(days=8)),
        issue("p3-ok", labels=("priority:P3", "category:cost"), created=as_of - dt.timedelta(days=29)),
    ]
    inv = build_inventory(found, rules, PERIOD).set_index("source_ref")
    assert inv.loc["p0-late", "breached"] and not inv.loc["p0-fresh", "breached"]
    assert inv.loc["p1-late", "breached"] and not inv.loc["p3-ok", "breached"]
    assert inv.loc["p0-late", "age_hours"] == 25.0
    assert inv.loc["p1-late", "sla_due_at"] == as_of - dt.timedelta(days=8) + dt.timedelta(hours=168)
    assert inv.loc["p3-ok", "sla_hours"] == 720


def test_an_issue_counts_as_of_a_date_if_created_before_and_not_closed_before(rules):
    s, e = PERIOD.start, PERIOD.end
    found = [
        issue("closed-before-period", created=s - dt.timedelta(days=9), resolved=s - dt.timedelta(hours=1)),
        issue("closed-in-period", created=s - dt.timedelta(days=9), resolved=s + dt.timedelta(days=2)),
        issue("closed-after-as-of", created=s - dt.timedelta(days=9), resolved=e + dt.timedelta(hours=1)),
        issue("created-after-as-of", created=e + dt.timedelta(minutes=1)),
        issue("created-at-as-of", created=e),
        issue("open", created=s + dt.timedelta(days=1)),
    ]
    inv = build_inventory(found, rules, PERIOD).set_index("source_ref")
    assert sorted(inv.index) == ["closed-after-as-of", "closed-in-period", "open"]
    assert inv.loc["closed-after-as-of", "state"] == "open"
    assert inv.loc["closed-in-period", "state"] == "resolved"
    assert inv.loc["closed-in-period", "time_to_close_hours"] == 11 * 24


def test_fingerprints_are_stable_and_distinguish_sources():
    # sha256("github\x1f42") = 3313bc47a9e5…, computed outside the code under test
    assert fingerprint("github", "42") == "github-3313bc47a9e5"
    assert fingerprint("github", "42") != fingerprint("sagemaker", "42")
    assert fingerprint("github", "42").startswith("github-") and len(fingerprint("github", "42")) == len("github-") + 12


def test_owner_comes_from_the_category_or_the_stage_owner(rules):
    by_category = issue(labels=("priority:P1", "category:model-performance"))
    by_stage = issue("2", labels=("priority:P1", "category:model-performance"), stage_owner="ARCH-001")
    inv = build_inventory([by_category, by_stage], rules, PERIOD).set_index("source_ref")
    assert inv.loc["1", "owner"] == "ML-001" and inv.loc["2", "owner"] == "ARCH-001"


def test_a_user_rules_file_overrides_the_packaged_rules(tmp_path, monkeypatch):
    override = tmp_path / "rules.yaml"
    override.write_text(
        "priorities: {P0: {sla_hours: 4}}\n"
        "owners: {by_category: {Infrastructure: QA-001}}\n"
        "labels: {priority: {sev1: P0}}\n"
        "rules:\n  - {name: everything-cosmetic, pattern: '.', category: Data Quality, priority: P3}\n")
    monkeypatch.setenv("BQX_OPS_TRIAGE_RULES", str(override))
    rules = load_rules()
    assert rules.sla_hours == {"P0": 4, "P1": 168, "P2": 336, "P3": 720}
    assert rules.owners_by_category["Infrastructure"] == "QA-001"
    assert rules.owners_by_category["Data Quality"] == "DATA-001"  # merged, not replaced
    assert classify(issue(labels=("SEV1",)), rules)[:2] == ("P0", "Data Quality")
    assert [r.name for r in rules.rules] == ["everything-cosmetic"]  # lists replace


@pytest.mark.parametrize("text, message", [
    ("priorities: {P0: {sla_hours: 24}, P5: {sla_hours: 1}}\nrules: [{name: x, pattern: a, priority: P5}]",
     "unknown priority 'P5'"),
    ("rules: [{name: broken, pattern: '(unclosed'}]", "does not compile"),
    ("owners: {by_category: {Infrastructure: ''}}", "owners.by_category.Infrastructure: '' is not an owner's name"),
    ("owners: {untriaged: [a, b]}", r"owners.untriaged: \['a', 'b'\] is not an owner's name"),
    ("rules: [{name: x, pattern: a, category: Vibes}]", "unknown category 'Vibes'"),
])
def test_an_unusable_rules_file_is_refused_with_the_reason(tmp_path, text, message):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    with pytest.raises(RulesError, match=message):
        load_rules(path=str(bad))
