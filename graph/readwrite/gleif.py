"""Read GLEIF Level 1 (LEI-CDF), Level 2 (RR-CDF) and reporting-exception files into RDF.

Both published forms are read, and a file says by itself which it is (a file that is neither,
such as an XML file of another root element, is refused on one line):

* XML (``<lei:LEIData>``, ``<rr:RelationshipData>``, ``<repex:ReportingExceptionData>``),
  streamed record by record (``xml.etree.ElementTree.iterparse``), so a golden
  copy of any size reads in flat memory;
* the golden-copy JSON, the same elements with text as ``{"$": ...}`` and
  attributes as ``"@name"`` (``{"records": [...]}``, ``{"relations": [...]}``,
  ``{"exceptions": [...]}``), streamed record by record with ijson.

Each XML record is first turned into that JSON shape, so one mapping serves both:

* an **LEI record** is a party ``id:gleif/<LEI>`` (``ecg:Firm``) with its legal and
  other names, ``ecg:lei``, the registration authority's id as
  ``ecg:registrationNumber``, ``LegalJurisdiction`` as ``ecg:incorporatedIn``,
  the headquarters country as ``ecg:headquarteredIn``, the legal address's as
  ``ecg:addressCountry``; linked to curated parties by LEI first, then name;
* a **relationship record** of accounting consolidation is an ``ecg:Ownership``
  of the parent (end node) in the child (start node) with ``ecg:ownershipBasis``
  accounting consolidation and **no percentage** (consolidation is control,
  not a share), ``ecg:directInterest`` true for ``IS_DIRECTLY_CONSOLIDATED_BY``
  and false for ``IS_ULTIMATELY_CONSOLIDATED_BY``; its relationship period gives
  the dates, and an ``INACTIVE`` relationship without an end date ends on its
  record's last update, with a note saying so. Other relationship types (branches,
  funds) are reported and skipped;
* a **reporting exception** (why a parent is not reported) is kept as a note on
  the party.

Every fact cites an ``ecg:SourceRecord`` for its GLEIF record.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from .csl import (ImportSummary, Lookups, Problem, _digest, file_node, graph_name, lookups, provenance_triples,
                  run_node)
from ..errors import InputError
from .ftm import StreamedConversion, file_head, full_date, json_items, skipped_iris, stated_day
from ..namespace import ECG, ID

GLEIF = Namespace(str(ID) + "gleif/")
"""Where GLEIF parties (by LEI), relationships and exceptions live."""

CONSOLIDATION = ID["ownership-basis/accounting-consolidation"]
_DIRECT = {"IS_DIRECTLY_CONSOLIDATED_BY": True, "IS_ULTIMATELY_CONSOLIDATED_BY": False}
_RECORDS = {"LEIRecord": "lei", "RelationshipRecord": "rr", "Exception": "repex"}
_JSON_LISTS = {"records": "lei", "relations": "rr", "exceptions": "repex"}
_PROGRESS_EVERY = 2000


def _text(node) -> str:
    """The text of an element in the JSON shape: ``{"$": text}``, a plain string, or ''."""
    if isinstance(node, dict):
        return str(node.get("$", "")).strip()
    if isinstance(node, str):
        return node.strip()
    return ""


def _many(node) -> list:
    if node is None:
        return []
    return node if isinstance(node, list) else [node]


def _element_dict(el) -> dict | str:
    """An XML element in the golden-copy JSON shape: children by local name, text as ``$``, attributes as ``@``."""
    out: dict = {}
    for k, v in el.attrib.items():
        local = k.rsplit("}", 1)[-1]
        out["@xml:lang" if k.endswith("}lang") else f"@{local}"] = v
    for child in el:
        name = child.tag.rsplit("}", 1)[-1]
        value = _element_dict(child)
        if name in out:
            out[name] = _many(out[name]) + [value]
        else:
            out[name] = value
    text = (el.text or "").strip()
    if text and not len(el):
        out["$"] = text
    return out


def _xml_records(path: Path, problems: list[Problem]) -> Iterator[tuple[int, str, dict]]:
    import xml.etree.ElementTree as ET

    n = 0
    try:
        for _event, el in ET.iterparse(str(path), events=("end",)):
            local = el.tag.rsplit("}", 1)[-1]
            if local in _RECORDS:
                n += 1
                yield n, _RECORDS[local], _element_dict(el)
                el.clear()
    except ET.ParseError as exc:
        line, col = exc.position
        if n == 0:
            raise InputError(f"{path}:{line}:{col}: not XML: {exc}") from None
        problems.append(Problem(n + 1, "broken file", f"{path.name}:{line}:{col}: unreadable XML ({exc}); "
                                                      f"the {n} records before it were read", unit="record"))


_ROOTS = ("LEIData", "RelationshipData", "ReportingExceptionData")
"""The root elements of GLEIF's XML files: LEI-CDF, RR-CDF and reporting exceptions."""


