"""A plan table written before a column was added gets it appended, so the next write (by position) fits."""

import duckdb
import pandas as pd
from dagster_duckdb import DuckDBResource

from bqx_ops.defs.plan_update.tables import add_new_columns


def test_a_new_column_is_appended_to_an_existing_table(tmp_path):
    path = str(tmp_path / "w.duckdb")
    with duckdb.connect(path) as conn:
        conn.execute("CREATE SCHEMA plan; CREATE TABLE plan.budget_variance (realized_cost DOUBLE, within_band BOOLEAN)")
        conn.execute("INSERT INTO plan.budget_variance VALUES (5.0, true)")
    df = pd.DataFrame({"realized_cost": [719.0], "within_band": [True], "budget_spent_pct": [110.6],
                       "over_budget": [True]})
    add_new_columns(DuckDBResource(database=path), "budget_variance", df)
    with duckdb.connect(path) as conn:
        conn.execute("INSERT INTO plan.budget_variance SELECT * FROM df")
        assert conn.execute("SELECT * FROM plan.budget_variance ORDER BY realized_cost").fetchall() == [
            (5.0, True, None, None), (719.0, True, 110.6, True)]
