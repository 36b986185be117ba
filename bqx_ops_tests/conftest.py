pytest_plugins = ["bqx_ops_tests.servers.fixtures", "bqx_ops_tests.assessment_runs"]

# The longest modules first (pyproject: --dist loadfile --no-loadscope-reorder keeps this order):
# two workers then finish together instead of one waiting on a long module handed out last.
# Measured with `pytest --durations=0` (a module's setup + calls); a module not named keeps its
# place after these.
LONGEST_FIRST = (
    "test_crash_recovery.py", "test_deploy_smoke.py", "test_warehouse_ducklake.py", "test_other_team.py", "test_third_team.py", "test_live_team.py",
    "test_demo_replay.py", "test_hostile_airtable.py", "test_cli_demo.py", "test_plan_backfill.py",
    "test_assessment_sample.py", "test_snapshot_assets.py", "test_review_backfill.py", "test_docs_full_sample.py",
    "test_plan_carried_and_stale.py", "test_assessment_audit_sample.py", "test_docs_sync.py", "test_hostile_demo.py",
    "test_docs_drift.py", "test_warehouse_ducklake_assets.py", "test_unresolved_escalation.py",
    "test_dashboard_sample.py", "test_plan_week.py", "test_frames.py", "test_assessment_approval.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
