"""Scale check of the `paper` preset: one unit of each kind at the preset's shapes, with its peak memory.

    python tools/bench_scale.py [--out DIR] [--batch 8 32] [--keep]

The model is a random-weight encoder of xlm-roberta-base's architecture (12 layers, hidden 768, 12 heads, FFN 3072,
its 250k-piece SentencePiece vocabulary from the embedded model), the data the synthetic Hub mirror with sentences long
enough to fill max_length=128 (`write_hub_mirror(length=...)`), read through `$SUBNET_NB_HUB_DATA`. Everything runs at the
batch sizes given (the preset's: 32); only the number of rows is reduced, which changes the time, not the peak memory of a
unit. The random model is never above chance, so each subnetwork unit is one evaluation and one importance pass (the
largest step of pruning; the `above_chance` criterion stops there). Each unit
runs in a fresh process (`run_unit` on the study's store) so its peak resident memory (`ru_maxrss` from `os.wait4`) is its
own. Printed per unit kind: peak memory, wall time, and the memory of the same process with only the library imported and
the model loaded, so a GPU's needs can be read off (tensors in GPU memory are the same; a CUDA context adds ~0.5 GB).
"""
import argparse, json, os, subprocess, sys, tempfile, time
from pathlib import Path

UNIT = """
import sys, time
from subnet_nb.plan import plan
from subnet_nb.store import Store
from subnet_nb.units import Context, run_unit
store = Store(sys.argv[1]); ctx = Context(store)
by = {u.id: u for u in plan(store.cfg)}
t = time.time(); run_unit(ctx, by[sys.argv[2]]); print(f"{time.time() - t:.1f}")
"""
BASE = """
import sys
from subnet_nb.store import Store
from subnet_nb.units import Context
from subnet_nb.plan import CkptKey
store = Store(sys.argv[1]); ctx = Context(store); ctx.model(CkptKey("xnli", 0))
"""

def peak(code, *args, env):
    "Run `code` in a fresh Python with `args`; return its peak resident memory in GB and its wall time (stderr kept in a file)."
    t = time.time()
    with tempfile.TemporaryFile("w+") as log:
        p = subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=env, stdout=subprocess.DEVNULL, stderr=log)
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = status
        if status: log.seek(0); raise RuntimeError(f"{args} failed:\n{log.read()[-3000:]}")
    return ru.ru_maxrss/2**20, time.time() - t

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="work folder (default: a temporary one)")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--batch", type=int, nargs="+", default=[8, 32], help="batch sizes of every step to measure (the preset's: 32)")
    a = ap.parse_args()
    from transformers import AutoConfig, AutoModel, AutoTokenizer
    from subnet_nb.files import quiet_transformers
    from subnet_nb.embedded import embedded_model_dir
    from subnet_nb.data import HUB_DATA_ENV
    from subnet_nb.hub_mirror import write_hub_mirror
    from subnet_nb.config import KNOWN_ARCHITECTURES, get_config
    from subnet_nb.plan import plan
    from subnet_nb.store import Store
    work = Path(a.out or tempfile.mkdtemp(prefix="subnet_nb-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    model = work/"random-xlm-roberta-base"
    t0 = time.time()
    if not (model/"config.json").exists():
        with quiet_transformers(): tok = AutoTokenizer.from_pretrained(embedded_model_dir())
        kw = dict(KNOWN_ARCHITECTURES["xlm-roberta-base"]); kw["vocab_size"] = len(tok)
        with quiet_transformers(): AutoModel.from_config(AutoConfig.for_model(kw.pop("model_type"), **kw)).save_pretrained(model)
        tok.save_pretrained(model)
    langs = ("en",)
    mirror = write_hub_mirror(work/"hub", tasks=("xnli", "wikiann"), langs=langs, rows={"train": 480, "validation": 64, "test": 64}, length=120)  # xnli keeps half: prune split 72 rows, two disjoint seeds of 32
    env = {**os.environ, HUB_DATA_ENV: str(mirror), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    rows = []
    for bs in a.batch:
        cfg = get_config("paper", model=str(model), tasks=("xnli", "wikiann"), langs=langs, checkpoints=(0,), seeds=(0, 1), device="cpu",
                         finetune=dict(n_train={"xnli": bs, "wikiann": bs}, n_eval=bs, epochs=1, batch_size=bs),
                         prune=dict(n=bs, stop_n=bs, criterion="above_chance", batch_size=bs), n_eval=bs, grids=("seeds",), cka_grids=("seeds",),
                         cka=dict(n=2*bs, n_perm=100, n_rep=100), stitch_layers=(5,), stitch_grids=("seeds",), stitch_control_grids=(),
                         stitch=dict(n_train=bs, n_test=bs, epochs=1, batch_size=bs), stitch_langs=(), stitch_control_langs=())
        out = work/f"study-b{bs}"
        Store(out, cfg)
        print(f"random xlm-roberta-base, max_length {cfg.max_length}, batch {bs} (set-up {time.time() - t0:.0f} s)", flush=True)
        seen = set()
        for u in plan(cfg):  # dependencies first; the first unit of each kind and task is measured
            key = (u.kind, u.kw.get("task") or (u.kw.get("sub") or u.kw.get("end") or u.kw.get("a") or ("",))[0])
            gb, s = peak(UNIT, out, u.id, env=env)
            if key not in seen: seen.add(key); rows.append((bs, u.kind, key[1], u.id, gb, s)); print(f"  {u.kind:<12} {key[1]:<8} {gb:6.2f} GB {s:6.1f} s", flush=True)
    base, _ = peak(BASE, work/f"study-b{a.batch[0]}", env=env)
    print(f"{'batch':>5} {'kind':<12} {'task':<8} {'peak GB':>8} {'seconds':>8}  unit")
    for bs, kind, task, uid, gb, s in rows: print(f"{bs:5d} {kind:<12} {task:<8} {gb:8.2f} {s:8.1f}  {uid}")
    print(f"baseline (library imported, one fine-tuned checkpoint loaded): {base:.2f} GB")
    (work/"scale.json").write_text(json.dumps({"max_length": 128, "baseline_gb": base,
                                                "units": [dict(batch=b, kind=k, task=t, id=i, peak_gb=g, seconds=s) for b, k, t, i, g, s in rows]}, indent=1))
    print(f"written {work/'scale.json'}; total {time.time() - t0:.0f} s")
    if not a.keep and not a.out: __import__("shutil").rmtree(work, ignore_errors=True)

if __name__ == "__main__":
    main()
