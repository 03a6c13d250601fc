"""Read Open Ownership BODS 0.4 statements into RDF.

A BODS file is a JSON array of statements or JSON Lines, one statement a line. A file
in which no statement has a ``recordId`` (FtM entities, an older BODS) is refused whole.
Each statement has a ``statementId``, a ``recordId``, a ``recordType``
(``entity``, ``person``, ``relationship``), a ``statementDate``, a
``recordStatus`` and its ``recordDetails``. Several statements may describe one
record over time: the latest (by ``statementDate``, then file order) is the
record as it stands, the earlier ones are reported as replaced.

* an **entity** record is a party ``id:bods/<recordId>`` (``ecg:Firm``) with its
  name, alternate names, jurisdiction (``ecg:incorporatedIn``), address
  countries and identifiers (an ``XI-LEI`` identifier is ``ecg:lei``, the others
  ``ecg:registrationNumber`` as ``SCHEME:ID``); a **person** record an
  ``ecg:Person``; both are linked to curated parties;
* a **relationship** record gives one ``ecg:Ownership`` per interest that is a
  share (``shareholding``; ``votingRights`` with ``ecg:ownershipBasis`` voting
  rights) of the interested party in the subject: an exact share is
  ``ecg:percentage``; a range ``ecg:percentageMin``/``ecg:percentageMax``
  (exclusive bounds are kept as bounds, with a note); ``directOrIndirect``
  ``ecg:directInterest``; the interest's dates ``ecg:validFrom``/``validUntil``
  (a closed record without an end date ends on its statement date). Interests
  that are control without a share (board appointment, trusteeship, ...) are
  reported and skipped.

Every fact cites an ``ecg:SourceRecord`` for its statement.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Callable, Iterator

from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from .csl import (ImportSummary, Lookups, Problem, _digest, _safe_key, file_node, graph_name, lookups,
                  provenance_triples, run_node)
from ..errors import InputError
from .ftm import StreamedConversion, file_head, full_date, json_items, skipped_iris, stated_day
from ..namespace import ECG, ID

BODS = Namespace(str(ID) + "bods/")
"""Where BODS parties, stakes and statements live."""

_BASIS = {"shareholding": None, "votingRights": ID["ownership-basis/voting-rights"]}
_PROGRESS_EVERY = 2000


def _statements(path: Path, problems: list[Problem]) -> Iterator[tuple[int, dict]]:
    """``(position, statement)`` for each statement of the file, in file order (lines for JSON Lines).

    A JSON array is streamed with ijson, statement by statement, so memory does not grow with the file;
    an array broken part-way keeps the statements before the break and reports it.
    """
    import orjson

    with path.open("rb") as fh:
        raw_head = fh.read(4096)
    head = raw_head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        yield from _array(path, len(raw_head) - len(head), problems)
        return
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                yield n, orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                problems.append(Problem(n, "broken statement", f"not JSON: {exc}", unit="statement"))


def _array(path: Path, skip: int, problems: list[Problem]) -> Iterator[tuple[int, dict]]:
    with path.open("rb") as fh:
        fh.seek(skip)  # past a BOM and blanks
        yield from json_items(fh, "item", path, problems, "statement")


def convert_file(path: Path, g: Graph, *, name: str, sha256: str, started: dt.datetime,
                 progress: Callable[[int, int], None] | None = None, known: Lookups | None = None
                 ) -> StreamedConversion:
    """Convert the BODS 0.4 file ``path`` (a JSON array or JSON Lines of statements) for the import ``name``."""
    path = Path(path)
    file_head(path, (b"[", b"{"), "not a BODS file: a JSON array of statements, or one statement a line")
    latest, publishers = _latest(path)
    if not latest:  # not one statement with a recordId: another kind of JSON (FtM entities, say), refused whole
        raise InputError(f"{path}: not a BODS 0.4 file: {_found(path)}")
    known = known or lookups(g)
    return StreamedConversion(lambda conv: _stream(conv, path, known, latest, publishers, name=name, sha256=sha256,
                                                   started=started, progress=progress), today=started.date())


def _found(path: Path) -> str:
    """What a file that holds no BODS statement holds instead, for the one-line refusal."""
    problems: list[Problem] = []
    first = next(iter(_statements(path, problems)), None)
    wanted = "a BODS 0.4 statement has a statementId, a recordId and a recordType"
    if first is None:
        return f"no statement in it ({problems[0].detail})" if problems else "no statement in it"
    n, item = first
    if not isinstance(item, dict):
        return f"statement {n} is a JSON {type(item).__name__}, not an object; {wanted}"
    keys = sorted(str(k) for k in item)
    if {"statementID", "statementType"} & set(keys):
        return (f"statement {n} has statementID/statementType (BODS 0.2 or 0.3); ecgraph reads BODS 0.4: "
                f"{wanted}")
    shown = ", ".join(repr(k[:40]) for k in keys[:8]) + (", ..." if len(keys) > 8 else "")
    what = " (FollowTheMoney entities: 'ecgraph import ftm')" if {"id", "schema", "properties"} <= set(keys) else ""
    return f"statement {n} is an object with {shown or 'no keys'}{what}; {wanted}"


def _latest(path: Path) -> tuple[dict[str, tuple[str, int]], set[str]]:
    """For each recordId, the position of the statement that describes it last; and the file's publishers."""
    best: dict[str, tuple[str, int]] = {}
    publishers: set[str] = set()
    for n, s in _statements(path, []):
        if isinstance(s, dict) and isinstance(s.get("recordId"), str):
            key = (str(s.get("statementDate") or ""), n)
            if s["recordId"] not in best or key >= best[s["recordId"]]:
                best[s["recordId"]] = key
        publisher = _publisher(s)
        if publisher:
            publishers.add(publisher)
    return best, publishers


