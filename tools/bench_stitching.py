"""Benchmark (not a test): one stitching run, ours vs the original study's training loop, at equal epochs and data.

    python tools/bench_stitching.py [--epochs 10] [--n 128] [--layers 0 5 11]

All variants train the same affine map (identity init, Adam + cosine, hard labels, batch size 32; 10 epochs by default,
the original's setting) on the same rows from the English into the German emoji-topic subnetwork of the shared
embedded checkpoint:
  original   at every step the front is re-run up to layer l under its mask and the end model runs all its layers
             under its mask, its layer-l output overwritten by the stitched state (a forward hook), as in the
             original code; batches as drawn (dynamic padding)
  ours       what `subnet_nb.stitching.stitch` does: front states computed once, the end run from layer l+1 only,
             switched-off heads removed from both models (`remove_heads`), batches grouped by length
  ours, as drawn   the same but on the original's batches, to show what grouping by length adds
Only training is timed (ours: removing heads + computing the front states once + the epochs; original: its epochs).
Prints per-layer times, the ratio of mean times and the mean of per-layer speed-ups. Target: >= 3x.

    python tools/bench_stitching.py --schedules --out DIR [--ckpts 0] [--n 512] [--holdout 128] [--patience 1]

Two schedules of `stitch` over the stitch units at layers 1 and 9 of a finished main-job study in DIR (`bash tools/dev.sh
study`; its subnetworks, pairs and controls), each fitted on the same `--n` training rows and scored on every test row:
  10 epochs      the original's schedule (Adam + cosine for ten epochs)
  early stop     the same, evaluated on `--holdout` further training rows at step 0 (the least-squares map) and after
                 every epoch, stopped after `--patience` epochs without a 1 % fall of that held-out loss, best map kept
The whole `stitch` call is timed (rows, front states, fitting, scoring). Prints the ratio of total times (target >= 3x)
and the mean |RA(10 epochs) - RA(early stop)| over the units (target <= 0.01).
"""
import argparse, sys, time
from pathlib import Path
import numpy as np
import torch
from torch import nn
from subnet_nb.finetune import finetuned, TINY_TOPIC
from subnet_nb.pruning import cached_subnetwork
from subnet_nb.models import masked, encoder_layers
from subnet_nb.data import get_task, load_task
from subnet_nb.batches import tokenize_task, make_loader
from subnet_nb.stitching import SubnetSpec, Stitch, front_states, front_cache, _batches, _pruned, _train


def original_loop(front, end, train, layer, epochs, lr=3e-4, lr_min=1e-5):
    "The original loop: front re-run each step, full end forward with layer `layer` overwritten."
    st = Stitch(384, 384)
    opt = torch.optim.Adam(st.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs*len(train), eta_min=lr_min)
    for p in end.model.parameters(): p.requires_grad_(False)
    target = encoder_layers(end.model)[layer].layer
    for _ in range(epochs):
        for b in train:
            h = front_states(front.model, b, layer, front.head_mask, front.mlp_mask)  # re-run every step
            hook = target.register_forward_hook(lambda m, a, o: st(h))
            try:
                with masked(end.model, end.head_mask, end.mlp_mask):
                    logits = end.model(input_ids=b["input_ids"], attention_mask=b["attention_mask"]).logits
            finally: hook.remove()
            loss = nn.functional.cross_entropy(logits, b["labels"])
            opt.zero_grad(); loss.backward(); opt.step(); sched.step()


def ours(front, end, train, layer, epochs):
    "What `stitch` does for training: heads removed, front states once, end from layer+1."
    F, E = _pruned(front.model, front.head_mask, front.mlp_mask), _pruned(end.model, end.head_mask, end.mlp_mask)
    H = front_cache(F.model, train, layer, F.head_mask, F.mlp_mask)
    _train(Stitch(384, 384), E, H, train, layer, None, epochs, 3e-4, 1e-5, 0, False)


def timed(f, *args):
    t0 = time.perf_counter(); f(*args); return time.perf_counter() - t0


