"""Redact machine paths from the stream outputs (warnings, logs) of executed notebooks under results/.

Python warnings print the file they come from (`/home/me/archft/.venv/lib/.../tqdm/auto.py:21: TqdmWarning ...`),
so an executed notebook would carry the absolute paths of the machine it ran on (issue 22). This rewrites a path
inside the checkout as relative to it (`.venv/lib/.../auto.py`) and any other absolute path as `<path>/<file name>`.
Only stream outputs change: cell sources, results, tables and figures stay as the run wrote them.

    python tools/redact_paths.py results            # every results/**/*.ipynb, in place
"""
import json
import re
import sys
from pathlib import Path

ABSOLUTE = re.compile(r"(?<![\w.~])/(?:work|root|home|tmp|Users|mnt|scratch|data)/[^\s:'\"(),]*")
CHECKOUT_PARTS = ("/.venv/", "/archft/", "/nbs/", "/results/", "/.ci-cache/", "/.test-cache/")


def redact(text: str) -> str:
    def one(m):
        path = m.group(0)
        for part in CHECKOUT_PARTS:            # inside a checkout: the path relative to it
            if part in path: return part[1:] + path.split(part, 1)[1]
        return "<path>/" + path.rstrip("/").rsplit("/", 1)[-1]
    return ABSOLUTE.sub(one, text)


def redact_notebook(path: Path) -> bool:
    "Redact the stream outputs of one notebook in place; True if it changed."
    nb = json.loads(path.read_text())
    changed = False
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("output_type") != "stream": continue
            text = out["text"] if isinstance(out["text"], list) else [out["text"]]
            new = [redact(t) for t in text]
            if new != text: out["text"], changed = new, True
    if changed: path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
    return changed


if __name__ == "__main__":
    for root in sys.argv[1:] or ["results"]:
        for nb in sorted(Path(root).rglob("*.ipynb")):
            if redact_notebook(nb): print(f"redacted {nb}")
