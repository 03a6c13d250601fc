"""Build chip usages from what users give: names on the command line, JSON or Turtle files.

Every name is resolved with :func:`graph.store.names.resolve`; an unknown name is an
error with suggestions, never a silent new party.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from rdflib import RDF, Graph, URIRef

from ..errors import EcgraphError, InputError, ParseError
from .exposure import Usage
from ..store.names import label_of, name_index, resolve
from ..namespace import ECG
from .timeline import parse_date

FIELDS = ("chip", "activity", "user", "for", "supplier", "user_country", "for_country", "supplier_country",
          "where", "shipped_from", "end_uses", "red_flags", "as_of", "act")


def usage_from_names(g: Graph, *, chip: str, activity: str = "inference", user=None, for_=None, supplier=None,
                     user_country=None, for_country=None, supplier_country=None, where=None, shipped_from=None,
                     end_uses=(), red_flags=(), as_of="today", act=None) -> Usage:
    """A :class:`Usage` from names as a user types them.

    ``act`` is one of the kinds of act in the data (export, reexport, transfer, service, use; see
    :mod:`graph.reasoning.acts`); left out, the acts are derived from the parties given.

    >>> from graph.store.load import load
    >>> g = load(imports=False)
    >>> u = usage_from_names(g, chip="H100", user_country="SG", as_of="2025-06-01")
    >>> u.user_country
    'https://w3id.org/ecgraph/id/country/SG'
    """
    countries = name_index(g, "country")

    def country(value, what):
        return str(resolve(g, value, "country", countries)) if value is not None else None

    def party(value):
        return str(resolve(g, value, "party")) if value else None

    for role, named, country_of in (("user", user, user_country), ("for", for_, for_country),
                                    ("supplier", supplier, supplier_country)):
        if named and country_of:
            raise InputError(f"give --{role} NAME or --{role}-country CC, not both")
    if not any((user, user_country, for_, for_country, supplier, supplier_country, where)):
        raise InputError("a usage needs at least a party (--user, --for, --supplier or their -country forms) "
                         "or a place of use (--where); with neither, no restriction can be tested")

    return Usage(
        chip=str(resolve(g, chip, "chip")),
        activity=str(resolve(g, activity, "activity")),
        user=party(user), for_=party(for_), supplier=party(supplier),
        user_country=country(user_country, "--user-country"), for_country=country(for_country, "--for-country"),
        supplier_country=country(supplier_country, "--supplier-country"),
        where=country(where, "--where"), shipped_from=country(shipped_from, "--from"),
        end_uses=tuple(str(resolve(g, e, "end use")) for e in end_uses),
        red_flags=tuple(str(resolve(g, f, "red flag")) for f in red_flags),
        as_of=parse_date(as_of, what="as-of date"),
        act=act_of(g, act) if act else "",
    )


def act_of(g: Graph, name: str) -> str:
    """The ``ecg:Act`` a name denotes (its notation, label or IRI); an unknown name lists the known ones."""
    from rdflib.namespace import SKOS

    from ..errors import UnknownNameError
    from ..store.names import label_of, normalise

    acts = sorted(set(g.subjects(RDF.type, ECG.Act)))
    wanted = normalise(str(name))
    for act in acts:
        spelled = {str(act), *(str(x) for x in g.objects(act, SKOS.notation)), label_of(g, act),
                   *(str(x) for x in g.objects(act, SKOS.altLabel))}
        if str(name) == str(act) or wanted in {normalise(x) for x in spelled}:
            return str(act)
    known = [str(g.value(a, SKOS.notation)) for a in acts if g.value(a, SKOS.notation) is not None]
    raise UnknownNameError("act", str(name), known)



def usages_from_file(g: Graph, path: Path) -> list[Usage]:
    """Usages from a JSON file (an object or a list of objects with the fields of :data:`FIELDS`) or RDF."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such usage file")
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ParseError(f"{path}:{getattr(exc, 'lineno', '?')}:{getattr(exc, 'colno', '?')}: {exc.msg if hasattr(exc, 'msg') else exc}") from None
        rows = data if isinstance(data, list) else [data]
        if not rows:
            raise InputError(f"{path}: no usage in the file")
        out = []
        for i, row in enumerate(rows, 1):
            if not isinstance(row, dict) or "chip" not in row:
                raise InputError(f"{path}: usage {i} must be an object with at least a 'chip'")
            unknown = set(row) - set(FIELDS)
            if unknown:
                raise InputError(f"{path}: usage {i} has unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(FIELDS)}")
            args = {("for_" if k == "for" else k): v for k, v in row.items()}
            try:
                out.append(usage_from_names(g, **args))
            except EcgraphError as exc:
                raise InputError(f"{path}: usage {i}: {exc}") from None
        return out
    return _usages_from_rdf(g, path)


