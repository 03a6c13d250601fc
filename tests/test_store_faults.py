"""The import store under faults: real ``kill -9`` of a child ``ecgraph`` at every commit point, two importers at once.

A child process runs ``python -m graph.surfaces.cli`` with ``ECGRAPH_TEST_PAUSE_AT=POINT``: it stops itself
at that point (see :func:`graph.store.atomic.checkpoint`), and the test kills it with SIGKILL or lets it go
on with SIGCONT. Afterwards every command still works, the import re-runs to completion, and each
listing is held exactly once.

    june  = tests/data/csl_sample.csv   (Huawei, Precision Optics, Freight, Aviation, near miss)
    july  = tests/data/csl_newer.csv    (Optics gone -> ended; Quantum Computing Institute new)
"""

from __future__ import annotations

import csv
import os
import random
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rdflib import URIRef

from graph.store.atomic import TEMP_MARK
from graph.surfaces.cli import main
from graph.readwrite.csl import graph_name
from graph.readwrite.imports import add_import, list_imports
from graph.store.load import data_dir, load
from graph.namespace import ECG

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
JUNE, JULY = DATA / "csl_sample.csv", DATA / "csl_newer.csv"
OPTICS = "https://w3id.org/ecgraph/id/csl/a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9/listing"
QUANTUM = "https://w3id.org/ecgraph/id/csl/b1b2b3b4b5b6b7b8b9b0c1c2c3c4c5c6c7c8c9c0/listing"
HUAWEI = "https://w3id.org/ecgraph/id/csl/5f1c2e0c8a7d4b9e13f0a6b2c4d8e9f1a2b3c4d5/listing"


# --------------------------------------------------------------------------- helpers


