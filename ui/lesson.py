"""The Graph page's lesson glue: step through one training step, predict a gradient, presets and projector mode.

Session-state keys: ``g_lesson`` (the toggle), ``g_lesson_gran`` (node / neuron / layer), ``g_lesson_note`` (how
the example was chosen), ``g_quiz`` ({node, guess} of the predict-the-gradient exercise). Stepping is read-only:
the lesson traces a copy of the shown snapshot's weights and never touches the trainer or the recorded run.
"""

from __future__ import annotations

import streamlit as st

from micrograd.studio import lessons
from micrograd.studio.replay import Replay
from micrograd.studio.runs import StoreError
from micrograd.views import graph as G
from micrograd.views import lesson as LS
from micrograd.views import series as S
from micrograd.views import text
from ui.session import get_trainer, is_running
from ui.store import run_store
from ui.url import projector

GRAN_TITLES = {
    "node": "every scalar node",
    "neuron": "every neuron value (z, a, weights)",
    "layer": "a layer at a time",
}


def choose_hardest() -> None:
    """Callback: trace the training point the network gets most wrong (set before the example widgets draw)."""
    ss = st.session_state
    tr = trainer()
    d = tr.dataset
    try:
        i, loss = LS.hardest_example(tr.model, d.X_train, d.y_train, tr.config.loss, tr.task)
    except ValueError as e:
        ss["g_lesson_note"] = str(e)
        ss.pop("g_lesson_at", None)  # the note is no longer about a chosen point
        return
    ss["g_source"], ss["g_index"] = "point", i
    ss["g_follow"] = True
    ss["g_lesson_at"] = (i, tr.step_count)  # the note is of this point at this step (see controls)
    if loss > 0:
        ss["g_lesson_note"] = (
            f"Tracing training point {i}, the example the network gets most wrong at step {tr.step_count} "
            f"(its {LS.LOSS_TITLES.get(tr.config.loss, tr.config.loss)} loss is {LS.num(loss)})."
        )
    else:
        ss["g_lesson_note"] = (
            f"Every training point has loss 0 at step {tr.step_count}, so no example moves the weights: "
            f"showing point {i}."
        )


def label_text(d, y) -> str:
    """A training point's label in words, per task (raw text: class names are user text, escape before showing)."""
    task = getattr(d, "task", "binary")
    if task == "multiclass":
        return f"class {int(y)} ({d.class_names[int(y)]})"
    if task == "regression":
        ys = list(y) if getattr(y, "ndim", 0) else [y]
        scaling = getattr(d, "target_scaling", None)
        said = []
        for j, (n, v) in enumerate(zip(d.class_names, ys)):
            if scaling:  # the graph trains on standardised targets; the Train page shows the data's own units
                raw = float(v) * float(scaling["std"][j]) + float(scaling["mean"][j])
                said.append(f"{n} = {float(v):.3f} standardised ({raw:.3f} in the data's units)")
            else:
                said.append(f"{n} = {float(v):.3f}")
        return "target " + ", ".join(said)
    return f"label {float(y):+g} (class {d.class_names[int(y > 0)]})"


def typed_label(d):
    """The label widget for a typed example: ±1 (binary), a class (multiclass), the target value(s) (regression)."""
    task = getattr(d, "task", "binary")
    if task == "multiclass":
        names = list(d.class_names)
        k = st.selectbox("Class", list(range(len(names))), key="g_class", format_func=lambda j: f"{j}: {names[j]}")
        return float(k or 0)
    if task == "regression":
        # a CSV's target names are user text: escaped in the label (widget labels render Markdown)
        scaled = " (standardised)" if getattr(d, "target_scaling", None) else ""
        hint = "the graph's loss compares the output with the standardised target: 0 is the training targets' mean"
        ys = [
            st.number_input(
                text.md(f"Target {n}{scaled}"), value=0.0, key=f"g_target_{j}", help=hint if scaled else None
            )
            for j, n in enumerate(d.class_names)
        ]
        return float(ys[0]) if len(ys) == 1 else tuple(float(v) for v in ys)
    return st.selectbox("Label", [-1.0, 1.0], index=1, key="g_label", format_func=lambda v: f"{v:+g}")


def on_lesson_toggle() -> None:
    """Callback: a lesson starts on the example the network gets most wrong."""
    if st.session_state.get("g_lesson"):
        choose_hardest()


