"""Pure docs-sync logic: slugs, inert markdown, pages, CHANGELOG entries, README status, models, diffs."""

import datetime as dt
import hashlib
import re

import pandas as pd
import pytest

from bqx_ops.docs_sync.artifacts import artifact_files, artifact_page, inert_markdown
from bqx_ops.docs_sync.changelog import entry_weeks, preamble, upsert_entry, weekly_entry
from bqx_ops.docs_sync.changes import artifact_deletions, changed_files, commit_message
from bqx_ops.docs_sync.export import mirror
from bqx_ops.docs_sync.models import jobs_by_name, latest_models, models_page
from bqx_ops.docs_sync.paths import PathRefused, check_writable
from bqx_ops.docs_sync.readme import STATUS_END, STATUS_START, MalformedReadme, replace_status, synced_snapshot
from bqx_ops.docs_sync.releases import phase_tag, release_payload, tag_message
from bqx_ops.docs_sync.slugs import artifact_paths, slug
from bqx_ops.docs_sync.snapshot import Snapshot
from bqx_ops.docs_sync.status import readme_status

D1, D2 = dt.date(2025, 8, 18), dt.date(2025, 8, 25)
UTC = dt.timezone.utc


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def snap(day, **tables) -> Snapshot:
    return Snapshot(day, {name: rows for name, rows in tables.items()})


PHASE = {"record_id": "recP0", "phase_id": "P0", "number": 0, "name": "Setup", "status": "Done", "owner": "INFRA-001",
         "estimated_cost": 15.0, "realized_cost": 12.0, "end_date": ts("2025-09-02")}
STAGE = {"record_id": "recS1", "stage_id": "0.1", "name": "AWS", "phase_id": "recP0", "status": "Done",
         "estimated_cost": 5.0, "realized_cost": 4.1, "owner": "INFRA-001"}
ART = {"record_id": "recA1", "name": "Design Doc", "type": "Design", "phase_id": "recP0", "stage_id": "recS1",
       "content": "# Design\n\nText.\n", "last_modified": ts("2025-08-22 08:00")}


# --- slugs ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, expected", [
    ("Architecture Overview", "architecture-overview"),
    ("../../etc/passwd", "etc-passwd"),
    ("CON", "con-artifact"), ("lpt1", "lpt1-artifact"), ("nul", "nul-artifact"),
    ("Über Café ☕", "uber-cafe"),
    ("设计文档", "untitled"), ("", "untitled"), (None, "untitled"), ("...", "untitled"),
    ("A/B Testing: Results (v2)", "a-b-testing-results-v2"),
    ("x" * 300, "x" * 80),
])
def test_slugs_are_plain_ascii_file_names(name, expected):
    assert slug(name) == expected


def test_records_sharing_a_name_get_distinct_stable_files():
    paths = artifact_paths([("recAAA", "Ensemble Evaluation Report"), ("recBBB", "Ensemble Evaluation Report"),
                            ("recCCC", "Baseline Results")])
    suffix = {r: hashlib.sha256(r.encode()).hexdigest()[:8] for r in ("recAAA", "recBBB")}
    assert paths == {
        "recAAA": f"docs/artifacts/ensemble-evaluation-report-{suffix['recAAA']}.md",
        "recBBB": f"docs/artifacts/ensemble-evaluation-report-{suffix['recBBB']}.md",
        "recCCC": "docs/artifacts/baseline-results.md",
    }


def test_a_name_that_imitates_a_disambiguated_file_cannot_collide():
    suffix = hashlib.sha256(b"recAAA").hexdigest()[:8]
    paths = artifact_paths([("recAAA", "Report"), ("recBBB", "Report"), ("recCCC", f"Report {suffix}")])
    assert len(set(paths.values())) == 3


# --- inert markdown ------------------------------------------------------------------------
def test_html_in_content_renders_as_text_but_markdown_and_code_are_kept():
    content = ("# Title\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n"
               "Use `a<b` here.\n```python\nif a < b:\n    pass\n```\n<!-- bqx-ops:status:start -->\n| a | b |\n")
    out = inert_markdown(content)
    assert "<script" not in out and "<img" not in out and "<!--" not in out
    assert "&lt;script>alert(1)&lt;/script>" in out
    assert "`a<b`" in out and "if a < b:" in out  # code is already text
    assert out.startswith("# Title") and "| a | b |" in out


