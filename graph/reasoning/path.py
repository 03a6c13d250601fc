"""Explanations are paths of triples: each :class:`Step` is an ``(s, p, o)`` found in the data, with its sources."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One fact on a path: subject, predicate and object IRIs (or a literal's text) and the sources behind it."""

    s: str
    p: str
    o: str
    sources: tuple[str, ...] = ()


def fact_steps(u: str, v: str, data: dict, *extra: str) -> tuple[Step, ...]:
    """The triples behind a collapsed fact edge ``u -> v`` (see :mod:`graph.reasoning.network`), plus the named literal values.

    >>> fact_steps("A", "B", {"fact": "F", "edge_from": "owner", "edge_to": "owned", "percentage": 60.0,
    ...                       "sources": ("S",)}, "percentage")[2]
    Step(s='F', p='https://w3id.org/ecgraph/ontology#percentage', o='60', sources=('S',))
    """
    from ..namespace import ECG

    fact, sources = data["fact"], tuple(data.get("sources", ()))
    steps = [Step(fact, data["edge_from"], u, sources), Step(fact, data["edge_to"], v, sources)]
    for name in extra:
        if name in data:
            steps.append(Step(fact, str(ECG[name]), _text(data[name]), sources))
    return tuple(steps)


def _text(value) -> str:
    from decimal import Decimal

    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (Decimal, float)) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(float(value))
    return str(value)
