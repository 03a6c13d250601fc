"""Analyst questions beyond the shared scenarios, each answered at two dates (issue 10).

The expected answers were written from ../shared/domain/facts.md before the engine was run; each test states
the question, the answer first, then checks it. Hypothetical parties (a denied person, an unverified party,
an SDN, a military end user, a firm of unknown headquarters) live in the fixture below; the other examples
are in ontology/examples/scenario_firms.ttl.

    Example Denied Trading (DE)      on the Denied Persons List from 2024-01-01
    Example Unverified Imports (SG)  on the Unverified List 2024-01-01 .. 2025-12-31
    Example Blocked Holdings (RU)    on the SDN List from 2024-01-01
    Example Military Institute (CN)  on the MEU List from 2024-01-01
    Example Unknown HQ Trading       no headquarters, no address
"""

import pytest

from graph.reasoning.exposure import exposures, verdict
from graph.store.load import load, ontology_dir
from graph.reasoning.usage import usage_from_names

FIXTURE = """
@prefix ecg: <https://w3id.org/ecgraph/ontology#> . @base <https://w3id.org/ecgraph/id/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix dcterms: <http://purl.org/dc/terms/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<source/analyst-fixture> a ecg:SourceDocument ; rdfs:label "hypothetical parties for the analyst questions" .
<firm/ex-denied> a ecg:Firm ; rdfs:label "Example Denied Trading" ; ecg:headquarteredIn <country/DE> ;
    dcterms:source <source/analyst-fixture> .
<listing/ex-denied> a ecg:Listing ; ecg:listedParty <firm/ex-denied> ; ecg:onList <list/denied-persons-list> ;
    ecg:validFrom "2024-01-01"^^xsd:date ; dcterms:source <source/analyst-fixture> .
<firm/ex-uvl> a ecg:Firm ; rdfs:label "Example Unverified Imports" ; ecg:headquarteredIn <country/SG> ;
    dcterms:source <source/analyst-fixture> .
<listing/ex-uvl> a ecg:Listing ; ecg:listedParty <firm/ex-uvl> ; ecg:onList <list/unverified-list> ;
    ecg:validFrom "2024-01-01"^^xsd:date ; ecg:validUntil "2025-12-31"^^xsd:date ; dcterms:source <source/analyst-fixture> .
<firm/ex-sdn> a ecg:Firm ; rdfs:label "Example Blocked Holdings" ; ecg:headquarteredIn <country/RU> ;
    dcterms:source <source/analyst-fixture> .
<listing/ex-sdn> a ecg:Listing ; ecg:listedParty <firm/ex-sdn> ; ecg:onList <list/sdn> ;
    ecg:validFrom "2024-01-01"^^xsd:date ; dcterms:source <source/analyst-fixture> .
<firm/ex-meu> a ecg:Firm ; rdfs:label "Example Military Institute" ; ecg:headquarteredIn <country/CN> ;
    dcterms:source <source/analyst-fixture> .
<listing/ex-meu> a ecg:Listing ; ecg:listedParty <firm/ex-meu> ; ecg:onList <list/meu-list> ;
    ecg:validFrom "2024-01-01"^^xsd:date ; dcterms:source <source/analyst-fixture> .
<firm/ex-unknown-hq> a ecg:Firm ; rdfs:label "Example Unknown HQ Trading" ; dcterms:source <source/analyst-fixture> .
"""


@pytest.fixture(scope="module")
def g(tmp_path_factory):
    path = tmp_path_factory.mktemp("analyst") / "fixture.ttl"
    path.write_text(FIXTURE, encoding="utf-8")
    return load(ontology_dir() / "examples" / "scenario_firms.ttl", path, imports=False, store="memory")


def ask(g, **names):
    return exposures(g, usage_from_names(g, **names))


def rows(answer):
    """(severity, party label, role, restriction local name, policy) of each exposure."""
    return {(e.severity_label, e.party_label, e.role, e.restriction.rsplit("/", 1)[-1], e.policy_label)
            for e in answer.exposures}


def of(answer, name):
    return [e for e in answer.exposures if e.restriction.endswith("/" + name)]


