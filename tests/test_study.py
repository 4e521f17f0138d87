"The study's plans (archft.study): their order, a notebook step's command, a plan run on one and on two workers."
import json
import os
import re
import shlex
from pathlib import Path

import pytest
import torch

from archft.config import get_profile
from archft.study import (PLANS, Step, main, notebook_command, plan_steps, plan_table, run_plan, step_units)
from archft.units import darts_eval_unit, darts_search_unit

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    monkeypatch.setenv("ARCHFT_DOWNLOAD", "0")
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    torch.set_num_threads(1)


def test_plan_order():
    "Every step after the steps it reads; `only` brings them along; the reproduce plan holds the study's runs."
    names = [s.name for s in plan_steps("resnet50")]
    assert names[0] == "resnet50-source" and set(names[1:]) == {"fig3.resnet50", "fig4.resnet50"}
    assert [s.name for s in plan_steps("resnet50", only=["fig4.resnet50"])] == ["resnet50-source", "fig4.resnet50"]
    steps = [Step("c", after=("b",)), Step("b", after=("a",)), Step("a"), Step("d", after=("a", "c"))]
    order = [s.name for s in plan_steps(steps, check=False)]
    assert all(order.index(a) < order.index(s.name) for s in steps for a in s.after), order
    assert {s.name for s in plan_steps("reproduce")} == {
        "table1", "table2", "temperature", "td_darts_cifar100", "fig3.resnet18-40px", "td_darts_cifar10",
        "fig3.resnet18", "fig4.resnet18", "early_stopping", "td_darts_gap"}
    for name in PLANS: plan_steps(name)            # each named plan passes its notebooks' parameters check


def test_notebook_command():
    "The papermill command of a step: the notebook, its output under the results, the profile and its parameters."
    step = next(s for s in PLANS["reproduce"].steps if s.name == "fig3.resnet18-40px")
    assert notebook_command(step, "cpu", "results") == [
        "papermill", "nbs/reproduce_fig3.ipynb", "results/fig3/cpu/reproduce_fig3-resnet18-40px.ipynb",
        "-p", "profile", "cpu", "-p", "arch", "resnet18", "-p", "image_size", "40", "-y", 'scopes: ["medium"]',
        "-y", 'overrides: {"search_iters": 100, "finetune_iters": 150}', "-p", "variant", "False",
        "--cwd", "nbs", "--no-progress-bar"]
    gap = next(s for s in PLANS["reproduce"].steps if s.name == "td_darts_gap")
    assert notebook_command(gap, "smoke", "/r")[2:] == [
        "/r/td_darts_gap/smoke/reproduce_td_darts_gap.ipynb", "-p", "profile", "smoke", "-p", "budget_minutes", "60",
        "--cwd", "nbs", "--no-progress-bar"]
    live = PLANS["fig3-live65"].steps[0]
    assert live.storage_dir("/r", "cpu") == Path("/r/fig3/cpu/units")


def test_bad_input(capsys):
    "An unknown plan or step, a parameter the notebook does not take: a clear error (exit status 2 on the command line)."
    with pytest.raises(ValueError, match="unknown plan 'fig5'; plans: reproduce, "): plan_steps("fig5")
    with pytest.raises(ValueError, match=re.escape("unknown step(s) ['fig5']; the plan's steps: fig3.resnet18, ")):
        plan_steps("reproduce", only="fig5")
    with pytest.raises(ValueError, match="takes no parameter"): plan_steps([Step("fig4", {"scope_": "small"})])
    with pytest.raises(ValueError, match="unknown backend"): run_plan("reproduce", "smoke", backend="spark")
    for argv in (["run", "--plan", "fig5", "--profile", "smoke"], ["list", "--plan", "reproduce", "--only", "x"]):
        with pytest.raises(SystemExit) as e: main(argv)
        assert e.value.code == 2
        assert "python -m archft.study: error: unknown" in capsys.readouterr().err


def test_step_units_waves():
    "A unit that needs another's result is declared once that result is known, and each unit runs once."
    ran = []
    def declare(profile, results):
        a = darts_search_unit("linear", profile, seed=0, dataset="cifar10-subset")
        return [a] + ([darts_eval_unit(a, "best")] if results(a) is not None else [])
    got = step_units(Step("two", units=declare), "smoke", lambda us: ran.append([u.kind for u in us]) or [{}] * len(us))
    assert ran == [["darts_search"], ["darts_eval"]] and len(got) == 2


TINY = get_profile("smoke", darts_epochs=1, eval_epochs=1)


def tiny_units(profile, results):
    "Two tiny TD-DARTS searches (32 images, one epoch), each cell's evaluation once its search is known."
    searches = [darts_search_unit("linear", TINY, seed=s, dataset="cifar10-subset", n_train=32) for s in (0, 1)]
    return searches + [darts_eval_unit(s, "best", n_train=32) for s in searches if results(s) is not None]


def numbers(result: dict) -> str:
    "A stored result without the run's timing and the record of the code (the same code here)."
    drop = lambda d: {k: v for k, v in d.items() if "seconds" not in k and k != "computed_by"}
    r = drop(result)
    r["log"] = [drop(row) for row in r["log"]]
    return json.dumps(r, sort_keys=True)


def stored(storage: Path) -> dict:
    return {f.parent.name: numbers(json.loads(f.read_text())) for f in sorted(storage.rglob("result.json"))}


