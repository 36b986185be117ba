"""Text for Slack's mrkdwn that user content cannot hijack.

Slack parses ``<...>`` as links and mentions (``<!channel>``, ``<@U123>``), so the
three control characters are escaped as Slack documents (&amp; &lt; &gt;). Plain
``@here`` / ``@channel`` / ``@everyone`` notify when ``link_names`` is on, so a word
joiner is put after the ``@``; mrkdwn markers are defused with a zero-width space
so ``*boom*`` stays literal. Control characters and lone surrogates are written as
visible escapes (bqx_ops.sanitize). Long messages are cut at a line boundary.
"""

from __future__ import annotations

import re

from bqx_ops.sanitize import visible

MAX_TEXT = 3000  # a section block's limit; chat.postMessage truncates far later
WORD_JOINER = "\u2060"
ZWSP = "\u200b"
_BROADCAST = re.compile(r"@(here|channel|everyone)\b", re.IGNORECASE)
_MARKERS = re.compile(r"([*_~`])")


def escape(text: str) -> str:
    """Untrusted text as inert mrkdwn."""
    text = visible(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _BROADCAST.sub(lambda m: f"@{WORD_JOINER}{m.group(1)}", text)
    return _MARKERS.sub(lambda m: f"{m.group(1)}{ZWSP}", text)


def link(url: str) -> str:
    """A web URL as a Slack link (``<url>``): escaping it as user text put a zero-width space after
    each ``_`` and cut the link there. Only ``&``, ``<``, ``>`` are escaped (Slack's rule inside
    ``<...>``); ``|`` (which would start a label) and whitespace are percent-encoded. Anything but
    an http(s) URL is shown as inert text."""
    value = visible(str(url)).strip()
    if not re.match(r"https?://[^\s/]", value, re.IGNORECASE):
        return escape(value)
    value = re.sub(r"\s", lambda m: f"%{ord(m.group()):02X}", value).replace("|", "%7C")
    return "<" + value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") + ">"


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """At most ``limit`` characters, cut at the last line break (or space) before it."""
    if len(text) <= limit:
        return text
    note = "\n… (truncated)"
    room = limit - len(note)
    head = text[:room]
    for sep in ("\n", " "):
        at = head.rfind(sep)
        if at > room // 2:
            head = head[:at]
            break
    # never leave half an escape entity (&amp;) at the end
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:]:
        head = head[:amp]
    return head.rstrip() + note


def mention(role: str, ids: dict[str, str] | None = None) -> str:
    """A role as Slack should show it: ``<@U…>`` (a user) or ``<!subteam^S…>`` (a user group) when
    ``ids`` maps it (``BQX_OPS_SLACK_MENTIONS``), else the role's name in bold."""
    target = (ids or {}).get(role)
    if target and re.fullmatch(r"[UW][A-Z0-9]+", target):
        return f"<@{target}>"
    if target and re.fullmatch(r"S[A-Z0-9]+", target):
        return f"<!subteam^{target}>"
    return f"*{escape(role)}*"
