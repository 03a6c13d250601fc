"""The ``ecgraph`` command line: each command parses, calls the library, prints.

Every command's docstring is its ``--help``. Errors a user can cause print one
line on stderr and exit 2 (``validate`` exits 1 on violations).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import List, Optional

import typer

from .errors import EcgraphError

app = typer.Typer(
    name="ecgraph",
    help="ecgraph: a knowledge graph of US export controls on advanced AI chips.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

DataOpt = typer.Option(None, "--data", "-d", help="Extra RDF file or folder to load on top of the curated set (repeatable).")
StoreOpt = typer.Option(None, "--store", help="Triple store: oxigraph (default) or memory.")
FormatOpt = typer.Option("table", "--format", help="Output format: table or json.")


def _console():
    from rich.console import Console

    return Console(soft_wrap=False, width=max(120, Console().width))


def load_graph(data: Optional[List[Path]] = None, store: Optional[str] = None, *, curated: bool = True):
    """Load the graph as every command does; user ``--data`` is validated against the shapes first."""
    from .load import load

    g = load(*(data or []), curated=curated, store=store)
    if data:
        from .validate import validate

        report = validate(g)
        if not report.conforms:
            first = report.violations[0]
            raise EcgraphError(
                f"--data breaks the shapes ({len(report.violations)} violations; first: {first.focus} "
                f"{first.path}: {first.message}); run 'ecgraph validate --data ...' for the list"
            )
    return g


def _print_json(value) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@app.command()
def info(
    data: Optional[List[Path]] = DataOpt,
    store: Optional[str] = StoreOpt,
    as_of: str = typer.Option("today", "--as-of", help="Date for rule status (YYYY-MM-DD)."),
    format: str = FormatOpt,
):
    """Counts by class, and every rule and guidance document with its status on a date."""
    from dataclasses import asdict

    from .describe import counts, instrument_statuses
    from .timeline import parse_date

    day = parse_date(as_of, what="--as-of")
    g = load_graph(data, store)
    numbers = {k: v for k, v in sorted(counts(g).items()) if v}
    statuses = instrument_statuses(g, day)
    if format == "json":
        _print_json({"as_of": day.isoformat(), "counts": numbers, "instruments": [asdict(s) for s in statuses]})
        return
    _check_format(format, ("table", "json"))
    from rich.table import Table

    console = _console()
    table = Table(title="What the graph holds")
    table.add_column("class")
    table.add_column("instances", justify="right")
    for name, n in numbers.items():
        table.add_row(name, str(n))
    console.print(table)
    rules = Table(title=f"Rules and guidance on {day.isoformat()}")
    for col in ("kind", "citation", "title", "status", "since"):
        rules.add_column(col)
    for s in statuses:
        rules.add_row(s.kind, s.citation, s.label, s.status, s.since)
    console.print(rules)


@app.command()
def show(
    name: str = typer.Argument(..., help="A label, alternative label, ISO code or IRI."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[str] = StoreOpt,
    format: str = FormatOpt,
):
    """Everything known about one entity, each fact with its sources and dates."""
    from dataclasses import asdict

    from .describe import facts_about
    from .names import label_of, resolve

    _check_format(format, ("table", "json"))
    g = load_graph(data, store)
    iri = resolve(g, name)
    facts = facts_about(g, iri)
    if format == "json":
        _print_json({"entity": str(iri), "label": label_of(g, iri), "facts": [asdict(f) for f in facts]})
        return
    from rich.table import Table

    table = Table(title=f"{label_of(g, iri)}  <{iri}>")
    for col in ("fact", "value", "from", "until", "sources"):
        table.add_column(col, overflow="fold")
    for f in facts:
        sources = ", ".join(_short_source(g, s) for s in f.sources)
        table.add_row(f.predicate_label, f.object_label, f.valid_from, f.valid_until, sources)
    _console().print(table)


def _short_source(g, iri: str) -> str:
    from rdflib import URIRef

    from .names import label_of
    from .namespace import ECG

    node = URIRef(iri)
    return str(g.value(node, ECG.frCitation) or label_of(g, node))


@app.command()
def validate(
    data: Optional[List[Path]] = DataOpt,
    store: Optional[str] = StoreOpt,
    no_curated: bool = typer.Option(False, "--no-curated", help="Validate only the given --data."),
):
    """Validate the curated data (and any --data) against the SHACL shapes: exit 0 conforms, 1 violations, 2 error."""
    from .load import load, load as _load  # noqa: F401
    from .validate import validate as run

    g = load(*(data or []), curated=not no_curated, store=store)
    if no_curated:  # the schema is still needed for class inference
        from .load import ontology_dir, parse_into

        parse_into(g, ontology_dir() / "ecg.ttl")
    report = run(g)
    if report.conforms:
        typer.echo("conforms: no violations")
        return
    for v in report.violations:
        typer.echo(f"{v.severity}: {v.focus} {v.path}: {v.message}")
    typer.echo(f"{len(report.violations)} violations")
    raise typer.Exit(1)


@app.command()
def demo(
    out: Path = typer.Option(Path("exports"), "--out", "-o", help="Folder for the views and files it writes."),
    store: Optional[str] = StoreOpt,
):
    """Build the curated graph, validate it, print what it holds and write the exports."""
    from .describe import counts
    from .validate import validate as run

    g = load_graph(None, store)
    report = run(g)
    typer.echo(f"loaded {len(g)} triples; shapes: {'conform' if report.conforms else f'{len(report.violations)} violations'}")
    numbers = counts(g)
    for name in ("Country", "CountryGroup", "GroupMembership", "Firm", "Ownership", "Chip", "ECCN",
                 "Rule", "Guidance", "Restriction", "Listing"):
        typer.echo(f"  {name:<16} {numbers.get(name, 0):>5}")
    out.mkdir(parents=True, exist_ok=True)
    if not report.conforms:
        raise typer.Exit(1)


def _check_format(value: str, allowed) -> None:
    if value not in allowed:
        raise EcgraphError(f"unknown format {value!r}; choose one of {', '.join(allowed)}")


def main(argv=None) -> int:
    """Entry point: run the app, turning ecgraph errors into one line on stderr and exit code 2."""
    try:
        app(args=argv, standalone_mode=False)
    except EcgraphError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # pragma: no cover - click's own exits
        return exc.code if isinstance(exc.code, int) else 1
    except Exception as exc:
        import click

        if isinstance(exc, click.exceptions.Abort):
            return 130
        if isinstance(exc, click.ClickException):
            exc.show()
            return exc.exit_code
        raise
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
