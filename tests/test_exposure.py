"""The six shared scenarios (../shared/domain/scenarios.md), answered from data alone, and their dates.

Each test names the exposures it expects as (party, role, restriction, severity, policy) and checks the
citations that must back them. The scenario firms that are hypothetical live in ontology/examples/scenario_firms.ttl.
"""


import pytest

from graph.errors import EcgraphError, InputError, UnknownNameError
from graph.reasoning.exposure import answer_json, exposures, to_rdf, verdict
from graph.store.load import load
from graph.namespace import ECG
from graph.reasoning.usage import usage_from_names, usages_from_file

from graph.store.load import ontology_dir

EXAMPLES = ontology_dir() / "examples"


@pytest.fixture(scope="module", params=["oxigraph", "memory"])
def sg(request):
    """Curated graph plus the scenario firms, on each store."""
    return load(EXAMPLES / "scenario_firms.ttl", imports=False, store=request.param)


def ask(g, **names):
    return exposures(g, usage_from_names(g, **names))


def found(answer, severity=None):
    """(party label, role, restriction local name, severity, policy) of each exposure."""
    return {
        (e.party_label, e.role, e.restriction.rsplit("/", 1)[-1], e.severity_label, e.policy_label)
        for e in answer.exposures if severity is None or e.severity_label == severity
    }


def by_restriction(answer, name):
    return [e for e in answer.exposures if e.restriction.endswith("/" + name)]


# --------------------------------------------------------------------------- scenario 1

def test_scenario_1_malaysian_cloud_renting_ascend_910c_for_chinese_lab(sg):
    a = ask(sg, chip="Huawei Ascend 910C", user_country="MY", for_country="CN", activity="training",
            as_of="2025-06-01")
    user = "unnamed user headquartered in Malaysia"
    assert found(a) == {
        (user, "user", "gp10-prc-advanced-ics", "enforcement risk", ""),
        (user, "user", "training-d5-red-flag", "red flag", ""),
        # the designer and the foundry receive nothing here: their listings are context, not their licence
        ("Huawei Technologies Co., Ltd.", "designer of chip", "entity-list-party", "context", "presumption of denial"),
        ("Semiconductor Manufacturing International Corporation", "manufacturer of chip", "entity-list-party",
         "context", "case-by-case review"),
        # the foundries of a chip designed in D:5 are under the 90 FR 5298 due diligence, as context
        ("Semiconductor Manufacturing International Corporation", "manufacturer of chip", "foundry-due-diligence",
         "context", ""),
        ("Taiwan Semiconductor Manufacturing Company Limited", "manufacturer of chip", "foundry-due-diligence",
         "context", ""),
    }
    assert verdict(a) == "exposed"
    # renting servers is a service: no destination-based licence on the servers themselves
    d5 = next(c for c in a.checked if c.restriction.endswith("/ac-d5-macau"))
    assert d5.result == "not applicable"
    assert [act.rsplit("/", 1)[-1] for act, _, _ in a.acts] == ["service", "use"]
    huawei = by_restriction(a, "entity-list-party")[0]
    assert {"84 FR 22961", "85 FR 29849"} <= set(huawei.citations)
    assert "footnote 1" in huawei.explanation
    gp10 = by_restriction(a, "gp10-prc-advanced-ics")[0]
    assert any("GP10" in c for c in gp10.citations)
    # the path runs chip -> designer -> headquarters -> D:5, each step a triple
    preds = [s.p.rsplit("#", 1)[-1] for s in gp10.path]
    assert {"designedBy", "headquarteredIn", "memberOf", "imposedBy"} <= set(preds)
    # the AI Diffusion Rule would reach the servers' supplier, had they been shipped: said once, as information
    b = ask(sg, chip="Huawei Ascend 910C", user_country="MY", supplier_country="US", as_of="2025-06-01")
    assert "not enforced since 2025-05-13" in by_restriction(b, "ai-diffusion-worldwide")[0].explanation


def test_scenario_1_us_person_support_is_checked_and_absent(sg):
    a = ask(sg, chip="Ascend 910C", user_country="MY", for_country="CN", activity="training", as_of="2025-06-01")
    check = next(c for c in a.checked if c.restriction.endswith("us-person-support-training"))
    assert check.result == "not applicable"
    # with knowledge of a military-intelligence end use and a U.S. supplier, the U.S. person is exposed
    b = ask(sg, chip="Ascend 910C", user="Example Cloud Malaysia", for_country="CN", supplier_country="US",
            activity="training", end_uses=["military-intelligence"], as_of="2025-06-01")
    assert ("unnamed supplier headquartered in United States", "supplier", "us-person-support-training",
            "licence required", "") in found(b)
    # the U.S. exporter of the servers needs the licence; the Malaysian provider's service moves no chip,
    # so what reaches it is the Entity List risk the policy statement names
    assert ("unnamed supplier headquartered in United States", "supplier", "training-d5-wmd-milint",
            "licence required", "policy of denial") in found(b)
    assert ("Example Cloud Malaysia", "user", "training-d5-iaas-entity-list-risk", "enforcement risk", "") in found(b)


