"""Redact machine paths from the stream outputs (warnings, logs) of executed notebooks under results/.

Python warnings print the file they come from (`/home/me/archft/.venv/lib/.../tqdm/auto.py:21: TqdmWarning ...`),
so an executed notebook would carry the absolute paths of the machine it ran on (issue 22). This rewrites a path
inside the checkout as relative to it (`.venv/lib/.../auto.py`) and any other absolute path as `<path>/<file name>`.
Only stream outputs change: cell sources, results, tables and figures stay as the run wrote them. The study's command
(`python -m archft.study run`) redacts each notebook it executes with the same functions (`archft.study.redact`);
this script is for notebooks executed by hand.

    python tools/redact_paths.py results            # every results/**/*.ipynb, in place
"""
import sys
from pathlib import Path

from archft.study import redact, redact_notebook  # noqa: F401  (redact: the text rule, for callers of this script)

if __name__ == "__main__":
    for root in sys.argv[1:] or ["results"]:
        for nb in sorted(Path(root).rglob("*.ipynb")):
            if redact_notebook(nb): print(f"redacted {nb}")
