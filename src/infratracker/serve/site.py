"""The Datasette site: metadata generated from the registry, settings, downloads, and the app.

`make serve` runs `infratracker site` (this module's write_site_files) and then serve.py,
which starts uvicorn's worker processes, each building the app in serve/app.py with the same
SETTINGS that tests use through `make_app`.
"""
from __future__ import annotations

import errno
import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infratracker.core import reference
from infratracker.core import registry
from infratracker.core.paths import Layout
from infratracker.publish import downloads
from infratracker.publish.views import VIEWS

DATABASE = "infratracker"

# Read-only and hardened: immutable database (-i), bounded query time, enough threads that one
# slow query cannot stall others, no facet suggestions (they scan whole tables).
SETTINGS: dict[str, Any] = {
    "sql_time_limit_ms": 1000,
    "facet_time_limit_ms": 200,
    "num_sql_threads": 6,
    "suggest_facets": False,
    "default_page_size": 50,
    "max_returned_rows": 1000,
    "allow_facet": True,
    "allow_download": True,
    "default_cache_ttl": 60,
}

CANNED_QUERIES: dict[str, dict[str, str]] = {
    "projects_by_country": {
        "title": "Projects by country",
        "description": "Every project a country is involved in, with its role. Use an ISO alpha-3 code.",
        "sql": """select p.project_id, p.name, pc.role, p.sector, p.status
from parties pc join projects p on p.project_id = pc.project_id
where pc.country_id = upper(:country) order by p.name, pc.role""",
    },
    "constraints_affecting_project": {
        "title": "Constraints affecting a project",
        "description": "Funding constraints that limit a project, with who imposes them.",
        "sql": """select fc.constraint_id, fc.name, fc.constraint_type, coalesce(c.name, b.name) as imposed_by,
  fc.likelihood, fc.effect
from constraint_projects cp join funding_constraints fc on fc.constraint_id = cp.constraint_id
left join countries c on c.country_id = fc.imposed_by_country_id
left join blocs b on b.bloc_id = fc.imposed_by_bloc_id
where cp.project_id = :project_id order by fc.constraint_id""",
    },
    "evidence_for_record": {
        "title": "Evidence for a record",
        "description": "Every quote behind a record (any table), with its source.",
        "sql": """select ci.record_table, ci.field, ci.value, ci.quote, s.publisher, s.published_date, s.title
from citations ci join sources s on s.source_id = ci.source_id
where ci.record_id = :record_id or ci.record_id like :record_id || '/%'
order by ci.record_table, ci.field, ci.citation_id""",
    },
    "project_status_as_of": {
        "title": "Project status as of a date",
        "description": "The status a project had on a date (YYYY-MM-DD), from its dated status events.",
        "sql": """select se.project_id, p.name, se.status, se.event_date, se.reported_date, se.source_id
from status_events se join projects p on p.project_id = se.project_id
where se.project_id = :project_id and coalesce(se.event_date, se.reported_date) <= :date
order by coalesce(se.event_date, se.reported_date) desc, se.event_id desc limit 1""",
    },
    "corridor_network": {
        "title": "The corridor network",
        "description": "Transport projects and the countries they link, one edge per project and country.",
        "sql": """select p.name as project, p.project_type, p.sector, c.name as country, pc.role
from projects p join parties pc on pc.project_id = p.project_id
join countries c on c.country_id = pc.country_id
where p.sector like 'transport%' order by p.name, c.name, pc.role""",
    },
}


START_HERE = [
    ("project_overview", "Projects at a glance", "each project with its countries, roles and counts of agreements, constraints and citations"),
    ("project_country_roles", "Projects by country and role", "facet by country, role or sector"),
    ("agreement_overview", "Agreements", "signed, discussed or proposed, with parties and projects"),
    ("involvement", "Who is involved, and how", "countries, blocs, organisations and people, with their roles"),
    ("finance_overview", "Money", "costs, loans, credit lines and grants, with terms and US dollar figures"),
    ("disagreements", "Where sources disagree", "each claim two sources give differently, and which one is published"),
    ("projects_facing_constraints", "Projects facing funding constraints", "sanctions, political pressure, competition"),
    ("evidence", "Evidence", "every quote behind every record, with its source"),
    ("place_map", "Places on a map", "places named by the sources, with coordinates"),
    ("corrections", "Corrections", "what the sources printed wrong, and what the records say instead"),
]


