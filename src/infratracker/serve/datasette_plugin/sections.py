"""The parts of a record's page that a generic table of rows would make unreadable: who is
involved and how, money, quantities, the status timeline, and where sources disagree; and the
one-line summary at the top, composed only of what those rows and the record's fields hold.

Which sections a record gets is read from the registry (a table whose rows point at the
record's table), so an agreement gets its parties and quantities, a project its finance too.
Every value is passed to an autoescaping template; nothing here builds HTML.
"""
from __future__ import annotations

from typing import Any

from infratracker.core import registry

from .labels import REF, record_path

# Rows shown as the sections below rather than as generic rows on a record's page: table ->
# the fields by which they belong to the record (a party's country page lists it generically,
# with the project it is a party to).
SUBJECT = {"parties": ("project_id", "agreement_id"), "finance": ("project_id",),
           "quantities": ("project_id", "agreement_id"), "status_events": ("project_id",)}
BY_REFERENCE = ("conflicts",)  # through (record_table, record_id)
PARTY_FIELDS = ("organisation_id", "bloc_id", "country_id", "person_id")
PARTY_KINDS = {"organisation_id": "organisation", "bloc_id": "bloc", "country_id": "country", "person_id": "person"}


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def number(value: Any) -> str:
    """A stored number as a reader writes it: 1600000000.0 -> "1,600,000,000", 3.0 -> "3",
    0.25 -> "0.25"; magnitudes in words beside big ones come from `magnitude`."""
    if value is None or value == "":
        return ""
    x = float(value)
    if x == int(x):
        return f"{int(x):,}"
    return f"{x:,.6f}".rstrip("0").rstrip(".")


def magnitude(value: Any) -> str:
    """"1.6 billion" for 1600000000: the figure the article most likely wrote, exact digits
    kept beside it; empty below a million."""
    if value is None or value == "":
        return ""
    x = float(value)
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(x) >= size:
            return f"{number(round(x / size, 3))} {word}"
    return ""


def _link_field(other: registry.Resource, res: registry.Resource) -> str | None:
    """The field by which rows of `other` belong to a record of `res`, if it has a section."""
    if len(res.primary_key) != 1:
        return None
    for f in other.fields:
        if f.name in SUBJECT.get(other.name, ()) and f.references == (res.name, res.primary_key[0]):
            return f.name
    return None


def covered(res: registry.Resource) -> set[tuple[str, str]]:
    """(table, field) pairs whose rows a record of `res` shows as sections, not generic rows."""
    out = {(t, REF.id_field) for t in BY_REFERENCE}
    for table in SUBJECT:
        field = _link_field(registry.RESOURCE_METADATA[table], res)
        if field:
            out.add((table, field))
    return out


