"""Pages of an AWS listing followed to their end, and never further: a ``NextToken`` that comes back
(A, B, A ..) makes botocore's paginator ask forever (it only notices the same token twice in a row)."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

MAX_PAGES = 100_000  # no listing of ours is this long; a token still coming after it never ends


class EndlessPages(Exception):
    """A listing whose next-page token repeats: what it says is why, for the run's problems."""


def bounded_pages(pages: Iterable[dict], token_key: str, what: str) -> Iterator[dict]:
    """``pages`` (a botocore page iterator) until the last, raising EndlessPages at a token seen before."""
    from botocore.exceptions import PaginationError

    seen: set[Any] = set()
    try:
        for page in pages:
            yield page
            token = page.get(token_key) if isinstance(page, dict) else None
            if not token:
                continue
            token = token if isinstance(token, str) else repr(token)
            if token in seen or len(seen) >= MAX_PAGES:
                raise EndlessPages(f"{what}: the {token_key} {token[:40]!r} came back after {len(seen) + 1} "
                                   "page(s): the listing would never end; stopped")
            seen.add(token)
    except PaginationError as exc:  # botocore's own check: the same token twice in a row
        raise EndlessPages(f"{what}: {exc}; stopped") from None
