"""The review report's durations under the reports' rounding rule and display rule (hand arithmetic).

The sample's 2026-05-15 review listed #109 (created 07:55, closed 13:10: 5 h 15 min, 5.25 h) with a time to
close of "5.2 h" (Python's format); the README's rule rounds a half away from zero: "5.3 h". An age just past
its SLA, or a breach's margin just over 0, must not read as the SLA or as 0."""

import pytest

from bqx_ops.issue_review.report import hours


@pytest.mark.parametrize("value, shown", [
    ((13 * 60 + 10 - (7 * 60 + 55)) / 60, "5.3 h"),  # 5.25 h
    (0.05, "0.1 h"), (47.95, "48.0 h"), (2.5 * 24, "2.5 d"), (60.6, "2.5 d"),  # 60.6 h = 2.525 d
    (None, "—"),
])
def test_durations_round_half_away_from_zero(value, shown):
    assert hours(value) == shown


def test_an_age_just_past_its_sla_and_a_small_breach_keep_their_side_of_the_line():
    assert hours(24 + 0.04, (24,)) == "24.04 h"  # a P0 open 24 h 2.4 min: past its 24 h SLA, not "24.0 h"
    assert hours(0.04, (0,)) == "0.04 h"  # over by 2.4 min, not "0.0 h"
    assert hours(7 * 24 + 0.5, (7 * 24,)) == "7.02 d"  # 168.5 h against a week: not "7.0 d"
    assert hours(23.96, (24,)) == "23.96 h"  # under its SLA: not "24.0 h"
    assert hours(30.97, (24,)) == "31.0 h"  # far from the line: the usual decimal
