"""Load the ontology, the curated data, stored imports and user files into one RDF dataset.

The result is a plain :class:`rdflib.Dataset` whose default graph is the union of
its named graphs: the curated set lives in ``GRAPH.curated``, each user file in a
graph named by its ``file:`` URI, each import in its own graph. The store is one
setting: ``oxigraph`` (default, fast, via oxrdflib with Oxigraph's own parsers)
or ``memory`` (rdflib's in-memory store).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from rdflib import Dataset, URIRef

from .datadir import data_dir  # noqa: F401  (re-exported: graph.store.load.data_dir)
from .stored import active_imports
from ..errors import EcgraphError, ParseError
from ..namespace import GRAPH

STORES = ("oxigraph", "memory")

# suffix -> (oxigraph parser, rdflib parser); None where only one side reads it
_FORMATS = {
    ".ttl": ("ox-turtle", "turtle"),
    ".nt": ("ox-ntriples", "nt"),
    ".nq": ("ox-nquads", "nquads"),
    ".trig": ("ox-trig", "trig"),
    ".rdf": ("ox-xml", "xml"),
    ".owl": ("ox-xml", "xml"),
    ".jsonld": ("ox-json-ld", "json-ld"),
}
_QUAD_SUFFIXES = {".nq", ".trig"}


def ontology_dir() -> Path:
    """The folder of the shipped Turtle: inside the wheel, or the source checkout's ``ontology/``."""
    here = Path(__file__).resolve().parent.parent  # the package folder: this module is graph/store/load.py
    for candidate in (here / "ontology", here.parent / "ontology"):
        if (candidate / "ecg.ttl").is_file():
            return candidate
    raise EcgraphError(f"ontology files not found next to {here}")  # pragma: no cover


def curated_files() -> list[Path]:
    """The schema and the curated data files, in load order.

    >>> [p.name for p in curated_files()][:1]
    ['ecg.ttl']
    """
    root = ontology_dir()
    return [root / "ecg.ttl", *sorted((root / "data").glob("*.ttl"))]


def default_store() -> str:
    """The store named by ``$ECGRAPH_STORE``, else ``oxigraph``."""
    store = os.environ.get("ECGRAPH_STORE", "oxigraph")
    if store not in STORES:
        raise EcgraphError(f"unknown store {store!r} in ECGRAPH_STORE; choose one of {', '.join(STORES)}")
    return store


def oxigraph_store(g):
    """The pyoxigraph store under an oxrdflib graph or dataset, else None (rdflib's memory store)."""
    inner = getattr(getattr(g, "store", None), "_inner", None)
    return inner if type(inner).__module__.startswith("pyoxigraph") else None


def new_dataset(store: str | None = None) -> Dataset:
    """An empty dataset on the chosen store whose default graph is the union of all graphs."""
    store = store or default_store()
    if store not in STORES:
        raise EcgraphError(f"unknown store {store!r}; choose one of {', '.join(STORES)}")
    ds = Dataset(store="Oxigraph" if store == "oxigraph" else "default", default_union=True)
    ds.ecgraph_store = store  # remembered so parsers and copies can match it
    from ..namespace import PREFIXES

    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, override=True)
    return ds


