"""The depthwise-convolution benchmark records exactly the depthwise calls of a step, and its tiny run writes them."""
import sys
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_depthwise  # noqa: E402


def test_records_only_depthwise_calls_with_their_masks():
    x = torch.randn(2, 8, 10, 10).contiguous(memory_format=torch.channels_last)
    dw, dense = torch.randn(8, 1, 5, 5, requires_grad=True), torch.randn(8, 8, 3, 3, requires_grad=True)
    mode = bench_depthwise.DepthwiseCalls()
    with mode:
        y = F.conv2d(F.conv2d(x.requires_grad_(), dw, padding=2, groups=8), dense, padding=1)
        torch.autograd.grad(y.sum(), [x])           # input gradients only: no weight gradient is asked for
        F.conv2d(x, dw, padding=2, groups=8).sum().backward(inputs=[dw])
    kinds = sorted((k[0], k[3]) for k in mode.calls.elements())
    assert kinds == [("forward", (8, 1, 5, 5)), ("forward", (8, 1, 5, 5)), ("input", (8, 1, 5, 5)), ("weight", (8, 1, 5, 5))]


def test_tiny_run_writes_every_call(tmp_path):
    out = tmp_path / "d.csv"
    bench_depthwise.main(["--sizes", "2x4@8", "--batches", "4", "--repeats", "1", "--out", str(out)])
    df = pd.read_csv(out)
    assert df["hardware"].str.startswith("CPU").all() and df["code_commit"].notna().all()
    assert {"3x3", "5x5"} <= set(df.kernel) and (df.calls_forward > 0).all()
    assert (df[["fwd_ms", "input_grad_ms", "weight_grad_ms", "step_ms"]] > 0).all().all()
    shares = df[["step_share_forward", "step_share_input_grad", "step_share_weight_grad"]].sum().sum()
    assert 0 < shares < 1
