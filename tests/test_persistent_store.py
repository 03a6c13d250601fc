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
