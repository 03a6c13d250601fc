"""Read FollowTheMoney (OpenSanctions) entity files into RDF, and write the graph back as FtM entities.

An ``entities.ftm.json`` file holds one JSON entity per line (``{"id", "schema",
"properties": {name: [values]}, "datasets", "first_seen", ...}``). Each line is
read by the ``followthemoney`` model itself (:meth:`Model.get_proxy` with
``cleaned=False``, which re-cleans every value by its property type; the
schema's own ``required`` properties are checked), never by a hand-written
reading of the schema, and turned into triples for one import's named graph:

* a **party** ``id:ftm/<key>`` for every LegalEntity (Person -> ``ecg:Person``,
  Organization and its kinds such as Company -> ``ecg:Firm``, other legal
  entities -> ``ecg:Party``), with its names, addresses, countries
  (``country``/``mainCountry`` -> ``ecg:addressCountry``, ``jurisdiction`` ->
  ``ecg:incorporatedIn``), identifiers (``leiCode`` -> ``ecg:lei``, the other
  identifier properties -> ``ecg:registrationNumber``, the FtM id ->
  ``ecg:externalId``) and topics, linked to curated parties by
  :mod:`graph.readwrite.linking`;
* an ``ecg:Ownership`` per **Ownership** (owner, asset, percentage, dates; shares,
  ownership type and role kept as text), an ``ecg:Directorship`` per
  **Directorship**, an ``ecg:Listing`` per **Sanction** on the list whose
  ``ecg:sanctionProgram`` (or ``ecg:cslSourceName``) is the sanction's programme,
  programme id or authority, else whose ``ecg:opensanctionsDataset`` is one of
  its datasets (``ontology/data/list_mappings.ttl``), else on a new list made
  from its programme name, reported as such; a party of a dataset that is one
  list (``us_bis_denied``) that no Sanction names is on that list by its dataset;
* each fact cites an ``ecg:SourceRecord`` ``id:ftm/<key>/record`` (the FtM
  entity, ``dcterms:isPartOf`` the file), so an explanation names the record.

The file is streamed: a line is read, converted and written before the next.
What the import's index must list (the IRI of each dated fact) and the parties
some Sanction names are kept in a temporary SQLite file (:class:`FactIndex`), not
in memory, so memory barely grows with the file. A line that is not JSON, not an
entity the model knows, or lacks a required property is reported with its line
number and skipped; so is an entity of a schema that the graph does not hold
(Address, Vessel, ...), with that reason, and a stake, directorship or sanction with a
start or end date that is not a date (``2025-02-30``): without it the fact would hold at
all dates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import ItemsView, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, Iterable, Iterator

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from .csl import (ImportSummary, Lookups, Problem, _digest, _safe_key, file_node, graph_name, lookups,
                  new_list, new_list_triples, provenance_triples, run_node)
from ..errors import InputError
from ..store.names import normalise
from ..namespace import ECG, ID

FTM = Namespace(str(ID) + "ftm/")
"""Where imported FtM parties, stakes, directorships and listings live."""

_PROGRESS_EVERY = 5000
_ALIASES = ("name", "alias", "previousName", "abbreviation")
_URL = re.compile(r"https?://[^\s<>\"{}|\\^`]+")


def file_head(path: Path, starts: tuple[bytes, ...], expected: str) -> bytes:
    """The first bytes of ``path`` past a BOM and blanks, or a one-line error when it is missing, empty or not ``expected``."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open("rb") as fh:
        head = fh.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise InputError(f"{path}: empty file")
    if not head.startswith(starts):
        raise InputError(f"{path}:1: {expected}")
    return head


def json_items(fh, prefix: str, path: Path, problems: list, unit: str):
    """``(n, item)`` for each item under ``prefix`` of a JSON stream (ijson), numbered from 1.

    A file broken part-way keeps the items before the break and adds one "broken file" problem; a file
    that breaks before its first item is a one-line :class:`InputError`.
    """
    import ijson

    n = 0
    try:
        for item in ijson.items(fh, prefix):
            n += 1
            yield n, item
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError, RecursionError) as exc:
        why = " ".join(str(exc).split("\n", 1)[0].split())[:200]  # yajl adds a picture on further lines
        if n == 0:
            raise InputError(f"{path}: not JSON: {why}") from None
        problems.append(Problem(n + 1, "broken file", f"{path.name}: unreadable JSON after {unit} {n} "
                                                      f"({why}); the {n} {unit}s before it were read", unit=unit))


