"""Validation of tables: Pandera schemas (lazily, every failure), foreign keys across tables,
and the row rules the registry declares. Every failure becomes a Problem naming file, record
and field."""
from __future__ import annotations

import re
from typing import Any, Callable

import pandera.pandas as pa

from . import registry
from .frames import partial_date_problem, typed_frame
from .problems import Problem
from .schemas import FORMULA_SAFE, pandera_schema

# (table, row) -> (file to blame, record id)
OriginOf = Callable[[str, dict[str, Any]], tuple[str, str]]


def _describe(check: str, case: Any, field: registry.Field | None) -> str:
    if check == "not_nullable":
        return "required value is missing"
    if check == "field_uniqueness":
        return f"duplicate value {case!r}: must be unique"
    if check.startswith("isin") and field is not None:
        return f"{case!r} is not a code of codelist {field.codelist!r}"
    if check.startswith(f"str_matches('{FORMULA_SAFE[:8]}"):
        return f"{str(case)[:40]!r} starts with =, +, -, @, tab or CR, which a spreadsheet would run as a formula"
    if check.startswith("str_matches") and field is not None:
        return f"{case!r} does not match the pattern {field.pattern}"
    if check.startswith("str_length") and field is not None:
        return f"text of {len(str(case))} characters is longer than the limit of {field.length_limit}"
    if check.startswith(("greater_than", "less_than", "in_range")):
        return f"{case!r} is out of range ({check})"
    return f"{check}: {case!r}"


def schema_problems(res: registry.Resource, rows: list[dict[str, Any]], codes: dict[str, list[str]],
                    origin_of: OriginOf) -> list[Problem]:
    return validated_frame(res, rows, codes, origin_of)[1]


def validated_frame(res: registry.Resource, rows: list[dict[str, Any]], codes: dict[str, list[str]],
                    origin_of: OriginOf):
    """The typed frame of the rows, and every Pandera failure as a Problem."""
    frame = typed_frame(res, rows, codes)
    problems = _partial_date_problems(res, rows, origin_of)
    try:
        pandera_schema(res, codes).validate(frame, lazy=True)
        return frame, problems
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    for case in cases.to_dict("records"):
        idx, column, check = case.get("index"), case.get("column"), str(case.get("check"))
        if idx is not None and idx == idx and 0 <= int(idx) < len(rows):
            file, record = origin_of(res.name, rows[int(idx)])
        else:
            file, record = origin_of(res.name, {})
        fld = res.field(column) if column in res.field_names else None
        if check == "multiple_fields_uniqueness" or (column not in res.field_names and idx is not None):
            problems.append(Problem(file, record, "/".join(res.primary_key),
                                    f"duplicate key {record!r} in {res.name}"))
            continue
        problems.append(Problem(file, record, str(column or ""), _describe(check, case.get("failure_case"), fld)))
    return frame, problems


def _partial_date_problems(res: registry.Resource, rows: list[dict[str, Any]], origin_of: OriginOf) -> list[Problem]:
    """Partial dates the registry's pattern admits and the calendar does not (2025-02-30, 0000)."""
    problems = []
    for f in res.fields:
        if f.pattern != registry.PARTIAL_DATE:
            continue
        for row in rows:
            value = row.get(f.name)
            why = partial_date_problem(value) if isinstance(value, str) and re.match(f.pattern, value) else None
            if why:
                file, record = origin_of(res.name, row)
                problems.append(Problem(file, record, f.name, why))
    return problems


def key_problems(tables: dict[str, list[dict[str, Any]]], origin_of: OriginOf,
                 unreadable: frozenset[str] = frozenset()) -> list[Problem]:
    """Foreign keys across tables, and the registry's row rules. References into or out of
    `unreadable` tables (already reported as a whole) are not checked row by row."""
    problems = []
    referenced = {(t, f) for res in registry.RESOURCES for _name, t, f in res.foreign_keys}
    keys = {(t, f): {row.get(f) for row in tables[t]} for t, f in referenced}
    citable = {r.name: {registry.record_key(r, row) for row in tables[r.name]}
               for r in registry.RESOURCES if r.citable}
    for res in registry.RESOURCES:
        for row in tables[res.name]:
            for name, ref_table, ref_field in res.foreign_keys:
                if ref_table in unreadable:
                    continue
                value = row.get(name)
                if value is not None and value not in keys[(ref_table, ref_field)]:
                    file, record = origin_of(res.name, row)
                    what = ("not an ISO 3166-1 alpha-3 code" if ref_table == "countries"
                            else f"no such {ref_field} in {ref_table}")
                    problems.append(Problem(file, record, name, f"unknown {ref_table} id {value!r}: {what}"))
            for f in res.fields:
                if row.get(f.name) is not None:
                    for needed in f.requires:
                        if row.get(needed) is None:
                            file, record = origin_of(res.name, row)
                            problems.append(Problem(file, record, needed, f"required when {f.name} is set"))
            if "record_table" in res.field_names and row.get("record_table") in citable \
                    and row["record_table"] not in unreadable:
                if row.get("record_id") not in citable[row["record_table"]]:
                    file, record = origin_of(res.name, row)
                    problems.append(Problem(file, record, "record_id",
                                            f"no {row['record_table']} record {row.get('record_id')!r}"))
    for row in tables["agreement_parties"]:
        if (row.get("country_id") is None) == (row.get("bloc_id") is None):
            file, record = origin_of("agreement_parties", row)
            problems.append(Problem(file, record, "country_id", "a party is exactly one of country_id or bloc_id"))
    return problems


def table_problems(tables: dict[str, list[dict[str, Any]]], codes: dict[str, list[str]],
                   origin_of: OriginOf) -> list[Problem]:
    problems = []
    for res in registry.RESOURCES:
        problems += schema_problems(res, tables[res.name], codes, origin_of)
    return problems + key_problems(tables, origin_of)
