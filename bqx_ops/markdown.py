"""Markdown rendering that user text cannot break (pipes, HTML, newlines, control characters, huge strings)."""

from __future__ import annotations

import html

from bqx_ops.sanitize import visible

MAX_CELL = 200


def cell(value, limit: int = MAX_CELL) -> str:
    """One table cell: escaped (control characters and lone surrogates made visible, see
    bqx_ops.sanitize), single line, cut cleanly at ``limit`` characters."""
    if value is None:
        return ""
    text = " ".join(visible(value).split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    text = html.escape(text, quote=False)
    for ch in ("\\", "|", "`", "*", "_", "[", "]"):
        text = text.replace(ch, "\\" + ch)
    return text


def table(headers: list[str], rows: list[list], limit: int = MAX_CELL) -> str:
    """A GitHub-flavoured markdown table; an empty one says so explicitly."""
    if not rows:
        return "_none_\n"
    out = ["| " + " | ".join(cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    out += ["| " + " | ".join(cell(v, limit) for v in row) + " |" for row in rows]
    return "\n".join(out) + "\n"
