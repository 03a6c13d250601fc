"""The W3C SPARQL 1.1 query and protocol tests over HTTP: `ecgraph serve` beside `oxigraph serve`.

The suites (from the rdflib sdist, fetched by .ci/run into $ECGRAPH_W3C_SUITES) run once per
module on both servers; the table of pass counts is printed (pytest -s) and written under the
tmp dir. Every test where the two differ must be in tests/w3c/deviations.toml with its reason,
and every test listed there must still differ.
"""

import os
import shutil
import time

import pytest
from rdflib import BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import XSD
from rdflib.query import Result

from w3c import harness

X, Y = Variable("x"), Variable("y")


def _absent(message):
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def suites():
    root = harness.suites_dir()
    if root is None:
        _absent(f"no W3C suites at ${harness.SUITES_ENV} (.ci/run fetches them from the rdflib sdist on PyPI)")
    return root


@pytest.fixture(scope="module")
def outcomes(suites, tmp_path_factory):
    if shutil.which("oxigraph") is None:
        _absent("the oxigraph binary (pip install oxigraph) is needed to compare with")
    started = time.perf_counter()
    out = harness.run(suites)
    text = harness.report(out, time.perf_counter() - started)
    path = tmp_path_factory.mktemp("w3c") / "w3c-report.txt"
    path.write_text(text + "\n", encoding="utf-8")
    print(f"\n{text}\n(report written to {path})")
    return out


# --------------------------------------------------------------------------- the suites on both servers

def test_every_category_ran_on_both_servers(outcomes):
    table = harness.counts(outcomes)
    assert set(table) == set(harness.CATEGORIES)
    for category, row in table.items():
        assert set(row) == set(harness.SERVERS), category
        assert row["ecgraph"]["total"] == row["oxigraph"]["total"] > 0, category


def test_no_deviation_from_oxigraph_is_unexplained(outcomes):
    listed = harness.listed_deviations()
    new = {iri: f"ecgraph: {v['ecgraph'].detail or 'passed'} / oxigraph: {v['oxigraph'].detail or 'passed'}"
           for iri, v in harness.deviations(outcomes).items() if iri not in listed}
    assert not new, f"ecgraph and Oxigraph differ on tests not in {harness.DEVIATIONS.name}: {new}"


def test_every_listed_deviation_still_deviates(outcomes):
    found = harness.deviations(outcomes)
    stale = sorted(set(harness.listed_deviations()) - set(found))
    assert not stale, f"listed in {harness.DEVIATIONS.name} but ecgraph and Oxigraph now agree: {stale}"


def test_every_listed_deviation_has_a_reason():
    assert all(reason.strip() for reason in harness.listed_deviations().values())


def test_the_list_names_tests_that_exist(suites):
    iris = {case.iri for case in harness.cases(suites)}
    assert set(harness.listed_deviations()) <= iris


def test_every_protocol_test_has_an_http_check(suites):
    names = {case.name for case in harness.cases(suites, ("protocol",))}
    assert names == set(harness.PROTOCOL)


# --------------------------------------------------------------------------- how answers are compared

def test_solutions_are_a_multiset_with_blank_nodes_up_to_renaming():
    a, b = BNode(), BNode()
    expected = [{X: a, Y: a}, {X: b, Y: Literal("k")}]
    assert harness.same_solutions(expected, [{X: BNode("q"), Y: Literal("k")}, {X: BNode("p"), Y: BNode("p")}])
    assert not harness.same_solutions(expected, [{X: BNode("p"), Y: BNode("r")}, {X: BNode("q"), Y: Literal("k")}])
    assert not harness.same_solutions(expected, expected + expected[:1])


def test_one_blank_node_cannot_stand_for_two():
    a, b = BNode(), BNode()
    same = BNode()
    assert not harness.same_solutions([{X: a}, {X: b}], [{X: same}, {X: same}])


def test_numbers_compare_by_value_within_their_datatype():
    one = [{X: Literal("1.0", datatype=XSD.decimal)}]
    assert harness.same_solutions(one, [{X: Literal("1.00", datatype=XSD.decimal)}])
    assert not harness.same_solutions(one, [{X: Literal("1", datatype=XSD.integer)}])
    assert not harness.same_solutions(one, [{X: Literal("1.5", datatype=XSD.decimal)}])


def _select(*values):
    r = Result("SELECT")
    r.vars = [X]
    r.bindings = [{X: Literal(v)} for v in values]
    return r


def test_order_counts_only_under_order_by():
    expected, reversed_ = _select(1, 2, 3), _select(3, 2, 1)
    assert harness.compare(expected, reversed_, "SELECT ?x WHERE { ?s ?p ?x }") == ""
    assert "ORDER BY" in harness.compare(expected, reversed_, "SELECT ?x WHERE { ?s ?p ?x } ORDER BY ?x")
    assert "ORDER BY" in harness.compare(expected, reversed_, "SELECT ?x WHERE { ?s ?p ?x } ORDER BY (?x + 0)")
    assert harness.compare(reversed_, expected, "SELECT ?x WHERE { ?s ?p ?x } ORDER BY DESC(?x)") != ""
    assert harness.compare(expected, reversed_, "SELECT ?x WHERE { ?s ?p ?x } ORDER BY DESC(?x)") == ""
    assert harness.compare(expected, _select(1, 2, 3), "SELECT ?x WHERE { ?s ?p ?x } ORDER BY ?x") == ""


def test_order_by_leaves_literals_of_different_kinds_unordered():
    mixed = Result("SELECT")
    mixed.vars = [X]
    mixed.bindings = [{X: Literal("b")}, {X: Literal(1)}, {X: Literal("a")}]
    expected = Result("SELECT")
    expected.vars = [X]
    expected.bindings = [{X: Literal(1)}, {X: Literal("a")}, {X: Literal("b")}]
    assert harness.compare(expected, mixed, "SELECT ?x WHERE { ?s ?p ?x } ORDER BY ?x") == ""
    mixed.bindings = [{X: Literal("b")}, {X: Literal("a")}, {X: Literal(1)}]  # "b" before "a": never
    assert "ORDER BY" in harness.compare(expected, mixed, "SELECT ?x WHERE { ?s ?p ?x } ORDER BY ?x")


def test_graphs_compare_by_isomorphism():
    def g(node):
        out = Graph()
        out.add((node, URIRef("http://e/p"), Literal("2.0", datatype=XSD.decimal)))
        return out
    construct = "CONSTRUCT WHERE { ?s ?p ?o }"
    assert harness.compare(g(BNode()), g(BNode()), construct) == ""
    assert harness.compare(g(BNode()), g(URIRef("http://e/s")), construct) != ""
