"""The outbox's Slack texts read as Slack renders them (recomputed from the inputs, not the code).

An issue's URL is a link: mrkdwn escaping of user text (a zero-width space after ``_``, ``*``, ``~``
and the backtick) must not touch it, or Slack links to the URL cut at the first ``_``
(``github.com/acme/bqx_`` for an issue of ``acme/bqx_ml``).
"""

import datetime as dt

from bqx_ops.issue_review.escalate import IssueEscalation, intents


def _escalation(url: str | None, title: str = "Schema check fails on spread_1") -> IssueEscalation:
    return IssueEscalation(fingerprint="github-abc", priority="P2", title=title, source="github",
                           owner="Data", escalate_to="QA", action="re-prioritize",
                           created_at=dt.datetime(2026, 3, 1, 8, 30), due_at=dt.datetime(2026, 3, 15, 8, 30),
                           url=url, sns=False, relevance_task=False)


def _slack(e: IssueEscalation) -> str:
    [text] = [p["text"] for _, channel, p in intents(e) if channel == "slack"]
    return text


def test_an_issue_url_with_underscores_stays_one_working_link():
    text = _slack(_escalation("https://github.com/acme/bqx_ml/issues/7"))
    assert "<https://github.com/acme/bqx_ml/issues/7>" in text
    assert "\u200b" not in text.split("<https://", 1)[1].split(">", 1)[0]


def test_a_hostile_url_cannot_inject_a_label_a_mention_or_close_the_link():
    # `|` would start a label in <url|label>; `>` would close the link and let `<!channel>` through
    text = _slack(_escalation("https://github.com/a/b/issues/1?x=1&y=2|click>here<!channel>"))
    assert "<https://github.com/a/b/issues/1?x=1&amp;y=2%7Cclick&gt;here&lt;!channel&gt;>" in text
    assert "<!channel>" not in text and "|" not in text


def test_a_value_that_is_not_a_web_url_is_shown_as_inert_text_not_as_a_link():
    text = _slack(_escalation("javascript:alert(1)<!here>"))
    assert "<javascript" not in text and "<!here>" not in text
    assert "javascript:alert(1)&lt;!here&gt;" in text


def test_the_title_is_still_escaped_as_user_text():
    text = _slack(_escalation("https://github.com/acme/bqx_ml/issues/7", title="*boom* <!channel>"))
    assert "*\u200bboom*\u200b &lt;!channel&gt;" in text