class FactIndex:
    """The dated facts of a streamed import per coverage IRI, kept in a private temporary SQLite database
    on disk (deleted when closed), so a file of millions of facts holds none of their IRIs in memory.

    :attr:`listings` is ``{coverage IRI: {fact IRI: in force on the import day}}`` as the import store reads
    it: each coverage's facts are a read-only mapping in the order first noted (a fact noted again keeps its
    place and takes the newer value), which can also give its keys in sorted order (:meth:`_Facts.sorted_keys`).
    """

    def __init__(self):
        import sqlite3

        self._db = sqlite3.connect("")  # "": a private temporary database on disk, gone once closed
        self._db.execute("CREATE TABLE facts (id INTEGER PRIMARY KEY, cover INTEGER NOT NULL, key TEXT NOT NULL, "
                         "in_force INTEGER NOT NULL, UNIQUE (cover, key))")
        self._db.execute("CREATE TABLE marked (key TEXT PRIMARY KEY) WITHOUT ROWID")
        self.listings: dict[str, _Facts] = {}
        self._covers = 0

    def note(self, cover: str, found: dict[str, bool]) -> None:
        """Add ``found`` (fact IRI -> in force) under ``cover`` (``""``: the facts of records that name no coverage)."""
        facts = self._facts(cover)
        self._db.executemany("INSERT INTO facts (cover, key, in_force) VALUES (?, ?, ?) "
                             "ON CONFLICT (cover, key) DO UPDATE SET in_force = excluded.in_force",
                             ((facts.cover, k, int(v)) for k, v in found.items()))

    def copy(self, source: str, cover: str) -> None:
        """Add the facts of ``source`` under ``cover``, in their order (``cover`` is listed even when none are)."""
        src, facts = self._facts(source), self._facts(cover)
        self._db.execute("INSERT INTO facts (cover, key, in_force) SELECT ?, key, in_force FROM facts "
                         "WHERE cover = ? ORDER BY id ON CONFLICT (cover, key) DO UPDATE SET in_force = excluded.in_force",
                         (facts.cover, src.cover))

    def drop(self, cover: str) -> None:
        """Forget ``cover`` and its facts."""
        facts = self.listings.pop(cover, None)
        if facts is not None:
            self._db.execute("DELETE FROM facts WHERE cover = ?", (facts.cover,))

    def mark(self, key: str) -> None:
        """Note ``key`` in a set of strings kept with the facts (:meth:`marked`)."""
        self._db.execute("INSERT OR IGNORE INTO marked (key) VALUES (?)", (key,))

    def marked(self, key: str) -> bool:
        return self._db.execute("SELECT 1 FROM marked WHERE key = ?", (key,)).fetchone() is not None

    def _facts(self, cover: str) -> "_Facts":
        if cover not in self.listings:
            self._covers += 1
            self.listings[cover] = _Facts(self._db, self._covers)
        return self.listings[cover]


class _Facts(Mapping):
    """One coverage's facts in a :class:`FactIndex`: ``{fact IRI: in force}``, read-only, in the order noted."""

    def __init__(self, db, cover: int):
        self._db, self.cover = db, cover

    def _value(self, key):
        row = self._db.execute("SELECT in_force FROM facts WHERE cover = ? AND key = ?", (self.cover, key)).fetchone()
        return None if row is None else bool(row[0])

    def __getitem__(self, key: str) -> bool:
        value = self._value(key) if isinstance(key, str) else None
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and self._value(key) is not None

    def __iter__(self) -> Iterator[str]:
        return (k for k, in self._db.execute("SELECT key FROM facts WHERE cover = ? ORDER BY id", (self.cover,)))

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM facts WHERE cover = ?", (self.cover,)).fetchone()[0]

    def items(self) -> "_Items":
        return _Items(self)

    def count(self, in_force: bool) -> int:
        """How many keys are in force (or not)."""
        return self._db.execute("SELECT count(*) FROM facts WHERE cover = ? AND in_force = ?",
                                (self.cover, int(in_force))).fetchone()[0]

    def sorted_keys(self, in_force: bool) -> Iterator[str]:
        """The keys in force (or not) in Python's order of strings (SQLite compares UTF-8 bytes: the same order)."""
        return (k for k, in self._db.execute("SELECT key FROM facts WHERE cover = ? AND in_force = ? ORDER BY key",
                                             (self.cover, int(in_force))))


class _Items(ItemsView):
    def __iter__(self):
        facts = self._mapping
        return ((k, bool(v)) for k, v in facts._db.execute("SELECT key, in_force FROM facts WHERE cover = ? ORDER BY id",
                                                           (facts.cover,)))


class StreamedConversion:
    """A conversion whose triples are produced while the file is read; ``summary`` and ``listings``
    are known once ``triples`` has been consumed (the import store writes the triples first)."""

    def __init__(self, run: Callable[["StreamedConversion"], Iterator[tuple]], *, today: dt.date | None = None):
        self._summary: ImportSummary | None = None
        self.index = FactIndex()
        self.listings = self.index.listings  # coverage IRI -> {dated fact IRI: in force on the import day}
        self.today = today
        self.matches: dict[str, str] = {}
        self.identifiers: dict[str, tuple[str, str]] = {}  # LEI:X -> (record IRI, name), for later imports
        self.triples = run(self)

    def facts(self, covers: Iterable[str], triples: list[tuple]) -> list[tuple]:
        """Note the dated facts (:data:`DATED`) of one record's ``triples`` under each coverage IRI; return the triples.

        The import store compares these keys with the earlier import of the same coverage, so
        a fact a newer full file no longer holds is carried and ended (:func:`graph.readwrite.imports.add_import`).
        """
        found = dated_facts(triples, self.today)
        if found:
            covers = list(covers)
            for c in covers:
                self.index.note(c, found)
            if not covers:
                self.index.note("", found)  # dated facts of records that name no coverage (placed by ``cover``)
        return triples

    def cover(self, coverage: Iterable[str]) -> None:
        """Close the coverage once the file is read: every coverage IRI is listed, uncovered facts go in each."""
        for c in coverage:
            self.index.copy("", c)
        self.index.drop("")

    @property
    def summary(self) -> ImportSummary:
        if self._summary is None:
            raise RuntimeError("the conversion's triples have not been read yet")
        return self._summary


