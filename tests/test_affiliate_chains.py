"""Affiliates through chains of stakes, counted as OFAC's 50 Percent Rule counts (the Affiliates Rule follows it),
and ultimate parents whose facts are missing.

    SMIC --60%--> Example Chain Mid (MY) --60%--> Example Chain Leaf (MY)      Leaf is treated as listed: Mid is
    SMIC --40%--> Example Minority Mid (MY) --100%--> Example Minority Leaf    neither is
    SMIC --25%--> Example Aggregate (MY) <--25%-- Example Half Owned (MY) <--50%-- SMIC     50% in the aggregate
    SMIC --?--> Example Unknown Mid (MY) --100%--> Example Unknown Leaf        possible, naming SMIC's stake
    Example No HQ Parent (no headquarters) --100%--> Example No HQ Sub (SG)    the parent's headquarters is missing
    Example CN Top (CN) --?--> Example NL Hold (NL) --100%--> Example SG Deep   a possible ultimate parent two up
"""

import pytest

from graph.reasoning.exposure import exposures, verdict
from graph.reasoning.usage import usage_from_names
from graph.store.load import load

FIXTURE = """
@prefix ecg: <https://w3id.org/ecgraph/ontology#> . @base <https://w3id.org/ecgraph/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix dcterms: <http://purl.org/dc/terms/> .
<source/chain-fixture> a ecg:SourceDocument ; rdfs:label "hypothetical ownership chains" .
"""


def firm(key, label, country=None):
    hq = f" ecg:headquarteredIn <country/{country}> ;" if country else ""
    return f'<firm/{key}> a ecg:Firm ; rdfs:label "{label}" ;{hq} dcterms:source <source/chain-fixture> .\n'


def stake(key, owner, owned, pct=None):
    size = f" ecg:percentage {pct} ;" if pct is not None else ""
    return (f"<ownership/{key}> a ecg:Ownership ; ecg:owner <{owner}> ; ecg:owned <{owned}> ;{size}"
            " dcterms:source <source/chain-fixture> .\n")


SMIC = "firm/smic"
PARTIES = (
    firm("ex-chain-mid", "Example Chain Mid", "MY") + firm("ex-chain-leaf", "Example Chain Leaf", "MY")
    + stake("c1", SMIC, "firm/ex-chain-mid", "60.0") + stake("c2", "firm/ex-chain-mid", "firm/ex-chain-leaf", "60.0")
    + firm("ex-min-mid", "Example Minority Mid", "MY") + firm("ex-min-leaf", "Example Minority Leaf", "MY")
    + stake("m1", SMIC, "firm/ex-min-mid", "40.0") + stake("m2", "firm/ex-min-mid", "firm/ex-min-leaf", "100.0")
    + firm("ex-agg", "Example Aggregate", "MY") + firm("ex-half", "Example Half Owned", "MY")
    + stake("a1", SMIC, "firm/ex-agg", "25.0") + stake("a2", SMIC, "firm/ex-half", "50.0")
    + stake("a3", "firm/ex-half", "firm/ex-agg", "25.0")
    + firm("ex-unk-mid", "Example Unknown Mid", "MY") + firm("ex-unk-leaf", "Example Unknown Leaf", "MY")
    + stake("u1", SMIC, "firm/ex-unk-mid") + stake("u2", "firm/ex-unk-mid", "firm/ex-unk-leaf", "100.0")
    + firm("ex-nohq-parent", "Example No HQ Parent") + firm("ex-nohq-sub", "Example No HQ Sub", "SG")
    + stake("h1", "firm/ex-nohq-parent", "firm/ex-nohq-sub", "100.0")
    + firm("ex-cn-top", "Example CN Top", "CN") + firm("ex-nl-hold", "Example NL Hold", "NL")
    + firm("ex-sg-deep", "Example SG Deep", "SG")
    + stake("d1", "firm/ex-cn-top", "firm/ex-nl-hold") + stake("d2", "firm/ex-nl-hold", "firm/ex-sg-deep", "100.0")
)


