"""Shared fixtures: the curated graph on each store, and an empty data directory per test."""

import pytest

from graph.load import load


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
