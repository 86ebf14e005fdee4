"""Formats are data: the presets, custom files (validated, naming the bad entry), and the check of a reply's fields."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bot.errors import ConfigError, RequestError
from bot.workflow.formats import choose, find, load_formats, max_chars, presets, read_fields
from bot.workflow.prompting import orchestrator_prompt, worker_prompt
from bot.workflow.types import CopyRequest, Subtask

PRESETS = {
    "tweet": [("text", 1, 280)],
    "linkedin": [("text", 1, 3000)],
    "google-ads": [("headline", 3, 30), ("description", 2, 90)],
    "meta": [("title", 1, 60), ("description", 1, 155)],
    "email": [("subject", 1, 60), ("preview", 1, 90), ("body", 1, 1500)],
    "sms": [("text", 1, 160)],
    "push": [("title", 1, 50), ("body", 1, 150)],
    "app-store": [("subtitle", 1, 30), ("promotional_text", 1, 170)],
}


def test_the_presets_are_the_documented_ones_each_with_a_source() -> None:
    found = presets()
    assert {name: [(f.name, f.count, f.limit) for f in fmt.fields] for name, fmt in found.items()} == PRESETS
    assert all(fmt.description and fmt.source for fmt in found.values())


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_presets_worker_prompt_carries_its_fields_and_limits(name: str) -> None:
    fmt = presets()[name]
    request = CopyRequest("kettle", format=fmt)
    text = worker_prompt(request, Subtask(1, "playful", "Make them smile.")).text
    for field, index in fmt.slots():
        assert f"{field.label(index)}: at most {field.limit:,} characters" in text
        assert f"<{field.name}>{field.label(index)}</{field.name}>" in text
    assert fmt.summary() in orchestrator_prompt(request).text


def test_free_copy_prompts_say_nothing_of_formats() -> None:
    text = worker_prompt(CopyRequest("kettle"), Subtask(1, "playful", "x")).text
    assert "<format>" not in text and "Keep it under 250 words" in text
    assert "<format>not specified</format>" in orchestrator_prompt(CopyRequest("kettle")).text


def test_a_custom_file_adds_formats_and_may_replace_a_preset(tmp_path: Path) -> None:
    path = tmp_path / "formats.toml"
    path.write_text(
        '[banner]\ndescription = "A web banner"\nfields = [{ name = "headline", limit = 25 }, '
        '{ name = "cta", count = 1, limit = 15 }]\n\n[tweet]\ndescription = "Short tweet"\n'
        'fields = [{ name = "text", count = 1, limit = 140 }]\n'
    )
    formats = load_formats(str(path))
    assert [(f.name, f.count, f.limit) for f in formats["banner"].fields] == [("headline", 1, 25), ("cta", 1, 15)]
    assert formats["tweet"].fields[0].limit == 140 and "google-ads" in formats


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        ('[banner]\nfields = [{ name = "headline", limit = 25 }]\n', "format 'banner' needs a description"),
        ('[banner]\ndescription = "x"\n', "format 'banner' needs fields"),
        ('[banner]\ndescription = "x"\nfields = [{ name = "Head Line", limit = 25 }]\n', "without a name"),
        ('[banner]\ndescription = "x"\nfields = [{ name = "h", limit = 0 }]\n', "field 'h' needs a limit of 1-3000"),
        ('[banner]\ndescription = "x"\nfields = [{ name = "h", limit = 5000 }]\n', "limit of 1-3000"),
        ('[banner]\ndescription = "x"\nfields = [{ name = "h", count = 0, limit = 5 }]\n', "count of 1-10"),
        ('[banner]\ndescription = "x"\nfields = [{ name = "h", limit = 5 }, { name = "h", limit = 9 }]\n', "twice"),
        ('["Banner!"]\ndescription = "x"\nfields = [{ name = "h", limit = 5 }]\n', "not lowercase"),
        ("[banner\n", "is not valid TOML"),
    ],
)
def test_a_bad_custom_file_is_a_config_error_naming_the_file_and_the_entry(
    tmp_path: Path, toml: str, says: str
) -> None:
    path = tmp_path / "formats.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as caught:
        load_formats(str(path))
    assert says in str(caught.value) and str(path) in str(caught.value)


def test_a_missing_custom_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"COPYBOT_FORMATS_FILE .* cannot be read"):
        load_formats(str(tmp_path / "nope.toml"))


def test_choosing_a_format_by_name_or_max_chars() -> None:
    formats = presets()
    assert choose(formats) is None
    assert choose(formats, "Google-Ads") is formats["google-ads"]
    assert [(f.name, f.limit) for f in choose(formats, limit=120).fields] == [("text", 120)]  # type: ignore[union-attr]
    with pytest.raises(RequestError, match="There is no format 'banner'") as unknown:
        find(formats, "banner")
    assert "google-ads" in str(unknown.value) and "tweet" in str(unknown.value)
    with pytest.raises(RequestError, match="not both"):
        choose(formats, "tweet", 100)
    for limit in (0, 3001):
        with pytest.raises(RequestError, match="out of range"):
            max_chars(limit)


def test_fields_are_read_in_order_and_every_problem_is_named_exactly() -> None:
    ads = presets()["google-ads"]
    reply = (
        "<headline>Cold for 24 hours</headline><headline>The bottle that outlasts every hike ahead</headline>"
        "<headline>  </headline><description>Steel, plastic-free.</description>"
    )
    fields, problems = read_fields(reply, ads)
    assert [(f.label, f.chars) for f in fields] == [
        ("headline 1", 17),
        ("headline 2", 41),
        ("headline 3", 0),
        ("description 1", 20),
    ]
    assert problems == ("headline 2: 41 characters, limit 30", "headline 3: empty", "description 2: missing")
    _, extra = read_fields("<text>a</text><text>b</text>", presets()["sms"])
    assert extra == ("text: 2 given, 1 wanted",)


def test_length_is_counted_on_nfc_normalised_trimmed_text() -> None:
    decomposed = unicodedata.normalize("NFD", "Café crème")  # 12 code points, 10 characters as shown
    (field,), problems = read_fields(f"<subtitle>  {decomposed}  </subtitle>", presets()["app-store"])
    assert (field.chars, field.over) == (10, False)
    assert problems == ("promotional text: missing",)
