"""User text in Slack messages can neither notify people nor break formatting."""

from bqx_ops.slack_text import MAX_TEXT, cut, escape


def test_broadcasts_and_mentions_become_inert_text():
    text = escape("<!channel> @here *boom* <@U123> @everyone")
    assert "<" not in text and ">" not in text
    assert "&lt;!channel&gt;" in text and "&lt;@U123&gt;" in text
    assert "@here" not in text and "@everyone" not in text
    assert "*boom*" not in text  # the bold markers are defused
    assert text.replace("\u2060", "").replace("\u200b", "") == (
        "&lt;!channel&gt; @here *boom* &lt;@U123&gt; @everyone")


def test_ampersands_are_escaped_first_so_entities_are_not_doubled_wrongly():
    assert escape("a & b <c>") == "a &amp; b &lt;c&gt;"


def test_a_long_message_is_cut_cleanly_at_a_line_break_with_a_note():
    text = "\n".join(f"line {n} " + "x" * 50 for n in range(200))
    out = cut(text)
    assert len(out) <= MAX_TEXT
    assert out.endswith("\n… (truncated)")
    assert out.split("\n")[-2].startswith("line ") and out.split("\n")[-2].endswith("x" * 50)


def test_a_cut_never_leaves_half_an_escape_entity():
    text = escape("&" * 5000)
    out = cut(text)
    body = out.removesuffix("\n… (truncated)")
    assert body.endswith("&amp;") and len(out) <= MAX_TEXT


def test_bidi_controls_are_shown_as_escapes_in_reports_and_slack_never_reordering_text():
    from bqx_ops.markdown import cell
    from bqx_ops.sanitize import defects

    title = "Pay invoice \u202etxt.exe\u202c now \u2067x\u2069"
    for shown in (cell(title), escape(title)):
        assert not any(c in shown for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"), shown
        assert "\\u202e" in shown and "\\u2067" in shown
    assert defects(title) is None  # stored as it is: only its display is escaped