def _usages_from_rdf(g: Graph, path: Path) -> list[Usage]:
    from ..store.load import new_dataset, parse_into

    ds = new_dataset("memory")
    parse_into(ds, path)
    try:
        out = usages_in(g, ds)
    except EcgraphError as exc:
        raise InputError(f"{path}: {exc}") from None
    if not out:
        raise InputError(f"{path}: no ecg:ChipUsage in the file")
    return out


def usages_in(g: Graph, source: Graph, *, day="today") -> list[Usage]:
    """The ``ecg:ChipUsage`` nodes of ``source`` as usages, every IRI checked against ``g`` like a typed name.

    A party IRI that ``g`` does not know is an unnamed party when ``source`` gives its
    ``ecg:headquarteredIn``; ``day`` is used where a usage has no ``ecg:asOf``.
    """
    out = []
    for node in sorted(set(source.subjects(RDF.type, ECG.ChipUsage))):
        def one(prop):
            value = source.value(node, prop)
            return str(value) if value is not None else None

        if one(ECG.chip) is None:
            raise InputError(f"usage {node} has no ecg:chip")
        parties = {}
        for key, prop in (("user", ECG.usedBy), ("for_", ECG.onBehalfOf), ("supplier", ECG.suppliedBy)):
            value = source.value(node, prop)
            if value is None:
                continue
            if (value, RDF.type, None) in g:
                parties[key] = str(value)
            elif source.value(value, ECG.headquarteredIn) is not None:
                parties[key.rstrip("_") + "_country"] = str(source.value(value, ECG.headquarteredIn))
            else:
                raise InputError(f"party {value} of usage {node} is not in the graph and has no ecg:headquarteredIn")
        as_of = source.value(node, ECG.asOf)
        try:
            usage = usage_from_names(
                g, chip=one(ECG.chip), activity=one(ECG.activity) or "inference",
                where=one(ECG.usedIn), shipped_from=one(ECG.shippedFrom),
                end_uses=sorted(str(e) for e in source.objects(node, ECG.knownEndUse)),
                red_flags=sorted(str(e) for e in source.objects(node, ECG.redFlag)),
                as_of=str(as_of) if as_of is not None else day, act=one(ECG.act), **parties)
        except EcgraphError as exc:
            raise InputError(f"usage {node}: {exc}") from None
        out.append(replace(usage, iri=str(node)))
    return out


def usage_words(g: Graph, u) -> str:
    """A usage in words: chip, activity, parties, place, date."""
    def name(iri, country, word):
        if iri:
            return f"{word} {label_of(g, URIRef(iri))}"
        return f"{word} an unnamed party in {label_of(g, URIRef(country))}" if country else ""

    parts = [label_of(g, URIRef(u.chip)), label_of(g, URIRef(u.activity)),
             name(u.user, u.user_country, "by"), name(u.for_, u.for_country, "for"),
             name(u.supplier, u.supplier_country, "supplied by"),
             f"in {label_of(g, URIRef(u.where))}" if u.where else "", f"on {u.as_of}"]
    return ", ".join(p for p in parts if p)
