"""Where things live, resolved from the repository root (never the current directory)."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class Layout:
    """The files of one checkout. Tests build a Layout over a copy in tmp_path."""

    root: Path

    @classmethod
    def default(cls) -> "Layout":
        return cls(Path(os.environ.get("INFRATRACKER_ROOT", REPO_ROOT)).resolve())

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def extracts(self) -> Path:
        return self.root / "extracts"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def schemas(self) -> Path:
        return self.root / "schemas"

    @property
    def descriptor(self) -> Path:
        return self.root / "datapackage.json"

    @property
    def dictionary(self) -> Path:
        return self.root / "docs" / "data-dictionary.md"

    @property
    def build(self) -> Path:
        return self.root / "build"

    @property
    def database(self) -> Path:
        return self.build / "infratracker.db"

    def rel(self, path: Path) -> str:
        """A path as users should see it in messages: relative to the root, never absolute."""
        if ".." not in path.parts:  # lexically under the root: no filesystem calls
            try:
                return path.relative_to(self.root).as_posix()
            except ValueError:
                pass
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.name


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


_TEMPORARY = re.compile(r".*\.(?P<pid>[0-9]+)\.tmp(-journal|-wal|-shm)?")


def remove_stale(folder: Path, prefix: str = "") -> list[Path]:
    """Remove the temporary files `<prefix>...<pid>.tmp` (and SQLite's `-journal` beside them)
    of processes that no longer run: a SIGKILL gives a process no chance to remove its own."""
    removed = []
    for p in folder.glob(f"{prefix}*.tmp*"):
        m = _TEMPORARY.fullmatch(p.name)
        if m and int(m["pid"]) != os.getpid() and not pid_alive(int(m["pid"])):
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed
