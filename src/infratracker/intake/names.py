"""Proper names in a sentence and what they name: organisations, people, projects, places.

A *chunk* is a run of capitalised words (with "of", "for", "the" and, after those, "and"
inside it: "Bank for Reconstruction and Development"); "Russia and Iran" are two chunks. What a
chunk names comes from cue words, the way news writing marks it: a company form or an
institution word (JSC, Bank, Ministry, "national company"), a title before a name ("Deputy
Transport Minister Pavel Lugovoi"), a speech verb after one ("..., Jordan Ellis said"), an
infrastructure word after a route ("Bakhty–Ayagoz railway"), a geographic word ("Black Sea",
"Abai region"). The chunks also decide which gazetteer hits count: a known name inside a
longer proper name ("Caspian Service", "Vladimir Putin", "Georgia Mills") is not a hit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

WORD = re.compile(r"[\w][\w'’&.]*(?:[-–—][\w][\w'’&.]*)*")
CONNECT = {"of", "for", "the", "and", "de", "al", "on"}

ORG_CUES = {
    "jsc": "company", "co": "company", "cjsc": "state_company", "ojsc": "company", "pjsc": "company", "llc": "company",
    "llp": "company", "ltd": "company", "plc": "company", "inc": "company", "gmbh": "company", "ag": "company",
    "company": "company", "corporation": "company", "corp": "company", "group": "company", "holding": "company",
    "holdings": "company", "engineering": "company", "construction": "company", "service": "company",
    "services": "company", "logistics": "company", "shipping": "company", "energy": "company",
    "railways": "state_company", "gaz": "state_company", "neftegaz": "state_company",
    "bank": "bank", "fund": "development_finance_institution", "ministry": "ministry",
    "agency": "agency", "committee": "agency", "authority": "agency", "administration": "agency",
    "commission": "multilateral", "organization": "multilateral", "organisation": "multilateral",
    "secretariat": "multilateral", "union": "multilateral", "council": "agency", "exchange": "company",
    "consortium": "consortium", "venture": "joint_venture", "multimodal": "joint_venture",
    "department": "ministry", "office": "agency", "treasury": "ministry", "government": "government",
}
# Words that end a company's name but may stand inside other names ("Green Energy Corridor").
WEAK_CUES = {"engineering", "construction", "service", "services", "logistics", "shipping", "energy", "exchange",
             "multimodal", "venture", "office", "council", "union", "finance", "capital", "partners", "analytics",
             "advisory", "consulting", "consultants", "institute", "investments", "industries", "operations",
             "systems", "trading", "airlines", "airways", "development", "bureau", "ports", "terminals",
             "society", "partnership", "chamber"}
ORG_CUES.update({w: ORG_CUES.get(w, "company") for w in WEAK_CUES})
ORG_CUES.update({"institute": "other", "bureau": "agency", "finance": "agency",
                 "association": "other", "federation": "other", "foundation": "other", "alliance": "other"})
# Words that open an institution's name before "of" or "for": "Office of Foreign Assets Control".
INSTITUTION_FIRST = {"office", "ministry", "department", "agency", "committee", "council", "commission", "bureau",
                     "administration", "authority", "directorate", "bank", "fund", "institute", "union",
                     "chamber", "federation", "service", "organization", "organisation"}
# A common noun just before a name that says it is an organisation: "state concern Turkmengaz",
# "the Iranian company Anzali Caspian Port Operations", "Hungarian utility MVM".
ORG_NOUNS = (r"company|concern|operator|utility|giant|firm|lender|contractor|carrier|developer|producer|monopoly|"
             r"consultancy|insurer|conglomerate|shipowner|subsidiary|investor|exporter|importer|builder|"
             r"regulator|think[- ]tank|start-?up|shipyard|manufacturer|supplier|bank|fund|agency|group|holding|"
             r"consortium|forwarder|airline|railway operator|press service|news agency|broadcaster|newspaper")
ORG_BEFORE = re.compile(rf"(?<![A-Z])\b(?:{ORG_NOUNS})\s+$")
ORG_APPOSITIVE = re.compile(rf"^\s*,\s*(?:the|a|an)\s+(?:[\w-]+\s+){{0,3}}?(?:{ORG_NOUNS})\b")
# A lowercase job title between an organisation and a person: "Georgian Railway chief David Peradze".
TITLE_AFTER = re.compile(r"^\s+(?:chief executive|chief|chairman|chairwoman|head|ceo|president|spokes(?:man|woman|person)|"
                         r"(?:general |managing |executive )?director|director general|general manager|board member)"
                         r"\s+[A-Z][a-z]+\s+[A-Z]")
# A job title with "of" or "at" names where one works: "managing partner of ...", "analyst at ...".
EMPLOYER_BEFORE = re.compile(r"\b(?:(?:partner|analyst|director|officer|executive|founder|economist|researcher|expert|"
                             r"manager|adviser|advisor|professor|lecturer|fellow|engineer|employee)s?|head|chief|"
                             r"chairman|chairwoman|ceo|spokes(?:man|woman|person)|staff)"
                             r"(?:\s+(?:of|for)\s+[a-z]+(?:\s+[a-z]+)?)?\s+(?:of|at)\s+(?:the\s+)?$", re.I)
EMPLOYER_TITLES = {"partner", "analyst", "director", "head", "chief", "officer", "executive", "chairman",
                   "chairwoman", "ceo", "founder", "economist", "researcher", "expert", "manager", "spokesman",
                   "spokeswoman", "spokesperson", "adviser", "advisor", "professor", "fellow"}
ORG_AFTER = re.compile(r"^\s*(?:national |state |joint-stock |state-owned )?(company|corporation|joint venture|"
                       r"consortium|holding|bank|group|newspaper|news agency|broadcaster)\b", re.I)
DFI = re.compile(r"development bank|investment bank|bank for reconstruction|exim|export-import|infrastructure "
                 r"investment|development fund|банк развития", re.I)
TITLES = {
    "president", "prime", "minister", "deputy", "vice", "chairman", "chairwoman", "chair", "director", "general",
    "head", "ceo", "chief", "executive", "ambassador", "governor", "mayor", "secretary", "spokesman",
    "spokeswoman", "spokesperson", "adviser", "advisor", "senator", "first", "managing", "board", "mr", "ms",
    "mrs", "dr", "professor", "senior", "analyst", "envoy", "special", "representative", "commissioner",
    "founder", "partner", "economist", "researcher", "expert", "manager", "officer", "lead", "sheikh",
    "transport", "foreign", "economy", "energy", "finance", "economic", "affairs", "trade", "digital",
    "industry", "infrastructure", "development", "railways", "roads", "transportation", "communications",
}
TITLE_HEADS = {"president", "minister", "chairman", "chairwoman", "chair", "director", "head", "ceo", "chief",
               "ambassador", "governor", "mayor", "secretary", "spokesman", "spokeswoman", "spokesperson",
               "adviser", "advisor", "analyst", "envoy", "representative", "commissioner", "founder", "partner",
               "economist", "researcher", "expert", "manager", "officer", "mr", "ms", "mrs", "dr", "professor",
               "premier", "deputy"}
SPEECH_AFTER = re.compile(r"^\s*(?:,\s*(?:the |a |an )?(?:[\w-]+ ){0,3}(?:" + "|".join(sorted(TITLE_HEADS)) +
                          r")\b|(?:has |had |also )?(?:said|says|told|noted|added|stated|explained|announced|"
                          r"stressed|emphasized|emphasised|believes|argues|wrote|recalled|pointed out|met|visited|arrived))", re.I)
SPEECH_BEFORE = re.compile(r"(?:said|says|told|according to|noted|added|stressed|by|with|interviewed|asked)\s+$",
                           re.I)
NATIONALITY = re.compile(r"^[A-Z][a-z]+(?:ian|ese|ish|ani|i|an|ic|ek|en|men|yz|ik|h)$")
# Adjectives of nationality, told apart from names that merely end alike ("Tornvik", "Bazargan").
DEMONYM = re.compile(r"^(?:[A-Z][a-z]+(?:ian|ese|ish|ean|ani)|Kazakh|Uzbek|Turkmen|Kyrgyz|Tajik|Afghan|Azeri|Iraqi|"
                     r"Omani|Emirati|Israeli|Saudi|Kuwaiti|Qatari|Yemeni|Bahraini|Thai|Swiss|Dutch|Greek|French|"
                     r"German|American|African|Mexican|Korean|Tibetan|Uygur|Uyghur|Arab|Czech|Slovak|Serb|Croat|"
                     r"Latvian|Turkic|Slavic|Baltic|Nordic|Asian|Caucasian|Persian|Kurdish|Russian|Chechen)$")
PROJECT_HEADS = ("railway line", "railway", "railroad", "rail link", "rail line", "line", "highway", "motorway",
                 "expressway", "road", "corridor", "route", "gas pipeline", "oil pipeline", "pipeline",
                 "seaport", "dry port", "port", "terminal", "bridge", "tunnel", "hydropower plant", "power plant",
                 "hydroelectric power plant", "hpp", "dam", "canal", "airport", "logistics hub", "hub",
                 "power line", "transmission line", "interconnector", "project", "section", "subsea cable",
                 "submarine cable", "power cable", "cable", "wind farm", "solar park", "substation", "refinery",
                 "logistics centre", "logistics center", "free economic zone", "special economic zone",
                 "economic zone", "industrial zone", "ring road", "bypass")
PROJECT_KIND = {"rail": "railway", "line": "railway", "highway": "road", "motorway": "road", "expressway": "road",
                "road": "road", "corridor": "corridor", "route": "corridor", "pipeline": "pipeline",
                "port": "port", "seaport": "port", "terminal": "port", "bridge": "road", "tunnel": "railway",
                "plant": "power_plant", "hpp": "power_plant", "dam": "dam", "canal": "other",
                "airport": "airport", "hub": "logistics_hub", "interconnector": "power_line", "cable": "power_line",
                "farm": "power_plant", "park": "power_plant", "substation": "power_line", "refinery": "other",
                "centre": "logistics_hub", "center": "logistics_hub", "zone": "other", "bypass": "road"}
_HEADS = "|".join(re.escape(h) for h in PROJECT_HEADS)
HEAD_AFTER = re.compile(rf"^\s*(?:\((?P<acr>[A-Z][A-Za-z0-9&]{{1,9}})\)\s+)?(?:(?:high-speed|new|cross-border|international|transit|main|gas|oil|railway|"
                        rf"road|transport|transmission|second|double-track|electrified|subsea|undersea|submarine|"
                        rf"hvdc|power|container|ferry|cargo|solar|wind|lng|four-lane|six-lane|standard-gauge|"
                        rf"broad-gauge|underwater|electric)\s+){{0,2}}(?P<head>{_HEADS})\b", re.I)
GEO_HEADS = {"sea", "river", "lake", "gulf", "bay", "pass", "region", "oblast", "province", "mountains",
             "valley", "strait", "island", "islands", "peninsula", "district", "steppe", "desert", "basin",
             "canal", "krai", "governorate", "autonomous", "range", "ridge", "plateau", "delta", "reservoir",
             "glacier", "highlands", "lowland", "coast"}
GEO_OF = {"republic", "gulf", "bay", "sea", "strait", "isle", "island", "islands", "region", "province", "city",
          "autonomous", "cape", "lake", "mouth"}
GEO_AFTER = re.compile(r"^\s*(region|province|oblast|district|city|governorate|county|krai|prefecture)\b")
PLACE_BEFORE = re.compile(r"(?:port|ports|city|town|village|station|border crossing|checkpoint|region|province) of\s+$"
                          r"|(?:in|at|to|from|near|via|through)\s+$", re.I)
# Capitalised words that start sentences or datelines and name nothing.
STOP = {"the", "a", "an", "this", "that", "these", "those", "it", "its", "in", "on", "at", "by", "for", "from",
        "with", "as", "and", "but", "or", "if", "when", "while", "after", "before", "since", "according",
        "meanwhile", "earlier", "later", "also", "however", "there", "here", "he", "she", "they", "we", "i",
        "our", "their", "his", "her", "what", "which", "who", "read", "more", "photo", "news", "monday",
        "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
        "april", "may", "june", "july", "august", "september", "october", "november", "december", "once",
        "construction", "under", "last", "next", "both", "each", "all", "one", "two", "three", "such",
        "today", "yesterday", "now", "then", "thus", "so", "yet", "still", "over", "about", "new", "first",
        "phase", "stage", "total", "however", "although", "because", "until", "during", "between", "among"}


CALENDAR = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
            "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"}


@dataclass
class Chunk:
    start: int
    end: int
    words: list[str]
    text: str
    acronym: str | None = None  # "(ADY)" right after the name
    based: bool = False  # "Astrakhan" of "Astrakhan-based"

    @property
    def lower(self) -> list[str]:
        return [w.lower().rstrip(".") for w in self.words]


# ", Ltd." or "., Ltd." after "Co": the company form after a comma is still the name.
COMPANY_FORM = re.compile(r"\.?,\s(?:Co\.,?\s)?(?:Ltd|LLC|LLP|JSC|CJSC|Inc|PLC|GmbH|AG|SA)\b\.?")


def _full_stop(word: str) -> bool:
    """A word that ends a sentence pysbd did not end ("...Engineering Group. On the..."), not an
    abbreviation ("Co.", "U.S.", "No.5", "Mr.")."""
    core = word.rstrip(".")
    return word.endswith(".") and len(core) > 3 and "." not in core and not core.isupper()


def _capitalised(word: str) -> bool:
    return word[:1].isupper() or (word[:1].isdigit() and len(word) <= 4)


# Two place-like words joined by a spaced dash and followed by a lower-case word ("Dostyk –
# Moyynty second track"); not a dateline in capitals ("ASTANA – The"), not a clause ("Baku – which").
SPACED_ROUTE = re.compile(r"[A-Z][a-z][\w'’-]* [–—] [A-Z][a-z][\w'’-]*\s+[a-z]")


def chunks(sentence: str) -> list[Chunk]:
    """Runs of capitalised words; a lone capitalised stop word is no chunk."""
    words = [(m.start(), m.end(), m.group()) for m in WORD.finditer(sentence)]
    out: list[Chunk] = []
    i = 0
    while i < len(words):
        s, e, w = words[i]
        if not w[:1].isupper():
            i += 1
            continue
        j = i + 1
        while j < len(words):
            gap = sentence[words[j - 1][1]:words[j][0]]
            if gap in (" – ", " — ") and SPACED_ROUTE.match(sentence[words[j - 1][0]:]):
                j += 1  # "the Dostyk – Moyynty line": a route the press writes with a spaced dash
                continue
            if gap not in (" ", "\u00a0") or re.search(r"['’]s$", words[j - 1][2]) or _full_stop(words[j - 1][2]):
                break
            wj = words[j][2]
            if _capitalised(wj):
                j += 1
                continue
            if wj.lower() in ("of", "for") and j + 2 < len(words) and words[j + 1][2] == "the" \
                    and words[j + 2][2][:1].isupper() and words[j + 2][2].lower() not in CALENDAR \
                    and sentence[words[j][1]:words[j + 2][0]] == " the " \
                    and any(x[2].lower().rstrip(".") in ORG_CUES or x[2].lower() in TITLE_HEADS for x in words[i:j]):
                j += 3  # "Roads Department of the Ministry of ...", "Ministry of Transport of the Russian Federation"
                continue
            if wj.lower() in CONNECT and j + 1 < len(words) and words[j + 1][2][:1].isupper() \
                    and sentence[words[j][1]:words[j + 1][0]] == " " and words[j + 1][2].lower() not in CALENDAR \
                    and not (wj.lower() == "on" and words[j + 1][2].lower() == "the"):
                if wj.lower() == "and" and not any(x[2].lower() in ("for", "of") for x in words[i:j]):
                    break
                if wj.lower() == "and" and DEMONYM.match(words[j + 1][2]) and (
                        j + 2 >= len(words) or not words[j + 2][2][:1].isupper()):
                    break  # "the Development Bank of Kazakhstan and Chinese lenders"
                j += 2 if not words[j + 1][2].lower() == "the" else 1
                continue
            break
        seq = words[i:j]
        while seq and seq[0][2].lower() in STOP and len(seq) > 1:
            seq = seq[1:]
        based = re.fullmatch(r"([^\W\d_][\w'’]*(?:-[^\W\d_][\w'’]*)?)-based", seq[0][2]) if seq else None
        if based:  # "the Astrakhan-based Volga-Caspian Shipping Company": a place, then the name
            out.append(Chunk(seq[0][0], seq[0][0] + len(based[1]), [based[1]], based[1], based=True))
            seq = seq[1:]
        while seq and seq[-1][2].lower() in CONNECT:
            seq = seq[:-1]
        if seq and not (len(seq) == 1 and seq[0][2].lower() in STOP):
            start, end = seq[0][0], seq[-1][1]
            text = re.sub(r"(?:['’]s|\.)$", "", sentence[start:end])
            form = COMPANY_FORM.match(sentence[start + len(text):start + len(text) + 16])
            form_words: list[str] = []
            if form and not (len(seq) == 1 and seq[0][2].lower().rstrip(".") in ORG_CUES):
                text += form.group()
                form_words = re.findall(r"[A-Za-z]+", form.group())
                while j < len(words) and words[j][0] < start + len(text):
                    j += 1  # "Railway Co., Ltd.": the company form is part of the name
            end = start + len(text)
            acr = re.match(r"\s*\(([A-ZА-ЯЁ][\w&.-]{1,9})\)", sentence[end:end + 14])
            out.append(Chunk(start, start + len(text), [x[2] for x in seq] + form_words, text, acr[1] if acr else None))
        i = max(j, i + 1)
    return out


@dataclass
class Found:
    kind: str  # organisations, people, projects, places
    name: str
    start: int
    end: int
    confidence: float
    extra: dict[str, Any] = field(default_factory=dict)


def _org_type(chunk: Chunk, after: str, before: str = "") -> str | None:
    low = chunk.lower
    if len(low) == 1 and (low[0] in ORG_CUES or DEMONYM.match(chunk.words[0])):
        return None  # "Bank", "Ltd", "Iranian" alone name no one
    if low[0] in INSTITUTION_FIRST and len(low) > 2 and low[1] in ("of", "for") and low[0] in ORG_CUES:
        t = ORG_CUES[low[0]]  # "Ministry of Economy and Finance", "Bank for Reconstruction and Development"
        return "development_finance_institution" if t == "bank" and DFI.search(chunk.text) else t
    for k in range(len(low) - 1, -1, -1):
        w = low[k]
        if w in WEAK_CUES and any(x in TITLE_HEADS or x == "vice" for x in low):
            continue  # "Vice President for Investment Operations" is a title
        if w in ORG_CUES and (w not in WEAK_CUES or k == len(low) - 1 or (
                k == 0 and w in INSTITUTION_FIRST and len(low) > 2 and low[1] in ("of", "for"))):
            t = ORG_CUES[w]
            return "development_finance_institution" if t == "bank" and DFI.search(chunk.text) else t
    if low[0] in INSTITUTION_FIRST and len(low) > 2 and low[1] in ("of", "for"):
        return ORG_CUES.get(low[0], "agency")
    if ORG_BEFORE.search(before) or ORG_APPOSITIVE.match(after):
        return "company"
    m = ORG_AFTER.match(after)
    if m:
        return {"bank": "bank", "joint venture": "joint_venture", "consortium": "consortium"}.get(
            m[1].lower(), "state_company" if "national" in m.group(0).lower() or "state" in m.group(0).lower()
            else "company")
    return None


# Words of bylines and mastheads, never a person's name ("By Staff Writer").
NOT_NAMES = {"staff", "writer", "correspondent", "editor", "reporter", "desk", "news", "times", "press", "daily",
             "weekly", "agency", "port", "railway", "road", "bridge", "corridor", "route", "line", "pipeline"}


def _name_word(w: str) -> bool:
    """A given name or surname: capitalised letters of any alphabet ("Aydoğan", "Mohammad-Reza", "O'Neill")."""
    parts = re.split(r"[-'’]", w.rstrip("."))
    return 1 < len(w) <= 30 and all(p.isalpha() and p[:1].isupper() and (
        len(p) == 1 or p[1:].islower() or re.fullmatch(r"Ma?c[A-Z][a-z]+", p) is not None) for p in parts if p)


# The last words of a ministry's or a state's name, which a person's name follows in a title.
PORTFOLIO_WORDS = {"resources", "affairs", "development", "transport", "energy", "economy", "finance", "industry",
                   "trade", "communications", "construction", "infrastructure", "republic", "agriculture", "water",
                   "defence", "defense", "health", "education", "justice", "labour", "labor", "investment",
                   "investments", "commerce", "planning", "roads", "railways", "ecology", "environment", "digital",
                   "technologies", "policy", "relations", "emergencies", "state", "federation", "kingdom", "union"}


def _person(chunk: Chunk, before: str, after: str) -> tuple[str, str | None] | None:
    """(name, title) when the chunk is or ends with a person's name."""
    low = chunk.lower
    titled = [k for k, w in enumerate(low) if w in TITLE_HEADS or w in ("prime", "vice")]
    tail = [w.rstrip(".") for w in chunk.words[(titled[-1] + 1) if titled else 0:]]
    while tail and (tail[0].lower() in TITLES or tail[0].lower() in CONNECT or tail[0].isupper()):
        tail = tail[1:]
    # "Minister of Energy and Water Resources Jamshed Nurzoda": after a long title, the name is
    # its last two words; a third only if it is no word of a ministry's or country's name
    if titled and len(tail) > 3 or len(tail) == 3 and tail[0].lower() in PORTFOLIO_WORDS:
        tail = tail[-2:]
    tail = tail[-3:]
    if len(tail) == 1 and titled and titled[-1] == len(low) - 2:
        pass  # "President Pezeshkian": a title and a surname
    elif not (2 <= len(tail) <= 3) or not all(_name_word(w) for w in tail):
        return None
    if len(tail) == 1 and not _name_word(tail[0]):
        return None
    if any(w.lower() in ORG_CUES or w.lower() in GEO_HEADS or w.lower() in NOT_NAMES for w in tail):
        return None
    name = " ".join(tail)
    title_words = chunk.text[:chunk.text.rfind(tail[0])].strip() if titled else None
    if titled or SPEECH_AFTER.match(after) or SPEECH_BEFORE.search(before) or re.search(
            r"\b(?:" + "|".join(TITLE_HEADS) + r")\s+$", before, re.I):
        return name, title_words or None
    return None


