"""Prompt templates: the only place prompt prose lives.

Templates are Markdown files beside this module with `{{name}}` placeholders.
Rendering is strict and single-pass: every placeholder must be given, every
value given must be used, and values are inserted as data: braces, `$` or
markup inside a value are never read as template syntax.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from bot.errors import PromptError

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@dataclass(frozen=True)
class Template:
    name: str
    source: str

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(_PLACEHOLDER.findall(self.source))

    def render(self, **values: str) -> str:
        missing = self.variables - values.keys()
        if missing:
            raise PromptError(f"Prompt {self.name!r} needs {', '.join(sorted(missing))}, which were not given.")
        unused = values.keys() - self.variables
        if unused:
            raise PromptError(f"Prompt {self.name!r} has no place for {', '.join(sorted(unused))}.")
        return _PLACEHOLDER.sub(lambda m: values[m.group(1)], self.source)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@cache
def load(name: str) -> Template:
    """Load prompts/<name>.md; raise PromptError if it is not there."""
    try:
        source = resources.files(__name__).joinpath(f"{name}.md").read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PromptError(f"Prompt file {name}.md is missing from the prompts package.") from None
    return Template(name=name, source=source)