def test_tiny_plan_two_workers_as_one(tmp_path, monkeypatch):
    "A tiny plan run on two workers stores the same results as on one, each unit run once, every step logged."
    plan = [Step("tiny", units=tiny_units), Step("tiny-again", units=tiny_units, after=("tiny",))]
    for n in (1, 2):
        monkeypatch.setenv("ARCHFT_CACHE", str(tmp_path / f"cache{n}"))        # nothing shared between the runs
        monkeypatch.setenv("ARCHFT_STORAGE", str(tmp_path / f"storage{n}"))
        run_plan(plan, "smoke", workers=n, results=tmp_path / f"results{n}", report=False)
    one, two = stored(tmp_path / "storage1"), stored(tmp_path / "storage2")
    assert len(one) == 4 and one == two
    attempts = [len(f.read_text().splitlines()) for f in (tmp_path / "storage2").rglob("attempts.jsonl")]
    assert attempts == [1] * 4                                                   # the second step read them back
    log = (tmp_path / "results2" / "reproduce_smoke.log").read_text().splitlines()
    assert [l.split(" ", 1)[1] for l in log] == ["start tiny", "done tiny", "start tiny-again", "done tiny-again"]


def test_failed_step_skips_its_readers(tmp_path, monkeypatch):
    "A step that fails is logged, the steps reading it are skipped, and the run raises naming them."
    monkeypatch.setenv("ARCHFT_STORAGE", str(tmp_path / "storage"))
    def broken(profile, results): return [darts_search_unit("linear", TINY, dataset="no-such-data")]
    plan = [Step("broken", units=broken), Step("reader", units=tiny_units, after=("broken",))]
    with pytest.raises(RuntimeError, match=r"1 step\(s\) failed: broken: .*not run, as they read a failed step: reader"):
        run_plan(plan, "smoke", workers=1, results=tmp_path, report=False)
    log = (tmp_path / "reproduce_smoke.log").read_text()
    assert "failed broken" in log and "skipped reader" in log and "start reader" not in log


def test_notebook_step(tmp_path):
    "A notebook step: papermill into results/<notebook>/<profile>/, its paths redacted, its times logged."
    run_plan([Step("table1")], "smoke", workers=1, results=tmp_path, report=False)
    out = tmp_path / "table1" / "smoke" / "reproduce_table1.ipynb"
    assert (tmp_path / "table1" / "smoke" / "table1.csv").exists() and out.exists()
    assert str(tmp_path) not in out.read_text()          # outputs and papermill's record of the paths, redacted
    table = plan_table([Step("table1")], "smoke", tmp_path)
    assert shlex.split(table.command[0])[:3] == ["papermill", "nbs/reproduce_table1.ipynb", os.path.relpath(out)]


def test_a_step_not_kept_leaves_its_results_not_its_notebook(tmp_path):
    "A shard of a study (`keep=False`): its results stay, its executed notebook is deleted once it succeeds."
    run_plan([Step("table1", keep=False)], "smoke", workers=1, results=tmp_path, report=False)
    assert (tmp_path / "table1" / "smoke" / "table1.csv").exists()
    assert not (tmp_path / "table1" / "smoke" / "reproduce_table1.ipynb").exists()


def test_gap_plan_runs_two_shards_then_the_whole():
    steps = {s.name: s for s in plan_steps("td-darts-gap")}
    shards = [n for n in steps if ".shard" in n]
    assert [steps[n].params for n in shards] == [{"shard": "0/2"}, {"shard": "1/2"}]
    assert not any(steps[n].keep for n in shards) and set(steps["td_darts_gap"].after) == set(shards)


def test_only_some_steps_log_no_plan_header(tmp_path):
    "`--only` runs part of a plan: its steps are logged, but no `make <plan>` header, which the report would time as a whole run."
    run_plan("reproduce", "smoke", workers=1, results=tmp_path, only=["table1"], report=False)
    log = (tmp_path / "reproduce_smoke.log").read_text().splitlines()
    assert [l.split(" ", 1)[1] for l in log] == ["start table1", "done table1"]


def test_notebooks_declare_the_plans_units():
    "The reproduce notebooks with units build them with archft.study's functions, none of their own."
    for name, uses in (("fig3", "fig3_searches"), ("fig4", "fig4_units"), ("early_stopping", "early_stopping_arms")):
        cells = json.loads((ROOT / "nbs" / f"reproduce_{name}.ipynb").read_text())["cells"]
        src = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert f"from archft.study import" in src and uses in src, name
        assert not re.search(r"\b(search_unit|finetune_unit)\(", src), name


def test_make_reproduce_runs_the_plan():
    "`make reproduce` is the plan's command (no lanes, no papermill loop of its own); the other runs are plans."
    text = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    recipe = re.search(r"^reproduce:.*\n((?:\t.*\n)+)", text, re.M).group(1)
    assert "-m archft.study run --plan reproduce --profile $(PROFILE) --backend $(BACKEND)" in recipe
    assert "$(BIN)/papermill" not in text.split("\noutputs:")[0] and "LANE_" not in text
    assert not re.search(r"^(sensitivity|fig4-live|ablations|reproduce-lane-\S+):", text, re.M)
    assert {"sensitivity", "fig4-live", "ablations", "resnet50"} <= set(PLANS)
