"""The sample team's own select options: its horizons and models (open selects in ``base_schema``:
another team's base has its own; its people are the roles of its bqx_ops.yaml)."""

from bqx_ops.base_schema import ENSEMBLE

HORIZONS = ("w15", "w30", "w45", "w60", "w75", "w90")
MODELS = ("LSTM", "XGBoost", "Transformer", ENSEMBLE)
