"""DocsRepo: a real git working copy whose origin is a local bare repository (embedded mode)."""

import datetime as dt
import os
import subprocess
import threading

import pytest

from bqx_ops.docs_sync.paths import PathRefused
from bqx_ops.docs_sync.readme import STATUS_END, STATUS_START, MalformedReadme
from bqx_ops.resources.docs_repo import BatchRejected, DocsRepo, DocsRepoError

UTC = dt.timezone.utc
MON = dt.datetime(2025, 8, 25, 9, 0, tzinfo=UTC)
NEXT_MON = MON + dt.timedelta(weeks=1)


def git(cwd, *args, when: str = "2025-09-01T12:00:00+00:00") -> str:
    """Plain git as a human (another clone) would run it, independent of DocsRepo."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_AUTHOR_NAME="Human",
               GIT_AUTHOR_EMAIL="human@example.com", GIT_COMMITTER_NAME="Human",
               GIT_COMMITTER_EMAIL="human@example.com", GIT_AUTHOR_DATE=when, GIT_COMMITTER_DATE=when)
    return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout


def origin_log(data_dir) -> list[str]:
    return git(data_dir / "bqx-ml.git", "log", "--format=%s", "main").splitlines()


def origin_file(data_dir, relpath: str) -> str:
    return git(data_dir / "bqx-ml.git", "show", f"main:{relpath}")


def human_clone(data_dir, tmp_path):
    DocsRepo(data_dir=str(data_dir)).head()  # the origin exists from first use on
    clone = tmp_path / "human"
    git(tmp_path, "clone", "--quiet", str(data_dir / "bqx-ml.git"), str(clone))
    return clone


def human_commit(clone, relpath: str, content: str, message: str = "human edit") -> None:
    (clone / relpath).parent.mkdir(parents=True, exist_ok=True)
    (clone / relpath).write_text(content)
    git(clone, "add", "--all")
    git(clone, "commit", "--quiet", "-m", message)
    git(clone, "push", "--quiet", "origin", "HEAD:main")


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


@pytest.fixture
def repo(data_dir):
    return DocsRepo(data_dir=str(data_dir))


def test_first_use_creates_a_bare_origin_whose_readme_has_the_status_markers(repo, data_dir):
    sha = repo.head()
    assert (data_dir / "bqx-ml.git" / "HEAD").is_file() and (data_dir / "bqx-ml" / ".git").is_dir()
    readme = origin_file(data_dir, "README.md")
    assert readme.index(STATUS_START) < readme.index(STATUS_END)
    assert git(data_dir / "bqx-ml.git", "rev-parse", "main").strip() == sha


def test_publish_commits_once_with_the_period_date_and_the_bot_identity_then_pushes(repo, data_dir):
    sha = repo.publish({"docs/a.md": "A\n", "CHANGELOG.md": "# Changelog\n"}, "Weekly sync 2025-08-25", MON)
    assert git(data_dir / "bqx-ml.git", "rev-parse", "main").strip() == sha
    fmt = "%an <%ae>|%cn <%ce>|%aI|%cI|%s"
    assert git(data_dir / "bqx-ml.git", "log", "-1", f"--format={fmt}", "main").strip() == (
        "bqx-ops[bot] <bqx-ops@users.noreply.github.com>|bqx-ops[bot] <bqx-ops@users.noreply.github.com>|"
        "2025-08-25T09:00:00+00:00|2025-08-25T09:00:00+00:00|Weekly sync 2025-08-25")
    assert git(data_dir / "bqx-ml.git", "show", "--name-only", "--format=", "main").split() == [
        "CHANGELOG.md", "docs/a.md"]
    assert repo.read("docs/a.md") == "A\n" and repo.read("docs/missing.md") is None


def test_publishing_the_same_content_again_commits_and_pushes_nothing(repo, data_dir):
    files = {"docs/a.md": "A\n"}
    repo.publish(files, "first", MON, readme_status="Phase 0 in progress")
    before = git(data_dir / "bqx-ml.git", "rev-parse", "main")
    assert repo.publish(files, "second", NEXT_MON, readme_status="Phase 0 in progress") is None
    assert git(data_dir / "bqx-ml.git", "rev-parse", "main") == before
    assert origin_log(data_dir)[0] == "first"


def test_none_deletes_a_file(repo, data_dir):
    repo.publish({"docs/artifacts/x.md": "x\n", "docs/artifacts/y.md": "y\n"}, "add", MON)
    repo.publish({"docs/artifacts/x.md": None, "docs/never-existed.md": None}, "remove x", NEXT_MON)
    assert sorted(repo.read_tree("docs")) == ["docs/artifacts/y.md"]


@pytest.mark.parametrize("relpath", [
    "README.md", "src/model.py", ".github/workflows/ci.yml", "../outside.md", "docs/../setup.py",
    "/etc/passwd", "docs//a.md", "docs/./a.md", "docs", "Docs/a.md", "docs/.git/config", ".git/config",
    "docs\\..\\x.md", "CHANGELOG.md/x", "",
])
def test_paths_outside_the_status_section_changelog_and_docs_are_refused(repo, data_dir, relpath):
    head = repo.head()
    with pytest.raises(PathRefused):
        repo.publish({"docs/ok.md": "fine\n", relpath: "evil\n"}, "should not happen", MON)
    assert repo.head() == head  # nothing written, nothing committed
    assert not (data_dir / "bqx-ml" / "docs" / "ok.md").exists()


def test_the_status_section_is_replaced_and_the_rest_of_the_readme_is_untouched(repo, data_dir, tmp_path):
    clone = human_clone(data_dir, tmp_path)
    handwritten = f"# bqx-ml\n\nIntro *by a human*.\n\n{STATUS_START}\nold\n{STATUS_END}\n\n## Usage\n\nmake train\n"
    human_commit(clone, "README.md", handwritten)
    repo.publish({}, "status", MON, readme_status="## Current phase\n\nPhase 3")
    assert origin_file(data_dir, "README.md") == handwritten.replace("\nold\n", "\n## Current phase\n\nPhase 3\n")


def test_a_readme_with_broken_markers_is_refused_rather_than_guessed(repo, data_dir, tmp_path):
    clone = human_clone(data_dir, tmp_path)
    human_commit(clone, "README.md", f"# bqx-ml\n{STATUS_END}\nhand text\n{STATUS_START}\n")
    with pytest.raises(MalformedReadme, match="fix it by hand"):
        repo.publish({}, "status", MON, readme_status="x")
    assert origin_log(data_dir)[0] == "human edit"


def test_a_remote_that_moved_between_fetch_and_push_is_rebased_and_retried(repo, data_dir, tmp_path, monkeypatch):
    repo.head()
    clone = human_clone(data_dir, tmp_path)
    real_push, calls = DocsRepo._push, []

    def push_after_someone_else(self, refspec):
        calls.append(refspec)
        if len(calls) == 1:  # between our fetch and our push, a human pushes
            human_commit(clone, "docs/human.md", "by hand\n")
        return real_push(self, refspec)

    monkeypatch.setattr(DocsRepo, "_push", push_after_someone_else)
    sha = repo.publish({"docs/bot.md": "by bot\n"}, "bot sync", MON)
    assert len(calls) == 2  # rejected once, then pushed after the rebase
    assert origin_log(data_dir) == ["bot sync", "human edit", "Initial commit: README with the bqx-ops status section"]
    assert git(data_dir / "bqx-ml.git", "rev-parse", "main").strip() == sha
    assert origin_file(data_dir, "docs/human.md") == "by hand\n"
    assert git(data_dir / "bqx-ml.git", "log", "-1", "--format=%cI", "main").strip() == "2025-08-25T09:00:00+00:00"


def test_a_conflicting_remote_change_is_never_forced_over_and_our_files_win_on_top(repo, data_dir, tmp_path,
                                                                                 monkeypatch):
    repo.publish({"CHANGELOG.md": "v1\n"}, "v1", MON)
    clone = human_clone(data_dir, tmp_path)
    real_push = DocsRepo._push
    moved = []

    def push_after_conflicting_edit(self, refspec):
        if not moved:
            moved.append(1)
            human_commit(clone, "CHANGELOG.md", "edited by hand\n", "hand changelog")
            human_commit(clone, "docs/other.md", "other\n", "hand other")
        return real_push(self, refspec)

    monkeypatch.setattr(DocsRepo, "_push", push_after_conflicting_edit)
    repo.publish({"CHANGELOG.md": "v2\n"}, "v2", NEXT_MON)
    assert origin_log(data_dir)[:4] == ["v2", "hand other", "hand changelog", "v1"]  # history kept, not forced
    assert origin_file(data_dir, "CHANGELOG.md") == "v2\n"
    assert origin_file(data_dir, "docs/other.md") == "other\n"


def test_a_push_refused_for_another_reason_fails_with_a_clear_error(repo, data_dir):
    repo.head()
    hook = data_dir / "bqx-ml.git" / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'protected branch' >&2\nexit 1\n")
    hook.chmod(0o755)
    with pytest.raises(DocsRepoError, match="protected branch"):
        repo.publish({"docs/a.md": "A\n"}, "blocked", MON)


def test_annotated_tags_are_pushed_once_and_never_moved(repo, data_dir):
    first = repo.publish({"docs/a.md": "1\n"}, "one", MON)
    second = repo.publish({"docs/a.md": "2\n"}, "two", NEXT_MON)
    assert repo.tag("phase-0-done", "Phase 0 done", first, MON) is True
    assert repo.tag("phase-0-done", "Phase 0 done again", second, NEXT_MON) is False
    bare = data_dir / "bqx-ml.git"
    assert git(bare, "cat-file", "-t", "phase-0-done").strip() == "tag"  # annotated, not lightweight
    assert git(bare, "rev-parse", "phase-0-done^{commit}").strip() == first
    assert "tagger bqx-ops[bot] <bqx-ops@users.noreply.github.com> 1756112400 +0000" in git(
        bare, "cat-file", "-p", "phase-0-done")
    assert repo.tags() == {"phase-0-done": (first, "Phase 0 done")}
    with pytest.raises(ValueError, match="not a valid tag name"):
        repo.tag("bad..name", "x", first, MON)


def test_a_symlinked_docs_directory_cannot_lead_writes_outside_the_repository(repo, data_dir, tmp_path):
    clone = human_clone(data_dir, tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (clone / "docs").symlink_to(outside)
    git(clone, "add", "--all")
    git(clone, "commit", "--quiet", "-m", "symlink")
    git(clone, "push", "--quiet", "origin", "HEAD:main")
    with pytest.raises(PathRefused, match="outside the repository"):
        repo.publish({"docs/a.md": "A\n"}, "through the link", MON)
    assert list(outside.iterdir()) == []


def test_leftovers_of_an_interrupted_run_are_discarded_before_the_next_publish(repo, data_dir):
    repo.publish({"docs/a.md": "A\n"}, "one", MON)
    work = data_dir / "bqx-ml"
    (work / "docs" / "a.md").write_text("half-written")
    (work / "docs" / "stray.md").write_text("stray")
    (work / ".git" / "index.lock").write_text("")
    assert repo.publish({"docs/b.md": "B\n"}, "two", NEXT_MON)
    assert repo.read_tree("docs") == {"docs/a.md": "A\n", "docs/b.md": "B\n"}


def test_concurrent_publishers_each_land_their_commit(data_dir):
    DocsRepo(data_dir=str(data_dir)).head()
    errors = []

    def publish(n):
        try:
            DocsRepo(data_dir=str(data_dir)).publish({f"docs/report-{n}.md": f"{n}\n"}, f"report {n}", MON)
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(origin_log(data_dir)[:4]) == [f"report {n}" for n in range(4)]


def test_a_change_of_volatile_text_alone_commits_nothing(tmp_path):
    repo = DocsRepo(data_dir=str(tmp_path))
    page = "<!-- as_of: {stamp} -->\n# Dashboard\n\n_As of {day} UTC_\n\n| R² | {r2} |\n"
    time_of_day = r"(?<=\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}"
    first = repo.publish({"docs/d.md": page.format(stamp="2026-06-29T09:00", day="2026-06-29 09:00", r2="0.947")},
                         "as of 09:00", MON, volatile=time_of_day)
    assert first is not None
    # 13 minutes later the same day, nothing but the time changed: no commit, the page keeps its text
    later = page.format(stamp="2026-06-29T09:13", day="2026-06-29 09:13", r2="0.947")
    assert repo.publish({"docs/d.md": later}, "as of 09:13", MON, volatile=time_of_day) is None
    assert origin_log(tmp_path)[0] == "as of 09:00"
    assert "09:00" in origin_file(tmp_path, "docs/d.md")
    # a figure changed: a commit, with the new time
    changed = page.format(stamp="2026-06-29T09:26", day="2026-06-29 09:26", r2="0.951")
    assert repo.publish({"docs/d.md": changed}, "as of 09:26", MON, volatile=time_of_day) is not None
    assert origin_file(tmp_path, "docs/d.md") == changed
    # the next day is content (the date moved), and without volatile any byte is content
    assert repo.publish({"docs/d.md": changed.replace("06-29", "06-30")}, "next day", MON,
                        volatile=time_of_day) is not None
    assert repo.publish({"docs/d.md": changed.replace("06-29", "06-30").replace("09:26", "09:40")}, "exact",
                        MON) is not None


def test_a_batch_commits_locally_pushes_once_and_is_refused_whole_if_origin_moved(repo, data_dir, tmp_path):
    clone = human_clone(data_dir, tmp_path)
    with repo.batch():
        first = repo.publish({"docs/a.md": "a\n"}, "batch a", MON)
        second = repo.publish({"docs/b.md": "b\n"}, "batch b", NEXT_MON)
        assert "batch a" not in origin_log(data_dir)  # nothing pushed inside the batch...
        assert repo.read("docs/a.md") == "a\n"  # ...but its reads see its commits
    assert origin_log(data_dir)[:2] == ["batch b", "batch a"]  # one push, the shas returned are origin's
    assert git(data_dir / "bqx-ml.git", "rev-parse", "main").strip() == second != first

    git(clone, "pull", "--quiet", "origin", "main")
    with pytest.raises(BatchRejected):
        with repo.batch():
            repo.publish({"docs/c.md": "c\n"}, "batch c", NEXT_MON)
            human_commit(clone, "docs/human.md", "h\n", "human meanwhile")
    assert origin_log(data_dir)[0] == "human meanwhile" and "batch c" not in origin_log(data_dir)
    assert repo.publish({"docs/c.md": "c\n"}, "batch c", NEXT_MON)  # the copy is usable again at once
    assert origin_log(data_dir)[:2] == ["batch c", "human meanwhile"]


# Each step: files, message, instant, README status. Messages with what `git commit -m` cleans up
# (trailing spaces, blank-line runs, leading/trailing blank lines), a deletion, a file left as it is,
# a path with a space and non-ASCII, a file in a new folder, a README status section.
STEPS = [
    ({"docs/a.md": "a\n", "docs/sub dir/ünï code.md": "é\r\nb"}, "first  \n\n\n\nbody line \t\n\n", MON, None),
    ({"docs/a.md": "a\n"}, "unchanged", MON, None),  # nothing differs: no commit
    ({"docs/a.md": None, "docs/new/b.md": "b\n"}, "\n\nsecond\n  indented\n", NEXT_MON, "Phase 1"),
    ({"docs/missing.md": None}, "deletes nothing", NEXT_MON, None),  # absent already: no commit
    ({"docs/new/b.md": "b2\n", "CHANGELOG.md": "# Changelog\n"}, "third", NEXT_MON + dt.timedelta(hours=1),
     "Phase 2"),
]


def test_a_batch_makes_the_very_commits_git_commit_makes_one_by_one(tmp_path):
    """The batch's commits (git fast-import) are byte for byte those of `git add --all && git commit`:
    the same shas, so the same trees, parents, idents, dates and cleaned-up messages."""
    one_by_one = DocsRepo(data_dir=str(tmp_path / "plain"))
    expected = [one_by_one.publish(files, message, when, readme_status=status)
                for files, message, when, status in STEPS]
    batched = DocsRepo(data_dir=str(tmp_path / "batched"))
    with batched.batch():
        got = [batched.publish(files, message, when, readme_status=status)
               for files, message, when, status in STEPS]
        assert batched.head() == got[-1]
        assert sorted(batched.read_tree("docs")) == ["docs/new/b.md", "docs/sub dir/ünï code.md"]
        assert batched.last_commit_time("docs/new/b.md") == NEXT_MON + dt.timedelta(hours=1)  # visible to git
    assert [sha is None for sha in expected] == [False, True, False, True, False]
    assert got == expected
    assert git(tmp_path / "batched" / "bqx-ml.git", "rev-parse", "main").strip() == expected[-1]
    assert git(tmp_path / "batched" / "bqx-ml", "status", "--porcelain") == ""  # index and files at the head


def test_several_tags_in_one_push_are_the_tags_one_at_a_time_makes(tmp_path):
    """tag_many: one sync and one atomic push; a tag origin already has (a human's) is kept, and each
    new tag object is byte for byte the one ``tag`` makes (same sha: target, tagger, date, message)."""
    def repo_with_history(name):
        repo = DocsRepo(data_dir=str(tmp_path / name))
        return repo, repo.publish({"docs/a.md": "1\n"}, "one", MON), repo.publish({"docs/a.md": "2\n"}, "two", NEXT_MON)

    batched, first, second = repo_with_history("batched")
    clone = human_clone(tmp_path / "batched", tmp_path)
    git(clone, "tag", "-a", "-m", "the human's", "phase-1-done", first)
    git(clone, "push", "--quiet", "origin", "phase-1-done")
    wanted = [("phase-0-done", "Phase 0 done\n", first, MON), ("phase-1-done", "mine", second, NEXT_MON),
              ("phase-2-done", "Phase 2 done", second, NEXT_MON)]
    assert batched.tag_many(wanted) == [True, False, True]
    one_by_one, first_again, second_again = repo_with_history("one_by_one")
    assert (first_again, second_again) == (first, second)  # the same commits in both repositories
    assert [one_by_one.tag(name, message, target, when) for name, message, target, when in wanted] == [True] * 3
    bare, other = tmp_path / "batched" / "bqx-ml.git", tmp_path / "one_by_one" / "bqx-ml.git"
    for name in ("phase-0-done", "phase-2-done"):
        assert git(bare, "rev-parse", name).strip() == git(other, "rev-parse", name).strip()
    assert batched.tags()["phase-1-done"] == (first, "the human's")
    assert batched.tag_many([("phase-0-done", "again", second, NEXT_MON)]) == [False]  # never moved
    with pytest.raises(ValueError, match="not a valid tag name"):
        batched.tag_many([("phase-3-done", "x", first, MON), ("bad..name", "x", first, MON)])
    assert "phase-3-done" not in batched.tags()  # nothing made before the names were checked


def test_embedded_mode_commits_to_the_teams_configured_branch(tmp_path, monkeypatch):
    """docs_repo.branch is the team's in embedded mode too (a replay of a team's zone), not always main."""
    data = tmp_path / "team"
    data.mkdir()
    (data / "bqx_ops.yaml").write_text("project: {name: Kestrel Grid Load}\nstart_date: 2019-11-17\n"
                                       "docs_repo: {dir_name: kestrel-docs, branch: trunk}\n")
    monkeypatch.delenv("BQX_OPS_CONFIG", raising=False)
    when = dt.datetime(2019, 11, 18, 9, tzinfo=UTC)
    assert DocsRepo(data_dir=str(data)).publish({"docs/a.md": "A\n"}, "Weekly sync 2019-11-18", when)
    branches = git(data / "kestrel-docs.git", "for-each-ref", "--format=%(refname:short)", "refs/heads").split()
    assert branches == ["trunk"]
    assert git(data / "kestrel-docs.git", "log", "--format=%s", "trunk").splitlines()[0] == "Weekly sync 2019-11-18"
