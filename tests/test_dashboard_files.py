"""The dashboard's files through AppTest: CSV uploads (good, bad, replaced), weights import and export."""

import json

import numpy as np

from micrograd.nn import MLP
from micrograd.studio import weights as export
from micrograd.studio.config import RunConfig
from micrograd.studio.trainer import Trainer
from micrograd.views import text
from tests.test_dashboard import app, messages, trainer, view, weights


def test_csv_upload_valid_then_invalid_keeps_data():
    at = app()
    rng = np.random.default_rng(0)
    rows = "\n".join(f"{a:.3f},{b:.3f},{c:.3f},{'yes' if a + b > 0 else 'no'}" for a, b, c in rng.normal(size=(40, 3)))
    at.selectbox(key="w_dataset").set_value("csv").run()
    assert trainer(at).dataset.name == "moons"  # nothing uploaded yet: the current data stays
    at.file_uploader(key="csv_upload_0").set_value(("mine.csv", f"a,b,c,label\n{rows}\n".encode(), "text/csv")).run()
    d = trainer(at).dataset
    assert d.name == "csv" and d.feature_names == ["a", "b", "c"] and d.class_names == ("no", "yes")
    assert len(d.y_train) + len(d.y_test) == 40 and trainer(at).model.sizes[0] == 3
    at.multiselect(key="w_csv_features").set_value(["a", "b"]).run()
    assert trainer(at).dataset.feature_names == ["a", "b"] and trainer(at).model.sizes[0] == 2
    at.button(key="btn_step").click().run()
    assert trainer(at).step_count == 1 and view(at)["static"]["feature_names"] == ["a", "b"]
    before = trainer(at)
    at.file_uploader(key="csv_upload_0").set_value(("bad.csv", b"1,2,3\n4,5,6\n", "text/csv")).run()
    assert "bad.csv" in messages(at, "error") and "header" in messages(at, "error")
    assert trainer(at) is before and not at.exception


def test_csv_with_a_bad_cell_shows_the_row_and_keeps_the_model():
    at = app()
    at.selectbox(key="w_dataset").set_value("csv").run()
    text = "x,y,label\n" + "\n".join(f"{i},{i % 3},{i % 2}" for i in range(10)) + "\n5,oops,1\n"
    at.file_uploader(key="csv_upload_0").set_value(("cells.csv", text.encode(), "text/csv")).run()
    said = messages(at, "error")
    assert "oops" in said and "row 12" in said
    assert "cells.csv: column " in said  # which file, as the messages of the upload itself say (QA)
    assert trainer(at).dataset.name == "moons" and not at.exception


def test_a_rejected_csv_leaves_no_columns_task_or_error_behind():
    """QA: a 3-row file was taken (its columns, its task) and failed later; its error stayed beside the next one's."""
    at = app()
    at.selectbox(key="w_dataset").set_value("csv").run()
    three = b"a,b,label\n1,2,x\n3,4,y\n5,6,z\n"
    at.file_uploader(key="csv_upload_0").set_value(("three.csv", three, "text/csv")).run()
    errors = [e.value for e in at.error]
    # said as the errors about a file's contents are (QA: only those said that the current data stays)
    assert errors == [
        "three.csv: the file has 3 data row(s); at least 4 are needed, add more rows. The current data and model stay."
    ]
    assert at.session_state["csv"] is None and at.session_state["w_task"] == "binary"  # the 3 classes set nothing
    assert not at.multiselect and trainer(at).dataset.name == "moons"
    at.file_uploader(key="csv_upload_0").set_value(("one.csv", b"only\n1\n2\n3\n4\n", "text/csv")).run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("one.csv: the file has one column"), errors
    assert at.session_state["w_task"] == "binary" and not at.exception
    # a file taken at upload that fails when loaded (one class), then a refused one: only the last error is left
    same = b"a,b,label\n" + b"".join(b"%d,%d,x\n" % (k, k % 3) for k in range(8))
    at.file_uploader(key="csv_upload_0").set_value(("same.csv", same, "text/csv")).run()
    assert any(e.value.startswith("same.csv: ") and "class" in e.value for e in at.error), [e.value for e in at.error]
    at.file_uploader(key="csv_upload_0").set_value(("zip.csv", b"PK\x03\x04\x14\x00 binary", "text/csv")).run()
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("zip.csv: the file is binary"), errors
    assert at.session_state["csv"] is None and not at.multiselect and trainer(at).dataset.name == "moons"


