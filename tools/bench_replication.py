"""Replication of the main job: the `embedded` study run twice on disjoint fine-tuning seeds, claim by claim and headline by headline.

    python tools/bench_replication.py [--a DIR] [--b DIR] [--preset embedded] [--b-checkpoints 5,6,7,8,9]

Run A is the preset as it is (the main job: checkpoints 0-4); run B the same config with other fine-tuning seeds
(default: the next ones, 5-9) -- a second draw of the same study. Each runs, or resumes, in its folder through the CLI,
so an existing store of the preset (e.g. the one notebook 10 reads, in the cache) is reused. Printed: both verdicts of
every claim with their intervals, each headline quantity's two intervals and whether they overlap, and a last line
REPLICATES when no claim holds in one run and does not hold in the other and every pair of headline intervals
overlaps, DOES NOT REPLICATE otherwise. Writes `replication.json` beside run B (read by notebook 10).
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path


def run(preset, out, checkpoints, env):
    "Run (or resume) the study of `preset` with `checkpoints` into `out` through the CLI; return its wall seconds."
    import yaml
    cfg = Path(tempfile.mkdtemp(prefix="replication-"))/"config.yaml"
    cfg.write_text(yaml.safe_dump({"preset": preset, "checkpoints": list(checkpoints)}))
    t0 = time.time()
    exe = [sys.executable, "-c", "import sys; from subnet_nb.cli import main; sys.exit(main())"]
    p = subprocess.run(exe + ["study", "run", "--config", str(cfg), "--out", str(out), "--quiet"], env=env)
    if p.returncode != 0: sys.exit(f"FAILED: the study into {out} exited with {p.returncode}")
    return time.time() - t0


def main():
    from subnet_nb.files import cache_dir
    from subnet_nb.config import get_config
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="embedded")
    p.add_argument("--a", help="folder of run A (default: the preset's study in the cache, as notebook 10 uses it)")
    p.add_argument("--b", help="folder of run B (default: beside A, suffixed with its checkpoints)")
    p.add_argument("--b-checkpoints", help="fine-tuning seeds of run B, comma-separated (default: as many as A's, after A's largest)")
    a = p.parse_args()
    ck_a = tuple(get_config(a.preset).checkpoints)
    ck_b = tuple(int(x) for x in a.b_checkpoints.split(",")) if a.b_checkpoints else tuple(range(max(ck_a) + 1, max(ck_a) + 1 + len(ck_a)))
    if set(ck_a) & set(ck_b): sys.exit(f"run B's checkpoints {ck_b} overlap run A's {ck_a}: a replication needs disjoint fine-tuning seeds")
    out_a = Path(a.a) if a.a else cache_dir()/"studies"/a.preset
    out_b = Path(a.b) if a.b else out_a.parent/f"{out_a.name}-c{ck_b[0]}-{ck_b[-1]}"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    for name, out, ck in (("A", out_a, ck_a), ("B", out_b, ck_b)):
        print(f"run {name}: checkpoints {list(ck)} into {out}", flush=True)
        print(f"  {run(a.preset, out, ck, env):.0f} s", flush=True)
    from subnet_nb.store import read_tables
    from subnet_nb.claims import replication
    cl, hl = replication(read_tables(out_a), read_tables(out_b))
    print("\nclaims (verdict A | verdict B):")
    for claim, r in cl.iterrows():
        print(f"  {claim}\n    A: {r['verdict A']} -- {r['found A']}\n    B: {r['verdict B']} -- {r['found B']}" + ("\n    FLIPS" if r.flips else ""))
    print("\nheadline quantities (A | B):")
    for k, r in hl.iterrows():
        print(f"  {k:<42} {r['value A']:.3f} [{r['lo A']:.3f}, {r['hi A']:.3f}] | {r['value B']:.3f} [{r['lo B']:.3f}, {r['hi B']:.3f}]"
              f"{'' if r.overlap == 1 else '  NO OVERLAP' if r.overlap == 0 else '  UNDEFINED'}")
    ok = not cl.flips.any() and bool((hl.overlap == 1).all())  # an undefined interval fails too: the main job should define every one
    res = {"a": {"folder": str(out_a), "checkpoints": list(ck_a)}, "b": {"folder": str(out_b), "checkpoints": list(ck_b)},
           "claims": cl.reset_index().to_dict("records"), "headlines": hl.reset_index(names="quantity").to_dict("records"), "replicates": ok}
    tmp = out_b/"replication.json.tmp"
    tmp.write_text(json.dumps(res, indent=1, default=float)); tmp.replace(out_b/"replication.json")
    print(f"\n{int(cl.flips.sum())} claims flip, {int((hl.overlap == 0).sum())} of {len(hl)} headline intervals do not overlap, {int(hl.overlap.isna().sum())} undefined")
    print("REPLICATES" if ok else "DOES NOT REPLICATE")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
