"""Side effects built from hostile text stay within what their channel accepts: an SNS subject is
ASCII, one line, under 100 characters (SNS refuses anything else, failing the alert)."""

import re

import pytest

from bqx_ops.outbox.delivery import Intent
from bqx_ops.resources.channels import sns_request, sns_subject
from bqx_ops_tests import hostile_corpus as hc


@pytest.mark.parametrize("subject", [
    "Prévisions Météo 中文 🌦 missed activity: Weekly sync",
    f"P0 issue unresolved: Zoé\nsecond line {hc.NUL}{hc.BELL}{hc.SURROGATE}",
    hc.INJECTION * 5,
    "\x00\x07",
    "   ",
])
def test_an_sns_subject_is_one_ascii_line_sns_accepts(subject):
    shown = sns_subject(subject)
    assert re.fullmatch(r"[\x21-\x7e][\x20-\x7e]{0,98}", shown), shown  # starts with no space, < 100 characters
    intent = Intent(key="k", version=1, channel="sns", payload={"subject": subject, "message": subject}, attempts=0)
    assert sns_request(intent, "arn:aws:sns:us-east-1:000000000000:t")["Subject"] == shown


def test_accents_are_kept_as_letters_and_nothing_else_is_lost_silently():
    assert sns_subject("Prévisions Météo missed activity") == "Previsions Meteo missed activity"
    assert sns_subject("中文 review") == "?? review"  # a character SNS cannot take is marked, not dropped


@pytest.mark.parametrize("content, live", [
    ("[x](javascript:alert(1))", "](javascript:"),
    ("[y]( JavaScript:alert(2) )", "( JavaScript:"),
    ("![i](data:text/html;base64,PHNjcmlwdD4=)", "](data:"),
    ("[ref]: vbscript:msgbox(1)", "]: vbscript:"),
    ("see [f](file:///etc/passwd)", "](file:"),
])
def test_an_artifact_link_that_would_run_code_is_made_inert(content, live):
    from bqx_ops.docs_sync.artifacts import inert_markdown

    shown = inert_markdown(content)
    assert live not in shown and "unsafe:" in shown
    assert inert_markdown("[ok](https://example.com) `[c](javascript:x)`") == \
        "[ok](https://example.com) `[c](javascript:x)`"  # a web link stays, code is code
