"""Read the US Consolidated Screening List (CSL) and turn its records into RDF.

The CSL (trade.gov) merges the Entity List, MEU, UVL, DPL, SDN and other lists.
It is published as ``consolidated.csv`` / ``.tsv`` (29 columns, multi-valued
fields ``;``-separated) and as ``consolidated.json`` (``{"results": [...],
"total": N}``). :func:`read_csl` reads both into plain :class:`Record` values;
:func:`convert` turns them into triples for one import's named graph:

* a party ``id:csl/<key>`` (``ecg:Firm`` for type Entity, ``ecg:Person`` for
  Individual, ``ecg:Party`` otherwise) with its name, aliases, verbatim
  addresses and the ISO countries of those addresses;
* an ``ecg:Listing`` ``id:csl/<key>/listing`` on the list node whose
  ``ecg:cslSourceName`` is the record's ``source`` (looked up in the graph, so a
  new list is new Turtle), with the FR notice verbatim and parsed into
  ``ecg:frCitation``, start and end dates, licence requirement and policy;
* a scored ``ecg:NameMatch`` to a curated party when the names agree, accepted
  (and asserted ``owl:sameAs``) when strong, left for review when weak;
* the file as an ``ecg:SourceDocument`` (name, SHA-256) and the
  ``ecg:ImportRun`` (``prov:Activity``) that read it.

The key of a record is its CSL ``_id``/``id`` (a stable 40-hex digest in the
published files), else a digest of source and normalised name, so the same
record always gets the same IRIs and re-imports are idempotent.

Bad input never stops an import: a broken row, a bad date, an unknown list name
or a duplicate is reported as a :class:`Problem` with its row number (the header
is row 1, as a spreadsheet shows it; in JSON, row N is the N-th record) and
skipped. The record key of a skipped row, when its ``_id``/``id`` (or, for a bad
date, its source and name) can be read, is kept in :attr:`Problem.key` and in
:attr:`ImportSummary.skipped_ids`, so a re-import can treat that record as still
present rather than ended. Only a file that is not a CSL at all (not UTF-8,
empty, a header without ``source`` and ``name``, JSON without ``results``)
raises :class:`InputError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS

from ..errors import InputError
from ..store.names import normalise
from ..namespace import ECG, ID
from ..store.stored import graph_name  # noqa: F401  (re-exported: an import's named graph is the store's)

COLUMNS = (
    "_id", "source", "entity_number", "type", "programs", "name", "title", "addresses",
    "federal_register_notice", "start_date", "end_date", "standard_order", "license_requirement",
    "license_policy", "call_sign", "vessel_type", "gross_tonnage", "gross_registered_tonnage",
    "vessel_flag", "vessel_owner", "remarks", "source_list_url", "alt_names", "citizenships",
    "dates_of_birth", "nationalities", "places_of_birth", "source_information_url", "ids",
)
"""The CSL CSV/TSV header, in the published order."""

MULTI_VALUED = frozenset({"programs", "addresses", "alt_names", "citizenships", "dates_of_birth",
                          "nationalities", "places_of_birth", "ids"})
REQUIRED = ("source", "name")
NOT_SKIPPED = frozenset({"header", "new list", "note"})
"""Problem kinds that report something about a row that was imported all the same."""

CSL = Namespace(str(ID) + "csl/")
"""Where imported CSL parties, listings and name matches live."""

from .linking import ACCEPT_SCORE, REVIEW_SCORE, Link  # noqa: E402  (re-exported: the CSL's thresholds are the linker's)

# The CSL 'type' column: a format constant of the file, not domain data.
_PARTY_CLASS = {"entity": ECG.Firm, "individual": ECG.Person}
_CITATION = re.compile(r"\b(\d{1,3})\s*F\.?\s?R\.?\s*(\d{1,6})\b")
_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]{1,80}")
_LEADING_ID = re.compile(r'\ufeff?"?([A-Za-z0-9_-]{1,80})"?[,\t]')
_PROGRESS_EVERY = 500


@dataclass(frozen=True)
class Problem:
    """A row that was skipped (or a header that was read by name), and why."""

    row: int
    kind: str  # "header", "new list", "broken row", "bad date", "duplicate"
    detail: str
    key: str = ""  # the record key of the skipped row when it could be read, else ""
    unit: str = "row"  # what ``row`` counts: CSV/JSON rows, or the lines of a line-per-record file

    def __str__(self) -> str:
        return f"{self.unit} {self.row}: {self.kind}: {self.detail}"


@dataclass(frozen=True)
class Record:
    """One CSL record, cleaned: strings stripped, multi-valued fields as tuples, dates parsed."""

    row: int
    key: str
    external_id: str
    source: str
    type: str
    name: str
    alt_names: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # the country part of each address, as given (ISO2 or a name)
    programs: tuple[str, ...] = ()
    fr_notice: str = ""
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    licence_requirement: str = ""
    licence_policy: str = ""
    remarks: str = ""


Match = Link
"""A match between an imported party and a curated one (see :class:`graph.readwrite.linking.Link`)."""


@dataclass(frozen=True)
class ImportSummary:
    """What an import did: counts, links, and every skipped row with its reason."""

    name: str
    file: str
    sha256: str
    graph: str
    records: int  # records read from the file (rows after the header)
    imported: int  # listings written
    linked: tuple[Match, ...] = ()  # accepted matches (owl:sameAs asserted)
    review: tuple[Match, ...] = ()  # weak matches, recorded with ecg:accepted false and queued for review
    problems: tuple[Problem, ...] = ()
    added: int = 0  # listings not in the previous import of their list
    ended: int = 0  # listings of the previous import missing from this file
    unchanged: bool = False  # the same file (same SHA-256) was imported before: nothing done
    skipped_ids: frozenset[str] = frozenset()  # record keys of skipped rows (broken, bad date, unknown list)

    new_lists: tuple[str, ...] = ()  # source names of lists the graph did not know, created by this import
    kept: tuple[tuple[str, int], ...] = ()  # records kept by kind (FtM schema, GLEIF record type, BODS statement type)

    @property
    def skipped(self) -> int:
        """How many rows were skipped."""
        return sum(1 for p in self.problems if p.kind not in NOT_SKIPPED)

    def reasons(self) -> dict[str, int]:
        """Skipped rows counted by reason."""
        return dict(Counter(p.kind for p in self.problems if p.kind not in NOT_SKIPPED))


# --------------------------------------------------------------------------- reading


def read_csl(path: Path) -> tuple[list[Record], list[Problem]]:
    """Read a CSL file (``.csv``, ``.tsv`` or ``.json``) into records and the problems met.

    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "consolidated.json"
    >>> _ = path.write_text('{"results": [{"id": "x1", "name": "Example Co", "type": "Entity", '
    ...                     '"source": "Entity List (EL) - Bureau of Industry and Security"}], "total": 1}')
    >>> records, problems = read_csl(path)
    >>> [(r.name, r.type) for r in records], problems
    ([('Example Co', 'Entity')], [])
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    text = _read_text(path)
    if not text.strip():
        raise InputError(f"{path}: empty file: a CSL file has a header row (CSV/TSV) or a 'results' list (JSON)")
    if suffix == ".json":
        return _read_json(path, text)
    if suffix in (".csv", ".tsv", ".txt"):
        return _read_delimited(path, text, "\t" if suffix == ".tsv" else None)
    if text.lstrip().startswith("{"):
        return _read_json(path, text)
    return _read_delimited(path, text, None)


