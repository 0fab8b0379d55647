"""Weights file version 2 (task, K class names, target scaling), version-1 files from before it, the NumPy reader."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from micrograd.cli.main import main
from micrograd.studio import weights as W
from micrograd.studio.presets import preset_config
from micrograd.studio.trainer import Trainer

DATA = Path(__file__).resolve().parent / "data"
DOC = Path(__file__).resolve().parents[1] / "docs" / "weights-format.md"


@pytest.mark.parametrize("name", ["moons", "breast_cancer"])
def test_version_1_files_exported_before_version_2_load_and_predict_the_same(name, tmp_path, capsys):
    """tests/data/v1_*: written by `micrograd train --out` and `micrograd predict` of the code before issue 13."""
    text = (DATA / f"v1_{name}.json").read_text(encoding="utf-8")
    assert json.loads(text)["version"] == 1 and "task" not in json.loads(text)
    lm = W.loads(text)
    assert lm.task == "binary" and lm.target_scaling is None and lm.model.sizes[-1] == 1
    assert W.dumps(lm.model, **lm.metadata()) == text  # written back byte for byte, still as version 1
    out = tmp_path / "predicted.csv"
    assert (
        main(["predict", str(DATA / f"v1_{name}.json"), "--csv", str(DATA / f"v1_{name}_rows.csv"), "--out", str(out)])
        == 0
    )
    assert out.read_text() == (DATA / f"v1_{name}_predicted.csv").read_text()


def trained(name: str, task: str | None = None, steps: int = 30) -> Trainer:
    tr = Trainer(preset_config(name, task, steps=steps))
    tr.run()
    return tr


def test_multiclass_files_are_version_2_with_k_class_names():
    tr = trained("iris")
    doc = json.loads(tr.export_json())
    assert (doc["version"], doc["task"], doc["class_names"]) == (2, "multiclass", ["setosa", "versicolor", "virginica"])
    assert len(doc["layers"][-1]["weights"]) == 3 and doc["target_scaling"] is None
    assert list(doc)[:3] == ["format", "version", "task"]
    lm = W.loads(json.dumps(doc))
    assert lm.task == "multiclass" and lm.predict(np.zeros((2, 4))).shape == (2, 3)
    assert lm.metrics["test_accuracy"] == tr.metrics()["test_accuracy"]
    bad = dict(doc, class_names=["a", "b"])
    with pytest.raises(W.WeightsError, match="must be 3 strings, one per output unit"):
        W.loads(json.dumps(bad))
    with pytest.raises(W.WeightsError, match="'task' is \"ranking\""):
        W.loads(json.dumps(dict(doc, task="ranking")))
    with pytest.raises(W.WeightsError, match="only for task regression"):
        W.loads(json.dumps(dict(doc, target_scaling={"mean": [0.0], "std": [1.0]})))
    with pytest.raises(W.WeightsError, match="the last layer has 3 units; it must have exactly 1"):
        W.loads(json.dumps(dict(doc, version=1)))  # version 1 is binary, whatever its task says


def doc_reader(folder: Path):
    """The NumPy-only reader of docs/weights-format.md, saved as a module and imported as written."""
    text = DOC.read_text(encoding="utf-8")
    code = text.split("## Predicting with numpy only", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    path = folder / "weights_reader.py"
    path.write_text(code, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("weights_reader", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("name", "task"),
    [("moons", None), ("breast_cancer", None), ("wine", None), ("sine", None), ("spiral", "multiclass")],
)
def test_the_documented_numpy_reader_reproduces_micrograd_predict(name, task, tmp_path, capsys):
    tr = trained(name, task)
    model = tmp_path / "model.json"
    model.write_text(tr.export_json(), encoding="utf-8")
    d = tr.dataset
    X = d.X_test if len(d.X_test) else d.X_train
    if d.preprocessing is not None:  # raw rows, as a user's file holds them
        X = X * np.array(d.preprocessing["std"]) + np.array(d.preprocessing["mean"])
    rows = tmp_path / "rows.csv"
    pd.DataFrame(X, columns=d.feature_names).to_csv(rows, index=False)
    assert main(["predict", str(model), "--csv", str(rows)]) == 0
    cli = pd.read_csv(io.StringIO(capsys.readouterr().out))
    got = doc_reader(tmp_path).predict(str(model), X)
    if d.task == "regression":
        np.testing.assert_allclose(np.asarray(got), cli["predicted"].to_numpy(), rtol=1e-9, atol=1e-12)
    else:
        assert list(got) == [str(v) for v in cli["predicted"]]
    assert len(cli) == len(X) > 0
