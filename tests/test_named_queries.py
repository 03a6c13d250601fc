"""Every shipped named query answers its question on the curated data, on both stores.

Expectations are written from ``ontology/data``; a wrong query or a changed fact fails here.
Rows are compared as sorted lists, so a row given twice shows.
"""

import datetime as dt
from pathlib import Path

import pytest

from graph.store import sparql
from graph.errors import InputError, UnknownNameError
from graph.namespace import ID


def ask(g, name, **binds):
    named = sparql.named_query(name)
    bindings = sparql.parse_bindings([f"{k}={v}" for k, v in binds.items()], params=named.params, g=g)
    return list(sparql.query(g, named.text, bindings=bindings))


def ids(rows, column):
    """The column's values with the ``id:`` namespace cut, sorted, duplicates kept."""
    return sorted(str(getattr(r, column)).removeprefix(str(ID)) for r in rows)


def short(term) -> str:
    return str(term).removeprefix(str(ID))


def test_every_named_query_says_what_it_answers_and_there_are_at_least_ten():
    names = sparql.named_queries()
    assert len(names) >= 10
    for name in names:
        named = sparql.named_query(name)
        assert named.summary.endswith("?"), name
        assert named.text.startswith("# "), name


def test_entity_list_footnotes_lists_the_fdp_footnote_entries(g):
    rows = ask(g, "entity-list-footnotes")
    assert sorted((short(r.party), int(r.footnote)) for r in rows) == [
        ("firm/cambricon", 4), ("firm/hisilicon", 1), ("firm/huawei", 1)]
    assert ask(g, "entity-list-footnotes", date="2020-01-01") == []


def test_chips_by_eccn_includes_narrower_eccns(g):
    a = ids(ask(g, "chips-by-eccn", eccn="id:eccn/3A090.a"), "chip")
    assert {"chip/nvidia-h100-sxm", "chip/nvidia-a800-pcie", "chip/amd-mi300x"} <= set(a)
    assert "chip/huawei-ascend-910b" not in a  # stated only as 3A090
    whole = ids(ask(g, "chips-by-eccn", eccn="id:eccn/3A090"), "chip")
    assert set(a) < set(whole) and {"chip/huawei-ascend-910", "chip/huawei-ascend-910b", "chip/intel-gaudi-3"} <= set(whole)
    # 25 with the MI210 (3A090.b) and the HBM stack (3A090.c) of issue 10
    assert len(a) == len(set(a)) == 17 and len(whole) == len(set(whole)) == 25


def test_group_members_on_a_date(g):
    tier1 = ids(ask(g, "group-members-on-date", group="id:group/ai-tier-1", date="2025-02-01"), "country")
    assert len(tier1) == len(set(tier1)) == 19 and {"country/US", "country/TW", "country/ES"} <= set(tier1)
    assert "country/PL" not in tier1
    assert ask(g, "group-members-on-date", group="id:group/ai-tier-1", date="2025-01-12") == []
    tier3 = ids(ask(g, "group-members-on-date", group="id:group/ai-tier-3", date="2025-06-01"), "country")
    assert {"country/CN", "country/MO", "country/RU"} <= set(tier3) and len(tier3) == len(set(tier3))


def test_rules_status_on_a_date_follows_the_ai_diffusion_rule(g):
    def status(day):
        rows = ask(g, "rules-status-on-date", date=day)
        pairs = [(short(r.instrument), short(r.status)) for r in rows]
        assert len(pairs) == len(set(pairs))
        return dict(pairs)

    assert status("2025-03-01")["rule/90-FR-4544"] == "status/compliance-pending"  # compliance due 2025-05-15
    assert status("2025-06-01")["rule/90-FR-4544"] == "status/not-enforced"
    assert "rule/90-FR-4544" not in status("2024-12-31")
    enforced = ask(g, "rules-status-on-date", date="2025-06-01", status="id:status/not-enforced")
    assert ids(enforced, "instrument") == ["rule/90-FR-4544"]


