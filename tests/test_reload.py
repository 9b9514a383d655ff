"""A running `infratracker serve` picks up a rebuilt database: no restart, no dropped request
(issue 15, the curator's loop). The server is a real process; the new database comes from the
real `build` and `db` commands, which rename the new file into place."""
import json
import threading
import time
import urllib.error
import urllib.request

from infratracker.cli import main
from infratracker.serve.site import write_site_files
from support import serving
from test_curate import write_source

NEW = "The Aktau–Baku ferry line will open next year."


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def projects(base: str) -> set[str]:
    status, body = fetch(base + "/infratracker/projects.json?_shape=array&_col=name&_size=max")
    assert status == 200, body[:300]
    return {p["project_id"] for p in json.loads(body)}


def test_a_rebuilt_database_is_served_without_a_restart_or_a_dropped_request(checkout, capsys):
    # build and db leave their states, so that the db below is the incremental update
    assert main(["--root", str(checkout.root), "build"]) == 0
    assert main(["--root", str(checkout.root), "db"]) == 0
    write_site_files(checkout)
    with serving(checkout) as base:
        before = projects(base)
        assert "aktau-baku-ferry-line" not in before
        statuses: list[int] = []
        stop = threading.Event()

        def hammer():
            paths = ["/infratracker/projects.json?_shape=array", "/infratracker/citations.json?_size=5",
                     "/infratracker/projects", "/-/record/projects/instc"]
            i = 0
            while not stop.is_set():
                statuses.append(fetch(base + paths[i % len(paths)] + f"&n={i}" if "?" in paths[i % len(paths)]
                                      else base + paths[i % len(paths)])[0])
                i += 1

        clients = [threading.Thread(target=hammer) for _ in range(3)]
        for c in clients:
            c.start()
        write_source(checkout, "wire-ferry", NEW, "2026-05-01", {"projects": [{
            "id": "aktau-baku-ferry-line", "name": "Aktau–Baku ferry line", "project_type": "port", "quote": NEW}]})
        assert main(["--root", str(checkout.root), "build"]) == 0
        capsys.readouterr()
        assert main(["--root", str(checkout.root), "db"]) == 0
        assert capsys.readouterr().out.startswith("incremental:")
        deadline = time.monotonic() + 10
        while "aktau-baku-ferry-line" not in projects(base) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # requests keep flowing across the swap
        stop.set()
        for c in clients:
            c.join()
        assert projects(base) == before | {"aktau-baku-ferry-line"}
        assert len(statuses) > 20 and set(statuses) == {200}, sorted(set(statuses))
        # the new file's counts, not those inspect.json recorded for the old one
        status, body = fetch(base + "/infratracker.json")
        counts = {t["name"]: t["count"] for t in json.loads(body)["tables"]}
        assert counts["projects"] == len(before) + 1
