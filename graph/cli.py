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
InferredOpt = typer.Option(True, "--inferred/--no-inferred", help="Add the engine's derived facts (graph <https://w3id.org/ecgraph/graph/inferred>): derived ECCNs, group membership on --as-of, shares held by listed owners, exposures of stored usages.")
AsOfInfOpt = typer.Option("today", "--as-of", help="Date for the inferred facts (YYYY-MM-DD).")


def _console():
    from rich.console import Console

    return Console(soft_wrap=False, width=max(120, Console().width))


def load_graph(data: Optional[List[Path]] = None, store: Optional[str] = None, *, curated: bool = True,
               read_only: bool = False):
    """Load the graph as every command does; user ``--data`` is validated against the shapes first.

    ``read_only`` commands may get the persistent on-disk store of the imports instead of a parse.
    """
    from .load import load

    g = load(*(data or []), curated=curated, store=store, persistent=read_only)
    if data:
        _check_user_data(g, data, curated=curated)
    return g


FULL_CHECK_TRIPLES = 20_000  # above this, --data gets the in-store value checks; the full SHACL run is on request


def _check_user_data(g, data, *, curated: bool) -> None:
    """Refuse --data that breaks the shapes: all of SHACL on small files, the values the engine reads on large ones.

    pySHACL copies the data into rdflib and walks it in Python: minutes for a million triples. Past
    :data:`FULL_CHECK_TRIPLES` the value constraints of the shapes run as SPARQL in the store instead
    (:mod:`graph.shapecheck`, under a second at a million triples), and a note says how to run the rest.
    """
    from .shapecheck import triples_in, violations

    graphs = getattr(g, "ecgraph_user_graphs", ())
    size = triples_in(g, graphs)
    if size <= FULL_CHECK_TRIPLES:  # validated with the curated set, not the stored imports (each was checked when made)
        from .validate import validate

        found = validate(load_user_data(data, curated=curated)).violations
    else:
        found = violations(g, graphs, counts=False)
        typer.echo(f"note: --data holds {size:,} triples: checked the values the engine reads (dates, numbers, "
                   "codes); run 'ecgraph validate --data ...' for the full SHACL check", err=True)
    if found:
        first = found[0]
        raise EcgraphError(
            f"--data breaks the shapes ({len(found)} violations; first: {first.focus} "
            f"{first.path}: {first.message}); run 'ecgraph validate --data ...' for the list"
        )


def load_user_data(data, *, curated: bool):
    """The --data files with the curated set, in memory, for pySHACL."""
    from .load import load

    return load(*data, curated=curated, imports=False, store="memory")


