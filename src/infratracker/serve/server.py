"""Starting the read-only Datasette site on the built database (`infratracker serve`)."""
from __future__ import annotations

import argparse
import os
import socket
import sys

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
    from infratracker.serve.app import ROOT_VARIABLE, SUPERVISED_VARIABLE

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
        os.environ.pop(SUPERVISED_VARIABLE, None)
        os.environ.pop(SQL_GATE_VARIABLE, None)
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

    Multiprocess(config, sockets=[tcp_listener(config.bind_socket())]).run()
    return 0


def tcp_listener(sock: socket.socket) -> socket.socket:
    """The listening socket, marked as TCP. uvicorn 0.54 binds it with protocol 0, which its
    workers' accepted connections inherit, and asyncio sets TCP_NODELAY only on sockets that say
    IPPROTO_TCP: without it every request after the first on a kept-alive connection waited
    ~40 ms for the client's delayed ACK (uvicorn issue 3149; 45 ms for /-/versions.json against
    2 ms with one process)."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
    return sock


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