def _home_html(description: str) -> str:
    db = f"/{DATABASE}"
    items = "".join(f'<li><a href="{db}/{name}">{html.escape(title)}</a>: {html.escape(what)}</li>'
                    for name, title, what in START_HERE)
    queries = "".join(f'<li><a href="{db}/{name}">{html.escape(q["title"])}</a>: {html.escape(q["description"])}</li>'
                      for name, q in CANNED_QUERIES.items())
    csvs = ", ".join(f'<a href="/downloads/package/data/{r.name}.csv">{r.name}</a>' for r in registry.RESOURCES)
    parquet = ", ".join(f'<a href="/downloads/parquet/{r.name}.parquet">{r.name}</a>' for r in registry.RESOURCES)
    sheets = ", ".join(f'<a href="/downloads/spreadsheet/{r.name}.csv">{r.name}</a>' for r in registry.RESOURCES)
    return (
        f"<p>{html.escape(description)}</p>"
        f'<form action="{db}/search_index" method="get" role="search">'
        '<label for="q"><strong>Search every record</strong> (names, aliases used by sources, quotes):</label> '
        '<input id="q" name="_search" type="search" placeholder="e.g. Pezehizyan, sanctions, Caspian"> '
        '<input type="submit" value="Search"></form>'
        '<p><a href="/-/about">About the data</a>: what they cover, how they are made, how to cite them. '
        "Every record has its own page with the quotes behind it: follow a search result.</p>"
        '<p><a href="/-/map">Map of projects</a>: each project at its places, or at its countries, '
        'and what cannot be mapped (<a href="/-/map.geojson">GeoJSON</a>).</p>'
        f"<h3>Start here</h3><ul>{items}</ul>"
        f"<h3>Questions with a parameter</h3><ul>{queries}</ul>"
        "<details><summary><strong>Downloads</strong>: the package (Frictionless), CSV and Parquet</summary>"
        f'<p><a href="/downloads/{ZIP_NAME}">The whole package as one zip</a> '
        f'(<a href="/downloads/{ZIP_NAME}.sha256">SHA-256</a>): descriptor, CSVs, Pandera schemas, data dictionary.</p>'
        f'<p><a href="/downloads/{OC4IDS_NAME}">The projects as an OC4IDS project package</a> (JSON): '
        "parties with roles, budget and finance, locations, sources as documents.</p>"
        '<p><a href="/downloads/package/datapackage.json">datapackage.json</a> (descriptor with schemas, '
        f"keys and hashes). CSV: {csvs}.</p><p>Parquet, for pandas, DuckDB or Spark: {parquet}.</p>"
        f"<p>CSV for spreadsheets (BOM, CRLF, formula-safe): {sheets}.</p>"
        "<p>Every table and view also has JSON and CSV links on its page.</p></details>"
    )


