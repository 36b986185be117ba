"""RM-001's approval loop end to end against the local Airtable server: request, answer, upserts, follow-through.

Q2-2026 is assessed from the sample (shared fixture); the Airtable server holds the sample's
Plans and Stages of the as-of snapshot and an empty Decisions table. The outbox is delivered with
the real clients (pyairtable to the local server, slack_sdk to the local Slack server).
"""

import datetime as dt
import json
import shutil

import dagster as dg
import duckdb
import pytest
from pyairtable import Api

from bqx_ops.assessment.approval import approval_title
from bqx_ops.base_schema import TABLES_BY_NAME
from bqx_ops.defs.assessment import checks as assessment_checks
from bqx_ops.defs.assessment import followup
from bqx_ops.defs.assessment import definitions
from bqx_ops.outbox.delivery import DeliveryPolicy, deliver
from bqx_ops.resources.airtable import LiveAirtable
from bqx_ops.resources.factory import build_resources
from bqx_ops_tests.servers.fixtures import AIRTABLE_TOKEN
from bqx_ops_tests.assessment_runs import AS_OF, QUARTER
from bqx_ops_tests.test_live_outbox import BASE, live_delivery

pytestmark = pytest.mark.slow
TITLE = approval_title("Q2-2026")
LOOP = [followup.approval_request, followup.approval_outcome, *dg.load_asset_checks_from_modules([assessment_checks])]


@pytest.fixture
def loop(assessed, airtable_server, slack_server, tmp_path):  # noqa: F811
    data, _, _ = assessed
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    with duckdb.connect(str(copy / "bqx_ops.duckdb")) as conn:  # the reviews' own intents are not this loop's
        conn.execute("DELETE FROM ops.outbox")
    snapshot = copy / "landing" / "airtable" / AS_OF.date().isoformat()
    for table in ("Plans", "Stages"):
        airtable_server.set_records(BASE, table, json.loads((snapshot / f"{table}.json").read_text())["records"])
    airtable_server.set_records(BASE, "Decisions", [], fields=[f.name for f in TABLES_BY_NAME["Decisions"].fields])
    live = LiveAirtable(data_dir=str(copy), api_key=AIRTABLE_TOKEN, base_id=BASE, endpoint_url=airtable_server.url,
                        backoff_factor=0.05)
    res = {**build_resources("local", copy), "airtable": live}
    delivery = live_delivery(tmp_path, slack_server.url, airtable_server.url)
    return copy, res, live, delivery


def run(res, *names, selection=None):
    assets = [a for a in LOOP if not isinstance(a, dg.AssetChecksDefinition)]
    keys = [k for a in assets for k in a.keys if k.path[-1] in names]
    return dg.materialize(LOOP, resources=res, partition_key=QUARTER, selection=dg.AssetSelection.assets(*keys))


def deliver_all(copy, delivery):
    with duckdb.connect(str(copy / "bqx_ops.duckdb")) as conn:
        return deliver(conn, delivery.channels(), dt.datetime.now(dt.timezone.utc),
                       DeliveryPolicy(horizon=dt.timedelta(days=3650), backoff=dt.timedelta(0)))


def check(result) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations()
                     if e.check_name == "approved_adjustments_in_airtable"]
    return evaluation


def sensor_run_keys(res) -> list[str]:
    defs = dg.Definitions.merge(definitions.domain_defs("local"), dg.Definitions(resources=res))
    sensor = defs.resolve_sensor_def("assessment_approval_sensor")
    with dg.build_sensor_context(resources={"airtable": res["airtable"]},
                                 repository_def=defs.get_repository_def()) as context:
        result = sensor.evaluate_tick(context)
    return [r.run_key for r in result.run_requests or []]


def answer(server, status: str) -> None:
    table = Api(AIRTABLE_TOKEN, endpoint_url=server.url).table(BASE, "Decisions")
    (record,) = table.all(formula=f"{{Title}}='{TITLE}'")
    table.update(record["id"], {"Approval": status, "Decided By": "RM-001", "Decision": f"{status} by RM-001."})


def proposed(copy) -> list[tuple]:
    with duckdb.connect(str(copy / "bqx_ops.duckdb"), read_only=True) as conn:
        return conn.execute("SELECT \"table\", key, field, value FROM assessment.proposed_updates WHERE quarter = "
                            "'Q2-2026' ORDER BY position").fetchall()


def fields_of(server, table: str, key_field: str) -> dict:
    return {r["fields"].get(key_field): r["fields"] for r in server.records(BASE, table)}


