"""Never-seen faceted pages when the kernel's draw puts every client on one worker.

    .venv/bin/python scripts/bench_bad_draw.py build/bench/corpus-10000 [--seconds 10] [--clients 8]
    .venv/bin/python scripts/bench_bad_draw.py build/bench/corpus-10000 --any-draw
    .venv/bin/python scripts/bench_bad_draw.py --count-draws 3000

`infratracker serve --workers 2` gives each worker its own SO_REUSEPORT socket, and the kernel
gives each new connection to one of them by a hash of its addresses. The bench's 8 clients keep
their connections for the whole workload, so the draw made when they connect would hold for it:
all 8 on one worker once in 128 draws, one core serving every page. This makes that draw happen:
it probes source ports until it has one per client whose connection the kernel gives to the
first worker (serve/loopback.ports_drawn_to), then runs the bench's never-seen workload (the
faceted projects page, every URL new) from those connections, each client in its own thread
with `http.client`, for `--seconds`. When a worker asks for a connection to be closed
(serve/balance.py), the client opens its next one from a port the system picks, as browsers and
httpx do, and the kernel draws again. `--any-draw` lets the system pick every port, for
comparison. One line: requests a second, p95, and how many connections each worker was given.
`--count-draws N` asks the kernel for N draws of 8 connections over two listening sockets of
its own (no server, no corpus) and prints how often each split came.
"""
from __future__ import annotations

import argparse
import http.client
import random
import sys
import threading
import time
from pathlib import Path

from infratracker.serve.loopback import ports_drawn_to, serve_workers, worker_of


def count_draws(n: int, clients: int) -> None:
    """How the kernel splits `clients` connections over two SO_REUSEPORT sockets, n times."""
    import collections
    import socket

    from infratracker.serve.server import listening_socket

    def listener(address: tuple) -> socket.socket:  # as each worker listens
        s = listening_socket(socket.AF_INET, address)
        s.listen(64)
        s.setblocking(False)
        return s

    first = listener(("127.0.0.1", 0))
    second = listener(first.getsockname())
    splits: collections.Counter = collections.Counter()
    for _ in range(n):
        made = [socket.create_connection(first.getsockname()) for _ in range(clients)]
        got = []
        for s in (first, second):
            k = 0
            while True:
                try:
                    conn, _addr = s.accept()
                except BlockingIOError:
                    break
                conn.close()
                k += 1
            got.append(k)
        for c in made:
            c.close()
        splits[tuple(sorted(got))] += 1
    for split, k in sorted(splits.items()):
        print(f"{split[0]} and {split[1]}: {k} of {n} ({k / n:.2%})")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("corpus", nargs="?", help="a corpus `make bench` made and published, e.g. build/bench/corpus-10000")
    p.add_argument("--count-draws", type=int, metavar="N", help="count the kernel's splits of N draws, and stop")
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--any-draw", action="store_true", help="let the system pick every source port (for comparison)")
    args = p.parse_args(argv)
    if args.count_draws:
        count_draws(args.count_draws, args.clients)
        return 0
    if not args.corpus:
        p.error("a corpus is needed, unless --count-draws")
    root = Path(args.corpus).resolve()
    n_projects = sum(1 for _ in open(root / "data" / "projects.csv", "rb")) - 1
    try:
        server, port, workers = serve_workers(root, 2)
    except RuntimeError as exc:
        print(exc, file=sys.stderr)
        return 1
    try:
        sources = [None] * args.clients if args.any_draw else \
            ports_drawn_to(port, workers, 0, args.clients, random.Random(3).randrange(20000, 30000))
        if len(sources) < args.clients:
            print("could not place every client on one worker", file=sys.stderr)
            return 1
        rng = random.Random(5)
        facet = "/infratracker/projects?_facet=sector&_facet=status&_facet=project_type"
        latencies: list[float] = []
        given = [0, 0]  # connections each worker was given (read once a connection has answered)
        stop = time.monotonic() + args.seconds
        lock = threading.Lock()

        def client(source: int | None) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60,
                                              source_address=None if source is None else ("127.0.0.1", source))
            counted = None
            while time.monotonic() < stop:
                path = f"{facet}&project_id__gt=prj-{rng.randrange(n_projects)}&_u={rng.random()}"
                start = time.monotonic()
                conn.request("GET", path)
                r = conn.getresponse()
                r.read()
                with lock:
                    latencies.append((time.monotonic() - start) * 1000)
                if conn.sock is not None and conn.sock is not counted:  # answered: a worker holds it
                    counted = conn.sock
                    here = worker_of(port, conn.sock.getsockname()[1], workers)
                    if here is not None:
                        with lock:
                            given[here] += 1
                if r.getheader("connection", "").lower() == "close":  # the server's choice: reconnect
                    conn.close()
                    conn.source_address = None  # from a port the system picks, as a browser would
            conn.close()

        threads = [threading.Thread(target=client, args=(s,)) for s in sources[:args.clients]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        latencies.sort()
        print(f"{len(latencies) / args.seconds:.1f} req/s, p95 {latencies[int(len(latencies) * 0.95)]:.0f} ms; "
              f"connections given to each worker: {given[0]} and {given[1]}")
        return 0
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
