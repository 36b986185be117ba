"""The Dagster side of bqx_ops: one package per domain (assets, checks, schedules, sensors)."""

import warnings

# Loading the code location must print nothing. Two notices of Dagster 1.13 are about features it
# still labels beta, used deliberately, so they are silenced here and nowhere else:
# - every partitioned asset backfills as one run (BackfillPolicy.single_run), one notice per asset;
# - Dagster itself passes `owners` when it copies a sensor while building the repository.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` of function `(multi_)?asset`")
warnings.filterwarnings("ignore", message=r"Parameter `owners` of initializer `SensorDefinition.__init__`")
