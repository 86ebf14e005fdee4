"""Copy formats with hard character limits: the presets, custom formats files, and the check of a reply's fields.

A format is a name, a one-line description and fields, each with a name (also its tag in a worker's reply), a
count and a character limit. A field's length is `len()` of its NFC-normalised, trimmed text: what an ad
platform counts. Presets ship in data/formats.toml; COPYBOT_FORMATS_FILE adds a team's own, same schema.
"""

from __future__ import annotations

import html
import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from bot.errors import ConfigError, RequestError

MAX_CHARS = 3000  # the longest limit a field may have (and `max_chars: N`)
MAX_FIELDS = 10  # field instances in one format
_FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_FORMAT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


@dataclass(frozen=True)
class Field:
    name: str
    count: int
    limit: int

    def label(self, index: int) -> str:
        """`headline 2` (`text` when the field appears once)."""
        name = self.name.replace("_", " ")
        return f"{name} {index}" if self.count > 1 else name


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    fields: tuple[Field, ...]
    source: str = ""

    def slots(self) -> Iterator[tuple[Field, int]]:
        """Every field instance, in order: (field, its 1-based index)."""
        for field in self.fields:
            for index in range(1, field.count + 1):
                yield field, index

    def summary(self) -> str:
        """`3 headlines of at most 30 characters each, 2 descriptions of at most 90 characters each`."""
        parts = [
            f"{f.count} {f.name.replace('_', ' ')}s of at most {f.limit:,} characters each"
            if f.count > 1
            else f"{f.name.replace('_', ' ')} of at most {f.limit:,} characters"
            for f in self.fields
        ]
        return ", ".join(parts)


def to_dict(fmt: Format) -> dict[str, Any]:
    """A format as stored with a run (so history shows its limits even after a custom file changes)."""
    fields = [{"name": f.name, "count": f.count, "limit": f.limit} for f in fmt.fields]
    return {"name": fmt.name, "description": fmt.description, "source": fmt.source, "fields": fields}


def from_dict(data: Mapping[str, Any]) -> Format:
    fields = tuple(Field(str(f["name"]), int(f["count"]), int(f["limit"])) for f in data["fields"])
    return Format(str(data["name"]), str(data["description"]), fields, str(data.get("source", "")))


def max_chars(limit: int) -> Format:
    """`max_chars: N`: one field `text` of at most N characters."""
    if not 1 <= limit <= MAX_CHARS:
        raise RequestError(f"max_chars {limit} is out of range.", hint=f"Use 1-{MAX_CHARS:,}.")
    return Format(f"max-chars-{limit}", f"Copy of at most {limit:,} characters", (Field("text", 1, limit),))


def parse_formats(data: Mapping[str, Any], where: str) -> dict[str, Format]:
    """Formats from a parsed TOML table; ConfigError naming `where` and the bad entry."""
    found: dict[str, Format] = {}
    for name, entry in data.items():
        problem = _problem(name, entry)
        if problem:
            raise ConfigError(f"{where}: format {name!r} {problem}.", hint='See README.md, section "Formats".')
        fields = tuple(Field(f["name"], int(f.get("count", 1)), int(f["limit"])) for f in entry["fields"])
        found[name] = Format(name, str(entry["description"]), fields, str(entry.get("source", "")))
    return found


def _problem(name: str, entry: Any) -> str:
    if not _FORMAT_NAME.fullmatch(name):
        return "has a name that is not lowercase letters, digits and dashes"
    if not isinstance(entry, dict) or not isinstance(entry.get("description"), str) or not entry["description"]:
        return "needs a description (text)"
    fields = entry.get("fields")
    if not isinstance(fields, list) or not fields:
        return "needs fields: a list of {name, count, limit}"
    names, instances = set(), 0
    for field in fields:
        if not isinstance(field, dict) or not _FIELD_NAME.fullmatch(str(field.get("name", ""))):
            return "has a field without a name of lowercase letters, digits and _ (it is a tag in the reply)"
        count, limit = field.get("count", 1), field.get("limit")
        if not isinstance(count, int) or not 1 <= count <= MAX_FIELDS:
            return f"field {field['name']!r} needs a count of 1-{MAX_FIELDS}"
        if not isinstance(limit, int) or not 1 <= limit <= MAX_CHARS:
            return f"field {field['name']!r} needs a limit of 1-{MAX_CHARS} characters"
        if field["name"] in names:
            return f"names field {field['name']!r} twice"
        names.add(field["name"])
        instances += count
    if instances > MAX_FIELDS:
        return f"has {instances} field instances; at most {MAX_FIELDS}"
    return ""


