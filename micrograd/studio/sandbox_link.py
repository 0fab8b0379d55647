"""The Sandbox in a link: its expression (``expr``) and variable values (``vals=a:2;b:-3``), read back as text only.

Nothing from a link is run: the expression goes to the text box and through micrograd.studio.sandbox's whitelist
like typed text; a value must read as a finite number.
"""

from __future__ import annotations

from micrograd.studio.sandbox import MAX_CHARS
from micrograd.studio.text import is_number

MAX_VALUES = 20  # the Sandbox takes at most this many variables


def link_params(text: str, values: dict[str, float]) -> dict[str, str]:
    """Query parameters for an expression and its variables' values."""
    return {"expr": text, "vals": ";".join(f"{name}:{value:.10g}" for name, value in values.items())}


def read_link(expr: str | None, vals: str | None) -> tuple[str | None, dict[str, float], list[str]]:
    """(the expression or None, variable values, warnings) from a link's ``expr`` and ``vals``."""
    warnings: list[str] = []
    text = None
    if expr is not None:
        if len(expr) > MAX_CHARS:
            warnings.append(
                f"The link's expression has {len(expr):,} characters; the Sandbox takes at most {MAX_CHARS}. "
                "Showing a preset instead."
            )
        else:
            text = expr
    values: dict[str, float] = {}
    bad: list[str] = []
    items = [item for item in (vals or "").split(";") if item]
    for item in items[:MAX_VALUES]:
        name, sep, number = item.partition(":")
        if sep and name.isidentifier() and is_number(number):
            values[name] = float(number)
        else:
            bad.append(item)
    if bad:
        shown = ", ".join(repr(b[:40]) for b in bad[:3])
        warnings.append(f"The link's variable values {shown} are not name:number pairs; those variables start at 1.")
    if len(items) > MAX_VALUES:
        warnings.append(
            f"The link gives {len(items):,} variable values; the Sandbox takes the first {MAX_VALUES}, the others "
            "start at 1."
        )
    return text, values, warnings
