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


def test_make_run_binds_to_loopback_unless_told_and_the_readme_says_how_to_serve_a_class():
    """Issue 12: a classroom section gives the bind address explicitly (make run ADDRESS=0.0.0.0), never the
    default; the Makefile's default stays 127.0.0.1 (make -n prints the commands without running them)."""
    import shutil
    import subprocess

    make = shutil.which("make")
    assert make, "make is needed: the README's two commands are make run and make test"

    def dry(*args: str) -> str:
        return subprocess.run([make, "-n", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout

    assert "streamlit run dashboard.py --server.address 127.0.0.1 " in dry("run")
    assert "--server.address 0.0.0.0 --server.port 8601" in dry("run", "ADDRESS=0.0.0.0", "PORT=8601")
    section = README.split("## Serving a class", 1)[1].split("\n## ", 1)[0]
    assert "make run ADDRESS=0.0.0.0" in section and "% of one core per training session" in section
