"""Dates as the press states them, read against the publication date, in English and Russian.

The value is an ISO partial date: a day `YYYY-MM-DD`, a month `YYYY-MM`, a year `YYYY`, or a
period `start/end` ("the second half of 2026" -> `2026-07/2026-12`). dateparser was tried
first (docs/drafter.md): it returns a full datetime for "October 2017" (a day it made up),
does not read "the second half of 2026" or "в сентябре прошлого года", and reads "on Thursday"
in an article published on a Thursday as the week before. So the patterns are ours; each is
linear, and the relative ones use the publication date.
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

EN_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
             "october", "november", "december"]
EN_MONTH = r"(?P<mon>January|February|March|April|May|June|July|August|September|October|November|December|" \
           r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
RU_MONTH_STEMS = ["январ", "феврал", "март", "апрел", "ма", "июн", "июл", "август", "сентябр", "октябр",
                  "ноябр", "декабр"]
RU_MONTH = r"(?P<mon>январ[ьяе]|феврал[ьяе]|марта?|марте|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|августа?|августе|" \
           r"сентябр[ьяе]|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе])"
EN_MONTH_NAMES = "January|February|March|April|May|June|July|August|September|October|November|December"
# "январь–сентябрь", "январе-сентябре", "января — сентября": any case form, for month ranges
RU_MONTH_ANY = r"(?P<mon>(?:январ|феврал|март|апрел|ма|июн|июл|август|сентябр|октябр|ноябр|декабр)[ьяеюй]?)"
RU_MONTH_ANY2 = RU_MONTH_ANY.replace("(?P<mon>", "(?:")
EN_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
RU_WEEKDAYS = ["понедельник", "вторник", "сред", "четверг", "пятниц", "суббот", "воскресень"]
YEAR = r"(?P<year>(?:19|20)\d{2})"
ORD_EN = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "last": 4}
ORD_RU = {"перв": 1, "втор": 2, "трет": 3, "четверт": 4, "четвёрт": 4, "i": 1, "ii": 2, "iii": 3, "iv": 4}
REL_YEAR_EN = r"(?P<rel>this year|the current year|the year|next year|last year)"
REL_YEAR_RU = r"(?P<rel>этого года|текущего года|нынешнего года|прошлого года|следующего года|будущего года)"


def _month_en(word: str) -> int:
    w = word.lower().rstrip(".")[:3]
    return [m[:3] for m in EN_MONTHS].index(w) + 1


def _month_ru(word: str) -> int:
    w = word.lower()
    for i, stem in enumerate(RU_MONTH_STEMS):
        if w.startswith(stem) and not (stem == "ма" and w.startswith("мар")):
            return i + 1
    raise ValueError(word)


def _rel_year(rel: str | None, base: dt.date) -> int:
    rel = (rel or "").lower()
    if "last" in rel or "прошл" in rel:
        return base.year - 1
    if "next" in rel or "следующ" in rel or "будущ" in rel:
        return base.year + 1
    return base.year


def _ym(y: int, m: int) -> str:
    return f"{y}-{m:02d}"


def _half(n: int, y: int) -> str:
    return f"{y}-01/{y}-06" if n == 1 else f"{y}-07/{y}-12"


def _quarter(n: int, y: int) -> str:
    return f"{y}-{3 * n - 2:02d}/{y}-{3 * n:02d}"


def _year_of(m: re.Match, base: dt.date) -> int:
    return int(m["year"]) if m.groupdict().get("year") else _rel_year(m.groupdict().get("rel"), base)


def _weekday(index: int, base: dt.date) -> str:
    """The latest such weekday on or before publication: news reports what has happened (find_dates
    moves it a week on when the nearest tense cue is a future one: "will meet on Friday")."""
    return (base - dt.timedelta(days=(base.weekday() - index) % 7)).isoformat() + "~"


def _month_no_year(month: int, base: dt.date, last: bool = False, bare: bool = False) -> str:
    """'in September' in an article of March means this September; 'last December', the past one.
    A bare month is marked (`~`) for find_dates to read against the sentence's tense."""
    year = base.year
    if last and month >= base.month:
        year -= 1
    return _ym(year, month) + ("~" if bare else "")


