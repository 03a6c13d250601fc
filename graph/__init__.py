"""ecgraph: a knowledge graph of US export-control relations around advanced AI chips.

Data flows one way: Turtle -> rdflib Dataset (:func:`load`) -> networkx view
(:func:`to_networkx`) -> answers -> words, tables, HTML. Heavy libraries
(pyshacl, pyvis, the web server) are imported only where they are used.
"""

from .errors import EcgraphError, InputError, ParseError, QueryError, UnknownNameError
from .exposure import Usage, exposures
from .load import load
from .namespace import ECG, ID
from .names import resolve
from .network import to_networkx
from .usage import usage_from_names
from .validate import validate

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
