"""The one palette of every view, TensorFlow Playground's: blue is positive (class +1), orange negative (class -1).

Scores, weights, activations, values and gradients alike, on every page, in plotly figures, Graphviz DOT and the
live components (which receive it with their static data; ui/components/graph_codec.js holds the same two colours).
"""

from __future__ import annotations

POSITIVE, NEGATIVE, ZERO, NAN = "#0877bd", "#f59322", "#e8eaeb", "#9e9e9e"
# a diverging plotly scale over [-1, 1] (or any range centred on 0): orange, light grey at 0, blue
DIVERGING = [[0.0, NEGATIVE], [0.5, ZERO], [1.0, POSITIVE]]


def rgb(colour: str) -> tuple[int, int, int]:
    """(r, g, b) of a #rrggbb colour."""
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)
