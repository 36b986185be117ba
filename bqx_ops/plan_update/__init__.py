"""Stage 10.6, the weekly plan update, as pure pandas: no Dagster, no I/O.

Inputs are typed rows of one Airtable snapshot (``bqx_ops.asof.read_as_of``);
outputs are sorted frames with explicit dtypes, so the same snapshot always gives
the same tables and the same report.
"""
