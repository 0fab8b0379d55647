"""Sandbox page: type an expression, see its graph with values and gradients, and check them numerically."""

from __future__ import annotations

import hashlib
import math

import pandas as pd
import streamlit as st

import ui
from micrograd.studio import sandbox
from micrograd.studio.sandbox_link import link_params, read_link
from micrograd.views import graph as G
from micrograd.views import text as esc
from micrograd.views.dot import format_number
from ui.url import set_params

CUSTOM = "(your own)"
MAX_VARIABLES = 20

if "trainer" not in st.session_state:  # a fresh session needs dashboard.py's state and sidebar first
    ui.require_dashboard("pages/sandbox.py")
st.title("Expression sandbox")
st.caption(
    "Type a formula over named variables, one `name = expression` per line and a final expression. It is parsed "
    f"through a whitelist ({', '.join(sandbox.METHODS)} methods, + - * / **), never run as Python."
)


def load_preset() -> None:
    """Put the chosen preset's text and variable values into the widgets."""
    ss = st.session_state
    name = ss["s_preset"]
    if name in sandbox.PRESETS:
        text, values = sandbox.PRESETS[name]
        ss["s_text"] = text
        for k, v in values.items():
            ss[f"s_var_{k}"] = float(v)


def from_link() -> None:
    """A session's first visit: the link's expression and values (a reload keeps them), else the README preset."""
    ss = st.session_state
    text, values, warnings = read_link(st.query_params.get("expr"), st.query_params.get("vals"))
    ss["s_preset"] = "micrograd README"
    load_preset()
    if text is not None:
        same = [name for name, (t, _) in sandbox.PRESETS.items() if t == text]
        ss["s_text"], ss["s_preset"] = text, same[0] if same else CUSTOM
        for name in sandbox.names(text):  # the link's variables start at 1 unless it gives them (not the preset's)
            ss[f"s_var_{name}"] = 1.0
    for name, value in values.items():
        ss[f"s_var_{name}"] = value
    for w in warnings:
        st.warning(esc.md(w))  # quotes the link's text


def to_link(text: str, values: dict[str, float]) -> None:
    """Mirror the expression and its values into the address bar, so a reload or a shared link shows them."""
    set_params(link_params(text, values))


def on_typed() -> None:
    """An expression edited away from its preset is the user's own: the Preset box says so."""
    ss = st.session_state
    preset = sandbox.PRESETS.get(ss.get("s_preset"))
    if preset is not None and ss.get("s_text") != preset[0]:
        ss["s_preset"] = CUSTOM


def show_error(e: sandbox.ExpressionError, text: str) -> None:
    """The message, then the offending line with a caret under the column."""
    st.error(esc.md(e.message))  # quotes the typed expression
    lines = text.strip().split("\n")
    if e.col and 0 < e.line <= len(lines):
        line = lines[e.line - 1]
        st.code(f"{line}\n{' ' * (min(e.col, len(line) + 1) - 1)}^", language=None)


LEGEND = (
    "Each node shows its name or operation, its value (data) and its gradient d output / d node (grad), the output "
    "being the last line. Shapes: rounded boxes with a green border are your variables, dotted boxes numbers, "
    "ellipses operations, the double octagon the output. Fill: blue gradient > 0, orange < 0, deeper for a larger "
    "|gradient|, white 0. As micrograd computes them, `a - b` is drawn as `a + b * -1` and `a / b` as `a * b**-1`."
)


NUMBERS = ["value", "autograd", "central difference", "|difference|"]


def show_graph(dot: str) -> None:
    """The graph in a container keyed by its DOT, so a new expression mounts a new chart.

    Re-rendering one chart with another graph makes d3-graphviz animate between them, and its transition leaves
    shapes in the wrong SVG tag (a polygon with an ellipse's attributes: boxes lost, magjac/d3-graphviz#336).
    Under load the browser sometimes kept the old chart all the same, so the DOT's node names also differ between
    graphs of other shapes (sandbox_dot's keyed names): nothing of the old graph is matched.
    """
    key = "s_graph_" + hashlib.sha256(dot.encode()).hexdigest()[:16]
    with st.container(key=key):
        st.graphviz_chart(dot, width="content")  # natural size, up to the page's width; never stretched


def main() -> None:
    ss = st.session_state
    presets = [*sandbox.PRESETS, CUSTOM]
    if "s_text" not in ss:
        from_link()
    st.selectbox("Preset", presets, key="s_preset", on_change=load_preset)
    text = st.text_area("Expression", key="s_text", height=220, max_chars=sandbox.MAX_CHARS, on_change=on_typed)
    names = sandbox.names(text)
    if len(names) > MAX_VARIABLES:
        to_link(text, {})
        st.error(f"{len(names)} variables; the sandbox takes at most {MAX_VARIABLES}. Use fewer names.")
        return
    values = {}
    if names:
        st.write("Variables")
        cols = st.columns(min(len(names), 5))
        for k, name in enumerate(names):
            ss.setdefault(f"s_var_{name}", 1.0)
            values[name] = cols[k % len(cols)].number_input(esc.md(name), key=f"s_var_{name}", step=0.1, format="%.4f")
    to_link(text, values)
    divisions: sandbox.Divisions = {}  # lets the note name a division by zero as typed, not as b ** -1
    try:
        # checked once: nothing is built unless all of it passes
        root, table = sandbox.evaluate(text, values, divisions=divisions)
    except sandbox.ExpressionError as e:
        show_error(e, text)
        return
    st.metric("Output", format_number(root.data))  # 1e300 as 1.000e+300, not 300 digits
    # inf or nan anywhere in the graph gets a word, not just a silent "inf"
    note = sandbox.overflow_note(root, divisions)
    if note:
        st.warning(note)
    show_graph(G.sandbox_dot(root, names))
    st.caption(LEGEND)
    st.subheader("Gradients: autograd vs central differences")
    if not table:  # a number alone, such as 2 ** 0.5: there is no variable to take a derivative with respect to
        st.info("This expression has no variables, so there is no gradient to check. Use a name, e.g. `a ** 0.5`.")
        return
    df = pd.DataFrame(table).rename(
        columns={"grad": "autograd", "numeric": "central difference", "abs_diff": "|difference|"}
    )
    # inf and nan as words: left to the grid they read "Infinity" and "None" (QA, a / 0)
    shown = df.style.format(lambda v: f"{v:.6g}" if math.isfinite(v) else str(v), subset=NUMBERS)
    st.dataframe(shown, hide_index=True, placeholder="—")
    st.caption("Central difference: (f(x + ε) − f(x − ε)) / 2ε with ε = 1e-6, one variable at a time.")


with ui.guard("running the sandbox", advice="Try another expression"):
    main()
