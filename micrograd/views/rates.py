"""How often the Train view's network picture travels: as often as the bytes the boundary frames leave allow.

The boundary frames (one per picture on screen) come first; the network picture (weights and thumbnails) gets what
is left of PAYLOAD_BYTES_PER_SECOND of encoded updates. Both sizes are measured, because they differ by task and by
run (a trained boundary, many points, ten classes), so a fixed budget either starved the default net or overran on
heavy tasks (docs/benchmarks.md, sessions 8 and 10). Both are measured in the updates actually sent, where
consecutive pictures compress together (a boundary frame to about a third of its size alone): an update's network
pictures are encoded last, after a flush of the compressor (live.encode_measured), and the bytes after it are theirs.
"""

from __future__ import annotations

from collections.abc import Sequence

PAYLOAD_BYTES_PER_SECOND = 90_000  # encoded updates of one Train view (target 100); other messages on top
NET_MIN_BYTES_PER_SECOND = 8_000  # the network picture's share when the boundary frames take everything
RAW_NET_BYTES_PER_SECOND = 80_000  # until both sizes are measured: raw network bytes a second
OVERHEAD = 400  # encoded bytes of an update besides its pictures (status, metric points)
MIN_FRAMES = 4  # an update with fewer boundary frames says too little about their size
MEASURE_EVERY = 2  # updates per measurement once settled (each moves the estimates by SMOOTHING)
FIRST_MEASURES = 4  # the first ones come with every update: a run starts from the raw budget, settles in ~2 s
SMOOTHING = 0.5  # weight of a new measurement in the running estimate
# boundary frames per network picture: a ladder of ~1.5x rungs, so the stride moves rarely and never by much
RUNGS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512)
HEADROOM = 0.85  # a faster rung is taken only when it fits with this margin (no flapping between two)


def net_bytes(sizes: Sequence[int], thumb_n: int) -> int:
    """Raw bytes of one network picture: an int8 thumbnail per neuron and a float32 per weight and bias."""
    return thumb_n**2 * sum(sizes[1:]) + 4 * sum((a + 1) * b for a, b in zip(sizes, sizes[1:]))


class NetRate:
    """Running estimates of a boundary frame's and a network picture's encoded bytes, and the stride they allow."""

    def __init__(self) -> None:
        self.frame: float | None = None  # encoded bytes of a boundary frame in an update (its network picture apart)
        self.net: float | None = None  # encoded bytes of a network picture
        self.rung = 0  # index into RUNGS of the current stride
        self.measures = 0  # updates measured since the last reset

    def reset(self) -> None:
        """Another run or picture: sizes are measured again."""
        self.frame = self.net = None
        self.measures = 0

    def see_update(self, nbytes: int, without: int, frames: int, nets: int) -> None:
        """An update of ``frames`` boundary frames, ``nets`` of them with the network picture, took ``nbytes``
        encoded, and ``without`` encoded without its network pictures."""
        self.measures += 1
        if nets:
            self.net = _blend(self.net, max(0, nbytes - without) / nets)
        if frames >= MIN_FRAMES:
            self.frame = _blend(self.frame, max(0, without - OVERHEAD) / frames)

    def stride(self, frames_per_second: float, sizes: Sequence[int], thumb_n: int) -> int:
        """Boundary frames per network picture at this frame rate (1: every frame carries the network)."""
        if self.frame is None or self.net is None:  # nothing measured yet: the raw budget
            nets = RAW_NET_BYTES_PER_SECOND / net_bytes(sizes, thumb_n)
        else:
            spare = max(PAYLOAD_BYTES_PER_SECOND - frames_per_second * self.frame, NET_MIN_BYTES_PER_SECOND)
            nets = spare / max(self.net, 1.0)
        need = frames_per_second / max(nets, 1e-9)
        rung = next((i for i, r in enumerate(RUNGS) if r >= need), len(RUNGS) - 1)
        if rung < self.rung and RUNGS[rung] < need / HEADROOM:  # faster only with room to spare
            rung = min(rung + 1, self.rung)
        self.rung = rung
        return RUNGS[rung]


def _blend(old: float | None, new: float) -> float:
    return float(new) if old is None else (1 - SMOOTHING) * old + SMOOTHING * new