def _read_text(path: Path) -> str:
    """The file's text, read as UTF-8 (a leading byte-order mark is dropped); else a one-line :class:`InputError`."""
    data = path.read_bytes()
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    try:
        return data[bom:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = bom + exc.start
        line = data.count(b"\n", 0, at) + 1
        raise InputError(f"{path}: not UTF-8: byte {at} (line {line}) is 0x{data[at]:02x}; "
                         "save it as UTF-8 and import it again") from None


def _read_delimited(path: Path, text: str, delimiter: str | None) -> tuple[list[Record], list[Problem]]:
    """Rows of a CSV/TSV text, read so that a broken row never swallows the rows after it.

    Each row is read from its own first line on: a quoted field may span lines,
    but a row that then fails (a stray or unterminated quote, the wrong number
    of fields) is reported with its line number and only its first line is
    dropped; reading resumes on the next line.
    """
    lines = text.splitlines(keepends=True)
    if delimiter is None:
        delimiter = "\t" if lines[0].count("\t") > lines[0].count(",") else ","
    try:
        header = [h.strip() for h in next(csv.reader(lines[:1], delimiter=delimiter, strict=True))]
    except (StopIteration, csv.Error):
        raise InputError(f"{path}:1: empty or unreadable CSL header") from None
    problems = _check_header(path, header)
    id_at = header.index("_id") if "_id" in header else None
    rows: list[tuple[int, dict]] = []
    row, at = 1, 1
    while at < len(lines):
        values, used, error = one_row(lines, at, delimiter)
        if error is None and (not values or (len(values) == 1 and not values[0].strip())):
            at += max(used, 1)  # blank line: not a row
            continue
        row += 1
        if error is None and len(values) != len(header):
            error = f"{len(values)} fields, expected {len(header)}"
        if error is not None:
            found = _LEADING_ID.match(lines[at])
            key = _safe_key(found.group(1)) if found else ""
            if not key and values and id_at is not None and id_at < len(values) and used == 1:
                key = _safe_key(values[id_at].strip()) if values[id_at].strip() else ""
            problems.append(Problem(row, "broken row", f"line {at + 1}: {error}", key))
            at += 1  # only the row's first line is lost; the next line is read as a row of its own
            continue
        raw = dict(zip(header, values))
        rows.append((row, {k: _split(k, v) for k, v in raw.items()}))
        at += used
    return _records(rows, problems)


_MAX_ROW_LINES = 200
"""A quoted field longer than this many lines is taken as an unterminated quote."""


def one_row(lines: list[str], at: int, delimiter: str) -> tuple[list[str], int, str | None]:
    """The row that starts on line ``at`` (0-based) of a delimited text: its values, how many lines it used, and
    the error if it is broken (an unterminated quote, one field over too many lines, unreadable CSV)."""
    used = 0

    def feed():
        nonlocal used
        while at + used < len(lines) and used < _MAX_ROW_LINES:
            used += 1
            yield lines[at + used - 1]

    try:
        values = next(csv.reader(feed(), delimiter=delimiter, strict=True), [])
    except csv.Error as exc:
        return [], used, f"unreadable CSV ({exc})"
    if used > 1 and at + used >= len(lines) and lines[at + used - 1].count('"') % 2 and len(values) <= 1:
        return values, used, "unterminated quote"
    if used >= _MAX_ROW_LINES:
        return values, used, f"a quoted field runs over {_MAX_ROW_LINES} lines (unterminated quote?)"
    return values, used, None


def _check_header(path: Path, header: list[str]) -> list[Problem]:
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError(
            f"{path}:1: not a CSL header: no column {', '.join(missing)}; "
            f"expected the {len(COLUMNS)} columns {', '.join(COLUMNS)}"
        )
    if tuple(header) == COLUMNS:
        return []
    absent = [c for c in COLUMNS if c not in header]
    extra = [c for c in header if c not in COLUMNS]
    parts = []
    if absent:
        parts.append(f"missing {', '.join(absent)}")
    if extra:
        parts.append(f"unexpected {', '.join(extra)}")
    if not parts:
        parts.append("columns in another order")
    return [Problem(1, "header", f"differs from the {len(COLUMNS)}-column CSL header ({'; '.join(parts)}); "
                                 "columns are read by name")]


def _split(column: str, value: str):
    value = value.strip()
    if column in MULTI_VALUED:
        return tuple(v.strip() for v in value.split(";") if v.strip())
    return value


def _read_json(path: Path, text: str) -> tuple[list[Record], list[Problem]]:
    # numbers stay text: a CSL field is text, and a 5,000-digit number must not stop the import
    as_text = {"parse_int": str, "parse_float": str, "parse_constant": str}
    items = None
    try:
        doc = json.loads(text, **as_text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}") from None
    except RecursionError:  # one record nested thousands deep: read the records one by one
        doc, items = None, _json_items(path, text)
    if items is None:
        results = doc.get("results") if isinstance(doc, dict) else None
        if not isinstance(results, list):
            raise InputError(f"{path}: not a CSL JSON file: no 'results' list at the top level")
        items = ((row, item, None) for row, item in enumerate(results, start=1))
    problems: list[Problem] = []
    rows: list[tuple[int, dict]] = []
    for row, item, error in items:
        try:
            if error:
                raise ValueError(error)
            rows.append((row, _json_fields(item)))
        except (TypeError, ValueError, AttributeError) as exc:
            raw = item.get("id", item.get("_id")) if isinstance(item, dict) else None
            key = _safe_key(str(raw).strip()) if isinstance(raw, str) and str(raw).strip() and \
                not _surrogates(str(raw)) else ""
            problems.append(Problem(row, "broken row", str(exc), key))
    return _records(rows, problems)


_JSON_TOKEN = re.compile(r'[{}\[\]"]')
_JSON_STRING_END = re.compile(r'(?:[^"\\]|\\.)*"', re.S)


def _json_items(path: Path, text: str):
    """``(row, item, error)`` for each element of the top-level ``results`` list, found by a scan that keeps
    no stack (so no depth stops it) and parsed one by one: a record too deep to read is an error of its own."""
    start = re.search(r'^\s*\{\s*(?:"[^"]*"\s*:\s*(?:"[^"]*"|[^,{}\[\]"]*)\s*,\s*)*"results"\s*:\s*\[', text)
    if start is None:
        raise InputError(f"{path}: not a CSL JSON file: no 'results' list at the top level "
                         "(or one nested too deep to read)")
    depth, pos, row, begin = 0, start.end(), 0, None
    while True:
        m = _JSON_TOKEN.search(text, pos)
        if m is None:
            raise InputError(f"{path}: not JSON: the 'results' list is not closed")
        ch, pos = m.group(), m.end()
        if ch == '"':
            end = _JSON_STRING_END.match(text, pos)
            if end is None:
                raise InputError(f"{path}: not JSON: a string is not closed")
            if depth == 0 and begin is None:
                begin = m.start()
            pos = end.end()
            if depth == 0:
                row += 1
                yield from _one_item(row, text[begin:pos])
                begin = None
            continue
        if ch in "{[":
            if depth == 0:
                begin = m.start()
            depth += 1
        elif depth == 0:  # the closing bracket of results
            return
        else:
            depth -= 1
            if depth == 0:
                row += 1
                yield from _one_item(row, text[begin:pos])
                begin = None


def _one_item(row: int, chunk: str):
    try:
        yield row, json.loads(chunk, parse_int=str, parse_float=str, parse_constant=str), None
    except RecursionError:
        yield row, None, "a record nested deeper than can be read"
    except json.JSONDecodeError as exc:
        yield row, None, f"not JSON: {exc.msg}"


def _surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def _clean_text(key: str, value: str) -> str:
    if _surrogates(value):
        bad = next(ch for ch in value if "\ud800" <= ch <= "\udfff")
        raise ValueError(f"{key} holds a lone surrogate \\u{ord(bad):04x}, which is not text")
    return value


def _json_fields(item) -> dict:
    if not isinstance(item, dict):
        raise TypeError(f"a record is an object, not {type(item).__name__}")
    out: dict = {}
    for key, value in item.items():
        if key == "id":
            key = "_id"
        if key == "addresses":
            out[key], out["_countries"] = _json_addresses(value)
        elif key in MULTI_VALUED:
            out[key] = _json_list(key, value)
        elif isinstance(value, (dict, list)):
            raise TypeError(f"{key} is a {type(value).__name__}, expected text")
        else:
            out[key] = "" if value is None else str(value).strip()
    for key, value in out.items():
        for text in value if isinstance(value, tuple) else (value,):
            _clean_text(key, text)
    return out


def _json_list(key: str, value) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    if isinstance(value, str):
        return tuple(v.strip() for v in value.split(";") if v.strip())
    if not isinstance(value, list):
        raise TypeError(f"{key} is a {type(value).__name__}, expected a list")
    out = []
    for v in value:
        if isinstance(v, dict):  # ids: {type, number, country, ...}
            v = ", ".join(f"{k}: {x}" for k, x in v.items() if x not in (None, ""))
        if v is not None and str(v).strip():
            out.append(str(v).strip())
    return tuple(out)


def _json_addresses(value) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not value:
        return (), ()
    if not isinstance(value, list):
        raise TypeError(f"addresses is a {type(value).__name__}, expected a list")
    texts, countries = [], []
    for a in value:
        if isinstance(a, str):
            texts.append(a.strip())
            countries.append(_last_part(a))
            continue
        if not isinstance(a, dict):
            raise TypeError("an address is an object or text")
        parts = [str(a.get(k) or "").strip() for k in ("address", "city", "state", "postal_code", "country")]
        texts.append(", ".join(p for p in parts if p))
        countries.append(parts[-1])
    return tuple(t for t in texts if t), tuple(countries)


def _last_part(address: str) -> str:
    return address.rsplit(",", 1)[-1].strip()


def _safe_key(external: str) -> str:
    """The record key for a CSL ``_id``: itself when it is IRI-safe, else its digest."""
    return external if _SAFE_KEY.fullmatch(external) else _digest(external)


def _key(f: dict) -> str:
    """The record key of a row's fields: its ``_id``, else a digest of source and normalised name ("" if neither)."""
    external = f.get("_id", "")
    if external:
        return _safe_key(external)
    name = f.get("name", "")
    return _digest(f"{f.get('source', '')}\x1f{normalise(name)}") if name else ""


def _records(rows: Iterable[tuple[int, dict]], problems: list[Problem]) -> tuple[list[Record], list[Problem]]:
    records: list[Record] = []
    seen: dict[str, int] = {}
    for row, f in rows:
        name = f.get("name", "")
        if not name:
            problems.append(Problem(row, "broken row", "no name", _key(f)))
            continue
        try:
            start = _date(f.get("start_date", ""), "start_date")
            end = _date(f.get("end_date", ""), "end_date")
        except ValueError as exc:
            problems.append(Problem(row, "bad date", str(exc), _key(f)))
            continue
        if start and end and end < start:
            problems.append(Problem(row, "bad date", f"end_date {end} is before start_date {start}", _key(f)))
            continue
        source = f.get("source", "")
        external = f.get("_id", "")
        key = _key(f)
        if key in seen:
            problems.append(Problem(row, "duplicate", f"same id as row {seen[key]} ({external or name!r})"))
            continue
        seen[key] = row
        addresses = f.get("addresses", ())
        countries = f.get("_countries") or tuple(_last_part(a) for a in addresses)
        records.append(Record(
            row=row, key=key, external_id=external, source=source, type=f.get("type", ""), name=name,
            alt_names=tuple(a for a in dict.fromkeys(f.get("alt_names", ())) if a != name),
            addresses=tuple(addresses), countries=tuple(countries), programs=tuple(f.get("programs", ())),
            fr_notice=f.get("federal_register_notice", ""), start_date=start, end_date=end,
            licence_requirement=f.get("license_requirement", ""), licence_policy=f.get("license_policy", ""),
            remarks=f.get("remarks", ""),
        ))
    return records, problems


def _date(text: str, column: str) -> dt.date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10] if len(text) > 10 and text[10] in "T " else text)
    except ValueError:
        raise ValueError(f"{column} {text!r} is not a date in the form YYYY-MM-DD") from None


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


