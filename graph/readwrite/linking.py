"""Record linkage: which curated party an imported record is about, scored and explained.

Every importer (CSL, FtM, GLEIF, BODS) links its parties here, the same way:

1. **Identifiers first.** A record that shares an identifier with a party (an
   LEI, a registration number, an OpenSanctions or CSL id, compared as
   ``SCHEME:VALUE`` text) is that party: score 100, whatever the names say.
2. **Names next.** Each name is brought to a comparison key: case-folded,
   legal forms replaced by one code (rigour's ISO 20275 table, which makes "Ltd"
   and "Limited" or "Co., Ltd." one form, plus the forms of
   ``ontology/data/list_mappings.ttl``: "Corp" = "Corporation", Chinese
   suffixes such as 有限公司 written without a space), punctuation dropped. Equal
   keys score 100; otherwise rapidfuzz's ``token_sort_ratio`` on the keys.
3. **Countries** known on both sides that do not overlap keep a strong name
   match from being accepted: it goes to review.

Records of one import are also linked to those of other imports that carry the
same LEI (the global identifier): each import leaves the LEIs it saw in
``data_dir()/identifiers.json`` (:func:`remember`), and the next import's linker
reads those of the imports still loaded (:func:`imported_identifiers`).

A :class:`Link` at or above :data:`ACCEPT_SCORE` is accepted (the importer
asserts ``owl:sameAs``); from :data:`REVIEW_SCORE` up it is recorded unaccepted
and queued for review (:mod:`graph.readwrite.review`), whose judgements, keyed by the
stable :attr:`Link.id`, override the score on every later import. Each link
says which features made it (:attr:`Link.features`), and :func:`match_triples`
writes it as an ``ecg:NameMatch`` with those features as ``ecg:matchFeature``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Mapping

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SKOS

from ..store.names import normalise
from ..namespace import ECG, ID

ACCEPT_SCORE = 95.0
"""Score (0-100) at or above which two records are taken as one party.

