"""What an article names and states, proposed for a curator: `detect(body, lexicon, ...)`.

Pure: the lexicon (records in the data, their aliases, countries in English and Russian, the
gazetteer) is built once by `build_lexicon(layout)`. Records already in the data are found by
name and alias (nearly equal names too, with rapidfuzz) and proposed as links; what may be new
goes to the `draft:` section with its whole sentence and a confidence.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from slugify import slugify

from infratracker.core import memory, reference, registry
from infratracker.core.paths import Layout
from infratracker.intake import relations
from infratracker.intake.linking import Linker

TOKEN = re.compile(r"\w+", re.UNICODE)
# A town in capitals before a comma opens a wire story ("ASTANA, March 3", "АШХАБАД, 29 сентября"):
# where the agency wrote from, not what the story is about.
DATELINE = re.compile(r"[A-ZА-ЯЁ][A-ZА-ЯЁ -]{2,30}(?:,|\.\s)")
# "реки Нарын" is the river, not the town of its name.
RIVER_BEFORE = re.compile(r"(?<![\w-])(?:рек[аиеуой]|river)\s+$", re.I)
SECTION = re.compile(r"^[Уу]част\w*\b|\bsection$")
RU_WORD = re.compile(r"\w+(?:-\w+)*")
CYRILLIC_NAME = re.compile(r"^[А-ЯЁ][а-яё]+(?:[- ][А-ЯЁа-яё][а-яё]+)*$")  # Russian letters only, no і, ї, ј

# Latin names of towns as English writes them: capitalised words, ASCII letters.
LATIN_NAME = re.compile(r"[A-Z][a-z]+(?:(?:-| |-[a-z]+-)[A-Z][a-z]+)?")
# Capitalised English words that are also towns of the gazetteer (March in England, Of in
# Türkiye, Union in New Jersey): never a place on their own.
COMMON_WORDS = {(w,) for w in (
    "of", "may", "march", "union", "gulf", "asia", "europe", "africa", "america", "hope", "mobile", "reading",
    "bath", "nice", "split", "deal", "sale", "independence", "liberty", "victoria", "opportunity", "progress",
    "enterprise", "commerce", "industry", "energy", "transit", "express", "chance", "mission", "justice",
    "harmony", "unity", "friendship", "concord", "temple", "university", "college", "academy", "central",
    "north", "south", "east", "west", "middle", "orient", "pacific", "atlantic", "lincoln", "washington")} | {
    ("white", "house"), ("red", "square")}
MIXED_DATELINE = re.compile(r",\s+(?:[A-Z][a-z]+,\s+)?(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d"
                            r"|\s+[–—-]\s+(?:[A-Z][a-z]+\s+){0,3}(?:[A-Z][a-z]+)?(?:,|\s+said|\s+has|\s+is)"
                            r"|\s*\((?:[A-Z]+|[A-Z][a-z]+)\)\s+[–—-]")
# Words that do not tell one route from another ("the Bakhty–Ayagoz line" is the Bakhty–Ayagoz railway).
ROUTE_WORDS = {"the", "railway", "railroad", "rail", "line", "link", "section", "project", "route", "new"}
# A word used as an adjective before these is no town: "the Kazakh coast", "the Afghan side".
ADJECTIVE_AFTER = re.compile(r"\s+(?:coast|side|border(?!\s+(?:crossing|checkpoint|post|point|station))|government|"
                             r"authorities|officials|company|companies|economy|"
                             r"market|people|territory|leadership|delegation|language|businesses)\b")
# Sections of an extract that hold records a source can mention, by table.
SECTIONS = {r.name: r.extract_key for r in registry.RESOURCES if r.extract_key and r.name != "sources"}

# English short names the press uses that pycountry does not give ("Turkey" for Türkiye).
EN_COUNTRY_NAMES = {"TUR": ["Turkey"], "GBR": ["Britain", "Great Britain", "UK", "U.K."], "USA": ["US", "U.S."],
                    "GMB": ["The Gambia"], "CIV": ["Ivory Coast"], "CPV": ["Cape Verde"], "MMR": ["Burma"]}
# Russian short names the press uses where pycountry's translations give the official one.
RU_COUNTRY_NAMES = {"RUS": ["Россия", "РФ"], "USA": ["США", "Америка"], "KGZ": ["Кыргызстан"],
                    "GBR": ["Великобритания"], "KOR": ["Южная Корея"], "PRK": ["КНДР"], "CHN": ["КНР"],
                    "TUR": ["Турция"], "IRN": ["Иран"], "MDA": ["Молдавия", "Молдова"],
                    "BLR": ["Белоруссия", "Беларусь"], "ARE": ["ОАЭ"]}

# A press release's closing section on its issuer ("About AIIB", "Notes to editors", "О банке",
# "Справка"): its figures and dates are the issuer's, not the project's. So is a sentence on the
# issuer's own record ("To date, the Bank has invested more than €10.1 billion in 313 projects",
# "Georgia became a founding member of AIIB in 2015").
ABOUT_HEADING = re.compile(r"^(?:About (?:the )?[A-Z][\w&.’' -]{1,60}|Notes? (?:to|for) editors|О (?:банке|компании|фонде)\b"
                           r"[^.]{0,40}|Справка[^.]{0,40}|Справочно[^.]{0,40})[:.]?$")
INSTITUTION_RECORD = re.compile(r"\b(?:since (?:its|the bank's|the fund's) (?:inception|establishment|founding)|"
                                r"(?:is|became|was) a (?:founding )?(?:member|shareholder) of|"
                                r"(?:invested|financed|committed|provided|approved|allocated|lent|extended|disbursed)"
                                r"[^;]{0,60}\b(?:in|across|for) (?:more than |over |some |about )?\d[\d,]* (?:projects|"
                                r"operations|countries))|(?<!\w)(?:с момента (?:основания|создания|начала деятельности)|"
                                r"(?:является|стал\w*) (?:одним из )?(?:учредител|основател|член\w* (?:банка|фонда))|"
                                r"(?:инвестировал|профинансировал|вложил)\w*[^;]{0,60}\bв \d[\d ]* проект)", re.I)
TARGET_WORDS = re.compile(r"(?i:by|until|before|not later than|к|до|не позднее)\s")
# A heading inside the body (a repeated headline or a subheading): short, with no closing
# punctuation and no "label: value" colon; its dates are stated again in the body.
HEADING = re.compile(r"^(?=[^\n:]{1,90}$)(?!.*[.!?…;»”\"')]\s*$)(?:\S+\s+){0,11}\S+$")

AGREEMENT_WORDS = re.compile(r"\b(memorandum|agreement|accord|treaty|protocol|roadmap|signed|signing)\b|"
                             r"(?<!\w)(меморандум|соглашени|договор|подписал|подписан)", re.I)


def tokens(text: str) -> tuple[str, ...]:
    return tuple(map(str.casefold, TOKEN.findall(text)))


@dataclass
class Lexicon:
    """Names that identify records: token tuple -> (table, id); longest names win."""

    names: dict[tuple[str, ...], tuple[str, str]] = field(default_factory=dict)
    new_places: dict[tuple[str, ...], dict[str, Any]] = field(default_factory=dict)
    longest: int = 1
    labels: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # record -> its names
    _cache: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict, repr=False)
    # Russian names: countries (pycountry's translations and press names) and the gazetteer's
    # Russian alternate names, indexed by their words' dictionary forms on first Russian use.
    ru_sources: list[tuple[str, tuple[str, Any]]] = field(default_factory=list, repr=False)
    _ru_index: dict[tuple[str, ...], tuple[str, Any]] | None = field(default=None, repr=False)
    _ru_longest: int = 1

    def add(self, name: str, table: str, record_id: str) -> None:
        key = tokens(name)
        if key and (len(key) > 1 or len(key[0]) > 3 or name.isupper()):  # "Oman" and "USA" yes, "the" no
            self.names.setdefault(key, (table, record_id))
            self.longest = max(self.longest, len(key))
            names = self.labels.setdefault((table, record_id), [])
            if name not in names:
                names.append(name)

    def find(self, sentence: str) -> Iterable[tuple[tuple[str, str] | dict[str, Any], str, int, int]]:
        """(record or new place, matched text, start, end) for every name in the sentence,
        longest first. Names only match capitalised text: "western branch" is not "the West"."""
        spans = [(m.start(), m.end(), m.group().casefold(), m.group()) for m in TOKEN.finditer(sentence)]
        i = 0
        while i < len(spans):
            if not spans[i][3][:1].isupper():
                i += 1
                continue
            for n in range(min(self.longest, len(spans) - i), 0, -1):
                key = tuple(s[2] for s in spans[i:i + n])
                hit = self.names.get(key) or self.new_places.get(key)
                if hit:
                    yield hit, sentence[spans[i][0]:spans[i + n - 1][1]], spans[i][0], spans[i + n - 1][1]
                    i += n
                    break
            else:
                i += 1

    def find_ru_countries(self, sentence: str) -> Iterable[tuple[str, int, int]]:
        for (table, value), start, end in self.find_ru(sentence):
            if table == "countries":
                yield value, start, end

    def ru_index(self) -> dict[tuple[str, ...], tuple[str, Any]]:
        if self._ru_index is None:
            from itertools import product

            from infratracker.intake.morph import fold, lemmas

            index: dict[tuple[str, ...], tuple[str, Any]] = {}
            for name, hit in self.ru_sources:
                words = RU_WORD.findall(name)
                if not words or len(words) > 4:
                    continue
                if isinstance(hit[1], str) and hit[0] != "countries":  # a record's Russian name is its label too
                    labels = self.labels.setdefault(hit, [])
                    if name not in labels:
                        labels.append(name)
                # A gazetteer name is in the nominative, so it is its own dictionary form; only
                # countries and names of several words ("Аральское Море") are read by pymorphy3,
                # which keeps the index of some 25,000 names to a fraction of a second.
                keys = [tuple(fold(w) for w in words)]
                if hit[0] == "countries" or len(words) > 1:
                    keys += list(product(*(sorted(lemmas(w)) for w in words)))
                for key in keys:
                    if hit[0] == "countries" or key not in index:  # a country wins over a town of its name
                        index[key] = hit
                self._ru_longest = max(self._ru_longest, len(words))
            self._ru_index = index
        return self._ru_index

    def find_ru(self, sentence: str) -> Iterable[tuple[tuple[str, Any], int, int]]:
        """((table, iso3 or place), start, end) for Russian countries and gazetteer places in any
        case form ("в Ташкенте", "с Китаем"), longest first. A one-word place must be one to the
        dictionary too (a Geox word, or a word it does not know): "Советский" is a town, and
        also an adjective."""
        from itertools import product

        from infratracker.intake.morph import has_tag, is_known, lemmas, parses

        index = self.ru_index()
        spans = [(m.start(), m.end(), m.group()) for m in RU_WORD.finditer(sentence)]
        i = 0
        while i < len(spans):
            if not spans[i][2][:1].isupper():
                i += 1
                continue
            for n in range(min(self._ru_longest, len(spans) - i), 0, -1):
                words = [w for _s, _e, w in spans[i:i + n]]
                if any(sentence[spans[k][1]:spans[k + 1][0]] != " " for k in range(i, i + n - 1)):
                    continue
                hit = next((index[k] for k in product(*(sorted(lemmas(w)) for w in words)) if k in index), None)
                if hit and hit[0] == "places" and n == 1 and (
                        (is_known(words[0]) and not has_tag(words[0], "Geox"))
                        or any(t in parses(words[0])[0].tag for t in ("ADJF", "PRTF") if parses(words[0]))):
                    hit = None  # "Советский", "Каспийский": adjectives first
                if hit:
                    yield hit, spans[i][0], spans[i + n - 1][1]
                    i += n
                    break
            else:
                i += 1

    def is_ru_country(self, word: str) -> bool:
        from infratracker.intake.morph import lemmas

        index = self.ru_index()
        return any(index.get((k,), ("",))[0] == "countries" for k in lemmas(word))

    def _choices(self, table: str) -> dict[str, str]:
        """Folded name -> id for one table, rebuilt only when names were added since."""
        cached = self._cache.get(table)
        if cached is None or cached[0] != len(self.names):
            cached = (len(self.names), {" ".join(k): rid for k, (t, rid) in self.names.items() if t == table})
            self._cache[table] = cached
        return cached[1]

    def link(self, table: str, name: str, threshold: int = 92) -> str | None:
        """The id of a record of `table` named `name` or nearly so (rapidfuzz ratio of the folded
        names, so "Rasht–Astara railway" meets "Rasht-Astara Railway"): a link, never a duplicate."""
        from rapidfuzz import fuzz, process

        key = tokens(name)
        hit = self.names.get(key)
        if hit and hit[0] == table:
            return hit[1]
        choices = self._choices(table)
        best = process.extractOne(" ".join(key), list(choices), scorer=fuzz.ratio, score_cutoff=threshold) \
            if choices else None
        return choices[best[0]] if best else None


def _read_table(layout: Layout, name: str, columns: tuple[str, ...] | None = None) -> list[dict[str, str]]:
    """A published table's rows; with `columns`, only those (a tenth of the time on 100k rows)."""
    path = layout.data / f"{name}.csv"
    if not path.exists():
        return []
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8")))
    header = next(reader, [])
    wanted = [(c, header.index(c)) for c in (columns or header) if c in header]
    return [{c: row[i] for c, i in wanted} for row in reader if row]


