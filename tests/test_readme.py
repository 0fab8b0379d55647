"""The README's Python examples run as written, and the paths it names exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def python_blocks() -> list[str]:
    """Every ```python block of the README, in order."""
    return re.findall(r"```python\n(.*?)```", README, flags=re.S)


def test_the_readme_has_python_examples_and_they_run(tmp_path, monkeypatch):
    blocks = python_blocks()
    assert blocks, "the README shows the library in at least one ```python block"
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README, not user text


def test_every_repository_path_the_readme_names_exists():
    named = set(re.findall(r"`((?:micrograd|ui|pages|docs|examples|bench|tests)/[\w./-]*)`", README))
    named |= set(re.findall(r"\]\(((?:docs|examples)/[\w./-]+)\)", README))
    missing = sorted(p for p in named if not (ROOT / p.rstrip("/")).exists())
    assert missing == []