def child(*args: str, pause: str | None = None, **env: str) -> subprocess.Popen:
    """``python -m graph.surfaces.cli ARGS`` in a child process on this test's data directory."""
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    environ.pop("ECGRAPH_TEST_PAUSE_AT", None)
    if pause:
        environ["ECGRAPH_TEST_PAUSE_AT"] = pause
    return subprocess.Popen([sys.executable, "-m", "graph.surfaces.cli", *args], env=environ, bufsize=0,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def wait_for(proc: subprocess.Popen, marker: str, timeout: float = 240) -> str:
    """Read the child's stderr until ``marker`` appears; fail if it exits first."""
    seen, end, fd = b"", time.monotonic() + timeout, proc.stderr.fileno()
    while marker.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            proc.kill()
            pytest.fail(f"no {marker!r} within {timeout} s: {seen.decode()[-400:]}")
        chunk = os.read(fd, 4096)
        if not chunk:
            pytest.fail(f"exited {proc.wait()} before {marker!r}: {seen.decode()[-400:]}")
        seen += chunk
    return seen.decode()


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()


def finish(proc: subprocess.Popen, timeout: float = 240) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out.decode(), err.decode()


def graphs_of_listings(ds=None) -> dict[str, list[str]]:
    """Each loaded listing and the graphs that hold it (once each is right)."""
    ds = ds if ds is not None else load(store="memory")
    out: dict[str, list[str]] = {}
    for row in ds.query("SELECT ?l ?g WHERE { GRAPH ?g { ?l a ecg:Listing } }"):
        out.setdefault(str(row.l), []).append(str(row.g))
    return out


def leftovers() -> list[str]:
    """Temporary files, N-Quads without an index, build folders: what a killed writer left."""
    root = data_dir()
    found = [str(p.relative_to(root)) for p in root.rglob("*") if TEMP_MARK in p.name and "store/" not in str(p)]
    imports = root / "imports"
    found += [p.name for p in imports.glob("*.nq") if not p.with_suffix(".json").is_file()] if imports.is_dir() else []
    return found


def commands_work() -> None:
    assert main(["info", "--format", "json"]) == 0
    assert main(["import", "--list"]) == 0
    assert main(["expose", "--chip", "H100", "--user", "Huawei", "--as-of", "2025-06-01", "--format", "json"]) == 0


@pytest.fixture(scope="module")
def expected(curated, tmp_path_factory):
    """The listings june then july give when nothing goes wrong."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ECGRAPH_DATA_DIR", str(tmp_path_factory.mktemp("reference")))
        add_import(JUNE, curated, name="june")
        add_import(JULY, curated, name="july")
        return set(graphs_of_listings())


# --------------------------------------------------------------------------- kill -9 at each commit point


@pytest.mark.parametrize("point", ["import:locked", "import:nq-half", "import:nq-written", "import:nq-renamed",
                                   "import:index-written", "import:committed"])
def test_an_import_killed_at_any_point_leaves_a_readable_store_and_reruns_to_completion(point, curated, expected, capsys):
    add_import(JUNE, curated, name="june")
    proc = child("import", "csl", str(JULY), "--name", "july", pause=point)
    wait_for(proc, f"ecgraph-paused {point}")
    kill(proc)

    committed = point == "import:committed"
    assert [s.name for s in list_imports()] == (["june", "july"] if committed else ["june"])
    commands_work()
    assert main(["validate", "--imports"]) == 0
    capsys.readouterr()

    again = add_import(JULY, curated, name="july")
    assert again.unchanged == committed
    if not committed:
        assert (again.added, again.ended) == (1, 1)
    held = graphs_of_listings()
    assert set(held) == expected and OPTICS in held and QUANTUM in held
    assert all(len(graphs) == 1 for graphs in held.values()), {k: v for k, v in held.items() if len(v) > 1}
    assert leftovers() == []


def test_a_removal_killed_between_its_two_deletes_leaves_no_half_import(curated):
    add_import(JUNE, curated, name="june")
    proc = child("import", "--remove", "june", pause="remove:index-gone")
    wait_for(proc, "ecgraph-paused remove:index-gone")
    kill(proc)
    assert list_imports() == []
    commands_work()
    add_import(JUNE, curated, name="june")  # the name is free again; the orphan N-Quads are cleaned
    assert [s.name for s in list_imports()] == ["june"] and leftovers() == []


@pytest.mark.parametrize("point", ["store:building", "store:built", "store:swapped-out", "store:swapped-in"])
def test_a_store_rebuild_killed_at_any_point_is_redone_and_its_folders_cleaned(point, curated):
    add_import(JUNE, curated, name="june")
    load(persistent=True)  # a store to replace
    add_import(JULY, curated, name="july")
    proc = child("info", "--format", "json", pause=point)
    wait_for(proc, f"ecgraph-paused {point}")
    kill(proc)
    assert any(TEMP_MARK in p.name for p in data_dir().iterdir())  # the killed build left its folder

    commands_work()
    stored = load(persistent=True)
    assert type(stored.store).__name__ == "OxigraphStore"
    assert set(graphs_of_listings(stored)) == set(graphs_of_listings(load()))
    assert [p.name for p in data_dir().iterdir() if TEMP_MARK in p.name] == []


def test_imports_killed_at_random_moments_never_break_the_store(curated, tmp_path, capsys):
    from test_csl import write_synthetic_csl

    big = write_synthetic_csl(tmp_path / "consolidated.csv", 3000)
    add_import(JUNE, curated, name="june")
    before = graphs_of_listings(load())  # june's listings and the curated ones
    chance = random.Random(11)
    for _ in range(5):
        proc = child("import", "csl", str(big), "--name", "big")
        time.sleep(chance.uniform(1.0, 8.0))
        kill(proc)
        names = [s.name for s in list_imports()]
        assert names in (["june"], ["june", "big"])
        assert main(["info", "--format", "json"]) == 0
        if names == ["june", "big"]:
            break
    capsys.readouterr()
    summary = add_import(big, curated, name="big")
    assert summary.unchanged or summary.imported == 3000
    held = graphs_of_listings(load())
    assert len(held) == 3000 + len(before) and all(len(graphs) == 1 for graphs in held.values())
    assert leftovers() == []


# --------------------------------------------------------------------------- two importers at once


def test_a_second_import_waits_for_the_first_and_history_is_kept():
    first = child("import", "csl", str(JUNE), "--name", "june", pause="import:locked")
    wait_for(first, "ecgraph-paused import:locked")
    second = child("import", "csl", str(JULY), "--name", "july")
    assert "waiting for another import already running" in wait_for(second, "waiting for another import")
    os.kill(first.pid, signal.SIGCONT)
    (code1, out1, _), (code2, out2, _) = finish(first), finish(second)
    assert (code1, code2) == (0, 0)
    assert "0 ended" in out1 and "1 added, 1 ended" in out2
    held = graphs_of_listings()
    assert OPTICS in held and QUANTUM in held and all(len(g) == 1 for g in held.values())


def test_two_imports_started_together_lose_nothing(expected):
    runs = [child("import", "csl", str(JUNE), "--name", "june"), child("import", "csl", str(JULY), "--name", "july")]
    results = [finish(p) for p in runs]
    assert [code for code, _, _ in results] == [0, 0], [err for _, _, err in results]
    ended = sorted(int(out.split(" ended")[0].rsplit(" ", 1)[1]) for _, out, _ in results)
    assert ended == [0, 1]  # whichever came second ended what the first held and it does not
    held = graphs_of_listings()
    assert set(held) == expected and all(len(g) == 1 for g in held.values())


def test_an_import_that_cannot_get_the_lock_gives_up_with_one_line():
    holder = child("import", "csl", str(JUNE), "--name", "june", pause="import:locked")
    wait_for(holder, "ecgraph-paused import:locked")
    try:
        code, _, err = finish(child("import", "csl", str(JULY), "--name", "july", ECGRAPH_LOCK_TIMEOUT="0.5"))
    finally:
        kill(holder)
    lines = [line for line in err.splitlines() if not line.startswith("waiting")]
    assert code == 2 and len(lines) == 1
    assert "another import already running (process" in lines[0] and "gave up after 0.5 s" in lines[0]
    assert list_imports() == []


# --------------------------------------------------------------------------- a skipped row keeps its listing


def with_bad_start_date(source: Path, target: Path, key: str) -> Path:
    """A copy of a CSL file (every field quoted) whose record ``key`` has an impossible start date, so it is skipped."""
    with source.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    for row in rows[1:]:
        if len(row) == len(header) and row[0] == key:
            row[header.index("start_date")] = "2019-13-45"
    with target.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(rows)
    return target


def test_a_row_skipped_in_a_newer_file_keeps_its_earlier_listing(curated, tmp_path, capsys):
    add_import(JUNE, curated, name="june")
    broken = with_bad_start_date(JUNE, tmp_path / "consolidated.csv", HUAWEI.split("/")[-2])
    assert main(["import", "csl", str(broken), "--name", "july"]) == 0
    out = capsys.readouterr().out
    assert "0 added, 0 ended" in out and "kept 1 earlier listings of rows skipped in this file" in out
    assert [(s.name, s.superseded_by, s.kept) for s in list_imports()] == [("june", "july", 0), ("july", "", 1)]
    held = graphs_of_listings()
    assert held[HUAWEI] == [str(graph_name("july"))]
    again = add_import(with_bad_start_date(JUNE, tmp_path / "fixed.csv", key=""), curated, name="august")  # the row is back
    assert (again.added, again.ended, again.kept_earlier) == (0, 0, 0)


def test_a_newer_file_of_fewer_lists_leaves_the_others_as_they_were_and_holds_nothing_twice(curated, tmp_path):
    from test_csl import write_synthetic_csl

    add_import(JUNE, curated, name="june")  # Entity List, DPL, MEU, UVL
    before = graphs_of_listings()
    newer = add_import(write_synthetic_csl(tmp_path / "consolidated.csv", 40), curated, name="july")  # EL, MEU, SDN, CMIC
    assert [s.superseded_by for s in list_imports()] == ["july", ""]
    held = graphs_of_listings()
    assert set(before) <= set(held) and all(len(g) == 1 for g in held.values())
    assert newer.ended == 3  # the two Entity List rows and the MEU row of june; DPL and UVL rows are not in question
    ds = load(store="memory")
    freight = "https://w3id.org/ecgraph/id/csl/0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d/listing"  # DPL, ended in 2020
    assert [str(d) for d in ds.objects(URIRef(freight), ECG.validUntil)] == ["2020-10-15"]
