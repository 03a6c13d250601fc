"""Read-only commands open the stored imports from an on-disk Oxigraph store instead of parsing them again."""

from pathlib import Path

from graph.readwrite.imports import add_import, remove_import
from graph.store.load import data_dir, load

DATA = Path(__file__).parent / "data"


def listings(ds) -> set:
    return {str(r[0]) for r in ds.query("SELECT ?l WHERE { ?l a ecg:Listing }")}


def test_the_persistent_store_holds_what_parsing_gives(curated):
    add_import(DATA / "csl_sample.csv", curated, name="june")
    parsed, stored = load(), load(persistent=True)
    assert type(stored.store).__name__ == "OxigraphStore" and (data_dir() / "store").is_dir()
    assert listings(stored) == listings(parsed) and len(listings(stored)) > 17
    assert stored.ecgraph_inputs == parsed.ecgraph_inputs  # so both share the traversal-graph cache


def test_the_store_follows_the_imports(curated):
    add_import(DATA / "csl_sample.csv", curated, name="june")
    first = listings(load(persistent=True))
    remove_import("june")
    assert listings(load(persistent=True)) == listings(load(imports=False)) != first


def test_without_imports_or_with_user_files_the_files_are_parsed(curated, tmp_path):
    assert not (data_dir() / "store").exists()
    load(persistent=True)
    assert not (data_dir() / "store").exists()
    add_import(DATA / "csl_sample.csv", curated, name="june")
    extra = tmp_path / "x.ttl"
    extra.write_text("<urn:a> <urn:b> <urn:c> .", encoding="utf-8")
    ds = load(extra, persistent=True)
    assert (None, None, None) in ds and not (data_dir() / "store").exists()


def dead_pid() -> int:
    import os

    pid = 4_000_000
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass
        pid -= 1


def test_build_folders_left_by_a_killed_process_are_removed_at_the_next_run(curated):
    add_import(DATA / "csl_sample.csv", curated, name="june")
    load(persistent=True)
    pid = dead_pid()
    for name in (f"store.tmp-{pid}", f"store.old.tmp-{pid}"):
        (data_dir() / name).mkdir()
        (data_dir() / name / "half-written").write_text("x", encoding="utf-8")
    stored = load(persistent=True)  # nothing changed, so no rebuild: the stale folders still go
    assert type(stored.store).__name__ == "OxigraphStore"
    assert sorted(p.name for p in data_dir().iterdir() if "tmp-" in p.name) == []


# --------------------------------------------------------------------------- the derived facts kept in the store

import datetime as dt  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from graph.namespace import ECG, GRAPH  # noqa: E402
from graph.reasoning.infer import add_inferences, stored_with_inferences  # noqa: E402
from graph.surfaces.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
JUNE_1, OCT_15 = dt.date(2025, 6, 1), dt.date(2025, 10, 15)
STAMP = (ECG.derivedFrom, ECG.derivedBy)  # what the store adds on the graph's node, beside its ecg:asOf


def derived(ds) -> set:
    """The inferred graph of ``ds`` without the store's stamp."""
    return {t for t in ds.get_context(GRAPH.inferred) if t[1] not in STAMP}


def parsed_and_derived(day) -> set:
    """What the command did before the store kept them: parse every file, derive in memory."""
    ds = load()
    add_inferences(ds, day)
    return derived(ds)


def stored(day, notes=None):
    return stored_with_inferences(day, note=(notes.append if notes is not None else None))


def test_the_stored_derived_facts_are_those_parsing_and_deriving_give_on_each_date_and_after_an_import(curated):
    add_import(DATA / "csl_sample.csv", curated, name="june")
    for day in (JUNE_1, OCT_15, JUNE_1):
        facts = derived(stored(day))
        assert facts == parsed_and_derived(day) and len(facts) > 100
        assert (GRAPH.inferred, ECG.asOf, None) in stored(day).get_context(GRAPH.inferred)
    add_import(DATA / "csl_newer.csv", curated, name="july")
    assert derived(stored(OCT_15)) == parsed_and_derived(OCT_15) != derived(stored(JUNE_1))