US_EXPORTER = "unnamed supplier headquartered in United States"


# ------------------------------------------------------------------ 1. three outcomes, never a silent clear

def test_q1_chip_without_figures_or_eccn_is_undetermined_not_clear(g):
    """GB200 from NVIDIA to a Chinese firm: undetermined, naming the GB200's missing figures, on either date."""
    for day in ("2025-06-01", "2026-06-01"):
        v = verdict(ask(g, chip="GB200", user_country="CN", supplier="NVIDIA", as_of=day))
        assert v.startswith("undetermined:") and "GB200" in v and "stated ECCN" in v


def test_q2_unknown_headquarters_leaves_the_headquarters_rule_open(g):
    """H100 from the U.S. to a firm of unknown headquarters using it in Singapore: before 2023-11-17 nothing applies
    (the 2022 rule covered China and Macau only); after, the worldwide headquarters rule may apply: undetermined."""
    before = ask(g, chip="H100", user="Example Unknown HQ Trading", supplier_country="US", where="SG", as_of="2023-06-01")
    assert verdict(before) == "not exposed"
    after = ask(g, chip="H100", user="Example Unknown HQ Trading", supplier_country="US", where="SG", as_of="2024-06-01")
    assert verdict(after) == "undetermined: headquarters of Example Unknown HQ Trading"


def test_q3_a_stake_of_unknown_size_makes_a_possible_affiliate(g):
    """H100 from the U.S. to a German firm SMIC owns by an unknown share: while the Affiliates Rule is in force,
    undetermined (possible affiliate, and SMIC possibly its ultimate parent for the headquarters rule); while it is
    suspended, still undetermined, but only for the headquarters rule."""
    inforce = verdict(ask(g, chip="H100", user="Example Stake Unknown", supplier_country="US", as_of="2025-10-15"))
    assert inforce.startswith("undetermined:") and "possible affiliate: share of Semiconductor Manufacturing" in inforce
    suspended = verdict(ask(g, chip="H100", user="Example Stake Unknown", supplier_country="US", as_of="2025-12-01"))
    assert suspended.startswith("undetermined: possible ultimate parent") and "possible affiliate" not in suspended


def test_q4_a_stated_range_decides_where_it_can(g):
    """SMIC holds 40-60% of one firm and 10-30% of another: the first is a possible affiliate ("between 40% and
    60%"), the second is clear of the 50% test, both in 2025-10 and after the snap-back of 2026-11-10."""
    for day in ("2025-10-15", "2026-11-15"):
        ranged = verdict(ask(g, chip="H100", user="Example Stake Range", supplier_country="US", as_of=day))
        assert "between 40% and 60%" in ranged
        minor = ask(g, chip="H100", user="Example Stake Minor", supplier_country="US", as_of=day)
        assert verdict(minor) == "not exposed"


def test_q5_control_by_consolidation_is_its_own_fact(g):
    """Huawei consolidates a German firm (no percentage): while the Affiliates Rule is in force the U.S. supplier
    needs a licence as for a listed party (control said as such); while it is suspended the listing no longer
    reaches the firm (informational), though the headquarters rule still does through its controlling parent."""
    a = ask(g, chip="H100", user="Example Consolidated", supplier_country="US", as_of="2025-10-15")
    [e] = of(a, "entity-list-supply")
    assert (e.party_label, e.severity_label) == (US_EXPORTER, "licence required")
    assert "controlled by listed Huawei" in e.explanation and "100%" not in e.explanation
    b = ask(g, chip="H100", user="Example Consolidated", supplier_country="US", as_of="2025-12-01")
    assert not of(b, "entity-list-supply") and any(x.severity_label == "informational" for x in b.exposures)
    assert [x.severity_label for x in of(b, "hq-d5-macau-worldwide")] == ["licence required"]


# ------------------------------------------------------------------ 2. what moves, to whom

