"""Batch screening: a CSV or XLSX file of chip usages or counterparties, one per row, answered row by row.

Rows are read, answered and written one at a time (streamed), so a large file never sits in memory and
one bad row (an unknown name, a bad date) becomes an error row: the batch goes on. A row with a
``chip`` is a usage (columns as in ``usages.json``: chip, activity, user, for, supplier, user_country,
for_country, supplier_country, where, shipped_from, end_uses, red_flags, as_of; lists ``;``-separated);
a row with only a ``party`` (or ``counterparty``) is a counterparty: its listings, and its owners', on ``as_of``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from rdflib import Graph

from ..errors import EcgraphError, InputError

FORMATS = ("csv", "xlsx", "json")
COLUMNS = ("row", "kind", "question", "verdict", "exposures", "details", "error", "data_version")
_LISTS = ("end_uses", "red_flags")
_PARTY = ("party", "counterparty")


@dataclass(frozen=True)
class Row:
    """One input row: its number in the file (the header is row 1) and its non-empty cells by column."""

    number: int
    cells: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Result:
    """The answer to one row, or the error it gave."""

    row: int
    kind: str  # "usage", "counterparty" or "" when the row could not be read
    question: str
    verdict: str = ""
    exposures: int = 0
    details: tuple[str, ...] = ()
    error: str = ""
    data_version: str = ""  # of the audit record (graph.store.audit) the batch was answered under

    def values(self) -> tuple:
        """The result in :data:`COLUMNS` order, details joined with `` | ``."""
        return (self.row, self.kind, self.question, self.verdict, self.exposures, " | ".join(self.details),
                self.error, self.data_version)


def count_rows(path: Path) -> int | None:
    """How many data rows ``path`` holds (for a progress bar), without reading them into memory."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        return None
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return max(sum(1 for _ in csv.reader(fh)) - 1, 0)


def read_rows(path: Path) -> Iterator[Row]:
    """The data rows of a CSV (comma, semicolon or tab separated) or XLSX file, one at a time.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
    ...     _ = fh.write("chip,user_country,as_of\\nH100,SG,2025-06-01\\n")
    >>> [r.cells for r in read_rows(fh.name)]
    [{'chip': 'H100', 'user_country': 'SG', 'as_of': '2025-06-01'}]
    >>> os.unlink(fh.name)
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        yield from _xlsx_rows(path)
        return
    if suffix not in (".csv", ".tsv", ".txt"):
        raise InputError(f"{path}: screening reads .csv, .tsv or .xlsx files")
    from ..readwrite.csl import one_row

    with open(path, encoding=_encoding(path), errors="replace", newline="") as fh:
        text = fh.read()
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t") if text else csv.excel
    except csv.Error:
        dialect = csv.excel
    # each row read from its own first line on: a quoted cell may span lines, but a row that then breaks (an
    # unterminated or stray quote) is one error row, and reading goes on at its next line
    lines = text.splitlines(keepends=True)
    first, used, error = one_row(lines, 0, dialect.delimiter) if lines else ([], 0, None)
    if error is not None:
        raise InputError(f"{path}: row 1 cannot be read ({error})")
    header = _header(first or None, path)
    at = max(used, 1)
    while at < len(lines):
        cells, used, error = one_row(lines, at, dialect.delimiter)
        if error is None and used > 1 and len(cells) != len(header):
            error = f"a quoted cell runs over {used} lines into {len(cells)} cells (a stray or unterminated quote?)"
        if error is not None:
            yield Row(at + 1, {"__error__": error if error.startswith("unreadable") else f"unreadable row ({error})"})
            at += 1
            continue
        if any(str(c).strip() for c in cells):
            yield _row(at + used, header, cells)
        at += max(used, 1)


def _encoding(path: Path) -> str:
    """UTF-8 (with or without a byte-order mark) when the file's start decodes as such, else Windows-1252,
    the encoding spreadsheet programs write CSV in; a byte that does not decode becomes U+FFFD."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the end of the sample
            return "cp1252"
    return "utf-8-sig"


