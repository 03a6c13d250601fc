"""The review queue of weak matches, and the judgements people make on them.

Kept in ``data_dir()/review.json`` (written atomically: a temporary file, then
``os.replace``)::

    {"pending":   {MATCH_ID: {record, record_name, party, party_name, score, features, match, import}},
     "linked":    {MATCH_ID: {...}},   the accepted matches, so that a person can still reject one
     "decisions": {MATCH_ID: {decision, record, party, record_name, party_name, at}}}

A match id is a digest of the record and the party (:func:`graph.readwrite.linking.match_id`),
and record IRIs are stable across files, so a judgement holds for every later
import of the same record: :class:`graph.readwrite.linking.Linker` reads
:func:`judgements` and accepts or rejects the match whatever its score.

A judgement also takes effect at once, without a re-import: the store gets an
import ``review-judgements`` (``imports/review-judgements.nq``) holding each
accepted match's ``owl:sameAs`` and each decision as ``ecg:reviewDecision``;
a rejected match's ``owl:sameAs`` is taken out of the imports that assert it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from ..errors import EcgraphError, InputError, UnknownNameError

JUDGEMENTS_IMPORT = "review-judgements"
DECISIONS = ("accepted", "rejected")
_SAME_AS = "<http://www.w3.org/2002/07/owl#sameAs>"


@dataclass(frozen=True)
class PendingMatch:
    """A weak match waiting for a person, or one already judged (``decision`` set)."""

    id: str
    record: str
    record_name: str
    party: str
    party_name: str
    score: float
    features: tuple[str, ...] = ()
    match: str = ""  # IRI of the ecg:NameMatch node
    import_name: str = ""
    decision: str = ""


def review_file() -> Path:
    """Where the queue and the judgements are kept: ``data_dir()/review.json``."""
    from ..store.load import data_dir

    return data_dir() / "review.json"


def _read() -> dict:
    path = review_file()
    if not path.is_file():
        return {"pending": {}, "linked": {}, "decisions": {}}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EcgraphError(f"{path}: unreadable review file ({exc})") from None
    for section in ("pending", "linked", "decisions"):
        doc.setdefault(section, {})
    return doc


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def judgements() -> dict[str, str]:
    """Every judgement made: match id -> ``"accepted"`` or ``"rejected"``."""
    return {k: v["decision"] for k, v in _read()["decisions"].items()}


def enqueue(import_name: str, links: Iterable, matches: dict[str, str] | None = None) -> int:
    """Queue the unaccepted, unjudged ``links`` of an import for review (and keep the accepted ones, which a
    person may still reject); return how many are pending now.

    ``matches`` maps a link's id to the IRI of its ``ecg:NameMatch`` node.
    """
    doc = _read()
    changed = False
    for link in links:
        if link.id in doc["decisions"]:
            continue
        doc["linked" if link.accepted else "pending"][link.id] = {
            "record": link.record, "record_name": link.record_name, "party": link.party,
            "party_name": link.party_name, "score": link.score, "features": list(link.features),
            "match": (matches or {}).get(link.id, ""), "import": import_name,
        }
        changed = True
    if changed:
        _write_atomic(review_file(), json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False))
    return len(doc["pending"])


def pending() -> list[PendingMatch]:
    """The matches waiting for a judgement, best score first."""
    doc = _read()
    out = [_pending(k, v) for k, v in doc["pending"].items() if k not in doc["decisions"]]
    return sorted(out, key=lambda m: (-m.score, m.record_name, m.id))


def decided() -> list[PendingMatch]:
    """The matches judged so far."""
    doc = _read()
    return sorted((_pending(k, v, v["decision"]) for k, v in doc["decisions"].items()), key=lambda m: m.id)


def _pending(key: str, v: dict, decision: str = "") -> PendingMatch:
    return PendingMatch(key, v.get("record", ""), v.get("record_name", ""), v.get("party", ""),
                        v.get("party_name", ""), float(v.get("score", 0)), tuple(v.get("features", ())),
                        v.get("match", ""), v.get("import", ""), decision)


def judge(match: str, decision: str, *, now: dt.datetime | None = None) -> PendingMatch:
    """Accept or reject the match with id ``match`` (pending or judged before); return it with its decision.

    The judgement is stored, and the store changed at once (see the module text).
    """
    if decision not in DECISIONS:
        raise InputError(f"unknown decision {decision!r}; choose one of {', '.join(DECISIONS)}")
    with _store_lock():
        return _judge(match, decision, now)


def _store_lock():
    """The import store's lock (``graph.readwrite.imports.import_lock``) where the store has one: a judgement rewrites imports."""
    import contextlib

    from ..store import stored

    lock = getattr(stored, "import_lock", None)
    return lock() if lock is not None else contextlib.nullcontext()


