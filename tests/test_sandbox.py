"""The expression sandbox: a whitelist that runs nothing it rejects, and gradients that match central differences."""

from __future__ import annotations

import ast
import builtins
import math
import os
import re
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd.engine import Value
from micrograd.studio import sandbox as S
from micrograd.views.graph import sandbox_dot
from tests.strategies import micrograd_readme

VARS = {"a": 1.5, "b": -2.0, "c": 0.5}


@pytest.fixture
def canary(monkeypatch, tmp_path):
    """Trip wires: os.system, subprocess, open, eval/exec and non-AST compile all record instead of running."""
    calls: list[str] = []

    def trip(name):
        def f(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} was called")

        return f

    real_compile = builtins.compile

    def ast_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            calls.append("compile")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    for mod, name in [(os, "system"), (os, "popen"), (subprocess, "Popen"), (builtins, "eval"), (builtins, "exec")]:
        monkeypatch.setattr(mod, name, trip(name))
    monkeypatch.setattr(builtins, "compile", ast_only_compile)
    monkeypatch.chdir(tmp_path)
    return calls, tmp_path


MALICIOUS = [
    ("__import__('os').system('touch /tmp/x')", "calling functions ('__import__' at column 1)"),
    ("__import__('os')", "calling functions"),
    ("os", "unknown name 'os' at column 1; variables are a, b, c"),
    ("a + os.system", "unknown name 'os' at column 5"),
    ("a.__class__", "attribute .__class__ at column 2"),
    ("a.__class__.__subclasses__()", "attribute .__class__ at column 2"),
    ("a.tanh().__subclasses__()", "method .__subclasses__() at column 9"),
    ("a.data", "attribute .data at column 2"),
    ("(a + b).backward()", "method .backward() at column 8"),
    ("a.exp.__globals__", ".exp at column 2 must be called"),
    ("a.exp().__globals__", "attribute .__globals__ at column 8"),
    ("a.exp", "must be called"),
    ("a.exp(1)", "takes no arguments"),
    ("a.tanh(x=1)", "takes no arguments"),
    ("exp(a)", "calling functions ('exp' at column 1)"),
    ("lambda: a", "lambda (column 1) not allowed"),
    ("(lambda: 0)()", "calling functions"),
    ("[a for a in b]", "comprehensions (column 1)"),
    ("(x for x in a)", "generator expressions"),
    ("a[0]", "indexing"),
    ("'rm -rf'", "strings at column 1"),
    ("b'x'", "bytes"),
    ("f'{a}'", "f-strings"),
    ("(y := a)", "walrus"),
    ("a if b else c", "conditional expressions"),
    ("a < b", "comparisons (column 1)"),
    ("a and b", "and / or"),
    ("not a", "only unary - and +"),
    ("a % b", "the operator % at column 3"),
    ("a // b", "the operator // at column 3"),
    ("a ** 1000", "the exponent at column 6 is too large"),
    ("a ** -101", "too large"),
    ("True * a", "True/False"),
    ("1j * a", "complex numbers"),
    ("1e400 * a", "too large for a float"),
    ("9" * 400, "too large for a float"),
    ("-" * 250 + "a", "nested too deeply"),
    ("a" + " + a" * 130, "the limit is 500"),
    ("", "empty"),
    ("  \n ", "empty"),
    ("a +", "syntax error at column 4"),
    ("a +* b", "syntax error at column"),
    ("import os\na", "import statement at line 1, column 1"),
    ("a += 1\na", "augmented assignment"),
    ("a = 2\na", "'a' at line 1, column 1 is already defined"),
    ("c2 = a\nc2 = b\nc2", "'c2' at line 2, column 1 is already defined"),
    ("x.y = a\na", "assign to one plain name"),
    ("d = a + b", "the last line must be an expression"),
    ("a\nb", "the last line must be an expression"),
    ("d = os.getcwd()\nd", "line 1"),
    ("(a, b)", "tuples"),
    ("{a: b}", "dicts"),
    ("a @ b", "the operator @"),
]


@pytest.mark.parametrize(("text", "message"), MALICIOUS)
def test_malicious_input_rejected_and_nothing_runs(canary, text, message):
    calls, tmp = canary
    with pytest.raises(S.ExpressionError) as e:
        S.parse(text, VARS)
    assert message in str(e.value)
    assert e.value.col >= 1
    assert calls == [] and list(tmp.iterdir()) == []


