"""`infratracker eval-drafter`: precision and recall of the drafter against hand-written drafts.

An evaluation folder holds articles (`NN-<lang>-<slug>.txt|html`) each beside an
`.expected.yaml` (format: tests/drafter_eval/README.md). The drafter runs on each article's
body as `add-article` would derive it, and its proposals are matched to the expected items:

- countries: the ISO 3166-1 alpha-3 code;
- projects, organisations, people, places: a name or alias of the proposal against a name or
  alias of the expected item, normalised (case, dashes, quotes, and generic words such as
  "railway", "JSC" or "железная дорога" left out; Russian words cut to their first five letters,
  so that inflected forms meet), equal or with a rapidfuzz ratio of at least 88;
- amounts: the currency, and the amount within 0.5%;
- quantities: the value within 0.5% after pint brings both to one unit (a per-year rate only
  meets a per-year rate; the expected unit's words in brackets are left out); a count pint has
  no unit for ("9 tunnels") meets the same count of the same words;
- dates: the ISO partial date or period, exactly.

A proposal is right when it meets some expected item of its kind in the same article
(precision = right proposals / proposals); an expected item is found when some proposal meets
it (recall = found items / expected items). Two proposals of one item both count as right.

Links are scored apart (`LINK_KINDS`, not in the overall figure, so that it stays comparable):

- financiers: of the amounts met, whether the finance row's financier (a drafted or known
  organisation, or a country) meets the expected `financier` by name (its words in brackets
  left out); an amount whose expected financier is null and that names one is false;
- statuses: of the projects met, whether the most advanced stage the draft gives the project
  (`status_events`) is the expected `status` (planned: identification or preparation;
  under_construction: implementation; completed: completion or maintenance);
- constraints: a drafted funding constraint meets an expected one when their quotes are the
  same sentence (one holds the other).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml

from infratracker.core import captures

KINDS = ("countries", "projects", "organisations", "people", "places", "amounts", "quantities", "dates")
NAME_KINDS = ("projects", "organisations", "people", "places")
LINK_KINDS = ("financiers", "statuses", "constraints")
STAGES = ("identification", "preparation", "implementation", "completion", "maintenance")
EXPECTED_STAGES = {"planned": {"identification", "preparation"}, "under_construction": {"implementation"},
                   "completed": {"completion", "maintenance"}, "cancelled": {"cancelled"}}
MIN_RATIO = 88
GENERIC = {
    "the", "of", "and", "railway", "railways", "railroad", "rail", "line", "road", "highway", "motorway",
    "corridor", "route", "pipeline", "port", "project", "jsc", "cjsc", "ojsc", "llc", "llp", "plc", "ltd",
    "co", "company", "group", "national", "section", "железная", "дорога", "железной", "дороги", "дорогу",
    "трубопровод", "газопровод", "коридор", "ао", "оао", "пао", "зао", "ооо", "тоо", "компания",
}


@dataclass
class Case:
    name: str
    language: str
    published: dt.date | None
    title: str
    body: str
    expected: dict[str, Any]


def _body_of(path: Path) -> tuple[str, str]:
    """(title, body) as add-article derives them: a .txt capture's header lines (headline,
    `Publisher:`, `Published:`) come before the first blank line; an HTML page's <article>."""
    from infratracker.intake.text import html_title

    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        rule = captures.BodyRule(0, None, (), None, "html")
        return html_title(raw) or path.stem, captures.derive_body(raw, rule)
    head, _, body = raw.partition("\n\n")
    return head.split("\n", 1)[0].strip(), body.strip()


def load_cases(folder: Path) -> list[Case]:
    cases = []
    for expected_path in sorted(folder.glob("*.expected.yaml")):
        stem = expected_path.name[: -len(".expected.yaml")]
        article = next((p for p in (folder / f"{stem}.txt", folder / f"{stem}.html") if p.exists()), None)
        if article is None:
            raise ValueError(f"{expected_path.name}: no article {stem}.txt or {stem}.html beside it")
        expected = yaml.safe_load(expected_path.read_text(encoding="utf-8")) or {}
        published = expected.get("published")
        if isinstance(published, str):
            published = dt.date.fromisoformat(published)
        title, body = _body_of(article)
        cases.append(Case(stem, expected.get("language") or "en", published, title, body, expected))
    return cases


