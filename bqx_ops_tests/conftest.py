pytest_plugins = ["bqx_ops_tests.servers.fixtures", "bqx_ops_tests.assessment_runs"]