class Sections:
    def __init__(self, reader, res: registry.Resource, row: dict[str, Any], record_id: str):
        self.r, self.res, self.row, self.record_id = reader, res, row, record_id

    def _rows_pointing(self, table: str, order: str) -> list[dict[str, Any]]:
        other = registry.RESOURCE_METADATA.get(table)
        field = _link_field(other, self.res) if other else None
        if field is None:
            return []
        return self.r.rows(f"select * from {_q(table)} where {_q(field)} = ? order by {order}", [self.record_id])

    def label(self, table: str, field: str, row: dict[str, Any]) -> dict[str, Any]:
        res = registry.RESOURCE_METADATA[table]
        return self.r.cell(res, res.field(field), row.get(field), row)

    def _evidence(self, table: str, key: str) -> list[dict[str, Any]]:
        return self.r.with_source_links(self.r.quotes(table, key))

    def parties(self) -> list[dict[str, Any]]:
        out = []
        for p in self._rows_pointing("parties", "role, party_id, link_id"):
            who = next((f for f in PARTY_FIELDS if p.get(f)), None)
            acting = p.get("person_id") if who and who != "person_id" else None
            out.append({
                "kind": PARTY_KINDS.get(who, "party"),
                "who": self.label("parties", who, p) if who else {"text": p.get("party_id") or "", "empty": True},
                "role": self.label("parties", "role", p),
                "acting": self.label("parties", "person_id", p) if acting else None,
                "position": p.get("position"), "note": p.get("note"),
                "id": p["link_id"], "href": self.r.base + record_path("parties", p["link_id"]),
                "quotes": self._evidence("parties", p["link_id"]),
            })
        return out

    def finance(self) -> list[dict[str, Any]]:
        out = []
        for f in self._rows_pointing("finance", "kind, finance_id"):
            financier = next((k for k in ("financier_organisation_id", "financier_country_id") if f.get(k)), None)
            recipient = next((k for k in ("recipient_organisation_id", "recipient_country_id") if f.get(k)), None)
            terms = []
            if f.get("interest_rate_pct") is not None:
                terms.append(f"interest {number(f['interest_rate_pct'])}%")
            if f.get("tenor_years") is not None:
                terms.append(f"{number(f['tenor_years'])} years")
            if f.get("grace_period_years") is not None:
                terms.append(f"grace period {number(f['grace_period_years'])} years")
            out.append({
                "kind": self.label("finance", "kind", f),
                "status": self.label("finance", "status", f),
                "financier": self.label("finance", financier, f) if financier else None,
                "recipient": self.label("finance", recipient, f) if recipient else None,
                "amount": number(f.get("amount")), "amount_words": magnitude(f.get("amount")),
                "currency": self.label("finance", "currency", f), "currency_code": f.get("currency") or "",
                "year": f.get("amount_year"),
                "usd": number(f.get("amount_usd")), "usd_words": magnitude(f.get("amount_usd")),
                "usd_basis": self.label("finance", "usd_basis", f), "usd_rate_date": f.get("usd_rate_date"),
                "usd_note": f.get("usd_note"), "terms": terms, "date": f.get("date"),
                "agreement": self.label("finance", "agreement_id", f) if f.get("agreement_id") else None,
                "description": f.get("description"), "note": f.get("note"),
                "id": f["finance_id"], "href": self.r.base + record_path("finance", f["finance_id"]),
                "quotes": self._evidence("finance", f["finance_id"]),
            })
        return out

    def quantities(self) -> list[dict[str, Any]]:
        out = []
        for q in self._rows_pointing("quantities", "kind, basis, quantity_id"):
            unit = self.label("quantities", "unit", q) if q.get("unit") else self.label("quantities", "currency", q)
            same = (q.get("unit_normalised") in (q.get("unit"), q.get("currency"))
                    and number(q.get("value_normalised")) == number(q.get("value")))
            norm_label = self.r.codes.label("unit", q.get("unit_normalised")) if q.get("unit_normalised") else None
            out.append({
                "kind": self.label("quantities", "kind", q), "basis": self.label("quantities", "basis", q),
                "value": number(q.get("value")), "value_words": magnitude(q.get("value")), "unit": unit,
                "normalised": None if same or q.get("value_normalised") is None else
                f"{number(q['value_normalised'])} {norm_label or q.get('unit_normalised') or ''}".strip(),
                "target_year": q.get("target_year"),
                "country": self.label("quantities", "country_id", q) if q.get("country_id") else None,
                "section": q.get("section"), "note": q.get("note"),
                "id": q["quantity_id"], "href": self.r.base + record_path("quantities", q["quantity_id"]),
                "quotes": self._evidence("quantities", q["quantity_id"]),
            })
        return out

    def timeline(self) -> list[dict[str, Any]]:
        # Undated events sort by the day their source reported them: never by an invented date.
        out = []
        for e in self._rows_pointing("status_events", "coalesce(event_date, reported_date), event_id"):
            out.append({
                "status": self.label("status_events", "status", e), "date": e.get("event_date"),
                "precision": e.get("date_precision"), "reported": e.get("reported_date"),
                "source": self.label("status_events", "source_id", e), "note": e.get("note"),
                "id": e["event_id"], "href": self.r.base + record_path("status_events", e["event_id"]),
                "quotes": self._evidence("status_events", e["event_id"]),
            })
        return out

    def conflicts(self, table: str, record_id: str, about: str | None = None) -> list[dict[str, Any]]:
        """Claims on which sources disagree about one record (or one of its rows, `about`
        naming it: "Total cost"), the published value apart from the others."""
        rows = self.r.rows(f"select * from conflicts where {_q(REF.table_field)} = ? and {_q(REF.id_field)} = ? "
                           "order by field, published desc, source_id", [table, record_id])
        claims: dict[str, dict[str, Any]] = {}
        for c in rows:
            what = c["field"].replace("+", ", ").replace("_", " ")
            claims.setdefault(c["field"], {"field": c["field"], "label": f"{about}: {what}" if about else what.capitalize(),
                                           "published": [], "others": []})
            # "1900000000 EUR 2024" beside "1900000000 EUR (2024)" says nothing new
            same = "".join(ch for ch in (c["normalised"] or "") if ch.isalnum()) == "".join(ch for ch in c["value"] if ch.isalnum())
            value = {"value": c["value"], "normalised": None if same else c["normalised"],
                     "source": self.label("conflicts", "source_id", c), "rule": self.label("conflicts", "rule", c),
                     "reason": c["reason"]}
            claims[c["field"]]["published" if c["published"] in (1, "1", True) else "others"].append(value)
        return list(claims.values())


def _join(items: list[str]) -> str:
    return "; ".join(i for i in items if i)


