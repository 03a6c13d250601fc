"""The ``ecgraph`` command line: each command parses, calls the library, prints.

Every command's docstring is its ``--help``. Errors a user can cause print one
line on stderr and exit 2 (``validate`` exits 1 on violations).
"""

from __future__ import annotations


import json
import os
import re
import sys
from pathlib import Path
from typing import List, Literal, Optional

import typer

from ..errors import EcgraphError
from .terminal import cell, markup_safe, printable

app = typer.Typer(
    name="ecgraph",
    help="ecgraph: a knowledge graph of US export controls on advanced AI chips.\n\n"
         "--data FILE and --store NAME may come before the command too: 'ecgraph --data FILE query ...'.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
TableOrJson = Literal["table", "json"]
StoreName = Literal["oxigraph", "memory"]

DataOpt = typer.Option(None, "--data", "-d", help="Extra RDF file or folder to load on top of the curated set (repeatable).")
StoreOpt = typer.Option(None, "--store", help="Triple store: oxigraph (default) or memory.")
FormatOpt = typer.Option("table", "--format", help="Output format: table or json.")
InferredOpt = typer.Option(True, "--inferred/--no-inferred", help="Add the engine's derived facts (graph <https://w3id.org/ecgraph/graph/inferred>): derived ECCNs, group membership on --as-of, shares held by listed owners, exposures of stored usages.")
AsOfInfOpt = typer.Option("today", "--as-of", help="Date for the inferred facts (YYYY-MM-DD).")


def _console():
    from rich.console import Console

    return Console(soft_wrap=False, width=max(120, Console().width))


def load_graph(data: Optional[List[Path]] = None, store: Optional[str] = None, *, curated: bool = True,
               read_only: bool = False, inferred_on: Optional[str] = None, then=None):
    """Load the graph as every command does; user ``--data`` is validated against the shapes first.

    ``read_only`` commands may get the persistent on-disk store of the imports instead of a parse.
    ``inferred_on`` (an --as-of date): with the engine's derived facts of that date, which a read-only
    command finds kept in the on-disk store (derived there by the first query of the date).
    ``then``: what the command does with the graph; given, its result is returned instead of the graph, and
    on large --data it runs while the values are checked in the store (both let go of the interpreter),
    its result kept back unless the checks pass.
    """
    from ..store.load import default_store, load

    if inferred_on is not None and read_only and not data and curated and (store or default_store()) == "oxigraph":
        from ..reasoning.infer import stored_with_inferences
        from ..reasoning.timeline import parse_date

        g = stored_with_inferences(parse_date(inferred_on, what="--as-of"),
                                   note=lambda text: typer.echo(f"{text} ...", err=True))
        if g is not None:
            return g if then is None else then(g)
    g = load(*(data or []), curated=curated, store=store, persistent=read_only and inferred_on is None)
    if data and then is not None:
        if inferred_on is None:
            return _check_user_data(g, data, curated=curated, meanwhile=then)

        # derived beside the checks (both only read the store), written once the data has passed them
        quads = _check_user_data(g, data, curated=curated, meanwhile=lambda g: _inferred_quads(g, inferred_on))
        if quads is None:  # not an Oxigraph store: derived and written in one step
            _add_inferred(g, inferred_on)
        else:
            from ..reasoning.infer import put_inferred

            put_inferred(g, quads)
        return then(g)
    if data:
        _check_user_data(g, data, curated=curated)
    if inferred_on is not None:
        _add_inferred(g, inferred_on)
    return g if then is None else then(g)


FULL_CHECK_TRIPLES = 20_000  # above this, --data gets the in-store value checks; the full SHACL run is on request


def _check_user_data(g, data, *, curated: bool, meanwhile=None):
    """Refuse --data that breaks the shapes: all of SHACL on small files, the values the engine reads on large ones.

    pySHACL copies the data into rdflib and walks it in Python: minutes for a million triples. Past
    :data:`FULL_CHECK_TRIPLES` the value constraints of the shapes run as SPARQL in the store instead
    (:mod:`graph.reasoning.shapecheck`, under a second at a million triples), and a note says how to run the rest.
    ``meanwhile(g)``, when given, is run (on large files while the checks run) and its result returned once
    the data passes.
    """
    from ..reasoning.shapecheck import triples_in, violations

    graphs = getattr(g, "ecgraph_user_graphs", ())
    size = triples_in(g, graphs, at_most=FULL_CHECK_TRIPLES + 1)  # counting all of a large file costs a walk of it
    answer = None
    if size <= FULL_CHECK_TRIPLES:  # validated with the curated set, not the stored imports (each was checked when made)
        from ..store.validate import validate

        found = validate(load_user_data(data, curated=curated)).violations
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecgraph-command") as pool:
            answer = pool.submit(meanwhile, g) if meanwhile is not None else None
            found = violations(g, graphs, counts=False)
        typer.echo(f"note: --data holds more than {FULL_CHECK_TRIPLES:,} triples: checked the values the engine reads "
                   "(dates, numbers, codes); run 'ecgraph validate --data ...' for the full SHACL check", err=True)
    if found:
        first = found[0]
        raise EcgraphError(
            f"--data breaks the shapes ({len(found)} violations; first: {first.focus} "
            f"{first.path}: {first.message}); run 'ecgraph validate --data ...' for the list"
        )
    if meanwhile is None:
        return None
    return answer.result() if answer is not None else meanwhile(g)  # result() raises what the command raised


def load_user_data(data, *, curated: bool):
    """The --data files with the curated set, in memory, for pySHACL."""
    from ..store.load import load

    return load(*data, curated=curated, imports=False, store="memory")


def _inferred_quads(g, as_of: str):
    """The derived facts of ``as_of``, not yet written (:func:`graph.reasoning.infer.inferred_quads`)."""
    from ..reasoning.infer import inferred_quads
    from ..reasoning.timeline import parse_date

    import gc

    gc.freeze()  # as in _add_inferred
    return inferred_quads(g, parse_date(as_of, what="--as-of"))


def _add_inferred(g, as_of: str) -> None:
    from ..reasoning.infer import add_inferences
    from ..reasoning.timeline import parse_date

    import gc

    gc.freeze()  # the loaded graph lives to the end of the process: the collector need not rescan it while deriving
    add_inferences(g, parse_date(as_of, what="--as-of"))


def _print_json(value) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


@app.command()
def info(
    data: Optional[List[Path]] = DataOpt,
    store: Optional[StoreName] = StoreOpt,
    as_of: str = typer.Option("today", "--as-of", help="Date for rule status (YYYY-MM-DD)."),
    format: TableOrJson = FormatOpt,
):
    """Counts by class, and every rule and guidance document with its status on a date."""
    from dataclasses import asdict

    from ..reasoning.describe import counts, instrument_statuses
    from ..reasoning.timeline import parse_date

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
        table.add_row(cell(name), str(n))
    console.print(table)
    rules = Table(title=f"Rules and guidance on {day.isoformat()}, by the date their status began (or begins)")
    for col in ("kind", "citation", "title", "status", "since"):
        rules.add_column(col)
    for s in statuses:
        rules.add_row(*map(cell, (s.kind, s.citation, s.label, s.status, s.since)))
    console.print(rules)


@app.command()
def show(
    name: str = typer.Argument(..., help="A label, alternative label, ISO code, Federal Register citation (\"90 FR 47201\") or document number (2025-00711), or IRI."),
    inferred: bool = InferredOpt,
    as_of: str = AsOfInfOpt,
    data: Optional[List[Path]] = DataOpt,
    store: Optional[StoreName] = StoreOpt,
    format: TableOrJson = FormatOpt,
):
    """Everything known about one entity, each fact with its sources and dates (derived facts marked as such)."""
    from dataclasses import asdict

    from ..reasoning.describe import facts_about
    from ..store.names import label_of, resolve

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
    table = Table(title=cell(f"{label_of(g, iri)}  <{iri}>"),
                  caption=cell("its own facts are sourced from: " + "; ".join(_short_source(g, s) for s in own_sources))
                  if own_sources else None, caption_justify="left")
    for col in ("fact", "value", "from", "until", "sources"):
        table.add_column(col, overflow="fold")
    for f in facts:
        sources = ", ".join(_short_source(g, s) for s in f.sources) if f.via else ""
        if f.derived:
            sources = f"derived by ecgraph (as of {as_of})"
        table.add_row(*map(cell, (f.predicate_label, f.object_label, f.valid_from, f.valid_until, sources)))
    _console().print(table)


def _short_source(g, iri: str) -> str:
    from rdflib import URIRef

    from ..store.names import label_of
    from ..namespace import ECG

    node = URIRef(iri)
    return str(g.value(node, ECG.frCitation) or label_of(g, node))


@app.command()
def validate(
    data: Optional[List[Path]] = DataOpt,
    store: Optional[StoreName] = StoreOpt,
    no_curated: bool = typer.Option(False, "--no-curated", help="Validate only the given --data."),
    imports: bool = typer.Option(False, "--imports/--no-imports", help="Also validate the stored imports."),
):
    """Validate the curated data (and any --data) against the SHACL shapes: exit 0 conforms, 1 violations, 2 error.

    The curated data and --data are checked with pySHACL; --imports checks the stored imports (with the
    curated data they link to) in the on-disk store, each shape constraint as a SPARQL query.
    """
    from ..store.load import load, ontology_dir, parse_into
    from ..store.validate import merged, validate_imports
    from ..store.validate import validate as run

    g = load(*(data or []), curated=not no_curated, imports=False, store=store)
    if no_curated:  # the schema is still needed for class inference
        parse_into(g, ontology_dir() / "ecg.ttl")
    report = run(g)
    if imports:
        report = merged(report, validate_imports(store=store))
    if report.conforms:
        typer.echo("conforms: no violations")
        return
    for v in report.violations:
        typer.echo(printable(f"{v.severity}: {v.focus} {v.path}: {v.message}"))
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
    act: Optional[str] = typer.Option(None, "--act", help="The act asked about: export, reexport, transfer, service (IaaS, remote access) or use. Default: derived (a supplier or --from means the chips move: export from the U.S., transfer within one country, reexport otherwise; --for means a service to that party)."),
    explain: bool = typer.Option(False, "--explain", help="Show why each exposure holds: its explanation and the path of facts."),
    usage: Optional[Path] = typer.Option(None, "--usage", help="Read usages from a JSON or Turtle file instead (one answer each)."),
    rdf_out: Optional[Path] = typer.Option(None, "--rdf", help="Also write the exposures as RDF (Turtle) to this file."),
    html_out: Optional[Path] = typer.Option(None, "--html", help="Also write an interactive HTML graph of the exposures (one file per usage)."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[StoreName] = StoreOpt,
    format: TableOrJson = FormatOpt,
    endpoint: Optional[str] = typer.Option(None, "--endpoint", help="Answer from a remote SPARQL 1.1 store (its query URL; union default graph), fetching only the usage's neighbourhood."),
    compare: Optional[str] = typer.Option(None, "--compare", help="Also say what changes in the answer on this later (or earlier) date (YYYY-MM-DD)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Also write a printable screening memo (HTML) with the audit record."),
):
    """Which parties a chip usage exposes, to which rule, and why (with the path of facts and sources)."""
    from ..reasoning.exposure import answer_json, exposures, to_rdf
    from ..reasoning.usage import usage_from_names, usages_from_file

    _check_format(format, ("table", "json"))
    if endpoint:
        from . import remote

        if usage is not None or not chip or data:
            raise EcgraphError("--endpoint takes --chip and the parties (not --usage or --data)")
        vocab = remote.vocabulary(endpoint)
        usages = [remote.usage_from_names(
            endpoint, vocab=vocab, chip=chip, activity=activity, user=user, for_=for_, supplier=supplier,
            user_country=user_country, for_country=for_country, supplier_country=supplier_country, where=where,
            shipped_from=shipped_from, end_uses=end_use or (), red_flags=red_flag or (), as_of=as_of, act=act)]
        g = remote.neighbourhood(endpoint, usages[0], vocab=vocab)
    elif usage is not None:
        g = _prepared(data, store)
        usages = usages_from_file(g, usage)
    elif chip:
        g = _prepared(data, store)
        usages = [usage_from_names(
            g, chip=chip, activity=activity, user=user, for_=for_, supplier=supplier, user_country=user_country,
            for_country=for_country, supplier_country=supplier_country, where=where, shipped_from=shipped_from,
            end_uses=end_use or (), red_flags=red_flag or (), as_of=as_of, act=act)]
    else:
        raise EcgraphError("give --chip NAME (with the parties) or --usage FILE")
    answers = [exposures(g, u) for u in usages]
    changes = _answer_changes(g, answers, compare) if compare is not None else None
    audits = _audits(answers, data=data, endpoint=endpoint) if (report is not None or format == "json") else None
    if report is not None:
        from ..pages.report import write_memos

        for path in write_memos(g, answers, report, audits):
            typer.echo(f"wrote {path}", err=True)
    notes = _coverage_notes(g)
    if html_out is not None:
        from ..pages.render import write_exposure_html

        for path in write_exposure_html(g, answers, html_out):
            typer.echo(f"wrote {path}", err=True)
    if rdf_out is not None:
        from rdflib import Graph

        out = Graph()
        for a in answers:
            out += to_rdf(a)
        out.serialize(rdf_out, format="turtle")
    if format == "json":
        from dataclasses import asdict

        values = [{**answer_json(a), "notes": notes, "audit": audit.as_json(),
                   **({"compare": {"to": compare, "changes": [asdict(d) for d in diff]}} if changes is not None else {})}
                  for a, audit, diff in zip(answers, audits, changes or [None] * len(answers))]
        _print_json(values[0] if usage is None else values)
        return
    for a in answers:
        _print_answer(g, a, explain=explain)
    if changes is not None:
        _print_changes(answers, changes, compare)
    for note in notes:
        typer.secho(printable(f"note: {note}"), fg="yellow", err=True)


def _prepared(data, store):
    """The graph and its traversal graph for expose, with progress on stderr when they must be built first.

    The first run after an import builds the on-disk store and the traversal graph (seconds at a full
    list); later runs read both back. Only that first run says what it is doing.
    """
    from ..reasoning.exposure import traversal_graph
    from ..store.load import store_is_current, stored_imports

    steps = []
    if not data and not store_is_current():
        steps.append("building the on-disk store of the imports (first run after an import)")
    with _progress() as say:
        if steps:
            say(steps[0])
        g = load_graph(data, store, read_only=True)
        from ..reasoning.exposure import _cache_file

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
    from ..store.load import stored_imports

    if stored_imports():
        return []
    n = int(next(iter(g.query("SELECT (COUNT(DISTINCT ?l) AS ?n) WHERE { ?l a ecg:Listing }",
                              initNs={"ecg": "https://w3id.org/ecgraph/ontology#"})))[0])
    return [f"screening lists are covered only as far as the curated data goes ({n} listings); import the "
            "Consolidated Screening List (ecgraph import csl FILE) to screen every listed party"]


def _usage_words(g, u) -> str:
    from ..reasoning.usage import usage_words

    return usage_words(g, u)


def _print_answer(g, answer, *, explain: bool = False) -> None:
    """One verdict line, then one line per exposure (severity, party and role, what to do, citations), its
    conditions, and each check that could not be decided; ``explain`` adds the why and the path of facts."""
    from ..reasoning.exposure import verdict

    console = _console()
    console.print(f"[bold]{markup_safe(_usage_words(g, answer.usage))}[/bold]")
    headline = verdict(answer)
    colour = {"exposed": "red", "not exposed": "green"}.get(headline, "yellow")
    console.print(f"[bold {colour}]{markup_safe(headline)}[/bold {colour}]")
    for e in answer.exposures:
        who = e.party_label + (f" ({e.role})" if e.role else "")
        what = e.action or e.restriction_label
        if e.policy_label and e.verdict_effect != "none":
            what += f"; {e.policy_label}"
        cites = "; ".join(c + (f" <{u}>" if u else "") for c, u in zip(e.citations, e.links or (None,) * len(e.citations)))
        console.print(markup_safe(f"- [{e.severity_label}] {who}: {what} — {e.restriction_label}" + (f" [{cites}]" if cites else "")))
        for note in e.notes:
            console.print(markup_safe(f"    note: {note}"))
        if e.counsel:
            console.print(markup_safe(f"    why counsel: {e.counsel}"))
        if explain:
            console.print(markup_safe(f"    why: {e.explanation}"), style="dim")
            for step in e.path:
                console.print(markup_safe(f"      {step.s} {step.p} {step.o}"), style="dim")
    for c in answer.checked:
        if c.result == "undetermined":
            console.print(markup_safe(f"- [undetermined] {c.label}: missing {c.missing or c.reason}"))
    quiet = [c for c in answer.checked if c.result == "not applicable"]
    console.print(f"[dim]checked {len(answer.checked)} restrictions; {len(quiet)} did not apply "
                  "(--explain for the path of each exposure, --format json for every reason)[/dim]")


@app.command()
def coverage(
    data: Optional[List[Path]] = DataOpt,
    store: Optional[str] = StoreOpt,
    format: str = FormatOpt,
):
    """Gaps in the restrictions data: operative instruments that impose nothing, chips without figures or a stated
    classification. Exits 0 when every gap carries an ecg:coverageNote saying why, 1 otherwise."""
    from ..reasoning.coverage import coverage as gaps_of

    _check_format(format, ("table", "json"))
    gaps = gaps_of(load_graph(data, store, read_only=True))
    if format == "json":
        _print_json([{"iri": x.iri, "label": x.label, "kind": x.kind, "what": x.what, "note": x.note} for x in gaps])
    else:
        for x in gaps:
            typer.echo(f"{'excepted' if x.note else 'GAP'}: {x.kind} {x.label} ({x.iri}): {x.what}"
                       + (f" — {x.note}" if x.note else ""))
        open_gaps = sum(1 for x in gaps if not x.note)
        typer.echo(f"{len(gaps)} gap(s), {open_gaps} without a reason")
    raise typer.Exit(1 if any(not x.note for x in gaps) else 0)


@app.command()
def demo(
    out: Path = typer.Option(Path("exports"), "--out", "-o", help="Folder for the views and files it writes."),
    store: Optional[StoreName] = StoreOpt,
):
    """Build the curated graph, validate it, print what it holds, answer the shared scenarios and write the exports."""
    from ..reasoning.describe import counts
    from ..reasoning.exposure import exposures, verdict
    from ..store.load import load, ontology_dir
    from ..reasoning.usage import usages_from_file
    from ..store.validate import validate as run

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
        typer.echo(printable(f"  {i}. {_usage_words(g, usage)}"))
        typer.echo(printable(f"     verdict: {verdict(answer)}"))
        for e in answer.exposures:
            policy = f", {e.policy_label}" if e.policy_label else ""
            typer.echo(printable(f"     - {e.severity_label}{policy}: {e.party_label or 'nobody'} ({e.role or 'rule status'})"
                                 f" <- {e.restriction_label} [{'; '.join(e.citations)}]"))
        for c in answer.checked:
            if c.result == "undetermined":
                typer.echo(printable(f"     - undetermined: {c.label}: missing {c.missing or c.reason}"))
    out.mkdir(parents=True, exist_ok=True)
    import shutil

    shutil.copytree(examples, out / "examples", dirs_exist_ok=True)  # so users can rerun them by hand
    typer.echo(f"copied the example firms and usages to {out / 'examples'}; try: ecgraph expose "
               f"--usage {out / 'examples' / 'scenarios.json'} --data {out / 'examples' / 'scenario_firms.ttl'}")
    from ..pages.render import write_gallery

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
    store: Optional[StoreName] = StoreOpt,
    fresh: bool = typer.Option(False, "--fresh", help="Answer from the store again, not from the answer kept from an earlier run on the same data."),
):
    """Run a SPARQL query (text, -f FILE, or a named query) on the graph or a remote endpoint; values are bound with --bind.

    With imports, the derived facts of one --as-of date are kept in the on-disk store: the first query on a
    new date (or after an import) derives them there, a second or so; the next ones only read them. The answer
    is kept too (in $ECGRAPH_DATA_DIR/cache/answers): the same query, bindings and format on the same data and
    date print it again at once, until an import or the package changes (--fresh asks the store again).
    """
    from ..store import answers, sparql

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
        text = _query_text(file)
    elif text is None:
        raise EcgraphError("no query: give SPARQL text, a named query (ecgraph query --list) or -f FILE")
    elif sparql.looks_like_name(text):
        named = sparql.named_query(text.strip())
        text, params = named.text, named.params
    # the on-disk store of the imports serves it (0.3 s to open against 2 s of parsing a full CSL), with the derived
    # facts of --as-of kept in it: the first query on a new date derives them there, the next ones only read them
    if not (0 <= timeout < 1e9):  # NaN and infinity too
        raise EcgraphError(f"--timeout must be 0 (no limit) or a number of seconds, not {timeout:g}")

    import datetime as dt

    from ..reasoning.timeline import parse_date

    today = dt.date.today().isoformat()  # read once: the key and the answer take the same day, even at midnight
    bind = sparql.with_defaults(bind, params, today=today)
    if inferred:
        as_of = today if as_of.strip().lower() == "today" else parse_date(as_of, what="--as-of").isoformat()
    kept = None if endpoint or data else _answer_slot(text, bind, format, as_of if inferred else None, store)
    out = None if kept is None or fresh else answers.read(kept)
    if out is not None:
        _print_query_answer(out, format)
        return
    import time
    from concurrent.futures import ThreadPoolExecutor

    steady, asked = [], []

    def ask(g):
        asked.append(getattr(g, "ecgraph_inputs", None))
        bindings = sparql.parse_bindings(bind, params=params, g=g)
        if kept is not None:  # rdflib's parser reads the query while Oxigraph, which lets go of the interpreter, answers
            import rdflib.plugins.sparql  # noqa: F401  (imported first: two threads importing it at once break it)

            steady.append(pool.submit(answers.may_keep, text))
        return sparql.answer(g, text, format, bindings=bindings, endpoint=endpoint, timeout=timeout or None)

    started = time.perf_counter()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecgraph-parse")
    try:
        out = ask(None) if endpoint else load_graph(data, store, read_only=True,
                                                    inferred_on=as_of if inferred else None, then=ask)
        spent = time.perf_counter() - started
        _print_query_answer(out, format)
        # kept only if asked of the data the key names (an import may have landed since the key was made)
        if steady and spent >= answers.WORTH_KEEPING and answers.same_data(kept, asked[0]) and steady[0].result():
            answers.keep(kept, out)
    finally:
        pool.shutdown(wait=False)  # a quick answer does not wait for the parse: run() ends the process at once


