"""Inferred facts are written to their own named graph, where SPARQL finds them."""

import datetime as dt

from rdflib import URIRef

from graph.reasoning.infer import add_inferences
from graph.store.load import load, ontology_dir
from graph.namespace import ECG, GRAPH, ID


def test_inferences_land_in_the_inferred_graph_and_answer_sparql(tmp_path):
    usage = tmp_path / "usage.ttl"
    usage.write_text("""@prefix ecg: <https://w3id.org/ecgraph/ontology#> . @base <https://w3id.org/ecgraph/id/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <urn:usage:1> a ecg:ChipUsage ; ecg:chip <chip/nvidia-h100-sxm> ; ecg:usedBy <firm/example-affiliate> ;
            ecg:usedIn <country/CN> ; ecg:asOf "2025-10-15"^^xsd:date .""", encoding="utf-8")
    ds = load(ontology_dir() / "examples" / "scenario_firms.ttl", usage, imports=False)
    add_inferences(ds, dt.date(2025, 10, 15))
    inferred = ds.graph(GRAPH.inferred)
    assert (URIRef(ID["chip/nvidia-b200"]), ECG.derivedClassification, URIRef(ID["eccn/3A090.a"])) in inferred
    assert (URIRef(ID["country/HK"]), ECG.inGroupOn, URIRef(ID["group/D5"])) in inferred
    assert (URIRef(ID["country/MO"]), ECG.inGroupOn, URIRef(ID["group/D5"])) not in inferred
    shares = {str(s): float(o) for s, o in inferred.subject_objects(ECG.listedOwnersShare)}
    assert shares[str(ID["firm/example-affiliate"])] == 60.0
    rows = ds.query("""SELECT ?label WHERE { ?e a ecg:Exposure ; ecg:fromUsage <urn:usage:1> ;
                                                 ecg:restriction ?r . ?r rdfs:label ?label }""")
    labels = {str(r[0]) for r in rows}
    assert any(label.startswith("Entity List") for label in labels)
