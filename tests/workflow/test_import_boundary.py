"""The workflow core imports neither Slack nor the database layer."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("slack_sdk", "slack_bolt", "sqlalchemy", "aiosqlite", "asyncpg", "alembic", "storage")


def loaded_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(result.stdout))


def test_importing_the_workflow_loads_no_slack_or_database_module() -> None:
    modules = loaded_after("import bot.workflow, bot.workflow.llm.anthropic, bot.workflow.llm.select")
    assert "bot.workflow.orchestrator" in modules and "anthropic" in modules  # the probe does see imports
    leaked = sorted(m for m in modules if m.split(".")[0] in FORBIDDEN or m.startswith("bot.slack"))
    assert leaked == []
