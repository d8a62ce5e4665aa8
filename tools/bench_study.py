"""Benchmark of a study preset (default: the main job, `embedded`), end to end, in a fresh result folder.

Targets: the main job's budget of 15 minutes wall time, report included, for every preset (issue 24: the `embedded` preset
with five checkpoints per task; issue 17: what a preset must meet to be the README's main job); 4 GB peak memory; on 2 CPU cores. The study runs
in a child process (`subnet_nb study run --preset NAME`); its memory is the peak over time of the summed resident set size of
that process and all its descendants, sampled every 0.2 s with psutil. Printed: wall time and peak memory against the
targets, the report's time, and the time per unit kind from the manifest.

    python tools/bench_study.py [--preset NAME] [--out DIR] [--keep] [--fresh-model-cache]

`--fresh-model-cache` also rebuilds the embedded model in an empty cache (what a fresh machine pays once, ~10 s).
"""
import argparse, json, os, shutil, subprocess, sys, tempfile, threading, time
from pathlib import Path
import psutil

TARGET_S, TARGET_GB = {}, 4.0  # seconds per preset where it differs from the main job's budget
MAIN_JOB_S = 900  # the README's main job: under 15 minutes on 2 cores

def run(cmd, env):
    "Run `cmd`; return (seconds, peak summed RSS in GB of it and its descendants)."
    t0, peak = time.time(), 0
    p = subprocess.Popen(cmd, env=env)
    proc = psutil.Process(p.pid)
    while p.poll() is None:
        try: peak = max(peak, sum(q.memory_info().rss for q in [proc] + proc.children(recursive=True)))
        except psutil.Error: pass
        time.sleep(0.2)
    if p.returncode != 0: sys.exit(f"FAILED: {' '.join(cmd)} exited with {p.returncode}")
    return time.time() - t0, peak/1e9

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="embedded")
    p.add_argument("--out", help="result folder (default: a temporary folder, deleted unless --keep)")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--fresh-model-cache", action="store_true")
    a = p.parse_args()
    out = Path(a.out) if a.out else Path(tempfile.mkdtemp(prefix="bench-study-"))/"results"
    if out.exists(): sys.exit(f"{out} exists: the benchmark needs a fresh folder")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    if a.fresh_model_cache: env["SUBNET_NB_CACHE"] = tempfile.mkdtemp(prefix="bench-cache-")
    exe = [sys.executable, "-c", "import sys; from subnet_nb.cli import main; sys.exit(main())"]
    print(f"cores: {os.cpu_count()}, torch threads: default; result folder: {out}", flush=True)
    target = TARGET_S.get(a.preset, MAIN_JOB_S)
    print(f"preset: {a.preset}", flush=True)
    wall, gb = run(exe + ["study", "run", "--preset", a.preset, "--out", str(out), "--quiet"], env)
    rep, rep_gb = run(exe + ["study", "report", "--out", str(out)], env)
    man = json.loads((out/"manifest.json").read_text())
    by_kind = {}
    for uid, u in man["units"].items(): by_kind.setdefault(uid.split("/")[0], []).append(u["seconds"])
    print(f"units: {man['units_done']}/{man['units_total']} done")
    for k, s in sorted(by_kind.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {k:<12} {len(s):4d} units  {sum(s):7.1f} s  ({sum(s)/len(s):.2f} s each)")
    print(f"study run: {wall:.0f} s wall (target {target} s: ratio {wall/target:.2f}); peak memory {gb:.2f} GB, all processes (target {TARGET_GB} GB: ratio {gb/TARGET_GB:.2f})")
    print(f"study report: {rep:.0f} s, {rep_gb:.2f} GB; in all: {wall + rep:.0f} s (main-job budget {MAIN_JOB_S} s: ratio {(wall + rep)/MAIN_JOB_S:.2f})")
    print("PASS" if wall + rep <= target and max(gb, rep_gb) <= TARGET_GB else "TARGET MISSED")
    if not a.keep and not a.out: shutil.rmtree(out.parent, ignore_errors=True)
    if a.fresh_model_cache: shutil.rmtree(env["SUBNET_NB_CACHE"], ignore_errors=True)

if __name__ == "__main__": main()
