"""One error family: every failure a user can cause is an :class:`EcgraphError`.

Each message says what went wrong and where, on one line.
"""


class EcgraphError(Exception):
    """Base of every error ecgraph raises on bad input."""


class ParseError(EcgraphError):
    """A data file does not parse; the message names the file, line and column."""


class UnknownNameError(EcgraphError):
    """A name matches nothing in the graph; ``suggestions`` holds the closest names."""

    def __init__(self, kind: str, name: str, suggestions: list[str] = ()):
        self.kind, self.name, self.suggestions = kind, name, list(suggestions)
        hint = f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown {kind} {name!r}{hint}")


class InputError(EcgraphError):
    """An argument, row or file has the wrong form (a bad date, a wrong header, ...)."""


class QueryError(EcgraphError):
    """A SPARQL query does not parse, is refused, or exceeds its limits."""
