"""Cached runs answer only for their own inputs: settings, data and weights key every artifact (issue 12).

Smoke profile, ResNet-18, `small` scope: every run takes seconds. Each test gets an empty run cache (the pretrained
source network is shared through a link)."""
import dataclasses
import inspect
import os
import shutil
import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

import archft.pipeline as pipeline
from archft.config import cache_dir, get_profile, parse_overrides
from archft.pipeline import prepare, result_provenance, run_dir, run_finetune, run_scope, run_search
from archft.train import load_checkpoint

CURVE = ["iteration", "loss", "lr", "test_acc"]


@pytest.fixture(scope="session")
def base_cache(tmp_path_factory):
    "A cache that holds the smoke profile's pretrained source network (made once)."
    path = tmp_path_factory.mktemp("base-cache")
    old = os.environ.get("ARCHFT_CACHE")
    os.environ["ARCHFT_CACHE"] = str(path)
    try:
        exp = prepare("resnet18", "smoke", seed=0, device="cpu", progress=False)
    finally:
        if old is None: os.environ.pop("ARCHFT_CACHE")
        else: os.environ["ARCHFT_CACHE"] = old
    return path, exp


@pytest.fixture
def cache(base_cache, tmp_path, monkeypatch):
    "An empty run cache for one test, with links to the pretrained source network."
    path = tmp_path / "cache"; path.mkdir()
    for f in base_cache[0].glob("*.pt"): (path / f.name).symlink_to(f)
    monkeypatch.setenv("ARCHFT_CACHE", str(path))
    return path


@pytest.fixture
def exp(base_cache, cache):
    return base_cache[1]


def with_profile(exp, **overrides):
    "The same experiment (data, weights, seed) under the smoke profile with `overrides`."
    return dataclasses.replace(exp, profile=get_profile("smoke", **overrides))


def make_imagefolder(root, per_class=30):
    "An image folder of `per_class` real CIFAR-10 images for each of its 10 classes, one PNG each."
    with np.load(os.path.join(os.environ.get("ARCHFT_DATA", "data"), "cifar10-subset.npz")) as z:
        x, y, classes = z["x_train"], z["y_train"], [str(c) for c in z["classes"]]
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True)
        for i, k in enumerate(np.flatnonzero(y == c)[:per_class]):
            Image.fromarray(x[k]).save(root / name / f"{i:03d}.png")
    return classes


def test_search_iters_24_then_12(exp):
    long, _ = run_search(with_profile(exp, search_iters=24), "small", progress=False)
    short, _ = run_search(exp, "small", progress=False)     # the profile's 12 iterations
    assert long.stops["iterations_run"] == 24
    assert short.stops["iterations_run"] == 12 and len(short.log) == 12 // exp.profile.supernet_steps_per_sample
    assert short.extra["search_record"] != long.extra["search_record"]


def test_eval_every_zero_rejected():
    with pytest.raises(ValueError, match="eval_every"): get_profile("smoke", eval_every=0)
    with pytest.raises(ValueError, match="eval_every"): get_profile("smoke", **parse_overrides('{"eval_every": 0}'))


def test_other_eval_every_does_not_poison_the_plain_run(exp):
    other = run_finetune(with_profile(exp, eval_every=2), "small", arm="vanilla", progress=False)
    plain = run_finetune(exp, "small", arm="vanilla", progress=False)
    assert other["iteration"].tolist() == [0, 2, 4, 6]
    assert plain["iteration"].tolist() == [0, 3, 6]


def test_changed_image_folder_is_recomputed(base_cache, cache, tmp_path):
    root = tmp_path / "images"
    classes = make_imagefolder(root)
    data = f"imagefolder:{root}"
    first = prepare("resnet18", "smoke", seed=0, device="cpu", dataset=data, progress=False)
    before = run_scope(first, "small", progress=False)
    a, b = root / classes[0], root / classes[1]              # swap two class folders, delete 50 images
    a.rename(root / "tmp"); b.rename(a); (root / "tmp").rename(b)
    for f in sorted(root.glob("*/*.png"))[::6][:50]: f.unlink()
    assert len(list(root.glob("*/*.png"))) == 250
    again = prepare("resnet18", "smoke", seed=0, device="cpu", dataset=data, progress=False)
    rerun = run_scope(again, "small", progress=False)
    assert run_dir(again, "small") != run_dir(first, "small")
    fresh_cache = tmp_path / "fresh"; fresh_cache.mkdir()
    for f in base_cache[0].glob("*.pt"): (fresh_cache / f.name).symlink_to(f)
    os.environ["ARCHFT_CACHE"] = str(fresh_cache)            # restored by the `cache` fixture's monkeypatch
    fresh = run_scope(again, "small", progress=False)
    for arm in ("enas", "vanilla"): pd.testing.assert_frame_equal(rerun[arm][CURVE], fresh[arm][CURVE])
    pd.testing.assert_frame_equal(rerun["search"].log, fresh["search"].log)
    assert not rerun["vanilla"][CURVE].equals(before["vanilla"][CURVE])


