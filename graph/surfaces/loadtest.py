"""A bounded loopback load test of ``ecgraph serve``: ordinary queries with and without runaway clients.

``python -m graph.surfaces.loadtest`` starts ``ecgraph serve`` on a free 127.0.0.1 port (or
uses ``--url``, which must be a loopback URL), then runs two phases of
``--duration`` seconds each:

1. ``--clients`` ordinary clients, each asking a short query again and again
   (a new connection per request, as a browser or a script without keep-alive
   does), with ``--think`` seconds between requests;
2. the same, plus ``--runaway`` clients that each send a runaway query (a
   three-way cross product, or a large ORDER BY) and ask again when answered.

For the ordinary queries of each phase it prints p50, p99 and max latency,
throughput, and the count of connection resets, 503 answers and other
failures. Everything is bounded: at most 200 clients, 120 s per phase, one
server, loopback only. The clients are asyncio streams in one thread, so the
load generator itself stays light.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

ORDINARY = [
    "SELECT ?c WHERE { ?c ecg:isoAlpha2 '%s' }" % code for code in ("FR", "DE", "CN", "SG", "MY", "US", "JP", "KR")
]
RUNAWAY = [
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "SELECT ?c ?f WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f",
]
MAX_CLIENTS = 200
MAX_DURATION = 120.0


@dataclass
class Tally:
    """What the clients of one kind saw in one phase."""

    latencies: list = field(default_factory=list)  # seconds, answered 200
    resets: int = 0
    busy: int = 0  # 503
    other: dict = field(default_factory=dict)  # status or error name -> count
    samples: list = field(default_factory=list)  # the first answers that were neither 200 nor 503

    def line(self, label: str, seconds: float) -> str:
        lat = sorted(self.latencies)

        def pct(p):
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

        others = ", ".join(f"{k}: {v}" for k, v in sorted(self.other.items())) or "none"
        return (f"{label:<28} {len(lat):>6} ok  {len(lat) / seconds:7.1f}/s  p50 {pct(0.5):7.1f} ms  "
                f"p99 {pct(0.99):7.1f} ms  max {(lat[-1] * 1000 if lat else float('nan')):7.1f} ms  "
                f"resets {self.resets}  503s {self.busy}  other {others}")


async def _ask(host: str, port: int, path: str, timeout: float) -> tuple[int, bytes]:
    """One GET on a new connection; the HTTP status and the body."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/csv\r\n"
                     f"Connection: close\r\n\r\n".encode())
        await writer.drain()
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        status = int(head.split(b" ", 2)[1])
        length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                       if line.lower().startswith(b"content-length:")), None)
        if length is not None:
            body = await asyncio.wait_for(reader.readexactly(length), timeout)
        else:
            body = await asyncio.wait_for(reader.read(), timeout)
        return status, body
    finally:
        writer.close()


async def _client(host, port, base, queries, tally: Tally, until: float, think: float, timeout: float, offset: int):
    n = offset
    while time.monotonic() < until:
        text = queries[n % len(queries)]
        n += 1
        path = f"{base}?query={quote(text)}&format=csv"
        started = time.monotonic()
        try:
            status, body = await _ask(host, port, path, timeout)
        except (ConnectionResetError, BrokenPipeError, asyncio.IncompleteReadError):
            tally.resets += 1
            continue
        except (asyncio.TimeoutError, OSError) as exc:
            key = type(exc).__name__
            tally.other[key] = tally.other.get(key, 0) + 1
            continue
        if status == 200:
            tally.latencies.append(time.monotonic() - started)
        elif status == 503:
            tally.busy += 1
        else:
            tally.other[status] = tally.other.get(status, 0) + 1
            if len(tally.samples) < 3:
                tally.samples.append(f"{status}: {body[:160].decode('utf-8', 'replace').strip()}")
        if think:
            await asyncio.sleep(think)


async def _phase(url: str, clients: int, runaway: int, duration: float, think: float,
                 timeout: float) -> tuple[Tally, Tally]:
    parts = urlsplit(url)
    until = time.monotonic() + duration
    ordinary, slow = Tally(), Tally()
    tasks = [_client(parts.hostname, parts.port, parts.path, ORDINARY, ordinary, until, think, timeout, i)
             for i in range(clients)]
    tasks += [_client(parts.hostname, parts.port, parts.path, RUNAWAY, slow, until, 0, timeout, i)
              for i in range(runaway)]
    await asyncio.gather(*tasks)
    return ordinary, slow


def run(url: str, *, clients: int = 50, runaway: int = 3, duration: float = 10.0, think: float = 0.0,
        timeout: float = 30.0, out=sys.stdout) -> dict:
    """Both phases against the endpoint at ``url`` (loopback only); prints a line per phase and returns the tallies."""
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit(f"loadtest runs only against a loopback endpoint, not {host}")
    clients, runaway = min(clients, MAX_CLIENTS), min(runaway, MAX_CLIENTS)
    duration = min(duration, MAX_DURATION)
    print(f"endpoint {url}; {clients} ordinary clients (think {think:g} s), {runaway} runaway clients, "
          f"{duration:g} s per phase", file=out, flush=True)
    result = {}
    for label, n_runaway in (("ordinary alone", 0), (f"ordinary + {runaway} runaway", runaway)):
        if label != "ordinary alone" and runaway == 0:
            continue
        started = time.monotonic()
        ordinary, slow = asyncio.run(_phase(url, clients, n_runaway, duration, think, timeout))
        seconds = time.monotonic() - started
        print(ordinary.line(label, seconds), file=out, flush=True)
        for sample in ordinary.samples:
            print(f"    e.g. {sample}", file=out, flush=True)
        if n_runaway:
            print(slow.line("  (the runaway queries)", seconds), file=out, flush=True)
        result[label] = (ordinary, slow)
    return result


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(extra: list[str]) -> tuple[subprocess.Popen, str]:
    """``ecgraph serve`` (this tree's) on a free loopback port; the process and the endpoint URL."""
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "graph.surfaces.cli", "serve", "--port", str(port), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=dict(os.environ))
    line = proc.stdout.readline()
    if "endpoint at" not in line:
        proc.kill()
        raise SystemExit(f"ecgraph serve did not start: {line.strip()}")
    return proc, f"http://127.0.0.1:{port}/sparql"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graph.surfaces.loadtest", description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running loopback endpoint (default: start ecgraph serve)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--runaway", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    parser.add_argument("--think", type=float, default=0.0, help="seconds each ordinary client waits between requests")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a client waits for an answer")
    parser.add_argument("--serve-timeout", type=float, default=5.0, help="--timeout of the started server")
    parser.add_argument("--workers", type=int, default=None, help="--workers of the started server")
    args = parser.parse_args(argv)
    proc = None
    url = args.url
    if url is None:
        extra = ["--workers", str(args.workers)] if args.workers else []
        proc, url = _serve(["--timeout", str(args.serve_timeout), "--no-inferred", *extra])
    try:
        run(url, clients=args.clients, runaway=args.runaway, duration=args.duration, think=args.think,
            timeout=args.timeout)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