# The tense of a sentence, for a month named without its year: "was signed in November" in an
# article of March is last November; "will open in February" in an article of October is next
# February. A future cue wins over a past one ("said the line will open in May").
FUTURE = {"en": re.compile(r"\b(?:will|shall|is to|are to|to be|is due|are due|plans? to|planned|planning|expects?|"
                           r"expected|scheduled|aims? to|intends?|would|next|could be|(?-i:may|might|should))\b", re.I),
          "ru": re.compile(r"(?<!\w)(?:будет|будут|планиру\w+|намерен\w*|ожида\w+|долж(?:ен|на|но|ны)|мож(?:ет|ем|ете)|могут|"
                           r"предстоит|рассчитыва\w+|намеч\w+|следующ\w+)(?!\w)", re.I)}
PAST = {"en": re.compile(r"\b(?:was|were|had|did|signed|began|started|opened|launched|completed|finished|agreed|"
                         r"approved|held|took place|announced|reached|carried|handled|left|arrived|ended|"
                         r"earlier|ago|[a-z]{3,}(?<!e)(?<!hundr)(?<!sea)ed)\b", re.I),
        "ru": re.compile(r"(?<!\w)(?:был\w?|ранее)(?!\w)", re.I)}
RU_VERB = re.compile(r"(?<!\w)[а-яё]{3,}(?:л|ла|ло|ли|лся|лась|лось|лись|ет|ут|ют|ит|ат|ят|ется|ются|ится|ятся)(?!\w)", re.I)


def _tense_cues(sentence: str, lang: str) -> list[tuple[int, str]]:
    """(position, 'futr' or 'past') of every tense cue: the words above, and Russian verbs that
    pymorphy3 reads as future or past (the dictionary tells "откроют" from "маршрут")."""
    cues = [(m.start(), "futr") for m in FUTURE[lang].finditer(sentence)]
    # "to be held", "will be completed": a participle after a future or modal "be" is no past
    cues += [(m.start(), "past") for m in PAST[lang].finditer(sentence)
             if not re.search(r"\b(?:to|will|would|shall|may|might|could|should|must|can)\s+(?:be|have been)\s+$",
                              sentence[max(0, m.start() - 20):m.start()], re.I)]
    if lang == "ru":
        from infratracker.intake.morph import parses

        for m in RU_VERB.finditer(sentence):
            ps = parses(m.group(0).lower())
            if ps and "VERB" in ps[0].tag:
                cues += [(m.start(), t) for t in ("futr", "past") if t in ps[0].tag]
    return cues


def _nearest_tense(sentence: str, language: str, at: int) -> str | None:
    cues = _tense_cues(sentence, "ru" if language == "ru" else "en")
    return min(cues, key=lambda c: abs(c[0] - at))[1] if cues else None


def _by_tense(value: str, sentence: str, base: dt.date, language: str, at: int = 0) -> str:
    """The month's year by the tense cue nearest to it ("Как сообщил источник, контракт может
    быть подписан в декабре": "может", not "сообщил")."""
    y, mo = (int(x) for x in value.split("-"))
    cues = _tense_cues(sentence, "ru" if language == "ru" else "en")
    if not cues:
        return value
    tense = min(cues, key=lambda c: abs(c[0] - at))[1]
    if tense == "futr":
        return _ym(y + 1, mo) if mo < base.month else value
    return _ym(y - 1, mo) if mo > base.month else value


def _month_range(m1: int, m2: int, m: re.Match, base: dt.date) -> str | None:
    """'January-September 2026' -> 2026-01/2026-09; without a year, the latest such period."""
    if m2 <= m1:
        return None
    if m.groupdict().get("year") or m.groupdict().get("rel"):
        year = _year_of(m, base)
    else:
        year = base.year if m2 <= base.month else base.year - 1
    return f"{year}-{m1:02d}/{year}-{m2:02d}"


