"""The TD-DARTS benchmark's ratio and its ceiling run (tiny sizes, on the CPU) and write what they measured."""
import sys
from pathlib import Path

import pandas as pd
import pytest
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_darts  # noqa: E402


def test_conv_seconds_counts_only_convolutions():
    x, w = torch.randn(4, 8, 32, 32, requires_grad=True), torch.randn(8, 8, 3, 3, requires_grad=True)
    wall, conv = bench_darts.conv_seconds(lambda: F.conv2d(x, w, padding=1).sum().backward())
    assert 0 < conv <= wall
    _, none = bench_darts.conv_seconds(lambda: (x * 2).relu().sum().backward())
    assert none == 0


def test_ratio_and_ceiling_tiny(tmp_path):
    out = tmp_path / "d.csv"
    bench_darts.main(["--ratio-only", "--ceiling", "--threads", "1", "--sizes", "2x4@8", "--batches", "4",
                      "--orders", "first", "--repeats", "1", "--out", str(out)])
    df = pd.read_csv(out).set_index("arm")
    assert df["hardware"].str.startswith("CPU").all() and (df.dataset == "cifar10-subset").all() and (df.median_s > 0).all()
    assert df["code_commit"].notna().all()      # the code it measured, beside every row
    assert df.loc["plain mixture", "speedup_over_plain"] == 1
    a = df.loc["archft"]
    assert 0 < a.conv_share < 1 and a.conv_s > 0 and df.loc["plain mixture", "conv_s"] > 0
    # with everything but its convolutions free, archft can only be faster than it is
    assert a.ceiling_over_plain > a.speedup_over_plain


def test_device_without_cuda_is_a_clear_error(tmp_path):
    if torch.cuda.is_available(): pytest.skip("CUDA is available here")
    with pytest.raises(ValueError, match="CUDA is not available"):
        bench_darts.main(["--ratio-only", "--device", "cuda", "--out", str(tmp_path / "d.csv")])
    assert not (tmp_path / "d.csv").exists()     # nothing measured, nothing written


@pytest.mark.parametrize("extra", [[], ["--ratio-only", "--ceiling"]])
def test_a_gpu_times_the_ratio_only(tmp_path, monkeypatch, extra):
    monkeypatch.setattr(bench_darts, "get_device", lambda _: torch.device("cuda"))   # refused before CUDA is touched
    with pytest.raises(ValueError, match="--ratio-only"):
        bench_darts.main(["--device", "cuda", "--out", str(tmp_path / "d.csv")] + extra)
    assert not (tmp_path / "d.csv").exists()
