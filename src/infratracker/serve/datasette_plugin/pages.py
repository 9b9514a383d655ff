"""Pages Datasette has no view for: a page per record with the quotes behind it, and the about
page. Generated from the registry (tables, keys, references, codelists, label columns) and the
data, so that a new table or column appears on these pages without a change here.

Every statement is parameterised; table and column names come only from the registry, never
from the request (the table in the URL is looked up in the registry first).
"""
from __future__ import annotations

from typing import Any

from datasette.utils import tilde_decode

from infratracker.core import registry

from . import sections
from .labels import REF, Codes, record_path

RELATED_ROWS = 500  # per table on one page; the rest are a link to the table, filtered
EVIDENCE_TABLES = ("citations", "aliases")  # shown as quotes and names, not as generic rows


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def resolve(table: str, record_id: str) -> tuple[registry.Resource, list[str]] | None:
    """The resource and key values a URL names, or None (a 404)."""
    try:
        res = registry.RESOURCE_METADATA.get(tilde_decode(table))
        parts = [tilde_decode(p) for p in record_id.split("/")]
    except Exception:  # a malformed ~ sequence names no record
        return None
    if res is None or not res.citable:
        return None
    if len(parts) != len(res.primary_key) or any(p == "" for p in parts):
        return None
    return res, parts