def test_evaluation_is_carved_out_of_gp10(sg):
    a = ask(sg, chip="Ascend 910B", user_country="DE", activity="evaluation", as_of="2025-06-01")
    assert not by_restriction(a, "gp10-prc-advanced-ics")


# --------------------------------------------------------------------------- scenario 2

def test_scenario_2_singapore_subsidiary_of_chinese_parent_buying_h100(sg):
    a = ask(sg, chip="H100", user="Example AI Singapore", supplier="NVIDIA", where="SG", as_of="2026-06-01")
    hq = by_restriction(a, "hq-d5-macau-worldwide")
    assert [(e.party_label, e.role, e.severity_label, e.policy_label) for e in hq] == [
        ("NVIDIA Corporation", "supplier", "licence required", "presumption of denial")]
    assert "88 FR 73458" in hq[0].citations
    assert any("2026-05-31" in c or "Headquartered" in c for c in hq[0].citations)
    assert "Example Holdings" in hq[0].explanation and "100%" in hq[0].explanation
    # Singapore itself is in no D group: no destination-based licence
    assert not by_restriction(a, "ac-d1-d4") and not by_restriction(a, "ac-d5-macau")


# --------------------------------------------------------------------------- scenario 3

@pytest.mark.parametrize("day, listed, note", [
    ("2025-09-01", False, "not yet in effect"),  # before the Affiliates Rule
    ("2025-10-15", True, None),                 # in force from 2025-09-29
    ("2025-12-01", False, "suspended since 2025-11-10"),
    ("2026-11-15", True, None),                 # back from 2026-11-10
])
def test_scenario_3_affiliate_60_percent_owned_by_smic(sg, day, listed, note):
    a = ask(sg, chip="H100", user="Example Foundry Affiliate", supplier_country="US", where="CN", as_of=day)
    party = by_restriction(a, "entity-list-party")
    supply = by_restriction(a, "entity-list-supply")
    if listed:
        assert [(e.party_label, e.role) for e in party] == [("Example Foundry Affiliate", "user")]
        assert [e.role for e in supply] == ["supplier"]
        assert {"90 FR 47201", "85 FR 83416"} <= set(party[0].citations)
        assert "60%" in party[0].explanation
        percent = [s for s in party[0].path if s.p == str(ECG.percentage)]
        assert [s.o for s in percent] == ["60"]
    else:
        assert not party and not supply
    notes = [e.explanation for e in a.exposures if e.severity_label == "informational" and "Affiliates" in e.explanation]
    if note:
        assert len(notes) == 1 and note in notes[0]
    else:
        assert not notes


# --------------------------------------------------------------------------- scenario 4

@pytest.mark.parametrize("chip, policy", [
    ("NVIDIA H200 SXM", "case-by-case review"),
    ("AMD Instinct MI325X", "case-by-case review"),
    ("NVIDIA H100 SXM", "case-by-case review"),
    ("NVIDIA A100 SXM", "case-by-case review"),
    ("NVIDIA B200", "presumption of denial"),
    ("NVIDIA B300", "presumption of denial"),
    ("AMD Instinct MI355X", "presumption of denial"),
])
def test_scenario_4_case_by_case_for_china_under_91_fr_1684(curated, chip, policy):
    a = ask(curated, chip=chip, user_country="CN", supplier="NVIDIA", where="CN", as_of="2026-02-01")
    [e] = by_restriction(a, "ac-d5-macau")
    assert e.policy_label == policy
    if policy.startswith("case"):
        assert "91 FR 1684" in e.citations


def test_scenario_4_reexports_from_outside_the_us_stay_presumption_of_denial(curated):
    a = ask(curated, chip="NVIDIA H200 SXM", user_country="CN", supplier_country="SG", where="CN", as_of="2026-02-01")
    [e] = by_restriction(a, "ac-d5-macau")
    assert e.policy_label == "presumption of denial"


