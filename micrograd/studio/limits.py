"""Every limit of a run in one place: ``LIMITS`` for any run (CLI, run store, weights file), ``SIDEBAR`` for the
dashboard's widgets, which keep a live run small enough to redraw. Stdlib only, so any module may import it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Upper limits (and the few lower ones that are not 0) of a run's settings and of the model it trains."""

    seed: int = 2**32 - 1  # sklearn's random_state limit
    hidden_layers: int = 15  # with the output layer, the 16 layers a weights file may hold
    width: int = 1024  # units per layer, and inputs
    parameters: int = 250_000  # a trained weight is ~20 bytes of JSON: what a 5 MB weights file holds
    steps: int = 1_000_000
    batch: int = 1_000_000
    min_samples: int = 4
    samples: int = 10_000  # a built-in dataset's; some allow fewer (micrograd.studio.datasets.DatasetSpec)
    test_fraction: float = 0.9
    features: int = 100  # feature columns of a CSV file: room for the 8 x 8 digits' 64 pixels
    classes: int = 10  # classes of a multiclass dataset (output units of its model)

    @property
    def layers(self) -> int:
        """Layers of a model including the output layer."""
        return self.hidden_layers + 1


LIMITS = Limits()
SIDEBAR = Limits(hidden_layers=6, width=64, steps=100_000, batch=10_000)