def _rel_month(rel: str, base: dt.date) -> str:
    """'next month' / 'в следующем месяце' and 'last month' / 'в прошлом месяце' by the publication date."""
    rel = rel.lower()
    step = 1 if rel.startswith(("next", "следующ")) else -1 if rel.startswith(("last", "прошл")) else 0
    index = base.year * 12 + base.month - 1 + step
    return _ym(index // 12, index % 12 + 1)


def _rel_week(rel: str, base: dt.date) -> str:
    """'last week' / 'на прошлой неделе': Monday to Sunday of that week, by the publication date."""
    rel = rel.lower()
    step = 1 if rel.startswith(("next", "следующ")) else -1 if rel.startswith(("last", "прошл")) else 0
    monday = base - dt.timedelta(days=base.weekday()) + dt.timedelta(weeks=step)
    return f"{monday.isoformat()}/{(monday + dt.timedelta(days=6)).isoformat()}"


def _day_before(base: dt.date) -> str:
    return (base - dt.timedelta(days=1)).isoformat()


def _part(part: str, y: int) -> str:
    """'early 2027' -> 2027-01/2027-04, 'late 2027' -> 2027-10/2027-12, 'mid-2027' -> 2027-06."""
    return {"early": f"{y}-01/{y}-04", "late": f"{y}-10/{y}-12", "mid": f"{y}-06"}[part.lower()]


def _season(season: str, y: int) -> str:
    start = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9}[season.lower()]
    return f"{y}-{start:02d}/{y}-{start + 2:02d}"


def _day(y: int, m: int, d: int) -> str | None:
    try:
        return dt.date(y, m, d).isoformat()
    except ValueError:
        return None


Rule = tuple[re.Pattern, Callable[[re.Match, dt.date], str | None]]
# Rules that can only match when one of their words is in the sentence: tried only then (the
# sentence is lowercased once), which keeps a 2 MiB capture's dates fast.
GATES: dict[re.Pattern, tuple[str, ...]] = {}


def _gated(keys: tuple[str, ...], pattern: re.Pattern, to_iso: Callable[[re.Match, dt.date], str | None]) -> Rule:
    GATES[pattern] = keys
    return pattern, to_iso
# "12.03.2026" (day first, as in Russian and most of the region's English press)
NUMERIC_DAY = re.compile(r"(?<![\d.])(?P<day>\d{1,2})\.(?P<mon>\d{1,2})\.(?P<year>(?:19|20)\d{2})(?!\.?\d)")


def _ord_ru(word: str) -> int:
    w = word.lower()
    if re.fullmatch(r"[iv]+", w):
        return ORD_RU[w]  # "II" is not "I"
    if w[:1].isdigit():
        return int(w[0])  # "1-м полугодии", "3-й квартал"
    return next(v for k, v in ORD_RU.items() if w.startswith(k))