def test_the_columns_say_which_file_they_are_from():
    """QA: after several files were tried (some refused by the browser for their size), nothing named the one in use."""
    at = app()
    at.selectbox(key="w_dataset").set_value("csv").run()
    good = b"a,b,label\n" + b"".join(b"%d,%d,%d\n" % (k, k % 3, k % 2) for k in range(12))
    at.file_uploader(key="csv_upload_0").set_value(("my *data*.csv", good, "text/csv")).run()
    assert "Columns of my \\*data\\*.csv:" in [c.value for c in at.caption]  # the name escaped, shown as typed
    assert not at.error and not at.exception


def test_weights_import_restores_the_model_and_a_bad_file_lists_problems():
    source = MLP(2, [8, 1], "tanh", seed=5)
    data = export.dumps(source, feature_names=["x1", "x2"]).encode()
    at = app()
    at.file_uploader(key="weights_upload_0").set_value(("w.json", data, "application/json")).run()
    tr = trainer(at)
    assert tr.model.sizes == [2, 8, 1] and [p.data for p in tr.model.parameters()] == [
        p.data for p in source.parameters()
    ]
    assert (
        tr.config.layers == [8]
        and tr.config.activation == "tanh"
        and "Loaded w.json: 2-8-1 network." in messages(at, "info")
    )
    assert at.number_input(key="w_nlayers").value == 1 and at.selectbox(key="w_activation").value == "tanh"
    at.button(key="btn_step").click().run()
    assert trainer(at) is tr and tr.step_count == 1  # continues training the imported model
    doc = json.loads(data)
    doc["layers"][0]["weights"][0][0] = "NaN?"
    doc["layers"][1]["biases"] = [1.0, 2.0]
    at.file_uploader(key="weights_upload_0").set_value(
        ("broken.json", json.dumps(doc).encode(), "application/json")
    ).run()
    err = messages(at, "error")
    assert "Could not import" in err and err.count("broken.json:") == len(at.session_state["weights_error"]) >= 2
    assert trainer(at) is tr and not at.exception
    three = export.dumps(MLP(3, [4, 1], seed=0)).encode()
    at.file_uploader(key="weights_upload_0").set_value(("three.json", three, "application/json")).run()
    assert "takes 3 inputs" in messages(at, "error") and trainer(at) is tr


def test_weights_that_overflow_on_the_data_are_refused_with_the_reason():
    """QA: a file with two 1e308 weights loaded, then every loss read "—" with no word of why."""
    source = MLP(2, [8, 1], "relu", seed=5)  # relu passes inf on (tanh would squash it to 1)
    doc = json.loads(export.dumps(source, feature_names=["x1", "x2"]))
    doc["layers"][0]["weights"] = [[1e308, 1e308]] * 8
    at = app()
    before = trainer(at)
    at.file_uploader(key="weights_upload_0").set_value(("huge.json", json.dumps(doc).encode(), "x")).run()
    err = messages(at, "error")
    assert "the file's weights (the largest is 1e+308 in size) make the network's outputs on the current data" in err
    assert "export the weights again from a run that did not diverge" in err
    assert trainer(at) is before and not at.exception


def test_download_serialises_the_current_weights():
    at = app()
    at.button(key="btn_step").click().run()
    assert at.get("download_button")
    loaded = export.loads(trainer(at).export_json())  # what the button's callable returns (AppTest cannot click it)
    assert [p.data for p in loaded.model.parameters()] == weights(at)
    assert loaded.training["lr"] == 1.0 and loaded.metrics["step"] == 1


