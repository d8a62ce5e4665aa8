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
"""
import argparse, time
import torch
from torch import nn
from subnet_nb.finetune import finetuned, TINY_TOPIC
from subnet_nb.pruning import cached_subnetwork
from subnet_nb.models import masked, encoder_layers
from subnet_nb.data import get_task, load_task, tokenize_task, make_loader
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=10); ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--layers", type=int, nargs="+", default=[0, 5, 11])
    a = ap.parse_args()
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
