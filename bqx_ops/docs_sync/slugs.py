"""Safe, stable file names for Airtable records: ``docs/artifacts/<slug>.md``.

A slug is ASCII ``[a-z0-9-]`` only (no separators, dots or NUL, so ``../../etc/passwd`` stays a
plain file name), never a Windows device name (``CON``, ``LPT1`` ...) and never empty. Records
sharing a slug all get a short hash of their record id appended, so none overwrites another.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter

ARTIFACTS_DIR = "docs/artifacts"
MAX_SLUG = 80
WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                             *(f"lpt{i}" for i in range(10))})


def ascii_letters(text: str) -> str:
    """``text`` with accents dropped (é -> e) and every other non-ASCII character removed: for names that
    only take ASCII (a file or folder, a CloudWatch dashboard or namespace)."""
    text = text.translate(_NO_DECOMPOSITION)
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


# Latin letters NFKD does not split into a letter and an accent: dropped, 'Łukasz Żółć' read 'ukasz Zoc'
_NO_DECOMPOSITION = str.maketrans({"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "Æ": "AE", "æ": "ae",
                                   "Œ": "OE", "œ": "oe", "ß": "ss", "Þ": "Th", "þ": "th", "ı": "i"})


def slug(name: object) -> str:
    text = ascii_letters("" if name is None else str(name)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    text = text[:MAX_SLUG].rstrip("-") or "untitled"
    return f"{text}-artifact" if text in WINDOWS_DEVICES else text


def _suffix(record_id: str, length: int) -> str:
    return hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:length]


def artifact_paths(records: list[tuple[str, object]]) -> dict[str, str]:
    """record id -> ``docs/artifacts/<unique slug>.md`` for (record id, name) pairs."""
    base = {rid: slug(name) for rid, name in records}
    shared = Counter(base.values())
    names = {rid: s if shared[s] == 1 else f"{s}-{_suffix(rid, 8)}" for rid, s in base.items()}
    taken = Counter(names.values())
    for rid, name in list(names.items()):
        if taken[name] > 1:  # a suffixed name met a record literally named like it
            names[rid] = f"{base[rid]}-{_suffix(rid, 20)}"
    if len(set(names.values())) != len(names):
        raise ValueError("artifact file names collide even after disambiguation")
    return {rid: f"{ARTIFACTS_DIR}/{name}.md" for rid, name in names.items()}
