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


# The rejection message quotes the approver's note. The request itself writes the record's Decision
# field ("Approval requested for the 360 assessment …"), so an approver who only sets Approval must not
# be quoted as having said the request's own words.

from bqx_ops.assessment.approval import REJECTED, answer_of, rejection_text  # noqa: E402


def test_a_rejection_without_a_note_does_not_quote_the_request_as_the_approvers_words():
    fields = {"Title": "360 assessment Q2-2026: approval request", "Approval": "Rejected",
              "Decision": "Approval requested for the 360 assessment Q2-2026: Pause & re-evaluate (alignment 57.6%)."}
    answer = answer_of(fields)
    assert answer.status == REJECTED and answer.note is None
    text = rejection_text("Q2-2026", answer.note)
    assert text.endswith("rejected the 360 assessment Q2-2026. No Airtable update is applied.")
    assert "Approval requested" not in text and ":  " not in text


def test_a_rejection_with_the_approvers_own_note_quotes_it_as_one_sentence():
    answer = answer_of({"Approval": "Rejected", "Decision": "Re-run after the Q3 data fix"})
    assert answer.note == "Re-run after the Q3 data fix"
    assert rejection_text("Q2-2026", answer.note).endswith(
        "rejected the 360 assessment Q2-2026: Re-run after the Q3 data fix. No Airtable update is applied.")
