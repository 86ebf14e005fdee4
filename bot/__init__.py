"""copybot: an orchestrator-workers copywriting bot for Slack and the terminal."""

__version__ = "0.1.0"
