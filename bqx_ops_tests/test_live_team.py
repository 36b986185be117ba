"""A team that is not the sample runs bqx_ops in LIVE mode against its own base: the fourth team's
(bqx_ops_tests/fourth_base.py, renamed tables/fields/statuses, its own SLAs, ``trunk`` branch and channel)
served by the local Airtable server, issues by the local GitHub server, Slack by the local Slack server,
AWS by moto and the docs repository by a local bare origin that starts empty. Its first weeks run in date
order in live mode (the demo's steps with live resources: bqx_ops_tests/live_team_run.py), then again.

The live path must give what the embedded one gives from the JSON live mode landed: the same docs tree,
the same commits (SHAs included), the same Slack messages; a re-run sends and commits nothing new; no
token is in any file, log or output; nothing names the sample."""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys

import pytest
import sqlalchemy as sa

from bqx_ops.base_schema import TABLES
from bqx_ops.landing import Landing, read_json
from bqx_ops_tests import fourth_base as kgl
from bqx_ops_tests.live_team_run import land_snapshots
from bqx_ops_tests.postgres_db import scratch_database, url
from bqx_ops_tests.servers.fixtures import AIRTABLE_TOKEN, GITHUB_TOKEN, SLACK_TOKEN
from bqx_ops_tests.servers.slack import SlackServer
from bqx_ops_tests.test_cli_demo import REPO
from bqx_ops_tests.test_other_team import SAMPLE_WORDS, run_demo

LAST = dt.date(2019, 12, 3)  # two plan updates, three sync weeks, the first review (12-01), a dashboard
BASE, CHANNEL_ID = "appKESTRELGRID01", "CKESTREL001"
ISSUE = {"number": 12, "title": "h168 forecasts stale after DST change", "state": "open", "body": "",
         "created_at": "2019-11-25T10:00:00Z", "updated_at": "2019-11-25T10:00:00Z",
         "labels": [{"name": "priority:P1"}]}


def git(origin, *args) -> str:
    return subprocess.run(["git", "-C", str(origin), *args], capture_output=True, text=True, check=True).stdout


def effects(slack, origin, github_server) -> tuple:
    """What the team sees of a run: Slack messages, commits and tags, releases."""
    return (len(slack.messages_in(CHANNEL_ID)), git(origin, "rev-list", "--all", "--count"),
            git(origin, "for-each-ref"), len(github_server.releases.get("kestrel/grid-load", [])))


def files_under(root) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


