"""Who does what in a sentence: parties with roles, who lends to whom, a project's stage, and
sanctions, read from the words between the names the drafter has already found.

Pure functions over one sentence and its `Mention`s (a name's kind, what it refers to and where
it stands). The cues are the verbs and prepositions of news language in English and Russian
(`relation_cues.yaml`, data, not code): "X will lend", "a loan from X", "built by X", "X won the
contract", "кредит ... от X", "генподрядчик — X". A cue must sit next to the name, with at most
a short apposition between ("X, the state railway, will build"), so a name elsewhere in the
sentence is never given a role it does not have.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

# A short apposition or bracket between a name and its verb: "EBRD, the bank, is lending",
# "Kuryk Port Development LLP (KPD) will", "Росатом, по данным источника, построит".
_APPOSITION = r"(?:\s*\([^()]{1,40}\))?(?:\s*,[^,.;:]{1,60},)?"
_AUX = r"(?:\s*,?\s+(?:which|who|that))?(?:\s+(?:has|have|had|will|would|is|are|was|were|also|already|now|" \
       r"so\s+far|jointly|reportedly|has\s+been|had\s+been|agreed\s+(?:in\s+principle\s+)?to|plans\s+to|" \
       r"intends\s+to|is\s+to|committed\s+to|pledged\s+to|promised\s+to|decided\s+to|undertook\s+to|" \
       r"is\s+ready\s+to|is\s+willing\s+to|" \
       r"is\s+set\s+to|is\s+expected\s+to|will\s+also))*"


@dataclass(frozen=True)
class Mention:
    kind: str  # countries, organisations, projects, blocs
    ref: str  # a known record's id, or a drafted record's id
    start: int
    end: int


@lru_cache(maxsize=1)
def cues() -> dict[str, Any]:
    text = resources.files("infratracker.intake").joinpath("relation_cues.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


@lru_cache(maxsize=8)
def _compiled(language: str) -> dict[str, Any]:
    c = cues()[language]
    out: dict[str, Any] = {"after": [], "before": []}
    for role, patterns in (c.get("role_after") or {}).items():
        # the name, then perhaps an apposition and auxiliaries, then the cue
        out["after"] += [(role, re.compile(r"^" + _APPOSITION + (_AUX if language == "en" else r"(?:\s+\w+){0,2}?")
                                           + r"\s+(?:" + p + r")", re.I)) for p in patterns]
    for role, patterns in (c.get("role_before") or {}).items():
        # the cue, then perhaps an article, then the name
        # ...and perhaps an owner's possessive: "built by Italy's Webuild" names Webuild
        out["before"] += [(role, re.compile(r"(?:" + p + r")\s*(?:the\s+|a\s+|an\s+|[«\"“]\s*)?"
                                            r"(?:\w[\w.-]*(?:\s+\w[\w.-]*)?['’]s\s+)?$", re.I)) for p in patterns]
    # Russian: the same verb gives the giver in the nominative and the receiver in the dative
    # ("выделит Кыргызстану", "профинансирует Узбекистан", "кредит Китайского банка").
    out["by_case"] = [(re.compile(r"(?:" + rule["cue"] + r")\s*(?:[«\"“]\s*)?$", re.I),
                       {k: v for k, v in rule.items() if k != "cue"}) for rule in c.get("role_by_case") or []]
    out["status"] = [(status, re.compile(p, re.I)) for status, p in c["status"]]
    out["study_before"] = re.compile(c["study_before"], re.I)
    out["constraint"] = re.compile(c["constraint"], re.I)
    out["possible"] = re.compile(c["possible"], re.I)
    out["expected"] = re.compile(c["expected"], re.I)
    out["affected"] = re.compile(c["affected"] + r"\s*(?:the\s+)?$", re.I)
    out["imposed_after"] = re.compile(c["imposed_after"] + r"\s*(?:the\s+)?$", re.I)
    return out


PARTY_KINDS = ("countries", "organisations", "blocs")
FINANCIER_ROLES = ("lender", "funder", "investor")


def roles(sentence: str, mentions: list[Mention], language: str = "en") -> list[tuple[Mention, str]]:
    """(party, role) for every country, bloc or organisation a cue next to it gives a role."""
    lang = "ru" if language.startswith("ru") else "en"
    pats = _compiled(lang)
    out: list[tuple[Mention, str]] = []
    for m in mentions:
        if m.kind not in PARTY_KINDS or re.match(r"['’]s\s", sentence[m.end:m.end + 3]):
            continue  # "Italy's Webuild": the role is the company's
        after = sentence[m.end:m.end + 120]
        before = sentence[max(0, m.start - 80):m.start]
        # a preposition binds closer than a verb: "a loan from X, ..., to finance" is X's loan
        role = next((r for r, p in pats["before"] if p.search(before)), None) or \
            next((r for r, p in pats["after"] if p.match(after)), None) or \
            next((by_case.get(_case(sentence[m.start:m.end])) for p, by_case in pats["by_case"]
                  if p.search(before) and by_case.get(_case(sentence[m.start:m.end]))), None)
        if role:
            out.append((m, role))
    return out


def _case(name: str) -> str:
    """The grammatical case of a Russian name, read from its first word: nomn, gent, datv...; an
    acronym ("ЕАБР") or an unknown word counts as nominative, the case of a subject."""
    from infratracker.intake.morph import parses

    word = name.split()[0].strip("«\"“") if name.split() else ""
    found = parses(word) if word and not word.isupper() else ()
    if not found:
        return "nomn"
    cases = [p.tag.case for p in found if p.tag.case]
    return cases[0] if cases else "nomn"


def status(sentence: str, language: str = "en") -> str | None:
    """The stage a sentence reports (OC4IDS projectStatus), the first cue in cue order: a finished
    project before works under way before preparation; future tense is preparation at most."""
    found = status_at(sentence, language)
    return found[0] if found else None


def status_at(sentence: str, language: str = "en") -> tuple[str, int] | None:
    """(stage, where its cue starts). A study, design or tender that was completed or began is a
    step of preparation, not the works' ("the feasibility study was completed in May")."""
    lang = "ru" if language.startswith("ru") else "en"
    pats = _compiled(lang)
    for stage, p in pats["status"]:
        m = p.search(sentence)
        if m:
            if stage in ("completion", "implementation") and pats["study_before"].search(sentence[max(0, m.start() - 100):m.start() + 1]):
                return "preparation", m.start()
            return stage, m.start()
    return None


