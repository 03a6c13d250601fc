"""The first expose after an import builds the store and the traversal graph, and says so on stderr; later runs are quiet."""

from graph.surfaces.bench import generate_csl
from graph.surfaces.cli import main


def test_only_the_first_expose_after_an_import_reports_its_progress(tmp_path, capsys):
    csl = tmp_path / "consolidated.csv"
    party = generate_csl(csl, 30)["party"]
    assert main(["import", "csl", str(csl)]) == 0
    capsys.readouterr()
    expose = ["expose", "--chip", "H100", "--user", party, "--as-of", "2025-06-01", "--format", "json"]
    assert main(expose) == 0
    first = capsys.readouterr().err
    assert "first run after an import" in first and "traversal graph" in first
    assert main(expose) == 0
    assert "first run" not in capsys.readouterr().err
