"""Images per second of TD-DARTS' search step (first and second order), of the evaluation network's training
step, and the speed-up of skipping `none` / exactly-zero-weight operations in the mixed operation.

First, and alone with --ratio-only: archft's search step against the plain mixture (every op of every edge computed
separately, as the DARTS paper's code does: no skipping, no channels_last, no shared ReLU/pooling, no batching of the
edges that leave a state, dilated convolutions as written), interleaved in one process (each arm first in every other
round), medians and their ratio, for every size (--sizes: the gap study's 3 cells x 4 channels at 16x16 and the
published 8 x 16 at 32x32), batch (--batches 16 64) and order (--orders first second). Both are exact against each
other (nbs/23_darts_model.ipynb tests it).

A search step = one architecture step (on an architecture batch) + one weight step (on a weight batch);
images/s counts the weight batch. Real CIFAR-10 images (the subset), random network initialisation.
Every number is the median of `--repeats` timed runs after one warm-up, in one process.
--device (default cpu; cuda, or auto for CUDA when present) runs the ratio there (with --ratio-only, without
--ceiling), each timed step synchronised on CUDA. The plain-vs-archft medians and ratio are also written as a CSV with
the hardware, the threads and the machine's load average (other processes slow both arms alike, since they are
interleaved, but say so).
--ceiling adds, per configuration, one profiled step of each arm (torch.profiler): the self time of the convolution
kernels in archft's step, and the ratio archft would reach if everything but those convolutions took no time (the
plain step over archft's convolutions): a speed-up target above it needs faster convolutions, not less overhead.
Usage: python benchmarks/bench_darts.py [--ratio-only] [--device cpu] [--threads 1 2] [--sizes 3x4@16 8x16@32]
       [--batches 16 64] [--orders first second] [--batch 16] [--layers 8] [--channels 16]
       [--eval-layers 20] [--eval-channels 36] [--eval-batch 16] [--repeats 5] [--ceiling] [--out results/bench/x.csv]
"""
import argparse
import os
import re
import statistics
import subprocess
import time
from pathlib import Path

import pandas as pd

import torch

from archft.config import get_device, git_commit, hardware, seed_everything
from archft.data import TensorLoader, load_dataset
from archft.darts.architect import Architect, weight_optimizer, weight_step
from archft.darts.eval import EvalNetwork, count_params_millions, cutout
from archft.darts.genotype import DARTS_V2
from archft.darts import ops as darts_ops
from archft.darts.model import SearchNetwork
from archft.darts.temperature import ConstantTemperature

from bench_gpu import sync


def code_commit() -> str | None:
    "The commit of the code measured, with a `+` when archft/ has changes not committed (a result of older code is rerun or retired)."
    commit = git_commit()
    if commit is None: return None
    edited = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", "archft"], cwd=Path(__file__).resolve().parents[1]).returncode
    return commit + ("+" if edited else "")


def median_time(fn, repeats):
    fn()                                     # warm-up (allocations, oneDNN primitives)
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); times.append(time.perf_counter() - t)
    return statistics.median(times)


def search_step_fn(net, arch, opt, loader, counter):
    def step():
        s = counter[0]; counter[0] += 1
        xw, yw = loader.batch(2 * s); xa, ya = loader.batch(2 * s + 1)
        arch.step(xw, yw, xa, ya, lr=0.025, w_optimizer=opt)
        weight_step(net, opt, xw, yw)
    return step


def make_search(args, order, skip_zero, alpha_scale=None, temperature=1.0, channels_last=False, layers=None, channels=None,
                device="cpu"):
    seed_everything(0)
    torch.utils.deterministic.fill_uninitialized_memory = False    # as build_search: no NaN-filling of new tensors
    net = SearchNetwork(C=channels or args.channels, layers=layers or args.layers, skip_zero=skip_zero,
                        schedule=ConstantTemperature(temperature))
    if alpha_scale is not None:             # a late-search state: one op per edge far ahead of the rest
        with torch.no_grad():
            for a in (net.alpha_normal, net.alpha_reduce):
                a.normal_(0, 1); a[torch.arange(a.shape[0]), torch.randint(1, a.shape[1], (a.shape[0],))] += alpha_scale
    net = net.to(device, memory_format=torch.channels_last if channels_last else torch.preserve_format)
    arch = Architect(net, order)
    opt, _ = weight_optimizer(net)
    return net, arch, opt


PLAIN = dict(depthwise=False, share=False, batch=False)    # every op of every edge on its own, as DARTS' code
ARCHFT = dict(depthwise=True, share=True, batch=True)


