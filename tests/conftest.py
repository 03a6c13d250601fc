"""Shared fixtures: the curated graph on each store, an empty data directory per test, a real Oxigraph server."""

import os
import shutil
import socket
import subprocess
import time
import urllib.request

import pytest

from graph.store.load import load


@pytest.fixture(autouse=True)
def _private_data_dir(tmp_path, monkeypatch):
    """Each test sees its own empty import store, never the user's."""
    monkeypatch.setenv("ECGRAPH_DATA_DIR", str(tmp_path / "ecgraph-data"))


@pytest.fixture(scope="session", params=["oxigraph", "memory"])
def g(request):
    """The curated graph (ontology + data, no imports), once per store."""
    return load(imports=False, store=request.param)


@pytest.fixture(scope="session")
def curated():
    """The curated graph on the default store."""
    return load(imports=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _oxigraph(tmp_path_factory, *args):
    """Start ``oxigraph serve`` (the binary from the oxigraph PyPI package) on a free loopback port."""
    binary = shutil.which("oxigraph")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("the oxigraph binary (pip install oxigraph) is required in CI")
        pytest.skip("the oxigraph binary is not installed")
    port = _free_port()
    proc = subprocess.Popen([binary, "serve", "--location", str(tmp_path_factory.mktemp("oxigraph-db")),
                             "--bind", f"127.0.0.1:{port}", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(f"{base}/query?query=ASK%7B%7D", timeout=1).read()
            return proc, base
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"oxigraph serve exited: {proc.stderr.read().decode()[-300:]}")
            time.sleep(0.05)
    proc.kill()
    pytest.fail("oxigraph serve did not start")


@pytest.fixture(scope="module")
def oxigraph_server(tmp_path_factory):
    """An empty Oxigraph server; yields its base URL."""
    proc, base = _oxigraph(tmp_path_factory)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def oxigraph_union_server(tmp_path_factory):
    """An empty Oxigraph server whose default graph is the union of its named graphs; yields its base URL."""
    proc, base = _oxigraph(tmp_path_factory, "--union-default-graph")
    yield base
    proc.terminate()
    proc.wait(timeout=10)
