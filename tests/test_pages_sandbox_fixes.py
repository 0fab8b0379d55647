"""The Sandbox page through AppTest: a new chart per expression, a readable layout, notes and a legend in its terms."""

import re
from pathlib import Path

from streamlit.testing.v1 import AppTest

from micrograd.views.dot import KINDS

ROOT = Path(__file__).resolve().parent.parent


def sandbox() -> AppTest:
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.query_params.update({"engine": "compiled"})
    at.run()
    at.switch_page("pages/sandbox.py").run()
    assert not at.exception, at.exception
    return at


def chart_block_id(at: AppTest) -> str:
    """The id of the block that holds the graph (a keyed container's id ends with its key)."""
    (block,) = [
        b
        for b in at.main.children.values()
        if [c.type for c in getattr(b, "children", {}).values()] == ["graphviz_chart"]
    ]
    return block.proto.id


def dot(at: AppTest) -> str:
    (chart,) = at.get("graphviz_chart")
    return chart.proto.spec


def warnings(at: AppTest) -> str:
    return "\n".join(w.value for w in at.warning)


def test_a_new_expression_gets_a_new_chart_element():
    """d3-graphviz's transition from one graph to another leaves boxes drawn as text only (d3-graphviz#336)."""
    at = sandbox()
    first = chart_block_id(at)
    assert re.search(r"-s_graph_[0-9a-f]{16}$", first)
    at.selectbox(key="s_preset").set_value("product plus tanh").run()
    second = chart_block_id(at)
    assert second != first and re.search(r"-s_graph_[0-9a-f]{16}$", second)
    at.text_area(key="s_text").set_value("a*b + c.tanh() + 1").run()
    assert chart_block_id(at) not in (first, second)
    at.text_area(key="s_text").set_value("a*b + c.tanh()").run()
    assert chart_block_id(at) == second  # the same graph keeps its element


def test_the_graph_runs_top_to_bottom_without_the_training_legend():
    """Left to right with a row of legend the README graph was ~2,700 px wide and shrank to 7 px labels."""
    at = sandbox()
    d = dot(at)
    assert "graph [rankdir=TB," in d and "rankdir=LR" not in d and "cluster_legend" not in d
    assert "g = 24.7041" in d and d.count("doubleoctagon") == 1  # the graph itself is intact


def test_a_division_by_zero_is_named_as_typed():
    at = sandbox()
    at.text_area(key="s_text").set_value("a / (b - b)").run()
    note = warnings(at)
    assert note.startswith("Division by zero: in `a / (b - b)`, `b - b` is 0;") and not at.exception
    assert "**" not in note and "Overflow" not in note and "Change the variables so that `b - b` is not 0" in note
    at.text_area(key="s_text").set_value("a / 0").run()
    assert warnings(at).startswith("Division by zero: `a / 0` divides by 0;")


def test_a_log_of_a_negative_number_has_one_pair_of_brackets():
    at = sandbox()
    at.text_area(key="s_text").set_value("(a - 20).log()").run()
    at.number_input(key="s_var_a").set_value(10.0).run()
    note = warnings(at)
    assert "Not a number: log(-10) has no real value" in note and "((" not in note


def test_the_legend_names_what_the_sandbox_graph_shows():
    at = sandbox()
    d = dot(at)
    caption = next(c.value for c in at.caption if "double octagon" in c.value)
    assert "d output / d node" in caption and "d loss" not in caption and "green boxes" not in caption
    assert "d loss" not in d and not any(f'label="{k}"' in d for k in KINDS)  # no legend of label, param, loss
    for words in ("your variables", "dotted boxes", "ellipses operations", "the double octagon the output"):
        assert words in caption


def test_an_expression_typed_over_a_preset_is_the_users_own():
    at = sandbox()
    assert at.selectbox(key="s_preset").value == "micrograd README"
    at.text_area(key="s_text").set_value("a * b").run()
    assert at.selectbox(key="s_preset").value == "(your own)"  # it kept naming the preset it no longer showed
    at.selectbox(key="s_preset").set_value("micrograd README").run()
    from micrograd.studio import sandbox as S

    assert at.text_area(key="s_text").value == S.PRESETS["micrograd README"][0]  # choosing it again loads it
    assert at.selectbox(key="s_preset").value == "micrograd README"


def test_the_gradient_table_writes_inf_and_nan_as_such():
    """QA: for a / 0 the table read "Infinity" and "None" (the grid's words for inf and nan)."""
    import pyarrow as pa

    at = sandbox()
    at.text_area(key="s_text").set_value("a / b").run()
    at.number_input(key="s_var_b").set_value(0.0).run()
    assert not at.exception
    shown = pa.ipc.open_stream(at.dataframe[0].proto.arrow_data.styler.display_values).read_all().to_pandas()
    cells = shown[["autograd", "central difference", "|difference|"]].to_numpy().ravel().tolist()
    assert "inf" in cells and "nan" in cells and not {"None", "Infinity", "NaN"} & set(cells), cells
    assert shown["name"].tolist() == ["a", "b"] and shown["value"].tolist()[1] == "0"


def test_an_expression_without_variables_shows_its_value_and_says_there_is_no_gradient():
    """QA: `2 ** 0.5` drew its value, then a KeyError from the empty gradient table ("Press Reset")."""
    at = sandbox()
    at.text_area(key="s_text").set_value("2 ** 0.5").run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert at.metric[0].value.startswith("1.414"), at.metric[0].value
    assert any("no variables" in i.value for i in at.info), [i.value for i in at.info]
    assert not at.dataframe  # no table of nothing
    at.text_area(key="s_text").set_value("a ** 0.5").run()  # a name brings the table back
    assert not at.error and len(at.dataframe) == 1
