"""How ``DocsRepo``'s working copy meets its origin: made on first use (the embedded bare origin with its
first commit, or a clone), and set to origin's branch exactly before every change (``_sync``): what an
interrupted run left (a rebase, stale locks, a tag it never pushed, files) is discarded. A remote with
no branch at all (a new GitHub repository) gets bqx_ops's first commit, dated like the embedded one's.
"""

import datetime as dt
import os
import shutil
from pathlib import Path

from bqx_ops import config as project_config
from bqx_ops.calendar import UTC
from bqx_ops.docs_sync.paths import README
from bqx_ops.docs_sync.readme import initial_readme
from bqx_ops.resources.docs_errors import DocsRepoError


def _remove_stale_locks(git_dir: Path) -> None:
    """The lock files a git killed mid-command leaves behind (index.lock, refs/heads/main.lock,
    packed-refs.lock...): every later git would refuse to run. Only called while holding the
    repository's file lock, which every git command of bqx_ops on it takes: no live git owns them."""
    for lock in [*git_dir.glob("*.lock"), *(git_dir / "refs").rglob("*.lock")]:
        lock.unlink(missing_ok=True)


class DocsRepoOrigin:
    """Origin methods of ``DocsRepo`` (which provides ``_git``, ``_push``, ``_origin``, ``path``...)."""

    def _ensure(self) -> None:
        if self.remote_url is None:
            self._ensure_local_origin()
        if (self.path / ".git").is_dir():
            if self._git("remote", "get-url", "origin", check=False).stdout.strip() != self._origin():
                self._git("remote", "set-url", "origin", self._origin())
            return
        if self.path.exists() and any(self.path.iterdir()):
            raise DocsRepoError(f"{self.path} exists but is not a git working copy; move it away")
        staging = self.path.with_name(f".{self._name}.clone-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        self._git("clone", "--quiet", "--no-local", "--", self._origin(), str(staging), cwd=self.data_dir)
        if self.path.exists():
            self.path.rmdir()
        staging.rename(self.path)

    def _ensure_local_origin(self) -> None:
        """The embedded origin: a bare repository with one commit holding a README with status markers."""
        bare = Path(self.data_dir) / f"{self._name}.git"
        if (bare / "HEAD").exists():
            return
        staging = bare.with_name(f".{self._name}.git.init-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        self._git("init", "--quiet", "--bare", f"--initial-branch={self._branch}", str(staging), cwd=self.data_dir)
        commit = self._initial_commit(self._initial_date(), cwd=staging)
        self._git("update-ref", f"refs/heads/{self._branch}", commit, cwd=staging)
        staging.rename(bare)

    def _initial_commit(self, when: dt.datetime, cwd=None) -> str:
        """A root commit (no parent, no branch yet) holding only the initial README, in ``cwd``'s repository."""
        blob = self._git("hash-object", "-w", "--stdin", cwd=cwd, stdin=self._initial_readme()).stdout.strip()
        tree = self._git("mktree", cwd=cwd, stdin=f"100644 blob {blob}\t{README}\n").stdout.strip()
        return self._git("commit-tree", tree, "-m", "Initial commit: README with the bqx-ops status section",
                         cwd=cwd, when=when).stdout.strip()

    def _initial_readme(self) -> str:
        project = self._project.project
        return initial_readme(self._name, project.name, project.goal)

    def _initial_date(self) -> dt.datetime:
        """The plan's first day: the first report commit is never older than the repository."""
        start = project_config.project_start(self._project)
        return dt.datetime(start.year, start.month, start.day, tzinfo=UTC)

    def _sync(self) -> None:
        """Working copy := origin's branch, exactly (leftovers of an interrupted run are discarded)."""
        self._ensure()
        git_dir = self.path / ".git"
        if (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists():
            self._git("rebase", "--abort", check=False)
        _remove_stale_locks(git_dir)
        if self.remote_url is None:  # the embedded origin is ours too: a push killed mid-update
            _remove_stale_locks(Path(self._origin()))
        # --prune-tags: a tag created here by a run killed before its push is not on origin, and a
        # tag only we see would never be pushed (tag() takes it for origin's)
        self._git("fetch", "--prune", "--prune-tags", "--tags", "--force", "origin")
        upstream = f"refs/remotes/origin/{self._branch}"
        if not self._has(upstream) and self._start_empty_remote():
            self._git("fetch", "--prune", "--prune-tags", "--tags", "--force", "origin")
        if not self._has(upstream):
            raise DocsRepoError(f"{self._origin()} has no branch {self._branch!r} (it has other branches: "
                                "create it, or set BQX_OPS_DOCS_BRANCH to one of them)")
        self._reset(upstream)

    def _has(self, ref: str) -> bool:
        return self._git("rev-parse", "--verify", "--quiet", ref, check=False).returncode == 0

    def _start_empty_remote(self) -> bool:
        """A remote with no branch at all (a new GitHub repository) gets bqx_ops's first commit, the
        README with the status markers; a remote with other branches is never given a second root."""
        if self._git("ls-remote", "--heads", "origin").stdout.strip():
            return False
        # dated like the embedded origin's (the plan's first day, never in the future): the same project
        # gets the same root commit in both modes, and git log does not open with today above a backfill
        commit = self._initial_commit(min(self._initial_date(), dt.datetime.now(UTC)))
        self._push(f"{commit}:refs/heads/{self._branch}")  # False: someone else started it meanwhile
        return True

    def _reset(self, upstream: str) -> None:
        self._git("checkout", "--quiet", "--force", "-B", self._branch, upstream)  # index and files too
        self._git("clean", "--quiet", "-fdx")
