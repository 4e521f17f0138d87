"""The notebooks as documentation: nbdev's docs pipeline, the site's settings, one README, the outputs kept."""
import ast
import json
import re
import shutil
import subprocess
import sys
from configparser import ConfigParser
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
# the library notebooks and the index: committed with the outputs of `make outputs`
DOC_NBS = sorted(p.name for p in NBS.glob("[0-9]*.ipynb")) + ["index.ipynb"]


def settings():
    cfg = ConfigParser(delimiters=["="])
    cfg.read(ROOT / "settings.ini")
    return cfg["DEFAULT"]


def cells(name):
    nb = json.loads((NBS / name).read_text(encoding="utf-8"))
    for c in nb["cells"]:
        yield c, c["source"] if isinstance(c["source"], str) else "".join(c["source"])


def test_imports_in_their_own_cells():
    "nbdev's convention, which its docs step needs: tools/split_import_cells.py would change no notebook."
    r = subprocess.run([sys.executable, str(ROOT / "tools" / "split_import_cells.py"), "--check"],
                       capture_output=True, text=True)
    assert r.returncode == 0, f"cells mix imports with other code; run `python tools/split_import_cells.py`:\n{r.stdout}"


def test_nbdev_docs_processing(tmp_path):
    """What `nbdev_docs` runs before Quarto (nbdev.quarto._pre_docs: _quarto.yml and nbdev.yml from settings.ini,
    the module index, then every notebook through nbdev's processors, which execute the exported, `show_doc` and
    import cells), on a copy of the repository. Only the Quarto check is left out: Quarto renders afterwards."""
    for name in ("settings.ini", "setup.py", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(NBS, tmp_path / "nbs", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "_proc"))
    shutil.copytree(ROOT / "archft", tmp_path / "archft", ignore=shutil.ignore_patterns("__pycache__"))
    script = ("import nbdev.quarto as q\n"
              "q._ensure_quarto = lambda: None   # Quarto itself is not needed for the processing step\n"
              "q._pre_docs(n_workers=1)\n")
    r = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, f"nbdev's docs processing failed:\n{r.stderr[-6000:]}"
    assert "Found cells containing imports and other code" not in r.stderr, r.stderr[-6000:]
    done = {p.name for p in (tmp_path / "_proc").glob("*.ipynb")}
    assert done == {p.name for p in NBS.glob("*.ipynb")}, f"not processed: {sorted({p.name for p in NBS.glob('*.ipynb')} - done)}"
    for name in ("nbdev.yml", "_quarto.yml"):   # committed as nbdev writes them from settings.ini
        assert (tmp_path / "nbs" / name).read_text() == (NBS / name).read_text(), f"nbs/{name} is out of step"


def test_site_settings():
    s = settings()
    for key in ("doc_host", "git_url"):
        assert s[key].startswith("https://") and "example" not in s[key], f"settings.ini {key} = {s[key]}"
    assert s["doc_host"] == "https://archft.github.io" and s["git_url"] == "https://github.com/archft/archft"
    assert s.getboolean("custom_sidebar"), "the sidebar is nbs/sidebar.yml, grouped by hand"
    assert not s.getboolean("clear_all"), "nbdev_clean must keep the notebooks' outputs"
    assert (NBS / "styles.css").exists(), "_quarto.yml names styles.css"


def test_sidebar_groups_every_notebook():
    "The sidebar groups the notebooks as the README's layout table does: library, TD-DARTS, reproduce."
    contents = yaml.safe_load((NBS / "sidebar.yml").read_text())["website"]["sidebar"]["contents"]
    assert contents[0] == "index.ipynb"
    groups = {c["section"]: c["contents"] for c in contents[1:]}
    assert list(groups) == ["Library", "TD-DARTS", "Reproduce"]
    listed = [n for g in groups.values() for n in g] + ["index.ipynb"]
    assert sorted(listed) == sorted(p.name for p in NBS.glob("*.ipynb")), "every notebook once: edit nbs/sidebar.yml"
    assert all(re.match(r"(0|1|9)\d_", n) for n in groups["Library"])
    assert all(re.match(r"2\d_darts_", n) for n in groups["TD-DARTS"])
    assert all(n.startswith("reproduce_") for n in groups["Reproduce"])


