"""Exports: RDF that round-trips, GraphML/GEXF that networkx reads back, CSV of listings and exposures.

The curated graph is exported on both stores; where imports matter, tests/data/csl_sample.csv
(see tests/test_csl.py) is imported first.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import networkx as nx
import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.compare import isomorphic

from graph.errors import QueryError
from graph.readwrite.export import export, listing_rows
from graph.readwrite.imports import add_import
from graph.store.load import load, new_dataset, parse_into
from graph.namespace import ECG, GRAPH, ID
from graph.reasoning.network import to_networkx

DATA = Path(__file__).parent / "data"
JUNE = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.timezone.utc)
OPTICS_ROW = ID["csl/a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9"]


def union(ds) -> Graph:
    out = Graph()
    for triple in ds.triples((None, None, None)):
        out.add(triple)
    return out


def read_back(path: Path, store: str):
    ds = new_dataset(store)
    parse_into(ds, path)
    return ds


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def imported(curated):
    add_import(DATA / "csl_sample.csv", curated, started=JUNE)
    return load()


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld", "trig", "nq"])
def test_rdf_exports_round_trip(g, fmt, tmp_path):
    out = tmp_path / f"all.{fmt}"
    written = export(g, fmt, out)
    back = read_back(out, g.ecgraph_store)
    assert written.count == len(union(g))
    assert isomorphic(union(back), union(g))


RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "trig": "trig", "nq": "nquads"}


def rdf11(graph) -> Graph:
    """The triples with literals written as RDF 1.1 compares them: a simple literal is its ``xsd:string``,
    and a decimal is its value (``100.0`` = ``100.00``)."""
    from decimal import Decimal

    from rdflib import XSD, Literal

    def term(t):
        if not isinstance(t, Literal):
            return t
        if t.datatype == XSD.string:
            return Literal(str(t))
        if t.datatype == XSD.decimal:
            value = Decimal(str(t)).normalize()
            return Literal(f"{value:f}", datatype=XSD.decimal, normalize=False)
        return t

    out = Graph()
    for s, p, o in graph.triples((None, None, None)):
        out.add((term(s), p, term(o)))
    return out


@pytest.mark.parametrize("fmt", ["ttl", "nt", "jsonld", "trig", "nq"])
def test_rdf_exports_read_back_by_plain_rdflib_hold_the_same_triples(g, fmt, tmp_path):
    from rdflib import Dataset

    out = tmp_path / f"all.{fmt}"
    export(g, fmt, out)
    # rdflib's own store, whatever store wrote it; a dataset is read as the union of its graphs
    plain = Dataset(default_union=True) if fmt in ("trig", "nq") else Graph()
    plain.parse(out, format=RDFLIB_FORMATS[fmt])
    assert isomorphic(rdf11(plain), rdf11(g))


def test_trig_and_nquads_keep_each_import_in_its_own_graph(imported, tmp_path):
    for fmt in ("trig", "nq"):
        out = tmp_path / f"all.{fmt}"
        export(imported, fmt, out)
        back = read_back(out, "oxigraph")
        names = {str(c.identifier) for c in back.graphs()}
        assert str(GRAPH.curated) in names
        assert any(n.startswith(str(GRAPH["import/"])) for n in names)
        assert isomorphic(union(back), union(imported))


@pytest.mark.parametrize("fmt, read", [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)])
def test_graph_tool_exports_read_back_with_networkx(curated, fmt, read, tmp_path):
    out = tmp_path / f"all.{fmt}"
    export(curated, fmt, out)
    G = to_networkx(curated)
    H = read(out, force_multigraph=True) if fmt == "graphml" else read(out)
    assert (H.number_of_nodes(), H.number_of_edges()) == (G.number_of_nodes(), G.number_of_edges())
    listing = next(d for _, _, d in H.edges(data=True) if d.get("predicate") == str(ECG.Listing))
    assert isinstance(listing["validFrom"], str) and listing["validFrom"][:2] in ("19", "20")


def test_listing_csv_has_one_row_per_listing_with_its_facts(imported, tmp_path):
    out = tmp_path / "listings.csv"
    written = export(imported, "csv", out)
    rows = read_csv(out)
    assert written.count == len(rows) == len(set(imported.subjects(RDF.type, ECG.Listing)))
    by_party = {r["party_label"]: r for r in rows if r["party"].startswith(str(ID["csl/"]))}
    freight = by_party["Example Freight Forwarding LLC"]
    assert (freight["list_label"], freight["valid_from"], freight["valid_until"], freight["citation"]) == (
        "Denied Persons List", "2017-10-18", "2020-10-15", "82 FR 48792")
    huawei = by_party["Huawei Technologies Co., Ltd."]
    assert huawei["citation"] == "84 FR 22961; 85 FR 29849"
    assert huawei["policy"] == "presumption of denial"
    assert str(ID["rule/84-FR-22961"]) in huawei["sources"].split("; ")
    assert by_party["Example Precision Optics Co., Ltd."]["policy"].startswith("Case-by-case review for items")


def test_curated_footnotes_reach_the_listing_csv(curated):
    footnoted = [r for r in listing_rows(curated) if r["footnote"]]
    assert footnoted and all(r["footnote"] in ("1", "4", "5") for r in footnoted)


def test_a_subgraph_holds_the_neighbourhood_to_the_given_depth(curated, tmp_path):
    huawei, cn = ID["firm/huawei"], ID["country/CN"]
    export(curated, "ttl", tmp_path / "d0.ttl", subgraph="Huawei", depth=0)
    export(curated, "ttl", tmp_path / "d1.ttl", subgraph="Huawei", depth=1)
    d0, d1 = (union(read_back(tmp_path / f"d{n}.ttl", "oxigraph")) for n in (0, 1))
    assert (huawei, ECG.headquarteredIn, cn) in d0
    assert (cn, None, None) not in d0
    assert (cn, ECG.isoAlpha2, None) in d1
    assert (None, ECG.listedParty, huawei) in d1  # the listing facts between Huawei and its lists
    assert len(d0) < len(d1) < len(union(curated))


def test_a_subgraph_exports_to_graph_tools_too(curated, tmp_path):
    export(curated, "graphml", tmp_path / "hw.graphml", subgraph="Huawei", depth=1)
    H = nx.read_graphml(tmp_path / "hw.graphml", force_multigraph=True)
    assert str(ID["firm/huawei"]) in H and str(ID["list/entity-list"]) in H
    assert H.number_of_nodes() < to_networkx(curated).number_of_nodes()


def test_a_construct_query_selects_what_is_exported(curated, tmp_path):
    text = "CONSTRUCT { ?f rdfs:label ?name } WHERE { ?f a ecg:Firm ; rdfs:label ?name }"
    export(curated, "nt", tmp_path / "firms.nt", query=text)
    back = union(read_back(tmp_path / "firms.nt", "oxigraph"))
    assert isomorphic(back, union(curated.query(text).graph))
    assert set(back.predicates()) == {URIRef("http://www.w3.org/2000/01/rdf-schema#label")}


def test_a_select_query_is_refused(curated, tmp_path):
    with pytest.raises(QueryError, match="CONSTRUCT or DESCRIBE"):
        export(curated, "ttl", tmp_path / "x.ttl", query="SELECT * WHERE { ?s ?p ?o }")


def test_exposure_csv_reports_an_imported_entity_list_party(imported, tmp_path, capsys):
    from graph.surfaces.cli import main

    usage = tmp_path / "usage.json"
    usage.write_text(json.dumps({"chip": "H100", "user": str(OPTICS_ROW), "as_of": "2025-06-01"}), encoding="utf-8")
    out = tmp_path / "exposures.csv"
    assert main(["export", "-o", str(out), "--table", "exposures", "--usage", str(usage)]) == 0
    assert "rows to" in capsys.readouterr().out
    rows = read_csv(out)
    mine = [r for r in rows if r["party"] == str(OPTICS_ROW)]
    assert mine and mine[0]["party_label"] == "Example Precision Optics Co., Ltd."
    # the listed party itself is context; the licence falls on whoever supplies it (issue 10)
    assert {r["severity"] for r in mine} == {"context"}
    assert any(r["severity"] == "licence required" and r["role"] == "supplier" for r in rows)


def test_export_command_takes_the_format_from_the_suffix(tmp_path, capsys):
    from graph.surfaces.cli import main

    assert main(["export", "-o", str(tmp_path / "all.gexf")]) == 0
    assert "(gexf)" in capsys.readouterr().out
    assert main(["export", "-o", str(tmp_path / "all.xyz")]) == 2
    assert "give --format" in capsys.readouterr().err
