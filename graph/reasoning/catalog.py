"""What the graph holds, kind by kind (``ecgraph list``): chips, firms, rules, lists and groups as rows.

Which class each kind is and which columns it shows are ontology terms; the
values are read from the data, dated facts counted only where they hold on the day.
"""

from __future__ import annotations

import datetime as dt

from rdflib import RDF, RDFS, Graph, URIRef

from ..namespace import ECG
from ..store.names import label_of
from .network import collapsing_classes
from .timeline import holds

KINDS = ("chips", "firms", "rules", "lists", "groups")


def pasteable(iri) -> str:
    """An IRI as it can be pasted back into a SPARQL query or an ecgraph command.

    >>> pasteable("https://w3id.org/ecgraph/id/chip/nvidia-h100-sxm")
    '<https://w3id.org/ecgraph/id/chip/nvidia-h100-sxm>'
    """
    return f"<{iri}>"


def _instances(g: Graph, cls) -> list[URIRef]:
    classes = {cls, *g.transitive_subjects(RDFS.subClassOf, cls)}
    return sorted({s for c in classes for s in g.subjects(RDF.type, c) if isinstance(s, URIRef)})


def _holding(g: Graph, cls, end_p, target, day) -> list[URIRef]:
    """Fact nodes of ``cls`` whose ``end_p`` is ``target`` and that hold on ``day``."""
    out = []
    for node in g.subjects(end_p, target):
        if (node, RDF.type, cls) not in g:
            continue
        frm, until = g.value(node, ECG.validFrom), g.value(node, ECG.validUntil)
        if holds(frm.toPython() if frm is not None else None, until.toPython() if until is not None else None, day):
            out.append(node)
    return out


def catalogue(g: Graph, kind: str, day: dt.date) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """The column names and the rows of ``kind`` (one of :data:`KINDS`) on ``day``, sorted by name.

    >>> from graph.store.load import load
    >>> cols, rows = catalogue(load(imports=False), "lists", dt.date(2025, 6, 1))
    >>> cols[:2], any(r[1] == "Entity List" for r in rows)
    (('iri', 'name'), True)
    """
    from ..errors import InputError

    facts = collapsing_classes(g)
    names = lambda xs: "; ".join(sorted({label_of(g, x) for x in xs}))  # noqa: E731
    if kind == "chips":
        cols = ("iri", "name", "designer", "ECCN", "TPP")
        rows = [(pasteable(c), label_of(g, c), names(g.objects(c, ECG.designedBy)),
                 names(g.objects(c, ECG.statedClassification)), str(g.value(c, ECG.tpp) or ""))
                for c in _instances(g, ECG.Chip)]
    elif kind == "firms":
        frm, _to = facts[ECG.Listing]
        cols = ("iri", "name", "headquarters", f"listed on {day.isoformat()}")
        rows = [(pasteable(f), label_of(g, f), names(g.objects(f, ECG.headquarteredIn)),
                 names(g.value(n, ECG.onList) for n in _holding(g, ECG.Listing, frm, f, day)))
                for f in _instances(g, ECG.Party)]
    elif kind == "rules":
        from .describe import instrument_statuses

        cols = ("iri", "citation", "name", f"status on {day.isoformat()}", "since")
        rows = [(pasteable(s.iri), s.citation, s.label, s.status, s.since) for s in instrument_statuses(g, day)]
        return cols, rows
    elif kind == "lists":
        _frm, to = facts[ECG.Listing]
        cols = ("iri", "name", f"listings on {day.isoformat()}")
        rows = [(pasteable(x), label_of(g, x), str(len(_holding(g, ECG.Listing, to, x, day))))
                for x in _instances(g, ECG.ScreeningList)]
    elif kind == "groups":
        frm, to = facts[ECG.GroupMembership]
        cols = ("iri", "name", f"members on {day.isoformat()}")
        rows = []
        for grp in _instances(g, ECG.CountryGroup):
            members = [g.value(n, frm) for n in _holding(g, ECG.GroupMembership, to, grp, day)]
            rows.append((pasteable(grp), label_of(g, grp), str(len(members))))
    else:
        raise InputError(f"unknown kind {kind!r}; choose one of {', '.join(KINDS)}")
    return cols, sorted(rows, key=lambda r: (r[1].casefold(), r[0]))
