"""Archived sources: checksums, strict decoding and derivation of the article body."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode(data: bytes, encoding: str = "utf-8") -> str:
    """Decode strictly: a byte that is not valid in the encoding is an error, never replaced."""
    text = data.decode(encoding, errors="strict")
    return text[1:] if text.startswith("\ufeff") else text


@dataclass(frozen=True)
class BodyRule:
    skip_lines: int
    ends_before: str | None
    drop: tuple[str, ...]
    strip: str | None
    format: str = "text"  # or "html": tags are removed first

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "BodyRule":
        return cls(int(spec.get("skip_lines") or 0), spec.get("ends_before"),
                   tuple(spec.get("drop") or ()), spec.get("strip"), spec.get("format") or "text")


class _HTMLText(HTMLParser):
    """Visible text of a page, one block per line; navigation, scripts and forms left out.
    Where the page marks an <article>, only its text is kept."""

    SKIP = {"script", "style", "nav", "header", "footer", "aside", "form", "noscript", "template", "svg"}
    BLOCKS = {"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section", "article",
              "blockquote", "pre", "ul", "ol", "table", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.article: list[str] | None = None
        self.skipping = 0
        self.in_article = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self.skipping += 1
        elif tag == "article":
            self.in_article += 1
            if self.article is None:
                self.article = []
        if tag in self.BLOCKS:
            self._emit("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1
        elif tag == "article" and self.in_article:
            self.in_article -= 1
        if tag in self.BLOCKS:
            self._emit("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self._emit(data)

    def _emit(self, text: str) -> None:
        self.parts.append(text)
        if self.in_article and self.article is not None:
            self.article.append(text)

    def text(self) -> str:
        raw = "".join(self.article if self.article else self.parts)
        lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in raw.split("\n"))
        return "\n".join(line for line in lines if line)


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    parser.feed(markup)
    parser.close()
    return parser.text()


def derive_body(text: str, rule: BodyRule) -> str:
    """The article body of a capture: pure, so the same capture always gives the same body."""
    if rule.format == "html":
        text = html_to_text(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[rule.skip_lines:]
    if rule.ends_before:
        end = re.compile(rule.ends_before)
        for i, line in enumerate(lines):
            if end.match(line.strip()):
                lines = lines[:i]
                break
    drops = [re.compile(p) for p in rule.drop]
    kept = [line for line in lines if not any(d.match(line.strip()) for d in drops)]
    body = "\n".join(kept).strip()
    if rule.strip:
        body = re.sub(rule.strip, "", body).strip()
    return body


_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Whitespace folded to single spaces, NFC; the form in which quotes are matched."""
    return _WS.sub(" ", unicodedata.normalize("NFC", text)).strip()


def quote_in_body(quote: str, normalised_body: str) -> bool:
    return normalise(quote) in normalised_body