def _xlsx_rows(path: Path) -> Iterator[Row]:
    try:
        from openpyxl import load_workbook
    except ImportError:  # pragma: no cover - a dependency of ecgraph
        raise InputError("reading .xlsx needs openpyxl (pip install openpyxl)") from None
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise InputError(f"{path}: not a readable XLSX workbook ({type(exc).__name__}: {exc})") from None
    try:
        rows = wb.active.iter_rows(values_only=True)
        header = _header(next(rows, None), path)
        for i, cells in enumerate(rows, 2):
            if cells and any(c not in (None, "") for c in cells):
                yield _row(i, header, [_cell(c) for c in cells])
    finally:
        wb.close()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _header(cells, path) -> list[str]:
    if not cells:
        raise InputError(f"{path}: empty file; the first row names the columns (chip, user, ... or party)")
    header = [str(c or "").strip().lower().replace(" ", "_").replace("-", "_") for c in cells]
    if not ({"chip", *_PARTY} & set(header)):
        raise InputError(f"{path}: row 1 names no 'chip' or 'party' column (found: {', '.join(h for h in header if h)})")
    return header


def _row(number: int, header: list[str], cells) -> Row:
    values = {}
    for name, value in zip(header, cells):
        text = str(value).strip()
        if name and text:
            values[name] = text
    if len(cells) > len(header) and any(str(c).strip() for c in cells[len(header):]):
        values["__extra__"] = "more cells than the header names"
    return Row(number, values)


def screen_rows(g: Graph, rows: Iterable[Row], *, default_as_of="today", G=None,
                data_version: str = "") -> Iterator[Result]:
    """Answer each row in turn; a row that cannot be answered gives a :class:`Result` with its ``error``."""
    from dataclasses import replace

    from ..reasoning.exposure import traversal_graph

    G = traversal_graph(g) if G is None else G
    for row in rows:
        try:
            result = _answer(g, G, row, default_as_of)
        except EcgraphError as exc:
            result = Result(row.number, _kind(row.cells), _question(row.cells), error=str(exc))
        except Exception as exc:  # noqa: BLE001 - one row's surprise must not stop the batch
            result = Result(row.number, _kind(row.cells), _question(row.cells),
                            error=f"unexpected {type(exc).__name__}: {exc}")
        yield replace(result, data_version=data_version)


def _kind(cells: dict) -> str:
    if cells.get("chip"):
        return "usage"
    return "counterparty" if any(cells.get(k) for k in _PARTY) else ""


def _question(cells: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in cells.items() if not k.startswith("__"))


def _answer(g, G, row: Row, default_as_of) -> Result:
    from ..reasoning.exposure import exposures, verdict
    from ..reasoning.usage import FIELDS, usage_from_names

    cells = row.cells
    if "__error__" in cells:
        raise InputError(cells["__error__"])
    if "__extra__" in cells:
        raise InputError(cells["__extra__"])
    kind = _kind(cells)
    if not kind:
        raise InputError("no chip and no party")
    as_of = cells.get("as_of") or default_as_of
    if kind == "counterparty":
        return _counterparty(g, G, row, cells.get("party") or cells.get("counterparty"), as_of)
    unknown = sorted(set(cells) - set(FIELDS) - set(_PARTY) - {"id", "note", "notes", "reference"})
    if unknown:
        raise InputError(f"unknown column {unknown[0]!r}; usage columns are {', '.join(FIELDS)}")
    args = {("for_" if k == "for" else k): v for k, v in cells.items() if k in FIELDS and k != "as_of"}
    for k in _LISTS:
        if k in args:
            args[k] = tuple(x.strip() for x in args[k].split(";") if x.strip())
    usage = usage_from_names(g, as_of=as_of, **args)
    answer = exposures(g, usage, G=G)
    details = tuple(
        f"{e.severity_label}: {e.party_label or 'rule status'} ({e.role or '-'}) <- {e.restriction_label}"
        + (f" [{'; '.join(e.citations)}]" if e.citations else "")
        for e in answer.exposures)
    return Result(row.number, kind, _question(cells), verdict(answer), len(answer.exposures), details)