def test_touch_payload_creates_no_file(canary, tmp_path):
    target = tmp_path / "pwned"
    for text in [
        f"__import__('os').system('touch {target}')",
        f"a.__class__.__init__.__globals__['os'].system('touch {target}')",
    ]:
        with pytest.raises(S.ExpressionError):
            S.parse(text, VARS)
    assert not target.exists() and canary[0] == []
    existed = os.path.exists("/tmp/x")
    with pytest.raises(S.ExpressionError):
        S.parse("__import__('os').system('touch /tmp/x')", VARS)
    assert os.path.exists("/tmp/x") == existed and canary[0] == []


def test_nothing_is_built_until_the_whole_text_passes(monkeypatch):
    built = []
    monkeypatch.setattr(S, "_build", lambda *a: built.append(a))
    with pytest.raises(S.ExpressionError, match="line 2"):
        S.parse("d = a + b\ne = d.__class__\ne", VARS)
    assert built == []


def test_errors_point_at_the_column():
    with pytest.raises(S.ExpressionError) as e:
        S.parse("a * b + zz", VARS)
    assert e.value.col == 9 and "unknown name 'zz' at column 9" in e.value.message
    with pytest.raises(S.ExpressionError) as e:
        S.parse("c2 = a\nc3 = c2 * q\nc3", VARS)
    assert (e.value.line, e.value.col) == (2, 11) and "line 2, column 11" in str(e.value)


def test_bad_variables():
    with pytest.raises(S.ExpressionError, match="plain identifier"):
        S.parse("a", {"__class__": 1.0})
    with pytest.raises(S.ExpressionError, match="finite number"):
        S.parse("a", {"a": float("nan")})
    with pytest.raises(S.ExpressionError, match="finite number"):
        S.parse("a", {"a": "1"})


def test_variables_are_shared_labelled_leaves():
    root = S.parse("a * a + a.exp() - b", VARS)
    root.backward()
    leaves = {v.label: v for v in _nodes(root) if not v.children and v.label}
    assert set(leaves) == {"a", "b"}
    assert math.isclose(leaves["a"].grad, 2 * 1.5 + math.exp(1.5)) and leaves["b"].grad == -1.0


def _nodes(root: Value) -> list[Value]:
    from micrograd.engine import topological_order

    return topological_order(root)


def test_readme_preset():
    text, values = S.PRESETS["micrograd README"]
    g = S.parse(text, values)
    g.backward()
    leaves = {v.label: v for v in _nodes(g) if v.label in values}
    assert f"{g.data:.4f}" == "24.7041"
    assert f"{leaves['a'].grad:.4f}" == "138.8338"
    assert f"{leaves['b'].grad:.4f}" == "645.5773"
    assert values == {"a": -4.0, "b": 2.0}
    assert g.label == "g" and {"c", "d", "e", "f"} <= {v.label for v in _nodes(g)}


def test_readme_preset_matches_the_original_program():
    """The README's own statements (with +=) on Values give the same numbers as the one-name-per-line rewrite."""
    a, b, _ = micrograd_readme()
    rows = {r["name"]: r for r in S.gradient_table(*S.PRESETS["micrograd README"])}
    assert math.isclose(rows["a"]["grad"], a.grad, rel_tol=1e-12) and math.isclose(
        rows["b"]["grad"], b.grad, rel_tol=1e-12
    )


@pytest.mark.parametrize("name", sorted(S.PRESETS))
def test_presets_gradients_match_central_differences(name):
    text, values = S.PRESETS[name]
    rows = S.gradient_table(text, values)
    assert [r["name"] for r in rows] == list(values)
    for r in rows:
        assert r["value"] == values[r["name"]]
        assert abs(r["grad"] - r["numeric"]) <= 1e-6 * max(1.0, abs(r["grad"])), r
        assert r["abs_diff"] == abs(r["grad"] - r["numeric"])


def test_preset_expressions_from_the_brief():
    texts = {t for t, _ in S.PRESETS.values()}
    assert {"a*b + c.tanh()", "(x**2 + y).relu()", "(a - b).exp() / 2", "(w1*x1 + w2*x2 + b).tanh()"} <= texts


SMOOTH = [
    "a*b + c.tanh()",
    "(a - b).exp() / 2",
    "a ** 3 - 2 * b ** -2 + c.sigmoid()",
    "(a * a + 1).log() * b.softplus()",
    "-a / (b * b + c) + +c",
    "2 ** a + a ** c",
    "d = a * b\ne = d.tanh() + d\n(e * c).exp()",
]


@settings(max_examples=25, deadline=None)
@given(
    text=st.sampled_from(SMOOTH),
    a=st.floats(0.2, 2.0),
    b=st.floats(-2.0, -0.2),
    c=st.floats(0.1, 1.5),
)
def test_gradients_equal_central_differences(text, a, b, c):
    rows = S.gradient_table(text, {"a": a, "b": b, "c": c})
    for r in rows:
        assert abs(r["grad"] - r["numeric"]) <= 1e-6 * max(1.0, abs(r["grad"])), (text, r)


def test_values_match_python_arithmetic():
    a, b, c = VARS.values()
    cases = {"a*b + c": a * b + c, "a - b - c": a - b - c, "a / b / c": a / b / c, "-a ** 2": -(a**2), "2 ** 3": 8.0}
    for text, want in cases.items():
        assert math.isclose(S.parse(text, VARS).data, want, rel_tol=1e-12), text


def test_exponent_expressions_stay_floats():
    """Only literal exponents are capped; computed ones are float math, so they overflow to inf, never hang."""
    assert S.parse("2 ** 9 ** 9", VARS).data == math.inf
    assert S.parse("a ** 100", VARS).data == 1.5**100


def test_constant_exponent_is_one_node():
    root = S.parse("a ** 2", VARS)
    assert root.op == "**2.0" and len(root.children) == 1


def test_sandbox_dot_draws_the_expression():
    root = S.parse("d = a * b\nd + c.tanh()", VARS)
    root.backward()
    dot = sandbox_dot(root, VARS)
    lines = {name: next(ln for ln in dot.splitlines() if f"<B>{name}" in ln) for name in ("a", "b", "c", "d")}
    want = {"a": -2.0, "b": 1.5, "c": 1 - math.tanh(0.5) ** 2, "d": 1.0}
    for name, g in want.items():
        assert f"grad {g:.4f}<" in lines[name], lines[name]
    assert all("rounded,filled" in lines[v] for v in "abc") and "rounded" not in lines["d"]


def dot_of(text: str, values: dict[str, float]) -> str:
    root = S.parse(text, values)
    root.backward()
    return sandbox_dot(root, values)


def node_names(dot: str) -> list[str]:
    return re.findall(r"^  (n[0-9a-f_]+) \[", dot, flags=re.M)  # not the "node [...]" defaults


def test_graphs_of_other_shapes_share_no_node_name():
    """The page re-renders one chart; d3-graphviz matches nodes by name and left a box matched to an ellipse shapeless."""
    readme = dot_of(*S.PRESETS["micrograd README"])
    small = dot_of("a*b + c.tanh()", VARS)
    other_op = dot_of("a*b + c.relu()", VARS)
    assert node_names(readme) and node_names(small) and node_names(other_op)
    assert not set(node_names(readme)) & set(node_names(small))
    assert not set(node_names(small)) & set(node_names(other_op))  # one op differs: a new shape


def test_a_graph_of_the_same_shape_keeps_its_node_names():
    """New values only: the same names, so the chart's nodes stay and only their numbers change."""
    one = dot_of("a*b + c.tanh()", VARS)
    two = dot_of("a*b + c.tanh()", {"a": 3.0, "b": 0.5, "c": -1.0})
    assert one != two and node_names(one) == node_names(two)
    names = set(node_names(one))
    assert re.search(r"^  n\w+ -> n\w+;", one, flags=re.M)  # edges use the same names
    assert all({src, dst} <= names for src, dst in re.findall(r"^  (n\w+) -> (n\w+);", one, flags=re.M))


def test_a_long_flat_sum_is_not_too_deep():
    root = S.parse("+".join(["a * b"] * 60), {"a": 2.0, "b": 3.0})  # 60 terms: a deep add chain, 479 characters
    root.backward()
    assert root.data == 360.0


def test_names_lists_free_variables_in_order_without_evaluating():
    assert S.names("c = a * b\nc.tanh() + d") == ["a", "b", "d"]  # c is assigned; tanh is a method
    assert S.names("__import__('os').system('x') + y") == ["y"]  # called names are not variables
    assert S.names("a +") == []  # does not parse: no names, nothing run


@pytest.mark.parametrize(
    ("text", "values", "words"),
    [
        ("a ** 10**10**10", {"a": 2.0}, "Overflow: 10 ** 1e+10 = inf"),
        ("(a**90).exp() * 0", {"a": 3.0}, "Overflow: exp("),
        ("c = a**100\nd = c*c*c*c\nd*0", {"a": 10.0}, "Overflow: `d` is inf"),
        ("a**0.5", {"a": -2.0}, "Not a number: (-2) ** 0.5"),
        ("(a * 1e300) * 1e300", {"a": 1e-300}, "the gradient d output / d `a` is inf"),
    ],
)
def test_an_overflow_anywhere_gets_a_note(text, values, words):
    root = S.parse(text, values)
    root.backward()
    assert words in S.overflow_note(root)


