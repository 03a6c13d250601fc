"""The benchmark: synthetic graphs at 10k, 100k and 1M triples, timed on Oxigraph and on rdflib's memory store.

``python -m graph.surfaces.bench`` (or ``ecgraph bench``) writes, for each size, a
reproducible synthetic graph (fixed seed) shaped like the real data on top of
the curated set, so that the real restrictions apply: firms in corporate groups
with ownership chains of up to six hops (some owned by several parties, a few
cross-holdings that make cycles), listings on the curated screening lists,
headquarters in the curated countries, past memberships of curated country
groups, chips with figures, and chip usages. Every measurement runs in a child
process per store, so that peak memory is the child's own (``VmHWM``, which
counts Oxigraph's native memory), and each has a time limit: a baseline that
does not finish is printed as ``> N s (stopped)``, never waited for.

Figures, not assertions: nothing here fails because something is slow.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

SEED = 7
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000}
STORE, BASELINE = "oxigraph", "memory"
_ID = "https://w3id.org/ecgraph/id/"
_ECG = "https://w3id.org/ecgraph/ontology#"
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_SOURCE = "http://purl.org/dc/terms/source"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_BENCH = _ID + "bench/"

# The SPARQL the benchmark times; values are bound (VALUES), never pasted.
QUERIES = {
    "SPARQL join (listed parties x the stakes they hold)": """
SELECT ?owner ?list ?owned WHERE {
  ?listing ecg:listedParty ?owner ; ecg:onList ?list .
  ?stake ecg:owner ?owner ; ecg:owned ?owned .
}""",
    "SPARQL join, wide (stakes across borders)": """
SELECT ?owner ?owned ?country WHERE {
  ?stake ecg:owner ?owner ; ecg:owned ?owned .
  ?owner ecg:headquarteredIn ?country .
  ?owned ecg:headquarteredIn ?elsewhere .
  FILTER(?country != ?elsewhere)
}""",
    "SPARQL path (owners of a party, any depth, that are listed)": """
SELECT DISTINCT ?owner ?list WHERE {
  ?party (^ecg:owned/ecg:owner)+ ?owner .
  ?listing ecg:listedParty ?owner ; ecg:onList ?list .
}""",
    "SPARQL aggregate (firms per country, GROUP BY)": """
