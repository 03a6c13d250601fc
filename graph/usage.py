"""Build chip usages from what users give: names on the command line, JSON or Turtle files.

Every name is resolved with :func:`graph.names.resolve`; an unknown name is an
error with suggestions, never a silent new party.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from rdflib import RDF, Graph, URIRef

from .errors import EcgraphError, InputError, ParseError
from .exposure import Usage
from .names import name_index, resolve
from .namespace import ECG
from .timeline import parse_date

FIELDS = ("chip", "activity", "user", "for", "supplier", "user_country", "for_country", "supplier_country",
          "where", "shipped_from", "end_uses", "red_flags", "as_of")


def usage_from_names(g: Graph, *, chip: str, activity: str = "inference", user=None, for_=None, supplier=None,
                     user_country=None, for_country=None, supplier_country=None, where=None, shipped_from=None,
                     end_uses=(), red_flags=(), as_of="today") -> Usage:
    """A :class:`Usage` from names as a user types them.

    >>> from graph.load import load
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
    )


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
    from .load import new_dataset, parse_into

    ds = new_dataset("memory")
    parse_into(ds, path)
    out = []
    for node in sorted(set(ds.subjects(RDF.type, ECG.ChipUsage))):
        def one(prop):
            value = ds.value(node, prop)
            return str(value) if value is not None else None

        parties = {}
        for key, prop in (("user", ECG.usedBy), ("for_", ECG.onBehalfOf), ("supplier", ECG.suppliedBy)):
            value = ds.value(node, prop)
            if value is None:
                continue
            if (value, None, None) in g:
                parties[key] = str(value)
            else:
                hq = ds.value(value, ECG.headquarteredIn)
                if hq is None:
                    raise InputError(f"{path}: party {value} of usage {node} is not in the graph and has no ecg:headquarteredIn")
                parties[key.rstrip("_") + "_country"] = str(hq)
        chip = one(ECG.chip)
        if chip is None:
            raise InputError(f"{path}: usage {node} has no ecg:chip")
        as_of = ds.value(node, ECG.asOf)
        out.append(Usage(
            chip=chip, activity=one(ECG.activity) or str(URIRef("https://w3id.org/ecgraph/id/activity/inference")),
            where=one(ECG.usedIn), shipped_from=one(ECG.shippedFrom),
            end_uses=tuple(sorted(str(e) for e in ds.objects(node, ECG.knownEndUse))),
            red_flags=tuple(sorted(str(e) for e in ds.objects(node, ECG.redFlag))),
            as_of=as_of.toPython() if as_of is not None else dt.date.today(),
            iri=str(node), **parties,
        ))
    if not out:
        raise InputError(f"{path}: no ecg:ChipUsage in the file")
    return out
