"""The Dagster side of bqx_ops: one package per domain (assets, checks, schedules, sensors)."""

import warnings

# Loading the code location must print nothing. Three notices of Dagster 1.13 are about features it
# still labels beta, used deliberately, so they are silenced here and nowhere else:
# - every partitioned asset backfills as one run (BackfillPolicy.single_run), one notice per asset;
# - Dagster itself passes `owners` when it copies a sensor while building the repository;
# - the plan-update and snapshot checks are partitioned like their weeks and days (AssetCheckSpec
#   partitions_def, preview), so each period of a single-run backfill is judged on its own partition.
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy` of function `(multi_)?asset`")
warnings.filterwarnings("ignore", message=r"Parameter `owners` of initializer `SensorDefinition.__init__`")
warnings.filterwarnings("ignore", message=r"Specifying a partitions_def on an AssetCheckSpec")
