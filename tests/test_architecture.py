"""The layering in docs/architecture.md, checked on the code: imports point downward only."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Lower layers first; a module may import its own layer and the ones before it, never a later one.
LAYERS = ("library", "fast", "studio", "views", "cli", "ui", "pages")
LIBRARY = ("ops", "engine", "nn", "losses", "optim", "gradcheck")
THIRD_PARTY_OK = {  # what each layer may import besides the standard library and the layers below it
    "library": set(),
    "fast": {"numpy"},
    "studio": {"numpy", "sklearn", "pandas", "threadpoolctl"},
    "views": {"numpy", "plotly", "pandas", "graphviz"},
    "cli": {"numpy"},
    "ui": {"numpy", "streamlit", "pandas", "plotly"},
    "pages": {"numpy", "streamlit", "pandas", "plotly"},
}


def layer_of(path: Path) -> str:
    """The layer a source file belongs to."""
    rel = path.relative_to(ROOT).parts
    if rel[0] == "micrograd":
        head = Path(rel[1]).stem
        if head == "__main__":
            return "cli"  # `python -m micrograd` is the command line
        return "library" if head in (*LIBRARY, "__init__") else head
    return {"ui": "ui", "pages": "pages", "dashboard.py": "pages"}[rel[0]]


def target_layer(module: str) -> str | None:
    """The layer an imported micrograd/ui module belongs to, or None for anything else."""
    parts = module.split(".")
    if parts[0] == "ui":
        return "ui"
    if parts[0] != "micrograd":
        return None
    if len(parts) == 1 or parts[1] in LIBRARY:
        return "library"
    return parts[1] if parts[1] in LAYERS else "library"


def imports(path: Path, source: str | None = None) -> list[str]:
    """Every module a file imports (from-imports name the module and each imported name as a submodule)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text() if source is None else source, str(path))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            if node.module in ("micrograd", "ui") or node.module.count(".") == 1:
                found += [f"{node.module}.{a.name}" for a in node.names]
    return found


def sources() -> list[Path]:
    """The project's own source files (tests, bench and examples excluded)."""
    files = [*ROOT.joinpath("micrograd").rglob("*.py"), *ROOT.joinpath("ui").rglob("*.py")]
    return [*files, *ROOT.joinpath("pages").glob("*.py"), ROOT / "dashboard.py"]


def upward(path: Path, source: str | None = None) -> list[str]:
    """The imports of one file that point to a later layer."""
    mine = LAYERS.index(layer_of(path))
    wrong = []
    for module in imports(path, source):
        target = target_layer(module)
        if target is not None and LAYERS.index(target) > mine:
            wrong.append(f"{path.relative_to(ROOT)} ({LAYERS[mine]}) imports {module} ({target})")
    return wrong


def test_imports_point_downward_only():
    assert [w for path in sources() for w in upward(path)] == []


def test_each_layer_uses_only_its_third_party_packages():
    stdlib = set(sys.stdlib_module_names) | {"__future__"}
    wrong = []
    for path in sources():
        layer = layer_of(path)
        for module in imports(path):
            top = module.split(".")[0]
            if top in stdlib or top in ("micrograd", "ui") or top in THIRD_PARTY_OK[layer]:
                continue
            if layer in ("studio", "cli") and top in ("dask", "distributed"):
                continue  # sweeps hand execution to Dask (issue 15)
            wrong.append(f"{path.relative_to(ROOT)} ({layer}) imports {module}")
    assert wrong == []


def test_the_checker_catches_an_upward_import():
    engine = ROOT / "micrograd" / "engine.py"
    assert upward(engine, "from micrograd.studio import trainer\n") != []
    assert upward(engine, "import micrograd.views.plots\n") != []
    assert upward(ROOT / "micrograd" / "views" / "plots.py", "from micrograd.fast import numeric\n") == []
    assert upward(ROOT / "micrograd" / "cli" / "main.py", "import ui\n") != []


def test_the_package_root_keeps_the_seed_api():
    from micrograd import MLP, Layer, Module, Neuron, Value

    assert all(callable(x) for x in (MLP, Layer, Module, Neuron, Value))
