"The reproduce notebooks through the papermill command line, and the report generator's command line."
import subprocess
import sys
from pathlib import Path

import pandas as pd

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
    assert list(table.columns) == ["arch", "scope", "n_mutable", "n_subnets", "paper_n_subnets"]
    got = {(r.arch, r.scope): r.n_subnets for r in table.itertuples()}
    assert got == PAPER_TABLE1
    claims = pd.read_csv(out / "table1" / "smoke" / "claims.csv")
    assert (claims.profile == "smoke").all() and len(claims) == 8


def test_report_command_line(tmp_path):
    (tmp_path / "fig4" / "cpu").mkdir(parents=True)
    pd.DataFrame([dict(claim="resnet18 medium: A*", paper="[1, 1, 1, 0, 0, 0, 0, 1]", measured="[0, 1, 0, 0, 1, 1, 0, 0]",
                       profile="cpu", dataset="cifar10-subset", weights_source="fashion-mnist", hardware="CPU",
                       seeds="0", figure="fig4_resnet18.png")]).to_csv(tmp_path / "fig4" / "cpu" / "claims.csv", index=False)
    subprocess.run([str(BIN / "archft-report"), str(tmp_path)], check=True, capture_output=True)
    report = (tmp_path / "REPORT.md").read_text()
    assert "| fig4 | resnet18 medium: A* | [1, 1, 1, 0, 0, 0, 0, 1] | [0, 1, 0, 0, 1, 1, 0, 0] | cpu |" in report
    assert "| table1 | subnets resnet18 small |  | not run |" in report
