"""The expression sandbox: parse a user's formula into Values through a whitelist of syntax, never running it.

The text goes through ``ast.parse`` only; a checker walks the whole tree and rejects anything outside the
whitelist before a single Value is built, so names, calls and attributes can never reach Python itself.
"""

from __future__ import annotations

import ast
import keyword
import math
from collections.abc import Iterable, Mapping
from numbers import Real
from typing import cast

from micrograd.engine import Value, topological_order
from micrograd.gradcheck import central_difference
from micrograd.studio.text import is_number

METHODS = ("exp", "log", "tanh", "relu", "sigmoid", "softplus")
MAX_CHARS = 500
MAX_DEPTH = 200  # 500 characters bound the input anyway; a flat 100-term sum must still pass
MAX_EXPONENT = 100.0
_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_FORBIDDEN = {  # node type -> how to name it in a message
    ast.Lambda: "lambda",
    ast.ListComp: "comprehensions",
    ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Subscript: "indexing with [ ]",
    ast.Slice: "slices",
    ast.NamedExpr: "the walrus operator :=",
    ast.IfExp: "conditional expressions (x if c else y)",
    ast.Compare: "comparisons",
    ast.BoolOp: "and / or",
    ast.JoinedStr: "f-strings",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Dict: "dicts",
    ast.Set: "sets",
    ast.Starred: "* unpacking",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_ALLOWED = "numbers, the variables, + - * / **, unary minus, parentheses and the methods " + ", ".join(METHODS)

PRESETS: dict[str, tuple[str, dict[str, float]]] = {
    "micrograd README": (
        "c = a + b\n"
        "d = a * b + b**3\n"
        "c2 = c + c + 1\n"
        "c3 = c2 + 1 + c2 + (-a)\n"
        "d2 = d + d * 2 + (b + a).relu()\n"
        "d3 = d2 + 3 * d2 + (b - a).relu()\n"
        "e = c3 - d3\n"
        "f = e**2\n"
        "g = f / 2.0 + 10.0 / f\n"
        "g",
        {"a": -4.0, "b": 2.0},
    ),
    "product plus tanh": ("a*b + c.tanh()", {"a": 2.0, "b": -3.0, "c": 0.5}),
    "relu of a square": ("(x**2 + y).relu()", {"x": 1.5, "y": -1.0}),
    "exp of a difference": ("(a - b).exp() / 2", {"a": 1.0, "b": 0.5}),
    "a single neuron": (
        "(w1*x1 + w2*x2 + b).tanh()",
        {"w1": -3.0, "x1": 2.0, "w2": 1.0, "x2": 0.0, "b": 6.8813735870195432},
    ),  # the lecture's b: tanh output 0.7071, grads ±1.5, 0.5
}


Divisions = dict[Value, tuple[str, str]]
"""Each division's inverse node b**-1 (micrograd computes a / b as a * b**-1) -> (the division, its divisor) as typed."""


class ExpressionError(ValueError):
    """A sandbox expression that is not allowed or cannot be parsed; col (1-based) points at the problem."""

    def __init__(self, message: str, col: int = 0, line: int = 1) -> None:
        super().__init__(message)
        self.message, self.col, self.line = message, col, line


class _Checker:
    """Walks a parsed program and raises ExpressionError at the first node outside the whitelist."""

    def __init__(self, variables: Iterable[str], source: str = "") -> None:
        self.variables = sorted(variables)
        self.names = set(self.variables)
        self.lines = [s.encode() for s in source.split("\n")]  # ast offsets count UTF-8 bytes

    def fail(self, node: ast.AST, message: str, offset: int | None = None, line: int | None = None) -> ExpressionError:
        """An error whose message says where: {at} in message becomes "column N" (or "line L, column N")."""
        lineno: int = line if line else getattr(node, "lineno", 1)
        start: int = getattr(node, "col_offset", 0) if offset is None else offset
        src = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else b""
        col = len(src[:start].decode("utf-8", "ignore")) + 1
        at = f"line {lineno}, column {col}" if len(self.lines) > 1 else f"column {col}"
        return ExpressionError(message.replace("{at}", at), col, lineno)

    def after(self, node: ast.expr, skip: bytes) -> tuple[int, int]:
        """(byte offset, line) of the first character after node that is not in skip: an operator or a dot."""
        line = node.end_lineno or 1
        src = self.lines[line - 1] if 0 < line <= len(self.lines) else b""
        i = node.end_col_offset or 0
        while i < len(src) and src[i : i + 1] in skip:
            i += 1
        return i, line

    def constant_exponent(self, node: ast.expr) -> float | None:
        """The exponent's value if it is a (signed) number literal, else None."""
        sign = 1.0
        while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            sign, node = (-sign if isinstance(node.op, ast.USub) else sign), node.operand
        return sign * self.number(node) if isinstance(node, ast.Constant) else None

    def number(self, node: ast.Constant) -> float:
        v = node.value
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            kind = {bool: "True/False", str: "strings", bytes: "bytes", complex: "complex numbers"}.get(
                type(v), repr(v)
            )
            raise self.fail(node, f"{kind} at {{at}} are not allowed; use plain numbers")
        x = float(v) if isinstance(v, float) or abs(v) < 2**1000 else math.inf
        if not math.isfinite(x):
            raise self.fail(node, "the number at {at} is too large for a float")
        return x

    def check(self, node: ast.AST, depth: int = 0) -> None:
        if depth > MAX_DEPTH:
            raise self.fail(node, f"the expression is nested too deeply at {{at}} (more than {MAX_DEPTH} levels)")
        d = depth + 1
        if isinstance(node, ast.Constant):
            self.number(node)
        elif isinstance(node, ast.Name):
            if node.id not in self.names:
                known = ", ".join(self.variables) or "none defined"
                raise self.fail(node, f"unknown name {node.id!r} at {{at}}; variables are {known}")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _OPS:
                i, line = self.after(node.left, b" \t)")
                op = self.lines[line - 1][i : i + 2].decode("utf-8", "ignore").strip()
                raise self.fail(node, f"the operator {op} at {{at}} is not allowed; use + - * / **", i, line)
            if isinstance(node.op, ast.Pow):
                e = self.constant_exponent(node.right)
                if e is not None and abs(e) > MAX_EXPONENT:
                    raise self.fail(
                        node.right, f"the exponent at {{at}} is too large; keep |exponent| <= {MAX_EXPONENT:g}"
                    )
            self.check(node.left, d)
            self.check(node.right, d)
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, (ast.USub, ast.UAdd)):
                raise self.fail(node, "only unary - and + are allowed (at {at})")
            self.check(node.operand, d)
        elif isinstance(node, ast.Call):
            self.check_call(node, d)
        elif isinstance(node, ast.Attribute):
            self.check(node.value, d)  # report problems in reading order, receiver first
            i, line = self.after(node.value, b" \t)")
            if node.attr in METHODS:
                raise self.fail(node, f".{node.attr} at {{at}} must be called: write x.{node.attr}()", i, line)
            raise self.fail(node, f"attribute .{node.attr} at {{at}} is not allowed; {self.methods_hint()}", i, line)
        else:
            what = _FORBIDDEN.get(type(node), type(node).__name__)
            raise self.fail(node, f"{what} ({{at}}) not allowed; use only {_ALLOWED}")

    def methods_hint(self) -> str:
        return f"only the methods {', '.join(METHODS)} may be called, as in x.tanh()"

    def check_call(self, node: ast.Call, depth: int) -> None:
        f = node.func
        if isinstance(f, ast.Attribute):
            self.check(f.value, depth)  # report problems in reading order, receiver first
        else:
            name = f"{f.id!r} " if isinstance(f, ast.Name) else ""
            raise self.fail(node, f"calling functions ({name}at {{at}}) is not allowed; {self.methods_hint()}")
        if f.attr not in METHODS:
            i, line = self.after(f.value, b" \t)")
            raise self.fail(f, f"method .{f.attr}() at {{at}} is not allowed; {self.methods_hint()}", i, line)
        if node.args or node.keywords:
            raise self.fail(node, f".{f.attr}() at {{at}} takes no arguments")

    def program(self, tree: ast.Module) -> list[tuple[str | None, ast.expr]]:
        """Check every statement: ``name = expr`` lines to new names, then one final expression."""
        if not tree.body:
            raise ExpressionError("the expression is empty; type one, e.g. a*b + c.tanh()", 1)
        steps: list[tuple[str | None, ast.expr]] = []
        for i, st in enumerate(tree.body):
            last = i == len(tree.body) - 1
            if isinstance(st, ast.Expr) and last:
                self.check(st.value)
                steps.append((None, st.value))
            elif isinstance(st, ast.Assign) and not last:
                if len(st.targets) != 1 or not isinstance(st.targets[0], ast.Name):
                    raise self.fail(st, "line at {at}: assign to one plain name, as in c = a + b")
                name = st.targets[0].id
                if name in self.names:
                    raise self.fail(st, f"{name!r} at {{at}} is already defined; assign to a new name")
                self.check(st.value)
                self.names.add(name)
                self.variables.append(name)
                steps.append((name, st.value))
            elif isinstance(st, ast.AugAssign):
                raise self.fail(st, "augmented assignment (+= etc.) at {at} is not allowed; write c2 = c + 1")
            elif isinstance(st, (ast.Assign, ast.Expr)):
                raise self.fail(st, "the last line must be an expression (the value to differentiate), e.g. g")
            else:
                what = "import" if isinstance(st, (ast.Import, ast.ImportFrom)) else type(st).__name__
                raise self.fail(st, f"{what} statement at {{at}} is not allowed; write name = expression lines")
        return steps


