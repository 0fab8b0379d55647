"""Issue 12's "no budget": steps = 0 trains until Pause, in the schema, the trainer, the views, the CLI and sweeps."""

import pytest

from micrograd.cli.main import build_parser, main
from micrograd.cli.sweep import spec_from_args
from micrograd.studio import recording
from micrograd.studio.config import NO_BUDGET, ConfigError, RunConfig, budget_text, settings
from micrograd.studio.runs import RunStore
from micrograd.studio.sweeps import NO_BUDGET_IN_SWEEP, Axis, SweepSpec, run_trial
from micrograd.studio.trainer import Trainer
from micrograd.views import compare
from tests.test_config import layer_state
from tests.test_dashboard import app, trainer, view
from ui.options import TICK_SECONDS, config_from_widgets, widgets_for
from ui.url import read_url, url_of

TINY = dict(dataset="moons", samples=20, layers=[2], test_fraction=0.0, lr=0.5, lr_end=0.01, schedule="linear")


def test_steps_0_is_a_valid_config_that_means_no_budget():
    c = RunConfig(steps=0).validate()
    assert RunConfig.from_dict(c.to_dict()) == c and c.replace(steps=5).steps == 5
    assert RunConfig(steps=-1).problems() == ["steps must be a whole number in [0, 1,000,000], got -1"]
    assert "0 means no budget" in settings()["steps"].help and "no budget" in settings()["schedule"].help
    assert (budget_text(0), budget_text(1), budget_text(3000)) == (NO_BUDGET, "1 step", "3,000 steps")


def test_the_url_and_the_sidebar_widgets_round_trip_no_budget():
    state, warnings = read_url({"steps": "0"})
    assert warnings == [] and state["w_steps"] == 0
    assert url_of(layer_state(state))["steps"] == "0"
    assert read_url(url_of(layer_state(state)))[0] == state
    assert config_from_widgets(layer_state(state)).steps == 0
    widgets, notes = widgets_for(RunConfig(steps=0))
    assert notes == [] and widgets["w_steps"] == 0 and config_from_widgets(widgets).steps == 0
    state, warnings = read_url({"steps": "-1"})  # below 0 is still refused, and says the range
    assert state["w_steps"] == 100 and warnings == ["URL parameter steps='-1' must be in [0, 100000]; using 100."]


def test_a_trainer_with_no_budget_keeps_stepping_at_a_constant_learning_rate():
    tr = Trainer(RunConfig(**TINY, steps=0))
    for _ in range(150):  # past any budget a schedule could have meant
        assert tr.step() is not None
    assert tr.step_count == 150 and not tr.done and tr.status == "training"
    assert {r["lr"] for r in tr.history} == {0.5}  # a schedule has no end to move toward: the rate stays at lr
    assert tr.lr_at(10**6) == 0.5
    budgeted = Trainer(RunConfig(**TINY, steps=100))  # the same schedule with a budget moves and ends
    budgeted.run()
    assert budgeted.done and budgeted.status == "finished" and budgeted.step_count == 100
    assert budgeted.history[-1]["lr"] < 0.02 and budgeted.step() is None


def test_run_without_a_count_refuses_a_run_with_no_budget():
    tr = Trainer(RunConfig(**TINY, steps=0))
    with pytest.raises(ConfigError, match=r"no step budget \(steps 0\), so run\(\) would never end: pass steps=N"):
        tr.run()
    assert tr.step_count == 0
    assert tr.run(7) == "training" and tr.step_count == 7


def test_ticking_no_budget_after_finishing_trains_on():
    tr = Trainer(RunConfig(**TINY, steps=3))
    assert tr.run() == "finished" and tr.done
    tr.update(steps=0)
    assert not tr.done and tr.status == "training" and tr.step()["step"] == 4


