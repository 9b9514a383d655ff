"""Python's cyclic garbage collector paused around a burst of new objects that form no cycles."""
from __future__ import annotations

import contextlib
import gc
from typing import Iterator


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """The collector runs every 700 new objects and then walks older ones as well: while a few
    hundred thousand small tuples and dicts are made (the drafter's lexicon, or its pickle read
    back), that is most of the time spent, for nothing to collect."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
