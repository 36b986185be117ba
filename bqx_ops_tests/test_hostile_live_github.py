"""Round 5: GitHub answering oddly, in its own protocol, to the real PyGithub client: a Link header that
loops or skips, pages that repeat forever, an issue on two pages, a secondary rate limit, null fields.
Each: no endless loop, no crash, every issue landed exactly once, a reason where something was not read."""

import datetime as dt
import re

import pytest

from bqx_ops.issue_review.github_issues import github_issues
from bqx_ops.landing import read_json
from bqx_ops.resources.github_issues import LiveGitHubIssues
from bqx_ops_tests.servers.base import Response, json_response
from bqx_ops_tests.servers.fixtures import GITHUB_TOKEN
from bqx_ops_tests.servers.github import make_issue

REPO = "bqx-labs/bqx-ml"
T0 = dt.datetime(2026, 3, 1, 9, tzinfo=dt.timezone.utc)
NOW = dt.datetime(2026, 3, 15, 10, tzinfo=dt.timezone.utc)


def seed(server, n: int = 25) -> None:
    server.add_repo(REPO, [make_issue(i, f"Issue {i}", created_at=T0, updated_at=T0 + dt.timedelta(hours=i))
                           for i in range(1, n + 1)])


def source(server, tmp_path) -> LiveGitHubIssues:
    return LiveGitHubIssues(data_dir=str(tmp_path), token=GITHUB_TOKEN, repo=REPO, base_url=server.url,
                            per_page=10, seconds_between_requests=None, max_pages=50)


def listing(req) -> bool:
    return req.method == "GET" and req.path.endswith("/issues")


def read_after_listing_edited(server, tmp_path, edit) -> tuple[list, list[str]]:
    """(issues, problems) the reader finds in what one refresh landed, each listing page edited by ``edit``."""
    def odd(req, resp):
        if listing(req):
            edit(resp)
        return resp
    server.answer_oddly(odd)
    live = source(server, tmp_path)
    live.refresh(NOW)
    return github_issues(read_json(live.path), now=NOW.replace(tzinfo=None))


def relink(target):
    """Answers whose Link ``next`` points at ``target(page)`` instead of the next page."""
    def rewrite(req, resp):
        if listing(req) and "next" in resp.headers.get("Link", ""):
            page = int(req.arg("page") or 1)
            url = re.sub(r"page=\d+", f"page={target(page)}", resp.headers["Link"].split(">")[0][1:])
            resp.headers["Link"] = f'<{url}>; rel="next"'
        return resp
    return rewrite


def numbers(live) -> list:
    return [i["number"] for i in read_json(live.path)]


def test_a_link_header_that_loops_or_skips_neither_repeats_nor_loses_an_issue(github_server, tmp_path):
    seed(github_server)
    for name, target in (("loop", lambda page: 1), ("skip", lambda page: page + 2)):  # to page 1; past a page
        github_server.answer_oddly(relink(target))
        live = source(github_server, tmp_path / name)
        stats = live.refresh(NOW)
        assert numbers(live) == list(range(1, 26)), name
        assert stats["fetched"] == 25 and stats["problems"] == [], name


def test_a_server_that_repeats_one_page_forever_is_stopped_and_said(github_server, tmp_path):
    seed(github_server)
    first_page = {}

    def same_page(req, resp):  # every page number answered with page 1 (and a Link to one more)
        if listing(req):
            first_page.setdefault("body", resp.body)
            return json_response(first_page["body"], headers=resp.headers)
        return resp
    github_server.answer_oddly(same_page)
    live = source(github_server, tmp_path)
    stats = live.refresh(NOW)
    assert numbers(live) == list(range(1, 11))  # page 1, once
    assert stats["problems"] == ["github: page 2 of the issue listing repeats issues already read; "
                                 "the listing was stopped there"]
    assert len([r for r in github_server.requests if listing(r)]) == 2


