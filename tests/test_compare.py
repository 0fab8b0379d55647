"""Comparison figures, the runs table and its filters, and the configuration diff."""

from datetime import datetime

import pytest

from micrograd.views import compare


def steps(n: int, test: bool = True) -> list[dict]:
    return [
        {
            "step": k,
            "train_loss": 1.0 / k,
            "test_loss": 2.0 / k if test else None,
            "train_accuracy": 0.5 + k / 100,
            "test_accuracy": 0.4 + k / 100 if test else None,
        }
        for k in range(1, n + 1)
    ]


def run(i: int, **kw) -> dict:
    base = {"id": i, "name": f"run {i}", "created_at": 1_700_000_000.0 + i * 86_400, "status": "finished"}
    base |= {"dataset": "moons", "architecture": "2-4-1", "loss": "svm", "steps": 10, "tags": []}
    base |= {"train_loss": 0.1, "train_accuracy": 0.9, "test_accuracy": 0.8, "wall_seconds": 1.5}
    return base | kw


def test_loss_figure_has_one_trace_per_run_and_split_named_after_the_run():
    fig = compare.loss_figure([("#1 a", steps(5)), ("#2 b", steps(3))])
    assert [t.name for t in fig.data] == ["#1 a · train", "#1 a · test", "#2 b · train", "#2 b · test"]
    assert list(fig.data[3].x) == [1, 2, 3] and list(fig.data[3].y) == pytest.approx([2.0, 1.0, 2 / 3])
    assert fig.data[0].line.color == fig.data[1].line.color != fig.data[2].line.color  # one colour per run
    assert fig.data[0].line.dash == "solid" and fig.data[1].line.dash == "dot"
    assert compare.loss_figure([("a", steps(2))], log_y=True).layout.yaxis.type == "log"


def test_accuracy_figure_is_in_percent_and_skips_a_missing_test_set():
    fig = compare.accuracy_figure([("a", steps(4)), ("b", steps(4, test=False))])
    assert [t.name for t in fig.data] == ["a · train", "a · test", "b · train"]
    assert list(fig.data[0].y) == pytest.approx([51.0, 52.0, 53.0, 54.0])


def test_config_diff_marks_differing_and_missing_keys():
    a = {"lr": 0.1, "layers": [4, 4], "loss": "svm"}
    b = {"lr": 0.3, "layers": [4, 4], "loss": "svm", "momentum": 0.9}
    df = compare.config_diff([("#1", a), ("#2", b)])
    assert list(df.columns) == ["#1", "#2", "differs"]
    assert df.loc["lr"].tolist() == ["0.1", "0.3", True]
    assert df.loc["layers"].tolist() == ["[4, 4]", "[4, 4]", False]
    assert df.loc["momentum"].tolist() == [compare.MISSING, "0.9", True]
    assert list(compare.config_diff([("#1", a), ("#2", b)], only_different=True).index) == ["lr", "momentum"]
    with pytest.raises(ValueError, match="unique"):
        compare.config_diff([("x", a), ("x", b)])


def test_config_diff_shows_a_dash_for_settings_that_do_not_apply_to_a_run():
    """QA: two circles runs (two classes) showed "classes 3", and every run showed "None" for the CSV settings."""
    from micrograd.studio.config import RunConfig

    circles = RunConfig(dataset="circles").to_dict()
    spiral = RunConfig(dataset="spiral", task="multiclass", classes=4, loss="ce").to_dict()
    assert circles["classes"] == 3 and circles["label_column"] is None  # stored, but meaningless for this run
    df = compare.config_diff([("#1", circles), ("#2", spiral)])
    assert df.loc["classes"].tolist() == [compare.MISSING, "4", True]
    assert df.loc["label_column"].tolist() == [compare.MISSING, compare.MISSING, False]
    assert df.loc["noise"].tolist() == ["0.1", "0", True]  # each dataset's own noise (both draw it)
    assert df.loc["samples"].tolist() == ["200", "200", False]
    assert "None" not in df.drop(columns="differs").to_numpy().ravel().tolist()
    assert not compare.applies(circles, "classes") and compare.applies(spiral, "classes")
    # a run stored by another version (a key since removed, a limit since lowered) still shows its values
    older = dict(circles, steps=10**9, removed_setting=1)
    assert compare.config_diff([("#1", circles), ("#3", older)]).loc["noise"].tolist() == ["0.1", "0.1", False]
    # uploaded data: K comes from its labels (the hidden setting's 3 is not the file's); its columns in words
    csv = dict(spiral, dataset="csv", csv="mine.csv", classes=3)
    df = compare.config_diff([("#2", spiral), ("#4", csv)])
    assert df.loc["classes"].tolist() == ["4", compare.MISSING, True]
    assert df.loc["label_column"].tolist() == [compare.MISSING, "the last column", True]


