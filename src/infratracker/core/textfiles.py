"""The package's text files as bytes: UTF-8 without BOM, \\n line ends, no NUL."""
from __future__ import annotations

from infratracker.core.problems import Problem


def file_problems(data: bytes, file: str) -> list[Problem]:
    """Problems of a hand-edited file as bytes: the package's text files are UTF-8 without BOM,
    with \\n line ends and no NUL."""
    problems = []
    if data.startswith(b"\xef\xbb\xbf"):
        problems.append(Problem(file, "", "", "starts with a byte-order mark; save as UTF-8 without BOM"))
    cr, nul = data.find(b"\r"), data.find(b"\x00")
    if cr >= 0:
        problems.append(Problem(file, "", "", f"has CR line ends (first at byte {cr}); save with \\n line ends"))
    if nul >= 0:
        problems.append(Problem(file, "", "", f"contains a NUL byte at offset {nul}"))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(file, "", "", f"not valid UTF-8 at byte {exc.start} ({data[exc.start:exc.start + 2]!r}: "
                                "cp1252?); save as UTF-8"))
    return problems