EN_RULES: list[Rule] = [
    _gated(("between", "from"), re.compile(rf"\b(?i:between|from) (?P<y1>(?:19|20)\d{{2}}) (?i:and|to|through|until) "
                                          rf"(?P<y2>(?:19|20)\d{{2}})\b"),
           lambda m, b: f"{m['y1']}/{m['y2']}" if m["y1"] < m["y2"] else None),
    _gated(("year-end", "year end", "end-"), re.compile(
        rf"\b(?:(?:by|at|before|until|to) )?(?:the )?(?:year[- ]end(?: of)?|end-)(?: ?{YEAR})?\b", re.I),
        lambda m, b: _ym(int(m["year"]) if m["year"] else b.year, 12) if m["year"] or "year" in m.group(0).lower()
        else None),
    _gated(("middle of",), re.compile(rf"\b(?:by |in |until )?(?:the )?middle of (?:{YEAR}|{REL_YEAR_EN})", re.I),
           lambda m, b: _ym(_year_of(m, b), 6)),
    _gated(("half", "quarter"), re.compile(
        r"\b(?i:in|by|during|for|until) the (?P<ord>first|second|third|fourth|1st|2nd|3rd|4th) (?P<what>half|quarter)\b"
        r"(?! of)(?!,? (?:19|20)\d{2})", re.I),
        lambda m, b: (_half if m["what"].lower() == "half" else _quarter)(ORD_EN[m["ord"].lower()], b.year)
        if m["what"].lower() == "quarter" or ORD_EN[m["ord"].lower()] <= 2 else None),
    _gated(('half',), re.compile(rf"\b(?:(?:the )?(?P<ord>first|second|1st|2nd) half of (?:{YEAR}|{REL_YEAR_EN}))", re.I),
     lambda m, b: _half(ORD_EN[m["ord"].lower()], _year_of(m, b))),
    _gated(('quarter',), re.compile(rf"\b(?:(?:the )?(?P<ord>first|second|third|fourth|last|1st|2nd|3rd|4th) quarter of (?:{YEAR}|{REL_YEAR_EN}))", re.I),
     lambda m, b: _quarter(ORD_EN[m["ord"].lower()], _year_of(m, b))),
    (re.compile(rf"\bQ(?P<q>[1-4]) {YEAR}\b"), lambda m, b: _quarter(int(m["q"]), int(m["year"]))),
    _gated(('end of',), re.compile(rf"\b(?:by |before |until |to |at )?(?:the )?end of (?:{YEAR}|{REL_YEAR_EN})", re.I),
     lambda m, b: _ym(_year_of(m, b), 12)),
    _gated(('beginning of', 'start of'), re.compile(rf"\b(?:by |in |until )?(?:the )?(?:beginning|start) of (?:{YEAR}|{REL_YEAR_EN})", re.I),
     lambda m, b: _ym(_year_of(m, b), 1)),
    _gated(('early', 'late', 'mid'), re.compile(rf"\b(?:in |by |until )?(?P<part>early|late|mid)[- ](?:{YEAR})\b", re.I),
     lambda m, b: _part(m["part"], int(m["year"]))),
    _gated(('early', 'late', 'mid'), re.compile(rf"\b(?:in |by |until )?(?P<part>early|late|mid)[- ](?:{REL_YEAR_EN})\b", re.I),
     lambda m, b: _part(m["part"], _year_of(m, b))),
    _gated(('spring', 'summer', 'autumn', 'fall'), re.compile(rf"\b(?:in |by |until |from |since )?(?:the )?(?P<season>spring|summer|autumn|fall)(?: of)? "
                rf"(?:{YEAR}|{REL_YEAR_EN})\b", re.I),
     lambda m, b: _season(m["season"], _year_of(m, b))),
    (re.compile(rf"\b(?P<h>H[12]|[12]H) {YEAR}\b"), lambda m, b: _half(int(m["h"].strip("H")), int(m["year"]))),
    _gated(('-', '–', '—', ' to ', ' through '), re.compile(rf"\b(?:(?i:from) )?{EN_MONTH}(?:\s?[–—-]\s?|(?: (?i:to|through) ))(?P<mon2>{EN_MONTH_NAMES})(?:,? (?:{YEAR}|{REL_YEAR_EN}))?\b"),
     lambda m, b: _month_range(_month_en(m["mon"]), _month_en(m["mon2"]), m, b)),
    (re.compile(rf"\b(?:on )?(?P<day>\d{{1,2}})(?:st|nd|rd|th)? {EN_MONTH}(?:,? {YEAR})?\b", re.I),
     lambda m, b: _day(int(m["year"] or b.year), _month_en(m["mon"]), int(m["day"]))),
    (re.compile(rf"\b(?:on )?{EN_MONTH} (?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? {YEAR})?(?!\d)", re.I),
     lambda m, b: _day(int(m["year"] or b.year), _month_en(m["mon"]), int(m["day"]))),
    (re.compile(rf"\b(?:(?:in|since|from|until|by|before|after|of|early|late|mid-) )?(?:(?:early|late) |mid-? ?|end-)?{EN_MONTH},? {YEAR}\b", re.I),
     lambda m, b: _ym(int(m["year"]), _month_en(m["mon"]))),
    (re.compile(rf"\blast (?P<mon>{EN_MONTH_NAMES})\b(?! \d)", re.I),
     lambda m, b: _month_no_year(_month_en(m["mon"]), b, last=True)),
    (re.compile(rf"\b(?:(?i:in|since|until|by|from) (?:(?i:early|late) |(?i:mid|end)-|(?i:mid) )?|(?i:early|late) |(?i:mid|end)-)"
                rf"(?P<mon>{EN_MONTH_NAMES})\b(?! \d)"),
     lambda m, b: _month_no_year(_month_en(m["mon"]), b, bare=True)),
    (re.compile(r"\b(?P<y1>(?:19|20)\d{2})[–-](?P<y2>(?:19|20)\d{2})\b"), lambda m, b: f"{m['y1']}/{m['y2']}"),
    (re.compile(r"\b(?P<iso>(?:19|20)\d{2}-\d{2}-\d{2})\b"), lambda m, b: m["iso"]),
    (NUMERIC_DAY, lambda m, b: _day(int(m["year"]), int(m["mon"]), int(m["day"]))),
    (re.compile(rf"\b(?i:in|by|since|until|till|from|before|after|through|throughout|during|starting|as of|of|than|"
                rf"as early as|around|beyond) {YEAR}\b(?![-–]\d)"),
     lambda m, b: m["year"]),
    (re.compile(r"\b(?P<rel>last year|next year|this year)\b", re.I), lambda m, b: str(_rel_year(m["rel"], b))),
    (re.compile(r"\b(?P<rel>next|last|this) month\b", re.I), lambda m, b: _rel_month(m["rel"], b)),
    (re.compile(r"\b(?P<rel>next|last|this) week\b", re.I), lambda m, b: _rel_week(m["rel"], b)),
    (re.compile(r"\byesterday\b", re.I), lambda m, b: _day_before(b)),  # not "a day earlier": before what?
    (re.compile(rf"\b(?:(?i:at|by|until|before|in|from) )?(?:the )?(?i:end|beginning|start) of (?P<mon>{EN_MONTH_NAMES})\b(?! \d)"),
     lambda m, b: _month_no_year(_month_en(m["mon"]), b, bare=True)),
    (re.compile(r"\b(?<!every )(?<!each )(?:on |last |this )?(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|"
                r"Sunday)\b(?!s)"),
     lambda m, b: _weekday(EN_WEEKDAYS.index(m["wd"].lower()), b)),
]