PROJECT_LAST = ("railway", "railroad", "corridor", "route", "pipeline", "highway", "road", "line", "hpp", "port",
                "bridge", "tunnel", "canal", "motorway", "expressway", "dam", "terminal", "airport", "interconnector",
                "cable", "zone", "farm", "substation", "refinery")
# Units before an infrastructure word are a size, not a name: "a 50 MW solar power plant".
UNITS = {"mw", "gw", "kw", "kv", "km", "teu", "bcm", "mt", "mtpa", "mln", "bln", "twh", "gwh", "mwh"}
DIRECTIONS = {"northern", "southern", "eastern", "western", "central", "north", "south", "east", "west", "new",
              "old", "main", "second", "first", "third", "national", "international", "regional", "silk"}
# "the port of Kuryk", "the city of Tacheng", "the Torugart border crossing": the name is a place.
PLACE_OF = re.compile(r"\b(?:port|seaport|city|town|village|settlement|station|border crossing|checkpoint|"
                      r"region|province|oblast|district|island|exclave|enclave) of\s+(?:the\s+)?$", re.I)
PLACE_AFTER = re.compile(r"^\s+(?:border crossing|border checkpoint|checkpoint|crossing point|border post|"
                         r"(?:railway |train )?station|junction)\b")
PLACE_HEADS = {"port", "seaport", "dry port", "station", "border crossing", "checkpoint", "crossing", "terminal"}


