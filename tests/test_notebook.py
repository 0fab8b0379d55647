"""The examples/ notebook runs top to bottom and shows what its text promises."""

from __future__ import annotations

import re
from pathlib import Path

import nbclient  # requirements-dev.txt, with ipykernel
import nbformat
import pytest

from tests.conftest import require_tool

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "examples" / "micrograd.ipynb"


@pytest.fixture(scope="module")
def outputs() -> list[str]:
    """The text each code cell printed or returned, in order (a cell whose picture is SVG gives its SVG)."""
    require_tool("dot")  # draw_dot's inline picture
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}
    ).execute()
    texts = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        parts = []
        for out in cell.outputs:
            assert out.output_type != "error", f"cell failed: {out.get('ename')}: {out.get('evalue')}"
            if out.output_type == "stream":
                parts.append(out.text)
            elif "data" in out:
                parts.append(out.data.get("image/svg+xml", out.data.get("text/plain", "")))
        texts.append("".join(parts))
    return texts


def test_the_readme_expression_gives_micrographs_numbers(outputs):
    assert "g = 24.7041" in outputs[0]
    assert "dg/da = 138.8338" in outputs[0]
    assert "dg/db = 645.5773" in outputs[0]


def test_draw_dot_renders_the_neuron_inline_with_values_and_grads(outputs):
    svg = outputs[1]
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    assert "o = 0.7071, do/dw1 = 1.0000, do/dx1 = -1.5000" in svg  # printed before the picture
    assert "data 0.7071" in svg and "grad 1.0000" in svg  # the output node, as drawn


def test_the_plain_loop_lowers_the_loss(outputs):
    losses = [float(x) for x in re.findall(r"loss (\d+\.\d+)", outputs[2])]
    assert "337 parameters" in outputs[2]
    assert len(losses) == 5 and losses[-1] < losses[0]


def test_the_trainer_reaches_full_training_accuracy(outputs):
    assert "after 100 steps: train accuracy 100%" in outputs[3]


def test_numpy_alone_reproduces_the_models_predictions(outputs):
    diff = float(re.search(r"largest difference: (\S+)", outputs[4]).group(1))
    assert diff <= 1e-12
    assert "same predictions: True" in outputs[4]
