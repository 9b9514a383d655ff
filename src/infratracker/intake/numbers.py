"""Money, quantities and loan terms as the press writes them, in English and Russian.

Numbers in words are turned into digits first (text2num for English, which leaves "one of"
and "second" alone; number-parser for Russian, which text2num does not support), on a copy
of the sentence: the quote is always the original sentence. Every pattern is linear (no
nested repetition), so a long line cannot make a match slow.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

# A sentence longer than this is an unsegmented blob, not prose: its numbers are not read.
MAX_SENTENCE = 2000

NUM = r"\d{1,3}(?:[ \u00a0\u202f,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"

SCALES = {
    "thousand": 1e3, "thousands": 1e3, "тыс": 1e3, "тысяч": 1e3, "тысячи": 1e3, "тысяча": 1e3,
    "million": 1e6, "millions": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6, "млн": 1e6,
    "миллион": 1e6, "миллиона": 1e6, "миллионов": 1e6,
    "billion": 1e9, "billions": 1e9, "bln": 1e9, "bn": 1e9, "b": 1e9, "млрд": 1e9,
    "миллиард": 1e9, "миллиарда": 1e9, "миллиардов": 1e9,
    "trillion": 1e12, "trln": 1e12, "tn": 1e12, "трлн": 1e12, "триллион": 1e12, "триллиона": 1e12,
    "триллионов": 1e12,
}
SCALE = (r"(?:thousands?|millions?|mln|mn|billions?|bln|bn|trillion|trln|tn|тыс\.?|тысяч[аи]?|млн\.?|"
         r"миллион(?:а|ов)?|млрд\.?|миллиард(?:а|ов)?|трлн\.?|триллион(?:а|ов)?)")
# "m" and "b" only glued to a currency amount ("$5m", "€2b"): elsewhere "m" is a metre.
SHORT_SCALE = r"(?:m|b)(?![\w])"

CURRENCY_CODES = ("USD", "EUR", "CNY", "RMB", "GBP", "RUB", "KZT", "UZS", "KGS", "TJS", "AZN", "GEL", "TMT",
                  "IRR", "TRY", "JPY", "AED", "SAR", "PKR", "AFN", "INR", "KRW", "CHF", "AMD", "BYN", "MNT")
SYMBOLS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "CNY", "₽": "RUB", "₸": "KZT", "₺": "TRY"}
# Word stems -> ISO 4217; a stem matches its inflected forms ("доллар" in "долларов").
CURRENCY_WORDS = [
    ("us dollar", "USD"), ("dollar", "USD"), ("euro", "EUR"), ("yuan", "CNY"), ("renminbi", "CNY"),
    ("ruble", "RUB"), ("rouble", "RUB"), ("tenge", "KZT"), ("soum", "UZS"), ("sum", "UZS"), ("som", "KGS"),
    ("somoni", "TJS"), ("manat", "AZN"), ("lari", "GEL"), ("rial", "IRR"), ("lira", "TRY"), ("liras", "TRY"),
    ("yen", "JPY"), ("pound", "GBP"), ("dirham", "AED"), ("pakistani rupee", "PKR"), ("rupee", "INR"),
    ("tugrik", "MNT"), ("tughrik", "MNT"), ("togrog", "MNT"), ("tögrög", "MNT"), ("dram", "AMD"), ("afghani", "AFN"),
    ("доллар", "USD"), ("евро", "EUR"), ("юан", "CNY"), ("рубл", "RUB"), ("руб", "RUB"), ("тенге", "KZT"),
    ("сум", "UZS"), ("сом", "KGS"), ("сомони", "TJS"), ("манат", "AZN"), ("лари", "GEL"), ("риал", "IRR"),
    ("лир", "TRY"), ("иен", "JPY"), ("фунт", "GBP"), ("тугрик", "MNT"), ("драм", "AMD"), ("афгани", "AFN"),
]
_CUR_WORD = "|".join(sorted({re.escape(w) for w, _ in CURRENCY_WORDS}, key=len, reverse=True))
_CUR_PREFIX = r"US\$|\$|€|£|¥|₽|₸|₺|" + "|".join(CURRENCY_CODES)

MONEY_BEFORE = re.compile(
    rf"(?<![\w$€£])(?P<cur>{_CUR_PREFIX})\s?(?P<num>{NUM})"
    rf"(?:\s?(?:-|–|—|to)\s?(?:{_CUR_PREFIX})?\s?(?P<num2>{NUM}))?"  # a range: "$1.1-1.2 billion"
    rf"(?:\s?(?P<scale>{SCALE})(?!\w)|(?P<short>{SHORT_SCALE}))?",
    re.I)
MONEY_AFTER = re.compile(
    rf"(?<![\w.,])(?P<num>{NUM})\s?(?:(?P<scale>{SCALE})\s?)?(?:(?:of\s|in\s)?(?:the\s)?)?"
    rf"(?:(?P<code>{'|'.join(CURRENCY_CODES)})\b|(?:US\s|U\.S\.\s|американских\s)?(?P<word>{_CUR_WORD})\w{{0,4}}\b\.?|(?P<sym>[$€₽₸]))",
    re.I)

# Units: pattern -> (unit code of reference/codelists.yaml or a pint-readable unit, factor, kind)
UNITS = [
    (r"(?:sq\.?|square) (?:km|kilomet(?:er|re)s)|km2|km²|кв\.? ?км|квадратн\w+ километр\w*", "km2", 1.0, "area"),
    (r"kilomet(?:er|re)s?|km|км|километр(?:а|ов|ы)?|километров(?:ый|ая|ое|ой|ого|ую|ом|ые|ых|ым|ыми)", "km", 1.0,
     "length"),
    (r"miles?", "km", 1.609344, "length"),
    (r"(?:sq\.?|square) ?(?:m|met(?:er|re)s?)|m2|m²|кв\.? ?м(?:етр\w*)?|квадратн\w+ метр\w*", "m2", 1.0, "area"),
    (r"met(?:er|re)s?|метр(?:а|ов|ы)?|метров(?:ый|ая|ое|ой|ого|ую|ом|ые|ых|ым|ыми)|м", "m", 1.0, "length"),
    (r"bcm|billion cubic met(?:er|re)s|млрд\.? куб(?:\.|ических)? ?м(?:етров)?\.?|млрд\.? кубометров", "m3", 1e9, "capacity"),
    (r"cubic met(?:er|re)s|m3|куб(?:\.|ических)? ?м(?:етров)?\.?|кубометр(?:а|ов)?", "m3", 1.0, "capacity"),
    (r"mtpa|Mt/y(?:ear)?|млн т/год", "t/a", 1e6, "capacity"),  # million tonnes per annum: a rate in itself
    (r"tpa", "t/a", 1.0, "capacity"),
    (r"Mt", "t", 1e6, "capacity"),
    (r"(?:metric )?ton(?:ne)?s?|тонн[аы]?|[тt]\.?(?=\s|$|,|/)", "t", 1.0, "capacity"),  # Latin "t" only after a scale
    (r"TEUs?|ДФЭ|twenty-foot equivalent units", "TEU", 1.0, "capacity"),
    (r"passengers|pax|пассажир(?:а|ов)?", "passenger", 1.0, "passenger_volume"),
    (r"TWh|ТВт·?ч", "kWh", 1e9, "capacity"),
    (r"GWh|ГВт·?ч|gigawatt-hours?", "kWh", 1e6, "capacity"),
    (r"MWh|МВт·?ч|megawatt-hours?", "kWh", 1e3, "capacity"),
    (r"GW|ГВт|gigawatts?|гигаватт", "MW", 1000.0, "capacity"),
    (r"MW|megawatts?|МВт|мегаватт", "MW", 1.0, "capacity"),
    (r"kV|кВ", "kV", 1.0, "capacity"),
    (r"kWh|кВт·?ч|киловатт-час(?:а|ов)?|kilowatt-hours?", "kWh", 1.0, "capacity"),
    (r"hectares?|ha|гектар(?:а|ов)?|га", "ha", 1.0, "area"),
    # Counted only as a rate ("32 pairs of trains per day", "6 тысяч автомобилей в сутки").
    (r"pairs of trains|train pairs|trains|пар(?:ы)? поездов|поезд(?:а|ов)?", "trains", 1.0, "capacity"),
    (r"vehicles|cars|trucks|lorries|автомобил(?:ей|я|и)|машин|грузовик(?:ов|а|и)|фур|транспортных средств", "vehicles", 1.0,
     "capacity"),
    (r"people|persons|человек", "persons", 1.0, "passenger_volume"),  # "2 млн человек в год": passengers
]
RATE_ONLY = ("trains", "vehicles", "persons")  # without "a day" or "a year" these are counts, not capacities
RATE_UNITS = ("t", "m3", "TEU", "passenger", "kWh", "trains", "vehicles", "persons")
_UNIT_ALT = "|".join(f"(?P<u{i}>{p})" for i, (p, *_rest) in enumerate(UNITS))
QUANTITY = re.compile(
    rf"(?<![\w.,$€£])(?P<num>{NUM})(?:\s?(?P<scale>{SCALE}))?(?:\s|-|\u00a0)?(?:{_UNIT_ALT})(?![\w²³])", re.I)
# The period may follow the unit after what is measured: "15 million tonnes of cargo a year",
# "10 billion cubic meters (bcm) of Turkmen gas a year", "5 млн тонн грузов в год".
PER_YEAR = re.compile(r"^\W{0,3}(?:\([^()]{1,15}\)\s?)?(?:of (?:[\w-]+ ){1,3}|(?:[а-яё]+ ){1,2})?"
                      r"(?:per year|a year(?! (?:earlier|ago|before|later|after|on))|per annum|p\.a\.|annually|each year|every year|/year|/yr|"
                      r"a day|per day|daily|в год|ежегодно|в сутки|ежесуточно|per month|/год|/г\.|/сут|/y\b|/d\b|/day)", re.I)
ANNUAL_BEFORE = re.compile(r"(?<!\w)(?:annual|yearly|ежегодн\w*|(?:средне)?годов\w*)(?!\w)(?!\s+(?:выражени|темп|рост))"
                           r"[^.;:!?]{0,60}$", re.I)  # "в годовом выражении" is year-on-year
PER_DAY = re.compile(r"a day|per day|daily|в сутки|ежесуточно|/сут|/d\b|/day", re.I)
YEAR_NEAR = re.compile(r"\b(?:by|in|until|до|к|в)\s+((?:19|20)\d{2})\b")
# Not a quantity of the project: a speed ("160 km/h"), a distance to a place ("70 km south-east
# of Aktau", "в 70 км от Актау", "30 km from the border"), a width ("a corridor 2 km wide").
SPEED_AFTER = re.compile(r"^\s?(?:/\s?h\b|/\s?ч|per hour|an hour|в час|ph\b)", re.I)
WHERE_AFTER = re.compile(r"^\s?(?:(?:to the )?(?:north|south|east|west)(?:[- ]?(?:east|west))?(?:ern|wards?)?\b|"
                         r"away\b|outside\b|off the\b|wide\b|across\b|in width\b|"
                         r"from (?![^.;]{0,60}\b(?:to|and)\b)|"
                         r"от (?![^.;]{0,60}\bдо\b)|к (?:северу|югу|востоку|западу|северо|юго)|"
                         r"(?:северо-|юго-)?(?:севернее|южнее|восточнее|западнее))", re.I)
WIDTH_BEFORE = re.compile(r"(?:шириной|width of|wide|radius of|радиусе|радиусом)\s*$", re.I)
# "located some 70 km", "расположен в 30 км": where a thing is, unless its length follows ("long")
LOCATED_BEFORE = re.compile(r"(?:located|situated|lies|lying|sits|расположен\w*|находится|находящ\w+)\s+(?:\w+\s+){0,2}$",
                            re.I)
# Tonnes of carbon dioxide are an effect of a project, not its capacity.
# An axle load or a crane's lift is a rating, not a volume: "an axle load of 25 tonnes", "a 100-tonne crane".
AXLE = re.compile(r"axle|нагрузк\w* на ось|осев\w* нагрузк|crane|кран\w*\s+(?:\w+\s+)?грузоподъ|wagon|вагон", re.I)
# "$250 per 1,000 cubic metres", "за 1000 куб. м": the unit of a price, not a quantity
PRICE_UNIT_BEFORE = re.compile(r"(?:\bper|(?<!\w)за|\bfor (?:each|every))\s+$", re.I)
EMISSIONS_AFTER = re.compile(r"^\s?(?:of\s)?(?:CO2|CO₂|carbon dioxide|CO2e|углекисл\w+|CO2-экв)", re.I)
EMISSIONS_BEFORE = re.compile(r"(?:CO2|CO₂|emission|greenhouse|выброс\w*|парников\w*)[^.]{0,40}$", re.I)
# "from 6 million to 10 million tonnes": the first figure has the unit of the second (a change,
# both kept); "between 1,100 and 1,200 km" or "1,100-1,200 km" is a range: the upper end is the
# figure, the lower one is kept beside it.
FROM_TO = re.compile(rf"(?<![\w])(?:from|с)\s+(?:about |around |около )?(?P<num>{NUM})(?:\s?(?P<scale>{SCALE}))?"
                     r"\s+(?:to|до)\s+(?:about |around |около )?$", re.I)
RANGE_BEFORE = re.compile(rf"(?:(?<=between )|(?<![\w.,]))(?P<num>{NUM})(?:\s?(?P<scale>{SCALE}))?\s?"
                          r"(?:-|–|—|to|до|(?<=\d )and|(?<=\d)and)\s?$", re.I)
# A volume stated for a whole year is a volume a year: "In 2025 the line carried 11.4 million
# tonnes", "в прошлом году перевезено 4,5 млн т", "to reach 40 million tonnes by 2030"; not one
# for part of a year ("in the first half of 2026", "за девять месяцев").
WHOLE_YEAR = re.compile(r"(?<!\w)(?:(?:in|during|for|by|until|through) (?P<y>(?:19|20)\d{2})\b(?![-–/]\d)|"
                        r"(?P<rel>last year|this year|next year|previous year|в прошлом году|в этом году|"
                        r"в текущем году|в следующем году|по итогам прошлого года|за прошлый год)|"
                        r"(?:в|за|к|до|по итогам) (?P<y2>(?:19|20)\d{2}) ?(?:год\w*|г\.))", re.I)
PART_OF_YEAR = re.compile(r"(?i:\b(?:half|quarter|months?|weeks?|days|first year|since)\b)|\b(?:H[12]|Q[1-4]|January|"
                          r"February|March|April|May|June|July|August|September|October|November|December)\b|"
                          r"(?i:полугоди|квартал|месяц|недел|январ|феврал|март|апрел|(?<!\w)ма[йяе](?!\w)|июн|июл|"
                          r"август|сентябр|октябр|ноябр|декабр|первый год|с начала)")
# Handling capacity is a yearly figure ("a port with a capacity of 10 million tonnes"), unless
# it is a store or a ship ("a storage capacity of 5 bcm", "an 800-TEU vessel").
CAPACITY_CUE = re.compile(r"capacit|throughput|\bhandl|пропускн|мощност|перевалк|перерабат", re.I)
CHANGE_CUE = re.compile(r"\b(?:reach|rise|grow|increase|expand|double|triple|bring|boost|raise)|"
                        r"достиг|довест|увелич|вырас|возраст|расшир|нарастит", re.I)
STATIC_CUE = re.compile(r"storage|store|tank|vessel|ship|barge|dwt|deadweight|warehouse|хранилищ|резервуар|"
                        r"судн|судов|танкер|ёмкост|емкост|склад|грузоподъ[её]мн", re.I)

TENOR = re.compile(r"(?:for|over|tenor of|term of|maturity of|сроком на|на срок)\s+(?P<n>\d+(?:[.,]\d+)?)\s*"
                   r"(?:-\s*)?(?:years?|года|лет|год)\b|(?P<n2>\d+(?:[.,]\d+)?)[- ](?:year|летн\w*)\s+(?:loan|кредит|заём|заем|tenor|term)",
                   re.I)
GRACE = re.compile(r"(?:grace period of|with a grace period of|льготн\w+ период\w*(?: в| на| до)?)\s+(?P<n>\d+(?:[.,]\d+)?)"
                   r"\s*(?:years?|года|лет|год)|(?P<n2>\d+(?:[.,]\d+)?)[- ](?:years?|года|лет)(?:'|’)?\s*(?:of\s)?grace", re.I)
RATE = re.compile(r"(?:interest rate of|at an interest rate of|at a rate of|at|под|ставк\w+(?: в)?)\s+(?P<n>\d+(?:[.,]\d+)?)\s?"
                  r"(?:%|percent|per cent|процент\w*)(?:\s+(?:per annum|a year|annually|годовых))?", re.I)

# A price per unit is a tariff, not a sum for a project: "$150 per tonne", "$40 a container",
# "250 долларов за тысячу кубометров".
PER_UNIT = re.compile(r"^\s?(?:per|a|an|for each|for every|за|в расчете на)\s+(?:one\s+|1\s?|1[ ,.]?000\s+|thousand\s+|"
                      r"тысячу\s+|1000\s+|одну\s+|один\s+)?(?:metric\s+)?(?:tonne|ton\b|tons\b|container|TEU|barrel|"
                      r"cubic|kWh|MWh|kilowatt|megawatt|passenger|ticket|vehicle|wagon|car\b|truck|trip|km\b|kilomet|"
                      r"тонн|контейнер|баррел|куб|кВт|МВт|мегаватт|пассажир|билет|вагон|поездк|рейс|км\b|километр)", re.I)
# A country's or company's accounts are no sum for a project: "GDP of $260 billion", "net profit
# of 12 billion tenge", "market capitalisation", "average salary".
ACCOUNTS_BEFORE = re.compile(r"(?:\bGDP|\bВВП|(?:net )?profit|прибыл\w*|market capitali[sz]ation|капитализаци\w*|"
                             r"salar(?:y|ies)|зарплат\w*|заработн\w+ плат\w*|pensions?|пенси\w*)[^.;]{0,40}$", re.I)
# Below this an amount is no infrastructure sum ("$500", "5 000 рублей").
MIN_AMOUNT = 10_000

FINANCE_KINDS = [
    ("loan", r"\bloan|\blend|credit\b|кредит|заём|заем|займ"),
    ("credit_line", r"credit line|line of credit|кредитн\w+ лини"),
    ("grant", r"\bgrant|грант|безвозмездн"),
    ("equity", r"\bequity|stake|акци|доля в капитале"),
    ("total_cost", r"\bcost|\bworth|\bvalued|\bprice tag|стоимост|обойд|оценива"),
    ("budget_allocation", r"budget|бюджет"),
    ("investment", r"invest|инвести|вложен"),
]


def parse_number(text: str, language: str = "en") -> float:
    """'1,814' -> 1814; '1,2' (Russian decimal comma) -> 1.2; '1 860' -> 1860; '4.5' -> 4.5."""
    t = re.sub(r"[ \u00a0\u202f]", "", text)
    if "," in t and "." in t:
        t = t.replace(",", "")
    elif "," in t:
        groups = t.split(",")
        thousands = all(len(g) == 3 for g in groups[1:])
        if thousands and not (language == "ru" and len(groups) == 2):
            t = t.replace(",", "")
        else:
            t = t.replace(",", ".")
    return float(t)


@lru_cache(maxsize=1)
def _t2n():
    from text_to_num import alpha2digit

    return alpha2digit


@lru_cache(maxsize=1)
def _number_parser():
    from number_parser import parse

    return parse


EN_UNITS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
            "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety")
EN_SCALES = "hundred|thousand|million|billion|trillion"
RU_UNITS = (r"од(?:ин|на|но|ного|ной)|дв(?:а|е|ух|умя)|тр(?:и|ех|ёх)|четыр(?:е|ех|ёх)|пят\w*|шест\w*|сем(?:ь|и)|"
            r"восем\w*|девят\w*|десят\w*|одиннадцат\w*|двенадцат\w*|двадцат\w*|тридцат\w*|сорок\w*|"
            r"пятьдесят|шестьдесят|семьдесят|восемьдесят|девяност\w*|ст(?:о|а)")
RU_SCALES = r"сот\w*|тысяч\w*|миллион\w*|миллиард\w*"
# A run of number words that starts with a unit word ("six million", "сорок"), never a scale
# alone: "20 million" stays as written and is read by the money and quantity patterns. A run
# right before a figure counts things of that figure ("two 800-TEU vessels"): left as words,
# or it would join the figure ("2 800").
WORD_RUNS = {
    "en": re.compile(rf"(?<![\w.,-])(?<!\d )(?:{EN_UNITS})(?:[\s-]+(?:and[\s-]+)?(?:{EN_UNITS}|{EN_SCALES}))*\b"
                     r"(?![\s-]?\d)", re.I),
    "ru": re.compile(rf"(?<![\w.,-])(?<!\d )(?:{RU_UNITS})(?:\s+(?:{RU_UNITS}|{RU_SCALES}))*(?!\w)(?![\s-]?\d)", re.I),
}


def digits(sentence: str, language: str) -> str:
    """The sentence with numbers in words as digits ("six million tonnes" -> "6000000 tonnes")."""
    lang = "ru" if language == "ru" else "en"

    def convert(m: re.Match) -> str:
        if m.group(0).lower() in ("one", "один", "одна", "одно"):
            return m.group(0)  # "one of the lines" is not a figure
        try:
            if lang == "ru":
                out = _number_parser()(m.group(0), language="ru")
            else:
                out = _t2n()(m.group(0), "en", threshold=0)
        except Exception:  # a converter that chokes on odd text must not stop a draft
            return m.group(0)
        return out if re.fullmatch(r"\d+", out.strip()) else m.group(0)

    return WORD_RUNS[lang].sub(convert, sentence)


def _scale(m: re.Match) -> float:
    word = (m.groupdict().get("scale") or m.groupdict().get("short") or "").lower().rstrip(".")
    return SCALES.get(word, 1.0)


def _currency(m: re.Match) -> str | None:
    for key in ("cur", "code", "sym"):
        v = m.groupdict().get(key)
        if v:
            return SYMBOLS.get(v.lower(), v.upper().replace("RMB", "CNY"))
    word = (m.groupdict().get("word") or "").lower()
    for stem, code in CURRENCY_WORDS:
        if word.startswith(stem):
            return code
    return None


def _number_or_none(text: str | None, language: str) -> float | None:
    return parse_number(text, language) if text else None


# A kind word just after the amount names it ("a 1.1 billion euro loan package", "a $3.5 million
# technical assistance grant"); so does its source ("$62 million from the budget").
KIND_AFTER = re.compile(r"^[\s-]*(?:[\w-]+\s+){0,3}?(?=(?:loan|credit|grant|equity|investment|кредит|заём|заем|займ|грант)\w*\b)",
                        re.I)
SOURCE_AFTER = re.compile(r"^[^.;]{0,30}?\b(?:from the (?:state |national |federal |republican |government )?budget|"
                          r"из (?:республиканского |государственного |федерального |местного )?бюджета)", re.I)
# Where a clause about other money begins: "... a loan of $150 million, while the government will contribute".
CLAUSE = re.compile(r",\s*(?:while|whereas|and|but|with)\b|;|\bwhile\b|,\s*(?:а|но|и|при этом)\s", re.I)


def _finance_kind(sentence: str, start: int, end: int | None = None) -> str:
    """The kind named just after the amount, else nearest before it in its clause, else anywhere."""
    if end is not None:
        after = sentence[end:end + 60]
        if SOURCE_AFTER.match(after):
            return "budget_allocation"
        m = KIND_AFTER.match(after)
        if m:
            word = after[m.end():].lower()
            if re.match(r"credit line|кредитн\w+ лини", word):
                return "credit_line"
            return next(kind for kind, pattern in FINANCE_KINDS if re.match(pattern, word))
    before = sentence[max(0, start - 80):start].lower()
    cuts = [m.end() for m in CLAUSE.finditer(before)]
    if cuts:
        before = before[cuts[-1]:]
    best = None
    for kind, pattern in FINANCE_KINDS:
        for m in re.finditer(pattern, before):
            if best is None or m.start() > best[0]:
                best = (m.start(), kind)
    if best:
        return best[1]
    for kind, pattern in FINANCE_KINDS:
        if re.search(pattern, sentence.lower()):
            return kind
    return "investment"


def _round(v: float) -> float | int:
    v = float(f"{v:.12g}")
    return int(v) if v.is_integer() else v


def money(sentence: str, language: str = "en") -> list[dict[str, Any]]:
    """Amounts with their ISO 4217 currency, kind and loan terms stated in the same sentence."""
    if len(sentence) > MAX_SENTENCE:
        return []
    text = digits(sentence, language)
    found: list[dict[str, Any]] = []
    taken: list[range] = []
    for pattern in (MONEY_BEFORE, MONEY_AFTER):
        for m in pattern.finditer(text):
            if any(m.start() in r for r in taken):
                continue
            cur = _currency(m)
            if not cur:
                continue
            low = None
            if m.groupdict().get("num2"):
                low = parse_number(m["num"], language) * _scale(m)
                value = parse_number(m["num2"], language) * _scale(m)
            else:
                value = parse_number(m["num"], language) * _scale(m)
            if value < MIN_AMOUNT or PER_UNIT.match(text[m.end():m.end() + 40]) \
                    or ACCOUNTS_BEFORE.search(text[max(0, m.start() - 60):m.start()]):
                taken.append(range(m.start(), m.end()))
                continue  # "5 USD" is not news about infrastructure; nor is "$150 per tonne"
            taken.append(range(m.start(), m.end()))
            kind = _finance_kind(text, m.start(), m.end())
            entry: dict[str, Any] = {"kind": kind, "amount": _round(value), "currency": cur,
                                     "text": m.group(0).strip()}
            if low is not None:
                entry["range"] = [_round(low), _round(value)]
            if kind in ("loan", "credit_line"):
                for key, pat in (("tenor_years", TENOR), ("grace_period_years", GRACE), ("interest_rate_pct", RATE)):
                    t = pat.search(text)
                    if t:
                        entry[key] = _round(parse_number(t["n"] or t["n2"], language))
            entry["_span"] = (m.start(), m.end())
            found.append(entry)
    # "between $400 million and $450 million", "от 400 млн до 450 млн долларов": one range, its upper end
    found.sort(key=lambda e: e["_span"][0])
    merged: list[dict[str, Any]] = []
    for e in found:
        prev = merged[-1] if merged else None
        if prev and prev["currency"] == e["currency"] and prev["amount"] < e["amount"] \
                and re.fullmatch(r"\s*(?:and|и|до)\s*", text[prev["_span"][1]:e["_span"][0]], re.I) \
                and re.search(r"(?:between|от)\s+$", text[max(0, prev["_span"][0] - 12):prev["_span"][0]], re.I):
            e["range"] = [prev["amount"], e["amount"]]
            merged[-1] = e
        else:
            merged.append(e)
    for e in merged:
        e.pop("_span")
    return merged


# Structures a project counts ("nine tunnels and 12 bridges", "сорок мостов и путепроводов"):
# the unit is the English plural, as curators write it.
COUNT_NOUNS = [
    (r"bridges|мост(?:ов|а)", "bridges"), (r"tunnels|т[уо]ннел(?:ей|я)", "tunnels"),
    (r"overpasses|flyovers|путепровод(?:ов|а)|эстакад", "overpasses"), (r"viaducts|виадук(?:ов|а)", "viaducts"),
    (r"interchanges|развяз(?:ок|ки)", "interchanges"), (r"(?:railway |train )?stations|станци(?:й|и)", "stations"),
    (r"berths|причал(?:ов|а)", "berths"),
]
_COUNT_ALT = "|".join(f"(?P<c{i}>{p})" for i, (p, _u) in enumerate(COUNT_NOUNS))
COUNT = re.compile(rf"(?<![\w.,$€£-])(?P<num>\d{{1,4}})\s+(?:(?:new|road|railway|rail|large|major|small|"
                   rf"железнодорожн\w+|автомобильн\w+|новых|крупн\w+|больших|малых)\s+){{0,2}}(?:{_COUNT_ALT})(?!\w)"
                   rf"(?:\s+(?:and|и)\s+(?:{'|'.join(p for p, _u in COUNT_NOUNS)})(?!\w))?", re.I)


def counts(text: str) -> list[dict[str, Any]]:
    out = []
    for m in COUNT.finditer(text):
        i = next(int(k[1:]) for k, v in m.groupdict().items() if k.startswith("c") and v)
        unit = COUNT_NOUNS[i][1]
        tail = text[m.end(f"c{i}"):m.end()]
        second = next((u for p, u in COUNT_NOUNS if tail and re.search(rf"(?:{p})$", tail, re.I)), None)
        if second and second != unit:
            unit = f"{unit} and {second}"
        out.append({"kind": "count", "value": int(m["num"]), "unit": unit, "text": m.group(0).strip()})
    return out


def _clause_year(text: str, start: int, end: int, published: Any) -> int | None:
    """The year the figure at text[start:end] refers to: the nearest year expression of its own
    clause ("Last year it handled 1.4 Mt, while the target is 3 Mt by 2030": 2025, then 2030)."""
    best = None
    for m in WHOLE_YEAR.finditer(text):
        between = text[m.end():start] if m.end() <= start else text[end:m.start()] if m.start() >= end else ""
        if re.search(r"[,;:.!?]\s|\s[—–]\s", between) or len(between) > 80:
            continue
        if m["y"] or m["y2"]:
            year = int(m["y"] or m["y2"])
        elif getattr(published, "year", None):
            rel = m["rel"].lower()
            year = published.year - 1 if ("last" in rel or "прошл" in rel or "previous" in rel) else \
                published.year + 1 if ("next" in rel or "следующ" in rel) else published.year
        else:
            continue
        if best is None or len(between) < best[0]:
            best = (len(between), year)
    return best[1] if best else None


def _year_context(text: str, published: Any) -> int | None:
    """The whole year a sentence speaks of, if it speaks of one and of no part of a year."""
    if PART_OF_YEAR.search(text):
        return None
    m = WHOLE_YEAR.search(text)
    if not m:
        return None
    if m["y"] or m["y2"]:
        return int(m["y"] or m["y2"])
    base = getattr(published, "year", None)
    if base is None:
        return 0  # a year, but which one needs the publication date
    rel = m["rel"].lower()
    return base - 1 if ("last" in rel or "прошл" in rel or "previous" in rel) else base + 1 if (
        "next" in rel or "следующ" in rel) else base


def quantities(sentence: str, language: str = "en", published: Any = None,
               context: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Lengths, capacities, volumes and power with a unit of reference/codelists.yaml where one fits.

    A volume becomes a rate ("t/a", "trains/d") when the sentence says so: "a year" after it or
    after what it measures, "annual" before it, another figure of the same list that has one
    ("5.5 million tons of freight and 500,000 passengers annually"), a handling capacity, or a
    whole year it was carried in or is to be reached by. `context` maps a unit to the rate the
    previous sentence gave it ("handles 6 million tonnes a year. It will reach 10 million tonnes.")."""
    if len(sentence) > MAX_SENTENCE:
        return []
    text = digits(sentence, language)
    if not re.search(r"\d", text):
        return []
    cues: dict[str, Any] = {}

    def cue(name: str) -> Any:
        """The sentence's year and capacity cues, read only when a figure needs them."""
        if name not in cues:
            cues["year"] = _year_context(text, published)
            cues["capacity"] = bool(CAPACITY_CUE.search(text)) and not STATIC_CUE.search(text) \
                and not PART_OF_YEAR.search(text)
        return cues[name]
    out: list[dict[str, Any]] = []
    spans: list[tuple[int, int]] = []
    for m in QUANTITY.finditer(text):
        i = next(int(k[1:]) for k, v in m.groupdict().items() if k.startswith("u") and v)
        _pattern, unit, factor, kind = UNITS[i]
        if unit == "m" and not m["scale"] and re.fullmatch(r"m", m[f"u{i}"], re.I):
            continue  # a bare "m" after a number is as often "million" as "metre"
        if unit == "t" and not m["scale"] and re.fullmatch(r"t\.?", m[f"u{i}"], re.I):
            continue  # "5 t" in English is rare and ambiguous; "5 million t" is tonnes
        after = text[m.end():m.end() + 80]
        before = text[max(0, m.start() - 60):m.start()]
        if unit in ("km", "m") and (SPEED_AFTER.match(after) or WHERE_AFTER.match(after)
                                     or WIDTH_BEFORE.search(before) or re.search(r"(?<!\w)в\s$", before)
                                     and re.match(r"^\s?от\b", after)):
            continue
        if PRICE_UNIT_BEFORE.search(before):
            continue
        if unit in ("km", "m") and LOCATED_BEFORE.search(before) and not re.match(r"^\s?(?:long|длин)", after, re.I):
            continue
        if unit == "t" and (EMISSIONS_AFTER.match(after) or EMISSIONS_BEFORE.search(before) or AXLE.search(before[-40:])
                            or re.match(r"^\s?(?:axle|crane|lift|per axle)", after, re.I)):
            continue
        value = parse_number(m["num"], language) * _scale(m) * factor
        rate = PER_YEAR.search(after) or (ANNUAL_BEFORE.search(before) and unit in RATE_UNITS)
        entry: dict[str, Any] = {"kind": kind, "value": _round(value), "unit": unit, "text": m.group(0).strip()}
        # "a 50,000-tonne terminal", "two 800-TEU vessels": a size, never a flow
        attributive = "-" in text[m.start():m.end()].split(m["num"], 1)[-1][:3]
        if attributive:
            entry["attributive"] = True
        if rate and unit in RATE_UNITS:
            per_day = isinstance(rate, re.Match) and PER_DAY.search(rate.group(0))
            entry["unit"] = f"{unit}/{'d' if per_day else 'a'}"
            entry["kind"] = "capacity" if (CAPACITY_CUE.search(text) or re.search(r"up to|(?<!\w)до ", text, re.I)) \
                else "freight_volume"
        elif unit in ("t", "TEU", "passenger") and kind == "capacity":
            entry["kind"] = "freight_volume" if unit != "passenger" else "passenger_volume"
        year = _clause_year(text, m.start(), m.end(), published)
        if year:
            entry["target_year"] = year
        # "from 6 million to 10 million tonnes": the first figure, in the same unit
        ft = FROM_TO.search(before)
        rg = None if ft else RANGE_BEFORE.search(before)
        if ft:
            first = parse_number(ft["num"], language) * (_scale(ft) if ft["scale"] else _scale(m)) * factor
            out.append({**entry, "value": _round(first), "text": text[m.start() - len(ft.group(0)):m.end()].strip()})
            spans.append((m.start() - len(ft.group(0)), m.start()))
        elif rg and (re.search(r"(?:between|от)\s+$", before[:rg.start()]) or not rg.group(0).rstrip().endswith("and")
                     and not re.search(r"(?<!\w)(?:from|с)\s+$", before[:rg.start()])):
            low = parse_number(rg["num"], language) * (_scale(rg) if rg["scale"] else _scale(m)) * factor
            if low < value:
                entry["range"] = [_round(low), entry["value"]]
        out.append(entry)
        spans.append((m.start(), m.end()))
    for k, e in enumerate(out):
        base_unit = e["unit"]
        if "/" in base_unit or base_unit not in RATE_UNITS or e.pop("attributive", False):
            continue
        # a later figure of the same list that has a rate: "X t of freight and Y passengers a year"
        nxt = next((j for j in range(k + 1, len(out)) if spans[j][0] >= spans[k][1]), None)
        if nxt is not None and "/" in out[nxt]["unit"]:
            between = text[spans[k][1]:spans[nxt][0]]
            if len(between) <= 60 and re.search(r"\band\b|,|(?<!\w)и(?!\w)|\bto\b|(?<!\w)до(?!\w)", between) \
                    and not re.search(r"[.;:]", between):
                e["unit"] = f"{base_unit}/{out[nxt]['unit'].split('/')[1]}"
                continue
        if base_unit in ("t", "m3", "TEU", "passenger", "kWh"):
            if cue("year") is not None:
                e["unit"] = f"{base_unit}/a"
                e["kind"] = "freight_volume"
                if cue("year"):
                    e.setdefault("target_year", cue("year"))
            elif cue("capacity") or (context and base_unit in context and CHANGE_CUE.search(text)):
                e["unit"] = f"{base_unit}/a" if cue("capacity") else context[base_unit]
                e["kind"] = "capacity"
    # "from 15 million tons a year to 25 million tons": the rate is said once for both, in one clause
    for k, e in enumerate(out):
        if "/" in e["unit"]:
            continue
        for j, x in enumerate(out):
            if x["unit"].split("/")[0] == e["unit"] and "/" in x["unit"]:
                a, b = sorted((spans[k], spans[j]))
                if not re.search(r"[,.;:]", text[a[1]:b[0]]) and b[0] - a[1] <= 60:
                    e["unit"] = x["unit"]
                    e["kind"] = x["kind"] if x["kind"] == "capacity" else e["kind"]
                    break
    for e in out:
        e.pop("attributive", None)
        if e["unit"].startswith("persons/"):
            e["unit"] = e["unit"].replace("persons", "passenger")
    return [e for e in out if e["unit"] not in RATE_ONLY] + counts(text) + percentages(text)


