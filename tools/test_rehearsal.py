"""Offline rehearsal of the `paper` preset: the code path of a cluster run, on a tiny model and data shaped like the Hub's.

    python tools/test_rehearsal.py [--keep DIR]

1. writes the synthetic Hub mirror (`subnet_nb.data.write_hub_mirror`: facebook/xnli, google-research-datasets/paws-x,
   mteb/AmazonReviewsClassification, unimelb-nlp/wikiann with their config names, splits, columns and feature types)
   and points `$SUBNET_NB_HUB_DATA` at it, so every task is read by the Hub loaders' own `datasets.load_dataset` call,
2. writes `subnet_nb.config.rehearsal_config` -- the `paper` grid with a tiny random XLM-R encoder -- as a YAML config
   that starts from `preset: paper`, and runs it with `subnet_nb study run` (the command a cluster run uses),
3. checks that every unit kind ran to completion on every task, that CKA across languages paired the same XNLI items
   in every language, and that cross-language CKA on MARC or WikiANN is refused with the task's name,
4. renders the report (`subnet_nb study report --all-subnetworks`: the random model is never above chance),
5. reruns the study and checks that every unit is skipped.
Prints one PASS/FAIL line per check, the unit counts by kind and task, and the wall time.
"""
import argparse, hashlib, json, os, sys, tempfile, time
from pathlib import Path

from checks import CLI, Checks, sh
check = Checks("rehearsal")

