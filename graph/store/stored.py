"""The import store as it is on disk, read-only: its folder and lock, which imports are committed, which are current.

The writers (:func:`graph.readwrite.imports.add_import`, :func:`graph.readwrite.imports.remove_import`, the review judgements) live
above, with the readers they run; :func:`graph.store.load.load` reads only this side, so the store layer does not
import the readers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from .atomic import TEMP_MARK, locked
from .datadir import data_dir
from ..errors import EcgraphError
from ..namespace import GRAPH


@dataclass(frozen=True)
class StoredImport:
    """One import kept in the store, as ``ecgraph import --list`` shows it."""

    name: str
    kind: str
    file: str
    sha256: str
    started: str
    graph: str
    records: int
    imported: int
    linked: int
    review: int
    skipped: int
    added: int
    ended: int
    path: str
    partial: bool = False
    superseded_by: str = ""
    kept: int = 0
    seq: int = 0


def imports_dir() -> Path:
    """The folder of the stored imports: ``data_dir()/imports``."""
    return data_dir() / "imports"


def import_lock(*, waiting: Callable[[str], None] | None = None, timeout: float | None = None):
    """The lock every writer of the import store holds (``data_dir()/imports.lock``); see :func:`graph.store.atomic.locked`."""
    return locked(data_dir() / "imports.lock", what="another import", timeout=timeout, waiting=waiting)


def graph_name(name: str) -> URIRef:
    """The named graph of the import called ``name``."""
    return GRAPH[f"import/{name}"]


def _committed() -> list[tuple[dict, Path]]:
    """The index and N-Quads file of every committed import (one with both files), in commit order."""
    folder = imports_dir()
    if not folder.is_dir():
        return []
    out = []
    for meta_path in sorted(folder.glob("*.json")):
        nq = meta_path.with_suffix(".nq")
        if TEMP_MARK in meta_path.name or not nq.is_file():
            continue
        out.append((_read_meta(meta_path), nq))
    out.sort(key=lambda item: (int(item[0].get("seq", 0)), str(item[0].get("started", "")), item[1].stem))
    return out


def list_imports() -> list[StoredImport]:
    """The imports kept in the store, in the order they were made."""
    out, lists = [], {}
    for meta, nq in _committed():
        lists[nq.stem] = set(meta.get("lists") or ())
        out.append(StoredImport(
            name=nq.stem, kind=meta.get("kind", "rdf"), file=meta.get("file", nq.name),
            sha256=meta.get("sha256", ""), started=meta.get("started", ""), graph=meta.get("graph", ""),
            **{k: int(meta.get(k, 0)) for k in ("records", "imported", "linked", "review", "skipped",
                                                 "added", "ended", "kept", "seq")},
            path=str(nq), partial=bool(meta.get("partial", False)),
        ))
    # an import is superseded by a later full import that covers all of its lists (and carries their history)
    for i, old in enumerate(out):
        if not lists[old.name]:
            continue
        for new in out[i + 1:]:
            if not new.partial and lists[old.name] <= lists[new.name]:
                out[i] = replace(old, superseded_by=new.name)
    return out


def active_imports() -> list[Path]:
    """The N-Quads files to load: every stored import that no later import supersedes."""
    return [Path(s.path) for s in list_imports() if not s.superseded_by]


def _read_meta(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EcgraphError(f"{path}: unreadable import index ({exc})") from None


def _nq(triple) -> str:
    """``s p o`` of a triple in N-Quads syntax (the graph term is added by the caller)."""
    return " ".join(_term(t) for t in triple)


def _term(term) -> str:
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, Literal):
        body = (str(term).replace("\\", "\\\\").replace('"', '\\"')
                .replace("\n", "\\n").replace("\r", "\\r"))
        if term.language:
            return f'"{body}"@{term.language}'
        if term.datatype is not None and term.datatype != XSD.string:
            return f'"{body}"^^<{term.datatype}>'
        return f'"{body}"'
    if isinstance(term, BNode):
        return f"_:{term}"
    raise TypeError(f"not an RDF term: {term!r}")
