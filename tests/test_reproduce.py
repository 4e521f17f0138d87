"The reproduce notebooks through the papermill command line, and the report generator's command line."
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PAPER_TABLE1 = {("resnet18", "small"): 2**4, ("resnet18", "medium"): 2**8, ("resnet18", "large"): 2**12,
                ("resnet18", "full"): 2**16, ("resnet50", "small"): 2**3, ("resnet50", "medium"): 2**9,
                ("resnet50", "large"): 2**13, ("resnet50", "full"): 2**16}


def test_table1_through_papermill(tmp_path):
    out = tmp_path / "results"
    subprocess.run([str(BIN / "papermill"), "nbs/reproduce_table1.ipynb", str(tmp_path / "table1.ipynb"),
                    "-p", "profile", "smoke", "-p", "out_dir", str(out), "--cwd", "nbs"],
                   cwd=ROOT, check=True, capture_output=True)
    table = pd.read_csv(out / "table1" / "smoke" / "table1.csv")
    assert list(table.columns) == ["arch", "scope", "n_mutable", "n_subnets", "paper_n_subnets", "live_at_32", "live_at_224"]
    live = {(r.arch, r.scope): (r.live_at_32, r.live_at_224) for r in table.itertuples()}
    assert live["resnet18", "small"] == (0, 4) and live["resnet18", "medium"] == (1, 8) and live["resnet50", "full"] == (8, 16)
    got = {(r.arch, r.scope): r.n_subnets for r in table.itertuples()}
    assert got == PAPER_TABLE1
    evidence = pd.read_csv(out / "table1" / "smoke" / "evidence_architecture.csv")
    assert sorted(evidence.claim_id) == sorted(f"table1.{a}.{s}" for a, s in PAPER_TABLE1)
    assert {(r.claim_id, r.value) for r in evidence.itertuples()} == {(f"table1.{a}.{s}", n) for (a, s), n in PAPER_TABLE1.items()}
    record = json.loads((out / evidence.run.iloc[0]).read_text())
    assert record["profile"] == "smoke" and record["computed_by"][0]["code_digest"].keys() == {"archft.space"}


def test_report_command_line(tmp_path):
    "archft-report writes verdicts.csv and REPORT.md from evidence (archft.evidence), one row per registered claim."
    from archft.config import get_profile
    from archft.evidence import computed_by, evidence_rows, run_record, write_evidence
    out = tmp_path / "fig4" / "smoke"
    out.mkdir(parents=True)
    run = run_record(out, "r18", experiment="fig4", regime="r18-medium-32px", profile=get_profile("smoke"),
                     dataset="cifar10-subset", weights_source="fashion-mnist", hardware="CPU", seeds=[0],
                     computed=[computed_by("archft.space")])
    write_evidence(evidence_rows("fig4.resnet18.astar", "r18-medium-32px", run, {"value": {0: "[0, 1, 0, 0, 1, 1, 0, 0]"}}),
                   out, "evidence_r18.csv")
    subprocess.run([str(BIN / "archft-report"), str(tmp_path)], check=True, capture_output=True)
    report = (tmp_path / "REPORT.md").read_text()
    assert "| fig4.resnet18.astar | count | [1, 1, 1, 0, 0, 0, 0, 1] | [0, 1, 0, 0, 1, 1, 0, 0] | not comparable | R |" in report
    assert "| table1.resnet18.small | count | 16 |  | not run | N |" in report
    verdicts = pd.read_csv(tmp_path / "verdicts.csv")
    assert verdicts[["claim_id", "role", "regime", "seeds", "verdict", "stale"]].values.tolist() == \
        [["fig4.resnet18.astar", "claim", "r18-medium-32px", 1, "not comparable", "no"]]


# The paper profile's code path, at tiny size: the published settings with a few overrides that make every notebook
# run in seconds on the offline data (no ImageNet weights, no full CIFAR-10 here). Its `target_accuracy` (85%) and
# second-order TD-DARTS stay as the paper has them, so the paths a GPU user takes run on every commit.
TINY_PAPER = dict(
    target_datasets=["cifar10-subset"], weights_source="fashion-mnist", source_dataset="fashion-mnist", threads=1,
    pretrain_steps=2, pretrain_n_per_class=8, n_per_class=8, max_test_images=40, batch_size=8, eval_batch_size=40,
    search_iters=6, supernet_steps_per_sample=2, reward_batches=1, holdout_batches=0, es_patience=1, rc_window=2, rc_patience=2,
    finetune_iters=4, eval_every=2, scopes=["small"], seeds=[0, 1],
    darts_layers=3, darts_channels=4, darts_epochs=2, darts_batch_size=8, darts_n_train=32, darts_gap_seeds=[0],
    eval_layers=3, eval_channels=4, eval_epochs=1, eval_batch=16, eval_n_train=32)
# The gap study's sizes are the notebook's own tables (paper: BatchNorm re-estimated on 8 batches for every gap; cells
# retrained at 8 x 16 channels for 100 epochs), not profile rows; its paper path runs five schedules at second order.
TINY_PARAMS = {"td_darts_gap": dict(search=json.dumps(dict(gap_bn_batches=2)),
                                    retrain_size=json.dumps(dict(layers=3, channels=4, epochs=1)))}
NOTEBOOKS = sorted(p.stem.removeprefix("reproduce_") for p in (ROOT / "nbs").glob("reproduce_*.ipynb"))