def test_an_unclosed_fence_runs_to_the_end_and_control_characters_are_dropped():
    out = inert_markdown("before <b>\r\n~~~\n<b>inside\x00\x07\n")
    assert out == "before &lt;b>\n~~~\n<b>inside"


def test_an_artifact_page_has_an_escaped_header_then_the_content():
    hostile = {**ART, "name": "<b>Boss</b> | ../../x", "content": None}
    s = snap(D1, phases=[PHASE], stages=[STAGE])
    page = artifact_page(hostile, s)
    assert "# &lt;b&gt;Boss&lt;/b&gt; \\| ../../x\n" in page
    assert "| recA1 | Design | Phase 0 – Setup | 0.1 AWS | 2025-08-22 08:00 UTC |" in page
    assert page.endswith("_No content in Airtable._\n")


# --- README status -------------------------------------------------------------------------
def test_the_status_section_is_replaced_and_everything_else_is_kept_byte_for_byte():
    readme = f"# X\r\nhand\n{STATUS_START}\nold\n{STATUS_END}\ntail  \n"
    assert replace_status(readme, "new") == f"# X\r\nhand\n{STATUS_START}\nnew\n{STATUS_END}\ntail  \n"
    assert replace_status("# X", "new").endswith(f"# X\n\n## Status\n\n{STATUS_START}\nnew\n{STATUS_END}\n")
    with pytest.raises(MalformedReadme):
        replace_status(f"{STATUS_START}\n{STATUS_START}\n{STATUS_END}", "new")


def test_the_status_shows_the_plan_dashboard_phases_running_stages_and_its_snapshot():
    plan = {"record_id": "recPL", "plan_id": "MP-1", "name": "BQX-ML", "status": "Active"}
    p1 = {**PHASE, "record_id": "recP1", "phase_id": "P1", "number": 1, "name": "Data", "status": "In Progress"}
    s1 = {**STAGE, "record_id": "recS2", "stage_id": "1.1", "name": "Ingest", "phase_id": "recP1",
          "status": "In Progress"}
    quarantined = [{"record_id": "recBAD", "table_name": "Stages", "reason": "Status 'Blocked'"}]
    board = (dt.date(2025, 8, 22), ["Phases: 2 total | 1 complete | 1 in progress | 0 todo", "R²: Current 0.82"])
    text = readme_status(snap(D2, plans=[plan], phases=[p1, PHASE], stages=[STAGE, s1], quarantine=quarantined),
                         board)
    assert synced_snapshot(f"{STATUS_START}\n{text}\n{STATUS_END}") == "2025-08-25"
    assert "**Plan:** MP-1 BQX-ML (Active)" in text
    assert ("### Plan dashboard (plan update of 2025-08-22)\n\n"
            "- Phases: 2 total \\| 1 complete \\| 1 in progress \\| 0 todo\n- R²: Current 0.82\n") in text
    assert text.index("| P0 | Setup | Done | INFRA-001 | 1/1 |") < text.index("| P1 | Data | In Progress")
    assert "| 1.1 | Ingest | In Progress | INFRA-001 |" in text and "| 0.1 | AWS |" not in text
    assert "Stages recBAD" in text
    assert "Plan dashboard" not in readme_status(snap(D2, plans=[plan]))  # no plan update yet: no dashboard


# --- CHANGELOG -----------------------------------------------------------------------------
def test_regenerating_a_week_replaces_its_entry_and_entries_stay_newest_first():
    text = upsert_entry(None, D1, "## 2025-08-18\n\nentry-one\n")
    text = upsert_entry(text, D2, "## 2025-08-25 (in progress)\n\ndraft\n")
    text = upsert_entry(text, D2, "## 2025-08-25\n\nfinal\n")
    assert text.startswith(preamble("the project"))
    assert entry_weeks(text) == ["2025-08-25", "2025-08-18"]
    assert "draft" not in text and text.count("final") == 1 and text.count("entry-one") == 1