DATED = (ECG.Listing, ECG.Ownership, ECG.Directorship)
"""The fact classes that carry dates: a newer full file that no longer holds one ends it."""


def dated_facts(triples: Iterable[tuple], today: dt.date | None) -> dict[str, bool]:
    """``{fact IRI: in force on today}`` for the facts of a class in :data:`DATED` among ``triples``.

    >>> from rdflib import URIRef
    >>> f = URIRef("urn:x:f")
    >>> dated_facts([(f, RDF.type, ECG.Ownership), (f, ECG.validUntil, Literal(dt.date(2020, 1, 1)))], dt.date(2025, 1, 1))
    {'urn:x:f': False}
    """
    facts, until = set(), {}
    for s, p, o in triples:
        if p == RDF.type and o in DATED:
            facts.add(s)
        elif p == ECG.validUntil and isinstance(o, Literal) and isinstance(o.toPython(), dt.date):
            until[s] = min(o.toPython(), until.get(s, o.toPython()))
    return {str(f): today is None or f not in until or until[f] >= today for f in facts}


def skipped_iris(problems: Iterable[Problem], namespace: Namespace) -> frozenset[str]:
    """The IRIs of the records a file holds but could not import (each problem's key in ``namespace``).

    An earlier fact at or under such an IRI is kept as it was, never ended (:func:`graph.readwrite.imports.add_import`).
    """
    return frozenset(str(namespace[p.key]) for p in problems if p.key and p.kind not in ("note", "new list"))


def key_of(entity_id: str) -> str:
    """The IRI-safe key of an FtM id: the id itself when safe, else its digest.

    >>> key_of("NK-2jRsVxZ7LeL6aAZzE4FqZj"), key_of("gb coh/123")
    ('NK-2jRsVxZ7LeL6aAZzE4FqZj', 'ac96a7a713b5d03644aadc2fec459a379b2ab0f9')
    """
    return _safe_key(str(entity_id))


