"""Train page (the landing page): live metrics, loss and accuracy curves, decision boundary, weights in and out."""

import numpy as np
import streamlit as st

import ui
from micrograd.fast import numeric
from micrograd.losses import LOSS_TITLES
from micrograd.studio import reloads
from micrograd.studio import trainer as training
from micrograd.studio.runs import StoreError
from micrograd.views import classes, curves, gallery, live, plots, text
from ui import lesson as lesson_ui
from ui.components import live as components
from ui.store import run_store
from ui.uploads import apply_drawing

LOSS_HELP = {
    "svm": "max(0, 1 − y·score): zero once a point is on the right side with margin 1",
    "mse": "(score − y)²: squared distance of the score from the ±1 label",
    "bce": "log(1 + e^(−y·score)): the logistic loss; small when y·score is large",
    "ce": "−log softmax(scores)[true class]: the cross-entropy of the K scores",
    "hinge": "Σ over the wrong classes of max(0, 1 + score − score of the true class): the multi-class SVM loss",
    "huber": "squared error near the target, linear beyond 1: robust to outliers",
}
REGRESSION_LOSS_HELP = {"mse": "(prediction − target)²: the squared distance from the (standardised) target"}

ui.require_dashboard("pages/train.py")
st.title("micrograd studio")
st.caption(
    "A multi-layer perceptron learns to separate classes (or to fit values), trained step by step by a scalar "
    "autograd engine. Pick data and a network in the sidebar, or draw your own points (Draw), then press **Start**."
)
PROJECTOR = False
with st.container():  # one slot whatever it holds, so the live view below keeps its place (and never re-mounts)
    ui.show_notices()
    with ui.guard("showing the lesson"):  # after the notices, which may have said the lesson is unknown
        PROJECTOR = lesson_ui.preset_banner()  # a lesson link's question; ?projector=1: large fonts, no sidebar
    recorder = st.session_state.get("recorder")
    if recorder is not None and recorder.error:
        st.warning(text.md(recorder.error))


def _status(tr: training.Trainer) -> None:
    shown = ui.show_run_error(tr)  # diverged or failed: why, and Reset
    if not shown and tr.status == training.FINISHED:
        last = curves.next_row(tr) or {}  # the weights the run ended with: the metric tiles' numbers
        tested = len(tr.dataset.y_test) > 0  # drawn points and CSV files may have no test set: nothing to say of it
        regression = classes.task_of(tr.dataset) == "regression"
        key, name, percent = ("r2", "R²", False) if regression else ("accuracy", "accuracy", True)
        score = f"Train {name} {curves.metric_text(last.get(f'train_{key}'), percent)}"
        score += f", test {name} {curves.metric_text(last.get(f'test_{key}'), percent)}" if tested else ""
        st.success(f"Finished {tr.step_count} steps. {score}.")
        if tr.has_budget and tr.step_count > tr.config.steps:  # No budget unticked past the budget
            st.info(f"The step budget is {tr.config.steps:,}: raise it, or tick No budget, to train on.")
    elif not shown and tr.step_count == 0 and not ui.is_running():
        st.info("Ready. Press **Start** to train live, or **Step** to take one step at a time.")
    if tr.status != training.DIVERGED:  # the trainer's diagnostics: a dead layer, vanishing gradients, saturation
        for warning in tr.monitor.warnings.values():
            st.warning(text.md(warning))


def _feed() -> live.LiveFeed:
    """This session's Train view feed: what the browser holds, and the steps recorded since the last tick."""
    ss = st.session_state
    if not isinstance(ss.get("live_feed"), live.LiveFeed):
        ss["live_feed"] = live.LiveFeed()
    return ss["live_feed"]


def _pair(tr: training.Trainer) -> tuple[int, int | None] | None:
    """The features on the boundary's axes (None when the user picked the same one twice)."""
    d = tr.dataset
    if d.n_features == 1:
        return 0, None
    if d.n_features == 2:
        return 0, 1
    a, b = st.columns(2)
    names = list(range(d.n_features))
    # the first two features that vary (a digit's corner pixel is blank in every image)
    varying = [k for k in names if np.ptp(d.X_train[:, k]) > 0] + names
    x0, y0 = varying[0], next(k for k in varying if k != varying[0])
    i = a.selectbox("x axis", names, index=x0, key="view_feat_x", format_func=lambda k: d.feature_names[k])
    j = b.selectbox("y axis", names, index=y0, key="view_feat_y", format_func=lambda k: d.feature_names[k])
    if i == j:
        st.warning("The x and y axes show the same feature: pick two different features to see the boundary.")
        return None
    return i, j


def _ignore() -> None:
    """The pick trigger's callback: the fragment reads the value itself."""


def _on_need() -> None:
    """The view has no static part (a new element without a full run): send it, and the current state, again."""
    _feed().invalidate()