def _publisher(s) -> str:
    publisher = ((s.get("publicationDetails") or {}).get("publisher") or {}).get("name") if isinstance(s, dict) else None
    return publisher.strip() if isinstance(publisher, str) else ""


def _coverage(publisher: str) -> str:
    """The coverage IRI of a publisher (or file name): a newer full file of it supersedes the older."""
    return str(ID[f"coverage/bods/{_digest(publisher)[:16]}"])


def _stream(conv, path: Path, known: Lookups, latest: dict[str, tuple[str, int]], publishers: set[str], *,
            name, sha256, started, progress):
    from .linking import match_triples

    doc, run = file_node(sha256), run_node(name)
    problems: list[Problem] = []
    kept: Counter = Counter()
    linked, review = [], []
    read = 0
    for n, s in _statements(path, problems):
        read += 1
        if progress and read % _PROGRESS_EVERY == 0:
            progress(read, 0)
        if not isinstance(s, dict):
            problems.append(Problem(n, "broken statement", "a statement is a JSON object", unit="statement"))
            continue
        record_id, kind = s.get("recordId"), s.get("recordType")
        statement_id = str(s.get("statementId") or "")
        if not isinstance(record_id, str) or not record_id or kind not in _CONVERT or not statement_id:
            problems.append(Problem(n, "broken statement", "a BODS 0.4 statement has a statementId, a recordId and a "
                                                           "recordType of entity, person or relationship "
                                                           f"(got {str(kind)[:30]!r})", unit="statement"))
            continue
        if latest.get(record_id, ("", n))[1] != n:
            problems.append(Problem(n, "note", f"statement {statement_id} of record {record_id} is replaced by a "
                                               "later statement of the same record", unit="statement"))
            continue
        publisher = _publisher(s)
        node = BODS[f"statement/{_safe_key(statement_id)}"]
        record = [(node, RDF.type, ECG.SourceRecord), (node, DCTERMS.isPartOf, doc),
                  (node, ECG.externalId, Literal(statement_id)),
                  (node, RDFS.label, Literal(f"BODS {kind} statement {statement_id} in {path.name}"))]
        try:
            triples, links, notes = _CONVERT[kind](known, s, node)
        except (_Skip, TypeError, AttributeError, ValueError) as exc:
            why = exc.kind if isinstance(exc, _Skip) else "broken statement"
            problems.append(Problem(n, why, f"{kind} {record_id}: {exc}", _safe_key(record_id), unit="statement"))
            continue
        yield from record
        yield from conv.facts([_coverage(publisher)] if publisher else [], triples)
        for link in links:
            match = BODS[f"{_safe_key(record_id)}/match/{_digest(link.party)[:12]}"]
            yield from match_triples(link, match, doc)
            conv.matches[link.id] = str(match)
            (linked if link.accepted else review).append(link)
        problems += [Problem(n, k, text, _safe_key(record_id), unit="statement") for k, text in notes]
        kept[kind] += 1
    if progress:
        progress(read, read)
    imported = sum(kept.values())
    yield from provenance_triples(doc, run, path, sha256=sha256, kind="BODS", name=name, started=started,
                                  imported=imported)
    conv.cover(_coverage(p) for p in sorted(publishers or {path.name}))
    conv.identifiers = known.linker.seen
    conv._summary = ImportSummary(
        name=name, file=str(path), sha256=sha256, graph=str(graph_name(name)), records=read, imported=imported,
        linked=tuple(linked), review=tuple(review), problems=tuple(problems),
        kept=tuple(sorted((f"{k} statements", v) for k, v in kept.items())), skipped_ids=skipped_iris(problems, BODS),
    )