WORKS = (r"expansion|extension|electrification|reconstruction|modernisation|modernization|upgrade|upgrading|"
         r"rehabilitation|dredging|doubling|widening|dualling|dualing")
WORKS_BEFORE = re.compile(rf"\b(?P<works>{WORKS})\s+of\s+(?:the\s+)?(?:[\d.,]+[- ]?(?:km|kilometres?|kilometers?|"
                          rf"miles?)(?:[- ]long)?\s+)?(?:[A-Z][\w-]*['’]s\s+)?$", re.I)
WORKS_AFTER = re.compile(rf"^\s+(?P<works>{WORKS})\b(?!\s+of\b)", re.I)


COMPOUND_ADJECTIVE = re.compile(r"-(?:era|funded|built|backed|led|financed|owned|bound|made|style|type|gauge|"
                                r"operated|run|sponsored|supported|designed|linked|oriented)$")


def _single_name(chunk: Chunk) -> bool:
    """One proper word, not an adjective of nationality or direction: "Kuryk", "Jalal-Abad"."""
    return (len(chunk.words) == 1 and chunk.lower[0] not in DIRECTIONS and not DEMONYM.match(chunk.words[0])
            and not chunk.words[0].isupper()
            and re.fullmatch(r"[^\W\d_][\w'’]*(?:-[\w'’]+)*", chunk.words[0].rstrip(".")) is not None)


