"""Effective ownership on small hand-built graphs, and its properties.

    A --30%--> T <--30%-- B            two listed owners in aggregate: 60%
    L --80%--> X --80%--> Y --80%--> T   a three-hop chain: 51.2%
    P --60%--> Q --60%--> P            a cycle
"""

import datetime as dt

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.reasoning.ownership import OWNERSHIP, effective_ownership, ultimate_parents


def owned(*edges, **dates):
    G = nx.MultiDiGraph()
    for i, (owner, target, pct, *period) in enumerate(edges):
        data = {"predicate": OWNERSHIP, "percentage": pct, "fact": f"o{i}"}
        if period:
            data["validFrom"], data["validUntil"] = period
        G.add_edge(owner, target, key=f"o{i}", **data)
    return G


def test_two_listed_owners_of_30_percent_add_up_to_60():
    total, chains = effective_ownership(owned(("A", "T", 30.0), ("B", "T", 30.0)), "T", {"A", "B"})
    assert total == 60.0 and {c.owner for c in chains} == {"A", "B"}


def test_a_three_hop_chain_multiplies():
    G = owned(("L", "X", 80.0), ("X", "Y", 80.0), ("Y", "T", 80.0))
    total, [chain] = effective_ownership(G, "T", {"L"})
    assert round(total, 6) == 51.2 and chain.parties == ("L", "X", "Y", "T")


def test_a_cycle_ends():
    G = owned(("P", "Q", 60.0), ("Q", "P", 60.0), ("P", "T", 60.0))
    total, _ = effective_ownership(G, "T", {"Q"})
    assert round(total, 6) == 36.0


def test_an_expired_stake_does_not_count():
    G = owned(("A", "T", 60.0, dt.date(2020, 1, 1), dt.date(2024, 12, 31)))
    assert effective_ownership(G, "T", {"A"}, day=dt.date(2025, 6, 1))[0] == 0.0
    assert effective_ownership(G, "T", {"A"}, day=dt.date(2024, 6, 1))[0] == 60.0


def test_a_chain_stops_at_the_first_listed_owner():
    G = owned(("TOP", "A", 100.0), ("A", "T", 50.0))
    total, [chain] = effective_ownership(G, "T", {"TOP", "A"})
    assert total == 50.0 and chain.owner == "A"


def test_ultimate_parents_follow_majority_stakes():
    G = owned(("C", "B", 51.0), ("B", "A", 90.0), ("D", "A", 10.0))
    assert [c.owner for c in ultimate_parents(G, "A")] == ["B", "C"]


parties = st.sampled_from(list("ABCDEFGT"))
stakes = st.lists(st.tuples(parties, parties, st.floats(min_value=0, max_value=100)), max_size=14)


@settings(max_examples=200, deadline=None)
@given(stakes, st.sets(parties, min_size=1), st.randoms())
def test_effective_ownership_never_exceeds_100_and_ignores_edge_order(edges, listed, rnd):
    edges = [(a, b, p) for a, b, p in edges if a != b]
    total, _ = effective_ownership(owned(*edges), "T", listed)
    assert 0.0 <= total <= 100.0
    shuffled = list(edges)
    rnd.shuffle(shuffled)
    again, _ = effective_ownership(owned(*shuffled), "T", listed)
    assert abs(total - again) < 1e-6


# --------------------------------------------------------------------------- shares as intervals (issue 10)

from graph.reasoning.ownership import share_interval  # noqa: E402

CONSOLIDATION = "https://w3id.org/ecgraph/id/ownership-basis/accounting-consolidation"


def stakes(*edges):
    """Edges as (owner, owned, attributes): a stake may have no percentage, a range, a basis."""
    G = nx.MultiDiGraph()
    for i, (owner, target, attrs) in enumerate(edges):
        G.add_edge(owner, target, key=f"s{i}", predicate=OWNERSHIP, fact=f"s{i}", **attrs)
    return G


def test_a_stake_without_a_percentage_is_anything_from_0_to_100():
    share = share_interval(stakes(("L", "T", {})), "T", {"L"})
    assert (share.low, share.high, share.control) == (0.0, 100.0, False)


def test_a_range_multiplies_down_a_chain_at_both_ends():
    G = stakes(("L", "X", {"percentageMin": 40.0, "percentageMax": 60.0}), ("X", "T", {"percentage": 50.0}))
    share = share_interval(G, "T", {"L"})
    assert (round(share.low, 6), round(share.high, 6)) == (20.0, 30.0)


def test_consolidation_is_control_not_a_made_up_percentage():
    share = share_interval(stakes(("L", "T", {"ownershipBasis": CONSOLIDATION})), "T", {"L"},
                           control_bases={CONSOLIDATION})
    assert share.control and share.low == 0.0


def test_a_stated_indirect_interest_stands_for_the_owner_s_whole_share():
    G = stakes(("L", "X", {"percentage": 100.0}), ("X", "T", {"percentage": 60.0}),
               ("L", "T", {"percentage": 60.0, "directInterest": False}))
    share = share_interval(G, "T", {"L"})
    assert (share.low, share.high) == (60.0, 60.0)  # not 120, capped or otherwise


def test_exact_stakes_give_the_same_share_as_effective_ownership():
    G = owned(("A", "T", 30.0), ("B", "T", 30.0))
    assert share_interval(G, "T", {"A", "B"}).low == effective_ownership(G, "T", {"A", "B"})[0] == 60.0
