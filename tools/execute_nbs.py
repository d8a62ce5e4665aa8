"""Re-execute notebooks in place, so their committed outputs (what the docs show) come from the current code.

    python tools/execute_nbs.py nbs/06_stitching.ipynb [nbs/10_study_embedded.ipynb ...] [--skip-flags gpu]

Runs every code cell top to bottom in a fresh kernel (execnb, as `nbdev_test` does), in the notebook's folder, but -- unlike
`nbdev_test` -- also the cells flagged `slow`, whose outputs the docs show from a full run. Cells marked `#| eval: false`
(they need the Hub or a GPU) and cells carrying a flag given in `--skip-flags` are not run and keep no output. A notebook
that raises is left unchanged. Then run `nbdev_clean`.
"""
import argparse, os, sys, time
from pathlib import Path

def directives(src:str) -> dict:
    "The `#| key: value` lines at the top of a cell."
    out = {}
    for line in src.splitlines():
        if not line.startswith("#|"): break
        key, _, val = line[2:].strip().partition(":") if ":" in line else (line[2:].strip(), "", "")
        for k in (key.split() if not val else [key.strip()]): out[k] = val.strip()
    return out

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--skip-flags", nargs="*", default=["gpu"])
    a = ap.parse_args()
    from execnb.nbio import read_nb, write_nb
    from execnb.shell import CaptureShell
    failed = 0
    for fn in map(Path, a.notebooks):
        nb, t0 = read_nb(fn), time.time()
        def skip(cell):
            if cell.cell_type != "code": return True
            d = directives(cell.source)
            if d.get("eval", "").lower() == "false" or set(a.skip_flags) & set(d):
                cell.outputs, cell.execution_count = [], None
                return True
            return False
        k = CaptureShell(fn)
        cwd = os.getcwd()
        try:
            os.chdir(fn.parent)
            k.run_all(nb, exc_stop=True, preproc=skip)
        except Exception:
            sys.stderr.write(k.prettytb(fname=fn) + "\n"); print(f"FAILED {fn} (left unchanged)"); failed += 1; continue
        finally: os.chdir(cwd)
        write_nb(nb, fn)
        print(f"executed {fn} in {time.time() - t0:.0f} s", flush=True)
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main())