def summary(reader, res: registry.Resource, row: dict[str, Any], parts: dict[str, Any]) -> str:
    """One plain-language line from the record's own fields and the rows shown below it: each
    clause only when what it says is there, so a silent source gives a short line, never a guess."""
    def lab(field: str) -> str | None:
        f = res.field(field) if field in res.field_names else None
        if f is None or row.get(field) in (None, ""):
            return None
        return reader.cell(res, f, row.get(field), row)["text"]

    sentences: list[str] = []
    if res.name == "projects":
        kind = lab("project_type")
        head = f"A {kind.lower() if kind else 'project'}"
        if lab("sector"):
            head += f" in {lab('sector').lower()}"
        status = lab("status")
        head += f", at the {status.lower()} stage" if status else ", stage not given by the sources"
        sentences.append(head + ".")
        if row.get("length_km") is not None:
            sentences.append(f"{number(row['length_km'])} km long.")
        if row.get("cost_amount") is not None:
            cost = f"Costs {magnitude(row['cost_amount']) or number(row['cost_amount'])} {row.get('cost_currency') or ''}".rstrip()
            sentences.append(cost + (f" ({row['cost_year']} prices)." if row.get("cost_year") else "."))
    elif res.name == "agreements":
        kind = lab("agreement_type")
        head = f"A {kind.lower() if kind else 'agreement'}"
        if lab("status"):
            head += f", {lab('status').lower()}"
        if row.get("date"):
            head += f", {row['date']}"
        if lab("place_id"):
            head += f", in {lab('place_id')}"
        sentences.append(head + ".")
    else:
        described = [lab(f.name) for f in res.fields if (f.codelist or f.references) and f.name not in res.primary_key]
        described = [d for d in described if d]
        if described:
            sentences.append(", ".join(described) + ".")
    if parts.get("parties"):
        roles: dict[str, list[str]] = {}  # a party named once, with all its roles
        for p in parts["parties"]:
            if p["who"]["text"]:
                roles.setdefault(p["who"]["text"], []).append(p["role"]["text"])
        sentences.append("Involved: " + ", ".join(f"{who} ({', '.join(r)})" for who, r in roles.items()) + ".")
    if parts.get("finance"):
        money = []
        for f in parts["finance"]:
            amount = f"{f['amount_words'] or f['amount']} {f['currency_code']}".strip() if f["amount"] else "amount not given"
            who = f" from {f['financier']['text']}" if f["financier"] else ""
            money.append(f"{f['kind']['text'].lower()} {amount}{who}")
        sentences.append(f"Money: {_join(money)}.")
    if parts.get("quantities"):
        qty = [f"{q['kind']['text'].lower()} {q['value_words'] or q['value']} {q['unit']['text']}".strip()
               + (f" by {q['target_year']}" if q["target_year"] else "") for q in parts["quantities"]]
        sentences.append(f"Quantities: {_join(qty)}.")
    for label, names in (("Agreements", parts.get("agreements")), ("Funding constraints", parts.get("constraints"))):
        if names:
            sentences.append(f"{label}: {', '.join(names)}.")
    if parts.get("conflicts"):
        n = len(parts["conflicts"])
        sentences.append(f"Sources disagree on {n} claim{'s' if n != 1 else ''}.")
    return " ".join(sentences)


def build(reader, res: registry.Resource, row: dict[str, Any], record_id: str) -> dict[str, Any]:
    s = Sections(reader, res, row, record_id)
    parts = {"parties": s.parties(), "finance": s.finance(), "quantities": s.quantities(), "timeline": s.timeline()}
    # A disagreement on a project's cost is a conflict on its finance row: the project's page
    # shows those of every row it shows, named by what the row is.
    conflicts = s.conflicts(res.name, record_id)
    for table, key in (("finance", "kind"), ("quantities", "kind"), ("parties", "role")):
        for item in parts["parties" if table == "parties" else table]:
            conflicts += s.conflicts(table, item["id"], item[key]["text"] if table != "parties"
                                     else f"{item['who']['text']} ({item['role']['text']})")
    parts["conflicts"] = conflicts
    if res.name == "projects":
        # Named in the summary; the rows themselves, with their quotes, are the generic tables below.
        parts["agreements"] = [r["name"] for r in reader.rows(
            "select a.name from agreement_projects ap join agreements a on a.agreement_id = ap.agreement_id "
            "where ap.project_id = ? order by a.name", [record_id])]
        parts["constraints"] = [r["name"] for r in reader.rows(
            "select fc.name from constraint_projects cp join funding_constraints fc on fc.constraint_id = cp.constraint_id "
            "where cp.project_id = ? order by fc.name", [record_id])]
    return {**parts, "summary_line": summary(reader, res, row, parts)}
