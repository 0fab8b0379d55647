"""Sweep definitions: axes from text, grid and random expansion, seeds, the 1,000-trial limit, the CLI's flags."""

import pytest

from micrograd.cli.main import build_parser, main
from micrograd.cli.sweep import spec_from_args
from micrograd.studio.config import RunConfig
from micrograd.studio.sweeps import MAX_TRIALS, Axis, SweepError, SweepSpec, run_trial
from micrograd.studio.trainer import Trainer


def test_axes_parse_lists_ranges_and_shapes():
    assert Axis.parse("lr", "0.01, 0.1,1").grid() == [0.01, 0.1, 1.0]
    assert Axis.parse("activation", "tanh,relu").grid() == ["tanh", "relu"]
    assert Axis.parse("layers", "4 16 16,16").grid() == [[4], [16], [16, 16]]
    assert Axis.parse("layers", "4 16-16 16-16-8").grid() == [[4], [16, 16], [16, 16, 8]]  # dashes, as the sidebar
    assert Axis.parse("lr", "0.001:1:4:log").grid() == [0.001, 0.01, 0.1, 1.0]
    assert Axis.parse("noise", "0:0.2:3").grid() == [0.0, 0.1, 0.2]
    assert Axis.parse("batch_size", "0:64:3").grid() == [0, 32, 64]
    assert Axis.parse("steps", "100,100,200").grid() == [100, 200]  # duplicates dropped
    for axis in (Axis.parse("lr", "0.001:1:4:log"), Axis.parse("layers", "4 16,16"), Axis.parse("loss", "svm,bce")):
        assert Axis.parse(axis.name, axis.text()).grid() == axis.grid()


@pytest.mark.parametrize(
    "name, text, words",
    [
        ("lr", "abc", "not a number"),
        ("steps", "1.5", "not a whole number"),
        ("lr", "1:0.1:3", "low <= high"),
        ("lr", "0:1:3:log", "low > 0"),
        ("lr", "1:2", "low:high:count"),
        ("layers", "4 x", "shapes"),
        ("engine", "scalar", "cannot be swept"),
        ("lr", "", "at least one value"),
        ("lr", ",,,", "at least one value"),  # it made an axis of no value: a sweep of 0 trials
        ("activation", " , ", "at least one value"),
    ],
)
def test_bad_axis_text_says_what_is_wrong(name, text, words):
    with pytest.raises(SweepError, match=words):
        Axis.parse(name, text)


def test_grid_times_seeds_and_trials_carry_config_and_axes():
    spec = SweepSpec(
        base=RunConfig(steps=20, engine="scalar").to_dict(),
        axes=[Axis.parse("lr", "0.1,1"), Axis.parse("activation", "tanh,relu")],
        seeds=3,
    )
    assert spec.size() == 12
    assert spec.describe() == "2 lr × 2 activation = 4 configurations × 3 seeds = 12 trials"
    trials = spec.trials()
    assert [t.index for t in trials] == list(range(12))
    assert [t.config["seed"] for t in trials[:3]] == [1337, 1338, 1339]
    assert trials[3].axes == {"lr": 0.1, "activation": "relu"}
    assert all(t.config["engine"] == "compiled" for t in trials)  # sweeps train with the compiled engine
    assert all(RunConfig.from_dict(t.config).lr == t.axes["lr"] for t in trials)


def test_random_search_draws_the_same_configurations_for_the_same_sample_seed():
    axes = [Axis.parse("lr", "0.001:1:3:log"), Axis.parse("layers", "4 8 16"), Axis.parse("momentum", "0:0.9:2")]
    a = SweepSpec(axes=axes, mode="random", samples=7, seeds=2, sample_seed=5)
    b = SweepSpec(axes=axes, mode="random", samples=7, seeds=2, sample_seed=5)
    assert a.size() == 14
    assert a.configurations() == b.configurations()
    assert a.configurations() != SweepSpec(axes=axes, mode="random", samples=7, sample_seed=6).configurations()
    for c in a.configurations():
        assert 0.001 <= c["lr"] <= 1 and c["layers"] in ([4], [8], [16]) and 0 <= c["momentum"] <= 0.9


def test_more_than_1000_trials_is_refused_with_a_clear_message_before_expanding():
    spec = SweepSpec(axes=[Axis.parse("lr", "0.001:1:100:log"), Axis.parse("l2", "0:0.1:11")], seeds=1)
    assert spec.size() == 1100 > MAX_TRIALS
    (problem,) = spec.problems()
    assert "1,100 trials" in problem and "at most 1,000" in problem and "fewer values" in problem
    with pytest.raises(SweepError, match="at most 1,000"):
        spec.trials()