def test_an_issue_on_two_pages_means_the_listing_moved_it_is_read_again(github_server, tmp_path):
    seed(github_server)
    shifted = []

    def shift_once(req, resp):  # page 2 of the first reading starts with issue 10 again (the listing moved)
        if listing(req) and req.arg("page") == "2" and not shifted:
            shifted.append(1)
            ten = {**resp.body[0], "number": 10, "title": "Issue 10",
                   "updated_at": (T0 + dt.timedelta(hours=10)).strftime("%Y-%m-%dT%H:%M:%SZ")}
            return json_response([ten] + resp.body[:-1], headers=resp.headers)  # issue 20 pushed off
        return resp
    github_server.answer_oddly(shift_once)
    live = source(github_server, tmp_path)
    stats = live.refresh(NOW)
    assert numbers(live) == list(range(1, 26))  # issue 20, pushed off page 2 once, read in the second reading
    assert stats["problems"] == []
    assert len([r for r in github_server.requests if listing(r)]) == 6  # two readings of three pages


def test_a_secondary_rate_limit_403_is_waited_out(github_server, tmp_path):
    seed(github_server)
    github_server.fail_next(1, 403, retry_after=1, path_contains="/issues")
    live = source(github_server, tmp_path)
    live.refresh(NOW)
    assert numbers(live) == list(range(1, 26))
    assert [r.status for r in github_server.requests if listing(r)][:2] == [403, 200]


def test_items_with_null_user_labels_milestone_and_assignees_are_kept(github_server, tmp_path):
    seed(github_server, 3)

    def nulls(resp):
        for item in resp.body:
            item.update(user=None, labels=None, milestone=None, assignees=None, assignee=None)
    found, problems = read_after_listing_edited(github_server, tmp_path, nulls)
    assert sorted(int(f.source_ref) for f in found) == [1, 2, 3]
    # null labels are said, each issue once; a null user, milestone or assignees is nothing to report
    assert problems == [f"#{n}: labels is null; triaged on the labels that could be read" for n in (1, 2, 3)]


ODD_PAGES = [("a 304 without a body", lambda: Response(304, None, headers={"ETag": '"abc"'})),
             ("a 200 with an HTML page", lambda: Response(200, "<html>Sign in</html>", content_type="text/html")),
             ("an object, not a list", lambda: json_response({"message": "moved"}))]


@pytest.mark.parametrize("case, page", ODD_PAGES, ids=[c for c, _ in ODD_PAGES])
def test_a_page_that_is_no_list_of_issues_stops_the_listing_with_a_reason(github_server, tmp_path, case, page):
    seed(github_server)
    github_server.answer_oddly(lambda req, resp: page() if listing(req) and req.arg("page") == "2" else resp)
    live = source(github_server, tmp_path)
    stats = live.refresh(NOW)
    assert numbers(live) == list(range(1, 11))  # page 1 kept: the next refresh starts after its newest update
    assert stats["problems"] == ["github: page 2 of the issue listing is not a list of issues (TypeError); "
                                 "the listing was stopped there"]
    github_server.answer_oddly(None)
    assert live.refresh(NOW)["since"] == (T0 + dt.timedelta(hours=10)).isoformat()
    assert numbers(live) == list(range(1, 26))


def test_items_without_a_number_are_kept_once_for_the_reader_to_report(github_server, tmp_path):
    seed(github_server, 3)

    def odd_items(resp):
        resp.body += [{"title": "no number"}, {"title": "no number"}, {"number": "7", "title": "text"}]
    found, problems = read_after_listing_edited(github_server, tmp_path, odd_items)
    assert sorted(int(f.source_ref) for f in found) == [1, 2, 3]
    assert [p for p in problems if "is not an issue number" in p] == [
        "item 3: number None is not an issue number; left out (an issue number is a whole number from 0 to 2147483647)",
        "item 4: number '7' is not an issue number; left out (an issue number is a whole number from 0 to 2147483647)"]
