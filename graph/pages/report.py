"""The screening memo: one self-contained HTML page per answer (verdict, exposures, paths, citations with
links, the audit record) that prints well.

The page is filled from ``pages/memo.html`` and ``pages/memo.css``; every string from the data goes
through ``html.escape``. For the same data and question the page is the same bytes except for the
audit record's time.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from pathlib import Path

from rdflib import Graph, Literal, URIRef

from ..namespace import ECG
from ..store.names import label_of
from ..reasoning.usage import usage_words

_IRI = ("http://", "https://", "urn:")


def citation_links(g: Graph) -> dict[str, str]:
    """Each Federal Register citation (and FR document number) in the graph -> the URL of its document."""
    out = {}
    for p in (ECG.frCitation, ECG.frDocNumber):
        for s, c in g.subject_objects(p):
            url = g.value(s, ECG.url)
            if url is not None and str(c) not in out:
                out[str(c)] = str(url)
    return dict(sorted(out.items()))


def _term(g: Graph, value: str) -> str:
    if value.startswith(_IRI):
        return label_of(g, URIRef(value))
    return value


def _link(text: str, url: str | None) -> str:
    esc = html.escape
    return f'<a href="{esc(url)}">{esc(text)}</a>' if url else esc(text)


def memo_html(g: Graph, answer, audit) -> str:
    """The memo of ``answer`` with its ``audit`` record (:func:`graph.store.audit.audit_record`), as one page."""
    from .. import __version__
    from ..reasoning.exposure import verdict
    from . import fill, inline_style, read

    esc = html.escape
    links = citation_links(g)
    head = verdict(answer)
    words = usage_words(g, answer.usage)
    question = "".join(
        f"<dt>{esc(k)}</dt><dd>{esc(_question_value(g, v))}</dd>"
        for k, v in audit.question.items() if v not in (None, [], "") and k != "iri")

    if answer.exposures:
        rows = "".join(
            "<tr>" + "".join(f"<td>{x}</td>" for x in (
                esc(e.severity_label), esc(e.party_label or "(rule status)") + (f" <small>({esc(e.role)})</small>" if e.role else ""),
                esc(e.restriction_label), esc(e.policy_label or ""),
                "; ".join(_link(c, links.get(c)) for c in e.citations))) + "</tr>"
            for e in answer.exposures)
        exposures = ("<table><thead><tr><th>severity</th><th>party (role)</th><th>restriction</th><th>review policy</th>"
                     f"<th>citations</th></tr></thead><tbody>{rows}</tbody></table>")
        paths = "".join(
            f"<h3>{i}. {esc(e.party_label or '(rule status)')}: {esc(e.restriction_label)}</h3>"
            f"<p>{esc(e.explanation)}</p><ol class=\"path\">"
            + "".join(
                f"<li>{esc(_term(g, s.s))} <span class=\"p\">{esc(_term(g, s.p))}</span> {esc(_term(g, s.o))}"
                + (f" <span class=\"src\">[{'; '.join(_source(g, x, links) for x in s.sources)}]</span>" if s.sources else "")
                + "</li>" for s in e.path)
            + "</ol>" for i, e in enumerate(answer.exposures, 1))
    else:
        exposures = '<p class="none">No exposure found.</p>'
        paths = '<p class="none">No exposure, so no path.</p>'

    counts: dict[str, int] = {}
    for c in answer.checked:
        counts[c.result] = counts.get(c.result, 0) + 1
    open_ = [c for c in answer.checked if c.result == "undetermined"]
    checks = f"<p>{len(answer.checked)} restrictions checked: " + ", ".join(
        f"{n} {esc(r)}" for r, n in sorted(counts.items())) + ".</p>"
    if open_:
        checks += "<p>Could not be decided (the data is silent):</p><ul>" + "".join(
            f"<li>{esc(c.label)}: {esc(c.missing or c.reason)}</li>" for c in open_) + "</ul>"

    cited = sorted({c for e in answer.exposures for c in e.citations})
    citations = ("<ul>" + "".join(f"<li>{_link(c, links.get(c))}</li>" for c in cited) + "</ul>"
                 if cited else '<p class="none">No citation: no exposure.</p>')

    return fill(read("memo.html"), {
        "VERSION": esc(__version__), "TITLE": esc(words), "CSS": inline_style(read("memo.css")),
        "VERDICT": esc(head), "VERDICTCLASS": head.split(":")[0].replace(" ", "-"),
        "QUESTION": question, "EXPOSURES": exposures, "PATHS": paths, "CHECKS": checks,
        "CITATIONS": citations, "AUDIT": audit_html(audit),
    })


def _question_value(g, v) -> str:
    if isinstance(v, list):
        return ", ".join(_question_value(g, x) for x in v)
    text = str(v)
    return f"{label_of(g, URIRef(text))} <{text}>" if text.startswith(_IRI) else text


def _source(g: Graph, iri: str, links: dict) -> str:
    node = URIRef(iri)
    citation = g.value(node, ECG.frCitation)
    if citation is not None:
        return _link(str(citation), links.get(str(citation)))
    url = g.value(node, ECG.url)
    label = label_of(g, node) if iri.startswith(_IRI) else iri
    return _link(label, str(url) if isinstance(url, Literal) or url is not None else None)


def audit_html(audit) -> str:
    """The audit record as a definition list and a table of file hashes."""
    esc = html.escape
    rows = [("tool", f"{audit.tool} {audit.version}"), ("time", audit.time),
            ("data version", f'<span class="hash">{esc(audit.data_version)}</span>')]
    out = "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{v if k == 'data version' else esc(v)}</dd>" for k, v in rows)
    out += (f"<dt>question</dt><dd><code>{esc(json.dumps(audit.question, sort_keys=True, ensure_ascii=False))}"
            "</code></dd></dl>")
    files = [("curated", f.name, f.sha256, "") for f in audit.curated]
    files += [("--data", f.name, f.sha256, "") for f in audit.extra]
    files += [("import", f"{i.name} ({i.file})", i.sha256, i.imported_on) for i in audit.imports]
    out += ("<table><thead><tr><th>kind</th><th>file</th><th>SHA-256</th><th>imported on</th></tr></thead><tbody>"
            + "".join(f"<tr><td>{esc(k)}</td><td>{esc(n)}</td><td class=\"hash\">{esc(h)}</td><td>{esc(d)}</td></tr>"
                      for k, n, h, d in files) + "</tbody></table>")
    if not audit.imports:
        out += '<p class="none">No import was active: screening lists as far as the curated data goes.</p>'
    return out


def write_memos(g: Graph, answers, path, audits) -> list[Path]:
    """Write one memo per answer (``path`` for one, ``path-1``, ``path-2``, ... for several), each atomically."""
    path = Path(path)
    if path.is_dir():
        from ..errors import InputError

        raise InputError(f"{path}: is a folder; give the memo's file name with --report")
    if len(answers) == 1:
        targets = [path]
    else:
        targets = [path.with_name(f"{path.stem}-{i}{path.suffix or '.html'}") for i in range(1, len(answers) + 1)]
    for target, answer, audit in zip(targets, answers, audits):
        write_atomic(target, memo_html(g, answer, audit))
    return targets


def write_atomic(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` through a temporary file and ``os.replace`` (parents created)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes it private; a memo is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