def test_q6_a_listed_designer_is_context_never_a_licence(g):
    """A German lab using Ascend 910B chips it holds: Huawei (designer, Entity List) is context; from 2025-05-13 the
    lab's own use carries the GP10 enforcement risk; before that date nothing binds anyone."""
    before = ask(g, chip="Ascend 910B", user_country="DE", act="use", as_of="2025-04-01")
    assert verdict(before) == "not exposed"
    assert ("context", "Huawei Technologies Co., Ltd.", "designer of chip", "entity-list-party",
            "presumption of denial") in rows(before)
    after = ask(g, chip="Ascend 910B", user_country="DE", act="use", as_of="2025-06-01")
    assert verdict(after) == "exposed"
    assert ("enforcement risk", "unnamed user headquartered in Germany", "user", "gp10-prc-advanced-ics", "") in rows(after)
    assert not [e for e in after.exposures if e.party_label.startswith("Huawei") and e.verdict_effect == "exposed"]


def test_q7_remote_access_is_not_an_export_of_the_chip(g):
    """A Malaysian cloud rents H100 compute to a Chinese lab for training: no item licence for the cloud on either
    date; from 2025-05-13 a red flag (training for a D:5-headquartered party); before, not exposed."""
    before = ask(g, chip="H100", user="Example Cloud Malaysia", for_country="CN", activity="training",
                 act="service", as_of="2025-04-01")
    assert verdict(before) == "not exposed"
    after = ask(g, chip="H100", user="Example Cloud Malaysia", for_country="CN", activity="training",
                act="service", as_of="2025-06-01")
    assert {r[0] for r in rows(after)} == {"red flag"}
    assert not of(after, "ac-d5-macau") and not of(after, "hq-d5-macau-worldwide")


def test_q8_remote_access_with_knowledge_of_a_military_end_use_is_entity_list_risk(g):
    """The same service with knowledge of a military-intelligence end use: Entity List risk for the provider
    (2025-06-01 and 2026-06-01), still no item licence."""
    for day in ("2025-06-01", "2026-06-01"):
        a = ask(g, chip="H100", user="Example Cloud Malaysia", for_country="CN", activity="training", act="service",
                end_uses=["military-intelligence"], as_of=day)
        assert ("enforcement risk", "Example Cloud Malaysia", "user", "training-d5-iaas-entity-list-risk", "") in rows(a)
        assert not [e for e in a.exposures if e.severity_label == "licence required"]


def test_q9_a_service_to_a_listed_party_is_for_counsel(g):
    """The Malaysian cloud serves Zhipu AI (Entity List from 2025-01-16): seek counsel (remote access is not an export;
    the catch-alls may reach it); before the listing, not exposed."""
    after = ask(g, chip="H100", user="Example Cloud Malaysia", for_="Zhipu AI", act="service", as_of="2025-06-01")
    assert verdict(after).startswith("undetermined: seek counsel")
    assert [e.severity_label for e in of(after, "entity-list-service")] == ["seek counsel"]
    before = ask(g, chip="H100", user="Example Cloud Malaysia", for_="Zhipu AI", act="service", as_of="2024-12-01")
    assert verdict(before) == "not exposed"


def test_q10_an_in_country_transfer_in_china_stays_presumption_of_denial(g):
    """A Chinese distributor transfers H200s to another Chinese firm: a transfer, licence required with a
    presumption of denial, before and after 91 FR 1684 (whose case-by-case review is for exports from the U.S.)."""
    for day in ("2025-12-01", "2026-02-01"):
        a = ask(g, chip="H200", user_country="CN", supplier_country="CN", as_of=day)
        assert [k.rsplit("/", 1)[-1] for k, _, _ in a.acts][0] == "transfer"
        [e] = of(a, "ac-d5-macau")
        assert (e.severity_label, e.policy_label, e.act_label) == ("licence required", "presumption of denial",
                                                                   "transfer (in-country)")


def test_q11_a_reexport_from_singapore_is_named_as_such(g):
    """H100s shipped from Singapore to China: a reexport; the Singapore shipper needs the licence (2024-06-01, 2026-06-01)."""
    for day in ("2024-06-01", "2026-06-01"):
        a = ask(g, chip="H100", user_country="CN", supplier_country="SG", as_of=day)
        [e] = of(a, "ac-d5-macau")
        assert e.act_label == "reexport" and e.party_label == "unnamed supplier headquartered in Singapore"
        assert e.recipient_label == "unnamed user headquartered in China"