def _acronym_of(chunk: Chunk) -> bool:
    """The acronym in brackets spells the name's initials ("Office of Foreign Assets Control (OFAC)")."""
    acr = (chunk.acronym or "").upper()
    if not re.fullmatch(r"[A-Z]{2,8}", acr):
        return False
    words = [p for w in chunk.words for p in re.split(r"[-–—]", w) if p]
    initials = "".join(p[0].upper() for p in words if p.lower() not in CONNECT)
    every = "".join(p[0].upper() for p in words)
    return acr in (initials, every) or (len(acr) >= 3 and (initials.startswith(acr) or acr in initials))


MINISTRY_OF = {"foreign": "Foreign Affairs", "interior": "Internal Affairs", "defence": "Defence",
               "defense": "Defense"}


def _institution_name(name: str, before: str) -> tuple[str, list[str]]:
    """A ministry in the form its records use: "Transport Ministry" -> "Ministry of Transport";
    "Russia's Transport Ministry" -> "Ministry of Transport of Russia"; "Kyrgyz Republic Ministry
    of Transport" -> "Ministry of Transport of the Kyrgyz Republic"; the words written stay an alias."""
    words = name.split()
    if len(words) > 8 or not re.search(r"\bMinistry\b", name):
        return name, []
    k = words.index("Ministry")
    owner, body = words[:k], words[k:]
    if len(body) == 1 and owner:  # "[Russian] Transport Ministry"
        topic = [w for w in owner if not DEMONYM.match(w)]
        owner = owner[:len(owner) - len(topic)] if topic and owner[-len(topic):] == topic else []
        if not topic:
            return name, []
        body = ["Ministry", "of", MINISTRY_OF.get(" ".join(topic).lower(), " ".join(topic))]
    elif len(body) < 3 or body[1] not in ("of", "for"):
        return name, []
    possessor = re.search(r"\b((?:[A-Z][\w-]+ ){0,2}[A-Z][\w-]+)['’]s\s+$", before)
    if not owner and possessor:
        owner, written = possessor[1].split(), f"{possessor[1]}'s {name}"
    else:
        written = name
    if owner and any(DEMONYM.match(w) for w in owner) and not re.search(r"Republic|Federation|Kingdom", " ".join(owner)):
        owner = []  # "Turkish Transport Ministry": the adjective is no owner's name
    full = " ".join(body) + (" of " + ("the " if owner[-1] in ("Republic", "Federation", "Kingdom", "Emirates",
                                                                "States") else "") + " ".join(owner) if owner else "")
    return (full, [written]) if full != written else (name, [])