_PCT = r"(?P<num>\d+(?:[.,]\d+)?)\s*(?:%|percent\b|per\s+cent\b|процент\w*)"
# How far the works have come: "is 60 percent complete", "construction has reached 45%",
# "готовность объекта составляет 72%", "выполнены на 40%".
PROGRESS = [re.compile(_PCT + r"\s+(?:complete|completed|done|finished|ready)\b", re.I),
            re.compile(r"\b(?:progress|completion|construction|works?)\b[^.;%]{0,40}?\s(?:has\s+|have\s+)?(?:reached|stands?\s+at|is\s+at)\s+"
                       r"(?:about\s+|around\s+|some\s+|over\s+|more\s+than\s+)?" + _PCT, re.I),
            re.compile(r"(?<!\w)(?:готовност\w*|выполнен\w*)[^.;%]{0,40}?" + _PCT, re.I),
            re.compile(_PCT + r"\s+готовност", re.I)]
# A sentence on who owns what: every percentage in it is a share ("China will hold 51 percent,
# Kyrgyzstan and Uzbekistan 24.5 percent each"; "доля Кыргызстана составит 34%").
SHARE_CUE = re.compile(r"\b(?:stakes?|shares?|shareholding|shareholders?|equity|owns?|owned|holds?|hold|belongs?)\b|"
                       r"(?<!\w)(?:дол[яиеюей]\w*|акци\w*|пакет\w*|акционер\w*|принадлеж\w*|владе\w*)", re.I)
