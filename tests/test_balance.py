"""Kept connections spread over the server's workers (serve/balance.py): the rule, the ASGI
wrapper with a clock of its own, and the shared file of counts across real processes. A real
server with two workers and a bad draw is in tests/test_facets.py."""
import asyncio
import subprocess
import sys
import time

import pytest

from infratracker.serve.balance import SHED_EVERY, WINDOW, Balanced, Load, excess


@pytest.mark.parametrize("mine, others, give_up", [
    (8, [0], True), (5, [3], True), (7, [1], True),  # the kernel's bad draws of 8 connections
    (4, [4], False), (5, [4], False), (4, [5], False), (1, [0], False),
    (60, [50], False),  # many clients: a few apart is the draw's own unevenness
    (62, [48], True), (3, [], False), (6, [0, 6], True),
])
def test_a_worker_gives_up_a_connection_only_when_it_holds_clearly_more(mine, others, give_up):
    assert excess(mine, others) is give_up


class FakeLoad:
    def __init__(self, others):
        self.theirs, self.published = others, []

    def others(self):
        return self.theirs

    def publish(self, held):
        self.published.append(held)


async def _app(scope, receive, send):
    if scope["type"] != "http":
        await send({"type": "seen", "scope": scope["type"]})
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"Connection", b"keep-alive")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _ask(wrapped, port):
    """The connection header of a response to the client at 127.0.0.1:port."""
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    asyncio.run(wrapped({"type": "http", "client": ("127.0.0.1", port)}, receive, send))
    return [v for k, v in sent[0]["headers"] if k.lower() == b"connection"]


def test_connections_are_counted_and_one_is_closed_at_most_every_look():
    now = [100.0]
    load = FakeLoad([0])
    wrapped = Balanced(_app, load, clock=lambda: now[0])
    said = []
    for port in range(1, 5):  # four connections within a look: counted, none closed yet
        said.append(_ask(wrapped, port))
        now[0] += SHED_EVERY / 10
    assert said == [[b"keep-alive"]] * 4 and load.published == [1]  # one held at the first look
    now[0] += SHED_EVERY
    assert _ask(wrapped, 4) == [b"close"]  # 4 held against 0: one goes
    assert load.published[-1] == len(wrapped.seen) and ("127.0.0.1", 4) not in wrapped.seen
    assert _ask(wrapped, 3) == [b"keep-alive"]  # not again within SHED_EVERY
    load.theirs = [len(wrapped.seen)]
    now[0] += SHED_EVERY
    assert _ask(wrapped, 2) == [b"keep-alive"]  # even now: nothing is closed


def test_a_connection_not_seen_for_a_window_is_no_longer_counted():
    now = [0.0]
    load = FakeLoad([0])
    wrapped = Balanced(_app, load, clock=lambda: now[0])
    _ask(wrapped, 1)
    now[0] += WINDOW + SHED_EVERY
    _ask(wrapped, 2)
    assert list(wrapped.seen) == [("127.0.0.1", 2)] and load.published[-1] == 1


def test_what_is_not_an_http_request_from_a_client_passes_through():
    wrapped = Balanced(_app, FakeLoad([0]))
    sent = []

    async def send(message):
        sent.append(message)

    asyncio.run(wrapped({"type": "lifespan"}, None, send))
    asyncio.run(wrapped({"type": "http", "client": None}, None, send))  # e.g. a Unix socket
    assert sent[0] == {"type": "seen", "scope": "lifespan"}
    assert (b"Connection", b"keep-alive") in sent[1]["headers"] and wrapped.seen == {}


HOLD = ("import sys; from infratracker.serve.balance import Load; load = Load(sys.argv[1]); "
        "load.publish(int(sys.argv[2])); print(load.slot, flush=True); sys.stdin.read()")


def test_each_process_takes_its_own_slot_and_reads_the_others_counts(tmp_path):
    path = str(tmp_path / "serve-load")
    Load.make_file(path, 2)
    holder = subprocess.Popen([sys.executable, "-c", HOLD, path, "7"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "0"
        mine = Load(path)
        assert mine.slot == 1 and mine.others() == [7]
        mine.publish(3)
        third = subprocess.run([sys.executable, "-c", HOLD, path, "1"], input="", capture_output=True,
                               text=True, timeout=60)
        assert third.returncode != 0 and "every slot is held by a living worker" in third.stderr
        mine.clock = lambda: time.monotonic() + WINDOW + 1  # read a WINDOW later: the holder counted nothing since
        assert mine.others() == [0]
    finally:
        holder.communicate("")
    assert Load(path).slot == 0  # the holder has ended: its slot is free again