def convert_file(path: Path, g: Graph, *, name: str, sha256: str, started: dt.datetime,
                 progress: Callable[[int, int], None] | None = None, known: Lookups | None = None
                 ) -> StreamedConversion:
    """Convert the FtM entity file ``path`` for the import ``name``, linking parties to those in ``g``.

    Returns a :class:`StreamedConversion`: iterate its ``triples`` once; its ``summary`` is then complete.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open("rb") as fh:
        head = fh.read(1 << 16).lstrip()
    if not head:
        raise InputError(f"{path}: empty file: an FtM file has one JSON entity per line")
    if not head.startswith(b"{"):
        raise InputError(f"{path}:1: not an FtM entity file: each line is a JSON object such as "
                         '{"id": ..., "schema": "Company", "properties": {...}}')
    known = known or lookups(g)
    return StreamedConversion(lambda conv: _stream(conv, path, known, name=name, sha256=sha256,
                                                   started=started, progress=progress), today=started.date())


def _lines(path: Path) -> int:
    n = 0
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            n += block.count(b"\n")
    return n


def _stream(conv: StreamedConversion, path: Path, known: Lookups, *, name: str, sha256: str,
            started: dt.datetime, progress) -> Iterator[tuple]:
    import orjson
    from followthemoney import model
    from followthemoney.exc import InvalidData

    doc, run = file_node(sha256), run_node(name)
    total = _lines(path) if progress else 0
    problems: list[Problem] = []
    kept: Counter = Counter()
    linked, review = [], []
    created: dict[str, URIRef] = {}
    coverage: set[str] = set()
    read = 0
    ctx = _Context(known, doc, path.name, created, conv.index)
    with path.open("rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            if progress and line_no % _PROGRESS_EVERY == 0:
                progress(line_no, total)
            if not raw.strip():
                continue
            read += 1
            try:
                data = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                problems.append(_problem(line_no, "broken line", f"not JSON: {exc}"))
                continue
            if not isinstance(data, dict):
                problems.append(_problem(line_no, "broken line", f"a line is a JSON object, not {type(data).__name__}"))
                continue
            try:
                proxy = model.get_proxy(data, cleaned=False)
            except InvalidData as exc:
                problems.append(_problem(line_no, "invalid entity", f"{exc} (schema {str(data.get('schema'))[:40]!r})",
                                        _id_key(data)))
                continue
            except (TypeError, ValueError, AttributeError) as exc:
                problems.append(_problem(line_no, "invalid entity", f"unreadable entity ({exc})", _id_key(data)))
                continue
            if not proxy.id:
                problems.append(_problem(line_no, "invalid entity", "no id"))
                continue
            missing = [p for p in sorted(proxy.schema.required) if not proxy.get(p, quiet=True)]
            if missing:
                problems.append(_problem(line_no, "invalid entity", f"{proxy.schema.name} {proxy.id}: no "
                                                                    f"{', '.join(missing)} (required by the FtM schema)",
                                        key_of(proxy.id)))
                continue
            datasets = [str(d) for d in data.get("datasets") or () if isinstance(d, str)]
            coverage.update(datasets)
            convert_one = _converter(proxy.schema)
            if convert_one is None:
                problems.append(_problem(line_no, "not imported", f"{proxy.schema.name} {proxy.id}: the graph holds "
                                                                 "parties, ownership, directorships and sanctions only",
                                        key_of(proxy.id)))
                continue
            if convert_one is not _party and (why := unreadable_dates(proxy, data)):
                problems.append(_problem(line_no, "bad date", why, key_of(proxy.id)))
                continue
            ctx.line = line_no
            triples, links, notes = convert_one(ctx, proxy, data, datasets)
            yield from conv.facts((_coverage(d) for d in datasets), triples)
            for link in links:
                conv.matches[link.id] = str(FTM[f"{key_of(proxy.id)}/match/{_digest(link.party)[:12]}"])
                (linked if link.accepted else review).append(link)
            problems += [Problem(line_no, kind, text, key_of(proxy.id), "line") for kind, text in notes]
            kept[proxy.schema.name] += 1
    for key, (entity_id, caption, dataset, first_seen, line) in sorted(ctx.by_dataset.items()):
        if not ctx.index.marked(key):
            triples, note = _dataset_listing(ctx, key, entity_id, caption, dataset, first_seen)
            yield from conv.facts([_coverage(dataset)], triples)
            if note:
                problems.append(_problem(line, "note", note, key))
    if progress:
        progress(total or read, total or read)
    imported = sum(kept.values())
    yield from provenance_triples(doc, run, path, sha256=sha256, kind="FtM", name=name, started=started,
                                  imported=imported)
    # what the import covers: each dataset its entities name (else the file), so a newer full file supersedes it
    conv.cover(_coverage(c) for c in sorted(coverage or {path.name}))
    conv.identifiers = known.linker.seen
    conv._summary = ImportSummary(
        name=name, file=str(path), sha256=sha256, graph=str(graph_name(name)), records=read, imported=imported,
        linked=tuple(linked), review=tuple(review), problems=tuple(problems),
        new_lists=tuple(sorted(created)), kept=tuple(sorted(kept.items())), skipped_ids=skipped_iris(problems, FTM),
    )


def _coverage(dataset: str) -> str:
    """The coverage IRI of an FtM dataset (or file name): a newer full file of it supersedes the older."""
    return str(ID[f"coverage/ftm/{_coverage_key(dataset)}"])


def _problem(line: int, kind: str, detail: str, key: str = "") -> Problem:
    return Problem(line, kind, detail, key, "line")


def _coverage_key(text: str) -> str:
    return _safe_key(re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or _digest(text))


def _id_key(data: dict) -> str:
    raw = data.get("id")
    return key_of(raw) if isinstance(raw, str) and raw.strip() else ""


class _Context:
    """What converting one entity needs: the graph's lookups, the file node, the lists created so far."""

    def __init__(self, known: Lookups, doc: URIRef, file_name: str, created: dict[str, URIRef], index: FactIndex):
        self.known, self.doc, self.file_name, self.created, self.index = known, doc, file_name, created, index
        self.country_cache: dict[str, URIRef | None] = {}
        # parties of a dataset that is one list, and the entities some Sanction names: a party of such a
        # dataset that no Sanction names is on that list by its dataset (written once the file is read)
        self.by_dataset: dict[str, tuple] = {}  # key -> (FtM id, caption, dataset, first_seen, line)
        self.line = 0  # the entities some Sanction names are marked in ``index``

    def country(self, code: str) -> URIRef | None:
        if code not in self.country_cache:
            # FtM country codes are ISO 3166-1 alpha-2 in lower case (plus a few of its own, e.g. 'suhh')
            self.country_cache[code] = self.known.countries.get(code.upper()) if len(code) == 2 else None
        return self.country_cache[code]

    def record(self, proxy, key: str) -> tuple[URIRef, list[tuple]]:
        node = FTM[f"{key}/record"]
        out = [(node, RDF.type, ECG.SourceRecord),
               (node, RDFS.label, Literal(f"FtM {proxy.schema.name} {proxy.id} in {self.file_name}")),
               (node, DCTERMS.isPartOf, self.doc),
               (node, ECG.externalId, Literal(proxy.id))]
        for url in proxy.get("sourceUrl", quiet=True):
            if _URL.fullmatch(url):
                out.append((node, RDFS.seeAlso, URIRef(url)))
        return node, out


def _converter(schema):
    if schema.is_a("LegalEntity"):
        return _party
    for name, fn in (("Ownership", _ownership), ("Directorship", _directorship), ("Sanction", _sanction)):
        if schema.is_a(name):
            return fn
    return None


def party_class(schema) -> URIRef:
    """The ecg class of an FtM legal-entity schema."""
    if schema.is_a("Person"):
        return ECG.Person
    if schema.is_a("Organization"):
        return ECG.Firm
    return ECG.Party


