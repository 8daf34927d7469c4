#!/usr/bin/python3
"""The Python half of `submit/bench.sh peers`: the nearest-neighbour backends of microsoft/DPSDA
on the data set that PeersBenchmark (Java) wrote and voted on, each on one thread.

Reads from DIR: shape.txt ("n m dim"), private.f32 / synthetic.f32 (row-major raw little-endian
float32), dpsynth.i32 / dpsynth_l2.i32 (dpsynth's nearest synthetic index per private row, cosine /
L2) and dpsynth.txt / dpsynth_l2.txt (its seconds per pass). Times, k = 1, excluding index building
(faiss add, sklearn fit) like the Java side excludes packing:
  faiss IndexFlatIP   (inner product = cosine on these unit vectors; the issue's reference)
  faiss IndexFlatL2   (squared Euclidean)
  sklearn NearestNeighbors(algorithm='brute', metric='l2', n_jobs=1)      (DPSDA's sklearn backend in
                                   mode "l2", the mode of DPSDA's examples; vote_vs_sklearn)
  sklearn NearestNeighbors(algorithm='brute', metric='euclidean', n_jobs=1)  (not what DPSDA calls:
                                   scikit-learn 1.2 computes 'l2' pair by pair without BLAS and
                                   'euclidean' through GEMM; shown so the gap is not mistaken for
                                   dpsynth's doing; vote_vs_sklearn_euclidean)
  sklearn NearestNeighbors(algorithm='brute', metric='cosine', n_jobs=1)  (its mode "cos_sim";
                                   vote_vs_sklearn_cosine)
Each peer is compared with dpsynth on the same metric: cosine/inner product against dpsynth's
cosine passes, L2/Euclidean against its L2 passes. Checks that each backend picks dpsynth's
(cosine) nearest sample on >= 99.9% of rows (rounding can flip near-ties), prints a table (median
and worst seconds, GFLOP/s at 2*n*m*dim) and, last, vote_vs_faiss= (faiss IndexFlatIP median /
dpsynth cosine median), vote_vs_faiss_l2=, vote_vs_sklearn= (l2), vote_vs_sklearn_euclidean=,
vote_vs_sklearn_cosine=, and the same ratios on the worst passes (_worst: slowest dpsynth pass
against the fastest peer pass).

scikit-learn runs --sklearn-repeats passes (default 1: its 'l2' takes minutes per pass here).

Run it with one BLAS/OpenMP thread (bench.sh sets OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1 before
Python starts; faiss.omp_set_num_threads(1) is set here as well).
"""
import os
import sys
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402


def load(d):
    with open(os.path.join(d, "shape.txt")) as f:
        n, m, dim = (int(x) for x in f.read().split())
    q = np.fromfile(os.path.join(d, "private.f32"), dtype="<f4")
    s = np.fromfile(os.path.join(d, "synthetic.f32"), dtype="<f4")
    ref = np.fromfile(os.path.join(d, "dpsynth.i32"), dtype="<i4")
    ref_l2 = np.fromfile(os.path.join(d, "dpsynth_l2.i32"), dtype="<i4")
    if q.size != n * dim or s.size != m * dim or ref.size != n or ref_l2.size != n:
        sys.exit("peers.py: data files do not match shape.txt (%d %d %d)" % (n, m, dim))
    secs = []
    for name in ("dpsynth.txt", "dpsynth_l2.txt"):
        with open(os.path.join(d, name)) as f:
            secs.append([float(x) for x in f.read().split()])
    return q.reshape(n, dim), s.reshape(m, dim), ref, ref_l2, secs[0], secs[1]