def _xml_root(path: Path) -> None:
    """Refuse, on one line, an XML file whose root element is not one of GLEIF's (:data:`_ROOTS`).

    Only the start of the root is read: an entity declared in the DOCTYPE is never expanded here.
    """
    import xml.etree.ElementTree as ET

    root = None
    try:
        with path.open("rb") as fh:
            for _event, el in ET.iterparse(fh, events=("start",)):
                root = el.tag
                break
    except ET.ParseError as exc:
        line, col = exc.position
        raise InputError(f"{path}:{line}:{col}: not XML: {exc}") from None
    local = (root or "").rsplit("}", 1)[-1]
    if local not in _ROOTS:
        found = f"<{local[:40]}>" + (f" (namespace {root[1:root.index('}')][:80]})" if root and "}" in root else "")
        raise InputError(f"{path}: not a GLEIF XML file: its root element is {found}, not one of "
                         f"{', '.join(f'<{r}>' for r in _ROOTS)}")


def _json_records(path: Path, problems: list[Problem]) -> Iterator[tuple[int, str, dict]]:
    """The records of a golden-copy JSON file, streamed with ijson (a full golden copy is gigabytes)."""
    import re

    with path.open("rb") as fh:
        head = fh.read(1 << 16).decode("utf-8", "replace")
    found = re.search(r'"(records|relations|exceptions)"\s*:\s*\[', head)
    if found is None:
        raise InputError(f"{path}: not a GLEIF golden-copy JSON file: no 'records', 'relations' or "
                         "'exceptions' list at the top level")
    kind = _JSON_LISTS[found.group(1)]
    with path.open("rb") as fh:
        for n, item in json_items(fh, f"{found.group(1)}.item", path, problems, "record"):
            if isinstance(item, dict) and len(item) == 1 and next(iter(item)) in _RECORDS:
                item = next(iter(item.values()))  # {"RelationshipRecord": {...}}
            yield n, kind, item


def convert_file(path: Path, g: Graph, *, name: str, sha256: str, started: dt.datetime,
                 progress: Callable[[int, int], None] | None = None, known: Lookups | None = None
                 ) -> StreamedConversion:
    """Convert a GLEIF file (LEI-CDF, RR-CDF or reporting exceptions; XML or JSON) for the import ``name``."""
    path = Path(path)
    head = file_head(path, (b"<", b"{"), "not a GLEIF file: expected the XML or the golden-copy JSON form")
    if head.startswith(b"<"):
        _xml_root(path)
    known = known or lookups(g)
    return StreamedConversion(lambda conv: _stream(conv, path, head.startswith(b"<"), known, name=name,
                                                   sha256=sha256, started=started, progress=progress),
                              today=started.date())


def _stream(conv, path: Path, is_xml: bool, known: Lookups, *, name, sha256, started, progress):
    from .linking import match_triples

    doc, run = file_node(sha256), run_node(name)
    problems: list[Problem] = []
    kept: Counter = Counter()
    kinds: set[str] = set()
    linked, review = [], []
    read = 0
    records = _xml_records(path, problems) if is_xml else _json_records(path, problems)
    for n, kind, item in records:
        read += 1
        kinds.add(kind)
        if progress and n % _PROGRESS_EVERY == 0:
            progress(n, 0)
        if not isinstance(item, dict):
            problems.append(Problem(n, "broken record", "a record is an object", unit="record"))
            continue
        try:
            triples, links, notes = _CONVERT[kind](known, doc, path.name, item)
        except _Skip as exc:
            problems.append(Problem(n, exc.kind, str(exc), exc.key, unit="record"))
            continue
        yield from conv.facts([_coverage(kind)], triples)
        for link in links:
            match = GLEIF[f"{link.record.rsplit('/', 1)[-1]}/match/{_digest(link.party)[:12]}"]
            yield from match_triples(link, match, doc)
            conv.matches[link.id] = str(match)
            (linked if link.accepted else review).append(link)
        problems += [Problem(n, "note", text, unit="record") for text in notes]
        kept[kind] += 1
    if progress:
        progress(read, read)
    imported = sum(kept.values())
    yield from provenance_triples(doc, run, path, sha256=sha256, kind="GLEIF", name=name, started=started,
                                  imported=imported)
    conv.cover(_coverage(k) for k in sorted(kinds or {"lei"}))
    labels = {"lei": "LEI records", "rr": "relationship records", "repex": "reporting exceptions"}
    conv.identifiers = known.linker.seen
    conv._summary = ImportSummary(
        name=name, file=str(path), sha256=sha256, graph=str(graph_name(name)), records=read, imported=imported,
        linked=tuple(linked), review=tuple(review), problems=tuple(problems),
        kept=tuple(sorted((labels[k], v) for k, v in kept.items())), skipped_ids=skipped_iris(problems, GLEIF),
    )


