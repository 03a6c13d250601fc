"""The audit record of an answer: which data (hashes of the curated files and of each active import,
with its date), which tool version, when, and what was asked.

Everything but ``time`` depends only on the data and the question, so two records of the same
question over the same data differ in their time alone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataFile:
    """One file the answer was computed from, by name and SHA-256."""

    name: str
    sha256: str


@dataclass(frozen=True)
class ImportVersion:
    """One active import: its name, the SHA-256 of the imported file and the day it was imported."""

    name: str
    file: str
    sha256: str
    imported_on: str


@dataclass(frozen=True)
class Audit:
    """What an answer rests on: data version, tool version, time, question."""

    tool: str
    version: str
    data_version: str  # one SHA-256 over every file hash and import below
    curated: tuple[DataFile, ...]
    extra: tuple[DataFile, ...]
    imports: tuple[ImportVersion, ...]
    question: dict
    time: str

    def as_json(self) -> dict:
        """The record as plain JSON-ready values."""
        return asdict(self)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_files(extra=()) -> tuple[tuple[DataFile, ...], tuple[DataFile, ...], tuple[ImportVersion, ...]]:
    """The curated files, the user's extra files and the active imports, each with its hash."""
    from .stored import active_imports, list_imports
    from .load import curated_files, expand, ontology_dir

    root = ontology_dir()
    curated = tuple(DataFile(str(p.relative_to(root.parent) if root.parent in p.parents else p.name), _sha256(p))
                    for p in curated_files())
    extras = tuple(DataFile(p.name, _sha256(p)) for p in expand(extra)) if extra else ()
    active = {str(p) for p in active_imports()}
    imports = tuple(ImportVersion(s.name, s.file, s.sha256 or _sha256(Path(s.path)), s.started[:10])
                    for s in list_imports() if s.path in active)
    return curated, extras, imports


def audit_record(question: dict, *, extra=(), now: dt.datetime | None = None) -> Audit:
    """The audit record of answering ``question`` (plain JSON values) over the data loaded now.

    >>> a = audit_record({"chip": "H100"}, now=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    >>> a.time, len(a.data_version), a.curated[0].name
    ('2026-01-01T00:00:00+00:00', 64, 'ontology/ecg.ttl')
    """
    from .. import __version__

    curated, extras, imports = data_files(extra)
    digest = hashlib.sha256()
    for f in (*curated, *extras):
        digest.update(f"{f.name}\t{f.sha256}\n".encode())
    for i in imports:
        digest.update(f"import\t{i.name}\t{i.sha256}\t{i.imported_on}\n".encode())
    when = (now or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    return Audit(tool="ecgraph", version=__version__, data_version=digest.hexdigest(), curated=curated,
                 extra=extras, imports=imports, question=question, time=when)


def question_of(usage) -> dict:
    """A usage as the question of an audit record (IRIs and dates as strings, absent fields as None)."""
    out = {}
    for k, v in asdict(usage).items():
        key = "for" if k == "for_" else k
        if isinstance(v, dt.date):
            v = v.isoformat()
        elif isinstance(v, tuple):
            v = list(v)
        out[key] = v if v != "" else None
    return out
