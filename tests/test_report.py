"The report on the committed results: the rule's invariants hold on every row, the counts add up, REPORT.md is current."
import json
import re
from pathlib import Path

import pytest

from archft.report import VERDICTS, _runs_markdown, render, report_counts, report_table

RESULTS = Path(__file__).resolve().parents[1] / "results"
NUMBER_VERDICTS = ("reproduced", "not reproduced", "inconclusive")   # verdicts that treat the values as numbers


@pytest.fixture(scope="module")
def table():
    if not list(RESULTS.glob("*/*/claims*.csv")): pytest.skip("no committed results")
    return report_table(RESULTS)


def test_every_row_has_a_verdict_of_the_vocabulary(table):
    ok = set(VERDICTS) | {"not run", "setup"}
    odd = table[~table.verdict.isin(ok) & ~table.verdict.str.startswith("no verdict")]
    assert odd.empty, odd[["experiment", "claim", "verdict"]]


def test_identical_arms_are_never_a_refutation(table):
    for r in table[table.kind == "compare"].itertuples():
        if r.values and json.loads(r.values) == json.loads(r.baseline):
            assert r.verdict in ("vacuous", "censored"), (r.claim, r.verdict)


def test_censored_rows_are_not_judged_as_numbers(table):
    for r in table.itertuples():
        fired = re.search(r"fired in (\d+) of (\d+)", r.measured)
        never = re.search(r"\bnever\b", r.measured) or (fired and int(fired[1]) < int(fired[2]))
        nulls = r.kind and r.values and None in json.loads(r.values)
        if (never or nulls) and r.verdict != "not run":   # a row that says it did not run (all null) is no bound
            assert r.verdict == "censored", (r.claim, r.verdict)


def test_levels_from_another_regime_are_not_judged(table):
    for r in table[(table.kind == "level") & ~table.profile.str.startswith("paper")].itertuples():
        assert r.verdict not in NUMBER_VERDICTS, (r.claim, r.verdict)


def test_differences_print_their_interval(table):
    for r in table[table.verdict.isin(NUMBER_VERDICTS) & (table.kind == "compare")].itertuples():
        n = len(json.loads(r.values))
        assert ("95% CI [" in r.grounds and "smallest detectable" in r.grounds) or (n == 1 and "one seed" in r.grounds), r.claim


def test_counts_add_up(table):
    c = report_counts(table)
    parts = c["claims"]["rows"] + c["sensitivity"]["rows"] + c["variants"]["rows"] + c["not_run"] + c["setup"]
    assert parts == len(table)
    cl = c["claims"]
    assert sum(cl[v] for v in VERDICTS) + cl["no_verdict"] == cl["rows"]
    assert not (table[table.role == "claim"].measured.str.startswith("not run")).any()


def test_report_md_is_current(table):
    "REPORT.md is what `archft-report results` writes from the committed results (regenerate it after new results)."
    assert (RESULTS / "REPORT.md").read_text() == render(table, _runs_markdown(RESULTS)), \
        "results/REPORT.md is stale: run `archft-report results`"


def test_a_pinned_row_is_vacuous_whatever_its_numbers(table):
    "A row whose notebook found its values set by the setup (e.g. a criterion firing at its first possible sample)."
    for r in table[table.pinned != ""].itertuples():
        assert r.verdict in ("vacuous", "censored") and r.testable.startswith("no"), (r.claim, r.verdict)


def test_pinned_evidence_turns_a_refutation_into_vacuous():
    from archft.report import claim_evidence, judge
    base = dict(experiment="fig4", claim="resnet18 medium at 65x65: reward converged at sample", paper="180",
                measured="60 ± 0", profile="paper", dataset="cifar10", weights_source="imagenet", hardware="GPU",
                seeds="0 1 2", figure="")
    free = judge(base | claim_evidence("level", [60, 60, 60], paper=180))
    pinned = judge(base | claim_evidence("level", [60, 60, 60], paper=180, pinned="fired at its first possible sample"))
    assert free["verdict"] == "not reproduced" and pinned["verdict"] == "vacuous"
    assert "first possible sample" in pinned["grounds"]
