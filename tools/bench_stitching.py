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

    python tools/bench_stitching.py --schedules --out DIR [--ckpts 0] [--n 512] [--holdout 128] [--patience 1] [--rel-tol 0.01]

Schedules of `stitch` over the stitch units at layers 1 and 9 of a finished main-job study in DIR (`bash tools/dev.sh
study`; its subnetworks, pairs and controls), each fitted on the same `--n` training rows and scored on every test row:
  10 epochs      the original's schedule (Adam + cosine for ten epochs)
  another order  the same with another training order (`order_seed`): the yardstick -- how far the fixed schedule
                 moves RA by itself
  early stop     the same, evaluated on `--holdout` further training rows at step 0 (the least-squares map) and after
                 every epoch, stopped after `--patience` epochs without a `--rel-tol` fall of that held-out loss, best map kept
The whole `stitch` call is timed (rows, front states, fitting, scoring). Prints the ratio of total times (target >= 3x)
and the mean |RA(10 epochs) - RA(early stop)| over the units (target <= 0.01), beside the yardstick. Then every stop
rule of a patience x rel_tol grid on the recorded 10-epoch trajectory (held-out loss and test score after every epoch):
an early-stopped run is that run cut short, so its map and RA are exact; its time is estimated from the measured epochs.
"""
import argparse, itertools, sys, time
from pathlib import Path
import numpy as np
import torch
from torch import nn
from subnet_nb.finetune import finetuned, TINY_TOPIC
from subnet_nb.pruning import cached_subnetwork
from subnet_nb.models import masked, encoder_layers
from subnet_nb.data import get_task, load_task
from subnet_nb.batches import tokenize_task, make_loader
from subnet_nb.models import model_shape
from subnet_nb.stitching import (SubnetSpec, Stitch, FRONT_VARIANTS, front_states, front_cache, front_variant_mask, lstsq_init, should_stop,
                                  _batches, _pruned, _train, _stitch_rows, _own_states, _held_loss, _score)


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


def trajectory(ctx, u, s):
    "Held-out loss and test score of a unit's map at step 0 and after every epoch of schedule `s` (`_train` itself, via `on_epoch`), with seconds per epoch and per held-out evaluation."
    k = u.kw; f, e, v, layer = k["front"], k["end"], k["variant"], k["layer"]
    (fm, tok), (em, _) = ctx.model(f.checkpoint), ctx.model(e.checkpoint)
    fs, es = ctx.sub(f), ctx.sub(e)
    t = get_task(e.task)
    train, held, test, _, _ = _stitch_rows(t, tok, e.lang, s)
    base = torch.ones(model_shape(fm)) if fs.head_mask is None else fs.head_mask
    F = _pruned(fm, front_variant_mask(base, v if v in FRONT_VARIANTS else "none", k["draw"]), fs.mlp_mask)
    E = _pruned(em, es.head_mask, es.mlp_mask)
    H_train, H_held, H_test = (front_cache(F.model, bs, layer, F.head_mask, F.mlp_mask) for bs in (train, held, test))
    own = [o.cpu() for o in _own_states(E, layer, train)]
    amap = lstsq_init(Stitch(fm.config.hidden_size, em.config.hidden_size),
                      ((h[m], o[m]) for h, o, m in zip(H_train, own, (x["attention_mask"].bool() for x in train))))
    rec, clock = {"held": [], "test": [], "epoch_s": [], "held_s": []}, [time.perf_counter()]
    def record(epoch, amap):
        if epoch: rec["epoch_s"].append(time.perf_counter() - clock[0])
        t0 = time.perf_counter(); rec["held"].append(_held_loss(amap, E, H_held, held, layer)); rec["held_s"].append(time.perf_counter() - t0)
        rec["test"].append(_score(t, E, amap, H_test, test, layer)[0]); clock[0] = time.perf_counter()
    record(0, amap)
    _train(amap, E, H_train, train, layer, None, s.epochs, s.lr, s.lr_min, s.seed, False, on_epoch=record)
    return rec


def stop_rule(held, patience, rel_tol):
    "(epochs run, epoch of the map kept) under `_train`'s stop rule (`should_stop`), from the held-out losses at step 0 and after every epoch."
    k = next((ep for ep in range(1, len(held)) if should_stop(held[:ep + 1], patience, rel_tol)), len(held) - 1)
    return k, int(np.argmin(held[:k + 1]))


def deltas(rows, ra):
    "10-epoch RA minus `ra(row)`, and the same for RA_self (÷ the trained self-stitch of the same end and layer), over the units."
    own = {r["key"]: r for r in rows if r["self"]}
    d = np.array([r["ra10"] - ra(r) for r in rows])
    ds = np.array([r["s10"]/own[r["key"]]["s10"] - ra(r)*r["end"]/(ra(own[r["key"]])*own[r["key"]]["end"])
                   for r in rows if not r["self"] and r["key"] in own])
    return d, ds


def frontier(rows):
    "Every stop rule of a grid of patience x rel_tol, evaluated on the recorded trajectories: speed-up (estimated from the measured epoch times) and the RA it gives."
    print("stop rules on the recorded 10-epoch trajectories (an early-stopped run is the same run cut short: same order, same learning rates):")
    for p, tol in itertools.product((1, 2, 3), (0.0, 0.002, 0.005, 0.01, 0.02, 0.05)):
        for r in rows: r["k"], r["b"] = stop_rule(r["traj"]["held"], p, tol)
        est = sum(r["fixed"] + sum(r["traj"]["epoch_s"][:r["k"]]) + sum(r["traj"]["held_s"][:r["k"] + 1]) for r in rows)
        d, ds = deltas(rows, lambda r: r["traj"]["test"][r["b"]]/r["end"])
        ok = sum(r["t10"] for r in rows)/est >= 3 and np.abs(d).mean() <= 0.01
        print(f"  patience {p}, rel_tol {tol:.3f}: {sum(r['t10'] for r in rows)/est:4.2f}x; mean |delta RA| {np.abs(d).mean():.4f} "
              f"(mean {d.mean():+.4f}); mean |delta RA_self| {np.abs(ds).mean():.4f}; epochs run: median {np.median([r['k'] for r in rows]):.0f}"
              + ("  <- both targets" if ok else ""))


def schedules(a):
    "The study's stitch units at layers 1 and 9: the 10-epoch schedule, the same in another training order, the early-stopped schedule, and stop rules on the trajectory."
    from subnet_nb.store import Store
    from subnet_nb.plan import plan
    from subnet_nb.units import Context
    from subnet_nb.stitching import stitch
    if not (Path(a.out)/"config.json").exists(): sys.exit(f"{a.out} holds no study: run `bash tools/dev.sh study` first (or pass --out)")
    store = Store(a.out); ctx, cfg = Context(store), store.cfg
    units = [u for u in plan(cfg) if u.kind == "stitching" and u.kw["layer"] in (1, 9) and u.kw["front"].ckpt in a.ckpts]
    if not units or not all(store.valid(u) for u in units): sys.exit(f"{a.out}: the study's stitch units are not all done; finish it first")
    ten = cfg.stitch_settings.update(epochs=10, n_train=a.n, n_test=None)
    runs = {"10 epochs": ten, "another order": ten.update(order_seed=ten.seed + 1),
            "early stop": ten.update(patience=a.patience, holdout=a.holdout, rel_tol=a.rel_tol)}
    print(f"{len(units)} stitch units (checkpoints {a.ckpts}, layers 1 and 9); {a.n} training rows, every test row; "
          f"early stop: holdout {a.holdout}, patience {a.patience}, rel_tol {a.rel_tol}", flush=True)
    memo, rows = {n: {} for n in runs}, []
    for u in units:
        k = u.kw; f, e, v, layer = k["front"], k["end"], k["variant"], k["layer"]
        (fm, tok), (em, _) = ctx.model(f.checkpoint), ctx.model(e.checkpoint)
        fs, es = ctx.sub(f), ctx.sub(e)
        front, end = SubnetSpec(fm, fs.head_mask, fs.mlp_mask, f.id), SubnetSpec(em, es.head_mask, es.mlp_mask, e.id)
        out = {}
        for name, s in runs.items():
            t0 = time.perf_counter()
            r = stitch(front, end, tok, e.task, e.lang, layer, front_variant=v if v in FRONT_VARIANTS else "none", variant_seed=k["draw"],
                       settings=s, memo=memo[name])
            out[name] = (time.perf_counter() - t0, r)
        traj = trajectory(ctx, u, runs["early stop"])
        r10 = out["10 epochs"][1]
        rows.append({"key": (e.id, layer), "self": k["grid"] == "identity", "t10": out["10 epochs"][0], "tes": out["early stop"][0],
                     "ra10": r10["relative_accuracy"], "s10": r10["stitched_score"], "end": r10["end_score"], "traj": traj,
                     "fixed": out["10 epochs"][0] - sum(traj["epoch_s"]), **{n: o[1] for n, o in out.items()}})
        print(f"{u.id[-58:]:>58}: 10 epochs {out['10 epochs'][0]:5.1f} s RA {r10['relative_accuracy']:.3f} | another order RA "
              f"{out['another order'][1]['relative_accuracy']:.3f} | early stop {out['early stop'][0]:5.1f} s "
              f"RA {out['early stop'][1]['relative_accuracy']:.3f} after {out['early stop'][1]['epochs_run']} epochs", flush=True)
    t10, tes = sum(r["t10"] for r in rows), sum(r["tes"] for r in rows)
    d, ds = deltas(rows, lambda r: r["early stop"]["relative_accuracy"])
    o, os_ = deltas(rows, lambda r: r["another order"]["relative_accuracy"])
    print(f"total: 10 epochs {t10:.0f} s, early stop {tes:.0f} s: {t10/tes:.1f}x faster (target >= 3); "
          f"mean |delta RA| {np.nanmean(np.abs(d)):.4f} (target <= 0.01), mean delta RA {np.nanmean(d):+.4f}, max |delta RA| {np.nanmax(np.abs(d)):.3f}; "
          f"epochs run: median {np.median([r['early stop']['epochs_run'] for r in rows]):.0f}, "
          f"{sum(r['early stop']['epochs_run'] == 10 for r in rows)} of {len(rows)} ran all ten")
    print(f"RA_self (the study's measure: / the end's self-stitch under the same schedule), over the {len(ds)} stitches that are not self-stitches: "
          f"mean |delta| {np.nanmean(np.abs(ds)):.4f}, mean delta {np.nanmean(ds):+.4f}, max |delta| {np.nanmax(np.abs(ds)):.3f}")
    print(f"yardstick, the 10-epoch schedule against itself in another training order (same rows, same start): mean |delta RA| "
          f"{np.nanmean(np.abs(o)):.4f} (mean {np.nanmean(o):+.4f}); mean |delta RA_self| {np.nanmean(np.abs(os_)):.4f}")
    frontier(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10); ap.add_argument("--n", type=int, default=None, help="training rows (default 128; 512 with --schedules)")
    ap.add_argument("--layers", type=int, nargs="+", default=[0, 5, 11])
    ap.add_argument("--schedules", action="store_true", help="compare the 10-epoch and early-stopped schedules over a study's stitch units")
    ap.add_argument("--out", default="results", help="with --schedules: the finished main-job study")
    ap.add_argument("--ckpts", type=int, nargs="+", default=[0]); ap.add_argument("--holdout", type=int, default=128)
    ap.add_argument("--patience", type=int, default=1); ap.add_argument("--rel-tol", type=float, default=0.01)
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