def about(layout: Layout, package: dict[str, Any]) -> dict[str, Any]:
    """What the about page says that the database does not hold: version, release day, how to
    cite, the changelog. Read when the site files are written, so a running site and its
    response cache see one version of it."""
    from infratracker.publish.descriptor import release_date

    version = str(package["version"])
    released = release_date(layout.root / "releases", version)
    authors = " and ".join(c["title"] for c in package["contributors"] if "creator" in c.get("roles", []))
    license = package["licenses"][0]
    homepage = package.get("homepage")
    year = released[:4] if released else "n.d."
    text = (f"{authors} ({year}). {package['title']}, version {version} (data package). "
            f"{license['title']} ({license['name']}).{f' {homepage}' if homepage else ''}")
    bibtex = "\n".join([
        f"@misc{{infratracker_{version.replace('.', '_')},",
        f"  author = {{{{{authors}}}}},",
        f"  title = {{{{{package['title']}}}}},",
        *([f"  year = {{{year}}},"] if released else []),
        f"  version = {{{version}}},",
        *([f"  url = {{{homepage}}},"] if homepage else []),
        f"  note = {{Data package; {license['name']}}},",
        "}",
    ])
    changelog = layout.root / "CHANGELOG.md"
    return {"version": version, "released": released, "title": package["title"],
            "description": package["description"], "license": license, "homepage": homepage,
            "citation": text, "bibtex": bibtex,
            "changelog": changelog.read_text(encoding="utf-8") if changelog.is_file() else ""}


# A table with more columns than this opens on its main ones (templates/_table.html).
MAIN_COLUMNS = 8
# Where the registry's order would not give what a reader looks for first.
MAIN_COLUMNS_OF = {
    "projects": ["project_id", "name", "project_type", "sector", "status", "length_km", "cost_amount",
                 "cost_currency", "cost_amount_usd"],
    "finance": ["finance_id", "project_id", "kind", "status", "amount", "currency", "amount_year", "amount_usd"],
    "sources": ["source_id", "title", "publisher", "published_date", "language", "machine_translation", "url"],
    "places": ["place_id", "name", "place_type", "country_id", "latitude", "longitude"],
    "quantities": ["quantity_id", "project_id", "agreement_id", "kind", "basis", "value", "unit", "target_year"],
    "agreements": ["agreement_id", "name", "agreement_type", "status", "date", "place_id"],
    "parties": ["link_id", "project_id", "agreement_id", "country_id", "bloc_id", "organisation_id", "person_id", "role"],
    "funding_constraints": ["constraint_id", "name", "constraint_type", "imposed_by_country_id", "imposed_by_bloc_id",
                            "likelihood", "effect"],
    "conflicts": ["conflict_id", "record_table", "record_id", "field", "value", "source_id", "published", "rule"],
}


def main_columns(res: registry.Resource) -> list[str] | None:
    """The columns a wide table opens on: its key and name, then dates, numbers, coded and
    linked columns, in the registry's order; None for a table narrow enough to show whole."""
    if len(res.fields) <= MAIN_COLUMNS:
        return None
    if res.name in MAIN_COLUMNS_OF:
        return MAIN_COLUMNS_OF[res.name]
    wanted = {*res.primary_key, res.label_column, *res.facets}
    wanted |= {f.name for f in res.fields if f.codelist or f.references or f.type in ("date", "number")}
    return [f.name for f in res.fields if f.name in wanted][:MAIN_COLUMNS - 1]


def metadata(layout: Layout) -> dict[str, Any]:
    package = reference.load_yaml(layout.reference / "package.yaml")
    tables: dict[str, Any] = {}
    for res in registry.RESOURCES:
        entry: dict[str, Any] = {
            "title": res.title,
            "description": res.description,
            "columns": {f.name: f.description for f in res.fields},
            "sortable_columns": res.field_names,
        }
        if res.label_column:
            entry["label_column"] = res.label_column
        if res.facets:
            entry["facets"] = list(res.facets)
        if main_columns(res):
            entry["infratracker_columns"] = main_columns(res)
        tables[res.name] = entry
    for name, (title, description, _sql) in VIEWS.items():
        tables[name] = {"title": title, "description": description}
    tables["project_country_roles"]["facets"] = ["country", "role", "sector"]
    tables["projects_facing_constraints"]["facets"] = ["constraint_type", "imposed_by"]
    tables["evidence"]["facets"] = ["record_table", "source_id"]
    tables["search_index"] = {
        "title": "Search everything",
        "description": "One row per named record: its name, description, every alias a source uses "
                       "(garbled spellings included) and every quote. Search here first.",
        "facets": ["record_table"],
    }
    tables["place_map"]["description"] += " Places that no gazetteer or source locates are not shown."
    license = package["licenses"][0]
    return {
        "title": "infratracker",
        "description_html": _home_html(package["description"]),
        "license": "CC BY 4.0 (data); archived article texts are not published here",
        "license_url": license["path"],
        "source": "Curated extracts of archived articles; see the sources and citations tables",
        "about": "About the data, how to cite it",
        "about_url": "/-/about",
        "databases": {DATABASE: {
            "description": "Every table of the package, with views for common questions. Writes are "
                           "impossible: the database is served immutable.",
            "tables": tables,
            "queries": CANNED_QUERIES,
        }},
        "plugins": {
            "datasette-cluster-map": {"latitude_column": "latitude", "longitude_column": "longitude"},
            # Switches the hardening plugin on for this site only (see datasette_plugin).
            "infratracker": {"allowed_hosts": [], "about": about(layout, package)},
        },
    }


