"""Fake servers speaking the real wire formats of Anthropic, Slack and OpenAI-compatible APIs."""
