"""Russian word forms: the nominative of a name read in any case ("Министерства транспорта" ->
"Министерство транспорта", "Жасура Абдуллаева" -> "Жасур Абдуллаев"), with pymorphy3.

pymorphy3 ships its dictionary as a package (pymorphy3-dicts-ru, OpenCorpora), so it works
offline; it guesses words it does not know (most Central Asian names) from their endings. The
caches are bounded: a 2 MiB capture holds some 300,000 words.
"""
from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

CYRILLIC = re.compile(r"^[А-ЯЁа-яё][А-ЯЁа-яё-]*$")


@lru_cache(maxsize=1)
def analyzer() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=50_000)
def parses(word: str) -> tuple[Any, ...]:
    word = re.sub(r"-\d+$", "", word)  # "ГЭС-1" is read as "ГЭС"
    if not CYRILLIC.match(word):
        return ()
    return tuple(analyzer().parse(word.lower())[:4])


def fold(word: str) -> str:
    return word.casefold().replace("ё", "е")


@lru_cache(maxsize=50_000)
def lemmas(word: str) -> frozenset[str]:
    """The word and its likely dictionary forms, folded: "Ташкенте" -> {"ташкенте", "ташкент"}."""
    return frozenset({fold(word)} | {fold(p.normal_form) for p in parses(word)})


def has_tag(word: str, tag: str) -> bool:
    return any(tag in p.tag for p in parses(word))


def is_known(word: str) -> bool:
    return bool(CYRILLIC.match(word)) and analyzer().word_is_known(word.lower())


def _like(original: str, new: str) -> str:
    """`new` written with the capitals of `original` ("ЖЕЛЕЗНОЙ"/"Железной"/"железной")."""
    if original.isupper() and len(original) > 1:
        return new.upper()
    if original[:1].isupper():
        return "-".join(p[:1].upper() + p[1:] for p in new.split("-")) if "-" in original[1:] and all(
            x[:1].isupper() for x in original.split("-")) else new[:1].upper() + new[1:]
    return new


def _inflect(parse: Any, grams: set[str], word: str) -> str:
    try:
        form = parse.inflect(grams)
    except (ValueError, KeyError):  # pymorphy3 refuses some grammeme sets for guessed words
        form = None
    return _like(word, form.word) if form else word


def nominative(phrase: str) -> str:
    """The phrase with its head noun, and the adjectives before it, in the nominative singular
    (plural heads stay plural); words after the head (its genitive complements) stay as written."""
    words = phrase.split(" ")
    # The head is the first word read first as a noun: "Каспийского" may be a surname too.
    nouns = [i for i, w in enumerate(words) if parses(w) and "NOUN" in parses(w)[0].tag] or \
        [i for i, w in enumerate(words) if any("NOUN" in p.tag for p in parses(w))]
    if not nouns:
        return phrase
    ps = [p for p in parses(words[nouns[0]]) if "NOUN" in p.tag]
    head = (nouns[0], next((p for p in ps if "sing" in p.tag), ps[0]))
    i, hp = head
    gender = hp.tag.gender
    number = hp.tag.number or "sing"
    out = list(words)
    for k in range(i):
        ps = [p for p in parses(words[k]) if "ADJF" in p.tag or "PRTF" in p.tag]
        if ps:
            grams = {"nomn", number} | ({gender} if gender and number == "sing" else set())
            out[k] = _inflect(ps[0], grams, words[k])
    suffix = re.search(r"-\d+$", words[i])
    out[i] = _inflect(hp, {"nomn", number}, re.sub(r"-\d+$", "", words[i])) + (suffix[0] if suffix else "")
    return " ".join(out)


def person_nominative(words: list[str]) -> str:
    """A person's name in the nominative: the given name's case and gender decide the surname's
    ("Жасура Абдуллаева" -> "Жасур Абдуллаев", "Анны Петровой" -> "Анна Петрова")."""
    first = [p for p in parses(words[0]) if "Name" in p.tag and "sing" in p.tag] if words else []
    if any("nomn" in p.tag for p in first):
        return " ".join(words)
    if not first:  # a name the dictionary does not know: only a Slavic surname's ending tells the case
        m = SURNAME_OBLIQUE.search(words[-1]) if len(words) > 1 else None
        if not m:
            return " ".join(words)
        given = [re.sub(r"(?<=[бвгджзклмнпрстфхцчшщ])(?:а|у|ом|е)$", "", w) for w in words[:-1]]
        return " ".join(given + [_surname(words[-1])])
    case, gender = first[0].tag.case, first[0].tag.gender
    out = []
    for k, w in enumerate(words):
        ps = [p for p in parses(w) if p.tag.case == case and (p.tag.gender in (gender, None))
              and ("Name" in p.tag or "Surn" in p.tag or "Patr" in p.tag)]
        if ps:
            out.append(_inflect(ps[0], {"nomn"} | ({gender} if gender else set()), w))
        else:
            out.append(_surname(w) if k else w)
    return " ".join(out)


SURNAME_OBLIQUE = re.compile(r"(?:(?:ов|ев|ёв|ин|ын)(?:а|у|ым|е|ой)|(?:ск|цк)(?:ого|ому|им|ом|ой|ую))$")


def _surname(word: str) -> str:
    """A Slavic surname's nominative from its ending, where the dictionary has no entry."""
    word = re.sub(r"(ов|ев|ёв|ин|ын)(а|у|ым|е)$", r"\1", word)
    word = re.sub(r"(ов|ев|ёв|ин|ын)ой$", r"\1а", word)
    return re.sub(r"(ск|цк)(?:ого|ому|им|ом)$", r"\1ий", re.sub(r"(ск|цк)(?:ой|ую)$", r"\1ая", word))


__all__ = ["fold", "has_tag", "is_known", "lemmas", "nominative", "parses", "person_nominative"]