# ------------------------------------------------------------------ 3. every instrument does what its facts say

def test_q12_h200_case_by_case_comes_with_its_certifications(g):
    """NVIDIA exports H200s from the U.S. to China: presumption of denial on 2025-12-01; on 2026-02-01 case-by-case
    review, with the exporter's certifications (U.S. supply, third-party testing) attached."""
    before = of(ask(g, chip="H200", user_country="CN", supplier="NVIDIA", as_of="2025-12-01"), "ac-d5-macau")[0]
    assert before.policy_label == "presumption of denial" and not any("certif" in n for n in before.notes)
    after = of(ask(g, chip="H200", user_country="CN", supplier="NVIDIA", as_of="2026-02-01"), "ac-d5-macau")[0]
    assert after.policy_label == "case-by-case review"
    assert any(n.startswith("certification:") and "third-party testing" in n for n in after.notes)


def test_q13_the_h20_letter_covers_chips_by_their_parameters(g):
    """NVIDIA exporting H20s to China: not exposed on 2025-03-01 (H20 is below 3A090); licence required from the
    2025-04-09 letter, which reaches it by memory and interconnect bandwidth, not only by name."""
    assert verdict(ask(g, chip="H20", user_country="CN", supplier="NVIDIA", as_of="2025-03-01")) == "not exposed"
    a = ask(g, chip="H20", user_country="CN", supplier="NVIDIA", as_of="2025-05-01")
    [e] = of(a, "h20-is-informed")
    assert e.severity_label == "licence required" and "bandwidth" in e.explanation


def test_q14_the_letter_binds_its_addressee_and_leaves_others_to_counsel(g):
    """A Singapore reseller shipping H20s to China: seek counsel (the letter was addressed to NVIDIA), on 2025-05-01
    and 2026-06-01; NVIDIA itself needs the licence."""
    for day in ("2025-05-01", "2026-06-01"):
        a = ask(g, chip="H20", user_country="CN", supplier_country="SG", as_of=day)
        assert {e.severity_label for e in of(a, "h20-is-informed")} == {"seek counsel"}
        assert "addressed to NVIDIA" in of(a, "h20-is-informed")[0].counsel


def test_q15_licences_assured_is_reported_not_official(g):
    """H20 from NVIDIA to China on 2025-08-20: still licence required, with the reported assurance (2025-07-14) and
    the 15% revenue share marked as unofficial; on 2025-06-01 neither note."""
    early = of(ask(g, chip="H20", user_country="CN", supplier="NVIDIA", as_of="2025-06-01"), "h20-is-informed")[0]
    assert not [n for n in early.notes if "unofficial" in n]
    late = of(ask(g, chip="H20", user_country="CN", supplier="NVIDIA", as_of="2025-08-20"), "h20-is-informed")[0]
    assert late.severity_label == "licence required"
    assert len([n for n in late.notes if n.startswith("reported, unofficial arrangement")]) == 2


def test_q16_mi308_by_name_from_april_2025(g):
    """AMD's MI308 (specs not public) to China: undetermined before the April 2025 letter (no figures); from it,
    licence required by name."""
    v = verdict(ask(g, chip="MI308", user_country="CN", supplier="AMD", as_of="2025-03-01"))
    assert v.startswith("undetermined:") and "MI308" in v
    a = ask(g, chip="MI308", user_country="CN", supplier="AMD", as_of="2025-05-01")
    assert verdict(a) == "exposed" and of(a, "mi308-letter")[0].party_label == "Advanced Micro Devices, Inc."


def test_q17_hbm_is_controlled_from_december_2024_with_its_exception_open(g):
    """HBM stacks from Korea to China: not exposed on 2024-11-01 (3A090.c did not exist); licence required on
    2025-03-01, with License Exception HBM open for want of the stack's bandwidth density."""
    assert verdict(ask(g, chip="HBM", user_country="CN", supplier_country="KR", as_of="2024-11-01")) == "not exposed"
    a = ask(g, chip="HBM", user_country="CN", supplier_country="KR", as_of="2025-03-01")
    [e] = of(a, "hbm-d5-macau")
    assert e.severity_label == "licence required" and "89 FR 96790" in e.citations
    assert any("License Exception HBM" in n and "unknown" in n for n in e.notes)