def _on_drawn() -> None:
    """Draw mode sent its points: make them the session's data (the widgets change here, before any is drawn)."""
    ss = st.session_state
    apply_drawing((ss.get("live_train") or {}).get("drawn"))
    ss["drawing_applied"] = True  # a full run shows the new data, or the notice saying why it was not applied
    if ss.get("running"):  # the next full run replaces the run: none must tick on the old data meanwhile
        ui.pause()


def _left_behind(run_id: object, why: str) -> None:
    """End the run this tab recorded in an earlier session and say so (micrograd.studio.reloads)."""
    ss = st.session_state
    try:
        said = reloads.left_behind(run_store(), run_id, getattr(ss.get("recorder"), "run_id", None), why)
    except StoreError:  # the store's own banner says what is wrong with it
        return
    if said:
        ss["notices"].append(said)
        ss["was_noted"] = True  # a full run shows the notice


def _on_rest() -> None:
    """The first screen's picture is on screen: draw the rest of the page (ui.session.first_screen)."""
    st.session_state["rest_due"] = True


def _on_control() -> None:
    """The view's own run buttons (a narrow screen's, where the sidebar is folded away): as the sidebar's."""
    ss = st.session_state
    act = (ss.get("live_train") or {}).get("control")
    known = isinstance(act, str) and act in ui.ACTIONS  # the trigger's value comes from the browser
    if known:
        ui.ACTIONS[act]()
    ss["control_rerun"] = known  # a full run: the tick's pace and the sidebar follow the state


def _on_was() -> None:
    """After a reload the tab names the run it recorded before."""
    _left_behind((st.session_state.get("live_train") or {}).get("was"), "reload")


def _on_lost() -> None:
    """The page outlived its session (the server restarted, or dropped the session): the tab names its run."""
    lost = (st.session_state.get("live_train") or {}).get("lost")
    if isinstance(lost, dict):
        _left_behind(lost.get("run"), reloads.cause(lost.get("from")))


def _evaluation(tr: training.Trainer) -> None:
    """Drawn when training pauses: the confusion matrix, the image gallery (digits) or the regression errors."""
    d = tr.dataset
    task = classes.task_of(d)
    if task == "binary" and d.n_features == 2:
        return
    if ui.is_running():
        st.caption("The evaluation below the view is drawn when training pauses.")
        return
    layers = numeric.layers_of(tr.model)
    X, y, which = (d.X_test, d.y_test, "test") if len(d.y_test) else (d.X_train, d.y_train, "train")
    out = numeric.forward_all(layers, X)[-1]
    if task == "binary":
        fig = plots.confusion_figure(y, out[:, 0], d.class_names, f"{which} set")
        st.plotly_chart(fig, key="confusion", config={"displaylogo": False})
    elif task == "multiclass":
        pred, _ = classes.point_classes(out)
        m = plots.class_confusion(y, pred, len(d.class_names))
        names = [text.plotly(n) for n in d.class_names]
        st.plotly_chart(plots.matrix_figure(m, names, f"{which} set"), key="confusion", config={"displaylogo": False})
        if gallery.image_side(d.n_features):
            prep = d.preprocessing  # the pixels as they were, not standardised
            pixels = X * np.asarray(prep["std"]) + np.asarray(prep["mean"]) if prep else X
            fig = gallery.gallery_figure(pixels, y, pred, d.class_names, f"{which.capitalize()} images")
            st.plotly_chart(fig, key="gallery", config={"displaylogo": False})
    else:
        scaling = getattr(d, "target_scaling", None)
        err = classes.unscale(out, scaling) - classes.targets(y, scaling)
        name = text.md(d.class_names[0]) if d.class_names else "the target"
        mae, rmse = float(np.mean(np.abs(err))), float(np.sqrt(np.mean(err**2)))
        st.caption(
            f"On the {which} set, in the units of {name}: MAE {curves.metric_text(mae)}, RMSE {curves.metric_text(rmse)}."
        )


