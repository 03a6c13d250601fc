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
