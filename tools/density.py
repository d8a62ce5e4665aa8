"""How densely the code is written, against the limits the project keeps (a repository check, run by `tools/dev.sh checks`).

    python tools/density.py [--report]   # exit 1 if a limit is broken (--report: print the numbers, never fail)

- module lines of subnet_nb/ (not the generated _modidx.py) longer than 120 characters: at most 2 %;
- exported cells (their lines without `#|` directives): median at most 10 lines, none over 30;
- definition cells (exported cells that define a function or class) followed by a test -- a cell that calls
  `test_eq`, `test_close`, `test_fail` or `assert` -- before the next exported cell: at least 60 %;
- no private name (`_name`) imported from another module of the package.
"""
import json, re, statistics, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMITS = dict(long_share=0.02, median_cell=10, max_cell=30, tested_share=0.60)

def code_cells(nb: Path) -> list:
    "(directives, body lines) of each code cell of `nb`."
    out = []
    for c in json.loads(nb.read_text())["cells"]:
        if c["cell_type"] != "code": continue
        lines = "".join(c["source"]).splitlines()
        opts = [l.strip()[2:].strip() for l in lines if l.strip().startswith("#|")]
        names = {o.split(":")[0].split()[0] for o in opts if o}
        out.append((names, [l for l in lines if not l.strip().startswith("#|")]))
    return out

def measure() -> dict:
    mods = [p for p in sorted((ROOT/"subnet_nb").glob("*.py")) if p.name != "_modidx.py"]
    lines = [l for p in mods for l in p.read_text().splitlines()]
    cells, defs, tested, big = [], 0, 0, []
    for nb in sorted((ROOT/"nbs").rglob("*.ipynb")):
        cs = code_cells(nb)
        for i, (d, body) in enumerate(cs):
            if not d & {"export", "exporti", "exports"}: continue
            cells.append(len(body))
            if len(body) > LIMITS["max_cell"]: big.append(f"{nb.relative_to(ROOT)} cell {i} ({len(body)} lines)")
            if not any(re.match(r"(@.*|def |class |async def )", l) for l in body): continue
            defs += 1
            for d2, b2 in cs[i + 1:]:
                if d2 & {"export", "exporti", "exports"}: break
                if re.search(r"\b(test_eq|test_close|test_fail|test_ne|assert)\b", "\n".join(b2)): tested += 1; break
    private = [f"{p.name}: {m.group(0)}" for p in mods for m in re.finditer(r"from \.\w+ import [^\n]*\b_[a-z]\w*", p.read_text())]
    return dict(lines=len(lines), long=sum(len(l) > 120 for l in lines), cells=len(cells), median_cell=statistics.median(cells),
                big=big, defs=defs, tested=tested, private=private)

def main():
    m = measure()
    long_share, tested_share = m["long"]/m["lines"], m["tested"]/max(m["defs"], 1)
    print(f"module lines over 120 characters: {m['long']} of {m['lines']} ({long_share:.1%}; limit {LIMITS['long_share']:.0%})")
    print(f"exported cells: {m['cells']}, median {m['median_cell']:g} lines (limit {LIMITS['median_cell']}), "
          f"{len(m['big'])} over {LIMITS['max_cell']}" + "".join(f"\n  {b}" for b in m["big"]))
    print(f"definition cells with a test before the next exported cell: {m['tested']} of {m['defs']} "
          f"({tested_share:.0%}; at least {LIMITS['tested_share']:.0%})")
    print(f"private names imported across modules: {len(m['private'])}" + "".join(f"\n  {p}" for p in m["private"]))
    ok = (long_share <= LIMITS["long_share"] and m["median_cell"] <= LIMITS["median_cell"] and not m["big"]
          and tested_share >= LIMITS["tested_share"] and not m["private"])
    print("density within its limits" if ok else "density over its limits")
    return 0 if ok or "--report" in sys.argv else 1

if __name__ == "__main__":
    sys.exit(main())