def test_request_approval_upserts_applied_once_and_the_check_green(loop, airtable_server, slack_server):
    copy, res, live, delivery = loop
    assert run(res, "approval_request").success
    report = deliver_all(copy, delivery)
    assert len(report.delivered) == 2  # the Decisions record and the Slack message
    (request,) = [r for r in airtable_server.records(BASE, "Decisions") if r["fields"]["Title"] == TITLE]
    assert "Approval" not in request["fields"] and "Q2-2026" in request["fields"]["Decision"]
    (message,) = slack_server.messages_in("#bqx-ml-operations")
    assert "RM-001" in message["text"] and "Q2-2026" in message["text"]

    # no answer yet, and the request is more than a week old: the sensor asks for one run, the check is red
    assert "approval:Q2-2026:unanswered" in sensor_run_keys(res)  # (older quarters were never requested here)
    result = run(res, "approval_outcome")
    assert result.success and not check(result).passed, check(result).metadata
    assert "Q2-2026 (unanswered after a week)" in check(result).description

    answer(airtable_server, "Approved")
    keys = [k for k in sensor_run_keys(res) if k.startswith("approval:Q2-2026:")]
    assert len(keys) == 1 and keys[0].startswith("approval:Q2-2026:Approved")
    result = run(res, "approval_outcome")
    assert not check(result).passed  # approved, not yet in Airtable, a week after the request
    before = len(airtable_server.requests_matching("PATCH"))
    deliver_all(copy, delivery)
    updates = proposed(copy)
    assert updates
    stages, plans = fields_of(airtable_server, "Stages", "Stage ID"), fields_of(airtable_server, "Plans", "Plan ID")
    for table, key, field, value in updates:
        held = (stages if table == "Stages" else plans)[key][field]
        assert held == pytest.approx(float(value))
    upserts = len(airtable_server.requests_matching("PATCH")) - before
    assert upserts == len({t for t, *_ in updates})  # one upsert per table (<= 10 records each)
    assert check(run(res, "approval_outcome")).passed

    # a retry of everything never duplicates the request, the message or an update
    assert run(res, "approval_request").success and run(res, "approval_outcome").success
    again = deliver_all(copy, delivery)
    assert again.delivered == [] and len(airtable_server.requests_matching("PATCH")) - before == upserts
    assert [r["fields"]["Title"] for r in airtable_server.records(BASE, "Decisions")].count(TITLE) == 1
    assert len(slack_server.messages_in("#bqx-ml-operations")) == 1


def test_a_rejection_is_recorded_and_reported_and_nothing_is_applied(loop, airtable_server, slack_server):
    copy, res, live, delivery = loop
    assert run(res, "approval_request").success
    deliver_all(copy, delivery)
    stages_before = fields_of(airtable_server, "Stages", "Stage ID")
    answer(airtable_server, "Rejected")
    result = run(res, "approval_outcome")
    assert check(result).passed  # a rejection is an answer: nothing is owed to Airtable
    deliver_all(copy, delivery)
    assert fields_of(airtable_server, "Stages", "Stage ID") == stages_before
    with duckdb.connect(str(copy / "bqx_ops.duckdb"), read_only=True) as conn:
        (status, by), = conn.execute("SELECT status, decided_by FROM assessment.approval_outcome").fetchall()
    assert (status, by) == ("Rejected", "RM-001")
    texts = [m["text"] for m in slack_server.messages_in("#bqx-ml-operations")]
    assert len(texts) == 2 and "rejected the 360 assessment Q2-2026" in texts[1]


@pytest.mark.parametrize("copy_answer, status", [("Rejected", "Pending"), (None, "Approved")],
                         ids=["copies answer differently", "one copy answers"])
def test_an_approval_request_copied_in_airtable_is_answered_by_its_copies_together(
        loop, airtable_server, copy_answer, status):
    """Round 7 hostile input: the request record duplicated in Airtable (the last listed copy was read)."""
    copy, res, _, delivery = loop
    assert run(res, "approval_request").success
    deliver_all(copy, delivery)
    table = Api(AIRTABLE_TOKEN, endpoint_url=airtable_server.url).table(BASE, "Decisions")
    (request,) = table.all(formula=f"{{Title}}='{TITLE}'")
    answer(airtable_server, "Approved")  # the request answered, then copied (Airtable's "duplicate record")
    fields = {k: v for k, v in table.get(request["id"])["fields"].items() if k != "Approval"}
    table.create({**fields, **({"Approval": copy_answer} if copy_answer else {})})
    assert run(res, "approval_outcome").success
    with duckdb.connect(str(copy / "bqx_ops.duckdb"), read_only=True) as conn:
        [(got, note, intents)] = conn.execute("SELECT status, note, intents FROM assessment.approval_outcome").fetchall()
    assert got == status, (got, note)
    if status == "Pending":  # Approved on one copy, Rejected on the other: neither applied, said
        assert note == ("the approval request is in Airtable 2 times, answered Approved and Rejected: which answer "
                        "holds cannot be told, neither is applied") and not intents
    else:
        assert "apply" in intents
