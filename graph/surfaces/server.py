"""A read-only SPARQL 1.1 Protocol endpoint over the graph, for ``ecgraph serve``.

The web side is waitress: a bounded number of request threads, of open
connections (kept below the file-descriptor limit, and at that limit the
server stops accepting for a moment instead of spinning), a listen backlog of
1024, and idle or stalled connections closed after ``idle_timeout``. Queries do
not run in those threads: each goes to a worker process that holds the graph
in a read-only Oxigraph store, so Oxigraph's own engine answers. Workers come
in two lanes (:class:`_Pool`): every query starts on a short-query worker; one
that spends more than a quarter CPU-second there moves to a low-priority
long-query worker, so runaway clients cannot starve ordinary ones. A query past
its time limit is stopped by killing its worker (a fresh one takes its place);
each worker caps its address space, so a query that needs too much memory gets
503 and the endpoint answers on.

Safe for a shared machine: binds 127.0.0.1 unless told otherwise and then
answers only requests whose ``Host`` is a loopback name (no DNS rebinding);
no CORS unless ``cors`` names the origins that may read ``/sparql`` (the page
and the exports are same-origin only); refuses SPARQL Update (403) and
federated ``SERVICE`` patterns (403); the workers cannot open network
connections at all (:mod:`graph.store.offline`), whatever a query says; limits each
query's time (503), memory (503) and answer size (413); answers a malformed or
pathological query (nesting too deep, too many operators) with 400 and one
line, and an answer a format cannot write (a predicate RDF/XML cannot express)
with 406. HEAD gets the headers of GET and no body. Nothing is loaded from the
internet: ``/`` is a plain HTML form.

The dataset: for ``ecgraph serve`` the default graph is the union of the named
graphs served (what it loaded: the curated graph, the imports, each ``--data``
file, and the inferred graph unless ``--no-inferred``; with ``--no-curated``
exactly the ``--data`` files); for :func:`start` by default it is the dataset's
own default graph, its named graphs apart (``default_graph="union"`` is what
``serve`` passes). Either way, unless the query names its own with ``FROM``/``FROM NAMED``
or the request gives ``default-graph-uri``/``named-graph-uri`` (which win over
the query's, as the SPARQL 1.1 Protocol says; then the dataset is exactly the
graphs given).

Formats: ``format=``/``output=`` win over ``Accept``. A format that does not suit
the answer (``format=turtle`` on a SELECT, CSV or TSV on an ASK, which the W3C
CSV/TSV formats do not define) and an ``Accept`` naming no format the answer
has are answered 406 with the formats that would do; ``json`` and ``xml`` serve
both kinds (JSON-LD and RDF/XML for graphs).
"""

from __future__ import annotations

import html
import queue
import re
import tempfile
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

from ..errors import EcgraphError, QueryError

DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_ROWS = 10_000
DEFAULT_BUDGET = 0.25
"""Seconds a query may run on a short-query worker before it moves to a long-query worker."""
DEFAULT_MEMORY_MB = 1024
"""Memory (MB) a worker may take for one query beyond what it needs to start."""
DEFAULT_IDLE_TIMEOUT = 30.0
"""Seconds an idle or stalled connection is kept open."""
MAX_BODY = 8 * 1024 * 1024
"""Largest POST body read (bytes); a larger one is answered 413."""

_SELECT_TYPES = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv",
}
_GRAPH_TYPES = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "text/n3": "turtle",
    "application/n-triples": "nt", "text/plain": "nt",
    "application/ld+json": "jsonld", "application/json": "jsonld",
    "application/rdf+xml": "xml", "application/xml": "xml", "text/xml": "xml",
}
# values of the format=/output= parameters (SPARQLWrapper sends both)
_FORMAT_NAMES = {
    "json": "json", "xml": "xml", "csv": "csv", "tsv": "tsv",
    "turtle": "turtle", "ttl": "turtle", "n3": "turtle",
    "nt": "nt", "ntriples": "nt", "n-triples": "nt",
    "jsonld": "jsonld", "json-ld": "jsonld", "rdf": "xml", "rdfxml": "xml", "rdf+xml": "xml",
}


class Refused(EcgraphError):
    """A request the endpoint answers with an HTTP error; ``status`` is the code."""

    def __init__(self, status: int, message: str, headers=()):
        self.status = status
        self.headers = tuple(headers)  # more response headers (Allow on a 405)
        super().__init__(message)


# --------------------------------------------------------------------------- workers

def _worker(store_dir: str, memory_mb: int = 0, reader=None, writer=None) -> None:  # pragma: no cover - a child
    """Answer jobs arriving on ``reader``, on the read-only store at ``store_dir``, until it closes.

    Jobs and answers are pickled frames of :class:`multiprocessing.connection.Connection`
    (``reader``/``writer``; by default the process's stdin and stdout).
    Before anything else the process gives up the network (:mod:`graph.store.offline`),
    so no query can make it fetch another host; once warm it caps its own address
    space at what it uses plus ``memory_mb`` (and the query thread's stack).
    """
    import os
    from multiprocessing.connection import Connection

    if reader is None:
        reader, writer = Connection(os.dup(0), writable=False), Connection(os.dup(1), readable=False)
        os.dup2(2, 1)
    try:
        from ..store import offline

        if offline.available():
            offline.forbid_network()
        import pyoxigraph as ox

        store = ox.Store.read_only(store_dir)
        from ..store import sparql

        run = _engine_thread(sparql.ENGINE_STACK)
        run(lambda: _answer(store, {"query": "ASK { ?s ?p ?o }", "format": "json", "max_rows": 1,
                                    "default_graphs": [], "named_graphs": []}))  # warm the imports and the store
        if memory_mb:
            _cap_memory(memory_mb * 1024 * 1024)
    except Exception as exc:
        writer.send(("error", f"worker cannot open the store: {exc}"))
        return
    writer.send(("ready", None))
    while True:
        try:
            job = reader.recv()
        except (EOFError, OSError):
            return
        try:
            writer.send(("ok", run(lambda: _answer(store, job))))
        except Refused as exc:
            writer.send(("refused", (exc.status, str(exc))))
        except MemoryError:
            writer.send(("refused", (503, f"query stopped: it needed more than this endpoint's {memory_mb} MB")))
        except QueryError as exc:
            writer.send(("refused", (400, str(exc))))
        except Exception as exc:  # a good query the engine could not run (an unknown function, ...)
            message = " ".join(str(exc).split())[:400]
            status = 501 if "not supported" in message else 500
            writer.send(("refused", (status, f"query failed: {type(exc).__name__}: {message}")))


