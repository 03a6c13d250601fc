"""Saved usages and watched parties, and which of their answers changed since they were last checked.

Each watched item is a row as :mod:`graph.surfaces.screen` reads them (a usage: chip, user, ...; or a
counterparty: party), kept in ``$ECGRAPH_DATA_DIR/watch.json`` with the last answer seen and the data
version it was computed under. :func:`check` answers every item again over the data loaded now (after
an import, say) and reports the ones whose answer changed. Every write is atomic (temp file + os.replace).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph

from ..errors import InputError, UnknownNameError


@dataclass(frozen=True)
class Watched:
    """One saved question and the last answer seen for it."""

    name: str
    cells: dict
    verdict: str = ""
    details: tuple[str, ...] = ()
    error: str = ""
    data_version: str = ""
    checked: str = ""  # the audit time of the last check
    imports: tuple[str, ...] = ()  # the active imports at the last check


@dataclass(frozen=True)
class WatchChange:
    """A watched item whose answer is not what it was at the last check."""

    name: str
    question: str
    before: str
    after: str
    gone: tuple[str, ...]
    new: tuple[str, ...]
    data_before: str
    data_after: str
    new_imports: tuple[str, ...] = ()  # imports active now that were not at the last check


def watch_file() -> Path:
    """Where the watched items are kept: ``data_dir()/watch.json``."""
    from ..store.load import data_dir

    return data_dir() / "watch.json"


def saved() -> list[Watched]:
    """The watched items, by name."""
    path = watch_file()
    if not path.is_file():
        return []
    try:
        items = json.loads(path.read_text(encoding="utf-8"))["items"]
        return [Watched(name=i["name"], cells=dict(i["cells"]), verdict=i.get("verdict", ""),
                        details=tuple(i.get("details", ())), error=i.get("error", ""),
                        data_version=i.get("data_version", ""), checked=i.get("checked", ""),
                        imports=tuple(i.get("imports", ()))) for i in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a watch list written by ecgraph ({exc}); remove it to start again") from None


def _store(items: list[Watched]) -> None:
    path = watch_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"items": [{"name": w.name, "cells": w.cells, "verdict": w.verdict, "details": list(w.details),
                       "error": w.error, "data_version": w.data_version, "checked": w.checked,
                       "imports": list(w.imports)}
                      for w in sorted(items, key=lambda w: w.name)]}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".watch.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(body, fh, indent=1, ensure_ascii=False, sort_keys=True)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def add(g: Graph, name: str, cells: dict, *, data_version: str = "", time: str = "", imports=()) -> Watched:
    """Save ``cells`` (a usage or a counterparty, as a screening row) as ``name`` with its answer now.

    A question that cannot be answered (an unknown name) is refused, not saved.
    """
    from .screen import Row, screen_rows

    name = name.strip()
    if not name:
        raise InputError("a watched item needs a name")
    result = next(screen_rows(g, [Row(0, {k: v for k, v in cells.items() if v})]))
    if result.error:
        raise InputError(f"not saved: {result.error}")
    items = [w for w in saved() if w.name != name]
    item = Watched(name, {k: v for k, v in cells.items() if v}, result.verdict, result.details, "",
                   data_version, time, tuple(imports))
    _store(items + [item])
    return item


def remove(name: str) -> Watched:
    """Forget the watched item ``name``."""
    items = saved()
    gone = [w for w in items if w.name == name]
    if not gone:
        from ..store.names import suggestions

        raise UnknownNameError("watched item", name, suggestions({w.name: set() for w in items}, name))
    _store([w for w in items if w.name != name])
    return gone[0]


def check(g: Graph, *, data_version: str = "", time: str = "", imports=(), save: bool = True
          ) -> tuple[list[WatchChange], int]:
    """Answer every watched item again; the ones whose answer changed, and how many were checked.

    With ``save`` the new answers (and the data version) are stored, so the next check compares with them.
    """
    from dataclasses import replace

    from .screen import Row, screen_rows

    items = saved()
    rows = [Row(i, w.cells) for i, w in enumerate(items)]
    changed, kept = [], []
    for w, r in zip(items, screen_rows(g, rows)):
        before, after = w.verdict or w.error, r.verdict or r.error
        if (before, w.details) != (after, r.details):
            changed.append(WatchChange(
                name=w.name, question=r.question, before=before, after=after,
                gone=tuple(d for d in w.details if d not in r.details),
                new=tuple(d for d in r.details if d not in w.details),
                data_before=w.data_version, data_after=data_version,
                new_imports=tuple(i for i in imports if i not in w.imports)))
        kept.append(replace(w, verdict=r.verdict, details=r.details, error=r.error, data_version=data_version,
                            checked=time, imports=tuple(imports)))
    if save and items:
        _store(kept)
    return changed, len(items)