def test_entries_are_keyed_by_their_weeks_first_day_and_older_marks_are_replaced_not_duplicated():
    """A week in progress is never keyed by a day to come; a CHANGELOG marked by week ends (written by an
    earlier version) has that week's entry replaced in place."""
    old = preamble("the project") + "\n<!-- bqx-ops:week-ending 2025-08-25 -->\n## 2025-08-25\n\nold\n"
    text = upsert_entry(old, D1, "## 2025-08-25\n\nnew\n")  # D1 = 2025-08-18, the week ending 08-25
    assert entry_weeks(text) == ["2025-08-18"] and "old" not in text and "week-ending" not in text
    assert "<!-- bqx-ops:week-from 2025-08-18 -->" in text


def test_the_configurations_names_are_printed_as_text():
    from bqx_ops.docs_sync.readme import initial_readme

    hostile = "<script>x</script> | *bold* [a](javascript:alert(1))"
    for text in (preamble(hostile), initial_readme("t", hostile, hostile)):
        assert "<script>" not in text and "| *bold*" not in text and "[a](" not in text
        assert "&lt;script&gt;" in text and "\\|" in text


def test_a_weekly_entry_lists_transitions_completions_decisions_learnings_r2_and_artifacts():
    before = snap(D1, phases=[{**PHASE, "status": "In Progress"}], stages=[{**STAGE, "status": "In Progress"}],
                  model_results=[{"record_id": "recM1", "model": "LSTM", "horizon": "w15", "r2": 0.7,
                                  "evaluated_on": ts("2025-08-18")}],
                  artifacts=[{**ART, "record_id": "recGONE", "name": "Old"}, ART])
    after = snap(D2, phases=[PHASE], stages=[STAGE, {**STAGE, "record_id": "recS9", "stage_id": "0.2",
                                                        "name": "Repo", "status": "In Progress"}],
                 decisions=[{"record_id": "recD1", "title": "Use *SageMaker*", "date": ts("2025-08-19"),
                             "decided_by": "ARCH-001", "decision": "All jobs <there>"}],
                 learnings=[{"record_id": "recL1", "title": "Templates", "what_worked": "CI", "what_didn_t": "hooks"}],
                 model_results=[*before.rows("model_results"),
                                {"record_id": "recM2", "model": "LSTM", "horizon": "w15", "r2": 0.75,
                                 "evaluated_on": ts("2025-08-22")}],
                 artifacts=[{**ART, "content": "changed\n"}, {**ART, "record_id": "recNEW", "name": "New One"}])
    entry = weekly_entry(D1, D2, before, after)
    assert entry.startswith("## 2025-08-25\n\n_Week 2025-08-18 – 2025-08-25 · Airtable snapshot 2025-08-25, "
                            "compared with 2025-08-18_")
    for line in ["- Phase 0 – Setup (realized $12.00 vs $15.00 estimated)",
                 "- 0.1 AWS (realized $4.10 vs $5.00 estimated)", "- 0.2 Repo: new → In Progress",
                 "- 2025-08-19 · **Use \\*SageMaker\\*** (ARCH-001): All jobs &lt;there&gt;",
                 "- **Templates**: worked: CI; didn't: hooks", "- LSTM w15: 0.7000 → 0.7500 (+0.0500)",
                 "- updated: Design Doc (`docs/artifacts/design-doc.md`)",
                 "- new: New One (`docs/artifacts/new-one.md`)", "- removed: Old (`docs/artifacts/old.md`)"]:
        assert line in entry, line
    quiet = weekly_entry(D1, D2, before, Snapshot(D2, before.tables))
    assert "_No changes in Airtable this week._" in quiet
    assert "_No new Airtable snapshot this week._" in weekly_entry(D1, D2, before, before)


def test_a_missing_realized_cost_reads_no_data_in_the_changelog_and_the_tag_never_n_a():
    """The sample's 5.2 reached Done without a Realized Cost (2025-11-17): it read "realized n/a"; the
    README's display rule says "<figure>: no data". A half cent rounds away from zero (2.345: $2.35)."""
    before = snap(D1, phases=[{**PHASE, "status": "In Progress"}], stages=[{**STAGE, "status": "In Progress"}])
    no_cost = {**STAGE, "realized_cost": None, "estimated_cost": 20.0}
    after = snap(D2, phases=[{**PHASE, "realized_cost": float("nan"), "estimated_cost": 2.345}], stages=[no_cost])
    entry = weekly_entry(D1, D2, before, after)
    assert "- 0.1 AWS (realized: no data, $20.00 estimated)" in entry
    assert "- Phase 0 – Setup (realized: no data, $2.35 estimated)" in entry and "n/a" not in entry
    message = tag_message({**PHASE, "realized_cost": None}, D2, D2)
    assert "; realized: no data, $15.00 estimated." in message and "n/a" not in message