def test_an_invalid_trial_configuration_names_its_axis_values():
    spec = SweepSpec(axes=[Axis.parse("lr", "0.1,5000")])
    (problem,) = spec.problems()
    assert problem.startswith("lr=5000: lr must be")


def test_spec_round_trips_through_json_dict():
    spec = SweepSpec(axes=[Axis.parse("lr", "0.01:1:3:log"), Axis.parse("layers", "4 8,8")], seeds=2, name="x")
    again = SweepSpec.from_dict(spec.to_dict())
    assert [t.config for t in again.trials()] == [t.config for t in spec.trials()]


def _no_times(steps):
    """Step records without their timings (the one field that differs between two identical runs)."""
    return [{k: v for k, v in s.items() if k != "seconds"} for s in steps]


def test_run_trial_outside_a_worker_equals_a_serial_trainer_bit_for_bit():
    config = RunConfig(steps=30, layers=[8, 8], activation="tanh", lr=0.3).to_dict()
    result = run_trial(config)
    trainer = Trainer(RunConfig.from_dict(config))
    trainer.run()
    assert result["status"] == "finished"
    assert _no_times(result["steps"]) == _no_times(trainer.history)
    assert result["metrics"]["train_loss"] == trainer.metrics()["train_loss"]
    assert result["weights"] is not None and result["data"]["n_features"] == 2


def test_run_trial_records_divergence_and_refused_configs_without_raising():
    diverged = run_trial(RunConfig(steps=200, lr=1000, schedule="constant", loss="mse").to_dict())
    assert diverged["status"] == "diverged" and "diverged" in diverged["message"]
    failed = run_trial({**RunConfig().to_dict(), "layers": [1024] * 3})  # over the parameter limit
    assert failed["status"] == "failed" and "parameters" in failed["message"]


def _args(*argv):
    return build_parser().parse_args(["sweep", *argv])


def test_cli_single_values_set_the_base_and_several_make_axes():
    spec = spec_from_args(_args("--lr", "0.01,0.1,1", "--layers", "4", "16", "16,16", "--steps", "200", "--seeds", "3"))
    assert [a.name for a in spec.axes] == ["layers", "lr"]
    assert spec.base["steps"] == 200 and spec.seeds == 3 and spec.size() == 27
    spec = spec_from_args(_args("--layers", "16,16", "--activation", "tanh"))
    assert spec.axes == [] and spec.base["layers"] == [16, 16] and spec.base["activation"] == "tanh"


def test_a_sweep_of_no_trials_is_refused_in_the_spec_and_by_the_cli(capsys):
    spec = SweepSpec(base=RunConfig(steps=20).to_dict(), axes=[Axis("lr", [])])
    assert spec.size() == 0 and spec.problems() == [
        "this sweep has no trials (0 lr = 0 configurations × 1 seed = 0 trials); give every axis at least one value"
    ]
    assert main(["sweep", "--lr", ",,,", "--steps", "5"]) == 2
    err = capsys.readouterr().err
    assert "lr: give at least one value" in err and "Traceback" not in err