class _Skip(Exception):
    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind


def party(record_id: str) -> URIRef:
    """The party of a BODS recordId."""
    return BODS[_safe_key(record_id)]


def _country(known: Lookups, value) -> tuple[URIRef | None, str]:
    code = str((value or {}).get("code") or "") if isinstance(value, dict) else ""
    node = known.countries.get(code[:2].upper()) if len(code) >= 2 else None
    return node, code[:2].upper()


def _entity(known: Lookups, s: dict, source: URIRef):
    d = s.get("recordDetails") or {}
    p = party(s["recordId"])
    name = str(d.get("name") or "").strip()
    if not name:
        raise _Skip("broken statement", "no name")
    out = [(p, RDF.type, ECG.Firm), (p, RDFS.label, Literal(name)), (p, DCTERMS.source, source),
           (p, ECG.externalId, Literal(s["recordId"]))]
    names = [name]
    for alt in d.get("alternateNames") or ():
        if isinstance(alt, str) and alt.strip() and alt.strip() not in names:
            names.append(alt.strip())
            out.append((p, SKOS.altLabel, Literal(alt.strip())))
    countries = []
    node, code = _country(known, d.get("jurisdiction"))
    if node is not None:
        out.append((p, ECG.incorporatedIn, node))
        countries.append(code)
    countries += _addresses(known, d, p, out)
    identifiers = []
    for ident in d.get("identifiers") or ():
        if not isinstance(ident, dict) or not ident.get("id"):
            continue
        scheme, value = str(ident.get("scheme") or ident.get("schemeName") or ""), str(ident["id"]).strip()
        if scheme == "XI-LEI":
            out.append((p, ECG.lei, Literal(value)))
            identifiers.append(f"LEI:{value}")
        else:
            out.append((p, ECG.registrationNumber, Literal(f"{scheme}:{value}" if scheme else value)))
            identifiers.append(f"{scheme}:{value}" if scheme else value)
    kind = (d.get("entityType") or {}).get("type") if isinstance(d.get("entityType"), dict) else None
    if kind:
        out.append((p, ECG.note, Literal(f"BODS entity type: {kind}")))
    links = known.linker.links(str(p), names, cls=str(ECG.Firm), identifiers=identifiers, countries=countries)
    return out, links, []


def _addresses(known: Lookups, d: dict, p: URIRef, out: list) -> list[str]:
    codes = []
    for a in d.get("addresses") or ():
        if not isinstance(a, dict):
            continue
        if a.get("address"):
            out.append((p, ECG.address, Literal(str(a["address"]))))
        node, code = _country(known, a.get("country"))
        if node is not None:
            out.append((p, ECG.addressCountry, node))
            codes.append(code)
    return codes


def _person(known: Lookups, s: dict, source: URIRef):
    d = s.get("recordDetails") or {}
    p = party(s["recordId"])
    names = [str(n.get("fullName") or " ".join(str(n.get(k) or "") for k in ("givenName", "familyName"))).strip()
             for n in d.get("names") or () if isinstance(n, dict)]
    names = [n for n in dict.fromkeys(names) if n]
    label = names[0] if names else f"unnamed person (BODS record {s['recordId']})"
    out = [(p, RDF.type, ECG.Person), (p, RDFS.label, Literal(label)), (p, DCTERMS.source, source),
           (p, ECG.externalId, Literal(s["recordId"]))]
    out += [(p, SKOS.altLabel, Literal(n)) for n in names[1:]]
    countries = _addresses(known, d, p, out)
    links = known.linker.links(str(p), names, cls=str(ECG.Person), countries=countries) if names else []
    return out, links, []