def _engine_thread(stack: int):  # pragma: no cover - runs in a child process
    """A function that runs ``work()`` on one long-lived thread with a ``stack``-byte stack (deep queries need it)."""
    jobs: queue.Queue = queue.Queue()

    def loop():
        while True:
            work, box, done = jobs.get()
            try:
                box["result"] = work()
            except BaseException as exc:
                box["error"] = exc
            done.set()

    previous = threading.stack_size(stack)
    threading.Thread(target=loop, daemon=True, name="ecgraph-engine").start()
    threading.stack_size(previous)

    def run(work):
        box: dict = {}
        done = threading.Event()
        jobs.put((work, box, done))
        done.wait()
        if "error" in box:
            raise box["error"]
        return box["result"]

    return run


def _cap_memory(extra: int) -> None:  # pragma: no cover - runs in a child process
    """Limit this process's address space to what it maps now plus ``extra`` bytes."""
    import resource

    with open("/proc/self/status") as status:
        size = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    limit = size + extra
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _answer(store, job: dict) -> tuple[str, bytes]:
    """Run one query on a pyoxigraph store; ``(content type, body)`` in the job's format."""
    from itertools import islice

    import pyoxigraph as ox
    from rdflib import Graph, Variable
    from rdflib.query import Result

    from ..store import sparql

    from_ox = sparql.rdflib_term  # each literal as Oxigraph holds it: its lexical form, not a value rewritten
    from ..namespace import PREFIXES

    text = job["query"]
    try:
        sparql.check_shape(text)
    except QueryError as exc:
        raise Refused(400, str(exc)) from None
    refusal = sparql.service_refusal(text)
    if refusal:
        raise Refused(403, f"{refusal} on this endpoint")
    options: dict = {"prefixes": PREFIXES}
    if job["default_graphs"] or job["named_graphs"]:  # the protocol's dataset wins over the query's FROM
        try:
            options["default_graph"] = [ox.NamedNode(u) for u in job["default_graphs"]]
            options["named_graphs"] = [ox.NamedNode(u) for u in job["named_graphs"]]
        except ValueError as exc:
            raise Refused(400, f"default-graph-uri or named-graph-uri is not an IRI: {' '.join(str(exc).split())[:200]}") from None
    elif not sparql.has_dataset_clause(text) and job.get("union", True):  # it would override FROM / FROM NAMED
        options["use_default_graph_as_union"] = True
    cap = job["max_rows"]
    try:
        answer = store.query(text, **options)
        if isinstance(answer, ox.QueryBoolean):
            result = Result("ASK")
            result.askAnswer = bool(answer)
        elif isinstance(answer, ox.QuerySolutions):
            names = [Variable(v.value) for v in answer.variables]
            solutions = list(islice(answer, cap + 1))
            if len(solutions) > cap:
                raise Refused(413, f"the answer has more than {cap} rows, this endpoint's limit; add a LIMIT")
            result = Result("SELECT")
            result.vars = names
            result.bindings = [{v: from_ox(t) for v, t in zip(names, s) if t is not None} for s in solutions]
        else:
            triples = list(islice(answer, cap + 1))
            if len(triples) > cap:
                raise Refused(413, f"the answer has more than {cap} triples, this endpoint's limit; add a LIMIT")
            result = Result("CONSTRUCT")
            result.graph = Graph()
            result.graph += (from_ox(t) for t in triples)
    except SyntaxError as exc:
        raise Refused(400, f"query does not parse: {' '.join(str(exc).split())[:400]}") from None
    except PermissionError:  # the network guard stopped a connection the parse check did not see coming
        raise Refused(403, "the query tried to reach another host (SERVICE), which this endpoint never does") from None
    except (ValueError, OSError) as exc:  # evaluation errors Oxigraph reports (bad regex, ...)
        raise Refused(400, f"query failed: {' '.join(str(exc).split())[:400]}") from None
    fmt = job["format"]
    try:
        body = sparql.format_result(result, fmt)
    except MemoryError:
        raise
    except Exception as exc:  # e.g. a predicate RDF/XML has no way to write
        others = ", ".join(f for f in sparql.formats_for(result.type) if f not in (fmt, "table"))
        raise Refused(406, f"the answer cannot be written as {fmt}: {' '.join(str(exc).split())[:200]};"
                           f" ask for one of {others}") from None
    return sparql.media_type(fmt, result.type), body.encode("utf-8")


_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


_FORKSERVER = None
_FORKSERVER_LOCK = threading.Lock()
_PRELOAD = ["graph.surfaces.server", "graph.store.sparql", "graph.store.offline", "pyoxigraph", "oxrdflib._converter", "rdflib.query",
            "rdflib.plugins.sparql.parser", "rdflib.plugins.sparql.results.jsonresults",
            "rdflib.plugins.sparql.results.xmlresults", "rdflib.plugins.sparql.results.csvresults",
            "rdflib.plugins.serializers.turtle", "rdflib.plugins.serializers.nt",
            "rdflib.plugins.serializers.rdfxml", "rdflib.plugins.serializers.jsonld"]


def _context():
    """A multiprocessing fork server with the workers' imports done, so that a worker starts in milliseconds.

    Starting a worker from scratch costs about a CPU-second of imports, paid
    again each time a query is stopped by killing its worker; forking a warm
    process costs almost nothing. The fork server is single-threaded and holds
    no store (each worker opens its own), so forking it is safe.
    """
    global _FORKSERVER
    with _FORKSERVER_LOCK:
        if _FORKSERVER is None:
            import multiprocessing

            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(_PRELOAD)
            _FORKSERVER = ctx
        return _FORKSERVER


from multiprocessing import popen_forkserver as _popen_forkserver  # noqa: E402  (the server is a leaf module)
from multiprocessing.context import ForkServerProcess as _ForkServerProcess  # noqa: E402