def _bash_block(md: str, heading: str) -> list[str]:
    "The lines of the first ```bash block under `## heading`."
    m = re.search(rf"^## {re.escape(heading)}\s*$(.*?)^```bash\n(.*?)^```", md, re.M | re.S)
    assert m, f"no ```bash block under '## {heading}'"
    return m.group(2).strip().splitlines()


def test_one_readme():
    """README.md is written by hand and the index does not overwrite it (settings.ini `readme_nb` names no
    notebook); both give the same two commands."""
    assert not (NBS / settings()["readme_nb"]).exists(), "readme_nb would let nbdev_docs replace README.md"
    readme = _bash_block((ROOT / "README.md").read_text(), "Two commands")
    index = "\n\n".join(src for c, src in cells("index.ipynb") if c["cell_type"] == "markdown")
    assert readme == _bash_block(index, "Two commands"), "README.md and nbs/index.ipynb give different commands"
    assert any(l.startswith("make test") for l in readme) and any(l.startswith("make reproduce") for l in readme)


def _shows_value(src: str) -> bool:
    "Does the cell end in a bare name, attribute or subscript (so that Jupyter displays it)?"
    try: body = ast.parse(src).body
    except SyntaxError: return False
    return bool(body) and isinstance(body[-1], ast.Expr) and isinstance(body[-1].value, (ast.Name, ast.Attribute, ast.Subscript))


@pytest.mark.outputs
@pytest.mark.parametrize("name", DOC_NBS)
def test_notebook_holds_outputs(name):
    "Read without running: each library notebook and the index hold the outputs of a full execution (`make outputs`)."
    size = (NBS / name).stat().st_size
    assert size < 1_000_000, f"{name} is {size / 1e6:.1f} MB: shrink its figures"
    code = [(c, src) for c, src in cells(name) if c["cell_type"] == "code"]
    assert any(c.get("outputs") for c, _ in code), f"{name} holds no outputs: run `make outputs` and commit it"
    missing = [src.splitlines()[-1] for c, src in code if _shows_value(src) and not c.get("outputs")]
    assert not missing, f"{name}: cells without their output (run `make outputs`): {missing}"
    errors = [o.get("ename") for c, _ in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{name} holds errors: {errors}"


def test_split_import_cells():
    "The splitter: directives on both parts, imports hoisted out of blocks, cell ids stable, idempotent."
    sys.path.insert(0, str(ROOT / "tools"))
    from split_import_cells import split_notebook, split_source
    imp, rest = split_source("#| export\n#| hide\nimport os\nimport sys  # why\n\nx = os.sep\nprint(x)")
    assert imp == "#| export\n#| hide\nimport os\nimport sys  # why" and rest == "#| export\n#| hide\nx = os.sep\nprint(x)"
    imp, rest = split_source("y = 1\nimport shutil; shutil.copy(a, b)\nwith t() as d:\n    import warnings  # says what follows\n    f(d)")
    assert imp == "import shutil\nimport warnings"
    assert rest == "y = 1\nshutil.copy(a, b)\nwith t() as d:\n    # says what follows\n    f(d)"
    for src in ("import os", "x = 1", "def f():\n    import os\n    return os", "try: import ray\nexcept ImportError: ray = None",
                "%time import os\nx = 1"):
        assert split_source(src) is None, src
    cell = lambda src, tags=(): dict(cell_type="code", id="abc", metadata={"tags": list(tags)}, outputs=[],
                                     execution_count=None, source=src)
    nb = dict(cells=[cell("import os\nos.getcwd()"), cell("from x import y\nz = 1", tags=["parameters"])])
    assert split_notebook(nb) == 1 and [c["source"] for c in nb["cells"]] == ["import os", "os.getcwd()", "from x import y\nz = 1"]
    assert nb["cells"][1]["id"] == "abc" and nb["cells"][0]["id"] != "abc"
    again = json.loads(json.dumps(nb))
    assert split_notebook(again) == 0 and again == nb
