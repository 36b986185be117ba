"""The seed's Success Metrics Dashboard: cost parsing, indicator rules and rendering (no Dagster here)."""
