"The README's public-API example, on a small `imagefolder:` data set made of real CIFAR-10 images."
import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

SUBSET = Path(os.environ.get("ARCHFT_DATA", "data")) / "cifar10-subset.npz"


@pytest.fixture()
def image_folder(tmp_path):
    if not SUBSET.exists(): pytest.skip(f"{SUBSET} not here")
    z = np.load(SUBSET)
    for split, n in (("train", 12), ("test", 4)):
        for c in (0, 1, 2):
            folder = tmp_path / "pets" / split / str(z["classes"][c]); folder.mkdir(parents=True)
            idx = np.nonzero(z[f"y_{split}"] == c)[0][:n]
            for i in idx: Image.fromarray(z[f"x_{split}"][i]).save(folder / f"{i}.png")
    return tmp_path / "pets"


def test_readme_example(image_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("ARCHFT_CACHE", str(tmp_path / "cache"))
    from archft.data import load_dataset
    from archft.pipeline import prepare, run_scope
    data = load_dataset(f"imagefolder:{image_folder}")
    assert data.images.shape == (36, 3, 32, 32) and data.classes == ["airplane", "automobile", "bird"]
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert 'prepare("resnet18", profile=get_profile("cpu", image_size=65), weights="imagenet"' in readme
    from archft.config import get_profile
    from archft.space import arch_layers, live_layers
    assert len(live_layers("resnet18", "small", 65)) == len(arch_layers("resnet18", "small"))   # the search can matter
    exp = prepare("resnet18", profile=get_profile("smoke", image_size=65), weights="fashion-mnist",
                  dataset=f"imagefolder:{image_folder}", progress=False)
    out = run_scope(exp, "small", progress=False)
    assert len(out["search"].actions) == 4
    assert set(out["enas"].columns) >= {"iteration", "test_acc"} and len(out["vanilla"]) > 1
    assert 'model = out["model"]' in readme
    from archft.supernet import MutableConv, to_torchvision
    model = out["model"]                                   # the found architecture, fine-tuned, from the same call
    assert not any(isinstance(m, MutableConv) for m in model.modules())
    assert [m.kernel_size[0] for m in model.blocks.modules()
                                       if isinstance(m, torch.nn.Conv2d) and m.kernel_size != (1, 1)] == \
        [5 if a else 3 for a in out["search"].actions]
    tv = to_torchvision(model).eval()
    x = torch.randn(2, 3, 65, 65)
    assert tv(x).shape == (2, 3) and torch.allclose(tv(x), model.eval()(x), atol=1e-5)


def test_readme_export_path(tmp_path):
    "The README's export of the found model (torch.export, not the deprecated torch.jit.script) runs and matches."
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert 'torch.export.export(tv, (torch.zeros(2, 3, 224, 224),), dynamic_shapes={"x": {0: batch}})' in readme
    assert "scripted = torch.jit.script" not in readme
    from archft.supernet import build_model, to_torchvision
    tv = to_torchvision(build_model("resnet18", [1, 0, 0, 1], "small", num_classes=3)).eval()
    x = torch.randn(5, 3, 32, 32)                                              # another batch size than the example's
    batch = torch.export.Dim("batch")                                          # as the README exports it
    exported = torch.export.export(tv, (torch.zeros(2, 3, 32, 32),), dynamic_shapes={"x": {0: batch}})
    torch.export.save(exported, tmp_path / "found.pt2")
    again = torch.export.load(tmp_path / "found.pt2").module()
    assert torch.allclose(again(x), tv(x), atol=1e-5)
