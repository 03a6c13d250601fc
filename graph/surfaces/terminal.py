"""Text from the data made safe to print on a terminal: control characters shown, never obeyed.

A label, a CSL record name or a query result may hold ESC (a CSI or OSC sequence
recolours, retitles or rewrites the terminal), a carriage return (overwrites the
line), C1 controls (``U+009B`` is a CSI on its own) or bidirectional controls
(``U+202E`` shows ``exe.txt`` as ``txt.exe``). :func:`printable` spells each of them
as a visible escape (``\\x1b``, ``\\u202e``), so what is printed is what the data
holds. Every table and text line the CLI prints from data goes through it; JSON,
CSV and RDF output stay exact (their own syntax escapes what it must).
"""

from __future__ import annotations

import re

# C0 controls and DEL, C1 controls, bidi embedding/override/isolate marks, line and paragraph separators
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_UNSAFE_KEEP_LINES = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _spell(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value, *, lines: bool = False) -> str:
    """``value`` as text with every control character spelled out; ``lines`` keeps newlines (for whole tables).

    >>> printable("Evil\\x1b[31m Corp\\u202e")
    'Evil\\\\x1b[31m Corp\\\\u202e'
    >>> printable("two\\nlines"), printable("two\\nlines", lines=True)
    ('two\\\\x0alines', 'two\\nlines')
    """
    text = "" if value is None else str(value)
    return (_UNSAFE_KEEP_LINES if lines else _UNSAFE).sub(_spell, text)


def cell(value):
    """``value`` as a rich ``Text`` for a table cell or title: controls spelled out, never read as markup."""
    from rich.text import Text

    return Text(printable(value))


def markup_safe(value) -> str:
    """``value`` for a rich string with markup of ours around it: controls spelled out, brackets escaped."""
    from rich.markup import escape

    return escape(printable(value))