def controls() -> bool:
    """The lesson's switch and options (above the graph); True when the lesson is on."""
    ss = st.session_state
    a, b, c = st.columns([2, 2, 2])
    on = a.toggle(
        "Step through one training step",
        key="g_lesson",
        on_change=on_lesson_toggle,
        help="Forward pass node by node, backward pass by the chain rule from the loss, then the update.",
    )
    if not on:
        return False
    b.radio("One step is", LS.GRANULARITIES, index=1, key="g_lesson_gran", format_func=GRAN_TITLES.get)
    c.button("Pick the example the network gets most wrong", on_click=choose_hardest, key="g_rechoose")
    c.toggle("Predict the gradient", key="g_quiz_on", help="Hides one node's gradient: work it out, then check.")
    note, chosen, now = ss.get("g_lesson_note"), ss.get("g_lesson_at"), trainer().step_count
    if note and chosen is not None:
        if ss.get("g_source") != "point" or chosen[0] != ss.get("g_index"):
            note = ""  # another example is traced (picked or typed by hand): the note was about the chosen one
        elif chosen[1] != now:  # QA: "most wrong at step 23" beside a graph of step 100 read as stale
            note += (
                f' The weights are at step {now:,} now: press "Pick the example the network gets most wrong" to '
                "choose again."
            )
    if note:
        st.caption(text.md(note))
    return True


def replaying() -> Replay | None:
    """The stored run being replayed on the Graph page, if any."""
    r = st.session_state.get("g_replay")
    return r if isinstance(r, Replay) else None


def trainer():
    """The trainer the Graph page shows: the replayed run's, or the session's."""
    r = replaying()
    return r.trainer if r is not None else get_trainer()


def _load_replay() -> None:
    ss = st.session_state
    ss["g_replay_error"] = ""
    try:
        ss["g_replay"] = Replay(run_store(), int(ss.get("g_replay_id") or 0))
        ss["g_replay_step"] = 0
        ss["g_follow"] = True
    except (ValueError, KeyError, StoreError) as e:  # ReplayError and ConfigError are ValueErrors
        ss["g_replay_error"] = str(e.args[0] if isinstance(e, KeyError) else e)


def _stop_replay() -> None:
    st.session_state["g_replay"] = None


def _seek() -> None:
    r = replaying()
    if r is not None:
        r.seek(int(st.session_state.get("g_replay_step") or 0))


def replay_panel() -> None:
    """Replay a stored run from its initial weights, step by step (the snapshot scrubber then scrubs its steps)."""
    ss = st.session_state
    r = replaying()
    with st.expander("Replay a stored run", expanded=r is not None):
        a, b = st.columns([1, 2])
        a.number_input("Run #", min_value=1, step=1, key="g_replay_id", help="The id on the Experiments page.")
        b.button("Replay from its initial weights", on_click=_load_replay, key="g_replay_load")
        if ss.get("g_replay_error"):
            st.error(text.md(ss["g_replay_error"]))
        if r is None:
            st.caption("The graph then shows the replayed run instead of this session's; training here is untouched.")
            return
        st.slider("Replayed step", 0, max(r.length, 1), key="g_replay_step", on_change=_seek)
        rec = {x["step"]: x for x in r.records}.get(r.step)
        mine = r.trainer.history[-1] if r.trainer.history else None
        same = rec is not None and mine is not None and rec["loss"] == mine["loss"]
        line = text.md(f"Replaying run #{r.run_id} ({r.run['name']}) at step {r.step} of {r.length}")
        if mine is not None:
            verdict = "equal to the stored one bit for bit" if same else "different from the stored one"
            # the step's own number: its batch's loss, plus the L2 penalty it trained with (QA: "loss 412076" read
            # as the loss the Train page showed, 0.9592)
            what = "training objective (batch loss + L2 penalty)" if r.trainer.config.l2 else "batch loss"
            line += f"; {what} {mine['loss']:.6g}, {verdict}."
        st.caption(line)
        st.button("Stop replaying", on_click=_stop_replay, key="g_replay_stop")


def build(s: S.SnapshotSeries, i: int, snap: G.Snapshot) -> LS.Lesson:
    """The lesson of snapshot i (its weights and example); with the update line when it is the trainer's now."""
    ss = st.session_state
    tr = trainer()
    now = snap.step == tr.step_count and (replaying() is not None or not is_running())
    gran = ss.get("g_lesson_gran") or "neuron"
    # a rerun (a click, a widget) of the same picture reuses it: tracing 2-16-16-1 and its update takes ~0.3 s
    key = (id(snap), snap.step, snap.x, snap.y, gran, id(tr), tr.step_count, now, tr.config)
    cached = ss.get("g_lesson_cache")
    if isinstance(cached, tuple) and cached[0] == key:
        return cached[1]
    update = LS.next_update(tr) if now else None
    names = list(tr.dataset.feature_names)
    les = LS.lesson(s.model_at(i), snap.x, snap.y, snap.loss_name, gran, names, update, snap.task)
    ss["g_lesson_cache"] = (key, les)
    return les