class _ForkPopen(_popen_forkserver.Popen):
    """Starts a fork-server child without the parent's ``__main__`` (a script, ``-c`` or pytest) re-run in it."""

    def _launch(self, process_obj):
        from multiprocessing import spawn

        original = spawn.get_preparation_data

        def preparation(name):
            return {k: v for k, v in original(name).items() if not k.startswith("init_main")}

        with _FORKSERVER_LOCK:
            spawn.get_preparation_data = preparation
            try:
                return super()._launch(process_obj)
            finally:
                spawn.get_preparation_data = original


class _ForkProcess(_ForkServerProcess):
    @staticmethod
    def _Popen(process_obj):
        return _ForkPopen(process_obj)


class _Worker:
    """One worker process (forked from the fork server, running :func:`_worker`) and the two ends of its pipes."""

    def __init__(self, store_dir: str, *, memory_mb: int = 0, nice: int = 0):
        import os

        ctx = _context()
        job_reader, self.to = ctx.Pipe(duplex=False)
        self.back, answer_writer = ctx.Pipe(duplex=False)
        self.proc = _ForkProcess(target=_worker, args=(store_dir, memory_mb, job_reader, answer_writer),
                                 daemon=True, name="ecgraph-query-worker")
        self.proc.start()
        job_reader.close()
        answer_writer.close()
        if nice:
            try:
                os.setpriority(os.PRIO_PROCESS, self.proc.pid, nice)
            except OSError:
                pass
        ready = self.back.poll(300)
        try:
            status, detail = self.back.recv() if ready else ("error", "worker did not start in 300 s")
        except (EOFError, OSError):
            status, detail = "error", f"worker exited while starting (code {self.proc.exitcode})"
        if status != "ready":
            self.kill()
            raise EcgraphError(detail)

    def wait(self) -> int:
        self.proc.join()
        return self.proc.exitcode

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join()
        self.to.close()
        self.back.close()


_LATE = object()


class _Lane:
    """Worker processes of one kind (short or long queries) with a queue of the idle ones."""

    def __init__(self, store_dir: str, size: int, *, memory_mb: int, nice: int, spares: int = 0):
        self.store_dir, self.size, self.memory_mb, self.nice = store_dir, size, memory_mb, nice
        self.idle: queue.Queue = queue.Queue()
        self.spares: queue.Queue = queue.Queue()  # started and ready, to take a killed worker's place at once
        self.all: set = set()
        self.lock = threading.Lock()
        self.closed = False
        try:
            for _ in range(size):
                self.idle.put(self._spawn())
            for _ in range(spares):
                self.spares.put(self._spawn())
        except Exception:
            self.close()
            raise

    def _spawn(self) -> _Worker:
        worker = _Worker(self.store_dir, memory_mb=self.memory_mb, nice=self.nice)
        with self.lock:
            self.all.add(worker)
        return worker

    def replace(self, worker: _Worker) -> None:
        """Kill ``worker`` and start another in the background."""
        worker.kill()
        with self.lock:
            self.all.discard(worker)
        if not self.closed:
            try:
                self.idle.put(self.spares.get_nowait())
                target = self.spares
            except queue.Empty:
                target = self.idle

            def respawn():
                try:
                    target.put(self._spawn())
                except EcgraphError:  # pragma: no cover - the lane runs one short until the next replacement
                    pass
            threading.Thread(target=respawn, daemon=True, name="ecgraph-respawn").start()

    def exchange(self, worker: _Worker, job: dict, wait: float, *, cpu_budget: float | None = None):
        """Send ``job``; the answer, or ``_LATE`` if none came within ``wait`` s (the worker is still busy).

        With ``cpu_budget``, the answer is also given up on (``_LATE``) once the
        worker has spent that many CPU seconds on the job: CPU time, not the
        wall clock, so a short query on a busy machine is not taken for a long one.
        """
        try:
            worker.to.send(job)
            deadline = time.monotonic() + max(wait, 0)
            start = _cpu_seconds(worker.proc.pid) if cpu_budget is not None else None
            while True:
                left = deadline - time.monotonic()
                step = left if start is None else min(left, 0.05)
                if worker.back.poll(max(step, 0)):
                    break
                if left <= 0:
                    return _LATE
                if start is not None and _cpu_seconds(worker.proc.pid) - start >= (
                        cpu_budget() if callable(cpu_budget) else cpu_budget):
                    return _LATE
            status, detail = worker.back.recv()
        except (EOFError, OSError):
            code = worker.wait()
            self.replace(worker)
            raise Refused(503, _death(code, self.memory_mb)) from None
        self.idle.put(worker)
        if status == "refused":
            raise Refused(*detail)
        return detail

    def close(self) -> None:
        self.closed = True
        with self.lock:
            workers = list(self.all)
        for worker in workers:
            worker.kill()


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) process ``pid`` has used; 0 where /proc cannot tell."""
    import os

    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _death(code: int, memory_mb: int) -> str:
    import signal

    if code in (-signal.SIGABRT, -signal.SIGKILL, -signal.SIGBUS):
        return (f"query stopped: it needed more memory than this endpoint allows ({memory_mb} MB per query)"
                if memory_mb else "query stopped: its worker ran out of memory")
    return f"query stopped: its worker died (exit {code}); try again"


class _Pool:
    """Query workers in two lanes, so that long queries never hold up short ones.

    Every query starts on a *short* worker. One that has spent ``budget`` CPU
    seconds there (a fifth of that while other clients wait for a short worker;
    CPU time, so a busy machine does not make short queries look long) is stopped (its worker killed and replaced) and run again on a *long*
    worker, of which there are ``slow`` at the lowest CPU priority, so a runaway
    query slows ordinary ones as little as the machine allows; its text is
    remembered and goes straight to the long lane next time. A query past the
    time limit is stopped by killing its worker. A client waiting for a long
    worker holds one of a bounded number of places; beyond them, 503 at once.
    """

    def __init__(self, store_dir: str, size: int, *, slow: int = 1, budget: float = 0.5, memory_mb: int = 0,
                 waiting: int = 8):
        self.size, self.budget, self.waiting = size, budget, waiting
        self.fast = _Lane(store_dir, size, memory_mb=memory_mb, nice=0, spares=2 if slow else 0)
        try:
            self.slow = _Lane(store_dir, slow, memory_mb=memory_mb, nice=19) if slow else None
        except Exception:
            self.fast.close()
            raise
        self._long: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._waiting = 0
        self._queued = 0  # clients waiting for a short-query worker

    def _budget_now(self) -> float:
        """The short lane's CPU budget: the full one when no one waits, a fifth of it while others queue."""
        return self.budget if self._queued == 0 else self.budget / 5

    def run(self, job: dict, timeout: float):
        """The worker's answer to ``job``; :class:`Refused` on timeout, on a busy pool or on a refusal."""
        deadline = time.monotonic() + timeout
        key = (job["query"], tuple(job["default_graphs"]), tuple(job["named_graphs"]))
        if self.slow is not None and key in self._long:
            return self._run_long(job, deadline, timeout, key)
        with self._lock:
            self._queued += 1
        try:
            worker = self.fast.idle.get(timeout=timeout)
        except queue.Empty:
            raise Refused(503, f"all {self.size} query workers stayed busy for {timeout:g} s; try again") from None
        finally:
            with self._lock:
                self._queued -= 1
        if self.slow is None:
            answer = self.fast.exchange(worker, job, deadline - time.monotonic())
        else:
            answer = self.fast.exchange(worker, job, deadline - time.monotonic(), cpu_budget=self._budget_now)
        if answer is not _LATE:
            return answer
        self.fast.replace(worker)
        if self.slow is None or time.monotonic() >= deadline:
            raise Refused(503, f"query stopped: it exceeded this endpoint's time limit of {timeout:g} s")
        with self._lock:
            self._long[key] = None
            while len(self._long) > 256:
                self._long.popitem(last=False)
        return self._run_long(job, deadline, timeout, key)

    def _run_long(self, job: dict, deadline: float, timeout: float, key):
        with self._lock:
            if self._waiting >= self.waiting:
                raise Refused(503, f"{self._waiting} long queries are running or waiting, this endpoint's limit;"
                                   " try again later")
            self._waiting += 1
        try:
            try:
                worker = self.slow.idle.get(timeout=max(deadline - time.monotonic(), 0.001))
            except queue.Empty:
                raise Refused(503, f"query stopped: the {self.slow.size} long-query workers stayed busy until its"
                                   f" time limit of {timeout:g} s; try again later") from None
            started = _cpu_seconds(worker.proc.pid)
            try:
                answer = self.slow.exchange(worker, job, deadline - time.monotonic())
            except Refused:
                answer = None
                raise
            finally:
                if answer is not _LATE and _cpu_seconds(worker.proc.pid) - started < self.budget:
                    with self._lock:  # it was short after all: next time it starts in the short lane again
                        self._long.pop(key, None)
            if answer is _LATE:
                self.slow.replace(worker)
                raise Refused(503, f"query stopped: it exceeded this endpoint's time limit of {timeout:g} s")
            return answer
        finally:
            with self._lock:
                self._waiting -= 1

    def close(self) -> None:
        self.fast.close()
        if self.slow is not None:
            self.slow.close()