def _russian_country_names() -> dict[str, set[str]]:
    import gettext

    import pycountry

    try:
        ru = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["ru"])
    except OSError:
        return {}
    out: dict[str, set[str]] = {}
    for c in pycountry.countries:
        names = {ru.gettext(n) for n in (c.name, getattr(c, "common_name", None), getattr(c, "official_name", None))
                 if n}
        out[c.alpha_3] = {n for n in names if re.search(r"[а-яА-Я]", n)} | set(RU_COUNTRY_NAMES.get(c.alpha_3, []))
    return out


def named_tables() -> list[registry.Resource]:
    """The tables whose records the lexicon knows by their label: besides these it reads the
    aliases and the places (lexicon_cache keys its copies on exactly these files)."""
    return [r for r in registry.RESOURCES if r.citable and r.label_column and r.name not in ("sources", "countries")]


LEXICON_EXTRA_TABLES = ("aliases", "places")


def build_lexicon(layout: Layout, min_city_population: int = 15_000,
                  min_alternate_population: int = 50_000) -> Lexicon:
    # Some 300,000 small tuples, lists and dicts, none in a cycle: the cyclic collector took
    # 2.0 of 3.7 s at 10,000 articles, and has nothing to collect afterwards either.
    with memory.paused():
        return _build_lexicon(layout, min_city_population, min_alternate_population)


