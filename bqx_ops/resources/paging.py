"""Pages of an AWS listing followed to their end, and never further: a ``NextToken`` that comes back
(A, B, A ..) makes botocore's paginator ask forever (it only notices the same token twice in a row).
``bounded_pages`` guards a botocore paginator (and raises); ``followed_pages`` asks page by page itself
(and stops, the last page keeping its token, which its reader reports)."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

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


def followed_pages(fetch: Callable[[Any], dict], token_key: str, max_pages: int = MAX_PAGES) -> Iterator[dict]:
    """``fetch(None)``, then ``fetch(token)`` with each page's next-page token, until a page without one.
    A token seen before (or after ``max_pages`` tokens) ends it too, its page the last: followed, it
    would never end; that page still holding a token is how the caller tells the answer is incomplete."""
    token, seen = None, set()
    while True:
        page = fetch(token)
        yield page
        token = page.get(token_key)
        if not token or token in seen or len(seen) >= max_pages:
            return
        seen.add(token)