def timed(fn, repeats):
    secs, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        secs.append(time.perf_counter() - t0)
    return secs, result


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: peers.py DIR [--repeats R] [--sklearn-repeats R]")
    d = sys.argv[1]
    repeats, sk_repeats = 3, 1
    args = sys.argv[2:]
    while args:
        if args[0] == "--repeats":
            repeats = int(args[1])
        elif args[0] == "--sklearn-repeats":
            sk_repeats = int(args[1])
        else:
            sys.exit("peers.py: unknown argument " + args[0])
        args = args[2:]

    import faiss
    import sklearn
    from sklearn.neighbors import NearestNeighbors
    from threadpoolctl import threadpool_info, threadpool_limits

    faiss.omp_set_num_threads(1)
    threadpool_limits(1)
    q, s, ref, ref_l2, dpsynth_secs, dpsynth_l2_secs = load(d)
    n, dim = q.shape
    m = s.shape[0]
    flops = 2.0 * n * m * dim
    pools = ", ".join(sorted({"%s %s (%s threads)" % (p.get("internal_api"), p.get("version"), p.get("num_threads"))
                              for p in threadpool_info()}))
    print("peers: %d private x %d synthetic x %d dims, k=1; faiss %s, scikit-learn %s, numpy %s; "
          "thread pools: %s; load average at start: %s" % (
              n, m, dim, faiss.__version__, sklearn.__version__, np.__version__, pools, loadavg()))

    rows = [("dpsynth vote kernel (Java, fused), cosine", dpsynth_secs, ref),
            ("dpsynth vote kernel (Java, fused), l2", dpsynth_l2_secs, ref_l2)]
    for name, cls in (("faiss IndexFlatIP", faiss.IndexFlatIP), ("faiss IndexFlatL2", faiss.IndexFlatL2)):
        index = cls(dim)
        index.add(s)
        secs, (_, ids) = timed(lambda: index.search(q, 1), repeats)
        rows.append((name, secs, ids[:, 0]))
        print("%s: %s s" % (name, " ".join("%.3f" % x for x in secs)), flush=True)
        del index
    for metric in ("l2", "euclidean", "cosine"):
        nn = NearestNeighbors(n_neighbors=1, algorithm="brute", metric=metric, n_jobs=1).fit(s)
        # DPSDA asks for distances too (the default).
        secs, (_, ids) = timed(lambda: nn.kneighbors(q), sk_repeats)
        rows.append(("sklearn brute, " + metric, secs, ids[:, 0]))
        print("sklearn brute, %s: %s s" % (metric, " ".join("%.3f" % x for x in secs)), flush=True)

    print()
    print("%-42s %8s %9s %9s %10s %10s %12s" % ("backend (1 thread)", "passes", "median s", "worst s",
                                                "GFLOP/s md", "GFLOP/s wst", "same argmax"))
    ok = True
    for name, secs, ids in rows:
        agree = float(np.mean(ids == ref))
        ok &= agree >= 0.999
        print("%-42s %8d %9.3f %9.3f %10.1f %10.1f %11.4f%%" % (
            name, len(secs), median(secs), max(secs), flops / median(secs) / 1e9, flops / max(secs) / 1e9,
            100 * agree))
    print("load average at end: %s" % loadavg())
    if not ok:
        sys.exit("peers.py: a backend disagrees with dpsynth's nearest sample on more than 0.1% of rows")
    by = {name: secs for name, secs, _ in rows}
    pairs = (("vote_vs_faiss", "faiss IndexFlatIP", dpsynth_secs),
             ("vote_vs_faiss_l2", "faiss IndexFlatL2", dpsynth_l2_secs),
             ("vote_vs_sklearn_cosine", "sklearn brute, cosine", dpsynth_secs),
             ("vote_vs_sklearn_euclidean", "sklearn brute, euclidean", dpsynth_l2_secs),
             ("vote_vs_sklearn", "sklearn brute, l2", dpsynth_l2_secs))
    for key, name, mine in pairs:
        print("%s_worst=%.3f" % (key, min(by[name]) / max(mine)))
    for key, name, mine in pairs:
        print("%s=%.3f" % (key, median(by[name]) / median(mine)))


def median(v):
    v = sorted(v)
    k = len(v)
    return v[k // 2] if k % 2 else (v[k // 2 - 1] + v[k // 2]) / 2


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "n/a"


if __name__ == "__main__":
    main()
