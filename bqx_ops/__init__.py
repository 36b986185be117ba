"""bqx_ops: a project's operational cadence as a Dagster asset platform."""
