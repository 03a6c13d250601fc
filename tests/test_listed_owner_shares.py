"""The whole-graph share of listed owners (one pass) equals the share found for each party from its owners up.

    L1 --60%--> A --100%--> B            L1, L2 listed; A <-> C a cross-holding (a cycle)
    L2 --30%--> B      A --50%--> C --10%--> A
"""

import datetime as dt

import networkx as nx
import pytest

from graph.surfaces.bench import generate
from graph.reasoning.exposure import traversal_graph
from graph.store.load import load
from graph.namespace import ECG
from graph.reasoning.ownership import OWNERSHIP, affiliations, listed_owner_shares


def _stakes(*edges):
    G = nx.MultiDiGraph()
    for i, (u, v, pct) in enumerate(edges):
        G.add_edge(u, v, key=f"o{i}", predicate=OWNERSHIP, percentage=pct)
    return G


def _one_by_one(G, owners, day=None):
    out = {}
    for node in G:
        found = affiliations(G, owners, target=node, day=day).get(node)
        if found is not None and found.low > 0:
            out[node] = found.low
    return out


def test_a_cross_holding_below_a_listed_party_counts_in_full():
    G = _stakes(("L1", "A", 60.0), ("A", "B", 100.0), ("L2", "B", 30.0), ("A", "C", 50.0), ("C", "A", 10.0))
    shares = listed_owner_shares(G, {"L1", "L2"})
    assert shares == _one_by_one(G, {"L1", "L2"})
    assert shares == {"A": 70.0, "B": 100.0, "C": 50.0}  # A: 60% of L1 and 10% of C, itself treated as listed


def test_a_long_chain_of_majority_stakes_is_followed_to_its_end():
    G = _stakes(*[(f"n{i}", f"n{i + 1}", 100.0) for i in range(15)])
    shares = listed_owner_shares(G, {"n0"})
    assert shares == _one_by_one(G, {"n0"}) and "n15" in shares


@pytest.mark.parametrize("day", [None, dt.date(2021, 6, 1)])
def test_the_synthetic_registry_gives_the_same_shares_both_ways(tmp_path, day):
    path = generate(tmp_path / "g.nt", 30_000).path
    G = traversal_graph(load(path, imports=False))
    listed = {u for u, v, d in G.edges(data=True) if d.get("predicate") == str(ECG.Listing)}
    fast = listed_owner_shares(G, listed, day=day)
    assert len(fast) > 20
    assert fast == pytest.approx(_one_by_one(G, listed, day=day))
