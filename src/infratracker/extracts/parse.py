"""Parse curated extract files (YAML) into rows, citations, aliases and corrections.

Pure: `parse_extract(text, file)` reads no other file. The keys an extract may use are the
curated columns of the registry, so adding a column to the registry is all it takes.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import yaml

from infratracker.core import registry
from infratracker.core.cells import check_date, parse_date, partial_date_problem
from infratracker.core.problems import Problem
from infratracker.core.registry import Field, Resource
from infratracker.extracts import yaml_loader

EVIDENCE_KEYS = {"evidence", "quote"}
RECORD_EXTRA_KEYS = {"id", "aliases", "pin"} | EVIDENCE_KEYS
LINK_EXTRA_KEYS = {"correction", "pin"} | EVIDENCE_KEYS


@dataclass
class Row:
    table: str
    values: dict[str, Any]
    file: str
    source_id: str
    pinned: frozenset[str] = frozenset()

    @property
    def key(self) -> str:
        return registry.record_key(registry.resource(self.table), self.values)


@dataclass
class Extract:
    file: str
    source: dict[str, Any]
    rows: list[Row] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    aliases: list[dict[str, Any]] = field(default_factory=list)
    corrections: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)  # every record's note, with this source


def short_hash(*parts: Any) -> str:
    return hashlib.sha256("\x1f".join("" if p is None else str(p) for p in parts).encode()).hexdigest()[:12]


def set_hash_id(res: Resource, row: dict[str, Any]) -> dict[str, Any]:
    """The row with its hash id (registry.hash_id) set from the fields the registry names."""
    for f in res.fields:
        if f.hashed_from:
            row[f.name] = f"{f.id_prefix}-" + short_hash(*(row.get(n) for n in f.hashed_from))
    return row


def coerce(f: Field, raw: Any) -> tuple[Any, str | None]:
    """A YAML value as the field's Python type, or an error message. YAML's own typing is
    distrusted where it bites: `NO` or `yes` becoming booleans, dates becoming objects."""
    if raw is None or raw == "":
        return None, None
    if f.type == "string":
        if isinstance(raw, bool):
            return None, f"expected text, got the YAML boolean {raw!r}; put the value in quotes"
        if isinstance(raw, (int, float)):  # 004 would silently become 4
            return None, f"expected text, got the YAML number {raw!r}; put the value in quotes"
        if isinstance(raw, dt.date):
            return raw.isoformat(), None
        if not isinstance(raw, str):
            return None, f"expected text, got {type(raw).__name__}"
        if f.pattern == registry.PARTIAL_DATE and re.match(f.pattern, raw):
            why = partial_date_problem(raw)
            if why:
                return None, why
        if unicodedata.normalize("NFC", raw) != raw:
            return None, "text is not in Unicode NFC form (an id or name that differs only in normalisation " \
                         "is a different string to every program); re-type it or normalise the file to NFC"
        return raw, None
    if f.type == "integer":
        if isinstance(raw, bool) or not isinstance(raw, int):
            return None, f"expected a whole number, got {raw!r}"
        if not -2**63 <= raw < 2**63:  # the CSV's readers (pandas Int64, SQLite) stop there
            return None, f"{raw} is too large: whole numbers are stored in 64 bits"
        return raw, None
    if f.type == "number":
        if isinstance(raw, bool) or not isinstance(raw, (int, float)):
            return None, f"expected a number, got {raw!r}"
        if isinstance(raw, int) and abs(raw) > 2**53:  # float() would round it, or overflow
            return None, f"{raw} is too large to be stored exactly as a number"
        if not math.isfinite(raw):  # .nan would be published as empty, .inf as `inf`
            return None, f"expected a finite number, got {raw!r}"
        return float(raw), None
    if f.type == "boolean":
        if not isinstance(raw, bool):
            return None, f"expected true or false, got {raw!r}"
        return raw, None
    if f.type == "date":
        if isinstance(raw, dt.datetime):
            return None, f"expected a date, got a date and time {raw!r}"
        try:
            return check_date(raw) if isinstance(raw, dt.date) else parse_date(str(raw)), None
        except ValueError as exc:
            return None, str(exc)
    raise AssertionError(f.type)


def date_precision(value: str | None) -> str | None:
    if not value:
        return None
    return {4: "year", 7: "month", 10: "day"}.get(len(value))


def derive_keys(res: Resource, values: dict[str, Any], source_id: str) -> None:
    """Key fields that the build derives (the registry's first_of and joined_from), so a curator
    never types them. A derived source_id of a nested row is its extract's source."""
    for f in res.fields:
        if f.name == "source_id" and not f.curated:
            values["source_id"] = source_id
    for f in res.fields:
        if f.first_of:
            values[f.name] = next((values[n] for n in f.first_of if values.get(n) is not None), None)
    for f in res.fields:
        if f.joined_from:
            values[f.name] = f.joiner.join(_text(values[n]) for n in f.joined_from if values.get(n) is not None)


def unreviewed(draft: Any, shown: int = 3) -> str:
    """'; unreviewed: 2 people (Pavel Lugovoi, ...); 1 finance (1300000000 EUR)': what the curator
    has still to sort, so that the refusal says where to look."""
    if not isinstance(draft, dict):
        return ""
    parts = []
    for kind, items in draft.items():
        if not isinstance(items, list) or not items:
            continue
        labels = []
        for item in items[:shown]:
            if isinstance(item, dict):
                label = item.get("name") or item.get("text") or item.get("quote") or ""
                if kind == "finance" and item.get("amount") is not None:
                    label = f"{item.get('amount')} {item.get('currency') or ''}".strip()
                elif kind == "parties" and item.get("role"):
                    who = next((v for k, v in item.items() if k.endswith("_id") and k != "project_id"), "")
                    label = f"{who} as {item['role']}"
                elif kind == "status_events" and item.get("status"):
                    label = f"{item.get('project_id', '')}: {item['status']}"
                labels.append(str(label)[:60])
        more = ", ..." if len(items) > shown else ""
        parts.append(f"{len(items)} {kind} ({', '.join(labels)}{more})")
    return "; unreviewed: " + "; ".join(parts) if parts else ""


def _children(res: Resource) -> dict[str, Resource]:
    return {key: r for r in registry.RESOURCES for parent, key in r.nested_in if parent == res.name}


def _parent_key_field(child: Resource, parent: Resource) -> str:
    for name, ref_res, _ref_field in child.foreign_keys:
        if ref_res == parent.name:
            return name
    raise AssertionError(f"{child.name} has no key into {parent.name}")


class _Parser:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[Problem] = []
        self.extract: Extract | None = None

    def problem(self, record: str, fld: str, message: str) -> None:
        self.problems.append(Problem(self.file, record, fld, message))

    def fields(self, res: Resource, item: dict[str, Any], record: str, skip: set[str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for f in res.fields:
            if f.name in skip or not f.curated or f.name not in item:
                continue
            value, error = coerce(f, item[f.name])
            if error:
                self.problem(record, f.name, error)
            values[f.name] = _shared(f, value)
        return values

    def check_keys(self, item: dict[str, Any], allowed: set[str], record: str) -> None:
        for key in sorted(set(item) - allowed):
            self.problem(record, str(key), f"unknown key {key!r}; expected one of: {', '.join(sorted(allowed))}")

    def evidence(self, res: Resource, item: dict[str, Any], values: dict[str, Any], record: str) -> None:
        assert self.extract is not None
        items: list[Any] = []
        if "quote" in item:
            items.append({"quote": item["quote"]})
        ev = item.get("evidence") or []
        if not isinstance(ev, list):
            self.problem(record, "evidence", "evidence must be a list of {quote, field, note}")
            ev = []
        items.extend(ev)
        if not items:
            self.problem(record, "evidence", "no evidence: every record needs at least one quote")
        for ev_item in items:
            if not isinstance(ev_item, dict) or not isinstance(ev_item.get("quote"), str):
                self.problem(record, "evidence", f"evidence item without a text quote: {ev_item!r}")
                continue
            self.check_keys(ev_item, {"quote", "field", "note"}, record)
            fld = ev_item.get("field")
            if fld is not None and fld not in res.field_names:
                self.problem(record, "evidence", f"evidence names unknown field {fld!r} of {res.name}")
                continue
            value = values.get(fld) if fld else None
            self.extract.citations.append({
                "record_table": res.name, "record_id": record, "field": None if fld is None else sys.intern(fld),
                "value": None if value is None else _text(value),
                "source_id": self.extract.source.get("source_id"),
                "quote": ev_item["quote"], "note": ev_item.get("note"),
            })

    def aliases(self, res: Resource, item: dict[str, Any], record: str) -> None:
        assert self.extract is not None
        raw = item.get("aliases") or []
        if not isinstance(raw, list):
            self.problem(record, "aliases", "aliases must be a list")
            return
        for entry in raw:
            if isinstance(entry, str):
                entry = {"alias": entry}
            if not isinstance(entry, dict) or not isinstance(entry.get("alias"), str):
                self.problem(record, "aliases", f"alias must be text or {{alias, language, note}}: {entry!r}")
                continue
            self.check_keys(entry, {"alias", "language", "note"}, record)
            self.extract.aliases.append({
                "record_table": res.name, "record_id": record, "alias": entry["alias"],
                "language": entry.get("language") or self.extract.source.get("language"),
                "source_id": self.extract.source.get("source_id"), "note": entry.get("note"),
            })

    def record(self, res: Resource, item: Any, where: str) -> None:
        assert self.extract is not None
        if not isinstance(item, dict):
            self.problem(where, "", f"each entry of {res.extract_key} must be a mapping, got {item!r}")
            return
        pk = res.primary_key[0]
        rid = item.get("id")
        if not isinstance(rid, str) or not rid:
            self.problem(where, "id", "missing id")
            return
        children = _children(res)
        curated = {f.name for f in res.fields if f.curated and f.name != pk}
        self.check_keys(item, curated | RECORD_EXTRA_KEYS | set(children), rid)
        values = {pk: rid, **self.fields(res, item, rid, {pk})}
        self.extract.rows.append(Row(res.name, values, self.file, self.extract.source.get("source_id", ""),
                                     self.pins(res, item, curated, rid)))
        self.note(res, values, rid)
        self.evidence(res, item, values, rid)
        self.aliases(res, item, rid)
        for key, child in children.items():
            entries = item.get(key) or []
            if not isinstance(entries, list):
                self.problem(rid, key, f"{key} must be a list")
                continue
            for entry in entries:
                self.link(child, key, res, rid, entry)

    def pins(self, res: Resource, item: dict[str, Any], curated: set[str], record: str) -> frozenset[str]:
        pins = item.get("pin") or []
        if not isinstance(pins, list) or any(p not in curated for p in pins):
            self.problem(record, "pin", f"pin must list curated fields of {res.name}: {pins!r}")
            return frozenset()
        return frozenset(pins)

    def note(self, res: Resource, values: dict[str, Any], record: str) -> None:
        """Every note stays with the source whose extract wrote it (the source_notes table)."""
        assert self.extract is not None
        if values.get("note") is not None and "note" in res.field_names:
            self.extract.notes.append({"record_table": res.name, "record_id": record,
                                       "source_id": self.extract.source.get("source_id"), "note": values["note"]})

    def link(self, child: Resource, key: str, parent: Resource, parent_id: str, item: Any) -> None:
        assert self.extract is not None
        parent_field = _parent_key_field(child, parent)
        where = f"{parent_id}"
        if not isinstance(item, dict):
            self.problem(where, key, f"entry must be a mapping, got {item!r}")
            return
        curated = {f.name for f in child.fields if f.curated and f.name != parent_field}
        self.check_keys(item, curated | LINK_EXTRA_KEYS, where)
        values = {parent_field: _shared(child.field(parent_field), parent_id),
                  **self.fields(child, item, where, {parent_field})}
        source_id = self.extract.source.get("source_id", "")
        derive_keys(child, values, source_id)
        row = Row(child.name, values, self.file, source_id)
        self.extract.rows.append(row)
        row.pinned = self.pins(child, item, curated, row.key)
        self.note(child, values, row.key)
        self.evidence(child, item, values, row.key)
        corr = item.get("correction")
        if corr is not None:
            if not isinstance(corr, dict) or not {"field", "as_printed", "note"} <= set(corr):
                self.problem(row.key, "correction", "correction needs field, as_printed and note")
                return
            self.check_keys(corr, {"field", "as_printed", "note"}, row.key)
            self.extract.corrections.append({
                "record_table": child.name, "record_id": row.key, "field": corr["field"],
                "as_printed": corr["as_printed"], "corrected": _text(values.get(corr["field"])),
                "source_id": source_id, "note": corr["note"],
            })


def _shared(f: Field, value: Any) -> Any:
    """A code or a key as one string object however often it is given. A cell read from YAML is
    a new string each time; codes and keys repeat across a corpus's rows (a million citations
    name a handful of fields), and pickle keeps one copy of an object per extract: 146 MB of the
    10,000-article build's rows were copies of such strings."""
    return sys.intern(value) if isinstance(value, str) and (f.codelist or f.references) else value


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def parse_extract(text: str, file: str) -> tuple[Extract | None, list[Problem]]:
    parser = _Parser(file)
    try:
        doc, refused = yaml_loader.load_checked(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return None, [Problem(file, "", "", f"malformed YAML{where}: {reason}")]
    if refused:
        return None, [Problem(file, r.record, r.field, r.message) for r in refused]
    if not isinstance(doc, dict) or not isinstance(doc.get("source"), dict):
        return None, [Problem(file, "", "source", "an extract is a mapping with a `source` mapping")]
    sources = registry.resource("sources")
    src = doc["source"]
    sid = sys.intern(src["id"]) if isinstance(src.get("id"), str) else ""  # in every evidence row: see _shared
    curated = {f.name for f in sources.fields if f.curated and f.name != "source_id"}
    parser.check_keys(src, curated | {"id"}, sid)
    values = {"source_id": sid, **parser.fields(sources, src, sid, {"source_id"})}
    if not sid:
        parser.problem("", "id", "the source has no id")
    parser.extract = Extract(file, values)
    parser.extract.rows.append(Row("sources", values, file, sid))
    by_key = {r.extract_key: r for r in registry.RESOURCES if r.extract_key and r.name != "sources"}
    for key, items in doc.items():
        if key == "source":
            continue
        if key == "draft":
            parser.problem("", "draft", "the draft section is still here: move what the article supports "
                           "into the sections above (with its quote), then delete the draft section"
                           + unreviewed(items))
            continue
        res = by_key.get(key)
        if res is None:
            parser.problem("", str(key), f"unknown section {key!r}; expected one of: {', '.join(sorted(by_key))}")
            continue
        if not isinstance(items, list):
            parser.problem("", str(key), f"section {key!r} must be a list")
            continue
        for i, item in enumerate(items, 1):
            parser.record(res, item, f"{key}[{i}]")
    return parser.extract, parser.problems