def test_the_log_of_zero_is_named_as_such_not_as_an_overflow():
    """QA: (a - a).log() said "Overflow: log(0) = -inf, beyond the largest float ... use smaller numbers"."""
    for text, arg in (("(a - a).log()", "its argument"), ("z = a - a\nq = z.log()\nq * 2", "the argument of `q`")):
        root = S.parse(text, {"a": 1.5})
        root.backward()
        note = S.overflow_note(root)
        assert note.startswith("Logarithm of zero: ") and "-inf" in note and f"Keep {arg} above 0." in note, note
        assert "Overflow" not in note and "smaller numbers" not in note


def test_the_single_neuron_preset_gives_the_lectures_gradients():
    """micrograd's lecture neuron: b = 6.8813735870195432 makes o = 0.7071 and the gradients exactly ±1.5 and 0.5."""
    text, values = S.PRESETS["a single neuron"]
    root, table = S.evaluate(text, values)
    grads = {row["name"]: row["grad"] for row in table}
    assert root.data == pytest.approx(math.sqrt(0.5), abs=1e-12)
    want = {"x1": -1.5, "w1": 1.0, "x2": 0.5, "w2": 0.0, "b": 0.5}
    assert grads == pytest.approx(want, abs=1e-12)


def test_finite_expressions_get_no_note():
    for text, values in S.PRESETS.values():
        root = S.parse(text, values)
        root.backward()
        assert S.overflow_note(root) == ""


def test_evaluate_checks_the_text_once_and_builds_one_graph(monkeypatch):
    checks, runs = [], []
    real_check, real_run = S.check, S._run
    monkeypatch.setattr(S, "check", lambda *a: checks.append(a) or real_check(*a))
    monkeypatch.setattr(S, "_run", lambda *a: runs.append(a) or real_run(*a))
    root, table = S.evaluate("c = a * b\nc + a", {"a": 2.0, "b": -3.0})
    assert len(checks) == 1 and root.data == -4.0
    assert len(runs) == 1 + 2 * 2  # the graph once, then two shifted runs per variable for central differences
    assert [r["grad"] for r in table] == [-2.0, 2.0] and all(r["abs_diff"] < 1e-6 for r in table)


@pytest.mark.parametrize(
    ("text", "values", "note"),
    [
        ("a / (b - b)", {"a": 1.0, "b": 2.0}, "Division by zero: in `a / (b - b)`, `b - b` is 0;"),
        ("(b-b) / (b-b)", {"b": 2.0}, "Division by zero: in `(b - b) / (b - b)`, `b - b` is 0;"),
        ("c = a*b\nd = 1 / c\nd", {"a": 0.0, "b": 2.0}, "Division by zero: in `1 / c`, `c` is 0;"),
        ("a / 0", {"a": 1.0}, "Division by zero: `a / 0` divides by 0; the output"),
        ("a / b", {"a": 1.0, "b": 1e-320}, "Overflow: in `a / b`, `b` is 9.99989e-321, so close to 0"),
    ],
)
def test_a_division_by_zero_is_named_as_typed(text, values, note):
    divisions: S.Divisions = {}
    root, _ = S.evaluate(text, values, divisions=divisions)
    said = S.overflow_note(root, divisions)
    assert said.startswith(note) and "**" not in said
    assert "Overflow: " in S.overflow_note(root)  # without divisions: micrograd's own b ** -1


def test_a_typed_power_keeps_its_own_words():
    divisions: S.Divisions = {}
    root, _ = S.evaluate("b ** -1", {"b": 0.0}, divisions=divisions)
    assert not divisions and S.overflow_note(root, divisions).startswith("Overflow: 0 ** -1 = inf")


def test_a_function_of_a_negative_number_has_one_pair_of_brackets():
    root = S.parse("(a - 20).log()", {"a": 10.0})
    root.backward()
    assert S.overflow_note(root).startswith("Not a number: log(-10) has no real value (nan)")


def test_a_negative_base_under_a_variable_exponent_is_named_not_called_an_overflow():
    """QA: a ** b at a = -4 said "Overflow ... use smaller numbers"; ln(-4) has no real value, nothing overflowed."""
    divisions: S.Divisions = {}
    root, table = S.evaluate("a ** b", {"a": -4.0, "b": 2.0}, divisions=divisions)
    assert root.data == 16.0 and math.isnan(table[1]["grad"]) and table[0]["grad"] == -8.0
    note = S.overflow_note(root, divisions)
    assert note.startswith("No real gradient") and "ln(-4)" in note and "Overflow" not in note
    root, _ = S.evaluate("a ** b", {"a": 4.0, "b": 2.0})
    assert S.overflow_note(root) == ""  # a positive base has a real gradient
