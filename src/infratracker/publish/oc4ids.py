"""The projects as an OC4IDS project package (Open Contracting for Infrastructure Data Standard).

Built from the validated package, so it says nothing the CSVs do not: parties with their OC4IDS
roles (the `oc4ids_code` of each party role in the codelists), the headline cost as the budget
and every finance row as a budget breakdown, locations from places (with coordinates where the
package has them) and countries, the sources as documents, status and sector.

No package we found ships the OC4IDS schema for offline use (libcoveoc4ids and oc4idskit fetch
it from standard.open-contracting.org), so `reference/oc4ids-project-package.schema.json` holds
the part of it this export uses, with the standard's codelists; the tests validate against it.
"""
from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

from infratracker.core import reference
from infratracker.core.paths import Layout

OC4IDS_VERSION = "0.9"
# Our project statuses that OC4IDS 0.9's projectStatus lacks: an asset in operation or being
# retired has completed its project.
STATUS = {"maintenance": "completed", "decommissioning": "completed", "decommissioned": "completed"}

# The tables the export reads. Rows of the first group belong to one project each; records of
# the second are named by projects' rows; the third are named by (nearly) every project.
# downloads.py updates the export from these alone.
BY_PROJECT = ("projects", "parties", "finance", "project_places", "citations")
NAMED = ("organisations", "people", "places", "sources")
EVERYWHERE = ("countries", "blocs", "codelists")
TABLES = (*BY_PROJECT, *NAMED, *EVERYWHERE)


def publication_date(layout: Layout, sources: list[dict[str, Any]]) -> str:
    """The latest release's date (releases/*.json), else the latest source's: never today's,
    so that the export is the same file whenever it is written."""
    dates = [json.loads(p.read_text(encoding="utf-8")).get("date") for p in sorted(layout.root.glob("releases/*.json"))]
    dates = [d for d in dates if isinstance(d, str)]
    day = max(dates) if dates else max((str(s["published_date"]) for s in sources), default="1970-01-01")
    return f"{day}T00:00:00Z"


def _amount(value: float | None, currency: str | None) -> dict[str, Any] | None:
    return None if value is None or currency is None else {"amount": value, "currency": currency}


def _clean(obj: Any) -> Any:
    """Drop empty values: OC4IDS fields are omitted, not null, when unknown."""
    if isinstance(obj, dict):
        out = {k: _clean(v) for k, v in obj.items()}
        return {k: v for k, v in out.items() if v not in (None, [], {}, "")}
    if isinstance(obj, list):
        return [c for c in (_clean(v) for v in obj) if c not in (None, [], {}, "")]
    if isinstance(obj, (dt.date, dt.datetime)):
        return obj.isoformat()
    return obj