def fr_citations(notice: str) -> tuple[str, ...]:
    """The Federal Register citations in a CSL notice field, normalised to ``<vol> FR <page>``.

    >>> fr_citations("82 F.R. 48792 10/01/2017")
    ('82 FR 48792',)
    >>> fr_citations("85 FR 83416, 12/22/20; 86 FR 71557")
    ('85 FR 83416', '86 FR 71557')
    >>> fr_citations("Vol. 59, No. 44, 03/07/1994")
    ()
    """
    return tuple(dict.fromkeys(f"{v} FR {p}" for v, p in _CITATION.findall(notice or "")))


# --------------------------------------------------------------------------- what the graph says


@dataclass
class Lookups:
    """What the importers read from the graph: lists, policies, rules by citation, countries, the linker."""

    lists: dict[str, URIRef]
    list_labels: dict[URIRef, str]
    policies: dict[str, URIRef]
    instruments: dict[str, URIRef]
    countries: dict[str, URIRef]
    linker: "object" = None  # a graph.readwrite.linking.Linker over the curated parties
    programs: dict[str, URIRef] = field(default_factory=dict)  # normalised sanction programme -> list
    datasets: dict[str, URIRef] = field(default_factory=dict)  # OpenSanctions dataset -> list


_INSTRUMENTS_QUERY = """
SELECT ?s ?c WHERE { ?s ecg:frCitation ?c ; a ?t . ?t rdfs:subClassOf* ecg:Instrument . }"""
_NS = {"ecg": ECG._NS, "rdfs": RDFS._NS, "skos": SKOS._NS}


