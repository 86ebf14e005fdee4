"""The layers' import rules (DESIGN.md): adapters -> services -> workflow; storage -> workflow's types.

Checked two ways: statically, every `import` in each package's source (so a rule cannot hide behind a lazy
import), and at run time, the modules that importing a layer really loads.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SDKS = ("slack_sdk", "slack_bolt", "sqlalchemy", "aiosqlite", "asyncpg", "alembic")


def imports(package: str) -> dict[str, set[str]]:
    """Every module each source file of `package` (a path under the root) imports, lazily or not."""
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def violations(package: str, allowed: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    """Imports of copybot's own modules outside `allowed`, and of any module under `forbidden`."""
    ours = ("bot", "storage", "prompts")
    bad = []
    for path, names in sorted(imports(package).items()):
        for name in sorted(names):
            own = name.split(".")[0] in ours and name != "bot"  # `bot` itself holds only __version__
            under = lambda prefixes, n=name: any(n == p or n.startswith(p + ".") for p in prefixes)  # noqa: E731
            if (own and not under(allowed)) or under(forbidden):
                bad.append(f"{path}: {name}")
    return bad


@pytest.mark.parametrize(
    ("package", "allowed", "forbidden"),
    [
        # the core: itself, the error tree and the prompt files; never Slack or a database
        ("bot/workflow", ("bot.workflow", "bot.errors", "prompts"), SDKS),
        # storage: the workflow's domain types and the error tree; never the application or an adapter
        (
            "storage",
            (
                "storage",
                "bot.workflow.types",
                "bot.workflow.records",
                "bot.workflow.formats",
                "bot.workflow.voice",
                "bot.errors",
            ),
            ("slack_sdk", "slack_bolt"),
        ),
        # the Slack adapter: the services and the core's types; never storage or a provider
        (
            "bot/slack",
            (
                "bot.slack",
                "bot.services",
                "bot.workflow.types",
                "bot.workflow.records",
                "bot.workflow.formats",
                "bot.workflow.voice",
                "bot.config",
                "bot.errors",
            ),
            ("anthropic", "llama_cpp", "sqlalchemy"),
        ),
        # the application services: the core and storage (the only callers of storage)
        (
            "bot/services",
            ("bot.services", "bot.workflow", "bot.errors", "bot.logs", "storage"),
            ("slack_sdk", "slack_bolt"),
        ),
        # the commands and the console: the composition root, the services and the core's types
        (
            "bot/commands",
            (
                "bot.commands",
                "bot.app",
                "bot.services",
                "bot.console",
                "bot.terminal",
                "bot.process",
                "bot.slack",
                "bot.config",
                "bot.errors",
                "bot.workflow.types",
                "bot.workflow.records",
                "bot.workflow.formats",
                "bot.workflow.voice",
            ),
            ("sqlalchemy", "anthropic"),
        ),
    ],
)
def test_each_layer_imports_only_what_it_may(
    package: str, allowed: tuple[str, ...], forbidden: tuple[str, ...]
) -> None:
    assert violations(package, allowed, forbidden) == []


def test_benchmarks_use_the_test_support_package_never_test_modules() -> None:
    used = {name for names in imports("bench").values() for name in names if name.split(".")[0] == "tests"}
    assert used and all(name.startswith("tests.support.") for name in used), used


def test_the_checker_sees_a_violation() -> None:
    """The rules above can fail: storage imports the workflow's types, which the core's rule does not allow."""
    assert violations("storage", ("storage",), ()) != []


def loaded_after(statement: str) -> set[str]:
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(result.stdout))


def test_importing_the_workflow_loads_no_slack_or_database_module() -> None:
    modules = loaded_after("import bot.workflow, bot.workflow.llm.anthropic, bot.workflow.llm.builtin")
    assert "bot.workflow.orchestrator" in modules and "anthropic" in modules  # the probe does see imports
    leaked = sorted(m for m in modules if m.split(".")[0] in (*SDKS, "storage") or m.startswith("bot.slack"))
    assert leaked == []


def test_importing_the_slack_adapter_loads_no_storage_and_no_provider() -> None:
    modules = loaded_after("import bot.slack.server, bot.slack.app")
    assert "slack_bolt" in modules
    leaked = sorted(m for m in modules if m.split(".")[0] in ("storage", "sqlalchemy", "anthropic", "llama_cpp"))
    assert leaked == []


def test_only_serve_loads_the_metrics_library() -> None:
    """prometheus_client costs ~50 ms of start-up: the terminal's commands never import it; `copybot serve` does."""
    modules = loaded_after("import bot.app, bot.cli, bot.commands.run, bot.commands.history, bot.commands.stats")
    assert "bot.app" in modules and "prometheus_client" not in modules
    assert "prometheus_client" in loaded_after("import bot.slack.server")
