"""Compare the numbers of two results trees for one profile: every CSV and JSON under `<tree>/<experiment>/<profile>/`.

For a CSV, each numeric column (every non-empty value a number in both files), row by row; for a JSON, each numeric
leaf (numbers and booleans) by its path. Not compared: what a rerun changes by itself, the timing, the hardware, dates,
commits, digests and the provenance records (any column or key whose name contains one of IGNORED), and text columns.
A file in one tree only, a CSV of another shape, a numeric column or leaf in one file only, and every value that
differs (beyond `--rtol`, default 0: identical) is printed; the exit status is 1 if there is any, else 0.

    python tools/compare_study.py /work/base/results /work/study-smoke smoke
"""
import argparse
import json
import math
import sys
from pathlib import Path

import pandas as pd

IGNORED = ("second", "time", "wall", "minute", "hour", "hardware", "date", "commit", "digest", "computed_by",
           "provenance", "started", "host", "pid", "torch", "version", "record", "attempt", "fast_path")


def ignored(name) -> bool:
    return any(w in str(name).lower() for w in IGNORED)


def files(root: Path, profile: str) -> dict:
    "{path relative to the tree: path} of the CSV and JSON files of `profile`."
    return {p.relative_to(root): p for p in sorted(root.glob(f"*/{profile}/**/*"))
            if p.suffix in (".csv", ".json") and p.is_file() and not any(ignored(part) for part in p.relative_to(root).parts[2:-1])}


def same(a, b, rtol: float) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b): return True
    if rtol and not isinstance(a, bool) and not isinstance(b, bool): return math.isclose(a, b, rel_tol=rtol, abs_tol=0)
    return a == b


def numeric(col: pd.Series) -> pd.Series | None:
    "The column as numbers, or None if a non-empty value is not a number."
    if col.dtype == bool: return col.astype(float)
    num = pd.to_numeric(col.replace({"True": 1, "False": 0, True: 1, False: 0}), errors="coerce")
    return None if (num.isna() & col.notna() & (col.astype(str) != "")).any() else num


def compare_csv(a: Path, b: Path, rtol: float) -> list:
    try: x, y = pd.read_csv(a), pd.read_csv(b)
    except pd.errors.EmptyDataError: return [] if a.read_text().strip() == b.read_text().strip() else ["one file is empty"]
    out = []
    if len(x) != len(y): out.append(f"{len(x)} rows vs {len(y)}")
    for c in sorted(set(x.columns) | set(y.columns), key=str):
        if ignored(c): continue
        if c not in x.columns or c not in y.columns:
            if numeric((x if c in x.columns else y)[c]) is not None: out.append(f"column {c!r} in one file only")
            continue
        nx, ny = numeric(x[c]), numeric(y[c])
        if nx is None or ny is None:
            if (nx is None) != (ny is None): out.append(f"column {c!r}: numbers in one file, text in the other")
            continue
        for i, (u, v) in enumerate(zip(nx.tolist(), ny.tolist())):
            if not same(float(u), float(v), rtol): out.append(f"row {i}, {c}: {u!r} vs {v!r}")
    return out


def leaves(obj, path=()) -> dict:
    "{path: value} of the numeric leaves of a JSON value, ignored keys left out."
    if isinstance(obj, dict):
        return {k: v for key, val in obj.items() if not ignored(key) for k, v in leaves(val, path + (str(key),)).items()}
    if isinstance(obj, list):
        return {k: v for i, val in enumerate(obj) for k, v in leaves(val, path + (str(i),)).items()}
    if isinstance(obj, bool) or isinstance(obj, (int, float)): return {"/".join(path): obj}
    return {}


def compare_json(a: Path, b: Path, rtol: float) -> list:
    x, y = (leaves(json.loads(p.read_text())) for p in (a, b))
    out = [f"{k}: in one file only" for k in sorted(set(x) ^ set(y))]
    return out + [f"{k}: {x[k]!r} vs {y[k]!r}" for k in sorted(set(x) & set(y)) if not same(x[k], y[k], rtol)]


def compare(base: Path, new: Path, profile: str, rtol: float = 0.0) -> dict:
    "{file: [differences]} between the two trees' numbers under `profile` (files without differences left out)."
    fa, fb = files(base, profile), files(new, profile)
    diffs = {str(k): ["only in " + str(base if k in fa else new)] for k in sorted(set(fa) ^ set(fb))}
    for k in sorted(set(fa) & set(fb)):
        d = (compare_csv if k.suffix == ".csv" else compare_json)(fa[k], fb[k], rtol)
        if d: diffs[str(k)] = d
    return diffs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("base"); ap.add_argument("new"); ap.add_argument("profile")
    ap.add_argument("--rtol", type=float, default=0.0, help="relative tolerance (default 0: identical)")
    ap.add_argument("--max-lines", type=int, default=20, help="differences printed per file")
    a = ap.parse_args(argv)
    base, new = Path(a.base), Path(a.new)
    n = len(set(files(base, a.profile)) | set(files(new, a.profile)))
    diffs = compare(base, new, a.profile, a.rtol)
    for f, d in diffs.items():
        print(f"{f}: {len(d)} difference(s)")
        for line in d[:a.max_lines]: print("   ", line)
        if len(d) > a.max_lines: print(f"    ... and {len(d) - a.max_lines} more")
    print(f"{n} files of profile {a.profile}: {len(diffs)} with differences" if diffs else
          f"{n} files of profile {a.profile}: the numbers are identical")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