@pytest.mark.slow  # a live run, then a live re-run beside the embedded run: three processes importing Dagster
def test_a_team_runs_live_against_its_own_base_and_gets_what_the_embedded_run_gets(
        tmp_path, airtable_server, github_server, moto_server):
    src, live, home = tmp_path / "src", tmp_path / "live", tmp_path / "home"
    rules = kgl.write(src, "full")
    live.mkdir(), home.mkdir()
    shutil.copy(src / "bqx_ops.yaml", live / "bqx_ops.yaml")
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")  # the production instance: PostgreSQL
    origin = tmp_path / "origin.git"  # the team's new, empty docs repository
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    zone = Landing(src)
    days = [d for d in zone.airtable_snapshot_dates() if d <= LAST]
    land_snapshots(airtable_server, BASE, live, [
        (d, {p.stem: read_json(p)["records"] for p in zone.airtable_dir(d).glob("*.json")}) for d in days])
    github_server.add_repo("kestrel/grid-load", [*kgl.pull_requests(), ISSUE])
    with SlackServer(token=SLACK_TOKEN, channels={kgl.CHANNEL.lstrip("#"): CHANNEL_ID}) as slack, \
            scratch_database("bqx_ops_test_live_team") as instance_db:
        env = {**os.environ, "BQX_OPS_MODE": "live", "BQX_OPS_DATA_DIR": str(live), "DAGSTER_HOME": str(home),
               "AIRTABLE_API_KEY": AIRTABLE_TOKEN, "AIRTABLE_BASE_ID": BASE, "AIRTABLE_ENDPOINT_URL": airtable_server.url,
               "GITHUB_TOKEN": GITHUB_TOKEN, "GITHUB_API_URL": github_server.url,
               "BQX_OPS_DOCS_REMOTE_URL": str(origin), "SLACK_BOT_TOKEN": SLACK_TOKEN,
               "SLACK_API_URL": f"{slack.url}/api/", "BQX_OPS_OUTBOX_HORIZON_DAYS": "100000",
               "BQX_OPS_TRIAGE_RULES": str(rules), "BQX_OPS_PG_URL": url(instance_db)}
        env.pop("BQX_OPS_CONFIG", None)
        command = [sys.executable, "-m", "bqx_ops_tests.live_team_run", str(live), kgl.START.isoformat(), LAST.isoformat()]
        first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        once = effects(slack, origin, github_server)
        # what live mode landed, replayed by the embedded demo while live mode runs the same weeks again
        emb = tmp_path / "embedded" / "data"
        shutil.copytree(live / "landing", emb / "landing")
        shutil.copy(live / "bqx_ops.yaml", emb / "bqx_ops.yaml")
        again = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        done = run_demo(emb.parent, "--to", LAST.isoformat(), BQX_OPS_OUTBOX_HORIZON_DAYS="100000",
                        BQX_OPS_TRIAGE_RULES=str(rules))
        out, err = again.communicate(timeout=600)
        assert again.returncode == 0, out[-3000:] + err[-3000:]
        assert done.returncode == 0, done.stdout + done.stderr
        assert effects(slack, origin, github_server) == once and once[0]  # the re-run sent nothing new
        sent = sorted(m["text"] for m in slack.messages_in(CHANNEL_ID))
        engine = sa.create_engine(url(instance_db))
        with engine.connect() as conn:  # the runs and their event log are in PostgreSQL, without a token
            runs = conn.execute(sa.text("SELECT status, count(*) FROM runs GROUP BY 1")).fetchall()
            logged = conn.execute(sa.text("SELECT count(*) FROM event_logs WHERE event LIKE ANY(:tokens)"),
                                  {"tokens": [f"%{t}%" for t in (AIRTABLE_TOKEN, GITHUB_TOKEN, SLACK_TOKEN)]}).scalar()
        engine.dispose()
    assert len(runs) == 1 and runs[0][0] == "SUCCESS" and runs[0][1] == 18 and logged == 0  # 9 runs, twice

    assert files_under(live / kgl.DOCS_DIR) == files_under(emb / kgl.DOCS_DIR)
    assert git(origin, "rev-parse", "trunk") == git(emb / f"{kgl.DOCS_DIR}.git", "rev-parse", "trunk")
    assert git(origin, "for-each-ref", "--format=%(refname)", "refs/heads").split() == ["refs/heads/trunk"]
    sunk = sorted(json.loads(line)["request"]["text"] for line in (emb / "sinks" / "slack.jsonl").read_text().splitlines())
    assert sent == sunk

    # the team's names on the wire and in the landing zone; its issue reviewed
    assert sorted(p.stem for p in Landing(live).airtable_dir(days[-1]).glob("*.json")) == sorted(
        kgl.TABLES.get(t.name, t.name) for t in TABLES)
    asked = {r.path.split("?")[0].rsplit("/", 1)[-1] for r in airtable_server.requests}
    assert not asked & {"Plans", "Phases", "Stages", "Tasks"}  # never our own names: the base's
    notes = {r["fields"]["Stream"]: r["fields"].get("Notes", "") for r in airtable_server.records(BASE, "Workstreams")}
    assert "[plan update" in notes["WS-A"] and "[plan update" not in notes["PIL-1"]  # only the followed plan's
    review = (live / kgl.DOCS_DIR / "docs" / "reviews" / "2019-12-01-issue-review.md").read_text()
    assert ISSUE["title"] in review

    # no token anywhere: files (landing, DuckDB, repo, .git/config, the instance's home), output
    tokens = [t.encode() for t in (AIRTABLE_TOKEN, GITHUB_TOKEN, SLACK_TOKEN)]
    leaks = sorted(str(p) for root in (live, home) for p in root.rglob("*")
                   if p.is_file() and any(t in p.read_bytes() for t in tokens))
    assert leaks == []
    printed = first.stdout + first.stderr + out + err
    assert not any(t.decode() in printed for t in tokens)
    outputs = files_under(live / kgl.DOCS_DIR)
    assert not sorted({(n, w) for n, b in outputs.items() for w in SAMPLE_WORDS if w in b.decode()})
    assert not [w for w in SAMPLE_WORDS for t in sent if w in t]
