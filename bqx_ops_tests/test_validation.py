"""Record validation: bad records go to quarantine with reasons, good ones proceed."""

import copy
import datetime as dt
import json

import pytest

from bqx_ops.schema_mapping import SchemaMapping
from bqx_ops.validation import parse_snapshot
from bqx_ops_tests.base_builder import edit, minimal_base, record

DAY = dt.date(2025, 8, 22)


def quarantine_reasons(base) -> dict[str, str]:
    parsed = parse_snapshot(DAY, base)
    return {q["record_id"]: q["reason"] for q in parsed.quarantine}


def test_a_valid_base_has_an_empty_quarantine_and_typed_rows():
    parsed = parse_snapshot(DAY, minimal_base())
    assert parsed.quarantine == []
    stage = next(r for r in parsed.rows["Stages"] if r["record_id"] == "recSTAGE000000001")
    assert stage["realized_cost"] == 25.0
    assert stage["phase_id"] == "recPHASE000000000"
    assert stage["completed_date"] == dt.date(2025, 8, 20)
    assert parsed.rows["Plans"][0]["horizons"] == "w15,w30"


@pytest.mark.parametrize(
    ("table", "rid", "fields", "reason"),
    [
        ("Stages", "recSTAGE000000003", {"Name": None}, "missing required field 'Name'"),
        ("Stages", "recSTAGE000000002", {"Estimated Cost": "fifty"}, "'Estimated Cost': expected a number"),
        ("Stages", "recSTAGE000000003", {"Status": "Blocked"}, "unknown option 'Blocked'"),
        ("Stages", "recSTAGE000000001", {"Realized Cost": -5}, "-5 is below the minimum 0"),
        ("Model Results", "recMODL0000000001", {"R2": 1.07}, "1.07 is above the maximum 1"),
        ("Stages", "recSTAGE000000003", {"Phase": ["recDOESNOTEXIST00"]}, "which does not exist in Phases"),
        ("Decisions", "recDECI0000000001", {"Date": "2025-13-45"}, "malformed date '2025-13-45'"),
        ("Tasks", "recTASK0000000001", {"Priority": "P5"}, "unknown option 'P5'"),
    ],
    ids=["missing-required", "wrong-type", "unknown-select", "negative-cost", "r2-above-1",
         "dangling-link", "malformed-date", "unknown-priority"],
)
def test_each_kind_of_bad_record_is_quarantined_with_its_reason(table, rid, fields, reason):
    base = edit(minimal_base(), table, rid, **{k.replace(" ", "_"): v for k, v in fields.items()})
    reasons = quarantine_reasons(base)
    assert list(reasons) == [rid]
    assert reason in reasons[rid]
    parsed = parse_snapshot(DAY, base)
    assert rid not in {r["record_id"] for r in parsed.rows[table]}
    # nothing lost: every other record of the table still proceeds
    assert len(parsed.rows[table]) == len(base[table]) - 1


def test_a_duplicate_record_id_keeps_the_first_and_quarantines_the_copy():
    base = minimal_base()
    copy_of_stage = copy.deepcopy(base["Stages"][0])
    copy_of_stage["fields"]["Name"] = "Impostor"
    base["Stages"].append(copy_of_stage)
    parsed = parse_snapshot(DAY, base)
    kept = [r for r in parsed.rows["Stages"] if r["record_id"] == "recSTAGE000000001"]
    assert [r["name"] for r in kept] == ["Repo setup"]
    [q] = parsed.quarantine
    assert "duplicate record id recSTAGE000000001" in q["reason"]
    assert json.loads(q["raw_json"])["fields"]["Name"] == "Impostor"  # the raw record is kept


def test_records_that_are_not_records_are_quarantined_not_crashed_on():
    base = minimal_base()
    base["Stages"] += ["just a string", {"id": 42, "fields": {}}, {"id": "recNOFIELDS000001"}]
    parsed = parse_snapshot(DAY, base)
    assert len(parsed.quarantine) == 3
    assert all("malformed record" in q["reason"] for q in parsed.quarantine)
    assert len(parsed.rows["Stages"]) == 3


def test_every_reason_of_a_record_is_reported_together():
    base = edit(minimal_base(), "Stages", "recSTAGE000000003", Status="Blocked", Estimated_Days=2.5)
    reason = quarantine_reasons(base)["recSTAGE000000003"]
    assert "unknown option 'Blocked'" in reason and "expected a whole number" in reason