def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--keep", help="work in this folder and keep it (default: a temporary folder, deleted)")
    a = p.parse_args()
    import yaml, pandas as pd
    from safetensors import safe_open
    from subnet_nb.data import load_task, HUB_DATA_ENV
    from subnet_nb.hub_mirror import write_hub_mirror
    from subnet_nb.config import rehearsal_config, check_config, PRESETS
    from subnet_nb.plan import plan
    from subnet_nb.store import read_tables
    from subnet_nb.study import study_status
    t0 = time.time()
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="subnet_nb-rehearsal-"))
    work.mkdir(parents=True, exist_ok=True)
    paper = PRESETS["paper"]
    mirror = write_hub_mirror(work/"hub", tasks=paper.tasks, langs=paper.langs)
    env = {**os.environ, HUB_DATA_ENV: str(mirror), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    os.environ[HUB_DATA_ENV] = str(mirror)  # for the checks below, which load the same data in this process
    cfg = rehearsal_config(work)
    base = paper.to_dict()
    (work/"rehearsal.yaml").write_text(yaml.safe_dump({"preset": "paper", **{k: v for k, v in cfg.to_dict().items() if v != base[k]}}, sort_keys=False))
    same_grid = all(getattr(cfg, k) == getattr(paper, k) for k in ("tasks", "langs", "seeds", "analyses", "grids", "cka_grids",
                                                                  "stitch_grids", "stitch_langs", "stitch_controls", "stitch_control_grids", "stitch_control_langs"))
    check(f"config keeps the paper preset's grid (tasks, languages, seeds, analyses, grids, controls; checkpoints {list(cfg.checkpoints)} of "
          f"{list(paper.checkpoints)}: more add units, not code paths)", same_grid and set(cfg.checkpoints) < set(paper.checkpoints) and len(cfg.checkpoints) >= 2)
    out = work/"study"
    t = time.time()
    run = sh(*CLI, "study", "run", "--config", str(work/"rehearsal.yaml"), "--out", str(out), "--quiet", env=env)
    print(f"study run: {time.time() - t:.0f} s")
    check("study run exits 0", run.returncode == 0, (run.stdout + run.stderr)[-3000:])
    units = plan(cfg)
    st = study_status(out)
    by = st.assign(task=[_task(u) for u in units]).groupby(["kind", "task"]).state.agg(lambda s: f"{(s == 'done').sum()}/{len(s)}").unstack(fill_value="-")
    print("units done by kind and task:\n" + by.to_string())
    check(f"all {len(units)} units done", (st.state == "done").all(), st[st.state != "done"].head().to_string())
    full = lambda x: x != "-" and x.split("/")[0] == x.split("/")[1]
    check("every unit kind ran to completion on every task (CKA: on its XNLI probe items)",
          all(full(by.loc[k, t]) for k in by.index for t in paper.tasks if k not in ("cka", "activations") or by.loc[k, t] != "-"), by.to_string())
    T = read_tables(out) if run.returncode == 0 else {}
    check("every table written", set(T) >= {"finetune", "masks", "validation", "transfer", "mi", "cka", "cka_reps", "stitching"}, sorted(T))
    if "stitching" in T:
        s = T["stitching"]
        check("stitching: every grid, self-stitches and every control on every task", set(s.grid) == set(paper.stitch_grids) | {"identity"}
              and set(s.variant) == {"none", *paper.stitch_controls} and set(s.end_task) == set(paper.tasks), f"{sorted(set(s.grid))} {sorted(set(s.variant))}")
        check("token-level NER stitches scored by entity F1", (s.end_task == "wikiann").any() and s[s.end_task == "wikiann"].end_score.notna().all())
    # CKA across languages pairs the same XNLI items in every language
    ids = {l: [str(i) for i in load_task("xnli", l, "test", n=cfg.cka["n"], seed=0)["id"]] for l in paper.langs}
    hashes = {}
    for f in (out/"activations").glob("*.safetensors"):
        with safe_open(str(f), "pt") as g: meta = g.metadata()
        hashes.setdefault(meta["lang"], set()).add(meta["items"])
    want = {l: hashlib.sha256(json.dumps(v).encode()).hexdigest() for l, v in ids.items()}
    check("XNLI: the same item ids in every language, and the activations of every language are on exactly those items",
          len({tuple(v) for v in ids.values()}) == 1 and all(hashes.get(l) == {want[l]} for l in paper.langs), f"{ {l: len(h) for l, h in hashes.items()} }")
    if "cka" in T:
        c = T["cka"]
        check("CKA across languages computed for every language pair", {frozenset((x, y)) for x, y in zip(c[c.grid == "languages"].a_lang, c[c.grid == "languages"].b_lang)}
              == {frozenset((x, y)) for i, x in enumerate(paper.langs) for y in paper.langs[i + 1:]})
    for task in ("marc", "wikiann"):
        try: check_config(rehearsal_config(work, cka=dict(task=task))); err = ""
        except ValueError as e: err = str(e)
        check(f"cross-language CKA on {task} is refused, naming the task", f"cka task {task!r} is not parallel" in err, err)
    rep = sh(*CLI, "study", "report", "--out", str(out), "--all-subnetworks", env=env)
    page = out/"report"/"README.md"
    check("report renders (figures and page)", rep.returncode == 0 and page.exists() and len(list((out/"report").glob("*.png"))) >= 6,
          (rep.stdout + rep.stderr)[-2000:])
    t = time.time()
    again = sh(*CLI, "study", "run", "--config", str(work/"rehearsal.yaml"), "--out", str(out), "--quiet", env=env)
    last = json.loads((out/"manifest.json").read_text())["runs"][-1]
    check(f"a rerun skips every unit ({time.time() - t:.0f} s)", again.returncode == 0 and last["ran"] == 0 and last["skipped_done"] == len(units), last)
    print(f"rehearsal of the paper preset: {len(units)} units, {time.time() - t0:.0f} s")
    if not a.keep: __import__("shutil").rmtree(work, ignore_errors=True)
    return 0 if check.ok else 1

def _task(u):
    "The task of a unit's (first) subnetwork or checkpoint."
    k = u.kw
    for key in ("task", "sub", "ckpt", "a", "front", "end"):
        if key in k: return k[key] if isinstance(k[key], str) else k[key][0]
    return "-"

if __name__ == "__main__":
    sys.exit(main())
