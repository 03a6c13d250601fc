"""The 50% test on small hand-built graphs, counted as OFAC's 50 Percent Rule counts, and its properties.

    L --60%--> M --60%--> T        M is treated as listed, so T is too (60% held by M): not 36%
    L --40%--> X --100%--> Y       X is not, so Y is not (a stake of a party not treated as listed counts for nothing)
    P --60%--> Q --60%--> P        a cycle with nothing listed above it stays unlisted
"""

import datetime as dt

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from graph.reasoning.ownership import OWNERSHIP, affiliations, listed_owner_shares, ultimate_parents

CONSOLIDATION = "https://w3id.org/ecgraph/id/ownership-basis/accounting-consolidation"


def stakes(*edges):
    """Edges as (owner, owned, percentage or attributes[, validFrom, validUntil])."""
    G = nx.MultiDiGraph()
    for i, (owner, target, size, *period) in enumerate(edges):
        data = {"percentage": size} if isinstance(size, float) else dict(size)
        if period:
            data["validFrom"], data["validUntil"] = period
        G.add_edge(owner, target, key=f"s{i}", predicate=OWNERSHIP, fact=f"s{i}", **data)
    return G


def of(G, party, listed, **kw):
    return affiliations(G, listed, target=party, **kw).get(party)


def test_two_listed_owners_of_30_percent_add_up_to_60():
    a = of(stakes(("A", "T", 30.0), ("B", "T", 30.0)), "T", {"A", "B"})
    assert a.low == a.high == 60.0 and a.treated_as_listed() and {h.owner for h in a.held} == {"A", "B"}


def test_a_majority_owned_affiliate_passes_the_listing_down_in_full():
    G = stakes(("L", "M", 60.0), ("M", "T", 60.0))
    a = of(G, "T", {"L"})
    assert a.low == 60.0 and a.treated_as_listed()
    assert [(h.owner, h.certain) for h in a.held] == [("M", True)]


def test_a_minority_owned_party_passes_nothing_down():
    G = stakes(("L", "X", 40.0), ("X", "Y", 100.0))
    assert not of(G, "X", {"L"}).treated_as_listed()
    assert of(G, "Y", {"L"}) is None


def test_the_stakes_of_a_listed_party_and_of_its_affiliate_add_up():
    """X listed holds 25% of A directly and 50% of B, which holds 25% of A: A is 50% owned, treated as listed."""
    G = stakes(("X", "A", 25.0), ("X", "B", 50.0), ("B", "A", 25.0))
    assert of(G, "A", {"X"}).low == 50.0 and of(G, "A", {"X"}).treated_as_listed()


def test_exactly_half_is_enough_and_just_under_is_not():
    assert of(stakes(("L", "T", 50.0)), "T", {"L"}).treated_as_listed()
    assert not of(stakes(("L", "T", 49.99)), "T", {"L"}).treated_as_listed()


def test_a_cycle_of_unlisted_parties_stays_unlisted_and_one_below_a_listed_party_does_not():
    G = stakes(("P", "Q", 60.0), ("Q", "P", 60.0))
    assert of(G, "P", {"L"}) is None
    G = stakes(("L", "P", 60.0), ("P", "Q", 60.0), ("Q", "P", 30.0))
    assert of(G, "Q", {"L"}).treated_as_listed() and of(G, "P", {"L"}).low == 90.0


def test_an_expired_stake_does_not_count():
    G = stakes(("A", "T", 60.0, dt.date(2020, 1, 1), dt.date(2024, 12, 31)))
    assert of(G, "T", {"A"}, day=dt.date(2025, 6, 1)) is None
    assert of(G, "T", {"A"}, day=dt.date(2024, 6, 1)).low == 60.0


def test_a_stake_without_a_percentage_makes_a_possible_affiliate_not_a_certain_one():
    a = of(stakes(("L", "T", {})), "T", {"L"})
    assert (a.low, a.high) == (0.0, 100.0) and a.possibly() and not a.treated_as_listed()