def _build_lexicon(layout: Layout, min_city_population: int, min_alternate_population: int) -> Lexicon:
    import pycountry

    lex = Lexicon()
    for res in named_tables():
        for row in _read_table(layout, res.name, (res.label_column, res.primary_key[0])):
            lex.add(row[res.label_column], res.name, row[res.primary_key[0]])
    for alias in _read_table(layout, "aliases", ("alias", "record_table", "record_id")):
        lex.add(alias["alias"], alias["record_table"], alias["record_id"])
    for c in pycountry.countries:
        for name in {c.name, getattr(c, "common_name", c.name), getattr(c, "official_name", c.name)}:
            lex.add(name, "countries", c.alpha_3)
    for iso3, names in EN_COUNTRY_NAMES.items():
        for name in names:
            lex.add(name, "countries", iso3)
    for iso3, names in _russian_country_names().items():
        lex.ru_sources += [(name, ("countries", iso3)) for name in names]
    place_rows = _read_table(layout, "places")
    known_places = {row.get("geonames_id"): row["place_id"] for row in place_rows if row.get("geonames_id")}
    iso3 = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    for gid, city in reference.cities().items():
        if gid in known_places:  # a place in the data, written in Russian
            lex.ru_sources += [(n, ("places", known_places[gid])) for n in city.get("alternatenames") or ()
                               if CYRILLIC_NAME.match(n)]
        elif city["population"] >= min_city_population:
            key = tokens(city["name"])
            if key and key not in lex.names:
                place = {"name": city["name"], "place_type": "city", "country_id": iso3.get(city["countrycode"]),
                         "geonames_id": int(gid)}
                lex.new_places.setdefault(key, place)
                lex.ru_sources += [(n, ("places", {**place, "name": n, "aliases": [city["name"]]}))
                                   for n in city.get("alternatenames") or () if CYRILLIC_NAME.match(n)]
    # The names the English press writes that are not the gazetteer's own ("Termez" for Tirmiz,
    # "Mazar-i-Sharif", "Nakhchivan" for Naxçıvan): Latin alternate names of towns of 50,000 or
    # more, never one that is already a name, and the larger town first where two share one.
    taken = set(lex.names) | set(lex.new_places)
    by_size = sorted(reference.cities().items(), key=lambda kv: -int(kv[1]["population"] or 0))
    for gid, city in by_size:
        if int(city["population"] or 0) < min_alternate_population:
            break
        if gid in known_places:
            continue
        folded = unicodedata.normalize("NFKD", city["name"]).encode("ascii", "ignore").decode()
        for alt in [folded, *(city.get("alternatenames") or ())]:
            if not LATIN_NAME.fullmatch(alt) or len(alt) < 6:
                continue
            key = tokens(alt)
            if key in taken or key in COMMON_WORDS or len(key) > 4:
                continue
            taken.add(key)
            lex.new_places[key] = {"name": alt, "aliases": [city["name"]], "place_type": "city",
                                   "country_id": iso3.get(city["countrycode"]), "geonames_id": int(gid)}
            lex.longest = max(lex.longest, len(key))
    return lex