def lookups(g: Graph, *, judgements: dict | None = None) -> Lookups:
    """Read the list nodes (by ``ecg:cslSourceName``, ``ecg:sanctionProgram``, ``ecg:opensanctionsDataset``),
    review policies (by label), instruments (by ``ecg:frCitation``), countries (by ISO code) and the
    linker over the curated parties from ``g``."""
    from .linking import linker_for
    from ..store.names import label_of

    lists = {str(name): s for s, name in g.subject_objects(ECG.cslSourceName) if isinstance(s, URIRef)}
    programs = {normalise(name): s for s, name in g.subject_objects(ECG.sanctionProgram) if isinstance(s, URIRef)}
    programs.update({normalise(name): s for name, s in lists.items()})
    datasets = {str(name): s for s, name in g.subject_objects(ECG.opensanctionsDataset) if isinstance(s, URIRef)}
    policies = {}
    for node in g.subjects(RDF.type, ECG.ReviewPolicy):
        for p in (RDFS.label, SKOS.altLabel, SKOS.prefLabel):
            for label in g.objects(node, p):
                policies[normalise(label)] = node
    instruments = {str(c): s for s, c in g.query(_INSTRUMENTS_QUERY, initNs=_NS)}
    countries = {str(code).upper(): s for s, code in g.subject_objects(ECG.isoAlpha2)}
    labels = {node: label_of(g, node) for node in {*lists.values(), *programs.values(), *datasets.values()}}
    return Lookups(lists, labels, policies, instruments, countries, linker_for(g, judgements=judgements),
                   programs, datasets)