RU_YEAR_TAIL = r"(?:\s+(?:года|году|гг?\.))?"  # "года" without the full stop that may close the sentence
RU_RULES: list[Rule] = [
    _gated(('полугоди', 'половин'), re.compile(rf"(?P<ord>перв\w+|втор\w+|I|II|[12]-?(?:м|й|ом|ое|е))\s+(?:полугоди\w+|половин\w+)\s+(?:{YEAR}{RU_YEAR_TAIL}|{REL_YEAR_RU})", re.I),
     lambda m, b: _half(_ord_ru(m["ord"]), _year_of(m, b))),
    _gated(('квартал',), re.compile(rf"(?P<ord>перв\w+|втор\w+|трет\w+|четв[её]рт\w+|I|II|III|IV|[1-4]-?(?:м|й|ом|ий))\s+квартал\w*\s+(?:{YEAR}{RU_YEAR_TAIL}|{REL_YEAR_RU})", re.I),
     lambda m, b: _quarter(_ord_ru(m["ord"]), _year_of(m, b))),
    _gated(('конц',), re.compile(rf"(?:до|к)\s+конц[ауе]\s+(?:{YEAR}{RU_YEAR_TAIL}|{REL_YEAR_RU}|(?P<this>года))", re.I),
     lambda m, b: _ym(_year_of(m, b), 12)),
    _gated(('начал', 'середин', 'конц'), re.compile(rf"(?<!\w)(?:в|с|до|к)\s+(?P<part>начал[ауе]|середин[аеуы]|конц[ауе])\s+(?:{YEAR}{RU_YEAR_TAIL}|"
                rf"{REL_YEAR_RU}|(?P<this>года))", re.I),
     lambda m, b: _part({"нач": "early", "сер": "mid", "кон": "late"}[m["part"][:3].lower()], _year_of(m, b))),
    _gated(('весн', 'лет', 'осен'), re.compile(rf"(?<!\w)(?P<season>весн\w*|лет\w*|осен\w*)\s+(?:{YEAR}{RU_YEAR_TAIL}|{REL_YEAR_RU})", re.I),
     lambda m, b: _season({"вес": "spring", "лет": "summer", "осе": "autumn"}[m["season"][:3].lower()],
                          _year_of(m, b))),
    _gated(('-', '–', '—', ' по '), re.compile(rf"(?<!\w)(?:с\s+)?{RU_MONTH_ANY}(?:\s?[–—-]\s?|\s+по\s+)(?P<mon2>{RU_MONTH_ANY2})(?:\s+(?:{YEAR}{RU_YEAR_TAIL}|{REL_YEAR_RU}))?",
                re.I),
     lambda m, b: _month_range(_month_ru(m["mon"]), _month_ru(m["mon2"]), m, b)),
    (re.compile(rf"(?<!\w)(?P<day>\d{{1,2}})\s+{RU_MONTH}(?:\s+{YEAR}{RU_YEAR_TAIL})?(?!\w)", re.I),
     lambda m, b: _day(int(m["year"] or b.year), _month_ru(m["mon"]), int(m["day"]))),
    (re.compile(rf"(?<!\w){RU_MONTH}\s+{YEAR}{RU_YEAR_TAIL}", re.I),
     lambda m, b: _ym(int(m["year"]), _month_ru(m["mon"]))),
    (re.compile(rf"(?<!\w)(?:в|с|до|к|после)\s+{RU_MONTH}\s+{REL_YEAR_RU}", re.I),
     lambda m, b: _ym(_year_of(m, b), _month_ru(m["mon"]))),
    (re.compile(rf"(?<!\w)(?:в|с|до|к|после|прошлом)\s+{RU_MONTH}(?!\w)(?!\s+\d)", re.I),
     lambda m, b: _month_no_year(_month_ru(m["mon"]), b, last=m.group(0).lower().startswith("прошл"),
                                 bare=not m.group(0).lower().startswith("прошл"))),
    (re.compile(r"(?<!\w)с\s+(?P<y1>(?:19|20)\d{2})\s+(?:года\s+|г\.\s+)?по\s+(?P<y2>(?:19|20)\d{2})\s+(?:год\w*|г\.)", re.I),
     lambda m, b: f"{m['y1']}/{m['y2']}"),
    (NUMERIC_DAY, lambda m, b: _day(int(m["year"]), int(m["mon"]), int(m["day"]))),
    (re.compile(r"(?<!\d)(?P<y1>(?:19|20)\d{2})\s?[–-]\s?(?P<y2>(?:19|20)\d{2})\s+(?:годах|годы|гг\.?)"),
     lambda m, b: f"{m['y1']}/{m['y2']}"),
    (re.compile(rf"(?<!\w)(?:в|к|до|с|по|после|ранее|позднее|от)\s+{YEAR}(?:\s+(?:год(?:у|а)?|г\.)|-м(?!\w)(?:\s+году)?)",
                re.I),
     lambda m, b: m["year"]),
    (re.compile(r"(?<!\w)в (?P<rel>следующем|прошлом|этом|текущем) месяце(?!\w)", re.I),
     lambda m, b: _rel_month(m["rel"], b)),
    (re.compile(r"(?<!\w)на (?P<rel>следующей|прошлой|этой|текущей) неделе(?!\w)", re.I),
     lambda m, b: _rel_week(m["rel"], b)),
    (re.compile(r"(?<!\w)(?:вчера|накануне)(?!\w)", re.I), lambda m, b: _day_before(b)),
    (re.compile(rf"(?<!\w)(?:в|к|до)\s+(?:конц[еау]|начал[еау])\s+{RU_MONTH}(?!\w)(?!\s+\d)", re.I),
     lambda m, b: _month_no_year(_month_ru(m["mon"]), b, bare=True)),
    (re.compile(r"(?<!\w)(?P<rel>в прошлом году|в этом году|в следующем году|в текущем году|в нынешнем году)(?!\w)", re.I),
     lambda m, b: str(b.year - 1 if "прошл" in m["rel"].lower() else b.year + 1 if "следующ" in m["rel"].lower() else b.year)),
    (re.compile(r"(?<!\w)(?<!кажд\w\w )во?\s+(?P<wd>понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье)(?!\w)",
                re.I),
     lambda m, b: _weekday(next(i for i, s in enumerate(RU_WEEKDAYS) if m["wd"].lower().startswith(s)), b)),
]