@pytest.fixture(scope="module")
def g(tmp_path_factory):
    path = tmp_path_factory.mktemp("chains") / "chains.ttl"
    path.write_text(FIXTURE + PARTIES, encoding="utf-8")
    return load(path, imports=False, store="memory")


def ask(g, user, day, **more):
    return exposures(g, usage_from_names(g, chip="H100", user=user, supplier_country="US", as_of=day, **more))


def entity_list(answer):
    return [e for e in answer.exposures if e.restriction.endswith("/entity-list-supply")]


def test_a_majority_owned_affiliate_passes_the_listing_down_to_its_own_majority_owned_firm(g):
    """In force (2025-10-15): the supplier needs an Entity List licence for Leaf, and the path shows both stakes
    and SMIC's listing; suspended (2025-12-01): none; reimposed (2026-11-15): again."""
    [hit] = entity_list(ask(g, "Example Chain Leaf", "2025-10-15"))
    assert hit.severity_label == "licence required"
    assert "Example Chain Mid (60%, itself treated as listed)" in hit.explanation
    facts = {s.s.rsplit("/", 1)[-1] for s in hit.path}
    assert {"c1", "c2"} <= facts and any("listing/" in s.s for s in hit.path)
    assert all(e.severity_label == "informational" for e in entity_list(ask(g, "Example Chain Leaf", "2025-12-01")))
    [again] = entity_list(ask(g, "Example Chain Leaf", "2026-11-15"))
    assert again.severity_label == "licence required"


def test_a_minority_owned_firm_passes_nothing_down(g):
    assert entity_list(ask(g, "Example Minority Leaf", "2025-10-15")) == []
    assert entity_list(ask(g, "Example Minority Mid", "2025-10-15")) == []


def test_a_listed_party_s_stake_and_its_affiliate_s_stake_add_up(g):
    [hit] = entity_list(ask(g, "Example Aggregate", "2025-10-15"))
    assert "owned 50% in aggregate" in hit.explanation


def test_an_unknown_stake_upstream_is_named_as_the_missing_fact(g):
    v = verdict(ask(g, "Example Unknown Leaf", "2025-10-15"))
    assert v.startswith("undetermined:")
    assert "possible affiliate: share of Semiconductor Manufacturing International Corporation in Example Unknown Mid unknown" in v


def test_a_majority_parent_of_unknown_headquarters_leaves_the_headquarters_rule_open(g):
    v = verdict(ask(g, "Example No HQ Sub", "2026-06-01", where="SG"))
    assert v == "undetermined: headquarters of Example No HQ Parent (majority owner of Example No HQ Sub)"


def test_an_unknown_stake_above_the_first_owner_makes_a_possible_ultimate_parent(g):
    v = verdict(ask(g, "Example SG Deep", "2026-06-01", where="SG"))
    assert v.startswith("undetermined: possible ultimate parent: share of Example CN Top (China) in Example NL Hold"
                        " (majority owner of Example SG Deep) unknown")



@pytest.mark.parametrize("user", ["Example Chain Leaf", "Example Minority Leaf", "Example Aggregate",
                                  "Example Unknown Leaf", "Example Half Owned"])
def test_a_party_worked_out_from_its_owners_up_is_answered_as_by_the_pass_over_every_party(user, tmp_path,
                                                                                           monkeypatch):
    """A party with few parties above it is worked out from them; one with more than ABOVE_LIMIT, from the pass
    down from every listed party: the same answer, the same path of facts."""
    from graph.reasoning import conditions

    path = tmp_path / "chains.ttl"
    path.write_text(FIXTURE + PARTIES, encoding="utf-8")

    def answered(limit, day):
        monkeypatch.setattr(conditions, "ABOVE_LIMIT", limit)
        answer = ask(load(path, imports=False, store="memory"), user, day)  # its own graph: nothing shared
        return verdict(answer), [(e.restriction, e.severity_label, e.explanation, e.path) for e in answer.exposures]

    for day in ("2025-10-15", "2025-12-01"):
        assert answered(0, day) == answered(10_000, day)
