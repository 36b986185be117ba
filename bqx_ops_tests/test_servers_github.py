"""Protocol fidelity of the fake GitHub server, exercised with the real PyGithub client."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from github import Auth, Github, GithubException
from github.GithubException import BadCredentialsException, UnknownObjectException

from bqx_ops_tests.servers.github import DEFAULT_TOKEN as GITHUB_TOKEN
from bqx_ops_tests.servers.github import GitHubServer, make_issue

# redundant (and harmless) once the root conftest lists the plugin
pytest_plugins = ["bqx_ops_tests.servers.fixtures"]

UTC = dt.timezone.utc
REPO = "bqx-org/bqx-ml"
T0 = dt.datetime(2024, 1, 1, tzinfo=UTC)


def _issues(n: int = 75) -> list[dict]:
    """Issue i: created T0+i h, updated T0+i days; every 5th is a PR; every 3rd closed."""
    return [
        make_issue(
            i,
            f"Issue {i}",
            pull_request=i % 5 == 0,
            state="closed" if i % 3 == 0 else "open",
            created_at=T0 + dt.timedelta(hours=i),
            updated_at=T0 + dt.timedelta(days=i),
            closed_at=T0 + dt.timedelta(days=i) if i % 3 == 0 else None,
            labels=["bug"] if i % 2 else [],
        )
        for i in range(1, n + 1)
    ]


def _client(server: GitHubServer, token: str = GITHUB_TOKEN, **kwargs) -> Github:
    # PyGithub paces requests (0.25 s / 1 s for writes) by default; off for speed here
    kwargs.setdefault("seconds_between_requests", None)
    kwargs.setdefault("seconds_between_writes", None)
    return Github(base_url=server.url, auth=Auth.Token(token), **kwargs)


def test_get_issues_paginates_over_link_headers_and_includes_prs(github_server):
    github_server.add_repo(REPO, _issues(75))

    issues = list(_client(github_server).get_repo(REPO).get_issues(state="all"))

    assert [i.number for i in issues] == list(range(75, 0, -1))  # sort=created, direction=desc
    # (reading an attribute GitHub omitted, e.g. ``pull_request`` of a plain issue,
    # makes PyGithub fetch the issue again -- so classify by html_url)
    prs = [i for i in issues if "/pull/" in i.html_url]
    assert [i.number for i in prs] == list(range(75, 0, -5))
    assert prs[0].pull_request.html_url == f"https://github.com/{REPO}/pull/75"
    lists = [r for r in github_server.requests if r.path.endswith("/issues")]
    assert len(github_server.requests) == 4  # get_repo + 3 pages (30 + 30 + 15)
    assert lists[0].path == f"/repos/{REPO}/issues" and lists[0].query == {"state": ["all"]}
    assert lists[1].path.startswith("/repositories/")  # followed the Link header
    assert lists[1].query == {"state": ["all"], "page": ["2"]}
    assert all(r.header("Authorization") == f"token {GITHUB_TOKEN}" for r in github_server.requests)


def test_link_header_shape():
    import requests

    with GitHubServer({REPO: _issues(75)}, token=GITHUB_TOKEN) as gh:
        base_url = gh.url
        resp = requests.get(
            f"{gh.url}/repos/{REPO}/issues",
            params={"state": "all", "per_page": 30, "page": 2},
            headers={"Authorization": f"Bearer {GITHUB_TOKEN}"},
        )
    links = dict(
        (part.split("; ")[1][5:-1], part.split("; ")[0][1:-1]) for part in resp.headers["Link"].split(", ")
    )
    assert set(links) == {"prev", "next", "last", "first"}
    assert links["next"].startswith(f"{base_url}/repositories/") and "page=3" in links["next"]
    assert "state=all" in links["last"] and "per_page=30" in links["last"]
    assert resp.headers["X-RateLimit-Limit"] == "5000"
    assert int(resp.headers["X-RateLimit-Remaining"]) == 4999


def test_since_filters_on_updated_at_and_state_default(github_server):
    github_server.add_repo(REPO, _issues(75))
    repo = _client(github_server).get_repo(REPO)

    since = dt.datetime(2024, 2, 20, tzinfo=UTC)  # = T0 + 50 days
    recent = list(repo.get_issues(state="all", since=since, sort="updated", direction="asc"))

    assert [i.number for i in recent] == list(range(50, 76))
    assert github_server.requests[-1].query["since"] == ["2024-02-20T00:00:00Z"]
    open_only = list(repo.get_issues())
    assert {i.state for i in open_only} == {"open"} and len(open_only) == 50
    labelled = list(repo.get_issues(state="all", labels=["bug"]))
    assert all(i.number % 2 for i in labelled) and len(labelled) == 38
    assert repo.get_issue(10).pull_request is not None


@pytest.mark.slow
def test_recovers_from_primary_rate_limit_after_reset(github_server):
    github_server.add_repo(REPO, _issues(5))
    g = _client(github_server)
    repo = g.get_repo(REPO)
    reset = github_server.rate_limit(remaining=0, reset_in=1)

    started = time.time()
    issue = repo.get_issue(3)

    assert issue.title == "Issue 3"
    assert time.time() >= reset  # GithubRetry slept until X-RateLimit-Reset (+1 s)
    statuses = [r.status for r in github_server.requests_matching("GET", "/issues/3")]
    assert statuses == [403, 200]
    limited = github_server.requests_matching(status=403)[0]
    assert limited.timestamp - github_server.requests[0].timestamp < time.time() - started
    assert g.rate_limiting == (4999, 5000)
    assert g.get_rate_limit().resources.core.remaining == 4999


def test_rate_limited_response_shape_and_rate_limit_endpoint(github_server):
    import requests

    github_server.add_repo(REPO, _issues(1))
    reset = github_server.rate_limit(remaining=0, reset_in=600)
    headers = {"Authorization": f"token {GITHUB_TOKEN}"}

    resp = requests.get(f"{github_server.url}/repos/{REPO}", headers=headers)
    assert resp.status_code == 403
    assert resp.json()["message"].startswith("API rate limit exceeded for ")
    assert resp.json()["documentation_url"].startswith("https://docs.github.com/")
    assert resp.headers["X-RateLimit-Remaining"] == "0"
    assert resp.headers["X-RateLimit-Reset"] == str(reset)
    assert "Retry-After" not in resp.headers
    limits = requests.get(f"{github_server.url}/rate_limit", headers=headers)
    assert limits.status_code == 200 and limits.json()["resources"]["core"]["remaining"] == 0

    g = _client(github_server, retry=None)
    with pytest.raises(GithubException) as err:
        g.get_repo(REPO)
    assert err.value.status == 403 and type(err.value).__name__ == "RateLimitExceededException"


def test_recovers_from_secondary_rate_limit_and_5xx(github_server):
    github_server.add_repo(REPO, _issues(3))
    github_server.fail_next(1, 403, retry_after=0, path_contains="/issues")
    github_server.fail_next(2, 502, path_contains="/issues")

    issues = list(_client(github_server).get_repo(REPO).get_issues(state="all"))

    assert len(issues) == 3
    assert [r.status for r in github_server.requests_matching("GET", "/issues")] == [403, 502, 502, 200]


def test_release_tagging_flow_and_duplicates(github_server):
    github_server.add_repo(REPO)
    repo = _client(github_server).get_repo(REPO)
    head = github_server.refs[REPO]["refs/heads/main"]

    tag = repo.create_git_tag("v2024.01.0", "Release v2024.01.0", head, "commit")
    ref = repo.create_git_ref("refs/tags/v2024.01.0", tag.sha)
    release = repo.create_git_release("v2024.01.0", name="v2024.01.0", message="notes", target_commitish=head)

    assert tag.object.sha == head and ref.object.sha == tag.sha and ref.object.type == "tag"
    assert [t["tag"] for t in github_server.tags[REPO]] == ["v2024.01.0"]
    assert github_server.refs[REPO]["refs/tags/v2024.01.0"] == tag.sha
    assert [r["tag_name"] for r in github_server.releases[REPO]] == ["v2024.01.0"]
    assert repo.get_release("v2024.01.0").id == release.id
    assert repo.get_git_ref("tags/v2024.01.0").object.sha == tag.sha
    assert [r.tag_name for r in repo.get_releases()] == ["v2024.01.0"]

    with pytest.raises(GithubException) as dup_ref:
        repo.create_git_ref("refs/tags/v2024.01.0", tag.sha)
    assert dup_ref.value.status == 422 and dup_ref.value.data["message"] == "Reference already exists"
    with pytest.raises(GithubException) as dup_rel:
        repo.create_git_release("v2024.01.0", name="again", message="x")
    assert dup_rel.value.status == 422
    assert dup_rel.value.data["errors"][0]["code"] == "already_exists"

    with pytest.raises(UnknownObjectException):
        repo.get_git_ref("tags/v9.9.9")
    with pytest.raises(UnknownObjectException):
        repo.get_release("v9.9.9")
    assert len(github_server.releases[REPO]) == 1


def test_release_without_tag_creates_lightweight_tag(github_server):
    github_server.add_repo(REPO)
    repo = _client(github_server).get_repo(REPO)
    repo.create_git_release("v1", name="v1", message="m")
    assert github_server.refs[REPO]["refs/tags/v1"] == github_server.refs[REPO]["refs/heads/main"]


def test_bad_credentials_and_private_repo(github_server):
    github_server.add_repo(REPO, private=True)
    with pytest.raises(BadCredentialsException):
        _client(github_server, token="ghp_wrong").get_repo(REPO)
    anonymous = Github(base_url=github_server.url, seconds_between_requests=None)
    with pytest.raises(UnknownObjectException):
        anonymous.get_repo(REPO)
    assert _client(github_server).get_user().login == "bqx-bot"


def test_default_client_pacing_is_visible_in_request_log(github_server):
    github_server.add_repo(REPO, _issues(3))
    g = Github(base_url=github_server.url, auth=Auth.Token(GITHUB_TOKEN))  # default 0.25 s pacing
    repo = g.get_repo(REPO)
    for n in (1, 2, 3):
        repo.get_issue(n)
    stamps = [r.timestamp for r in github_server.requests]
    assert len(stamps) == 4
    assert min(b - a for a, b in zip(stamps, stamps[1:])) >= 0.2
    assert github_server.max_requests_per_window(0.2) == 1
