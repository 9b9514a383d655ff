"""`infratracker add-article`: archive a capture and draft its extract for a curator.

Detection is pure (`detect(body, lexicon)`); reading the data and writing files sit at the edges
(`add_article`). Known records are found by canonical name and by every alias in the data;
new things (places from the gazetteer, dates, amounts, lengths, titled people, agreement
wording) go to a `draft:` section that the build refuses until a curator has sorted it.
"""
from __future__ import annotations

import csv
import io
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml

from infratracker.assemble.merge import read_extracts
from infratracker.core import captures
from infratracker.core import reference
from infratracker.core import registry
from infratracker.core.cells import parse_date
from infratracker.core.paths import Layout, remove_stale

MAX_QUOTE = 300
TOKEN = re.compile(r"\w+", re.UNICODE)
SENTENCE_END = re.compile(r"(?<=[.!?。])\s+|\n+")

# Sections of an extract that hold records a source can mention, by table.
SECTIONS = {r.name: r.extract_key for r in registry.RESOURCES if r.extract_key and r.name != "sources"}


class CurationError(Exception):
    """A refusal with a message for the curator (duplicate article, undecodable file...)."""


def slug(text: str, words: int = 6) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    parts = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(parts[:words]) or "untitled"


def tokens(text: str) -> tuple[str, ...]:
    return tuple(t.casefold() for t in TOKEN.findall(text))


def sentences(body: str) -> list[str]:
    """Sentences of the body, whitespace folded as in quote matching; lines never run together."""
    out = []
    for line in body.split("\n"):
        out += [s.strip() for s in SENTENCE_END.split(captures.normalise(line)) if s.strip()]
    return out


def quote_around(sentence: str, needle: str) -> str:
    """The sentence, or a verbatim window of it around `needle` when it is over 300 characters."""
    if len(sentence) <= MAX_QUOTE:
        return sentence
    i = max(sentence.find(needle), 0)
    start = max(0, i - (MAX_QUOTE - len(needle)) // 2)
    window = sentence[start:start + MAX_QUOTE]
    if start > 0 and " " in window:
        window = window[window.index(" ") + 1:]
    if start + MAX_QUOTE < len(sentence) and " " in window:
        window = window[:window.rindex(" ")]
    return window.strip()


@dataclass
class Lexicon:
    """Names that identify records: token tuple -> (table, id); longest names win."""

    names: dict[tuple[str, ...], tuple[str, str]] = field(default_factory=dict)
    new_places: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)
    longest: int = 1

    def add(self, name: str, table: str, record_id: str) -> None:
        key = tokens(name)
        if key and (len(key) > 1 or len(key[0]) > 3):  # very short single words match too much
            self.names.setdefault(key, (table, record_id))
            self.longest = max(self.longest, len(key))

    def find(self, sentence: str) -> Iterable[tuple[tuple[str, str] | dict[str, Any], str]]:
        """(record or new place, matched text) for every name in the sentence, longest first."""
        spans = [(m.start(), m.end(), m.group().casefold()) for m in TOKEN.finditer(sentence)]
        i = 0
        while i < len(spans):
            for n in range(min(self.longest, len(spans) - i), 0, -1):
                key = tuple(s[2] for s in spans[i:i + n])
                hit = self.names.get(key) or self.new_places.get(key)
                if hit:
                    yield hit, sentence[spans[i][0]:spans[i + n - 1][1]]
                    i += n
                    break
            else:
                i += 1


def _read_table(layout: Layout, name: str) -> list[dict[str, str]]:
    path = layout.data / f"{name}.csv"
    if not path.exists():
        return []
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def build_lexicon(layout: Layout, min_city_population: int = 100_000) -> Lexicon:
    import pycountry

    lex = Lexicon()
    for res in registry.RESOURCES:
        if res.citable and res.label_column and res.name not in ("sources", "countries"):
            for row in _read_table(layout, res.name):
                lex.add(row[res.label_column], res.name, row[res.primary_key[0]])
    for alias in _read_table(layout, "aliases"):
        lex.add(alias["alias"], alias["record_table"], alias["record_id"])
    for c in pycountry.countries:
        for name in {c.name, getattr(c, "common_name", c.name), getattr(c, "official_name", c.name)}:
            lex.add(name, "countries", c.alpha_3)
    known_places = {row.get("geonames_id") for row in _read_table(layout, "places")}
    iso3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    for gid, city in reference.cities().items():
        if city["population"] >= min_city_population and gid not in known_places:
            key = tokens(city["name"])
            if key and key not in lex.names:
                lex.new_places.setdefault(key, {"name": city["name"], "place_type": "city",
                                                "country_id": iso3.get(city["countrycode"]),
                                                "geonames_id": int(gid)})
    return lex


MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|December")
DATE_PATTERNS = [
    (re.compile(rf"\b(\d{{1,2}}) ({MONTHS}) (\d{{4}})\b"), lambda m: _iso(m[3], m[2], m[1])),
    (re.compile(rf"\b({MONTHS}) (\d{{1,2}}),? (\d{{4}})\b"), lambda m: _iso(m[3], m[1], m[2])),
    (re.compile(rf"\b({MONTHS}) (\d{{4}})\b"), lambda m: _iso(m[2], m[1])),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), lambda m: f"{m[1]}-{m[2]}-{m[3]}"),
    (re.compile(r"\b(?:in|by|since|until|from) ((?:19|20)\d{2})\b"), lambda m: m[1]),
]
CURRENCY_WORDS = {"$": "USD", "us$": "USD", "usd": "USD", "dollars": "USD", "€": "EUR", "eur": "EUR",
                  "euros": "EUR", "euro": "EUR", "yuan": "CNY", "rmb": "CNY", "cny": "CNY", "£": "GBP",
                  "gbp": "GBP", "rubles": "RUB", "roubles": "RUB", "rub": "RUB", "tenge": "KZT", "kzt": "KZT",
                  "rials": "IRR", "irr": "IRR", "manat": "TMT"}
SCALE = {"thousand": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "trillion": 1e12}
_CUR = r"(?P<cur>US\$|\$|€|£|USD|EUR|CNY|RMB|GBP|RUB|KZT|IRR)"
_NUM = r"(?P<num>\d+(?:[.,]\d+)*)"
_SCALE = r"(?:\s?(?P<scale>thousand|million|billion|trillion|mn|bn|m)\b)?"
MONEY_PATTERNS = [
    re.compile(rf"{_CUR}\s?{_NUM}{_SCALE}"),
    re.compile(rf"{_NUM}{_SCALE}\s(?P<cur>dollars|euros|euro|yuan|rubles|roubles|tenge|rials|manat)\b", re.I),
]
LENGTH = re.compile(r"\b(?P<num>\d+(?:[.,]\d+)*)\s?(?P<unit>km|км|kilometres|kilometers|miles|mi)\b")
MILE_KM = 1.609344
TITLED_PERSON = re.compile(r"\b(?:President|Prime Minister|Minister|Foreign Minister|Chairman|Ambassador)"
                           r"(?: of [A-Z]\w+)? ([A-Z][\w-]+(?: [A-Z][\w-]+){0,2})")
AGREEMENT_WORDS = re.compile(r"\b(memorandum|agreement|accord|treaty|protocol|roadmap|signed|signing)\b", re.I)


def _iso(year: str, month: str | None = None, day: str | None = None) -> str:
    if month is None:
        return year
    m = MONTHS.split("|").index(month) + 1
    return f"{year}-{m:02d}" + (f"-{int(day):02d}" if day else "")


def _number(text: str) -> float:
    if text.count(",") and not text.count("."):
        text = text.replace(",", "." if len(text.split(",")[-1]) != 3 else "")
    return float(text.replace(",", ""))