def test_the_facts_are_derived_once_per_date_and_again_for_other_data_or_a_stale_stamp(curated):
    add_import(DATA / "csl_sample.csv", curated, name="june")
    notes: list = []
    stored(JUNE_1, notes)
    stored(JUNE_1, notes)
    assert len(notes) == 1  # the second call only opened the store
    stored(OCT_15, notes)
    assert len(notes) == 2  # another date: derived again, and only that date is kept
    dates = {o.toPython() for o in stored(OCT_15).get_context(GRAPH.inferred).objects(GRAPH.inferred, ECG.asOf)}
    assert dates == {OCT_15} and len(notes) == 2

    import pyoxigraph as ox  # a stamp of other data (say, a store copied from elsewhere): not trusted

    writable = ox.Store(str(data_dir() / "store"))
    name = ox.NamedNode(str(GRAPH.inferred))
    old = next(writable.quads_for_pattern(name, ox.NamedNode(str(ECG.derivedFrom)), None, name))
    writable.remove(old)
    writable.add(ox.Quad(name, old.predicate, ox.Literal("other data"), name))
    writable.flush()
    del writable, old
    assert derived(stored(OCT_15, notes)) == parsed_and_derived(OCT_15) and len(notes) == 3


def test_query_reads_the_stored_facts_and_answers_as_the_parse_does(curated, capsys, tmp_path):
    add_import(DATA / "csl_sample.csv", curated, name="june")
    (tmp_path / "empty.ttl").write_text("", encoding="utf-8")  # with --data the files are parsed and derived
    text = "SELECT ?p ?n WHERE { GRAPH <https://w3id.org/ecgraph/graph/inferred> { ?p ecg:listedOwnersShare ?n } }"
    answers, derived = [], []
    for extra in (["--data", str(tmp_path / "empty.ttl")], [], []):  # parsed; derived into the store; read from it
        assert main(["query", text, "--as-of", "2025-06-01", "--format", "csv", *extra]) == 0
        out, err = capsys.readouterr()
        answers.append(sorted(out.splitlines()))
        derived.append("into the on-disk store" in err)
    assert answers[0] == answers[1] == answers[2] and len(answers[0]) > 2
    assert derived == [False, True, False]  # the store was written once, then read


def test_the_rebuild_after_an_import_drops_the_derived_facts_of_the_old_data(curated):
    add_import(DATA / "csl_sample.csv", curated, name="june")
    stored(JUNE_1)
    add_import(DATA / "csl_newer.csv", curated, name="july")
    assert (None, None, None) not in load(persistent=True).get_context(GRAPH.inferred)


def python(code: str, pause: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("ECGRAPH_TEST_PAUSE_AT", None)
    if pause:
        env["ECGRAPH_TEST_PAUSE_AT"] = pause
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


READER = """
import datetime as dt, sys
from graph.namespace import ECG, GRAPH
from graph.reasoning.infer import stored_with_inferences
ds = stored_with_inferences(dt.date(2025, 6, 1))
def seen():
    g = ds.get_context(GRAPH.inferred)
    return f"{sorted(str(o) for o in g.objects(GRAPH.inferred, ECG.asOf))} {len(g)}"
print(seen(), flush=True)
sys.stdin.readline()
print(seen(), flush=True)
"""


def test_a_reader_keeps_its_view_while_another_process_derives_another_date(curated):
    add_import(DATA / "csl_sample.csv", curated, name="june")
    reader = python(READER)
    before = reader.stdout.readline().strip()
    assert before.startswith("['2025-06-01']"), reader.stderr.read()
    writer = python("import datetime as dt; from graph.reasoning.infer import stored_with_inferences as s; "
                    "s(dt.date(2025, 10, 15))")
    assert writer.wait(timeout=120) == 0, writer.stderr.read()
    reader.stdin.write("\n")
    reader.stdin.flush()
    assert reader.stdout.readline().strip() == before and reader.wait(timeout=60) == 0
    assert derived(stored(OCT_15)) == parsed_and_derived(OCT_15)


def test_a_derivation_killed_between_its_two_transactions_is_redone_by_the_next_query(curated):
    add_import(DATA / "csl_sample.csv", curated, name="june")
    stored(JUNE_1)
    for point in ("store:derived-removed", "store:derived-written", "store:swapped-out"):
        proc = python("import datetime as dt; from graph.reasoning.infer import stored_with_inferences as s; "
                      "s(dt.date(2025, 10, 15))", pause=point)
        assert proc.stderr.readline().strip() == f"ecgraph-paused {point}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        notes: list = []
        assert derived(stored(OCT_15, notes)) == parsed_and_derived(OCT_15) and len(notes) == 1, point
        assert sorted(p.name for p in data_dir().iterdir() if "tmp-" in p.name) == []
        stored(JUNE_1)