PLACE_WORDS = {"port", "city", "town", "village", "state", "people", "university", "friends", "house", "gate"}


def _dateline(sentence: str, start: int, end: int) -> bool:
    """Where the story was filed, not what it is about: a town in capitals ("ISTANBUL ·", "ASTANA –")
    or one that opens the story before its date ("Beijing, October 14, 2026 –")."""
    word = sentence[start:end]
    if len(word) > 3 and word.isupper():
        return True
    if sentence[end:end + 1] == ")" and re.search(r"(?:\d|[A-Z][a-z]{2,8}\.?)\s*\($", sentence[max(0, start - 12):start]):
        return True  # "TASHKENT, Sept 9 (Xinhua) --": the agency's name
    return start < 3 and bool(MIXED_DATELINE.match(sentence[end:]))


def _of_place(chunk_text: str, name: str) -> bool:
    """A chunk of one-word names joined by "of" names a place within a place ("Kashgar of Xinjiang
    of China"); "Bank of China" and "Republic of Karakalpakstan" are one name each."""
    from infratracker.intake.names import GEO_OF, INSTITUTION_FIRST, ORG_CUES, PLACE_PREFIXES, TITLES

    parts = chunk_text.split(" of ")
    return len(parts) > 1 and name in parts and all(
        re.fullmatch(r"[^\W\d_][\w'’-]*", p)
        and p.lower() not in set(ORG_CUES) | INSTITUTION_FIRST | GEO_OF | TITLES | PLACE_PREFIXES | PLACE_WORDS
        for p in parts)


# Latin-script words a Russian sentence uses that are no company: codes, units, numerals.
NOT_AGENTS = {"USD", "EUR", "CNY", "RMB", "MW", "GW", "kW", "kWh", "MWh", "GWh", "TWh", "TEU", "LNG", "HVDC", "GDP",
              "II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII", "CEO", "EPC", "FEED", "PPP", "VAT", "CIS",
              "ESG", "IT", "OK", "TV", "PR", "COVID", "SPV"}
