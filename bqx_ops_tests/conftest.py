pytest_plugins = ["bqx_ops_tests.servers.fixtures"]
