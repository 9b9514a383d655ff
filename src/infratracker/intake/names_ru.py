"""Russian names in a sentence, by the cues of the Russian-language press.

- A name in «guillemets» is named by the word before it: a company form (АО «X», ТОО «X»), an
  institution word (компания, госконцерн, центр...) or an infrastructure word (газопровод «X»,
  МТК «X», автодороги республиканского значения «X»). A lone one-word «X» is a company, as the
  press writes «Газпром».
- Institutions without quotes: a capitalised institution noun with its genitive complement
  ("Министерства транспорта Узбекистана", "Совета Безопасности ООН") or adjectives before a
  bank or fund ("Исламского банка развития").
- Projects: an adjective before an infrastructure word ("Трансафганской железной дороги"), or
  an infrastructure word before a route of capitalised names joined by dashes ("газопровода
  Туркменистан — Афганистан — Пакистан — Индия"); the route's ends are places.
- People: two or three capitalised words after a title ("министр транспорта Узбекистана Жасур
  Абдуллаев") or a speech verb ("считает Дмитрий Ветров"), or before a speech verb.
- Places: cue words (порт, город, река, станция...), adjectives before a geographic word
  ("Каспийского моря"); the gazetteer's Russian names are matched in detection.py.

Every name is given in the nominative (morph.py). Patterns are linear: no nested quantifiers,
and spans are capped in length.
"""
from __future__ import annotations

import re
from typing import Callable

from infratracker.intake import morph
from infratracker.intake.names import Found

W = r"[А-ЯЁA-Z][\w-]*"  # a capitalised word
ADJ = r"[А-ЯЁ][а-яё]*(?:-[А-ЯЁа-яё][а-яё]*)*(?:ий|ый|ой|ая|яя|ое|ее|его|ого|ому|ему|ым|им|ом|ем|ую|юю|ей)"
ADJ_LOW = r"[а-яё]+(?:ий|ый|ой|ая|яя|ое|ее|его|ого|ому|ему|ым|им|ом|ем|ую|юю|ей)"

FORMS = r"АО|ОАО|ПАО|ЗАО|ТОО|ООО|АК|НК|АКБ|ГК|ГП|ГУП|ФГУП|РУП|ОсОО|ЧП|ИП|JSC|LLC|LLP"
STATE_FORMS = {"ОАО", "ГК", "ГП", "ГУП", "ФГУП", "РУП", "НК"}
ORG_WORDS = (r"компани|госкомпани|концерн|госконцерн|корпораци|госкорпораци|холдинг|групп|центр|агентств|"
             r"информагентств|банк|фонд|ассоциаци|объединени|предприяти|оператор|подрядчик|перевозчик|"
             r"завод|комбинат|издани|газет|телеканал")
PROJECT_WORDS = (r"железн\w* дорог|автодорог|автомобильн\w* дорог|дорог|автомагистрал|магистрал|трасс|"
                 r"газопровод|нефтепровод|трубопровод|коридор|МТК|маршрут|ЛЭП|линии? электропередачи|"
                 r"порт|сухо\w* порт|терминал|хаб|ГЭС|ТЭС|АЭС|ГРЭС|электростанци|мост|тоннел|туннел|"
                 r"участ|канал|проект|ветк|перевал")
GEO_WORDS = (r"мор|залив|озер|рек|пролив|полуостров|остров|хреб|долин|пустын|област|кра[йяюе]|район|регион|"
             r"бассейн|степ|нагорь")
GEO_CAPITAL = r"Сибир|Ази|Европ|Кавказ|Поволжь|Урал|Приморь|Закавказь"
PLACE_CUES = (r"порт\w*|город\w*|г\.|посёлк\w*|поселк\w*|сел\w|станци\w*|пункт\w* пропуска|погранперех\w*|"
              r"река|реки|реке|реку|рекой|аэропорт\w*|перевал\w*|провинци\w*|област\w*")
TITLES = (r"министр\w*|замминистра|вице-министр\w*|заместител\w*|замглав\w*|глав[аыеуой]{1,2}|председател\w*|"
          r"зампред\w*|президент\w*|премьер-министр\w*|вице-премьер\w*|премьер\w*|директор\w*|гендиректор\w*|"
          r"руководител\w*|посол|посла|послом|аким\w*|губернатор\w*|мэр\w*|советник\w*|представител\w*|"
          r"пресс-секретар\w*|спикер\w*|аналитик\w*|эксперт\w*|экономист\w*|партнер\w*|партнёр\w*|"
          r"основател\w*|начальник\w*|депутат\w*|исполняющ\w+ обязанности|и\. ?о\.|сопредседател\w*|"
          r"управляющ\w+|вице-президент\w*|генсек\w*|секретар\w*|министерства")