def _counterparty(g, G, row: Row, name: str, as_of) -> Result:
    from rdflib import RDF, URIRef

    from ..store.names import label_of, resolve
    from ..namespace import ECG
    from ..reasoning.network import collapsing_classes
    from ..reasoning.ownership import ownership_view
    from ..reasoning.timeline import holds, parse_date

    day = parse_date(as_of, what="as_of")
    party = str(resolve(g, name, "party"))
    owners = ownership_view(G, day)
    chain = [party] + sorted(a for a in (owners.predecessors(party) if party in owners else ()))
    seen, todo = set(chain), list(chain[1:])
    while todo:  # owners of owners
        for a in owners.predecessors(todo.pop()):
            if a not in seen:
                seen.add(a)
                chain.append(a)
                todo.append(a)
    frm, to = collapsing_classes(g)[ECG.Listing]
    details = []
    from rdflib import OWL

    aliases = {str(x) for x in g.objects(URIRef(party), OWL.sameAs)} | {str(x) for x in g.subjects(OWL.sameAs, URIRef(party))}
    chain[1:1] = sorted(aliases - set(chain))  # an imported record linked to the party is the party
    for who in chain:
        for node in sorted(g.subjects(frm, URIRef(who))):
            if (node, RDF.type, ECG.Listing) not in g:
                continue
            start, until = g.value(node, ECG.validFrom), g.value(node, ECG.validUntil)
            if not holds(start.toPython() if start is not None else None,
                         until.toPython() if until is not None else None, day):
                continue
            cite = g.value(node, ECG.frCitation)
            whose = "" if who == party or who in aliases else f"owner {label_of(g, URIRef(who))} "
            details.append(f"{whose}on {label_of(g, g.value(node, to))} since {start}" + (f" [{cite}]" if cite else "")
                           + f" ({label_of(g, node)})")
    own = [d for d in details if not d.startswith("owner ")]
    verdict = "listed" if own else ("an owner is listed" if details else "not listed")
    return Result(row.number, "counterparty", _question(row.cells), verdict, len(details), tuple(details))


def write_results(results: Iterable[Result], out: Path, *, format: str | None = None,
                  on_result: Callable[[Result], None] | None = None, audit: dict | None = None) -> dict:
    """Write each result as it comes to ``out`` (CSV, XLSX or JSON; from the suffix unless ``format``).

    The file is written next to ``out`` and moved into place at the end, so a stopped run leaves no
    half file. Returns counts: rows, answered, errors.
    """
    import os
    import tempfile

    out = Path(out)
    fmt = (format or out.suffix.lstrip(".").lower() or "csv")
    if fmt not in FORMATS:
        raise InputError(f"unknown output format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if out.is_dir():
        raise InputError(f"{out}: is a folder; give the file to write with --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(fd)
    counts = {"rows": 0, "answered": 0, "errors": 0}

    def seen(r: Result) -> Result:
        counts["rows"] += 1
        counts["errors" if r.error else "answered"] += 1
        if on_result is not None:
            on_result(r)
        return r

    try:
        if fmt == "csv":
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(COLUMNS)
                for r in results:
                    w.writerow(seen(r).values())
        elif fmt == "json":
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write('{"audit": ' + json.dumps(audit or {}, ensure_ascii=False, sort_keys=True) + ',\n "results": [')
                for i, r in enumerate(results):
                    item = dict(zip(COLUMNS, seen(r).values()))
                    item["details"], item["error"] = list(r.details), r.error or None
                    item["verdict"] = r.verdict or None
                    fh.write(("," if i else "") + "\n  " + json.dumps(item, ensure_ascii=False))
                fh.write("\n]}\n")
        else:
            from openpyxl import Workbook

            wb = Workbook(write_only=True)
            ws = wb.create_sheet("results")
            ws.append(list(COLUMNS))
            for r in results:
                ws.append(list(seen(r).values()))
            if audit:
                meta = wb.create_sheet("audit")
                for k, v in sorted(audit.items()):
                    meta.append([k, v if isinstance(v, (str, int, float)) else json.dumps(v, ensure_ascii=False)])
            wb.save(tmp)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return counts
