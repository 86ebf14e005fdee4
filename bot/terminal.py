"""Text for the operator's terminal: stored and remote text is shown, never obeyed.

Runs hold what users typed and models wrote; an older copybot stored it with its control characters, and an
error may quote a server. Printed raw, `\\x1b]0;...\\x07` retitles the terminal, `\\x1b[2J` clears it, and a
bidirectional override reorders what follows. `visible` shows each such character as a visible stand-in
instead: C0 controls as their Unicode control pictures (␛ for ESC), DEL as ␡, C1 controls and bidirectional
controls as `<U+009B>`-style codes. `json_text` does the same for JSON, with escapes that keep it valid.
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}]")
_MULTILINE_CONTROL = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}]")  # keeps \t and \n
_JSON_UNESCAPED = re.compile(f"[\x7f-\x9f{_BIDI}]")  # json.dumps escapes C0 itself


def _stand_in(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return f"<U+{code:04X}>"


def visible(text: str, *, lines: bool = False) -> str:
    """`text` with every control character shown as a visible stand-in; `lines` keeps newlines and tabs."""
    return (_MULTILINE_CONTROL if lines else _CONTROL).sub(_stand_in, text)


def json_text(document: str) -> str:
    """A JSON document with the control characters json.dumps leaves raw (DEL, C1, bidi) escaped as \\uXXXX."""
    return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", document)


def one_line(text: str) -> str:
    """`text` on one line, shown safely: a multi-line server error is still a one-line reason."""
    return visible(" ".join(text.split()))