def test_q18_nac_relieves_a_3a090b_item(g):
    """AMD exporting MI210s (3A090.b) to China: not exposed on 2023-06-01 (below the 2022 test); on 2024-06-01 the
    licence requirement comes with License Exception NAC available on notification."""
    assert verdict(ask(g, chip="MI210", user_country="CN", supplier="AMD", as_of="2023-06-01")) == "not exposed"
    a = ask(g, chip="MI210", user_country="CN", supplier="AMD", as_of="2024-06-01")
    [e] = of(a, "ac-d5-macau")
    assert e.severity_label == "licence exception or authorisation available"
    assert any(n.startswith("notification:") for n in e.notes)


def test_q19_uae_approved_entity_until_its_approval_expires(g):
    """G42 buying H100s from NVIDIA for the UAE: licence required on 2026-06-01 (UAE in D:4); on 2026-08-01 not
    exposed and shown as an approved entity (91 FR 43034); on 2027-05-01 the approval has expired."""
    june = ask(g, chip="H100", user="G42", supplier="NVIDIA", as_of="2026-06-01")
    assert [e.severity_label for e in of(june, "ac-d1-d4")] == ["licence required"]
    august = ask(g, chip="H100", user="G42", supplier="NVIDIA", as_of="2026-08-01")
    assert verdict(august) == "not exposed"
    assert [e.party_label for e in of(august, "listed-party")] == ["Group 42 Holding Ltd"]
    later = ask(g, chip="H100", user="G42", supplier="NVIDIA", as_of="2027-05-01")
    assert not of(later, "listed-party")


def test_q20_a_denied_person_stops_the_transaction(g):
    """H100s from the U.S. to a denied German trader: not exposed on 2023-06-01 (before its listing); on 2025-06-01
    the exporter must not proceed (General Prohibition 4)."""
    assert verdict(ask(g, chip="H100", user="Example Denied Trading", supplier_country="US", as_of="2023-06-01")) == "not exposed"
    a = ask(g, chip="H100", user="Example Denied Trading", supplier_country="US", as_of="2025-06-01")
    assert ("prohibited", US_EXPORTER, "supplier", "denied-person", "") in rows(a)


def test_q21_an_unverified_party_needs_a_uvl_statement_while_listed(g):
    """H100s from the U.S. to an unverified Singapore importer: red flag with a UVL statement on 2025-06-01;
    after its listing ends (2025-12-31), not exposed."""
    a = ask(g, chip="H100", user="Example Unverified Imports", supplier_country="US", as_of="2025-06-01")
    [e] = of(a, "unverified-list-party")
    assert e.severity_label == "red flag" and any("UVL statement" in n for n in e.notes)
    b = ask(g, chip="H100", user="Example Unverified Imports", supplier_country="US", as_of="2026-03-01")
    assert verdict(b) == "not exposed"


def test_q22_an_sdn_is_prohibited_to_us_persons_and_for_counsel_otherwise(g):
    """H100s to a blocked Russian holding on 2025-06-01: a U.S. supplier is prohibited (OFAC) and needs a licence
    (Russia is D:5); a German supplier: the 744.8 question is for counsel. Before the listing only the Russia
    licence applies."""
    us = ask(g, chip="H100", user="Example Blocked Holdings", supplier_country="US", as_of="2025-06-01")
    assert ("prohibited", US_EXPORTER, "supplier", "sdn-blocked", "") in rows(us)
    de = ask(g, chip="H100", user="Example Blocked Holdings", supplier_country="DE", as_of="2025-06-01")
    assert {e.severity_label for e in of(de, "sdn-ear-744-8")} == {"seek counsel"} and not of(de, "sdn-blocked")
    before = ask(g, chip="H100", user="Example Blocked Holdings", supplier_country="US", as_of="2023-12-01")
    assert not of(before, "sdn-blocked") and of(before, "ac-d5-macau")  # D:5 licence since 2023-11-17