def normalise_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", str(name)).casefold().replace("ё", "е")
    words = [w for w in re.findall(r"\w+", text) if w not in GENERIC]
    words = [w[:5] if re.search(r"[а-я]", w) else w for w in words]
    return " ".join(words)


def _names(item: dict[str, Any]) -> set[str]:
    names = [item.get("name")] + list(item.get("aliases") or [])
    return {n for n in (normalise_name(str(x)) for x in names if x) if n}


def names_meet(a: set[str], b: set[str]) -> bool:
    from rapidfuzz import fuzz

    return any(x == y or fuzz.ratio(x, y) >= MIN_RATIO for x in a for y in b)


@lru_cache(maxsize=1)
def _ureg():
    import pint

    ureg = pint.UnitRegistry()
    for definition in ("TEU = [container]", "passenger = [passenger]", "train = [train]", "vehicle = [vehicle]"):
        ureg.define(definition)
    return ureg


UNIT_WORDS = {"t": "tonne", "a": "year", "year": "year", "d": "day", "day": "day", "m3": "meter ** 3",
              "passengers": "passenger", "vehicles": "vehicle", "trains": "train", "train pairs": "train"}


def unit_quantity(value: float, unit: str) -> Any | None:
    """The value as a pint quantity in base units; None for units pint cannot read."""
    text = re.sub(r"\s*\(.*$", "", str(unit)).strip()
    # "percent complete", "percent share": a percentage of what the words say
    text = re.sub(r"^(?:%|percent|per cent|процент\w*)(?:\s.*)?$", "percent", text, flags=re.I)
    parts = text.split("/")
    expr = " / ".join(UNIT_WORDS.get(p.strip(), p.strip()) for p in parts)
    try:
        return (value * _ureg().Quantity(expr)).to_base_units()
    except Exception:  # pint raises several kinds for a unit it does not know
        return None


def _unit_words(unit: str) -> str:
    return " ".join(re.sub(r"\s*\(.*$", "", str(unit)).lower().split())


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.005 * max(abs(a), abs(b), 1e-9)


def meets(kind: str, proposal: dict[str, Any], expected: dict[str, Any]) -> bool:
    if kind == "countries":
        return proposal.get("iso3") == expected.get("iso3")
    if kind in NAME_KINDS:
        return names_meet(_names(proposal), _names(expected))
    if kind == "amounts":
        return (proposal.get("currency") == expected.get("currency") and expected.get("amount") is not None
                and _close(float(proposal["amount"]), float(expected["amount"])))
    if kind == "quantities":
        p = unit_quantity(float(proposal["value"]), proposal["unit"])
        e = unit_quantity(float(expected["value"]), expected["unit"])
        if p is None or e is None:  # counts pint has no unit for ("9 tunnels"): the same words
            return (p is None and e is None and _unit_words(proposal["unit"]) == _unit_words(expected["unit"])
                    and _close(float(proposal["value"]), float(expected["value"])))
        return p.dimensionality == e.dimensionality and _close(p.magnitude, e.magnitude)
    if kind == "dates":
        return str(proposal.get("value")) == str(expected.get("value"))
    raise ValueError(kind)


def score_case(proposals: dict[str, list[dict[str, Any]]], expected: dict[str, Any]) -> dict[str, dict[str, Any]]:
    out = {}
    for kind in KINDS:
        props, wanted = proposals.get(kind) or [], expected.get(kind) or []
        right = [p for p in props if any(meets(kind, p, e) for e in wanted)]
        found = [e for e in wanted if any(meets(kind, p, e) for p in props)]
        out[kind] = {"proposed": len(props), "right": len(right), "expected": len(wanted), "found": len(found),
                     "false": [_label(kind, p) for p in props if p not in right],
                     "missed": [_label(kind, e) for e in wanted if e not in found]}
    return out