def expand(paths) -> list[Path]:
    """Files named by ``paths``: files as given, folders searched for RDF files, sorted."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in _FORMATS and p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise EcgraphError(f"{path}: no such file or folder")
    return files


def parse_into(ds: Dataset, path: Path, graph_name: URIRef | None = None) -> None:
    """Parse one file into ``ds`` (into ``graph_name``, or its own named graphs for N-Quads/TriG).

    A syntax error raises :class:`ParseError` naming the file, line and column.
    """
    suffix = path.suffix.lower()
    if suffix not in _FORMATS:
        raise EcgraphError(f"{path}: unknown RDF file type {suffix or '(none)'}; use one of {', '.join(_FORMATS)}")
    ox_format, rdflib_format = _FORMATS[suffix]
    oxigraph = getattr(ds, "ecgraph_store", "oxigraph") == "oxigraph"
    fmt = ox_format if oxigraph else rdflib_format
    if suffix in _QUAD_SUFFIXES:
        target = ds
    else:
        target = ds.graph(graph_name or URIRef(path.resolve().as_uri()))
    try:
        if oxigraph and suffix in _LENIENT_SAME and _cores() >= 2 and path.stat().st_size >= STRICT_BESIDE_BYTES:
            _load_beside_strict_parse(target, path, suffix)
        elif oxigraph:  # Oxigraph's bulk loader: no transaction log, 1.5x faster on a large file; a syntax error
            target.parse(str(path), format=fmt, transactional=False)  # still leaves nothing returned
        else:
            target.parse(str(path), format=fmt)
    except SyntaxError as exc:  # Oxigraph sets lineno/offset; rdflib's BadSyntax sets lines
        if exc.lineno is not None:
            raise ParseError(f"{path}:{exc.lineno}:{exc.offset}: {_first_line(exc.msg)}") from None
        line = getattr(exc, "lines", None)
        where = f"{path}:{line + 1}" if isinstance(line, int) else str(path)
        raise ParseError(f"{where}: {_first_line(str(exc))}") from None
    except Exception as exc:  # other rdflib parser failures
        raise ParseError(f"{path}: {_first_line(str(exc))}") from None


STRICT_BESIDE_BYTES = 16 << 20
"""From this size on, with two cores, a file is loaded leniently while another process parses it strictly."""

_LENIENT_SAME = {".nt": "N_TRIPLES", ".nq": "N_QUADS", ".ttl": "TURTLE", ".trig": "TRIG"}

_STRICT_PARSE = """
import json, sys
import pyoxigraph as ox
try:
    for _ in ox.parse(path=sys.argv[1], format=ox.RdfFormat.from_media_type(sys.argv[2]), base_iri=sys.argv[3]):
        pass
except SyntaxError as exc:
    print(json.dumps([exc.lineno, exc.offset, str(exc.msg)]))
else:
    print("null")
