"""The live GitHub issues source: real PyGithub against the local GitHub REST server."""

import datetime as dt
import time

import pytest

from bqx_ops.landing import read_json
from bqx_ops.resources.github_issues import LiveGitHubIssues
from bqx_ops.issue_review.github_issues import github_issues
from bqx_ops_tests.servers.fixtures import GITHUB_TOKEN
from bqx_ops_tests.servers.github import make_issue

REPO = "bqx-labs/bqx-ml"
T0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc)
NOW = dt.datetime(2026, 3, 15, 10, tzinfo=dt.timezone.utc)


def seed(n: int = 45) -> list[dict]:
    """Issue i updated at T0 + i hours; every 4th is a pull request; every 3rd closed."""
    return [make_issue(i, f"Issue {i}", pull_request=i % 4 == 0,
                       created_at=T0 - dt.timedelta(days=3), updated_at=T0 + dt.timedelta(hours=i),
                       closed_at=T0 + dt.timedelta(hours=i) if i % 3 == 0 else None,
                       labels=["priority:P2"] if i % 2 else [])
            for i in range(1, n + 1)]


def source(server, tmp_path, per_page=10) -> LiveGitHubIssues:
    return LiveGitHubIssues(data_dir=str(tmp_path), token=GITHUB_TOKEN, repo=REPO, base_url=server.url,
                            per_page=per_page, seconds_between_requests=None)


def listing_requests(server):
    return [r for r in server.requests if "/issues" in r.path]


def test_a_first_fetch_walks_the_pages_and_lands_every_issue_and_pr(github_server, tmp_path):
    github_server.add_repo(REPO, seed(45))
    live = source(github_server, tmp_path)

    stats = live.refresh(NOW)

    landed = read_json(live.path)
    assert [i["number"] for i in landed] == list(range(1, 46))
    assert stats["fetched"] == 45 and stats["pull_requests"] == 11 and stats["since"] is None
    pages = listing_requests(github_server)
    assert len(pages) == 5  # 45 issues, 10 a page, nothing else
    assert len(github_server.requests) == 5  # lazy repo, and not one request per issue
    assert pages[0].query == {"state": ["all"], "sort": ["updated"], "direction": ["asc"], "per_page": ["10"]}
    # page by page (page=2 ..), not by the Link header: a Link that loops or skips would repeat or lose issues
    assert [p.query.get("page") for p in pages] == [None, ["2"], ["3"], ["4"], ["5"]]
    found, problems = github_issues(landed)
    assert len(found) == 45 - 11 and problems == []  # pull requests mixed in, left out


def test_the_next_fetch_asks_since_the_newest_landed_update_in_utc_and_merges_by_number(github_server, tmp_path):
    github_server.add_repo(REPO, seed(12))
    live = source(github_server, tmp_path)
    live.refresh(NOW)
    github_server.add_issue(REPO, make_issue(5, "Issue 5, renamed", created_at=T0 - dt.timedelta(days=3),
                                             updated_at=T0 + dt.timedelta(days=2), closed_at=T0 + dt.timedelta(days=2)))
    github_server.add_issue(REPO, make_issue(13, "Brand new", updated_at=T0 + dt.timedelta(days=2)))
    github_server.clear_requests()

    stats = live.refresh(NOW)

    [page] = listing_requests(github_server)
    assert page.query["since"] == ["2026-03-01T21:00:00Z"]  # issue 12's updated_at, in UTC
    assert stats["fetched"] == 3  # 12 again (since is inclusive), 5 and 13
    landed = {i["number"]: i for i in read_json(live.path)}
    assert sorted(landed) == list(range(1, 14))
    assert landed[5]["title"] == "Issue 5, renamed" and landed[5]["state"] == "closed"


def test_since_is_sent_in_utc_whatever_the_landed_offset(github_server, tmp_path):
    live = source(github_server, tmp_path)
    since = live.since([{"updated_at": "2026-03-01T12:00:00+02:00"}, {"updated_at": "2026-03-01T09:30:00Z"}])
    assert since == dt.datetime(2026, 3, 1, 10, 0, tzinfo=dt.timezone.utc)


@pytest.mark.slow
def test_a_403_rate_limit_waits_for_the_reset_then_carries_on(github_server, tmp_path):
    github_server.add_repo(REPO, seed(25))
    live = source(github_server, tmp_path)
    reset = github_server.rate_limit(remaining=0, reset_in=1)
    started = time.time()

    stats = live.refresh(NOW)

    assert stats["fetched"] == 25 and len(read_json(live.path)) == 25
    assert time.time() >= reset  # GithubRetry slept until X-RateLimit-Reset
    statuses = [r.status for r in listing_requests(github_server)]
    assert statuses[0] == 403 and statuses[1:] == [200, 200, 200]
    assert time.time() - started < 15
