"""Offline copy meets a format's limits by construction: the worker grammar emits exactly its field tags."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: pip install -e '.[local]'")


@pytest.mark.slow
async def test_google_ads_on_the_bundled_model_fits_every_limit(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COPYBOT_", "ANTHROPIC_", "OPENAI_"))}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'copybot.db'}"
    argv = ("run", "eco-friendly water bottle", "--format", "google-ads", "--variations", "2", "--json")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *argv, env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode == 0, err.decode()
    variations = json.loads(out)["variations"]
    assert len(variations) == 2
    for variation in variations:
        fields = [(f["name"], f["chars"], f["limit"]) for f in variation["fields"]]
        assert [name for name, _, _ in fields] == ["headline"] * 3 + ["description"] * 2, variation
        assert all(0 < chars <= limit for _, chars, limit in fields), variation
        assert variation["status"] == "done" and variation["over_limit"] == []