def _label(kind: str, item: dict[str, Any]) -> str:
    if kind == "countries":
        return str(item.get("iso3"))
    if kind in NAME_KINDS:
        return str(item.get("name"))
    if kind == "amounts":
        return f"{item.get('amount')} {item.get('currency')}"
    if kind == "quantities":
        return f"{item.get('value')} {item.get('unit')}"
    return f"{item.get('text')}={item.get('value')}"


def proposals_of(detected: dict[str, Any], labels: dict[tuple[str, str], list[str]]) -> dict[str, list[dict[str, Any]]]:
    """The drafter's output as flat proposals per evaluated kind: known records (by their names
    in the data) and the `draft:` section's new ones."""
    draft = detected.get("draft") or {}
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in KINDS}
    out["countries"] = [{"iso3": c["id"]} for c in detected.get("countries") or []]
    tables = {"projects": "projects", "organisations": "organisations", "people": "people", "places": "places"}
    for kind, table in tables.items():
        for rec in detected.get(kind) or []:
            names = labels.get((table, rec["id"])) or [rec["id"]]
            out[kind].append({"name": names[0], "aliases": names[1:]})
        out[kind] += [{"name": d["name"], "aliases": d.get("aliases") or []} for d in draft.get(kind) or []]
    out["amounts"] = [{"amount": f["amount"], "currency": f["currency"]} for f in draft.get("finance") or []]
    out["quantities"] = [{"value": q["value"], "unit": q.get("note") if q["unit"] == "items" else q["unit"]}
                         for q in draft.get("quantities") or []]  # a count's note says what it counts
    out["dates"] = [{"text": d["text"], "value": d["date"]} for d in draft.get("dates") or []]
    return out


def _quote(text: Any) -> str:
    return " ".join(re.sub(r"[\"'«»“”„]", "", str(text or "")).split()).casefold()


def _same_sentence(a: Any, b: Any) -> bool:
    x, y = _quote(a), _quote(b)
    return bool(x and y) and (x in y or y in x)


def _bare(name: Any) -> str:
    return re.sub(r"\s*\([^)]*\)", "", str(name or "")).strip()


def score_links(detected: dict[str, Any], expected: dict[str, Any],
                labels: dict[tuple[str, str], list[str]]) -> dict[str, dict[str, Any]]:
    """Financiers of the amounts met, stages of the projects met, and constraints (module docstring)."""
    draft = detected.get("draft") or {}
    drafted = {(kind, e["id"]): [e.get("name"), *(e.get("aliases") or [])]
               for kind in ("projects", "organisations") for e in draft.get(kind) or [] if e.get("id")}

    def names(table: str, record_id: str) -> set[str]:
        spelled = drafted.get((table, record_id)) or labels.get((table, record_id)) or [record_id]
        return _names({"name": spelled[0], "aliases": spelled[1:]})

    out: dict[str, dict[str, Any]] = {}
    # financiers
    rows = []
    for f in draft.get("finance") or []:
        payer = next(((t, f[k]) for t, k in (("organisations", "financier_organisation_id"),
                                              ("countries", "financier_country_id")) if f.get(k)), None)
        rows.append(({"amount": f["amount"], "currency": f["currency"]}, names(*payer) if payer else None))
    wanted = [e for e in expected.get("amounts") or []]
    proposed = right = 0
    for amount, payer in rows:
        met = [e for e in wanted if meets("amounts", amount, e)]
        if not met or payer is None:
            continue
        proposed += 1
        right += any(e.get("financier") and names_meet(payer, _names({"name": _bare(e["financier"])})) for e in met)
    with_payer = [e for e in wanted if e.get("financier")]
    found = sum(any(payer is not None and meets("amounts", a, e)
                    and names_meet(payer, _names({"name": _bare(e["financier"])})) for a, payer in rows)
                for e in with_payer)
    out["financiers"] = {"proposed": proposed, "right": right, "expected": len(with_payer), "found": found}
    # statuses
    stage: dict[str, str] = {}
    for ev in draft.get("status_events") or []:
        old = stage.get(ev["project_id"])
        if old is None or (ev["status"] in STAGES and (old not in STAGES or STAGES.index(ev["status"]) > STAGES.index(old))):
            stage[ev["project_id"]] = ev["status"]
    projects = [(names("projects", r["id"]), stage.get(r["id"])) for r in detected.get("projects") or []]
    projects += [(names("projects", d["id"]), stage.get(d["id"])) for d in draft.get("projects") or []]
    wanted = expected.get("projects") or []
    proposed = right = 0
    for spelled, st in projects:
        met = [e for e in wanted if names_meet(spelled, _names(e))]
        if met and st:
            proposed += 1
            right += any(st in EXPECTED_STAGES.get(str(e.get("status")), ()) for e in met)
    with_status = [e for e in wanted if e.get("status")]
    found = sum(any(st in EXPECTED_STAGES.get(str(e["status"]), ()) and names_meet(spelled, _names(e))
                    for spelled, st in projects) for e in with_status)
    out["statuses"] = {"proposed": proposed, "right": right, "expected": len(with_status), "found": found}
    # constraints
    props, wanted = draft.get("funding_constraints") or [], expected.get("constraints") or []
    out["constraints"] = {
        "proposed": len(props), "right": sum(any(_same_sentence(p["quote"], e.get("quote")) for e in wanted) for p in props),
        "expected": len(wanted), "found": sum(any(_same_sentence(p["quote"], e.get("quote")) for p in props) for e in wanted)}
    return out


