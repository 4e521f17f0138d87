"""Where TD-DARTS' search step spends its depthwise convolutions: every depthwise convolution one archft search step
runs (first order: an architecture step and a weight step), its forward, its input gradient and its weight gradient
timed alone on tensors of the same shapes and memory format, and the share of the step each kind takes.

The calls are recorded from a real step (a `TorchDispatchMode` sees every `aten.convolution` and
`aten.convolution_backward` with its shapes, strides and output mask), so the list is what the step runs after
archft's rewrites (cropped kernels, polyphase dilated convolutions, batched edges). Each distinct call is then timed
alone: median of `--repeats` after one warm-up. The baseline of each row is its own forward (`gw_over_fwd`): a
weight gradient does as many multiply-adds as the forward, so a ratio far above 1 is a slow kernel, not more work.
The step itself is timed in the same process (median of `--repeats`), so the `step_share_*` columns compare numbers
from one run.
A per-call time measured alone can differ from the same call inside the step (caches, allocator); read the shares as
where to look, and judge any change by the step (`bench_darts.py`).

Usage: python benchmarks/bench_depthwise.py [--sizes 3x4@16 8x16@32] [--batches 16 64] [--threads 1] [--repeats 11]
       [--out results/bench/bench_depthwise-<hardware>.csv]
"""
import argparse
import os
import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from archft.config import hardware
from archft.data import TensorLoader, load_dataset

from bench_darts import code_commit, make_search, median_time, search_step_fn


def _layout(t: torch.Tensor) -> str:
    "contiguous, channels_last, or channels_last_slice (channels innermost, a channel slice of a larger tensor)."
    if t.is_contiguous(): return "contiguous"
    if t.is_contiguous(memory_format=torch.channels_last): return "channels_last"
    return "channels_last_slice" if t.stride(1) == 1 else "strided"


class DepthwiseCalls(TorchDispatchMode):
    "Counts the depthwise convolutions (groups = input channels > 1) and their backward calls, by shape and mask."
    def __init__(self):
        super().__init__()
        self.calls = Counter()

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kind = None
        if func is torch.ops.aten.convolution.default:
            x, w, _, stride, padding, dilation, transposed, _, groups = args
            kind = "forward"
        elif func is torch.ops.aten.convolution_backward.default:
            _, x, w, _, stride, padding, dilation, transposed, _, groups, mask = args
            kind = "input+weight" if mask[0] and mask[1] else ("input" if mask[0] else "weight")
        if kind and groups == x.shape[1] > 1 and not transposed:
            self.calls[(kind, tuple(x.shape), x.stride(), tuple(w.shape), tuple(stride), tuple(padding),
                        tuple(dilation))] += 1
        return func(*args, **(kwargs or {}))


def median_ms(fn, repeats: int) -> float: return 1e3 * median_time(fn, repeats)


def time_call(x_shape, x_stride, w_shape, stride, padding, dilation, repeats):
    """Median ms of the forward, the input gradient alone and the weight gradient alone of one depthwise convolution,
    its input laid out with the step's strides (a channel slice of a larger tensor stays one)."""
    x = torch.empty_strided(x_shape, x_stride).normal_()
    w = torch.randn(w_shape)
    C = x_shape[1]
    y = torch.nn.functional.conv2d(x, w, None, stride, padding, dilation, C)
    g = torch.randn_like(y)
    back = lambda mask: torch.ops.aten.convolution_backward(g, x, w, None, list(stride), list(padding), list(dilation),
                                                           False, [0, 0], C, mask)
    return dict(layout=_layout(x), fwd_ms=median_ms(lambda: torch.nn.functional.conv2d(x, w, None, stride, padding, dilation, C), repeats),
                input_grad_ms=median_ms(lambda: back([True, False, False]), repeats),
                weight_grad_ms=median_ms(lambda: back([False, True, False]), repeats))


def step_fn(layers, channels, image_size, batch, data):
    "One first-order archft search step (`bench_darts`' setup: seed 0, channels-last, T = 1)."
    net, arch, opt = make_search(SimpleNamespace(layers=layers, channels=channels), "first", skip_zero=True, channels_last=True)
    loader = TensorLoader(data, batch, shuffle=True, augment=True, seed=0, channels_last=True, image_size=image_size)
    return search_step_fn(net, arch, opt, loader, [0])


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="+", default=["3x4@16", "8x16@32"], help="CELLSxCHANNELS@PIXELS")
    ap.add_argument("--batches", type=int, nargs="+", default=[16, 64])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=11)
    ap.add_argument("--out", default=None)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    data, hw, commit = load_dataset("cifar10-subset"), hardware("cpu"), code_commit()
    out = Path(args.out or Path("results/bench") / f"bench_depthwise-{re.sub(r'[^a-z0-9]+', '-', hw.lower()).strip('-')}.csv")
    print(f"hardware: {hw}; torch {torch.__version__}; {args.threads} thread(s); medians of {args.repeats}")
    rows = []
    for size in args.sizes:
        cells, rest = size.split("x"); ch, px = rest.split("@")
        for batch in args.batches:
            step = step_fn(int(cells), int(ch), int(px), batch, data)
            step()                                              # warm-up, outside the recording
            mode = DepthwiseCalls()
            with mode: step()
            load = os.getloadavg()[0]       # other processes slow the step and the calls alike, but say so
            step_ms = median_ms(step, args.repeats)
            by_call = {}                                        # (shapes) -> {kind: count}
            for (kind, *key), n in mode.calls.items(): by_call.setdefault(tuple(key), Counter())[kind] += n
            for (x_shape, x_stride, w_shape, stride, padding, dilation), kinds in sorted(by_call.items()):
                t = time_call(x_shape, x_stride, w_shape, stride, padding, dilation, args.repeats)
                n_in = kinds["input"] + kinds["input+weight"]
                n_w = kinds["weight"] + kinds["input+weight"]
                rows.append(dict(hardware=hw, torch=torch.__version__, code_commit=commit, dataset="cifar10-subset", seed=0,
                                 threads=args.threads, repeats=args.repeats, load_average_1min=round(load, 2), size=size,
                                 batch=batch, step_ms=step_ms,
                                 x_shape="x".join(map(str, x_shape)), layout=t.pop("layout"), kernel=f"{w_shape[2]}x{w_shape[3]}",
                                 stride=stride[0], padding=padding[0], dilation=dilation[0], calls_forward=kinds["forward"],
                                 calls_input_grad=n_in, calls_weight_grad=n_w, **t,
                                 gw_over_fwd=t["weight_grad_ms"] / t["fwd_ms"],
                                 step_share_forward=kinds["forward"] * t["fwd_ms"] / step_ms,
                                 step_share_input_grad=n_in * t["input_grad_ms"] / step_ms,
                                 step_share_weight_grad=n_w * t["weight_grad_ms"] / step_ms))
            df = pd.DataFrame([r for r in rows if r["size"] == size and r["batch"] == batch])
            for kernel, d in df.groupby("kernel"):
                print(f"{size} batch {batch} (step {step_ms:.0f} ms), {kernel} depthwise: forward "
                      f"{d.step_share_forward.sum():.1%}, input gradient {d.step_share_input_grad.sum():.1%}, weight gradient "
                      f"{d.step_share_weight_grad.sum():.1%} of the step; weight gradient / forward "
                      f"{d.gw_over_fwd.min():.1f}-{d.gw_over_fwd.max():.1f}x", flush=True)
            out.parent.mkdir(parents=True, exist_ok=True)
            pd.DataFrame(rows).to_csv(out, index=False)        # written as it goes


if __name__ == "__main__":
    main()
