"""The local import store: one N-Quads file per import in ``data_dir()/imports/``.

Each import ``NAME`` is kept as ``NAME.nq`` (every quad in the graph
``GRAPH["import/NAME"]``, which :func:`graph.store.load.load` reads with the curated
data) and ``NAME.json`` (what it holds: file, SHA-256, date, counts, and the
record keys per list, so the next import can be compared without parsing RDF).

Re-importing a file with the same SHA-256 by the same importer, in full or as partially as
before (:func:`same_import`), changes nothing. Importing a newer
file records the difference with the latest earlier import of each list the new
file covers:

* a listing that is new gets ``<run> prov:generated <listing>``;
* a listing of the earlier import that the new file no longer holds is carried
  into the new import's graph (its party, listing and matches, as they were)
  and **ended**: ``ecg:validUntil`` = the new import's date minus one day (the
  last day it is known to have been listed; never before its start) with
  ``dcterms:source`` the new file and ``<run> prov:invalidated <listing>``.

Carrying the ended listings makes each import a complete history of its lists
as of its file, so the earlier import is **superseded**: it stays in the store
(``ecgraph import --list`` shows it) but is no longer loaded, so no fact is held
twice. Removing the newer import makes the earlier one current again. Lists a
new file does not mention at all (a file of Entity List rows only) are left as
they were: their listings are carried unchanged, so that the earlier import is
wholly superseded and none of its facts is loaded twice.

The FtM, GLEIF and BODS imports keep the same history for their dated facts
(:data:`graph.readwrite.ftm.DATED`: ``ecg:Listing``, ``ecg:Ownership``, ``ecg:Directorship``):
their "lists" are what a file covers (FtM datasets, GLEIF record kinds, BODS
publishers) and their keys the facts' IRIs, so a stake, relationship or sanction
a newer full file no longer holds is carried and ended the same way, with the
nodes it names (its source record, parties, file) that the new import lacks.

Rows the new file holds but that were skipped (a broken row, a bad date) count
as still present, never as ended: their earlier listings are carried into the new
import unchanged (:attr:`StoreSummary.kept_earlier` counts them). A ``partial`` import (a
filtered search, one page of results) ends nothing and supersedes nothing.

Writes are crash-safe. Imports and removals hold a lock on the data directory
(``imports.lock``; a second importer waits for the first). An import writes its
N-Quads first (temporary file, fsync, rename) and its index ``NAME.json`` last:
the index is the single commit point. Only imports with an index are listed and
loaded, so a process killed at any moment leaves the store as it was before or
after, and the next import removes what a killed one left half-done. A removal
deletes the index first.
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import re
from dataclasses import dataclass, fields, replace
from itertools import chain
from pathlib import Path
from typing import Callable, Iterator

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

from ..store.atomic import TEMP_MARK, checkpoint, fsync_dir, open_atomic
from .csl import CSL, ImportSummary, convert, file_node, graph_name, read_csl, run_node, sha256_of
from ..errors import InputError, UnknownNameError
from ..namespace import ECG
from ..store.stored import (  # noqa: F401  (re-exported: the import store's read side lives in graph.store.stored)
    StoredImport, _committed, _nq, import_lock, imports_dir, list_imports)

KINDS = ("csl", "ftm", "gleif", "bods")
"""What ``add_import`` reads: the CSL, FollowTheMoney entities, GLEIF Level 1/2 records, BODS statements."""
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


@dataclass(frozen=True)
class StoreSummary(ImportSummary):
    """What an import did, with what the store kept: earlier listings of rows this file skipped."""

    kept_earlier: int = 0  # earlier listings (dated facts) carried unchanged: their rows were skipped in this file


def add_import(
    path: Path,
    g: Graph | None = None,
    *,
    kind: str = "csl",
    name: str | None = None,
    started: dt.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    partial: bool = False,
    waiting: Callable[[str], None] | None = None,
) -> ImportSummary:
    """Import a list file into the store and return what was imported, linked and skipped.

    Parameters
    ----------
    path : the file (CSL ``.csv``, ``.tsv`` or ``.json``; FtM entities; a GLEIF or BODS file)
    g : the curated graph to link against; loaded (without imports) when None
    kind : one of :data:`KINDS`: ``"csl"``, ``"ftm"`` (:mod:`graph.readwrite.ftm`), ``"gleif"`` (:mod:`graph.readwrite.gleif`),
        ``"bods"`` (:mod:`graph.readwrite.bods`)
    name : the import's name; default ``csl-<date>-<first 8 hex of the SHA-256>``
    started : when the import runs (its date is the import date); default now, UTC
    progress : called as ``progress(done, total)``
    partial : the file holds only some records of its lists: end nothing, supersede nothing
    waiting : called with a message when another import holds the store; this one waits for it
        (up to ``$ECGRAPH_LOCK_TIMEOUT`` seconds, default 600)

    The same file imported again (same SHA-256) by the same importer, as fully
    (:func:`same_import`), returns the earlier import's summary with ``unchanged=True``
    and writes nothing. A new import returns a :class:`StoreSummary`.
    """
    if kind not in KINDS:
        raise InputError(f"unknown import kind {kind!r}; choose one of {', '.join(KINDS)}")
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if name is not None and not _NAME.fullmatch(name):
        raise InputError(f"import name {name!r}: use letters, digits, '.', '_' and '-' (at most 100)")
    sha = sha256_of(path)
    for existing in reversed(list_imports()):  # the common re-run, answered without waiting (checked again locked)
        if same_import(existing, sha, kind=kind, partial=partial):
            return _summary_of(existing)
    if g is None:
        from ..store.load import load

        g = load(imports=False)
    folder = imports_dir()
    with import_lock(waiting=waiting):
        checkpoint("import:locked")
        discard_unfinished()
        stored = list_imports()
        for existing in reversed(stored):  # the latest such import: after a partial one, the full one
            if same_import(existing, sha, kind=kind, partial=partial):
                return _summary_of(existing)
        started = started or dt.datetime.now(dt.timezone.utc)
        if name is None:  # the same file read again another way (another importer, in full) gets a name of its own
            base = name = f"{kind}-{started:%Y%m%d}-{sha[:8]}"
            while (folder / f"{name}.json").exists():
                name = f"{base}-{int(name[len(base) + 1:] or 1) + 1}"
        if not _NAME.fullmatch(name):
            raise InputError(f"import name {name!r}: use letters, digits, '.', '_' and '-' (at most 100)")
        if (folder / f"{name}.json").exists():
            raise InputError(f"an import called {name!r} already exists; remove it first or choose another --name")
        conv = _convert(kind, path, g, name=name, sha256=sha, started=started, progress=progress)
        gname = graph_name(name)
        suffix = f" <{gname}> .\n"
        with open_atomic(folder / f"{name}.nq", pause="import:nq-written") as fh:
            fh.writelines(_nq(t) + suffix for t in conv.triples)  # a stream for the large formats: summary comes after
            fh.flush()
            checkpoint("import:nq-half")
            present = set(getattr(conv.summary, "skipped_ids", ()) or ())  # skipped rows are not gone rows
            # a carried fact brings only the nodes this import lacks: looked up in what it wrote, not held in memory
            extra, carried, history, added, ended, kept = _diff(conv.listings, name, started, file_node(sha),
                                                                present=present, partial=partial,
                                                                held=_subjects_in(Path(fh.name)))
            fh.writelines(_nq(t) + suffix for t in extra)
            fh.writelines(line.rsplit(" <", 1)[0] + suffix for line in carried)
        checkpoint("import:nq-renamed")
        summary = StoreSummary(**{f.name: getattr(conv.summary, f.name) for f in fields(conv.summary)})
        summary = replace(summary, added=added, ended=ended, kept_earlier=kept)
        index = {
            "name": name, "kind": kind, "file": path.name, "sha256": sha,
            "started": started.replace(microsecond=0).isoformat(), "graph": str(gname),
            "records": summary.records, "imported": summary.imported, "linked": len(summary.linked),
            "review": len(summary.review), "skipped": summary.skipped, "added": added, "ended": ended,
            "kept": kept, "lists": history, "partial": partial,
            "seq": max((s.seq for s in stored), default=0) + 1,  # commit order: ties of 'started' never reorder
        }
        # the commit: until the index is in place the import does not exist
        with open_atomic(folder / f"{name}.json", pause="import:index-written") as fh:
            json.dump(index, fh, indent=1, sort_keys=True)  # written as encoded: the keys of a large file are never one string
        checkpoint("import:committed")
        from .review import enqueue

        enqueue(name, (*summary.linked, *summary.review), getattr(conv, "matches", {}))
        from .linking import remember

        remember(name, getattr(conv, "identifiers", {}))
    return summary


def same_import(existing: StoredImport, sha: str, *, kind: str, partial: bool) -> bool:
    """Whether importing the file of SHA-256 ``sha`` with ``kind`` and ``partial`` would repeat ``existing``.

    It does when the same file was read by the same importer, in full or as partially as now: a full
    import holds all that a partial one of its file would. The same bytes read by another importer (an
    FtM file first given to ``import bods``), or in full after a partial import, are a new import.
    """
    return existing.sha256 == sha and existing.kind == kind and (partial or not existing.partial)


def discard_unfinished() -> list[str]:
    """Delete what killed imports left: temporary files and N-Quads without an index. Call with the lock held.

    Returns the names of the files removed.
    """
    folder = imports_dir()
    if not folder.is_dir():
        return []
    gone = []
    for path in sorted(folder.iterdir()):
        unfinished = TEMP_MARK in path.name or (path.suffix == ".nq" and not path.with_suffix(".json").is_file())
        if unfinished and path.is_file():
            path.unlink(missing_ok=True)
            gone.append(path.name)
    if gone:
        fsync_dir(folder)
    return gone


def _convert(kind: str, path: Path, g: Graph, **options):
    """Read and convert ``path`` with the importer of ``kind``: a conversion with triples, summary and listings."""
    if kind == "csl":
        records, problems = read_csl(path)
        return convert(records, g, file=path, problems=problems, **options)
    from importlib import import_module

    return import_module(f".{kind}", __package__).convert_file(path, g, **options)


def fact_of(key: str) -> URIRef:
    """The dated fact a history key names: a CSL record key is its listing; any other key is the fact's IRI.

    >>> str(fact_of("abc")).endswith("/csl/abc/listing"), fact_of("https://example.org/id/ftm/x")
    (True, rdflib.term.URIRef('https://example.org/id/ftm/x'))
    """
    return URIRef(key) if ":" in key else CSL[f"{key}/listing"]


def _skipped(key: str, present: set[str]) -> bool:
    """Whether ``key`` is, or is a fact under the IRI of, a record the file holds but skipped."""
    if key in present:
        return True
    while "/" in key and ":" in key:
        key = key.rsplit("/", 1)[0]
        if key in present:
            return True
    return False


def _diff(listings: dict[str, dict[str, bool]], name: str, started: dt.datetime, new_file: URIRef, *,
          present: set[str] = frozenset(), partial: bool = False,
          held: Callable[[set[str]], set[str]] = lambda candidates: set()):
    """Compare with the latest earlier import of each list: extra triples, carried lines, the new history.

    A list is a CSL list (keys: record keys) or the coverage of a streamed import (keys: the IRIs of its
    dated facts, :data:`graph.readwrite.ftm.DATED`). ``present`` holds the keys (or record IRIs) the file has but
    could not import; a ``partial`` file ends nothing; ``held(iris)`` says which the new import describes.
    """
    run = run_node(name)
    today = started.date()
    last_day = today - dt.timedelta(days=1)
    ended_extra: list = []
    carried: list[str] = []
    history: dict[str, dict[str, list[str]]] = {}
    ended = 0
    kept: set[str] = set()
    previous = _latest_per_list(set(listings) if partial else None)
    wanted: dict[Path, dict[str, str]] = {}  # earlier .nq -> {key: "ended" | "kept"}
    # counted here, written as the caller writes them: a large file's new facts are never held as triples
    added = sum(1 for _ in _added(listings, previous))
    extra = chain(((run, PROV.generated, fact_of(key)) for key in _added(listings, previous)), ended_extra)
    for list_iri, current in listings.items():
        prev = previous.get(list_iri)
        before = prev[1] if prev else {"active": [], "ended": []}
        # a key that moved to another list of this file is not gone
        missing_active = {k for k in before["active"] if not _in_any(k, listings)}
        missing_ended = {k for k in before["ended"] if not _in_any(k, listings)}
        # a row skipped in this file keeps its earlier listing as it was (a partial file supersedes nothing)
        skipped_active = set() if partial else {k for k in missing_active if _skipped(k, present)}
        skipped_ended = set() if partial else {k for k in missing_ended if _skipped(k, present)}
        gone_active = set() if partial else missing_active - skipped_active
        gone_ended = set() if partial else missing_ended - skipped_ended
        if prev and (gone_active or gone_ended or skipped_active or skipped_ended):
            marks = wanted.setdefault(prev[0], {})
            marks.update({k: "ended" for k in gone_active})
            marks.update({k: "kept" for k in gone_ended | skipped_active | skipped_ended})
        kept |= skipped_active | skipped_ended
        # the earlier keys (missing, so in no list of this file) and this file's keys are disjoint: lists, not sets
        history[list_iri] = {
            "active": _sorted_keys(current, True, skipped_active),
            "ended": _sorted_keys(current, False, gone_active | gone_ended | skipped_ended),
        }
    for list_iri, (nq, before) in ([] if partial else previous.items()):
        if list_iri in listings:
            continue
        # a list this file does not mention stays as it was: carried, so the earlier import is wholly superseded
        marks = wanted.setdefault(nq, {})
        for key in set(before["active"]) | set(before["ended"]):
            marks.setdefault(key, "kept")
        history[list_iri] = before
    for nq, marks in wanted.items():
        lines, starts = _lines_for(nq, marks, held)
        carried += lines
        for key, mark in sorted(marks.items()):
            if mark != "ended":
                continue
            ended += 1
            listing = fact_of(key)
            start = starts.get(key)
            until = min(last_day, starts.get(f"{key}/until", last_day))  # an end the file already gave stays
            until = max(until, start) if start else until
            ended_extra += [
                (listing, ECG.validUntil, Literal(until)),
                (listing, ECG.note, Literal(f"Not in the file of import {name} ({today}): treated as ended.")),
                (listing, DCTERMS.source, new_file),
                (run, PROV.invalidated, listing),
            ]
    return extra, carried, history, added, ended, len(kept)


def _sorted_keys(current, in_force: bool, more: set[str]) -> list[str]:
    """The keys of ``current`` in force (or not) and ``more`` (disjoint from them), sorted.

    A streamed import's facts (:class:`graph.readwrite.ftm.FactIndex`) are kept on disk and give their keys
    sorted: the list is then read from there whenever it is iterated (the index writes it), never held.
    """
    if not hasattr(current, "sorted_keys"):
        return sorted([k for k, value in current.items() if bool(value) == in_force] + list(more))
    extra = sorted(more)
    size = current.count(in_force) + len(extra)
    return _Streamed(lambda: heapq.merge(current.sorted_keys(in_force), extra), size)


class _Streamed(list):
    """A list of ``size`` items that ``items()`` gives afresh each time it is iterated, holding none of them.

    ``json.dump`` with an indent encodes in Python and iterates each list, so a large import's index is
    written key by key. Only iteration, length and comparison are supported.
    """

    def __init__(self, items: Callable[[], Iterator[str]], size: int):
        super().__init__()
        self._items, self._size = items, size

    def __iter__(self):
        return iter(self._items())

    def __len__(self) -> int:
        return self._size

    def __eq__(self, other) -> bool:
        return list(iter(self)) == (list(iter(other)) if isinstance(other, _Streamed) else other)

    __hash__ = None

    def __repr__(self) -> str:
        return repr(list(iter(self)))


def _in_any(key: str, listings: dict[str, dict[str, bool]]) -> bool:
    return any(key in current for current in listings.values())


def _added(listings: dict[str, dict[str, bool]], previous: dict[str, tuple[Path, dict]]):
    """The keys new since the latest earlier import of their list, in list order; a fact on several lists once."""
    earlier: list[tuple[dict, set]] = []  # (keys, earlier keys) of the lists before this one
    for list_iri, current in listings.items():
        prev = previous.get(list_iri)
        before = set(prev[1]["active"]) | set(prev[1]["ended"]) if prev else set()
        for key in current:
            if key not in before and not any(key in keys and key not in was for keys, was in earlier):
                yield key
        earlier.append((current, before))


def _latest_per_list(list_iris: set[str] | None) -> dict[str, tuple[Path, dict]]:
    """For each list (of ``list_iris``, None: every list), the latest stored full import holding it: its .nq and keys."""
    best: dict[str, tuple[Path, dict]] = {}
    for meta, nq in _committed():  # in commit order: a later one wins
        if meta.get("partial"):
            continue
        for list_iri, keys in (meta.get("lists") or {}).items():
            if list_iris is None or list_iri in list_iris:
                best[list_iri] = (nq, keys)
    return best


def _lines_for(nq: Path, marks: dict[str, str], held: Callable[[set[str]], set[str]] = lambda c: set()
               ) -> tuple[list[str], dict[str, dt.date]]:
    """The N-Quads lines of ``nq`` to carry for the keys of ``marks``, and each fact's start.

    A CSL record key brings every subject under it (party, listing, matches). A fact IRI brings
    the fact and the nodes it names (its source record, parties, a list it created, their file)
    that ``nq`` describes and the new import does not (``held``), so nothing is held twice.
    A fact marked ``"ended"`` loses the end date it had: the caller gives it the earlier of that
    (``starts[key + "/until"]``) and the new one.
    """
    prefix = f"<{CSL}"
    valid_from, valid_until = f"<{ECG.validFrom}>", f"> <{ECG.validUntil}> "
    ending = {str(fact_of(k)): k for k, mark in marks.items() if mark == "ended"}
    facts = {str(fact_of(k)): k for k in marks if ":" in k}
    lines, starts, named = [], {}, set()
    with nq.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("<"):
                continue
            subject = line[1:line.index(">")]
            if subject in ending and valid_until in line:
                day = dt.date.fromisoformat(line.split('"', 2)[1])
                starts[f"{ending[subject]}/until"] = min(day, starts.get(f"{ending[subject]}/until", day))
                continue
            fact_key = facts.get(subject)
            if fact_key is not None:
                lines.append(line)
                named |= _named(line, subject)
                if valid_from in line:
                    starts[fact_key] = dt.date.fromisoformat(line.split('"', 2)[1])
                continue
            if not line.startswith(prefix):
                continue
            key = subject[len(str(CSL)):].split("/", 1)[0]
            if key in marks:
                lines.append(line)
                if valid_from in line and subject.endswith("/listing"):
                    starts[key] = dt.date.fromisoformat(line.split('"', 2)[1])
    done = set(facts)
    for _hop in range(3):  # the nodes the carried facts name (record, parties, its file) that the new import lacks
        frontier = named - done
        done |= frontier
        frontier -= held(frontier) if frontier else set()
        if not frontier:
            break
        named = set()
        with nq.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("<") and (subject := line[1:line.index(">")]) in frontier:
                    lines.append(line)
                    named |= _named(line, subject)
    return lines, starts


def _subjects_in(path: Path) -> Callable[[set[str]], set[str]]:
    """``held(iris)``: which of ``iris`` are subjects in the N-Quads file ``path`` (one pass, only when asked)."""
    def held(iris: set[str]) -> set[str]:
        found = set()
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("<") and (subject := line[1:line.index(">")]) in iris:
                    found.add(subject)
        return found

    return held


def _named(line: str, subject: str) -> set[str]:
    """The IRI object of an N-Quads line, unless the line gives a type: ``{iri}`` or the empty set."""
    rest = line[len(subject) + 3:]
    predicate = rest[1:rest.index(">")]
    obj = rest[len(predicate) + 3:]
    if predicate == str(RDF.type) or not obj.startswith("<"):
        return set()
    return {obj[1:obj.index(">")]}


def remove_import(name: str, *, waiting: Callable[[str], None] | None = None) -> StoredImport:
    """Delete the import called ``name`` from the store and return what it was.

    The index goes first (the commit), then the N-Quads, so a kill in between leaves no half import.
    """
    with import_lock(waiting=waiting):
        stored = {s.name: s for s in list_imports()}
        if name not in stored:
            from ..store.names import suggestions

            raise UnknownNameError("import", name, suggestions({n: set() for n in stored}, name))
        gone = stored[name]
        Path(gone.path).with_suffix(".json").unlink()
        fsync_dir(Path(gone.path).parent)
        checkpoint("remove:index-gone")
        Path(gone.path).unlink(missing_ok=True)
        fsync_dir(Path(gone.path).parent)
    return gone


def _summary_of(stored: StoredImport) -> ImportSummary:
    return ImportSummary(
        name=stored.name, file=stored.file, sha256=stored.sha256, graph=stored.graph,
        records=stored.records, imported=stored.imported, added=0, ended=0, unchanged=True,
    )