# A wire story's dateline, closed by a full stop or an agency: "BAKU, Azerbaijan, March 12.",
# "MOSCOW. Aug 21 (Interfax) -", "Baku, 3 April, AZERTAC" (not a press release's "Manila,
# April 2, 2026 – The Board approved...", whose date is the news);
# "МОСКВА, 15 июля — РИА Новости."; a byline: "By Farid Guliyev · 10 September 2026",
# "18 June 2026, 14:25 Aigerim Tokayeva"; a page's title line with "|". They repeat the day of
# publication, no event's date.
DATELINE_BEFORE = re.compile(r"^[A-ZА-ЯЁ][\w.'’ -]{0,40}(?:,\s*[A-ZА-ЯЁ][\w.'’ -]{0,30})?[,.]\s*$")
AGENCY_AFTER = re.compile(r"^(?:\.\s|[.,]?\s*(?:$|/[^/]{1,30}/|\([^()]{1,30}\)|[—–-]\s*[A-ZА-ЯЁ][\w-]*(?: [A-ZА-ЯЁ][\w-]*){0,2}\s*(?:\.|$)|"
                          r"[A-ZА-ЯЁ][\w.-]*(?: [A-ZА-ЯЁ][\w.-]*){0,2}\s*(?:[—–:-]|$)))")
