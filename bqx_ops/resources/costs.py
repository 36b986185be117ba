"""AWS costs: Cost Explorer's daily cost per service, landed as one GetCostAndUsage response per month."""

import calendar
import datetime as dt
from abc import abstractmethod
from pathlib import Path

import dagster as dg
from pydantic import Field as PField

from bqx_ops.landing import Landing, write_json
from bqx_ops.resources.aws import AwsClients
from bqx_ops.resources.paging import followed_pages


MAX_PAGES = 10_000  # a month's daily costs by service is a few pages; more is a token that never ends


class MonthsNotFetched(Exception):
    """Cost Explorer refused or failed some months (DataUnavailableException, AccessDenied, a network
    error): ``fetched`` were landed, each of ``failed`` (month, reason) keeps its last landed file."""

    def __init__(self, fetched: list[str], failed: list[tuple[str, str]]):
        super().__init__("; ".join(f"{m}: {why}" for m, why in failed))
        self.fetched, self.failed = fetched, failed


class CostsSource(dg.ConfigurableResource):
    """Where the monthly cost files come from."""

    data_dir: str = PField(description="Data dir holding landing/aws/costs/<YYYY-MM>.json.")

    def files(self) -> list[Path]:
        folder = Landing(self.data_dir).costs_dir
        return sorted(folder.glob("*.json")) if folder.is_dir() else []

    def strays(self) -> list[Path]:
        """The folder's other entries (``2026-03.JSON``, ``2026-03.json.bak``): never read, and said."""
        folder = Landing(self.data_dir).costs_dir
        return sorted(set(folder.iterdir()) - set(self.files())) if folder.is_dir() else []

    @abstractmethod
    def land(self, today: dt.date) -> list[str]:
        """Bring the landing zone up to date; returns the months (YYYY-MM) fetched."""


class EmbeddedCosts(CostsSource):
    """Replays the recorded cost files (the bundled sample writes them)."""

    def land(self, today: dt.date) -> list[str]:
        return []


class LiveCosts(CostsSource):
    """Fetches this month and last month from Cost Explorer (earlier months are final and kept)."""

    aws: AwsClients

    def land(self, today: dt.date) -> list[str]:
        client = self.aws.client("ce")
        this_month = today.replace(day=1)
        last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
        from botocore.exceptions import BotoCoreError, ClientError

        fetched, failed = [], []
        for first in (last_month, this_month):
            last_day = calendar.monthrange(first.year, first.month)[1]
            end = min(first.replace(day=last_day), today) + dt.timedelta(days=1)  # End is exclusive
            if end <= first:
                continue
            try:
                month = self._month(client, first, end)
            except (ClientError, BotoCoreError) as exc:  # the month's good file, if any, is left as it is
                failed.append((f"{first:%Y-%m}", str(exc)[:300]))
                continue
            write_json(Landing(self.data_dir).costs_month(first.year, first.month), month)
            fetched.append(f"{first:%Y-%m}")
        if failed:
            raise MonthsNotFetched(fetched, failed)
        return fetched

    @staticmethod
    def _month(client, start: dt.date, end: dt.date) -> dict:
        """One GetCostAndUsage response for the month, its pages merged."""
        request = {
            "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
            "Granularity": "DAILY",
            "Metrics": ["UnblendedCost"],
            "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        }
        merged = {"GroupDefinitions": request["GroupBy"], "ResultsByTime": [], "DimensionValueAttributes": []}
        page = {}
        for page in followed_pages(lambda token: client.get_cost_and_usage(
                **request, **({"NextPageToken": token} if token else {})), "NextPageToken", MAX_PAGES):
            results = page.get("ResultsByTime", [])
            if not isinstance(results, list):  # landed as it came: read as no data for the month, said
                return {**merged, "ResultsByTime": results}
            merged["ResultsByTime"] += results
            merged["DimensionValueAttributes"] += page.get("DimensionValueAttributes") or []
        # a token still there came back: followed, it would never end; landed with it, read as an incomplete
        # month (a problem)
        token = page.get("NextPageToken")
        return {**merged, "NextPageToken": token} if token else merged