def test_run_folder_is_flat_for_an_image_folder(cache, tmp_path):
    root = tmp_path / "deep" / "images"
    make_imagefolder(root, per_class=12)
    exp = prepare("resnet18", "smoke", seed=0, device="cpu", dataset=f"imagefolder:{root}", progress=False)
    folder = run_dir(exp, "small")
    assert folder.parent == cache_dir() / "runs" and ":" not in folder.name and "images" not in folder.name
    assert (folder / "record.json").exists() and str(root) in (folder / "record.json").read_text()


def test_max_test_images_is_stratified(cache, tmp_path):
    root = tmp_path / "images"
    make_imagefolder(root)                                   # its held-out test split is sorted by class
    exp = prepare("resnet18", get_profile("smoke", max_test_images=20), seed=0, device="cpu",
                  dataset=f"imagefolder:{root}", progress=False)
    assert 15 <= len(exp.test) <= 25
    assert sorted(set(exp.test.labels.tolist())) == list(range(10))


def test_enas_with_all_zero_actions_is_the_vanilla_run(exp):
    n = len(run_search(exp, "small", progress=False)[0].actions)
    enas = run_finetune(exp, "small", actions=[0] * n, arm="enas", progress=False)
    vanilla = run_finetune(exp, "small", arm="vanilla", progress=False)
    pd.testing.assert_frame_equal(enas[CURVE], vanilla[CURVE])
    assert (enas["init"] == "pretrained").all()


def test_stage2_starts_from_the_pretrained_weights(exp):
    result, supernet = run_search(exp, "small", progress=False)
    seen = {}
    real = pipeline.finetune
    def spy(model, *a, **k):
        seen["model"] = {n: t.clone() for n, t in model.state_dict().items()}
        return real(model, *a, **k)
    pipeline.finetune = spy
    try:
        run_finetune(exp, "small", supernet, [0] * len(result.actions), progress=False)
        pretrained = seen.pop("model")
        run_finetune(exp, "small", supernet, [0] * len(result.actions), progress=False, init="supernet")
        from_supernet = seen.pop("model")
    finally:
        pipeline.finetune = real
    layer4 = exp.base.layer4[0].conv1.weight
    assert torch.equal(pretrained["blocks.0.0.conv1.weight"], layer4)
    assert not torch.equal(from_supernet["blocks.0.0.conv1.weight"], layer4)   # the search trained it


def test_threads_apply_during_runs(exp, monkeypatch):
    seen = []
    real = pipeline.finetune
    monkeypatch.setattr(pipeline, "finetune", lambda *a, **k: (seen.append(torch.get_num_threads()), real(*a, **k))[1])
    old = torch.get_num_threads()
    torch.set_num_threads(2)                                 # no work runs at 2 threads: the profile says 1
    try:
        run_finetune(exp, "small", arm="vanilla", progress=False)
        assert seen == [1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(old)
    assert result_provenance(exp)["threads"] == 1


def test_provenance_carries_overrides_and_record(exp):
    other = with_profile(exp, finetune_iters=4)
    assert result_provenance(exp)["profile_overrides"] == {} and result_provenance(other)["profile_overrides"] == {"finetune_iters": 4}
    assert result_provenance(other)["record"] == other.record_digest != exp.record_digest


@pytest.mark.parametrize("text", ['{"search_iters": 24', "[1]", '"x"'])
def test_bad_overrides_fail_clearly(text):
    with pytest.raises(ValueError, match="JSON"): parse_overrides(text)


@pytest.mark.skipif("key" not in inspect.signature(load_checkpoint).parameters,
                    reason="needs archft.train's key API (load_checkpoint(..., key=, strict=))")
def test_checkpoint_with_another_key_is_recomputed(exp):
    plain = run_finetune(exp, "small", arm="vanilla", progress=False)
    other = with_profile(exp, finetune_lr=0.01)
    wrong = next(run_dir(exp, "small").glob("finetune-vanilla-*.pt"))
    target = run_dir(other, "small") / f"finetune-vanilla-{other_digest(other)}.pt"
    shutil.copy(wrong, target)                               # a stale file under the other run's name
    from archft.train import StaleCacheError
    with pytest.raises(StaleCacheError): run_finetune(other, "small", arm="vanilla", progress=False, strict=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = run_finetune(other, "small", arm="vanilla", progress=False)
    assert caught and not got[CURVE].equals(plain[CURVE])


def other_digest(exp):
    "The digest of `exp`'s vanilla fine-tuning key (as `run_finetune` forms it)."
    from archft.config import digest
    return digest(pipeline.artifact_key(exp, "small", "finetune", ("train", "test"), pipeline.FINETUNE_READS, arm="vanilla",
                          init="pretrained"))