"""


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - platforms without affinity
        return os.cpu_count() or 1


def _load_beside_strict_parse(target, path: Path, suffix: str) -> None:
    """Bulk-load ``path`` into ``target``'s Oxigraph store leniently while a second process parses it strictly.

    In the store, most of a load is indexing (a million N-Triples: 1 s to parse, 3 s to load); a lenient load
    skips the IRI checks (0.4 s less) and takes the same triples from a valid file. The strict parse, on the
    other core, decides: its syntax error (line, column) is raised as the load's would be, and the loaded
    graph is dropped with it. If that process cannot give an answer, the file is parsed strictly here.
    """
    import json
    import subprocess
    import sys

    import pyoxigraph as ox
    from oxrdflib._converter import to_ox

    from rdflib.parser import create_input_source

    fmt = getattr(ox.RdfFormat, _LENIENT_SAME[suffix])
    source = create_input_source(str(path), format=fmt.file_extension)  # the base oxrdflib's parser gives the file
    base = target.absolutize(source.getPublicId() or source.getSystemId() or "")
    source.close()
    # a file of quads puts its default graph where a Dataset's parse does (the store's default graph)
    into = ox.DefaultGraph() if suffix in _QUAD_SUFFIXES else to_ox(target.identifier)
    try:  # -P: the child does not read modules from the current folder
        check = subprocess.Popen([sys.executable, "-P", "-c", _STRICT_PARSE, str(path), fmt.media_type, base],
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    except OSError:  # no second process: the strict parse is made here, after the load
        check = None
    out, lenient_error = "", None
    try:
        try:
            oxigraph_store(target).bulk_load(path=str(path), format=fmt, base_iri=base, to_graph=into, lenient=True)
        except SyntaxError as exc:  # still a syntax error when lenient: the strict one says it first
            lenient_error = exc
        if check is not None:
            out, _ = check.communicate()
    finally:
        if check is not None and check.poll() is None:
            check.kill()
            check.wait()
    try:
        found = json.loads(out) if check is not None and check.returncode == 0 else False
    except ValueError:
        found = False
    if found is False:  # no answer from the other process: the strict parse is made here
        try:
            for _ in ox.parse(path=str(path), format=fmt, base_iri=base):
                pass
        except SyntaxError as exc:
            found = [exc.lineno, exc.offset, str(exc.msg)]
    if found:
        error = SyntaxError(found[2])
        error.lineno, error.offset = found[0], found[1]
        raise error
    if lenient_error is not None:
        raise lenient_error


def _first_line(text: str) -> str:
    return " ".join(str(text).split())[:300]


def stored_imports() -> list[Path]:
    """The import files to load from the data directory: one N-Quads file per current import.

    An import superseded by a newer file of the same lists stays in the store but is not loaded
    (see :mod:`graph.readwrite.imports`), so no fact is held twice.
    """
    return active_imports()


def load(
    *paths,
    curated: bool = True,
    imports: bool = True,
    store: str | None = None,
    persistent: bool = False,
) -> Dataset:
    """Load the curated graph, the stored imports and the given files into a new dataset.

    Parameters
    ----------
    paths : files or folders of user RDF, loaded on top of the curated set
    curated : include the shipped ontology and curated data
    imports : include the imports kept in :func:`data_dir`
    store : ``"oxigraph"`` or ``"memory"``; default from ``$ECGRAPH_STORE``
    persistent : for read-only use of the curated data and the stored imports (no ``paths``) on
        Oxigraph: open the on-disk store kept in ``data_dir()/store`` instead of parsing the files
        again; it is rebuilt when a file changes. The dataset cannot be written to.

    Returns
    -------
    rdflib.Dataset, the default graph being the union of all named graphs.
    Nothing is returned when any file fails to parse: the error names the file,
    line and column.

    >>> from graph.namespace import ECG
    >>> from rdflib import RDF
    >>> ds = load(imports=False)
    >>> (ECG.Chip, RDF.type, None) in ds
    True
    """
    if persistent and curated and imports and not paths and (store or default_store()) == "oxigraph":
        ds = persistent_dataset()
        if ds is not None:
            return ds
    ds = new_dataset(store)
    read: list[Path] = []
    if curated:
        for path in curated_files():
            parse_into(ds, path, GRAPH.curated)
            read.append(path)
    if imports:
        for path in stored_imports():
            parse_into(ds, path)
            read.append(path)
    user: list[URIRef] = []  # the named graphs of the given files, for checks that look at user data only
    for path in expand(paths):
        if path.suffix.lower() in _QUAD_SUFFIXES:
            before = {c.identifier for c in ds.contexts()}
            parse_into(ds, path)
            user += sorted(c.identifier for c in ds.contexts() if c.identifier not in before)
        else:
            parse_into(ds, path)
            user.append(URIRef(path.resolve().as_uri()))
        read.append(path)
    ds.ecgraph_inputs = fingerprint(read)
    ds.ecgraph_user_graphs = tuple(user)
    return ds


def store_inputs() -> list | None:
    """The fingerprint of the files the on-disk store of :func:`persistent_dataset` holds (or is to hold), as it
    keeps it; None when there is no such store (nothing imported). Read-only: only the files' sizes and times."""
    imported = stored_imports()
    return [list(entry) for entry in fingerprint(curated_files() + imported)] if imported else None


def store_is_current() -> bool:
    """Whether the on-disk store of :func:`persistent_dataset` holds the current files (or none is needed).

    Read-only: lets a command say that its first run after an import will build the store.
    """
    wanted = store_inputs()
    return wanted is None or _store_fingerprint(data_dir() / "store") == wanted


def fingerprint(paths) -> tuple:
    """What identifies the loaded data: each file's resolved path, size and modification time."""
    out = []
    for path in paths:
        st = Path(path).stat()
        out.append((str(Path(path).resolve()), st.st_size, st.st_mtime_ns))
    return tuple(out)


@dataclass(frozen=True)
class Derived:
    """Facts derived from the stored data and kept in the on-disk store, in the named graph ``graph``.

    ``stamp`` is the (predicate, object) pairs on the graph's node that say what they were derived for
    (a date, the engine's version); ``triples(ds)`` derives them from the read-only store ``ds``.
    """

    graph: URIRef
    stamp: tuple
    triples: Callable