def _coverage(kind: str) -> str:
    """The coverage IRI of a kind of GLEIF record (``lei``, ``rr``, ``repex``): a newer full file of it supersedes the older."""
    return str(ID[f"coverage/gleif/{kind}"])


class _Skip(Exception):
    def __init__(self, kind: str, detail: str, key: str = ""):
        super().__init__(detail)
        self.kind, self.key = kind, key


def _lei(value: str) -> str:
    lei = "".join(value.split()).upper()
    if len(lei) != 20 or not lei.isalnum():
        raise _Skip("broken record", f"{value!r} is not an LEI (20 letters and digits)")
    return lei


def party(lei: str) -> URIRef:
    """The party of an LEI."""
    return GLEIF[lei]


def _record(file_name: str, doc: URIRef, key: str, label: str) -> tuple[URIRef, list]:
    node = GLEIF[f"{key}/record"]
    return node, [(node, RDF.type, ECG.SourceRecord), (node, RDFS.label, Literal(f"GLEIF {label} in {file_name}")),
                  (node, DCTERMS.isPartOf, doc)]


def _stub(lei: str) -> list:
    """Enough of a party named only by LEI (a parent whose Level 1 record is not in this file) to be one."""
    p = party(lei)
    return [(p, RDF.type, ECG.Firm), (p, ECG.lei, Literal(lei)), (p, RDFS.label, Literal(f"LEI {lei}", lang="zxx"))]


def _country(known: Lookups, text: str):
    return known.countries.get(text[:2].upper()) if len(text) >= 2 else None


def _lei_record(known: Lookups, doc, file_name: str, item: dict):
    lei = _lei(_text(item.get("LEI")))
    entity = item.get("Entity") or {}
    legal = _text(entity.get("LegalName"))
    if not legal:
        raise _Skip("broken record", f"LEI {lei}: no LegalName", lei)
    p = party(lei)
    record, out = _record(file_name, doc, lei, f"LEI record {lei}")
    out += [(p, RDF.type, ECG.Firm), (p, RDFS.label, Literal(legal)), (p, ECG.lei, Literal(lei)),
            (p, DCTERMS.source, record)]
    names = [legal]
    for group, each in (("OtherEntityNames", "OtherEntityName"),
                        ("TransliteratedOtherEntityNames", "TransliteratedOtherEntityName")):
        for other in _many((entity.get(group) or {}).get(each)):
            text = _text(other)
            if text and text not in names:
                names.append(text)
                out.append((p, SKOS.altLabel, Literal(text)))
    countries = []
    for field_name, pred in (("LegalAddress", ECG.addressCountry), ("HeadquartersAddress", ECG.headquarteredIn)):
        address = entity.get(field_name) or {}
        parts = [_text(address.get(k)) for k in ("FirstAddressLine", "AdditionalAddressLine", "City", "Region",
                                                  "PostalCode", "Country")]
        if any(parts):
            out.append((p, ECG.address, Literal(", ".join(x for x in parts if x))))
        node = _country(known, _text(address.get("Country")))
        if node is not None:
            out.append((p, pred, node))
            countries.append(_text(address.get("Country"))[:2].upper())
    node = _country(known, _text(entity.get("LegalJurisdiction")))
    if node is not None:
        out.append((p, ECG.incorporatedIn, node))
    identifiers = [f"LEI:{lei}"]
    ra = entity.get("RegistrationAuthority") or {}
    number = _text(ra.get("RegistrationAuthorityEntityID"))
    if number:
        value = f"{_text(ra.get('RegistrationAuthorityID')) or 'RA'}:{number}"
        out.append((p, ECG.registrationNumber, Literal(value)))
        identifiers.append(value)
    for label, value in (("entity status", _text(entity.get("EntityStatus"))),
                         ("legal form", _text((entity.get("LegalForm") or {}).get("EntityLegalFormCode"))),
                         ("registration status", _text((item.get("Registration") or {}).get("RegistrationStatus")))):
        if value:
            out.append((p, ECG.note, Literal(f"GLEIF {label}: {value}")))
    links = known.linker.links(str(p), names, cls=str(ECG.Firm), identifiers=identifiers, countries=countries)
    return out, links, []


