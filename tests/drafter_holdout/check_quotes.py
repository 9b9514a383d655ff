#!/usr/bin/env python3
"""Check every `quote:` in every *.expected.yaml against its article body.

Plain-text articles (.txt): the body is everything after the first blank line
(headline, `Publisher:` and `Published:` lines come before it).
HTML articles (.html): the body is the visible text of the <article> element
(or <div class="article-body">), tags stripped, entities decoded.
In both cases whitespace is collapsed before comparing.

Also checks: YAML parses, top-level keys present, `published` matches the
article's date, `language` matches the file name, ISO codes look right,
amounts are plain numbers.

Usage: python3 check_quotes.py [dir]   (exit code 1 if any problem)
"""
import html
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import yaml

KEYS = ["published", "language", "countries", "projects", "organisations",
        "people", "places", "amounts", "quantities", "dates", "constraints"]
SKIP_TAGS = {"script", "style", "noscript", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
        "meta", "source", "track", "wbr"}


def collapse(s):
    return re.sub(r"\s+", " ", s).strip()


class BodyText(HTMLParser):
    """Collect visible text inside the main article container."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth = 0          # >0 while inside the body container
        self.skip = 0
        self.parts = []
        self.all_parts = []
        self.pub = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "time" and a.get("datetime") and self.pub is None:
            self.pub = a["datetime"][:10]
        if tag in VOID:
            return
        if tag in SKIP_TAGS:
            self.skip += 1
        cls = (a.get("class") or "").split()
        if self.depth:
            self.depth += 1
        elif tag == "article" or (tag == "div" and "article-body" in cls):
            self.depth = 1
        if tag in ("p", "h1", "h2", "h3", "li", "blockquote", "div", "br"):
            self._add(" ")

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag in SKIP_TAGS and self.skip:
            self.skip -= 1
        if tag in ("p", "h1", "h2", "h3", "li", "blockquote", "div"):
            self._add(" ")
        if self.depth:
            self.depth -= 1

    def _add(self, s):
        self.all_parts.append(s)
        if self.depth:
            self.parts.append(s)

    def handle_data(self, data):
        if not self.skip:
            self._add(data)


def article_body(path):
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        p = BodyText()
        p.feed(raw)
        body = "".join(p.parts)
        if not body.strip():
            return None, p.pub, "no <article>/<div class=article-body> found"
        return collapse(html.unescape(body)), p.pub, None
    lines = raw.split("\n")
    pub = None
    for ln in lines[:5]:
        if ln.startswith("Published:"):
            pub = ln.split(":", 1)[1].strip()
    try:
        blank = lines.index("")
    except ValueError:
        return None, pub, "no blank line after header"
    return collapse("\n".join(lines[blank + 1:])), pub, None


def walk_quotes(data):
    for key in KEYS[2:]:
        for i, item in enumerate(data.get(key) or []):
            if not isinstance(item, dict):
                yield key, i, None, "item is not a mapping"
                continue
            yield key, i, item, None


def main():
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent
    problems = 0
    n_quotes = 0
    yamls = sorted(root.glob("*.expected.yaml"))
    for y in yamls:
        stem = y.name[: -len(".expected.yaml")]
        arts = [p for p in (root / (stem + ".txt"), root / (stem + ".html")) if p.exists()]
        if len(arts) != 1:
            print(f"{y.name}: expected exactly one article file, found {len(arts)}")
            problems += 1
            continue
        art = arts[0]
        body, pub, err = article_body(art)
        if err:
            print(f"{art.name}: {err}")
            problems += 1
            continue
        try:
            data = yaml.safe_load(y.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            print(f"{y.name}: YAML error: {e}")
            problems += 1
            continue
        for k in KEYS:
            if k not in data:
                print(f"{y.name}: missing key {k}")
                problems += 1
        if str(data.get("published")) != str(pub):
            print(f"{y.name}: published {data.get('published')} != article {pub}")
            problems += 1
        lang = stem.split("-")[1]
        if data.get("language") != lang:
            print(f"{y.name}: language {data.get('language')} != file name {lang}")
            problems += 1
        for key, i, item, err in walk_quotes(data):
            if err:
                print(f"{y.name}: {key}[{i}]: {err}")
                problems += 1
                continue
            q = item.get("quote")
            if not q:
                print(f"{y.name}: {key}[{i}]: no quote")
                problems += 1
                continue
            n_quotes += 1
            if collapse(str(q)) not in body:
                print(f"{y.name}: {key}[{i}]: quote not in body: {q[:90]!r}")
                problems += 1
            for ck in ("iso3", "country_iso3"):
                v = item.get(ck)
                if v is not None and not re.fullmatch(r"[A-Z]{3}", str(v)):
                    print(f"{y.name}: {key}[{i}]: bad {ck} {v!r}")
                    problems += 1
            if key == "quantities" and not isinstance(item.get("value"), (int, float)):
                print(f"{y.name}: {key}[{i}]: value not a number")
                problems += 1
            if key == "projects" and item.get("status") not in (
                    None, "planned", "under_construction", "completed", "suspended"):
                print(f"{y.name}: {key}[{i}]: bad status {item.get('status')!r}")
                problems += 1
            if key == "amounts":
                if not isinstance(item.get("amount"), (int, float)):
                    print(f"{y.name}: {key}[{i}]: amount not a number")
                    problems += 1
                if not re.fullmatch(r"[A-Z]{3}", str(item.get("currency"))):
                    print(f"{y.name}: {key}[{i}]: bad currency")
                    problems += 1
    arts_all = sorted(p for p in root.iterdir() if p.suffix in (".txt", ".html"))
    for a in arts_all:
        if not (root / (a.stem + ".expected.yaml")).exists():
            print(f"{a.name}: no expected.yaml")
            problems += 1
    print(f"{len(yamls)} expected files, {len(arts_all)} articles, {n_quotes} quotes checked, {problems} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