LATIN_NAME_RU = re.compile(r"(?<![\w«\"“])[A-Z][A-Za-z0-9&'’.-]*(?:\s+(?:[A-Z][A-Za-z0-9&'’.-]*|of|and|de))*(?![\w»\"”])")


def _agents(sentence: str, classified: list[tuple[Any, list[Any]]], hits: list[tuple[str, int, int]],
            language: str) -> list[tuple[Any, list[Any]]]:
    """Names no rule classed that act as an organisation: a name a role cue marks ("Webuild
    will build", "the contract was awarded to Tornvik"), and, in Russian, a name in Latin script
    (CNPC, QazaqGaz), which the Russian press writes only for companies and brands."""
    from infratracker.intake.names import Found

    taken = [(f.start, f.end) for _c, fs in classified for f in fs] + [(s, e) for _t, s, e in hits]

    def free(start: int, end: int) -> bool:
        return not any(a < end and start < b for a, b in taken)

    def name_like(c: Any) -> bool:
        """Not a capitalised common word: a lone word needs an inner capital or to be an acronym
        ("AzerEnerji", "KTZ"), unless it neither opens the sentence nor follows "the" ("Track
        laying began", "the Bank said"); no figure ("USD180", "2021")."""
        if not c.text[:1].isalpha() or re.search(r"\d", c.words[0]) or c.text in NOT_AGENTS:
            return False
        if len(c.words) > 1 or c.text.isupper() or re.search(r"[a-z][A-Z]", c.text):
            return True
        return False  # a lone plain word ("Track", "Bank") is too often a common noun

    out: list[tuple[Any, list[Any]]] = []
    for c, fs in classified:
        if language == "en" and c is not None and not fs and free(c.start, c.end) and name_like(c) \
                and relations.roles(sentence, [relations.Mention("organisations", "", c.start, c.end)], language):
            fs = [Found("organisations", c.text, c.start, c.end, 0.5, {"organisation_type": "company"})]
            taken.append((c.start, c.end))
        out.append((c, fs))
    if language == "ru":
        for m in LATIN_NAME_RU.finditer(sentence):
            name = m.group().rstrip(".-")
            if len(name) >= 2 and name not in NOT_AGENTS and free(m.start(), m.start() + len(name)) \
                    and not re.fullmatch(r"[A-Z]{1,3}\d*|[IVXLC]+|.*\.(?:kz|ru|uz|kg|tj|az|ge|com|org|net|info)", name) \
                    and not re.search(r"-\d", name):  # "TAP-500" is a model, "Kapital.kz" the publisher
                out.append((None, [Found("organisations", name, m.start(), m.start() + len(name), 0.5,
                                         {"organisation_type": "company"})]))
    return out


# A geographic feature written in lower case after a name ("the Naryn river", "the Absheron
# peninsula", "Umnugovi aimag"): the feature is the place, named with its word.
GEO_FEATURES = {"river": "region", "lake": "sea", "peninsula": "region", "gorge": "region", "valley": "region",
                "bay": "sea", "island": "region", "field": "region", "aimag": "region", "province": "region",
                "region": "region", "oblast": "region", "district": "region", "county": "region", "basin": "region",
                "pass": "region", "delta": "region", "reservoir": "sea"}
GEO_FEATURE_AFTER = re.compile(r"^\s+(?P<word>(?:gas |oil |coal )?(?:" + "|".join(GEO_FEATURES) + r"))\b")


class NamedDrafts:
    """Names of drafted projects and organisations, found again in later sentences where no cue
    marks them ("The EBRD, which ..." after "the European Bank ... (EBRD) will lend"). Bounded:
    the first MAX names, one compiled pattern rebuilt only when a name is added."""

    MAX = 400

    def __init__(self) -> None:
        self.names: dict[str, tuple[str, str]] = {}
        self._pattern: re.Pattern[str] | None = None

    def add(self, names: list[str], kind: str, record_id: str) -> None:
        for name in names:
            if len(name) >= 3 and name not in self.names and len(self.names) < self.MAX:
                self.names[name] = (kind, record_id)
                self._pattern = None

    def find(self, sentence: str, mentions: list[Any]) -> list[Any]:
        if not self.names:
            return []
        if self._pattern is None:
            alternatives = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
        out = []
        for m in self._pattern.finditer(sentence):
            if not any(x.start < m.end() and m.start() < x.end for x in mentions):
                kind, record_id = self.names[m.group()]
                out.append(relations.Mention(kind, record_id, m.start(), m.end()))
        return out


def _inside(start: int, end: int, chunk: Any) -> bool:
    return chunk.start <= start and end <= chunk.end and (end - start) < (chunk.end - chunk.start)


DRAFT_KINDS = ("projects", "organisations", "people", "places", "agreements", "parties", "finance", "quantities",
               "status_events", "funding_constraints", "dates")