# --------------------------------------------------------------------------- the endpoint

@dataclass
class Endpoint:
    """What the WSGI app serves: a worker pool, limits, and facts for the service description."""

    pool: _Pool
    timeout: float = DEFAULT_TIMEOUT
    max_rows: int = DEFAULT_MAX_ROWS
    graphs: dict = field(default_factory=dict)  # named graph IRI -> triples
    triples: int = 0
    exports: Path | None = None
    _tmp: object = None
    cors: tuple = ()  # origins allowed to read answers from another site; none by default
    hosts: tuple = ()  # Host header names answered (empty: any); loopback names when bound to loopback
    memory_mb: int = 0
    union: bool = False  # the default graph: the union of the named graphs, else the dataset's own default graph

    def close(self) -> None:
        self.pool.close()
        if self._tmp is not None:
            self._tmp.cleanup()


def endpoint(g, *, timeout: float = DEFAULT_TIMEOUT, max_rows: int = DEFAULT_MAX_ROWS, workers: int = 2,
             exports: Path | None = None, long_workers: int = 1, budget: float = DEFAULT_BUDGET,
             memory_mb: int = DEFAULT_MEMORY_MB, cors=(), default_graph: str = "default") -> Endpoint:
    """Copy dataset ``g`` into a read-only Oxigraph store on disk and start the worker pool over it.

    ``default_graph`` says what a query's default graph is: ``"default"`` (the
    dataset's own default graph, its named graphs apart, as in any SPARQL
    dataset) or ``"union"`` (the union of all its graphs: what ``ecgraph serve``
    uses, since every file it loads is a named graph of its own).

    ``workers`` answer every query first; a query still running after ``budget``
    seconds moves to one of ``long_workers`` (see :class:`_Pool`); each worker may
    use ``memory_mb`` MB beyond what it needs to start (0: no cap).
    """
    import pyoxigraph as ox

    import math

    if not (math.isfinite(timeout) and timeout > 0) or max_rows <= 0 or workers <= 0 or long_workers < 0 \
            or memory_mb < 0:
        raise EcgraphError("--timeout (a finite number of seconds), --max-rows and --workers must be positive")
    if default_graph not in ("default", "union"):
        raise EcgraphError(f"default_graph {default_graph!r}: use 'default' or 'union'")
    for origin in cors:
        if not _ORIGIN.fullmatch(origin):
            raise EcgraphError(f"--cors {origin!r} is not an origin such as https://example.org or http://localhost:3000")
    tmp = tempfile.TemporaryDirectory(prefix="ecgraph-serve-")
    store_dir = str(Path(tmp.name) / "store")
    disk = ox.Store(store_dir)
    disk.bulk_load(_nquads(g), format=ox.RdfFormat.N_QUADS)
    disk.flush()
    graphs = {str(name.value): sum(1 for _ in disk.quads_for_pattern(None, None, None, name))
              for name in disk.named_graphs()}
    triples = len(disk) if default_graph == "union" else sum(
        1 for _ in disk.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    del disk
    import gc

    gc.collect()  # release the store's lock before the workers open it
    try:
        pool = _Pool(store_dir, workers, slow=long_workers, budget=min(budget, timeout), memory_mb=memory_mb)
    except Exception:
        tmp.cleanup()
        raise
    return Endpoint(pool, timeout, max_rows, graphs, triples, exports, tmp, tuple(cors), memory_mb=memory_mb,
                    union=default_graph == "union")


_ORIGIN = re.compile(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


def _nquads(g) -> bytes:
    from ..store.load import oxigraph_store

    inner = oxigraph_store(g)
    if inner is not None:  # an oxrdflib store: let Oxigraph write its own quads
        import pyoxigraph as ox

        return inner.dump(format=ox.RdfFormat.N_QUADS)
    from rdflib import Dataset

    if isinstance(g, Dataset) or hasattr(g, "quads"):
        return g.serialize(format="nquads", encoding="utf-8")
    return g.serialize(format="nt", encoding="utf-8")


_GRAPH_FORMATS = ("turtle", "nt", "jsonld", "xml")
_RESULT_FORMATS = {"SELECT": ("json", "xml", "csv", "tsv"), "ASK": ("json", "xml")}
_PREFERRED = {  # media types in the order a wildcard picks them
    "SELECT": ("application/sparql-results+json", "application/sparql-results+xml", "text/csv",
               "text/tab-separated-values"),
    "ASK": ("application/sparql-results+json", "application/sparql-results+xml"),
    "GRAPH": ("text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"),
}


def _negotiate(form: str, fmt_param: str | None, accept: str) -> str:
    """The format name for a ``form`` answer: format=/output= first, else Accept; :class:`Refused` 406 if none suits.

    >>> _negotiate("SELECT", None, "text/csv;q=0.5, application/sparql-results+xml")
    'xml'
    >>> _negotiate("ASK", None, "text/csv, */*;q=0.1")
    'json'
    >>> _negotiate("SELECT", None, "text/csv;q=0")
    Traceback (most recent call last):
    graph.surfaces.server.Refused: no format the client accepts (text/csv;q=0) suits SELECT answers; accept one of application/sparql-results+json, application/sparql-results+xml, text/csv, text/tab-separated-values
    """
    kind = "GRAPH" if form in ("CONSTRUCT", "DESCRIBE") else form
    table = _GRAPH_TYPES if kind == "GRAPH" else _SELECT_TYPES
    allowed = _GRAPH_FORMATS if kind == "GRAPH" else _RESULT_FORMATS[kind]
    if fmt_param:
        key = fmt_param.strip().lower()
        name = _FORMAT_NAMES.get(key) or table.get(key) or _SELECT_TYPES.get(key) or _GRAPH_TYPES.get(key)
        if name is None:
            raise Refused(400, f"unknown format {fmt_param!r}; use json, xml, csv, tsv, turtle, nt or jsonld")
        if kind == "GRAPH" and name == "json":
            name = "jsonld"  # JSON for a graph is JSON-LD
        if name not in allowed:
            raise Refused(406, f"format {fmt_param!r} does not suit {form} answers; use one of {', '.join(allowed)}")
        return name
    ranked = []
    for n, part in enumerate((accept or "*/*").split(",")):
        media, *params = [p.strip() for p in part.split(";")]
        q = 1.0
        for p in params:
            if p.startswith("q="):
                try:
                    q = float(p[2:])
                except ValueError:
                    q = 0.0
        if media and q > 0:
            ranked.append((-q, n, media.lower()))
    if not ranked and not (accept or "").strip():
        ranked = [(-1.0, 0, "*/*")]  # no Accept: anything
    ranked.sort()
    for _, _, media in ranked:
        if media in table and table[media] in allowed:
            return table[media]
        if media.endswith("/*"):
            major = media[:-1]
            hit = next((m for m in _PREFERRED[kind] if media == "*/*" or m.startswith(major)), None)
            if hit:
                return table[hit]
    shown = accept if len(accept) <= 200 else accept[:200] + "..."
    raise Refused(406, f"no format the client accepts ({shown}) suits {form} answers; "
                       f"accept one of {', '.join(_PREFERRED[kind])}")


def handle_query(ep: Endpoint, text: str, *, fmt_param: str | None, accept: str,
                 default_graphs=(), named_graphs=()) -> tuple[str, bytes]:
    """Check and run one query; ``(content type, body)`` or :class:`Refused`."""
    from ..store.sparql import query_form

    try:
        form = query_form(text)
    except QueryError as exc:
        raise Refused(400, str(exc)) from None
    if form == "UPDATE":
        raise Refused(403, "this endpoint is read-only: SPARQL Update is refused")
    fmt = _negotiate(form, fmt_param, accept)
    job = {"query": text, "format": fmt, "max_rows": ep.max_rows, "union": ep.union,
           "default_graphs": list(default_graphs), "named_graphs": list(named_graphs)}
    return ep.pool.run(job, ep.timeout)


# --------------------------------------------------------------------------- WSGI

def app(ep: Endpoint):
    """The WSGI application: ``/`` the HTML form, ``/sparql`` the endpoint, ``/queries/*.rq``, ``/exports/*``.

    Only ``/sparql`` may be read from another site, and only by the origins
    given with ``--cors``: the page, the named queries and the exports are
    same-origin. When bound to loopback, a request whose ``Host`` is not a
    loopback name is refused, so a web page cannot reach the endpoint through a
    DNS name it rebinds to 127.0.0.1.
    """

    def application(environ, start_response):
        if environ["REQUEST_METHOD"] == "HEAD":  # the headers of the GET answer, no body
            handle(environ, start_response)
            return []
        return handle(environ, start_response)

    def handle(environ, start_response):
        method = environ["REQUEST_METHOD"]
        path = environ.get("PATH_INFO") or "/"
        cors = _cors_headers(ep, environ) if path == "/sparql" else []
        try:
            if ep.hosts and _host_name(environ.get("HTTP_HOST", "")) not in ep.hosts:
                raise Refused(421, f"this endpoint answers to {', '.join(ep.hosts)} only, not Host "
                                   f"{environ.get('HTTP_HOST', '')[:100]!r}")
            known = path in ("/sparql", "/", "/index.html") or path.startswith(("/queries/", "/exports/"))
            if not known:
                raise Refused(404, f"nothing at {path}; the endpoint is /sparql")
            allowed = "GET, HEAD, POST, OPTIONS" if path == "/sparql" else "GET, HEAD, OPTIONS"
            if method == "OPTIONS":
                return _send(start_response, 204, "text/plain", b"", cors + [("Allow", allowed)])
            if method not in allowed.split(", "):
                raise Refused(405, f"{method} is not allowed on {path}", [("Allow", allowed)])
            _check_site(ep, environ, path)
            if path == "/sparql":
                return _sparql(ep, environ, start_response, cors)
            if path in ("/", "/index.html"):
                return _send(start_response, 200, "text/html; charset=utf-8", _page(ep).encode())
            if path.startswith("/queries/") and path.endswith(".rq"):
                from ..store.sparql import named_queries

                file = named_queries().get(path[len("/queries/"):-3])
                if file is None:
                    raise Refused(404, f"no named query at {path}")
                return _send(start_response, 200, "application/sparql-query; charset=utf-8", file.read_bytes())
            if path.startswith("/exports/"):
                file = _export(ep, path[len("/exports/"):])
                return _send(start_response, 200, _guess_type(file), file.read_bytes())
            raise Refused(404, f"nothing at {path}; the endpoint is /sparql")
        except Refused as exc:
            return _send(start_response, exc.status, "text/plain; charset=utf-8", (str(exc) + "\n").encode(),
                         list(cors) + list(exc.headers))

    return application


def _check_site(ep: Endpoint, environ, path: str) -> None:
    """Refuse a request another site's page makes (a form posted, an image or script fetched): the browser says
    so in ``Sec-Fetch-Site`` or in an ``Origin`` that is not this endpoint's. Only ``/sparql`` may be asked from
    the origins given with ``--cors``. Clients that are not browsers send neither header and are answered."""
    origin = environ.get("HTTP_ORIGIN")
    if path == "/sparql" and origin in ep.cors:
        return
    site = (environ.get("HTTP_SEC_FETCH_SITE") or "").lower()
    foreign = site == "cross-site"
    if origin and origin != "null" and not foreign:
        own = _host_name(environ.get("HTTP_HOST", "")), _port_of(environ.get("HTTP_HOST", ""), environ)
        try:
            theirs = urlsplit(origin)
            foreign = (theirs.hostname or "", theirs.port or {"http": 80, "https": 443}.get(theirs.scheme)) != own
        except ValueError:  # a malformed Origin
            foreign = True
    elif origin == "null":
        foreign = True
    if foreign:
        raise Refused(403, "a request from another site's page is refused"
                           + (" (only the origins given with --cors may ask /sparql)" if ep.cors else ""))


def _port_of(host: str, environ) -> int | None:
    """The port of a Host header, or the server's when the header names none."""
    host = host.strip()
    tail = host.rsplit("]", 1)[-1] if host.startswith("[") else host
    if tail.count(":") == 1 and tail.rsplit(":", 1)[1].isdigit():
        return int(tail.rsplit(":", 1)[1])
    try:
        return int(environ.get("SERVER_PORT") or 0) or None
    except ValueError:
        return None


def _host_name(host: str) -> str:
    """The name part of a Host header: ``127.0.0.1:7878`` -> ``127.0.0.1``, ``[::1]:80`` -> ``::1``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _cors_headers(ep: Endpoint, environ) -> list:
    """CORS response headers for a request from an origin given with ``--cors``; none otherwise."""
    origin = environ.get("HTTP_ORIGIN")
    if not origin or origin not in ep.cors:
        return [("Vary", "Origin")] if ep.cors else []
    return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
            ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
            ("Access-Control-Allow-Headers", "Content-Type, Accept"), ("Access-Control-Max-Age", "600")]


def _sparql(ep: Endpoint, environ, start_response, cors=()):
    method = environ["REQUEST_METHOD"]
    params = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    body_query = None
    if method == "POST":
        body = _body(environ)
        if content_type == "application/x-www-form-urlencoded":
            for key, values in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
                params.setdefault(key, []).extend(values)
        elif content_type == "application/sparql-query":
            body_query = body.decode("utf-8", "replace")
        elif content_type == "application/sparql-update":
            raise Refused(403, "this endpoint is read-only: SPARQL Update is refused")
        else:
            raise Refused(415, f"POST a query as application/x-www-form-urlencoded or application/sparql-query,"
                               f" not {content_type or 'an untyped body'}")
    elif method not in ("GET", "HEAD"):
        raise Refused(405, f"{method} is not allowed on /sparql; use GET or POST", [("Allow", "GET, HEAD, POST, OPTIONS")])
    if "update" in params or "using-graph-uri" in params or "using-named-graph-uri" in params:
        raise Refused(403, "this endpoint is read-only: SPARQL Update is refused")
    queries = params.get("query", []) + ([body_query] if body_query is not None else [])
    if len(queries) > 1:
        raise Refused(400, "give exactly one query")
    fmt_values = params.get("format", []) + params.get("output", [])
    fmt_param = fmt_values[0] if fmt_values else None
    if not queries:
        if method == "POST":
            raise Refused(400, "no query: send query= or a body of type application/sparql-query")
        graph_fmt = _negotiate("CONSTRUCT", fmt_param, environ.get("HTTP_ACCEPT", ""))
        return _send(start_response, 200, *_description(ep, environ, graph_fmt), cors)
    for name in ("default-graph-uri", "named-graph-uri"):
        for value in params.get(name, []):
            if not _IRI.fullmatch(value):
                raise Refused(400, f"{name} {value!r} is not an absolute IRI")
    ctype, out = handle_query(ep, queries[0], fmt_param=fmt_param, accept=environ.get("HTTP_ACCEPT", ""),
                              default_graphs=params.get("default-graph-uri", []),
                              named_graphs=params.get("named-graph-uri", []))
    return _send(start_response, 200, ctype, out, cors)


_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:[^<>\"{}|^`\\\x00-\x20]*")


def _body(environ) -> bytes:
    """The request body: ``Content-Length`` bytes, or a chunked body decoded; :class:`Refused` when malformed."""
    stream = environ["wsgi.input"]
    if "chunked" in (environ.get("HTTP_TRANSFER_ENCODING") or "").lower():
        out = bytearray()
        while True:
            line = stream.readline(1024).split(b";")[0].strip()
            try:
                size = int(line, 16)
            except ValueError:
                raise Refused(400, f"malformed chunked body: chunk size {line[:20]!r} is not hexadecimal") from None
            if size == 0:
                while stream.readline(1024).strip():  # trailer fields, up to the blank line
                    pass
                return bytes(out)
            if len(out) + size > MAX_BODY:
                raise Refused(413, f"the request body is larger than {MAX_BODY} bytes")
            chunk = stream.read(size)
            if len(chunk) != size:
                raise Refused(400, "malformed chunked body: it ends inside a chunk")
            out += chunk
            stream.readline(8)  # the CRLF after the chunk
    raw = (environ.get("CONTENT_LENGTH") or "").strip()
    if not raw:
        return b""
    if not raw.isdigit():
        raise Refused(400, f"Content-Length {raw!r} is not a number of bytes")
    length = int(raw)
    if length > MAX_BODY:
        raise Refused(413, f"the request body is larger than {MAX_BODY} bytes")
    return stream.read(length) if length else b""


def _send(start_response, status: int, ctype: str, body: bytes, headers=()):
    from http import HTTPStatus

    reason = HTTPStatus(status).phrase
    vary = "Accept, Origin" if any(name == "Vary" for name, _ in headers) else "Accept"
    start_response(f"{status} {reason}", [
        ("Content-Type", ctype), ("Content-Length", str(len(body))), ("Vary", vary),
        ("X-Content-Type-Options", "nosniff"),
        *((name, value) for name, value in headers if name != "Vary"),
    ])
    return [body]


def _description(ep: Endpoint, environ, fmt: str) -> tuple[str, bytes]:
    """The SPARQL 1.1 Service Description of this endpoint."""
    from rdflib import BNode, Graph, Literal, Namespace, URIRef
    from rdflib.namespace import RDF, XSD

    from ..store.sparql import format_result, media_type

    SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
    VOID = Namespace("http://rdfs.org/ns/void#")
    FORMATS = Namespace("http://www.w3.org/ns/formats/")
    host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
    g = Graph()
    g.bind("sd", SD)
    g.bind("void", VOID)
    g.bind("formats", FORMATS)
    service = BNode()
    g.add((service, RDF.type, SD.Service))
    g.add((service, SD.endpoint, URIRef(f"http://{host}/sparql")))
    g.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    if ep.union:
        g.add((service, SD.feature, SD.UnionDefaultGraph))
    for f in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
              "Turtle", "N-Triples", "JSON-LD", "RDF_XML"):
        g.add((service, SD.resultFormat, FORMATS[f]))
    g.add((service, URIRef("http://purl.org/dc/terms/description"), Literal(
        f"ecgraph, read-only: SPARQL Update and SERVICE are refused; each query may run {ep.timeout:g} s "
        f"and return {ep.max_rows} rows. The default graph is "
        f"{'the union of the named graphs' if ep.union else 'the dataset default graph'}.")))
    dataset, default = BNode(), BNode()
    g.add((service, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, VOID.triples, Literal(ep.triples, datatype=XSD.integer)))
    for name, n in sorted(ep.graphs.items()):
        named, inner = BNode(), BNode()
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(name)))
        g.add((named, SD.graph, inner))
        g.add((inner, RDF.type, SD.Graph))
        g.add((inner, VOID.triples, Literal(n, datatype=XSD.integer)))
    from rdflib.query import Result

    result = Result("CONSTRUCT")
    result.graph = g
    text = format_result(result, fmt)
    return media_type(fmt, "CONSTRUCT"), text.encode("utf-8")


def _export(ep: Endpoint, name: str) -> Path:
    files = {p.name: p for p in _export_files(ep)}
    if name not in files:
        raise Refused(404, f"no export called {name!r}")
    return files[name]


def _export_files(ep: Endpoint) -> list[Path]:
    folder = ep.exports
    if folder is None or not Path(folder).is_dir():
        return []
    root = Path(folder).resolve()
    return sorted(p for p in Path(folder).iterdir()
                  if not p.name.startswith(".") and not p.is_symlink() and p.is_file() and p.resolve().parent == root)


def _guess_type(path: Path) -> str:
    import mimetypes

    return {".ttl": "text/turtle", ".nt": "application/n-triples", ".nq": "application/n-quads",
            ".jsonld": "application/ld+json", ".trig": "application/trig"}.get(
        path.suffix, mimetypes.guess_type(path.name)[0] or "application/octet-stream")


def _page(ep: Endpoint) -> str:
    """The offline HTML page: a query form, the named queries, links to the exported views."""
    from ..store.sparql import named_queries, named_query

    e = html.escape
    items = []
    for name in named_queries():
        nq = named_query(name)
        items.append(f'<li><button type="button" data-q="/queries/{quote(name)}.rq">use</button> '
                     f'<code>{e(name)}</code>: {e(nq.summary)}</li>')
    exports = "".join(f'<li><a href="/exports/{quote(p.name)}">{e(p.name)}</a></li>' for p in _export_files(ep))
    example = "SELECT ?class (COUNT(?s) AS ?n) WHERE { ?s a ?class } GROUP BY ?class ORDER BY DESC(?n)"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ecgraph SPARQL endpoint</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em}}
textarea{{width:100%;height:14em;font-family:monospace}} code{{background:#eee}}</style></head>
<body><h1>ecgraph SPARQL endpoint</h1>
<p>SPARQL 1.1 queries at <code>/sparql</code> (GET or POST). Read-only: each query may run
{ep.timeout:g}&nbsp;s and return {ep.max_rows} rows; SERVICE and updates are refused.
The prefixes ecg:, id:, rdfs:, skos:, dcterms:, xsd: and others need no declaration.
<a href="/sparql">Service description</a>.</p>
<form action="/sparql" method="get">
<textarea name="query" id="query">{e(example)}</textarea><br>
<label>Answer as <select name="format">
<option value="json">SPARQL JSON</option><option value="xml">SPARQL XML</option>
<option value="csv">CSV</option><option value="tsv">TSV</option>
<option value="turtle">Turtle (CONSTRUCT)</option><option value="nt">N-Triples (CONSTRUCT)</option>
<option value="jsonld">JSON-LD (CONSTRUCT)</option></select></label>
<button type="submit">Run</button></form>
<h2>Named queries</h2><ul>{''.join(items) or '<li>none</li>'}</ul>
<h2>Views</h2><ul>{exports or '<li>none exported yet (run <code>ecgraph demo</code>)</li>'}</ul>
<script>
document.querySelectorAll('button[data-q]').forEach(function (b) {{
  b.addEventListener('click', function () {{
    fetch(b.dataset.q).then(function (r) {{ return r.text(); }})
      .then(function (t) {{ document.getElementById('query').value = t; }});
  }});
}});
</script></body></html>
"""


# --------------------------------------------------------------------------- running

class _Server:
    """A running endpoint: ``url``, and ``close()`` to stop the server and its workers (also a context manager)."""

    def __init__(self, httpd, ep: Endpoint, thread, url: str, stop):
        self.httpd, self.endpoint, self.thread, self.url, self._stop = httpd, ep, thread, url, stop

    def close(self) -> None:
        try:
            self._stop()
        finally:
            self.endpoint.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def start(g, *, host: str = "127.0.0.1", port: int = 7878, timeout: float = DEFAULT_TIMEOUT,
          max_rows: int = DEFAULT_MAX_ROWS, workers: int = 2, exports: Path | None = None,
          quiet: bool = True, cors=(), long_workers: int = 1, budget: float = DEFAULT_BUDGET,
          memory_mb: int = DEFAULT_MEMORY_MB, idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
          threads: int | None = None, connections: int = 1000, backlog: int = 1024,
          default_graph: str = "default") -> _Server:
    """Serve dataset ``g`` at ``http://host:port/sparql`` from a background thread (``port=0``: any free port).

    The HTTP side is waitress: ``threads`` threads run requests (default: enough
    for every worker plus the clients waiting for a long-query worker), at most
    ``connections`` connections are open at once (fewer if the file-descriptor
    limit is lower: the server stops accepting rather than fail to), a
    connection idle or stalled for ``idle_timeout`` seconds is closed, and
    ``backlog`` connections may wait to be accepted. See :func:`endpoint` for the
    workers and ``default_graph`` (the dataset's own default graph unless ``"union"``),
    and :func:`app` for CORS (``cors``: origins allowed, none by default).
    """
    import logging

    ep = endpoint(g, timeout=timeout, max_rows=max_rows, workers=workers, exports=exports,
                  long_workers=long_workers, budget=budget, memory_mb=memory_mb, cors=cors,
                  default_graph=default_graph)
    if host in _LOOPBACK:
        ep.hosts = _LOOPBACK
    try:
        server, stop = _waitress(app(ep), host=host, port=port, threads=threads or 4 * (workers + long_workers) + 4,
                                 connections=connections, backlog=backlog, idle_timeout=idle_timeout)
    except OSError as exc:
        ep.close()
        raise EcgraphError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except ValueError:  # waitress: a host it cannot resolve or a port out of range
        ep.close()
        raise EcgraphError(f"cannot listen on {host}:{port}: not a host name or address and port of this machine") from None
    logging.getLogger("waitress").setLevel(logging.ERROR if quiet else logging.WARNING)
    thread = threading.Thread(target=server.run, daemon=True, name="ecgraph-serve")
    thread.start()
    shown = f"[{host}]" if ":" in host else host
    return _Server(server, ep, thread, f"http://{shown}:{server.effective_port}/sparql", stop)


def _waitress(application, *, host, port, threads, connections, backlog, idle_timeout):
    """A waitress server for ``application`` and a function that stops it."""
    import errno
    import resource

    from waitress import wasyncore
    from waitress.adjustments import Adjustments
    from waitress.server import TcpWSGIServer
    from waitress.task import ThreadedTaskDispatcher

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:  # as many descriptors as we may have
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else 65536, hard))
            soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        except (ValueError, OSError):
            pass
    # every connection costs one descriptor; keep room for the workers' pipes, the store and the logs
    connections = max(8, min(connections, soft - 64 - 8 * threads))

    class Server(TcpWSGIServer):
        paused_until = 0.0

        def readable(self):
            if time.monotonic() < self.paused_until:  # out of descriptors: wait, do not spin on accept()
                return False
            return super().readable()

        def handle_accept(self):
            try:
                pair = self.socket.accept()
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    self.paused_until = time.monotonic() + 0.5
                return
            conn, addr = pair
            self.set_socket_options(conn)
            self.channel_class(self, conn, self.fix_addr(addr), self.adj, map=self._map)

    adj = Adjustments(host=host, port=port, threads=threads, connection_limit=connections, backlog=backlog,
                      channel_timeout=idle_timeout, cleanup_interval=max(0.5, min(30.0, idle_timeout / 2)),
                      max_request_body_size=MAX_BODY, asyncore_use_poll=True, ident="ecgraph",
                      expose_tracebacks=False, log_socket_errors=False)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    socket_map: dict = {}
    server = Server(application, socket_map, dispatcher=dispatcher, adj=adj, sockinfo=adj.listen[0])

    def stop():
        try:  # close everything from the loop's own thread
            server.trigger.pull_trigger(lambda: wasyncore.close_all(socket_map))
        except OSError:  # the loop has already closed its trigger
            wasyncore.close_all(socket_map)
        deadline = time.monotonic() + 10
        while socket_map and time.monotonic() < deadline:
            time.sleep(0.02)
        dispatcher.shutdown(timeout=5)

    return server, stop


def serve(g, **options) -> None:
    """Serve ``g`` until interrupted (Ctrl-C) or terminated (SIGTERM, ``kill PID``).

    Either way the workers are stopped and the temporary store removed: SIGTERM
    is turned into the same interruption as Ctrl-C while this runs.
    """
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    server = None
    try:
        server = start(g, quiet=False, **options)
        print(f"ecgraph SPARQL endpoint at {server.url} (form at {server.url[:-len('/sparql')]}/); Ctrl-C stops it",
              flush=True)
        while server.thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second TERM must not cut the clean-up short
        try:
            if server is not None:
                server.close()
        finally:
            signal.signal(signal.SIGTERM, previous)