def _add_inferred(g, as_of: str) -> None:
    from .infer import add_inferences
    from .timeline import parse_date

    import gc

    gc.freeze()  # the loaded graph lives to the end of the process: the collector need not rescan it while deriving
    add_inferences(g, parse_date(as_of, what="--as-of"))


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
    g = load_graph(data, store, read_only=True)
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
    inferred: bool = InferredOpt,
    as_of: str = AsOfInfOpt,
    data: Optional[List[Path]] = DataOpt,
    store: Optional[str] = StoreOpt,
    format: str = FormatOpt,
):
    """Everything known about one entity, each fact with its sources and dates (derived facts marked as such)."""
    from dataclasses import asdict

    from .describe import facts_about
    from .names import label_of, resolve

    _check_format(format, ("table", "json"))
    g = load_graph(data, store)
    iri = resolve(g, name)
    if inferred:
        _add_inferred(g, as_of)
    facts = facts_about(g, iri)
    if format == "json":
        _print_json({"entity": str(iri), "label": label_of(g, iri), "facts": [asdict(f) for f in facts]})
        return
    from rich.table import Table

    own_sources = sorted({s for f in facts if not f.via and not f.derived for s in f.sources})
    table = Table(title=f"{label_of(g, iri)}  <{iri}>",
                  caption="its own facts are sourced from: " + "; ".join(_short_source(g, s) for s in own_sources)
                  if own_sources else None, caption_justify="left")
    for col in ("fact", "value", "from", "until", "sources"):
        table.add_column(col, overflow="fold")
    for f in facts:
        sources = ", ".join(_short_source(g, s) for s in f.sources) if f.via else ""
        if f.derived:
            sources = f"derived by ecgraph (as of {as_of})"
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
    imports: bool = typer.Option(False, "--imports/--no-imports", help="Also validate the stored imports."),
):
    """Validate the curated data (and any --data) against the SHACL shapes: exit 0 conforms, 1 violations, 2 error."""
    from .load import load, ontology_dir, parse_into
    from .validate import validate as run

    g = load(*(data or []), curated=not no_curated, imports=imports, store=store)
    if no_curated:  # the schema is still needed for class inference
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
def expose(
    chip: Optional[str] = typer.Option(None, "--chip", help="The chip (label, alternative label or IRI)."),
    activity: str = typer.Option("inference", "--activity", help="training, inference, resale, servicing, financing, evaluation."),
    user: Optional[str] = typer.Option(None, "--user", help="The party that holds and uses the chips (a name in the graph)."),
    for_: Optional[str] = typer.Option(None, "--for", help="The party on whose behalf they are used."),
    supplier: Optional[str] = typer.Option(None, "--supplier", help="The party that supplies them."),
    user_country: Optional[str] = typer.Option(None, "--user-country", help="An unnamed user headquartered in this country."),
    for_country: Optional[str] = typer.Option(None, "--for-country", help="An unnamed party on whose behalf, headquartered here."),
    supplier_country: Optional[str] = typer.Option(None, "--supplier-country", help="An unnamed supplier headquartered here."),
    where: Optional[str] = typer.Option(None, "--where", help="Country where the chips are used (default: the user's)."),
    shipped_from: Optional[str] = typer.Option(None, "--from", help="Country the chips are exported from (default: the supplier's)."),
    end_use: Optional[List[str]] = typer.Option(None, "--end-use", help="A known end use (wmd, military-intelligence); repeatable."),
    red_flag: Optional[List[str]] = typer.Option(None, "--red-flag", help="A diversion red flag the usage carries; repeatable."),
    as_of: str = typer.Option("today", "--as-of", help="Date of the assessment (YYYY-MM-DD)."),
    usage: Optional[Path] = typer.Option(None, "--usage", help="Read usages from a JSON or Turtle file instead (one answer each)."),
    rdf_out: Optional[Path] = typer.Option(None, "--rdf", help="Also write the exposures as RDF (Turtle) to this file."),
    html_out: Optional[Path] = typer.Option(None, "--html", help="Also write an interactive HTML graph of the exposures (one file per usage)."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[str] = StoreOpt,
    format: str = FormatOpt,
    endpoint: Optional[str] = typer.Option(None, "--endpoint", help="Answer from a remote SPARQL 1.1 store (its query URL; union default graph), fetching only the usage's neighbourhood."),
):
    """Which parties a chip usage exposes, to which rule, and why (with the path of facts and sources)."""
    from .exposure import answer_json, exposures, to_rdf
    from .usage import usage_from_names, usages_from_file

    _check_format(format, ("table", "json"))
    if endpoint:
        from . import remote

        if usage is not None or not chip or data:
            raise EcgraphError("--endpoint takes --chip and the parties (not --usage or --data)")
        vocab = remote.vocabulary(endpoint)
        usages = [remote.usage_from_names(
            endpoint, vocab=vocab, chip=chip, activity=activity, user=user, for_=for_, supplier=supplier,
            user_country=user_country, for_country=for_country, supplier_country=supplier_country, where=where,
            shipped_from=shipped_from, end_uses=end_use or (), red_flags=red_flag or (), as_of=as_of)]
        g = remote.neighbourhood(endpoint, usages[0], vocab=vocab)
    elif usage is not None:
        g = _prepared(data, store)
        usages = usages_from_file(g, usage)
    elif chip:
        g = _prepared(data, store)
        usages = [usage_from_names(
            g, chip=chip, activity=activity, user=user, for_=for_, supplier=supplier, user_country=user_country,
            for_country=for_country, supplier_country=supplier_country, where=where, shipped_from=shipped_from,
            end_uses=end_use or (), red_flags=red_flag or (), as_of=as_of)]
    else:
        raise EcgraphError("give --chip NAME (with the parties) or --usage FILE")
    answers = [exposures(g, u) for u in usages]
    notes = _coverage_notes(g)
    if html_out is not None:
        from .render import write_exposure_html

        for path in write_exposure_html(g, answers, html_out):
            typer.echo(f"wrote {path}", err=True)
    if rdf_out is not None:
        from rdflib import Graph

        out = Graph()
        for a in answers:
            out += to_rdf(a)
        out.serialize(rdf_out, format="turtle")
    if format == "json":
        values = [{**answer_json(a), "notes": notes} for a in answers]
        _print_json(values[0] if usage is None else values)
        return
    for a in answers:
        _print_answer(g, a)
    for note in notes:
        typer.secho(f"note: {note}", fg="yellow", err=True)


def _prepared(data, store):
    """The graph and its traversal graph for expose, with progress on stderr when they must be built first.

    The first run after an import builds the on-disk store and the traversal graph (seconds at a full
    list); later runs read both back. Only that first run says what it is doing.
    """
    from .exposure import traversal_graph
    from .load import store_is_current, stored_imports

    steps = []
    if not data and not store_is_current():
        steps.append("building the on-disk store of the imports (first run after an import)")
    with _progress() as say:
        if steps:
            say(steps[0])
        g = load_graph(data, store, read_only=True)
        from .exposure import _cache_file

        cache = _cache_file(g)
        if cache is not None and not cache.is_file() and (steps or data or stored_imports()):
            say("building the traversal graph (first run on this data; kept for the next runs)")
        traversal_graph(g)
    import gc

    gc.freeze()  # a short-lived process: the loaded graphs live to its end, so the collector need not rescan them
    return g


def _progress():
    """A context giving ``say(text)``: a rich spinner on a terminal's stderr, else one line per step."""
    from contextlib import contextmanager

    from rich.console import Console

    @contextmanager
    def run():
        err = Console(stderr=True)
        if not err.is_terminal:
            yield lambda text: typer.echo(f"{text} ...", err=True)
            return
        with err.status("") as status:
            yield lambda text: status.update(f"{text} ...")

    return run()


def _coverage_notes(g) -> list[str]:
    """What the answer cannot see: screening lists beyond the curated listings when no list is imported."""
    from .load import stored_imports

    if stored_imports():
        return []
    n = int(next(iter(g.query("SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE { ?l a ecg:Listing }",
                              initNs={"ecg": "https://w3id.org/ecgraph/ontology#"})))[0])
    return [f"screening lists are covered only as far as the curated data goes ({n} listings); import the "
            "Consolidated Screening List (ecgraph import csl FILE) to screen every listed party"]


def _usage_words(g, u) -> str:
    from rdflib import URIRef

    from .names import label_of

    def name(iri, country, word):
        if iri:
            return f"{word} {label_of(g, URIRef(iri))}"
        return f"{word} an unnamed party in {label_of(g, URIRef(country))}" if country else ""

    parts = [label_of(g, URIRef(u.chip)), label_of(g, URIRef(u.activity)),
             name(u.user, u.user_country, "by"), name(u.for_, u.for_country, "for"),
             name(u.supplier, u.supplier_country, "supplied by"),
             f"in {label_of(g, URIRef(u.where))}" if u.where else "", f"on {u.as_of}"]
    return ", ".join(p for p in parts if p)


def _print_answer(g, answer) -> None:
    from rich.table import Table

    u = answer.usage
    console = _console()
    console.print(f"[bold]{_usage_words(g, u)}[/bold]")
    if not answer.exposures:
        console.print(f"No exposure found: {len(answer.checked)} restrictions checked.")
    by_party: dict = {}
    for e in answer.exposures:
        by_party.setdefault((e.party_label or "(rule status)", e.role), []).append(e)
    for (party, role), items in by_party.items():
        table = Table(title=f"{party}" + (f" — {role}" if role else ""), title_justify="left", show_lines=True)
        for col in ("severity", "restriction", "policy", "citations", "why"):
            table.add_column(col, overflow="fold")
        for e in items:
            table.add_row(e.severity_label, e.restriction_label, e.policy_label, "; ".join(e.citations), e.explanation)
        console.print(table)
    quiet = [c for c in answer.checked if c.result == "not applicable"]
    console.print(f"[dim]checked {len(answer.checked)} restrictions; {len(quiet)} did not apply "
                  "(use --format json for each reason)[/dim]")


@app.command()
def demo(
    out: Path = typer.Option(Path("exports"), "--out", "-o", help="Folder for the views and files it writes."),
    store: Optional[str] = StoreOpt,
):
    """Build the curated graph, validate it, print what it holds, answer the shared scenarios and write the exports."""
    from .describe import counts
    from .exposure import exposures
    from .load import load, ontology_dir
    from .usage import usages_from_file
    from .validate import validate as run

    examples = ontology_dir() / "examples"
    g = load(examples / "scenario_firms.ttl", store=store)
    report = run(g)
    typer.echo(f"loaded {len(g)} triples; shapes: {'conform' if report.conforms else f'{len(report.violations)} violations'}")
    numbers = counts(g)
    for name in ("Country", "CountryGroup", "GroupMembership", "Firm", "Ownership", "Chip", "ECCN",
                 "Rule", "Guidance", "Restriction", "Listing"):
        typer.echo(f"  {name:<16} {numbers.get(name, 0):>5}")
    typer.echo("The shared scenarios (usages in ontology/examples/scenarios.json; firms named 'Example' are hypothetical):")
    for i, usage in enumerate(usages_from_file(g, examples / "scenarios.json"), 1):
        answer = exposures(g, usage)
        typer.echo(f"  {i}. {_usage_words(g, usage)}")
        for e in answer.exposures:
            policy = f", {e.policy_label}" if e.policy_label else ""
            typer.echo(f"     - {e.severity_label}{policy}: {e.party_label or 'nobody'} ({e.role or 'rule status'})"
                       f" <- {e.restriction_label} [{'; '.join(e.citations)}]")
        if not answer.exposures:
            typer.echo(f"     - no exposure ({len(answer.checked)} restrictions checked)")
    out.mkdir(parents=True, exist_ok=True)
    import shutil

    shutil.copytree(examples, out / "examples", dirs_exist_ok=True)  # so users can rerun them by hand
    typer.echo(f"copied the example firms and usages to {out / 'examples'}; try: ecgraph expose "
               f"--usage {out / 'examples' / 'scenarios.json'} --data {out / 'examples' / 'scenario_firms.ttl'}")
    from .render import write_gallery

    typer.echo(f"wrote {write_gallery(g, out)} (interactive graphs; open it in a browser)")
    if not report.conforms:
        raise typer.Exit(1)


QUERY_TIMEOUT = 30.0  # seconds a query may run unless --timeout says otherwise; every named query takes under 1 s


@app.command()
def query(
    text: Optional[str] = typer.Argument(None, help="SPARQL text, or the name of a shipped query (see --list)."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="Read the query from this .rq file."),
    list_: bool = typer.Option(False, "--list", help="List the shipped named queries with what each answers."),
    bind: Optional[List[str]] = typer.Option(None, "--bind", "-b", help="name=value bound to ?name (repeatable): <iri>, prefix:local, YYYY-MM-DD, a number, else a string."),
    format: Optional[str] = typer.Option(None, "--format", help="table|csv|tsv|json|xml for SELECT (table|json|xml for ASK); turtle|nt|jsonld|xml for CONSTRUCT/DESCRIBE."),
    endpoint: Optional[str] = typer.Option(None, "--endpoint", help="Ask this remote SPARQL 1.1 endpoint instead of the local graph."),
    timeout: float = typer.Option(QUERY_TIMEOUT, "--timeout", help="Give up after this many seconds (0: no limit)."),
    inferred: bool = InferredOpt,
    as_of: str = AsOfInfOpt,
    data: Optional[List[Path]] = DataOpt,
    store: Optional[str] = StoreOpt,
):
    """Run a SPARQL query (text, -f FILE, or a named query) on the graph or a remote endpoint; values are bound with --bind."""
    from . import sparql

    if list_:
        for name in sparql.named_queries():
            nq = sparql.named_query(name)
            params = " ".join(f"?{p.name}" for p in nq.params)
            typer.echo(f"{name:<30} {nq.summary}" + (f"  [bind {params}]" if params else ""))
        return
    if format is not None and format not in sparql.SELECT_FORMATS + sparql.GRAPH_FORMATS:
        sparql.check_format("SELECT", format)
    if file is not None and text is not None:
        raise EcgraphError("give the query as text, a name, or -f FILE, not two of them")
    params: tuple = ()
    if file is not None:
        if not file.is_file():
            raise EcgraphError(f"{file}: no such query file")
        text = file.read_text(encoding="utf-8")
    elif text is None:
        raise EcgraphError("no query: give SPARQL text, a named query (ecgraph query --list) or -f FILE")
    elif sparql.looks_like_name(text):
        named = sparql.named_query(text.strip())
        text, params = named.text, named.params
    # without derived facts nothing is written to the graph: the on-disk store of the imports serves it (0.3 s to
    # open against 2 s of parsing a full CSL; it is slower on joins of many rows, listings-on-date 6.7 s vs 0.5 s)
    g = None if endpoint else load_graph(data, store, read_only=not inferred)
    if g is not None and inferred:
        _add_inferred(g, as_of)
    bindings = sparql.parse_bindings(bind, params=params, g=g)
    if timeout < 0:
        raise EcgraphError(f"--timeout must be 0 (no limit) or a number of seconds, not {timeout:g}")
    result = sparql.query(g, text, bindings=bindings, endpoint=endpoint, timeout=timeout or None)
    typer.echo(sparql.format_result(result, format))


import_app = typer.Typer(
    help="Import external lists (the Consolidated Screening List) into the local store; --list and --remove manage it.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(import_app, name="import")


@import_app.callback()
def import_store(
    ctx: typer.Context,
    list_: bool = typer.Option(False, "--list", help="List the imports kept in the store."),
    remove: Optional[str] = typer.Option(None, "--remove", metavar="NAME", help="Delete the import called NAME."),
    format: str = FormatOpt,
):
    """Import external lists (the Consolidated Screening List) into the local store; --list and --remove manage it.

    Imports are kept in $ECGRAPH_DATA_DIR/imports (default ~/.local/share/ecgraph/imports)
    and loaded with the curated data by every command.
    """
    from dataclasses import asdict

    from .imports import list_imports, remove_import

    if ctx.invoked_subcommand is not None:
        if list_ or remove:
            raise EcgraphError("--list and --remove are used without a subcommand: 'ecgraph import --list'")
        return
    _check_format(format, ("table", "json"))
    if list_ and remove:
        raise EcgraphError("choose one of --list and --remove")
    if remove:
        gone = remove_import(remove)
        typer.echo(f"removed import {gone.name} ({gone.file}, {gone.imported} listings)")
        return
    if not list_:
        typer.echo(ctx.get_help())
        return
    stored = list_imports()
    if format == "json":
        _print_json([asdict(s) for s in stored])
        return
    if not stored:
        typer.echo("no imports; add one with 'ecgraph import csl FILE'")
        return
    from rich.table import Table

    table = Table(title="Imports")
    for col in ("name", "kind", "file", "imported on", "listings", "linked", "review", "skipped", "added", "ended",
                "status"):
        table.add_column(col, justify="right" if col in ("listings", "linked", "review", "skipped", "added", "ended") else "left")
    for s in stored:
        status = f"superseded by {s.superseded_by}" if s.superseded_by else ("loaded (partial)" if s.partial else "loaded")
        table.add_row(s.name, s.kind, s.file, s.started[:10], str(s.imported), str(s.linked), str(s.review),
                      str(s.skipped), str(s.added), str(s.ended), status)
    _console().print(table)


@import_app.command("csl")
def import_csl(
    file: Path = typer.Argument(..., help="consolidated.csv, .tsv or .json from trade.gov."),
    name: Optional[str] = typer.Option(None, "--name", help="Name of the import (default csl-<date>-<hash>)."),
    partial: bool = typer.Option(False, "--partial", help="The file holds only some records (a filtered search): end no listing, supersede no import."),
    store: Optional[str] = StoreOpt,
    format: str = FormatOpt,
):
    """Import a Consolidated Screening List file: parties, listings, links to curated firms, with the file as source.

    Bad rows (broken, bad date, unknown list, duplicate) are reported with their row
    number and skipped. Importing the same file again changes nothing; a newer file
    records which listings were added and which ended.
    """
    from dataclasses import asdict

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .imports import add_import
    from .load import load

    _check_format(format, ("table", "json"))
    g = load(imports=False, store=store)
    err = Console(stderr=True)
    if err.is_terminal:  # a bar only where someone watches; never in pipes and logs
        with Progress(TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("import", total=None)
            summary = add_import(file, g, name=name, partial=partial,
                                 progress=lambda done, total: bar.update(task, completed=done, total=total))
    else:
        summary = add_import(file, g, name=name, partial=partial)
    if format == "json":
        _print_json({**asdict(summary), "skipped": summary.skipped, "reasons": summary.reasons()})
        return
    if summary.unchanged:
        typer.echo(f"unchanged: {file} (sha256 {summary.sha256[:12]}) is already imported as {summary.name}")
        return
    typer.echo(f"imported {summary.imported} of {summary.records} records from {file} as {summary.name} "
               f"({summary.added} added, {summary.ended} ended since the previous import)")
    typer.echo(f"linked {len(summary.linked)} to curated parties; {len(summary.review)} weak matches for review")
    for m in summary.linked:
        typer.echo(f"  linked  {m.record_name} = {m.party_name} <{m.party}> (score {m.score:g})")
    for m in summary.review:
        typer.echo(f"  review  {m.record_name} ~ {m.party_name} <{m.party}> (score {m.score:g})")
    reasons = ", ".join(f"{n} {why}" for why, n in sorted(summary.reasons().items()))
    typer.echo(f"skipped {summary.skipped}" + (f": {reasons}" if reasons else ""))
    shown = 20
    for p in summary.problems[:shown]:
        typer.echo(f"  {p}")
    if len(summary.problems) > shown:
        typer.echo(f"  ... and {len(summary.problems) - shown} more (--format json lists them all)")


@app.command()
def view(
    name: Optional[str] = typer.Argument(None, help="The entity to centre on: a label, alternative label, ISO code or IRI."),
    depth: int = typer.Option(2, "--depth", help="Hops from the entity, in either direction."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Leave out facts that do not hold on this date (YYYY-MM-DD)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="HTML file to write (default exports/NAME.html)."),
    query: bool = typer.Option(False, "--query", help="Draw the result of a SPARQL CONSTRUCT query read from -f."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="The CONSTRUCT query file for --query."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[str] = StoreOpt,
):
    """Write an interactive HTML graph of an entity's neighbourhood (or of a CONSTRUCT result) that works offline."""
    from .render import entity_view, query_view, slug, write_html

    if query:
        if file is None or name is not None:
            raise EcgraphError("view --query takes no NAME and needs -f FILE with a CONSTRUCT query")
        if not file.is_file():
            raise EcgraphError(f"query file {file} does not exist")
        g = load_graph(data, store)
        result = query_view(g, file.read_text(encoding="utf-8"), title=f"CONSTRUCT result of {file.name}", where=str(file))
        target = out or Path("exports") / f"{slug(file.stem)}.html"
    else:
        if name is None:
            raise EcgraphError("view needs a NAME (or --query -f FILE)")
        g = load_graph(data, store)
        result = entity_view(g, name, depth=depth, as_of=as_of)
        target = out or Path("exports") / f"{slug(name)}.html"
    write_html(target, result.html)
    capped = f" (capped from {result.total_nodes:,})" if result.total_nodes > result.nodes else ""
    typer.echo(f"wrote {target}: {result.nodes:,} nodes{capped}, {result.edges:,} edges")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; 127.0.0.1 keeps it to this machine."),
    port: int = typer.Option(7878, "--port", min=1, max=65535, help="Port to listen on."),
    data: Optional[List[Path]] = DataOpt,
    no_curated: bool = typer.Option(False, "--no-curated", help="Serve only the given --data, not the curated graph."),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds a query may run before it is stopped."),
    max_rows: int = typer.Option(10000, "--max-rows", help="Most rows (or triples) an answer may have."),
    workers: int = typer.Option(2, "--workers", help="Query worker processes (queries answered at once)."),
    exports: Path = typer.Option(Path("exports"), "--exports", help="Folder of exported views linked from the start page."),
    inferred: bool = InferredOpt,
    as_of: str = AsOfInfOpt,
):
    """Serve the graph as a read-only SPARQL 1.1 endpoint at http://HOST:PORT/sparql, with a query form at /."""
    from .server import serve as run

    if no_curated:
        if not data:
            raise EcgraphError("--no-curated needs --data: there would be nothing to serve")
        from .load import load

        g = load(*data, curated=False, imports=False, store="oxigraph")
    else:
        g = load_graph(data, "oxigraph")
    if inferred:
        _add_inferred(g, as_of)
    run(g, host=host, port=port, timeout=timeout, max_rows=max_rows, workers=workers, exports=exports)


@app.command("export")
def export_graph(
    out: Path = typer.Option(..., "--out", "-o", help="File to write."),
    format: Optional[str] = typer.Option(
        None, "--format", "-f", help="ttl, nt, jsonld, trig, nq, graphml, gexf or csv; default from the -o suffix."),
    query_file: Optional[Path] = typer.Option(None, "--query", "-q", help="SPARQL CONSTRUCT file: export its result."),
    subgraph: Optional[str] = typer.Option(None, "--subgraph", help="Export only the neighbourhood of this entity."),
    depth: int = typer.Option(1, "--depth", help="Hops around --subgraph (default 1)."),
    table: str = typer.Option("listings", "--table", help="For csv: listings or exposures."),
    usage: Optional[Path] = typer.Option(None, "--usage", help="For --table exposures: JSON or RDF file of chip usages."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[str] = StoreOpt,
):
    """Write the graph (or a --subgraph / --query selection) as RDF, GraphML/GEXF, or a CSV of listings or exposures."""
    from .errors import InputError
    from .export import export

    if out.is_dir():
        raise InputError(f"{out}: is a folder; give the file to write with -o")

    if query_file is not None and subgraph is not None:
        raise InputError("choose one of --query and --subgraph")
    text = None
    if query_file is not None:
        if not query_file.is_file():
            raise InputError(f"{query_file}: no such query file")
        text = query_file.read_text(encoding="utf-8")
    g = load_graph(data, store)
    usages = ()
    if usage is not None:
        from .usage import usages_from_file

        usages = usages_from_file(g, usage)
    try:
        written = export(g, format, out, query=text, subgraph=subgraph, depth=depth, table=table, usages=usages)
    except EcgraphError as exc:
        if query_file is not None and "quer" in str(exc):
            raise type(exc)(f"{query_file}: {exc}") from None
        raise
    typer.echo(str(written))


@app.command()
def push(
    store_url: str = typer.Argument(..., help="The store's Graph Store endpoint, e.g. http://127.0.0.1:7878/store (Oxigraph)."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[str] = StoreOpt,
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for each graph upload."),
):
    """Copy the graph, named graph by named graph, into a SPARQL 1.1 store with the Graph Store HTTP Protocol."""
    from .sparql import push as run

    g = load_graph(data, store)
    for name, n in run(g, store_url, timeout=timeout).items():
        typer.echo(f"{n:>9} triples -> {name}")


@app.command()
def bench(
    sizes: str = typer.Option("10k,100k,1m", "--sizes", help="Comma-separated graph sizes in triples (10k,100k,1m)."),
    repeat: int = typer.Option(5, "--repeat", help="Runs per measurement; the median is printed."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Also measure rdflib's in-memory store."),
    limit: float = typer.Option(30.0, "--limit", help="Seconds allowed per measurement; past it: '> N s (stopped)'."),
    cold: bool = typer.Option(True, "--cold/--no-cold", help="Also time 'import graph' and a cold 'ecgraph expose'."),
    paths: str = typer.Option("1m", "--paths", help="Size of the --data file and ownership graph for the user paths (each 'ecgraph ...' command timed against its target); 0 skips them."),
    csl: int = typer.Option(26000, "--csl", help="CSL records imported for the user paths."),
):
    """Benchmark the CLI paths a user takes against their targets, and load, SPARQL, expose and rendering on synthetic graphs."""
    from .bench import parse_sizes, run

    size = 0 if paths.strip() == "0" else parse_sizes(paths)[0][1]
    run(parse_sizes(sizes), repeat=repeat, baseline=baseline, limit=limit, cold=cold,
        paths=size, csl=csl)


def _check_format(value: str, allowed) -> None:
    if value not in allowed:
        raise EcgraphError(f"unknown format {value!r}; choose one of {', '.join(allowed)}")


def main(argv=None) -> int:
    """Entry point: run the app, turning ecgraph errors into one line on stderr and exit code 2."""
    try:
        code = app(args=argv, standalone_mode=False)
        if isinstance(code, int):  # click returns the code of typer.Exit when not standalone
            return code
    except EcgraphError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # pragma: no cover - click's own exits
        return exc.code if isinstance(exc.code, int) else 1
    except OSError as exc:  # a path that cannot be written or read: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(f"error: {where}{exc.strerror or exc}", err=True)
        return 2
    except Exception as exc:
        # typer vendors click; its usage errors (unknown option, bad number, ...) have show() and exit_code
        if type(exc).__name__ == "Abort":
            return 130
        if hasattr(exc, "exit_code") and hasattr(exc, "format_message"):
            typer.echo(f"error: {exc.format_message()}" + _usage_hint(exc), err=True)
            return 2
        raise
    return 0


def _usage_hint(exc) -> str:
    ctx = getattr(exc, "ctx", None)
    return f" (see '{ctx.command_path} --help')" if ctx is not None else " (see 'ecgraph --help')"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
