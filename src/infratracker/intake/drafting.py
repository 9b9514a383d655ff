"""`infratracker add-article`: archive a capture and draft its extract for a curator.

Detection is pure (`detect(body, lexicon)`); reading the data and writing files sit at the edges
(`add_article`). Known records are found by canonical name and by every alias in the data;
new things (places from the gazetteer, dates, amounts, lengths, titled people, agreement
wording) go to a `draft:` section that the build refuses until a curator has sorted it.
"""
from __future__ import annotations

import csv
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infratracker.core import captures
from infratracker.core import reference
from infratracker.core import registry
from infratracker.core.cells import parse_date
from infratracker.core.paths import Layout, remove_stale
from infratracker.core.problems import CurationError

from infratracker.intake.detection import RECORD_KINDS, Lexicon, build_lexicon, detect, tokens  # noqa: F401 (the API)


def slug(text: str, words: int = 6) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    parts = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(parts[:words]) or "untitled"


@dataclass
class Capture:
    data: bytes
    text: str
    format: str  # "txt" or "html"


# A news article is tens of kilobytes; 2 MiB takes a few seconds to draft. A 50 MB file took
# 111 s and 895 MB and gave a 48 MB draft no curator could review.
MAX_CAPTURE_BYTES = 2 * 1024 * 1024