def evaluate(folder: Path, layout: Any) -> dict[str, Any]:
    from infratracker.intake.drafting import build_lexicon, detect

    lexicon = build_lexicon(layout)
    articles = []
    totals = {k: {"proposed": 0, "right": 0, "expected": 0, "found": 0} for k in KINDS}
    links = {k: {"proposed": 0, "right": 0, "expected": 0, "found": 0} for k in LINK_KINDS}
    for case in load_cases(folder):
        detected = detect(case.body, lexicon, language=case.language, published=case.published)
        scores = score_case(proposals_of(detected, lexicon.labels), case.expected)
        link_scores = score_links(detected, case.expected, lexicon.labels)
        for kind, s in scores.items():
            for key in totals[kind]:
                totals[kind][key] += s[key]
        for kind, s in link_scores.items():
            for key in links[kind]:
                links[kind][key] += s[key]
        articles.append({"article": case.name, "title": case.title, "kinds": scores, "links": link_scores})
    overall = {key: sum(t[key] for t in totals.values()) for key in ("proposed", "right", "expected", "found")}
    for row in [*totals.values(), overall, *links.values()]:
        row["precision"] = round(row["right"] / row["proposed"], 3) if row["proposed"] else None
        row["recall"] = round(row["found"] / row["expected"], 3) if row["expected"] else None
    return {"folder": str(folder), "articles": articles, "kinds": totals, "overall": overall, "links": links}


def table(report: dict[str, Any]) -> str:
    def pct(x: float | None) -> str:
        return "-" if x is None else f"{100 * x:.1f}%"

    rows = [("kind", "proposed", "right", "precision", "expected", "found", "recall")]
    link_rows = [("links (not in overall)", "", "", "", "", "", "")]
    for kind, t in [*report["kinds"].items(), ("overall", report["overall"]), *report.get("links", {}).items()]:
        (link_rows if kind in LINK_KINDS else rows).append(
            (kind, str(t["proposed"]), str(t["right"]), pct(t["precision"]), str(t["expected"]),
             str(t["found"]), pct(t["recall"])))
    rows += link_rows if len(link_rows) > 1 else []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + f"\n{len(report['articles'])} articles in {report['folder']}"


def misses(report: dict[str, Any], limit: int = 5) -> Iterable[str]:
    for art in report["articles"]:
        for kind, s in art["kinds"].items():
            if s["false"] or s["missed"]:
                yield (f"{art['article']} {kind}: false {s['false'][:limit]} missed {s['missed'][:limit]}")


__all__ = ["KINDS", "LINK_KINDS", "evaluate", "load_cases", "meets", "misses", "normalise_name", "score_case", "table"]