SPEECH = (r"заявил\w?|сказал\w?|отметил\w?|сообщил\w?|считает|подчеркнул\w?|добавил\w?|пояснил\w?|"
          r"уточнил\w?|говорит|полагает|рассказал\w?|признал\w?|напомнил\w?|уверен\w?|по словам|"
          r"пишет|отмечает|подчеркивает|подчёркивает|указал\w?|заверил\w?|объяснил\w?")
NAME_RUN = rf"(?P<name>{W}(?: {W}){{1,3}})"
TITLE_THEN_NAME = re.compile(
    rf"(?<![\w-])(?P<title>(?i:{TITLES})(?: (?:[а-яё-]+|{W}|«[^«»]{{1,40}}»)){{0,6}}?) {NAME_RUN}")
SPEECH_THEN_NAME = re.compile(rf"(?<![\w-])(?i:{SPEECH})(?: [а-яё-]+){{0,4}}? {NAME_RUN}")
NAME_THEN_SPEECH = re.compile(rf"{NAME_RUN}(?:,| —)? (?:[а-яё-]+ ){{0,1}}(?:{SPEECH})\b")
# «X», and "X" or “X” (the quotes inside a «quotation»)
GUILLEMETS = re.compile(r"«([^«»\"“”„]{1,80})»|[\"“„]([^«»\"“”„]{1,80})[\"”“]")
FORM_BEFORE = re.compile(rf"(?<![\w-])({FORMS})\s*$")
ORG_BEFORE = re.compile(rf"(?<![\w-])(?P<cue>[А-ЯЁ]?[а-яё]*(?i:{ORG_WORDS})\w*)(?: [а-яё]+){{0,3}}\s*$")
PROJECT_BEFORE = re.compile(rf"(?<![\w-])(?P<cue>(?i:{PROJECT_WORDS})[\w-]*)(?: [а-яё]+){{0,3}}\s*$")
INSTITUTION = re.compile(
    rf"(?<![\w-])(?P<head>(?:Министерств|Минтранс|Минфин|Минэнерго|Минэконом|Минстро|Комитет|Агентств|"
    rf"Департамент|Управлени|Совет|Правительств|Администраци|Служб|Госкомитет|Фонд|Банк|Центр)[а-яё]*)"
    rf"(?P<tail>(?: [а-яё]+){{1,4}})?(?P<caps>(?: {W}){{0,3}})")
ADJ_INSTITUTION = re.compile(
    rf"(?<![\w-])(?P<name>{ADJ}(?: {ADJ_LOW}){{0,2}} (?:банк|фонд|агентств|корпораци|компани|союз|центр)[а-яё]*"
    rf"(?: (?:развития|реконструкции и развития|стабилизации и развития|инвестиций|"
    rf"инфраструктурных инвестиций))?)")
ADJ_PROJECT = re.compile(
    rf"(?<![\w-])(?P<name>{ADJ}(?: {ADJ_LOW}){{0,2}} (?:(?:{PROJECT_WORDS})[\w-]*)(?: {ADJ_LOW})?)")
ROUTE = rf"{W}(?: {W})?(?:(?: ?[—–] ?| - |-)(?:{W})(?: {W})?){{1,5}}"
ROUTE_ANY = re.compile(rf"(?<![\w«\"“-]){W}(?:(?: [—–] ?| ?[—–] ){W}){{1,6}}(?![\w»\"”-])")
# "по маршруту X — Y" is a path, not a project.
HEAD_ROUTE = re.compile(rf"(?<![\w-])(?<!маршрут)(?P<head>(?i:{PROJECT_WORDS})(?<!маршрут)[\w-]*(?: [а-яё]+){{0,1}}) "
                        rf"(?P<route>{ROUTE})")
HEAD_ACRONYM = re.compile(rf"(?<![\w-])(?P<head>(?:газопровод|нефтепровод|трубопровод|коридор|маршрут|"
                          rf"проект)[а-яё]*) (?P<acr>[А-ЯЁA-Z]{{3,8}})\b")