def test_a_schema_mapping_reads_a_base_with_other_field_names():
    base = minimal_base()
    for rec in base["Stages"]:
        if "Realized Cost" in rec["fields"]:
            rec["fields"]["Actual Cost"] = rec["fields"].pop("Realized Cost")
    mapping = SchemaMapping(fields={"Stages": {"Realized Cost": "Actual Cost"}})
    parsed = parse_snapshot(DAY, base, mapping)
    assert parsed.rows["Stages"][0]["realized_cost"] == 25.0


def test_a_schema_mapping_gives_a_select_field_the_bases_own_options():
    base = minimal_base()
    base["Model Results"][0]["fields"]["Horizon"] = "d7"
    base["Plans"][0]["fields"]["Horizons"] = ["d7", "d14"]
    assert not parse_snapshot(DAY, base).quarantine  # horizons are an open select: the team's own
    mapping = SchemaMapping.from_data({"choices": {"Model Results": {"Horizon": ["d7", "d14"]},
                                                   "Plans": {"Horizons": ["d7", "d14"]}}})
    parsed = parse_snapshot(DAY, base, mapping)
    assert not parsed.quarantine and parsed.rows["Model Results"][0]["horizon"] == "d7"
    base["Model Results"][0]["fields"]["Horizon"] = "w15"  # closed on the base's own list by the map
    assert "unknown option 'w15'" in parse_snapshot(DAY, base, mapping).quarantine[0]["reason"]
    with pytest.raises(ValueError, match="Plans.Name is not a select field"):
        SchemaMapping.from_data({"choices": {"Plans": {"Name": ["x"]}}})


def test_people_horizons_and_models_are_the_teams_own_options_never_unsafe_ones():
    """Another team's owners, horizons and models read as they are (open selects); an option that is
    empty, multi-line or carries a control character is quarantined with its reason."""
    base = minimal_base()
    base["Stages"][0]["fields"]["Owner"] = "Zoé (Prévisions)"
    base["Model Results"][0]["fields"].update({"Horizon": "h24", "Model": "Stacked GBM"})
    base["Plans"][0]["fields"]["Horizons"] = ["h1", "h24"]
    parsed = parse_snapshot(DAY, base)
    assert not parsed.quarantine
    assert parsed.rows["Stages"][0]["owner"] == "Zoé (Prévisions)" and parsed.rows["Plans"][0]["horizons"] == "h1,h24"
    for bad, reason in (("  ", "empty option"), ("two\nlines", "a line break"), ("nul\x00", "a control character")):
        hostile = minimal_base()
        hostile["Stages"][0]["fields"]["Owner"] = bad
        [row] = parse_snapshot(DAY, hostile).quarantine
        assert reason in row["reason"], (bad, row["reason"])
    hostile = minimal_base()
    hostile["Plans"][0]["fields"]["Horizons"] = ["h1,h2"]
    assert "contains a comma" in parse_snapshot(DAY, hostile).quarantine[0]["reason"]


def test_a_schema_mapping_reads_the_bases_own_options_as_ours_and_writes_them_back():
    """A base whose stages are "Not started" / "Doing" / "Complete": a Complete stage counts as Done."""
    base = minimal_base()
    own = {"Todo": "Not started", "In Progress": "Doing", "Done": "Complete"}
    for rec in base["Stages"]:
        rec["fields"]["Status"] = own[rec["fields"]["Status"]]
    assert parse_snapshot(DAY, base).quarantine  # read as ours, "Complete" is no option
    options = {"Stages": {"Status": {"Not started": "Todo", "Doing": "In Progress", "Complete": "Done",
                                     "Finished": "Done"}}}
    mapping = SchemaMapping.from_data({"options": options})
    parsed = parse_snapshot(DAY, base, mapping)
    assert not parsed.quarantine
    assert [r["status"] for r in parsed.rows["Stages"]] == [
        {v: k for k, v in own.items()}[r["fields"]["Status"]] for r in base["Stages"]]
    # written back: our option becomes the first base option named for it, names and other values kept
    assert mapping.to_real_fields("Stages", {"Status": "Done", "Name": "Done"}) == {"Status": "Complete", "Name": "Done"}
    base["Stages"][0]["fields"]["Status"] = "Blocked"  # an option the map does not name: validated as usual
    assert "unknown option 'Blocked'" in parse_snapshot(DAY, base, mapping).quarantine[0]["reason"]


@pytest.mark.parametrize(("data", "message"), [
    ({"options": {"Stages": {"Name": {"a": "b"}}}}, "options: Stages.Name is not a select field"),
    ({"options": {"Stages": {"Status": {"Complete": "Finished"}}}}, "'Finished' is not one of Todo, In Progress, Done"),
    ({"option": {"Stages": {}}}, "expected the keys tables, fields, choices, options"),
])
def test_a_schema_mapping_that_cannot_be_right_is_refused(data, message):
    with pytest.raises(ValueError, match=message):
        SchemaMapping.from_data(data)


