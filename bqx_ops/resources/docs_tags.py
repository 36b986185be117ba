"""The docs repository's annotated tags (release tags of completed phases), a part of ``DocsRepo``.

Tags are created on a pushed commit, pushed, and never moved or forced: a tag origin already has is
left as it is. ``tag_many`` makes a run's new tags after one sync and pushes them in one atomic push;
if origin refuses it (it moved meanwhile), nothing of it was pushed and each tag is made on its own.
"""

import datetime as dt
from pathlib import Path
from typing import NamedTuple

from bqx_ops.resources.docs_errors import DocsRepoError


class TagInfo(NamedTuple):
    target: str  # the commit the tag points to
    message: str


class DocsRepoTags:
    """Tag methods of ``DocsRepo`` (which provides ``_git``, ``_synced``, ``_push``, ``_batching``...)."""

    def tags(self) -> dict[str, TagInfo]:
        """Tags on origin: name -> (target commit, message)."""
        with self._synced():
            return self._local_tags()

    def tag(self, name: str, message: str, target: str, when: dt.datetime) -> bool:
        """Create and push the annotated tag ``name`` on ``target``; False if origin already has it
        (tags are never moved or forced)."""
        self._check_tag_names([name])
        with self._synced():
            if name in self._local_tags():
                return False
            self._create_tag(name, message, target, when)
            if self._push(f"refs/tags/{name}:refs/tags/{name}"):
                return True
            self._git("tag", "-d", name)
            self._git("fetch", "--tags", "origin")
            if name in self._local_tags():
                return False  # someone else pushed it meanwhile
            raise DocsRepoError(f"could not push tag {name} to {self._origin()}")

    def tag_many(self, wanted: list[tuple[str, str, str, dt.datetime]]) -> list[bool]:
        """``tag`` for each (name, message, target, when), with one sync and one atomic push instead of
        one each (a replay's release tags: ~9 git processes a tag became ~2). Per tag, True if created.
        If origin refuses the push (it moved meanwhile), nothing of it was pushed: one ``tag`` at a time."""
        self._check_tag_names([name for name, *_ in wanted])
        with self._synced():
            existing, new = self._local_tags(), {}
            for i, (name, message, target, when) in enumerate(wanted):
                if name not in existing and name not in new:
                    self._create_tag(name, message, target, when)
                    new[name] = i
            if not new or self._push(*(f"refs/tags/{name}:refs/tags/{name}" for name in new)):
                return [new.get(name) == i for i, (name, *_) in enumerate(wanted)]
            self._git("tag", "-d", *new)
        return [self.tag(*one) for one in wanted]

    def _check_tag_names(self, names: list[str]) -> None:
        if self._batching:
            raise DocsRepoError("a tag names a pushed commit: create it after the batch")
        Path(self.data_dir).mkdir(parents=True, exist_ok=True)
        for name in names:
            if self._git("check-ref-format", f"refs/tags/{name}", cwd=self.data_dir, check=False).returncode:
                raise ValueError(f"{name!r} is not a valid tag name")

    def _create_tag(self, name: str, message: str, target: str, when: dt.datetime) -> None:
        self._git("tag", "-a", "--cleanup=verbatim", "-m", message, name, f"{target}^{{commit}}", when=when)

    def _local_tags(self) -> dict[str, TagInfo]:
        out = self._git("for-each-ref", "--format=%(refname:strip=2)%00%(*objectname)%00%(objectname)%00"
                        "%(contents)%01", "refs/tags").stdout
        entries = [entry.lstrip("\n").split("\0", 3) for entry in out.split("\x01") if entry.strip()]
        return {name: TagInfo(peeled or direct, message.strip()) for name, peeled, direct, message in entries}