def _party(ctx: _Context, proxy, data: dict, datasets) -> tuple[list, list, list]:
    from .linking import match_triples

    key = key_of(proxy.id)
    party = FTM[key]
    cls = party_class(proxy.schema)
    names = list(dict.fromkeys(v for p in _ALIASES for v in proxy.get(p, quiet=True)))
    label = proxy.caption if proxy.caption and proxy.caption != proxy.schema.label else (names[0] if names else proxy.id)
    out = [(party, RDF.type, cls), (party, RDFS.label, Literal(label)), (party, DCTERMS.source, ctx.doc),
           (party, ECG.externalId, Literal(proxy.id))]
    out += [(party, SKOS.altLabel, Literal(n)) for n in names if n != label]
    out += [(party, ECG.address, Literal(a)) for a in proxy.get("address", quiet=True)]
    countries = []
    for prop, pred in (("country", ECG.addressCountry), ("mainCountry", ECG.addressCountry),
                       ("jurisdiction", ECG.incorporatedIn)):
        for code in proxy.get(prop, quiet=True):
            node = ctx.country(code)
            if node is not None:
                out.append((party, pred, node))
                countries.append(code.upper())
    identifiers = [f"OPENSANCTIONS:{proxy.id}"]
    from followthemoney.types import registry

    for prop, value in proxy.itervalues():
        if prop.type != registry.identifier or prop.name == "programId":
            continue
        if prop.name == "leiCode":
            out.append((party, ECG.lei, Literal(value)))
            identifiers.append(f"LEI:{value}")
        else:
            out.append((party, ECG.registrationNumber, Literal(f"{prop.name}:{value}")))
            identifiers.append(f"{prop.name}:{value}")
    topics = proxy.get("topics", quiet=True)
    if topics:
        out.append((party, ECG.note, Literal(f"OpenSanctions topics: {'; '.join(sorted(topics))}")))
    if datasets:
        out.append((party, ECG.note, Literal(f"OpenSanctions datasets: {'; '.join(sorted(datasets))}")))
    for d in sorted(datasets):
        if d in ctx.known.datasets:
            ctx.by_dataset[key] = (proxy.id, label, d, str(data.get("first_seen") or ""), ctx.line)
            break
    links = ctx.known.linker.links(str(party), [label, *names], cls=str(cls), identifiers=identifiers,
                                   countries=countries)
    for link in links:
        out += match_triples(link, FTM[f"{key}/match/{_digest(link.party)[:12]}"], ctx.doc)
    return out, links, []


_VALIDITY = {"Sanction": (("listingDate", "startDate", "date"), ("endDate",))}
"""The FtM properties that give a dated fact's start and end, first found first; other facts: startDate, endDate."""


