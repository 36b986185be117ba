"""GitHub issues of the project repository, landed in ``landing/github/issues.json``.

``EmbeddedGitHubIssues`` replays the landing zone (writing the bundled sample when it is
empty); ``LiveGitHubIssues`` fetches with PyGithub, incrementally:

* ``since`` = the newest ``updated_at`` already landed, as a UTC datetime (GitHub's
  ``since`` is inclusive, so the newest issue comes back and is merged again);
* the listing includes pull requests; they are kept in the landing file (it mirrors
  the API) and recognised later by their ``pull_request`` key, so no issue is ever
  fetched again one by one: the raw JSON is taken from the listing itself;
* rate limits: PyGithub's ``GithubRetry`` waits for ``X-RateLimit-Reset`` on a 403/429
  "rate limit exceeded" and for ``Retry-After`` on secondary limits;
* the fetched issues are merged into the landing file by issue number.
"""

import datetime as dt
from pathlib import Path

import dagster as dg
from pydantic import Field as PField

from bqx_ops.calendar import UTC
from bqx_ops.sanitize import json_text
from bqx_ops.landing import Landing, read_landed_list, write_json
from bqx_ops.issue_review.github_issues import is_pull_request, parse_time


class GitHubIssuesSource(dg.ConfigurableResource):
    """Where the review's GitHub issues come from; both modes read the landing file."""

    data_dir: str = PField(description="Data dir holding landing/ (the landing zone).")

    @property
    def path(self) -> Path:
        return Landing(self.data_dir).github_issues

    def refresh(self, now: dt.datetime) -> dict:
        """Bring the landing file up to date; returns what was done (for run metadata)."""
        raise NotImplementedError

    def read(self) -> tuple[list, list[str]]:
        """(items, problems): the landed listing; a missing or unreadable file is a problem, not a crash."""
        return read_landed_list(self.path, "github", "issues", "a list of issues")


class EmbeddedGitHubIssues(GitHubIssuesSource):
    """Replays the landing zone; writes the bundled sample into it when it is empty."""

    def refresh(self, now: dt.datetime) -> dict:
        from bqx_ops.sample import ensure_sample

        ensure_sample(self.data_dir)
        return {"mode": "embedded"}


def _updated_key(item) -> str:
    value = item.get("updated_at") if isinstance(item, dict) else None
    return value if isinstance(value, str) else ""


def walk_pages(listing, per_page: int, max_pages: int) -> tuple[list, bool, str | None]:
    """(items, changed, problem) of one reading of ``listing`` page by page (``page=1, 2 ..``), never by
    following its ``Link`` header: a Link that loops or skips a page would repeat or lose issues.

    It stops at a page shorter than ``per_page`` (the last). ``changed``: an issue came on two pages (the
    listing shifted while it was read: an issue between pages may have been missed). A page of nothing
    but issues already read (a server repeating pages) ends the reading, said in ``problem``."""
    from github.GithubObject import GithubObject

    seen: dict = {}
    numbers: set = set()
    changed = False
    for page in range(max_pages):
        try:  # GithubObject.raw_data is the listing's JSON; Issue.raw_data would fetch every issue again
            items = [GithubObject.raw_data.fget(issue) for issue in listing.get_page(page)]
        except (TypeError, ValueError, KeyError, AttributeError) as exc:  # a 304, an HTML page, an object
            # the pages before it are kept: read in order of update, the next refresh starts after them
            return list(seen.values()), changed, (f"github: page {page + 1} of the issue listing is not a list of "
                                                  f"issues ({type(exc).__name__}); the listing was stopped there")
        keys = [json_text((i["number"], i.get("updated_at")) if isinstance(i, dict) and isinstance(i.get("number"), int)
                          else ["not an issue", i], sort_keys=True) for i in items]  # hashable whatever it holds
        if items and all(k in seen for k in keys):
            return list(seen.values()), changed, (f"github: page {page + 1} of the issue listing repeats issues "
                                                  "already read; the listing was stopped there")
        for key, item in zip(keys, items):
            number = item.get("number") if isinstance(item, dict) else None
            if isinstance(number, int):
                changed |= number in numbers  # listed twice, the same or updated since
                numbers.add(number)
            seen[key] = item
        if len(items) < per_page:
            return list(seen.values()), changed, None
    return list(seen.values()), changed, (f"github: the issue listing did not end after {max_pages} pages; "
                                          "stopped there")


