"""Pure rendering and diff logic of the weekly docs sync (no Dagster, no git, no DuckDB)."""