def _judge(match: str, decision: str, now: dt.datetime | None) -> PendingMatch:
    doc = _read()
    known = {**doc["linked"], **doc["pending"], **doc["decisions"]}
    if match not in known:
        from ..store.names import suggestions

        raise UnknownNameError("match", match, suggestions({k: set() for k in known}, match))
    entry = dict(known[match])
    entry["decision"] = decision
    entry["at"] = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0).isoformat()
    doc["decisions"][match] = entry
    doc["pending"].pop(match, None)
    doc["linked"].pop(match, None)
    _write_atomic(review_file(), json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False))
    if decision == "rejected":
        _drop_same_as(entry["record"], entry["party"])
    _write_judgements(doc["decisions"])
    return _pending(match, entry, decision)


def _drop_same_as(record: str, party: str) -> None:
    """Take ``record owl:sameAs party`` out of every stored import that asserts it (each file rewritten atomically)."""
    from ..store.stored import imports_dir

    line_start = f"<{record}> {_SAME_AS} <{party}> "
    folder = imports_dir()
    for nq in sorted(folder.glob("*.nq")) if folder.is_dir() else []:
        if nq.stem == JUDGEMENTS_IMPORT:
            continue
        with nq.open(encoding="utf-8") as fh:
            lines = fh.readlines()
        kept = [line for line in lines if not line.startswith(line_start)]
        if len(kept) != len(lines):
            _write_atomic(nq, "".join(kept))


def _write_judgements(decisions: dict) -> None:
    """Write the ``review-judgements`` import: sameAs for accepted matches, every decision on its match node."""
    from rdflib import OWL, RDF, RDFS, Literal, URIRef
    from rdflib.namespace import DCTERMS

    from ..store.stored import _nq, graph_name, imports_dir
    from ..namespace import ECG, ID

    source = ID["review/judgements"]
    triples = [(source, RDF.type, ECG.SourceDocument),
               (source, RDFS.label, Literal("Match judgements made with 'ecgraph review'"))]
    for key, d in sorted(decisions.items()):
        if d.get("match"):
            triples += [(URIRef(d["match"]), ECG.reviewDecision, Literal(d["decision"])),
                        (URIRef(d["match"]), DCTERMS.source, source)]
        if d["decision"] == "accepted":
            triples.append((URIRef(d["record"]), OWL.sameAs, URIRef(d["party"])))
    folder = imports_dir()
    suffix = f" <{graph_name(JUDGEMENTS_IMPORT)}> .\n"
    _write_atomic(folder / f"{JUDGEMENTS_IMPORT}.nq", "".join(_nq(t) + suffix for t in triples))
    meta = {"name": JUDGEMENTS_IMPORT, "kind": "review", "file": "review.json", "sha256": "",
            "started": "", "graph": str(graph_name(JUDGEMENTS_IMPORT)), "records": len(decisions),
            "imported": sum(1 for d in decisions.values() if d["decision"] == "accepted"),
            "linked": 0, "review": 0, "skipped": 0, "added": 0, "ended": 0, "lists": {}, "partial": True}
    _write_atomic(folder / f"{JUDGEMENTS_IMPORT}.json", json.dumps(meta, indent=1, sort_keys=True))
