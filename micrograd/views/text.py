"""Escaping user text for each place it is shown: one function per output (see docs/security.md for every call site).

User text is anything a user or a file chose: URL parameters, CSV headers and label values, a weights file's
feature and class names, run names, tags and messages from the run store, file names. Our own sentences around it
keep their formatting; only the user's part goes through the escaper of the output it lands in.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

WJ = "\u2060"  # WORD JOINER: invisible, splits patterns that Streamlit matches in already-parsed text

# CommonMark lets a backslash escape any ASCII punctuation character, which then shows literally. These characters
# start inline Markdown anywhere in a line (emphasis, code, strikethrough, links and images, HTML and autolinks,
# entities, LaTeX, tables); escaping only them keeps ordinary sentences (quotes, dots, parentheses) byte for byte.
_MD_INLINE = re.compile(r"([\\`*~\[\]<>&$|])")
# "_" emphasises only at a word's edge; inside a word (test_fraction) it is inert and stays as typed
_MD_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# at the start of a block: headings, quotes, lists, thematic breaks, ordered lists ("1." / "1)")
_MD_BLOCK_START = re.compile(r"^(\s*)([#>+\-=]|\d+(?=[.)]))")
# Streamlit and remark-gfm also rewrite parsed *text*, after escapes are gone: bare URLs and e-mail addresses become
# links, ":name:" an emoji, icon or logo, ":name[...]" a directive, and " -> ", " -- ", " <= " ... arrows and dashes.
# A word joiner inside each trigger breaks those patterns without changing what the reader sees.
_MD_TEXT_TRIGGERS = (
    (re.compile(r"(?i)(https?(?=:)|www(?=\.))"), r"\1" + WJ),
    (re.compile(r":(?=\S)"), ":" + WJ),
    (re.compile(r"(?<=[-.\w+])@"), WJ + "@"),
    (re.compile(r"([-<>~=])(?=[-<>~=])"), r"\1" + WJ),
)
# bidirectional overrides and isolates reorder what follows them: shown as code points, never obeyed
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")


def _visible(ch: str) -> str:
    """A control or bidi character as its escape (\\x1b, \\u202e); anything else unchanged."""
    if ch in _BIDI or unicodedata.category(ch) == "Cc":
        code = ord(ch)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    return ch


def _one_line(text: object) -> str:
    """str(text) with line breaks, tabs and other control characters as single spaces."""
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in str(text))


def _escape_block_start(m: re.Match) -> str:
    lead, marker = m.group(1), m.group(2)
    return lead + (marker + "\\" if marker[0].isdigit() else "\\" + marker)  # "1\." but "\#"


def md(text: object) -> str:
    """User text for Streamlit Markdown (st.markdown/caption/info/warning/error/success/toast, widget labels, help
    tooltips, st.metric, st.radio and st.select_slider options, tab and expander labels, st.table cells): shown
    literally on one line, never as Markdown, LaTeX, directives, emoji, links or HTML."""
    s = _one_line(text)
    for pattern, repl in _MD_TEXT_TRIGGERS:
        s = pattern.sub(repl, s)
    s = _MD_INLINE.sub(r"\\\1", s)
    s = _MD_UNDERSCORE.sub(r"\\_", s)
    return _MD_BLOCK_START.sub(_escape_block_start, s)


def md_list(items: Iterable[object], sep: str = ", ") -> str:
    """Several user strings joined for Markdown (e.g. feature names), each escaped."""
    return sep.join(md(i) for i in items)


def plotly(text: object) -> str:
    """User text for plotly strings (trace names, axis and legend titles, tick labels, text, hovertext, annotations):
    plotly reads <br>, <b>, <a href=...> and entities in them, and typesets a string wrapped in $...$ with MathJax.
    Entities keep it literal (plotly decodes &lt; &gt; &amp; and numeric ones back for display); % would start a
    %{...} template field inside hovertemplate/texttemplate."""
    s = html.escape(_one_line(text), quote=False)
    return s.replace("$", "&#36;").replace("%", "&#37;")


def dot_html(text: object) -> str:
    """User text inside a Graphviz HTML-like label (<...>): entities for & < > " ', one line. Graphviz still reads
    \\N, \\G and \\E there (node name, graph name) and keeps \\\\ as two characters, so a word joiner follows each
    backslash (an entity would not help: entities are decoded first)."""
    return html.escape(_one_line(text), quote=True).replace("\\", "\\" + WJ)


def dot_string(text: object) -> str:
    """User text inside a Graphviz quoted string (label="..."): Graphviz decodes HTML entities there, then reads
    \\N, \\G, \\l, \\n ... escapes (where \\\\ is one backslash), and a lone backslash before the closing
    quote would break the DOT file's syntax."""
    return html.escape(_one_line(text), quote=True).replace("\\", "\\\\")


def dot_tooltip(text: object) -> str:
    """User text inside a Graphviz tooltip="...": entities as dot_string, but Graphviz unescapes a tooltip twice
    (reading \\N, \\G and \\E in between), so one backslash is written as four."""
    return html.escape(_one_line(text), quote=True).replace("\\", "\\" * 4)


def terminal(text: object) -> str:
    """User text for a terminal (CLI output): control characters (ANSI escape sequences, carriage returns, newlines,
    bells, C1 controls) and bidi overrides become visible escapes such as \\x1b, so they cannot move the cursor,
    recolour, retitle or reorder the output."""
    return "".join(_visible(c) for c in str(text))


# The live component's DOM (ui/components, micrograd/views/live.py): its JavaScript sets user text with
# element.textContent (or SVG <text> textContent), never innerHTML, insertAdjacentHTML or template strings into
# HTML; the data it receives is plain JSON strings, so no escaper is applied here on the Python side.
