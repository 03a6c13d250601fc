"""A query asked again of the same stored data prints the answer kept from the first run, and never a stale one."""

from pathlib import Path

import pytest

from graph.readwrite.imports import add_import, remove_import
from graph.store import answers
from graph.surfaces import cli
from graph.surfaces.cli import main

DATA = Path(__file__).parent / "data"
LISTINGS = ["query", "listings-on-date", "--bind", "date=2025-06-01", "--no-inferred", "--format", "csv"]


@pytest.fixture
def stored(curated, monkeypatch):
    """A CSL import in the data directory, and every answer worth keeping (the sample is answered in a blink)."""
    add_import(DATA / "csl_sample.csv", curated, name="june")
    monkeypatch.setattr(answers, "WORTH_KEEPING", 0.0)


def run(capsysbinary, argv) -> bytes:
    assert main(argv) == 0
    return capsysbinary.readouterr().out


def kept_files() -> list[Path]:
    return sorted(answers.folder().glob("*.txt")) if answers.folder().is_dir() else []


def no_store(*args, **kwargs):
    raise AssertionError("the store was opened")


def test_the_second_run_prints_the_kept_answer_byte_for_byte_without_opening_the_store(stored, capsysbinary,
                                                                                       monkeypatch):
    first = run(capsysbinary, LISTINGS)
    assert b"\r\n" in first and len(kept_files()) == 1  # CSV lines end in CRLF, and so does the kept copy
    monkeypatch.setattr(cli, "load_graph", no_store)
    assert run(capsysbinary, LISTINGS) == first


def test_fresh_asks_the_store_again(stored, capsysbinary, monkeypatch):
    first = run(capsysbinary, LISTINGS)
    monkeypatch.setattr(cli, "load_graph", no_store)
    with pytest.raises(AssertionError, match="store was opened"):
        main([*LISTINGS, "--fresh"])
    assert first


def test_another_date_binding_or_format_is_another_question(stored, capsysbinary):
    june = run(capsysbinary, LISTINGS)
    early = run(capsysbinary, [*LISTINGS, "--bind", "date=2019-01-01"])
    table = run(capsysbinary, LISTINGS[:-2] + ["--format", "table"])
    assert len({june, early, table}) == 3 and len(kept_files()) == 3
    assert run(capsysbinary, LISTINGS) == june


def test_a_newer_import_is_answered_from_the_new_data_and_the_old_answers_go(stored, curated, capsysbinary):
    june = run(capsysbinary, LISTINGS)
    add_import(DATA / "csl_newer.csv", curated, name="july")  # supersedes june: one party gone, one added
    july = run(capsysbinary, LISTINGS)
    assert july != june and july == run(capsysbinary, [*LISTINGS, "--fresh"])
    assert len(kept_files()) == 1  # the answer of the data that is gone was removed when this one was kept
    remove_import("july")
    assert run(capsysbinary, LISTINGS) == june  # june is current again: asked of the store again, not of july


def test_an_import_landing_while_the_query_runs_is_not_kept_under_the_data_before_it(stored, curated,
                                                                                      capsysbinary, monkeypatch):
    load_graph = cli.load_graph

    def import_meanwhile(*args, **kwargs):
        add_import(DATA / "csl_newer.csv", curated, name="july")  # after the key was made, before the store opens
        return load_graph(*args, **kwargs)

    monkeypatch.setattr(cli, "load_graph", import_meanwhile)
    with_july = run(capsysbinary, LISTINGS)
    monkeypatch.setattr(cli, "load_graph", load_graph)
    assert kept_files() == []
    remove_import("july")
    assert run(capsysbinary, LISTINGS) != with_july  # june's own answer, not july's filed under june


SEEN_DERIVED = ["query", "SELECT (COUNT(*) AS ?n) WHERE { ?c ecg:inGroupOn ?g }", "--format", "csv"]


def test_no_inferred_sees_none_of_the_facts_derived_for_another_query(stored, capsysbinary):
    run(capsysbinary, [*SEEN_DERIVED[:2], "--no-inferred", "--format", "csv"])
    derived = run(capsysbinary, [*SEEN_DERIVED, "--as-of", "2025-06-01"])  # derives into the on-disk store
    assert derived.split()[1] != b"0"
    for argv in ([*SEEN_DERIVED, "--no-inferred"], [*SEEN_DERIVED, "--no-inferred", "--fresh"],
                 [*SEEN_DERIVED[:2], "--no-inferred", "--format", "tsv", "--fresh"]):
        assert run(capsysbinary, argv).split()[1] in (b"0", b'"0"^^<http://www.w3.org/2001/XMLSchema#integer>')


