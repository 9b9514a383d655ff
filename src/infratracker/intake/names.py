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
    "jsc": "company", "cjsc": "state_company", "ojsc": "company", "pjsc": "company", "llc": "company",
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
ORG_AFTER = re.compile(r"^\s*(?:national |state |joint-stock |state-owned )?(company|corporation|joint venture|"
                       r"consortium|holding|bank|group)\b", re.I)
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
PROJECT_HEADS = ("railway line", "railway", "railroad", "rail link", "rail line", "line", "highway", "motorway",
                 "expressway", "road", "corridor", "route", "gas pipeline", "oil pipeline", "pipeline",
                 "seaport", "dry port", "port", "terminal", "bridge", "tunnel", "hydropower plant", "power plant",
                 "hydroelectric power plant", "hpp", "dam", "canal", "airport", "logistics hub", "hub",
                 "power line", "transmission line", "interconnector", "project", "section")
PROJECT_KIND = {"rail": "railway", "line": "railway", "highway": "road", "motorway": "road", "expressway": "road",
                "road": "road", "corridor": "corridor", "route": "corridor", "pipeline": "pipeline",
                "port": "port", "seaport": "port", "terminal": "port", "bridge": "road", "tunnel": "railway",
                "plant": "power_plant", "hpp": "power_plant", "dam": "dam", "canal": "other",
                "airport": "airport", "hub": "logistics_hub", "interconnector": "power_line"}
_HEADS = "|".join(re.escape(h) for h in PROJECT_HEADS)
HEAD_AFTER = re.compile(rf"^\s*(?:(?:high-speed|new|cross-border|international|transit|main|gas|oil|railway|"
                        rf"road|transport|transmission|second|double-track|electrified)\s+){{0,2}}(?P<head>{_HEADS})\b", re.I)
GEO_HEADS = {"sea", "river", "lake", "gulf", "bay", "pass", "region", "oblast", "province", "mountains",
             "valley", "strait", "island", "islands", "peninsula", "district", "steppe", "desert", "basin",
             "canal", "krai", "governorate", "autonomous"}
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


@dataclass
class Chunk:
    start: int
    end: int
    words: list[str]
    text: str
    acronym: str | None = None  # "(ADY)" right after the name

    @property
    def lower(self) -> list[str]:
        return [w.lower().rstrip(".") for w in self.words]


def _capitalised(word: str) -> bool:
    return word[:1].isupper() or (word[:1].isdigit() and len(word) <= 4)


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
            if gap not in (" ", "\u00a0") or re.search(r"['’]s$", words[j - 1][2]):
                break
            wj = words[j][2]
            if _capitalised(wj):
                j += 1
                continue
            if wj.lower() in CONNECT and j + 1 < len(words) and words[j + 1][2][:1].isupper() \
                    and sentence[words[j][1]:words[j + 1][0]] == " ":
                if wj.lower() == "and" and not any(x[2].lower() in ("for", "of") for x in words[i:j]):
                    break
                j += 2 if not words[j + 1][2].lower() == "the" else 1
                continue
            break
        seq = words[i:j]
        while seq and seq[0][2].lower() in STOP and len(seq) > 1:
            seq = seq[1:]
        while seq and seq[-1][2].lower() in CONNECT:
            seq = seq[:-1]
        if seq and not (len(seq) == 1 and seq[0][2].lower() in STOP):
            start, end = seq[0][0], seq[-1][1]
            text = re.sub(r"(?:['’]s|\.)$", "", sentence[start:end])
            acr = re.match(r"\s*\(([A-ZА-ЯЁ][\w&.-]{1,9})\)", sentence[end:end + 14])
            out.append(Chunk(start, start + len(text), [x[2] for x in seq], text, acr[1] if acr else None))
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


def _org_type(chunk: Chunk, after: str) -> str | None:
    for w in reversed(chunk.lower):
        if w in ORG_CUES:
            t = ORG_CUES[w]
            return "development_finance_institution" if t == "bank" and DFI.search(chunk.text) else t
    m = ORG_AFTER.match(after)
    if m:
        return {"bank": "bank", "joint venture": "joint_venture", "consortium": "consortium"}.get(
            m[1].lower(), "state_company" if "national" in m.group(0).lower() or "state" in m.group(0).lower()
            else "company")
    return None


