"""How a command keeps its peak memory down: Python's cyclic garbage collector paused around a
burst of objects that form no cycles, and freed memory handed back before the next step."""
from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The collector runs every 700 new objects and then walks older ones as well: while
    millions of rows are made (12.2 s -> 6.5 s of assembling 10,000 extracts), or a few hundred
    thousand small tuples and dicts (the drafter's lexicon, or its pickle read back), that is
    most of the time spent, for nothing to collect."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def give_back() -> None:
    """Return what was freed to the system: Arrow's pool keeps freed blocks for reuse, and glibc
    keeps freed heap pages, so Python's let-go rows would otherwise stay in the process's
    resident memory while the next step (Arrow's checks, another command of `publish`) asks the
    system for more."""
    import ctypes

    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the allocator keeps what it keeps
        pass
