"""Limits and guards that span modules: the server's upload limit, the notice queue, pages without a live view."""

from pathlib import Path

import numpy as np
import pytest
import tomllib

from micrograd.studio import datasets, weights

ROOT = Path(__file__).resolve().parent.parent


def test_the_servers_upload_limit_is_what_the_app_accepts():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    mb = config["server"]["maxUploadSize"]  # Streamlit counts it in MiB (x 1024 x 1024)
    assert mb * 1024 * 1024 == datasets.MAX_CSV_BYTES
    assert weights.MAX_BYTES <= mb * 1024 * 1024


# ---------------------------------------------------------------- text that is not valid Unicode


def test_check_text_names_the_field():
    from micrograd.studio.text import TextError, check_text

    assert check_text("héllo ✓", "the name") == "héllo ✓"
    with pytest.raises(TextError, match=r"the run name holds .* U\+D800, at character 3"):
        check_text("ab\ud800", "the run name")


def test_run_names_that_are_not_valid_unicode_are_refused(tmp_path):
    from micrograd.studio.runs import RunStore

    with RunStore(tmp_path / "runs.db") as store:
        with pytest.raises(ValueError, match="the run name holds a character that is not valid Unicode"):
            store.create_run({"dataset": "moons"}, {}, name="run \udc80")
        run_id = store.create_run({"dataset": "moons"}, {}, name="fine")
        with pytest.raises(ValueError, match="the run name holds a character that is not valid Unicode"):
            store.rename(run_id, "x\ud800")
        assert store.get_run(run_id)["name"] == "fine"


# ---------------------------------------------------------------- the trainer's stop flag


def test_a_stop_request_makes_the_next_step_do_nothing():
    from micrograd.studio.config import RunConfig
    from micrograd.studio.trainer import Trainer

    tr = Trainer(RunConfig(samples=20, layers=[2], steps=50))
    assert tr.step() is not None and tr.step_count == 1
    tr.request_stop()
    assert tr.stop_requested and tr.step() is None and tr.step_count == 1 and tr.status == "training"
    assert tr.run() == "training" and tr.step_count == 1  # run() ends at once too
    tr.resume()
    assert tr.step() is not None and tr.step_count == 2


def test_a_stop_from_another_thread_ends_a_run_after_the_current_step():
    import threading

    from micrograd.studio.config import RunConfig
    from micrograd.studio.trainer import Trainer

    stepped = threading.Event()
    go_on = threading.Event()

    def on_step(record):
        if record["step"] == 3:
            stepped.set()
            go_on.wait(10)

    tr = Trainer(RunConfig(samples=20, layers=[2], steps=1000), on_step=on_step)
    worker = threading.Thread(target=tr.run)
    worker.start()
    assert stepped.wait(30)
    tr.request_stop()  # while step 3 reports: step 4 must not run
    go_on.set()
    worker.join(30)
    assert not worker.is_alive() and tr.step_count == 3 and not tr.done


def test_the_divergence_message_names_what_overflowed_and_no_button(monkeypatch):
    from micrograd.studio.config import RunConfig
    from micrograd.studio.trainer import Trainer

    def huge_gradients(self, X, y, theta):
        g = np.full(len(self.params), 1e200)  # the norm overflows; one small step keeps the weights finite
        return 1.0, g, g  # the objective's gradient and the data loss's

    monkeypatch.setattr(Trainer, "_gradient", huge_gradients)
    tr = Trainer(RunConfig(samples=20, layers=[2], lr=1e-3, steps=5))
    tr.run()
    assert tr.status == "diverged" and "gradient overflowed" in tr.message
    assert "infinite or NaN" not in tr.message and "Reset" not in tr.message


def test_the_server_watches_no_files_so_a_change_on_disk_cannot_break_a_live_run():
    """With Streamlit's file watcher on (its default), a file changed under a running server made it drop the changed
    modules; the next rerun imported new classes, and a live run failed with "to_dict needs a micrograd.nn.MLP, got
    MLP". `streamlit run dashboard.py` (and `make run`) read .streamlit/config.toml from the checkout."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "streamlit", "config", "show"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert '\nfileWatcherType = "none"\n' in out