def test_cli_dry_run_prints_the_size(capsys):
    assert main(["sweep", "--lr", "0.1,1", "--activation", "tanh,relu", "--seeds", "2", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "2 activation × 2 lr = 4 configurations × 2 seeds = 8 trials" in out
    assert out.count("seed=") == 8


def test_cli_too_big_and_bad_values_exit_2_with_one_line(capsys):
    assert main(["sweep", "--lr", "0.001:1:500:log", "--activation", "tanh,relu", "--seeds", "2"]) == 2
    err = capsys.readouterr().err
    assert "2,000 trials" in err and "at most 1,000" in err and "Traceback" not in err
    assert main(["sweep", "--lr", "fast"]) == 2
    assert "lr: 'fast' is not a number" in capsys.readouterr().err


def test_a_log_range_gives_values_of_three_digits_unless_more_keep_them_apart():
    """QA: 0.01:1:5:log trained at lr 0.0316228 and 0.316228, and the heat map's labels said so."""
    assert Axis.parse("lr", "0.01:1:5:log").grid() == [0.01, 0.0316, 0.1, 0.316, 1.0]
    assert Axis.parse("lr", "0.001:0.0010001:3").grid() == [0.001, 0.00100005, 0.0010001]
    assert Axis.parse("lr", "0.1:0.1:3").grid() == [0.1] and Axis.parse("seed", "1:10:4").grid() == [1, 4, 7, 10]


def test_the_sweeps_page_redraws_when_the_status_changes_and_at_most_every_few_seconds_for_results():
    from micrograd.views.sweep import redraw

    assert redraw("running", 0, ("queued", 0), since=0.1, every=3.0)  # the picker said "— queued" all along (QA)
    assert not redraw("running", 5, ("running", 4), since=1.0, every=3.0)
    assert redraw("running", 5, ("running", 4), since=3.0, every=3.0)
    assert not redraw("running", 4, ("running", 4), since=60.0, every=3.0)


def test_the_heat_maps_colours_stay_within_a_percentages_scale_when_every_trial_scores_the_same():
    """All trials at 100 %: Plotly's own range read 99.6-100.4 % (QA)."""
    from micrograd.views import sweep

    def runs(acc: list[float], loss: float = 0.2) -> list[dict]:
        return [
            {"id": k, "status": "finished", "sweep_axes": {"lr": lr, "seed": s}, "train_loss": loss}
            | {"train_accuracy": a, "test_accuracy": a}
            for k, ((lr, s), a) in enumerate(zip([(0.1, 1), (0.1, 2), (1.0, 1), (1.0, 2)], acc))
        ]

    def colours(rs: list[dict], metric: str) -> tuple:
        heat = sweep.heatmap(rs, sweep.trials_frame(rs), "lr", "seed", metric).data[0]
        return heat.zmin, heat.zmax

    assert colours(runs([1.0] * 4), "test_accuracy") == (99.0, 100.0)
    assert colours(runs([0.0] * 4), "test_accuracy") == (0.0, 1.0)
    assert colours(runs([0.5] * 4), "test_accuracy") == (49.0, 51.0)
    assert colours(runs([1.0] * 4, loss=0.2), "train_loss") == pytest.approx((0.198, 0.202))
    assert colours(runs([0.9, 1.0, 1.0, 0.8]), "test_accuracy") == (None, None)  # they differ: Plotly's range
    assert colours(runs([1.0] * 4, loss=float("inf")), "train_loss") == (None, None)  # no finite range to centre


def test_the_heat_maps_words_are_dark_on_light_cells_and_white_on_dark_ones():
    """QA: white text on Viridis' yellow cells (the best ones) was hard to read."""
    from micrograd.views import sweep

    rs = [
        {"id": k, "status": "finished", "sweep_axes": {"lr": lr, "seed": 1}, "train_loss": loss}
        | {"train_accuracy": a, "test_accuracy": a}
        for k, (lr, a, loss) in enumerate([(0.01, 0.5, 0.9), (0.1, 0.75, 0.5), (1.0, 1.0, 0.1)])
    ]
    for metric, best in (("test_accuracy", "100.00 %"), ("train_loss", "0.10")):  # higher and lower is better
        fig = sweep.heatmap(rs, sweep.trials_frame(rs), "lr", "seed", metric)
        colour = {a.text.split("<br>")[0]: a.font.color for a in fig.layout.annotations}
        assert len(colour) == 3 and colour[best] == sweep.INK, colour  # the light end: dark words
        # each at its cell, by index: Plotly read "0.01" as an index, and every cell's words piled up in the first
        assert sorted((a.x, a.y) for a in fig.layout.annotations) == [(0, 0), (1, 0), (2, 0)]
        worst = "50.00 %" if metric == "test_accuracy" else "0.90"
        assert colour[worst] == "white", colour
        assert fig.data[0].texttemplate is None  # the words are the annotations, not Plotly's white cell text


def test_the_parallel_coordinates_name_each_axis_once_with_its_ticks():
    """QA: an accuracy axis read 100 twice at its top and 0 twice at its bottom (its range ends over its ticks)."""
    from micrograd.views import sweep

    rs = [
        {"id": k, "status": "finished", "sweep_axes": {"lr": lr, "activation": act}, "train_loss": 0.1}
        | {"train_accuracy": a, "test_accuracy": a}
        for k, (lr, act, a) in enumerate([(0.1, "tanh", 0.8), (1.0, "tanh", 0.9), (0.1, "relu", 1.0)])
    ]
    (trace,) = sweep.parallel(rs, sweep.trials_frame(rs), "test_accuracy").data
    assert [d.label for d in trace.dimensions] == ["lr", "activation", "test accuracy"]
    lr = trace.dimensions[0]
    assert list(lr.ticktext) == ["0.1", "1"] and list(lr.values) == [0, 1, 0]  # a category axis: its values as ticks
    assert tuple(trace.dimensions[-1].range) == (0, 100) and list(trace.dimensions[-1].values) == [80, 90, 100]
    assert trace.rangefont.color == "rgba(0,0,0,0)"  # the range ends are not written over the ticks
