"""Loading: the curated set on either store, user files on top, and bad input that loses nothing."""

import pytest
from rdflib import RDF, URIRef

from graph.errors import EcgraphError, ParseError, UnknownNameError
from graph.store.load import load
from graph.store.names import resolve
from graph.namespace import ECG, GRAPH, ID

GOOD = """@prefix ecg: <https://w3id.org/ecgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<urn:firm:1> a ecg:Firm ; rdfs:label "Good Firm"@en .
"""
BROKEN = """@prefix ecg: <https://w3id.org/ecgraph/ontology#> .
<urn:firm:2> a ecg:Firm ;
    ecg:note "never closed .
"""


def plain(triple):
    """The same RDF term spelled one way: Oxigraph writes xsd:string out and decimals canonically."""
    from decimal import Decimal

    from rdflib import Literal
    from rdflib.namespace import XSD

    s, p, o = triple
    if isinstance(o, Literal) and o.datatype == XSD.string:
        o = Literal(str(o))
    elif isinstance(o, Literal) and o.datatype == XSD.decimal:
        o = Literal(format(Decimal(str(o)).normalize(), "f"), datatype=XSD.decimal)
    return s, p, o


def test_both_stores_hold_the_same_curated_graph():
    from rdflib import Graph
    from rdflib.compare import isomorphic

    a, b = Graph(), Graph()
    for triple in load(imports=False, store="oxigraph").triples((None, None, None)):
        a.add(plain(triple))
    for triple in load(imports=False, store="memory").triples((None, None, None)):
        b.add(plain(triple))
    assert len(a) > 5000 and isomorphic(a, b)


def test_user_data_lands_in_its_own_named_graph(tmp_path):
    path = tmp_path / "mine.ttl"
    path.write_text(GOOD, encoding="utf-8")
    ds = load(path, imports=False)
    assert (URIRef("urn:firm:1"), RDF.type, ECG.Firm) in ds.graph(URIRef(path.resolve().as_uri()))
    assert (URIRef("urn:firm:1"), RDF.type, ECG.Firm) not in ds.graph(GRAPH.curated)
    assert resolve(ds, "good firm", "party") == URIRef("urn:firm:1")


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_malformed_turtle_names_the_file_and_line_and_loads_nothing(tmp_path, store):
    good, broken = tmp_path / "a_good.ttl", tmp_path / "b_broken.ttl"
    good.write_text(GOOD, encoding="utf-8")
    broken.write_text(BROKEN, encoding="utf-8")
    with pytest.raises(ParseError) as err:
        load(good, broken, imports=False, store=store)
    message = str(err.value)
    assert message.startswith(f"{broken}:3") and "\n" not in message


def test_a_missing_file_and_an_unknown_suffix_are_errors(tmp_path):
    with pytest.raises(EcgraphError, match="no such file"):
        load(tmp_path / "nope.ttl", imports=False)
    odd = tmp_path / "data.xyz"
    odd.write_text("x", encoding="utf-8")
    with pytest.raises(EcgraphError, match="unknown RDF file type"):
        load(odd, imports=False)


def test_an_unknown_store_is_an_error():
    with pytest.raises(EcgraphError, match="unknown store"):
        load(imports=False, store="postgres")


def test_names_resolve_by_label_alternative_label_iso_code_and_iri(curated):
    huawei = URIRef(ID["firm/huawei"])
    assert resolve(curated, "Huawei Technologies Co., Ltd.") == huawei
    assert resolve(curated, "huawei", "party") == huawei
    assert resolve(curated, "MO", "country") == URIRef(ID["country/MO"])
    assert resolve(curated, "MAC", "country") == URIRef(ID["country/MO"])
    assert resolve(curated, str(huawei)) == huawei


def test_an_unknown_name_never_matches_something_else(curated):
    with pytest.raises(UnknownNameError) as err:
        resolve(curated, "Huawei Cloud", "party")
    assert "huawei" in " ".join(err.value.suggestions).casefold()  # suggestions are labels as spelled
    with pytest.raises(UnknownNameError):
        resolve(curated, "https://w3id.org/ecgraph/id/firm/not-there")


def test_hostile_strings_are_just_names(curated):
    with pytest.raises(UnknownNameError) as err:
        resolve(curated, "'; DROP GRAPH <x> ; <script>alert(1)</script>", "chip")
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- a large file: lenient load, strict parse beside it

LARGE = """<urn:firm:1> <http://www.w3.org/2000/01/rdf-schema#label> "Firm one"@en .
<urn:firm:1> <https://w3id.org/ecgraph/ontology#note> "a \\"quoted\\" note\\n" .
_:b1 <https://w3id.org/ecgraph/ontology#ownedBy> <urn:firm:1> .
<urn:firm:2> <https://w3id.org/ecgraph/ontology#share> "12.50"^^<http://www.w3.org/2001/XMLSchema#decimal> .
"""
# what a lenient parse lets through (in Turtle an IRI without a scheme is relative to the file, so valid)
BAD_IRIS = [(".nt", "<urn:firm 3>"), (".nt", "<urn:{firm}>"), (".nt", "<firm-without-scheme>"),
            (".ttl", "<urn:firm 3>"), (".ttl", "<urn:{firm}>")]