def test_scenario_4_before_the_rule_no_case_by_case(curated):
    a = ask(curated, chip="NVIDIA H200 SXM", user_country="CN", supplier="NVIDIA", where="CN", as_of="2025-12-01")
    [e] = by_restriction(a, "ac-d5-macau")
    assert e.policy_label == "presumption of denial"


# --------------------------------------------------------------------------- scenario 5

def test_scenario_5_footnote_4_listing_reaches_foreign_made_items(curated):
    a = ask(curated, chip="H100", user="Cambricon", supplier_country="TW", as_of="2025-06-01")
    [e] = by_restriction(a, "fdp-footnote-4")
    assert e.role == "supplier" and "87 FR 62186" in e.citations


# --------------------------------------------------------------------------- scenario 6

def test_scenario_6_macau_is_treated_like_china_though_not_in_d5(curated):
    from graph.reasoning.membership import groups_on
    from graph.reasoning.exposure import traversal_graph
    import datetime as dt

    groups = groups_on(traversal_graph(curated), "https://w3id.org/ecgraph/id/country/MO", dt.date(2025, 6, 1))
    assert "https://w3id.org/ecgraph/id/group/D5" not in groups
    assert "https://w3id.org/ecgraph/id/group/D1" in groups
    a = ask(curated, chip="H100", user_country="MO", supplier_country="US", as_of="2025-06-01")
    assert [e.policy_label for e in by_restriction(a, "ac-d5-macau")] == ["presumption of denial"]
    assert [e.role for e in by_restriction(a, "hq-d5-macau-worldwide")] == ["supplier"]


# --------------------------------------------------------------------------- dated group changes

@pytest.mark.parametrize("day, exposed", [("2026-07-01", True), ("2026-07-15", False)])
def test_uae_leaves_d4_on_2026_07_10(curated, day, exposed):
    a = ask(curated, chip="H100", user_country="AE", supplier_country="US", as_of=day)
    assert bool(by_restriction(a, "ac-d1-d4")) is exposed


def test_hong_kong_is_treated_as_china(curated):
    a = ask(curated, chip="H100", user_country="HK", supplier_country="US", as_of="2025-06-01")
    [e] = by_restriction(a, "ac-d5-macau")
    assert any(s.p == str(ECG.treatedAs) for s in e.path)


# --------------------------------------------------------------------------- quiet answers and bad input

def test_a_usage_with_nothing_to_report_says_what_was_checked(curated):
    a = ask(curated, chip="H100", user_country="DE", supplier_country="US", where="DE", as_of="2026-06-01")
    assert [e for e in a.exposures if e.severity_label != "informational"] == []
    assert len(a.checked) >= 10
    assert all(c.reason for c in a.checked)


def test_unknown_chip_suggests_close_names(curated):
    with pytest.raises(UnknownNameError) as err:
        usage_from_names(curated, chip="H1OO", user_country="SG")
    assert err.value.suggestions


def test_unknown_country_code_is_an_error(curated):
    with pytest.raises(UnknownNameError):
        usage_from_names(curated, chip="H100", user_country="XX")


def test_date_in_the_wrong_format_is_an_error(curated):
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        usage_from_names(curated, chip="H100", user_country="SG", as_of="01/06/2025")


def test_usage_file_that_does_not_parse(curated, tmp_path):
    bad = tmp_path / "usage.json"
    bad.write_text('{"chip": "H100",', encoding="utf-8")
    with pytest.raises(EcgraphError, match="usage.json:1"):
        usages_from_file(curated, bad)


def test_usage_files_give_one_answer_per_usage(curated, tmp_path):
    path = tmp_path / "usages.json"
    path.write_text('[{"chip": "H100", "user_country": "CN", "as_of": "2025-06-01"},'
                    ' {"chip": "B200", "user_country": "DE", "as_of": "2025-06-01"}]', encoding="utf-8")
    usages = usages_from_file(curated, path)
    assert len(usages) == 2
    ttl = tmp_path / "usage.ttl"
    ttl.write_text("""@prefix ecg: <https://w3id.org/ecgraph/ontology#> . @base <https://w3id.org/ecgraph/id/> .
        @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
        <urn:u1> a ecg:ChipUsage ; ecg:chip <chip/nvidia-h100-sxm> ; ecg:activity <activity/training> ;
            ecg:usedBy <urn:p1> ; ecg:usedIn <country/CN> ; ecg:asOf "2025-06-01"^^xsd:date .
        <urn:p1> ecg:headquarteredIn <country/CN> .""", encoding="utf-8")
    [u] = usages_from_file(curated, ttl)
    assert u.user_country.endswith("/CN")
    assert by_restriction(exposures(curated, u), "ac-d5-macau")


