"""GitHub through PyGithub: releases for completed phases (and, later, the issue inventory)."""

import datetime as dt

import dagster as dg
from pydantic import Field as PField


class LiveGitHub(dg.ConfigurableResource):
    """The project repository on GitHub (or a server speaking its REST API)."""

    token: str = PField(description="GitHub token (dg.EnvVar('GITHUB_TOKEN')).")
    repo: str = PField(description="owner/name of the project repository.")
    base_url: str = PField(default="https://api.github.com", description="REST API root.")
    bot_name: str = PField(default="bqx-ops[bot]", description="Tagger name of release tags.")
    bot_email: str = PField(default="bqx-ops@users.noreply.github.com", description="Tagger email.")
    seconds_between_requests: float | None = PField(
        default=0.25, description="PyGithub's own pacing (GitHub's secondary rate limits)."
    )
    max_wait_seconds: float = PField(default=300.0, description="The longest Retry-After obeyed (s); a longer one "
                                                                "is waited this long, then retried.")
    seconds_between_writes: float | None = PField(default=1.0, description="Pacing of writes.")

    def _repo(self):
        from github import Auth, Github, GithubRetry  # imported where used: not at code-location load

        from bqx_ops.resources.retry_waits import MAX_RATE_LIMIT_WAIT, capped_retry_class

        client = Github(
            base_url=self.base_url,
            auth=Auth.Token(self.token),
            per_page=100,
            timeout=30,
            seconds_between_requests=self.seconds_between_requests,
            seconds_between_writes=self.seconds_between_writes,
            # PyGithub retries 5xx and rate-limit 403s; GitHub also answers secondary limits with 429
            retry=capped_retry_class(GithubRetry, float(self.max_wait_seconds))(
                total=8, status_forcelist=[429, *range(500, 600)], max_rate_limit_wait=MAX_RATE_LIMIT_WAIT),
            lazy=True,
        )
        if not self.repo:
            raise ValueError("no GitHub repository: set github_repo in the configuration or BQX_OPS_GITHUB_REPO")
        return client.get_repo(self.repo)

    def find_release(self, tag: str, name: str | None = None, body: str | None = None) -> str | None:
        """The release of ``tag``; with ``name`` and ``body``, only if it reads so (an edit that never
        arrived leaves the release of an earlier version, which is no delivery of this one)."""
        from github import UnknownObjectException

        try:
            release = self._repo().get_release(tag)
        except UnknownObjectException:
            return None
        if name is not None and (release.name, release.body or "") != (name, body or ""):
            return None
        return str(release.id)

    def ensure_release(self, tag: str, name: str, body: str, target_sha: str, message: str) -> str:
        """Annotated tag object, its ref, then the release; each step skipped if already there.

        (create_git_tag_and_release alone would leave a lightweight tag.)"""
        from github import GithubException, InputGitAuthor, UnknownObjectException

        repo = self._repo()
        try:
            release = repo.get_release(tag)
        except UnknownObjectException:
            release = None
        if release is not None:  # a later version of the intent edits the release
            if (release.name, release.body or "") != (name, body):
                release.update_release(name=name, message=body)
            return str(release.id)
        try:
            repo.get_git_ref(f"tags/{tag}").object  # GitRef is lazy: reading .object fetches it
        except UnknownObjectException:
            tagger = InputGitAuthor(self.bot_name, self.bot_email,
                                    dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
            tag_object = repo.create_git_tag(tag, message, target_sha, "commit", tagger=tagger)
            try:
                repo.create_git_ref(f"refs/tags/{tag}", tag_object.sha)
            except GithubException as exc:
                if exc.status != 422:  # 422: the ref appeared meanwhile, which is what we want
                    raise
        try:
            return str(repo.create_git_release(tag, name, body).id)
        except GithubException as exc:
            if exc.status == 422 and (found := self.find_release(tag)):
                return found
            raise
