"""Nothing outside bqx_ops/sample/ (and the sample's configuration) names the sample: its plan,
record ids, names, dates or figures. The identifiers are collected from the sample itself."""

import datetime as dt
import re
from pathlib import Path

import yaml

import bqx_ops
from bqx_ops import config
from bqx_ops.sample import generator
from bqx_ops.sample.timeline import LOG_GROUPS, SAMPLE_END, SAMPLE_REPO, SAMPLE_START

PACKAGE = Path(bqx_ops.__file__).parent
SAMPLE_DIR = PACKAGE / "sample"


def sample_identifiers() -> dict[str, re.Pattern]:
    """What would betray the sample, from the sample module and its configuration."""
    cfg = yaml.safe_load(config.SAMPLE_CONFIG.read_text())
    record_ids = {r.id for r in generator.build_base().records}
    words = {*record_ids, cfg["project"]["plan_id"], cfg["project"]["name"], cfg["github_repo"], SAMPLE_REPO,
             cfg["slack"]["channel"], cfg["docs_repo"]["dir_name"], *LOG_GROUPS}
    patterns = {w: re.compile(re.escape(w), re.IGNORECASE) for w in words if w}
    patterns["BQX"] = re.compile(r"\bBQX\b")
    for day in (SAMPLE_START, SAMPLE_END, dt.date.fromisoformat(str(cfg["start_date"]))):
        patterns[day.isoformat()] = re.compile(re.escape(day.isoformat()) + "|" + re.escape(f"{day.year}, {day.month}, {day.day}"))
    t = cfg["targets"]
    patterns["budget"] = re.compile(rf"(?<![\d.]){t['budget']:g}(?:\.0)?(?![\d.])")
    patterns["days band"] = re.compile(rf"\b{t['days_min']}\s*[-–]\s*{t['days_max']}\b|\b{t['days_min']}\b.*\b{t['days_max']}\b")
    patterns["R² band"] = re.compile(rf"(?<![\d.]){t['r2_min']}(?![\d])|(?<![\d.]){t['r2_max']}(?![\d])")
    patterns["cost ceiling"] = re.compile(rf"(?:\$|<\s*|below\(.*)\s*{cfg['cost_budget_per_month']:g}\b")
    return patterns


def package_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix in (".py", ".yaml", ".yml", ".md")
                  and SAMPLE_DIR not in p.parents and "__pycache__" not in p.parts)


def test_no_file_of_the_package_outside_the_sample_names_the_sample():
    patterns = sample_identifiers()
    found = []
    for path in package_files():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for name, pattern in patterns.items():
                if pattern.search(line):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {name}: {line.strip()[:120]}")
    assert not found, "sample identifiers outside bqx_ops/sample/:\n" + "\n".join(found)


def test_the_sweep_can_see_the_sample_names():
    """The patterns do find the sample's own identifiers in the sample (a sweep that cannot fail proves nothing)."""
    patterns = sample_identifiers()
    ids = "\n".join(r.id for r in generator.build_base().records)
    text = "\n".join([config.SAMPLE_CONFIG.read_text(), (SAMPLE_DIR / "timeline.py").read_text(), ids,
                      "R² > 0.95, $650, 71-85 days, < $500"])
    missing = [name for name, pattern in patterns.items() if not pattern.search(text)]
    assert not missing