def classify(sentence: str, chunk: Chunk) -> list[Found]:
    before, after = sentence[max(0, chunk.start - 60):chunk.start], sentence[chunk.end:chunk.end + 60]
    low = chunk.lower
    # "Chief Executive Officer of Kuryk Port Development": the title's employer is the name.
    for k in range(len(low) - 2):
        if low[k] in EMPLOYER_TITLES and low[k + 1] in ("of", "at"):
            rest = chunk.words[k + 2:]
            if rest and rest[0].lower() == "the":
                rest = rest[1:]
            if not rest or rest[0].lower() in TITLES or rest[0].lower() in ("directors", "management", "staff"):
                break  # "Chairman of the Board Nurlan Sadykov": a title, then a name
            tail_text = chunk.text[len(" ".join(chunk.words[:k + 2])) - 1:]
            m = re.search(r"\s(?:the\s)?(" + re.escape(rest[0]) + r"\b.*)$", tail_text)
            if m:
                s = chunk.end - len(m[1])
                return [Found("organisations", m[1], s, chunk.end, 0.6, {"organisation_type": "company"})]
            break
    head = HEAD_AFTER.match(after)
    last = low[-1]
    project_last = last in PROJECT_LAST and last not in ORG_CUES
    if TITLE_AFTER.match(after) and not _person(chunk, before, ""):
        head, project_last = None, False  # "Georgian Railway chief David Peradze": whose chief
    org = None if project_last else _org_type(chunk, after, before)
    if org is None and (EMPLOYER_BEFORE.search(before) or TITLE_AFTER.match(after)) and not any(
            w in TITLE_HEADS for w in low) and not (len(low) == 1 and DEMONYM.match(chunk.words[0])):
        org = "company"
    if org and not (low[-1] in ("railway",) and head):
        extra: dict[str, Any] = {"organisation_type": org}
        if chunk.acronym:
            extra["aliases"] = [chunk.acronym]
        name = chunk.text
        m = ORG_AFTER.match(after)
        if last not in ORG_CUES and m and m[1].lower() == "consortium":
            name = chunk.text + " " + m[1]  # "Doğu Raylı Sistemler consortium"
        name, aliases = _institution_name(name, before)
        if aliases:
            extra["aliases"] = extra.get("aliases", []) + aliases
        strong = (last in ORG_CUES or any(w in ORG_CUES and w not in WEAK_CUES for w in low)
                  or ORG_AFTER.match(after) or chunk.acronym)
        return [Found("organisations", re.sub(r"^(?:The|the) ", "", name), chunk.start, chunk.end,
                      0.8 if strong else 0.6, extra)]
    person = _person(chunk, before, after)
    if person:
        name, title = person
        s = chunk.start + chunk.text.rfind(name)
        return [Found("people", name, s, s + len(name), 0.8 if title else 0.6, {"title": title} if title else {})]
    if head or project_last:
        if (not head and len(low) == 1) or low[-1] in UNITS:
            return []  # "Tunnel", "Road" at a sentence's start; "a 50 MW plant"
        if len(low) == 1 and (low[0] in DIRECTIONS or DEMONYM.match(chunk.words[0]) or COMPOUND_ADJECTIVE.search(low[0])):
            return []  # "the Northern route", "a Romanian port", "the Soviet-era railway": a description, not a name
        tail = re.sub(r"\s*\([^)]*\)", "", after[:head.end()]).rstrip() if head else ""
        name = re.sub(r"^(?:The|the) ", "", chunk.text + tail)
        # The works are the project: "the electrification of the 340-km X railway", "the X port expansion".
        works = WORKS_BEFORE.search(before) or WORKS_AFTER.match(after[head.end() if head else 0:])
        base = name
        if works:
            name = f"{name} {works['works'].lower()}"
        key = (head["head"] if head else last).lower().split()[-1]
        kind = PROJECT_KIND.get(key, "railway" if "rail" in name.lower() else "other")
        if key in ("project", "section"):
            kind = "other"
        extra = {"project_type": kind}
        acronym = chunk.acronym or (head["acr"] if head else None)
        extra["aliases"] = [a for a in (acronym, base if works else None) if a]
        if not extra["aliases"]:
            del extra["aliases"]
        found = [Found("projects", name, chunk.start, chunk.end + (head.end() if head else 0), 0.7, extra)]
        parts = re.split(r"\s?[-–—]\s?", chunk.text) if re.search(r"[-–—]", chunk.text) else []
        if 2 <= len(parts) <= 5 and all(re.fullmatch(r"[A-ZА-ЯЁ][\w']+", p) for p in parts) \
                and not chunk.text.lower().startswith(("north", "south", "east", "west", "trans")):
            found += [Found("places", p, chunk.start, chunk.end, 0.5, {"endpoint": True}) for p in parts]
        elif head and _single_name(chunk) and head["head"].lower() in PLACE_HEADS:
            found.append(Found("places", chunk.text, chunk.start, chunk.end, 0.6, {}))  # "Kuryk port"
        return found
    if last in GEO_HEADS or GEO_AFTER.match(after):
        if len(low) == 1 and last in GEO_HEADS:
            return []  # "the Gulf" alone
        g = GEO_AFTER.match(after)
        name = chunk.text + (after[:g.end()] if g and last not in GEO_HEADS else "")
        of = re.search(r"^(.*?)\s(?:of|on)\s(?:the\s)?(?=\S)", name)
        if of and of[1].split()[-1].lower() not in GEO_HEADS | GEO_OF:
            name = name[of.end():]  # "the Legal Status of the Caspian Sea": the sea
        s = chunk.start + chunk.text.find(name[:20]) if name[:20] in chunk.text else chunk.start
        return [Found("places", name, s, s + len(name), 0.6, {})]
    if low[0] in GEO_OF and len(low) > 2 and low[1] == "of" or low[:3] == ["autonomous", "republic", "of"]:
        return [Found("places", chunk.text, chunk.start, chunk.end, 0.6, {})]  # "the Republic of Karakalpakstan"
    if _single_name(chunk) and PLACE_AFTER.match(after):
        return [Found("places", chunk.text, chunk.start, chunk.end, 0.6, {})]  # "the Torugart border crossing"
    if chunk.words[0].isupper() and 2 <= len(chunk.words[0]) <= 6 and len(low) == 1 and re.search(
            r"\b[A-Z][\w-]+['’]s\s+$", before):
        return [Found("organisations", chunk.text, chunk.start, chunk.end, 0.5, {"organisation_type": "company"})]
    if PLACE_OF.search(before) and (_single_name(chunk) or len(low) <= 3):
        return [Found("places", chunk.text, chunk.start, chunk.end, 0.6, {})]
    if chunk.based:
        return [Found("places", chunk.text, chunk.start, chunk.end, 0.5, {})]  # "Astrakhan-based"
    if _acronym_of(chunk):
        if any(w in PROJECT_LAST or w in ("project", "programme", "program") for w in low):
            return [Found("projects", chunk.text, chunk.start, chunk.end, 0.6,
                          {"project_type": "corridor" if {"route", "corridor"} & set(low) else "other",
                           "aliases": [chunk.acronym]})]
    return []