def test_q23_a_military_end_user_needs_a_licence_while_listed(g):
    """H100s from the U.S. to a Chinese MEU-listed institute: licence required under the MEU List on 2025-06-01;
    not on 2023-06-01 (before its listing)."""
    a = ask(g, chip="H100", user="Example Military Institute", supplier_country="US", as_of="2025-06-01")
    assert ("licence required", US_EXPORTER, "supplier", "meu-list-party", "") in rows(a)
    b = ask(g, chip="H100", user="Example Military Institute", supplier_country="US", as_of="2023-06-01")
    assert not of(b, "meu-list-party")


# ------------------------------------------------------------------ 4. dated classifications and criteria

def test_q24_the_a800_escaped_the_2022_test_and_was_caught_in_2023(g):
    """A800s from the U.S. to China: not exposed on 2023-06-01 (400 GB/s, below the 600 GB/s interconnect test);
    licence required on 2024-01-01 (TPP test of 88 FR 73458)."""
    assert verdict(ask(g, chip="A800", user_country="CN", supplier_country="US", as_of="2023-06-01")) == "not exposed"
    a = ask(g, chip="A800", user_country="CN", supplier_country="US", as_of="2024-01-01")
    assert [e.policy_label for e in of(a, "ac-d5-macau")] == ["presumption of denial"]


def test_q25_the_a100_was_caught_from_october_2022(g):
    """A100s from the U.S. to China: licence required on 2023-01-01 under the 2022 rule (600 GB/s and TPP 4992 >= 4800)
    and on 2024-01-01 under the 2023 rule."""
    early = ask(g, chip="A100", user_country="CN", supplier_country="US", as_of="2023-01-01")
    [e] = of(early, "ac-2022-china")
    assert "87 FR 62186" in e.citations and any(s.o.endswith("criterion/2022") for s in e.path)
    late = ask(g, chip="A100", user_country="CN", supplier_country="US", as_of="2024-01-01")
    assert of(late, "ac-d5-macau") and not of(late, "ac-2022-china")


def test_q26_a_document_is_cited_only_when_it_applies(g):
    """H200 from NVIDIA to China: the ac-d5-macau exposure does not cite 91 FR 1684 on 2025-06-01 (though the H200's
    figures are sourced to it) and does on 2026-02-01."""
    early = of(ask(g, chip="H200", user_country="CN", supplier="NVIDIA", as_of="2025-06-01"), "ac-d5-macau")[0]
    assert "91 FR 1684" not in early.citations
    late = of(ask(g, chip="H200", user_country="CN", supplier="NVIDIA", as_of="2026-02-01"), "ac-d5-macau")[0]
    assert "91 FR 1684" in late.citations
    assert all(link is None or link.startswith("https://") for link in late.links)


# ------------------------------------------------------------------ 5. conditions and notes

def test_q27_the_ai_diffusion_rule_is_information_with_its_contested_status_from_may_2026(g):
    """H100s from NVIDIA to India (Tier 2): not exposed either date (the rule is not enforced); from 2026-05-12 the
    note says its legal status is contested (GAO B-337935)."""
    for day, contested in (("2025-06-01", False), ("2026-06-01", True)):
        a = ask(g, chip="H100", user_country="IN", supplier="NVIDIA", as_of=day)
        assert verdict(a) == "not exposed"
        [e] = of(a, "ai-diffusion-worldwide")
        assert e.severity_label == "informational"
        assert any(n.startswith("contested legal status") for n in e.notes) is contested


