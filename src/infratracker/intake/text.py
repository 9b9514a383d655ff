"""Sentences and headlines of a captured article.

Sentences come from pysbd (rule-based, offline, English and Russian), one line at a time so
that a headline never runs into the first paragraph; each is a whole sentence of the body,
whitespace folded as quotes are matched, so it can be quoted as it stands.
"""
from __future__ import annotations

import html
import re
from functools import lru_cache

from infratracker.core import captures

# pysbd is linear in practice but slow on pathological input; a line longer than this is not
# prose (a table or a run-together dump) and is split on sentence punctuation alone.
PYSBD_MAX_LINE = 20_000
# pysbd reads about 0.4 MB a second. A news article is tens of kilobytes, so the first
# PYSBD_BUDGET characters of a body (some ten articles) get its care with "U.S." and "Mr."; the
# rest of an oversized capture is split on punctuation alone, which keeps 2 MiB to about a second.
PYSBD_BUDGET = 300_000
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“«(A-ZА-ЯЁ0-9])")
MAX_TITLE = 120
# What never ends a sentence: a number sign with or without its number, a title before a name.
NO_END = re.compile(r"(?:\b(?:No|Nos|Mr|Mrs|Ms|Dr|Prof|Gen|Lt|Col|Sgt|St|Mt)\.\s?\d*)$")


@lru_cache(maxsize=4)
def _segmenter(language: str):
    import pysbd

    return pysbd.Segmenter(language=language if language in ("en", "ru") else "en", clean=False)


def sentences(body: str, language: str = "en") -> list[str]:
    out: list[str] = []
    budget = PYSBD_BUDGET
    for line in body.split("\n"):
        line = captures.normalise(line)
        if not line:
            continue
        if len(line) <= min(PYSBD_MAX_LINE, budget):
            parts = _segmenter(language[:2]).segment(line)
            budget -= len(line)
        else:
            parts = SENTENCE_END.split(line)
        out += [p.strip() for p in parts if p.strip()]
    return _rejoin(out)


def _rejoin(parts: list[str]) -> list[str]:
    """pysbd splits after a dateline ("MOSCOW, April 2.") and a wire tag ("/TASS/."); a piece
    of up to three words is no sentence and goes with the next one."""
    out: list[str] = []
    carry = ""
    for p in parts:
        if out and not carry and NO_END.search(out[-1]):
            out[-1] = f"{out[-1]} {p}"  # "China Railway No.5 | Engineering Group": pysbd took "No." for an end
            continue
        if len(p.split()) <= 3 and re.search(r"[.:]$", p) and not re.search(r"[!?]$", p):
            carry = f"{carry} {p}".strip()
            continue
        out.append(f"{carry} {p}".strip() if carry else p)
        carry = ""
    if carry:
        out.append(carry)
    return out


def _text(fragment: str) -> str:
    return captures.normalise(html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


SITE_SUFFIX = re.compile(r"\s+[|–—-]\s+[^|–—-]{1,60}$")


def html_title(markup: str) -> str | None:
    """The page's headline: its first <h1>; else <title> without the site's name after a bar
    or dash ("Headline | Site")."""
    m = re.search(r"<h1\b[^>]*>(.*?)</h1>", markup[:500_000], re.I | re.S)
    if m and _text(m[1]):
        return _text(m[1])
    m = re.search(r"<title[^>]*>(.*?)</title>", markup[:500_000], re.I | re.S)
    if not m or not _text(m[1]):
        return None
    title = _text(m[1])
    stripped = SITE_SUFFIX.sub("", title)
    return stripped if len(stripped) >= 12 else title


def plain_title(body: str, language: str = "en") -> str | None:
    """The first line when it is short enough to be a headline, else its first sentence when
    that is; None when even that is a paragraph (the caller asks for --title)."""
    first = captures.normalise(body.strip().split("\n", 1)[0]) if body.strip() else ""
    if first and len(first) <= MAX_TITLE:
        return first
    lead = sentences(first, language)[:1]
    if lead and len(lead[0]) <= MAX_TITLE:
        return lead[0]
    return None


__all__ = ["html_title", "plain_title", "sentences"]
