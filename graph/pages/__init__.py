"""Page templates, CSS and JavaScript shipped as package data beside the Python that fills them.

A template names its holes ``@@NAME@@``; :func:`fill` fills them in one pass, so text from the
data is never filled in turn. Vendored libraries live in ``vendor/`` with their licences.
"""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent


def read(name: str) -> str:
    """The text of the page file ``name`` (e.g. ``memo.html``, ``vendor/vis-timeline/...``)."""
    return (HERE / name).read_text(encoding="utf-8")


def fill(template: str, parts: dict[str, str]) -> str:
    """Fill every ``@@NAME@@`` of ``template`` from ``parts`` in one pass.

    >>> fill("<b>@@A@@</b>@@B@@", {"A": "@@B@@", "B": "!"})
    '<b>@@B@@</b>!'
    """
    return re.sub(r"@@([A-Z]+)@@", lambda m: parts[m.group(1)], template)


def inline_script(text: str) -> str:
    """JavaScript made safe to inline in a ``<script>`` element."""
    return text.replace("</script", "<\\/script")


def inline_style(text: str) -> str:
    """CSS made safe to inline in a ``<style>`` element."""
    return text.replace("</style", "<\\/style")