def constraint(sentence: str, mentions: list[Mention], language: str = "en") -> dict[str, Any] | None:
    """Sanctions or export controls the sentence reports: who imposes them (a country, bloc or
    organisation written just before the word, or after "by"), on whom, and how sure it is."""
    lang = "ru" if language.startswith("ru") else "en"
    pats = _compiled(lang)
    hit = pats["constraint"].search(sentence)
    if not hit:
        return None
    by = affected = None
    for m in mentions:
        if m.kind not in PARTY_KINDS:
            continue
        gap = sentence[m.end:hit.start()]
        if m.end <= hit.start() and len(gap) <= 25 and not re.search(r"[.;:]|\b(?:and|и)\s+\w+\s+\w+", gap):
            by = m  # the nearest before: "US sanctions", "Western sanctions"
        elif m.start < hit.end():
            continue
        elif pats["affected"].search(sentence[hit.end():m.start]):
            affected = affected or m  # "sanctions against Iran", "санкции против России"
        elif pats["imposed_after"].search(sentence[hit.end():m.start]) and by is None:
            by = m  # "sanctions imposed by the EU", "под санкциями Совета Безопасности ООН"
    likelihood = "possible" if pats["possible"].search(sentence) else \
        "expected" if pats["expected"].search(sentence) else "in_effect"
    return {"by": by, "affected": affected, "likelihood": likelihood, "start": hit.start(), "end": hit.end()}


def agreement(sentence: str, language: str = "en") -> dict[str, Any]:
    """The document a sentence reports: its words as written (the noun phrase from the document's
    word to the next comma, at most ten words), its `agreement_type` and `status`."""
    lang = "ru" if language.startswith("ru") else "en"
    c = cues()[lang]["agreement"]
    out: dict[str, Any] = {"name": None, "agreement_type": None, "status": None}
    for code, pattern in c["types"]:
        m = re.search(pattern, sentence, re.I)
        if m:
            out["agreement_type"] = code
            words = re.split(r"[,;:.()«»\"“”]| (?:which|that|who|and will|to be)\b|, (?:который|которое|которая)",
                             sentence[m.start():])[0].split()[:10]
            name = " ".join(words).strip()
            out["name"] = name[:1].upper() + name[1:] if name else None
            break
    out["status"] = next((code for code, pattern in c["status"] if re.search(pattern, sentence, re.I)), None)
    return out


def nearest(mentions: list[Mention], kind: str, at: int) -> Mention | None:
    """The mention of `kind` closest to position `at`, one after it preferred at equal distance
    ("a loan ... for the X railway")."""
    best = None
    for m in mentions:
        if m.kind != kind:
            continue
        d = m.start - at if m.start >= at else (at - m.end) + 1
        if best is None or d < best[0]:
            best = (d, m)
    return best[1] if best else None


__all__ = ["FINANCIER_ROLES", "Mention", "agreement", "constraint", "cues", "nearest", "roles", "status"]