def test_a_query_naming_a_derived_graph_with_from_sees_it_only_with_the_derived_facts(stored, capsysbinary):
    inferred = "<https://w3id.org/ecgraph/graph/inferred>"
    for text in (f"SELECT (COUNT(*) AS ?n) FROM {inferred} WHERE {{ ?c ecg:inGroupOn ?g }}",
                 f"SELECT (COUNT(*) AS ?n) FROM NAMED {inferred} WHERE {{ GRAPH ?x {{ ?c ecg:inGroupOn ?g }} }}"):
        assert run(capsysbinary, ["query", text, "--format", "csv", "--as-of", "2025-06-01"]).split()[1] != b"0"
        assert run(capsysbinary, ["query", text, "--format", "csv", "--no-inferred"]).split()[1] == b"0"


def test_a_date_left_to_its_default_is_part_of_the_question(stored, capsysbinary, monkeypatch):
    import datetime as dt

    class Day(dt.date):
        day_now = dt.date(2019, 1, 1)

        @classmethod
        def today(cls):
            return cls.day_now

    monkeypatch.setattr(dt, "date", Day)
    argv = ["query", "listings-on-date", "--no-inferred", "--format", "csv"]
    early = run(capsysbinary, argv)
    Day.day_now = dt.date(2025, 6, 1)
    assert run(capsysbinary, argv) != early and len(kept_files()) == 2


def test_a_query_whose_answer_changes_between_runs_is_never_kept(stored, capsysbinary):
    for text in ("SELECT ?l (NOW() AS ?t) WHERE { ?l a ecg:Listing } LIMIT 1",
                 "SELECT (STRUUID() AS ?u) WHERE { ?l a ecg:Listing } LIMIT 1",
                 "SELECT ?l WHERE { ?l a ecg:Listing FILTER(RAND()<2) } LIMIT 1",
                 # no spaces: '<2&&NOW()>' has the form of an IRI, but the parser reads a comparison and NOW()
                 'SELECT ?l WHERE { ?l a ecg:Listing FILTER(1<2&&NOW()>"2000-01-01T00:00:00Z"^^xsd:dateTime) } LIMIT 1'):
        run(capsysbinary, ["query", text, "--format", "csv"])
    assert kept_files() == []
    run(capsysbinary, ["query", "SELECT ?l WHERE { ?l a ecg:Listing } ORDER BY ?l LIMIT 1", "--format", "csv"])
    assert len(kept_files()) == 1


def test_may_keep_reads_the_query_with_a_parser():
    assert answers.may_keep('SELECT ?s WHERE { ?s rdfs:label "NOW() RAND()" } # UUID()')
    assert not answers.may_keep("ASK { FILTER(BNODE() != BNODE()) }")
    assert not answers.may_keep("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert not answers.may_keep("SELECT ?s WHERE { ?s ?p")  # what rdflib cannot read is not kept


def test_only_the_most_recent_answers_are_kept(stored, capsysbinary, monkeypatch):
    monkeypatch.setattr(answers, "KEEP", 2)
    for day in ("2019-01-01", "2021-01-01", "2025-06-01"):
        run(capsysbinary, [*LISTINGS, "--bind", f"date={day}"])
    assert len(kept_files()) == 2


def test_a_data_directory_that_cannot_be_written_still_answers(stored, capsysbinary, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr("graph.store.atomic.write_atomic", refuse)
    first = run(capsysbinary, LISTINGS)
    assert kept_files() == [] and run(capsysbinary, LISTINGS) == first


def test_the_day_is_read_once_so_an_answer_at_midnight_is_filed_under_its_own_day(stored, capsysbinary,
                                                                                  monkeypatch):
    import datetime as dt

    days = iter([dt.date(2019, 1, 1)])

    class Midnight(dt.date):
        @classmethod
        def today(cls):  # the first reading is the old day, every later one the new day
            return next(days, dt.date(2025, 6, 1))

    monkeypatch.setattr(dt, "date", Midnight)
    answered = run(capsysbinary, ["query", "listings-on-date", "--no-inferred", "--format", "csv"])
    assert answered == run(capsysbinary, [*LISTINGS[:3], "date=2019-01-01", *LISTINGS[4:]])