def test_answers_round_trip_to_json_and_rdf(curated):
    a = ask(curated, chip="Ascend 910C", user_country="MY", for_country="CN", activity="training", as_of="2025-06-01")
    data = answer_json(a)
    assert set(data) == {"usage", "exposures", "checked", "acts", "verdict"}
    assert {"party", "party_label", "role", "rule", "rule_label", "restriction", "severity", "policy",
            "citations", "path", "explanation"} <= set(data["exposures"][0])
    rdf = to_rdf(a)
    rows = list(rdf.query("SELECT (COUNT(?e) AS ?n) WHERE { ?e a ecg:Exposure }", initNs={"ecg": str(ECG._NS)}))
    assert int(rows[0][0]) == len(a.exposures)


def test_the_vocabulary_the_engine_relies_on_is_in_the_data(curated):
    from rdflib import RDF

    from graph.reasoning.exposure import VOCABULARY

    missing = [str(iri) for iri in VOCABULARY if (iri, RDF.type, None) not in curated]
    assert missing == []


def test_a_graph_changed_after_loading_is_seen_after_refresh(tmp_path):
    from rdflib import RDF, RDFS, Literal, URIRef

    from graph.reasoning.exposure import traversal_graph

    g = load(imports=False, store="memory")
    u = usage_from_names(g, chip="H100", user_country="DE", supplier_country="US", as_of="2026-06-01")
    assert not by_restriction(exposures(g, u), "test-germany")
    r = URIRef("https://w3id.org/ecgraph/id/restriction/test-germany")
    g.add((r, RDF.type, ECG.Restriction))
    g.add((r, RDFS.label, Literal("test: licence required to Germany")))
    g.add((r, ECG.imposedBy, URIRef("https://w3id.org/ecgraph/id/rule/88-FR-73458")))
    g.add((r, ECG.restrictionType, URIRef("https://w3id.org/ecgraph/id/restriction-type/licence-requirement")))
    g.add((r, ECG.destinationCountry, URIRef("https://w3id.org/ecgraph/id/country/DE")))
    g.add((r, ECG.exposesRole, URIRef("https://w3id.org/ecgraph/id/role/supplier")))
    traversal_graph(g, refresh=True)  # the engine's caches follow the graph as loaded until refreshed
    assert [e.role for e in by_restriction(exposures(g, u), "test-germany")] == ["supplier"]


def test_a_party_known_only_by_its_address_is_used_where_it_is(tmp_path):
    path = tmp_path / "addr.ttl"
    path.write_text("""@prefix ecg: <https://w3id.org/ecgraph/ontology#> . @base <https://w3id.org/ecgraph/id/> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> . @prefix dcterms: <http://purl.org/dc/terms/> .
        <csl/test-1> a ecg:Firm ; rdfs:label "Address Only Trading Ltd." ; ecg:addressCountry <country/HK> ;
            dcterms:source <source/iso-3166-1> .""", encoding="utf-8")
    g = load(path, imports=False, store="memory")
    a = ask(g, chip="H100", user="Address Only Trading Ltd.", supplier_country="US", as_of="2025-06-01")
    [e] = by_restriction(a, "ac-d5-macau")
    assert any(s.p == str(ECG.usedIn) and s.o.endswith("/HK") for s in e.path)
    hq = next(c for c in a.checked if c.restriction.endswith("hq-d5-macau-worldwide"))
    assert "headquarters unknown" in hq.reason


# --------------------------------------------------------------------------- the headline (issue 10)

def test_the_table_leads_with_the_verdict_and_never_clears_what_it_cannot_tell(capsys):
    from graph.surfaces.cli import main

    assert main(["expose", "--chip", "GB200", "--user-country", "CN", "--supplier", "NVIDIA", "--as-of", "2025-06-01"]) == 0
    out = capsys.readouterr().out
    headline = out.index("undetermined: figures")
    assert "GB200" in out[headline:] and headline < out.index("- [undetermined]")
    assert "No exposure found" not in out
    assert main(["expose", "--chip", "H100", "--user-country", "DE", "--supplier-country", "US", "--as-of", "2026-06-01",
                 "--act", "export"]) == 0
    assert "\nnot exposed\n" in capsys.readouterr().out


def test_an_unknown_act_is_a_one_line_error(capsys):
    from graph.surfaces.cli import main

    assert main(["expose", "--chip", "H100", "--user-country", "DE", "--act", "smuggle"]) == 2
    err = capsys.readouterr().err
    assert "unknown act 'smuggle'" in err and "export" in err and len(err.strip().splitlines()) == 1