ADJ_GEO = re.compile(rf"(?<![\w-])(?P<name>{ADJ} (?:(?:{GEO_WORDS})[а-яё]*|(?:{GEO_CAPITAL})[а-яё]*))(?![\w-])")
PLACE_AFTER_CUE = re.compile(rf"(?<![\w-])(?P<cue>(?i:{PLACE_CUES})) (?P<name>{W})")
ACRONYM_AFTER = re.compile(r"^\s*\(([А-ЯЁA-Z][\w&.-]{1,9})\)")
KIND = [("дорог", "railway"), ("автодорог", "road"), ("автомагистрал", "road"), ("трасс", "road"),
        ("газопровод", "pipeline"), ("нефтепровод", "pipeline"), ("трубопровод", "pipeline"),
        ("коридор", "corridor"), ("мтк", "corridor"), ("маршрут", "corridor"), ("порт", "port"),
        ("терминал", "port"), ("гэс", "power_plant"), ("тэс", "power_plant"), ("аэс", "power_plant"),
        ("электростанци", "power_plant"), ("лэп", "power_line"), ("электропередачи", "power_line"),
        ("мост", "road"), ("хаб", "logistics_hub")]
NOT_NAMES = {"Как", "По", "При", "Для", "Это", "Об", "В", "На", "С", "И", "Но", "А", "Из", "До", "От", "Так", "Уже",
             "Пока", "Однако", "Кроме", "Также", "Его", "Ее", "Её", "Их", "Он", "Она", "Они", "Мы", "Там", "Тут"}


def _kind(head: str) -> str:
    low = head.casefold()
    if "железн" in low:
        return "railway"
    return next((k for cue, k in KIND if low.startswith(cue) or f" {cue}" in low), "other")


def _acronym(sentence: str, end: int) -> list[str]:
    m = ACRONYM_AFTER.match(sentence[end:end + 14])
    return [m[1]] if m else []


def _is_place_word(word: str, is_country: Callable[[str], bool]) -> bool:
    return is_country(word) or morph.has_tag(word, "Geox")