def test_the_cli_refuses_a_run_with_no_budget(capsys, tmp_path):
    db = tmp_path / "runs.db"
    assert main(["train", "--steps", "0", "--samples", "20", "--layers", "2", "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "--steps 0 means no budget (train until Pause), which only the dashboard offers" in err
    assert "a command-line run needs a budget: give --steps N (1 to 1,000,000)" in err and "Traceback" not in err
    assert not db.exists()  # refused before anything was trained or recorded


def test_a_sweep_refuses_no_budget():
    assert SweepSpec(base=RunConfig(steps=0).to_dict()).problems() == [NO_BUDGET_IN_SWEEP]
    spec = SweepSpec(base=RunConfig(steps=20).to_dict(), axes=[Axis.parse("steps", "20,0")])
    assert spec.problems() == [f"steps=0: {NO_BUDGET_IN_SWEEP}"]
    assert SweepSpec(base=RunConfig(steps=20).to_dict(), axes=[Axis.parse("steps", "20,30")]).problems() == []
    assert "give steps a budget of 1 or more" in NO_BUDGET_IN_SWEEP
    assert spec_from_args(build_parser().parse_args(["sweep", "--steps", "0"])).problems() == [NO_BUDGET_IN_SWEEP]
    # a trial that reaches a worker another way fails at once rather than training for ever
    result = run_trial(RunConfig(**TINY, steps=0).to_dict())
    assert result["status"] == "failed" and NO_BUDGET_IN_SWEEP in result["message"] and result["steps"] == []


def test_the_cli_sweep_says_why_it_will_not_start(capsys):
    assert main(["sweep", "--steps", "0", "--lr", "0.1,1", "--dry-run"]) == 2
    assert "a sweep's trials run unattended and must end" in capsys.readouterr().err


def test_a_stored_run_with_no_budget_shows_no_budget(tmp_path, capsys):
    db = tmp_path / "runs.db"
    rec, tr = recording.Recorder(db), Trainer(RunConfig(**TINY, steps=0))
    rec.sync(tr, running=True)
    tr.run(5)
    rec.close()  # the session replaced the run (Reset, a new configuration) or ended
    with RunStore(db) as store:
        (run,) = store.list_runs()
    assert run["config"]["steps"] == 0 and run["steps"] == 5
    assert run["status"] == "interrupted" and run["message"] == "stopped (no budget): replaced by a new run"
    other = {**run["config"], "steps": 100}
    diff = compare.config_diff([("#1", run["config"]), ("#2", other)])
    assert diff.loc["steps", "#1"] == NO_BUDGET and diff.loc["steps", "#2"] == "100"
    assert main(["runs", "show", str(run["id"]), "--db", str(db)]) == 0
    assert "  steps: 0  (no budget)" in capsys.readouterr().out


def status_data(at) -> dict:
    """The data the sidebar's status line was last sent (ui.components.live.run_status)."""
    import json

    for e in at.get("bidi_component"):
        if e.proto.component_name == "mg_live_status":
            return json.loads(e.proto.json)
    raise AssertionError("no status line")


def test_a_budget_already_spent_finishes_the_run_and_a_raised_one_reopens_it():
    tr = Trainer(RunConfig(**TINY, steps=0))
    for _ in range(5):
        tr.step()
    tr.update(steps=3)  # No budget unticked at step 5: it stayed "training", Start and Step greyed, nothing said
    assert tr.status == "finished" and tr.done and tr.step() is None
    tr.update(steps=10)
    assert tr.status == "training" and tr.step()["step"] == 6


def test_unticking_no_budget_past_the_budget_says_finished_and_what_to_do():
    at = app(steps="3", speed="50")
    at.checkbox(key="no_budget").check().run()
    tr = trainer(at)
    for _ in range(5):
        tr.step()
    at.checkbox(key="no_budget").uncheck().run()
    assert trainer(at).status == "finished" and status_data(at)["state"] == "finished"
    assert "The step budget is 3: raise it, or tick No budget, to train on." in [i.value for i in at.info]


def test_the_sidebar_no_budget_box_sets_steps_0_and_the_status_says_so():
    at = app(steps="300", speed="50")
    box = at.checkbox(key="no_budget")
    assert box.value is False and at.number_input(key="w_steps").value == 300
    box.check().run()
    assert not at.exception and trainer(at).config.steps == 0 and at.query_params["steps"] == "0"
    shown = at.text_input(key="no_budget_shown")
    assert shown.value == NO_BUDGET and shown.disabled and at.checkbox(key="no_budget").value is True
    assert not [w for w in at.number_input if w.key == "w_steps"]  # the number is greyed out as "no budget"
    assert status_data(at)["budget"] == 0 and view(at)["status"]["budget"] == 0
    assert "no end to move toward, so the learning rate stays at 1." in "\n".join(c.value for c in at.caption)
    at.button(key="btn_start").click().run()
    at.run()
    tr = trainer(at)
    assert tr.step_count > 0 and at.session_state["running"] and tr.status == "training"
    assert {r["lr"] for r in tr.history} == {tr.config.lr}
    line = status_data(at)  # drawn by the sidebar, before this run's tick trained on
    assert line["state"] == "running" and line["budget"] == 0 and 0 < line["step"] <= tr.step_count
    assert line["tick"] == TICK_SECONDS  # the views' players count their limits in ticks of this length
    at.button(key="btn_pause").click().run()
    at.checkbox(key="no_budget").uncheck().run()  # back to the budget it had
    assert trainer(at).config.steps == 300 and at.number_input(key="w_steps").value == 300
    assert status_data(at)["budget"] == 300 and at.query_params["steps"] == "300"


def test_a_link_or_a_typed_0_ticks_the_box():
    at = app(steps="0")
    assert trainer(at).config.steps == 0 and at.checkbox(key="no_budget").value is True
    at = app(steps="50")
    at.number_input(key="w_steps").set_value(0).run()
    assert trainer(at).config.steps == 0 and at.checkbox(key="no_budget").value is True
    at.checkbox(key="no_budget").uncheck().run()
    assert trainer(at).config.steps == 50  # the budget before the 0 was typed


@pytest.mark.parametrize("steps", ["-5", "2000000"])
def test_the_cli_says_its_own_steps_range(capsys, steps):
    """QA: --steps -5 said "[0, 1,000,000]", then --steps 0 was refused: the command line's range is 1 to 1,000,000."""
    assert main(["train", "--steps", steps, "--no-record"]) == 2
    err = capsys.readouterr().err
    assert f"--steps must be a whole number from 1 to 1,000,000, got {int(steps)}" in err and "[0," not in err
