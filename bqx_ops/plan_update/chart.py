"""The R² trend as a Mermaid ``xychart-beta`` block, which GitHub renders in markdown."""

from __future__ import annotations

import datetime as dt
import math

from bqx_ops.plan_update.fmt import fixed

CHART_POINTS = 26  # the latest 26 ensemble evaluation days: about half a year of weekly results


def r2_chart(series: list[tuple[dt.date, float]], target_min: float, points: int = CHART_POINTS) -> str:
    """Two lines: the current ensemble R² at each evaluation day, and the target's lower bound."""
    series = [(day, value) for day, value in series if value is not None][-points:]
    if not series:
        return ""
    values = [float(fixed(v, 4)) for _, v in series]  # the figures' one rounding rule
    low = math.floor(min(min(values), target_min) * 20) / 20  # down to a multiple of 0.05
    high = max(1.0, math.ceil(max(values) * 20) / 20)
    labels = ", ".join(f'"{day.isoformat()}"' for day, _ in series)
    return "\n".join([
        "```mermaid",
        "xychart-beta",
        f'    title "Ensemble R2 (mean of the latest per horizon) and the {fixed(target_min, 2)} target"',
        f"    x-axis [{labels}]",
        f'    y-axis "R2" {low:.2f} --> {high:.2f}',
        f"    line [{', '.join(fixed(v, 4) for v in values)}]",
        f"    line [{', '.join(fixed(target_min, 4) for _ in values)}]",
        "```",
    ]) + "\n"
