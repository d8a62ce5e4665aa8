"""Benchmark (not a test): one stitching run, ours vs the original study's training loop, at equal epochs and data.

    python tools/bench_stitching.py [--epochs 3] [--n 128] [--layers 0 5 11]

Both train the same affine map (identity init, Adam + cosine, hard labels) from the English into the German
emoji-topic subnetwork of the shared embedded checkpoint:
  ours      front activations computed once, the end model run from layer l+1 only (subnet_nb.stitching.stitch)
  original  at every step the front is re-run up to layer l and the end model runs all its layers, its layer-l
            output overwritten by the stitched state (a forward hook), as in the original code
Only training is timed (ours: computing the front states once + the epochs; original: its epochs), same batches.
Prints per-layer times and both the ratio of mean times and the mean of per-layer speed-ups. Target: >= 3x.
The end's forward and backward from layer l+1 are needed by both, so at layer 0 no method can be much faster;
the gain grows with l (the original recomputes the front and the end's first l+1 layers at every step).
"""
import argparse, time
import torch
from torch import nn
from subnet_nb.finetune import finetuned, TINY_TOPIC
from subnet_nb.pruning import cached_subnetwork
from subnet_nb.models import masked, encoder_layers
from subnet_nb.data import get_task
from subnet_nb.stitching import SubnetSpec, Stitch, front_states, _batches, _states, _train
from subnet_nb.data import load_task


def original_loop(front, end, tok, layer, epochs, n, lr=3e-4, lr_min=1e-5):
    "The original loop: front re-run each step, full end forward with layer `layer` overwritten."
    t = get_task("emoji-topic")
    train = _batches(t, tok, load_task("emoji-topic", "de", "train", n=n, seed=0), 32, 32)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3); ap.add_argument("--n", type=int, default=128)
    ap.add_argument("--layers", type=int, nargs="+", default=[0, 5, 11])
    a = ap.parse_args()
    model, tok, _ = finetuned(TINY_TOPIC, progress=False)
    en = cached_subnetwork(TINY_TOPIC, model, tok, "en", 0, n=96, max_length=32, progress=False)
    de = cached_subnetwork(TINY_TOPIC, model, tok, "de", 0, n=96, max_length=32, progress=False)
    front, end = SubnetSpec(model, en.head_mask, en.mlp_mask), SubnetSpec(model, de.head_mask, de.mlp_mask)
    t = get_task("emoji-topic")
    train = _batches(t, tok, load_task("emoji-topic", "de", "train", n=a.n, seed=0), 32, 32)
    ours, orig = [], []
    for l in a.layers:
        t0 = time.perf_counter()
        H = _states(front, train, l)  # once
        _train(Stitch(384, 384), end, H, train, l, None, a.epochs, 3e-4, 1e-5, 0, False)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); original_loop(front, end, tok, l, a.epochs, a.n); orig.append(time.perf_counter() - t0)
        print(f"layer {l:>2}: ours {ours[-1]:.2f} s, original loop {orig[-1]:.2f} s, speed-up {orig[-1]/ours[-1]:.1f}x")
    mo, mg = sum(ours)/len(ours), sum(orig)/len(orig)
    per_layer = [g/o for g, o in zip(orig, ours)]
    print(f"layers {a.layers}: mean time ours {mo:.2f} s vs original {mg:.2f} s -> ratio of means {mg/mo:.1f}x; "
          f"mean of per-layer speed-ups {sum(per_layer)/len(per_layer):.1f}x (target >= 3)")


if __name__ == "__main__":
    main()