def _query_text(path: Path) -> str:
    """A query file's text: UTF-8, with or without a byte-order mark; anything else is one line naming the byte."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise EcgraphError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start});"
                           " save the query as UTF-8") from None


def _print_query_answer(out: str, format) -> None:
    if (format or "table") == "table":  # text for a terminal; the W3C and RDF formats stay exact
        typer.echo(printable(out, lines=True))
        return
    # as written, byte for byte: click's echo drops escape sequences from what goes to a file or a pipe
    sys.stdout.write(out if out.endswith("\n") else out + "\n")
    sys.stdout.flush()


def _answer_slot(text: str, bind: list, format, inferred_on: Optional[str], store):
    """Where the answer to this query on the on-disk store is kept between runs; None off that store.

    The key holds all the answer comes from besides the stored files: the query, the format, the bindings as
    given (a name is resolved in the same data; a ``default=today`` is given as the day, by the caller), the date
    of the derived facts, the engine that derived them and wrote the answer, and the versions of Oxigraph,
    oxrdflib and rdflib.
    """
    from ..store import answers
    from ..store.load import default_store, store_inputs

    if (store or default_store()) != "oxigraph":
        return None
    inputs = store_inputs()
    if inputs is None:
        return None
    from importlib.util import find_spec

    from ..reasoning.infer import engine_stamp

    libraries = []  # each library as installed (a reinstall rewrites its files), without importing it
    for name in ("pyoxigraph", "oxrdflib", "rdflib"):
        origin = Path(find_spec(name).origin)
        st = origin.stat()
        libraries.append([str(origin), st.st_size, st.st_mtime_ns])
    return answers.slot(inputs, {"query": text, "format": format or "table", "bind": bind, "inferred": inferred_on,
                                 "engine": engine_stamp(), "libraries": libraries})


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
    format: TableOrJson = FormatOpt,
):
    """Import external lists (the Consolidated Screening List) into the local store; --list and --remove manage it.

    Imports are kept in $ECGRAPH_DATA_DIR/imports (default ~/.local/share/ecgraph/imports)
    and loaded with the curated data by every command.
    """
    from dataclasses import asdict

    from ..readwrite.imports import list_imports, remove_import

    if ctx.invoked_subcommand is not None:
        if list_ or remove:
            raise EcgraphError("--list and --remove are used without a subcommand: 'ecgraph import --list'")
        return
    _check_format(format, ("table", "json"))
    if list_ and remove:
        raise EcgraphError("choose one of --list and --remove")
    if remove:
        gone = remove_import(remove, waiting=lambda message: typer.echo(message, err=True))
        typer.echo(printable(f"removed import {gone.name} ({gone.file}, {gone.imported} listings)"))
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
        table.add_row(*map(cell, (s.name, s.kind, s.file, s.started[:10], s.imported, s.linked, s.review,
                                  s.skipped, s.added, s.ended, status)))
    _console().print(table)


@import_app.command("csl")
def import_csl(
    file: Path = typer.Argument(..., help="consolidated.csv, .tsv or .json from trade.gov."),
    name: Optional[str] = typer.Option(None, "--name", help="Name of the import (default csl-<date>-<hash>)."),
    partial: bool = typer.Option(False, "--partial", help="The file holds only some records (a filtered search): end no listing, supersede no import."),
    store: Optional[StoreName] = StoreOpt,
    format: TableOrJson = FormatOpt,
):
    """Import a Consolidated Screening List file: parties, listings, links to curated firms, with the file as source.

    Bad rows (broken, bad date, duplicate) are reported with their row number and
    skipped; a row of a list the graph does not know is kept on a new list named
    after its source. Importing the same file again changes nothing; a newer file
    records which listings were added and which ended.
    """
    _run_import("csl", file, name, partial, store, format)


@import_app.command("ftm")
def import_ftm(
    file: Path = typer.Argument(..., help="entities.ftm.json: FollowTheMoney entities (OpenSanctions), one JSON object a line."),
    name: Optional[str] = typer.Option(None, "--name", help="Name of the import (default ftm-<date>-<hash>)."),
    partial: bool = typer.Option(False, "--partial", help="The file holds only some entities of its datasets: supersede no import."),
    store: Optional[str] = StoreOpt,
    format: str = FormatOpt,
):
    """Import FollowTheMoney entities: parties, Ownership, Directorship and Sanction, read by the followthemoney model.

    Sanctions go on the lists named by ontology/data/list_mappings.ttl (or on a new
    list named after their programme). The file is streamed: any size, flat memory.
    """
    _run_import("ftm", file, name, partial, store, format)


@import_app.command("gleif")
def import_gleif(
    file: Path = typer.Argument(..., help="A GLEIF golden-copy file: LEI-CDF, RR-CDF or reporting exceptions, XML or JSON."),
    name: Optional[str] = typer.Option(None, "--name", help="Name of the import (default gleif-<date>-<hash>)."),
    partial: bool = typer.Option(False, "--partial", help="The file is a delta or extract: supersede no import."),
    store: Optional[str] = StoreOpt,
    format: str = FormatOpt,
):
    """Import GLEIF Level 1 (LEI records) and Level 2 (accounting consolidation, as control without a percentage)."""
    _run_import("gleif", file, name, partial, store, format)


@import_app.command("bods")
def import_bods(
    file: Path = typer.Argument(..., help="Open Ownership BODS 0.4 statements: a JSON array, or JSON Lines."),
    name: Optional[str] = typer.Option(None, "--name", help="Name of the import (default bods-<date>-<hash>)."),
    partial: bool = typer.Option(False, "--partial", help="The file holds only some statements of its publisher: supersede no import."),
    store: Optional[str] = StoreOpt,
    format: str = FormatOpt,
):
    """Import BODS 0.4 entity, person and relationship statements: exact shares, ranges, direct or indirect, dates."""
    _run_import("bods", file, name, partial, store, format)


def _run_import(kind: str, file: Path, name, partial: bool, store, format: str) -> None:
    from dataclasses import asdict

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..readwrite.imports import add_import
    from ..store.load import load

    _check_format(format, ("table", "json"))
    g = load(imports=False, store=store)
    err = Console(stderr=True)
    if err.is_terminal:  # a bar only where someone watches; never in pipes and logs
        with Progress(TextColumn(f"importing {kind}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("import", total=None)
            summary = add_import(file, g, kind=kind, name=name, partial=partial,
                                 waiting=lambda message: bar.console.print(message, markup=False),
                                 progress=lambda done, total: bar.update(task, completed=done, total=total or None))
    else:
        summary = add_import(file, g, kind=kind, name=name, partial=partial,
                             waiting=lambda message: typer.echo(message, err=True))
    if format == "json":
        _print_json({**asdict(summary), "skipped": summary.skipped, "reasons": summary.reasons(),
                     "skipped_ids": sorted(summary.skipped_ids)})
        return
    if summary.unchanged:
        typer.echo(printable(f"unchanged: {file} (sha256 {summary.sha256[:12]}) is already imported as {summary.name}"))
        return
    typer.echo(printable(f"imported {summary.imported} of {summary.records} records from {file} as {summary.name} "
                         f"({summary.added} added, {summary.ended} ended since the previous import)"))
    if getattr(summary, "kept_earlier", 0):
        typer.echo(f"kept {summary.kept_earlier} earlier listings of rows skipped in this file" if kind == "csl" else
                   f"kept {summary.kept_earlier} earlier stakes, directorships or listings of records skipped in this file")
    if summary.kept:
        typer.echo(printable("kept " + ", ".join(f"{n} {what}" for what, n in summary.kept)))
    typer.echo(f"linked {len(summary.linked)} to curated parties; {len(summary.review)} weak matches for review"
               + (" ('ecgraph review')" if summary.review else ""))
    for m in summary.linked:
        typer.echo(printable(f"  linked  {m.matched or m.record_name} <{m.party}> (score {m.score:g}; {'; '.join(m.features)})"))
    for m in summary.review:
        typer.echo(printable(f"  review  {m.id}  {m.record_name} ~ {m.party_name} <{m.party}> (score {m.score:g}; "
                             f"{'; '.join(m.features)})"))
    for source in summary.new_lists:
        typer.echo(printable(f"  new list  {source!r}: not a list the graph knows; its records are kept on a list of that name"))
    reasons = ", ".join(f"{n} {why}" for why, n in sorted(summary.reasons().items()))
    typer.echo(printable(f"skipped {summary.skipped}" + (f": {reasons}" if reasons else "")))
    shown = 20
    where = Path(file).name
    for p in summary.problems[:shown]:
        typer.echo(printable(f"  {where}: {p}"))
    if len(summary.problems) > shown:
        typer.echo(f"  ... and {len(summary.problems) - shown} more (--format json lists them all)")


review_app = typer.Typer(
    help="The review queue of weak matches: list them, accept or reject one; judgements outlast re-imports.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(review_app, name="review")


@review_app.callback()
def review_list(
    ctx: typer.Context,
    all_: bool = typer.Option(False, "--all", help="Also list the matches judged so far."),
    format: str = FormatOpt,
):
    """List the matches waiting for review (id, score, the names and the features that matched)."""
    from dataclasses import asdict

    from ..readwrite.review import decided, pending

    if ctx.invoked_subcommand is not None:
        return
    _check_format(format, ("table", "json"))
    rows = pending() + (decided() if all_ else [])
    if format == "json":
        _print_json([asdict(m) for m in rows])
        return
    if not rows:
        typer.echo("no matches waiting for review")
        return
    from rich.table import Table

    table = Table(title="Matches for review ('ecgraph review accept ID' or 'reject ID')")
    for col in ("id", "score", "imported record", "curated party", "features", "decision"):
        table.add_column(col, justify="right" if col == "score" else "left")
    for m in rows:
        table.add_row(*map(cell, (m.id, f"{m.score:g}", f"{m.record_name} <{m.record}>", f"{m.party_name} <{m.party}>",
                                  "; ".join(m.features), m.decision or "pending")))
    _console().print(table)


@review_app.command("accept")
def review_accept(match: str = typer.Argument(..., help="The match id, as 'ecgraph review' lists it.")):
    """Accept a match: both records are one party (owl:sameAs), now and on every later import."""
    from ..readwrite.review import judge

    m = judge(match, "accepted")
    typer.echo(f"accepted {m.id}: {m.record_name} = {m.party_name}")


@review_app.command("reject")
def review_reject(match: str = typer.Argument(..., help="The match id, as 'ecgraph review' lists it.")):
    """Reject a match: the records stay apart, now and on every later import."""
    from ..readwrite.review import judge

    m = judge(match, "rejected")
    typer.echo(f"rejected {m.id}: {m.record_name} is not {m.party_name}")


@app.command()
def view(
    name: Optional[str] = typer.Argument(None, help="The entity to centre on: a label, alternative label, ISO code or IRI."),
    depth: int = typer.Option(2, "--depth", help="Hops from the entity, in either direction."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Leave out facts that do not hold on this date (YYYY-MM-DD)."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="HTML file to write (default exports/NAME.html)."),
    query: bool = typer.Option(False, "--query", help="Draw the result of a SPARQL CONSTRUCT query read from -f."),
    file: Optional[Path] = typer.Option(None, "--file", "-f", help="The CONSTRUCT query file for --query."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[StoreName] = StoreOpt,
    hubs: bool = typer.Option(False, "--hubs", help="Walk through countries, groups, statuses and lists too (by default they are drawn but not expanded)."),
):
    """Write an interactive HTML graph of an entity's neighbourhood (or of a CONSTRUCT result) that works offline."""
    from ..pages.render import entity_view, query_view, slug, write_html

    if query:
        if file is None or name is not None:
            raise EcgraphError("view --query takes no NAME and needs -f FILE with a CONSTRUCT query")
        if not file.is_file():
            raise EcgraphError(f"query file {file} does not exist")
        g = load_graph(data, store)
        result = query_view(g, _query_text(file), title=f"CONSTRUCT result of {file.name}", where=str(file))
        target = out or Path("exports") / f"{slug(file.stem)}.html"
    else:
        if name is None:
            raise EcgraphError("view needs a NAME (or --query -f FILE)")
        g = load_graph(data, store)
        result = entity_view(g, name, depth=depth, as_of=as_of, hubs=hubs)
        target = out or Path("exports") / f"{slug(name)}.html"
    write_html(target, result.html)
    capped = f" (capped from {result.total_nodes:,})" if result.total_nodes > result.nodes else ""
    typer.echo(f"wrote {target}: {result.nodes:,} nodes{capped}, {result.edges:,} edges")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on; 127.0.0.1 keeps it to this machine."),
    port: int = typer.Option(7878, "--port", min=1, max=65535, help="Port to listen on."),
    data: Optional[List[Path]] = DataOpt,
    no_curated: bool = typer.Option(False, "--no-curated", help="Serve only the given --data (no curated graph, no imports, nothing inferred): the default graph is exactly those files."),
    timeout: float = typer.Option(10.0, "--timeout", help="Seconds a query may run before it is stopped."),
    max_rows: int = typer.Option(10000, "--max-rows", help="Most rows (or triples) an answer may have."),
    workers: int = typer.Option(2, "--workers", help="Query worker processes for short queries (queries answered at once)."),
    long_workers: int = typer.Option(1, "--long-workers", help="Low-priority worker processes for queries that run past half a second."),
    memory: int = typer.Option(1024, "--memory", help="MB of memory one query may take in its worker (0: no cap); past it, 503."),
    cors: Optional[List[str]] = typer.Option(None, "--cors", metavar="ORIGIN", help="Let web pages from ORIGIN (e.g. https://example.org) read answers from /sparql (repeatable); off by default."),
    exports: Path = typer.Option(Path("exports"), "--exports", help="Folder of exported views linked from the start page."),
    inferred: bool = InferredOpt,
    as_of: str = AsOfInfOpt,
):
    """Serve the graph as a read-only SPARQL 1.1 endpoint at http://HOST:PORT/sparql, with a query form at /."""
    from .server import serve as run

    if no_curated:
        if not data:
            raise EcgraphError("--no-curated needs --data: there would be nothing to serve")
        from ..store.load import load

        g = load(*data, curated=False, imports=False, store="oxigraph")
    else:
        g = load_graph(data, "oxigraph")
        if inferred:
            _add_inferred(g, as_of)
    run(g, host=host, port=port, timeout=timeout, max_rows=max_rows, workers=workers, exports=exports,
        long_workers=long_workers, memory_mb=memory, cors=tuple(cors or ()), default_graph="union")