def conv_seconds(step) -> tuple[float, float]:
    "(wall seconds, self CPU seconds of the convolution kernels, forward and backward) of one profiled `step()`."
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t = time.perf_counter(); step(); wall = time.perf_counter() - t
    conv = sum(e.self_cpu_time_total for e in prof.key_averages() if "conv" in e.key and e.key.startswith("aten::"))
    return wall, conv / 1e6


def plain_vs_archft(args, data, layers, channels, image_size, batch, order, device=torch.device("cpu")):
    "Interleaved search steps: the plain mixture, then archft's, `repeats` times after one warm-up; medians and ratio."
    setups = {}
    for label, fast in [("plain mixture", False), ("archft", True)]:
        loader = TensorLoader(data, batch, shuffle=True, augment=True, seed=0, channels_last=fast, image_size=image_size,
                              device=device)
        net, arch, opt = make_search(args, order, skip_zero=fast, channels_last=fast, layers=layers, channels=channels,
                                     device=device)
        setups[label] = (fast, search_step_fn(net, arch, opt, loader, [0]))
    times = {label: [] for label in setups}
    for r in range(args.repeats + 1):                   # round 0 warms up
        # each arm first in every other round (A B, B A, ...): of two identical arms, one was seen to take up to 3% longer
        # when first in its round, which a fixed order would charge to one arm
        for label, (fast, step) in (list(setups.items()) if r % 2 == 0 else list(setups.items())[::-1]):
            darts_ops.FAST_OPS.update(ARCHFT if fast else PLAIN)
            sync(device); t = time.perf_counter(); step(); sync(device); dt = time.perf_counter() - t   # CUDA is async
            if r: times[label].append(dt)
    ceiling = {}
    if args.ceiling:            # one profiled step each, after the timed ones (the profiler slows what it watches)
        for label, (fast, step) in setups.items():
            darts_ops.FAST_OPS.update(ARCHFT if fast else PLAIN)
            ceiling[label] = conv_seconds(step)
    darts_ops.FAST_OPS.update(ARCHFT)
    med = {label: statistics.median(v) for label, v in times.items()}
    what = f"search step, {order} order, {layers} cells x {channels} ch, {image_size}px, batch {batch}"
    for label, v in times.items():
        print(f"{what}, {label:<14s} {med[label]:8.3f} s/step (median of {len(v)}; {', '.join(f'{x:.2f}' for x in v)})")
    print(f"{what}: archft {med['plain mixture'] / med['archft']:.2f}x the plain mixture", flush=True)
    extra = {}
    if ceiling:
        (_, conv_plain), (wall, conv) = ceiling["plain mixture"], ceiling["archft"]
        extra = {"plain mixture": dict(conv_s=conv_plain), "archft": dict(conv_s=conv, conv_share=conv / wall,
                                                                          ceiling_over_plain=med["plain mixture"] / conv)}
        print(f"{what}: convolutions {conv / wall:.0%} of archft's profiled step; with everything else free archft "
              f"would be {med['plain mixture'] / conv:.2f}x the plain mixture", flush=True)
    return [dict(step=f"search step, {order} order", order=order, layers=layers, channels=channels, image_size=image_size,
                 batch=batch, arm=label, median_s=med[label], times_s=" ".join(f"{x:.3f}" for x in v),
                 speedup_over_plain=med["plain mixture"] / med[label], **extra.get(label, {})) for label, v in times.items()]


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--channels", type=int, default=16)
    ap.add_argument("--eval-layers", type=int, default=20)
    ap.add_argument("--eval-channels", type=int, default=36)
    ap.add_argument("--eval-batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--ratio-only", action="store_true", help="only archft against the plain mixture")
    ap.add_argument("--device", default="cpu", help="where the ratio runs: cpu, cuda, or auto (CUDA when present)")
    ap.add_argument("--ceiling", action="store_true",
                    help="profile one step per arm: archft's convolution time and the ratio if all else were free")
    ap.add_argument("--sizes", nargs="+", default=["3x4@16", "8x16@32"],
                    help="search networks of the ratio: CELLSxCHANNELS@PIXELS (the gap study's, the published)")
    ap.add_argument("--batches", type=int, nargs="+", default=[16, 64])
    ap.add_argument("--orders", nargs="+", default=["first", "second"])
    ap.add_argument("--out", default=None, help="CSV path (default results/bench/bench_darts-<hardware>.csv)")
    args = ap.parse_args(argv)
    device = get_device(args.device)          # a clear error, before any work, where CUDA is asked for and absent
    if device.type != "cpu" and (args.ceiling or not args.ratio_only):
        raise ValueError(f"--device {device.type} times the ratio only (add --ratio-only); --ceiling profiles the CPU's "
                         "convolution kernels (run it with --device cpu)")
    data = load_dataset("cifar10-subset")
    hw = hardware(device)
    commit = code_commit()
    out = Path(args.out or Path("results/bench") / f"bench_darts-{re.sub(r'[^a-z0-9]+', '-', hw.lower()).strip('-')}.csv")
    print(f"hardware: {hw}; torch {torch.__version__}")
    print(f"search network {args.layers} cells x {args.channels} channels, batch {args.batch}; "
          f"evaluation network DARTS_V2 {args.eval_layers} cells x {args.eval_channels} channels, batch {args.eval_batch}; "
          f"median of {args.repeats}")
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        print(f"\n--- torch threads: {threads}")
        for size in args.sizes:
            cells, rest = size.split("x"); ch, px = rest.split("@")
            for batch in args.batches:
                for order in args.orders:
                    load = os.getloadavg()[0]
                    rows += [dict(hardware=hw, torch=torch.__version__, code_commit=commit, dataset="cifar10-subset", seed=0,
                                  threads=threads, repeats=args.repeats, load_average_1min=round(load, 2), **r)
                             for r in plain_vs_archft(args, data, int(cells), int(ch), int(px), batch, order, device)]
                    out.parent.mkdir(parents=True, exist_ok=True)
                    pd.DataFrame(rows).to_csv(out, index=False)      # written as it goes: a long run keeps what it measured
        if args.ratio_only: continue
        rates = {}
        for label, order, skip, cl in [("search step, first order", "first", True, False),
                                       ("search step, first order, channels_last", "first", True, True),
                                       ("search step, second order", "second", True, False)]:
            loader = TensorLoader(data, args.batch, shuffle=True, augment=True, seed=0, channels_last=cl)
            net, arch, opt = make_search(args, order, skip, channels_last=cl)
            t = median_time(search_step_fn(net, arch, opt, loader, [0]), args.repeats)
            rates[label] = args.batch / t
            print(f"{label:<48s} {args.batch / t:8.2f} images/s  ({t:.3f} s/step)")
        # none / zero skipping on vs off, at initialisation (T = 1: only `none` is skipped) and in a
        # late-search state at T = 0.1 where most weights underflow to exactly 0
        loader = TensorLoader(data, args.batch, shuffle=True, augment=True, seed=0)
        for state, scale, T in [("at initialisation, T = 1", None, 1.0), ("late search (one op ahead by 15), T = 0.1", 15.0, 0.1)]:
            t_on = median_time(search_step_fn(*make_search(args, "first", True, scale, T), loader, [0]), args.repeats)
            t_off = median_time(search_step_fn(*make_search(args, "first", False, scale, T), loader, [0]), args.repeats)
            net, _, _ = make_search(args, "first", True, scale, T)
            zero = float(sum((w == 0).float().mean() for w in net.arch_weights()) / 2)
            print(f"skip on / off speed-up, {state:<40s} {t_off / t_on:5.2f}x  "
                  f"(on {args.batch / t_on:.2f}, off {args.batch / t_off:.2f} images/s; {zero:.0%} of weights exactly 0)")
        seed_everything(0)
        enet = EvalNetwork(DARTS_V2, args.eval_channels, 10, args.eval_layers)
        enet.drop_prob = 0.2; enet._generator = torch.Generator().manual_seed(0)
        eopt = torch.optim.SGD(enet.parameters(), lr=0.025, momentum=0.9, weight_decay=3e-4)
        eloader = TensorLoader(data, args.eval_batch, shuffle=True, augment=True, seed=0)
        counter = [0]
        def eval_step():
            x, y = eloader.batch(counter[0]); counter[0] += 1
            x = cutout(x, 16, torch.Generator().manual_seed(counter[0]))
            logits, aux = enet(x)
            loss = torch.nn.functional.cross_entropy(logits, y) + 0.4 * torch.nn.functional.cross_entropy(aux, y)
            eopt.zero_grad(); loss.backward()
            torch.nn.utils.clip_grad_norm_(enet.parameters(), 5); eopt.step()
        t = median_time(eval_step, args.repeats)
        print(f"{'evaluation network training step':<48s} {args.eval_batch / t:8.2f} images/s  ({t:.3f} s/step, "
              f"{count_params_millions(enet):.2f}M params)")
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(out, index=False)
    print(f"\nwrote {out}")


if __name__ == "__main__":
    main()