def _check_variables(variables: Mapping[str, float]) -> dict[str, float]:
    if not isinstance(variables, Mapping):
        raise ExpressionError(f"variables must be a dict of name -> number, got {type(variables).__name__}")
    out: dict[str, float] = {}
    for name, v in variables.items():
        if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            raise ExpressionError(f"variable name {name!r} must be a plain identifier such as a or x1")
        if isinstance(v, bool) or not isinstance(v, Real) or not math.isfinite(v):
            raise ExpressionError(f"variable {name} must be a finite number, got {v!r}")
        out[name] = float(v)
    return out


def names(text: str) -> list[str]:
    """Free variable names of the text in order of appearance ([] when it does not parse); nothing is evaluated."""
    try:
        tree = ast.parse(text.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    assigned: set[str] = set()
    found: list[str] = []
    for stmt in tree.body:
        called = {id(n.func) for n in ast.walk(stmt) if isinstance(n, ast.Call)}
        for n in ast.walk(stmt):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in called:
                if n.id not in assigned and n.id not in found and not n.id.startswith("_"):
                    found.append(n.id)
        if isinstance(stmt, ast.Assign):
            assigned |= {t.id for t in stmt.targets if isinstance(t, ast.Name)}
    return found


def check(text: str, names: Iterable[str]) -> list[tuple[str | None, ast.expr]]:
    """Parse text and check it against the whitelist; return the checked steps (nothing is evaluated)."""
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be text, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ExpressionError(f"the expression has {len(text)} characters; the limit is {MAX_CHARS}", MAX_CHARS + 1)
    if not text.strip():
        raise ExpressionError("the expression is empty; type one, e.g. a*b + c.tanh()", 1)
    text = text.strip()
    multiline = "\n" in text
    try:
        tree = ast.parse(text, mode="exec")  # exec mode only to allow `name = expr` lines; nothing runs
    except SyntaxError as e:
        col = e.offset or 1
        at = f"line {e.lineno}, column {col}" if multiline else f"column {col}"
        raise ExpressionError(f"syntax error at {at}: {e.msg}", col, e.lineno or 1) from None
    except (RecursionError, MemoryError, ValueError) as e:  # pathological input that the parser itself rejects
        raise ExpressionError(f"the expression cannot be parsed: {e}", 1) from None
    return _Checker(names, text).program(tree)


def _build(node: ast.expr, env: dict[str, Value], divisions: Divisions | None = None) -> Value:
    """Turn a checked expression into Values; only whitelisted node types can reach here.

    divisions, when given, gets each division's inverse node, so a note can name a zero divisor as it was typed.
    """
    # The casts below name what _Checker admitted, which mypy can't see: int/float constants, calls of a method
    # attribute, and otherwise a binary operation.
    if isinstance(node, ast.Constant):
        return Value(float(cast(int | float, node.value)))
    if isinstance(node, ast.Name):
        return env[node.id]
    if isinstance(node, ast.UnaryOp):
        v = _build(node.operand, env, divisions)
        return -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.Call):
        method = cast(ast.Attribute, node.func)
        return getattr(_build(method.value, env, divisions), method.attr)()
    node = cast(ast.BinOp, node)
    left = _build(node.left, env, divisions)
    if isinstance(node.op, ast.Pow):
        e = _Checker(()).constant_exponent(node.right)
        if e is not None:  # a number exponent makes one `**k` node instead of a leaf and a general power
            return left**e
    right = _build(node.right, env, divisions)
    op = _OPS[type(node.op)]
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if op == "/":  # what Value.__truediv__ builds, with the inverse node kept for the notes
        inverse = right**-1.0
        if divisions is not None:
            divisions[inverse] = (ast.unparse(node), ast.unparse(node.right))
        return left * inverse
    return left**right