def test_an_unknown_stake_upstream_leaves_the_party_below_possible():
    G = stakes(("L", "M", {}), ("M", "T", 100.0))
    a = of(G, "T", {"L"})
    assert a.possibly() and not a.treated_as_listed() and [(h.owner, h.certain) for h in a.held] == [("M", False)]


def test_a_range_decides_where_it_can():
    assert of(stakes(("L", "T", {"percentageMin": 40.0, "percentageMax": 60.0})), "T", {"L"}).possibly()
    minor = of(stakes(("L", "T", {"percentageMin": 10.0, "percentageMax": 30.0})), "T", {"L"})
    assert not minor.possibly() and not minor.treated_as_listed()


def test_consolidation_is_control_not_a_made_up_percentage():
    a = of(stakes(("L", "T", {"ownershipBasis": CONSOLIDATION})), "T", {"L"}, control_bases={CONSOLIDATION})
    assert a.control and a.low == 0.0 and a.treated_as_listed()


def test_a_stated_indirect_interest_stands_for_the_owner_s_whole_share():
    G = stakes(("L", "X", 100.0), ("X", "T", 60.0), ("L", "T", {"percentage": 60.0, "directInterest": False}))
    a = of(G, "T", {"L"})
    assert (a.low, a.high) == (60.0, 60.0)  # not 120, capped or otherwise


def test_a_listed_party_below_an_owner_with_an_indirect_interest_still_counts():
    G = stakes(("L1", "T", {"percentage": 30.0, "directInterest": False}), ("L1", "L2", 10.0), ("L2", "T", 40.0))
    assert of(G, "T", {"L1", "L2"}).low == 70.0


def test_ultimate_parents_follow_majority_stakes():
    G = stakes(("C", "B", 51.0), ("B", "A", 90.0), ("D", "A", 10.0))
    assert [c.owner for c in ultimate_parents(G, "A")] == ["B", "C"]


parties = st.sampled_from(list("ABCDEFGT"))
sizes = st.one_of(st.floats(min_value=0, max_value=100), st.just({}),
                  st.tuples(st.floats(0, 50), st.floats(50, 100)).map(
                      lambda r: {"percentageMin": r[0], "percentageMax": r[1]}))
edges = st.lists(st.tuples(parties, parties, sizes), max_size=14)


@settings(max_examples=200, deadline=None)
@given(edges, st.sets(parties, min_size=1), st.randoms())
def test_one_party_found_from_its_owners_up_is_the_same_as_in_the_whole_graph(found_edges, listed, rnd):
    G = stakes(*[e for e in found_edges if e[0] != e[1]])
    whole = affiliations(G, listed)
    for party in G:
        alone = of(G, party, listed)
        assert (alone is None) == (party not in whole)
        if alone is not None:
            mine = whole[party]
            assert (alone.low, alone.high, alone.treated_as_listed(), alone.possibly()) == \
                   (mine.low, mine.high, mine.treated_as_listed(), mine.possibly())
            assert 0.0 <= alone.low <= alone.high <= 100.0
    shuffled = list(found_edges)
    rnd.shuffle(shuffled)
    again = affiliations(stakes(*[e for e in shuffled if e[0] != e[1]]), listed)
    assert {p: (a.low, a.high) for p, a in again.items()} == {p: (a.low, a.high) for p, a in whole.items()}


@settings(max_examples=100, deadline=None)
@given(edges, st.sets(parties, min_size=1), parties)
def test_listing_one_more_party_never_lowers_a_share(found_edges, listed, extra):
    G = stakes(*[e for e in found_edges if e[0] != e[1]])
    before, after = listed_owner_shares(G, listed), listed_owner_shares(G, listed | {extra})
    assert all(after.get(p, 0.0) >= share - 1e-9 for p, share in before.items() if p != extra)