COORDINATION = re.compile(r"(?:,\s*|,?\s+(?:and|or)\s+)(?:the\s+)?")


def coordinated(sentence: str, classified: list[tuple[Chunk, list[Found]]],
                hits: list[tuple[str, int, int]]) -> list[tuple[Chunk, list[Found]]]:
    """Names listed together are of one kind: "after Dostyk and Altynkol" (a town, so both are),
    "Gazprom and China National Petroleum Corporation" (a company, so both are). Only a lone
    proper word that nothing else has named is read so, at a lower confidence."""
    def kind(chunk: Chunk, fs: list[Found]) -> str | None:
        if any(f.kind == "organisations" and f.start <= chunk.start and chunk.end <= f.end + 1 for f in fs):
            return "organisations"
        if any(f.kind == "places" and not f.extra.get("endpoint") for f in fs) or any(
                t == "places" and s == chunk.start and e == chunk.end for t, s, e in hits):
            return "places"
        return None

    groups: list[list[tuple[Chunk, list[Found]]]] = []
    for item in classified:
        c = item[0]
        if groups and COORDINATION.fullmatch(sentence[groups[-1][-1][0].end:c.start]) and len(groups[-1]) < 12:
            groups[-1].append(item)
        else:
            groups.append([item])
    out = []
    for group in groups:
        kinds = {kind(c, fs) for c, fs in group} - {None}
        if len(group) < 2 or len(kinds) != 1:
            continue
        k = kinds.pop()
        for c, fs in group:
            if fs or any(c.start <= s and e <= c.end for _t, s, e in hits) or len(c.words) > 3 or \
                    SPEECH_AFTER.match(sentence[c.end:c.end + 60]):
                continue  # "in the province of Kars, Aydoğan said": a person
            if k == "places" and len(c.words) == 1 and _single_name(c):
                out.append((c, [Found("places", c.text, c.start, c.end, 0.5, {})]))
            elif k == "organisations" and not DEMONYM.match(c.words[0]) and c.lower[0] not in STOP and (
                    len(c.words) == 1 or (len(c.words) <= 3 and c.words[0].isupper())):  # "DP World"
                out.append((c, [Found("organisations", c.text, c.start, c.end, 0.5, {"organisation_type": "company"})]))
    return out


PLACE_PREFIXES = {"port", "lake", "mount", "cape", "bandar", "greater"}


def only_titles(words: list[str]) -> bool:
    """Words that may stand before a name without making a longer name ("Russian Deputy Minister",
    "Port Aktau"); an adjective of nationality alone does ("European Union")."""
    return bool(words) and all(w.lower() in TITLES or w.lower() in CONNECT or w.lower() in PLACE_PREFIXES
                               or NATIONALITY.match(w) for w in words) and any(
        w.lower() in TITLES or w.lower() in PLACE_PREFIXES for w in words)


__all__ = ["only_titles", "Chunk", "Found", "chunks", "classify", "coordinated"]
