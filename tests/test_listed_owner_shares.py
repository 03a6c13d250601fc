"""The whole-graph share of listed owners equals the per-party walk, cycles and 12-hop limit included.

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
from graph.reasoning.ownership import OWNERSHIP, effective_ownership, listed_owner_shares


def _stakes(*edges):
    G = nx.MultiDiGraph()
    for i, (u, v, pct) in enumerate(edges):
        G.add_edge(u, v, key=f"o{i}", predicate=OWNERSHIP, percentage=pct)
    return G


def _walks(G, owners, day=None):
    out = {}
    for node in G:
        share, _ = effective_ownership(G, node, set(owners) - {node}, day=day)
        if share > 0:
            out[node] = share
    return out


def test_a_cycle_is_cut_as_the_walk_cuts_it():
    G = _stakes(("L1", "A", 60.0), ("A", "B", 100.0), ("L2", "B", 30.0), ("A", "C", 50.0), ("C", "A", 10.0))
    assert listed_owner_shares(G, {"L1", "L2"}) == _walks(G, {"L1", "L2"})
    assert listed_owner_shares(G, {"L1", "L2"})["B"] == pytest.approx(90.0)


def test_chains_longer_than_the_walk_reaches_do_not_count():
    G = _stakes(*[(f"n{i}", f"n{i + 1}", 100.0) for i in range(15)])
    shares = listed_owner_shares(G, {"n0"})
    assert shares == _walks(G, {"n0"}) and "n12" in shares and "n13" not in shares


@pytest.mark.parametrize("day", [None, dt.date(2021, 6, 1)])
def test_the_synthetic_registry_gives_the_same_shares_both_ways(tmp_path, day):
    path = generate(tmp_path / "g.nt", 30_000).path
    G = traversal_graph(load(path, imports=False))
    listed = {u for u, v, d in G.edges(data=True) if d.get("predicate") == str(ECG.Listing)}
    fast = listed_owner_shares(G, listed, day=day)
    assert len(fast) > 20
    assert fast == pytest.approx(_walks(G, listed, day=day))
