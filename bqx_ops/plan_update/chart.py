"""The R² trend as a Mermaid ``xychart-beta`` block, which GitHub renders in markdown."""

from __future__ import annotations

import datetime as dt
import math

CHART_POINTS = 26  # the latest 26 ensemble evaluation days: about half a year of weekly results


def r2_chart(series: list[tuple[dt.date, float]], target_min: float, points: int = CHART_POINTS) -> str:
    """Two lines: the current ensemble R² at each evaluation day, and the target's lower bound."""
    series = [(day, value) for day, value in series if value is not None][-points:]
    if not series:
        return ""
    values = [round(v, 4) for _, v in series]
    low = math.floor(min(min(values), target_min) * 20) / 20  # down to a multiple of 0.05
    high = max(1.0, math.ceil(max(values) * 20) / 20)
    labels = ", ".join(f'"{day.isoformat()}"' for day, _ in series)
    return "\n".join([
        "```mermaid",
        "xychart-beta",
        f'    title "Ensemble R2 (mean of the latest per horizon) and the {target_min:.2f} target"',
        f"    x-axis [{labels}]",
        f'    y-axis "R2" {low:.2f} --> {high:.2f}',
        f"    line [{', '.join(f'{v:.4f}' for v in values)}]",
        f"    line [{', '.join(f'{target_min:.4f}' for _ in values)}]",
        "```",
    ]) + "\n"