def payload_of(les: LS.Lesson) -> dict:
    """The lesson for the view's header: all of it once per lesson, then only its key (``g_lesson_sent``)."""
    ss = st.session_state
    cached = ss.get("g_lesson_json")
    if not (isinstance(cached, tuple) and cached[0] is les):  # keyed once per built lesson (hashing ~365 KB)
        cached = ss["g_lesson_json"] = (les, LS.keyed(les.to_json()))
    return LS.header_for(cached[1], ss.get("g_lesson_sent"))


def lesson_sent(header: dict | None) -> None:
    """Note the lesson the browser now has (after the update carrying it was sent); None: it has none."""
    st.session_state["g_lesson_sent"] = header["key"] if header is not None else None


def quiz_node(les: LS.Lesson) -> int | None:
    """The node whose gradient the student predicts (its gradient is hidden until checked); None when off."""
    ss = st.session_state
    if not ss.get("g_quiz_on"):
        return None
    candidates = LS.quiz_candidates(les)
    if not candidates:
        return None
    q = ss.get("g_quiz")
    if not (isinstance(q, dict) and q.get("node") in candidates):
        q = ss["g_quiz"] = {"node": candidates[0], "answer": None}
    return q["node"] if q["answer"] is None else None


def quiz(les: LS.Lesson) -> None:
    """Predict the gradient: the question, the student's number, the check against autograd, then the chain rule."""
    ss = st.session_state
    if not ss.get("g_quiz_on"):
        return
    candidates = LS.quiz_candidates(les)
    if not candidates:
        st.caption("Predict the gradient needs a node with a non-zero gradient: pick another example.")
        return
    quiz_node(les)
    q = ss["g_quiz"]
    node = q["node"]
    with st.expander("Predict the gradient", expanded=True):
        st.markdown(text.md(LS.quiz_question(les, node)))
        a, b = st.columns([2, 1])
        a.number_input(f"Your value of ∂L/∂{les.names[node]}", value=None, format="%.6g", key="g_quiz_guess")
        b.button("Check", key="g_quiz_check", on_click=_check)
        b.button("Another node", key="g_quiz_next", on_click=_next, args=(candidates,))
        if ss.pop("g_quiz_empty", False):  # Check on an empty field: no verdict on a number no longer there (QA)
            st.info("Type your value of the gradient first (a finite number, e.g. -0.25), then press Check.")
        if q["answer"] is None:
            return
        ok, msg = LS.check_prediction(q["answer"], les.grads[node])
        (st.success if ok else st.warning)(text.md(msg))
        k = les.step_of(node, "backward")
        st.code("\n".join(line for line in les.steps[k].lines if line.startswith(f"∂L/∂{les.names[node]} =")))


def _check() -> None:
    ss = st.session_state
    if not isinstance(ss.get("g_quiz"), dict):
        return
    guess = ss.get("g_quiz_guess")
    ss["g_quiz"]["answer"] = None if guess is None else float(guess)
    ss["g_quiz_empty"] = guess is None


def _next(candidates: list[int]) -> None:
    ss = st.session_state
    node = ss["g_quiz"]["node"] if isinstance(ss.get("g_quiz"), dict) else candidates[0]
    k = candidates.index(node) if node in candidates else 0
    ss["g_quiz"] = {"node": candidates[(k + 7) % len(candidates)], "answer": None}
    ss["g_quiz_guess"] = None


def preset_banner() -> bool:
    """The lesson preset's guiding question when the URL names one; True in projector mode."""
    params = st.query_params
    name = params.get("lesson")
    if name:
        p = lessons.PRESETS.get(name)
        if p is None:
            said = lessons.unknown_lesson(name)
            if said not in st.session_state.get("shown_now", ()):  # the link's warnings of this run said it
                st.warning(text.md(said))
        else:
            changed = _changed(p)
            differs = f" This run's settings differ from the lesson's: {'; '.join(changed)}." if changed else ""
            st.info(text.md(f"Lesson: {p.title}. {p.question}{differs}"), icon=":material/school:")
    return projector()


def _changed(p: lessons.Preset) -> list[str]:
    """The lesson's settings that this run has other values of, as 'lr 0.01 (the lesson's 10)' (QA: the banner asked
    about learning rate 10 while the link's lr=0.01 ran)."""
    from ui.url import read_url, url_of

    lesson = read_url(dict(p.settings))[0]
    sizes = lesson.pop("w_layers", [])  # as the layer widgets hold them, which url_of reads
    lesson |= {"w_nlayers": len(sizes), **{f"w_layer_{k}": n for k, n in enumerate(sizes)}}
    want, now = url_of(lesson), url_of(st.session_state)
    for values in (want, now):  # the URL's word for no hidden layer, said in words
        if values.get("layers") == "none":
            values["layers"] = "no hidden layer"
    return [
        f"{k} {now[k]} (the lesson's {want[k]})" for k in p.settings if k in want and want[k] != now.get(k, want[k])
    ]