def _run(
    steps: list[tuple[str | None, ast.expr]], values: dict[str, float], divisions: Divisions | None = None
) -> tuple[Value, dict[str, Value]]:
    leaves = {k: Value(v, label=k) for k, v in values.items()}  # one shared leaf per variable
    env = dict(leaves)
    for name, expr in steps:
        v = _build(expr, env, divisions)
        if name is not None:
            if v in leaves.values() or not v.children:
                v = v + 0.0  # an alias like `c = a` gets its own node, so relabelling never renames a variable
            v.label = name
            env[name] = v
        else:
            return v, leaves
    raise AssertionError("checked programs end with an expression")


def parse(text: str, variables: Mapping[str, float]) -> Value:
    """Build the expression's graph from text; each variable is one shared leaf Value labelled with its name."""
    values = _check_variables(variables)
    root, _ = _run(check(text, values), values)
    return root


def _describe(v: Value) -> str:
    """A node as the user would read it: `name` for a labelled one, else its op on its inputs' values."""
    if v.label:
        return f"`{v.label}`"
    ins = [f"({c.data:g})" if c.data < 0 else f"{c.data:g}" for c in v.children]
    if v.op.startswith("**") and len(ins) == 1:
        return f"{ins[0]} ** {float(v.op[2:]):g}"
    if len(ins) == 2:
        return f"{ins[0]} {v.op} {ins[1]}"
    return f"{v.op}({', '.join(f'{c.data:g}' for c in v.children)})"  # a function's brackets are enough: log(-10)


