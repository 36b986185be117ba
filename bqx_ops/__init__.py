"""bqx_ops: the BQX-ML operational cadence as a Dagster asset platform."""
