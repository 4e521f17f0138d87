"""The GPU benchmark runs (on the CPU, in its tiniest form) and writes its CSV with the hardware named."""
import sys
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import bench_gpu  # noqa: E402


def test_bench_gpu_tiny(tmp_path):
    out = tmp_path / "b.csv"
    bench_gpu.main(["--small", "--repeats", "1", "--threads", "1", "--device", "cpu", "--archs", "resnet18",
                    "--scopes", "small", "--variants", "legacy", "off", "--out", str(out)])
    df = pd.read_csv(out)
    assert df["hardware"].str.startswith("CPU").all()
    steps = df[df.step != "projection"]
    assert set(steps.step) == {"stage1", "stage2", "darts", "eval"}
    assert set(steps.variant) == {"legacy", "off"} and (steps.median_s > 0).all()
    assert (steps.loc[steps.variant == "legacy", "ratio_vs_legacy"] == 1).all()
    proj = df[df.step == "projection"]
    assert len(proj) == 4 and (proj.projected_hours > 0).all()   # Table 2 and TD-DARTS, each variant