SELECT ?country (COUNT(DISTINCT ?firm) AS ?firms) WHERE {
  ?firm a ecg:Firm ; ecg:headquarteredIn ?country .
} GROUP BY ?country ORDER BY DESC(?firms)""",
}

# what the issue asks for, on the 1M-triple graph
TARGETS = {
    "load": "≤ 5 s",
    "peak memory": "≤ 1 GB",
    "SPARQL join": "≤ 100 ms",
    "SPARQL path": "≤ 100 ms",
    "SPARQL aggregate": "≤ 300 ms",
    "expose": "≤ 100 ms",
}


# --------------------------------------------------------------------------- the synthetic graph

@dataclass(frozen=True)
class Vocabulary:
    """What the generator takes from the curated data: IRIs only, chosen by type, never by name."""

    countries: tuple[str, ...]
    groups: tuple[str, ...]
    lists: tuple[str, ...]
    extended_lists: tuple[str, ...]  # lists an affiliate extension reaches through ownership
    policies: tuple[str, ...]
    activities: tuple[str, ...]
    first_chip: str
    operative_day: dt.date  # a day on which an affiliate extension is operative


def curated_vocabulary() -> Vocabulary:
    """The curated countries, groups, lists, policies and activities, and a day the affiliate extension holds."""
    from ..store.load import load

    g = load(curated=True, imports=False, store="memory")

    def iris(cls: str) -> tuple[str, ...]:
        return tuple(sorted(str(s) for s in g.subjects(_uri(_RDF_TYPE), _uri(_ECG + cls))))

    extended, days = [], []
    for row in g.query("""
        SELECT ?list ?from WHERE {
          ?ext ecg:restrictionType ?type ; ecg:extendsList ?list ; ecg:imposedBy ?rule .
          OPTIONAL { ?period ecg:statusOf ?rule ; ecg:status ?status ; ecg:validFrom ?from .
                     ?status ecg:isOperative true }
        }""", initNs={"ecg": _ECG}):
        extended.append(str(row.list))
        if row["from"] is not None:
            days.append(row["from"].toPython())
    lists = iris("ScreeningList")
    # destinations the restrictions name come first: the generator puts most firms there, as real registries do
    named = sorted({str(c) for c in g.objects(None, _uri(_ECG + "destinationCountry"))})
    return Vocabulary(
        countries=tuple(named + [c for c in iris("Country") if c not in named]), groups=iris("CountryGroup"), lists=lists,
        extended_lists=tuple(sorted(set(extended))) or lists[:1],
        policies=iris("ReviewPolicy"), activities=iris("Activity"), first_chip=iris("Chip")[0],
        operative_day=min(days) if days else dt.date.today(),
    )


def _uri(text: str):
    from rdflib import URIRef

    return URIRef(text)


@dataclass(frozen=True)
class Synthetic:
    """A generated file and the parties the timed usages name."""

    path: str
    triples: int
    firms: int
    probes: dict = field(default_factory=dict)


class _Writer:
    """N-Triples out, counting."""

    def __init__(self, out):
        self.out, self.count = out, 0

    def iri(self, s: str, p: str, o: str) -> None:
        self.out.write(f"<{s}> <{p}> <{o}> .\n")
        self.count += 1

    def lit(self, s: str, p: str, value, datatype: str | None = None, lang: str | None = None) -> None:
        text = str(value).replace("\\", "\\\\").replace('"', '\\"')
        tail = f"@{lang}" if lang else (f"^^<{_XSD}{datatype}>" if datatype else "")
        self.out.write(f'<{s}> <{p}> "{text}"{tail} .\n')
        self.count += 1


def country_ranking(vocab: Vocabulary, rng: random.Random) -> list[str]:
    """The curated countries, most firms first: the first destination a restriction names, then a seeded shuffle."""
    rest = list(vocab.countries[1:])
    rng.shuffle(rest)
    return [vocab.countries[0], *rest]


class _Generator:
    def __init__(self, w: _Writer, vocab: Vocabulary, rng: random.Random):
        self.w, self.v, self.rng = w, vocab, rng
        self.firms: list[str] = []
        self.n_facts = 0
        self.source = _BENCH + "source/synthetic"
        # a skewed choice of headquarters, like real registries (a few countries hold most firms)
        self.countries = country_ranking(vocab, rng)
        self.country_weights = [1.0 / (i + 1) ** 1.1 for i in range(len(self.countries))]

    def country(self) -> str:
        return self.rng.choices(self.countries, self.country_weights)[0]

    def firm(self, country: str | None = None, name: str | None = None) -> str:
        w, n = self.w, len(self.firms)
        iri = f"{_BENCH}firm/{name or f'{n:07d}'}"
        w.iri(iri, _RDF_TYPE, _ECG + "Firm")
        w.lit(iri, _LABEL, f"Bench firm {name or f'{n:07d}'}", lang="en")
        w.iri(iri, _ECG + "headquarteredIn", country or self.country())
        w.iri(iri, _SOURCE, self.source)
        self.firms.append(iri)
        return iri

    def fact(self, kind: str) -> str:
        self.n_facts += 1
        return f"{_BENCH}{kind}/{self.n_facts:07d}"

    def owns(self, owner: str, owned: str, pct: float, since: dt.date | None = None) -> None:
        w, o = self.w, self.fact("ownership")
        w.iri(o, _RDF_TYPE, _ECG + "Ownership")
        w.iri(o, _ECG + "owner", owner)
        w.iri(o, _ECG + "owned", owned)
        w.lit(o, _ECG + "percentage", f"{pct:.1f}", "decimal")
        w.iri(o, _SOURCE, self.source)
        if since is not None:
            w.lit(o, _ECG + "validFrom", since.isoformat(), "date")

    def lists(self, party: str, lst: str, since: dt.date, until: dt.date | None = None) -> None:
        w, f = self.w, self.fact("listing")
        w.iri(f, _RDF_TYPE, _ECG + "Listing")
        w.iri(f, _ECG + "listedParty", party)
        w.iri(f, _ECG + "onList", lst)
        w.lit(f, _ECG + "validFrom", since.isoformat(), "date")
        if until is not None:
            w.lit(f, _ECG + "validUntil", until.isoformat(), "date")
        w.lit(f, _ECG + "frCitation", f"{self.rng.randint(84, 90)} FR {self.rng.randint(1000, 99999)}")
        w.iri(f, _ECG + "reviewPolicy", self.rng.choice(self.v.policies))
        w.iri(f, _SOURCE, self.source)

    def day(self, first: int = 2018, last: int = 2024) -> dt.date:
        return dt.date(self.rng.randint(first, last), self.rng.randint(1, 12), self.rng.randint(1, 28))

    def a_list(self) -> str:
        # most listings are on the lists an affiliate extension reaches, the rest on any curated list
        pool = self.v.extended_lists if self.rng.random() < 0.75 else self.v.lists
        return self.rng.choice(pool)

    def probes(self) -> dict:
        """Fixed parties for the timed usages, the same at every size."""
        listed_since = self.v.operative_day - dt.timedelta(days=900)
        home, away = self.countries[0], self.countries[1]
        extended = self.v.extended_lists[0]
        top = self.firm(home, "probe-top")
        self.lists(top, extended, listed_since)
        chain, node = [], top
        for hop, pct in enumerate((100.0, 90.0, 100.0, 100.0, 80.0, 100.0), 1):  # 72% at the bottom
            child = self.firm(home if hop < 6 else away, "probe-deep" if hop == 6 else f"probe-hop-{hop}")
            self.owns(node, child, pct)
            chain.append(child)
            node = child
        a, b = self.firm(home, "probe-owner-a"), self.firm(home, "probe-owner-b")
        self.lists(a, extended, listed_since)
        self.lists(b, extended, listed_since)
        joint = self.firm(away, "probe-joint")
        self.owns(a, joint, 30.0)
        self.owns(b, joint, 30.0)
        supplier = self.firm(self.countries[2], "probe-supplier")
        designer = self.firm(self.countries[2], "probe-designer")
        chip = _BENCH + "chip/probe"
        self.chip(chip, designer, supplier, tpp=5000.0, density=6.0)
        return {"top": top, "deep": chain[-1], "joint": joint, "supplier": supplier, "chip": chip,
                "home": home, "away": away, "day": self.v.operative_day.isoformat(), "list": extended}

    def chip(self, iri: str, designer: str, maker: str, *, tpp: float, density: float) -> None:
        w = self.w
        w.iri(iri, _RDF_TYPE, _ECG + "Chip")
        w.lit(iri, _LABEL, f"Bench chip {iri.rsplit('/', 1)[-1]}", lang="en")
        w.iri(iri, _ECG + "designedBy", designer)
        w.iri(iri, _ECG + "manufacturedBy", maker)
        w.lit(iri, _ECG + "tpp", f"{tpp:.1f}", "decimal")
        w.lit(iri, _ECG + "performanceDensity", f"{density:.2f}", "decimal")
        w.lit(iri, _ECG + "memoryBandwidth", f"{self.rng.choice((1600, 2000, 3350, 4800, 8000))}.0", "decimal")
        w.iri(iri, _SOURCE, self.source)

    def group(self) -> None:
        """One corporate group: a root and subsidiaries down to six hops."""
        rng = self.rng
        depth = rng.choices((1, 2, 3, 4, 5, 6), (30, 25, 20, 12, 8, 5))[0]
        country = self.country()
        root = self.firm(country)
        if rng.random() < 0.03:
            since = self.day()
            ended = since + dt.timedelta(days=rng.randint(30, 900)) if rng.random() < 0.1 else None
            self.lists(root, self.a_list(), since, ended)
        level, members = [root], [root]
        for _ in range(depth):
            nxt = []
            for parent in level:
                for _ in range(rng.choices((1, 2, 3, 4), (40, 30, 20, 10))[0]):
                    if len(members) >= 60:
                        break
                    child = self.firm(country if rng.random() < 0.8 else self.country())
                    pct = rng.choice((100.0, 100.0, 100.0, 75.0, 60.0, 51.0, 40.0, 30.0))
                    self.owns(parent, child, pct, self.day() if rng.random() < 0.3 else None)
                    if rng.random() < 0.05 and len(self.firms) > 100:  # a second owner from another group
                        other = self.firms[rng.randrange(len(self.firms) - 60)]
                        self.owns(other, child, float(rng.randint(10, 45)))
                    if rng.random() < 0.005:
                        self.lists(child, self.a_list(), self.day())
                    nxt.append(child)
                    members.append(child)
            level = nxt or level
        if depth >= 2 and rng.random() < 0.01:  # a cross-holding back up to the root: a cycle
            self.owns(members[-1], root, 5.0)

    def past_membership(self) -> None:
        w, m = self.w, self.fact("membership")
        w.iri(m, _RDF_TYPE, _ECG + "GroupMembership")
        w.iri(m, _ECG + "memberCountry", self.rng.choice(self.v.countries))
        w.iri(m, _ECG + "memberOf", self.rng.choice(self.v.groups))
        w.lit(m, _ECG + "validFrom", self.day(1980, 1989).isoformat(), "date")
        w.lit(m, _ECG + "validUntil", self.day(1990, 1999).isoformat(), "date")
        w.iri(m, _SOURCE, self.source)

    def usage(self, n: int, chips: list[str]) -> None:
        w, u = self.w, f"{_BENCH}usage/{n:07d}"
        w.iri(u, _RDF_TYPE, _ECG + "ChipUsage")
        w.iri(u, _ECG + "chip", self.rng.choice(chips))
        w.iri(u, _ECG + "activity", self.rng.choice(self.v.activities))
        w.iri(u, _ECG + "usedBy", self.rng.choice(self.firms))
        w.lit(u, _ECG + "asOf", self.day(2023, 2026).isoformat(), "date")


def generate(path: Path | str, triples: int, *, seed: int = SEED, vocab: Vocabulary | None = None) -> Synthetic:
    """Write about ``triples`` synthetic triples as N-Triples to ``path``; same seed, same file.

    >>> import tempfile, pathlib
    >>> s = generate(pathlib.Path(tempfile.mkdtemp()) / "s.nt", 2000)
    >>> s.triples >= 2000 and s.probes["deep"].endswith("probe-deep")
    True
    """
    vocab = vocab or curated_vocabulary()
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        w = _Writer(out)
        gen = _Generator(w, vocab, rng)
        probes = gen.probes()
        chips, n_usages = [probes["chip"]], 0
        while w.count < triples:
            gen.group()
            if rng.random() < 0.02:
                chips.append(f"{_BENCH}chip/{len(chips):05d}")
                gen.chip(chips[-1], rng.choice(gen.firms), rng.choice(gen.firms),
                         tpp=float(rng.randint(500, 20000)), density=round(rng.uniform(0.5, 12.0), 2))
            if rng.random() < 0.05:
                gen.past_membership()
            if rng.random() < 0.1:
                n_usages += 1
                gen.usage(n_usages, chips)
    return Synthetic(str(path), w.count, len(gen.firms), probes)


class _Registry(_Generator):
    """A company registry: groups, long chains, holding companies that own many, many small owners, cross-holdings."""

    def __init__(self, w: _Writer, vocab: Vocabulary, rng: random.Random):
        super().__init__(w, vocab, rng)
        self.stakes = 0
        self.holders: list[str] = []  # one entry per stake held: a uniform pick is a pick by degree (preferential)
        self.people = 0

    def owns(self, owner: str, owned: str, pct: float, since: dt.date | None = None) -> None:
        super().owns(owner, owned, pct, since)
        self.stakes += 1
        self.holders.append(owner)

    def person(self) -> str:
        self.people += 1
        iri = f"{_BENCH}person/{self.people:07d}"
        self.w.iri(iri, _RDF_TYPE, _ECG + "Person")
        self.w.lit(iri, _LABEL, f"Bench owner {self.people:07d}", lang="en")
        self.w.iri(iri, _SOURCE, self.source)
        return iri

    def holder(self) -> str:
        """An owner picked by how many stakes it already holds (a few hold thousands), else any firm."""
        rng = self.rng
        if self.holders and rng.random() < 0.7:
            return self.holders[rng.randrange(len(self.holders))]
        return self.firms[rng.randrange(len(self.firms))]

    def group(self) -> None:
        """A corporate group of up to 200 firms, depth up to 8, some subsidiaries with a second (preferential) owner."""
        rng = self.rng
        size = min(200, int(rng.paretovariate(1.3) * 3))
        root = self.firm()
        if rng.random() < 0.02:
            self.lists(root, self.a_list(), self.day())
        if rng.random() < 0.3:  # owned by a holding company
            self.owns(self.holder(), root, rng.choice((100.0, 75.0, 51.0, 30.0, 20.0)))
        members, level = [root], [root]
        for _ in range(8):
            nxt = []
            for parent in level:
                for _ in range(rng.choices((1, 2, 3, 5, 8), (40, 30, 15, 10, 5))[0]):
                    if len(members) >= size:
                        break
                    child = self.firm()
                    self.owns(parent, child, rng.choice((100.0, 100.0, 100.0, 75.0, 60.0, 51.0, 40.0, 30.0)),
                              self.day() if rng.random() < 0.3 else None)
                    if rng.random() < 0.08:
                        self.owns(self.holder(), child, float(rng.randint(5, 45)))
                    if rng.random() < 0.003:
                        self.lists(child, self.a_list(), self.day())
                    nxt.append(child)
                    members.append(child)
            if not nxt:
                break
            level = nxt
        if len(members) > 2 and rng.random() < 0.02:  # a cross-holding back up to the root: a cycle
            self.owns(members[-1], root, 5.0)

    def chain(self) -> None:
        """A long chain of 8 to 25 holdings, each mostly or wholly owning the next."""
        rng = self.rng
        node = self.holder() if rng.random() < 0.5 else self.firm()
        for _ in range(rng.randint(8, 25)):
            child = self.firm()
            self.owns(node, child, rng.choice((100.0, 100.0, 90.0, 75.0, 51.0)))
            node = child

    def small_owners(self) -> None:
        """People holding a few percent each of one firm (most owners in a registry are these)."""
        rng = self.rng
        firm = self.firms[rng.randrange(len(self.firms))]
        for _ in range(rng.randint(1, 12)):
            self.owns(self.person(), firm, round(rng.uniform(0.5, 9.9), 1))

    def cross_holding(self) -> None:
        """Two or three firms of different groups holding each other: a cycle."""
        rng = self.rng
        ring = [self.firms[rng.randrange(len(self.firms))] for _ in range(rng.choice((2, 2, 3)))]
        for a, b in zip(ring, ring[1:] + ring[:1]):
            if a != b:
                self.owns(a, b, float(rng.randint(1, 20)))


def generate_registry(path: Path | str, stakes: int, *, seed: int = SEED, vocab: Vocabulary | None = None) -> Synthetic:
    """Write a synthetic company registry of about ``stakes`` ownership stakes as N-Triples; same seed, same file.

    Shaped like real registries: skewed degrees (holding companies picked by the stakes they already hold),
    corporate groups, long chains (up to 25 holdings), cross-holdings (cycles), many people with small stakes,
    and listings on the curated lists; the probes of :func:`generate` are in it too. ``Synthetic.firms`` counts
    the stakes here (``probes["stakes"]``) besides the firms.

    >>> import tempfile, pathlib
    >>> s = generate_registry(pathlib.Path(tempfile.mkdtemp()) / "r.nt", 3000)
    >>> s.probes["stakes"] >= 3000 and s.probes["deep"].endswith("probe-deep")
    True
    """
    vocab = vocab or curated_vocabulary()
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", buffering=1 << 20) as out:
        w = _Writer(out)
        gen = _Registry(w, vocab, rng)
        probes = gen.probes()
        while gen.stakes < stakes:
            r = rng.random()
            if r < 0.55 or len(gen.firms) < 100:
                gen.group()
            elif r < 0.62:
                gen.chain()
            elif r < 0.97:
                gen.small_owners()
            else:
                gen.cross_holding()
    return Synthetic(str(path), w.count, len(gen.firms), {**probes, "stakes": gen.stakes, "people": gen.people})


def usages(probes: dict) -> dict[str, dict]:
    """The timed usages, as keyword arguments of :class:`graph.reasoning.exposure.Usage` (dates as ISO text)."""
    day, chip = probes["day"], probes["chip"]
    return {
        "expose: user 6 ownership hops below a listed party": dict(
            chip=chip, user=probes["deep"], supplier=probes["supplier"], as_of=day),
        "expose: user owned 30% + 30% by two listed parties": dict(
            chip=chip, user=probes["joint"], supplier=probes["supplier"], as_of=day),
        "expose: listed user, named supplier": dict(
            chip=chip, user=probes["top"], supplier=probes["supplier"], as_of=day),
        "expose: unnamed user and end party (countries only)": dict(
            chip=chip, user_country=probes["away"], for_country=probes["home"], activity=_ID + "activity/training",
            as_of=day),
    }


# --------------------------------------------------------------------------- the child: one store, timed

def _peak_mb(pid: int | str = "self") -> float | None:
    """The peak resident set (VmHWM) of this process, or of process ``pid`` (None where /proc cannot tell)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    if pid != "self":
        return None
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform != "darwin" else 1024 * 1024)