def merge_by_number(existing: list, fetched: list) -> list:
    """Landed issues updated by the fetched ones (same number: the fetched one wins), by number. A fetched
    item without a whole number cannot be merged: it is kept after them, once, for the reader to report
    (it never crashes the refresh, and is never dropped unsaid)."""
    def numbered(item) -> bool:
        return isinstance(item, dict) and isinstance(item.get("number"), int) and not isinstance(item["number"], bool)

    merged = {item["number"]: item for item in existing if numbered(item)}
    odd: dict[str, object] = {}
    for item in fetched:
        if numbered(item):
            merged[item["number"]] = item
        else:
            odd.setdefault(json_text(item, sort_keys=True), item)
    return [merged[n] for n in sorted(merged)] + list(odd.values())


class LiveGitHubIssues(GitHubIssuesSource):
    """The issues of the project repository through PyGithub (or a server speaking GitHub's REST API)."""

    token: str = PField(description="GitHub token (dg.EnvVar('GITHUB_TOKEN')).")
    repo: str = PField(description="owner/name of the project repository.")
    base_url: str = PField(default="https://api.github.com", description="REST API root.")
    per_page: int = PField(default=100, description="Issues per page (GitHub's maximum is 100).")
    seconds_between_requests: float | None = PField(
        default=0.25, description="PyGithub's own pacing (GitHub's secondary rate limits)."
    )
    max_wait_seconds: float = PField(default=300.0, description="The longest Retry-After obeyed (s); a longer one "
                                                                "is waited this long, then retried.")
    retries: int = PField(default=10, description="GithubRetry total: rate-limit waits and 5xx retries.")
    max_pages: int = PField(default=10000, description="Pages one listing may take (a server that never "
                                                       "ends one is stopped here, said).")
    max_walks: int = PField(default=3, description="Readings of a listing that changes while it is read.")

    def _client(self):
        from github import Auth, Github, GithubRetry  # imported where used: not at code-location load

        from bqx_ops.resources.retry_waits import MAX_RATE_LIMIT_WAIT, capped_retry_class

        return Github(
            base_url=self.base_url,
            auth=Auth.Token(self.token),
            per_page=self.per_page,
            timeout=30,
            retry=capped_retry_class(GithubRetry, float(self.max_wait_seconds))(
                total=self.retries, max_rate_limit_wait=MAX_RATE_LIMIT_WAIT),
            seconds_between_requests=self.seconds_between_requests,
            lazy=True,  # no request for the repository itself: its issues are all we list
        )

    def since(self, items: list) -> dt.datetime | None:
        """The newest ``updated_at`` landed (UTC), None when nothing is landed yet."""
        times = [parse_time(i.get("updated_at")) for i in items if isinstance(i, dict)]
        newest = max((t for t in times if t is not None), default=None)
        return newest.replace(tzinfo=UTC) if newest else None

    def refresh(self, now: dt.datetime) -> dict:
        existing, problems = self.read() if self.path.exists() else ([], [])
        since = self.since(existing)
        if not self.repo:
            raise ValueError("no GitHub repository: set github_repo in the configuration or BQX_OPS_GITHUB_REPO")
        repo = self._client().get_repo(self.repo)
        kwargs = {"state": "all", "sort": "updated", "direction": "asc"}
        if since is not None:
            kwargs["since"] = since
        listing = repo.get_issues(**kwargs)
        fetched, walk_problems = [], []
        for _ in range(self.max_walks):  # a listing that changed while it was read is read again
            items, changed, why = walk_pages(listing, self.per_page, self.max_pages)
            fetched += items
            if why:
                walk_problems.append(why)
            if not changed:
                break
        else:
            walk_problems.append(f"github: the listing changed during each of {self.max_walks} readings "
                                 "(an issue on two pages); what was read is kept, the next refresh reads again")
        fetched = sorted(fetched, key=_updated_key)  # merge_by_number: the newest copy of a number wins
        write_json(self.path, merge_by_number(existing, fetched))
        read = merge_by_number([], fetched)  # each issue once, however many readings brought it
        return {"mode": "live", "since": since.isoformat() if since else None, "fetched": len(read),
                "pull_requests": sum(map(is_pull_request, read)), "problems": problems + walk_problems}