def _relationship(known: Lookups, doc, file_name: str, item: dict):
    rel = item.get("Relationship") or {}
    kind = _text(rel.get("RelationshipType"))
    start, end = rel.get("StartNode") or {}, rel.get("EndNode") or {}
    child, parent = _lei(_text(start.get("NodeID"))), _lei(_text(end.get("NodeID")))
    if kind not in _DIRECT:
        raise _Skip("not imported", f"{child} {kind or 'no RelationshipType'} {parent}: not accounting "
                                    "consolidation (branches and funds are not ownership)", child)
    key = f"rr/{_digest(f'{child} {kind} {parent}')[:20]}"
    fact = GLEIF[key]
    record, out = _record(file_name, doc, key, f"relationship record {child} {kind} {parent}")
    out += _stub(child) + _stub(parent)
    out += [(fact, RDF.type, ECG.Ownership), (fact, ECG.owner, party(parent)), (fact, ECG.owned, party(child)),
            (fact, ECG.ownershipBasis, CONSOLIDATION), (fact, ECG.directInterest, Literal(_DIRECT[kind])),
            (fact, DCTERMS.source, record),
            (fact, RDFS.label, Literal(f"{parent} consolidates {child} ({kind.lower().replace('_', ' ')})"))]
    notes = []
    began = ended = None
    for period in _many((rel.get("RelationshipPeriods") or {}).get("RelationshipPeriod")):
        which = _text(period.get("PeriodType"))
        (s, good_s), (e, good_e) = stated_day(_text(period.get("StartDate"))), stated_day(_text(period.get("EndDate")))
        if not (good_s and good_e):  # a relationship whose dates cannot be read must not hold at every date
            bad = [f"{k} {_text(period.get(k))!r}" for k, ok in (("StartDate", good_s), ("EndDate", good_e)) if not ok]
            raise _Skip("bad date", f"{child} {kind} {parent}: {which or 'period'} {', '.join(bad)} not a date", child)
        if which == "RELATIONSHIP_PERIOD":
            began, ended = s, e
        elif s or e:
            out.append((fact, ECG.note, Literal(f"GLEIF {which.lower().replace('_', ' ')}: "
                                                f"{s or '?'} to {e or 'open'}")))
    status = _text(rel.get("RelationshipStatus"))
    if status:
        out.append((fact, ECG.note, Literal(f"GLEIF relationship status: {status}")))
    if status == "INACTIVE" and ended is None:
        updated = full_date(_text((item.get("Registration") or {}).get("LastUpdateDate")))
        if updated is not None:
            ended = max(updated, began) if began else updated
            out.append((fact, ECG.note, Literal(f"Inactive with no end date: taken as ended by {ended}, "
                                                "the record's last update.")))
            notes.append(f"{child} {kind} {parent}: INACTIVE without an end date; ended on its last update {ended}")
    if began:
        out.append((fact, ECG.validFrom, Literal(began)))
    if ended:
        out.append((fact, ECG.validUntil, Literal(ended)))
    return out, [], notes


def _exception(known: Lookups, doc, file_name: str, item: dict):
    lei = _lei(_text(item.get("LEI")))
    category = _text(item.get("ExceptionCategory"))
    reasons = [_text(r) for r in _many(item.get("ExceptionReason")) if _text(r)]
    key = f"repex/{_digest(f'{lei} {category}')[:20]}"
    record, out = _record(file_name, doc, key, f"reporting exception {lei} {category}")
    p = party(lei)
    out += _stub(lei)
    out += [(p, ECG.note, Literal(f"GLEIF reporting exception: no {category.lower().replace('_', ' ')} reported "
                                  f"({', '.join(reasons) or 'no reason given'})")),
            (p, DCTERMS.source, record)]
    return out, [], []


_CONVERT = {"lei": _lei_record, "rr": _relationship, "repex": _exception}
