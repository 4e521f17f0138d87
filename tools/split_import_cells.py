#!/usr/bin/env python3
"""Put the imports of every notebook code cell in a cell of their own (nbdev's convention).

nbdev's docs step (`nbdev_proc_nbs`, run by `nbdev_docs` and `nbdev_readme` before Quarto) executes the exported
cells, the `show_doc` cells and *every cell holding an import*; a test cell that imports something and then uses
names made by earlier, unexecuted cells breaks it ("Found cells containing imports and other code"). This script
splits such a cell in two: an import-only cell (all of the cell's top-level imports, and imports inside a top-level
`with`/`for`/`while`/`if` block, hoisted) followed by the rest. Directive lines (`#| export`, `#| hide`, ...) go on
both parts (`#| default_exp` on the first only), as do the cell's metadata; the rest keeps the cell's id, the import
cell gets an id derived from it, so running it again, here or on another branch, gives the same notebook.
Idempotent: a notebook it has already split is left byte for byte as it is.

Left alone: markdown cells, cells that do not parse (magics), cells tagged `parameters` (papermill), the
`nbdev_export()` cell, imports inside functions, classes and `try` blocks (`try: import x / except ImportError`).

    python tools/split_import_cells.py            # every nbs/*.ipynb
    python tools/split_import_cells.py nbs/11_supernet.ipynb --check   # exit 1 if a notebook would change
"""
from __future__ import annotations

import argparse
import ast
import hashlib
import json
import re
import sys
from pathlib import Path

_DIRECTIVE = re.compile(r"^\s*#\s*\|")
_IMPORTS = (ast.Import, ast.ImportFrom)
_HOIST_FROM = (ast.With, ast.For, ast.While, ast.If)   # blocks whose imports run once, as at top level


def _nested_imports(stmt) -> list:
    "Imports inside the `with`/`for`/`while`/`if` blocks of a top-level statement (not in defs, classes, try)."
    found = []
    for field in ("body", "orelse"):
        for s in getattr(stmt, field, []) or []:
            if isinstance(s, _IMPORTS): found.append(s)
            elif isinstance(s, _HOIST_FROM): found += _nested_imports(s)
    return found


def _alone_on_lines(node, stmts) -> bool:
    "Does `node` have its lines to itself (no statement but it and the blocks around it on them)?"
    around = [o for o in stmts if o is not node and any(c is node for c in ast.walk(o))]
    return not any(o is not node and all(o is not a for a in around)
                   and o.lineno <= node.end_lineno and o.end_lineno >= node.lineno for o in stmts)


def split_source(src: str):
    "`(imports, rest)` for a cell's source, or None where the cell needs no split."
    lines = src.split("\n")
    n_dir = 0
    while n_dir < len(lines) and _DIRECTIVE.match(lines[n_dir]): n_dir += 1
    directives, body = lines[:n_dir], "\n".join(lines[n_dir:])
    try: tree = ast.parse(body)
    except SyntaxError: return None
    top = [s for s in tree.body if isinstance(s, _IMPORTS)]
    nested = [i for s in tree.body if isinstance(s, _HOIST_FROM) for i in _nested_imports(s)]
    others = [s for s in tree.body if not isinstance(s, _IMPORTS)]
    if not others or not (top or nested): return None
    moved = sorted(top + nested, key=lambda s: (s.lineno, s.col_offset))
    blines = body.split("\n")
    all_stmts = [n for n in ast.walk(tree) if isinstance(n, ast.stmt)]
    first_other = min(s.lineno for s in others)
    if not nested and all(s.end_lineno < first_other for s in top):
        # the common case: an import block at the top, kept as written (blank lines, comments)
        cut = max(s.end_lineno for s in top)
        imp, rest = blines[:cut], blines[cut:]
    else:
        imp, drop, edits, edits_keep = [], set(), {}, {}
        for s in moved:
            indent = len(blines[s.lineno - 1]) - len(blines[s.lineno - 1].lstrip())
            if s.col_offset == indent and _alone_on_lines(s, all_stmts):
                # whole lines (with their trailing comment), dedented
                hoisted = s in nested
                last = blines[s.end_lineno - 1]
                comment = last[s.end_col_offset:].strip() if hoisted else ""   # says what follows it: stays
                moved_lines = blines[s.lineno - 1:s.end_lineno]
                if comment.startswith("#"): moved_lines[-1] = last[:s.end_col_offset]
                imp += [l[indent:] if l[:indent].strip() == "" else l for l in moved_lines]
                drop.update(range(s.lineno - 1, s.end_lineno))
                if comment.startswith("#"): edits_keep[s.end_lineno - 1] = " " * indent + comment
            else:
                # shares a line with other statements (`import x; f(x)`): move the statement alone
                imp.append(ast.get_source_segment(body, s))
                edits.setdefault(s.lineno - 1, []).append((s.col_offset, s.end_col_offset))
        rest = []
        for i, l in enumerate(blines):
            if i in drop:
                if i in edits_keep: rest.append(edits_keep[i])
                continue
            for a, b in sorted(edits.get(i, []), reverse=True):
                tail = l[b:]
                tail = re.sub(r"^\s*;\s*", "", tail) if l[:a].strip() == "" else tail
                head = re.sub(r"\s*;\s*$", "", l[:a]) if tail.strip() == "" or tail.lstrip().startswith("#") else l[:a]
                l = head + tail if head.strip() else l[:a] + tail
            rest.append(l)
    while rest and not rest[0].strip(): rest.pop(0)
    while imp and not imp[-1].strip(): imp.pop()
    keep = [d for d in directives if not re.match(r"^\s*#\s*\|\s*default_exp\b", d)]
    return "\n".join(directives + imp), "\n".join(keep + rest)


def _derived_id(cell_id: str) -> str:
    return hashlib.sha1(f"{cell_id}:imports".encode()).hexdigest()[:8]


def split_notebook(nb: dict) -> int:
    "Split the cells of `nb` in place; the number of cells split."
    out, n = [], 0
    for cell in nb["cells"]:
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        skip = (cell["cell_type"] != "code" or "parameters" in cell.get("metadata", {}).get("tags", [])
                or "nbdev_export()" in src)
        parts = None if skip else split_source(src)
        if parts is None:
            out.append(cell); continue
        imp_src, rest_src = parts
        as_list = not isinstance(cell["source"], str)
        fmt = (lambda s: s.splitlines(keepends=True)) if as_list else (lambda s: s)
        imp = {**cell, "source": fmt(imp_src), "outputs": [], "execution_count": None,
               "metadata": json.loads(json.dumps(cell.get("metadata", {})))}
        if "id" in cell: imp["id"] = _derived_id(cell["id"])
        out += [imp, {**cell, "source": fmt(rest_src)}]
        n += 1
    nb["cells"] = out
    return n


def nb_text(nb: dict) -> str:
    "The notebook as nbdev writes it (execnb's `nb2str`)."
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="*", help="notebooks (default: nbs/*.ipynb)")
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if a notebook would change")
    args = ap.parse_args(argv)
    root = Path(__file__).resolve().parent.parent
    paths = [Path(p) for p in args.paths] or sorted((root / "nbs").glob("*.ipynb"))
    changed = []
    for p in paths:
        old = p.read_text(encoding="utf-8")
        nb = json.loads(old)
        n = split_notebook(nb)
        new = nb_text(nb) if n else old
        if new != old:
            changed.append(p)
            print(f"{p}: {n} cell(s) split")
            if not args.check: p.write_text(new, encoding="utf-8")
    if args.check and changed: return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
