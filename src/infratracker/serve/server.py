"""Starting the read-only Datasette site on the built database (`infratracker serve`)."""
from __future__ import annotations

import argparse
import os
import sys

from infratracker.core.paths import Layout
from infratracker.serve.site import serve_args


def serve(layout: Layout, host: str, port: int) -> int:
    if not layout.database.exists():
        print("no build/infratracker.db: run `make serve` (or `infratracker db && infratracker site`)",
              file=sys.stderr)
        return 1
    from datasette.cli import cli

    if host not in ("0.0.0.0", "::"):
        # Links are built for the Host a browser sends, so the address served on is allowed.
        hosts = os.environ.get("INFRATRACKER_ALLOWED_HOSTS", "")
        os.environ["INFRATRACKER_ALLOWED_HOSTS"] = ",".join(filter(None, [hosts, host]))
    elif not os.environ.get("INFRATRACKER_ALLOWED_HOSTS"):
        print("serving on every interface: set INFRATRACKER_ALLOWED_HOSTS to the names visitors use, "
              "or they get 400 (Host not allowed)", file=sys.stderr)
    print(f"serving http://{host}:{port}/infratracker (read-only)", flush=True)
    return cli.main(["serve", *serve_args(layout, host, port)], standalone_mode=True)


def main(argv: list[str] | None = None) -> int:
    """`python -m infratracker.serve`, kept for scripts: the same as `infratracker serve`."""
    p = argparse.ArgumentParser(description="Serve build/infratracker.db read-only with Datasette.",
                                epilog="example:\n  python -m infratracker.serve --port 8123",
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8001")))
    args = p.parse_args(argv)
    return serve(Layout.default(), args.host, args.port)