@pytest.fixture
def large_from_zero(monkeypatch):
    """Every file counts as large, and the machine as having two cores."""
    from graph.store import load as loading

    monkeypatch.setattr(loading, "STRICT_BESIDE_BYTES", 0)
    monkeypatch.setattr(loading, "_cores", lambda: 2)


def test_a_large_file_loaded_beside_a_strict_parse_holds_what_a_strict_load_holds(tmp_path, large_from_zero,
                                                                                    monkeypatch):
    from graph.store import load as loading

    path = tmp_path / "large.nt"
    path.write_text(LARGE, encoding="utf-8")
    beside = load(path, curated=False, imports=False)
    monkeypatch.setattr(loading, "STRICT_BESIDE_BYTES", 1 << 40)
    strict = load(path, curated=False, imports=False)
    from rdflib import Graph
    from rdflib.compare import isomorphic

    a, b = Graph(), Graph()
    for target, ds in ((a, beside), (b, strict)):
        for triple in ds.triples((None, None, None)):
            target.add(plain(triple))
    assert len(a) == 4 and isomorphic(a, b)  # the same triples, the blank node aside (named afresh by each load)


@pytest.mark.parametrize("suffix,iri", BAD_IRIS)
def test_an_iri_a_lenient_load_accepts_is_refused_with_the_line_and_column_of_a_strict_load(
        tmp_path, large_from_zero, monkeypatch, iri, suffix):
    from graph.store import load as loading

    path = tmp_path / f"large{suffix}"
    path.write_text(LARGE + f"{iri} <urn:p> <urn:o> .\n", encoding="utf-8")
    with pytest.raises(ParseError) as beside:
        load(path, curated=False, imports=False)
    monkeypatch.setattr(loading, "STRICT_BESIDE_BYTES", 1 << 40)
    with pytest.raises(ParseError) as strict:
        load(path, curated=False, imports=False)
    assert str(beside.value) == str(strict.value) and str(beside.value).startswith(f"{path}:5:")


def test_when_the_checking_process_cannot_answer_the_file_is_parsed_strictly_in_process(tmp_path, large_from_zero,
                                                                                         monkeypatch):
    from graph.store import load as loading

    monkeypatch.setattr(loading, "_STRICT_PARSE", "import sys; sys.exit(3)")
    path = tmp_path / "large.nt"
    path.write_text(LARGE + "<urn:firm 3> <urn:p> <urn:o> .\n", encoding="utf-8")
    with pytest.raises(ParseError, match=rf"^{path}:5:"):
        load(path, curated=False, imports=False)
    path.write_text(LARGE, encoding="utf-8")
    assert len(load(path, curated=False, imports=False)) == 4


QUADS = {
    ".nq": '<urn:firm:1> <urn:p> "in the default graph" .\n<urn:firm:2> <urn:p> "in a named graph" <urn:graph:g> .\n',
    ".trig": '<urn:firm:1> <urn:p> "in the default graph" .\n<urn:graph:g> { <urn:firm:2> <urn:p> <rel> . }\n',
    ".ttl": '<urn:firm:1> <urn:p> <relative/iri> .\n',
}


def quads(ds) -> set:
    return {(s, p, o, getattr(g, "identifier", g)) for s, p, o, g in ds.quads((None, None, None, None))}


@pytest.mark.parametrize("suffix", sorted(QUADS))
def test_a_large_file_lands_in_the_same_graphs_with_the_same_iris_through_a_symlinked_folder(
        tmp_path, large_from_zero, monkeypatch, suffix):
    from graph.store import load as loading

    real = tmp_path / "real"
    real.mkdir()
    (real / f"large{suffix}").write_text(QUADS[suffix], encoding="utf-8")
    (tmp_path / "link").symlink_to(real)
    path = tmp_path / "link" / f"large{suffix}"  # relative IRIs resolve against the path as given
    beside = load(path, curated=False, imports=False)
    monkeypatch.setattr(loading, "STRICT_BESIDE_BYTES", 1 << 40)
    strict = load(path, curated=False, imports=False)
    assert quads(beside) == quads(strict) and len(quads(strict)) == QUADS[suffix].count("\n")
    assert beside.ecgraph_user_graphs == strict.ecgraph_user_graphs


def test_without_a_second_process_the_large_file_is_parsed_strictly_in_process(tmp_path, large_from_zero,
                                                                               monkeypatch):
    import subprocess

    def no_process(*args, **kwargs):
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    path = tmp_path / "large.nt"
    path.write_text(LARGE, encoding="utf-8")
    assert len(load(path, curated=False, imports=False)) == 4
    path.write_text(LARGE + "<urn:firm 3> <urn:p> <urn:o> .\n", encoding="utf-8")
    with pytest.raises(ParseError, match=rf"^{path}:5:"):
        load(path, curated=False, imports=False)
