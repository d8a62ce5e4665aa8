"""Benchmark of the `decoder` preset against its budget: `subnet_nb study run --preset decoder` on this machine, offline.

    python tools/bench_decoder_study.py [--out FOLDER] [--preset decoder]

Runs the CLI in a child process (a fresh result folder unless --out holds a finished one), then prints its wall time and
peak resident memory against its budget (40 minutes, 6 GB on 2 CPU cores: issue 35's, once the stop sample grew to 64
verses), the seconds of each kind of unit, and the report's findings table. Budgets are printed as ratios, never asserted.
"""
import argparse, json, os, resource, subprocess, sys, tempfile, time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from checks import CLI  # `subnet_nb`, in this interpreter
BUDGET_S, BUDGET_GB = 40*60, 6.0

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="result folder (default: a new temporary one)")
    ap.add_argument("--preset", default="decoder")
    a = ap.parse_args()
    out = Path(a.out or tempfile.mkdtemp(prefix="subnet_nb-decoder-"))/"study"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    t0 = time.time()
    r = subprocess.run([*CLI, "study", "run", "--preset", a.preset, "--out", str(out), "--quiet"], env=env)
    wall = time.time() - t0
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss*1024/1e9  # kB on Linux
    print(f"study run --preset {a.preset}: exit status {r.returncode}, {out}")
    print(f"wall time {wall/60:.1f} min (budget {BUDGET_S/60:.0f} min: {wall/BUDGET_S:.2f} of it); "
          f"peak memory {peak_gb:.2f} GB (budget {BUDGET_GB:.0f} GB: {peak_gb/BUDGET_GB:.2f} of it); {os.cpu_count()} CPU cores")
    secs = {}
    for f in (out/"units").rglob("*.json"):
        if f.name.endswith(".failed.json"): continue
        rec = json.loads(f.read_text()); secs.setdefault(rec["kind"], []).append(rec["seconds"])
    print("seconds by kind of unit: " + ", ".join(f"{k} {sum(v):.0f} ({len(v)} units)" for k, v in secs.items()))
    rep = out/"report"/"README.md"
    if rep.exists():
        text = rep.read_text()
        print(text[text.find("## What the study finds"):text.find("## The whole model")].strip())
    return r.returncode

if __name__ == "__main__":
    sys.exit(main())