def test_listed_affiliates_follow_ownership_chains(g):
    rows = ask(g, "listed-affiliates", date="2025-06-01")
    assert sorted((short(r.owner), short(r.affiliate)) for r in rows) == [
        ("firm/huawei", "firm/hisilicon"), ("firm/smic", "firm/smic-beijing"), ("firm/smic", "firm/smic-shanghai")]
    listed = {short(r.affiliate): r.affiliateListed.toPython() for r in rows}
    assert listed["firm/hisilicon"] is True


def test_listed_affiliates_before_any_listing_is_empty(g):
    assert ask(g, "listed-affiliates", date="2019-01-01") == []  # Huawei was listed on 2019-05-16


DATED_STAKES = """
@prefix ecg: <https://w3id.org/ecgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@base <https://w3id.org/ecgraph/id/> .

<firm/t-parent> a ecg:Firm ; rdfs:label "T Parent" .
<firm/t-child> a ecg:Firm ; rdfs:label "T Child" .
<firm/t-grandchild> a ecg:Firm ; rdfs:label "T Grandchild" .
<firm/t-former> a ecg:Firm ; rdfs:label "T Former" .
<firm/t-former-sub> a ecg:Firm ; rdfs:label "T Former Sub" .

<listing/t/parent> a ecg:Listing ; rdfs:label "T Parent listed" ;
    ecg:onList <list/entity-list> ; ecg:listedParty <firm/t-parent> ; ecg:validFrom "2020-01-01"^^xsd:date .
<listing/t/former> a ecg:Listing ; rdfs:label "T Former listed, then removed" ;
    ecg:onList <list/entity-list> ; ecg:listedParty <firm/t-former> ;
    ecg:validFrom "2020-01-01"^^xsd:date ; ecg:validUntil "2020-06-30"^^xsd:date .
<ownership/t/parent-child> a ecg:Ownership ; rdfs:label "T Parent owns T Child until 2021" ;
    ecg:owner <firm/t-parent> ; ecg:owned <firm/t-child> ; ecg:percentage 80.0 ;
    ecg:validFrom "2020-01-01"^^xsd:date ; ecg:validUntil "2021-12-31"^^xsd:date .
<ownership/t/child-grandchild> a ecg:Ownership ; rdfs:label "T Child owns T Grandchild" ;
    ecg:owner <firm/t-child> ; ecg:owned <firm/t-grandchild> ; ecg:percentage 100.0 ;
    ecg:validFrom "2020-01-01"^^xsd:date .
<ownership/t/former-sub> a ecg:Ownership ; rdfs:label "T Former owns T Former Sub" ;
    ecg:owner <firm/t-former> ; ecg:owned <firm/t-former-sub> ; ecg:percentage 100.0 ;
    ecg:validFrom "2020-01-01"^^xsd:date .
"""


@pytest.fixture(scope="module", params=["oxigraph", "memory"])
def with_dated_stakes(request, tmp_path_factory):
    from graph.store.load import load

    path = tmp_path_factory.mktemp("stakes") / "dated_stakes.ttl"
    path.write_text(DATED_STAKES, encoding="utf-8")
    return load(path, imports=False, store=request.param)


def test_listed_affiliates_follow_only_stakes_and_listings_holding_on_the_date(with_dated_stakes):
    def pairs(day):
        rows = ask(with_dated_stakes, "listed-affiliates", date=day)
        return sorted((short(r.owner), short(r.affiliate), None if r.directStake is None else float(r.directStake))
                      for r in rows if short(r.owner).startswith("firm/t-"))

    assert pairs("2020-03-01") == [("firm/t-former", "firm/t-former-sub", 100.0),
                                   ("firm/t-parent", "firm/t-child", 80.0),
                                   ("firm/t-parent", "firm/t-grandchild", None)]
    assert pairs("2021-12-31") == [("firm/t-parent", "firm/t-child", 80.0),
                                   ("firm/t-parent", "firm/t-grandchild", None)]
    assert pairs("2022-01-01") == []  # the stake ended: the grandchild is no longer reached either