@app.command("export")
def export_graph(
    out: Path = typer.Option(..., "--out", "-o", help="File to write."),
    format: Optional[str] = typer.Option(
        None, "--format", "-f", help="ttl, nt, jsonld, trig, nq, graphml, gexf, csv or ftm; default from the -o suffix (.ftm.json is ftm)."),
    query_file: Optional[Path] = typer.Option(None, "--query", "-q", help="SPARQL CONSTRUCT file: export its result."),
    subgraph: Optional[str] = typer.Option(None, "--subgraph", help="Export only the neighbourhood of this entity."),
    depth: int = typer.Option(1, "--depth", help="Hops around --subgraph (default 1)."),
    table: str = typer.Option("listings", "--table", help="For csv: listings or exposures."),
    usage: Optional[Path] = typer.Option(None, "--usage", help="For --table exposures: JSON or RDF file of chip usages."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[StoreName] = StoreOpt,
):
    """Write the graph (or a --subgraph / --query selection) as RDF, GraphML/GEXF, or a CSV of listings or exposures."""
    from ..errors import InputError
    from ..readwrite.export import export

    if out.is_dir():
        raise InputError(f"{out}: is a folder; give the file to write with -o")

    if query_file is not None and subgraph is not None:
        raise InputError("choose one of --query and --subgraph")
    text = None
    if query_file is not None:
        if not query_file.is_file():
            raise InputError(f"{query_file}: no such query file")
        text = _query_text(query_file)
    g = load_graph(data, store)
    usages = ()
    if usage is not None:
        from ..reasoning.usage import usages_from_file

        usages = usages_from_file(g, usage)
    try:
        written = export(g, format, out, query=text, subgraph=subgraph, depth=depth, table=table, usages=usages)
    except EcgraphError as exc:
        if query_file is not None and "quer" in str(exc):
            raise type(exc)(f"{query_file}: {exc}") from None
        raise
    typer.echo(printable(str(written), lines=True))


@app.command()
def push(
    store_url: str = typer.Argument(..., help="The store's Graph Store endpoint, e.g. http://127.0.0.1:7878/store (Oxigraph)."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[StoreName] = StoreOpt,
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds to wait for each graph upload."),
):
    """Copy the graph, named graph by named graph, into a SPARQL 1.1 store with the Graph Store HTTP Protocol."""
    from ..store.sparql import push as run

    g = load_graph(data, store)
    for name, n in run(g, store_url, timeout=timeout).items():
        typer.echo(printable(f"{n:>9} triples -> {name}"))


@app.command()
def bench(
    sizes: str = typer.Option("10k,100k,1m", "--sizes", help="Comma-separated graph sizes in triples (10k,100k,1m)."),
    repeat: int = typer.Option(5, "--repeat", help="Runs per measurement; the median is printed."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Also measure rdflib's in-memory store."),
    limit: float = typer.Option(30.0, "--limit", help="Seconds allowed per measurement; past it: '> N s (stopped)'."),
    cold: bool = typer.Option(True, "--cold/--no-cold", help="Also time 'import graph' and a cold 'ecgraph expose'."),
    paths: str = typer.Option("1m", "--paths", help="Size in triples of the --data file for the user paths (each 'ecgraph ...' command timed against its target); 0 skips them."),
    csl: int = typer.Option(26000, "--csl", help="CSL records imported for the user paths."),
    stakes: str = typer.Option("1m", "--stakes", help="Ownership stakes in the registry of the user paths (50% computation, expose --endpoint, local expose); 0 skips them."),
    ftm: str = typer.Option("100k", "--ftm", help="Entities in the timed FtM import of the user paths; 0 skips it."),
    paths_only: bool = typer.Option(False, "--paths-only", help="Time only the user paths, not the library sizes."),
):
    """Benchmark the CLI paths a user takes against their targets, and load, SPARQL, expose and rendering on synthetic graphs."""
    from .bench import parse_sizes, run

    size, n_stakes, n_ftm = (0 if text.strip() == "0" else parse_sizes(text, option)[0][1] for text, option in
                             ((paths, "--paths"), (stakes, "--stakes"), (ftm, "--ftm")))
    run([] if paths_only else parse_sizes(sizes), repeat=repeat, baseline=baseline, limit=limit, cold=cold,
        paths=size, csl=csl, stakes=n_stakes, ftm=n_ftm)


def _check_format(value: str, allowed) -> None:
    if value not in allowed:
        raise EcgraphError(f"unknown format {value!r}; choose one of {', '.join(allowed)}")


# --------------------------------------------------------------------------- the analyst's desk (issue 14)

def _version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(f"ecgraph {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_version,
                                 help="Print the version of ecgraph and exit."),
):
    """ecgraph: a knowledge graph of US export controls on advanced AI chips."""


ListKind = Literal["chips", "firms", "rules", "lists", "groups"]


@app.command("list")
def list_(
    kind: ListKind = typer.Argument(..., metavar="KIND", help="What to list."),
    as_of: str = typer.Option("today", "--as-of", help="Date for listings, memberships and rule status (YYYY-MM-DD)."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[StoreName] = StoreOpt,
    format: TableOrJson = FormatOpt,
):
    """What the graph holds, as a table: chips, firms, rules, lists or groups (IRIs as they paste into a query)."""
    from ..reasoning.catalog import catalogue
    from ..reasoning.timeline import parse_date

    day = parse_date(as_of, what="--as-of")
    cols, rows = catalogue(load_graph(data, store, read_only=True), kind, day)
    if format == "json":
        _print_json([dict(zip(cols, r)) for r in rows])
        return
    _print_table(f"{kind} ({len(rows)})", cols, rows)


def _print_table(title: str, cols, rows) -> None:
    from rich.table import Table

    table = Table(title=cell(title), title_justify="left")
    for col in cols:  # an IRI on one line, so that it pastes back into a query
        table.add_column(col, no_wrap=True) if col == "iri" else table.add_column(col, overflow="fold")
    for r in rows:  # names as stored: controls spelled out, brackets never read as markup
        table.add_row(*map(cell, r))
    _console().print(table)


def _one_focus(g, chip, party, list_name):
    from ..store.names import resolve

    given = [(v, k) for v, k in ((chip, "chip"), (party, "party"), (list_name, "list")) if v]
    if len(given) > 1:
        raise EcgraphError("choose one of --chip, --party and --list")
    return resolve(g, given[0][0], kind=given[0][1]) if given else None


@app.command()
def changes(
    chip: Optional[str] = typer.Option(None, "--chip", help="Only the changes that bear on this chip."),
    party: Optional[str] = typer.Option(None, "--party", help="Only the changes that bear on this party."),
    list_name: Optional[str] = typer.Option(None, "--list", help="Only the changes of this screening list."),
    start: str = typer.Option(..., "--from", help="First day of the window (YYYY-MM-DD)."),
    end: str = typer.Option("today", "--to", help="Last day of the window (YYYY-MM-DD)."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[StoreName] = StoreOpt,
    format: TableOrJson = FormatOpt,
):
    """Every rule status, listing, group membership and ownership that begins or ends in a window, by date, with sources."""
    from dataclasses import asdict

    from ..reasoning.changes import changes as run
    from ..reasoning.timeline import parse_date

    first, last = parse_date(start, what="--from"), parse_date(end, what="--to")
    if first > last:
        raise EcgraphError(f"--from {first} is after --to {last}: the window would hold no day")
    g = load_graph(data, store, read_only=True)
    found = run(g, start=start, end=end, about=_one_focus(g, chip, party, list_name))
    if format == "json":
        _print_json([asdict(c) for c in found])
        return
    _print_table(f"{len(found)} changes from {start} to {end}", ("date", "change", "kind", "fact", "sources"),
                 [(c.day, c.change, c.kind, c.label,
                   "; ".join(c.citations) or "; ".join(_short_source(g, x) for x in c.sources)) for c in found])


def _answer_changes(g, answers, compare: str) -> list:
    """expose --compare D2: for each answer, what differs in the same usage's answer on D2."""
    from dataclasses import replace

    from ..reasoning.changes import answer_changes
    from ..reasoning.exposure import exposures
    from ..reasoning.timeline import parse_date

    day = parse_date(compare, what="--compare")
    return [answer_changes(a, exposures(g, replace(a.usage, as_of=day))) for a in answers]


def _print_changes(answers, changes, compare: str) -> None:
    """The differences after the answers (table output); JSON carries them under "compare"."""
    console = _console()
    for a, diff in zip(answers, changes):
        console.print(f"[bold]from {a.usage.as_of} to {markup_safe(compare)}:[/bold] "
                      + (f"{len(diff)} changes" if diff else "no change in the answer"))
        for d in diff:
            arrow = f"{d.before or '-'} -> {d.after or '-'}"
            who = f"{d.party}: " if d.party else ""
            cites = f" [{'; '.join(d.citations)}]" if d.citations else ""
            console.print(printable(f"  {d.change:<7} {d.what:<8} {who}{d.restriction}: {arrow}{cites}"), markup=False,
                          highlight=False)


def _audits(answers, *, data, endpoint=None) -> list:
    """The audit record of each answer: data version, tool version, time and the question."""
    from ..store.audit import audit_record, question_of

    # from --endpoint the data is the remote store's: the question names it (the hashes are of this install)
    return [audit_record({**question_of(a.usage), **({"endpoint": endpoint} if endpoint else {})}, extra=data or ())
            for a in answers]


def _console_err():
    from rich.console import Console

    return Console(stderr=True, soft_wrap=False, width=max(120, Console().width))


ScreenFormat = Literal["csv", "xlsx", "json"]


@app.command()
def screen(
    file: Path = typer.Argument(..., help="CSV or XLSX: a header row, then one chip usage (chip, user, ...) or one counterparty (party) per row."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="File to write (default FILE-screened.csv)."),
    format: Optional[ScreenFormat] = typer.Option(None, "--format", help="Output format (default from the --out suffix)."),
    as_of: str = typer.Option("today", "--as-of", help="Date for rows without an as_of (YYYY-MM-DD)."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[StoreName] = StoreOpt,
):
    """Screen a file of usages or counterparties row by row: per-row results and errors (a bad row never stops the batch)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..store.audit import audit_record
    from .screen import count_rows, read_rows, screen_rows, write_results
    from ..reasoning.timeline import parse_date

    parse_date(as_of, what="--as-of")
    target = out or file.with_name(f"{file.stem}-screened.{format or 'csv'}")
    g = load_graph(data, store, read_only=True)
    audit = audit_record({"screen": file.name, "as_of": as_of}, extra=data or ()).as_json()
    rows = read_rows(file)
    next_row = next(rows, None)  # a file that cannot be read fails here, before anything is written
    import itertools

    rows = itertools.chain([next_row] if next_row else [], rows)
    errors = []
    results = screen_rows(g, rows, default_as_of=as_of, data_version=audit["data_version"])
    err = Console(stderr=True)
    if err.is_terminal:  # a bar only where someone watches
        with Progress(TextColumn("screening"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=err, transient=True) as bar:
            task = bar.add_task("screen", total=count_rows(file))
            counts = write_results(results, target, format=format, audit=audit, on_result=lambda r: (
                bar.advance(task), r.error and errors.append(r)))
    else:
        counts = write_results(results, target, format=format, audit=audit,
                               on_result=lambda r: r.error and errors.append(r))
    for r in errors[:20]:
        typer.echo(f"  row {r.row}: {r.error}", err=True)
    if len(errors) > 20:
        typer.echo(f"  ... and {len(errors) - 20} more errors (see {target})", err=True)
    typer.echo(f"screened {counts['rows']} rows of {file}: {counts['answered']} answered, {counts['errors']} errors; "
               f"wrote {target}")


watch_app = typer.Typer(
    help="Saved usages and watched parties: 'ecgraph watch' shows which saved answers changed since the last check.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(watch_app, name="watch")


@watch_app.callback()
def watch(
    ctx: typer.Context,
    keep: bool = typer.Option(True, "--save/--no-save", help="Store the new answers, so the next check compares with them."),
    format: TableOrJson = FormatOpt,
):
    """Answer every saved usage and watched party again and show the ones whose answer changed (after an import, say)."""
    if ctx.invoked_subcommand is not None:
        return
    from dataclasses import asdict

    from ..store.audit import audit_record
    from .watch import check

    g = load_graph(None, None, read_only=True)
    audit = audit_record({"watch": "check"})
    changed, n = check(g, data_version=audit.data_version, time=audit.time, save=keep,
                       imports=[i.name for i in audit.imports])
    if format == "json":
        _print_json({"checked": n, "data_version": audit.data_version, "changed": [asdict(c) for c in changed]})
        return
    if not n:
        typer.echo("nothing watched; add with 'ecgraph watch add NAME --party P' or '--chip C --user U ...'")
        return
    typer.echo(f"checked {n} saved answers under data version {audit.data_version[:12]}: {len(changed)} changed")
    for c in changed:
        since = f"; since import {', '.join(c.new_imports)}" if c.new_imports else ""
        typer.echo(f"  {c.name}: {c.before or '-'} -> {c.after or '-'}  ({c.question}{since})")
        for d in c.gone:
            typer.echo(f"      - {d}")
        for d in c.new:
            typer.echo(f"      + {d}")


@watch_app.command("add")
def watch_add(
    name: str = typer.Argument(..., help="A name for the saved question."),
    party: Optional[str] = typer.Option(None, "--party", help="Watch this counterparty (its listings and its owners')."),
    chip: Optional[str] = typer.Option(None, "--chip", help="Save a usage of this chip (with the options below)."),
    activity: Optional[str] = typer.Option(None, "--activity", help="The activity of the usage."),
    user: Optional[str] = typer.Option(None, "--user", help="The user of the chips."),
    for_: Optional[str] = typer.Option(None, "--for", help="The party on whose behalf they are used."),
    supplier: Optional[str] = typer.Option(None, "--supplier", help="The supplier."),
    user_country: Optional[str] = typer.Option(None, "--user-country", help="An unnamed user headquartered here."),
    for_country: Optional[str] = typer.Option(None, "--for-country", help="An unnamed party on whose behalf, here."),
    supplier_country: Optional[str] = typer.Option(None, "--supplier-country", help="An unnamed supplier here."),
    where: Optional[str] = typer.Option(None, "--where", help="Country where the chips are used."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="A fixed date (YYYY-MM-DD); without it, the day of each check."),
):
    """Save a usage (--chip ...) or a counterparty (--party) under NAME, with its answer now."""
    from ..store.audit import audit_record
    from .watch import add

    if bool(party) == bool(chip):
        raise EcgraphError("give --party NAME or --chip NAME (with the usage's parties), one of them")
    cells = {"party": party, "chip": chip, "activity": activity, "user": user, "for": for_, "supplier": supplier,
             "user_country": user_country, "for_country": for_country, "supplier_country": supplier_country,
             "where": where, "as_of": as_of}
    g = load_graph(None, None, read_only=True)
    audit = audit_record({"watch": "add", **{k: v for k, v in cells.items() if v}})
    item = add(g, name, cells, data_version=audit.data_version, time=audit.time,
               imports=[i.name for i in audit.imports])
    typer.echo(f"watching {item.name}: {item.verdict}")


@watch_app.command("remove")
def watch_remove(name: str = typer.Argument(..., help="The saved question to forget.")):
    """Forget a saved usage or watched party."""
    from .watch import remove

    typer.echo(f"no longer watching {remove(name).name}")


@watch_app.command("list")
def watch_list(format: TableOrJson = FormatOpt):
    """The saved usages and watched parties with the answer seen at the last check."""
    from dataclasses import asdict

    from .watch import saved

    items = saved()
    if format == "json":
        _print_json([asdict(w) for w in items])
        return
    _print_table(f"watched ({len(items)})", ("name", "question", "last answer", "data version", "checked"),
                 [(w.name, ", ".join(f"{k}={v}" for k, v in w.cells.items()), w.verdict or w.error,
                   w.data_version[:12], w.checked) for w in items])


@app.command()
def timeline(
    out: Path = typer.Option(Path("exports") / "timeline.html", "--out", "-o", help="HTML file to write."),
    data: Optional[List[Path]] = DataOpt,
    store: Optional[StoreName] = StoreOpt,
):
    """Write an offline HTML timeline of rules' status periods, listings, group memberships and ownership, filterable."""
    from ..pages.report import write_atomic
    from ..pages.timeline_view import render_timeline

    if out.is_dir():
        raise EcgraphError(f"{out}: is a folder; give the file to write with --out")
    view = render_timeline(load_graph(data, store, read_only=True))
    write_atomic(out, view.html)
    capped = f" (of {view.total_items:,})" if view.total_items > view.items else ""
    typer.echo(f"wrote {out}: {view.items:,} dated facts{capped} in {view.groups:,} rows")


_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "path": "PATH", "Path": "PATH", "file": "FILE",
          "directory": "FOLDER", "bool": ""}


def _plain_word(param) -> str:
    """What --help shows for a parameter's value: a word or the allowed values, never a Python type."""
    if getattr(param, "is_flag", False):
        return ""
    shown = str(param.display_type(None)).strip("<>")
    if shown.startswith("list[") and shown.endswith("]"):
        shown = shown[5:-1]
    return _WORDS.get(shown, shown)


def _command():
    """The click command of ``app`` with help texts that name words and choices instead of Python types."""
    cmd = typer.main.get_command(app)
    todo = [cmd]
    while todo:
        c = todo.pop()
        todo.extend(getattr(c, "commands", {}).values())
        for param in c.params:
            if hasattr(param, "display_type"):
                word = _plain_word(param)
                param.display_type_rich = lambda ctx, word=word: word
            if getattr(param, "param_type_name", "") == "argument" and param.metavar is None:
                param.metavar = param.name.upper()  # 'ecgraph show NAME', not '{name}'
        c.get_help_option = _plain_help(c.get_help_option)
    return cmd


def _plain_help(make):
    def get_help_option(ctx):
        option = make(ctx)
        if option is not None:
            option.display_type_rich = lambda ctx: ""
        return option

    return get_help_option


# options a command takes that may also be written before it: 'ecgraph --data FILE query ...'
_LEADING = {"--data": True, "-d": True, "--store": True}


def _options_after_command(cmd, argv: list[str]) -> list[str]:
    """``argv`` with the ``--data``/``--store`` options written before the command moved after its name.

    >>> import click
    >>> root = click.Group(commands=[click.Command("query"), click.Group("import", commands=[click.Command("csl")])])
    >>> _options_after_command(root, ["--data", "x.nt", "query", "SELECT"])
    ['query', '--data', 'x.nt', 'SELECT']
    >>> _options_after_command(root, ["-d", "a", "--store=memory", "import", "csl", "f.csv"])
    ['import', 'csl', '-d', 'a', '--store=memory', 'f.csv']
    """
    moved, i = [], 0
    while i < len(argv):
        word = argv[i]
        name = word.split("=", 1)[0]
        if name not in _LEADING:
            break
        if "=" in word or i + 1 == len(argv):
            moved.append(word)
            i += 1
        else:
            moved += argv[i:i + 2]
            i += 2
    if not moved:
        return argv
    path, rest = [], argv[i:]
    while rest and hasattr(cmd, "commands") and rest[0] in cmd.commands:  # down the groups to the command
        cmd = cmd.commands[rest[0]]
        path.append(rest.pop(0))
    if not path:  # no command follows: let the root refuse the option, as it would
        return argv
    return path + moved + rest


def main(argv=None) -> int:
    """Entry point: run the app, turning ecgraph errors into one line on stderr and exit code 2."""
    try:
        cmd = _command()
        argv = _options_after_command(cmd, list(sys.argv[1:] if argv is None else argv))
        code = cmd.main(args=argv, prog_name="ecgraph", standalone_mode=False)
        if isinstance(code, int):  # click returns the code of typer.Exit when not standalone
            return code
    except EcgraphError as exc:
        typer.echo(printable(f"error: {_plain_error(exc)}"), err=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # pragma: no cover - click's own exits
        return exc.code if isinstance(exc.code, int) else 1
    except OSError as exc:  # a path that cannot be written or read: one line, not a traceback
        where = f"{exc.filename}: " if exc.filename else ""
        typer.echo(printable(f"error: {where}{exc.strerror or exc}"), err=True)
        return 2
    except Exception as exc:
        # typer vendors click; its usage errors (unknown option, bad number, ...) have show() and exit_code
        if type(exc).__name__ == "Abort":
            return 130
        if hasattr(exc, "exit_code") and hasattr(exc, "format_message"):
            typer.echo(printable(f"error: {exc.format_message()}" + _usage_hint(exc)), err=True)
            return 2
        raise
    return 0


def _plain_error(exc) -> str:
    """The error's one line, with a parser's list of expected tokens replaced by what it means."""
    text = re.sub(r"[ \t]*\n\s*", " ", str(exc)).strip()  # one line; other controls stay, spelled out when printed
    if "Prefix not found" in text and "expected one of" in text:  # oxigraph's parser on an undeclared prefix
        from ..namespace import PREFIXES

        where = text.split("expected one of", 1)[0].rstrip(": ")
        known = ", ".join(sorted(PREFIXES))
        return (f"{where}: a prefix is not declared; add 'PREFIX name: <iri>' "
                f"(predefined: {known})")
    return text


def _usage_hint(exc) -> str:
    ctx = getattr(exc, "ctx", None)
    return f" (see '{ctx.command_path} --help')" if ctx is not None else " (see 'ecgraph --help')"


def run() -> None:  # pragma: no cover - the process ends here
    """The ``ecgraph`` program: :func:`main`, then the process ends without tearing down what it loaded.

    Freeing a graph of a million triples object by object takes about a second after the answer is
    printed; every file the command wrote is already closed and renamed into place (see
    :mod:`graph.store.atomic`), so only the output streams are flushed before the exit.
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:  # 'ecgraph ... | head': the reader left; nothing more can be told
        code = code or 1
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