def validity(schema) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The properties giving the start and the end of a fact of ``schema`` (:data:`_VALIDITY`)."""
    for name, props in _VALIDITY.items():
        if schema.is_a(name):
            return props
    return ("startDate",), ("endDate",)


def unreadable_dates(proxy, data: dict) -> str:
    """Why the validity dates of a dated fact cannot be read, else ``""``.

    The model drops a date it cannot clean (``2025-02-30``, ``tomorrow``) from the proxy, so the
    values are looked for in the record as given: a fact that lost a date would hold at all dates.

    >>> from followthemoney import model
    >>> data = {"id": "o1", "schema": "Ownership", "properties": {"owner": ["a"], "asset": ["b"],
    ...         "startDate": ["2025-02-30"], "endDate": ["2026"]}}
    >>> unreadable_dates(model.get_proxy(data, cleaned=False), data)
    "Ownership o1: startDate '2025-02-30' is not a date (YYYY-MM-DD, YYYY-MM or YYYY)"
    """
    given = data.get("properties")
    if not isinstance(given, dict):
        return ""
    bad = []
    for name in (p for props in validity(proxy.schema) for p in props):
        prop = proxy.schema.get(name)
        if prop is None:
            continue
        raw = given.get(name)
        for value in (raw if isinstance(raw, list) else [raw]):
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if prop.type.clean(str(value)) is None:
                text = str(value)
                bad.append(f"{name} {text[:40]!r}" + (f"... ({len(text):,} characters)" if len(text) > 40 else ""))
    if not bad:
        return ""
    return (f"{proxy.schema.name} {proxy.id}: {', '.join(bad)} "
            f"{'is not a date' if len(bad) == 1 else 'are not dates'} (YYYY-MM-DD, YYYY-MM or YYYY)")


def _dates(proxy, fact: URIRef, out: list, notes: list) -> None:
    start, end = validity(proxy.schema)
    for props, pred, which in ((start, ECG.validFrom, "start"), (end, ECG.validUntil, "end")):
        for prop in props:
            values = proxy.get(prop, quiet=True)
            if not values:
                continue
            value = sorted(values)[0] if which == "start" else sorted(values)[-1]
            day = full_date(value)
            if day is not None:
                out.append((fact, pred, Literal(day)))
            else:
                out.append((fact, ECG.note, Literal(f"{which} date given as {value} (not a full date)")))
                notes.append(("note", f"{proxy.schema.name} {proxy.id}: {prop} {value!r} is not a full date; kept as a note"))
            break


def full_date(value: str) -> dt.date | None:
    """The day of an FtM date value when it names one (``2020-05-01``, ``2020-05-01T10:00``), else None.

    >>> full_date("2021-03-04T10:00:00"), full_date("2021-03")
    (datetime.date(2021, 3, 4), None)
    """
    try:
        return dt.date.fromisoformat(value[:10]) if len(value) >= 10 else None
    except ValueError:
        return None


def stated_day(value: str) -> tuple[dt.date | None, bool]:
    """The day a date value names, and whether the value can be read as a date at all: ``("", True)`` for no
    value, ``(None, True)`` for a date coarser than a day (``2021-03``), ``(None, False)`` for what is no date
    (``2025-02-30``, ``tomorrow``): a fact with such a date must not become one that holds at every date.

    >>> stated_day("2021-03-04"), stated_day("2021-03"), stated_day("2025-02-30"), stated_day("")
    ((datetime.date(2021, 3, 4), True), (None, True), (None, False), (None, True))
    """
    value = (value or "").strip()
    if not value:
        return None, True
    day = full_date(value)
    if day is not None:
        return day, True
    return None, bool(re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", value))


def percentage(text: str) -> Decimal | None:
    """A share as a number from 0 to 100 (``"60"``, ``"60.5"``, ``"60%"``), else None.

    >>> percentage("60%"), percentage("abc"), percentage("150")
    (Decimal('60'), None, None)
    """
    try:
        value = Decimal(str(text).strip().rstrip("%").strip())
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() and 0 <= value <= 100 else None


def _ownership(ctx: _Context, proxy, data, datasets) -> tuple[list, list, list]:
    key = key_of(proxy.id)
    fact = FTM[key]
    record, out = ctx.record(proxy, key)
    owner, asset = proxy.first("owner"), proxy.first("asset")
    notes: list = []
    out += [(fact, RDF.type, ECG.Ownership), (fact, ECG.owner, FTM[key_of(owner)]), (fact, ECG.owned, FTM[key_of(asset)]),
            (fact, DCTERMS.source, record), (fact, RDFS.label, Literal(f"Ownership {proxy.id}"))]
    shares = proxy.get("percentage", quiet=True)
    for text in shares[:1]:
        value = percentage(text)
        if value is not None:
            out.append((fact, ECG.percentage, Literal(value)))
        else:
            out.append((fact, ECG.note, Literal(f"percentage given as {text!r}")))
            notes.append(("note", f"Ownership {proxy.id}: percentage {text!r} is not a number from 0 to 100; kept as a note"))
    for prop in ("ownershipType", "sharesType", "sharesValue", "sharesCount", "sharesCurrency", "legalBasis", "status"):
        for value in proxy.get(prop, quiet=True):
            out.append((fact, ECG.note, Literal(f"{proxy.schema.get(prop).label}: {value}")))
    for role in proxy.get("role", quiet=True):
        out.append((fact, ECG.role, Literal(role)))
    _dates(proxy, fact, out, notes)
    return out, [], notes


def _directorship(ctx: _Context, proxy, data, datasets) -> tuple[list, list, list]:
    key = key_of(proxy.id)
    fact = FTM[key]
    record, out = ctx.record(proxy, key)
    notes: list = []
    out += [(fact, RDF.type, ECG.Directorship), (fact, ECG.director, FTM[key_of(proxy.first("director"))]),
            (fact, ECG.directedOrganization, FTM[key_of(proxy.first("organization"))]),
            (fact, DCTERMS.source, record), (fact, RDFS.label, Literal(f"Directorship {proxy.id}"))]
    out += [(fact, ECG.role, Literal(r)) for r in proxy.get("role", quiet=True)]
    _dates(proxy, fact, out, notes)
    return out, [], notes


def list_for(known: Lookups, proxy, datasets) -> URIRef | None:
    """The list a Sanction is on: by programme, programme id or authority, else by one of its datasets."""
    for prop in ("program", "programId", "authority"):
        for value in proxy.get(prop, quiet=True):
            found = known.programs.get(normalise(value))
            if found is not None:
                return found
    for d in datasets:
        if d in known.datasets:
            return known.datasets[d]
    return None


def _sanction(ctx: _Context, proxy, data, datasets) -> tuple[list, list, list]:
    key = key_of(proxy.id)
    listing = FTM[f"{key}/listing"]
    record, out = ctx.record(proxy, key)
    notes: list = []
    on_list = list_for(ctx.known, proxy, datasets)
    if on_list is None:
        program = (proxy.first("program", quiet=True) or proxy.first("authority", quiet=True)
                   or (f"OpenSanctions dataset {datasets[0]}" if datasets else "an unnamed programme"))
        on_list = ctx.created.get(program)
        if on_list is None:
            on_list = ctx.created[program] = new_list(program)
            out += new_list_triples(on_list, program, ctx.doc, csl=False)
            ctx.known.list_labels[on_list] = program
            notes.append(("new list", f"Sanction {proxy.id}: programme {program!r} names no list the graph knows "
                                      f"(no ecg:sanctionProgram with that value): kept on the new list <{on_list}>"))
    party = FTM[key_of(proxy.first("entity"))]
    ctx.index.mark(key_of(proxy.first("entity")))
    out += [(listing, RDF.type, ECG.Listing), (listing, ECG.listedParty, party), (listing, ECG.onList, on_list),
            (listing, DCTERMS.source, record),
            (listing, RDFS.label, Literal(f"Sanction {proxy.id} on the {ctx.known.list_labels.get(on_list, on_list)}"))]
    _dates(proxy, listing, out, notes)
    if not any(p == ECG.validFrom for _, p, _ in out):
        first_seen = full_date(str(data.get("first_seen") or ""))
        if first_seen is not None:
            out += [(listing, ECG.validFrom, Literal(first_seen)),
                    (listing, ECG.note, Literal("No listing date given: the start is the day OpenSanctions first saw it."))]
        else:
            notes.append(("note", f"Sanction {proxy.id}: no listing or start date"))
    for prop in ("authority", "program", "programId", "reason", "provisions", "status", "duration", "summary"):
        for value in proxy.get(prop, quiet=True):
            out.append((listing, ECG.note, Literal(f"{proxy.schema.get(prop).label}: {value}")))
    for value in proxy.get("provisions", quiet=True):
        policy = _policy(ctx.known, value)
        if policy is not None:
            out.append((listing, ECG.reviewPolicy, policy))
    return out, [], notes


def _dataset_listing(ctx: _Context, key: str, entity_id: str, caption: str, dataset: str, first_seen: str):
    """The listing of a party by its dataset alone (``ecg:opensanctionsDataset``), citing the party's record."""
    on_list = ctx.known.datasets[dataset]
    listing, record = FTM[f"{key}/listing/{_coverage_key(dataset)}"], FTM[f"{key}/record"]
    out = [(record, RDF.type, ECG.SourceRecord), (record, DCTERMS.isPartOf, ctx.doc),
           (record, ECG.externalId, Literal(entity_id)),
           (record, RDFS.label, Literal(f"FtM entity {entity_id} of dataset {dataset} in {ctx.file_name}")),
           (listing, RDF.type, ECG.Listing), (listing, ECG.listedParty, FTM[key]), (listing, ECG.onList, on_list),
           (listing, DCTERMS.source, record),
           (listing, RDFS.label, Literal(f"{caption} on the {ctx.known.list_labels.get(on_list, on_list)}")),
           (listing, ECG.note, Literal(f"Listed by its OpenSanctions dataset {dataset}, which is this list; "
                                       "the file has no Sanction record for it."))]
    day = full_date(first_seen)
    if day is None:
        return out, f"entity {entity_id} of dataset {dataset}: on the list by its dataset, with no start date"
    out += [(listing, ECG.validFrom, Literal(day)),
            (listing, ECG.note, Literal("No listing date given: the start is the day OpenSanctions first saw it."))]
    return out, ""