def persistent_dataset(derived: Derived | None = None, note: Callable[[str], None] | None = None) -> Dataset | None:
    """The curated data and the stored imports in an on-disk Oxigraph store opened read-only.

    The store lives in ``data_dir()/store`` with a fingerprint of the files it holds, and is
    rebuilt (with Oxigraph's bulk loader) when they change. Several processes may read it at
    once. None when there is nothing imported (parsing the curated files is as fast) or the
    store cannot be made; callers then parse the files as usual.

    A rebuild holds ``data_dir()/store.lock``, builds in ``store.tmp-PID`` and renames it into
    place with its fingerprint inside, so a process killed while building leaves the previous
    store (or none) and a temporary folder that the next rebuild deletes.

    ``derived``: the store also holds those facts, with their stamp and the fingerprint of the files
    (``ecg:derivedFrom``) on the graph's node. When the stamp in the store differs (another date, other
    data, another engine), they are derived again under the lock (``note`` says so first) and written to a
    copy of the store that is swapped in like a rebuild: Oxigraph does not allow writing to a store that
    other processes read (``Store.read_only``: "undefined behavior"). Only one set is kept: the latest asked.
    """

    imported = stored_imports()
    if not imported:
        return None
    files = curated_files()
    wanted = [list(entry) for entry in fingerprint(files + imported)]
    folder = data_dir() / "store"
    try:
        from .atomic import locked, remove_stale_temporaries, stale_temporaries

        stale = stale_temporaries(data_dir())  # builds and old copies of killed processes
        if stale or _store_fingerprint(folder) != wanted:
            with locked(data_dir() / "store.lock", what="another rebuild of the store"):
                remove_stale_temporaries(data_dir())
                if _store_fingerprint(folder) != wanted:  # another process may have built it meanwhile
                    _rebuild_store(folder, files, imported, wanted)
        inner, ds = _open_read_only(folder, wanted)
        if derived is not None:
            marks = _marks(derived, wanted)
            if not _stamped(inner, derived.graph, marks):
                del inner, ds
                with locked(data_dir() / "store.lock", what="another rebuild of the store"):
                    remove_stale_temporaries(data_dir())
                    if _store_fingerprint(folder) != wanted:  # the files changed meanwhile
                        _rebuild_store(folder, files, imported, wanted)
                    inner, ds = _open_read_only(folder, wanted)
                    if not _stamped(inner, derived.graph, marks):  # another process may have derived them
                        if note is not None:
                            note("deriving the engine's facts into the on-disk store (first query on this date "
                                 "or data; the next ones read them)")
                        _store_derived(folder, ds, derived, marks)
                        del inner, ds
                        inner, ds = _open_read_only(folder, wanted)
        # the facts derived for another question stay in the store (readers may have it open) but out of sight
        ds.ecgraph_hidden_graphs = derived_graphs(inner) - ({derived.graph} if derived is not None else set())
        if _store_fingerprint(folder) != wanted:  # swapped for newer files while it was opened: say so
            ds.ecgraph_inputs = None
    except Exception:  # never worse than parsing: any trouble with the store falls back to the files
        return None
    return ds


def derived_graphs(inner) -> frozenset:
    """The named graphs of derived facts in a pyoxigraph store: those whose node says what they were derived from."""
    import pyoxigraph as ox

    from ..namespace import ECG

    mark = ox.NamedNode(str(ECG.derivedFrom))
    return frozenset(URIRef(q.subject.value) for q in inner.quads_for_pattern(None, mark, None, None)
                     if q.graph_name == q.subject)


def _open_read_only(folder: Path, wanted: list):
    """The pyoxigraph store in ``folder`` opened read-only, and the rdflib dataset on it."""
    import pyoxigraph as ox
    from oxrdflib.store import OxigraphStore

    inner = ox.Store.read_only(str(folder))
    ds = Dataset(store=OxigraphStore(store=inner), default_union=True)
    ds.ecgraph_store = "oxigraph"
    ds.ecgraph_inputs = tuple(tuple(entry) for entry in wanted)
    from ..namespace import PREFIXES

    for prefix, ns in PREFIXES.items():
        ds.bind(prefix, ns, override=True)
    return inner, ds