def test_changes_between_two_dates(g):
    rows = ask(g, "changes-between", **{"from": "2025-05-01", "to": "2025-05-31"})
    assert sorted((str(r.day), str(r.change), short(r.fact)) for r in rows) == [
        ("2025-05-13", "begins", "status-period/2025-05-13-diversion/1"),
        ("2025-05-13", "begins", "status-period/2025-05-13-gp10/1"),
        ("2025-05-13", "begins", "status-period/2025-05-13-training/1"),
        ("2025-05-13", "begins", "status-period/90-FR-4544/2"),
        ("2025-05-13", "ends", "status-period/90-FR-4544/1"),  # its last day was 2025-05-12
    ]


def test_changes_between_counts_both_ends_and_dates_an_end_by_the_first_day_without_it(g):
    def facts(start, end):
        return sorted((str(r.change), short(r.fact)) for r in ask(g, "changes-between", **{"from": start, "to": end})
                      if short(r.fact).startswith("status-period/90-FR-4544/"))

    assert facts("2025-05-12", "2025-05-12") == []  # still in force on its last day
    assert facts("2025-05-13", "2025-05-13") == [("begins", "status-period/90-FR-4544/2"),
                                                 ("ends", "status-period/90-FR-4544/1")]
    assert ("begins", "status-period/90-FR-4544/1") in facts("2025-01-13", "2025-01-13")  # ?from is included


def test_sources_behind_an_entity_include_its_linking_facts(g):
    rows = ask(g, "sources-behind", subject="id:firm/hisilicon")
    facts = set(ids(rows, "fact"))
    assert {"firm/hisilicon", "ownership/huawei/hisilicon", "listing/entity-list/hisilicon/2020-05-15"} <= facts
    assert "source/0855ms-hisilicon" in ids([r for r in rows if str(r.fact).endswith("ownership/huawei/hisilicon")], "source")


def test_sources_behind_accepts_a_name(g):
    rows = ask(g, "sources-behind", subject="HiSilicon")
    assert "firm/hisilicon" in ids(rows, "fact")


def test_listings_on_a_date(g):
    parties = ids(ask(g, "listings-on-date", date="2019-12-31"), "party")
    assert parties == sorted(["firm/huawei", "firm/hisilicon", "firm/sugon", "firm/hygon", "firm/chengdu-haiguang-ic",
                              "firm/chengdu-haiguang-microelectronics", "firm/wuxi-jiangnan"])


def test_chips_meeting_criteria_checks_every_threshold(g):
    h100 = ask(g, "chips-meeting-criteria", chip="id:chip/nvidia-h100-sxm", date="2025-06-01")
    assert ids(h100, "criterion") == ["eccn/3A090.a/criterion/1", "eccn/3A090.a/criterion/2"]
    assert ask(g, "chips-meeting-criteria", chip="id:chip/nvidia-h20", date="2025-06-01") == []


def test_chips_meeting_criteria_only_counts_criteria_in_force_on_the_date(g):
    # 3A090 came with the rule of October 2022 (interconnect and TPP); the TPP/PD criteria with that of 2023-11-17
    assert ask(g, "chips-meeting-criteria", chip="id:chip/nvidia-h100-sxm", date="2022-10-20") == []
    assert ids(ask(g, "chips-meeting-criteria", chip="id:chip/nvidia-h100-sxm", date="2023-11-16"), "criterion") == [
        "eccn/3A090.a/criterion/2022"]
    assert len(ask(g, "chips-meeting-criteria", chip="id:chip/nvidia-h100-sxm", date="2023-11-17")) == 2


def test_firms_headquartered_in_d5_on_a_date(g):
    firms = set(ids(ask(g, "firms-headquartered-in-group", group="id:group/D5", date="2025-06-01"), "firm"))
    assert {"firm/huawei", "firm/smic", "firm/cambricon"} <= firms
    assert not firms & {"firm/nvidia", "firm/tsmc", "firm/sk-hynix"}


def test_restrictions_by_instrument(g):
    rows = ask(g, "restrictions-by-instrument", instrument="id:guidance/2025-05-13-training")
    assert ids(rows, "restriction") == sorted(["restriction/training-d5-wmd-milint", "restriction/training-d5-red-flag",
                                               "restriction/us-person-support-training",
                                               "restriction/training-d5-iaas-entity-list-risk"])


def test_required_binding_missing_is_an_error(curated):
    with pytest.raises(InputError, match="missing --bind subject"):
        ask(curated, "sources-behind")


