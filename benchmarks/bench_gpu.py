"""Median step times of every training step of the study, with the fast path (archft.train.FastPath) on and off,
and the wall time of the paper profile projected from them.

Steps: the stage-1 supernet step (controller sample + supernet SGD step; small and medium scope, ResNet-18 and
ResNet-50), the stage-2 step (the found architecture, in-scope weights trained), the TD-DARTS search step (architect
step + weight step; first and second order) and the TD-DARTS evaluation network's step. Variants:
  legacy   the loop before the fast path (float32, `loss.item()` every step: a host synchronisation)
  off      float32, running loss kept on the device (what `fast=None` runs now)
  auto     the paper profile's fast path resolved for this device (bf16 + channels-last on CUDA; off on the CPU)
  bf16, cl, bf16+cl   (CPU, to see why auto is off there), compile (with --compile: auto + torch.compile of the
           fixed-shape steps, stage 2 and the evaluation network)
All timings are medians of interleaved repetitions in one process on random batches, after a warm-up, with
torch.cuda.synchronize around each timed step on CUDA. Usage:
    python benchmarks/bench_gpu.py [--small] [--repeats N] [--threads N] [--compile] [--out results/bench/x.csv]
"""
import argparse
import re
import statistics
import sys
import time
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F
from torchvision.models import get_model

from archft.config import get_device, get_profile, hardware, torch_threads
from archft.controller import Controller
from archft.darts.architect import Architect, weight_optimizer, weight_step
from archft.darts.eval import EvalNetwork
from archft.darts.genotype import DARTS_V2
from archft.darts.model import SearchNetwork
from archft.supernet import Supernet
from archft.darts.temperature import ConstantTemperature
from archft.train import FastPath, smooth


def variants(device, compile_):
    auto = FastPath.from_profile(get_profile("paper"), device)
    v = {"legacy": FastPath(), "off": FastPath(), "auto": auto}
    if device.type == "cpu":
        v.update({"bf16": FastPath(torch.bfloat16), "cl": FastPath(channels_last=True),
                  "bf16+cl": FastPath(torch.bfloat16, channels_last=True)})
    if compile_:
        v["compile"] = FastPath(auto.amp_dtype, auto.channels_last, True)
    return v


def sync(device):
    if device.type == "cuda": torch.cuda.synchronize(device)


def sgd(model, lr=0.05):
    return torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=lr, momentum=0.9, weight_decay=5e-4)


def batches(n, batch, size, device, classes=10):
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(batch, 3, size, size, generator=g).to(device),
             torch.randint(0, classes, (batch,), generator=g).to(device)) for _ in range(n)]


class Running:
    "The smoothed loss as each variant keeps it: a Python float (legacy: `.item()` per step) or on the device."
    def __init__(self, legacy): self.legacy, self.value = legacy, None
    def update(self, loss):
        if self.legacy:
            v = loss.item()
            self.value = v if self.value is None else 0.9 * self.value + 0.1 * v
        else:
            self.value = smooth(self.value, loss)


def supernet_step(arch, scope, fast, legacy, data, device):
    torch.manual_seed(0)
    sn = fast.prepare(Supernet(get_model(arch, weights=None, num_classes=10), scope, num_classes=10).to(device)).train()
    controller, gen, opt, run = Controller(sn.n_layers), torch.Generator().manual_seed(0), sgd(sn), Running(legacy)
    def step(i):
        with torch.no_grad(), torch_threads(1):              # the controller samples on the CPU, as in search()
            actions, _, _ = controller.sample(gen)
        sn.set_subnet(actions)
        x, y = data[i % len(data)]
        with fast.autocast(device):
            loss = F.cross_entropy(sn(fast.batch(x)), y)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        run.update(loss)
    return step