def test_a_weekly_entry_names_phases_added_and_removed_and_stage_ids_renamed():
    """A deleted phase and its stage, a new phase and a Stage ID renamed on the same record are said, not
    left to vanish or to pass for another stage."""
    spike = {**PHASE, "record_id": "recP3", "phase_id": "P3", "number": 3, "name": "Spike", "status": "In Progress"}
    radar = {**STAGE, "record_id": "recS3", "stage_id": "3.1", "name": "Radar", "phase_id": "recP3",
             "status": "In Progress"}
    before = snap(D1, phases=[PHASE, spike], stages=[STAGE, radar])
    retro = {**PHASE, "record_id": "recP5", "phase_id": "P5", "number": 5, "name": "Retro", "status": "Todo"}
    after = snap(D2, phases=[PHASE, retro], stages=[{**STAGE, "stage_id": "DEP-1"}])
    entry = weekly_entry(D1, D2, before, after)
    for line in ["### Plan structure", "- phase added: Phase 5 – Retro",
                 "- phase removed from Airtable: Phase 3 – Spike (was In Progress)",
                 "- stage removed from Airtable: 3.1 Radar (was In Progress)", "- stage renamed: 0.1 → DEP-1 AWS"]:
        assert line in entry, line
    assert "Plan structure" not in weekly_entry(D1, D2, before, Snapshot(D2, before.tables))


# --- models --------------------------------------------------------------------------------
def test_models_md_names_the_latest_evaluation_and_its_sagemaker_artifact_as_of_the_week():
    results = [{"record_id": f"recM{i}", "result_id": f"Ensemble-w15-{day}", "model": "Ensemble", "horizon": "w15",
                "r2": r2, "evaluated_on": ts(day), "training_job": job}
               for i, (day, r2, job) in enumerate([("2025-09-01", 0.81, "job-a"), ("2025-09-15", 0.83, "job-b")])]
    results.append({"record_id": "recMX", "result_id": "LSTM-w30", "model": "LSTM", "horizon": "w30", "r2": 0.7,
                    "evaluated_on": ts("2025-09-01"), "training_job": "job-later"})
    listing = [{"TrainingJobName": "job-b", "CreationTime": "2025-09-15T00:30:00.000+00:00",
                "TrainingJobStatus": "Completed", "ModelArtifacts": {"S3ModelArtifacts": "s3://m/job-b.tar.gz"}},
               {"TrainingJobName": "job-later", "CreationTime": "2025-10-01T00:00:00Z"}, "garbage", {"x": 1}]
    jobs = jobs_by_name(listing, dt.datetime(2025, 9, 22, 9, tzinfo=UTC))
    assert set(jobs) == {"job-b"}  # created after the as-of instant: not known yet
    week = dt.date(2025, 9, 22)  # the snapshot the page is made from: every evaluation above is on or before it
    page = models_page(latest_models(snap(week, model_results=results), jobs), week)
    assert page.index("| LSTM | w30 | 0.7000 | 2025-09-01 | job-later | not in SageMaker listing |  |") < page.index(
        "| Ensemble | w15 | 0.8300 | 2025-09-15 | job-b | Completed | s3://m/job-b.tar.gz |")
    assert "unknown (no SageMaker listing)" in models_page(latest_models(snap(week, model_results=results), None), week)
    # from a snapshot older than the results (08-25), they are not results yet: no row at all
    assert latest_models(snap(D2, model_results=results), jobs) == []
    assert jobs_by_name({"not": "a list"}, dt.datetime.now(UTC)) is None


