"""Benchmark (not a test) of the CKA layer x layer matrix and of the streaming estimator's memory.

    python tools/bench_cka.py [--n 2048] [--d 384] [--layers 12] [--repeats 3]

Random float32 activations, 12 x 12 linear CKA, all in one run:
  ours      subnet_nb.cka.cka_matrix (float64 centring and sums, the big product in the inputs' float32)
  original  the original study's method: for each layer pair, a fresh float32 n x n Gram matrix per side,
            centred by row/column means (O(n^2), kinder to it than H K H), then HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L))
  floor     one matrix product of the stacked, centred activations (n x La*d)^T (n x Lb*d), float32 like the inputs
Targets: original/ours >= 12, ours/floor <= 1.5.
Then the peak RSS of a process running StreamingCKA over n = 2k and 32k rows (batches of 512): it should be flat in n.

    python tools/bench_cka.py --unit [--n 5000] [--d 768] [--layers 12] [--n-perm 1000] [--n-rep 200] [--sample 10] [--device cpu]

The CKA unit of a study at the `paper` preset's shape (its n, d, layers, permutations and replicates by default): two
measures with the matched-layer permutation null and half-sample replicates (parallel and same inputs) and one without
(the unmasked baseline), on random float32 activations with a shared signal:
  before   what the unit computed until now: `cka_matrix`, `cka_perm_test` and `cka_half_samples`, each building its own
           float64 Gram matrices
  after    `subnet_nb.cka_unit.cka_compare`: products built once (n x n Gram matrices when n < d, else d x d feature products
           per permutation and replicate), float32 products, float64 sums, on --device
Both run `--sample` permutations and replicates; the fixed part and the cost per permutation and per replicate are
measured and the unit's time at --n-perm / --n-rep extrapolated from them (the permutations are independent and cost
the same). Prints both, the speed-up (target >= 3) and the largest differences of the matrix, the null and the
replicates (target <= 1e-6) and whether the p-values are equal.
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


def unit(a_):
    "The CKA unit before and after, at the given shape."
    from subnet_nb.cka import cka_perm_test, cka_half_samples
    from subnet_nb.cka_unit import cka_compare
    g = torch.Generator().manual_seed(0)
    shared = torch.randn(a_.layers, a_.n, a_.d, generator=g)
    A = shared + torch.randn(a_.layers, a_.n, a_.d, generator=g); B = shared + 2*torch.randn(a_.layers, a_.n, a_.d, generator=g)
    k, deb = a_.sample, "auto"
    def once(fn):
        t = time.perf_counter(); out = fn(); return time.perf_counter() - t, out
    tb = {"matrix": once(lambda: cka_matrix(A, B, debiased=deb)), "perm0": once(lambda: cka_perm_test(A, B, n_perm=0, debiased=deb)),
          "perm": once(lambda: cka_perm_test(A, B, n_perm=k, seed=0, debiased=deb)), "half1": once(lambda: cka_half_samples(A, B, n_rep=1, seed=0, debiased=deb)),
          "half": once(lambda: cka_half_samples(A, B, n_rep=k, seed=0, debiased=deb))}
    print(f"before: matrix {tb['matrix'][0]:.1f} s, permutation test with 0 / {k} permutations {tb['perm0'][0]:.1f} / {tb['perm'][0]:.1f} s, "
          f"half-samples with 1 / {k} replicates {tb['half1'][0]:.1f} / {tb['half'][0]:.1f} s", flush=True)
    ta = {"fixed": once(lambda: cka_compare(A, B, 0, 0, debiased=deb, device=a_.device)), "perm": once(lambda: cka_compare(A, B, k, 0, debiased=deb, device=a_.device)),
          "half": once(lambda: cka_compare(A, B, 0, k, debiased=deb, device=a_.device))}
    print(f"after: matrix only {ta['fixed'][0]:.1f} s, with {k} permutations {ta['perm'][0]:.1f} s, with {k} replicates {ta['half'][0]:.1f} s", flush=True)
    P, R = a_.n_perm, a_.n_rep
    perm_b, half_b = (tb["perm"][0] - tb["perm0"][0])/k, (tb["half"][0] - tb["half1"][0])/(k - 1)  # cka_half_samples needs one replicate
    per_b, per_a = tb["matrix"][0] + tb["perm0"][0] + tb["half1"][0] - half_b, ta["fixed"][0]
    perm_a, half_a = (ta["perm"][0] - ta["fixed"][0])/k, (ta["half"][0] - ta["fixed"][0])/k
    before = 2*(per_b + P*perm_b + R*half_b) + tb["matrix"][0]
    after = 2*(per_a + P*perm_a + R*half_a) + ta["fixed"][0]
    m, p, nm, reps = ta["perm"][1]; reps = ta["half"][1][3]
    old_p = tb["perm"][1]
    err = {"matrix": float((m - tb["matrix"][1]).abs().max()), "null mean": float((nm.diagonal() - old_p["null_mean"]).abs().max()),
           "replicates": float(abs(reps - tb["half"][1].mean(1).numpy()).max())}
    same_p = bool((p.diagonal() == old_p["p_value"].double()).all())
    print(f"{a_.layers}x{a_.layers} layers, n={a_.n}, d={a_.d}, {P} permutations, {R} replicates, {torch.get_num_threads()} threads, device {a_.device}")
    print(f"  per permutation: before {perm_b:.3f} s, after {perm_a:.3f} s; per replicate: before {half_b:.3f} s, after {half_a:.3f} s; "
          f"fixed per measure: before {per_b:.1f} s, after {per_a:.1f} s")
    print(f"  the unit (2 measures with null and replicates + the baseline): before {before/60:.1f} min, after {after/60:.1f} min: "
          f"{before/after:.1f}x faster (target >= 3)")
    print(f"  largest differences: " + ", ".join(f"{k_} {v:.1e}" for k_, v in err.items()) + f" (target <= 1e-6); p-values equal: {same_p}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--unit", action="store_true", help="the study's CKA unit before and after, at the paper preset's shape")
    ap.add_argument("--n-perm", type=int, default=1000); ap.add_argument("--n-rep", type=int, default=200)
    ap.add_argument("--sample", type=int, default=10, help="permutations and replicates actually run (>= 2)"); ap.add_argument("--device", default="cpu")
    ap.add_argument("--n", type=int, default=None, help="items (default 2048; 5000 with --unit)")
    ap.add_argument("--d", type=int, default=None, help="features (default 384; 768 with --unit)")
    ap.add_argument("--layers", type=int, default=12); ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--original-repeats", type=int, default=1)
    ap.add_argument("--stream-child", type=int, default=0, help=argparse.SUPPRESS)
    a_ = ap.parse_args()
    if a_.unit: a_.n, a_.d = a_.n or 5000, a_.d or 768; return unit(a_)
    a_.n, a_.d = a_.n or 2048, a_.d or 384
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
