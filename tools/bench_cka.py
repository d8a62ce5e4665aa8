"""Benchmark (not a test) of the CKA layer x layer matrix and of the streaming estimator's memory.

    python tools/bench_cka.py [--n 2048] [--d 384] [--layers 12] [--repeats 3]

Random float32 activations, 12 x 12 linear CKA, all in one run:
  ours      subnet_nb.cka.cka_matrix (float64 centring and sums, the big product in the inputs' float32)
  original  the original study's method: for each layer pair, a fresh float32 n x n Gram matrix per side,
            centred by row/column means (O(n^2), kinder to it than H K H), then HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))
  floor     one matrix product of the stacked, centred activations (n x La*d)^T (n x Lb*d), float32 like the inputs
Targets: original/ours >= 12, ours/floor <= 1.5.
Then the peak RSS of a process running StreamingCKA over n = 2k and 32k rows (batches of 512): it should be flat in n.
"""
import argparse, resource, statistics, subprocess, sys, time
import torch
from subnet_nb.cka import cka_matrix, StreamingCKA


def original_cka_matrix(a, b):
    "The original code's approach: a fresh n x n Gram matrix for every one of the La x Lb pairs."
    def center(K): return K - K.mean(0, keepdim=True) - K.mean(1, keepdim=True) + K.mean()  # O(n^2), the cheap way
    def hsic(K, L): return (center(K)*center(L)).sum()
    out = torch.empty(len(a), len(b))
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            K, L = x @ x.T, y @ y.T
            out[i, j] = hsic(K, L)/torch.sqrt(hsic(K, K)*hsic(L, L))
    return out


def floor(a, b):
    "One product of the stacked, centred activations, in the inputs' precision (float32)."
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    n = a.shape[1]
    return a.permute(1, 0, 2).reshape(n, -1).T @ b.permute(1, 0, 2).reshape(n, -1)


def timed(fn, repeats):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2048); ap.add_argument("--d", type=int, default=384)
    ap.add_argument("--layers", type=int, default=12); ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--original-repeats", type=int, default=1)
    ap.add_argument("--stream-child", type=int, default=0, help=argparse.SUPPRESS)
    a_ = ap.parse_args()
    if a_.stream_child: return stream_child(a_.stream_child, a_.layers, a_.d)
    g = torch.Generator().manual_seed(0)
    a = torch.randn(a_.layers, a_.n, a_.d, generator=g); b = torch.randn(a_.layers, a_.n, a_.d, generator=g)
    t_ours = timed(lambda: cka_matrix(a, b), a_.repeats)
    t_floor = timed(lambda: floor(a, b), a_.repeats)
    t_orig = timed(lambda: original_cka_matrix(a, b), a_.original_repeats)
    err = (original_cka_matrix(a[:2], b[:2]).double() - cka_matrix(a[:2], b[:2])).abs().max().item()
    print(f"{a_.layers}x{a_.layers} linear CKA, n={a_.n}, d={a_.d}, {torch.get_num_threads()} threads")
    print(f"  ours {t_ours:.2f} s   original {t_orig:.2f} s   floor {t_floor:.2f} s   (max |ours - original| on 2x2 = {err:.1e})")
    print(f"  speed-up vs original = {t_orig/t_ours:.1f}x (target >= 12)")
    print(f"  ours / floor = {t_ours/t_floor:.2f} (target <= 1.5)")
    for n in (2048, 32768):
        r = subprocess.run([sys.executable, __file__, "--stream-child", str(n), "--d", str(a_.d), "--layers", str(a_.layers)],
                           capture_output=True, text=True, check=True)
        print(f"  streaming n={n}: peak RSS {r.stdout.strip()} MiB")


def stream_child(n, layers, d):
    "Run StreamingCKA over n random rows in batches of 512 and print this process's peak RSS (MiB)."
    g = torch.Generator().manual_seed(0)
    sc = StreamingCKA()
    for i in range(0, n, 512):
        sc.update(torch.randn(layers, 512, d, generator=g), torch.randn(layers, 512, d, generator=g))
    sc.value()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss//1024)


if __name__ == "__main__":
    main()
