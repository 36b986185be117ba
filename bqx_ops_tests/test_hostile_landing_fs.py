"""Round 5: a hostile landing-zone file system (hostile_corpus_fs) through the real snapshot assets: a FIFO,
a dangling link, a link out of the zone, a 200 MB file, a half-written file, odd day folders. Each: the run
ends (no read waits forever, memory stays bounded), the table's last good copy stands in, and the
quarantine says why; CloudWatch day files likewise never reach DuckDB."""

import datetime as dt

import pytest

from bqx_ops.landing import Landing
from bqx_ops.resources.aws_sources import EmbeddedCloudWatchLogs
from bqx_ops_tests import hostile_corpus_fs as fs
from bqx_ops_tests.base_builder import minimal_base, write_snapshot
from bqx_ops_tests.test_snapshot_assets import materialize, query

MON, TUE = dt.date(2025, 8, 18), dt.date(2025, 8, 19)


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"


def test_every_hostile_file_of_a_snapshot_is_a_problem_with_its_reason_and_the_run_ends(data_dir):
    base = minimal_base()
    write_snapshot(data_dir, MON, base)
    write_snapshot(data_dir, TUE, base)
    landing = Landing(data_dir)
    for table, make, _ in fs.FS_CASES:
        make(landing.airtable_table(TUE, table))
    for name in fs.ODD_DAY_FOLDERS:
        folder = landing.root / "airtable" / name
        folder.symlink_to(landing.airtable_dir(TUE)) if name == "latest" else folder.mkdir()
    assert materialize(data_dir, MON, TUE).success
    reasons = dict(query(data_dir, f"SELECT table_name, reason FROM airtable.quarantine WHERE snapshot_date = '{TUE}' "
                                   "AND reason NOT LIKE '%is not a snapshot folder%'"))
    for table, _, why in fs.FS_CASES:
        assert reasons[table].startswith(f"snapshot problem: {table} could not be read (unreadable landing file "
                                         f"airtable/{TUE}/{table}.json: "), reasons[table]
        assert why in reasons[table], reasons[table]
        assert query(data_dir, f"SELECT count(*) FROM airtable.{table.lower()} WHERE snapshot_date = '{TUE}'") == [
            (len(base[table]),)]  # Monday's copy stands in
    strays = [r for (r,) in query(data_dir, f"SELECT reason FROM airtable.quarantine WHERE snapshot_date = '{TUE}' "
                                            "AND reason LIKE '%is not a snapshot folder%' ORDER BY 1")]
    assert len(strays) == len(fs.ODD_DAY_FOLDERS)
    assert all(any(f"airtable/{name} is not a snapshot folder" in r for r in strays) for name in fs.ODD_DAY_FOLDERS)
    assert query(data_dir, "SELECT DISTINCT snapshot_date::DATE FROM airtable.stages ORDER BY 1") == [(MON,), (TUE,)]


def test_a_cloudwatch_day_file_that_is_a_fifo_or_links_out_never_reaches_duckdb(tmp_path):
    landing, group = Landing(tmp_path), "/aws/lambda/api"
    day1, day2 = dt.date(2026, 3, 10), dt.date(2026, 3, 11)
    for day in (day1, day2):
        landing.cloudwatch_day(group, day).parent.mkdir(parents=True, exist_ok=True)
        landing.cloudwatch_day(group, day).write_text("[]")
    fs.make_fifo(landing.cloudwatch_day(group, day1))
    fs.make_link_outside(landing.cloudwatch_day(group, day2))
    source = EmbeddedCloudWatchLogs(data_dir=str(tmp_path), log_groups=[group])
    files, problems = source.files(dt.datetime(2026, 3, 10), dt.datetime(2026, 3, 12))
    assert files == []
    assert f"{group}: aws/cloudwatch/__aws__lambda__api/{day1}.json: not a regular file (a FIFO, socket or device); " \
           "not read" in problems
    assert f"{group}: aws/cloudwatch/__aws__lambda__api/{day2}.json: a symbolic link to a file outside the landing " \
           "zone; not read" in problems


def test_a_day_named_entry_that_is_no_folder_is_a_stray_entry_not_a_snapshot(tmp_path):
    landing = Landing(tmp_path)
    (landing.root / "airtable" / "2025-08-18").mkdir(parents=True)
    (landing.root / "airtable" / "2025-08-19").write_text("{}")  # a file
    fs.make_fifo(landing.root / "airtable" / "2025-08-20")
    fs.make_dangling(landing.root / "airtable" / "2025-08-21")
    assert landing.airtable_snapshot_dates() == [MON]
    assert landing.airtable_stray_entries() == ["2025-08-19", "2025-08-20", "2025-08-21"]