BYLINE_WORDS = re.compile(r"[^\W\d_]+")
BYLINE_LOWER = {"by", "updated", "published", "posted", "am", "pm", "gmt", "utc", "автор", "обновлено", "опубликовано"}


def _stamp(sentence: str, start: int, end: int, value: str, published: dt.date | None) -> bool:
    """True for a dateline's or byline's date: the day of publication (or the day before), in a
    sentence that is only that stamp, or after a town in a wire story's opening before its agency."""
    if published is None or value not in (published.isoformat(), (published - dt.timedelta(days=1)).isoformat()):
        return False
    words = BYLINE_WORDS.findall(sentence[:start] + " " + sentence[end:])
    if len(words) <= 6 and all(w[:1].isupper() or w.lower() in BYLINE_LOWER for w in words) and (
            not sentence[:start].strip() or re.search(r"(?:[,.·|:—–-]|\d{1,2}:\d{2})\s*$", sentence[:start])):
        return True
    if re.search(r"\s[|·]\s", sentence):
        return True  # a page's title line: "Headline - Agency, 15.07.2026 | Agency"
    return bool(DATELINE_BEFORE.match(sentence[:start]) and AGENCY_AFTER.match(sentence[end:end + 40]))


DATE_HINT = re.compile(r"\d|year|month|week|yesterday|недел|вчера|накануне|quarter|half|месяц|квартал|полугоди|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|monday|tuesday|wednesday|thursday|"
                       r"friday|saturday|sunday|год|январ|феврал|март|апрел|ма[йяе]|июн|июл|август|сентябр|октябр|"
                       r"ноябр|декабр|понедельник|вторник|сред|четверг|пятниц|суббот|воскресен", re.I)


def find_dates(sentence: str, published: dt.date | None, language: str = "en") -> list[dict[str, Any]]:
    """Dates in a sentence, earliest rule first: "12 March 2026" is one date, not also "March 2026".
    Without a publication date, relative dates ("last December") are left out; the date of a
    dateline or byline that only repeats the day of publication is left out too."""
    if not DATE_HINT.search(sentence):
        return []  # no digit, month, weekday or year word: no rule can match
    base = published
    out: list[dict[str, Any]] = []
    taken: list[range] = []
    rules = RU_RULES if language == "ru" else EN_RULES
    lower = sentence.lower()
    for pattern, to_iso in rules:
        keys = GATES.get(pattern)
        if keys and not any(k in lower for k in keys):
            continue
        for m in pattern.finditer(sentence):
            if any(m.start() in r or m.end() - 1 in r for r in taken):
                continue
            needs_base = not m.groupdict().get("year") and "y1" not in m.groupdict() and "iso" not in m.groupdict()
            if base is None and needs_base:
                continue
            try:
                value = to_iso(m, base or dt.date(1900, 1, 1))
            except (ValueError, StopIteration):
                continue
            if value and value.endswith("~"):
                if len(value) == 11:  # a weekday
                    value = value[:-1]
                    if base and value != base.isoformat() and _nearest_tense(sentence, language, m.start()) == "futr":
                        value = (dt.date.fromisoformat(value) + dt.timedelta(days=7)).isoformat()
                else:
                    value = _by_tense(value[:-1], sentence, base, language, m.start()) if base else value[:-1]
            if value:
                taken.append(range(m.start(), m.end()))
                if _stamp(sentence, m.start(), m.end(), value, published):
                    continue
                out.append({"text": m.group(0).strip(), "date": value, "at": m.start()})
    out.sort(key=lambda d: d.pop("at"))
    return out


__all__ = ["find_dates"]
