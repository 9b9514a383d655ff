"""The served site as an ASGI application, built in each server process (`infratracker serve`).

uvicorn runs one to several worker processes under its own supervisor (it restarts a worker that
dies or hangs); each builds its Datasette here, from the files `infratracker site` wrote, as
`datasette serve` would from the same options. The layout's root comes from the environment,
because uvicorn starts workers afresh (spawned, not forked).
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from infratracker.core.paths import Layout
from infratracker.serve.site import SETTINGS

ROOT_VARIABLE = "INFRATRACKER_SERVE_ROOT"


def served_datasette(layout: Layout):
    """The site's Datasette: the database immutable, the metadata, inspect data and downloads
    written by `infratracker site`, the site's SETTINGS."""
    from datasette.app import Datasette

    inspect = layout.build / "inspect.json"
    return Datasette(
        immutables=[str(layout.database)],
        inspect_data=json.loads(inspect.read_text()) if inspect.exists() else None,
        metadata=json.loads((layout.build / "metadata.json").read_text(encoding="utf-8")),
        settings=SETTINGS,
        static_mounts=[("downloads", str(layout.build / "downloads"))],
    )


SUPERVISED_VARIABLE = "INFRATRACKER_SERVE_SUPERVISED"
LOAD_VARIABLE = "INFRATRACKER_SERVE_LOAD"  # the file of the workers' counts (serve/balance.py)


def _end_with_the_supervisor() -> None:
    """A worker ends when uvicorn's supervisor does, even if it is killed without a chance to
    stop its workers (SIGKILL): an orphaned worker would go on serving the port, from a database
    file nobody restarts it for. Linux's parent-death signal; elsewhere, nothing."""
    import ctypes
    import signal

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the supervisor died before the signal was asked for
        os.kill(os.getpid(), signal.SIGTERM)


def create_app():
    """uvicorn's application factory: Datasette runs its startup hooks (the plugin's among them)
    at the lifespan start of each worker, before its first request."""
    if os.environ.get(SUPERVISED_VARIABLE):
        _end_with_the_supervisor()
    app = served_datasette(Layout(Path(os.environ[ROOT_VARIABLE]))).app()
    load = os.environ.get(LOAD_VARIABLE)
    if load:  # several workers: kept connections spread evenly over them
        from infratracker.serve.balance import Balanced, Load

        try:
            app = Balanced(app, Load(load))
        except (OSError, ValueError):  # only a balance: serve without it
            pass
    return app
