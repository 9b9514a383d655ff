"""One arbitrary SQL query at a time for the whole site, however many server processes serve it.

Within a process an asyncio semaphore queues them; with several processes (`infratracker serve
--workers`), the one that runs also holds an exclusive lock on a file named by the environment,
so a second process's query waits too. Waiting polls the lock without holding a thread: SQL
threads stay free for pages, rows and facets, and the event loop keeps answering them.
"""
from __future__ import annotations

import asyncio
import fcntl
import os

from infratracker.serve.server import SQL_GATE_VARIABLE
POLL_SECONDS = 0.01


class Gate:
    def __init__(self, at_once: int, lock_path: str | None = None):
        self.local = asyncio.Semaphore(at_once)
        self.lock_path = lock_path if at_once == 1 else None  # a file lock admits one holder
        self.fd: int | None = None

    @classmethod
    def from_environment(cls, at_once: int) -> "Gate":
        return cls(at_once, os.environ.get(SQL_GATE_VARIABLE) or None)

    def _fd(self) -> int:
        if self.fd is None:
            self.fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        return self.fd

    def locked(self) -> bool:
        """Whether a query of this process holds the gate (asyncio.Semaphore's question)."""
        return self.local.locked()

    async def __aenter__(self):
        await self.local.acquire()
        if self.lock_path is None:
            return self
        try:
            while True:
                try:
                    fcntl.flock(self._fd(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return self
                except BlockingIOError:
                    await asyncio.sleep(POLL_SECONDS)
        except BaseException:
            self.local.release()
            raise

    async def __aexit__(self, *exc):
        try:
            if self.lock_path is not None:
                fcntl.flock(self._fd(), fcntl.LOCK_UN)
        finally:
            self.local.release()