def schedules(a):
    "The study's stitch units at layers 1 and 9, under the 10-epoch and the early-stopped schedule."
    from subnet_nb.store import Store
    from subnet_nb.plan import plan
    from subnet_nb.units import Context
    from subnet_nb.stitching import stitch, FRONT_VARIANTS
    if not (Path(a.out)/"config.json").exists(): sys.exit(f"{a.out} holds no study: run `bash tools/dev.sh study` first (or pass --out)")
    store = Store(a.out); ctx, cfg = Context(store), store.cfg
    units = [u for u in plan(cfg) if u.kind == "stitching" and u.kw["layer"] in (1, 9) and u.kw["front"].ckpt in a.ckpts]
    if not units or not all(store.valid(u) for u in units): sys.exit(f"{a.out}: the study's stitch units are not all done; finish it first")
    ten = cfg.stitch_settings.update(epochs=10, n_train=a.n, n_test=None)
    early = ten.update(patience=a.patience, holdout=a.holdout)
    print(f"{len(units)} stitch units (checkpoints {a.ckpts}, layers 1 and 9); {a.n} training rows, every test row; "
          f"early stop: holdout {a.holdout}, patience {a.patience}, rel_tol {early.rel_tol}", flush=True)
    memo, rows = {"10 epochs": {}, "early stop": {}}, []
    for u in units:
        k = u.kw; f, e, v, layer = k["front"], k["end"], k["variant"], k["layer"]
        (fm, tok), (em, _) = ctx.model(f.checkpoint), ctx.model(e.checkpoint)
        fs, es = ctx.sub(f), ctx.sub(e)
        front, end = SubnetSpec(fm, fs.head_mask, fs.mlp_mask, f.id), SubnetSpec(em, es.head_mask, es.mlp_mask, e.id)
        out = {}
        for name, s in (("10 epochs", ten), ("early stop", early)):
            t0 = time.perf_counter()
            r = stitch(front, end, tok, e.task, e.lang, layer, front_variant=v if v in FRONT_VARIANTS else "none", variant_seed=k["draw"],
                       settings=s, memo=memo[name])
            out[name] = (time.perf_counter() - t0, r["relative_accuracy"], r["epochs_run"], r["stitched_score"])
        rows.append({**out, "key": (e.id, layer), "self": k["grid"] == "identity"})
        print(f"{u.id[-58:]:>58}: 10 epochs {out['10 epochs'][0]:5.1f} s RA {out['10 epochs'][1]:.3f} | early stop {out['early stop'][0]:5.1f} s "
              f"RA {out['early stop'][1]:.3f} after {out['early stop'][2]} epochs", flush=True)
    t10, tes = (sum(r[n][0] for r in rows) for n in ("10 epochs", "early stop"))
    d = np.array([r["10 epochs"][1] - r["early stop"][1] for r in rows])
    own = {n: {r["key"]: r[n][3] for r in rows if r["self"]} for n in ("10 epochs", "early stop")}  # the end's trained self-stitch
    ds = np.array([r["10 epochs"][3]/own["10 epochs"][r["key"]] - r["early stop"][3]/own["early stop"][r["key"]]
                   for r in rows if not r["self"] and r["key"] in own["10 epochs"]])
    print(f"total: 10 epochs {t10:.0f} s, early stop {tes:.0f} s: {t10/tes:.1f}x faster (target >= 3); "
          f"mean |delta RA| {np.nanmean(np.abs(d)):.4f} (target <= 0.01), mean delta RA {np.nanmean(d):+.4f}, max |delta RA| {np.nanmax(np.abs(d)):.3f}; "
          f"epochs run: median {np.median([r['early stop'][2] for r in rows]):.0f}, {sum(r['early stop'][2] == 10 for r in rows)} of {len(rows)} ran all ten")
    print(f"RA_self (the study's measure: / the end's self-stitch under the same schedule), over the {len(ds)} stitches that are not self-stitches: "
          f"mean |delta| {np.nanmean(np.abs(ds)):.4f}, mean delta {np.nanmean(ds):+.4f}, max |delta| {np.nanmax(np.abs(ds)):.3f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10); ap.add_argument("--n", type=int, default=None, help="training rows (default 128; 512 with --schedules)")
    ap.add_argument("--layers", type=int, nargs="+", default=[0, 5, 11])
    ap.add_argument("--schedules", action="store_true", help="compare the 10-epoch and early-stopped schedules over a study's stitch units")
    ap.add_argument("--out", default="results", help="with --schedules: the finished main-job study")
    ap.add_argument("--ckpts", type=int, nargs="+", default=[0]); ap.add_argument("--holdout", type=int, default=128)
    ap.add_argument("--patience", type=int, default=1)
    a = ap.parse_args()
    if a.schedules: a.n = a.n or 512; return schedules(a)
    a.n = a.n or 128
    torch.manual_seed(0)
    model, tok, _ = finetuned(TINY_TOPIC, progress=False)
    en = cached_subnetwork(TINY_TOPIC, model, tok, "en", 0, n=96, max_length=32, progress=False)
    de = cached_subnetwork(TINY_TOPIC, model, tok, "de", 0, n=96, max_length=32, progress=False)
    front, end = SubnetSpec(model, en.head_mask, en.mlp_mask), SubnetSpec(model, de.head_mask, de.mlp_mask)
    t = get_task("emoji-topic")
    rows = load_task("emoji-topic", "de", "train", n=a.n, seed=0)
    as_drawn = list(make_loader(tokenize_task(rows, tok, t, 32), tok, t, batch_size=32))
    grouped, _ = _batches(t, tok, rows, 32, 32)
    print(f"heads kept: front {int(en.head_mask.sum())}/144, end {int(de.head_mask.sum())}/144; token positions per epoch: "
          f"as drawn {sum(b['input_ids'].numel() for b in as_drawn)}, grouped {sum(b['input_ids'].numel() for b in grouped)}")
    res = {"original": [], "ours": [], "ours, as drawn": []}
    for l in a.layers:
        res["original"].append(timed(original_loop, front, end, as_drawn, l, a.epochs))
        res["ours"].append(timed(ours, front, end, grouped, l, a.epochs))
        res["ours, as drawn"].append(timed(ours, front, end, as_drawn, l, a.epochs))
        print(f"layer {l:>2}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in res.items())
              + f"; speed-up {res['original'][-1]/res['ours'][-1]:.1f}x ({res['original'][-1]/res['ours, as drawn'][-1]:.1f}x as drawn)")
    mean = {k: sum(v)/len(v) for k, v in res.items()}
    for k in ("ours", "ours, as drawn"):
        per_layer = [g/o for g, o in zip(res["original"], res[k])]
        print(f"{k:>15} vs original over layers {a.layers}: ratio of mean times {mean['original']/mean[k]:.1f}x, "
              f"mean of per-layer speed-ups {sum(per_layer)/len(per_layer):.1f}x (target >= 3)")


if __name__ == "__main__":
    main()