ZIP_NAME = downloads.ZIP_NAME
OC4IDS_NAME = downloads.OC4IDS_NAME
package_zip = downloads.package_zip


def _inspect(layout: Layout) -> bytes:
    """What `datasette inspect` writes for the database (its hash and table counts), made in
    this process: the command's own start-up cost more than the counting."""
    import asyncio

    from datasette.cli import inspect_

    try:
        data = asyncio.run(inspect_([str(layout.database)], None))
    except Exception as exc:  # a file that is not a database: said in one line, as a disk problem is
        raise OSError(errno.EIO, f"datasette inspect failed: {exc}") from None
    return json.dumps(data, indent=2).encode()


@dataclass
class SiteFiles:
    changed: list[Path]
    downloads: downloads.Downloads


def write_site_files(layout: Layout, incremental_ok: bool = True) -> SiteFiles:
    """Metadata, inspect data and downloads (only what changed, see publish/downloads.py),
    published as `build` publishes (build.publish): rendered in memory, staged, swapped in after
    a journal, so that a running site never meets a missing or partial file, and a kill is
    finished by the next run."""
    from infratracker.publish.build import build_lock, publish, recover

    if not layout.database.is_file():
        raise OSError(errno.ENOENT, "no database: run `infratracker db` first", str(layout.database))
    layout.build.mkdir(exist_ok=True)
    with build_lock(layout):  # one publish at a time: build and site share the staging folder
        recover(layout)
        try:
            made = downloads.plan(layout, incremental_ok)
            outputs = {"build/metadata.json": (json.dumps(metadata(layout), indent=2, ensure_ascii=False) + "\n").encode()}
            inspected = layout.build / "inspect.json"
            database = downloads.signature(layout.database)
            if made.state.get("database") != database or not inspected.is_file() \
                    or made.state.get("inspect") != downloads.signature(inspected):
                outputs["build/inspect.json"] = _inspect(layout)
            outputs.update(made.outputs)
            folder = layout.build / "downloads"
            managed = [layout.rel(p) for p in sorted(folder.rglob("*")) if p.is_file()] if folder.is_dir() else []
            changed = publish(layout, outputs, [rel for rel in managed if rel not in made.kept])
        finally:
            downloads.clean(layout)
        made.state["database"] = database
        made.state["inspect"] = downloads.signature(inspected) if inspected.is_file() else None
        downloads.save(layout, made)
    return SiteFiles([layout.root / rel for rel in changed], made)


def make_app(layout: Layout):
    """The same app `make serve` runs, for tests (Datasette's own test client)."""
    from datasette.app import Datasette

    inspect = layout.build / "inspect.json"
    return Datasette(
        immutables=[str(layout.database)],
        inspect_data=json.loads(inspect.read_text()) if inspect.exists() else None,
        metadata=metadata(layout),
        settings=SETTINGS,
        static_mounts=[("downloads", str(layout.build / "downloads"))],
    )
