"""RunConfig is the one schema: the CLI, the URL codec, the sidebar's values and the trainer's groups derive from it."""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from micrograd.cli.main import build_parser, config_of, main
from micrograd.studio import config, datasets, weights
from micrograd.studio.config import LIMITS, SIDEBAR, ConfigError, RunConfig, settings
from micrograd.studio.trainer import Trainer
from ui.options import config_from_widgets, dataset_defaults, defaults, url_settings, widgets_for
from ui.url import read_url, url_of

ROOT = Path(__file__).resolve().parent.parent
# the names users already have in scripts and shared links: they must keep working
OLD_FLAGS = (
    "--dataset --task --classes --samples --noise --test-fraction --data-seed --csv --label-column --features --layers --activation "
    "--init --loss --lr --lr-end --schedule --momentum --l2 --batch-size --steps --seed --engine"
).split()
OLD_URL_KEYS = (
    "dataset task classes samples noise test_fraction data_seed layers activation init loss lr schedule lr_end batch_size l2 "
    "momentum steps seed engine speed"
).split()
RUN_FLAGS = {"help", "out", "quiet", "db", "no_record", "preset"}  # train flags about the command, not the run


def train_actions() -> dict[str, list[str]]:
    """dest -> option strings of the train subcommand's flags."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    return {a.dest: a.option_strings for a in sub.choices["train"]._actions}


def layer_state(values: dict) -> dict:
    """Widget values as the sidebar holds them: w_layers spread over w_nlayers and w_layer_k."""
    values = dict(values)
    sizes = values.pop("w_layers")
    return values | {"w_nlayers": len(sizes)} | {f"w_layer_{k}": n for k, n in enumerate(sizes)}


@pytest.fixture
def warmup(monkeypatch):
    """A new setting added the way a developer would: one field with its metadata, nothing else edited."""

    @dataclass
    class Extended(RunConfig):
        warmup: int = config.setting(
            5, label="Warm-up steps", kind=int, low=0, high=1000, help="steps at a rising learning rate (a dummy)"
        )

    monkeypatch.setattr(config, "RunConfig", Extended)
    return Extended


def test_a_new_field_appears_in_the_cli_help_and_reaches_the_config(warmup, capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--warmup" in out and "steps at a rising learning rate (a dummy)" in out
    args = build_parser().parse_args(["train", "--warmup", "7", "--steps", "3"])
    c = config_of(args)
    assert isinstance(c, warmup) and c.warmup == 7 and c.steps == 3
    assert config_of(build_parser().parse_args(["train"])).warmup == 5
    assert main(["train", "--warmup", "2000", "--no-record"]) == 2
    assert "warmup must be a whole number in [0, 1,000], got 2000" in capsys.readouterr().err


def test_a_new_field_appears_in_the_url_codec(warmup):
    assert defaults()["w_warmup"] == 5
    state, warnings = read_url({"warmup": "7", "lr": "0.1"})
    assert warnings == [] and state["w_warmup"] == 7 and state["w_lr"] == 0.1
    assert url_of(layer_state(state))["warmup"] == "7"
    assert read_url(url_of(layer_state(state)))[0] == state  # the round trip
    state, warnings = read_url({"warmup": "2000"})
    assert state["w_warmup"] == 5 and warnings == ["URL parameter warmup='2000' must be in [0, 1000]; using 5."]
    assert config_from_widgets(layer_state(read_url({"warmup": "9"})[0])).warmup == 9


def test_a_new_field_appears_in_the_config_round_trip(warmup):
    c = warmup(warmup=9, steps=20)
    d = c.to_dict()
    assert d["warmup"] == 9 and warmup.from_dict(d) == c and c.replace(warmup=3).warmup == 3
    assert warmup.from_dict({}).warmup == 5
    with pytest.raises(ConfigError, match=r"warmup must be a whole number in \[0, 1,000\], got -1"):
        warmup.from_dict({**d, "warmup": -1})
    assert "warmup" in settings() and "warmup" not in settings(RunConfig)  # the original class is untouched


def test_cli_flags_url_keys_and_fields_correspond_one_to_one():
    s = settings()
    actions = train_actions()
    flags = {dest: opts for dest, opts in actions.items() if dest not in RUN_FLAGS}
    assert set(flags) == set(s)  # every field has exactly one flag, every flag (but the command's own) is a field
    assert all(flags[name] == [s[name].cli_flag] for name in s)
    assert [s[name].cli_flag for name in s] == OLD_FLAGS
    assert list(url_settings()) == [name for name in s if s[name].url] + ["speed"]
    assert sorted(url_settings()) == sorted(OLD_URL_KEYS)
    keys = [t.key for t in s.values() if t.key is not None]
    assert len(keys) == len(set(keys)) and not set(keys) & {"w_speed", "w_nlayers"}
    state = layer_state(defaults())
    assert set(url_of(state)) == set(url_settings())  # every URL key is written...
    assert read_url(url_of(state)) == (defaults(), [])  # ...and read back to the same widget values


def test_the_effect_groups_are_derived_from_the_schema():
    from ui.options import DATA_FIELDS, MODEL_FIELDS

    live = {"lr", "lr_end", "schedule", "momentum", "l2", "batch_size", "steps", "engine", "loss"}
    assert set(Trainer.LIVE) == live
    assert set(MODEL_FIELDS) == {"layers", "activation", "init", "seed"}
    data = {"dataset", "samples", "noise", "test_fraction", "data_seed", "csv", "label_column", "feature_columns"}
    data |= {"task", "classes"}  # issue 13: the task picks the data's labels and the model's outputs
    assert set(DATA_FIELDS) == data
    assert set(Trainer.LIVE) | set(MODEL_FIELDS) | set(DATA_FIELDS) == set(settings())


def test_sidebar_defaults_are_the_micrograd_demo():
    assert defaults() == {
        "w_dataset": "moons",
        "w_task": "binary",
        "w_classes": 3,
        "w_samples": 100,
        "w_noise": 0.1,
        "w_test_fraction": 0.2,
        "w_data_seed": 1337,
        "w_layers": [16, 16],
        "w_activation": "relu",
        "w_init": "uniform",
        "w_loss": "svm",
        "w_lr": 1.0,
        "w_schedule": "linear",
        "w_lr_end": 0.1,
        "w_batch_size": 0,
        "w_l2": 0.0001,
        "w_momentum": 0.0,
        "w_steps": 100,
        "w_seed": 1337,
        "w_engine": "compiled",
        "w_speed": 20,
    }
    assert dataset_defaults("circles") == {"w_samples": 200, "w_noise": 0.1} and dataset_defaults("csv") == {}


@pytest.mark.parametrize(
    "c",
    [
        RunConfig(samples=60, noise=0.2, test_fraction=0.1, data_seed=5, layers=[8, 4], lr=0.03, steps=50),
        RunConfig(dataset="breast_cancer", samples=300, noise=0.0, test_fraction=0.3, data_seed=7, layers=[]),
        RunConfig(
            dataset="csv", csv="d.csv", label_column="kind", feature_columns=["a"], test_fraction=0.0, data_seed=3
        ),
    ],
)
def test_widgets_and_config_map_both_ways(c):
    widgets, notes = widgets_for(c)
    assert notes == [] and config_from_widgets(widgets, c.csv) == c


def test_open_rounds_to_the_sidebar_and_says_so():
    c = RunConfig(steps=200_000, batch_size=20_000, lr=0.5, lr_end=None, data_seed=None)
    widgets, notes = widgets_for(c)
    assert notes == ["lr 0.5 → 0.3", "lr_end 0.5 → 0.3", "batch_size 20,000 → 10,000", "steps 200,000 → 100,000"]
    assert (widgets["w_steps"], widgets["w_batch_size"], widgets["w_data_seed"]) == (100_000, 10_000, 1337)
    assert (widgets["w_samples"], widgets["w_noise"], widgets["w_test_fraction"]) == (100, 0.1, 0.2)


def test_limits_live_in_one_place():
    assert (weights.MAX_LAYERS, weights.MAX_WIDTH, weights.MAX_PARAMETERS) == (16, 1024, 250_000)
    assert weights.MAX_LAYERS == LIMITS.hidden_layers + 1 and weights.MAX_PARAMETERS == config.MAX_PARAMETERS
    assert datasets.MAX_SEED == LIMITS.seed == SIDEBAR.seed == 2**32 - 1
    assert SIDEBAR.width < LIMITS.width and SIDEBAR.steps < LIMITS.steps and SIDEBAR.batch < LIMITS.batch
    twins = re.compile(r"2\s*\*\*\s*32|^\s*MAX_(WIDTH|PARAMETERS|LAYERS|HIDDEN_LAYERS|SEED|STEPS|BATCH)\s*=\s*\d", re.M)
    found = [
        str(p.relative_to(ROOT))
        for folder in ("micrograd", "ui", "pages")
        for p in (ROOT / folder).rglob("*.py")
        if p.name != "limits.py" and twins.search(p.read_text())
    ]
    assert found == []


def test_set_dataset_keeps_the_weights_and_refuses_other_changes():
    c = RunConfig(samples=40, layers=[4], steps=5, engine="scalar")
    tr = Trainer(c)
    tr.run(2)
    before = [p.data for p in tr.params]
    new = c.replace(data_seed=99)
    tr.set_dataset(new.make_dataset(), new)
    assert tr.config.data_seed == 99 and [p.data for p in tr.params] == before and len(tr.history) == 2
    assert tr.step() is not None
    with pytest.raises(ConfigError, match="lr cannot change with the data"):
        tr.set_dataset(new.make_dataset(), new.replace(lr=0.5))
    other = c.replace(dataset="breast_cancer", samples=100)
    with pytest.raises(ConfigError, match="takes 2 inputs but the data has 30"):
        tr.set_dataset(other.make_dataset(), other)
    assert tr.config == new


def test_settings_hand_out_fresh_list_defaults_and_track_the_schema_in_use():
    s = config.settings()
    s["layers"].default.append(99)  # a caller's change to its copy
    assert 99 not in config.settings()["layers"].default
    assert config.settings()["layers"].default == RunConfig().layers
    assert config.settings() is not config.settings()
    assert RunConfig(layers=[4]).effective("layers") == [4]


def test_a_links_whole_numbers_are_told_exactly_what_fits():
    state, warnings = read_url({"seed": "-1", "samples": "1e12"})
    assert "URL parameter seed='-1' must be in [0, 4294967295]; using 1337." in warnings  # it said 4.29497e+09
    assert any(w.startswith("URL parameter samples='1e12' must be a whole number in [") for w in warnings), warnings
    assert read_url({"samples": "many"})[1] == ["URL parameter samples='many' is not a number; using 100."]


def test_a_links_value_between_the_sidebars_choices_takes_the_nearest_and_says_so():
    """QA: ?lr=0.05 fell back to the default 1.0, twenty times larger, instead of the nearest choice, 0.03."""
    state, warnings = read_url({"lr": "0.05", "momentum": "0.85"})
    assert (state["w_lr"], state["w_momentum"]) == (0.03, 0.9)  # lr on a log scale: 0.05 is nearer 0.03 than 0.1
    assert warnings == [
        "URL parameter lr='0.05' is not one of the sidebar's values; using the nearest, 0.03.",
        "URL parameter momentum='0.85' is not one of the sidebar's values; using the nearest, 0.9.",
    ]
    state, warnings = read_url({"lr": "1e-9"})  # outside the choices: the default, and which there are
    assert state["w_lr"] == 1.0 and "must be one of 1e-05" in warnings[0]
    assert read_url({"lr": "0.03"})[1] == []


def test_every_speed_draws_every_step_and_older_links_get_the_highest():
    """Issue 12: at every speed the sidebar offers, every training step is a picture (the boundary's stride is 1), and
    the highest (50) keeps a session's server CPU within a classroom's 5 % of a core. A link from before, at 100 steps
    a second, trains at the highest speed and says so."""
    from micrograd.views import live
    from ui.options import SPEED_OPTIONS

    top = max(SPEED_OPTIONS)
    assert top <= live.MAX_FRAMES_PER_SECOND
    for speed in SPEED_OPTIONS:
        feed = live.LiveFeed()
        feed.set_speed(speed, [2, 16, 16, 1])
        assert feed.every == 1, speed
    state, warnings = read_url({"speed": "100"})
    assert state["w_speed"] == top
    assert warnings == [f"URL parameter speed='100' is above the highest speed, {top} steps a second; using {top}."]
    assert read_url({"speed": "1e308"})[0]["w_speed"] == top and read_url({"speed": "nan"})[0]["w_speed"] == 20
    assert read_url({"speed": "50"}) == (read_url({})[0] | {"w_speed": 50}, [])
