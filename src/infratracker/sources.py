"""Archived sources: checksums, strict decoding and derivation of the article body."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
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

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> "BodyRule":
        return cls(int(spec.get("skip_lines") or 0), spec.get("ends_before"),
                   tuple(spec.get("drop") or ()), spec.get("strip"))


def derive_body(text: str, rule: BodyRule) -> str:
    """The article body of a capture: pure, so the same capture always gives the same body."""
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