@st.fragment(run_every=ui.TICK_SECONDS if ui.is_running() else None)
def live_view(pair: tuple[int, int | None] | None) -> None:
    """Train the steps due (when running) and send the live view what changed: one element per tick.

    The metrics, the curves, the boundary and the network are all drawn by the component at the step on screen;
    messages that change only when a run starts or stops sit outside this fragment (a run's end reruns the page).
    """
    ss = st.session_state
    with ui.guard("training"):
        tr = ui.get_trainer()
        feed = _feed()
        feed.set_speed(ui.view_speed(), tr.model.sizes)
        if pair is not None:
            feed.set_pair(*pair)
        feed.note_run(tr, ui.is_running())  # before the tick: the state this run starts from
        ui.tick(on_step=feed.record)
        if pair is None:
            return
        lr = tr.lr_at(min(tr.step_count, tr.config.steps - 1))
        log_y = bool(ss.get("view_log_loss"))  # the toggle sits outside: changing it reruns the page
        # paused: the steps Start will take, played at once when it is pressed (see LiveFeed.ahead)
        update = feed.update(tr, state=ui.run_state(tr), sps=ui.steps_per_second(), log_loss=log_y, lr=lr, ahead=True)
        # recorded: the run this tab records, which the browser remembers across a reload; session: whose updates
        # these are, so a page that outlives its session names the run it recorded (ui/components/tab.js)
        recorded = getattr(ss.get("recorder"), "run_id", None)
        update |= {"projector": PROJECTOR, "recorded": recorded, "session": ui.session_token()}
        if ss.get(ui.FIRST_SCREEN):
            update["rest"] = True  # once its first picture is shown, the view asks for the rest of the page
            ss["rest_asked"] = True
        payload, before_net = live.encode_measured(update)
        feed.sent(update, len(payload), before_net)  # the bytes its pictures took: the network picture's rate follows
        result = components.view(
            "train",
            payload,
            key="live_train",
            on_pick_change=_ignore,
            on_drawn_change=_on_drawn,
            on_need_change=_on_need,
            on_was_change=_on_was,
            on_lost_change=_on_lost,
            on_rest_change=_on_rest,
            on_control_change=_on_control,
        )
        applied, noted = ss.pop("drawing_applied", False), ss.pop("was_noted", False)
        controlled = ss.pop("control_rerun", False)  # the view's own Start or Pause
        rest = ss.pop("rest_due", False) and ss.get(ui.FIRST_SCREEN)  # not if a full run came first (a button)
        ss["rest_keeps_view"] = rest and not (applied or noted)  # the rest of the page: the view has its static part
        if applied or noted or rest or controlled:
            # a full run, after this run has sent the view (rerunning before it was sent left the element to be
            # removed and a new one mounted, seen once in CI): the sidebar applies the drawn data (weights
            # re-initialised), notices show, a Start or Pause sets the tick's pace and the sidebar's buttons
            st.rerun()
        picked = result.pick if result is not None else None
        if isinstance(picked, int) and 0 <= picked < len(tr.dataset.y_train):  # a click on a training point
            ss["g_source"], ss["g_index"] = "point", picked
        if "g_index" in ss:
            st.caption(f"The Graph page traces training point {ss['g_index']}.")


def _legend(tr: training.Trainer) -> None:
    d = tr.dataset
    task = classes.task_of(d)
    st.toggle("Log-scale loss", key="view_log_loss")
    held = " The other features are held at their mean (0 after standardisation)." if d.n_features > 2 else ""
    if task == "multiclass":
        picture = (
            f"Background: the class the network picks at each place ({text.md_list(d.class_names)}), lighter where "
            "it is less sure (softmax of the scores)."
        )
    elif task == "regression":
        picture = "The network's prediction, in the target's own units (the targets are standardised for training)."
    else:
        picture = (
            f"Background: the network's score (blue > 0 → class {text.md(d.class_names[1])}, orange < 0 → class "
            f"{text.md(d.class_names[0])}, light = near the decision boundary)."
        )
    loss = tr.config.loss
    helps = LOSS_HELP | REGRESSION_LOSS_HELP if task == "regression" else LOSS_HELP  # "±1 label" is a class's
    st.caption(
        f"{picture} Each picture is a real training step; at high speeds the view says when it shows every k-th "
        f"step.{held} Click a training point to trace it on the Graph page; **Draw** adds, paints and erases points "
        f"of your own. Loss: {LOSS_TITLES.get(loss, loss)}, {helps.get(loss, '')}; averaged over each set."
    )


with ui.guard("training"):
    if not st.session_state.pop("rest_keeps_view", False):  # re-sent, the static part redraws the network (hover lost)
        _feed().invalidate()  # a full run: the view's element may be new, so it gets the static part again
    trainer = ui.get_trainer()
    with st.container():
        pair = _pair(trainer)
    with st.container():  # the fragment's own slot: its reruns replace its elements instead of appending
        live_view(pair)
    with st.container():  # below the view: a message that comes or goes when a run starts or ends moves nothing above
        _status(trainer)
    _legend(trainer)
    if not st.session_state.get(ui.FIRST_SCREEN):  # a confusion matrix or gallery: Plotly's code, 4.7 MB
        _evaluation(trainer)


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


asked = st.session_state.pop("rest_asked", False)
if not st.session_state.get(ui.FIRST_SCREEN):  # a first screen shows what training needs; the rest follows
    with ui.guard("showing the weights"):
        _weights()
elif not asked:  # no view to ask for the rest (it failed): the whole page now
    st.rerun()
