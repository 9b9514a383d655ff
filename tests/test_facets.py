"""Faceted pages (issue 15, target 2): each facet shown once, and the facet counts the site takes
from columns held in memory are SQLite's own, for every filter they answer; any other filter is
still counted by SQLite. Real SQLite files, the real Datasette app."""
import asyncio
import os
import random
import re
import shutil
import sqlite3

import pytest

from infratracker.bench import run
from infratracker.cli import main
from infratracker.core.paths import Layout
from infratracker.serve.loopback import ports_drawn_to, serve_workers, socket_inodes, tcp_sockets, worker_of
from infratracker.serve.site import make_app, write_site_files

FACETS = ("sector", "status", "project_type")
FACETED = "/infratracker/projects.json?_facet=sector&_facet=status&_facet=project_type&_size=0"


def get(app, path):
    r = asyncio.run(app.client.get(path))
    assert r.status_code == 200, (path, r.text[:300])
    return r


def sqlite_counts(db, where: str, params: list, column: str) -> list[tuple[str, int]]:
    """The oracle: SQLite itself, on the file, ordered as Datasette orders facet values."""
    with sqlite3.connect(f"file:{db}?immutable=1", uri=True) as conn:
        return conn.execute(f'select "{column}", count(*) as n from projects where {where} and "{column}" is not null '
                            f'group by "{column}" order by n desc, "{column}"', params).fetchall()


def shown(data, column) -> list[tuple[str, int]]:
    return [(v["value"], v["count"]) for v in data["facet_results"][column]["results"]]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """The benchmark's synthetic articles, 40 of them: 400 projects, every facet filled."""
    layout = run.write_corpus(tmp_path_factory.mktemp("facets") / "corpus", 40, lambda *a: None)
    assert main(["--root", str(layout.root), "build"]) == 0
    assert main(["--root", str(layout.root), "db"]) == 0
    write_site_files(layout)
    return layout


@pytest.fixture(scope="module")
def app(corpus):
    return make_app(corpus)


def test_a_facet_asked_for_and_configured_is_computed_and_shown_once(app):
    data = get(app, FACETED).json()
    assert set(data["facet_results"]) == set(FACETS)  # not sector_2, status_2, ...
    page = get(app, FACETED.replace(".json", "")).text
    blocks = re.findall(r'<div class="facet-info [^"]*" id="facet-([^"]+)"', page)
    assert sorted(blocks) == sorted(FACETS)


def test_facet_counts_are_sqlites_for_key_ranges_and_chosen_values(app, corpus):
    counts = app.databases["infratracker"].facet_counts
    rng = random.Random(15)
    ops = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
    cases = [("", "1 = 1", [])]
    for _ in range(12):
        op = rng.choice(list(ops))
        key = f"prj-{rng.randrange(400)}"
        cases.append((f"&project_id__{op}={key}", f"project_id {ops[op]} ?", [key]))
    cases += [("&sector=transport&project_id__gt=prj-2", "sector = ? and project_id > ?", ["transport", "prj-2"]),
              ("&status=completion&project_type=port", "status = ? and project_type = ?", ["completion", "port"]),
              ("&sector=nothing-has-this", "sector = ?", ["nothing-has-this"]),
              ("&project_id__gt=zzz", "project_id > ?", ["zzz"]),
              ("&project_id__gt=prj-3&project_id__lt=prj-2", "project_id > ? and project_id < ?", ["prj-3", "prj-2"]),
              ("&project_id__gte=prj-1&project_id__lte=prj-2", "project_id >= ? and project_id <= ?", ["prj-1", "prj-2"])]
    before = counts.answered
    for i, (query, where, params) in enumerate(cases):
        data = get(app, FACETED + query + f"&_u=ranges{i}").json()  # never a cached response
        for column in FACETS:
            assert shown(data, column) == sqlite_counts(corpus.database, where, params, column), (query, column)
    assert counts.answered - before == len(cases) * len(FACETS)  # all of them from memory


def test_filters_it_cannot_answer_are_counted_by_sqlite(app, corpus):
    counts = app.databases["infratracker"].facet_counts
    before = counts.answered
    for query, where, params in [("&name__contains=Rail", "name like ?", ["%Rail%"]),
                                 ("&sector__not=transport", "sector != ?", ["transport"]),
                                 ("&_where=length_km+>+500", "length_km > 500", [])]:
        data = get(app, FACETED + query).json()
        for column in FACETS:
            assert shown(data, column) == sqlite_counts(corpus.database, where, params, column), (query, column)
    assert counts.answered == before