Measured with rapidfuzz ``token_sort_ratio`` on comparison keys: a transposed
letter in a long name scores 96, a plural 91 ("technology"/"technologies"), a
dropped legal form 85 ("huawei technologies" vs "huawei technologies llc"), an
affiliate 57 ("huawei device llc"). A wrong ``owl:sameAs`` would pin a listing
on the wrong firm, so only near-identical spellings are accepted; plurals and
legal forms, which may well be another entity of a group, go to review.
"""
REVIEW_SCORE = 80.0
"""Scores from here up to :data:`ACCEPT_SCORE` are recorded unaccepted and queued for review."""

IMPORTED = tuple(str(ID[f"{kind}/"]) for kind in ("csl", "ftm", "gleif", "bods"))
"""Where imported records live; they are linked, never link targets."""

_SCHEME = ID["scheme/legal-form"]


@dataclass(frozen=True)
class Candidate:
    """A curated party as the linker sees it: names, identifiers, classes, ISO countries."""

    iri: str
    label: str
    names: frozenset[str]
    identifiers: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Link:
    """A scored match between an imported record and a curated party, with the features behind it."""

    record: str  # IRI of the imported party
    record_name: str
    party: str  # IRI of the curated party
    party_name: str
    score: float
    accepted: bool
    features: tuple[str, ...] = ()
    matched: str = ""  # "imported name = curated name", or the shared identifier
    decision: str = ""  # "accepted" / "rejected" when a person judged it

    @property
    def id(self) -> str:
        """The short id of the match, stable across re-imports: a digest of record and party."""
        return match_id(self.record, self.party)


def match_id(record: str, party: str) -> str:
    """The review id of the match between ``record`` and ``party``.

    >>> match_id("https://w3id.org/ecgraph/id/csl/x", "https://w3id.org/ecgraph/id/firm/y")
    'm-d24df6a13d79'
    """
    return "m-" + hashlib.sha1(f"{record} {party}".encode("utf-8")).hexdigest()[:12]


# --------------------------------------------------------------------------- names


@dataclass(frozen=True)
class LegalForms:
    """Spellings of legal forms and the code each means, read from the graph (scheme ``legal-form``)."""

    pattern: re.Pattern | None
    codes: dict[str, str]
    suffixes: tuple[tuple[str, str], ...]  # (suffix written without a space, code), longest first


def legal_forms(g: Graph) -> LegalForms:
    """The legal-form table of ``g``: every ``skos:altLabel`` of a concept in ``id:scheme/legal-form``."""
    codes: dict[str, str] = {}
    for concept in g.subjects(SKOS.inScheme, _SCHEME):
        code = g.value(concept, SKOS.notation)
        if code is None:
            continue
        for alias in g.objects(concept, SKOS.altLabel):
            codes[_fold(alias)] = str(code)
    spaced = sorted((a for a in codes if a.isascii()), key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(a) for a in spaced) + r")(?!\w)") if spaced else None
    suffixes = tuple(sorted(((a, c) for a, c in codes.items() if not a.isascii()), key=lambda x: -len(x[0])))
    return LegalForms(pattern, {a: codes[a] for a in spaced}, suffixes)


_NO_FORMS = LegalForms(None, {}, ())


def _fold(text) -> str:
    return " ".join(unicodedata.normalize("NFKC", str(text)).casefold().split())


def name_key(name: str, forms: LegalForms = _NO_FORMS) -> str:
    """The comparison key of a name: case-folded, legal forms as one code, punctuation dropped.

    >>> name_key("HUAWEI TECHNOLOGIES CO., LTD."), name_key("Huawei Technologies Ltd")
    ('huawei technologies llc', 'huawei technologies llc')
    >>> name_key("Foo Ltd") == name_key("Foo Limited")
    True
    """
    from rigour.names import replace_org_types_compare

    text = _fold(name)
    for suffix, code in forms.suffixes:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = f"{text[:-len(suffix)]} {code}"
            break
    if forms.pattern is not None:
        text = forms.pattern.sub(lambda m: forms.codes[m.group(1)], text)
    text = replace_org_types_compare(text, generic=True)
    return normalise(text)


# --------------------------------------------------------------------------- candidates


_CANDIDATES = """
SELECT ?s ?cls ?name WHERE {
  ?s a ?type . ?type rdfs:subClassOf* ?cls . ?cls rdfs:subClassOf* ecg:Party .
  { ?s rdfs:label ?name } UNION { ?s skos:altLabel ?name }
}"""
_IDENTIFIERS = """
SELECT ?s ?p ?id WHERE { VALUES ?p { ecg:lei ecg:registrationNumber ecg:externalId } ?s ?p ?id . }"""
_COUNTRIES = """
SELECT ?s ?code WHERE { ?s ecg:headquarteredIn|ecg:addressCountry|ecg:incorporatedIn ?c . ?c ecg:isoAlpha2 ?code . }"""
_NS = {"ecg": ECG._NS, "rdfs": RDFS._NS, "skos": SKOS._NS}


def candidates(g: Graph) -> dict[str, Candidate]:
    """The parties of ``g`` that records may be linked to (never imported records), by IRI."""
    from ..store.names import label_of

    names: dict[str, set] = defaultdict(set)
    classes: dict[str, set] = defaultdict(set)
    for s, cls, name in g.query(_CANDIDATES, initNs=_NS):
        if isinstance(s, URIRef) and not str(s).startswith(IMPORTED):
            names[str(s)].add(str(name))
            classes[str(s)].add(str(cls))
    ids: dict[str, set] = defaultdict(set)
    for s, p, value in g.query(_IDENTIFIERS, initNs=_NS):
        if str(s) in names:
            ids[str(s)].add(identifier_key(f"LEI:{value}" if p == ECG.lei else str(value)))
    countries: dict[str, set] = defaultdict(set)
    for s, code in g.query(_COUNTRIES, initNs=_NS):
        if str(s) in names:
            countries[str(s)].add(str(code).upper())
    return {iri: Candidate(iri, label_of(g, URIRef(iri)), frozenset(n), frozenset(ids[iri]),
                           frozenset(classes[iri]), frozenset(countries[iri])) for iri, n in names.items()}


def identifier_key(value: str) -> str:
    """An identifier as compared: upper case, no spaces (``lei:5493 00ab`` -> ``LEI:549300AB``).

    >>> identifier_key(" lei:5493001kjtiigc8y1r12 ")
    'LEI:5493001KJTIIGC8Y1R12'
    """
    return "".join(str(value).split()).upper()


# --------------------------------------------------------------------------- the linker


@dataclass
class Linker:
    """Best curated party for an imported record: identifiers, then names, then countries as a check.

    >>> people = {"https://example.org/p": Candidate("https://example.org/p", "Acme Corporation",
    ...                                             frozenset({"Acme Corporation"}))}
    >>> [(link.score, link.accepted) for link in Linker(people).links("urn:r", ["ACME CORPORATION"])]
    [(100.0, True)]
    """

    candidates: Mapping[str, Candidate]
    forms: LegalForms = _NO_FORMS
    judgements: Mapping[str, str] = field(default_factory=dict)  # match id -> "accepted" / "rejected"
    imported: Mapping[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)  # LEI:X -> ((IRI, name),)
    seen: dict = field(default_factory=dict, init=False, repr=False)  # LEI:X -> (record IRI, name) met here
    _index: dict = field(default_factory=dict, init=False, repr=False)
    _ids: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        for iri, c in sorted(self.candidates.items()):
            for value in c.identifiers:
                self._ids.setdefault(value, set()).add(iri)

    def _names(self, cls: str | None):
        if cls not in self._index:
            exact: dict[str, set] = defaultdict(set)
            spelled: dict[str, str] = {}
            for iri, c in sorted(self.candidates.items()):
                if cls is None or cls == str(ECG.Party) or cls in c.classes:
                    for n in sorted(c.names):
                        key = name_key(n, self.forms)
                        if key:
                            exact[key].add(iri)
                            spelled.setdefault(key, n)
            self._index[cls] = (exact, list(exact), spelled)
        return self._index[cls]

    def links(self, record: str, names: Iterable[str], *, cls: str | None = None, identifiers: Iterable[str] = (),
              countries: Iterable[str] = ()) -> list[Link]:
        """The matches of the record ``record`` (an IRI) with these names, identifiers and ISO countries.

        Several links when a name or identifier is shared by several parties; none below :data:`REVIEW_SCORE`.
        """
        names = [n for n in names if n and str(n).strip()]
        primary = names[0] if names else ""
        found: list[tuple[str, float, list[str], str]] = []
        keys = [identifier_key(v) for v in identifiers]
        for key in keys:
            for iri in sorted(self._ids.get(key, ())):
                found.append((iri, 100.0, [f"identifier {key} on both records"], key))
        out = []
        if not found:  # another import's record with the same LEI is the same party
            for key in keys:
                if key.startswith("LEI:"):
                    self.seen.setdefault(key, (record, primary))
                    for iri, name in self.imported.get(key, ()):
                        if iri != record:
                            features = [f"identifier {key} on both records (an earlier import)"]
                            decision = self.judgements.get(match_id(record, iri), "")
                            if decision:
                                features.append(f"review: {decision} by a person")
                            out.append(Link(record, primary, iri, name, 100.0, decision != "rejected",
                                            tuple(features), key, decision))
        if out:
            return out
        if not found:
            found = self._by_name(cls, names)
        countries = {c.upper() for c in countries if c}
        for iri, score, features, matched in found:
            c = self.candidates[iri]
            accepted = score >= ACCEPT_SCORE
            if countries and c.countries:
                shared = countries & c.countries
                if shared:
                    features.append(f"country {', '.join(sorted(shared))} on both")
                elif not features[0].startswith("identifier"):
                    features.append(f"countries differ: {', '.join(sorted(countries))} vs "
                                    f"{', '.join(sorted(c.countries))}")
                    accepted = False
            decision = self.judgements.get(match_id(record, iri), "")
            if decision:
                accepted = decision == "accepted"
                features.append(f"review: {decision} by a person")
            out.append(Link(record, primary, iri, c.label, score, accepted, tuple(features), matched, decision))
        return out

    def _by_name(self, cls, names) -> list[tuple[str, float, list[str], str]]:
        from rapidfuzz import fuzz, process

        exact, choices, spelled = self._names(cls)
        if not choices:
            return []
        best: tuple = (0.0, None, None, None)
        for name in names:
            key = name_key(name, self.forms)
            if not key:
                continue
            if key in exact:
                theirs = spelled[key]
                how = ("name identical" if normalise(name) == normalise(theirs)
                       else f"names equal once legal forms are normalised ({key!r})")
                return [(iri, 100.0, [f"{how}: {name!r} = {theirs!r}"], f"{name} = {theirs}")
                        for iri in sorted(exact[key])]
            hit = process.extractOne(key, choices, scorer=fuzz.token_sort_ratio, processor=None,
                                     score_cutoff=max(REVIEW_SCORE, best[0]))
            if hit and hit[1] > best[0]:
                best = (hit[1], name, hit[0], key)
        score, name, choice, key = best
        if name is None:
            return []
        score = round(float(score), 1)
        theirs = spelled[choice]
        feature = f"names similar: {name!r} ~ {theirs!r} (token_sort_ratio {score:g} on {key!r} / {choice!r})"
        return [(iri, score, [feature], f"{name} = {theirs}") for iri in sorted(exact[choice])]


def linker_for(g: Graph, *, judgements: Mapping[str, str] | None = None) -> Linker:
    """A :class:`Linker` over the parties of ``g``, with its legal forms, the stored review judgements
    and the LEIs of the imports that are loaded."""
    if judgements is None:
        from .review import judgements as stored

        judgements = stored()
    return Linker(candidates(g), legal_forms(g), judgements, imported_identifiers())


def _identifiers_file():
    from ..store.load import data_dir

    return data_dir() / "identifiers.json"


def remember(import_name: str, seen: Mapping[str, tuple[str, str]]) -> None:
    """Keep the LEIs an import met (``LEI:X`` -> its record IRI and name), for linking later imports to it."""
    import json

    from .review import _write_atomic

    path = _identifiers_file()
    doc = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    doc = {k: v for k, v in doc.items() if k != import_name}
    if seen:
        doc[import_name] = {k: list(v) for k, v in sorted(seen.items())}
    _write_atomic(path, json.dumps(doc, sort_keys=True, ensure_ascii=False))


def imported_identifiers() -> dict[str, tuple[tuple[str, str], ...]]:
    """The LEIs of the records of every import that is still loaded (not superseded, not removed)."""
    import json

    from ..errors import EcgraphError

    path = _identifiers_file()
    if not path.is_file():
        return {}
    from ..store.stored import list_imports

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EcgraphError(f"{path}: unreadable identifier index ({exc})") from None
    loaded = {s.name for s in list_imports() if not s.superseded_by}
    out: dict[str, list] = defaultdict(list)
    for name, ids in sorted(doc.items()):
        if name in loaded:
            for key, (iri, label) in ids.items():
                out[key].append((iri, label))
    return {k: tuple(v) for k, v in out.items()}


def match_triples(link: Link, match: URIRef, source) -> list[tuple]:
    """The triples of one link as an ``ecg:NameMatch`` node ``match`` citing ``source``; ``owl:sameAs`` when accepted."""
    from rdflib import OWL

    record, party = URIRef(link.record), URIRef(link.party)
    out = [
        (match, RDF.type, ECG.NameMatch),
        (match, ECG.matchedRecord, record),
        (match, ECG.matchedParty, party),
        (match, ECG.matchScore, Literal(Decimal(str(link.score)))),
        (match, ECG.matchedName, Literal(link.matched)),
        (match, ECG.accepted, Literal(link.accepted)),
        (match, ECG.matchId, Literal(link.id)),
        (match, DCTERMS.source, source),
    ]
    out += [(match, ECG.matchFeature, Literal(f)) for f in link.features]
    if link.decision:
        out.append((match, ECG.reviewDecision, Literal(link.decision)))
    if link.accepted:
        out.append((record, OWL.sameAs, party))
    return out
