"""The house's shape: no import circle among archft's modules (late imports and `import_module("archft...")` included),
and no public name defined twice."""
import ast
import re
from collections import defaultdict
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "archft"


def _module(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module(p): p for p in PKG.rglob("*.py") if p.name != "_modidx.py"}


def _imports(name: str, path: Path) -> set:
    "Every archft module that `name` imports, anywhere in its source."
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}      # `from .darts import eval`: a module
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant): found.add(node.args[0].value)
    return {m for m in found if m in MODULES and m != name}


def test_no_import_circle():
    graph = {m: _imports(m, p) for m, p in MODULES.items()}
    state, stack = {}, []

    def visit(m):
        state[m] = "open"; stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == "open":
                raise AssertionError("import circle: " + " -> ".join(stack[stack.index(d):] + [d]))
            if d not in state: visit(d)
        state[m] = "done"; stack.pop()

    for m in sorted(graph):
        if m not in state: visit(m)
    assert graph["archft.config"] <= {"archft.space"}, graph["archft.config"]   # the first module leans on nothing else


def test_the_circle_is_found():
    "The check can fail: a late import of the supernet from config, as before, closes a circle."
    src = MODULES["archft.config"].read_text() + "\ndef _late():\n    from archft.supernet import KERNEL_INITS\n"
    tmp = PKG.parent / ".test-results" / "config_with_loop.py"
    tmp.parent.mkdir(exist_ok=True); tmp.write_text(src)
    graph = {m: _imports(m, p) for m, p in MODULES.items()}
    graph["archft.config"] = _imports("archft.config", tmp)
    assert "archft.supernet" in graph["archft.config"] and "archft.config" in graph["archft.train"]


# the same name for different things in their own namespaces, not twins: each command's entry point; DARTS' search
# beside archft's (`archft.darts.search.SearchConfig` is a DARTS search's settings, `archft.search.SearchConfig` ENAS's)
HOMONYMS = {"main", "SearchConfig", "SearchResult", "run_search"}


def test_public_names_defined_once():
    "A public function or class is defined in one module (twins: one `state_digest`, one `accuracy` loop, ...)."
    where = defaultdict(list)
    for m, p in MODULES.items():
        for node in ast.parse(p.read_text()).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
                where[node.name].append(m)
    twins = {n: ms for n, ms in where.items() if len(ms) > 1 and n not in HOMONYMS}
    assert not twins, twins


def test_one_atomic_write():
    "Files are replaced atomically in one place (`config.atomic_write`)."
    users = [m for m, p in MODULES.items() if re.search(r"\.replace\(path\)", p.read_text())]
    assert users == ["archft.config"], users
