"""The report on the committed results (every row of the vocabulary, no old result judged, one row per claim, the files
current) and the verdict rules of issue 26, each on the case that the previous rule (archft/report.py before the split)
misjudged."""
from dataclasses import replace
from pathlib import Path

import pytest

from archft.claims import CLAIMS, HEADLINE
from archft.judge import JUDGED, VERDICTS, Case, case, judge
from archft.report import _retired_markdown, _runs_markdown, claim_rows, collect, render, verdicts

RESULTS = Path(__file__).resolve().parents[1] / "results"
CPU = dict(profile="cpu", profile_overrides={}, settings=None, dataset="cifar10-jpeg",
           weights_source="resnet18 pretrained on tiny-imagenet")


@pytest.fixture(scope="module")
def table():
    v = verdicts(RESULTS)
    if v.empty: pytest.skip("no committed results")
    return v


def test_every_row_is_registered_and_of_the_vocabulary(table):
    assert set(table.claim_id) <= set(CLAIMS) and set(table.verdict) <= set(VERDICTS)
    assert not table.duplicated(["claim_id", "regime"]).any()


def test_no_stale_or_unknown_computation_is_judged(table):
    assert not table[table.stale != "no"].verdict.isin(JUDGED).any()


def test_main_table_is_one_row_per_claim(table):
    rows = claim_rows(table)
    assert sorted(rows.claim_id) == sorted(i for i, c in CLAIMS.items() if c.role == "claim")
    assert set(HEADLINE) <= set(rows.claim_id)


def test_report_and_verdicts_are_current(table):
    "REPORT.md and verdicts.csv are what `archft-report results` writes (regenerate them after new results)."
    assert (RESULTS / "REPORT.md").read_text() == render(table, collect(RESULTS)[1], _retired_markdown(RESULTS) + _runs_markdown(RESULTS)), \
        "results/REPORT.md is stale: run `archft-report results`"
    assert (RESULTS / "verdicts.csv").read_text() == table.to_csv(index=False), "results/verdicts.csv is stale"


# The rules: each case below was misjudged by the previous rule (row numbers of issue 26's review).

def test_an_order_decided_on_every_seed_is_judged_by_order():
    "Rows 23, 24, 32: the early stop never fires within 1,000 samples while the reward converges by 128 (was: censored)."
    k = case("fig4.resnet18.early_stop_order", {"early_stop": {s: None for s in range(5)},
                                                "reward_converged": {0: 60, 1: 122, 2: 110, 3: 60, 4: 121}},
             censored_at={"early_stop": 1000})
    assert judge(k).verdict == "not reproduced" and judge(k).testable == "T"
    undecided = case("fig4.resnet18.early_stop_order", {"early_stop": {0: None, 1: None}, "reward_converged": {0: 1200, 1: 90}},
                     censored_at={"early_stop": 1000})
    assert judge(undecided).verdict == "censored"


def test_a_criterion_at_its_first_possible_sample_is_never_judged():
    "Rows 21, 62, 65: the reward criterion fired at the first sample it could on every seed (was: not reproduced)."
    k = case("fig4.resnet18.reward_converged_at", {"reward_converged": {0: 60, 1: 60, 2: 60}}, first_possible={"reward_converged": 60})
    assert judge(k).verdict == "set by the setup"


def test_a_budget_set_ratio_is_never_judged():
    "Rows 44, 48, 50, 53: 1 + search_iters / iterations to target is the budget (was: judged against 67.6%)."
    assert judge(case("variant.fig3a.small.compute_ratio_with_search", {"value": {0: 0.67, 1: 0.68, 2: 0.676}})).verdict == "set by the setup"


def test_unequal_budget_arms_are_never_judged():
    "Rows 41, 45: the supernet-init variant at 600 target iterations against vanilla's 300 (was: reproduced)."
    k = case("variant.fig3a.small.supernet_init", {"variant": {0: .64, 1: .65, 2: .64}, "vanilla": {0: .62, 1: .62, 2: .63}},
             dict(arm_budgets={"variant": 600, "vanilla": 300}))
    assert judge(k).verdict == "unequal budgets"