def _share(value) -> Decimal | None:
    if value is None:
        return None
    try:
        share = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise _Skip("broken statement", f"share {value!r} is not a number") from None
    if not share.is_finite() or not 0 <= share <= 100:
        raise _Skip("broken statement", f"share {value!r} is not between 0 and 100")
    return share


def _relationship(known: Lookups, s: dict, source: URIRef):
    d = s.get("recordDetails") or {}
    subject, holder = d.get("subject"), d.get("interestedParty")
    if not isinstance(subject, str) or not isinstance(holder, str):
        reason = (holder or {}).get("reason") if isinstance(holder, dict) else None
        raise _Skip("not imported", f"no recorded {'interested party' if isinstance(subject, str) else 'subject'}"
                                    + (f" (reason: {reason})" if reason else ""))
    key = _safe_key(s["recordId"])
    out, notes, made = [], [], 0
    closed = s.get("recordStatus") == "closed"
    statement_day = full_date(str(s.get("statementDate") or ""))
    for i, interest in enumerate(d.get("interests") or ()):
        kind = interest.get("type") if isinstance(interest, dict) else None
        if kind not in _BASIS:
            notes.append(("note", f"interest {i + 1} ({kind}) is control without a share: not imported as a stake"))
            continue
        fact = BODS[f"{key}/interest/{i + 1}"]
        out += [(fact, RDF.type, ECG.Ownership), (fact, ECG.owner, party(holder)), (fact, ECG.owned, party(subject)),
                (fact, DCTERMS.source, source), (fact, RDFS.label, Literal(f"BODS {kind} {s['recordId']} #{i + 1}"))]
        if _BASIS[kind] is not None:
            out.append((fact, ECG.ownershipBasis, _BASIS[kind]))
        share = interest.get("share") or {}
        exact = _share(share.get("exact"))
        low = _share(share.get("minimum", share.get("exclusiveMinimum")))
        high = _share(share.get("maximum", share.get("exclusiveMaximum")))
        if exact is not None:
            out.append((fact, ECG.percentage, Literal(exact)))
        elif low is not None and high is not None and low == high:
            out.append((fact, ECG.percentage, Literal(low)))
        else:
            if low is not None and high is not None and low > high:
                raise _Skip("broken statement", f"share minimum {low} is above its maximum {high}")
            if low is not None:
                out.append((fact, ECG.percentageMin, Literal(low)))
            if high is not None:
                out.append((fact, ECG.percentageMax, Literal(high)))
            bounds = [b for b in ("exclusiveMinimum", "exclusiveMaximum") if b in share]
            if bounds:
                out.append((fact, ECG.note, Literal(f"BODS share bounds {', '.join(bounds)} are exclusive: "
                                                    f"{', '.join(f'{b} {share[b]}' for b in bounds)}")))
        direct = interest.get("directOrIndirect")
        if direct in ("direct", "indirect"):
            out.append((fact, ECG.directInterest, Literal(direct == "direct")))
        began, good_start = stated_day(str(interest.get("startDate") or ""))
        ended, good_end = stated_day(str(interest.get("endDate") or ""))
        if not (good_start and good_end):  # a stake whose dates cannot be read must not hold at every date
            bad = [f"{k} {interest.get(k)!r}" for k, ok in (("startDate", good_start), ("endDate", good_end)) if not ok]
            raise _Skip("bad date", f"interest {', '.join(bad)} {'is' if len(bad) == 1 else 'are'} not a date")
        if closed and ended is None and statement_day is not None:
            ended = max(statement_day, began) if began else statement_day
            out.append((fact, ECG.note, Literal(f"The record was closed by a statement of {statement_day}.")))
        if began:
            out.append((fact, ECG.validFrom, Literal(began)))
        if ended:
            out.append((fact, ECG.validUntil, Literal(ended)))
        if interest.get("details"):
            out.append((fact, ECG.note, Literal(f"BODS interest details: {interest['details']}")))
        made += 1
    if not made and not notes:
        notes.append(("note", "a relationship with no interests: nothing to import"))
    return out, [], notes


_CONVERT = {"entity": _entity, "person": _person, "relationship": _relationship}
