"""A batch's commits through one ``git fast-import`` process instead of ``git add`` + ``git commit``
+ ``git rev-parse`` per commit (the ordered publication: ~390 git processes for its 129 commits).

The working copy stays what it always was: the caller writes every file into it first, so the
changes of the next commit are worked out against the repository as it now stands; only the index
lags behind, and ``DocsRepo`` refreshes it when the batch ends. Each commit is the one
``git add --all && git commit -m`` would make there (same tree, parent, author, committer, dates,
and message as git's whitespace clean-up leaves it), so its sha is the same. No Dagster here.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
from pathlib import Path

from bqx_ops.calendar import UTC

# git's isspace(): tab, LF, CR and space only (no \v, \f)
_TRAILING = re.compile(r"[\t\r ]+$")
# an ident git would write differently (it trims such characters at the ends) or refuse
_CRUD = " .,:;<>\"\\'\n"


def clean_message(message: str) -> str:
    """The message as ``git commit -m`` stores it (``--cleanup=whitespace``, the default without an
    editor): each line without trailing whitespace, no leading or trailing blank lines, runs of blank
    lines made one, a final newline."""
    out: list[str] = []
    blank = False
    for line in message.split("\n"):
        line = _TRAILING.sub("", line)
        if not line:
            blank = bool(out)
            continue
        if blank:
            out.append("")
            blank = False
        out.append(line)
    return "\n".join(out) + "\n" if out else ""


def plain_ident(name: str, email: str) -> bool:
    """Name and email git would store as they are (else the caller commits with git itself)."""
    return all(text and text[0] not in _CRUD and text[-1] not in _CRUD and not any(c in text for c in "<>\n\0")
               for text in (name, email))


def _quote(path: str) -> bytes:
    """A path as fast-import reads it: C-style quoted (spaces, quotes, non-ASCII all safe)."""
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'.encode()


class Importer:
    """Commits on ``ref`` (whose commit is ``head``) through one fast-import process in ``cwd``'s
    repository. ``tracked``: path -> mode of every file in ``head``'s tree, kept current."""

    def __init__(self, cwd: Path, env: dict[str, str], ref: str, head: str, tracked: dict[str, str]):
        self.ref, self.head, self.tracked = ref, head, tracked
        self._marks, self._from, self._flushed = 0, head, True
        self._proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=str(cwd), env=env,
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def commit(self, changes: dict[str, bytes | None], message: str, when: dt.datetime, name: str,
               email: str) -> str:
        """One commit of ``changes`` (path -> the file's bytes, None: deleted) on top of the last; its sha."""
        stamp = when if when.tzinfo else when.replace(tzinfo=UTC)
        ident = f"{name} <{email}> {int(stamp.timestamp())} +0000".encode()
        text = clean_message(message).encode()
        self._marks += 1
        parts = [b"commit " + self.ref.encode(), b"mark :%d" % self._marks, b"author " + ident,
                 b"committer " + ident, b"data %d" % len(text), text]
        if self._from:  # the first commit of the process names its parent; the next ones follow the ref
            parts.append(b"from " + self._from.encode())
            self._from = None
        for path, content in changes.items():
            if content is None:
                parts.append(b"D " + _quote(path))
                self.tracked.pop(path, None)
            else:
                mode = self.tracked.get(path, "100644")
                mode = mode if mode in ("100644", "100755") else "100644"  # a symlink was replaced by the file
                parts += [f"M {mode} inline ".encode() + _quote(path), b"data %d" % len(content), content]
                self.tracked[path] = mode
        parts += [b"", b"get-mark :%d" % self._marks, b""]
        self._proc.stdin.write(b"\n".join(parts))
        self._proc.stdin.flush()
        sha = self._proc.stdout.readline().decode().strip()
        if not re.fullmatch(r"[0-9a-f]{40,64}", sha):
            raise RuntimeError(f"git fast-import gave no commit: {self._failure()}")
        self.head, self._flushed = sha, False
        return sha

    def flush(self) -> None:
        """Commits, ref and objects visible to other git commands (a ``checkpoint``), if any is pending."""
        if not self._flushed:
            self._proc.stdin.write(b"checkpoint\n\nget-mark :%d\n" % self._marks)
            self._proc.stdin.flush()
            self._proc.stdout.readline()  # answered once the checkpoint is written
            self._flushed = True

    def close(self) -> None:
        """The ref updated to the last commit; the process ended."""
        self._proc.stdin.write(b"done\n")
        self._proc.stdin.close()
        code = self._proc.wait()
        if code != 0:
            raise RuntimeError(f"git fast-import failed ({code}): {self._failure()}")
        self._proc.stdout.close()
        self._proc.stderr.close()

    def abort(self) -> None:
        """Ended without touching the ref (the commits made so far are left unreferenced)."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        for stream in (self._proc.stdin, self._proc.stdout, self._proc.stderr):
            stream.close()

    def _failure(self) -> str:
        if self._proc.poll() is None:
            self._proc.kill()
        return self._proc.stderr.read().decode(errors="replace").strip()


def tracked_files(listing: str) -> dict[str, str]:
    """path -> mode from ``git ls-files -s -z``."""
    out = {}
    for entry in listing.split("\0"):
        if entry:
            meta, path = entry.split("\t", 1)
            out[path] = meta.split(" ", 1)[0]
    return out


def importable(tracked: dict[str, str], git_dir: Path) -> bool:
    """A tree whose files ``git add --all`` stages as they are: no ignore or attribute rules (an ignored
    or filtered file would be committed differently) and no submodule."""
    if any(Path(p).name in (".gitignore", ".gitattributes") or mode == "160000" for p, mode in tracked.items()):
        return False
    for name in ("info/exclude", "info/attributes"):
        path = git_dir / name
        if path.is_file() and any(line.strip() and not line.lstrip().startswith("#")
                                  for line in path.read_text(errors="replace").splitlines()):
            return False
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "git"
    return not (config / "ignore").exists() and not (config / "attributes").exists()
