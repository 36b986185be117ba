"""Pytest fixtures for the fake API servers.

Enable with ``pytest_plugins = ["bqx_ops_tests.servers.fixtures"]`` in the root
conftest (or import the fixtures into a test module).

* ``airtable_server`` / ``github_server`` / ``slack_server``: a fresh, started,
  empty server per test (fault injection off), stopped afterwards. Seed them
  through their state API (``set_records``, ``add_repo``, ``add_channel`` ...).
  Tokens are the class defaults (``server.tokens``); see ``AIRTABLE_TOKEN`` etc.
* ``moto_server``: the endpoint URL of a moto ``ThreadedMotoServer`` on
  127.0.0.1 (one per session, state reset before and after every test through
  ``POST /moto-api/reset``), with fake AWS credentials, ``us-east-1`` and
  ``AWS_ENDPOINT_URL`` pointing at it in the environment, and no access to
  the real AWS config/credential files.
"""

from __future__ import annotations

import urllib.request
from typing import Iterator

import pytest

from . import airtable, github, slack
from .airtable import AirtableServer
from .github import GitHubServer
from .slack import SlackServer

__all__ = [
    "AIRTABLE_TOKEN",
    "GITHUB_TOKEN",
    "SLACK_TOKEN",
    "airtable_server",
    "github_server",
    "slack_server",
    "moto_server",
]

AIRTABLE_TOKEN = airtable.DEFAULT_TOKEN
GITHUB_TOKEN = github.DEFAULT_TOKEN
SLACK_TOKEN = slack.DEFAULT_TOKEN


@pytest.fixture
def airtable_server() -> Iterator[AirtableServer]:
    with AirtableServer(token=AIRTABLE_TOKEN) as server:
        yield server


@pytest.fixture
def github_server() -> Iterator[GitHubServer]:
    with GitHubServer(token=GITHUB_TOKEN) as server:
        yield server


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    with SlackServer(token=SLACK_TOKEN) as server:
        yield server


@pytest.fixture(scope="session")
def _moto_server_session() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _moto_reset(url: str) -> None:
    req = urllib.request.Request(f"{url}/moto-api/reset", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


@pytest.fixture
def moto_server(_moto_server_session: str, monkeypatch: pytest.MonkeyPatch, tmp_path_factory) -> Iterator[str]:
    url = _moto_server_session
    missing = tmp_path_factory.mktemp("aws") / "does-not-exist"
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(missing))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(missing))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    _moto_reset(url)
    try:
        yield url
    finally:
        _moto_reset(url)