def test_unknown_named_query_suggests_close_names():
    with pytest.raises(UnknownNameError, match="entity-list-footnotes"):
        sparql.named_query("entity-list-footnote")


# ---- every query on a graph that also holds two imports of overlapping CSL files

DATA = Path(__file__).parent / "data"
REQUIRED = {"from": "2020-01-01", "to": "2026-12-31", "subject": "id:firm/huawei", "group": "id:group/D5"}


@pytest.fixture
def with_two_imports():
    """The curated graph plus a June and a July import of overlapping CSL files (the July one supersedes)."""
    from graph.readwrite.imports import add_import
    from graph.store.load import load

    curated = load(imports=False)
    june, july = (dt.datetime(2025, m, 1, 9, tzinfo=dt.timezone.utc) for m in (6, 7))
    add_import(DATA / "csl_sample.csv", curated, name="june", started=june)
    add_import(DATA / "csl_newer.csv", curated, name="july", started=july)
    return load()


def test_no_named_query_gives_a_row_twice_with_two_overlapping_imports(with_two_imports):
    for name in sparql.named_queries():
        named = sparql.named_query(name)
        binds = {p.name: REQUIRED[p.name] for p in named.params if p.required}
        rows = [tuple(r) for r in ask(with_two_imports, name, **binds)]
        repeated = sorted({r for r in rows if rows.count(r) > 1}, key=str)
        assert not repeated, f"{name} gives {len(rows) - len(set(rows))} repeated rows, e.g. {repeated[:2]}"


def test_a_query_from_the_command_line_has_a_time_limit_unless_told_otherwise(monkeypatch, capsys):
    from graph.surfaces import cli

    seen = []
    real = sparql.answer
    monkeypatch.setattr(sparql, "answer", lambda *a, **k: seen.append(k["timeout"]) or real(*a, **k))
    assert cli.main(["query", "chips-by-eccn", "--no-inferred", "--format", "csv"]) == 0
    assert cli.main(["query", "chips-by-eccn", "--no-inferred", "--timeout", "0", "--format", "csv"]) == 0
    assert seen == [cli.QUERY_TIMEOUT, None] and cli.QUERY_TIMEOUT > 0
    assert cli.main(["query", "chips-by-eccn", "--timeout", "-1"]) == 2
    assert "--timeout must be 0" in capsys.readouterr().err


# --------------------------------------------------------------------------- shaped queries = plain queries
# Five named queries are written in shapes that Oxigraph's planner answers fast on a full imported list
# (subqueries, keys to sort on, OPTIONAL for NOT EXISTS). tests/data/plain_queries holds each one's plain form:
# both must give the same rows in the same order, on both stores, on data that has what the shapes must get right.

ORDER_LABELS = """
@prefix ecg: <https://w3id.org/ecgraph/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@base <https://w3id.org/ecgraph/id/> .

<list/t-a> a ecg:ScreeningList ; rdfs:label "T list with a long name that shares its first letters"@en .
<list/t-b> a ecg:ScreeningList ; rdfs:label "T list with a long name that shares its first words" .
<list/t-c> a ecg:ScreeningList .
<firm/t-1> rdfs:label "Same first fifteen letters, then one" .
<firm/t-2> rdfs:label "Same first fifteen letters, then two"@en .
<firm/t-3> rdfs:label "Same first fifteen letters, then one"@de .
<firm/t-4> rdfs:label "Äpfel und Birnen" .
<firm/t-5> rdfs:label "Same" .
<firm/t-6> rdfs:label "Same"@en .
<firm/t-7> rdfs:label "Same"^^xsd:string .
<firm/t-8> a ecg:Firm .
<firm/t-9> rdfs:label <firm/t-9-label> .
"""


def _listings():
    out, n = [], 0
    for lst in ("t-a", "t-b", "t-c"):
        for party in range(1, 10):
            n += 1
            until = ' ; ecg:validUntil "2024-05-31"^^xsd:date' if n % 4 == 0 else ""
            start = "" if n % 5 == 0 else ' ; ecg:validFrom "20%02d-01-01"^^xsd:date' % (10 + n % 7)
            out.append(f'<listing/t/{n}> a ecg:Listing ; ecg:onList <list/{lst}> ; ecg:listedParty <firm/t-{party}> ;'
                       f' ecg:frCitation "{n} FR {n}" ; dcterms:source <source/t>{start}{until} .')
    return "\n".join(out)