def _marks(derived: Derived, wanted: list) -> tuple:
    """The stamp of ``derived`` with the fingerprint of the stored files, as (predicate, object) pairs."""
    import hashlib
    import json

    from rdflib import Literal

    from ..namespace import ECG

    digest = hashlib.sha256(json.dumps(wanted).encode()).hexdigest()
    return (*derived.stamp, (ECG.derivedFrom, Literal(digest)))


def ox_quads(triples, graph: URIRef) -> set:
    """rdflib ``triples`` as pyoxigraph quads in ``graph``, each term converted once (a store takes them in one transaction)."""
    import pyoxigraph as ox
    from oxrdflib._converter import to_ox

    name = to_ox(graph)
    terms: dict = {}

    def term(t):
        found = terms.get(t)
        if found is None:
            found = terms[t] = to_ox(t)
        return found

    return {ox.Quad(term(s), term(p), term(o), name) for s, p, o in triples}


def _stamped(inner, graph: URIRef, marks: tuple) -> bool:
    """Whether the store holds every mark on ``graph``'s node, in that graph (written with its facts)."""
    import pyoxigraph as ox
    from oxrdflib._converter import to_ox

    name = to_ox(graph)
    return all(ox.Quad(name, to_ox(p), to_ox(o), name) in inner for p, o in marks)


def _store_derived(folder: Path, ds: Dataset, derived: Derived, marks: tuple) -> None:
    """Replace the graph of ``derived`` in a copy of the store, then swap the copy in; call with the lock held.

    The copy (hard links for RocksDB's immutable table files) takes the graph away in one transaction and
    adds the new facts with their marks in another, so a copy killed in between holds no marks.
    """
    import shutil

    import pyoxigraph as ox
    from oxrdflib._converter import to_ox

    from .atomic import checkpoint, temp_name

    name = to_ox(derived.graph)
    quads = ox_quads(derived.triples(ds), derived.graph)
    quads |= ox_quads(((derived.graph, p, o) for p, o in marks), derived.graph)
    tmp = temp_name(folder)
    shutil.rmtree(tmp, ignore_errors=True)

    def copy(src, dst):
        if src.endswith(".sst"):
            os.link(src, dst)
        else:
            shutil.copy2(src, dst)

    shutil.copytree(folder, tmp, copy_function=copy)
    built = ox.Store(str(tmp))
    if built.contains_named_graph(name):
        built.remove_graph(name)
    checkpoint("store:derived-removed")
    built.extend(quads)
    built.flush()
    del built
    checkpoint("store:derived-written")
    _swap_in(tmp, folder)
_STORE_MARKER = "ecgraph-fingerprint.json"


def _store_fingerprint(folder: Path):
    import json

    marker = folder / _STORE_MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8")) if marker.is_file() else None
    except (OSError, ValueError):  # a damaged marker means a rebuild
        return None


def _rebuild_store(folder: Path, files: list[Path], imported: list[Path], wanted: list) -> None:
    """Build the store in a temporary folder and swap it in; call with ``store.lock`` held."""
    import json
    import shutil

    import pyoxigraph as ox

    from .atomic import checkpoint, temp_name, write_atomic

    tmp = temp_name(folder)
    shutil.rmtree(tmp, ignore_errors=True)
    built = ox.Store(str(tmp))
    for path in files:
        built.bulk_load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(str(GRAPH.curated)))
    checkpoint("store:building")
    for path in imported:
        built.bulk_load(path=str(path), format=ox.RdfFormat.N_QUADS)
    built.flush()
    del built
    write_atomic(tmp / _STORE_MARKER, json.dumps(wanted))
    checkpoint("store:built")
    _swap_in(tmp, folder)


def _swap_in(tmp: Path, folder: Path) -> None:
    """Rename the store built in ``tmp`` to ``folder``, moving the current one aside and deleting it."""
    import shutil

    from .atomic import checkpoint, fsync_dir, temp_name

    old = temp_name(folder.with_name(f"{folder.name}.old"))
    if folder.exists():
        folder.rename(old)  # readers that have it open keep their files until they close
    checkpoint("store:swapped-out")
    tmp.rename(folder)
    fsync_dir(folder.parent)
    checkpoint("store:swapped-in")
    shutil.rmtree(old, ignore_errors=True)
