"""Train page (the landing page): live metrics, loss and accuracy curves, decision boundary, weights in and out."""

import math

import streamlit as st

import ui
from micrograd.fast import numeric
from micrograd.losses import LOSS_TITLES
from micrograd.studio import trainer as training
from micrograd.views import plots, text

LOSS_HELP = {
    "svm": "max(0, 1 − y·score): zero once a point is on the right side with margin 1",
    "mse": "(score − y)²: squared distance of the score from the ±1 label",
    "bce": "log(1 + e^(−y·score)): the logistic loss; small when y·score is large",
}

ui.require_dashboard("pages/train.py")
st.title("micrograd studio")
st.caption(
    "A multi-layer perceptron learns to separate two classes, trained step by step by a scalar autograd engine. "
    "Pick data and a network in the sidebar, then press **Start**."
)
ui.show_notices()
recorder = st.session_state.get("recorder")
if recorder is not None and recorder.error:
    st.warning(text.md(recorder.error))


def _fmt(x: float | None, percent: bool = False) -> str:
    if x is None or not math.isfinite(x):
        return "—"
    return f"{100 * x:.1f} %" if percent else f"{x:.4f}"


def _status(tr: training.Trainer) -> None:
    if tr.status in (training.DIVERGED, training.FAILED):
        st.error(text.md(tr.message) + " Press **Reset** to start again.")  # the trainer's message names no UI control
    elif tr.status == training.FINISHED:
        last = tr.history[-1] if tr.history else {}
        st.success(
            f"Finished {tr.step_count} steps. Train accuracy {_fmt(last.get('train_accuracy'), True)}, "
            f"test accuracy {_fmt(last.get('test_accuracy'), True)} (measured before the last update)."
        )
    elif tr.step_count == 0 and not ui.is_running():
        st.info("Ready. Press **Start** to train live, or **Step** to take one step at a time.")
    if tr.status != training.DIVERGED:  # the trainer's diagnostics: a dead layer, vanishing gradients, saturation
        for warning in tr.monitor.warnings.values():
            st.warning(text.md(warning))


def _metrics(tr: training.Trainer) -> None:
    last = tr.history[-1] if tr.history else {}
    tick = st.session_state.get("tick")
    sps = tick["steps"] / tick["seconds"] if tick and tick["seconds"] > 0 and tick["steps"] else None
    cols = st.columns(6)
    cols[0].metric("Step", f"{tr.step_count} / {tr.config.steps}")
    cols[1].metric("Train loss", _fmt(last.get("train_loss")))
    cols[2].metric("Test loss", _fmt(last.get("test_loss")))
    cols[3].metric("Train accuracy", _fmt(last.get("train_accuracy"), True))
    cols[4].metric("Test accuracy", _fmt(last.get("test_accuracy"), True))
    cols[5].metric("Steps / s", f"{sps:,.0f}" if sps else "—", help="training speed during the last tick")
    lr = tr.lr_at(min(tr.step_count, tr.config.steps - 1))
    st.progress(min(1.0, tr.step_count / tr.config.steps), text=f"Step budget used · next learning rate {lr:.3g}")


def _pick_point() -> None:
    """A click on a training point makes it the Graph page's example."""
    ss = st.session_state
    i = plots.picked_train_point(ss["boundary"].get("selection", {}))
    if i is not None:
        ss["g_source"], ss["g_index"] = "point", i


def _boundary(tr: training.Trainer, layers: list) -> None:
    d = tr.dataset
    i, j = 0, (1 if d.n_features > 1 else None)
    if d.n_features > 2:
        a, b = st.columns(2)
        names = list(range(d.n_features))
        i = a.selectbox("x axis", names, index=0, key="view_feat_x", format_func=lambda k: d.feature_names[k])
        j = b.selectbox("y axis", names, index=1, key="view_feat_y", format_func=lambda k: d.feature_names[k])
        if i == j:
            st.warning("The x and y axes show the same feature: pick two different features to see the boundary.")
            return
    fig = plots.boundary_figure(layers, d.X_train, d.y_train, d.X_test, d.y_test, d.feature_names, i, j)
    st.plotly_chart(fig, key="boundary", config={"displaylogo": False}, on_select=_pick_point, selection_mode="points")
    held = " The other features are held at their mean (0 after standardisation)." if d.n_features > 2 else ""
    picked = f" (now point {st.session_state['g_index']})" if "g_index" in st.session_state else ""
    st.caption(
        f"Background: the network's score (blue > 0 → class {text.md(d.class_names[1])}, orange < 0 → class "
        f"{text.md(d.class_names[0])}, white = the decision boundary). Dots are training points, outlined dots test points, "
        f"X marks a misclassified point.{held} Click a training point to trace it on the Graph page{picked}."
    )


def _curves(tr: training.Trainer, layers: list) -> None:
    log_y = st.toggle("Log-scale loss", key="view_log_loss")
    st.plotly_chart(plots.loss_figure(tr.history, log_y), key="loss", config={"displaylogo": False})
    st.caption(f"Loss: {LOSS_TITLES[tr.config.loss]}, {LOSS_HELP[tr.config.loss]}; averaged over each set.")
    st.plotly_chart(plots.accuracy_figure(tr.history), key="accuracy", config={"displaylogo": False})
    d = tr.dataset
    if d.n_features != 2:
        X, y, which = (d.X_test, d.y_test, "test") if len(d.y_test) else (d.X_train, d.y_train, "train")
        fig = plots.confusion_figure(y, numeric.scores(layers, X), d.class_names, f"{which} set")
        st.plotly_chart(fig, key="confusion", config={"displaylogo": False})


@st.fragment(run_every=ui.TICK_SECONDS if ui.is_running() else None)
def live() -> None:
    """Train a few steps (when running) and redraw everything that changes while training."""
    with ui.guard("training"):
        ui.tick()
        tr = ui.get_trainer()
        _status(tr)
        _metrics(tr)
        layers = numeric.layers_of(tr.model)
        left, right = st.columns([3, 2])
        with left:
            _boundary(tr, layers)
        with right:
            _curves(tr, layers)


live()


def _weights() -> None:
    ss = st.session_state
    tr = ui.get_trainer()
    st.subheader("Weights")
    a, b = st.columns(2)
    with a:
        name = f"micrograd-{tr.dataset.name}-{tr.config.architecture}-step{tr.step_count}.json"
        # the callable runs at click time on another thread: it gets the trainer itself, not session_state
        st.download_button(
            "Download weights (JSON)",
            data=lambda t=tr: t.export_json(),
            file_name=name,
            mime="application/json",
            on_click="ignore",
            key="download_weights",
            disabled=tr.status == training.DIVERGED,  # NaN/inf weights cannot be written as JSON numbers
        )
        if tr.status == training.DIVERGED:
            st.caption("The weights are no longer finite after the divergence; press Reset to train again.")
        else:
            st.caption("The weights, the data description and the settings of this run, at the moment you click.")
    with b:
        st.file_uploader(
            "Import weights (JSON)",
            type=["json"],
            key=f"weights_upload_{ss['uploads']}",
            on_change=ui.on_weights_upload,
            help="The network takes the file's architecture; the current data stays.",
        )
        if ss.get("weights_error"):
            st.error(
                "Could not import the weights file:\n\n" + "\n".join(f"- {text.md(p)}" for p in ss["weights_error"])
            )


with ui.guard("showing the weights"):
    _weights()