def test_null_facet_values_and_labels_on_the_real_data(site_built):
    """The published data leave sector and status empty for some projects: not counted, as in
    SQLite; the page shows codelist labels for the counted codes."""
    app = make_app(site_built)
    for column in FACETS:
        data = get(app, FACETED + "&project_id__gt=c").json()
        assert shown(data, column) == sqlite_counts(site_built.database, "project_id > ?", ["c"], column)
    assert app.databases["infratracker"].facet_counts.answered >= len(FACETS)
    page = get(app, "/infratracker/projects?_facet=project_type").text
    assert re.search(r'<a href="[^"]*project_type=corridor[^"]*" title="corridor">Corridor</a>', page)


def test_a_rebuilt_database_is_counted_afresh(tmp_path, corpus):
    layout = Layout(tmp_path / "copy")
    shutil.copytree(corpus.root, layout.root)
    app = make_app(layout)
    first = get(app, FACETED + "&project_id__gt=prj-1").json()
    new = layout.build / "new.db"
    shutil.copy(layout.database, new)
    with sqlite3.connect(new) as conn:
        conn.execute("update projects set status = 'completion' where project_id > 'prj-1'")
    os.replace(new, layout.database)  # as `infratracker db` swaps in a new file
    second = get(app, FACETED + "&project_id__gt=prj-1").json()
    assert shown(second, "status") == sqlite_counts(layout.database, "project_id > ?", ["prj-1"], "status")
    assert shown(second, "status") != shown(first, "status") and len(shown(second, "status")) == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_infratracker_serve_with_one_or_two_processes(corpus, workers):
    """What `make serve` runs, as a real server: the plugin whole in every process (facets once,
    counted in memory), and no process left behind when it stops."""
    import json
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from infratracker.serve.loopback import free_port, wait_until_up

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "infratracker.cli", "--root", str(corpus.root), "serve",
                             "--port", str(port), "--workers", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_until_up(base, 60)
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) >= (workers if workers > 1 else 0)
        for i in range(2 * workers):  # requests reach every process
            with urllib.request.urlopen(base + FACETED + f"&project_id__gt=prj-1{i}&_u=served{i}", timeout=30) as r:
                data = json.loads(r.read())
            assert set(data["facet_results"]) == set(FACETS)
            assert shown(data, "status") == sqlite_counts(corpus.database, "project_id > ?", [f"prj-1{i}"], "status")
        with urllib.request.urlopen(base + "/-/plugins.json", timeout=30) as r:
            plugin = next(p for p in json.loads(r.read()) if p["name"] == "infratracker")
        assert "render_cell" in plugin["hooks"] and "startup" in plugin["hooks"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    deadline = time.monotonic() + 30
    while any(os.path.exists(f"/proc/{pid}") for pid in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(os.path.exists(f"/proc/{pid}") for pid in children)


def test_one_arbitrary_query_at_a_time_across_processes(tmp_path):
    """Two server processes' gates on one lock file (two open files, as two processes have): the
    second enters only when the first has left."""
    from infratracker.serve.datasette_plugin.gate import Gate

    path = str(tmp_path / "gate.lock")
    first, second = Gate(1, path), Gate(1, path)
    order = []

    async def hold(gate, name, seconds):
        async with gate:
            order.append(f"{name} in")
            await asyncio.sleep(seconds)
            order.append(f"{name} out")

    async def both():
        one = asyncio.create_task(hold(first, "first", 0.3))
        await asyncio.sleep(0.05)
        await asyncio.gather(one, hold(second, "second", 0))

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]


def test_workers_end_with_their_supervisor_even_when_it_is_killed(corpus):
    """A killed `infratracker serve` (SIGKILL: no chance to stop its workers) leaves no worker
    serving the port on its own."""
    import signal
    import time

    proc, _port, workers = _serve_two_workers(corpus)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while any(os.path.exists(f"/proc/{pid}") for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(os.path.exists(f"/proc/{pid}") for pid in workers)


def test_worker_connections_get_tcp_nodelay():
    """Each worker's listening socket says it is TCP, so asyncio sets TCP_NODELAY on every
    connection a worker accepts (without it each request after the first on a kept-alive
    connection waits for the client's delayed ACK)."""
    import socket

    from infratracker.serve.server import listening_socket

    listener = listening_socket(socket.AF_INET, ("127.0.0.1", 0))
    assert listener.proto == socket.IPPROTO_TCP
    accepted = []

    class Note(asyncio.Protocol):
        def connection_made(self, transport):
            accepted.append(transport.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def connect_once():
        server = await asyncio.get_running_loop().create_server(Note, sock=listener)
        _reader, writer = await asyncio.open_connection(*listener.getsockname())
        for _ in range(100):
            if accepted:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(connect_once())
    assert accepted and accepted[0] != 0


def _tcp_sockets(port: int) -> list[tuple[str, int]]:
    """(state, inode) of every IPv4 TCP socket whose local port is `port`."""
    return [(state, inode) for state, _remote, inode in tcp_sockets(port)]


def _serve_two_workers(corpus):
    """`infratracker serve --workers 2` on the corpus, once both workers listen: (process,
    port, the workers' pids)."""
    proc, port, workers = serve_workers(corpus.root, 2)
    assert len(workers) == 2
    return proc, port, workers


@pytest.fixture
def two_workers(corpus):
    proc, port, workers = _serve_two_workers(corpus)
    try:
        yield port, workers
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_each_worker_listens_on_its_own_socket(two_workers):
    """Two workers, two listening sockets on the port, one in each worker. With one socket
    shared, whichever worker woke first accepted every waiting connection, and 8 clients that
    connected together were served by one process (41 never-seen pages a second, not 89)."""
    port, workers = two_workers
    listening = {inode for state, inode in _tcp_sockets(port) if state == "0A"}
    assert len(listening) == 2
    assert [len(listening & socket_inodes(pid)) for pid in workers] == [1, 1]


def test_connections_made_together_reach_both_workers(two_workers):
    """32 clients connect at once and keep their connections: both workers hold some (the
    kernel spreads them by a hash of the addresses; all 32 on one worker has odds of 2^-31).
    No request is sent: the workers' balance (serve/balance.py) acts on requests, and may close
    a connection after answering one, which is not what this test is about."""
    import time

    port, workers = two_workers

    async def connect_all():
        opened = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in range(32)))
        deadline = time.monotonic() + 30
        while True:  # until the workers have accepted every connection
            established = {inode for state, inode in _tcp_sockets(port) if state == "01"}
            held = [len(established & socket_inodes(pid)) for pid in workers]
            if sum(held) >= 32 or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        for _reader, writer in opened:
            writer.close()
        return held

    held = asyncio.run(connect_all())
    assert sum(held) == 32 and min(held) > 0, held


def test_a_port_in_use_is_said_without_a_traceback(corpus):
    import socket
    import subprocess
    import sys

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    with taken:
        out = subprocess.run([sys.executable, "-m", "infratracker.cli", "--root", str(corpus.root), "serve",
                              "--port", str(port), "--workers", "2"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in out.stderr
    assert "Traceback" not in out.stderr


def test_clients_the_kernel_drew_to_one_worker_are_spread_over_both(two_workers):
    """8 kept connections the kernel gives to the first worker (a draw of 1 in 128, which a
    `make bench` run met: 41.2 never-seen pages a second, one core's worth). The workers share
    their counts, and the first has connections closed until both workers hold some; each
    client reconnects from a port the system picks, as browsers and httpx do. Without
    serve/balance.py all 8 stay on the first worker for as long as they live."""
    import http.client
    import time

    port, workers = two_workers
    sources = ports_drawn_to(port, workers, 0, 8)
    assert len(sources) == 8
    conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=("127.0.0.1", s))
             for s in sources]
    closed, holders = 0, set()
    deadline = time.monotonic() + 30
    try:
        while holders != {0, 1} and time.monotonic() < deadline:
            for conn in conns:
                conn.request("GET", "/-/versions.json")
                r = conn.getresponse()
                r.read()
                assert r.status == 200
                if (r.getheader("connection") or "").lower() == "close":
                    closed += 1
                    conn.close()
                    conn.source_address = None
            holders = {worker_of(port, c.sock.getsockname()[1], workers) for c in conns if c.sock is not None}
    finally:
        for conn in conns:
            conn.close()
    assert closed >= 1 and holders == {0, 1}, (closed, holders)


def test_the_workers_counts_are_in_a_file_of_this_server_removed_when_it_ends(corpus):
    """serve/balance.py's file is the server's own (another server on the same folder never
    resizes it under these workers), holds a slot per worker, and goes when the server ends."""
    from infratracker.serve.balance import SLOT

    proc, _port, workers = _serve_two_workers(corpus)
    try:
        environ = open(f"/proc/{workers[0]}/environ", "rb").read().split(b"\0")
        path = next(e.split(b"=", 1)[1] for e in environ if e.startswith(b"INFRATRACKER_SERVE_LOAD=")).decode()
        assert os.path.getsize(path) == 2 * SLOT.size and not path.startswith(str(corpus.root))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert not os.path.exists(path)
