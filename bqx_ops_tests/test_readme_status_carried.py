"""The docs repo's README status in the sample's week ending 2025-10-06, whose snapshot holds phase P3 (an
Estimated Cost of 'fifty') and stage 2.3 (a Realized Cost of -7.5) quarantined.

The status section dropped both: "P3" vanished from the phases (10 rows beside a plan dashboard of 11
phases, 1 in progress) and P2 read 3/3 stages. Each is its last valid version, marked, as the plan update
shows it. The expectations are read here from the landed Airtable JSON."""

import datetime as dt
import json
import re

import pytest

from bqx_ops_tests.sample_runs import sample_through_jobs

pytestmark = pytest.mark.slow
DAY = "2025-10-06"


@pytest.fixture(scope="module")
def readme(tmp_path_factory):
    data = tmp_path_factory.mktemp("carried_status")
    sample_through_jobs(data, dt.date(2025, 8, 18), dt.date(2025, 10, 6), [
        ("airtable_snapshot_job", "2025-09-15", DAY), ("docs_sync_job", "2025-09-29", "2025-09-29")])
    return data, (data / "bqx-ml" / "README.md").read_text()


def valid(table: str, fields: dict) -> bool:
    """The two faults of these records: a cost that is not a number, or a negative one."""
    costs = [fields[k] for k in ("Estimated Cost", "Realized Cost") if k in fields]
    return all(isinstance(c, (int, float)) and c >= 0 for c in costs)


def last_valid(data, table: str) -> dict[str, tuple[str, dict]]:
    """Per record of the day's snapshot: (the day of its version shown, its fields)."""
    days = sorted(p.name for p in (data / "landing" / "airtable").iterdir() if p.name <= DAY)
    out = {}
    for rec in json.loads((data / "landing" / "airtable" / DAY / f"{table}.json").read_text())["records"]:
        for day in reversed(days):
            older = {r["id"]: r["fields"] for r in json.loads(
                (data / "landing" / "airtable" / day / f"{table}.json").read_text())["records"]}
            if rec["id"] in older and valid(table, older[rec["id"]]):
                out[rec["id"]] = (day, older[rec["id"]])
                break
    return out


def test_quarantined_phases_and_stages_are_shown_as_their_last_valid_version_marked(readme):
    data, text = readme
    assert f"<!-- bqx-ops:snapshot {DAY} -->" in text
    phases, stages = last_valid(data, "Phases"), last_valid(data, "Stages")
    carried = {f["Phase ID"]: day for day, f in phases.values() if day != DAY}
    assert carried == {"P3": "2025-10-03"}  # the sample's bad record, as the landing zone shows it
    shown = re.findall(r"^\| (P\d+)(?: \(carried from (\S+)\))? \| .* \| (\S+(?: Progress)?) \| \S+ \| (\d+)/(\d+) \|$",
                       text, re.M)
    expected = []
    for pid, (day, f) in phases.items():
        mine = [s for _, s in stages.values() if s["Phase"] == [pid]]
        expected.append((f["Phase ID"], "" if day == DAY else day, f["Status"],
                         str(sum(s["Status"] == "Done" for s in mine)), str(len(mine))))
    assert sorted(shown) == sorted(expected) and len(shown) == 11
    assert "Shown as their last valid version (2 records" in text and "Not shown" not in text
    running = [f["Phase ID"] for _, f in phases.values() if f["Status"] == "In Progress"]
    assert running == ["P3"]  # so its stages are listed, not "_none_"
    assert "### Stages of the phases in progress\n\n_none_" not in text
