"""A recurring issue is escalated again for each new episode past its SLA (a CloudWatch pattern that went
quiet for 72 h and starts again is a new episode, the review's "recurred"); one episode is escalated once
per level, whichever looks see it. Hand-built escalations and a real DuckDB outbox."""

import datetime as dt

import duckdb

from bqx_ops import outbox
from bqx_ops.defs.issue_review.escalations import _escalated
from bqx_ops.issue_review.escalate import IssueEscalation, intents, to_enqueue

T0 = dt.datetime(2026, 3, 2, 17, 42)
H, D = dt.timedelta(hours=1), dt.timedelta(days=1)


def p0(created: dt.datetime, fingerprint: str = "cloudwatch-abc") -> IssueEscalation:
    return IssueEscalation(fingerprint=fingerprint, priority="P0", title="ERROR ingest", source="cloudwatch",
                           owner="Data", escalate_to="Approver", action="emergency meeting", created_at=created,
                           due_at=created + 24 * H, url=None, sns=True, relevance_task=False)


def test_a_later_episode_of_an_escalated_issue_is_escalated_again_under_its_own_key():
    escalated = {}
    first = to_enqueue([p0(T0)], escalated, T0 + 25 * H)
    assert [e.key for e in first] == ["escalation/issue/cloudwatch-abc/P0"]
    # the same episode at later looks: never again
    assert to_enqueue([p0(T0)], escalated, T0 + 2 * D) == []
    # it went quiet, then began again on the 14th, open past 24 h at the next look
    again = T0 + 11 * D + 9 * H  # 2026-03-14 02:42
    second = to_enqueue([p0(again)], escalated, again + 30 * H)
    assert [e.key for e in second] == ["escalation/issue/cloudwatch-abc/P0/since-20260314T024200"]
    assert to_enqueue([p0(again)], escalated, again + 40 * H) == []
    text = intents(second[0])[0][2]["text"]
    assert "(since 2026-03-14 02:42 UTC)" in text
    # another issue is untouched by this one's history
    assert len(to_enqueue([p0(again, "cloudwatch-def")], escalated, again + 40 * H)) == 1


def test_the_outbox_tells_which_episodes_were_escalated_at_which_look(tmp_path):
    with duckdb.connect(str(tmp_path / "w.duckdb")) as conn:
        outbox.ensure_schema(conn)
        producer = outbox.Producer("issue_review:unresolved_escalation")
        first_look = T0 + 25 * H
        for key, channel, payload in intents(p0(T0)):  # a key of the first form, as earlier versions wrote
            outbox.enqueue(conn, key, channel, payload, producer, first_look, first_look)
        escalated = _escalated(conn)
        assert escalated == {("cloudwatch-abc", "P0"): first_look}
        # a re-run over the same episode adds nothing; the next episode is new
        assert to_enqueue([p0(T0)], escalated, T0 + 3 * D) == []
        later = to_enqueue([p0(T0 + 11 * D)], escalated, T0 + 13 * D)
        for key, channel, payload in intents(later[0]):
            outbox.enqueue(conn, key, channel, payload, producer, T0 + 13 * D, T0 + 13 * D)
        assert _escalated(conn) == {("cloudwatch-abc", "P0"): T0 + 13 * D}
        keys = sorted(k for (k,) in conn.execute("SELECT key FROM ops.outbox").fetchall())
        assert keys == ["escalation/issue/cloudwatch-abc/P0/since-20260313T174200/slack",
                        "escalation/issue/cloudwatch-abc/P0/since-20260313T174200/sns",
                        "escalation/issue/cloudwatch-abc/P0/slack", "escalation/issue/cloudwatch-abc/P0/sns"]
