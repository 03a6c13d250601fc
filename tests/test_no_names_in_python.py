"""The rules are data: no restriction, instrument, chip, firm, list or country is named in graph/*.py.

Every string constant in the package's code (docstrings and their doctests aside, which are examples) is
checked against the IRIs and labels of those entities in the curated data.
"""

import ast
from pathlib import Path

import pytest
from rdflib import RDF, RDFS

from graph.namespace import ECG, ID

PACKAGE = Path(__file__).resolve().parent.parent / "graph"
KINDS = (ECG.Restriction, ECG.Rule, ECG.Guidance, ECG.Instrument, ECG.Chip, ECG.Firm, ECG.Country, ECG.CountryGroup,
         ECG.ScreeningList)


def constants(path: Path) -> list[str]:
    """The string constants of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            body = getattr(node, "body", [])
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [n.value for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docstrings]


@pytest.fixture(scope="module")
def names(curated):
    iris, labels = set(), set()
    for kind in KINDS:
        for node in curated.subjects(RDF.type, kind):
            local = str(node).removeprefix(str(ID))
            if local != str(node):
                iris.add(local)
            for label in curated.objects(node, RDFS.label):
                if len(str(label)) > 3:
                    labels.add(str(label))
    return iris, labels


def named_in(text: str, iris, labels) -> list[str]:
    """The entities a string constant names: an instance path, its full IRI, or a label."""
    return [i for i in iris if text == i or text == str(ID) + i] + [label for label in labels if text == label]


@pytest.mark.parametrize("module", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_entity_is_named_in_the_code(module, names):
    iris, labels = names
    assert [n for text in constants(module) for n in named_in(text, iris, labels)] == []


def test_the_check_would_catch_a_named_country_or_rule(names):
    iris, labels = names
    assert named_in("country/CN", iris, labels) == ["country/CN"]
    assert named_in(str(ID) + "restriction/ac-d5-macau", iris, labels)
    assert named_in("NVIDIA H100 SXM", iris, labels)
