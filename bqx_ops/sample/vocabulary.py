"""The sample team's own select options: its people, horizons and models (open selects in
``base_schema``: another team's base has its own)."""

AGENTS = ("COORD-001", "QA-001", "ARCH-001", "RM-001", "ML-001", "DATA-001", "INFRA-001")
HORIZONS = ("w15", "w30", "w45", "w60", "w75", "w90")
MODELS = ("LSTM", "XGBoost", "Transformer", "Ensemble")
