"""Stage 10.8, the quarterly 360 plan assessment: scoring, reading and rendering (no Dagster)."""
