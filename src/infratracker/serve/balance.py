"""Kept-alive connections spread evenly over the server's workers.

Each worker listens on its own SO_REUSEPORT socket (server.py), and the kernel gives each new
connection to one of them by a hash of its addresses. A client that keeps its connection stays
where that draw put it: 8 kept connections all land on one of 2 workers once in 128 draws
(measured: 24 of 3,000), and one core then serves every page (a `make bench` run measured 41.2
never-seen pages a second so, against ~100). Closing every connection now and then, so that it
is drawn again, cost every other run a fifth of its pages (docs/performance.md).

So each worker counts the connections that made a request in the last WINDOW seconds and
shares the count through a small file (one slot per worker, claimed with a lock on its bytes).
A worker holding clearly more than the least loaded one (`excess`) asks one connection to close
with its next response (`Connection: close`: an HTTP/1.1 client then opens a new one, which the
kernel draws again), at most once per SHED_EVERY seconds. Once the workers are even, nothing is
closed: the cost is a clock read and a dict update a request.
"""
from __future__ import annotations

import fcntl
import mmap
import os
import struct
import time
from collections.abc import Callable
from typing import Any

WINDOW = 1.0  # a connection that made a request this recently is counted as held
SHED_EVERY = 0.1  # seconds between two looks at the counts, and at most one connection asked to close
SLOT = struct.Struct("<qd")  # connections held, and when that was counted (time.monotonic, one clock for every process)


def excess(mine: int, others: list[int]) -> bool:
    """Whether a worker holding `mine` connections should give one up: it holds at least 2 more
    than the least loaded other worker, and more than a tenth of all of them more (with many
    clients, the kernel's draws are uneven by a few and need no help)."""
    if not others:
        return False
    return mine - min(others) >= max(2, (mine + sum(others)) // 10)


class Load:
    """This worker's slot in the shared file of counts, and the others' counts. The file is made
    by the server before it starts its workers (`make_file`); a worker takes the first slot no
    living worker holds (a POSIX lock on its bytes, let go when the process ends)."""

    def __init__(self, path: str, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self.fd = os.open(path, os.O_RDWR)
        size = os.fstat(self.fd).st_size
        self.slots = size // SLOT.size
        self.map = mmap.mmap(self.fd, size)
        self.slot = None
        for i in range(self.slots):
            try:
                fcntl.lockf(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB, SLOT.size, i * SLOT.size)
            except OSError:
                continue
            self.slot = i
            break
        if self.slot is None:
            self.map.close()
            os.close(self.fd)
            raise OSError(f"{path}: every slot is held by a living worker")

    @staticmethod
    def make_file(path: str, workers: int) -> None:
        with open(path, "wb") as fh:
            fh.write(bytes(SLOT.size * workers))

    def publish(self, held: int) -> None:
        SLOT.pack_into(self.map, self.slot * SLOT.size, held, self.clock())

    def others(self) -> list[int]:
        """The other workers' counts; one not counted within WINDOW has served no request since,
        so it holds no busy connection."""
        now, out = self.clock(), []
        for i in range(self.slots):
            if i != self.slot:
                held, at = SLOT.unpack_from(self.map, i * SLOT.size)
                out.append(held if now - at <= WINDOW else 0)
        return out


class Balanced:
    """ASGI wrapper: counts this worker's connections (by the client's address and port, unique
    while a connection is open) and, when `excess` says so, has one closed after its response."""

    def __init__(self, app: Any, load: Any, clock: Callable[[], float] = time.monotonic):
        self.app, self.load, self.clock = app, load, clock
        self.seen: dict[tuple, float] = {}  # connection -> its last request
        self.looked = float("-inf")

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        client = scope.get("client") if scope["type"] == "http" else None
        if not client:
            return await self.app(scope, receive, send)
        now, key = self.clock(), tuple(client)
        self.seen[key] = now
        if now - self.looked < SHED_EVERY:
            return await self.app(scope, receive, send)
        self.looked = now
        self.seen = {k: t for k, t in self.seen.items() if now - t <= WINDOW}
        shed = excess(len(self.seen), self.load.others())
        if shed:
            del self.seen[key]
        self.load.publish(len(self.seen))
        if not shed:
            return await self.app(scope, receive, send)

        async def closing(message: dict) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if bytes(k).lower() != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)
        return await self.app(scope, receive, closing)
