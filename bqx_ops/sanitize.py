"""The one sanitizer for untrusted text: control characters and lone UTF-16 surrogates.

Text from Airtable, GitHub, CloudWatch or SageMaker may hold NUL, other control
characters or lone surrogates (``\\ud800``, what a JSON ``"\\ud800"`` escape decodes to).
Git then stores a markdown report as binary, Slack shows garbage, and DuckDB refuses
any string with a surrogate (it cannot be encoded as UTF-8), failing the whole run.

* ``visible`` makes such text safe everywhere by writing each bad character as a
  visible escape (``\\x00``, ``\\ud800``): nothing is silently dropped, and the result is
  printable UTF-8. ``bqx_ops.markdown`` and ``bqx_ops.slack_text`` apply it to all user text.
* ``defects`` says what is wrong with a text (for quarantine reasons and data problems).
* ``json_text`` is ``json.dumps`` whose output is always valid, printable UTF-8: a lone surrogate
  or control character is kept as its JSON escape, so ``json.loads`` gives the original back.

Tab, newline and carriage return are ordinary text and are kept.
"""

from __future__ import annotations

import json
import re
from typing import Any

# C0 controls except \t \n \r, DEL, C1 controls, and the surrogate range (only ever lone in a str)
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
# ...and, only where text is shown, the bidi embedding/override/isolate controls: harmless to store,
# but a title holding U+202E reads backwards and can make a report's row look like another
_SHOWN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
# what a one-line name (project name, a schema map's table or field) may not hold: control characters,
# line and paragraph separators, lone surrogates
NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: Any) -> str:
    """``text`` as a string with every control character, lone surrogate and bidi control written as an escape."""
    return _SHOWN.sub(lambda m: _escape(m.group()), str(text))


def is_clean(text: str) -> bool:
    return _BAD.search(text) is None


def defects(text: str) -> str | None:
    """A short description of what makes ``text`` unsafe (first offender and its position), or None."""
    found = _BAD.search(text)
    if found is None:
        return None
    kind = "a lone UTF-16 surrogate" if _SURROGATE.match(found.group()) else "a control character"
    count = len(_BAD.findall(text))
    more = f" ({count} in all)" if count > 1 else ""
    return f"{kind} {_escape(found.group())} at position {found.start()}{more}"


# invisible format characters (zero-width space/joiners, word joiner, byte order mark, soft hyphen...):
# a key or name made of them, or differing from another only by them, reads the same to a person
INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")


def blank(text: str) -> bool:
    """Nothing a person can see: empty, spaces, or invisible format characters only."""
    return not INVISIBLE.sub("", text).strip()


def one_line_defect(text: str) -> str | None:
    """What keeps ``text`` from being one safe line (a name, an option): empty, unsafe (``defects``) or a
    line break; None when it is one."""
    if blank(text):
        return "nothing but spaces or invisible characters" if text else "nothing"
    return defects(text) or ("a line break" if any(c in text for c in "\n\r\u2028\u2029") else None)


def json_text(obj: Any, **kwargs) -> str:
    """``json.dumps(obj, ensure_ascii=False, **kwargs)`` that is always encodable as UTF-8."""
    text = json.dumps(obj, ensure_ascii=False, **kwargs)
    # json.dumps escapes C0 controls but not DEL, C1 controls or lone surrogates; outside strings JSON
    # has none of them, and inside a string their \\uXXXX escape is valid and decodes back to the same
    # character, so the result is lossless and already ``visible``
    return _BAD.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
