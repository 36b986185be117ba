"""The project's docs repository: a git working copy driven with real ``git``, the only way bqx_ops writes docs.

Embedded mode keeps ``<data_dir>/<dir>`` whose origin is the bare ``<data_dir>/<dir>.git`` (``<dir>`` is
the configuration's ``docs_repo.dir_name``)
(created on first use), so commits, pushes and tags are real. Live mode clones the GitHub
repository over HTTPS. The token only ever travels in the child process's environment as
git config (``GIT_CONFIG_COUNT``/``http.extraHeader``): not in argv, the remote URL,
``.git/config`` or any message (errors are redacted too).
"""

import contextlib
import datetime as dt
import fcntl
import re
from pathlib import Path
from typing import Mapping, NamedTuple

import dagster as dg
from pydantic import Field as PField
from pydantic import PrivateAttr

from bqx_ops import config as project_config
from bqx_ops.calendar import UTC
from bqx_ops.docs_sync.paths import README, PathRefused, check_writable, normalize
from bqx_ops.docs_sync.readme import replace_status
from bqx_ops.resources import git_import
from bqx_ops.resources.docs_errors import BatchRejected, DocsRepoError
from bqx_ops.resources.docs_git import DocsRepoGit
from bqx_ops.resources.docs_origin import DocsRepoOrigin
from bqx_ops.resources.docs_tags import DocsRepoTags

class CommitInfo(NamedTuple):
    sha: str
    subject: str
    files_changed: int