def _policy(known: Lookups, text: str):
    from .csl import review_policy

    return review_policy(text, known.policies)


# --------------------------------------------------------------------------- the way back


_PARTIES = """
SELECT DISTINCT ?s ?cls WHERE {
  ?s a ?cls . VALUES ?cls { ecg:Firm ecg:Person ecg:Party }
}"""


def write_ftm(g: Graph, out: Path) -> tuple[int, int, tuple[str, ...]]:
    """Write the parties, ownership stakes and listings of ``g`` as FtM entities, one JSON object a line.

    Each entity is built with the followthemoney model and checked against its
    schema (required properties, property types) before it is written. Ids are
    made from the IRIs (``ecg-`` + a digest), so the same graph gives the same file.
    The file is written to a temporary name and renamed: it is whole or not there.

    A value FtM cannot hold (a name longer than its name type's 384 characters, an
    address longer than 250) is never shortened: a shortened name is another name to
    screen. An optional value is left out; an entity whose required value (a party's
    name) cannot be held is skipped, and so are the stakes and listings that name it.
    Each is one line in the notes.

    Returns how many entities were written, how many skipped, and the notes.
    """
    import orjson
    from followthemoney import model

    from ..store.atomic import open_atomic
    from ..store.names import label_of

    def ftm_id(node) -> str:
        return "ecg-" + _digest(str(node))[:20]

    def iso(node) -> str | None:
        code = g.value(node, ECG.isoAlpha2)
        return str(code).lower() if code is not None else None

    entities = []
    parties = {}
    for s, cls in g.query(_PARTIES, initNs={"ecg": ECG._NS}):
        if not isinstance(s, URIRef):
            continue
        schema = {ECG.Firm: "Company", ECG.Person: "Person"}.get(cls, "LegalEntity")
        if s in parties and schema == "LegalEntity":
            continue
        parties[s] = schema
    for s, schema in sorted(parties.items()):
        e = model.make_entity(schema)
        e.id = ftm_id(s)
        e.add("name", label_of(g, s))
        e.add("alias", [str(a) for a in g.objects(s, SKOS.altLabel)])
        e.add("country", [c for c in (iso(n) for n in g.objects(s, ECG.headquarteredIn)) if c])
        e.add("country", [c for c in (iso(n) for n in g.objects(s, ECG.addressCountry)) if c])
        e.add("jurisdiction", [c for c in (iso(n) for n in g.objects(s, ECG.incorporatedIn)) if c], quiet=True)
        e.add("address", [str(a) for a in g.objects(s, ECG.address)], quiet=True)
        e.add("leiCode", [str(v) for v in g.objects(s, ECG.lei)], quiet=True)
        e.add("sourceUrl", [str(s)])
        entities.append(e)
    for fact in sorted(set(g.subjects(RDF.type, ECG.Ownership))):
        owner, owned = g.value(fact, ECG.owner), g.value(fact, ECG.owned)
        if owner not in parties or owned not in parties:
            continue
        e = model.make_entity("Ownership")
        e.id = ftm_id(fact)
        e.add("owner", ftm_id(owner))
        e.add("asset", ftm_id(owned))
        share = g.value(fact, ECG.percentage)
        if share is not None:
            e.add("percentage", str(share))
        basis = g.value(fact, ECG.ownershipBasis)
        if basis is not None:
            e.add("ownershipType", label_of(g, basis))
        _ftm_dates(g, fact, e)
        e.add("sourceUrl", [str(fact)])
        entities.append(e)
    for listing in sorted(set(g.subjects(RDF.type, ECG.Listing))):
        party, on_list = g.value(listing, ECG.listedParty), g.value(listing, ECG.onList)
        if party not in parties or on_list is None:
            continue
        e = model.make_entity("Sanction")
        e.id = ftm_id(listing)
        e.add("entity", ftm_id(party))
        e.add("program", label_of(g, on_list))
        for name in g.objects(on_list, ECG.cslSourceName):
            e.add("authority", str(name).rsplit(" - ", 1)[-1])
        policy = g.value(listing, ECG.reviewPolicy)
        if policy is not None:
            e.add("provisions", label_of(g, policy))
        for req in g.objects(listing, ECG.licenceRequirement):
            e.add("summary", str(req))
        _ftm_dates(g, listing, e, start="listingDate")
        e.add("sourceUrl", [str(listing)])
        entities.append(e)
    notes: list[str] = []
    gone: dict[str, str] = {}  # id -> IRI of each entity skipped: the facts that name them go too
    written = 0
    with open_atomic(Path(out), binary=True) as fh:
        for e in entities:  # parties first, so a stake or listing knows whether its party was written
            why = holdable(e, gone, notes)
            if why:
                gone[e.id] = _source_of(e)
                notes.append(f"skipped {e.schema.name} {_source_of(e)}: {why}")
                continue
            fh.write(orjson.dumps(e.to_dict(), option=orjson.OPT_SORT_KEYS) + b"\n")
            written += 1
    return written, len(gone), tuple(notes)


