"""Round 5: a ``Retry-After`` no one should obey (100000 s: a proxy, a misbehaving server). The real clients
(pyairtable / urllib3, PyGithub's GithubRetry, slack_sdk) slept that long: a run hung for a day. Each wait is
now cut to the resource's ``max_wait_seconds`` (1 here), and the request tried again and answered."""

import datetime as dt

from bqx_ops.landing import Landing, read_json
from bqx_ops.resources.airtable import LiveAirtable
from bqx_ops.resources.github_issues import LiveGitHubIssues
from bqx_ops.resources.slack import BqxSlackResource
from bqx_ops_tests.base_builder import minimal_base
from bqx_ops_tests.servers.fixtures import AIRTABLE_TOKEN, GITHUB_TOKEN, SLACK_TOKEN
from bqx_ops_tests.servers.github import make_issue

FOREVER = 100_000  # seconds: more than a day


def test_airtable_s_endless_retry_after_is_cut_and_the_table_lands(airtable_server, tmp_path):
    for table, records in minimal_base().items():
        airtable_server.set_records("appBQXML00000001", table, records)
    airtable_server.fail_next(1, 429, retry_after=FOREVER, path_contains="/Stages")
    today = dt.datetime.now(dt.timezone.utc).date()
    LiveAirtable(data_dir=str(tmp_path), api_key=AIRTABLE_TOKEN, base_id="appBQXML00000001",
                 endpoint_url=airtable_server.url, max_wait_seconds=1).land_snapshot(today, today)
    assert [r.status for r in airtable_server.requests_matching("GET", "/Stages")] == [429, 200]
    assert len(read_json(Landing(tmp_path).airtable_table(today, "Stages"))["records"]) == 3


def test_github_s_endless_secondary_rate_limit_is_cut_and_the_issues_land(github_server, tmp_path):
    github_server.add_repo("bqx-labs/bqx-ml", [make_issue(1, created_at="2026-03-01T00:00:00Z",
                                                          updated_at="2026-03-01T00:00:00Z")])
    github_server.fail_next(1, 403, retry_after=FOREVER, path_contains="/issues")
    live = LiveGitHubIssues(data_dir=str(tmp_path), token=GITHUB_TOKEN, repo="bqx-labs/bqx-ml",
                            base_url=github_server.url, seconds_between_requests=None, max_wait_seconds=1)
    live.refresh(dt.datetime(2026, 3, 15, tzinfo=dt.timezone.utc))
    assert [i["number"] for i in read_json(live.path)] == [1]
    assert [r.status for r in github_server.requests if r.path.endswith("/issues")] == [403, 200]


def test_slack_s_endless_retry_after_is_cut_and_the_message_posted(slack_server):
    channel = slack_server.add_channel("bqx-ml-operations")
    slack_server.fail_next(1, 429, retry_after=FOREVER, path_contains="chat.postMessage")
    client = BqxSlackResource(token=SLACK_TOKEN, base_url=f"{slack_server.url}/api/", max_wait_seconds=1).get_client()
    assert client.chat_postMessage(channel=channel, text="hello")["ok"]
    assert [r.status for r in slack_server.requests_matching("POST", "chat.postMessage")] == [429, 200]
