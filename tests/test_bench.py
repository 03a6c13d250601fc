"""The benchmark's generator is reproducible and the benchmark runs end to end (figures only, no timing checks).

    probe-top (listed) -100%-> hop-1 -90%-> hop-2 -> hop-3 -> hop-4 -80%-> hop-5 -100%-> probe-deep
    probe-owner-a (listed) -30%-> probe-joint <-30%- probe-owner-b (listed)
"""

import pytest
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from graph.store import sparql
from graph.surfaces import bench
from graph.errors import InputError
from graph.namespace import ECG


@pytest.fixture(scope="module")
def vocab():
    return bench.curated_vocabulary()


def _graph(path) -> Graph:
    g = Graph()
    g.parse(path, format="nt")
    return g


def test_same_seed_gives_the_same_graph_and_another_seed_does_not(vocab, tmp_path):
    a = bench.generate(tmp_path / "a.nt", 2000, seed=1, vocab=vocab)
    b = bench.generate(tmp_path / "b.nt", 2000, seed=1, vocab=vocab)
    c = bench.generate(tmp_path / "c.nt", 2000, seed=2, vocab=vocab)
    assert a.triples == b.triples >= 2000
    assert isomorphic(_graph(a.path), _graph(b.path))
    assert not isomorphic(_graph(a.path), _graph(c.path))


def test_the_deep_user_sits_six_ownership_hops_below_a_listed_party_on_a_curated_list(vocab, tmp_path):
    s = bench.generate(tmp_path / "s.nt", 2000, vocab=vocab)
    g = _graph(s.path)
    node, hops = URIRef(s.probes["deep"]), 0
    while True:
        stakes = list(g.subjects(ECG.owned, node))
        if not stakes:
            break
        node, hops = g.value(stakes[0], ECG.owner), hops + 1
    assert (hops, str(node)) == (6, s.probes["top"])
    [listing] = g.subjects(ECG.listedParty, node)
    assert str(g.value(listing, ECG.onList)) in vocab.extended_lists
    assert {str(c) for c in g.objects(None, ECG.headquarteredIn)} <= set(vocab.countries)


def test_the_registry_has_a_million_edge_shape_small_owners_long_chains_and_cycles(vocab, tmp_path):
    import networkx as nx

    s = bench.generate_registry(tmp_path / "r.nt", 5000, vocab=vocab)
    g = _graph(s.path)
    G = nx.DiGraph((g.value(o, ECG.owner), g.value(o, ECG.owned)) for o in g.subjects(ECG.owner, None))
    assert s.probes["stakes"] == len(set(g.subjects(ECG.owner, None))) >= 5000
    people = {p for p in G if "/person/" in str(p)}
    assert len(people) > len(G) / 10 and all(G.in_degree(p) == 0 for p in people)
    degrees = sorted((d for _, d in G.out_degree()), reverse=True)
    assert degrees[0] > 8 * (sum(degrees) / len(degrees))  # a few owners hold many stakes
    assert nx.dag_longest_path_length(nx.condensation(G)) >= 8  # long chains
    assert any(len(c) > 1 for c in nx.strongly_connected_components(G))  # cross-holdings


def test_sizes_are_read_with_suffixes():
    assert bench.parse_sizes("10k, 1m") == [("10k", 10_000), ("1m", 1_000_000)]
    with pytest.raises(InputError):
        bench.parse_sizes("ten")


def test_benchmark_prints_the_table_at_a_tiny_size(capsys):
    assert bench.main(["--sizes", "2k", "--repeat", "1", "--no-cold", "--paths", "0"]) == 0
    out = capsys.readouterr().out
    for row in ("load", "peak memory after load", "traversal graph (build)", "expose: user 6 ownership hops",
                "render a 1,000-node view", "SPARQL join", "SPARQL path", "SPARQL aggregate"):
        assert row in out
    assert "Oxigraph (oxrdflib)" in out and "rdflib memory" in out and "faster by" in out


def test_a_measurement_past_its_limit_is_stopped_not_waited_for(vocab, tmp_path):
    s = bench.generate(tmp_path / "s.nt", 2000, vocab=vocab)
    render = "render a 1,000-node view"
    results, _, _ = bench.measure(bench.BASELINE, s, repeat=1, limit=0.0, load_limit=120,
                                  data_dir=str(tmp_path / "data"), only=[render])
    assert results[render].stopped == 0.0
    assert bench._cell(results[render]) == "> 0 s (stopped)"


def test_cold_start_times_the_cli_and_the_import(vocab):
    timings = bench.cold_start(vocab, repeat=1)
    assert set(timings) == {"python -c 'import graph'", "ecgraph expose on the curated data (cold, end to end)"}
    assert all(t > 0 for t in timings.values())


@pytest.mark.parametrize("argv,message", [
    (["--repeat", "0"], "--repeat must be positive"),
    (["--sizes", "0"], "--sizes: '0' is not a positive size"),
    (["--sizes=-5k"], "--sizes: '-5k' is not a positive size"),
    (["--sizes", "10k,0"], "--sizes: '0' is not a positive size"),
    (["--limit", "0"], "--limit must be positive"),
])
def test_sizes_and_repeats_that_measure_nothing_are_refused_in_one_line(argv, message, capsys):
    assert bench.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_the_user_paths_run_the_cli_and_mark_what_misses_its_target(tmp_path):
    rows = bench.user_paths(tmp_path, triples=3000, csl=40, limit=300, stakes=3000, ftm=200)
    names = [r.name for r in rows]
    assert any(n.startswith("import csl") for n in names)
    # each named query's first run, the slowest run again (answered from its kept answer), and one with derived facts
    assert sum(n.startswith("named query") for n in names) == len(sparql.named_queries()) + 2
    assert any(n.startswith(f"named query asked again, the slowest of {len(sparql.named_queries())}") for n in names)
    for key in bench.USER_TARGETS:
        assert any(n.startswith(key) for n in names), key
    assert all(r.seconds is not None for r in rows), [(r.name, r.note) for r in rows if r.seconds is None]
    data = next(r for r in rows if r.name.startswith("--data 1M"))
    assert data.baseline and data.ratio_target == 8.0
    first = next(r for r in rows if r.name.startswith("first expose after the import"))
    ftm = next(r for r in rows if r.name.startswith("import ftm"))
    assert first.check and ftm.check, (first.note, ftm.note)  # progress seen on the terminal, memory flat
    assert any(r.name.startswith("expose --data REGISTRY, local (next run") for r in rows)
    silent = bench.UserRow("first expose after the import", 1.0, check=False, check_name="shows progress")
    assert silent.missed
    slow = bench.UserRow("expose (warm, in one process)", 0.5)
    assert slow.missed and not bench.UserRow("expose (warm, in one process)", 0.1).missed
    from rich.console import Console

    console = Console(record=True, width=200)
    console.print(bench.user_table([*rows, slow]))
    assert "MISSED" in console.export_text()
