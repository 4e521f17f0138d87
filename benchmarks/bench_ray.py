"""Serial (the local backend) against Ray (a local cluster of --cpus CPUs) on a small study: the Fig. 3 units of one
arch, every scope of the profile, --seeds. Every run starts from an empty storage and cache, with the source network
already pretrained (copied in), so that both time the units only; Ray's time includes starting and stopping its cluster.
Prints every time, the medians and their ratio, and whether both backends gave the same results.

    PYTHONPATH=$PWD ARCHFT_DATA=... python benchmarks/bench_ray.py --reps 3 --cpus 2 --seeds 0 1 [--set search_iters=48]
"""
import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import torch

from archft.config import get_profile, hardware
from archft.pipeline import prepare
from archft.units import run_units, scope_units

ap = argparse.ArgumentParser()
ap.add_argument("--profile", default="smoke")
ap.add_argument("--arch", default="resnet18")
ap.add_argument("--seeds", type=int, nargs="+", default=[0])
ap.add_argument("--cpus", type=int, default=2)
ap.add_argument("--reps", type=int, default=3)
ap.add_argument("--set", nargs="*", default=[], metavar="SETTING=VALUE", help="profile overrides, e.g. search_iters=48")
args = ap.parse_args()
overrides = {k: json.loads(v) for k, v in (a.split("=", 1) for a in args.set)}

torch.set_num_threads(1)
p = get_profile(args.profile, **overrides)
study = [u for seed in args.seeds for scope in p.scopes for u in scope_units(args.arch, scope, p, seed)]
root = Path(tempfile.mkdtemp(prefix="bench-ray-"))
warm = root / "warm"
os.environ["ARCHFT_CACHE"] = str(warm)
prepare(args.arch, p, seed=args.seeds[0], progress=False)        # the source network, pretrained once


def run(backend: str, rep: int):
    run_dir = root / f"{backend}-{rep}"
    for cache in (run_dir / "cache", run_dir / "storage" / "cache"):   # local's cache, the Ray workers' cache
        cache.mkdir(parents=True)
        for f in warm.glob("*.pt"): shutil.copy(f, cache)
    os.environ["ARCHFT_CACHE"] = str(run_dir / "cache")
    t0 = time.perf_counter()
    results = run_units(study, backend, storage=run_dir / "storage", num_cpus=args.cpus, progress=False)
    return time.perf_counter() - t0, json.dumps(results, sort_keys=True)


times, outs = {"local": [], "ray": []}, {}
for rep in range(args.reps):
    for backend in ("local", "ray"):
        t, out = run(backend, rep)
        times[backend].append(t); outs.setdefault(backend, out)
        print(f"rep {rep} {backend:5s} {t:7.1f} s", flush=True)
med = {b: statistics.median(v) for b, v in times.items()}
print(f"{len(study)} units ({args.arch}, scopes {p.scopes}, seeds {args.seeds}, profile {p.name}); {hardware('cpu')}; "
      f"Ray on a local cluster of {args.cpus} CPUs; overrides {overrides}")
print(f"median serial {med['local']:.1f} s, median ray {med['ray']:.1f} s, speed-up {med['local'] / med['ray']:.2f}x")
print("same results:", outs["local"] == outs["ray"])
shutil.rmtree(root)
