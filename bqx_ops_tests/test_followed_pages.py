"""followed_pages: an AWS listing asked page by page (Cost Explorer's months, GetMetricData) ends at the
page without a token, or at the page whose token came back (followed, it would never end)."""

from bqx_ops.resources.paging import followed_pages


def listing(tokens: dict):
    """A fake service: page n's next token is ``tokens[n]``; each call records the token it was asked with."""
    asked = []

    def fetch(token):
        asked.append(token)
        return {"n": len(asked), "Next": tokens.get(len(asked))}

    return fetch, asked


def test_the_pages_are_followed_to_the_one_without_a_token():
    fetch, asked = listing({1: "a", 2: "b"})
    assert [p["n"] for p in followed_pages(fetch, "Next")] == [1, 2, 3]
    assert asked == [None, "a", "b"]


def test_a_token_that_comes_back_ends_the_listing_its_page_keeping_it():
    fetch, asked = listing({1: "a", 2: "b", 3: "a", 4: "b"})  # A, B, A, ...: botocore would ask forever
    pages = list(followed_pages(fetch, "Next"))
    assert [p["n"] for p in pages] == [1, 2, 3] and asked == [None, "a", "b"]
    assert pages[-1]["Next"] == "a"  # the caller lands it with the token: an incomplete answer, reported


def test_no_more_tokens_than_max_pages_are_followed():
    fetch, asked = listing({n: f"t{n}" for n in range(1, 100)})
    pages = list(followed_pages(fetch, "Next", max_pages=2))
    assert asked == [None, "t1", "t2"] and pages[-1]["Next"] == "t3"
