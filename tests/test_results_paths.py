"""Results never record this machine's absolute paths (issue 22): a result names its data and weights by name and
digest. Every text file under results/ is scanned: csv, json, md, logs, and the notebooks' sources and outputs."""
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# the homes of this machine and of most others: a checkout, a user's home, root's, a temporary folder
ABSOLUTE = re.compile(r"(?<![\w.~])/(?:work|root|home|tmp|Users|mnt|scratch|data)/[\w.\-]+")
TEXT = {".csv", ".json", ".md", ".txt", ".log", ".tsv", ".ipynb"}


def result_files() -> list:
    return sorted(p for p in (ROOT / "results").rglob("*") if p.is_file() and p.suffix in TEXT)


def absolute_paths(path: Path) -> list:
    "The absolute paths in `path`: for a notebook, in its cells' sources and outputs (every string in its JSON)."
    text = path.read_text(errors="replace")
    if path.suffix == ".ipynb":
        strings = []
        def walk(x):
            if isinstance(x, str): strings.append(x)
            elif isinstance(x, list): [walk(v) for v in x]
            elif isinstance(x, dict): [walk(v) for v in x.values()]
        walk(json.loads(text)["cells"])
        text = "\n".join(strings)
    return sorted({m.group(0) for m in ABSOLUTE.finditer(text)})


def test_the_scanner_finds_paths(tmp_path):
    "The scan itself can fail: a claims row with a weights file's path, and a notebook with one in its outputs."
    csv = tmp_path / "claims.csv"
    csv.write_text("claim,weights_source\nx,/work/shared/weights/resnet18-tiny-imagenet-32.pt\n")
    nb = tmp_path / "run.ipynb"
    nb.write_text(json.dumps(dict(cells=[dict(cell_type="code", source="print(1)", outputs=[
        dict(output_type="stream", name="stderr", text=["/root/.cache/torch/x.py:21: Warning\n"])])])))
    ok = tmp_path / "ok.csv"
    ok.write_text("claim,weights_source\nx,resnet18-tiny-imagenet-32.pt (sha256 0123456789abcdef)\n")
    assert absolute_paths(csv) == ["/work/shared"] and absolute_paths(nb) == ["/root/.cache"]
    assert absolute_paths(ok) == []


@pytest.mark.parametrize("path", result_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_result_holds_an_absolute_path(path):
    found = absolute_paths(path)
    assert not found, f"{path.relative_to(ROOT)} holds absolute paths of the machine it ran on: {found[:5]}"


def test_redact_keeps_no_path(tmp_path):
    "tools/redact_paths.py (run by make reproduce on each executed notebook) leaves warnings without machine paths."
    import importlib.util
    spec = importlib.util.spec_from_file_location("redact_paths", ROOT / "tools" / "redact_paths.py")
    redact_paths = importlib.util.module_from_spec(spec); spec.loader.exec_module(redact_paths)
    nb = tmp_path / "run.ipynb"
    nb.write_text(json.dumps(dict(cells=[dict(cell_type="code", source="print('/work/x')", outputs=[
        dict(output_type="stream", name="stderr", text=["/home/me/archft/.venv/lib/tqdm/auto.py:21: Warning\n",
                                                          "see /tmp/abc/run.log\n"])])])))
    assert redact_paths.redact_notebook(nb)
    out = json.loads(nb.read_text())["cells"][0]
    assert out["outputs"][0]["text"] == [".venv/lib/tqdm/auto.py:21: Warning\n", "see <path>/run.log\n"]
    assert out["source"] == "print('/work/x')"          # sources are the notebook's own: left alone
