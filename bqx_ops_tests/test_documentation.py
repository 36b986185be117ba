"""Documentation that cannot drift from the code."""

import re
from pathlib import Path

from bqx_ops.base_schema import render_markdown

REPO = Path(__file__).resolve().parents[1]


def test_the_base_schema_document_is_generated_from_the_code():
    assert (REPO / "docs" / "base-schema.md").read_text() == render_markdown()


def test_every_environment_variable_the_code_reads_is_documented_in_the_readme():
    pattern = re.compile(r"""(?:EnvVar|environ\.get|_env|getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']""")
    used = {m for path in (REPO / "bqx_ops").rglob("*.py") for m in pattern.findall(path.read_text())}
    assert {"BQX_OPS_MODE", "AIRTABLE_API_KEY", "GITHUB_TOKEN", "SLACK_BOT_TOKEN"} <= used
    readme = (REPO / "README.md").read_text()
    assert sorted(v for v in used if f"`{v}`" not in readme) == []
