"""A read-through memo of the rdflib look-ups the exposure engine repeats on every call.

Restrictions, instruments, labels and chip figures are read dozens of times per
answer; through oxrdflib each read is a store round trip that builds new rdflib
terms. :func:`memo` wraps a loaded graph once and answers the same look-ups from a
dictionary afterwards. Like the traversal graph it assumes the graph is not changed
after loading; :func:`forget` drops it.
"""

from __future__ import annotations

from rdflib import Graph


class Memo:
    """The read side of an rdflib graph (objects, subjects, value, ``in``), memoised; the rest passes through."""

    def __init__(self, g: Graph):
        self._g, self._seen = g, {}

    def _tuple(self, key, make):
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = tuple(make())
        return found

    def objects(self, subject=None, predicate=None, unique=False):
        found = self._seen.get(("o", subject, predicate))  # the engine's most frequent read: no closure made
        if found is None:
            found = self._tuple(("o", subject, predicate), lambda: self._g.objects(subject, predicate))
        return iter(found)

    def subjects(self, predicate=None, object=None, unique=False):
        return iter(self._tuple(("s", predicate, object), lambda: self._g.subjects(predicate, object)))

    def subject_objects(self, predicate=None, unique=False):
        return iter(self._tuple(("so", predicate), lambda: self._g.subject_objects(predicate)))

    def predicate_objects(self, subject=None, unique=False):
        return iter(self._tuple(("po", subject), lambda: self._g.predicate_objects(subject)))

    def value(self, subject=None, predicate=None, object=None, default=None, any=True):
        if subject is None or predicate is None or object is not None:
            return self._g.value(subject, predicate, object, default, any)
        found = self._seen.get(("o", subject, predicate))
        if found is None:
            found = self._tuple(("o", subject, predicate), lambda: self._g.objects(subject, predicate))
        return found[0] if found else default

    def __contains__(self, triple) -> bool:
        key = ("in", triple)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = triple in self._g
        return found

    def __getattr__(self, name):  # query, graph, serialize, ... go to the graph itself
        return getattr(self._g, name)


def memo(g: Graph) -> Memo:
    """The memo of ``g``, made on first use and kept on it."""
    if isinstance(g, Memo):
        return g
    found = getattr(g, "_ecgraph_memo", None)
    if found is None:
        found = Memo(g)
        try:
            g._ecgraph_memo = found
        except AttributeError:  # pragma: no cover - graphs that refuse attributes
            pass
    return found


def forget(g: Graph) -> None:
    """Drop the memo of ``g`` (after changing it)."""
    g.__dict__.pop("_ecgraph_memo", None)
