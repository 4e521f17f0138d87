"""Cost of a supernet step against the equivalent plain network, and of a small-scope fine-tuning step
against a full backward pass; images per second of both stages.

All timings are medians of interleaved repetitions in one process, on random 32x32 batches
(the data loader is measured by bench_loader.py). Usage:
    python benchmarks/bench_stage1.py [--arch resnet18] [--batch 64] [--repeats 15] [--threads N]
"""
import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torchvision.models import get_model

from archft.config import hardware, torch_threads
from archft.controller import Controller
from archft.supernet import Supernet, vanilla_model


def train_step(model, opt, x, y):
    loss = F.cross_entropy(model(x), y)
    opt.zero_grad(set_to_none=True); loss.backward(); opt.step()


def sgd(model):
    return torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.01, momentum=0.9)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="resnet18")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    base = get_model(args.arch, weights=None, num_classes=10).eval()
    x, y = torch.randn(args.batch, 3, 32, 32), torch.randint(0, 10, (args.batch,))

    supernet = Supernet(base, "medium", num_classes=10).train()
    controller = Controller(supernet.n_layers)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():                            # the subnets the controller samples, and their plain networks
        subnets = [controller.sample(gen)[0] for _ in range(args.repeats)]
    plains = [supernet.derive(a).train() for a in subnets]   # same kernels, same frozen prefix, ordinary convs
    small = vanilla_model(base, "small", num_classes=10).train()
    full = get_model(args.arch, weights=None, num_classes=10).train()   # every layer trainable
    opt_super, opt_small, opt_full = sgd(supernet), sgd(small), sgd(full)
    opt_plains = [sgd(p) for p in plains]

    def supernet_step(i):                             # what the search does per training batch
        with torch.no_grad(), torch_threads(1):
            controller.sample(gen)                    # the sampling cost is part of a search step
        supernet.set_subnet(subnets[i])
        train_step(supernet, opt_super, x, y)

    cases = {"supernet step (sampled subnet)": supernet_step,
             "plain network of that subnet": lambda i: train_step(plains[i], opt_plains[i], x, y),
             "fine-tuning step, small scope": lambda i: train_step(small, opt_small, x, y),
             "full backward pass (all layers)": lambda i: train_step(full, opt_full, x, y)}
    times = {k: [] for k in cases}
    for i in range(args.repeats):                     # warm-up: every subnet once
        for fn in list(cases.values())[:2]: fn(i)
    for fn in list(cases.values())[2:]: fn(0)
    for i in range(args.repeats):
        for name, fn in cases.items():               # interleaved, so drift hits every case alike
            t = time.perf_counter(); fn(i); times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"{args.arch}, batch {args.batch}, {hardware('cpu')}, {args.threads} threads, torch {torch.__version__}")
    for k, v in med.items():
        print(f"  {k:34s} {1e3 * v:8.1f} ms  {args.batch / v:8.1f} images/s")
    ratios = [a / b for a, b in zip(times["supernet step (sampled subnet)"], times["plain network of that subnet"])]
    print(f"ratio supernet / plain network of the same subnet: {statistics.median(ratios):.3f}  (median of per-subnet ratios; target <= 1.10)")
    print(f"ratio small-scope fine-tuning / full backward    : {med['fine-tuning step, small scope'] / med['full backward pass (all layers)']:.3f}")


if __name__ == "__main__":
    main()