def project_package(layout: Layout, tables: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The OC4IDS project package of the typed rows of every table."""
    return _clean({**head(layout, tables["sources"]), "projects": projects(tables)})


def head(layout: Layout, sources: list[dict[str, Any]]) -> dict[str, Any]:
    """The package without its projects: what says who publishes it, when, under which licence."""
    package = reference.load_yaml(layout.reference / "package.yaml")
    homepage = package.get("homepage")
    return {
        # A URN, not an address: the package has no URL until reference/package.yaml sets a homepage.
        "uri": f"{homepage.rstrip('/')}/infratracker-oc4ids.json" if homepage
        else f"urn:infratracker:oc4ids:{package['version']}",
        "publishedDate": publication_date(layout, sources),
        "publisher": {"name": package["contributors"][0]["title"]},
        "license": package["licenses"][0]["path"],
        "version": OC4IDS_VERSION,
    }


def projects(tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Every project of `tables["projects"]` as an OC4IDS project, by id. The other tables may
    hold only the rows of those projects (parties, finance, project_places, and citations of
    the projects), with every row of the tables they name (countries to sources, codelists)."""
    by = {name: {} for name in ("countries", "blocs", "organisations", "people", "places", "sources")}
    for name, key in (("countries", "country_id"), ("blocs", "bloc_id"), ("organisations", "organisation_id"),
                      ("people", "person_id"), ("places", "place_id"), ("sources", "source_id")):
        by[name] = {r[key]: r for r in tables[name]}
    oc4ids_role = {r["code"]: r["oc4ids_code"] for r in tables["codelists"] if r["codelist"] == "party_role"}

    def party(row: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        for column, table, kind in (("organisation_id", "organisations", "organisation"), ("bloc_id", "blocs", "bloc"),
                                    ("country_id", "countries", "country"), ("person_id", "people", "person")):
            if row.get(column):
                rec = by[table][row[column]]
                country = rec.get("country_id") if kind != "country" else rec["country_id"]
                entry = {"id": f"{kind}/{row[column]}", "name": rec["name"],
                         "address": {"countryName": by["countries"][country]["name"]} if country else None}
                return entry["id"], entry
        raise AssertionError(row)

    # Each project's rows, grouped once in table order: looking them up per project was a scan of
    # every table per project (100k projects x 1M citations: hours at the bench's largest size).
    of: dict[str, dict[str, list[dict[str, Any]]]] = {
        name: {} for name in ("parties", "finance", "project_places", "citations")}
    for name in ("parties", "finance", "project_places"):
        for row in tables[name]:
            of[name].setdefault(row["project_id"], []).append(row)
    for row in tables["citations"]:
        if row["record_table"] == "projects":
            of["citations"].setdefault(row["record_id"], []).append(row)

    out = []
    for prj in sorted(tables["projects"], key=lambda r: r["project_id"]):
        pid = prj["project_id"]
        parties: dict[str, dict[str, Any]] = {}

        def involve(row: dict[str, Any], role: str | None) -> str:
            key, entry = party(row)
            entry = parties.setdefault(key, {**entry, "roles": [], "details": {"infratrackerRoles": []}})
            if role and oc4ids_role.get(role) and oc4ids_role[role] not in entry["roles"]:
                entry["roles"].append(oc4ids_role[role])
            if role and role not in entry["details"]["infratrackerRoles"]:
                entry["details"]["infratrackerRoles"].append(role)
            return key

        for row in of["parties"].get(pid, []):
            involve(row, row["role"])
        breakdown = []
        for fin in sorted(of["finance"].get(pid, []), key=lambda f: f["finance_id"]):
            source = None
            if fin.get("financier_organisation_id") or fin.get("financier_country_id"):
                source = involve({"organisation_id": fin.get("financier_organisation_id"),
                                  "country_id": fin.get("financier_country_id")}, "funder")
            breakdown.append({
                "id": fin["finance_id"], "description": f"{fin['kind']}" + (f": {fin['description']}" if fin.get("description") else ""),
                "amount": _amount(fin.get("amount"), fin.get("currency")),
                "sourceParty": {"id": source, "name": parties[source]["name"]} if source else None,
            })
        places = [pp["place_id"] for pp in of["project_places"].get(pid, [])]
        locations = []
        for place_id in places:
            place = by["places"][place_id]
            geometry = ({"type": "Point", "coordinates": [place["longitude"], place["latitude"]]}
                        if place.get("latitude") is not None else None)
            locations.append({"id": f"place/{place_id}", "description": place["name"], "geometry": geometry,
                              "address": {"countryName": by["countries"][place["country_id"]]["name"]}
                              if place.get("country_id") else None})
        for row in of["parties"].get(pid, []):
            if row["role"] in ("host", "transit") and row.get("country_id"):
                locations.append({"id": f"country/{row['country_id']}/{row['role']}",
                                  "description": f"{row['role']}: {by['countries'][row['country_id']]['name']}",
                                  "address": {"countryName": by["countries"][row["country_id"]]["name"]}})
        cited = sorted({c["source_id"] for c in of["citations"].get(pid, [])})
        documents = [{"id": sid, "documentType": "news", "title": by["sources"][sid]["title"],
                      "url": by["sources"][sid].get("url"),
                      "datePublished": f"{by['sources'][sid]['published_date']}T00:00:00Z",
                      "publisher": {"name": by["sources"][sid]["publisher"]}} for sid in cited]
        out.append({
            "id": pid, "title": prj["name"], "description": prj.get("description"),
            "status": STATUS.get(prj.get("status"), prj.get("status")),
            "sector": [prj["sector"]] if prj.get("sector") else None,
            "type": None,
            "parties": list(parties.values()),
            "budget": {"amount": _amount(prj.get("cost_amount"), prj.get("cost_currency")),
                       "budgetBreakdown": breakdown},
            "locations": locations, "documents": documents,
        })
    return [_clean(p) for p in out]


def schema_path(layout: Layout) -> Path:
    return layout.reference / "oc4ids-project-package.schema.json"


def problems(layout: Layout, doc: dict[str, Any], positions: list[int] | None = None) -> list[Any]:
    """Every way `doc` breaks the OC4IDS schema, each as a Problem naming the project and path.
    `positions`, when `doc` holds only some projects: where each of them stands in the export."""
    import jsonschema

    from infratracker.core.problems import Problem

    schema = json.loads(schema_path(layout).read_text(encoding="utf-8"))
    # jsonschema checks `uniqueItems` by comparing objects pair by pair: for the package's list
    # of projects, 5e9 comparisons at the bench's 100k projects. That one is checked below by
    # each project's canonical JSON instead (projects have distinct ids, so none are equal).
    unique_projects = schema.get("properties", {}).get("projects", {}).pop("uniqueItems", False)
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    out = []

    def at(i: int) -> int:
        return positions[i] if positions is not None and 0 <= i < len(positions) else i

    if unique_projects and isinstance(doc.get("projects"), list):
        seen: set[str] = set()
        for i, project in enumerate(doc["projects"]):
            key = json.dumps(project, sort_keys=True)
            if key in seen:
                record = project.get("id", "") if isinstance(project, dict) else ""
                out.append(Problem("infratracker-oc4ids.json", str(record), f"projects/{at(i)}",
                                   "projects has non-unique elements"))
            seen.add(key)
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path))):
        path = list(error.absolute_path)
        record = doc["projects"][path[1]].get("id", "") if path[:1] == ["projects"] and len(path) > 1 else ""
        if path[:1] == ["projects"] and len(path) > 1:
            path[1] = at(path[1])
        out.append(Problem("infratracker-oc4ids.json", str(record), "/".join(map(str, path)), error.message))
    return out


