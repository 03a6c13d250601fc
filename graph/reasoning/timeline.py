"""Dates: parsing what users type, and whether a dated fact holds on a day.

A fact holds on ``day`` when ``validFrom <= day <= validUntil`` (either bound may
be missing). Instrument status is read from ``ecg:StatusPeriod`` facts.
"""

from __future__ import annotations

import datetime as dt

from rdflib import Graph, URIRef

from ..errors import InputError
from ..namespace import ECG


def parse_date(text, *, what: str = "date") -> dt.date:
    """Parse an ISO date (YYYY-MM-DD); ``today`` gives today's date.

    >>> parse_date("2025-06-01")
    datetime.date(2025, 6, 1)
    """
    if isinstance(text, dt.date):
        return text
    raw = str(text).strip()
    if raw.lower() == "today":
        return dt.date.today()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise InputError(f"{what} {raw!r} is not a date in the form YYYY-MM-DD") from None


def holds(valid_from, valid_until, day: dt.date) -> bool:
    """Whether a fact valid from ``valid_from`` to ``valid_until`` (inclusive, None = open) holds on ``day``.

    >>> holds(dt.date(2025, 9, 29), dt.date(2025, 11, 9), dt.date(2025, 11, 10))
    False
    """
    if valid_from is not None and _as_date(valid_from) > day:
        return False
    if valid_until is not None and _as_date(valid_until) < day:
        return False
    return True


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def status_on(g: Graph, instrument: URIRef, day: dt.date):
    """The ``(status, status_period)`` of ``instrument`` on ``day``, or ``(None, None)`` before its first period.

    >>> from graph.store.load import load
    >>> g = load(imports=False)
    >>> str(status_on(g, URIRef("https://w3id.org/ecgraph/id/rule/90-FR-4544"), dt.date(2025, 6, 1))[0])
    'https://w3id.org/ecgraph/id/status/not-enforced'
    """
    best = (None, None, None)
    for period in g.subjects(ECG.statusOf, instrument):
        start, end = g.value(period, ECG.validFrom), g.value(period, ECG.validUntil)
        start_d = start.toPython() if start is not None else None
        end_d = end.toPython() if end is not None else None
        if holds(start_d, end_d, day) and (best[0] is None or (start_d or dt.date.min) >= best[0]):
            best = (start_d or dt.date.min, g.value(period, ECG.status), period)
    return best[1], best[2]
