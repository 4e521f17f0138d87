"""The Ray backend of `archft.units` on a local 2-CPU Ray cluster: the same results as the local backend, a worker
killed with SIGKILL mid-unit is retried and resumes from its checkpoint, a bad unit fails the run with its error."""
import json
import os
import signal
import threading
import time

import pytest
import ray
import torch

from archft.config import get_profile
from archft.train import _pid_alive
from archft.units import UnitError, run_unit, run_units, scope_units, search_unit

# make test runs these apart, after the parallel workers: a Ray node that cannot register within 30 s (ray/_private/node.py)
# gives up, and beside a busy worker on 2 cores it does
pytestmark = pytest.mark.ray
TINY = dict(search_iters=4, finetune_iters=4, eval_every=2, n_per_class=8, max_test_images=50)


def same(a, b) -> bool:
    "Equal results (as JSON text: a NaN that came through Ray is another float object than json's NaN)."
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.fixture(autouse=True)
def archft_env(tmp_path, monkeypatch):
    "Every test in its own cache and storage; one torch thread (the machine is shared)."
    monkeypatch.setenv("ARCHFT_CACHE", str(tmp_path / "local-cache"))
    monkeypatch.setenv("ARCHFT_STORAGE", str(tmp_path / "storage"))
    monkeypatch.setenv("ARCHFT_DOWNLOAD", "0")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def cluster():
    "A local Ray cluster of 2 CPUs, shared by the tests that use it (run_units uses it and leaves it running)."
    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=256 * 2**20, log_to_driver=False,
             logging_level="warning")
    yield
    ray.shutdown()


def test_ray_gives_the_local_results(tmp_path):
    "Run first (no cluster yet): run_units starts a local cluster for the run and shuts it down."
    units = list(scope_units("resnet18", "small", get_profile("smoke", **TINY), seed=0))
    local = run_units(units, storage=tmp_path / "local", progress=False)     # computed here, in ARCHFT_CACHE
    on_ray = run_units(units, backend="ray", storage=tmp_path / "ray", num_cpus=2, progress=False)
    assert not ray.is_initialized()
    assert same(on_ray, local)
    assert on_ray[1]["curve"][-1]["iteration"] == 4 and len(on_ray[0]["actions"]) > 0
    attempts = [a for u in units for a in u.attempts(tmp_path / "ray")]
    assert len(attempts) == 3 and all(a["pid"] != os.getpid() for a in attempts)   # ran on Ray workers
    assert (tmp_path / "ray" / "cache" / "runs").is_dir()                           # checkpoints on the storage
    # a rerun finds every result and starts nothing
    assert same(run_units(units, backend="ray", storage=tmp_path / "ray", progress=False), local)
    assert not ray.is_initialized() and len([a for u in units for a in u.attempts(tmp_path / "ray")]) == 3


def _sample(path) -> int:
    return torch.load(path, map_location="cpu", weights_only=False, mmap=True)["sample"]


def test_killed_worker_resumes_from_its_checkpoint(tmp_path, cluster):
    # a search that checkpoints after every one of its 12 controller samples
    unit = search_unit("resnet18", "small", get_profile("smoke", search_iters=12, supernet_steps_per_sample=1,
                                                       n_per_class=8, max_test_images=50), checkpoint_every=1)
    reference = run_unit(unit, tmp_path / "reference")                             # uninterrupted, here
    storage = tmp_path / "ray"
    killed, after = [], []

    def checkpoint():
        found = [p for p in (storage / "cache").rglob("*.pt") if "search" in p.name]
        return found[0] if found else None

    def kill_then_watch():
        "SIGKILL the worker once its checkpoint holds 3 samples; then note every sample the retry checkpoints."
        deadline = time.time() + 600                     # bounds a hang only: the watch ends with the result
        while time.time() < deadline and not killed:
            ck = checkpoint()
            if ck is not None and _sample(ck) >= 3:
                os.kill(unit.attempts(storage)[-1]["pid"], signal.SIGKILL)
                time.sleep(0.2)
                killed.append(_sample(ck))
            time.sleep(0.01)
        seen = None
        while time.time() < deadline and unit.result(storage) is None:
            ck = checkpoint()
            stamp = ck.stat().st_mtime_ns
            if stamp != seen: seen = stamp; after.append(_sample(ck))
            time.sleep(0.01)

    watcher = threading.Thread(target=kill_then_watch)
    watcher.start()
    result = run_units([unit], backend="ray", storage=storage, progress=False)[0]
    watcher.join()
    assert killed, "the worker was never killed"
    attempts = unit.attempts(storage)
    assert len(attempts) == 2 and attempts[0]["pid"] != attempts[1]["pid"]        # Ray retried it in a new worker
    print(f"killed at sample {killed[0]}; samples in the checkpoint afterwards: {after}")
    assert min(after) >= killed[0], f"restarted from scratch: killed at sample {killed[0]}, then {after}"
    assert same(result, reference)


def test_bad_unit_fails_the_run_with_its_error(tmp_path, cluster):
    profile = get_profile("smoke", **TINY)
    bad = search_unit("resnet18", "huge", profile)
    # a unit that would run for hours: the run returns only because it does not wait for it
    slow = search_unit("resnet18", "small", get_profile("smoke", search_iters=100_000, supernet_steps_per_sample=1,
                                                        n_per_class=8, max_test_images=50))
    with pytest.raises(UnitError) as e:
        run_units([slow, *scope_units("resnet18", "huge", profile)], backend="ray", progress=False)
    assert "search resnet18 huge seed 0" in str(e.value) and bad.key() in str(e.value)
    assert "huge" in str(e.value.__cause__)                # the unit's own error (in Ray's traceback)
    assert slow.result() is None
    # cancelled: the worker that had started it (if any had) is killed, not left running beside the next run
    workers = [a["pid"] for a in slow.attempts()]
    deadline = time.time() + 120                           # Ray kills the worker asynchronously
    while any(_pid_alive(pid) for pid in workers) and time.time() < deadline: time.sleep(0.5)
    assert not any(_pid_alive(pid) for pid in workers), f"the slow unit still runs in worker {workers}"