def _division_note(v: Value, division: str, divisor: str) -> str:
    """The note for a division whose inverse node v is not finite, in the terms the user typed."""
    d = v.children[0].data
    then = "the output and the gradients that depend on it are inf or nan."
    if d == 0:
        if is_number(divisor):
            return f"Division by zero: `{division}` divides by 0; {then} Divide by a number other than 0."
        return (
            f"Division by zero: in `{division}`, `{divisor}` is 0; {then} "
            f"Change the variables so that `{divisor}` is not 0."
        )
    return (
        f"Overflow: in `{division}`, `{divisor}` is {d:g}, so close to 0 that dividing by it goes beyond the largest "
        f"float (about 1.8e308); {then} Keep `{divisor}` further from 0."
    )


def overflow_note(root: Value, divisions: Mapping[Value, tuple[str, str]] | None = None) -> str:
    """A sentence when some value or gradient in root's graph is inf or nan ("" when all are finite).

    The first such node (all of its inputs finite) is named, since everything built on it inherits the inf or nan.
    Call it after root.backward() to check the gradients too. divisions (as evaluate fills it) lets a division by
    zero be named as the user typed it, not as the power b ** -1 that micrograd computes it with.
    """
    nodes = topological_order(root)
    divisions = divisions or {}
    for v in nodes:
        if not math.isfinite(v.data):
            if v in divisions:
                return _division_note(v, *divisions[v])
            what = f"{_describe(v)} is {v.data}" if v.label else f"{_describe(v)} = {v.data}"
            if v.op == "log" and v.children[0].data == 0:  # not an overflow: log falls without bound towards 0
                arg = f"the argument of `{v.label}`" if v.label else "its argument"
                return (
                    f"Logarithm of zero: {what}, since log(x) falls without bound as x nears 0; the output and the "
                    f"gradients that depend on it are inf or nan. Keep {arg} above 0."
                )
            if math.isinf(v.data):
                return (
                    f"Overflow: {what}, beyond the largest float (about 1.8e308); the output and the gradients "
                    "that depend on it are inf or nan. Use smaller numbers or exponents."
                )
            return (
                f"Not a number: {_describe(v)} has no real value (nan); so are the output and the gradients after it."
            )
    for v in reversed(nodes):  # gradients flow from the output down: the first bad one is the origin
        if not math.isfinite(v.grad):
            power = next((p for p in nodes if p.op == "**" and p.children[1] is v and p.children[0].data <= 0), None)
            if power is not None and math.isnan(v.grad):  # d (a ** b) / d b = a ** b * ln(a): no real ln(a) for a <= 0
                base = power.children[0].data
                return (
                    f"No real gradient: d output / d {_describe(v)} is nan, though every value is finite. A power's "
                    f"gradient with respect to its exponent is base ** exponent · ln(base), and ln({base:g}) has no "
                    "real value. Keep the base above 0, or make the exponent a number rather than a variable."
                )
            return (
                f"Overflow: the gradient d output / d {_describe(v)} is {v.grad}, though every value is finite; "
                "the gradients below it are inf or nan. Use smaller numbers or exponents."
            )
    return ""


def evaluate(
    text: str, variables: Mapping[str, float], eps: float = 1e-6, divisions: Divisions | None = None
) -> tuple[Value, list[dict]]:
    """Check the text once, build its graph once and backprop it: (root, gradient table as gradient_table gives).

    The central differences re-run the checked program on shifted inputs; nothing is checked or built twice.
    divisions, when given, is filled for overflow_note: each division's inverse node -> (division, divisor) as typed.
    """
    values = _check_variables(variables)
    steps = check(text, values)
    root, leaves = _run(steps, values, divisions)
    root.backward()
    names = list(values)

    def f(*xs: float) -> float:
        return _run(steps, dict(zip(names, xs)))[0].data

    rows = []
    for i, name in enumerate(names):
        numeric = central_difference(f, *values.values(), arg=i, eps=eps)
        auto = leaves[name].grad
        rows.append(
            {"name": name, "value": values[name], "grad": auto, "numeric": numeric, "abs_diff": abs(auto - numeric)}
        )
    return root, rows


def gradient_table(text: str, variables: Mapping[str, float], eps: float = 1e-6) -> list[dict]:
    """Per variable: name, value, autograd gradient, central-difference gradient, absolute difference."""
    return evaluate(text, variables, eps)[1]