def presets() -> dict[str, Format]:
    source = resources.files("bot.workflow").joinpath("data/formats.toml").read_text(encoding="utf-8")
    return parse_formats(tomllib.loads(source), "the preset formats")


def load_formats(path: str) -> dict[str, Format]:
    """The presets plus the formats of the file at `path` (a custom one may replace a preset of its name)."""
    formats = presets()
    if not path:
        return formats
    where = f"COPYBOT_FORMATS_FILE ({path})"
    try:
        data = tomllib.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{where} cannot be read: {exc.strerror}.", hint="Point it at a TOML file.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where} is not valid TOML: {exc}.", hint='See README.md, section "Formats".') from None
    return formats | parse_formats(data, where)


def find(formats: Mapping[str, Format], name: str) -> Format:
    """The format called `name`; a RequestError listing the known ones otherwise."""
    found = formats.get(name.strip().lower())
    if found is None:
        raise RequestError(f"There is no format {name!r}.", hint=f"Known formats: {', '.join(sorted(formats))}.")
    return found


def choose(formats: Mapping[str, Format], name: str = "", limit: int | None = None) -> Format | None:
    """The format a request names (`format: NAME`) or limits (`max_chars: N`); None for free copy."""
    if name and limit is not None:
        raise RequestError("Give a format or max_chars, not both.", hint="max_chars is a one-field format of its own.")
    if name:
        return find(formats, name)
    return None if limit is None else max_chars(limit)


@dataclass(frozen=True)
class FieldText:
    """One field instance of a written variation."""

    name: str
    index: int
    label: str
    text: str
    limit: int

    def to_dict(self) -> dict[str, Any]:
        """As shown (`--json`) and stored: name, index, label, text, chars, limit."""
        return {
            "name": self.name,
            "index": self.index,
            "label": self.label,
            "text": self.text,
            "chars": self.chars,
            "limit": self.limit,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FieldText:
        return cls(str(data["name"]), int(data["index"]), str(data["label"]), str(data["text"]), int(data["limit"]))

    @property
    def chars(self) -> int:
        return len(unicodedata.normalize("NFC", self.text.strip()))

    @property
    def over(self) -> bool:
        return self.chars > self.limit


def read_fields(copy: str, fmt: Format) -> tuple[tuple[FieldText, ...], tuple[str, ...]]:
    """The fields of a reply's copy (the inside of `<response>`), and each problem: missing, extra, empty or
    over its limit, worded for the rewrite prompt and the reader (`headline 2: 37 characters, limit 30`)."""
    fields: list[FieldText] = []
    problems: list[str] = []
    for field in fmt.fields:
        pattern = re.compile(rf"<\s*{field.name}\s*>(.*?)<\s*/\s*{field.name}\s*>", re.IGNORECASE | re.DOTALL)
        found = [html.unescape(m.group(1)).strip() for m in pattern.finditer(copy)]
        if len(found) > field.count:
            problems.append(f"{field.name.replace('_', ' ')}: {len(found)} given, {field.count} wanted")
        for index in range(1, field.count + 1):
            label = field.label(index)
            if index > len(found):
                problems.append(f"{label}: missing")
                continue
            text = FieldText(field.name, index, label, found[index - 1], field.limit)
            fields.append(text)
            if not text.chars:
                problems.append(f"{label}: empty")
            elif text.over:
                problems.append(f"{label}: {text.chars} characters, limit {field.limit}")
    return tuple(fields), tuple(problems)