class DocsRepo(DocsRepoOrigin, DocsRepoTags, DocsRepoGit, dg.ConfigurableResource):
    """The project's docs repository (README status section, CHANGELOG.md, docs/)."""

    data_dir: str = PField(description="Data dir; the working copy is <data_dir>/<dir_name>.")
    dir_name: str | None = PField(
        default=None, description="Working copy folder under the data dir (None: the configuration's docs_repo.dir_name)."
    )
    remote_url: str | None = PField(
        default=None, description="Live: HTTPS URL of the repository. None: the local bare <data_dir>/<dir_name>.git."
    )
    token: str | None = PField(default=None, description="GitHub token (dg.EnvVar('GITHUB_TOKEN')), live only.")
    branch: str | None = PField(
        default=None, description="The branch bqx_ops commits to (None: the configuration's docs_repo.branch).")
    bot_name: str = PField(default="bqx-ops[bot]", description="Author and committer name of sync commits.")
    bot_email: str = PField(default="bqx-ops@users.noreply.github.com", description="Bot email.")
    push_attempts: int = PField(default=5, description="Pushes tried (rebasing in between) before giving up.")
    git_timeout_seconds: float = PField(default=300.0, description="Limit of one git command.")

    _batching: bool = PrivateAttr(default=False)  # inside batch(): lock held, copy synced, pushes deferred
    _importer: git_import.Importer | None = PrivateAttr(default=None)  # inside batch(): its commits

    # -- public API -------------------------------------------------------------------------
    @contextlib.contextmanager
    def batch(self):
        """Many commits with one sync and one push (a replay's ordered publication: ~10 git processes
        per commit become ~4). Inside, ``publish`` commits locally and returns the commit, which the
        push at the end fast-forwards origin to, so its sha is final; reads see the batch's commits.
        If origin moved meanwhile, ``BatchRejected`` and nothing was pushed (the caller publishes one
        by one instead); a batch interrupted by an error or a kill leaves origin as it was."""
        with self._synced():
            self._batching = True
            self._importer = self._start_import()
            try:
                yield self
                if self._importer is not None:  # the branch moved to the last commit; the index follows
                    self._importer.close()
                    self._git("reset", "--quiet")
                if self._rev("HEAD") != self._rev(f"refs/remotes/origin/{self._branch}") and \
                        not self._push(f"HEAD:refs/heads/{self._branch}"):
                    raise BatchRejected(f"{self._origin()} moved during a batch of commits; nothing was pushed")
            finally:
                importer, self._importer, self._batching = self._importer, None, False
                if importer is not None:
                    importer.abort()  # closed already, unless the batch failed: its ref is left as it was

    def publish(self, files: Mapping[str, str | None], message: str, when: dt.datetime, *,
                readme_status: str | None = None, volatile: str | None = None) -> str | None:
        """Bring the working copy up to date with origin, write each relpath -> content (None deletes),
        optionally replace README.md's status section, commit once with ``message`` dated ``when``,
        push (a rejected push is rebased and retried, never forced). Returns the new commit sha,
        or None when nothing changed (no commit, no push).

        ``volatile``: a regular expression for text that is no content of its own (an "as of
        HH:MM" stamp). A file whose only differences are matches of it is left as it is, so a
        re-run later the same day commits nothing."""
        checked = {check_writable(path): content for path, content in files.items()}
        pattern = re.compile(volatile) if volatile else None
        if not message.strip():
            raise ValueError("a commit message is required")
        with self._synced(settle=False):
            if self._importer is not None:
                return self._import_changes(checked, readme_status, message, when, pattern)
            if not self._commit_changes(checked, readme_status, message, when, pattern):
                return None
            if self._batching:
                return self._rev("HEAD")  # pushed by batch() at its end
            for _ in range(self.push_attempts):
                if self._push(f"HEAD:refs/heads/{self._branch}"):
                    return self._rev("HEAD")
                self._git("fetch", "--prune", "origin")
                upstream = f"refs/remotes/origin/{self._branch}"
                rebased = self._git("rebase", "--no-autosquash", upstream, when=when, check=False)
                if rebased.returncode != 0:  # conflict with the new upstream: our content wins on our paths
                    self._git("rebase", "--abort", check=False)
                    self._reset(upstream)
                    if not self._commit_changes(checked, readme_status, message, when, pattern):
                        return None
                if self._rev("HEAD") == self._rev(upstream):
                    return None  # the same change was already upstream
            raise DocsRepoError(f"push to {self._origin()} rejected {self.push_attempts} times; giving up")

    def holds(self, sha: str) -> bool:
        """True if origin's branch holds commit ``sha`` (after a sync): it was pushed."""
        with self._synced():
            return self._git("merge-base", "--is-ancestor", sha, f"refs/remotes/origin/{self._branch}",
                             check=False).returncode == 0

    def read(self, relpath: str) -> str | None:
        """Current content on origin's main (after sync), None if absent."""
        path = normalize(relpath)
        with self._synced(settle=False):
            return self._read_local(path)

    def head(self) -> str:
        """Current commit sha of origin's main (after sync)."""
        with self._synced(settle=False):
            return self._importer.head if self._importer is not None else self._rev("HEAD")

    def read_tree(self, *prefixes: str) -> dict[str, str]:
        """Every file under the prefixes (directories or files) on origin's main, relpath -> content,
        after one sync."""
        paths = [normalize(prefix.rstrip("/")) for prefix in prefixes]
        with self._synced(settle=False):
            listed = self._listed(paths)
            return {p: self._read_local(p) for p in sorted(listed) if p}

    def last_commit_time(self, *relpaths: str) -> dt.datetime | None:
        """Commit time of the newest commit on origin's main touching any of ``relpaths``."""
        paths = [normalize(p) for p in relpaths]
        with self._synced():
            stamp = self._git("log", "-1", "--format=%ct", "HEAD", "--", *paths).stdout.strip()
        return dt.datetime.fromtimestamp(int(stamp), UTC) if stamp else None

    def find_commit(self, subject_prefix: str) -> CommitInfo | None:
        """The newest commit on origin's main whose subject starts with ``subject_prefix``: what a
        run killed after its push left behind, so a re-run can name it instead of the head."""
        with self._synced():
            out = self._git("log", "--format=%H%x00%s", "--fixed-strings", f"--grep={subject_prefix}",
                            "HEAD").stdout
            for line in out.splitlines():
                sha, subject = line.split("\0", 1)
                if subject.startswith(subject_prefix):
                    files = self._git("diff-tree", "--no-commit-id", "--name-only", "-r", "-z", sha).stdout
                    return CommitInfo(sha, subject, len([f for f in files.split("\0") if f]))
        return None

    def commit_at(self, when: dt.datetime) -> str:
        """The newest commit on origin's main dated at or before ``when`` (the head if none is)."""
        stamp = int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
        with self._synced():
            sha = self._git("rev-list", "-1", f"--before={stamp}", "HEAD").stdout.strip()
            return sha or self._rev("HEAD")

    @property
    def path(self) -> Path:
        return Path(self.data_dir) / self._name

    @property
    def _project(self) -> project_config.ProjectConfig:
        return project_config.current(data_dir=self.data_dir)

    @property
    def _branch(self) -> str:
        # read when used, as the folder name: in embedded mode too, the team's branch (not always main)
        return self.branch or self._project.docs_repo.branch

    @property
    def _name(self) -> str:
        return self.dir_name or self._project.docs_dir()

    @property
    def project_name(self) -> str:
        """The project's name, for texts written to this repository (CHANGELOG preamble)."""
        return self._project.project.name

    # -- working copy ------------------------------------------------------------------------
    def _origin(self) -> str:
        return self.remote_url or str(Path(self.data_dir).resolve() / f"{self._name}.git")

    @contextlib.contextmanager
    def _synced(self, settle: bool = True):
        """Exclusive use of the working copy (runs of several report assets may overlap), synced.
        ``settle``: the git command that follows reads the batch's commits (``Importer.flush``)."""
        if self._batching:  # the batch holds the lock, and a sync would drop its unpushed commits
            if settle and self._importer is not None:
                self._importer.flush()
            yield
            return
        Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        with open(Path(self.data_dir) / f"{self._name}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)  # released when the file is closed
            self._sync()
            yield

    def _commit_changes(self, files: Mapping[str, str | None], readme_status: str | None,
                        message: str, when: dt.datetime, volatile: re.Pattern | None = None) -> bool:
        for relpath, content in files.items():
            if not self._same_content(relpath, content, volatile):
                self._write(relpath, content)
        if readme_status is not None:
            self._write(README, replace_status(self._read_local(README), readme_status, self._initial_readme()))
        self._git("add", "--all")
        # git commit itself says when nothing is staged (exit 1, "nothing to commit"; LC_ALL=C): one
        # process fewer per commit than asking `git diff --cached` first
        done = self._git("commit", "--quiet", "--no-verify", "-m", message, when=when, check=False)
        if done.returncode != 0 and re.search(r"nothing (added )?to commit", done.stdout + done.stderr):
            return False
        if done.returncode != 0:
            raise DocsRepoError(self._redact(f"git commit failed ({done.returncode}) in {self.path}: "
                                             f"{(done.stderr or done.stdout).strip()}"))
        return True

    def _start_import(self) -> git_import.Importer | None:
        """The batch's commits through one ``git fast-import`` (``bqx_ops/resources/git_import.py``), when
        they are what ``git add --all`` + ``git commit`` would make there; else None (git commits them)."""
        tracked = git_import.tracked_files(self._git("ls-files", "-s", "-z").stdout)
        if not git_import.plain_ident(self.bot_name, self.bot_email) or \
                not git_import.importable(tracked, self.path / ".git"):
            return None
        return git_import.Importer(self.path, self._env(None), f"refs/heads/{self._branch}", self._rev("HEAD"),
                                   tracked)

    def _import_changes(self, files: Mapping[str, str | None], readme_status: str | None, message: str,
                        when: dt.datetime, volatile: re.Pattern | None) -> str | None:
        """``_commit_changes`` inside a batch: the files written to the working copy as always, the ones
        that differ from the last commit committed through the importer; its sha, None if nothing differs."""
        importer = self._importer
        final = {path: content for path, content in files.items() if not self._same_content(path, content, volatile)}
        before = {path: self._committed(path) for path in [*final, *([README] if readme_status is not None else [])]}
        for path, content in final.items():
            self._write(path, content)
        if readme_status is not None:
            final[README] = replace_status(self._read_local(README), readme_status, self._initial_readme())
            self._write(README, final[README])
        changes = {path: None if content is None else content.encode("utf-8") for path, content in final.items()}
        changes = {path: data for path, data in changes.items() if data != before[path]}
        return importer.commit(changes, message, when, self.bot_name, self.bot_email) if changes else None

    def _committed(self, relpath: str) -> bytes | None | object:
        """The bytes of ``relpath`` in the batch's last commit (None: not there; a symlink: never equal)."""
        mode = self._importer.tracked.get(relpath)
        if mode is None:
            return None
        return (self.path / relpath).read_bytes() if mode in ("100644", "100755") else object()

    def _listed(self, paths: list[str]) -> list[str]:
        """The files of the last commit under ``paths`` (``git ls-files``; inside a batch, the importer's)."""
        if not paths:
            return []
        if self._importer is None:
            return self._git("ls-files", "-z", "--", *paths).stdout.split("\0")
        return [p for p in self._importer.tracked if any(p == q or p.startswith(q + "/") or not q for q in paths)]

    def _same_content(self, relpath: str, content: str | None, volatile: re.Pattern | None) -> bool:
        old = None
        if volatile is None or content is None or (old := self._read_local(relpath)) is None:
            return False
        return volatile.sub("", old) == volatile.sub("", content)

    def _write(self, relpath: str, content: str | None) -> None:
        target = self.path / relpath
        root, parent = self.path.resolve(), target.parent.resolve()
        if parent != root and root not in parent.parents:
            raise PathRefused(f"{relpath!r} resolves outside the repository (symlinked directory?)")
        if target.is_symlink() or (content is None and target.exists()):
            target.unlink()
        if content is None:
            parent = target.parent
            while parent != self.path and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8", newline="")

    def _read_local(self, relpath: str) -> str | None:
        target = self.path / relpath
        return None if target.is_symlink() or not target.is_file() else target.read_text(encoding="utf-8")
