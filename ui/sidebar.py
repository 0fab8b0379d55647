"""The settings sidebar shared by every page."""

from __future__ import annotations

import streamlit as st

from micrograd.losses import LOSS_TITLES
from micrograd.nn import ACTIVATIONS, INITS
from micrograd.optim import SCHEDULES
from micrograd.studio import datasets
from micrograd.studio.config import ENGINES
from micrograd.studio.datasets import DATASETS
from ui.controls import new_data, on_dataset_change, run_controls
from ui.guard import guard
from ui.options import (
    ACTIVATION_TITLES,
    L2_OPTIONS,
    LR_OPTIONS,
    MAX_BATCH,
    MAX_LAYERS,
    MAX_SEED,
    MAX_STEPS,
    MAX_WIDTH,
    MOMENTUM_OPTIONS,
    SLOW_PARAMS,
    SPEED_OPTIONS,
    TICK_SECONDS,
    layer_sizes,
)
from ui.session import apply_settings, get_trainer, is_running, save_settings
from ui.uploads import on_csv_upload
from ui.url import write_url


def _data_section() -> None:
    ss = st.session_state
    names = [*DATASETS, "csv"]
    st.selectbox(
        "Dataset",
        names,
        key="w_dataset",
        on_change=on_dataset_change,
        format_func=lambda n: "Upload CSV…" if n == "csv" else n.replace("_", " "),
    )
    if ss["w_dataset"] == "csv":
        st.file_uploader(
            "CSV file (header row; two-class label column)",
            type=["csv", "txt"],
            key=f"csv_upload_{ss['uploads']}",
            on_change=on_csv_upload,
        )
        if ss.get("csv_error"):
            st.error(ss["csv_error"])
        csv = ss.get("csv")
        if csv:
            cols = csv["columns"]
            if ss.get("w_csv_label") not in cols:
                ss["w_csv_label"] = cols[-1]
            st.selectbox("Label column", cols, key="w_csv_label")
            features = [c for c in cols if c != ss["w_csv_label"]]
            ss["w_csv_features"] = [c for c in ss.get("w_csv_features", features) if c in features]
            st.multiselect("Feature columns", features, key="w_csv_features")
            st.caption("Features are standardised (mean 0, std 1) with the training rows' statistics.")
    else:
        spec = DATASETS[ss["w_dataset"]]
        st.caption(spec.description)
        st.number_input("Samples", datasets.MIN_SAMPLES, spec.max_samples, step=10, key="w_samples")
        if spec.uses_noise:
            st.slider("Noise", 0.0, float(spec.noise_max), step=0.01, key="w_noise")
    st.slider(
        "Test fraction", 0.0, datasets.MAX_TEST_FRACTION, step=0.05, key="w_test_fraction", help="held out, not trained"
    )
    a, b = st.columns(2, vertical_alignment="bottom")
    a.number_input("Data seed", 0, MAX_SEED, key="w_data_seed")
    csv = ss["w_dataset"] == "csv"
    b.button(
        "New data",
        key="btn_new_data",
        on_click=new_data,
        disabled=csv,
        help="New points, same weights",
        width="stretch",
    )


def _network_section(n_features: int) -> None:
    ss = st.session_state
    st.number_input("Hidden layers", 0, MAX_LAYERS, key="w_nlayers")
    cols = st.columns(3)
    for k in range(int(ss["w_nlayers"])):
        ss.setdefault(f"w_layer_{k}", 4)
        cols[k % 3].number_input(f"Layer {k + 1}", 1, MAX_WIDTH, key=f"w_layer_{k}")
    sizes = [n_features, *layer_sizes(ss), 1]
    params = sum(a * b + b for a, b in zip(sizes, sizes[1:]))
    st.caption(f"Network {'-'.join(map(str, sizes))}: {params:,} parameters.")
    if params > SLOW_PARAMS:
        st.warning(f"{params:,} parameters: each step is slower; fewer or smaller layers train faster live.")
    st.selectbox("Activation", ACTIVATIONS, key="w_activation", format_func=ACTIVATION_TITLES.get)
    st.selectbox("Initialisation", INITS, key="w_init", help="uniform: U(-1, 1) as in micrograd; scaled: He/Xavier")


def _training_section() -> None:
    ss = st.session_state
    st.selectbox("Loss", list(LOSS_TITLES), key="w_loss", format_func=LOSS_TITLES.get)
    st.select_slider("Learning rate", LR_OPTIONS, key="w_lr", format_func=lambda v: f"{v:g}")
    st.selectbox("Schedule", SCHEDULES, key="w_schedule", help="how the learning rate moves toward the end value")
    if ss["w_schedule"] != "constant":
        st.select_slider("End learning rate", LR_OPTIONS, key="w_lr_end", format_func=lambda v: f"{v:g}")
    a, b = st.columns(2)
    a.number_input("Batch size", 0, MAX_BATCH, key="w_batch_size", help="0 = the whole training set")
    b.number_input("Step budget", 1, MAX_STEPS, step=50, key="w_steps")
    st.select_slider("L2 penalty", L2_OPTIONS, key="w_l2", format_func=lambda v: f"{v:g}")
    st.select_slider("Momentum", MOMENTUM_OPTIONS, key="w_momentum", format_func=lambda v: f"{v:g}")
    a, b = st.columns(2)
    a.number_input("Seed", 0, MAX_SEED, key="w_seed", help="initial weights and batch order")
    b.radio("Engine", ENGINES, key="w_engine", horizontal=True, help="compiled: fast, same numbers")
    st.select_slider(
        "Steps per second",
        SPEED_OPTIONS,
        key="w_speed",
        help=f"training speed (wall clock); the browser draws every step, {1 / TICK_SECONDS:g} batches a second",
    )
    st.caption("Changes here apply at once, without resetting the weights.")


def sidebar() -> None:
    """The shared sidebar: run controls and every setting; then apply the settings and mirror them in the URL."""
    with st.sidebar:
        controls = st.container()  # filled last, so the buttons reflect the settings applied below
        with guard("showing the settings"):  # whatever fails here, the run controls (and Reset) stay
            with st.expander("Data", expanded=True):
                messages = st.container()
                _data_section()
            with st.expander("Network", expanded=True):
                _network_section(get_trainer().dataset.n_features)
            with st.expander("Training", expanded=True):
                _training_section()
            problem = apply_settings()
            if problem:
                messages.error(problem)
            write_url()
            save_settings()
        with controls:
            run_controls()
    st.session_state["recorder"].sync(get_trainer(), is_running())