def segment(project: dict[str, Any]) -> bytes:
    """One project as it stands in the export (json.dumps of the package, indent 2): JSON
    strings hold no raw line break, so indenting each line places it two levels down."""
    return ("    " + json.dumps(project, indent=2, ensure_ascii=False).replace("\n", "\n    ")).encode()


def document(head_doc: dict[str, Any], segments: list[bytes | memoryview]) -> tuple[bytes, list[int]]:
    """The export's bytes from its head and its projects' segments (in id order), and where
    each segment starts: the same bytes as json.dumps of the whole package (tested), made
    without encoding again the projects that did not change."""
    buf = io.BytesIO()
    starts = write_document(buf, head_doc, segments)
    return buf.getvalue(), starts


def write_document(fh: Any, head_doc: dict[str, Any], segments: Any) -> list[int]:
    """document(), written to `fh` segment by segment (an iterable of them): the whole is never
    held in memory. Returns where each segment starts."""
    cleaned = _clean(head_doc)
    starts: list[int] = []
    text = json.dumps({**cleaned, "projects": []}, indent=2, ensure_ascii=False)
    assert text.endswith('"projects": []\n}')  # projects is the last key
    prefix = (text[:-len("[]\n}")] + "[\n").encode()
    at = len(prefix)
    for seg in segments:
        fh.write(prefix if not starts else b",\n")
        starts.append(at)
        fh.write(seg)
        at += len(seg) + 2
    if not starts:
        fh.write((json.dumps(cleaned, indent=2, ensure_ascii=False) + "\n").encode())
    else:
        fh.write(b"\n  ]\n}\n")
    return starts


def checked_segments(layout: Layout, head_doc: dict[str, Any], new: list[dict[str, Any]],
                     positions: list[int]) -> list[bytes]:
    """The segments of `new` projects, refused (ProblemsFound) unless the head and each of them
    validate; `positions` say where they will stand, for the messages."""
    from infratracker.core.problems import ProblemsFound

    found = problems(layout, _clean({**head_doc, "projects": new}), positions)
    if found:
        raise ProblemsFound(found, "the OC4IDS export does not match the OC4IDS schema")
    return [segment(p) for p in new]


def export(layout: Layout) -> bytes:
    """The OC4IDS package of the published data, refused (ProblemsFound) unless it is valid."""
    from infratracker.check.package import Package, check

    tables = read_tables(check(Package(layout.descriptor)))
    head_doc = head(layout, tables["sources"])
    found = projects(tables)
    return document(head_doc, checked_segments(layout, head_doc, found, list(range(len(found)))))[0]


def read_tables(checked: Any) -> dict[str, list[dict[str, Any]]]:
    """The rows the export reads, from a checked package (check.package.Checked)."""
    tables = {name: checked.rows(name) for name in TABLES if name != "citations"}
    tables["citations"] = project_citations(checked.arrow["citations"])
    return tables


def project_citations(citations: Any) -> list[dict[str, Any]]:
    """The citations of projects (the only ones the export reads), from an Arrow table, without
    making a Python row of each of a million citations."""
    import pyarrow.compute as pc

    wanted = citations.select(["record_table", "record_id", "source_id"])
    return wanted.filter(pc.equal(wanted["record_table"], "projects")).to_pylist()