def test_a_record_created_after_a_link_target_was_removed_is_quarantined():
    base = minimal_base()
    base["Phases"] = [r for r in base["Phases"] if r["id"] != "recPHASE000000001"]
    base["Phases"].append(record("recPHASE000000009", {
        "Phase ID": "P9", "Number": 9, "Name": "Later", "Plan": ["recPLAN0000000001"], "Status": "Todo"}))
    reasons = quarantine_reasons(base)
    assert set(reasons) == {"recSTAGE000000002", "recSTAGE000000003"}


# -- links name one record, every id is checked; recorded dates are not in the future (hostile audit #6, #11)
def test_several_linked_ids_are_quarantined_and_each_is_checked():
    base = edit(minimal_base(), "Stages", "recSTAGE000000003", Phase=["recPHASE000000001", "recPHASE000000000"])
    assert "'Phase': links to 2 records (recPHASE000000001, recPHASE000000000), but it must link to one" in \
        quarantine_reasons(base)["recSTAGE000000003"]
    base = edit(minimal_base(), "Stages", "recSTAGE000000003", Phase=["recPHASE000000000", "recNOPE0000000000"])
    assert "'Phase' links to recNOPE0000000000, which does not exist in Phases" in \
        quarantine_reasons(base)["recSTAGE000000003"]


def test_a_recorded_date_far_after_the_snapshot_is_quarantined_but_a_planned_one_is_not():
    later = (DAY + dt.timedelta(days=30)).isoformat()
    base = edit(minimal_base(), "Model Results", "recMODL0000000001", Evaluated_On=later)
    assert f"'Evaluated On' {later} is after the snapshot's day {DAY}" in quarantine_reasons(base)["recMODL0000000001"]
    base = edit(minimal_base(), "Stages", "recSTAGE000000003", Start_Date=later)  # a planned start: fine
    assert quarantine_reasons(base) == {}


def test_an_empty_record_id_is_malformed():
    base = minimal_base()
    base["Stages"].append(dict(copy.deepcopy(base["Stages"][0]), id=""))
    assert quarantine_reasons(base) == {"": "malformed record: expected {id, createdTime, fields}"}


def test_snapshots_validated_with_the_records_already_known_give_what_each_gives_alone():
    """A run validates every snapshot's records once per distinct content (``known``): each snapshot still
    gets its own result, its recorded dates checked against its own day, reasons in the same order."""
    later = (DAY + dt.timedelta(days=30)).isoformat()
    bases = [
        edit(minimal_base(), "Model Results", "recMODL0000000001", Evaluated_On=later),  # ahead of DAY
        edit(minimal_base(), "Plans", "recPLAN0000000001", Estimated_Days_Min=90, Estimated_Budget=650.0),
        edit(minimal_base(), "Stages", "recSTAGE000000001", Realized_Cost="25", Completed_Date=later),
        edit(minimal_base(), "Model Results", "recMODL0000000001", Evaluated_On=later, R2=1.5),
        # a wrong type, a recorded date ahead of the day and a span the wrong way round: three reasons, in order
        edit(minimal_base(), "Phases", "recPHASE000000000", Number="0", End_Date=later,
             Start_Date=(DAY + dt.timedelta(days=40)).isoformat()),
    ]
    days = [DAY, DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=30), DAY + dt.timedelta(days=2), DAY]
    known: dict = {}
    for _ in range(2):  # the second time round every record is known
        for day, base in zip(days, bases):
            alone, together = parse_snapshot(day, base), parse_snapshot(day, base, known=known)
            assert together.rows == alone.rows and together.quarantine == alone.quarantine
    records = sum(len(base[t]) for base in bases for t in base)
    assert len(known) < records / 2  # each distinct record validated once
    # the same fields checked against each snapshot's own day: quarantined at DAY, not 30 days on
    reasons = {day: {q["record_id"] for q in parse_snapshot(day, bases[0], known=known).quarantine}
               for day in (DAY, DAY + dt.timedelta(days=30))}
    assert reasons == {DAY: {"recMODL0000000001"}, DAY + dt.timedelta(days=30): set()}
    # reasons in the order the record's checks run: its fields, its recorded dates, then its spans
    quarantine = parse_snapshot(DAY, bases[4], known=known).quarantine
    [phase] = [q for q in quarantine if q["record_id"] == "recPHASE000000000"]
    assert [r.split(" ")[0] for r in phase["reason"].split("; ")] == ["'Number':", "'End", "'Start"]
