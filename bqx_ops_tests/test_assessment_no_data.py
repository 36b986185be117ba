"""A quarter assessed with no plan or review tables and no landed source at all: "no data", a report, and no
crash (the issue figures too: nothing known at the instant is no data, never "no open issue")."""

import dagster as dg
import duckdb

from bqx_ops.defs.assessment import assets, checks
from bqx_ops.resources.factory import build_resources


def test_a_quarter_without_input_tables_is_no_data_and_still_reported(tmp_path):
    (tmp_path / "landing" / "airtable").mkdir(parents=True)  # a landing zone with nothing in it: no sample written
    result = dg.materialize([*dg.load_assets_from_modules([assets]), *dg.load_asset_checks_from_modules([checks])],
                            resources=build_resources("local", tmp_path), partition_key="2025-07-01")
    assert result.success and all(c.passed for c in result.get_asset_check_evaluations())
    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT status, score, decision FROM assessment.quarterly_scores "
                            "ORDER BY position").fetchall()
    assert [r[0] for r in rows] == ["no data"] * 5 + ["manual input required"] * 2
    assert all(r[1] is None for r in rows) and {r[2] for r in rows} == {"Pause & re-evaluate"}
    text = (tmp_path / "bqx-ml" / "docs" / "assessments" / "Q3-2025.md").read_text(encoding="utf-8")
    assert "**Decision: Pause & re-evaluate**" in text and "| Goal alignment | no data |" in text
