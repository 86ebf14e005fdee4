"""Language model providers behind one protocol (see base.py)."""

from bot.workflow.llm.base import LLM, Completion, Prompt, TextSink

__all__ = ["LLM", "Completion", "Prompt", "TextSink"]
