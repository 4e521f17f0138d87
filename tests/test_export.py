"archft/ must be exactly what nbdev_export makes of nbs/ (the notebooks are the source)."
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_exported_modules_in_sync(tmp_path):
    for name in ("settings.ini", "setup.py", "pyproject.toml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "nbs", tmp_path / "nbs", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copytree(ROOT / "archft", tmp_path / "archft", ignore=shutil.ignore_patterns("__pycache__"))
    exporter = Path(sys.executable).with_name("nbdev_export")
    subprocess.run([str(exporter)], cwd=tmp_path, check=True, capture_output=True)
    ours = {p.relative_to(ROOT / "archft"): p.read_text() for p in (ROOT / "archft").rglob("*.py")}
    fresh = {p.relative_to(tmp_path / "archft"): p.read_text() for p in (tmp_path / "archft").rglob("*.py")}
    assert ours.keys() == fresh.keys(), f"module lists differ: {sorted(set(ours) ^ set(fresh))}"
    stale = [str(k) for k in ours if ours[k] != fresh[k]]
    assert not stale, f"archft/ is out of step with nbs/ in {stale}: run nbdev_export and commit both"
