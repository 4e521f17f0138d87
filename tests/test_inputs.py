"""Bad inputs that used to slip through (issue 22): each gets a clear error that names what is wrong."""
import json
import os
import re
import subprocess
import sys
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from archft.config import data_root, get_profile
from archft.data import DatasetCorruptError, load_dataset
from archft.pipeline import prepare, run_finetune, run_search
from archft.supernet import build_model
from archft.train import load_checkpoint, save_checkpoint
from archft.units import finetune_unit, search_unit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BAD_ACTIONS = [([0.5, 0, 0, 1], "not integers"), ("0101", "flat sequence"), ([0.5, 0, 0, 1.9], "not integers"),
               ([[0, 1], 0, 0, 1], "not integers"), ([0, 0, 0, 2], "must be in 0..1"), ([0, 1], "has 2 entries"),
               ([True, False, True, False], "not integers")]


def _fake_experiment():
    "What `run_finetune` reads before it checks the actions (the check comes before any data or model is touched)."
    return SimpleNamespace(profile=get_profile("smoke"), train=SimpleNamespace(num_classes=10), arch="resnet18")


@pytest.mark.parametrize("actions,says", BAD_ACTIONS)
def test_run_finetune_rejects_bad_actions(actions, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        run_finetune(_fake_experiment(), "small", actions=actions, init="pretrained", progress=False)


@pytest.mark.parametrize("actions,says", BAD_ACTIONS)
def test_finetune_unit_rejects_bad_actions(actions, says):
    s = search_unit("resnet18", "small", get_profile("smoke"))
    with pytest.raises(ValueError, match=re.escape(says)):
        finetune_unit(s, "enas", actions=actions)
    assert finetune_unit(s, "enas", actions=[1, 0, 0, 1]).actions == (1, 0, 0, 1)


@pytest.mark.parametrize("actions,says", BAD_ACTIONS)
def test_build_model_rejects_bad_actions(actions, says):
    with pytest.raises(ValueError, match=re.escape(says)):
        build_model("resnet18", actions, "small", 10)


def test_build_model_names_the_valid_archs():
    with pytest.raises(ValueError, match="unknown arch 'resnet19'; valid: resnet18, resnet34, resnet50"):
        build_model("resnet19", [0, 0, 0, 0], "small", 10)


PARSED_BY_JSON = re.compile(r"overrides\s*=\s*json\.loads")


@pytest.mark.parametrize("nb", sorted(p.name for p in (ROOT / "nbs").glob("reproduce_*.ipynb")))
def test_every_reproduce_notebook_parses_overrides_with_the_one_parser(nb):
    code = "\n".join("".join(c["source"]) for c in json.loads((ROOT / "nbs" / nb).read_text())["cells"]
                     if c["cell_type"] == "code")
    assert not PARSED_BY_JSON.search(code), f"{nb} parses `overrides` with json.loads"
    # directly, or through archft.study.notebook_profile (the plan's declaration of the notebook's units), which does
    assert "parse_overrides(overrides)" in code or "notebook_profile(profile, overrides" in code, \
        f"{nb} does not parse `overrides` with archft.config.parse_overrides"


def test_notebook_profile_parses_with_the_one_parser():
    from archft.study import notebook_profile
    assert notebook_profile("smoke", '{"search_iters": 24}').search_iters == 24
    with pytest.raises(ValueError, match="profile overrides"): notebook_profile("smoke", "[1, 2]")


@pytest.mark.parametrize("overrides,says", [("[1, 2]", "must be a JSON object"), ("{bad", "not valid JSON")])
def test_bad_overrides_through_papermill(tmp_path, overrides, says):
    run = subprocess.run([str(BIN / "papermill"), "nbs/reproduce_temperature.ipynb", str(tmp_path / "out.ipynb"),
                          "-p", "profile", "smoke", "-p", "out_dir", str(tmp_path / "results"),
                          "-p", "overrides", overrides, "--cwd", "nbs"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode != 0
    out = run.stdout + run.stderr
    error = re.findall(r"^(\w+Error): (.*)$", out, re.M)[-1]      # the exception the notebook ended with
    assert error[0] == "ValueError" and error[1].startswith("profile overrides") and says in error[1], out[-2000:]


def test_truncated_png_is_named(tmp_path):
    from PIL import Image
    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        for i in range(5):
            Image.fromarray(torch.randint(0, 256, (32, 32, 3), dtype=torch.uint8).numpy()).save(tmp_path / c / f"{i}.png")
    bad = tmp_path / "b" / "3.png"
    bad.write_bytes(bad.read_bytes()[:200])     # a copy that stopped half-way
    with pytest.raises(DatasetCorruptError, match=re.escape(str(bad))):
        load_dataset(f"imagefolder:{tmp_path}", train=True)


@pytest.mark.parametrize("size", [1, 8])
def test_prepare_rejects_an_image_size_the_network_cannot_use(size):
    with pytest.raises(ValueError, match=f"image_size {size} is too small for resnet18"):
        prepare("resnet18", get_profile("smoke", image_size=size), progress=False)


def test_search_warns_when_no_layer_of_the_scope_is_live():
    "ResNet-34's `small` scope at 32x32 (the README's example): the warning comes before the run starts."
    exp = SimpleNamespace(profile=get_profile("smoke"), arch="resnet34")
    with pytest.warns(UserWarning, match="no mutable layer of resnet34 scope 'small' is live at 32x32"):
        with pytest.raises(AttributeError):      # the fake experiment has no base: the run stops there
            run_search(exp, "small", progress=False)


def test_orphan_checkpoint_temporaries_are_removed_on_resume(tmp_path):
    ck = save_checkpoint(dict(iteration=3), tmp_path / "search.pt")
    dead = subprocess.Popen([sys.executable, "-c", "pass"]); dead.wait()     # a pid that is surely not alive
    orphan = tmp_path / f"search.pt.{dead.pid}.tmp"
    live = tmp_path / f"search.pt.{os.getppid()}.tmp"                         # a live process's write: kept
    other = tmp_path / f"other.pt.{dead.pid}.tmp"                             # another checkpoint's: not ours
    for f in (orphan, live, other): f.write_bytes(b"half a checkpoint")
    assert load_checkpoint(ck)["iteration"] == 3
    assert not orphan.exists() and live.exists() and other.exists()
    # a first write killed before any checkpoint existed leaves one too
    orphan2 = tmp_path / f"fresh.pt.{dead.pid}.tmp"; orphan2.write_bytes(b"x")
    assert load_checkpoint(tmp_path / "fresh.pt") is None and not orphan2.exists()


def test_data_root_defaults_as_the_readme_says(tmp_path, monkeypatch):
    "`ARCHFT_DATA` unset: `../shared/data` beside the checkout where it exists, else the checkout's `data/`."
    checkout = tmp_path / "archft"
    (checkout / "nbs").mkdir(parents=True); (checkout / "settings.ini").write_text("[DEFAULT]\n")
    monkeypatch.delenv("ARCHFT_DATA", raising=False)
    monkeypatch.chdir(checkout / "nbs")                  # papermill --cwd nbs runs here
    assert data_root() == checkout / "data"
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert data_root() == tmp_path / "shared" / "data"
    monkeypatch.setenv("ARCHFT_DATA", str(tmp_path / "mine"))
    assert data_root() == tmp_path / "mine" and data_root(tmp_path / "x") == tmp_path / "x"


def test_make_test_uses_its_own_cache():
    "Every command of the `test:` recipe sets ARCHFT_CACHE and TORCH_HOME to folders of the checkout."
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    recipe = re.search(r"^test:.*\n((?:\t.*\n)+)", text, re.M).group(1)
    env = re.search(r"^TEST_ENV = (.*)$", text, re.M)          # the environment the recipe's commands share
    commands = [l.replace("$(TEST_ENV)", env.group(1) if env else "") for l in recipe.splitlines() if l.strip()]
    assert commands
    for c in commands:
        assert re.search(r"ARCHFT_CACHE=\$\(CURDIR\)/\S+", c) and re.search(r"TORCH_HOME=\$\(CURDIR\)/\S+", c), c
    assert ".test-cache/" in (ROOT / ".gitignore").read_text()
