"""Evaluate an expression in a fresh interpreter with another hash seed: output that depends on
set or dict iteration order, object ids or process state differs there."""

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def evaluate_elsewhere(imports: str, expression: str, hash_seed: int = 4242) -> str:
    code = f"import sys\n{imports}\nsys.stdout.write({expression})"
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, check=True)
    return done.stdout
