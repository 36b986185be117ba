"""Live-mode DocsRepo over HTTP against a real smart-HTTP git server (``git http-backend``) that, like
GitHub, accepts the token as the Basic-auth password: the push path is real and the token is searched
for everywhere it must never be."""

import base64
import datetime as dt
import os
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from bqx_ops.defs.airtable.assets import airtable_tables, raw_records
from bqx_ops.defs.docs_sync import assets, repo_assets
from bqx_ops.resources.docs_repo import DocsRepo, DocsRepoError
from bqx_ops.resources.factory import build_resources
from bqx_ops_tests.base_builder import minimal_base, write_snapshot
from bqx_ops_tests.servers.fixtures import GITHUB_TOKEN

MON = dt.datetime(2025, 8, 25, 9, 0, tzinfo=dt.timezone.utc)
REPO = "bqx-labs/bqx-ml"


class GitHttpServer:
    """``git http-backend`` behind Basic auth; records every request (method, path, authorized)."""

    def __init__(self, root: Path, token: str):
        self.root = root
        self.expected = "Basic " + base64.b64encode(f"x-access-token:{token}".encode()).decode()
        self.requests: list[tuple[str, str, bool]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())

    def url(self, repo: str = REPO) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/{repo}.git"

    def __enter__(self):
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self._cgi()

            def do_POST(self):
                self._cgi()

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while size := int(self.rfile.readline().strip(), 16):
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                    self.rfile.readline()
                    return b"".join(chunks)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _cgi(self):
                authorized = self.headers.get("Authorization") == server.expected
                server.requests.append((self.command, self.path, authorized))
                if not authorized:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="bqx"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                path, _, query = self.path.partition("?")
                body = self._body()
                env = {"PATH": os.environ["PATH"], "GIT_PROJECT_ROOT": str(server.root), "GIT_HTTP_EXPORT_ALL": "1",
                       "PATH_INFO": path, "QUERY_STRING": query, "REQUEST_METHOD": self.command,
                       "CONTENT_TYPE": self.headers.get("Content-Type", ""), "CONTENT_LENGTH": str(len(body)),
                       "REMOTE_USER": "x-access-token", "REMOTE_ADDR": "127.0.0.1",
                       "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
                if self.headers.get("Content-Encoding"):
                    env["HTTP_CONTENT_ENCODING"] = self.headers["Content-Encoding"]
                out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
                head, _, payload = out.partition(b"\r\n\r\n")
                headers = [line.split(":", 1) for line in head.decode().split("\r\n") if ":" in line]
                status = next((int(v.split()[0]) for k, v in headers if k.lower() == "status"), 200)
                self.send_response(status)
                for key, value in headers:
                    if key.lower() != "status":
                        self.send_header(key, value.strip())
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler


def served_origin(tmp_path) -> Path:
    """A bare repository with the initial README commit, as the GitHub repo would hold."""
    seed = tmp_path / "seed"
    DocsRepo(data_dir=str(seed)).head()
    root = tmp_path / "served"
    (root / "bqx-labs").mkdir(parents=True)
    shutil.copytree(seed / "bqx-ml.git", root / f"{REPO}.git")
    return root


def secrets(token: str) -> list[bytes]:
    return [token.encode(), base64.b64encode(f"x-access-token:{token}".encode())]


def files_containing(root: Path, needles: list[bytes]) -> list[str]:
    return sorted(str(p) for p in root.rglob("*") if p.is_file() and any(n in p.read_bytes() for n in needles))


@pytest.fixture
def git_server(tmp_path):
    with GitHttpServer(served_origin(tmp_path), GITHUB_TOKEN) as server:
        yield server


def test_live_mode_clones_commits_tags_and_pushes_over_http_with_the_token(git_server, tmp_path):
    repo = DocsRepo(data_dir=str(tmp_path / "data"), remote_url=git_server.url(), token=GITHUB_TOKEN)
    sha = repo.publish({"docs/a.md": "A\n"}, "live sync", MON, readme_status="Phase 0")
    assert repo.tag("phase-0-done", "Phase 0 done", sha, MON) is True
    fresh = DocsRepo(data_dir=str(tmp_path / "other"), remote_url=git_server.url(), token=GITHUB_TOKEN)
    assert fresh.read("docs/a.md") == "A\n" and fresh.head() == sha
    assert fresh.tags()["phase-0-done"].target == sha
    assert any(method == "POST" and path.endswith("git-receive-pack") for method, path, _ in git_server.requests)


def test_the_token_never_reaches_argv_the_remote_url_git_config_or_any_file(git_server, tmp_path, monkeypatch):
    argv: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(args, *a, **kw):
        argv.append(list(args))
        return real_run(args, *a, **kw)

    monkeypatch.setattr(subprocess, "run", recording_run)
    data = tmp_path / "data"
    repo = DocsRepo(data_dir=str(data), remote_url=git_server.url(), token=GITHUB_TOKEN)
    sha = repo.publish({"docs/a.md": "A\n"}, "live sync", MON)
    repo.tag("phase-0-done", "Phase 0 done", sha, MON)
    assert argv and not any(GITHUB_TOKEN in arg for args in argv for arg in args)
    config = (data / "bqx-ml" / ".git" / "config").read_text()
    assert f"url = {git_server.url()}" in config and "extraheader" not in config.lower()
    assert files_containing(data, secrets(GITHUB_TOKEN)) == []
    assert not any(GITHUB_TOKEN in path for _, path, _ in git_server.requests)


def test_a_wrong_or_missing_token_fails_clearly_without_echoing_it(git_server, tmp_path):
    wrong = "ghp_WRONGTOKEN0000000000000000000000000000"
    for token in (wrong, None):
        repo = DocsRepo(data_dir=str(tmp_path / f"data-{token}"), remote_url=git_server.url(), token=token,
                        git_timeout_seconds=30)
        with pytest.raises(DocsRepoError) as failure:
            repo.head()
        assert "git clone failed" in str(failure.value) and wrong not in str(failure.value)


@pytest.mark.slow  # ~4 s: a persistent (sqlite) instance so the event log is on disk to be searched
def test_a_live_mode_sync_keeps_the_token_out_of_the_event_log_the_logs_and_every_file(
        git_server, tmp_path, monkeypatch, capfd):
    data = tmp_path / "data"
    write_snapshot(data, dt.date(2025, 8, 18), minimal_base())
    assert dg.materialize([raw_records, airtable_tables], resources=build_resources("local", data),
                          partition_key="2025-08-18").success
    for name, value in {"GITHUB_TOKEN": GITHUB_TOKEN, "BQX_OPS_DOCS_REMOTE_URL": git_server.url(),
                        "AIRTABLE_API_KEY": "patUNUSED", "AIRTABLE_BASE_ID": "appUNUSED",
                        "SLACK_BOT_TOKEN": "xoxb-unused"}.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "dagster_home").mkdir()
    instance = dg.DagsterInstance.local_temp(str(tmp_path / "dagster_home"))
    result = dg.materialize(dg.load_assets_from_modules([assets, repo_assets]), instance=instance,
                            resources=build_resources("live", data), partition_key="2025-08-18")
    assert result.success
    served = git_server.root / f"{REPO}.git"
    assert "refs/tags/phase-0-done" in subprocess.run(["git", "show-ref"], cwd=served, capture_output=True,
                                                       text=True).stdout  # pushed over HTTP with the token
    logged = "\n".join(str(event) for event in instance.all_logs(result.run_id))
    captured = capfd.readouterr()
    for needle in secrets(GITHUB_TOKEN):
        assert needle.decode() not in logged + captured.out + captured.err
    assert any(ok and path.endswith("git-receive-pack") for _, path, ok in git_server.requests)  # it was used
    assert list((tmp_path / "dagster_home").rglob("*.db")) and (data / "bqx-ml" / ".git" / "config").is_file()
    assert files_containing(tmp_path, secrets(GITHUB_TOKEN)) == []  # repo, .git/config, DuckDB, event log
    instance.dispose()