def test_runs_frame_rows_percentages_and_tags():
    df = compare.runs_frame([run(1, tags=["best", "wide"]), run(2, test_accuracy=None)])
    assert df["id"].tolist() == [1, 2]
    assert df.loc[0, "test_accuracy"] == pytest.approx(80.0) and df["test_accuracy"].isna().tolist() == [False, True]
    assert df.loc[0, "tags"] == "best, wide"
    assert df.loc[1, "created"] == datetime.fromtimestamp(1_700_000_000.0 + 2 * 86_400)


def test_filter_runs_by_each_field():
    runs = [
        run(1),
        run(2, dataset="circles", tags=["x"]),
        run(3, loss="mse", test_accuracy=0.95),
        run(4, architecture="2-8-1", status="diverged", test_accuracy=None, train_accuracy=None),
    ]

    def ids(**kw) -> list[int]:
        return [r["id"] for r in compare.filter_runs(runs, **kw)]

    assert ids() == [1, 2, 3, 4]
    assert ids(datasets=["circles"]) == [2]
    assert ids(losses=["mse"]) == [3]
    assert ids(architectures=["2-8-1"]) == [4]
    assert ids(statuses=["finished"]) == [1, 2, 3]
    assert ids(tags=["x"]) == [2]
    assert ids(since=datetime.fromtimestamp(1_700_000_000.0 + 3 * 86_400)) == [3, 4]
    assert ids(min_accuracy=0.9) == [3]


def test_run_label_adds_the_id_once():
    assert compare.run_label({"id": 3, "name": "moons 2-4-1 relu svm #3"}) == "moons 2-4-1 relu svm #3"
    assert compare.run_label({"id": 3, "name": "best"}) == "#3 best"


def test_a_run_of_one_step_is_drawn_as_points_longer_runs_as_lines():
    """QA: a one-step run was in the legend but drew nothing (a line needs two points)."""
    fig = compare.loss_figure([("one", steps(1)), ("five", steps(5))])
    assert [t.mode for t in fig.data] == ["markers", "markers", "lines", "lines"]
    assert fig.data[0].marker.color == fig.data[0].line.color  # the run's colour either way


def test_sweep_trials_that_never_took_a_step_are_left_out_unless_asked_for():
    """QA: a cancelled sweep left 140 trials of 0 steps among 315 runs on the Experiments page."""
    runs = [
        {"id": 1, "sweep_id": None, "steps": 0, "tags": []},  # a run of the Train page that never stepped stays
        {"id": 2, "sweep_id": 7, "steps": 30, "tags": []},
        {"id": 3, "sweep_id": 7, "steps": 0, "tags": []},
    ]
    ids = {t: [r["id"] for r in compare.filter_runs(runs, trials=t)] for t in compare.TRIALS}
    assert ids == {"trained": [1, 2], "all": [1, 2, 3], "none": [1]}
    assert [r["id"] for r in compare.filter_runs(runs)] == [1, 2, 3]  # the library's default keeps all
    with pytest.raises(ValueError, match="trials must be one of trained, all, none"):
        compare.filter_runs(runs, trials="some")


def test_the_legend_sits_under_the_plot_and_a_diverged_run_does_not_flatten_the_others():
    """QA: three runs' legends took most of each third of the page; a diverged run's 6e11 made the rest a flat line."""
    calm = [{"step": k, "train_loss": 1.0 / k, "test_loss": 1.2 / k} for k in range(1, 6)]
    wild = [{"step": k, "train_loss": 0.9 * 10.0 ** (3 * k - 3), "test_loss": None} for k in range(1, 6)]
    fig = compare.loss_figure([("calm", calm), ("wild", wild)])
    assert fig.layout.legend.orientation == "h" and fig.layout.legend.y < 0
    assert fig.layout.height > 320  # room for the legend's lines under the plot
    assert tuple(fig.layout.yaxis.range) == pytest.approx(
        (0, 1.1 * 1.2)
    )  # the highest first loss: calm test and "clipped" in fig.layout.title.text
    assert fig.layout.yaxis.range is not None
    assert compare.loss_figure([("calm", calm)]).layout.yaxis.range is None  # nothing to clip: plotly's own range
    assert compare.loss_figure([("calm", calm), ("wild", wild)], log_y=True).layout.yaxis.range is None
