"""Which repository paths bqx_ops may touch: README.md's status section, CHANGELOG.md and docs/."""

from __future__ import annotations

WRITABLE_FILES = ("CHANGELOG.md",)
WRITABLE_DIR = "docs"
README = "README.md"


class PathRefused(ValueError):
    """A path bqx_ops must not write (or that would leave the repository)."""


def normalize(relpath: str) -> str:
    """A clean relative POSIX path inside the repository, or PathRefused."""
    if not isinstance(relpath, str) or not relpath:
        raise PathRefused(f"empty or non-string path {relpath!r}")
    if "\\" in relpath or "\x00" in relpath:
        raise PathRefused(f"{relpath!r}: backslashes and NUL are not allowed in repository paths")
    if relpath.startswith("/"):
        raise PathRefused(f"{relpath!r}: absolute paths are not allowed")
    parts = relpath.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise PathRefused(f"{relpath!r}: empty, '.' or '..' components are not allowed")
    if any(part.lower() == ".git" for part in parts):
        raise PathRefused(f"{relpath!r}: git's own files are never written")
    return relpath


def check_writable(relpath: str) -> str:
    """The normalized path if bqx_ops may write it; PathRefused with the reason otherwise."""
    path = normalize(relpath)
    if path == README:
        raise PathRefused("README.md is only written through its status section (publish(readme_status=...))")
    if path in WRITABLE_FILES or (path.startswith(WRITABLE_DIR + "/") and path.count("/") >= 1):
        return path
    raise PathRefused(
        f"{relpath!r} is outside what bqx_ops may write: README.md's status section, CHANGELOG.md and docs/"
    )