# --- changes, paths, releases ---------------------------------------------------------------
def test_only_changed_files_are_written_and_vanished_artifacts_are_deleted():
    current = {"docs/artifacts/a.md": "A", "docs/artifacts/gone.md": "G", "docs/reviews/r.md": "R"}
    keep = {"docs/artifacts/a.md"}
    desired = {"docs/artifacts/a.md": "A", "docs/artifacts/b.md": "B", **artifact_deletions(current, keep)}
    changes = changed_files(current, desired)
    assert changes == {"docs/artifacts/b.md": "B", "docs/artifacts/gone.md": None}  # other folders untouched
    message = commit_message(D2, D2, current, changes, readme_changed=True)
    assert message.splitlines()[0] == ("docs: weekly sync, week ending 2025-08-25: 1 artifact added, "
                                       "1 artifact removed, README status")
    assert "Added: docs/artifacts/b.md" in message and "Removed: docs/artifacts/gone.md" in message


@pytest.mark.parametrize("path", ["CHANGELOG.md", "docs/x.md", "docs/artifacts/a-b.md", "docs/reviews/2025/x.json"])
def test_changelog_and_docs_are_writable(path):
    assert check_writable(path) == path


@pytest.mark.parametrize("path", ["README.md", "setup.py", "docs", "../docs/x.md", "docs/../x", "/docs/x",
                                  "docs/.GIT/hooks/pre-commit", "docs\\x.md"])
def test_everything_else_is_refused(path):
    with pytest.raises(PathRefused):
        check_writable(path)


def test_a_release_payload_is_derived_from_the_tag_alone():
    message = tag_message({**PHASE, "name": "Setup <b>"}, D2, D2)
    assert phase_tag(PHASE) == "phase-0-done"
    assert message.splitlines()[0] == "Phase 0 – Setup <b>: Done"
    payload = release_payload("phase-0-done", "a" * 40, message)
    assert payload["name"] == "Phase 0 – Setup <b>: Done" and "&lt;b&gt;" in payload["body"]
    assert (payload["tag"], payload["target_sha"], payload["message"]) == ("phase-0-done", "a" * 40, message)
    assert set(payload) == {"tag", "name", "body", "target_sha", "message"}
    assert payload["body"].split("\n\n")[0] == "Phase 0 – Setup &lt;b&gt;: Done"  # escaped for GitHub


def test_the_mirror_reports_exactly_the_paths_that_differ():
    s = snap(D2, phases=[PHASE], stages=[STAGE], artifacts=[ART])
    m = mirror(s, None)
    tree = {**m.files, "README.md": replace_status(None, m.status)}
    assert m.drift(tree) == []
    tree["docs/artifacts/design-doc.md"] = "edited by hand"
    tree["docs/artifacts/stray.md"] = "x"
    assert m.drift(tree) == ["docs/artifacts/design-doc.md", "docs/artifacts/stray.md"]
    assert m.drift({}) == ["docs/artifacts/design-doc.md", "docs/models.md", "README.md"]
    assert all(re.fullmatch(r"docs/artifacts/[a-z0-9-]+\.md", p) for p in artifact_files(s))


def test_a_decision_or_learning_with_empty_fields_reads_without_dangling_labels():
    before = snap(D1)
    after = snap(D2, decisions=[{"record_id": "recD1", "title": "ADR-1: hourly grain", "date": ts("2019-11-18"),
                                 "decided_by": "Dagny Lund"}],
                 learnings=[{"record_id": "recL1", "title": "Holidays", "what_didn_t": "one calendar."},
                            {"record_id": "recL2", "title": "Bare"}])
    entry = weekly_entry(D1, D2, before, after)
    assert "- 2019-11-18 · **ADR-1: hourly grain** (Dagny Lund)\n" in entry
    assert "- **Holidays**: didn't: one calendar\n" in entry and "- **Bare**\n" in entry


def test_a_phase_without_end_date_is_released_as_completed_by_its_last_stage():
    phase = {**PHASE, "end_date": None}
    stages = [{**STAGE, "completed_date": ts("2020-01-07")}, {**STAGE, "record_id": "recS2", "completed_date": ts("2019-12-05")},
              {**STAGE, "record_id": "recS3", "phase_id": "recOTHER", "completed_date": ts("2020-03-01")},
              {**STAGE, "record_id": "recS4", "status": "In Progress", "completed_date": None}]
    assert "Completed 2020-01-07 (its last stage's Completed Date; no End Date);" in tag_message(phase, D2, D2, stages)
    assert "Completed on an unrecorded date;" in tag_message(phase, D2, D2, [])
    assert "Completed 2025-09-02;" in tag_message(PHASE, D2, D2, stages)  # its End Date wins
