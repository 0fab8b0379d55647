"""The Sandbox's expression and values travel in the link: a reload or a shared link shows them (they were lost)."""

import pytest

from micrograd.studio import sandbox
from micrograd.studio.sandbox_link import MAX_VALUES, link_params, read_link
from tests.test_pages_graph import page as open_page

TEXT = "c = a * b\nc.tanh() + a"


def test_a_link_reads_back_what_it_was_written_from():
    params = link_params(TEXT, {"a": 2.0, "b": -0.125})
    assert params == {"expr": TEXT, "vals": "a:2;b:-0.125"}
    assert read_link(params["expr"], params["vals"]) == (TEXT, {"a": 2.0, "b": -0.125}, [])
    assert read_link(None, None) == (None, {}, [])


@pytest.mark.parametrize("vals", ["a:nan", "a:1e999", "a:__import__('os')", "1a:2", "a=2", "a:"])
def test_a_value_that_is_not_a_name_and_a_finite_number_is_refused_with_a_warning(vals):
    text, values, warnings = read_link("a + 1", f"{vals};b:3")
    assert text == "a + 1" and values == {"b": 3.0}
    assert len(warnings) == 1 and "not name:number pairs" in warnings[0] and "start at 1" in warnings[0]


def test_a_link_cannot_bring_more_than_the_sandbox_takes():
    long = "a + " * sandbox.MAX_CHARS + "a"
    text, _, warnings = read_link(long, None)
    assert text is None and f"at most {sandbox.MAX_CHARS}" in warnings[0]
    many = ";".join(f"v{k}:{k}" for k in range(10 * MAX_VALUES))
    _, values, _ = read_link("v0", many)
    assert len(values) == MAX_VALUES


def page(**params: str):
    """The Sandbox page of a fresh session opened with these query parameters."""
    return open_page("sandbox", **params)


def test_the_page_shows_a_links_expression_and_values_and_writes_edits_back():
    at = page(expr=TEXT, vals="a:2;b:-0.5")
    assert at.text_area(key="s_text").value == TEXT and at.selectbox(key="s_preset").value == "(your own)"
    assert at.number_input(key="s_var_a").value == 2.0 and at.number_input(key="s_var_b").value == -0.5
    assert at.metric[0].value == f"{sandbox.parse(TEXT, {'a': 2.0, 'b': -0.5}).data:.4f}"
    at.text_area(key="s_text").input("a ** 2").run()
    at.number_input(key="s_var_a").set_value(3.0).run()
    assert at.query_params["expr"] == "a ** 2" and at.query_params["vals"] == "a:3"
    assert not at.warning


def test_a_link_to_a_preset_names_it_and_a_bad_link_says_why_and_shows_the_preset():
    name, (text, _) = next(iter(sandbox.PRESETS.items()))
    assert page(expr=text).selectbox(key="s_preset").value == name
    at = page(expr="<b>x</b>" * 100, vals="a:[1]")
    assert at.selectbox(key="s_preset").value == "micrograd README"
    said = [w.value for w in at.warning]
    assert any("at most 500" in w for w in said) and any("number pairs; those variables" in w for w in said)
    assert all("<b>" not in w for w in said)  # the link's text is escaped, never markup


def test_a_links_variables_it_does_not_give_start_at_1_as_its_warning_says():
    """QA: the warning said 1 while the boxes showed the README preset's -4 and 2 (and the link then carried them)."""
    at = page(expr="a*b", vals="a:abc")
    assert at.number_input(key="s_var_a").value == 1.0 and at.number_input(key="s_var_b").value == 1.0
    assert at.metric[0].value == "1.0000" and at.query_params["vals"] == "a:1;b:1"
    assert any("start at 1" in w.value for w in at.warning)


def test_more_values_than_the_sandbox_takes_are_said_as_such_not_as_bad_pairs():
    many = ";".join(f"v{k}:{k}" for k in range(25))
    _, values, warnings = read_link("v0", many)
    assert len(values) == MAX_VALUES and warnings == [
        f"The link gives 25 variable values; the Sandbox takes the first {MAX_VALUES}, the others start at 1."
    ]


def test_a_huge_output_is_shown_short():
    at = page(expr="a*b", vals="a:1e300;b:2")
    assert at.metric[0].value == "2.000e+300"
    (chart,) = at.get("graphviz_chart")
    assert "output = 2.000e+300" in chart.proto.spec
