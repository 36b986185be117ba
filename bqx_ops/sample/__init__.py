"""A deterministic, realistic BQX-ML landing zone (Airtable snapshots, GitHub, CloudWatch, SageMaker, costs)."""

from .generator import ensure_sample, write_sample
from .story import BAD_RECORDS
from .timeline import LOG_GROUPS, SAMPLE_END, SAMPLE_REPO, SAMPLE_START, snapshot_dates

__all__ = ["BAD_RECORDS", "LOG_GROUPS", "SAMPLE_END", "SAMPLE_REPO", "SAMPLE_START", "ensure_sample", "snapshot_dates",
           "write_sample"]
