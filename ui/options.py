"""Widget options, the sidebar's limits and defaults, and the session-state key names shared by the pages."""

from __future__ import annotations

from typing import Any

LR_OPTIONS = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)  # TensorFlow Playground's list


L2_OPTIONS = (0.0, 0.00001, 0.0001, 0.001, 0.01, 0.1)


MOMENTUM_OPTIONS = (0.0, 0.5, 0.9, 0.95, 0.99)


SPEED_OPTIONS = (1, 2, 5, 10, 20, 50, 100)  # training steps per wall-clock second


MAX_LAYERS, MAX_WIDTH, MAX_STEPS, MAX_BATCH = 6, 64, 100_000, 10_000


MAX_SEED = 2**32 - 1


SLOW_PARAMS = 2_000  # above this a step gets noticeably slower


TICK_SECONDS = 0.25  # run_every while training: the browser plays the steps of each tick back one by one


TICK_BUDGET = 0.15  # seconds of training per tick, so Pause and redraws stay responsive


DATA_FIELDS = ("dataset", "samples", "noise", "test_fraction", "data_seed", "csv", "label_column", "feature_columns")


MODEL_FIELDS = ("layers", "activation", "init", "seed")


VIA_DASHBOARD = "_via_dashboard"


RETURN_TO = "_return_to"  # the page a direct request asked for, while dashboard.py sets up the session


ACTIVATION_TITLES = {"tanh": "tanh", "relu": "ReLU", "sigmoid": "sigmoid", "linear": "linear"}


def defaults() -> dict[str, Any]:
    """Widget values of the original micrograd demo."""
    return {
        "w_dataset": "moons",
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


def layer_sizes(state: Any) -> list[int]:
    """Hidden layer sizes from the layer widgets."""
    return [int(state.get(f"w_layer_{k}", 4)) for k in range(int(state.get("w_nlayers", 0)))]