def _emit(**record) -> None:
    sys.stdout.write(json.dumps(record) + "\n")
    sys.stdout.flush()


def _timed(fn, repeat: int, budget: float) -> list[float]:
    """Run ``fn`` up to ``repeat`` times, fewer when the runs so far used up half the budget."""
    times: list[float] = []
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
        if sum(times) > budget / 2:
            break
    return times


def worker(spec: dict) -> None:
    """Load the data on one store and time each task, one JSON line per event (run in a child process)."""
    os.environ["ECGRAPH_DATA_DIR"] = spec["data_dir"]
    skip, repeat, budget = set(spec.get("skip", ())), spec["repeat"], spec["limit"]
    _emit(event="ready", rss_mb=_peak_mb())
    from rdflib import URIRef

    from ..store.load import load

    _emit(event="start", task="load")
    start = time.perf_counter()
    g = load(spec["path"], imports=False, store=spec["store"])
    seconds = time.perf_counter() - start
    if "load" not in skip:
        _emit(event="done", task="load", times=[seconds], peak_mb=_peak_mb())

    from ..reasoning.exposure import Usage, exposures, traversal_graph
    from ..store.sparql import query

    probes = spec["probes"]

    def build():
        return traversal_graph(g, refresh=True)  # rebuild: neither the in-memory nor the on-disk copy

    tasks = [("traversal graph (build)", build)]
    G = None
    for name, args in usages(probes).items():
        usage = Usage(**{k: (dt.date.fromisoformat(v) if k == "as_of" else v) for k, v in args.items()})
        tasks.append((name, lambda usage=usage: exposures(g, usage)))
    tasks.append(("render a 1,000-node view", lambda: _render(g, probes)))
    for name, text in QUERIES.items():
        bindings = {"party": URIRef(probes["deep"])} if "?party" in text else {}
        tasks.append((name, lambda text=text, bindings=bindings: query(g, text, bindings=bindings)))
    only = set(spec.get("only") or ())
    for name, fn in tasks:
        if name in skip or (only and name not in only):
            continue
        if G is None and name != "traversal graph (build)":
            G = traversal_graph(g)  # expose and render run after the (cached) traversal graph exists
        _emit(event="start", task=name)
        try:
            times = _timed(fn, repeat, budget)
        except ImportError as exc:
            _emit(event="skipped", task=name, why=f"{type(exc).__name__}: {exc}")
            continue
        extra = {}
        if name.startswith("render"):
            extra["nodes"] = _render.nodes
        if name.startswith("SPARQL"):
            extra["rows"] = len(fn())
        if name.startswith("expose"):
            extra["rows"] = len(fn().exposures)
        _emit(event="done", task=name, times=times, **extra)
    _emit(event="end", peak_mb=_peak_mb())