class Reader:
    """Reads one page's data on one connection (in one SQL thread), remembering the labels of
    records it has already looked up."""

    def __init__(self, conn, codes: Codes, base: str):
        self.conn, self.codes, self.base = conn, codes, base
        self._labels: dict[tuple[str, str], str | None] = {}

    def rows(self, sql: str, params: list | tuple = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, params).fetchall()]

    def fetch(self, res: registry.Resource, key: list[str]) -> dict[str, Any] | None:
        where = " and ".join(f"{_q(k)} = ?" for k in res.primary_key)
        found = self.rows(f"select * from {_q(res.name)} where {where}", key)
        return found[0] if found else None

    def label_of(self, table: str, record_id: str) -> str | None:
        """The label of a record (its label column), or None if it has none or does not exist."""
        key = (table, str(record_id))
        if key not in self._labels:
            res = registry.RESOURCE_METADATA.get(table)
            label = None
            if res is not None and res.label_column and len(res.primary_key) == 1:
                found = self.rows(f"select {_q(res.label_column)} as label from {_q(res.name)} "
                                  f"where {_q(res.primary_key[0])} = ?", [str(record_id)])
                label = found[0]["label"] if found else None
            self._labels[key] = label
        return self._labels[key]

    def title(self, res: registry.Resource, row: dict[str, Any]) -> str:
        """A record's name: its label column; for a link row, the names of what it links; for
        a row with a made-up key (a finance row, a party), its labelled codes and the names of
        the records it points at, which is what its key was made of."""
        if res.label_column and row.get(res.label_column):
            return str(row[res.label_column])
        named = [res.field(k) for k in res.primary_key]
        if len(named) == 1 and not named[0].references:
            named = [f for f in res.fields if (f.references or f.codelist) and f.name not in (REF.table_field,)]
        parts = [self.cell(res, f, row.get(f.name), row)["text"] for f in named if row.get(f.name) not in (None, "")]
        return " · ".join(list(dict.fromkeys(p for p in parts if p))[:3]) or registry.record_key(res, row)

    def cell(self, res: registry.Resource, f: registry.Field, value: Any, row: dict | None = None) -> dict[str, Any]:
        """How a value reads: text, a hover title (the raw code or id), a link."""
        out: dict[str, Any] = {"text": "" if value is None else str(value), "title": None, "href": None,
                               "empty": value is None or value == ""}
        if out["empty"]:
            return out
        if f.codelist:
            label = self.codes.label(f.codelist, value)
            if label is not None:
                definition = self.codes.definition(f.codelist, value)
                out.update(text=label, title=f"{value}: {definition}" if definition else str(value))
        elif f.type == "boolean":
            out.update(text="yes" if value in (1, "1", True) else "no", title=str(value))
        elif f.references:
            target, _key = f.references
            label = self.label_of(target, value)
            out.update(text=label or str(value), title=str(value) if label else None,
                       href=self.base + record_path(target, value))
        elif f.name == REF.id_field and row is not None and row.get(REF.table_field) in registry.RESOURCE_METADATA:
            target = row[REF.table_field]
            label = self.label_of(target, value)
            out.update(text=label or str(value), title=str(value) if label else None,
                       href=self.base + record_path(target, value))
        elif f.type == "string" and str(value).startswith(("http://", "https://")):
            out.update(href=str(value))
        return out

    def quotes(self, table: str, record_id: str) -> list[dict[str, Any]]:
        return self.rows(
            "select c.citation_id, c.field, c.value, c.quote, c.note, s.source_id, s.title as source_title, "
            "s.publisher, s.published_date, s.url from citations c join sources s on s.source_id = c.source_id "
            "where c.record_table = ? and c.record_id = ? order by c.field, c.source_id, c.citation_id",
            [table, str(record_id)])

    def with_source_links(self, quotes: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for q in quotes:
            q["source_href"] = self.base + record_path("sources", q["source_id"])
            q.setdefault("value_shown", q["value"])
        return quotes

    def fields(self, res: registry.Resource, row: dict[str, Any], quotes: list[dict[str, Any]],
               skip: set[str] = frozenset()) -> list[dict[str, Any]]:
        by_field: dict[str, list] = {}
        for q in quotes:
            if q["field"] and q["value"] == ("" if row.get(q["field"]) is None else str(row.get(q["field"]))):
                q["value_shown"] = None  # the value beside it already says it
            by_field.setdefault(q["field"] or "", []).append(q)
        return [{"name": f.name, "label": f.name.replace("_", " ").capitalize(), "description": f.description,
                 **self.cell(res, f, row.get(f.name), row), "quotes": by_field.get(f.name, [])}
                for f in res.fields if f.name not in skip]

    def related(self, res: registry.Resource, key: list[str],
                skip: set[tuple[str, str]] = frozenset()) -> list[dict[str, Any]]:
        """Every table with rows that point at this record: through a foreign key, or through
        (record_table, record_id) for the evidence-like tables not shown as quotes or names;
        `skip` holds the (table, field) pairs the page shows in a section of their own."""
        record_id = "/".join(key)
        groups = []
        for other in registry.RESOURCES:
            if other.name in EVIDENCE_TABLES:
                continue
            links = [f.name for f in other.fields
                     if len(res.primary_key) == 1 and f.references == (res.name, res.primary_key[0])
                     and (other.name, f.name) not in skip]
            wheres = [(f"{_q(name)} = ?", [key[0]], {name}) for name in links]
            if any(isinstance(rule, registry.RecordRef) for rule in other.rules) and (other.name, REF.id_field) not in skip:
                wheres.append((f"{_q(REF.table_field)} = ? and {_q(REF.id_field)} = ?", [res.name, record_id],
                               {REF.table_field, REF.id_field}))
            for where, params, hidden in wheres:
                (count,) = self.conn.execute(f"select count(*) from {_q(other.name)} where {where}", params).fetchone()
                if not count:
                    continue
                order = ", ".join(_q(k) for k in other.primary_key)
                rows = self.rows(f"select * from {_q(other.name)} where {where} order by {order} limit ?",
                                 [*params, RELATED_ROWS])
                # A column no row fills says nothing and squeezes the others at 390 px.
                columns = [f for f in other.fields if f.name not in hidden
                           and any(r.get(f.name) not in (None, "") for r in rows)]
                items = []
                for row in rows:
                    rid = registry.record_key(other, row)
                    items.append({
                        "cells": [self.cell(other, f, row.get(f.name), row) for f in columns],
                        "href": self.base + record_path(other.name, rid) if other.citable else None,
                        "quotes": self.with_source_links(self.quotes(other.name, rid)) if other.citable else [],
                    })
                via = ", ".join(sorted(hidden)) if len(hidden) == 1 else None
                groups.append({"table": other.name, "title": other.title, "via": via, "count": count,
                               "columns": [{"name": f.name, "label": f.name.replace("_", " "),
                                            "description": f.description} for f in columns],
                               "rows": items})
        return groups

    def supported(self, source_id: str) -> list[dict[str, Any]]:
        """Every record a source's quotes support, with the quotes, in table order."""
        order = {r.name: i for i, r in enumerate(registry.RESOURCES)}
        rows = self.rows("select record_table, record_id, field, value, quote, citation_id from citations "
                         "where source_id = ? order by record_table, record_id, field, citation_id", [source_id])
        records: dict[tuple[str, str], dict[str, Any]] = {}
        for r in rows:
            key = (r["record_table"], r["record_id"])
            if key not in records:
                res = registry.RESOURCE_METADATA.get(r["record_table"])
                found = self.fetch(res, r["record_id"].split("/", len(res.primary_key) - 1)) if res else None
                records[key] = {"table": r["record_table"], "table_title": res.title if res else r["record_table"],
                                "record_id": r["record_id"],
                                "name": self.title(res, found) if found else r["record_id"],
                                "href": self.base + record_path(*key), "quotes": []}
            records[key]["quotes"].append(r)
        return sorted(records.values(), key=lambda x: (order.get(x["table"], 99), x["name"].lower(), x["record_id"]))

    def aliases(self, table: str, record_id: str) -> list[dict[str, Any]]:
        return self.rows("select a.alias, a.language, a.note, s.source_id, s.title as source_title, s.publisher, "
                         "s.published_date from aliases a join sources s on s.source_id = a.source_id "
                         "where a.record_table = ? and a.record_id = ? order by a.alias, a.source_id",
                         [table, record_id])


def record_context(conn, codes: Codes, base: str, database: str, res: registry.Resource,
                   key: list[str]) -> dict[str, Any] | None:
    reader = Reader(conn, codes, base)
    row = reader.fetch(res, key)
    if row is None:
        return None
    record_id = registry.record_key(res, row)
    quotes = reader.with_source_links(reader.quotes(res.name, record_id))
    fields = reader.fields(res, row, quotes)
    known = {f.name for f in res.fields}
    parts = sections.build(reader, res, row, record_id)
    context = {
        "table": res.name, "table_title": res.title, "table_description": res.description,
        "record_id": record_id, "name": reader.title(res, row),
        "summary": row.get("description") if "description" in known else None,
        "fields": fields, **parts,
        "record_quotes": [q for q in quotes if not q["field"] or q["field"] not in known],
        "quote_count": len(quotes),
        "aliases": reader.aliases(res.name, record_id),
        "related": reader.related(res, key, sections.covered(res)),
        "table_href": f"{base}/{database}/{res.name}",
        "is_source": res.name == "sources",
    }
    if context["is_source"]:
        context["supported"] = reader.supported(record_id)
        # The archived capture stays its publisher's (README, Licences): the page says so and
        # points to the quotes, which the build checked against it.
        context["source_url"] = row.get("url") or None
    return context


def about_context(conn, base: str, database: str) -> dict[str, Any]:
    """What the data covers now: per named table, how many records and how many the sources
    name (cite); the counts are read from the database the site serves."""
    cited = {r[0]: r[1] for r in conn.execute(
        "select record_table, count(distinct record_id) from citations group by record_table").fetchall()}
    tables = []
    for res in registry.RESOURCES:
        if not (res.citable and res.label_column):
            continue
        (total,) = conn.execute(f"select count(*) from {_q(res.name)}").fetchone()
        tables.append({"table": res.name, "title": res.title, "total": total, "cited": cited.get(res.name, 0),
                       "href": f"{base}/{database}/{res.name}"})
    (quotes,) = conn.execute("select count(*) from citations").fetchone()
    (aliases,) = conn.execute("select count(*) from aliases").fetchone()
    sources, translated = conn.execute("select count(*), coalesce(sum(machine_translation = 1), 0) from sources").fetchone()
    return {"coverage": tables, "quote_count": quotes, "alias_count": aliases, "source_count": sources,
            "machine_translated": translated}


def _inline(text: str) -> list[dict[str, Any]]:
    """`code` spans of a Markdown line as separate segments; the template escapes each."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: keep the text as it is
        return [{"text": text, "code": False}]
    return [{"text": p, "code": i % 2 == 1} for i, p in enumerate(parts) if p]


def markdown_blocks(text: str) -> list[dict[str, Any]]:
    """The subset of Markdown CHANGELOG.md is generated in (headings, "- " items, paragraphs),
    as data for an autoescaping template: no Markdown library, and no raw HTML passed through."""
    blocks: list[dict[str, Any]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            level = len(stripped) - len(stripped.lstrip("#"))
            blocks.append({"kind": "heading", "level": min(level + 1, 6), "parts": _inline(stripped[level:].strip())})
        elif stripped.startswith("- "):
            if not blocks or blocks[-1]["kind"] != "list":
                blocks.append({"kind": "list", "items": []})
            blocks[-1]["items"].append(_inline(stripped[2:]))
        else:
            blocks.append({"kind": "paragraph", "parts": _inline(stripped)})
    return blocks