_KINDS = [(stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")]


def _read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file that is not a symbolic link, up to MAX_CAPTURE_BYTES. Checked
    on the opened file too, so that the path cannot be swapped between the check and the read."""
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise CurationError(f"cannot read {path.name}: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise CurationError(f"{path.name} is a symbolic link, not a regular file; pass the file itself")
    for test, kind in _KINDS:
        if test(st.st_mode):
            raise CurationError(f"{path.name} is {kind}, not a regular file")
    if st.st_size > MAX_CAPTURE_BYTES:
        raise CurationError(f"{path.name} has {st.st_size} bytes, over the limit of {MAX_CAPTURE_BYTES} bytes "
                            "for one captured article; save only the article")
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CurationError(f"{path.name} is not a regular file")
        data = fh.read(MAX_CAPTURE_BYTES + 1)
    if len(data) > MAX_CAPTURE_BYTES:
        raise CurationError(f"{path.name} has more than {MAX_CAPTURE_BYTES} bytes, the limit for one captured "
                            "article")
    return data


def read_capture(path: Path, encoding: str) -> Capture:
    data = _read_regular_file(path)
    if not data:
        raise CurationError(f"{path.name} is empty")
    try:
        text = captures.decode(data, encoding)
    except LookupError:
        raise CurationError(f"unknown encoding {encoding!r}") from None
    except UnicodeDecodeError as exc:
        raise CurationError(f"{path.name} is not valid {encoding} at byte {exc.start} "
                            f"({data[exc.start:exc.start + 4]!r}); pass --encoding with the encoding it was "
                            "saved in, e.g. --encoding cp1252 or --encoding cp1251") from None
    is_html = path.suffix.lower() in (".html", ".htm") or re.match(r"\s*<(!doctype|html)", text, re.I)
    return Capture(data, text, "html" if is_html else "txt")


# An extract written within this many seconds before data/sources.csv may have been written
# during the build that wrote it, so its published row may be older than the file ("racy", as
# git calls an index entry as new as the index).
RACY_SECONDS = 2.0


def known_sources(layout: Layout) -> list[dict[str, Any]]:
    """Every source already added, as {source_id, sha256, url, file}: a published extract from
    its row in data/sources.csv, and any extract added or edited since that file was written
    (or as new as it) from its own `source:` block. add-article so reads one CSV and the new
    extracts, not every extract: at 10,000 articles, parsing them all took 12 s and 1.4 GB to
    look for one duplicate."""
    published: dict[str, tuple[str, str]] = {}  # source id -> (sha256, url)
    sources_csv = layout.data / "sources.csv"
    since = sources_csv.stat().st_mtime - RACY_SECONDS if sources_csv.exists() else None
    if since is not None:
        with open(sources_csv, encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, [])
            if {"source_id", "sha256", "url"} <= set(header):  # else every extract is read
                at = [header.index(name) for name in ("source_id", "sha256", "url")]
                published = {row[at[0]]: (row[at[1]], row[at[2]]) for row in reader if len(row) == len(header)}
    # names and paths as strings: at 100,000 extracts, Path objects (sorting, stat, relative
    # paths) cost 1.5 of add-article's 3 s
    folder, prefix = str(layout.extracts), layout.rel(layout.extracts) + "/"
    with os.scandir(folder) as entries:
        names = sorted(e.name for e in entries if e.name.endswith(".yaml") and e.is_file())
    out = []
    for name in names:
        path = os.path.join(folder, name)
        source_id = name[:-len(".yaml")]
        row = published.get(source_id)
        if row is not None and since is not None and os.stat(path).st_mtime < since:
            out.append({"source_id": source_id, "sha256": row[0], "url": row[1] or None, "file": prefix + name})
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                doc = yaml.safe_load(fh.read())
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue  # `build` and `validate` report it; it names no source to compare with
        src = doc.get("source") if isinstance(doc, dict) else None
        if isinstance(src, dict):
            out.append({"source_id": src.get("id"), "sha256": src.get("sha256"), "url": src.get("url"),
                        "file": prefix + name})
    return out


def add_article(layout: Layout, path: Path, *, url: str | None = None, title: str | None = None,
                publisher: str | None = None, published: str | None = None, language: str = "en",
                encoding: str = "utf-8", machine_translation: bool = False) -> tuple[str, Path, Path]:
    """Archive the capture and write a draft extract; returns (source id, archive, extract)."""
    capture = read_capture(path, encoding)
    digest = captures.sha256(capture.data)
    known = known_sources(layout)
    for src in known:
        if src["sha256"] == digest:
            raise CurationError(f"already archived: same SHA-256 as source {src['source_id']} ({src['file']})")
        if url and src["url"] == url:
            raise CurationError(f"already archived: same URL as source {src['source_id']} ({src['file']})")
    if published:
        try:
            parse_date(published)
        except ValueError:
            raise CurationError(f"--published {published!r} is not a date (YYYY-MM-DD)") from None
    rules = reference.load_yaml(layout.reference / "publishers.yaml")
    rule_name = next((k for k, v in rules.items() if publisher and v.get("publisher") == publisher),
                     "html" if capture.format == "html" else "plain")
    body = captures.derive_body(capture.text, captures.BodyRule.from_spec(rules[rule_name]))
    if not title:
        from infratracker.intake.text import MAX_TITLE, html_title, plain_title

        title = html_title(capture.text) if capture.format == "html" else plain_title(body, language)
        if not title:
            raise CurationError(f"{path.name} has no headline: its first line is a paragraph and its first sentence is "
                                f"over {MAX_TITLE} characters; "
                                "pass --title \"...\" (it names the source id too)")
    base = f"{slug(publisher or 'source', 3)}-{published or 'undated'}-{slug(title, 5)}"
    existing = {src["source_id"] for src in known}
    source_id, n = base, 2
    while source_id in existing or (layout.extracts / f"{source_id}.yaml").exists():
        source_id, n = f"{base}-{n}", n + 1
    archive = layout.archive / f"{source_id}.{capture.format}"
    extract = layout.extracts / f"{source_id}.yaml"
    leftover = archive.exists()  # no extract names it (checked above): an interrupted add-article?
    if leftover and (not archive.is_file() or archive.read_bytes() != capture.data):
        raise CurationError(f"{layout.rel(archive)} exists, no extract names it, and it differs from "
                            f"{path.name}; delete it if it is not an archived capture, then run this again")
    source = {
        "id": source_id, "publisher": publisher, "section": None, "title": title,
        "published_date": published, "published_time": None, "timezone": None, "editor": None,
        "language": language, "machine_translation": machine_translation, "url": url,
        "archive_path": f"archive/{archive.name}",
        "encoding": encoding, "sha256": digest, "body_rule": rule_name, "note": None,
    }
    from infratracker.intake import lexicon_cache

    detected = detect(body, lexicon_cache.lexicon(layout), language=language, published=published)
    text = render_draft(source, detected)
    _write_pair(layout, None if leftover else (archive, capture.data), (extract, text.encode("utf-8")))
    return source_id, archive, extract


def _write_pair(layout: Layout, archive: tuple[Path, bytes] | None, extract: tuple[Path, bytes]) -> None:
    """Both files written in full to build/add-article first, then linked into place, the archive
    before the extract. A link never replaces a file, and a final path never holds a partial
    one: killed in between, the archive is left whole with no extract naming it, which
    `validate` reports and the same add-article command then completes."""
    staging = layout.build / "add-article"
    staging.mkdir(parents=True, exist_ok=True)
    remove_stale(staging)
    staged = []
    try:
        for final, data in [archive, extract] if archive else [extract]:
            tmp = staging / f"{final.name}.{os.getpid()}.tmp"
            tmp.unlink(missing_ok=True)
            with open(tmp, "xb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            staged.append((tmp, final))
        for i, (tmp, final) in enumerate(staged):
            final.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(tmp, final)  # "x": an archived capture is never overwritten
            except OSError as exc:
                if i == 0:
                    raise
                # "nothing was archived" would be false now
                raise CurationError(f"{exc.strerror or exc}: archived {layout.rel(staged[0][1])} but could not "
                                    f"write {layout.rel(final)}; run the same command again to finish") from None
            _fsync_dir(final.parent)
    finally:
        for tmp, _final in staged:
            tmp.unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


HEADER = """# Draft extract of {source_id}, written by `infratracker add-article`.
# To publish it:
# 1. Check `source:` (publisher, published_date, title): an empty field is unknown.
# 2. The sections under it (countries, projects, people...) link records already in the data,
#    each with its sentence as evidence: delete a false hit; add aliases and fields it states.
# 3. `draft:` proposes what may be new, in the extract's own form, each with its whole sentence
#    (`quote`) and a `confidence` (0-1, how sure the rule that found it is):
#    - records, each with the `id` it would keep: projects, organisations, people, places,
#      agreements (type, status, date, parties, projects), funding_constraints (sanctions);
#    - links that name those ids or records in the data, each with its `project_id`: parties
#      with roles (lender, borrower, contractor, operator...), finance rows (kind, financier,
#      recipient, amount, currency, terms), quantities, status_events (the project's stage);
#    - dates as written, with their ISO (partial) date, to copy where they belong.
#    Move each one the article supports: a record into its section above, a link under its
#    project (without `project_id`: the nesting says it), as in docs/curating.md; delete the
#    rest. Then delete `draft:` and every `confidence:`. Until then `make build` refuses this
#    file and lists what is left.
# 4. Run `make build`: nothing enters data/ until everything validates.
"""


def render_draft(source: dict[str, Any], detected: dict[str, Any]) -> str:
    doc: dict[str, Any] = {"source": source}
    for res in registry.RESOURCES:
        if res.extract_key in detected and res.extract_key != "source":
            doc[res.extract_key] = detected[res.extract_key]
    if detected.get("draft"):
        doc["draft"] = detected["draft"]
    body = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100, default_flow_style=False)
    return HEADER.format(source_id=source["id"]) + body


__all__ = ["CurationError", "Lexicon", "add_article", "build_lexicon", "detect", "slug"]
