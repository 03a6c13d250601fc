"""What moves, to whom: the acts a chip usage consists of, each with the party that performs it and the recipient.

The kinds of act are vocabulary (``id:act/...`` in ``ontology/data/vocabularies.ttl``);
a restriction says which it covers (``ecg:coversAct``). A usage names its act
(``Usage.act``) or it is derived:

- the item moves (supplier -> user) when the usage gives a supplier or an origin, or
  no party on whose behalf: an *export* when it leaves the United States, a
  *transfer* when origin and place of use are the same country, a *reexport*
  otherwise (an *export* when the origin is unknown, which the answer says);
- a *service* (user -> party on whose behalf: IaaS, remote access) when the usage
  names a party on whose behalf: the chip itself does not move to that party;
- *use* by the user, always when there is a user or a place of use.

An act given explicitly is the only act besides the user's own use.
"""

from __future__ import annotations

from dataclasses import dataclass

from rdflib import URIRef

from ..namespace import ID
from .situation import nobody, origin, place_of_use, same_place

ACT = {name: str(ID[f"act/{name}"]) for name in ("supply", "export", "reexport", "transfer", "service", "use")}


@dataclass(frozen=True)
class Act:
    """One act of a usage: its kind (an ``id:act/...`` IRI), who performs it, who receives it, from where to where."""

    kind: str
    actor: object  # graph.reasoning.situation.Party
    recipient: object | None
    origin: str | None = None
    destination: str | None = None
    note: str = ""  # how the kind was derived, when it was not given


def usage_acts(s) -> tuple[Act, ...]:
    """The acts of the usage in situation ``s`` (see the module docstring)."""
    u, parties = s.usage, s.parties
    user = parties["user"][0] if parties["user"] else None
    provider_for = parties["for"][0] if parties["for"] else None
    supplier = parties["supplier"][0] if parties["supplier"] else None
    explicit = u.act or ""
    supply_family = {ACT["supply"], ACT["export"], ACT["reexport"], ACT["transfer"]}
    out: list[Act] = []
    source, dest = origin(s), place_of_use(s)

    def supply(kind=None):
        note = ""
        if kind is None or kind == ACT["supply"]:
            if source and dest and same_place(s, source, dest):
                kind = ACT["transfer"]
            elif source and source in export_origins(s):
                kind = ACT["export"]
            elif source:
                kind = ACT["reexport"]
            else:
                kind, note = ACT["export"], "origin unknown: taken as an export"
        return Act(kind, supplier or nobody("supplier"), user or nobody("user"), source, dest, note)

    if explicit in supply_family:
        out.append(supply(explicit))
    elif explicit == ACT["service"]:
        out.append(Act(ACT["service"], user or nobody("user"), provider_for or nobody("for"), dest, dest))
    elif not explicit:
        if supplier is not None or u.shipped_from or provider_for is None:
            out.append(supply())
        if provider_for is not None:
            out.append(Act(ACT["service"], user or nobody("user"), provider_for, dest, dest))
    if user is not None or dest or explicit == ACT["use"]:
        out.append(Act(ACT["use"], user or nobody("user"), None, dest, dest))
    return tuple(out)


def export_origins(s) -> set[str]:
    """The countries a shipment from which is an export rather than a reexport: the export concept's
    ``skos:related`` countries in the data (the United States)."""
    from rdflib.namespace import SKOS

    return {str(c) for c in s.g.objects(URIRef(ACT["export"]), SKOS.related)}


def with_acts(s):
    """Situation ``s`` with its acts (:func:`usage_acts`), which read its parties and places."""
    from dataclasses import replace

    return replace(s, acts=usage_acts(s))
