#!/usr/bin/env python3
"""Copy the outputs of an executed notebook into its source notebook, leaving everything else as it is.

`make outputs` executes each notebook with papermill into a temporary copy; papermill rewrites the notebook's
layout (sources as lists, empty tags, its own metadata). This takes only what the execution made, the cells'
outputs (matched by cell id) and the widget state of tqdm's bars (notebook metadata `widgets`), so a notebook's
diff is its outputs. `nbdev_clean` then drops the execution counts.

    python tools/take_outputs.py EXECUTED.ipynb SOURCE.ipynb
"""
from __future__ import annotations

import json
import sys
from pathlib import Path


def take_outputs(executed: dict, source: dict) -> dict:
    ran = {c.get("id"): c for c in executed["cells"]}
    ids = [c.get("id") for c in source["cells"]]
    if None in ids or not set(ids) <= set(ran):
        raise SystemExit(f"the executed notebook's cells are not the source's (ids {sorted(set(ids) - set(ran), key=str)})")
    for c in source["cells"]:
        if c["cell_type"] == "code":
            c["outputs"] = ran[c["id"]].get("outputs", [])
            c["execution_count"] = None
    widgets = executed.get("metadata", {}).get("widgets")
    if widgets: source["metadata"]["widgets"] = widgets
    else: source["metadata"].pop("widgets", None)
    return source


def main(argv=None) -> int:
    executed, source = (Path(a) for a in (argv or sys.argv[1:]))
    nb = take_outputs(json.loads(executed.read_text(encoding="utf-8")), json.loads(source.read_text(encoding="utf-8")))
    source.write_text(json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