def test_reuploading_a_csv_under_the_same_name_loads_the_new_rows():
    at = app()
    at.selectbox(key="w_dataset").set_value("csv").run()

    def rows(n: int) -> bytes:
        return ("a,b,label\n" + "\n".join(f"{i},{i % 7},{i % 2}" for i in range(n)) + "\n").encode()

    def n_rows() -> int:
        d = trainer(at).dataset
        return len(d.y_train) + len(d.y_test)

    at.file_uploader(key="csv_upload_0").set_value(("data.csv", rows(20), "text/csv")).run()
    assert n_rows() == 20
    at.file_uploader(key="csv_upload_0").set_value(("data.csv", rows(40), "text/csv")).run()
    assert n_rows() == 40


def test_importing_weights_trained_on_other_features_says_so():
    at = app()
    data = export.dumps(MLP(2, [4, 1], seed=1), feature_names=["height", "weight"]).encode()
    at.file_uploader(key="weights_upload_0").set_value(("other.json", data, "application/json")).run()
    info = messages(at, "info")
    assert "Loaded other.json" in info and "trained on features height, weight" in info and "x1, x2" in info
    same = export.dumps(MLP(2, [4, 1], seed=1), feature_names=["x1", "x2"]).encode()
    at.file_uploader(key="weights_upload_0").set_value(("same.json", same, "application/json")).run()
    assert "Loaded same.json" in messages(at, "info") and "Note:" not in messages(at, "info")


def test_a_weights_file_with_a_lone_surrogate_is_refused_naming_the_field():
    doc = json.loads(export.dumps(MLP(2, [4, 1], seed=1), feature_names=["x1", "x2"]))
    doc["feature_names"][0] = "\ud800"
    at = app()
    before = trainer(at)
    data = json.dumps(doc).encode()  # ASCII JSON: legal, with the surrogate as an escape
    at.file_uploader(key="weights_upload_0").set_value(("odd.json", data, "application/json")).run()
    assert not at.exception and trainer(at) is before
    assert text.md("feature_names[0] holds a character that is not valid Unicode") in messages(at, "error")
    at.button(key="btn_step").click().run()  # the session goes on
    assert not at.exception and trainer(at).step_count == 1


def test_choosing_upload_csv_asks_for_a_file_without_an_error():
    at = app()
    at.selectbox(key="w_dataset").set_value("csv").run()
    assert not at.error and not at.exception
    assert "Choose a CSV file" in messages(at, "info") and "(moons) stays" in messages(at, "info")
    assert trainer(at).dataset.name == "moons"


def test_importing_weights_of_another_task_is_refused_and_other_target_scaling_is_said():

    reg = Trainer(RunConfig(dataset="plane", task="regression", loss="mse", layers=[4], lr=0.01, steps=2))
    reg.run()
    at = app()  # moons, two classes: the plane's 2-4-1 regression has the same sizes
    before = weights(at)
    at.file_uploader(key="weights_upload_0").set_value(("plane.json", reg.export_json().encode(), "x")).run()
    err = messages(at, "error")
    assert "the file's model is for regression but the current data is binary" in err  # it loaded silently
    assert weights(at) == before
    sine = Trainer(RunConfig(dataset="sine", task="regression", loss="mse", layers=[4], lr=0.01, noise=0.5, steps=2))
    sine.run()
    at = app(dataset="sine", noise="0.2", data_seed="9", layers="4")
    at.file_uploader(key="weights_upload_0").set_value(("sine.json", sine.export_json().encode(), "x")).run()
    info = messages(at, "info")
    assert "Loaded sine.json" in info and "standardised its targets differently" in info, info


def test_a_csv_with_a_blank_first_line_gets_a_message_not_an_exception():
    """Review: pandas raised EmptyDataError for a blank first line, which no handler caught."""
    at = app()
    at.selectbox(key="w_dataset").set_value("csv").run()
    blank = b"\nx,y,label\n" + b"".join(b"%d,%d,%d\n" % (k, k % 3, k % 2) for k in range(8))
    at.file_uploader(key="csv_upload_0").set_value(("blank.csv", blank, "text/csv")).run()
    assert not at.exception, at.exception
    assert "blank.csv: the first line is blank" in messages(at, "error")
    assert trainer(at).dataset.name == "moons"