LINKING_KINDS = ("parties", "finance", "quantities", "status_events", "funding_constraints")
# Kinds drafted as records with an id of their own, which other proposals link to.
RECORD_KINDS = ("projects", "organisations", "people", "places", "agreements", "funding_constraints")


def detect(body: str, lexicon: Lexicon, language: str = "en", published: Any = None) -> dict[str, Any]:
    """Candidates in an article body, each with its whole sentence as evidence; in the draft,
    each with a confidence from 0 to 1 (how sure the rule that found it is)."""
    from infratracker.intake import names as names_mod
    from infratracker.intake import names_ru
    from infratracker.intake.dates import find_dates
    from infratracker.intake.numbers import money, quantities
    from infratracker.intake.text import sentences

    if isinstance(published, str):
        published = dt.date.fromisoformat(published)
    lang = "ru" if language.lower().startswith("ru") else "en"
    found: dict[str, dict[str, dict[str, Any]]] = {section: {} for section in SECTIONS.values()}
    draft: dict[str, list[dict[str, Any]]] = {k: [] for k in DRAFT_KINDS}
    seen: set[tuple[str, str]] = set()
    parents: list[str] = []  # projects named so far, for the sections named after them
    acronyms: dict[str, str] = {}  # "(TAPI)" after a name: later uses of the acronym are that name

    ids: dict[tuple[str, str], str] = {}  # a proposal's keys -> the id it was drafted with

    def add_draft(kind: str, key: str, entry: dict[str, Any]) -> str:
        """Adds the proposal unless it is one already made; returns its id, so that what else the
        sentence says of it (a role, a loan, a stage) names the same proposal."""
        # One thing named twice ("газопровод «X»", "проект «X»") is one proposal: its aliases count.
        keys = {(kind, k.casefold()) for k in [key, *(entry.get("aliases") or [])]
                if kind in ("projects", "organisations") or k == key}
        if kind == "projects":  # "the Bukhara–Miskin section" after "the Bukhara–Miskin railway section"
            keys |= {(kind, " ".join(t for t in tokens(k) if t not in ROUTE_WORDS))
                     for k in [key, *(entry.get("aliases") or [])] if re.search(r"\w[-–—]\w", k)}
        known = keys & seen
        if known:
            record_id = ids[next(iter(sorted(known)))]
            first = next((e for e in draft[kind] if e.get("id") == record_id), None)
            if first is not None and kind in ("projects", "organisations") and first["name"] in (entry.get("aliases") or []):
                # the name the acronym stands for, given after the acronym was used ("EBRD lends..."
                # in a headline, then "the European Bank for ... (EBRD)"): the record's name
                first["aliases"] = sorted({*(first.get("aliases") or []), first["name"]} - {entry["name"]})
                first["name"] = entry["name"]
                for k in keys:
                    ids[k] = record_id
                seen.update(keys)
            return record_id
        seen.update(keys)
        record_id = ""
        if kind in RECORD_KINDS:  # the id the record will keep, so proposals can link to it
            base = slugify(entry.get("name") or key)[:60].strip("-") or kind
            record_id, n = base, 2
            while record_id in taken_ids:
                record_id, n = f"{base}-{n}", n + 1
            taken_ids.add(record_id)
            entry = {"id": record_id, **entry}
        for k in keys:
            ids[k] = record_id
        draft[kind].append(entry)
        return record_id

    taken_ids: set[str] = set()
    # What "the project" means in a sentence that names none: the project named most often so
    # far (the latest of equals), as a news story keeps returning to its subject.
    story: list[relations.Mention] = []
    story_count: dict[str, tuple[int, int]] = {}
    named = NamedDrafts()  # drafted projects and organisations, to find again by name

    def add_record(table: str, record_id: str, sentence: str) -> None:
        entry = found[SECTIONS[table]].setdefault(record_id, {"id": record_id, "evidence": []})
        if len(entry["evidence"]) < 2 and all(e["quote"] != sentence for e in entry["evidence"]):
            entry["evidence"].append({"quote": sentence})

    boilerplate = False  # after an "About <issuer>" heading
    rates: dict[str, str] = {}  # the rates the previous sentence gave its units ("t" -> "t/a")
    for sentence in sentences(body, lang):
        mentions: list[relations.Mention] = []
        chunks = names_mod.chunks(sentence)
        classified = [(c, names_mod.classify(sentence, c)) for c in chunks]
        people = [(f.start, f.end) for _c, fs in classified for f in fs if f.kind == "people"]
        orgs = [c for c, fs in classified if any(f.kind == "organisations" for f in fs)]
        routes = [c for c, fs in classified if any(f.kind == "projects" for f in fs)]

        def accepted(table: str, start: int, end: int) -> bool:
            """A known name inside a longer proper name is no hit ("Caspian Service", "Vladimir
            Putin"), except a country or place that names a route ("Baku-Tbilisi-Kars railway")
            and a country that names an organisation ("Azerbaijan Railways")."""
            if any(s <= start and end <= e for s, e in people):
                return False
            for c in chunks:
                if _inside(start, end, c):
                    if table in ("places", "countries") and _of_place(sentence[c.start:c.end], sentence[start:end]):
                        return True  # "Kashgar of Xinjiang of China", "Andijan of Uzbekistan"
                    before = sentence[c.start:start].split()
                    if not sentence[end:c.end].strip() and names_mod.only_titles(before):
                        return True  # "President Pezeshkian", "Port Aktau"
                    if c in routes:  # "Baku-Tbilisi-Kars railway", not the "Green" of "Green Energy Corridor"
                        return (start == c.start or sentence[start - 1] in "-–—") and (
                            end == c.end or sentence[end:end + 1] in ("-", "–", "—"))
                    return table == "countries" and c in orgs
            return True

        geo = [(f.start, f.end) for _c, fs in classified for f in fs
               if f.kind in ("places", "organisations") and not f.extra.get("endpoint")]
        hits: list[tuple[str, int, int]] = []
        for hit, _text, start, end in lexicon.find(sentence):
            table = "places" if isinstance(hit, dict) else hit[0]
            hits.append((table, start, end))
            if not accepted(table, start, end):
                continue
            if table == "countries" and re.match(r"\$|\s*dollars?\b", sentence[end:end + 9]):
                continue  # "US$ 100 million", "US dollars": a currency
            if isinstance(hit, dict) and (tokens(sentence[start:end]) in COMMON_WORDS
                                          or ADJECTIVE_AFTER.match(sentence[end:]) or any(
                    s <= start and end <= e and e - s > end - start for s, e in geo)):
                continue  # "March 12"; the Vladimir region is not the town of Vladimir
            if table == "places" and (DATELINE.match(sentence[start:]) or _dateline(sentence, start, end)):
                continue
            if isinstance(hit, dict):
                feature = GEO_FEATURE_AFTER.match(sentence[end:])
                if feature:  # "the Naryn river" is the river, not the town of Naryn
                    name = f"{sentence[start:end]} {feature['word']}"
                    add_draft("places", name, {"name": name, "place_type": GEO_FEATURES[feature["word"].split()[-1]],
                                               "confidence": 0.6, "quote": sentence})
                else:
                    add_draft("places", hit["name"], {**hit, "confidence": 0.7, "quote": sentence})
            else:
                add_record(hit[0], hit[1], sentence)
                mentions.append(relations.Mention(hit[0], hit[1], start, end))
        classified = _agents(sentence, classified, hits, lang)
        if lang == "ru":
            ru_found = names_ru.find(sentence, lexicon.is_ru_country)
            classified.append((None, ru_found))
            ru_people = [(f.start, f.end) for f in ru_found if f.kind == "people"]
            ru_orgs = [(f.start, f.end) for f in ru_found if f.kind == "organisations"]
            quoted = names_ru.quoted_spans(sentence)
            for (table, value), start, end in lexicon.find_ru(sentence):
                if any(s <= start < e for s, e in ru_people + quoted) or (
                        table == "places" and any(s <= start < e for s, e in ru_orgs)):
                    continue  # "Ерлан Жумабеков", «Западная Европа — Западный Китай», "Министерство ... Узбекистана"
                if table == "places" and (DATELINE.match(sentence[start:]) or RIVER_BEFORE.search(sentence[:start])):
                    continue
                if table == "countries" or isinstance(value, str):
                    add_record(table, value, sentence)
                    mentions.append(relations.Mention(table, value, start, end))
                else:
                    add_draft("places", value["name"], {**value, "confidence": 0.7, "quote": sentence})
        if lang == "en":
            classified += names_mod.coordinated(sentence, classified, hits)
            for c, fs in list(classified):  # "Kashgar of Xinjiang of China": each part a place
                if c is None or fs or " of " not in c.text or not any(
                        t in ("places", "countries") and c.start <= s and e <= c.end for t, s, e in hits):
                    continue
                offset = c.start
                for part in c.text.split(" of "):
                    if _of_place(c.text, part):
                        classified.append((None, [names_mod.Found("places", part, offset, offset + len(part), 0.5, {})]))
                    offset += len(part) + 4
        for _chunk, fs in classified:
            for f in fs:
                hit = lexicon.names.get(tokens(f.name))
                if hit and hit[0] == "countries" or tokens(f.name) in lexicon.new_places:
                    continue  # found above, with its code or gazetteer id
                if lang == "ru" and f.kind == "places" and lexicon.is_ru_country(f.name):
                    continue
                if f.kind == "places" and re.search(r"\w[-–—]\w", f.name) and all(
                        (lexicon.names.get(tokens(p)) or ("",))[0] == "countries" for p in re.split(r"[-–—]", f.name)):
                    continue  # "the Kazakhstan-China border crossing" is between two countries
                known = lexicon.link(f.kind, f.name)
                if known:
                    add_record(f.kind, known, sentence)
                    mentions.append(relations.Mention(f.kind, known, f.start, f.end))
                    continue
                name = f.name
                if f.kind in ("projects", "organisations"):
                    for alias in f.extra.get("aliases") or []:
                        acronyms.setdefault(alias, f.name)
                if f.kind == "projects" and SECTION.search(name):
                    # A section belongs to the project the story is about, the last one named,
                    # unless its name already says which.
                    if parents and len(tokens(name)) > 1 and not set(tokens(name)) & set(tokens(parents[-1])) - {
                            "railway", "section", "участок"}:
                        name = (f"{parents[-1]}, {name[:1].lower()}{name[1:]}" if lang == "ru"
                                else f"{parents[-1]} {name}")
                elif f.kind == "projects" and not SECTION.search(f.name.split(" ")[0]):
                    parents.append(f.name)
                feature = GEO_FEATURE_AFTER.match(sentence[f.end:]) if f.kind == "places" and lang == "en" else None
                if feature and not name.lower().endswith(feature["word"]):
                    name = f"{name} {feature['word']}"
                # a person's title is the `position` field of `people`
                entry = {"name": name, **{("position" if k == "title" else k): v for k, v in f.extra.items()
                                          if k != "endpoint"},
                         "confidence": f.confidence, "quote": sentence}
                record_id = add_draft(f.kind, name, entry)
                if f.kind in ("projects", "organisations") and f.end > f.start:
                    mentions.append(relations.Mention(f.kind, record_id, f.start, f.end))
                    named.add([f.name, *(f.extra.get("aliases") or [])], f.kind, record_id)
        mentions += named.find(sentence, mentions)
        # Figures and dates: not in an issuer's boilerplate ("About AIIB" and what follows, "To date,
        # the Bank has invested..."), and no dates from a heading that repeats the body.
        boilerplate = boilerplate or bool(ABOUT_HEADING.match(sentence))
        dated: list[dict[str, Any]] = []
        linked = Linker(sentence, mentions, story, lang, published)
        if not (boilerplate or INSTITUTION_RECORD.search(sentence)):
            qs = quantities(sentence, lang, published, rates)
            rates = {q["unit"].split("/")[0]: q["unit"] for q in qs if "/" in q["unit"]}
            # "In 2025 the line carried 11.4 million tonnes": the year a volume was carried in is
            # the volume's year (target_year), not the date of an event; a target ("by 2030") is both.
            reported = {str(q["target_year"]) for q in qs if q["unit"].endswith("/a") and q.get("target_year")
                        and (not published or q["target_year"] <= published.year)}
            dated = [] if HEADING.match(sentence) else find_dates(sentence, published, lang)
            for d in dated:
                if d["date"] in reported and not TARGET_WORDS.match(d["text"]):
                    continue
                add_draft("dates", d["text"] + d["date"], {**d, "confidence": 0.8, "quote": sentence})
            for a in money(sentence, lang):
                add_draft("finance", f"{a['amount']} {a['currency']} {sentence}",
                          {**linked.finance(a), "quote": sentence})
            for q in qs:
                add_draft("quantities", f"{q['value']} {q['unit']} {sentence}",
                          {**linked.quantity(q), "quote": sentence})
            for key, entry in linked.parties():
                add_draft("parties", key, {**entry, "quote": sentence})
            for key, entry in linked.status_events(published, dated):
                add_draft("status_events", key, {**entry, "quote": sentence})
            constraint = linked.constraint()
            if constraint:
                add_draft("funding_constraints", constraint["name"], {**constraint, "quote": sentence})
        for m in mentions:
            if m.kind == "projects":
                story_count[m.ref] = (story_count.get(m.ref, (0, 0))[0] + 1, len(story_count) + 1)
                if not story or story_count[m.ref] >= story_count.get(story[0].ref, (0, 0)):
                    story[:] = [m]
        if AGREEMENT_WORDS.search(sentence):
            add_draft("agreements", sentence, {**linked.agreement(published, dated), "quote": sentence})
    surnames = {p["name"].split()[-1] for p in draft["people"] if len(p["name"].split()) > 1}
    draft["people"] = [p for p in draft["people"] if len(p["name"].split()) > 1 or p["name"] not in surnames]
    for kind in ("projects", "organisations"):  # "TAPI gas pipeline" beside "the ...–India (TAPI) pipeline"
        def later_use(entry: dict[str, Any]) -> bool:
            first, _, rest = entry["name"].partition(" ")
            return first in acronyms and acronyms[first] != entry["name"] and rest == rest.lower()
        dropped = [e for e in draft[kind] if later_use(e)]
        draft[kind] = [e for e in draft[kind] if e not in dropped]
        for e in dropped:  # what linked to the later use links to the name it abbreviates
            full = ids.get((kind, acronyms[e["name"].partition(" ")[0]].casefold()))
            for linked in (x for k in LINKING_KINDS for x in draft[k]):
                for key, value in list(linked.items()):
                    if key.endswith("_id") and value == e["id"] and full:
                        linked[key] = full
    records = {section: sorted(entries.values(), key=lambda e: e["id"]) for section, entries in found.items() if entries}
    return {**records, "draft": {k: v for k, v in draft.items() if v}}


__all__ = ["Lexicon", "build_lexicon", "detect", "tokens"]
