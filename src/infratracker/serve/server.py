"""Starting the read-only Datasette site on the built database (`infratracker serve`)."""
from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from infratracker.core.paths import Layout

# Server processes by default. Each answers requests with one Python thread (Datasette's pages
# are mostly Python), so one process uses at most about one core: on this project's 2-core
# machine two served 82 never-seen faceted pages a second when both cores were free, one 42
# (docs/performance.md). More cost memory (~150 MiB each) for no gain beyond the cores.
DEFAULT_WORKERS = max(1, min(2, os.cpu_count() or 1))
# With several processes, the one-arbitrary-query-at-a-time gate of the plugin holds across them
# through a lock on this file (datasette_plugin.gate).
SQL_GATE_FILE = "serve-sql-gate.lock"
SQL_GATE_VARIABLE = "INFRATRACKER_SQL_GATE"


def serve(layout: Layout, host: str, port: int, workers: int | None = None) -> int:
    if not layout.database.exists():
        print("no build/infratracker.db: run `make serve` (or `infratracker db && infratracker site`)",
              file=sys.stderr)
        return 1
    if not (layout.build / "metadata.json").exists():
        print("no build/metadata.json: run `infratracker site` first (or `make serve`)", file=sys.stderr)
        return 1
    import uvicorn

    # (not the plugin: imported before Datasette loads its plugins, it would be registered
    # half-initialised, without its hooks)
    from infratracker.serve.app import LOAD_VARIABLE, ROOT_VARIABLE, SUPERVISED_VARIABLE

    workers = workers or int(os.environ.get("INFRATRACKER_WORKERS") or DEFAULT_WORKERS)
    if host not in ("0.0.0.0", "::"):
        # Links are built for the Host a browser sends, so the address served on is allowed.
        hosts = os.environ.get("INFRATRACKER_ALLOWED_HOSTS", "")
        os.environ["INFRATRACKER_ALLOWED_HOSTS"] = ",".join(filter(None, [hosts, host]))
    elif not os.environ.get("INFRATRACKER_ALLOWED_HOSTS"):
        print("serving on every interface: set INFRATRACKER_ALLOWED_HOSTS to the names visitors use, "
              "or they get 400 (Host not allowed)", file=sys.stderr)
    os.environ[ROOT_VARIABLE] = str(layout.root.resolve())  # read by each worker (serve/app.py)
    if workers > 1:
        os.environ[SQL_GATE_VARIABLE] = str((layout.build / SQL_GATE_FILE).resolve())
        os.environ[SUPERVISED_VARIABLE] = "1"  # each worker ends with uvicorn's supervisor
    else:
        for name in (SUPERVISED_VARIABLE, SQL_GATE_VARIABLE, LOAD_VARIABLE):
            os.environ.pop(name, None)
    print(f"serving http://{host}:{port}/infratracker (read-only, {workers} process{'es' if workers > 1 else ''})",
          flush=True)
    # uvicorn as `datasette serve` runs it, with its supervisor of worker processes when there
    # are several: it restarts a worker that dies or stops answering.
    options = dict(factory=True, host=host, port=port, workers=workers, log_level="info", lifespan="on")
    if workers == 1:
        uvicorn.run("infratracker.serve.app:create_app", **options)
        return 0
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config("infratracker.serve.app:create_app", **options)
    try:
        # Held, bound but not listening, while the supervisor runs: the port stays this
        # server's between worker restarts, and a port already taken is said here, once.
        reserved = listening_socket(_family(host), (host, port))
    except OSError as exc:
        print(f"infratracker serve: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    load = _load_file(workers)
    if load:
        os.environ[LOAD_VARIABLE] = load
    else:
        os.environ.pop(LOAD_VARIABLE, None)
    try:
        with reserved:
            Multiprocess(config, sockets=[WorkerListener(reserved.family, reserved.getsockname())]).run()
    finally:
        if load:
            Path(load).unlink(missing_ok=True)
    return 0


def _load_file(workers: int) -> str | None:
    """A new file for the workers' counts of their connections (serve/balance.py): this server's
    own, so that another server on the same folder, with another number of workers, never
    resizes a file these workers have mapped. None if it cannot be made: the workers then serve
    without the balance."""
    import tempfile

    from infratracker.serve.balance import Load

    try:
        fd, path = tempfile.mkstemp(prefix="infratracker-serve-load-")
        os.close(fd)
    except OSError:
        return None
    try:
        Load.make_file(path, workers)
    except OSError:
        Path(path).unlink(missing_ok=True)
        return None
    return path


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET  # as uvicorn's Config.bind_socket


def listening_socket(family: socket.AddressFamily, address: tuple) -> socket.socket:
    """A TCP socket bound with SO_REUSEPORT, so that each worker can have its own on one port.

    Why one per worker: with one shared socket, the worker that wakes first accepts every
    connection waiting (asyncio accepts up to the backlog at once), so 8 clients connecting
    together were all served by one process and the other core sat idle: 41 never-seen faceted
    pages a second against 89 when they were split (docs/performance.md). With a socket each, the
    kernel spreads new connections over the workers' sockets by a hash of their addresses.

    Why IPPROTO_TCP is named: asyncio sets TCP_NODELAY only on accepted sockets whose listener
    says TCP; uvicorn 0.54 binds with protocol 0, and every request after the first on a
    kept-alive connection then waited ~40 ms for the client's delayed ACK (uvicorn issue 3149)."""
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _worker_socket(family: socket.AddressFamily, address: tuple) -> socket.socket:
    try:
        return listening_socket(family, address)
    except OSError as exc:
        from uvicorn.config import STARTUP_FAILURE  # the supervisor then stops instead of retrying

        print(f"infratracker serve: a worker cannot listen on {address}: {exc}", file=sys.stderr)
        sys.exit(STARTUP_FAILURE)


class WorkerListener:
    """What the supervisor hands each worker instead of a shared socket: unpickled in the worker
    (uvicorn starts workers by spawning), it is that worker's own listening socket on the address
    (`listening_socket`), which uvicorn's server then listens on."""

    def __init__(self, family: socket.AddressFamily, address: tuple):
        self.family, self.address = family, address

    def __reduce__(self):
        return (_worker_socket, (self.family, self.address))


def main(argv: list[str] | None = None) -> int:
    """`python -m infratracker.serve`, kept for scripts: the same as `infratracker serve`."""
    p = argparse.ArgumentParser(description="Serve build/infratracker.db read-only with Datasette.",
                                epilog="example:\n  python -m infratracker.serve --port 8123",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8001")))
    p.add_argument("--workers", type=int, default=None, help=f"server processes (default {DEFAULT_WORKERS})")
    args = p.parse_args(argv)
    return serve(Layout.default(), args.host, args.port, args.workers)