def review_policy(text: str, policies: dict[str, URIRef]) -> URIRef | None:
    """The one review-policy concept whose label or altLabel the licence-policy text states, else None.

    The text states a policy when, normalised, it is the label or begins with it
    ("Presumption of denial." or "Policy of denial for all items subject to the
    EAR"); a text that names two policies (case-by-case for some items,
    denial for others) maps to none and stays verbatim.

    >>> from rdflib import URIRef
    >>> p = {"presumption of denial": URIRef("urn:pod"), "case by case": URIRef("urn:cbc")}
    >>> review_policy("Presumption of denial.", p), review_policy("Case-by-case review; presumption of denial for others", p)
    (rdflib.term.URIRef('urn:pod'), None)
    """
    key = normalise(text)
    if not key:
        return None
    if key in policies:
        return policies[key]
    padded = f" {key} "
    named = {node for label, node in policies.items() if label and f" {label} " in padded}
    starts = {node for label, node in policies.items() if label and key.startswith(f"{label} ")}
    return next(iter(starts)) if len(named) == 1 and starts == named else None


def new_list(source: str) -> URIRef:
    """The IRI of a list the graph does not know, made from its source name (the same name, the same list)."""
    return ID[f"list/imported/{_digest(normalise(source))[:16]}"]


def new_list_triples(on_list: URIRef, source: str, doc: URIRef, *, csl: bool = True) -> list[tuple]:
    """A new ``ecg:ScreeningList`` named ``source``, in the import's graph, citing the file that named it."""
    out = [(on_list, RDF.type, ECG.ScreeningList), (on_list, RDFS.label, Literal(source)),
           (on_list, SKOS.inScheme, ID["scheme/screening-list"]), (on_list, DCTERMS.source, doc),
           (on_list, ECG.note, Literal("A list the curated data does not know, created by an import from its "
                                       "source name; map it in ontology/data to a known list if it is one."))]
    out.append((on_list, ECG.cslSourceName if csl else ECG.sanctionProgram, Literal(source)))
    return out


