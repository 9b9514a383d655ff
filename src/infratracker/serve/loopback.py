"""Starting a local server for tests, the load test and the benchmark: loopback only."""
from __future__ import annotations

import socket
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(base: str, seconds: float = 60) -> bool:
    """Poll base/-/versions.json until the server answers; False if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2)
            return True
        except OSError:
            time.sleep(0.1)
    return False


# --- which worker holds a connection (Linux /proc), for the tests and scripts/bench_bad_draw.py

def tcp_sockets(port: int) -> list[tuple[str, int, int]]:
    """(state, remote port, inode) of every IPv4 TCP socket whose local port is `port`; state
    "0A" is listening, "01" established (/proc/net/tcp)."""
    found = []
    with open("/proc/net/tcp") as fh:
        next(fh)
        for line in fh:
            f = line.split()
            if int(f[1].split(":")[1], 16) == port:
                found.append((f[3], int(f[2].split(":")[1], 16), int(f[9])))
    return found


def socket_inodes(pid: int | str) -> set[int]:
    """Inodes of the sockets a process holds."""
    import os

    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[8:-1]))
    return inodes


def worker_of(port: int, source: int, workers: list[int]) -> int | None:
    """Which of `workers` (pids) holds the connection to `port` from local port `source`."""
    inodes = {inode for state, remote, inode in tcp_sockets(port) if state == "01" and remote == source}
    return next((i for i, pid in enumerate(workers) if inodes & socket_inodes(pid)), None)


def ports_drawn_to(port: int, workers: list[int], worker: int, wanted: int, first: int = 20000) -> list[int]:
    """Local ports whose connection to `port` the kernel gives to workers[worker] (it draws a
    listening socket by a hash of the addresses, so a port's draw holds while the sockets do).
    Each probe asks for /-/versions.json, so that a worker has taken the connection, and is
    then reset (SO_LINGER 0), which leaves no TIME_WAIT to keep the port from being used again."""
    import struct

    found, source = [], first
    while len(found) < wanted and source < 60000:
        source += 1
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", source))
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /-/versions.json HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            s.recv(1)
            if worker_of(port, source, workers) == worker:
                found.append(source)
        except OSError:
            pass
        finally:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()
    return found


def serve_workers(root, workers: int = 2, seconds: float = 60):
    """`infratracker serve --workers N` on a built folder, once every worker listens: (the
    process, its port, the workers' pids). Raises RuntimeError if they are not up in time."""
    import subprocess
    import sys

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "infratracker.cli", "--root", str(root), "serve",
                             "--port", str(port), "--workers", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_until_up(f"http://127.0.0.1:{port}", seconds):
            raise RuntimeError("the server did not start")
        children = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
        pids = [int(pid) for pid in children if "spawn_main" in open(f"/proc/{pid}/cmdline").read()]
        # wait_until_up is answered by the first worker up; the others may still be starting
        deadline = time.monotonic() + seconds
        while sum(state == "0A" for state, _r, _i in tcp_sockets(port)) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        if len(pids) != workers or time.monotonic() >= deadline:
            raise RuntimeError(f"{len(pids)} of {workers} workers are up")
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    return proc, port, pids