def detect(body: str, lexicon: Lexicon) -> dict[str, Any]:
    """Candidates in an article body, each with the sentence it came from as evidence."""
    found: dict[str, dict[str, dict[str, Any]]] = {section: {} for section in SECTIONS.values()}
    draft: dict[str, list[dict[str, Any]]] = {k: [] for k in
                                              ("places", "people", "agreements", "dates", "amounts", "lengths")}
    seen_draft: set[tuple[str, str]] = set()

    def add_draft(kind: str, key: str, entry: dict[str, Any]) -> None:
        if (kind, key) not in seen_draft:
            seen_draft.add((kind, key))
            draft[kind].append(entry)

    for sentence in sentences(body):
        for hit, text in lexicon.find(sentence):
            if isinstance(hit, dict):
                add_draft("places", str(hit["geonames_id"]), {**hit, "quote": quote_around(sentence, text)})
                continue
            table, record_id = hit
            section = SECTIONS[table]
            entry = found[section].setdefault(record_id, {"id": record_id, "evidence": []})
            if len(entry["evidence"]) < 2 and all(e["quote"] != quote_around(sentence, text) for e in entry["evidence"]):
                entry["evidence"].append({"quote": quote_around(sentence, text)})
        taken: list[range] = []  # "12 March 2026" is one date, not also "March 2026"
        for pattern, to_iso in DATE_PATTERNS:
            for m in pattern.finditer(sentence):
                if any(m.start() in r or m.end() - 1 in r for r in taken):
                    continue
                taken.append(range(m.start(), m.end()))
                add_draft("dates", m.group(0), {"text": m.group(0), "date": to_iso(m),
                                                "quote": quote_around(sentence, m.group(0))})
        for pattern in MONEY_PATTERNS:
            for m in pattern.finditer(sentence):
                cur = CURRENCY_WORDS.get(m["cur"].lower())
                scale = SCALE.get((m["scale"] or "").lower(), 1)
                add_draft("amounts", m.group(0), {"text": m.group(0), "amount": _number(m["num"]) * scale,
                                                  "currency": cur, "quote": quote_around(sentence, m.group(0))})
        for m in LENGTH.finditer(sentence):
            km = _number(m["num"]) * (MILE_KM if m["unit"] in ("miles", "mi") else 1)
            add_draft("lengths", m.group(0), {"text": m.group(0), "kind": "length", "value": round(km, 1), "unit": "km",
                                              "quote": quote_around(sentence, m.group(0))})
        for m in TITLED_PERSON.finditer(sentence):
            if tokens(m[1]) not in lexicon.names:
                add_draft("people", m[1], {"name": m[1], "quote": quote_around(sentence, m.group(0))})
        m = AGREEMENT_WORDS.search(sentence)
        if m:
            add_draft("agreements", sentence, {"quote": quote_around(sentence, m.group(0))})
    records = {section: sorted(entries.values(), key=lambda e: e["id"]) for section, entries in found.items() if entries}
    return {**records, "draft": {k: v for k, v in draft.items() if v}}


@dataclass
class Capture:
    data: bytes
    text: str
    format: str  # "txt" or "html"


# A news article is tens of kilobytes; 2 MiB takes a few seconds to draft. A 50 MB file took
# 111 s and 895 MB and gave a 48 MB draft no curator could review.
MAX_CAPTURE_BYTES = 2 * 1024 * 1024

_KINDS = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")]


def _read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file that is not a symbolic link, up to MAX_CAPTURE_BYTES. Checked
    on the opened file too, so that the path cannot be swapped between the check and the read."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise CurationError(f"cannot read {path.name}: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise CurationError(f"{path.name} is a symbolic link, not a regular file; pass the file itself")
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise CurationError(f"{path.name} is {kind}, not a regular file")
    if st.st_size > MAX_CAPTURE_BYTES:
        raise CurationError(f"{path.name} has {st.st_size} bytes, over the limit of {MAX_CAPTURE_BYTES} bytes "
                            "for one captured article; save only the article")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CurationError(f"{path.name} is not a regular file")
        data = fh.read(MAX_CAPTURE_BYTES + 1)
    if len(data) > MAX_CAPTURE_BYTES:
        raise CurationError(f"{path.name} has more than {MAX_CAPTURE_BYTES} bytes, the limit for one captured "
                            "article")
    return data


def read_capture(path: Path, encoding: str) -> Capture:
    data = _read_regular_file(path)
    if not data:
        raise CurationError(f"{path.name} is empty")
    try:
        text = captures.decode(data, encoding)
    except LookupError:
        raise CurationError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise CurationError(f"{path.name} is not valid {encoding} at byte {exc.start} "
                            f"({data[exc.start:exc.start + 4]!r}); pass --encoding with the encoding it was "
                            "saved in, e.g. --encoding cp1252 or --encoding cp1251") from None
    is_html = path.suffix.lower() in (".html", ".htm") or re.match(r"\s*<(!doctype|html)", text, re.I)
    return Capture(data, text, "html" if is_html else "txt")


def _html_title(markup: str) -> str | None:
    m = re.search(r"<title[^>]*>(.*?)</title>", markup, re.I | re.S)
    return captures.normalise(re.sub(r"<[^>]+>", "", m[1])) if m else None


