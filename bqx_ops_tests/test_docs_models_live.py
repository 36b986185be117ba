"""docs/models.md in live mode: the sync refreshes the SageMaker listing itself. Before, only the issue
review landed it, so a sync that ran before a team's first review said "unknown (no SageMaker listing)"
and later ones named jobs from a listing up to two weeks old."""

import datetime as dt

import boto3
import dagster as dg
import duckdb

from bqx_ops.defs.airtable.assets import airtable_tables, raw_records
from bqx_ops.defs.docs_sync.assets import model_versions
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.sagemaker_jobs import LiveSageMakerJobs
from bqx_ops.resources.factory import build_resources
from bqx_ops_tests.base_builder import edit, minimal_base, write_snapshot
from bqx_ops_tests.test_review_live_aws import create_job


def test_the_sync_lands_the_sagemaker_listing_it_names_jobs_from(moto_server, tmp_path):
    today = dt.datetime.now(dt.timezone.utc).date()
    monday = today - dt.timedelta(days=today.weekday())  # the open week's partition
    base = edit(minimal_base(), "Model Results", "recMODL0000000001", Training_Job="wren-ens-7",
                Evaluated_On=today.isoformat())
    write_snapshot(tmp_path, today, base)
    resources = build_resources("local", tmp_path)
    assert dg.materialize([raw_records, airtable_tables], resources=resources, partition_key=today.isoformat()).success
    create_job(boto3.client("sagemaker", endpoint_url=moto_server, region_name="us-east-1"),
               "wren-ens-7", "Ensemble", "w15")
    resources["sagemaker_jobs"] = LiveSageMakerJobs(
        data_dir=str(tmp_path), aws=AwsClients(region_name="us-east-1", endpoint_url=moto_server))
    assert not (tmp_path / "landing" / "aws" / "sagemaker").exists()  # no review has run

    assert dg.materialize([model_versions], resources=resources, partition_key=monday.isoformat()).success

    with duckdb.connect(str(tmp_path / "bqx_ops.duckdb"), read_only=True) as conn:
        rows = conn.execute("SELECT training_job, job_status FROM docs.model_versions").fetchall()
    status = boto3.client("sagemaker", endpoint_url=moto_server, region_name="us-east-1").describe_training_job(
        TrainingJobName="wren-ens-7")["TrainingJobStatus"]
    assert rows == [("wren-ens-7", status)]
