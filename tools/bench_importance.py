"""Benchmark (not a test): one importance pass vs one plain forward+backward over the same batches.

    python tools/bench_importance.py [--n 256] [--batch-size 32] [--repeats 3]

Baseline, measured in the same run: the usual training-style pass, loss.backward() with gradients for every
trainable parameter (and, as a stricter second baseline, with the word embeddings frozen), on the same fine-tuned embedded model and the same batches. Target: ratio <= 1.3.
Prints the median seconds of each and the ratio.
"""
import argparse, statistics, time
import torch
from subnet_nb.data import load_task
from subnet_nb.batches import tokenize_task, make_loader
from subnet_nb.finetune import finetuned, TINY_TOPIC
from subnet_nb.pruning import importance


def plain_pass(model, loader):
    model.eval()
    for b in loader:
        model(**b).loss.backward()
    model.zero_grad(set_to_none=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    model, tok, _ = finetuned(TINY_TOPIC, progress=False)
    for p in model.parameters(): p.requires_grad_(True)  # the baseline trains every parameter
    ds = tokenize_task(load_task("emoji-topic", "en", "train", n=a.n, seed=0), tok, "emoji-topic", 32)
    batches = list(make_loader(ds, tok, "emoji-topic", batch_size=a.batch_size))
    emb = model.base_model.embeddings.word_embeddings.weight
    def frozen_emb_pass():
        emb.requires_grad_(False); plain_pass(model, batches); emb.requires_grad_(True)
    times = {"importance": [], "forward+backward": [], "fwd+bwd, frozen emb.": []}
    for _ in range(a.repeats):
        for name, fn in (("importance", lambda: importance(model, batches, "emoji-topic")), ("forward+backward", lambda: plain_pass(model, batches)),
                         ("fwd+bwd, frozen emb.", frozen_emb_pass)):
            t = time.perf_counter(); fn(); times[name].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in med.items(): print(f"{k:>17}: {v:.2f} s (median of {a.repeats}, {len(batches)} batches of {a.batch_size})")
    print(f"ratio importance / forward+backward = {med['importance']/med['forward+backward']:.2f} (target <= 1.3)")
    print(f"ratio importance / forward+backward with frozen word embeddings = {med['importance']/med['fwd+bwd, frozen emb.']:.2f}")


if __name__ == "__main__":
    main()
