"""Every shipped named query answers its question on the curated data, on both stores.

Expectations are written from ``ontology/data``; a wrong query or a changed fact fails here.
"""

import pytest

from graph import sparql
from graph.errors import InputError, UnknownNameError
from graph.namespace import ID


def ask(g, name, **binds):
    named = sparql.named_query(name)
    bindings = sparql.parse_bindings([f"{k}={v}" for k, v in binds.items()], params=named.params, g=g)
    return list(sparql.query(g, named.text, bindings=bindings))


def ids(rows, column):
    return {str(getattr(r, column)).removeprefix(str(ID)) for r in rows}


def test_every_named_query_says_what_it_answers_and_there_are_at_least_ten():
    names = sparql.named_queries()
    assert len(names) >= 10
    for name in names:
        named = sparql.named_query(name)
        assert named.summary.endswith("?"), name
        assert named.text.startswith("# "), name


def test_entity_list_footnotes_lists_the_fdp_footnote_entries(g):
    rows = ask(g, "entity-list-footnotes")
    assert {(str(r.party).removeprefix(str(ID)), int(r.footnote)) for r in rows} == {
        ("firm/huawei", 1), ("firm/hisilicon", 1), ("firm/cambricon", 4)}
    assert ask(g, "entity-list-footnotes", date="2020-01-01") == []


def test_chips_by_eccn_includes_narrower_eccns(g):
    a = ids(ask(g, "chips-by-eccn", eccn="id:eccn/3A090.a"), "chip")
    assert {"chip/nvidia-h100-sxm", "chip/nvidia-a800-pcie", "chip/amd-mi300x"} <= a
    assert "chip/huawei-ascend-910b" not in a  # stated only as 3A090
    whole = ids(ask(g, "chips-by-eccn", eccn="id:eccn/3A090"), "chip")
    assert a < whole and {"chip/huawei-ascend-910", "chip/huawei-ascend-910b", "chip/intel-gaudi-3"} <= whole
    assert len(a) == 17 and len(whole) == 23


def test_group_members_on_a_date(g):
    tier1 = ids(ask(g, "group-members-on-date", group="id:group/ai-tier-1", date="2025-02-01"), "country")
    assert len(tier1) == 19 and {"country/US", "country/TW", "country/ES"} <= tier1
    assert "country/PL" not in tier1
    assert ask(g, "group-members-on-date", group="id:group/ai-tier-1", date="2025-01-12") == []
    tier3 = ids(ask(g, "group-members-on-date", group="id:group/ai-tier-3", date="2025-06-01"), "country")
    assert {"country/CN", "country/MO", "country/RU"} <= tier3


def test_rules_status_on_a_date_follows_the_ai_diffusion_rule(g):
    def status(day):
        rows = ask(g, "rules-status-on-date", date=day)
        return {str(r.instrument).removeprefix(str(ID)): str(r.status).removeprefix(str(ID)) for r in rows}

    assert status("2025-03-01")["rule/90-FR-4544"] == "status/compliance-pending"  # compliance due 2025-05-15
    assert status("2025-06-01")["rule/90-FR-4544"] == "status/not-enforced"
    assert "rule/90-FR-4544" not in status("2024-12-31")
    enforced = ask(g, "rules-status-on-date", date="2025-06-01", status="id:status/not-enforced")
    assert ids(enforced, "instrument") == {"rule/90-FR-4544"}


def test_listed_affiliates_follow_ownership_chains(g):
    rows = ask(g, "listed-affiliates")
    assert {(str(r.owner).removeprefix(str(ID)), str(r.affiliate).removeprefix(str(ID))) for r in rows} == {
        ("firm/huawei", "firm/hisilicon"), ("firm/smic", "firm/smic-beijing"), ("firm/smic", "firm/smic-shanghai")}
    listed = {str(r.affiliate).removeprefix(str(ID)): r.affiliateListed.toPython() for r in rows}
    assert listed["firm/hisilicon"] is True


def test_changes_between_two_dates(g):
    rows = ask(g, "changes-between", **{"from": "2025-05-01", "to": "2025-05-31"})
    assert {(str(r.day), str(r.change), str(r.fact).removeprefix(str(ID))) for r in rows} == {
        ("2025-05-12", "ends after", "status-period/90-FR-4544/1"),
        ("2025-05-13", "begins", "status-period/90-FR-4544/2"),
        ("2025-05-13", "begins", "status-period/2025-05-13-gp10/1"),
        ("2025-05-13", "begins", "status-period/2025-05-13-training/1"),
        ("2025-05-13", "begins", "status-period/2025-05-13-diversion/1"),
    }


def test_sources_behind_an_entity_include_its_linking_facts(g):
    rows = ask(g, "sources-behind", subject="id:firm/hisilicon")
    facts = ids(rows, "fact")
    assert {"firm/hisilicon", "ownership/huawei/hisilicon", "listing/entity-list/hisilicon/2020-05-15"} <= facts
    assert "source/0855ms-hisilicon" in ids([r for r in rows if str(r.fact).endswith("ownership/huawei/hisilicon")], "source")


def test_sources_behind_accepts_a_name(g):
    rows = ask(g, "sources-behind", subject="HiSilicon")
    assert "firm/hisilicon" in ids(rows, "fact")


def test_listings_on_a_date(g):
    parties = ids(ask(g, "listings-on-date", date="2019-12-31"), "party")
    assert parties == {"firm/huawei", "firm/hisilicon", "firm/sugon", "firm/hygon", "firm/chengdu-haiguang-ic",
                       "firm/chengdu-haiguang-microelectronics", "firm/wuxi-jiangnan"}


def test_chips_meeting_criteria_checks_every_threshold(g):
    h100 = ask(g, "chips-meeting-criteria", chip="id:chip/nvidia-h100-sxm")
    assert ids(h100, "criterion") == {"eccn/3A090.a/criterion/1", "eccn/3A090.a/criterion/2"}
    assert ask(g, "chips-meeting-criteria", chip="id:chip/nvidia-h20") == []


def test_firms_headquartered_in_d5_on_a_date(g):
    firms = ids(ask(g, "firms-headquartered-in-group", group="id:group/D5", date="2025-06-01"), "firm")
    assert {"firm/huawei", "firm/smic", "firm/cambricon"} <= firms
    assert not firms & {"firm/nvidia", "firm/tsmc", "firm/sk-hynix"}


def test_restrictions_by_instrument(g):
    rows = ask(g, "restrictions-by-instrument", instrument="id:guidance/2025-05-13-training")
    assert ids(rows, "restriction") == {"restriction/training-d5-wmd-milint", "restriction/training-d5-red-flag",
                                        "restriction/us-person-support-training"}


def test_required_binding_missing_is_an_error(curated):
    with pytest.raises(InputError, match="missing --bind subject"):
        ask(curated, "sources-behind")


def test_unknown_named_query_suggests_close_names():
    with pytest.raises(UnknownNameError, match="entity-list-footnotes"):
        sparql.named_query("entity-list-footnote")
