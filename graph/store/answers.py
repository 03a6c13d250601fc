"""Answers of read-only queries on the on-disk store, kept between runs under a key of all they were made from.

A named query over a full imported list takes one to two seconds in Oxigraph (26,000 listings joined, sorted and
written out); asked again of the same data, it gives the same text. So the text is kept in
``data_dir()/cache/answers``, in a file named by two digests:

- the **data**: each file the store holds (its path, size and modification time, as the store's own fingerprint);
- the **question**: the query text, the output format, and what the caller says the answer also depends on (the
  engine's stamp, the date of the derived facts, the bindings as given, the day a ``default=today`` fell on).

A query whose answer may change between runs on the same data is never kept: one that calls ``NOW``, ``RAND``,
``UUID``, ``STRUUID`` or ``BNODE``, one with ``SERVICE``, and one rdflib's parser cannot read (the parse decides,
never the text). Keeping an answer removes those of other data (they can never be asked again), then the least
recently read past :data:`KEEP` answers or :data:`MAX_BYTES` in all. Each answer is written like every file in
the data directory (temporary file, fsync, rename); a data directory that cannot be written just keeps nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .datadir import data_dir

KEEP = 64  # answers kept, the most recently read
MAX_BYTES = 256 << 20  # all kept answers together
MAX_ANSWER = 64 << 20  # a longer answer is not kept
WORTH_KEEPING = 0.25  # seconds: a quicker answer is asked again (reading it back would save nothing)

_VOLATILE = frozenset({"Builtin_NOW", "Builtin_RAND", "Builtin_UUID", "Builtin_STRUUID", "Builtin_BNODE",
                       "ServiceGraphPattern"})


@dataclass(frozen=True)
class Slot:
    """Where the answer to one question on one state of the data is kept (whether or not it is there yet)."""

    path: Path
    data: str  # the digest of the data: the file name's first part


def folder() -> Path:
    return data_dir() / "cache" / "answers"


def slot(inputs, question) -> Slot:
    """The slot for ``question`` (any JSON value: the query, its format, bindings...) on the data ``inputs``.

    >>> a = slot([["/d/a.nq", 10, 1]], ["SELECT ...", "csv"])
    >>> a == slot([["/d/a.nq", 10, 1]], ["SELECT ...", "csv"]), a == slot([["/d/a.nq", 11, 1]], ["SELECT ...", "csv"])
    (True, False)
    """
    data = _digest(inputs)[:16]
    return Slot(folder() / f"{data}-{_digest(question)[:32]}.txt", data)


def same_data(at: Slot, inputs) -> bool:
    """Whether ``inputs`` (a loaded dataset's ``ecgraph_inputs``) are the data ``at`` was made for."""
    return inputs is not None and _digest([list(entry) for entry in inputs])[:16] == at.data


def read(at: Slot) -> str | None:
    """The answer kept in ``at``, else None; reading it marks it recently used."""
    try:
        with at.path.open(encoding="utf-8", newline="") as fh:  # CSV's CRLF kept as written
            text = fh.read()
    except (OSError, UnicodeDecodeError):  # not there (or removed meanwhile), or damaged: asked again
        return None
    try:
        os.utime(at.path)
    except OSError:
        pass
    return text


def keep(at: Slot, answer: str) -> bool:
    """Keep ``answer`` in ``at`` (the caller has checked the query with :func:`may_keep`); whether it was kept."""
    if len(answer) > MAX_ANSWER:
        return False
    from .atomic import remove_stale_temporaries, write_atomic

    try:
        write_atomic(at.path, answer)
        remove_stale_temporaries(at.path.parent)  # the half-written answers of killed processes
        _trim(at)
    except OSError:  # a read-only or full data directory: the answer is just not kept
        return False
    return True


def may_keep(text: str) -> bool:
    """Whether the answer to ``text`` is the same on every run on the same data, as rdflib's parser reads it.

    >>> may_keep("SELECT ?s WHERE { ?s ?p ?o }"), may_keep("SELECT (NOW() AS ?t) WHERE {}")
    (True, False)
    >>> may_keep('SELECT ?s WHERE { ?s ?p "NOW()" }'), may_keep("SELECT ?s WHERE {")
    (True, False)
    """
    from .sparql import parse_node, with_prefixes

    try:
        return parse_node(with_prefixes(text), _VOLATILE) is None
    except Exception:  # a text rdflib cannot read is never kept, whatever Oxigraph made of it
        return False


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _trim(at: Slot) -> None:
    """Remove the answers of other data, then the least recently read past KEEP answers or MAX_BYTES."""
    kept = []
    for path in at.path.parent.glob("*.txt"):
        try:
            if not path.name.startswith(at.data + "-"):
                path.unlink(missing_ok=True)
            else:
                st = path.stat()
                kept.append((st.st_mtime_ns, st.st_size, path))
        except OSError:  # removed by another process meanwhile
            continue
    kept.sort(reverse=True)
    total = 0
    for n, (_, size, path) in enumerate(kept):
        total += size
        if (n >= KEEP or total > MAX_BYTES) and path != at.path:
            path.unlink(missing_ok=True)
