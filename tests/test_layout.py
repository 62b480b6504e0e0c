"""The shape of the code: sub-packages in the order the data flows, imports pointing down it, no circles.

Every module's imports are read from its source (ast), so a lazy import inside a function
counts as much as one at the top.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "analysis"

#: The layers, bottom first: a module may import its own layer and the layers below it.
LAYERS = ["base", "corpus", "nlp", "themes", "compare", "publish", "coding", "top"]
TOP = {"pipeline", "cli", "bench", "__main__", "__init__"}  # the conductor and the front doors


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in TOP:
        return "top"
    return parts[1]


def project_imports(path: Path) -> set[str]:
    """The project modules ``path`` imports (``from analysis.x import y`` names ``analysis.x.y``
    when that is a module, else ``analysis.x``)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "analysis"}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "analysis":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}
GRAPH = {m: project_imports(p) - {m} for m, p in MODULES.items()}


def test_every_stage_is_a_package_saying_what_it_takes_and_gives():
    for name in LAYERS[:-1]:
        init = PACKAGE / name / "__init__.py"
        assert init.is_file(), f"{name}/ has no __init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and "Takes" in doc and "gives" in doc, f"{init}: the docstring says what it takes and gives"
    flat = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert flat == ["__init__.py", "__main__.py", "bench.py", "cli.py", "pipeline.py"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_flow(module):
    here = LAYERS.index(layer(module))
    upward = sorted(m for m in GRAPH[module] if LAYERS.index(layer(m)) > here)
    assert not upward, f"{module} imports {', '.join(upward)}, above it in the flow " + " -> ".join(LAYERS)
    if layer(module) == "base":
        assert all(layer(m) == "base" for m in GRAPH[module]), f"{module}: base imports nothing of the project"


def test_no_two_modules_import_each_other_round_a_circle():
    # Depth-first search over the package's own modules: any back edge closes a circle.
    state, circles = {}, []

    def visit(m, trail):
        state[m] = "open"
        for n in sorted(GRAPH.get(m, ())):
            if n not in MODULES:
                continue
            if state.get(n) == "open":
                circles.append(" -> ".join(trail[trail.index(n):] + [n]))
            elif n not in state:
                visit(n, trail + [n])
        state[m] = "done"

    for m in sorted(MODULES):
        if m not in state:
            visit(m, [m])
    assert circles == []


def test_the_check_sees_an_upward_and_a_lazy_import(tmp_path):
    # The reader counts an import inside a function, and names the module of a from-import.
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from analysis.publish.views import load_results\n"
                    "from analysis.base import parallel\n", encoding="utf-8")
    assert project_imports(path) == {"analysis.publish.views", "analysis.base.parallel"}
    assert LAYERS.index(layer("analysis.publish.views")) > LAYERS.index(layer("analysis.themes.measure"))
