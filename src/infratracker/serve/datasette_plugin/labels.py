"""What a cell means to a reader: a code's label from the codelists table, a record's name and
the address of its page. Everything here is derived from the registry and the codelists table,
so that new tables, columns and codes need no change.

Only HTML is touched: JSON and CSV keep the raw codes and ids.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
import markupsafe
from infratracker.core import registry
from infratracker.serve.addresses import RECORD_ROUTE, record_path  # noqa: F401 (the plugin's modules use them from here)
# The polymorphic pointer every evidence-like table uses (citations, aliases, ...).
REF = registry.RecordRef()



@dataclass(frozen=True)
class Codes:
    """(codelist, code) -> (label, definition), read once per database file."""
    entries: dict[tuple[str, str], tuple[str, str]]

    def label(self, codelist: str, code: Any) -> str | None:
        hit = self.entries.get((codelist, str(code)))
        return hit[0] if hit else None

    def definition(self, codelist: str, code: Any) -> str:
        hit = self.entries.get((codelist, str(code)))
        return (hit[1] or "") if hit else ""

    def codelists_with(self, code: Any) -> set[str]:
        return {cl for (cl, c) in self.entries if c == str(code)}


def read_codes(conn) -> Codes:
    rows = conn.execute("select codelist, code, label, definition from codelists").fetchall()
    return Codes({(r[0], r[1]): (r[2], r[3]) for r in rows})


def single_key_tables() -> dict[str, registry.Resource]:
    """Key column name -> the citable table it is the whole primary key of (project_id -> projects)."""
    return {r.primary_key[0]: r for r in registry.RESOURCES if r.citable and len(r.primary_key) == 1}


def view_target(row, column: str, keys) -> registry.Resource | None:
    """The table whose record a column of a view or query names: a column named like a table's
    whole key (project_id) or ending in it (amount_source_id); an `X_id` or `record_id` whose
    row says the kind in `X_kind` (party_kind = 'organisation': organisations). Names alone
    (acting_person holds a name) are never taken for ids."""
    tables = single_key_tables()
    kind_column = ("record" if column == REF.id_field else column[:-3]) + "_kind" if column.endswith("_id") else None
    if kind_column and kind_column in keys:
        return tables.get(f"{row[kind_column]}_id")
    if column in tables:
        return tables[column]
    for key, res in tables.items():
        if column.endswith("_" + key):
            return res
    return None


def column_codelist(table: str | None, column: str, value: Any, codes: Codes) -> str | None:
    """The codelist of a column: declared in the registry for a table; for a view or a query,
    the one codelist among the registry's fields of that name that holds this value (a column
    `status` could be a project's or an agreement's; the value tells them apart, or nothing is
    labelled)."""
    res = registry.RESOURCE_METADATA.get(table or "")
    if res is not None:
        if column in res.field_names:
            return res.field(column).codelist
        return None
    candidates = {f.codelist for r in registry.RESOURCES for f in r.fields if f.name == column and f.codelist}
    found = candidates & codes.codelists_with(value)
    return found.pop() if len(found) == 1 else None


def code_html(label: str, code: Any, definition: str = "") -> markupsafe.Markup:
    title = f"{code}: {definition}" if definition else str(code)
    # escape() and concatenation, not Markup.format: the same HTML, for a fraction of the time,
    # and a table page formats hundreds of these
    escape = markupsafe.escape
    return markupsafe.Markup(f'<span class="code" title="{escape(title)}">{escape(label)}</span>')


def link_html(href: str, text: str, title: str | None = None) -> markupsafe.Markup:
    if title:
        return markupsafe.Markup('<a href="{}" title="{}">{}</a>').format(href, title, text)
    return markupsafe.Markup('<a href="{}">{}</a>').format(href, text)


# What a column of a registry table needs, whatever the row: (table, column) -> a plan. Only the
# registry's tables and columns are kept, so arbitrary queries' column names never fill it.
_PLANS: dict[tuple[str, str], tuple] = {}
_GENERAL = ("general",)


def _plan(table: str | None, column: str) -> tuple:
    """render()'s decision for a table's own column that is neither end of a record pointer,
    made once: ("none",), ("boolean",), ("codelist", name), or ("general",) to look at the row.
    A table page asks for every cell (50 rows x 14 columns on the projects page)."""
    plan = _PLANS.get((table, column))  # type: ignore[arg-type]
    if plan is not None:
        return plan
    res = registry.RESOURCE_METADATA.get(table or "")
    if res is None or column in (REF.id_field, REF.table_field) or column not in res.field_names:
        return _GENERAL
    f = res.field(column)
    if f.type == "boolean":
        plan = ("boolean",)
    elif f.references:
        plan = ("none",)  # Datasette links it to the row, labelled
    elif f.codelist:
        plan = ("codelist", f.codelist)
    else:
        plan = ("none",)
    _PLANS[(res.name, column)] = plan
    return plan


def render(row, value, column: str, table: str | None, codes: Codes, base: str) -> markupsafe.Markup | None:
    """A cell's HTML, or None to leave it to Datasette (foreign keys on table pages keep
    Datasette's own links, expanded values are dicts)."""
    if value is None or value == "" or isinstance(value, (dict, bytes)):
        return None
    plan = _plan(table, column)
    if plan[0] == "none":
        return None
    if plan[0] == "boolean":
        return code_html("yes" if value in (1, "1", True) else "no", value)
    if plan[0] == "codelist":
        hit = codes.entries.get((plan[1], str(value)))
        return code_html(hit[0], value, hit[1] or "") if hit and hit[0] is not None else None
    return _render_general(row, value, column, table, codes, base)


def _render_general(row, value, column: str, table: str | None, codes: Codes, base: str) -> markupsafe.Markup | None:
    res = registry.RESOURCE_METADATA.get(table or "")
    keys = row.keys() if hasattr(row, "keys") else []
    # A pointer to a record in any table (citations, aliases, search results, views of them).
    if column == REF.id_field and REF.table_field in keys:
        target = row[REF.table_field]
        target_res = registry.RESOURCE_METADATA.get(target or "")
        if target_res is not None and target_res.citable:
            return link_html(base + record_path(target, value), str(value), "the record's page, with its evidence")
    if column == REF.table_field:
        label = codes.label("record_table", value)
        if label:
            return code_html(label, value)
    if res is not None and column in res.field_names:
        f = res.field(column)
        if f.type == "boolean":
            return code_html("yes" if value in (1, "1", True) else "no", value)
        if f.references:
            return None  # Datasette links it to the row, labelled
    else:
        target_res = view_target(row, column, keys)
        if target_res is not None and table != target_res.name:
            return link_html(base + record_path(target_res.name, value), str(value), "the record's page")
    if res is None and column == "name" and REF.table_field in keys and REF.id_field in keys:
        # the search index, and any view that names the record a row points at
        return link_html(base + record_path(row[REF.table_field], row[REF.id_field]), str(value))
    codelist = column_codelist(table, column, value, codes)
    if codelist:
        label = codes.label(codelist, value)
        if label is not None:
            return code_html(label, value, codes.definition(codelist, value))
    return None
