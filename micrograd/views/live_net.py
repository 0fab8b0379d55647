"""The Graph page's network view: the Train view's network picture, larger, each frame a network picture.

The same feed and wire format as the Train page (micrograd.views.live), without the boundary and the curves:
every frame carries the step's weights and activation thumbnails, as many frames a second as the byte budget
allows (every k-th step beyond, which the view says).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from micrograd.views import curves
from micrograd.views.live import MAX_FRAMES_PER_SECOND, LiveFeed, net_bytes

NET_VIEW_BYTES_PER_SECOND = 320_000  # raw network pictures a second: ~75 KB/s sent as changes (budget 150)


class NetFeed(LiveFeed):
    """A LiveFeed whose frames are network pictures only (weights and thumbnails), one per frame."""

    def set_speed(self, steps_per_second: float, sizes: Sequence[int]) -> None:
        """Frames at most MAX_FRAMES_PER_SECOND a second, and within NET_VIEW_BYTES_PER_SECOND."""
        self.speed = max(float(steps_per_second), 1e-9)
        fps = min(MAX_FRAMES_PER_SECOND, NET_VIEW_BYTES_PER_SECOND / net_bytes(sizes, self.thumb_n))
        self.every = self.net_every = max(1, math.ceil(self.speed / fps))

    def _frame(self, trainer, k: int, with_net: bool = False) -> dict:
        self._last_step = k
        return {"step": k, "net": self._net(trainer.layers(), k)}

    def _new_metrics(self, history: Sequence[dict]) -> curves.Points | None:
        return None  # no curves in this view

    def _next_metrics(self, trainer) -> curves.Points | None:
        return None