def _render(g, probes):
    """A view of about 1,000 nodes around the listed top party, drawn by the pyvis renderer."""
    from ..reasoning.exposure import traversal_graph
    from ..pages.render import entity_view, neighbourhood

    G = traversal_graph(g)
    depth = getattr(_render, "depth", None)
    if depth is None:
        for depth in range(1, 9):
            if neighbourhood(G, probes["list"], depth=depth, limit=1000).graph["total_nodes"] >= 1000:
                break
        _render.depth = depth
    view = entity_view(g, probes["list"], depth=depth, limit=1000, G=G)
    _render.nodes = view.nodes
    return view


# --------------------------------------------------------------------------- the parent: children with time limits

@dataclass
class Measured:
    """One row's figures on one store."""

    times: list[float] | None = None
    stopped: float | None = None  # the limit it ran past
    note: str = ""
    peak_mb: float | None = None
    extra: dict = field(default_factory=dict)

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None


def measure(store: str, synthetic: Synthetic, *, repeat: int, limit: float, load_limit: float,
            data_dir: str, only=()) -> tuple[dict[str, Measured], float | None, float | None]:
    """Every task on one store, each in a child process with a time limit; a child past it is killed and a new one
    carries on with the tasks left. Returns the figures per task, the child's RSS before loading, and its final peak.
    """
    results: dict[str, Measured] = {}
    base_rss = final_peak = None
    while True:
        spec = {"path": synthetic.path, "store": store, "repeat": repeat, "limit": limit, "probes": synthetic.probes,
                "skip": sorted(results), "data_dir": data_dir, "only": list(only)}
        proc = subprocess.Popen([sys.executable, "-m", "graph.surfaces.bench", "--worker", json.dumps(spec)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        lines: list = []
        ready = threading.Event()

        def pump():
            for line in proc.stdout:
                lines.append(line)
                ready.set()
            lines.append(None)
            ready.set()

        threading.Thread(target=pump, daemon=True).start()
        current, deadline, finished = None, time.monotonic() + 120, False
        while True:
            ready.wait(timeout=max(0.0, deadline - time.monotonic()))
            ready.clear()
            while lines:
                line = lines.pop(0)
                if line is None:
                    finished = True
                    break
                event = json.loads(line)
                kind = event["event"]
                if kind == "ready":
                    base_rss = base_rss or event["rss_mb"]
                elif kind == "start":
                    current = event["task"]
                    deadline = time.monotonic() + (load_limit if current == "load" else limit)
                elif kind == "done":
                    extra = {k: v for k, v in event.items() if k not in ("event", "task", "times", "peak_mb")}
                    results[event["task"]] = Measured(event["times"], peak_mb=event.get("peak_mb"), extra=extra)
                    current = None
                elif kind == "skipped":
                    results[event["task"]] = Measured(note=event["why"])
                    current = None
                elif kind == "end":
                    final_peak = event["peak_mb"]
            if finished:
                break
            if time.monotonic() >= deadline:
                os.killpg(proc.pid, 9)
                proc.wait()
                if current == "load" or current is None:  # nothing can run without the data
                    results.setdefault("load", Measured(stopped=load_limit if current == "load" else None,
                                                        note="child did not answer"))
                    return results, base_rss, final_peak
                results[current] = Measured(stopped=limit)
                break
        if finished:
            proc.wait()
            if proc.returncode != 0:
                err = proc.stderr.read().strip().splitlines()
                results.setdefault(current or "load", Measured(note=(err[-1] if err else f"exit {proc.returncode}")[:120]))
            return results, base_rss, final_peak


def cold_start(vocab: Vocabulary, repeat: int = 5) -> dict[str, float]:
    """Median wall time of ``python -c 'import graph'`` and of an end-to-end ``ecgraph expose`` on the curated data.

    The usage is the curated data's own: its first chip (by IRI) used by an unnamed party in one curated country
    on behalf of one in another, as the generator ranks them.
    """
    order = country_ranking(vocab, random.Random(SEED))
    import shutil

    cli = [shutil.which("ecgraph")] if shutil.which("ecgraph") else [sys.executable, "-m", "graph.surfaces.cli"]
    expose = [*cli, "expose", "--chip", vocab.first_chip, "--user-country", order[1],
              "--for-country", order[0], "--activity", "training", "--as-of", vocab.operative_day.isoformat()]
    out = {}
    for name, cmd in (("python -c 'import graph'", [sys.executable, "-c", "import graph"]),
                      ("ecgraph expose on the curated data (cold, end to end)", expose)):
        times = []
        for _ in range(repeat):
            with tempfile.TemporaryDirectory(prefix="ecgraph-bench-") as empty:
                start = time.perf_counter()
                done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False,
                                      env={**os.environ, "ECGRAPH_DATA_DIR": empty})
                times.append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(cmd[1:])} failed: {done.stderr.decode()[-300:]}")
        out[name] = statistics.median(times)
    return out


# --------------------------------------------------------------------------- the paths a user takes, through the CLI

CSL_RECORDS = 26_000  # about the size of the real Consolidated Screening List
FTM_ENTITIES = 100_000  # the default size of the timed FtM import (a million takes minutes: --ftm 1m)
_CSL_HEADER = ("_id,source,entity_number,type,programs,name,title,addresses,federal_register_notice,start_date,end_date,"
               "standard_order,license_requirement,license_policy,call_sign,vessel_type,gross_tonnage,"
               "gross_registered_tonnage,vessel_flag,vessel_owner,remarks,source_list_url,alt_names,citizenships,"
               "dates_of_birth,nationalities,places_of_birth,source_information_url,ids")

# what issue 13 asks of each path; the row name starts with the key
USER_TARGETS = {
    "import csl": 10.0,
    "named query": 1.0,
    "--data 1M": 10.0,
    "--data FILE, the default": 10.0,  # loaded and queryable, derived facts and all
    "expose (warm": 0.2,
    "expose (cold": 2.0,
    "50% computation": 5.0,
}
USER_RATIOS = {"--data 1M": 8.0}  # and this much faster than the baseline beside it


def _alpha2_codes(g) -> list[str]:
    """The ISO 3166-1 alpha-2 codes of the curated countries."""
    return sorted(str(o) for o in g.objects(None, _uri(_ECG + "isoAlpha2")))