SHARE_NOT = re.compile(r"\b(?:market\s+share|share\s+of\s+(?:the\s+)?(?:market|trade|traffic|cargo|exports?|imports?)|"
                       r"growth|increase|rise|fall|decline|interest\s+rate|rate)\b|рост|сниж|увелич|ставк|рын", re.I)


def percentages(text: str) -> list[dict[str, Any]]:
    """Progress of the works (kind `progress`) and ownership shares (kind `share`), in per cent."""
    if "%" not in text and not re.search(r"percent|per cent|процент", text, re.I):
        return []
    out = []
    taken: list[tuple[int, int]] = []
    for pattern in PROGRESS:
        for m in pattern.finditer(text):
            if not any(a <= m.start("num") < b for a, b in taken):
                taken.append((m.start("num"), m.end("num")))
                out.append({"kind": "progress", "value": _round(parse_number(m["num"])), "unit": "%",
                            "text": m.group(0).strip()})
    if SHARE_CUE.search(text) and not SHARE_NOT.search(text):
        for m in re.finditer(_PCT, text, re.I):
            if not any(a <= m.start("num") < b for a, b in taken):
                out.append({"kind": "share", "value": _round(parse_number(m["num"])), "unit": "%",
                            "text": m.group(0).strip()})
    return out


__all__ = ["digits", "money", "parse_number", "quantities"]