def add_article(layout: Layout, path: Path, *, url: str | None = None, title: str | None = None,
                publisher: str | None = None, published: str | None = None, language: str = "en",
                encoding: str = "utf-8", machine_translation: bool = False) -> tuple[str, Path, Path]:
    """Archive the capture and write a draft extract; returns (source id, archive, extract)."""
    capture = read_capture(path, encoding)
    digest = captures.sha256(capture.data)
    extracts, _problems = read_extracts(layout)
    for ext in extracts:
        src = ext.source
        if src.get("sha256") == digest:
            raise CurationError(f"already archived: same SHA-256 as source {src.get('source_id')} ({ext.file})")
        if url and src.get("url") == url:
            raise CurationError(f"already archived: same URL as source {src.get('source_id')} ({ext.file})")
    if published:
        try:
            parse_date(published)
        except ValueError:
            raise CurationError(f"--published {published!r} is not a date (YYYY-MM-DD)") from None
    rules = reference.load_yaml(layout.reference / "publishers.yaml")
    rule_name = next((k for k, v in rules.items() if publisher and v.get("publisher") == publisher),
                     "html" if capture.format == "html" else "plain")
    body = captures.derive_body(capture.text, captures.BodyRule.from_spec(rules[rule_name]))
    if not title:
        title = (_html_title(capture.text) if capture.format == "html" else None) or body.split("\n", 1)[0][:200]
    base = f"{slug(publisher or 'source', 3)}-{published or 'undated'}-{slug(title, 5)}"
    existing = {e.source.get("source_id") for e in extracts}
    source_id, n = base, 2
    while source_id in existing or (layout.extracts / f"{source_id}.yaml").exists():
        source_id, n = f"{base}-{n}", n + 1
    archive = layout.archive / f"{source_id}.{capture.format}"
    extract = layout.extracts / f"{source_id}.yaml"
    leftover = archive.exists()  # no extract names it (checked above): an interrupted add-article?
    if leftover and (not archive.is_file() or archive.read_bytes() != capture.data):
        raise CurationError(f"{layout.rel(archive)} exists, no extract names it, and it differs from "
                            f"{path.name}; delete it if it is not an archived capture, then run this again")
    source = {
        "id": source_id, "publisher": publisher, "section": None, "title": title,
        "published_date": published, "published_time": None, "timezone": None, "editor": None,
        "language": language, "machine_translation": machine_translation, "url": url,
        "archive_path": f"archive/{archive.name}",
        "encoding": encoding, "sha256": digest, "body_rule": rule_name, "note": None,
    }
    detected = detect(body, build_lexicon(layout))
    text = render_draft(source, detected)
    _write_pair(layout, None if leftover else (archive, capture.data), (extract, text.encode("utf-8")))
    return source_id, archive, extract


def _write_pair(layout: Layout, archive: tuple[Path, bytes] | None, extract: tuple[Path, bytes]) -> None:
    """Both files written in full to build/add-article first, then linked into place, the archive
    before the extract. A link never replaces a file, and a final path never holds a partial
    one: killed in between, the archive is left whole with no extract naming it, which
    `validate` reports and the same add-article command then completes."""
    staging = layout.build / "add-article"
    staging.mkdir(parents=True, exist_ok=True)
    remove_stale(staging)
    staged = []
    try:
        for final, data in [archive, extract] if archive else [extract]:
            tmp = staging / f"{final.name}.{os.getpid()}.tmp"
            tmp.unlink(missing_ok=True)
            with open(tmp, "xb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            staged.append((tmp, final))
        for i, (tmp, final) in enumerate(staged):
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(tmp, final)  # "x": an archived capture is never overwritten
            except OSError as exc:
                if i == 0:
                    raise
                # "nothing was archived" would be false now
                raise CurationError(f"{exc.strerror or exc}: archived {layout.rel(staged[0][1])} but could not "
                                    f"write {layout.rel(final)}; run the same command again to finish") from None
            _fsync_dir(final.parent)
    finally:
        for tmp, _final in staged:
            tmp.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


HEADER = """# Draft extract of {source_id}, written by `infratracker add-article`.
# 1. Check the source block (publisher, published_date, title...): empty fields are unknown.
# 2. The sections below name records already in the data that this article mentions, each
#    with the sentence that names them: delete false hits, add aliases and fields it states.
# 3. `draft:` lists what may be new (places, people, agreements, dates, amounts, lengths), each
#    with its sentence: move what the article supports into the sections (see README,
#    "Curating a source"), then delete `draft:`. The build refuses this file until then.
# 4. Run `make build`: nothing enters data/ until everything validates.
"""


def render_draft(source: dict[str, Any], detected: dict[str, Any]) -> str:
    doc: dict[str, Any] = {"source": source}
    for res in registry.RESOURCES:
        if res.extract_key in detected and res.extract_key != "source":
            doc[res.extract_key] = detected[res.extract_key]
    if detected.get("draft"):
        doc["draft"] = detected["draft"]
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return HEADER.format(source_id=source["id"]) + body


__all__ = ["CurationError", "Lexicon", "add_article", "build_lexicon", "detect", "slug"]
