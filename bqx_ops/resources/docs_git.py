"""How ``DocsRepo`` runs git: each command in an environment of its own (nothing from the caller's git
config, hooks or helpers; the token only as an HTTP header in the child's environment), its failures
redacted, and a refused push told apart from a failed one.
"""

import base64
import datetime as dt
import os
import subprocess

from bqx_ops.calendar import UTC
from bqx_ops.resources.docs_errors import DocsRepoError

# A push is refused like this when the remote moved since our fetch (non-fast-forward), or when
# it moved while the push was under way (the ref's compare-and-swap failed on the remote).
_MOVED = ("[rejected]", "non-fast-forward", "fetch first", "failed to update ref", "cannot lock ref",
          "stale info")


class DocsRepoGit:
    """git methods of ``DocsRepo`` (which provides ``path``, ``token``, ``bot_name``, ``_origin``...)."""

    def _rev(self, ref: str) -> str:
        return self._git("rev-parse", "--verify", f"{ref}^{{commit}}").stdout.strip()

    def _push(self, *refspecs: str) -> bool:
        """True if pushed; False if the remote moved; DocsRepoError for anything else (auth, network).
        Several refspecs are pushed atomically: all of them, or none."""
        atomic = ["--atomic"] if len(refspecs) > 1 else []
        done = self._git("push", "--porcelain", "--no-verify", *atomic, "origin", *refspecs, check=False)
        said = done.stdout + done.stderr
        if done.returncode == 0 or any(sign in said for sign in _MOVED):
            return done.returncode == 0
        raise DocsRepoError(self._redact(f"git push to {self._origin()} failed: {said.strip()}"))

    def _env(self, when: dt.datetime | None) -> dict[str, str]:
        # Nothing from the caller's git environment or config (GIT_DIR, hooks, signing, helpers).
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        config = [("credential.helper", ""), ("commit.gpgsign", "false"), ("tag.gpgsign", "false"),
                  ("advice.detachedHead", "false"), ("core.autocrlf", "false"), ("pull.rebase", "true")]
        if self.token:
            config.append(("http.extraHeader", f"Authorization: Basic {self._basic()}"))
        env.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0",
                   GIT_CONFIG_COUNT=str(len(config)), LC_ALL="C", LANGUAGE="C",
                   GIT_AUTHOR_NAME=self.bot_name, GIT_AUTHOR_EMAIL=self.bot_email,
                   GIT_COMMITTER_NAME=self.bot_name, GIT_COMMITTER_EMAIL=self.bot_email)
        for i, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = key, value
        if when is not None:
            stamp = when if when.tzinfo else when.replace(tzinfo=UTC)
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{int(stamp.timestamp())} +0000"
        return env

    def _git(self, *args: str, cwd=None, when: dt.datetime | None = None, check: bool = True,
             stdin: str | None = None) -> subprocess.CompletedProcess:
        done = subprocess.run(["git", *args], cwd=str(cwd or self.path), env=self._env(when), input=stdin,
                              capture_output=True, text=True, encoding="utf-8", errors="replace",
                              timeout=self.git_timeout_seconds)
        if check and done.returncode != 0:
            raise DocsRepoError(self._redact(f"git {args[0]} failed ({done.returncode}) in {cwd or self.path}: "
                                             f"{(done.stderr or done.stdout).strip()}"))
        return done

    def _basic(self) -> str:
        return base64.b64encode(f"x-access-token:{self.token}".encode()).decode()

    def _redact(self, text: str) -> str:
        return text.replace(self.token, "***").replace(self._basic(), "***") if self.token else text