def find(sentence: str, is_country: Callable[[str], bool]) -> list[Found]:
    """Organisations, projects, people and places in one Russian sentence; `is_country` tells
    a country's name in any case ("Узбекистана"), which never starts a person's name."""
    out: list[Found] = []
    quoted: list[tuple[int, int]] = []
    for m in GUILLEMETS.finditer(sentence):
        content = (m[1] or m[2]).strip()
        words = content.split()
        if not words or len(words) > 6 or len(content) < 2 or not re.match(r"[А-ЯЁA-Z0-9]", content) or re.search(r"[.!?,:;]", content):
            continue
        quoted.append((m.start(), m.end()))
        before = sentence[max(0, m.start() - 60):m.start()]
        display = f"«{content}»"
        form = FORM_BEFORE.search(before)
        project = _last_cue(PROJECT_BEFORE, before)
        org = _last_cue(ORG_BEFORE, before)
        if form:
            out.append(Found("organisations", f"{form[1]} {display}", m.start() - len(before) + form.start(1), m.end(),
                             0.8, {"organisation_type": "state_company" if form[1] in STATE_FORMS else "company",
                                   "aliases": [content]}))
        elif project and (not org or project.start() > org.start()):
            cue = project["cue"]
            head = cue if cue.isupper() else morph.nominative(cue)
            name = f"{head[:1].upper()}{head[1:]} {display}"
            out.append(Found("projects", name, m.start(), m.end(), 0.7,
                             {"project_type": _kind(cue), "aliases": [content]}))
        elif org:
            cue = org["cue"]
            if cue[:1].isupper():  # "Центра энергетической аналитики «Ресурс»": the institution's own name
                phrase = before[org.start():].strip()
                name = f"{morph.nominative(phrase)} {display}"
            else:
                name = morph.nominative(content) if len(words) == 1 else content
            out.append(Found("organisations", name, m.start(), m.end(), 0.7, {"aliases": [content]}))
        elif re.fullmatch(ROUTE, content):  # «Север — Юг»: a route, so a corridor or road
            out.append(Found("projects", content, m.start(), m.end(), 0.5, {"project_type": "corridor"}))
        elif len(words) <= 4 and not re.search(r"\d", content):  # the press quotes company names: «Газпром»
            name = morph.nominative(content) if len(words) == 1 else content
            out.append(Found("organisations", name, m.start(), m.end(), 0.5, {"aliases": [content]}))

    def free(start: int, end: int) -> bool:
        return not any(s <= start < e or s < end <= e for s, e in quoted)

    for m in INSTITUTION.finditer(sentence):
        if not free(m.start(), m.end()) or sentence[m.end():m.end() + 2].startswith(" «"):
            continue
        head = m["head"]
        tail = []
        for w in (m["tail"] or "").split():  # the complement is in the genitive: "транспорта", "развития"
            if not (w == "и" and tail) and not morph.has_tag(w, "gent"):
                break
            tail.append(w)
        if tail and tail[-1] == "и":
            tail.pop()
        caps = _owner(m["caps"].split() if len(tail) == len((m["tail"] or "").split()) else [], is_country)
        tail = " ".join(tail)
        if not tail and not caps:
            continue
        if caps and not any(_is_place_word(c, is_country) or c.isupper() or morph.has_tag(c, "gent") for c in caps):
            caps = []
        caps = caps if caps or not m["caps"] else []
        if not tail and not caps:
            continue
        text = " ".join([head, *tail.split(), *caps])
        name = morph.nominative(" ".join([head, *tail.split()])) + (" " + " ".join(caps) if caps else "")
        out.append(Found("organisations", name, m.start(), m.start() + len(text), 0.7,
                         {"aliases": _acronym(sentence, m.start() + len(text))}))
    for m in ADJ_INSTITUTION.finditer(sentence):
        if free(m.start(), m.end()) and not any(f.start <= m.start() < f.end for f in out):
            out.append(Found("organisations", morph.nominative(m["name"]), m.start(), m.end(), 0.7,
                             {"organisation_type": "development_finance_institution" if "развития" in m["name"]
                              else "company", "aliases": _acronym(sentence, m.end())}))
    for m in HEAD_ROUTE.finditer(sentence):
        if not free(m.start(), m.end()):
            continue
        ends = [p.strip() for p in re.split(r" ?[—–] ?| - ", m["route"])]
        ends = [e for e in ends if e]
        head = morph.nominative(m["head"])
        out.append(Found("projects", f"{head[:1].upper()}{head[1:]} {m['route']}", m.start(), m.end(), 0.7,
                         {"project_type": _kind(m["head"]), "aliases": _acronym(sentence, m.end())}))
        for e in ends:
            if _stop(e, is_country):
                out.append(Found("places", morph.nominative(e) if " " not in e else e, m.start("route"),
                                 m.end(), 0.5, {"endpoint": True}))
    for m in ROUTE_ANY.finditer(sentence):  # "по маршруту Термез — Найбабад — Кабул": its stops are places
        if free(m.start(), m.end()) and not any(f.kind == "projects" and f.start <= m.start() < f.end for f in out):
            out += [Found("places", morph.nominative(e) if " " not in e else e, m.start(), m.end(), 0.5,
                          {"endpoint": True})
                    for e in re.split(r" ?[—–] ?| - ", m.group()) if e.strip() and _stop(e.strip(), is_country)]
    for m in HEAD_ACRONYM.finditer(sentence):
        if free(m.start(), m.end()) and not is_country(m["acr"]):
            head = morph.nominative(m["head"])
            out.append(Found("projects", f"{head[:1].upper()}{head[1:]} {m['acr']}", m.start(), m.end(), 0.6,
                             {"project_type": _kind(m["head"]), "aliases": [m["acr"]]}))
    for m in ADJ_PROJECT.finditer(sentence):
        if free(m.start(), m.end()) and not any(f.start <= m.start() < f.end for f in out):
            out.append(Found("projects", morph.nominative(m["name"]), m.start(), m.end(), 0.6,
                             {"project_type": _kind(m["name"]), "aliases": _acronym(sentence, m.end())}))
    for m in ADJ_GEO.finditer(sentence):
        if free(m.start(), m.end()):
            out.append(Found("places", morph.nominative(m["name"]), m.start(), m.end(), 0.6, {}))
    for m in PLACE_AFTER_CUE.finditer(sentence):
        name = m["name"]
        if not free(m.start(), m.end()) or is_country(name) or name in NOT_NAMES or _adjective(name):
            continue
        river = m["cue"].casefold().startswith("рек")  # a river is named with its word: "река Нарын"
        out.append(Found("places", ("река " if river else "") + morph.nominative(name), m.start("name"), m.end(),
                         0.6, {}))
    out += _people(sentence, is_country, free)
    out += [f for f in ministries(sentence, is_country) if not any(
        g.kind == "organisations" and g.name.casefold() == f.name.casefold() for g in out)]
    return out


