"""The escapers of micrograd.views.text, one per output, against hostile text (issue 11 item 2)."""

import html
import re
import subprocess

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from micrograd.fast import numeric
from micrograd.nn import MLP
from micrograd.views import compare, plots, text
from micrograd.views import graph as G
from tests.conftest import require_tool

HOSTILE = [
    "![U](http://host/x.png)",
    "[click](javascript:alert(1)) <img src=http://host/y.png> &lt;b&gt;",
    "see https://host/a and www.host.org and me@host.org",
    ":red[alarm] :material/warning: :streamlit: :smile: $\\frac{1}{2}$ $$x$$",
    "# heading",
    "1. item",
    "> quote",
    "- item | a | b |",
    "**bold** _it_ ~strike~ `code` a -> b -- c <= d",
    "line one\nline two\r\n\t[x]: http://host/ref",
    "back\\slash\\",
    "<a href='http://host'>x</a><br>%{x}",
]
PUNCT = "\\`*_{}[]()#+-.!:|<>&$~=@/'\"%^"


def rendered_text(source: str) -> str:
    """What CommonMark leaves as text: a backslash before ASCII punctuation is dropped (the text-node value)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", source)


# the patterns Streamlit's Markdown pipeline applies to parsed text nodes (after escapes are resolved)
TEXT_NODE_PATTERNS = {
    "gfm url": re.compile(r"(https?://|www(?=\.))([-.\w]+)", re.I),
    "gfm email": re.compile(r"([-.\w+]+)@([-\w]+(?:\.[-\w]+)+)"),
    "emoji": re.compile(r":[\w+-][\w_+-]*:"),
    "material icon": re.compile(r":material[_/](\w+):"),
    "typography": re.compile(r"(^|\s)(<->|->|<-|--|>=|<=|~=)(\s|$)"),
}
INLINE = set("\\`*~[]<>&$|")


def unescaped(source: str) -> list[str]:
    """Characters that start inline Markdown and are not preceded by an escaping backslash."""
    bad, i = [], 0
    while i < len(source):
        if source[i] == "\\" and i + 1 < len(source):
            i += 2
            continue
        if source[i] in INLINE:
            bad.append(source[i])
        i += 1
    return bad


def check_md(s: str) -> None:
    out = text.md(s)
    assert "\n" not in out and "\r" not in out
    assert unescaped(out) == [], out
    shown = rendered_text(out)
    one_line = "".join(" " if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 else c for c in s)
    assert shown.replace(text.WJ, "") == one_line.replace(text.WJ, "")  # the reader sees exactly the text, on one line
    for name, pattern in TEXT_NODE_PATTERNS.items():
        assert not pattern.search(shown), (name, s, shown)
    assert not re.match(r"\s*([#>+\-=]|\d+[.)])", shown) or re.match(r"\s*(\\[#>+\-=]|\d+\\[.)])", out)
    underscores = [m.start() for m in re.finditer(r"(?<!\\)_", out)]  # unescaped "_" only inside a word
    assert all(0 < i < len(out) - 1 and out[i - 1].isalnum() and out[i + 1].isalnum() for i in underscores)


def test_markdown_escaping_of_known_attacks():
    for s in HOSTILE:
        check_md(s)
    assert text.md("![U](http://host/x.png)") == f"!\\[U\\](http{text.WJ}:{text.WJ}//host/x.png)"
    assert text.md("# x") == "\\# x" and text.md("12) x") == "12\\) x"
    assert text.md("It's fine (really): test_fraction=0.5.") == "It's fine (really): test_fraction=0.5."


@given(st.text(alphabet=st.sampled_from(list(PUNCT) + list("ab1 \n\twwwhttps:/éλ") + [text.WJ])))
def test_markdown_escaping_holds_for_any_punctuation(s):
    check_md(s)


def test_md_list_escapes_each_item():
    assert text.md_list(["a*", "b_"]) == "a\\*, b\\_"


def test_plotly_text_keeps_no_tag_entity_template_or_latex():
    for s in HOSTILE:
        out = text.plotly(s)
        assert "<" not in out and ">" not in out and "%{" not in out and "$" not in out
        assert html.unescape(out) == "".join(" " if ord(c) < 32 else c for c in s)  # plotly decodes entities back
    assert text.plotly("$x^2$") == "&#36;x^2&#36;"  # plotly typesets ^\$.*\$$ with MathJax


def test_figures_escape_feature_class_and_run_names():
    names = ["<a href='http://host'>x</a>", "$y$<br>"]
    X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    y = np.array([1.0, -1.0, 1.0])
    layers = numeric.layers_of(MLP(2, [3, 1], seed=0))
    fig = plots.boundary_figure(layers, X, y, X[:0], y[:0], names, 0, 1, n=5)
    assert fig.layout.xaxis.title.text == text.plotly(names[0]) and fig.layout.yaxis.title.text == text.plotly(names[1])
    conf = plots.confusion_figure(y, numeric.scores(layers, X), ["<b>no</b>", "%{z}"])
    assert list(conf.data[0].x) == ["&lt;b&gt;no&lt;/b&gt; (-1)", "&#37;{z} (+1)"]
    steps = [{"step": 1, "train_loss": 1.0, "test_loss": 1.0}]
    legend = [t.name for t in compare.loss_figure([("#1 <b>bold</b> $x$", steps)]).data]
    assert legend == ["#1 &lt;b&gt;bold&lt;/b&gt; &#36;x&#36; · train", "#1 &lt;b&gt;bold&lt;/b&gt; &#36;x&#36; · test"]


def hostile_dot() -> tuple[str, str]:
    name = 'in"<B>x</B>&amp;\\N\\'
    model = MLP(1, [1], seed=0)
    snap = G.snapshot(model, [0.5], 1.0, "svm", 0, [name])
    return name, G.to_dot(snap, title=f"title {name}")


def test_dot_labels_escape_html_like_and_quoted_strings():
    name, dot = hostile_dot()
    assert f"<B>{html.escape(name).replace(chr(92), chr(92) + text.WJ)}</B>" in dot  # the input's HTML-like label
    assert 'label="title in&quot;&lt;B&gt;x&lt;/B&gt;&amp;amp;\\\\N\\\\"' in dot  # the quoted graph title
    assert text.dot_html("a\nb<\\N") == f"a b&lt;\\{text.WJ}N" and text.dot_string('a\\"') == "a\\\\&quot;"
    assert text.dot_tooltip('a\\"') == "a" + "\\" * 4 + "&quot;"
    ns = G.neuron_snapshot(MLP(1, [2, 1], seed=0), [0.5], 1.0, "svm", 0, [name])
    assert f"<B>{text.dot_html(name)}</B>" in G.neuron_dot(ns)


def test_graphviz_draws_hostile_names_as_literal_text():
    dot_program = require_tool("dot")
    name, dot = hostile_dot()
    svg = subprocess.run([dot_program, "-Tsvg"], input=dot.encode(), capture_output=True, check=True).stdout.decode()
    texts = [html.unescape(t).replace(text.WJ, "") for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    assert name in texts and f"title {name}" in texts  # shown literally: no markup, no \N substitution
    assert svg.count('font-weight="bold"') == len(re.findall(r"<B>", dot))  # only our own <B>
    # the only links are the nodes' own tooltips (no href), and a tooltip shows the name literally too
    assert "href" not in svg and svg.count("<a ") == dot.count("tooltip=")
    tips = [html.unescape(t).replace(text.WJ, "") for t in re.findall(r'<a xlink:title="([^"]*)"', svg)]
    assert any(t.startswith(f"{name} (input): data ") for t in tips), tips


def test_terminal_shows_control_and_bidi_characters_as_escapes():
    s = "run\x1b[2J\x1b]0;owned\x07\rname\n\u202etxt\x9b1m\x7f"
    out = text.terminal(s)
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in out)
    assert out == "run\\x1b[2J\\x1b]0;owned\\x07\\x0dname\\x0a\\u202etxt\\x9b1m\\x7f"
    assert text.terminal("plain é λ name") == "plain é λ name"
