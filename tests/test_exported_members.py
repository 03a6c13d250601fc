"""The public surface of the package: a small, sorted ``__all__`` that imports cheaply."""

import subprocess
import sys

import graph


def test_all_is_sorted_and_exported():
    assert graph.__all__ == [
        "ECG", "EcgraphError", "ID", "InputError", "ParseError", "QueryError", "UnknownNameError", "Usage",
        "exposures", "load", "resolve", "to_networkx", "usage_from_names", "validate",
    ]
    for name in graph.__all__:
        assert hasattr(graph, name), name


def test_errors_share_one_base():
    for name in ("ParseError", "UnknownNameError", "InputError", "QueryError"):
        assert issubclass(getattr(graph, name), graph.EcgraphError)


def test_importing_the_package_leaves_heavy_libraries_alone():
    code = "import sys, graph; print(sorted(m for m in ('pyvis', 'pyshacl', 'uvicorn', 'starlette', 'SPARQLWrapper') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_importing_the_package_is_cheap_until_a_name_is_used():
    code = ("import sys, graph; before = 'networkx' in sys.modules; graph.exposures; "
            "print(before, 'networkx' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "True"]