def _last_cue(pattern: re.Pattern, before: str) -> re.Match | None:
    """The cue nearest the quote: in "железной дороги и газопровода «X»" it is "газопровода"."""
    m = pattern.search(before)
    while m:
        nearer = pattern.search(before, m.start() + 1)
        if not nearer:
            return m
        m = nearer
    return None


def _owner(words: list[str], is_country: Callable[[str], bool]) -> list[str]:
    """The capitalised words that end an institution's name: "Узбекистана", "Кыргызской
    Республики", "Республики Казахстан", "ООН"; a person's name after them is not theirs."""
    caps: list[str] = []
    for w in words:
        if caps and not (w.isupper() or _adjective(caps[-1])
                         or (re.match(r"Республик|Федераци", caps[-1]) and is_country(w))):
            break
        caps.append(w)
    return caps


def _stop(word: str, is_country: Callable[[str], bool]) -> bool:
    """A stop of a route: not a country, not a word in capitals (a dateline's agency), not a
    common word ("Строительство")."""
    return not (is_country(word) or word.isupper() or (
        " " not in word and morph.is_known(word) and not morph.has_tag(word, "Geox")))


def _adjective(word: str) -> bool:
    ps = morph.parses(word)
    return bool(ps) and ("ADJF" in ps[0].tag or "PRTF" in ps[0].tag)


def quoted_spans(sentence: str) -> list[tuple[int, int]]:
    """Where names in quotes stand: a country or town inside «Западная Европа — Западный Китай»
    is part of a name."""
    return [(m.start(), m.end()) for m in GUILLEMETS.finditer(sentence)]


MINISTER = re.compile(rf"(?<![\w-])(?i:министр|министра|министром|министру|министре)(?P<field>(?: [а-яё]+){{1,3}})"
                      rf"(?P<country>(?: {W}){{0,3}})")


def ministries(sentence: str, is_country: Callable[[str], bool]) -> list[Found]:
    """A minister's title names the ministry: "министр энергетики Монголии" -> "Министерство
    энергетики Монголии"."""
    out = []
    for m in MINISTER.finditer(sentence):
        field = []
        for w in m["field"].split():
            if not (morph.has_tag(w, "gent") or (w == "и" and field)) or w in ("обязанности",):
                break
            field.append(w)
        if not field or field[-1] == "и" or len(field) < len(m["field"].split()):
            continue
        country = _owner((m["country"] or "").split(), is_country)
        if country and not (is_country(country[0]) or _adjective(country[0])
                            or re.match(r"Республик|Федераци", country[0])):
            country = []
        elif country and _adjective(country[-1]):
            country = country[:-1]
        name = " ".join(["Министерство", *field, *country])
        out.append(Found("organisations", name, m.start(), m.end(), 0.6, {"organisation_type": "ministry"}))
    return out


def _people(sentence: str, is_country: Callable[[str], bool], free: Callable[[int, int], bool]) -> list[Found]:
    found: list[Found] = []
    for pattern, has_title in ((TITLE_THEN_NAME, True), (SPEECH_THEN_NAME, False), (NAME_THEN_SPEECH, False)):
        for m in pattern.finditer(sentence):
            words = m["name"].split()
            start = m.start("name")
            # Countries, places and institutions before the name belong to the title
            # ("министр транспорта Узбекистана Жасур Абдуллаев").
            while words and (is_country(words[0]) or (_adjective(words[0]) and len(words) > 2) or words[0] in NOT_NAMES or words[0].isupper()
                             or morph.has_tag(words[0], "Orgn") or re.match(r"Республик|Федераци", words[0])
                             or (morph.has_tag(words[0], "Geox") and not morph.has_tag(words[0], "Name"))):
                start += len(words[0]) + 1
                words = words[1:]
            words = words[:3]
            if not 2 <= len(words) <= 3 or not free(start, start + 1) or any(
                    not re.fullmatch(r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ]?[а-яё]+)?", w) or is_country(w) for w in words):
                continue
            if any(f.start == start for f in found):
                continue
            name = morph.person_nominative(words)
            title = sentence[m.start("title"):start].strip() if has_title else None
            found.append(Found("people", name, start, start + len(" ".join(words)), 0.8 if title else 0.6,
                               {"title": title} if title else {}))
    return found


__all__ = ["find"]
