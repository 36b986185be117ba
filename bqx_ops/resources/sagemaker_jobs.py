"""SageMaker training jobs as a review source: DescribeTrainingJob responses landed in
``aws/sagemaker/training_jobs.json`` (``bqx_ops.landing``). The embedded class replays the landing
zone (writing the bundled sample when it is empty); the live one fetches with boto3 through
``AwsClients``, merged by job name."""

import datetime as dt
from pathlib import Path

import dagster as dg
from pydantic import Field as PField

from bqx_ops import config as project_config
from bqx_ops.calendar import UTC
from bqx_ops.landing import Landing, read_landed_list, write_json
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.paging import EndlessPages, bounded_pages


def _iso(value):
    """boto3 datetimes as the sample writes them: ISO 8601 UTC with milliseconds."""
    if isinstance(value, dt.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value


class SageMakerJobsSource(dg.ConfigurableResource):
    """DescribeTrainingJob responses of the project's training jobs."""

    data_dir: str = PField(description="Data dir holding landing/ (the landing zone).")

    @property
    def path(self) -> Path:
        return Landing(self.data_dir).sagemaker_jobs

    def refresh(self, now: dt.datetime) -> dict:
        raise NotImplementedError

    def read(self) -> tuple[list, list[str]]:
        return read_landed_list(self.path, "sagemaker", "training jobs", "a list")


class EmbeddedSageMakerJobs(SageMakerJobsSource):
    def refresh(self, now: dt.datetime) -> dict:
        from bqx_ops.sample import ensure_sample

        ensure_sample(self.data_dir)
        return {"mode": "embedded"}


class LiveSageMakerJobs(SageMakerJobsSource):
    """list_training_jobs (modified since the newest landed) + describe_training_job, merged by name."""

    aws: AwsClients
    name_contains: str | None = PField(default=None, description="Only jobs whose name contains this (the "
                                                                 "configuration's aws.sagemaker.name_contains).")
    first_fetch_days: int = PField(default=400, description="How far back the first fetch looks.")

    def refresh(self, now: dt.datetime) -> dict:
        client = self.aws.client("sagemaker")
        existing, problems = self.read() if self.path.exists() else ([], [])
        landed = {j["TrainingJobName"]: j for j in existing if isinstance(j, dict) and "TrainingJobName" in j}
        stamps = [str(j.get("LastModifiedTime")) for j in landed.values() if j.get("LastModifiedTime")]
        since = (dt.datetime.fromisoformat(max(stamps)) - dt.timedelta(seconds=1) if stamps
                 else now.astimezone(UTC) - dt.timedelta(days=self.first_fetch_days))
        args = {"LastModifiedTimeAfter": since, "SortBy": "CreationTime", "SortOrder": "Ascending"}
        contains = self.name_contains or project_config.current(data_dir=self.data_dir).aws.sagemaker.name_contains
        if contains:
            args["NameContains"] = contains
        fetched, pages = 0, client.get_paginator("list_training_jobs").paginate(**args)
        try:
            for page in bounded_pages(pages, "NextToken", "sagemaker: ListTrainingJobs"):
                for summary in page.get("TrainingJobSummaries") or []:
                    job = self._describe(client, summary, problems)
                    if job is not None:
                        landed[job["TrainingJobName"]] = _iso(job)
                        fetched += 1
        except EndlessPages as exc:  # nothing merged: the next refresh, from the same time, reads them all
            return {"mode": "live", "since": since.isoformat(), "fetched": 0,
                    "problems": problems + [f"{exc}; the landed jobs were kept as they were"]}
        write_json(self.path, [landed[name] for name in sorted(landed)])
        return {"mode": "live", "since": since.isoformat(), "fetched": fetched, "problems": problems}

    @staticmethod
    def _describe(client, summary, problems: list[str]) -> dict | None:
        """DescribeTrainingJob of a listed job; None, said in ``problems``, for a summary without a name or
        a job gone since it was listed (it can no longer be read; any other error fails the refresh)."""
        name = summary.get("TrainingJobName") if isinstance(summary, dict) else None
        if not isinstance(name, str) or not name:
            problems.append(f"sagemaker: a listed job without a TrainingJobName ({str(summary)[:80]}); left out")
            return None
        try:
            job = client.describe_training_job(TrainingJobName=name)
        except client.exceptions.ResourceNotFound as exc:
            problems.append(f"sagemaker: job {name!r} was listed but is gone ({exc}); left out")
            return None
        except client.exceptions.ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ValidationException":  # SageMaker's "not found"
                raise
            problems.append(f"sagemaker: job {name!r} was listed but cannot be described ({exc}); left out")
            return None
        job.pop("ResponseMetadata", None)
        return job if job.get("TrainingJobName") == name else {**job, "TrainingJobName": name}