# --------------------------------------------------------------------------- converting


def file_node(sha256: str) -> URIRef:
    """The IRI of an imported file, by content: the same bytes are the same source document."""
    return ID[f"file/sha256-{sha256}"]


def run_node(name: str) -> URIRef:
    """The IRI of the import run called ``name``."""
    return ID[f"import/{name}"]


def provenance_triples(doc: URIRef, run: URIRef, file, *, sha256: str, kind: str, name: str,
                       started, imported: int) -> list[tuple]:
    """The imported file as a source document and the import run that used it (every importer writes these)."""
    title = Literal(Path(file).name)
    return [
        (doc, RDF.type, ECG.SourceDocument), (doc, RDFS.label, title), (doc, DCTERMS.title, title),
        (doc, ECG.sha256, Literal(sha256)),
        (run, RDF.type, ECG.ImportRun), (run, RDFS.label, Literal(f"{kind} import {name}")),
        (run, PROV.startedAtTime, Literal(started.replace(microsecond=0))), (run, ECG.recordCount, Literal(imported)),
        (run, ECG.importedFile, doc), (run, PROV.used, doc),
    ]


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Conversion:
    """The triples of one import and what they hold, for the store to write and diff."""

    triples: list
    summary: ImportSummary
    listings: dict[str, dict[str, bool]]  # list IRI -> {record key: listing still in force on the import day}
    matches: dict[str, str] = field(default_factory=dict)  # link id -> IRI of its ecg:NameMatch (for the review queue)