def generate_csl(path: Path | str, records: int = CSL_RECORDS, *, seed: int = SEED) -> dict:
    """Write a synthetic Consolidated Screening List CSV (trade.gov's 29 columns), seeded; returns probe names.

    The records are on the lists the curated data names by ``ecg:cslSourceName``, mostly the first of them,
    in curated countries, with start dates, Federal Register notices and alternative names.
    """
    import csv

    from ..store.load import load

    g = load(imports=False, store="memory")
    sources = sorted(str(o) for o in g.objects(None, _uri(_ECG + "cslSourceName")))
    codes = _alpha2_codes(g)
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(_CSL_HEADER + "\n")
        w = csv.writer(out)
        for n in range(records):
            source = sources[0] if rng.random() < 0.8 else rng.choice(sources)
            since = dt.date(rng.randint(2005, 2025), rng.randint(1, 12), rng.randint(1, 28))
            row = [f"{n:040x}", source, "", "Entity", "EAR", f"Bench listed party {n:05d}", "",
                   f"{rng.randint(1, 999)} Bench Road, City {n % 97}, {rng.choice(codes)}",
                   f"{rng.randint(84, 90)} FR {rng.randint(1000, 99999)}, {since.month}/{since.day}/{since.year % 100:02d}.",
                   since.isoformat(), "", "", "For all items subject to the EAR.", "Presumption of denial.",
                   "", "", "", "", "", "", "", "", f"BLP {n:05d}", "", "", "", "", "", ""]
            w.writerow(row)
    return {"party": "Bench listed party 00001"}


def _cli(*args) -> list[str]:
    return [sys.executable, "-m", "graph.surfaces.cli", *args]


def _run_timed(cmd, env, limit: float) -> tuple[float | None, str]:
    """Wall time of one command (None past ``limit``) and a note: its CPU time, else why it failed.

    The CPU time (user + system, the child's own) tells a busy machine from a slow command.
    """
    run = _run(cmd, env, limit)
    return run.seconds, run.note


@dataclass(frozen=True)
class Run:
    """One timed command: wall and CPU seconds (None past its limit or on failure), peak RSS, what it wrote on stderr."""

    seconds: float | None
    cpu: float | None
    peak_mb: float | None
    stderr: str
    note: str


def _run(cmd, env, limit: float, *, terminal: bool = False) -> Run:
    """Run ``cmd`` with a time limit, its stderr on a pseudo-terminal when ``terminal`` (as a user at a terminal
    sees it: progress bars are drawn only there); the child's own peak RSS and CPU time come from ``wait4``."""
    import pty

    if terminal:
        master, slave = pty.openpty()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=slave, env={**env, "COLUMNS": "100"})
        os.close(slave)
        stream = os.fdopen(master, "rb", buffering=0)
    else:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        stream = proc.stderr
    chunks: list[bytes] = []

    def pump():
        try:
            while block := stream.read(65536):
                chunks.append(block)
        except OSError:  # the pty closes when the child exits
            pass

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    timer = threading.Timer(limit, proc.kill)
    start = time.perf_counter()
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    stopped = not timer.is_alive()
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join(timeout=5)
    stream.close()
    err = b"".join(chunks).decode(errors="replace")
    cpu, peak = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
    if stopped:
        return Run(None, cpu, peak, err, f"stopped after {limit:g} s")
    if proc.returncode != 0:
        lines = err.strip().splitlines()
        return Run(None, cpu, peak, err, f"exit {proc.returncode}: {lines[-1] if lines else ''}"[:160])
    return Run(seconds, cpu, peak, err, f"CPU {cpu:.1f} s")


@dataclass
class UserRow:
    """One user path: its figure, the baseline beside it, and the target."""

    name: str
    seconds: float | None
    baseline: float | None = None
    baseline_name: str = ""
    note: str = ""
    check: bool | None = None  # a target that is not a time: progress shown, memory flat
    check_name: str = ""

    @property
    def target(self) -> float | None:
        return next((t for key, t in USER_TARGETS.items() if self.name.startswith(key)), None)

    @property
    def ratio_target(self) -> float | None:
        return next((t for key, t in USER_RATIOS.items() if self.name.startswith(key)), None)

    @property
    def missed(self) -> bool:
        if self.check is False:
            return True
        if self.target is None:
            return False
        if self.seconds is None or self.seconds > self.target:
            return True
        wanted = self.ratio_target
        return wanted is not None and (not self.baseline or self.baseline / self.seconds < wanted)