def papermill_parameters(name) -> str:
    "The source of a reproduce notebook's cell tagged `parameters`."
    nb = json.loads((ROOT / "nbs" / f"reproduce_{name}.ipynb").read_text())
    return next("".join(c["source"]) for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))


def run_notebook(name, out, tmp_path, **params):
    args = [str(BIN / "papermill"), f"nbs/reproduce_{name}.ipynb", str(tmp_path / f"{name}.ipynb"), "--cwd", "nbs",
            "-p", "out_dir", str(out)]
    for k, v in params.items(): args += ["-p", k, str(v)]
    env = dict(os.environ, ARCHFT_CACHE=str(tmp_path / "cache"), OMP_NUM_THREADS="1")
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env=env)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_paper_profile_at_tiny_size(name, tmp_path):
    params = papermill_parameters(name)
    assert "overrides" in params, f"reproduce_{name} takes no `overrides` parameter (it would run the paper at full size)"
    out = tmp_path / "results"
    run = run_notebook(name, out, tmp_path, profile="paper", overrides=json.dumps(TINY_PAPER), **TINY_PARAMS.get(name, {}))
    assert run.returncode == 0, run.stderr[-3000:]
    records = [json.loads(f.read_text()) for f in out.glob("*/paper/run*.json")]     # beside every result: its record
    assert records, f"reproduce_{name} wrote no run record under the paper profile"
    assert all(r["profile"] == "paper" for r in records)
    assert not list(out.glob("*/paper/claims*.csv")), "claims are judged from evidence (archft.evidence), not written as sentences"


def test_unknown_override_names_the_valid_settings(tmp_path):
    run = run_notebook("table2", tmp_path / "results", tmp_path, profile="smoke", overrides='{"finetune_iter": 4}')
    assert run.returncode != 0 and "finetune_iter" in run.stderr and "finetune_iters" in run.stderr


def test_gap_study_caps_its_images_and_reruns_with_another_setting(tmp_path):
    "The held-out images follow the profile's `max_test_images`; a changed setting finds its own checkpoints; `stored_only`."
    out, args = tmp_path / "results", dict(profile="smoke", schedules='["darts"]', retrain=False)
    first = run_notebook("td_darts_gap", out, tmp_path, overrides='{"darts_gap_seeds": [0]}', **args)
    assert first.returncode == 0, first.stderr[-3000:]
    capped = run_notebook("td_darts_gap", out, tmp_path, overrides='{"darts_gap_seeds": [0], "max_test_images": 50}', **args)  # same cache
    assert capped.returncode == 0, capped.stderr[-3000:]
    assert "gap on 50 held-out images" in (tmp_path / "td_darts_gap.ipynb").read_text()
    # stored_only: the stored units are read, a seed without them is left out, nothing is computed
    stored = run_notebook("td_darts_gap", out, tmp_path, overrides='{"darts_gap_seeds": [0, 1], "max_test_images": 50}',
                          stored_only=True, **args)
    assert stored.returncode == 0, stored.stderr[-3000:]
    assert "seed 1: not every unit stored; left out (stored_only)" in (tmp_path / "td_darts_gap.ipynb").read_text()
    assert json.loads((out / "td_darts_gap" / "smoke" / "summary.json").read_text())["seeds"] == [0]
    # a shard runs its share of the seeds; a run without one then reads every unit back
    two = dict(overrides='{"darts_gap_seeds": [0, 1], "max_test_images": 50}', **args)
    shard = run_notebook("td_darts_gap", out, tmp_path, shard="1/2", **two)
    assert shard.returncode == 0, shard.stderr[-3000:]
    assert "unit darts seed 1: running" in (tmp_path / "td_darts_gap.ipynb").read_text()
    # the seeds as papermill's -p passes them, a string of JSON, over the profile's [0]
    # and with retraining asked for, stored_only trains nothing: a seed whose cells are not all retrained is left out
    whole = run_notebook("td_darts_gap", out, tmp_path, stored_only=True, seeds="[0, 1]",
                         overrides='{"darts_gap_seeds": [0], "max_test_images": 50}', **{**args, "retrain": True})
    assert whole.returncode == 0, whole.stderr[-3000:]
    assert "seed 1: not every retraining stored; left out of the retrained cells (stored_only)" in (tmp_path / "td_darts_gap.ipynb").read_text()
    assert json.loads((out / "td_darts_gap" / "smoke" / "summary.json").read_text())["seeds"] == [0, 1]
    # a unit computed by other code is not read back: stored_only leaves its seed out (a run would compute it again)
    f = out / "td_darts_gap" / "smoke" / "units" / "slides_darts_seed0.json"
    u = json.loads(f.read_text()); u["computed_by"]["code_digest"]["archft.darts.model"] = "0" * 16
    f.write_text(json.dumps(u))
    stale = run_notebook("td_darts_gap", out, tmp_path, stored_only=True, **two)
    assert stale.returncode == 0, stale.stderr[-3000:]
    assert "seed 0: not every unit stored; left out (stored_only)" in (tmp_path / "td_darts_gap.ipynb").read_text()
    bad_seeds = run_notebook("td_darts_gap", out, tmp_path, seeds="0, 1", **two)
    assert bad_seeds.returncode != 0 and "seeds must be a list of integers (or its JSON), got '0, 1'" in bad_seeds.stderr
    bad = run_notebook("td_darts_gap", out, tmp_path, shard="2/2", **two)
    assert bad.returncode != 0 and "shard must be 'i/n' with 0 <= i < n, got '2/2'" in bad.stderr