def convert(
    records: list[Record],
    g: Graph,
    *,
    name: str,
    file: Path,
    sha256: str,
    started: dt.datetime,
    problems: Iterable[Problem] = (),
    progress: Callable[[int, int], None] | None = None,
    known: Lookups | None = None,
) -> Conversion:
    """Turn CSL records into the triples of the import ``name``, linking parties to the curated ones in ``g``.

    Parameters
    ----------
    records, problems : as read by :func:`read_csl`
    g : the curated graph: list nodes, review policies, countries, curated parties
    name : the import's name (its run IRI and graph name derive from it)
    file, sha256 : the file read and its digest
    started : when the import ran; its date is the import date
    progress : called as ``progress(done, total)`` while converting
    """
    from .linking import match_triples

    known = known or lookups(g)
    linker = known.linker
    created: dict[str, URIRef] = {}
    problems = list(problems)
    source_doc, run = file_node(sha256), run_node(name)
    out: list = []
    add = out.append
    listings: dict[str, dict[str, bool]] = defaultdict(dict)
    linked, review = [], []
    matches: dict[str, str] = {}  # link id -> its ecg:NameMatch node
    today = started.date()
    country_cache: dict[str, URIRef | None] = {}
    total = len(records)
    for done, r in enumerate(records, start=1):
        if progress and done % _PROGRESS_EVERY == 0:
            progress(done, total)
        on_list = known.lists.get(r.source) or created.get(r.source)
        if on_list is None:  # a historic or new CSL source: kept on a list made from its name, and reported
            on_list = created[r.source] = new_list(r.source)
            out += new_list_triples(on_list, r.source or "(no source given)", source_doc)
            known.list_labels[on_list] = r.source or "(no source given)"
            problems.append(Problem(r.row, "new list", f"source {r.source!r} names no list the graph knows "
                                                       f"(no ecg:cslSourceName with that value): kept on the new "
                                                       f"list <{on_list}>", r.key))
        party, listing = CSL[r.key], CSL[f"{r.key}/listing"]
        cls = _PARTY_CLASS.get(r.type.casefold(), ECG.Party)
        add((party, RDF.type, cls))
        add((party, RDFS.label, Literal(r.name)))
        for alias in r.alt_names:
            add((party, SKOS.altLabel, Literal(alias)))
        for address in r.addresses:
            add((party, ECG.address, Literal(address)))
        for raw in r.countries:
            if raw not in country_cache:
                country_cache[raw] = _country(raw, known.countries)
            if country_cache[raw] is not None:
                add((party, ECG.addressCountry, country_cache[raw]))
        if r.external_id:
            add((party, ECG.externalId, Literal(r.external_id)))
        add((party, DCTERMS.source, source_doc))

        add((listing, RDF.type, ECG.Listing))
        add((listing, RDFS.label, Literal(f"{r.name} on the {known.list_labels[on_list]}")))
        add((listing, ECG.listedParty, party))
        add((listing, ECG.onList, on_list))
        add((listing, DCTERMS.source, source_doc))
        if r.fr_notice:
            add((listing, ECG.frNotice, Literal(r.fr_notice)))
            for citation in fr_citations(r.fr_notice):
                add((listing, ECG.frCitation, Literal(citation)))
                if citation in known.instruments:
                    add((listing, DCTERMS.source, known.instruments[citation]))
        if r.start_date:
            add((listing, ECG.validFrom, Literal(r.start_date)))
        if r.end_date:
            add((listing, ECG.validUntil, Literal(r.end_date)))
        if r.licence_requirement:
            add((listing, ECG.licenceRequirement, Literal(r.licence_requirement)))
        if r.licence_policy:
            policy = review_policy(r.licence_policy, known.policies)
            if policy is not None:
                add((listing, ECG.reviewPolicy, policy))
            if policy is None or normalise(r.licence_policy) not in known.policies:
                add((listing, ECG.note, Literal(f"Licence review policy (verbatim): {r.licence_policy}")))
        if r.programs:
            add((listing, ECG.note, Literal(f"Programs: {'; '.join(r.programs)}")))
        if r.remarks:
            add((listing, ECG.note, Literal(f"Remarks: {r.remarks}")))
        listings[str(on_list)][r.key] = r.end_date is None or r.end_date >= today

        for link in linker.links(str(party), (r.name, *r.alt_names), cls=str(cls),
                                 identifiers=(f"CSL:{r.external_id}",) if r.external_id else ()):
            match = CSL[f"{r.key}/match/{_digest(link.party)[:12]}"]
            out += match_triples(link, match, source_doc)
            matches[link.id] = str(match)
            (linked if link.accepted else review).append(link)

    imported = sum(len(v) for v in listings.values())
    out += provenance_triples(source_doc, run, file, sha256=sha256, kind="CSL", name=name, started=started,
                              imported=imported)
    if progress:
        progress(total, total)
    summary = ImportSummary(
        name=name, file=str(file), sha256=sha256, graph=str(graph_name(name)),
        records=len(records) + sum(1 for p in problems if p.kind not in NOT_SKIPPED),
        imported=imported, linked=tuple(linked), review=tuple(review),
        problems=tuple(sorted(problems, key=lambda p: p.row)),
        skipped_ids=skipped_ids(problems), new_lists=tuple(sorted(created)),
    )
    return Conversion(out, summary, dict(listings), matches)


def skipped_ids(problems: Iterable[Problem]) -> frozenset[str]:
    """Record keys of the rows skipped as broken, badly dated or on an unknown list (those whose key was read).

    A re-import treats these records as still present: a row that could not be
    read this time is no evidence that its listing ended.

    >>> skipped_ids([Problem(3, "bad date", "start_date 'x'", "abc"), Problem(4, "broken row", "no name")])
    frozenset({'abc'})
    """
    return frozenset(p.key for p in problems if p.key and p.kind in ("broken row", "bad date", "unknown list"))


def _country(raw: str, countries: dict[str, URIRef]) -> URIRef | None:
    """The country node for an address's country part: an ISO alpha-2 code, else a name pycountry knows."""
    text = raw.strip()
    if not text:
        return None
    if len(text) == 2 and text.isalpha():
        return countries.get(text.upper())
    if len(text) < 4 or any(ch.isdigit() for ch in text):
        return None
    import pycountry

    try:
        return countries.get(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def to_graph(triples: Iterable) -> Graph:
    """The triples of a conversion as an in-memory rdflib graph (for tests and exports)."""
    g = Graph()
    for t in triples:
        g.add(t)
    return g