def stage2_step(arch, scope, fast, legacy, data, device):
    torch.manual_seed(0)
    sn = Supernet(get_model(arch, weights=None, num_classes=10), scope, num_classes=10)
    model = fast.prepare(sn.derive([1, 0] * (sn.n_layers // 2) + [1] * (sn.n_layers % 2)).to(device)).train()
    opt, run = sgd(model), Running(legacy)
    forward = fast.compiled(lambda x, y: F.cross_entropy(model(x), y))
    def step(i):
        x, y = data[i % len(data)]
        with fast.autocast(device):
            loss = forward(fast.batch(x), y)
        opt.zero_grad(set_to_none=True); loss.backward(); opt.step()
        run.update(loss)
    return step


def darts_step(order, layers, channels, fast, legacy, data, device):
    torch.manual_seed(0)
    net = fast.prepare(SearchNetwork(C=channels, layers=layers, skip_zero=True,
                                     schedule=ConstantTemperature(1.0)).to(device))
    arch, (opt, _), run = Architect(net, order), weight_optimizer(net), Running(legacy)
    def step(i):
        (xw, yw), (xa, ya) = data[(2 * i) % len(data)], data[(2 * i + 1) % len(data)]
        xw, xa = fast.batch(xw), fast.batch(xa)
        with fast.autocast(device):
            arch.step(xw, yw, xa, ya, lr=0.025, w_optimizer=opt)
            loss, _ = weight_step(net, opt, xw, yw)
        run.update(loss)
    return step


def eval_net_step(layers, channels, fast, legacy, data, device):
    torch.manual_seed(0)
    net = fast.prepare(EvalNetwork(DARTS_V2, channels, 10, layers).to(device)).train()
    net.drop_prob = 0.0           # drop-path draws per step: off, so that the step has one fixed graph to compile
    opt, run = torch.optim.SGD(net.parameters(), lr=0.025, momentum=0.9, weight_decay=3e-4), Running(legacy)
    def loss_fn(x, y):
        logits, aux = net(x)
        return F.cross_entropy(logits, y) + 0.4 * F.cross_entropy(aux, y)
    forward = fast.compiled(loss_fn)
    def step(i):
        x, y = data[i % len(data)]
        with fast.autocast(device):
            loss = forward(fast.batch(x), y)
        opt.zero_grad(set_to_none=True); loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5); opt.step()
        run.update(loss)
    return step


def time_cases(cases, repeats, device):
    "Median seconds per step of each case: one warm-up each, then the cases interleaved `repeats` times."
    steps = {}
    for name, make in cases.items():
        try:
            steps[name] = make()
            steps[name](0); sync(device)                     # warm-up (and compilation)
        except Exception as e:                               # a variant that does not run here is reported, not fatal
            print(f"  {name}: failed: {type(e).__name__}: {str(e).splitlines()[0][:120]}", file=sys.stderr)
    times = {k: [] for k in steps}
    for i in range(1, repeats + 1):
        for name, step in steps.items():
            sync(device); t = time.perf_counter()
            step(i); sync(device)
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--small", action="store_true", help="CI-sized: small batches and networks (for the CPU)")
    ap.add_argument("--repeats", type=int, default=None, help="timed repetitions per case (default 10; 3 with --small)")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default 1 on the CPU, torch's on CUDA)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--archs", nargs="+", default=["resnet18", "resnet50"])
    ap.add_argument("--scopes", nargs="+", default=None, help="default: all four (small, medium with --small)")
    ap.add_argument("--variants", nargs="+", default=None, help="subset of the variants (default: all)")
    ap.add_argument("--steps", nargs="+", default=["stage1", "stage2", "darts", "eval"])
    ap.add_argument("--compile", action="store_true", help="also time torch.compile of the fixed-shape steps")
    ap.add_argument("--out", default=None, help="CSV path (default results/bench/bench_gpu-<hardware>.csv)")
    args = ap.parse_args(argv)
    device = get_device(args.device)
    threads = args.threads or (1 if device.type == "cpu" else None)
    if threads: torch.set_num_threads(threads)
    repeats = args.repeats or (3 if args.small else 10)
    scopes = args.scopes or (["small", "medium"] if args.small else ["small", "medium", "large", "full"])
    p = get_profile("paper")
    batch = 8 if args.small else p.batch_size
    d_layers, d_channels, d_batch = (3, 4, 8) if args.small else (p.darts_layers, p.darts_channels, p.darts_batch_size)
    e_layers, e_channels, e_batch = (3, 8, 8) if args.small else (p.eval_layers, p.eval_channels, p.eval_batch)
    hw = hardware(device)
    slug = re.sub(r"[^a-z0-9]+", "-", hw.lower()).strip("-")
    out = Path(args.out or Path("results/bench") / f"bench_gpu-{slug}.csv")
    vs = {k: v for k, v in variants(device, args.compile).items() if args.variants is None or k in args.variants}
    print(f"{hw}; {torch.get_num_threads()} threads; torch {torch.__version__}; repeats {repeats}; "
          f"{'small' if args.small else 'paper-sized'} form")
    print("variants: " + "; ".join(f"{k} = {v.describe()}" + (" + .item() per step" if k == "legacy" else "")
                                   for k, v in vs.items()))

    rows = []
    def run_group(step, arch, scope, b, make):
        cases = {k: (lambda k=k, v=v: make(v, k == "legacy")) for k, v in vs.items()
                 if v.compile is False or step in ("stage2", "eval")}
        med = time_cases(cases, repeats, device)
        for k, t in med.items():
            rows.append(dict(step=step, arch=arch, scope=scope, batch=b, variant=k, fast=str(vs[k].describe()),
                             median_s=t, images_per_s=b / t))
        ref = med.get("legacy")
        print(f"{step:7s} {arch:10s} {scope:9s} batch {b:3d}: " + "  ".join(
            f"{k} {1e3 * t:8.1f} ms" + (f" ({ref / t:4.2f}x)" if ref and k != "legacy" else "") for k, t in med.items()))

    if "stage1" in args.steps or "stage2" in args.steps:
        data = batches(4, batch, 32, device)
        for arch in args.archs:
            for scope in scopes:
                if "stage1" in args.steps:
                    run_group("stage1", arch, scope, batch, lambda v, l: supernet_step(arch, scope, v, l, data, device))
                if "stage2" in args.steps:
                    run_group("stage2", arch, scope, batch, lambda v, l: stage2_step(arch, scope, v, l, data, device))
    if "darts" in args.steps:
        data = batches(4, d_batch, 32, device)
        for order in ("first", "second"):
            run_group("darts", f"search-{d_layers}x{d_channels}", order, d_batch,
                      lambda v, l: darts_step(order, d_layers, d_channels, v, l, data, device))
    if "eval" in args.steps:
        data = batches(4, e_batch, 32, device)
        run_group("eval", f"DARTS_V2-{e_layers}x{e_channels}", "-", e_batch,
                  lambda v, l: eval_net_step(e_layers, e_channels, v, l, data, device))

    df = pd.DataFrame(rows)
    df["ratio_vs_legacy"] = df["median_s"].rdiv(df.groupby(["step", "arch", "scope"])["median_s"].transform(
        lambda s: s[df.loc[s.index, "variant"] == "legacy"].iloc[0] if (df.loc[s.index, "variant"] == "legacy").any() else float("nan")))
    # projections (hours) of the paper profile from the measured step times: Table 2 per scope = search
    # (search_iters supernet steps) + 2 arms x finetune_iters stage-2 steps; TD-DARTS = darts_epochs x 391 steps
    proj = []
    for (arch, variant), g in df[df.step.isin(["stage1", "stage2"])].groupby(["arch", "variant"]):
        t = g.set_index(["step", "scope"])["median_s"]
        done = [s for s in scopes if ("stage1", s) in t and ("stage2", s) in t]
        if not done: continue                                 # a projection needs both stages of a scope
        hours = sum(p.search_iters * t["stage1", s] + 2 * p.finetune_iters * t["stage2", s] for s in done) / 3600
        proj.append(dict(step="projection", arch=arch, scope="+".join(done), batch=batch, variant=variant,
                         projected_hours=hours, what=f"Table 2: {len(done)} scopes x ({p.search_iters} search + "
                         f"2 x {p.finetune_iters} stage-2 iterations)"))
    for (arch, scope, variant), g in df[(df.step == "darts") & (df.scope == "second")].groupby(["arch", "scope", "variant"]):
        proj.append(dict(step="projection", arch=arch, scope=scope, batch=d_batch, variant=variant,
                         projected_hours=p.darts_epochs * 391 * g["median_s"].iloc[0] / 3600,
                         what=f"TD-DARTS search: {p.darts_epochs} epochs x 391 steps, second order"))
    proj = pd.DataFrame(proj)
    if len(proj):
        print("\nprojected wall time of the paper profile (hours; at the measured batch sizes"
              + (", NOT the paper's: --small" if args.small else "") + "):")
        print(proj.pivot_table(index=["what", "arch", "scope"], columns="variant", values="projected_hours").round(2).to_string())
    result = pd.concat([df, proj], ignore_index=True)
    result.insert(0, "hardware", hw)
    result.insert(1, "threads", torch.get_num_threads())
    result.insert(2, "torch", torch.__version__)
    result.insert(3, "form", "small" if args.small else "paper-sized")
    out.parent.mkdir(parents=True, exist_ok=True)
    result.to_csv(out, index=False)
    print(f"\nwrote {out}")
    return result


if __name__ == "__main__":
    main()