def _person(chunk: Chunk, before: str, after: str) -> tuple[str, str | None] | None:
    """(name, title) when the chunk is or ends with a person's name."""
    low = chunk.lower
    titled = [k for k, w in enumerate(low) if w in TITLE_HEADS or w in ("prime", "vice")]
    tail = [w for w in chunk.words[(titled[-1] + 1) if titled else 0:]]
    while tail and (tail[0].lower() in TITLES or tail[0].lower() in CONNECT or tail[0].isupper()):
        tail = tail[1:]
    tail = tail[-3:]
    if len(tail) == 1 and titled and titled[-1] == len(low) - 2:
        pass  # "President Pezeshkian": a title and a surname
    elif not (2 <= len(tail) <= 3) or any(not re.fullmatch(r"[A-ZА-ЯЁ][a-zа-яё'’-]+(?:-[A-ZА-ЯЁ][a-zа-яё]+)?", w)
                                        for w in tail):
        return None
    if any(w.lower() in ORG_CUES or w.lower() in GEO_HEADS for w in tail):
        return None
    name = " ".join(tail)
    title_words = chunk.text[:chunk.text.rfind(tail[0])].strip() if titled else None
    if titled or SPEECH_AFTER.match(after) or SPEECH_BEFORE.search(before) or re.search(
            r"\b(?:" + "|".join(TITLE_HEADS) + r")\s+$", before, re.I):
        return name, title_words or None
    return None


def classify(sentence: str, chunk: Chunk) -> list[Found]:
    before, after = sentence[max(0, chunk.start - 40):chunk.start], sentence[chunk.end:chunk.end + 60]
    low = chunk.lower
    org = _org_type(chunk, after)
    head = HEAD_AFTER.match(after)
    if org and not (low[-1] in ("railway",) and head):
        extra = {"organisation_type": org}
        if chunk.acronym:
            extra["aliases"] = [chunk.acronym]
        name = chunk.text
        if low[-1] not in ORG_CUES and ORG_AFTER.match(after) and org in ("joint_venture", "consortium"):
            name = chunk.text
        return [Found("organisations", re.sub(r"^(?:The|the) ", "", name), chunk.start, chunk.end, 0.8, extra)]
    person = _person(chunk, before, after)
    if person:
        name, title = person
        s = chunk.start + chunk.text.rfind(name)
        return [Found("people", name, s, s + len(name), 0.8 if title else 0.6, {"title": title} if title else {})]
    last = low[-1]
    if head or last in ("railway", "corridor", "route", "pipeline", "highway", "road", "line", "hpp", "port",
                        "bridge", "tunnel", "canal", "motorway", "expressway", "dam", "terminal", "airport"):
        name = chunk.text + (after[:head.end()].rstrip() if head else "")
        name = re.sub(r"^(?:The|the) ", "", name)
        key = (head["head"] if head else last).lower().split()[-1]
        kind = PROJECT_KIND.get(key, "railway" if "rail" in name.lower() else "other")
        if key in ("project", "section"):
            kind = "other"
        extra = {"project_type": kind}
        if chunk.acronym:
            extra["aliases"] = [chunk.acronym]
        found = [Found("projects", name, chunk.start, chunk.start + len(name), 0.7, extra)]
        parts = re.split(r"\s?[-–—]\s?", chunk.text) if re.search(r"[-–—]", chunk.text) else []
        if 2 <= len(parts) <= 5 and all(re.fullmatch(r"[A-ZА-ЯЁ][\w']+", p) for p in parts) \
                and not chunk.text.lower().startswith(("north", "south", "east", "west", "trans")):
            found += [Found("places", p, chunk.start, chunk.end, 0.5, {"endpoint": True}) for p in parts]
        return found
    if last in GEO_HEADS or GEO_AFTER.match(after):
        g = GEO_AFTER.match(after)
        name = chunk.text + (after[:g.end()] if g and last not in GEO_HEADS else "")
        return [Found("places", name, chunk.start, chunk.start + len(name), 0.6, {})]
    return []


def only_titles(words: list[str]) -> bool:
    """Words that may stand before a name without making a longer name ("Russian Deputy Minister")."""
    return all(w.lower() in TITLES or w.lower() in CONNECT or NATIONALITY.match(w) for w in words)


__all__ = ["only_titles", "Chunk", "Found", "chunks", "classify"]