@pytest.fixture(scope="module")
def shaped_data(tmp_path_factory):
    """The same data on both stores: store name -> dataset."""
    from graph.store.load import load

    folder = tmp_path_factory.mktemp("shaped")
    (folder / "stakes.ttl").write_text(DATED_STAKES, encoding="utf-8")
    (folder / "labels.ttl").write_text(ORDER_LABELS + _listings() + "\n", encoding="utf-8")
    return {store: load(folder / "stakes.ttl", folder / "labels.ttl", imports=False, store=store)
            for store in ("oxigraph", "memory")}


PLAIN = Path(__file__).parent / "data" / "plain_queries"

CASES = [
    ("listings-on-date", {"date": "2024-01-01"}),
    ("listings-on-date", {"date": "2025-06-01"}),
    ("listings-on-date", {"date": "2025-06-01", "list": "<https://w3id.org/ecgraph/id/list/t-b>"}),
    ("sources-behind", {"subject": "id:firm/huawei"}),
    ("sources-behind", {"subject": "id:firm/t-1"}),
    ("sources-behind", {"subject": "id:country/CN"}),
    ("sources-behind", {"subject": "id:listing/t/3"}),
    ("listed-affiliates", {"date": "2020-03-01"}),
    ("listed-affiliates", {"date": "2025-06-01"}),
    ("listed-affiliates", {"date": "2025-06-01", "owner": "id:firm/huawei"}),
    ("rules-status-on-date", {"date": "2023-11-01"}),
    ("rules-status-on-date", {"date": "2025-06-01"}),
    ("rules-status-on-date", {"date": "2025-06-01", "status": "id:status/in-force"}),
    ("changes-between", {"from": "2020-01-01", "to": "2025-12-31"}),
    ("changes-between", {"from": "2024-06-01", "to": "2024-06-01"}),
]


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
@pytest.mark.parametrize("name,binds", CASES, ids=[f"{n}-{'-'.join(b.values())}" for n, b in CASES])
def test_a_shaped_query_answers_as_its_plain_form(shaped_data, store, name, binds):
    g = shaped_data[store]
    named = sparql.named_query(name)
    plain_text = (PLAIN / f"{name}.rq").read_text(encoding="utf-8")
    bindings = sparql.parse_bindings([f"{k}={v}" for k, v in binds.items()], params=named.params, g=g)
    shaped = list(sparql.query(g, named.text, bindings=bindings))
    plain = list(sparql.query(g, plain_text, bindings=bindings))
    assert plain, "a case that finds nothing tests nothing"
    assert sorted(map(_row, shaped)) == sorted(map(_row, plain))  # the same rows
    # in the plain form's order, compared on what it sorts on (rows tied on all of it may come either way); a query
    # that sorts on keys it makes (listings-on-date) gives Oxigraph's order on both stores (rdflib sorts a text
    # and the same text with a language tag its own way)
    keyed = "Key" in "".join(sparql.variables_of(named.text))
    reference = plain if not keyed else list(sparql.query(shaped_data["oxigraph"], plain_text, bindings=bindings))
    keys = _sort_columns(plain_text)
    assert [[_cell(r[k]) for k in keys] for r in shaped] == [[_cell(r[k]) for k in keys] for r in reference]


def _sort_columns(text: str) -> list[str]:
    return [v[1:] for kind, v, *_ in sparql._tokens(text.rsplit("ORDER BY", 1)[1]) if kind == "var"]


def _cell(term):
    """A comparable cell; a literal typed xsd:string is the plain literal it is (oxrdflib types it, rdflib not)."""
    if term is None:
        return None
    if str(getattr(term, "datatype", None)) == XSD_STRING:
        term = type(term)(str(term))
    return (type(term).__name__, term.n3())


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _row(row):
    return tuple(_cell(t) for t in row)
