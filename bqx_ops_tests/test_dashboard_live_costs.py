"""Live Cost Explorer fetching through boto3 (dagster-aws) against moto's server."""

import datetime as dt

import requests

from bqx_ops.landing import Landing, read_json
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.costs import LiveCosts


def day(start: str, amount: str, service: str = "Amazon SageMaker") -> dict:
    end = (dt.date.fromisoformat(start) + dt.timedelta(days=1)).isoformat()
    return {"TimePeriod": {"Start": start, "End": end}, "Total": {}, "Estimated": False,
            "Groups": [{"Keys": [service], "Metrics": {"UnblendedCost": {"Amount": amount, "Unit": "USD"}}}]}


def test_this_and_last_month_are_landed_with_their_pages_merged(moto_server, tmp_path):
    # moto hands out queued results, one per distinct request: May, then June's two pages
    requests.post(f"{moto_server}/moto-api/static/ce/cost-and-usage-results", json={"results": [
        {"ResultsByTime": [day("2026-05-31", "4.5")]},
        {"ResultsByTime": [day("2026-06-01", "1.25")], "NextPageToken": "page-2"},
        {"ResultsByTime": [day("2026-06-02", "2.75", "AWS Lambda")]},
    ]}, timeout=10).raise_for_status()
    costs = LiveCosts(data_dir=str(tmp_path), aws=AwsClients(endpoint_url=moto_server, region_name="us-east-1"))
    assert costs.land(dt.date(2026, 6, 2)) == ["2026-05", "2026-06"]
    june = read_json(Landing(tmp_path).costs_month(2026, 6))
    assert [r["TimePeriod"]["Start"] for r in june["ResultsByTime"]] == ["2026-06-01", "2026-06-02"]
    assert june["GroupDefinitions"] == [{"Type": "DIMENSION", "Key": "SERVICE"}]
    may = read_json(Landing(tmp_path).costs_month(2026, 5))
    assert may["ResultsByTime"][0]["Groups"][0]["Metrics"]["UnblendedCost"]["Amount"] == "4.5"
    assert [p.name for p in costs.files()] == ["2026-05.json", "2026-06.json"]