def user_paths(folder: Path, *, triples: int = 1_000_000, csl: int = CSL_RECORDS, limit: float = 300.0,
               endpoint: bool = True, console=None, stakes: int = 1_000_000, ftm: int = FTM_ENTITIES,
               big_limit: float = 900.0) -> list[UserRow]:
    """Time the CLI paths a user takes on real-sized data in a fresh data directory under ``folder``.

    A full-sized CSL import, the first ``expose`` after it (on a terminal: its progress must show), every
    named query, a cold and a warm ``expose``, a ``--data`` file of ``triples`` triples against plain rdflib
    parsing the same file, an FtM import of ``ftm`` entities (its progress bar, its peak RSS against a file ten
    times smaller), then a company registry of ``stakes`` ownership stakes: the 50% computation over it against
    one party at a time, ``expose --endpoint`` on an ``oxigraph serve`` holding it, and the same ``expose`` with
    the registry as ``--data`` (the local path). The registry's commands get ``big_limit`` seconds each.
    """
    import shutil

    say = (console.print if console is not None else print)
    rows: list[UserRow] = []
    data_dir = folder / "data-dir"
    env = {**os.environ, "ECGRAPH_DATA_DIR": str(data_dir), "PYTHONPATH": os.pathsep.join(
        [str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH", "")])}
    vocab = curated_vocabulary()
    day = vocab.operative_day.isoformat()
    csl_file = folder / "consolidated.csv"
    probe = generate_csl(csl_file, csl)
    seconds, note = _run_timed(_cli("import", "csl", str(csl_file)), env, limit)
    rows.append(UserRow(f"import csl ({csl:,} records)", seconds, note=note))
    say(f"[dim]imported {csl:,} CSL records[/dim]")
    expose = _cli("expose", "--chip", vocab.first_chip, "--user", probe["party"], "--activity", "training",
                  "--as-of", day, "--format", "json")
    first = _run(expose, env, limit, terminal=True)
    shown = "building" in first.stderr
    rows.append(UserRow("first expose after the import (builds the store and the traversal graph)", first.seconds,
                        note=first.note + ("; stderr on a terminal says what it builds" if shown else
                                           f"; stderr: {first.stderr.strip()[:60]!r}"),
                        check=shown, check_name="shows progress"))
    again, _ = _run_timed(expose, env, limit)
    rows.append(UserRow("expose (cold, a new process)", again))
    rows.append(UserRow("expose (warm, in one process: the library call, as serve makes it)",
                        _warm_expose(env, vocab.first_chip, probe["party"], day)))
    from ..store import sparql

    asked = []
    for name in sparql.named_queries():
        binds = [a for param in sparql.named_query(name).params if param.required
                 for a in ("--bind", f"{param.name}={_example(param, day)}")]
        asked.append((name, _cli("query", name, *binds, "--no-inferred", "--format", "csv")))
        seconds, note = _run_timed(asked[-1][1], env, limit)
        rows.append(UserRow(f"named query {name} (CLI, whole command, first run on the data)", seconds, note=note))
    again = []
    for name, cmd in asked:  # the slow ones print the answer kept from their first run
        seconds, note = _run_timed(cmd, env, limit)
        again.append((float("inf") if seconds is None else seconds, name, note))
    seconds, name, note = max(again)
    rows.append(UserRow(f"named query asked again, the slowest of {len(again)} ({name}; slow answers are kept)",
                        None if seconds == float("inf") else seconds, note=note))
    inferred = _cli("query", "listed-affiliates", "--bind", "owner=Huawei", "--format", "csv")
    first = _run(inferred, env, limit, terminal=True)  # today's derived facts are not in the store yet
    shown = "deriving" in first.stderr
    rows.append(UserRow("first query with inferred facts on a new date (derives them into the on-disk store)",
                        first.seconds, note=first.note + ("; stderr on a terminal says what it derives" if shown else
                                                          f"; stderr: {first.stderr.strip()[:60]!r}"),
                        check=shown, check_name="shows progress"))
    seconds, note = _run_timed([*inferred, "--fresh"], env, limit)  # from the store, not the answer kept just now
    rows.append(UserRow("named query listed-affiliates --bind owner=Huawei (CLI, with inferred facts; --fresh: the "
                        "store asked again)", seconds, note=note))
    data = generate(folder / "data.nt", triples, vocab=vocab)
    say(f"[dim]generated a --data file of {data.triples:,} triples ({data.firms:,} firms)[/dim]")
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    base = _rdflib_parse(data.path, limit)
    empty = {**env, "ECGRAPH_DATA_DIR": str(folder / "empty-data-dir")}
    seconds, note = _run_timed(_cli("query", "--data", data.path, "--no-inferred", count), empty, limit)
    rows.append(UserRow(f"--data 1M: query --data FILE ({data.triples:,} triples), --no-inferred", seconds, base,
                        "plain rdflib parse", note))
    seconds, note = _run_timed(_cli("--data", data.path, "query", count), empty, limit)  # as issue 13 wrote it
    rows.append(UserRow("--data FILE, the default: ecgraph --data FILE query, with the inferred facts (stored "
                        "usages answered; first run: builds the traversal graph)", seconds, base,
                        "plain rdflib parse", note))
    if ftm:
        rows.append(_ftm_import(folder, ftm, env, big_limit))
    if not stakes:
        return rows
    start = time.perf_counter()
    registry = generate_registry(folder / "registry.nt", stakes, vocab=vocab)
    say(f"[dim]generated a registry of {registry.probes['stakes']:,} stakes in {time.perf_counter() - start:.0f} s: "
        f"{registry.triples:,} triples, {registry.firms:,} firms, {registry.probes['people']:,} people[/dim]")
    rows.append(_shares(registry.path, day, big_limit, walk_limit=min(limit, 60.0)))
    if endpoint and shutil.which("oxigraph"):
        rows.append(_endpoint_expose(folder, registry, vocab, env, big_limit))
    rows.extend(_local_expose(folder, registry, env, big_limit))
    return rows


def generate_ftm(path: Path | str, entities: int, *, seed: int = SEED) -> Path:
    """Write ``entities`` FollowTheMoney entities, one JSON object a line: companies, people, ownership chains
    (each company mostly owned by the one before), minority stakes, and sanctions under one programme.

    >>> import tempfile, pathlib
    >>> p = generate_ftm(pathlib.Path(tempfile.mkdtemp()) / "e.ftm.json", 100)
    >>> len(p.read_text().splitlines())
    100
    """
    from ..store.load import load

    rng = random.Random(seed)
    codes = [c.lower() for c in _alpha2_codes(load(imports=False, store="memory"))]  # FtM writes them in lower case
    path = Path(path)
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        for i in range(entities):
            kind = i % 10
            if kind < 5 or i < 10:
                e = {"id": f"bench-c{i}", "schema": "Company", "datasets": ["bench"],
                     "properties": {"name": [f"Bench Holding {i} Ltd"], "country": [rng.choice(codes)],
                                    "registrationNumber": [f"R{i:08d}"], "incorporationDate": ["2015-03-01"]}}
            elif kind == 5:
                e = {"id": f"bench-p{i}", "schema": "Person", "datasets": ["bench"],
                     "properties": {"name": [f"Bench Person {i}"], "nationality": [rng.choice(codes)]}}
            elif kind < 9:
                owner, asset = {6: (f"bench-c{i - 16}", f"bench-c{i - 6}"), 7: (f"bench-c{i - 5}", f"bench-c{i - 4}"),
                                8: (f"bench-p{i - 3}", f"bench-c{i - 7}")}[kind]
                e = {"id": f"bench-o{i}", "schema": "Ownership", "datasets": ["bench"],
                     "properties": {"owner": [owner], "asset": [asset],
                                    "percentage": ["60" if kind == 6 else str(rng.randint(1, 49))],
                                    "startDate": ["2020-01-01"], "sourceUrl": [f"https://registry.example.org/{i}"]}}
            else:
                e = {"id": f"bench-s{i}", "schema": "Sanction", "datasets": ["bench"],
                     "properties": {"entity": [f"bench-c{i - 9}"], "program": ["Bench Freeze Programme"],
                                    "authority": ["Bench Authority"], "listingDate": ["2021-05-01"]}}
            out.write(json.dumps(e) + "\n")
    return path


def _ftm_import(folder: Path, entities: int, env, limit: float) -> UserRow:
    """``ecgraph import ftm`` on a terminal: its time, its progress bar, and its peak RSS against a file ten times
    smaller (streamed, the peak should barely grow)."""
    import re

    tenth = max(1, entities // 10)
    runs = []
    for n in (tenth, entities):
        path = generate_ftm(folder / f"entities-{n}.ftm.json", n)
        runs.append(_run(_cli("import", "ftm", str(path)), {**env, "ECGRAPH_DATA_DIR": str(folder / f"ftm-{n}")},
                         limit, terminal=True))
        path.unlink()
    small, big = runs
    bar = "importing ftm" in big.stderr and re.search(r"\d[\d,]*/\d[\d,]*", big.stderr) is not None
    flat = bool(big.peak_mb and small.peak_mb and big.peak_mb <= 1.5 * small.peak_mb)
    # what each further entity costs: the libraries' fixed ~120 MB make the ratio lenient at small sizes
    grown = ((big.peak_mb - small.peak_mb) * 2 ** 20 / max(1, entities - tenth)
             if big.peak_mb and small.peak_mb else 0.0)
    return UserRow(f"import ftm ({entities:,} entities, on a terminal)", big.seconds, small.seconds,
                   f"{tenth:,} entities", f"{big.note}; peak RSS {big.peak_mb:,.0f} MB "
                   f"({small.peak_mb:,.0f} MB at a tenth: {grown:,.0f} bytes per further entity); "
                   f"progress bar {'drawn' if bar else 'NOT drawn'}",
                   check=bar and flat, check_name="progress bar, peak RSS ≤ 1.5x a tenth's")


def _local_expose(folder: Path, registry: Synthetic, env, limit: float) -> list[UserRow]:
    """``expose --data REGISTRY`` in a fresh data directory: the first run (builds the traversal graph) and the next."""
    local = {**env, "ECGRAPH_DATA_DIR": str(folder / "local-data-dir")}
    cmd = _cli("expose", "--data", registry.path, *_probe_usage(registry))
    rows = []
    for name in ("first", "next"):
        run = _run(cmd, local, limit)
        rows.append(UserRow(f"expose --data REGISTRY, local ({name} run; {registry.triples:,} triples)", run.seconds,
                            note=f"{run.note}; peak RSS {run.peak_mb:,.0f} MB"))
        if run.seconds is None:
            break
    return rows


def _probe_usage(registry: Synthetic) -> list[str]:
    p = registry.probes
    return ["--chip", p["chip"], "--user", p["deep"], "--supplier", p["supplier"], "--as-of", p["day"], "--format", "json"]


def _example(param, day: str) -> str:
    """A value for a required parameter: the day for a date, else the example its documentation gives."""
    if "date" in param.type:
        return day
    return param.doc.split("e.g. ", 1)[-1].split()[0].rstrip(",;)") if "e.g. " in param.doc else day


def _warm_expose(env, chip: str, user: str, day: str) -> float | None:
    """Median of five answers in one process that has the graph loaded and has answered once (as ``serve`` has)."""
    code = ("import sys, time, statistics\n"
            "from graph.store.load import load\nfrom graph.reasoning.exposure import exposures, traversal_graph\n"
            "from graph.reasoning.usage import usage_from_names\n"
            "g = load(persistent=True); traversal_graph(g)\n"
            "ask = lambda: exposures(g, usage_from_names(g, chip=sys.argv[1], user=sys.argv[2], activity='training', "
            "as_of=sys.argv[3]))\n"
            "ask(); t = []\n"
            "for _ in range(5):\n s = time.perf_counter(); ask(); t.append(time.perf_counter() - s)\n"
            "print(statistics.median(t), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", code, chip, user, day], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env=env, check=False, timeout=600)
    try:
        return float(done.stderr.decode().strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def _rdflib_parse(path: str, limit: float) -> float | None:
    code = "import sys, rdflib; rdflib.Graph().parse(sys.argv[1], format='nt')"
    seconds, _ = _run_timed([sys.executable, "-c", code, path], dict(os.environ), limit)
    return seconds


def _shares(path: str, day: str, limit: float, *, walk_limit: float = 60.0) -> UserRow:
    """The whole-graph share of listed owners in one pass, against finding it for each party from its owners up
    (as expose does), in one child process that loads the registry once; the parties are visited in a seeded
    random order and, past ``walk_limit`` seconds, the time is extrapolated from the parties done."""
    code = f"""
import random, sys, time, datetime as dt
from graph.surfaces.bench import _peak_mb
from graph.store.load import load
from graph.reasoning.exposure import traversal_graph
from graph.namespace import ECG
from graph.reasoning.ownership import OWNERSHIP, affiliations, listed_owner_shares
start = time.perf_counter()
G = traversal_graph(load(sys.argv[1], imports=False))
loaded = time.perf_counter() - start
day = dt.date.fromisoformat({day!r})
listed = {{u for u, v, d in G.edges(data=True) if d.get("predicate") == str(ECG.Listing)}}
edges = sum(1 for *_, d in G.edges(data=True) if d.get("predicate") == OWNERSHIP)
t, c = time.perf_counter(), time.process_time()
shares = listed_owner_shares(G, listed, day=day)
fast, cpu = time.perf_counter() - t, time.process_time() - c
parties = sorted(G)
random.Random({SEED}).shuffle(parties)
t, done = time.perf_counter(), 0
for n in parties:
    affiliations(G, listed, target=n, day=day)
    done += 1
    if time.perf_counter() - t > {walk_limit!r}:
        break
walk = time.perf_counter() - t
print(fast, cpu, walk, done, len(parties), edges, len(shares), loaded, _peak_mb(), file=sys.stderr)
"""
    run = _run([sys.executable, "-c", code, path], dict(os.environ), limit + walk_limit)
    try:
        fast, cpu, walk, done, total, edges, reached, loaded, peak = run.stderr.strip().splitlines()[-1].split()
        fast, cpu, walk, loaded, peak = float(fast), float(cpu), float(walk), float(loaded), float(peak)
        done, total, edges, reached = int(done), int(total), int(edges), int(reached)
    except (ValueError, IndexError):
        return UserRow("50% computation over the whole registry", None, note=run.note)
    whole = walk * total / done
    how = "one party at a time, from its owners up" + ("" if done == total else f", extrapolated from {done:,} of {total:,}")
    return UserRow(f"50% computation over the whole registry ({edges:,} ownership edges)", fast, whole, how,
                   f"CPU {cpu:.2f} s; {reached:,} parties reached; registry loaded in {loaded:.0f} s; "
                   f"peak RSS {peak:,.0f} MB")


def _endpoint_expose(folder: Path, registry: Synthetic, vocab: Vocabulary, env, limit: float) -> UserRow:
    """``expose --endpoint`` against a real ``oxigraph serve`` holding the curated data and the registry."""
    import socket

    from ..store.load import curated_files

    store = folder / "oxigraph-store"
    for path in curated_files():
        subprocess.run(["oxigraph", "load", "--location", str(store), "--file", str(path),
                        "--graph", "https://w3id.org/ecgraph/graph/curated"], check=True, capture_output=True)
    start = time.perf_counter()
    subprocess.run(["oxigraph", "load", "--location", str(store), "--file", registry.path, "--graph",
                    "urn:bench:registry"], check=True, capture_output=True)
    loaded = time.perf_counter() - start
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(["oxigraph", "serve-read-only", "--location", str(store), "--bind", f"127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/query?union-default-graph"
        for _ in range(100):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.1)
        cmd = _cli("expose", "--endpoint", url, *_probe_usage(registry))
        runs = [_run(cmd, env, limit) for _ in range(3)]
        times = [r.seconds for r in runs if r.seconds is not None]
        server_peak = _peak_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    return UserRow(f"expose --endpoint (oxigraph serve, {registry.probes['stakes']:,} stakes, {registry.triples:,} triples)",
                   statistics.median(times) if times else None,
                   note=f"{runs[-1].note}; user 6 stakes below a listed party; 'oxigraph load' took {loaded:.0f} s; "
                        f"server RSS {server_peak or 0:,.0f} MB, client {runs[-1].peak_mb or 0:,.0f} MB")


def user_table(rows: list[UserRow]):
    """The rich table of the user paths: figure, baseline and ratio, target, and MISSED where it is."""
    from rich.table import Table

    t = Table(title="The paths a user takes (subprocess 'ecgraph ...' on real-sized data, fresh data directory)",
              title_justify="left")
    for col in ("path", "measured", "baseline (same run)", "faster by", "target", "", "notes"):
        t.add_column(col, justify="right" if col in ("measured", "faster by", "target") else "left")
    for r in rows:
        base = f"{_seconds(r.baseline)} ({r.baseline_name})" if r.baseline_name else ""
        ratio = f"{r.baseline / r.seconds:,.1f}x" if r.baseline and r.seconds else ""
        target = f"≤ {_seconds(r.target)}" if r.target is not None else ""
        if r.ratio_target:
            target += f", ≥ {r.ratio_target:g}x"
        if r.check_name:
            target = f"{target}, {r.check_name}" if target else r.check_name
        mark = "[red]MISSED[/red]" if r.missed else ("met" if r.target is not None or r.check_name else "")
        t.add_row(r.name, _seconds(r.seconds) if r.seconds is not None else "failed", base, ratio, target, mark, r.note)
    return t


# --------------------------------------------------------------------------- the table

def parse_sizes(text: str, option: str = "--sizes") -> list[tuple[str, int]]:
    """``"10k,100k,1m"`` as (name, triples) pairs; plain numbers and k/m suffixes are accepted.

    >>> parse_sizes("2k,1m,500")
    [('2k', 2000), ('1m', 1000000), ('500', 500)]
    """
    out = []
    for part in (p.strip().lower() for p in text.split(",") if p.strip()):
        scale = {"k": 1_000, "m": 1_000_000}.get(part[-1], 1)
        number = part[:-1] if scale > 1 else part
        try:
            triples = int(float(number) * scale)
        except (ValueError, OverflowError):
            triples = None
        if triples is None or triples <= 0:
            from ..errors import InputError

            raise InputError(f"{option}: {part!r} is not a positive size such as 10k, 100k or 1m")
        out.append((part, triples))
    if not out:
        from ..errors import InputError

        raise InputError(f"{option}: give at least one size, e.g. 10k,100k,1m")
    return out


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 1:
        return f"{value * 1000:.1f} ms" if value < 0.1 else f"{value * 1000:.0f} ms"
    return f"{value:.2f} s"


def _cell(m: Measured | None, once: bool = False) -> str:
    if m is None:
        return "-"
    if m.stopped is not None:
        return f"> {m.stopped:g} s (stopped)"
    if m.times is None:
        return f"not run: {m.note}" if m.note else "-"
    n = f" (n={len(m.times)})" if len(m.times) < _cell.repeat and not once else ""  # fewer runs than asked: the limit was near
    return _seconds(m.median) + n


_cell.repeat = 1


def _ratio(ours: Measured | None, base: Measured | None) -> str:
    if ours is None or ours.median is None or base is None:
        return ""
    if base.stopped is not None:
        return f"> {base.stopped / ours.median:,.0f}x"
    if base.median is None:
        return ""
    r = base.median / ours.median
    return f"{r:,.1f}x" if r < 100 else f"{r:,.0f}x"


def _target(task: str) -> str:
    for key, text in TARGETS.items():
        if task.startswith(key):
            return text
    return ""


@dataclass
class SizeResult:
    """The figures for one size: the synthetic graph and each store's measurements."""

    name: str
    synthetic: Synthetic
    stores: dict[str, tuple[dict[str, Measured], float | None, float | None]]


def table(result: SizeResult):
    """The rich table of one size: each task on Oxigraph beside the rdflib memory baseline, with the ratio."""
    from rich.table import Table

    s = result.synthetic
    t = Table(title=f"{result.name}: {s.triples:,} synthetic triples ({s.firms:,} firms) on top of the curated data",
              title_justify="left")
    t.add_column("measurement")
    t.add_column("Oxigraph (oxrdflib)", justify="right")
    has_base = BASELINE in result.stores
    if has_base:
        t.add_column("rdflib memory", justify="right")
        t.add_column("faster by", justify="right")
    t.add_column("target at 1M", justify="right")
    t.add_column("notes")
    ours, base = result.stores[STORE][0], result.stores.get(BASELINE, ({}, None, None))[0]

    def row(name, a, b, ratio, note=""):
        t.add_row(name, a, *((b, ratio) if has_base else ()), _target(name), note)

    row("load", _cell(ours.get("load"), True), _cell(base.get("load"), True), _ratio(ours.get("load"), base.get("load")))
    mem = lambda m: f"{m.peak_mb:,.0f} MB" if m is not None and m.peak_mb else "-"  # noqa: E731
    ready = lambda store: result.stores[store][1]  # noqa: E731
    row("peak memory after load (RSS)", mem(ours.get("load")), mem(base.get("load")) if has_base else "", "",
        f"interpreter and imports alone: {ready(STORE) or 0:,.0f} MB")
    tasks = [k for k in ours if k != "load"] + [k for k in base if k != "load" and k not in ours]
    for task in tasks:
        a, b = ours.get(task), base.get(task)
        note = ""
        extra = (a or b).extra if (a or b) else {}
        if "rows" in extra:
            note = f"{extra['rows']:,} result rows" if task.startswith("SPARQL") else f"{extra['rows']} exposures"
        if "nodes" in extra:
            note = f"{extra['nodes']:,} nodes drawn"
        row(task, _cell(a), _cell(b), _ratio(a, b), note)
    finals = [result.stores[k][2] for k in (STORE, BASELINE) if k in result.stores]
    row("peak memory over the whole run (RSS)", mem(Measured(peak_mb=finals[0])) if finals[0] else "-",
        mem(Measured(peak_mb=finals[1])) if len(finals) > 1 and finals[1] else "-", "")
    return t


def run(sizes, *, repeat: int = 5, baseline: bool = True, limit: float = 30.0, load_limit: float = 240.0,
        seed: int = SEED, cold: bool = True, keep: Path | None = None, console=None,
        paths: int | None = 1_000_000, csl: int = CSL_RECORDS, stakes: int = 1_000_000,
        ftm: int = FTM_ENTITIES) -> list[SizeResult]:
    """Generate each size, measure it on Oxigraph (and on the rdflib baseline), print the tables; return the figures."""
    from rich.console import Console

    console = console or Console(width=max(140, Console().width))
    vocab = curated_vocabulary()
    _cell.repeat = repeat
    out: list[SizeResult] = []
    with tempfile.TemporaryDirectory(prefix="ecgraph-bench-") as tmp:
        folder = Path(keep) if keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        data_dir = str(Path(tmp) / "empty-data-dir")
        for name, triples in sizes:
            start = time.perf_counter()
            synthetic = generate(folder / f"bench-{name}.nt", triples, seed=seed, vocab=vocab)
            console.print(f"[dim]{name}: generated {synthetic.triples:,} triples in {time.perf_counter() - start:.1f} s "
                          f"-> {synthetic.path}[/dim]")
            stores = {}
            for store in (STORE, BASELINE) if baseline else (STORE,):
                stores[store] = measure(store, synthetic, repeat=repeat, limit=limit, load_limit=load_limit,
                                        data_dir=data_dir)
            result = SizeResult(name, synthetic, stores)
            console.print(table(result))
            out.append(result)
    if cold:
        from rich.table import Table

        t = Table(title="Cold start (median of 5 runs, each a new process)", title_justify="left")
        t.add_column("command")
        t.add_column("wall time", justify="right")
        t.add_column("target", justify="right")
        for name, seconds in cold_start(vocab).items():
            t.add_row(name, _seconds(seconds), "≤ 1.5 s" if "expose" in name else "")
        console.print(t)
    if paths:
        with tempfile.TemporaryDirectory(prefix="ecgraph-bench-paths-") as tmp:
            console.print(user_table(user_paths(Path(tmp), triples=paths, csl=csl, limit=max(limit, load_limit),
                                                console=console, stakes=stakes, ftm=ftm)))
    console.print(f"[dim]seed {seed}; repeat {repeat}; each measurement limited to {limit:g} s (load {load_limit:g} s); "
                  f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs[/dim]")
    return out


def main(argv=None) -> int:
    """``python -m graph.surfaces.bench``: parse the options and run."""
    parser = argparse.ArgumentParser(prog="python -m graph.surfaces.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10k,100k,1m", help="comma-separated sizes in triples (10k,100k,1m)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the median is printed")
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                        help="also measure rdflib's in-memory store")
    parser.add_argument("--limit", type=float, default=30.0, help="seconds allowed per measurement (all its runs)")
    parser.add_argument("--load-limit", type=float, default=240.0, help="seconds allowed for loading")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--no-cold", dest="cold", action="store_false", help="skip the cold-start timings")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument("--paths", default="1m", help="size in triples of the --data file of the user paths "
                        "(the CLI timed as a user runs it); 0 skips the user paths")
    parser.add_argument("--stakes", default="1m", help="ownership stakes in the company registry of the user paths "
                        "(the 50%% computation, expose --endpoint and the local expose on it)")
    parser.add_argument("--ftm", default="100k", help="entities in the timed FtM import; 0 skips it")
    parser.add_argument("--csl", type=int, default=CSL_RECORDS, help="CSL records imported for the user paths")
    parser.add_argument("--paths-only", action="store_true", help="time only the user paths, not the library sizes")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(json.loads(args.worker))
        return 0
    from ..errors import EcgraphError

    for option, value in (("--repeat", args.repeat), ("--limit", args.limit), ("--load-limit", args.load_limit)):
        if not value > 0:
            print(f"error: {option} must be positive, not {value:g}", file=sys.stderr)
            return 2
    try:
        paths, stakes, ftm = (0 if text.strip() == "0" else parse_sizes(text, option)[0][1] for text, option in
                              ((args.paths, "--paths"), (args.stakes, "--stakes"), (args.ftm, "--ftm")))
        sizes = [] if args.paths_only else parse_sizes(args.sizes)
        run(sizes, repeat=args.repeat, baseline=args.baseline, limit=args.limit, load_limit=args.load_limit,
            seed=args.seed, cold=args.cold, keep=args.keep, paths=paths, csl=args.csl, stakes=stakes, ftm=ftm)
    except EcgraphError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
