"""ecgraph: a knowledge graph of US export-control relations around advanced AI chips.

Data flows one way: Turtle -> rdflib Dataset (:func:`load`) -> networkx view
(:func:`to_networkx`) -> answers -> words, tables, HTML. Heavy libraries
(pyshacl, pyvis, the web server) are imported only where they are used; the
names that need networkx (the engine, the traversal view, name resolution) are
imported on first use (PEP 562), so ``import graph`` and every command that does
not traverse stay clear of it.
"""

from importlib import import_module

from .errors import EcgraphError, InputError, ParseError, QueryError, UnknownNameError
from .store.load import load
from .namespace import ECG, ID
from .store.validate import validate

# public name -> the module that defines it, imported when the name is first used
_LAZY = {
    "Usage": ".reasoning.exposure",
    "exposures": ".reasoning.exposure",
    "resolve": ".store.names",
    "to_networkx": ".reasoning.network",
    "usage_from_names": ".reasoning.usage",
}

__all__ = sorted([
    "ECG",
    "EcgraphError",
    "ID",
    "InputError",
    "ParseError",
    "QueryError",
    "UnknownNameError",
    "Usage",
    "exposures",
    "load",
    "resolve",
    "to_networkx",
    "usage_from_names",
    "validate",
])
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # later look-ups are plain attribute reads
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})
