"""The live views' wire format: MAGIC, u32 header length, JSON header, binary arrays; all of it zlib-compressed.

NumPy arrays leave the JSON header for a binary tail and are replaced by references ``{"$": dtype, "o": offset,
"n": count}``. A frame's pictures (CHAINED: the boundary grid, the points' scores, the network's weights and
thumbnails, ...) travel as changes: the first of each dtype and size in an update as it is (``"x": 0``), each later
one as the XOR of its bytes with the previous one's (``"x": 1``); wider than a byte, in byte planes (``"p": 1``: every
value's lowest byte, then the next, ...). One step changes a weight's low bits only, so the XOR's high planes are
runs of zeros that zlib packs tight: the default net's update at 50 steps a second, a network picture with every
frame, is ~35 % smaller (96 against 62 KB/s; docs/benchmarks.md, session 25), so the network travels every frame
within the budget. Each update stands alone (its first picture is whole): a lost or late update loses nothing
else. Both ends take the arrays in document order; ui/components/player.js (mg.decode) reads them in the browser.
"""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import numpy as np

MAGIC = b"MGL1"
CHAINED = ("grid", "scores", "pred", "curve", "weights", "thumbs")  # sent as changes from the previous frame's
# (not "conf", a multiclass point's certainty: as changes it packed worse than as it is, digits' frames 2.4x larger)
# zlib's level: 4 is 20-40 % faster than 6 on a tick's update at 60 steps a second (0.8 against 1.0-1.2 ms settled,
# 2.1 against 3.6 ms in a run's first second, when the pictures change fast) for 1-2 % more bytes (session 23)
LEVEL = 4


def encode(update: dict) -> bytes:
    """The update as compact bytes: numpy arrays go to a binary tail, the rest to a JSON header."""
    return encode_measured(update)[0]


def _pictures(update: dict) -> list[dict]:
    """The frames of an update (those played now, then those ahead) and their network pictures."""
    ahead = update.get("ahead")
    lists = (update.get("frames"), ahead.get("frames") if isinstance(ahead, dict) else None)
    frames = [f for frames in lists for f in frames or ()]
    return frames + [f["net"] for f in frames if isinstance(f.get("net"), dict)]


def encode_measured(update: dict) -> tuple[bytes, int]:
    """(encode(update), its compressed bytes without the frames' network pictures).

    The network pictures' arrays go last in the binary tail, after a flush of the compressor, so one compression
    gives both sizes (LiveFeed.sent encoded an update a second time without them, every update in a run's first
    seconds: the most costly ones). Their few bytes of JSON references count as the frames'.
    """
    nets = {id(v) for f in update.get("frames") or () for v in f.get("net", {}).values() if isinstance(v, np.ndarray)}
    chained = {id(p[k]) for p in _pictures(update) for k in CHAINED if isinstance(p.get(k), np.ndarray)}

    def nbytes(v: Any) -> int:
        if not isinstance(v, np.ndarray):
            raise TypeError(f"a live update holds only JSON values and NumPy arrays, not {type(v).__name__}")
        return v.size * v.dtype.itemsize + (-(v.size * v.dtype.itemsize)) % 4  # 4-byte aligned for typed arrays

    front = 0

    def measure(v: Any) -> int:  # a first pass (~0.2 ms): where the network pictures' arrays will start
        nonlocal front
        front += 0 if id(v) in nets else nbytes(v)
        return 0

    json.dumps(update, allow_nan=False, default=measure)
    blobs: list[bytes] = []
    last: list[bytes] = []
    offsets = [0, front]  # the next offset in front, and among the network pictures' arrays after it
    before: dict[tuple[str, int], np.ndarray] = {}  # the previous picture's array of each dtype and size, as bytes

    def pack(v: Any) -> Any:  # json calls it for each array, in document order (C speed for the rest)
        n = nbytes(v)
        net = id(v) in nets
        ref = {"$": v.dtype.str.lstrip("<>|="), "o": offsets[net], "n": int(v.size)}
        b = np.ascontiguousarray(v).astype(v.dtype.newbyteorder("<"), copy=False).tobytes()
        if id(v) in chained:
            b = _chain(ref, b, v.dtype.itemsize, before)
        (last if net else blobs).append(b + b"\0" * (n - len(b)))
        offsets[net] += n
        return ref

    header = json.dumps(update, separators=(",", ":"), allow_nan=False, default=pack).encode()
    header += b" " * ((-len(header)) % 4)
    z = zlib.compressobj(LEVEL)
    head = z.compress(MAGIC + struct.pack("<I", len(header)) + header + b"".join(blobs)) + z.flush(zlib.Z_SYNC_FLUSH)
    return head + z.compress(b"".join(last)) + z.flush(), len(head)


def _chain(ref: dict, raw: bytes, itemsize: int, before: dict) -> bytes:
    """A picture's array as sent: XORed with the previous picture's (``x``: 1), in byte planes if wider than a byte
    (``p``: 1); ``before`` remembers its bytes for the next picture."""
    now = np.frombuffer(raw, dtype=np.uint8)
    key = (ref["$"], ref["n"])
    prev = before.get(key)
    before[key] = now
    ref["x"] = int(prev is not None)
    out = now ^ prev if prev is not None else now
    if itemsize > 1:
        ref["p"] = 1
        out = out.reshape(-1, itemsize).T
    return out.tobytes()


def decode(payload: bytes) -> dict:
    """encode() reversed (for tests and tools): arrays come back as numpy arrays."""
    raw = zlib.decompress(payload)
    if raw[:4] != MAGIC:
        raise ValueError("not a live-view payload")
    (n,) = struct.unpack("<I", raw[4:8])
    body = raw[8 + n :]
    before: dict[tuple[str, int], np.ndarray] = {}

    def unpack(d: dict) -> Any:  # json calls it for every object, innermost first: the arrays in document order
        if "$" not in d:
            return d
        dtype = np.dtype(d["$"]).newbyteorder("<")
        if "x" not in d:
            return np.frombuffer(body, dtype=dtype, count=d["n"], offset=d["o"])
        raw = np.frombuffer(body, dtype=np.uint8, count=d["n"] * dtype.itemsize, offset=d["o"])
        if d.get("p"):
            raw = raw.reshape(dtype.itemsize, -1).T.ravel()
        if d["x"]:
            raw = raw ^ before[(d["$"], d["n"])]
        before[(d["$"], d["n"])] = raw
        return raw.view(dtype)

    return json.loads(raw[8 : 8 + n], object_hook=unpack)
