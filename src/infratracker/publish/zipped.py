"""The package as one zip, made again in a moment when only a few rows changed.

Each member is deflated in pieces whose boundaries the content chooses: a line starts a new piece
when a hash of its first 16 bytes falls on one value in 512, and the piece is at least 16 KiB
(at most 8 MiB). Small pieces, because new rows land all over a CSV sorted by hashed ids: the
101 citations of one article touch about 100 pieces of the citations CSV, and each touched piece
is compressed again. Each piece is compressed on its own (a fresh compressor, ended by a full flush),
so the pieces joined, with an empty final block, are one valid deflate stream: pigz's method.
Rows inserted into a sorted CSV change the pieces around them only; every other piece is taken
from the cache (build/cache/zip/), keyed by the SHA-256 of its bytes and the compression settings.
After each zip the cache holds exactly the pieces of that zip, so it is bounded by the zip's size.

Python's zipfile cannot take data that is already compressed, so the archive's headers are
written here (no ZIP64: a member or archive over 4 GiB is refused, which the package is far
from). The bytes depend only on the members: fixed timestamps, names in the order given.
"""
from __future__ import annotations

import hashlib
import os
import struct
import zlib
from pathlib import Path

import numpy as np

LEVEL = 9
MASK = 511  # a boundary about once in 512 lines
MIN_PIECE = 16 * 1024
MAX_PIECE = 8 * 1024 * 1024
WINDOW = 16
# What a piece's compressed bytes depend on besides its own bytes (not where pieces are cut).
SETTINGS = f"deflate-raw level={LEVEL} wbits=-15 memlevel=9 zlib={zlib.ZLIB_VERSION}".encode()
END_OF_STREAM = b"\x03\x00"  # an empty final block with fixed codes
DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01, 00:00:00: the earliest a zip can say
LIMIT = 0xFFFFFFFF


def boundaries(data: bytes) -> list[int]:
    """Where each piece of `data` starts after the first: line starts picked by their content."""
    if len(data) <= MIN_PIECE:
        return []
    raw = np.frombuffer(data, dtype=np.uint8)
    starts = np.flatnonzero(raw == 10) + 1
    starts = starts[starts + WINDOW <= len(data)]
    if not len(starts):
        return _split_long(0, len(data), [])
    windows = np.lib.stride_tricks.as_strided(raw, shape=(len(raw) - WINDOW + 1, WINDOW), strides=(1, 1))
    words = np.ascontiguousarray(windows[starts]).view("<u8")  # each line's first 16 bytes, as two words
    with np.errstate(over="ignore"):  # a mix of the two words (splitmix64's finaliser)
        h = (words[:, 0] * np.uint64(0x9E3779B97F4A7C15)) ^ (words[:, 1] * np.uint64(0xC2B2AE3D27D4EB4F))
        h ^= h >> np.uint64(31)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(29)
        picked = starts[(h & np.uint64(MASK)) == 0].tolist()
    out: list[int] = []
    last = 0
    for at in picked:
        if at - last >= MIN_PIECE:
            out = _split_long(last, at, out)
            out.append(at)
            last = at
    return _split_long(last, len(data), out)


def _split_long(start: int, end: int, out: list[int]) -> list[int]:
    while end - start > MAX_PIECE:
        start += MAX_PIECE
        out.append(start)
    return out


def _deflate(piece: bytes) -> bytes:
    c = zlib.compressobj(LEVEL, zlib.DEFLATED, -15, 9)
    return c.compress(piece) + c.flush(zlib.Z_FULL_FLUSH)


class PieceCache:
    """Compressed pieces on disk by the SHA-256 of their bytes and the settings; `used` names
    what this zip took, and `prune` removes every other piece."""

    def __init__(self, folder: Path | None):
        self.folder, self.used = folder, set()
        self.hits = self.misses = 0
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)

    def deflated(self, piece: bytes) -> bytes:
        key = hashlib.sha256(SETTINGS + b"\0" + piece).hexdigest()
        self.used.add(key)
        path = self.folder / key if self.folder is not None else None
        if path is not None:
            try:
                out = path.read_bytes()
                self.hits += 1
                return out
            except OSError:
                pass
        self.misses += 1
        out = _deflate(piece)
        if path is not None:
            try:
                tmp = path.with_name(f"{key}.{os.getpid()}.tmp")
                tmp.write_bytes(out)
                os.replace(tmp, path)  # a piece is whole or absent
            except OSError:
                pass  # the cache only saves time
        return out

    def prune(self) -> None:
        if self.folder is None:
            return
        for path in self.folder.iterdir():
            if path.name not in self.used:
                path.unlink(missing_ok=True)


def deflate(data: bytes, cache: PieceCache) -> bytes:
    """`data` as one raw deflate stream, piece by piece."""
    cuts = [0, *boundaries(data), len(data)]
    view = memoryview(data)
    parts = [cache.deflated(bytes(view[a:b])) for a, b in zip(cuts, cuts[1:]) if b > a]
    return b"".join(parts) + END_OF_STREAM


def zip_bytes(members: list[tuple[str, Path]], cache: PieceCache) -> bytes:
    """A zip of (name, file) members, each deflated, read one at a time."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for name, path in members:
        data = path.read_bytes()
        encoded = name.encode("ascii")
        body = deflate(data, cache)
        crc = zlib.crc32(data)
        if len(data) > LIMIT or len(body) > LIMIT or offset > LIMIT:
            raise ValueError(f"{name}: over 4 GiB, which a zip without ZIP64 cannot hold")
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, zlib.DEFLATED, 0, DOS_DATE, crc, len(body),
                            len(data), len(encoded), 0) + encoded
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, (3 << 8) | 20, 20, 0, zlib.DEFLATED, 0,
                                   DOS_DATE, crc, len(body), len(data), len(encoded), 0, 0, 0, 0,
                                   0o100644 << 16, offset) + encoded)
        out += [local, body]
        offset += len(local) + len(body)
        del data
    directory = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0)
    return b"".join(out) + directory + end
