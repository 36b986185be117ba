"""Going live on a new, empty docs repository: bqx_ops creates the first commit itself, on the
branch the configuration names; a remote that has other branches only is never given a new root."""

import datetime as dt
import subprocess

import pytest

from bqx_ops.resources.docs_repo import DocsRepo, DocsRepoError

WHEN = dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)


def git(*args, cwd) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def empty_remote(tmp_path):
    remote = tmp_path / "remote.git"
    git("init", "--quiet", "--bare", str(remote), cwd=tmp_path)
    return remote


@pytest.mark.parametrize("branch", ["main", "docs"])
def test_an_empty_remote_gets_the_first_commit_then_the_report(tmp_path, empty_remote, branch):
    repo = DocsRepo(data_dir=str(tmp_path / "data"), remote_url=str(empty_remote), branch=branch)
    sha = repo.publish({"docs/first.md": "# First report\n"}, "First report", WHEN)

    assert git("for-each-ref", "--format=%(refname)", "refs/heads", cwd=empty_remote).split() == [
        f"refs/heads/{branch}"]
    log = git("log", "--format=%H %s", branch, cwd=empty_remote).splitlines()
    assert [line.split(" ", 1)[1] for line in log] == [
        "First report", "Initial commit: README with the bqx-ops status section"]
    assert log[0].split()[0] == sha
    assert git("show", f"{branch}:docs/first.md", cwd=empty_remote) == "# First report\n"
    readme = git("show", f"{branch}:README.md", cwd=empty_remote)
    assert "<!-- bqx-ops:status:start -->" in readme and "<!-- bqx-ops:status:end -->" in readme
    # A second publish is an ordinary commit on top (no second initial commit).
    repo.publish({"docs/second.md": "# Second\n"}, "Second report", WHEN + dt.timedelta(days=7))
    assert len(git("rev-list", branch, cwd=empty_remote).split()) == 3


def test_a_remote_with_other_branches_only_is_refused_not_given_a_second_root(tmp_path, empty_remote):
    seed = tmp_path / "seed"
    git("init", "--quiet", "--initial-branch=master", str(seed), cwd=tmp_path)
    (seed / "README.md").write_text("team readme\n")
    git("add", "README.md", cwd=seed)
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "--quiet", "-m", "team", cwd=seed)
    git("push", "--quiet", str(empty_remote), "master", cwd=seed)

    repo = DocsRepo(data_dir=str(tmp_path / "data"), remote_url=str(empty_remote), branch="main")
    with pytest.raises(DocsRepoError, match="BQX_OPS_DOCS_BRANCH"):
        repo.publish({"docs/first.md": "# First\n"}, "First report", WHEN)
    assert git("for-each-ref", "--format=%(refname)", "refs/heads", cwd=empty_remote).split() == ["refs/heads/master"]


def test_an_empty_remote_gets_the_same_root_commit_as_the_embedded_origin(tmp_path, empty_remote, monkeypatch):
    """Dated the plan's first day, as the embedded origin's: a live backfill's git log does not open with
    today's date above reports dated years earlier, and the same project gets the same root in both modes."""
    config = tmp_path / "team.yaml"
    config.write_text("project: {name: Wren Rainfall}\nstart_date: 2021-06-06\ndocs_repo: {branch: trunk, dir_name: wren-docs}\n")
    monkeypatch.setenv("BQX_OPS_CONFIG", str(config))
    live = DocsRepo(data_dir=str(tmp_path / "live"), remote_url=str(empty_remote))
    live.publish({"docs/a.md": "A\n"}, "First report", dt.datetime(2021, 6, 11, 16, tzinfo=dt.UTC))
    embedded = DocsRepo(data_dir=str(tmp_path / "embedded"))
    embedded.head()
    root = "rev-list --max-parents=0 trunk".split()
    assert git(*root, cwd=empty_remote) == git(*root, cwd=tmp_path / "embedded" / "wren-docs.git")
    assert git("log", "--format=%cI", *root[1:], cwd=empty_remote).strip() == "2021-06-06T00:00:00+00:00"