def test_q28_the_foundry_of_a_prc_designed_chip_is_under_due_diligence_with_its_extended_deadline(g):
    """Ascend 910C in Malaysia: on 2024-12-01 (before 90 FR 5298) at most a note that the regime is not yet in effect;
    on 2025-06-01 TSMC is shown as context under the due-diligence regime; on 2026-06-01 with the deadline extended
    to 2026-12-31."""
    early = of(ask(g, chip="Ascend 910C", user_country="MY", act="use", as_of="2024-12-01"), "foundry-due-diligence")
    assert all(e.severity_label == "informational" and "not yet in effect" in e.explanation for e in early)
    mid = of(ask(g, chip="Ascend 910C", user_country="MY", act="use", as_of="2025-06-01"), "foundry-due-diligence")
    assert {e.party_label for e in mid} >= {"Taiwan Semiconductor Manufacturing Company Limited"}
    assert {e.severity_label for e in mid} == {"context"}
    late = of(ask(g, chip="Ascend 910C", user_country="MY", act="use", as_of="2026-06-01"), "foundry-due-diligence")
    assert all(any("2026-12-31" in n for n in e.notes) for e in late)


def test_q29_a_parent_of_unknown_share_leaves_the_headquarters_rule_open(g, tmp_path):
    """A Singapore firm held by a Chinese parent of unknown share buys H100s from the U.S.: before 2023-11-17 not exposed;
    after, the headquarters rule may reach it through its ultimate parent: undetermined, naming the share; had the
    parent consolidated it instead, the licence would be required."""
    path = tmp_path / "parent.ttl"
    path.write_text(FIXTURE + """
<firm/ex-parent> a ecg:Firm ; rdfs:label "Example Parent Group" ; ecg:headquarteredIn <country/CN> ;
    dcterms:source <source/analyst-fixture> .
<firm/ex-sub> a ecg:Firm ; rdfs:label "Example Subsidiary Pte" ; ecg:headquarteredIn <country/SG> ;
    dcterms:source <source/analyst-fixture> .
<ownership/ex-parent/ex-sub> a ecg:Ownership ; ecg:owner <firm/ex-parent> ; ecg:owned <firm/ex-sub> ;
    dcterms:source <source/analyst-fixture> .
<firm/ex-sub2> a ecg:Firm ; rdfs:label "Example Consolidated Pte" ; ecg:headquarteredIn <country/SG> ;
    dcterms:source <source/analyst-fixture> .
<ownership/ex-parent/ex-sub2> a ecg:Ownership ; ecg:owner <firm/ex-parent> ; ecg:owned <firm/ex-sub2> ;
    ecg:ownershipBasis <ownership-basis/accounting-consolidation> ; dcterms:source <source/analyst-fixture> .
""", encoding="utf-8")
    h = load(path, imports=False, store="memory")
    assert verdict(ask(h, chip="H100", user="Example Subsidiary Pte", supplier_country="US", as_of="2023-06-01")) == "not exposed"
    v = verdict(ask(h, chip="H100", user="Example Subsidiary Pte", supplier_country="US", as_of="2024-06-01"))
    assert v == "undetermined: possible ultimate parent: share of Example Parent Group (China) in Example Subsidiary Pte unknown"
    a = ask(h, chip="H100", user="Example Consolidated Pte", supplier_country="US", as_of="2024-06-01")
    [e] = of(a, "hq-d5-macau-worldwide")
    assert e.severity_label == "licence required" and "accounting consolidation" in e.explanation


def test_a_rule_published_but_not_yet_in_effect_is_news_cited_by_its_own_citation(g):
    """On 2023-11-16 the headquarters rule (88 FR 73458, published 2023-10-25) takes effect the next day: for a
    user headquartered in China using the chip in Singapore, an informational line citing 88 FR 73458 first, not
    only the 2022 rule that classifies the chip."""
    answer = ask(g, chip="H100", user_country="CN", supplier="NVIDIA", where="SG", as_of="2023-11-16")
    [hq] = [e for e in answer.exposures if "headquartered" in e.restriction_label]
    assert hq.severity_label == "informational" and hq.citations[0] == "88 FR 73458"
    assert hq.action.startswith("no action yet")


def test_an_answer_as_of_2022_does_not_speak_of_rules_published_later(g):
    """The AI Diffusion rule (90 FR 4544) was released in January 2025: no line of a 2022 answer mentions it."""
    answer = ask(g, chip="A100", user_country="CN", supplier="NVIDIA", as_of="2022-10-21")
    assert verdict(answer) == "exposed"
    assert not [e for e in answer.exposures if "90 FR 4544" in e.citations or "Diffusion" in e.restriction_label]
