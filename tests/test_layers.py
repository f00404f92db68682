"""Data flows one way: every import under axi/ points down the layers, and no modules import
each other in a cycle.

Every `import` and `from ... import` counts, wherever it stands: at the top, inside a
function (a deferred import is still a dependency) or under `if TYPE_CHECKING:`. `LAYERS` is
the one table of who sits where (the README's Layout section describes it). A module may
import from its own package (without cycles) and from any package in a lower layer; packages
in the same layer are peers and never import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

AXI = Path(__file__).resolve().parent.parent / "axi"

# Top to bottom. Each name is a top-level module or package under axi/; "axi" is the package
# itself (`axi/__init__.py`: the version and the one-line description).
LAYERS: tuple[tuple[str, ...], ...] = (
    ("__main__",),                  # `python -m axi`
    ("cli",),                       # entry point, global flags, error translation
    ("commands",),                  # every command; home, hook_entry (runs the dashboard and
                                    # the click tree's help), skill (reads the click tree)
    ("console", "picker"),          # doctor's checks, the log's reader, the price table in
                                    # use, `axi serve`'s web app (console/web: only
                                    # commands/serve.py loads it); `axi pick`'s Textual UI
                                    # (only commands/pick.py loads it); peers
    ("dashboard",),                 # fits the data it is handed into the budget
    ("remote",),                    # hosts over the user's transport (reads control's config)
    ("control",),                   # the control plane (uses mailbox.db, integrations.files)
    ("mailbox", "integrations"),    # mail and tasks; hook installers, payloads, file edits
    ("index",),                     # the catalog; the control overlay is passed in
    ("harnesses",),                 # store adapters
    ("diaglog",),                   # the diagnostic log's writer (hook, sweeper, holder call it)
    ("output", "views"),            # the output boundary; list helpers
    ("pricing", "dirmap"),          # the price table in use (the state dir's, else packaged);
                                    # folders that moved (`sessions relink`)
    ("text", "paths", "terminal"),  # small helpers
    ("errors", "shown", "toon", "axi",  # leaves: the errors every layer raises; two-faced
                                    # values; TOON text; the version;
     "jsontext", "quiet", "sqlite"),  # json, contextlib's two helpers and sqlite3 without
                                    # their start-up cost
)
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(AXI.rglob("*.py")):
        parts = list(path.relative_to(AXI.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: dict[str, Path]):
    """(imported module, line) for every import of an axi module in `path`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base
                       for a in node.names]
        else:
            continue
        for target in targets:
            while target not in known and "." in target:
                target = target.rpartition(".")[0]
            if target in known and target != name:
                yield target, node.lineno


def graph() -> dict[str, dict[str, int]]:
    """module -> {imported module: first line importing it}."""
    known = modules()
    edges: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        edges[name] = {}
        for target, line in imports(name, path, known):
            edges[name].setdefault(target, line)
    return edges


def unit(module: str) -> str:
    """The LAYERS entry a module belongs to."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "axi"


def where(module: str, line: int) -> str:
    return f"{modules()[module].relative_to(AXI.parent)}:{line}"


def upward_imports(edges: dict[str, dict[str, int]]) -> list[str]:
    bad = []
    for source, targets in edges.items():
        for target, line in targets.items():
            a, b = unit(source), unit(target)
            if a == b:
                continue
            if RANK[b] <= RANK[a]:
                kind = "a peer in the same layer as" if RANK[b] == RANK[a] else "above"
                bad.append(f"{where(source, line)}: {source} imports {target} "
                           f"({b} is {kind} {a})")
    return bad


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for start in edges:
        if start in index:
            continue
        work = [(start, iter(edges[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def describe(component: list[str], edges: dict[str, dict[str, int]]) -> str:
    inside = set(component)
    links = [f"{where(a, line)} imports {b}" for a in component
             for b, line in sorted(edges[a].items()) if b in inside]
    return "cycle " + " <-> ".join(component) + ": " + "; ".join(links)


def test_every_module_has_a_layer():
    missing = sorted({unit(m) for m in modules()} - set(RANK))
    assert not missing, f"add these to LAYERS in tests/test_layers.py: {missing}"


def test_imports_point_down_the_layers():
    bad = upward_imports(graph())
    assert not bad, "imports that point up or sideways:\n" + "\n".join(bad)


def test_no_import_cycles():
    edges = graph()
    found = [describe(c, edges) for c in cycles(edges)]
    assert not found, "import cycles:\n" + "\n".join(found)


def test_only_axi_pick_imports_the_picker():
    """Textual loads with the picker, so only `axi pick` may pay for it."""
    edges = graph()
    users = sorted(m for m, targets in edges.items()
                   if unit(m) != "picker" and any(unit(t) == "picker" for t in targets))
    assert users == ["axi.commands.pick"]


def test_the_checker_sees_function_local_and_relative_imports(tmp_path):
    path = tmp_path / "mod.py"
    path.write_text("def f():\n    from .b import c\n    import axi.x.y\n", encoding="utf-8")
    known = {"axi.a.mod": path, "axi.a.b": path, "axi.a.b.c": path, "axi.x": path}
    assert list(imports("axi.a.mod", path, known)) == [("axi.a.b.c", 2), ("axi.x", 3)]
    ring = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}
    assert cycles(ring) == [["a", "b", "c"]]


def test_only_axi_serve_imports_the_web_app():
    """Starlette and uvicorn load with the web app, so only `axi serve` may pay for them."""
    edges = graph()
    users = sorted(m for m, targets in edges.items()
                   if not m.startswith("axi.console.web")
                   and any(t.startswith("axi.console.web") for t in targets))
    assert users == ["axi.commands.serve"]