def test_a_citation_is_compared_with_its_source():
    "DARTS_V2 counted at 3.349M is the DARTS paper's 3.3M, which the slides cite as 3.4 (was: not reproduced)."
    assert judge(case("citation.darts_v2.params", {"value": {0: 3.349342}}, dict(dataset="none (counted)"))).verdict == "reproduced"


def test_a_single_seed_difference_gets_no_verdict():
    "Rows 10, 88: one seed (was: inconclusive, or judged)."
    assert judge(case("slides.cifar10.accuracy", {"td_darts": {0: 97.1}, "darts": {0: 97.3}})).verdict == "one seed"


def test_another_data_sets_cell_is_not_testable_here():
    "Rows 98, 99: CIFAR-100 parameter counts judged on the slides' CIFAR-10 cells (was: not reproduced)."
    v = judge(case("slides.cifar100.params", {"value": {0: 2.374}}, dict(dataset="none (counted)", cell_data="cifar10")))
    assert v.verdict == "not testable here" and "cifar10" in v.why and v.testable == "D"


def test_identical_arms_are_vacuous_with_the_reason():
    "Rows 54, 55: the same numbers seed by seed; at 32 px the small scope has no live layer: ENAS is vanilla."
    same = {"enas": {0: 300.0, 1: 270.0, 2: 210.0}, "vanilla": {0: 300.0, 1: 270.0, 2: 210.0}}
    v = judge(case("fig3a.small.iterations_to_target", same))
    assert v.verdict == "vacuous" and "0 of 4 mutable layers live at 32 px" in v.why
    ratio = judge(case("fig3a.small.compute_ratio", same, sources={"fig3a.small.iterations_to_target": v}))
    assert ratio.verdict == "vacuous" and ratio.why.startswith("computed from fig3a.small.iterations_to_target")


def test_a_sign_only_regime_is_not_judged_against_the_papers_effect():
    "Row 51: a cpu regime judged against the paper's +1.0 point."
    near = {"enas": {0: .6210, 1: .6245, 2: .6230}, "vanilla": {0: .6205, 1: .6250, 2: .6215}}
    paper = judge(case("fig3a.medium.final_accuracy", near))
    cpu = judge(case("fig3a.medium.final_accuracy", near, CPU))
    assert cpu.testable == "S" and cpu.verdict == paper.verdict == "inconclusive"


def test_stale_and_unknown_code_are_not_judged():
    clear = {"enas": {0: .884, 1: .872, 2: .878}, "vanilla": {0: .866, 1: .861, 2: .864}}
    assert judge(case("fig3a.medium.final_accuracy", clear)).verdict == "reproduced"
    assert judge(case("fig3a.medium.final_accuracy", clear, dict(computed_by=None))).verdict == "code unknown"
    old = {"code_commit": "3d9493f", "code_digest": {"archft.stats": "0" * 16}}
    assert judge(case("fig3a.medium.final_accuracy", clear, dict(computed_by=[old]))).verdict == "stale"


@pytest.mark.parametrize("cid", sorted(i for i, c in CLAIMS.items() if c.kind in ("difference", "order")))
def test_rewording_a_claim_changes_no_verdict(cid):
    c = CLAIMS[cid]
    a, b = c.arms
    k = case(cid, {a: {0: 1.0, 1: 2.0, 2: 3.0}, b: {0: 2.0, 1: 2.5, 2: 3.5}})
    reworded = Case(replace(c, quote="never fired in 0 of 5 seeds (controller lr 0.0035, sensitivity run)",
                            where="not in the paper", paper="not in the paper", note="resnet50 small at 32x32"),
                    k.ev, k.record, k.sources)
    assert judge(reworded) == judge(k)