def _source_of(e) -> str:
    """The IRI an exported entity was made from (its ``sourceUrl``), in angle brackets, else its id."""
    url = e.first("sourceUrl", quiet=True)
    return f"<{url}>" if url else e.id


def _shown(value: str) -> str:
    """A value for a one-line note: quoted with its escapes (a control character stays visible), cut at 40 characters."""
    return repr(value) if len(value) <= 40 else f"{value[:40]!r}... ({len(value):,} characters)"


def holdable(e, gone: Mapping[str, str], notes: list[str]) -> str:
    """Fit the FtM entity ``e`` to what its schema holds: ``""`` when it can be written, else why it cannot.

    A value its property type does not hold (too long, not valid) is removed and named in ``notes``; when a
    required property is left without a value, or ``e`` names an entity of ``gone`` (id -> how to name it), the
    reason is returned.

    >>> from followthemoney import model
    >>> e = model.make_entity("Company"); e.id = "x"; e.add("name", "Example Co"); e.add("address", "A" * 300)
    >>> notes = []
    >>> holdable(e, {}, notes), e.get("address"), notes
    ('', [], ["x: address 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'... (300 characters) left out: longer than the 250 characters an FtM address holds"])
    >>> e.set("name", "N" * 400); holdable(e, {}, [])
    "its name 'NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN'... (400 characters) is longer than the 384 characters an FtM name holds"
    """
    from followthemoney.exc import InvalidData
    from followthemoney.types import registry

    dropped: dict[str, tuple[str, str]] = {}  # property -> (the first value left out, why)
    for prop in list(e.iterprops()):
        if prop.type == registry.entity:
            for ref in e.get(prop):
                if ref in gone:
                    return f"its {prop.name} {gone[ref]} was skipped"
        values = e.get(prop)
        bad = [v for v in values if not prop.type.validate(v)]
        if not bad:
            continue
        e.set(prop, [v for v in values if v not in bad], cleaned=True)
        cleaned = prop.type.clean_text(bad[0]) or ""
        why = (f"longer than the {prop.type.max_length} characters an FtM {prop.type.name} holds"
               if len(cleaned) > prop.type.max_length else f"not a value an FtM {prop.type.name} holds")
        dropped[prop.name] = (_shown(bad[0]) + (f" and {len(bad) - 1} more" if len(bad) > 1 else ""), why)
    for name in sorted(e.schema.required):
        if not e.get(name, quiet=True):
            if name in dropped:
                return f"its {name} {dropped[name][0]} is {dropped[name][1]}"
            return f"no {name} (required by the FtM schema)"
    for name, (shown, why) in dropped.items():
        notes.append(f"{_source_of(e)}: {name} {shown} left out: {why}")
    try:
        e.schema.validate(e.to_dict())
    except InvalidData as exc:  # what the checks above do not foresee: the model's own words, on one line
        return " ".join(f"{k}: {v}" for k, v in (exc.errors or {}).get("properties", {}).items())[:300] or str(exc)
    return ""


def _ftm_dates(g: Graph, fact, e, *, start: str = "startDate") -> None:
    began, ended = g.value(fact, ECG.validFrom), g.value(fact, ECG.validUntil)
    if began is not None:
        e.add(start, str(began))
        if start != "startDate":
            e.add("startDate", str(began))
    if ended is not None:
        e.add("endDate", str(ended))
