"""Speed of one Baum-Welch iteration of the pair HMM (E-step + M-step), single core and parallel.

The data (seeded): ``--pairs`` related protein pairs (default 1,000). x is ``--length`` residues
(default 300) drawn from the match marginal of ``PairHMM.default("protein")``; y is derived from x
by running that model's M/X/Y chain along x (match: y_j ~ p(b | x_i); X: x_i deleted; Y: a residue
inserted), so |y| is ~300 as well and the pair is related the way the model says. (Sampling whole
pairs with ``sample_pairs`` gives geometric lengths, whose spread makes the cell count of
"pairs of ~300" twice 1000 * 300^2; ``--geometric`` does that instead.) The E-step (forward,
backward and expected-count accumulation for every pair) is timed with each ``--jobs`` value; it
is the whole cost of an iteration (the M-step takes a few milliseconds), timed separately.

Reported per thread count: median wall time over ``--repeats`` runs, million DP cells per second
(cells = sum of len(x) * len(y)), CPU time per cell (``time.process_time``, all threads of the
process summed: on a machine shared with other jobs this is the fairer per-core figure, since wall
time includes waiting for a core), and the speed-up over one thread. Also checks that every
thread count gives bitwise the same statistics.

    python benchmarks/bench_train.py                      # 1,000 pairs of ~300 aa, jobs 1 and 2
    python benchmarks/bench_train.py --pairs 200 --repeats 5 --jobs 1 2 4
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np


def related_pairs(model, n: int, length: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """n pairs (x, y) as code arrays: x of ``length`` residues, y evolved from x by the model."""
    rng = np.random.default_rng(seed)
    P = model.match
    A = P.shape[0]
    cond = np.cumsum(P / P.sum(axis=1, keepdims=True), axis=1)  # p(b | a) per row
    q_ins = np.cumsum(model.insert_y)
    T = model.transitions()[:, :3]
    T = np.cumsum(T / T.sum(axis=1, keepdims=True), axis=1)  # no End: the walk ends with x
    out = []
    for _ in range(n):
        x = rng.choice(A, size=length, p=P.sum(axis=1)).astype(np.uint8)
        u = rng.random(4 * length + 64)
        k = 0
        y: list[int] = []
        state = i = 0
        while i < length:
            if k + 2 >= u.size:
                u = np.concatenate([u, rng.random(u.size)])
            state = int(np.searchsorted(T[state], u[k], side="right"))
            k += 1
            if state == 0:
                y.append(min(A - 1, int(np.searchsorted(cond[x[i]], u[k], side="right"))))
                i += 1
            elif state == 1:
                i += 1
                continue
            else:
                y.append(min(A - 1, int(np.searchsorted(q_ins, u[k], side="right"))))
            k += 1
        if not y:
            y.append(int(x[0]))
        out.append((x, np.array(y, dtype=np.uint8)))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=1000, help="number of pairs (default 1000)")
    ap.add_argument("--length", type=float, default=300.0, help="mean sequence length (default 300)")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="thread counts (default 1 2)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per thread count (default 3)")
    ap.add_argument("--seed", type=int, default=1, help="sampling seed (default 1)")
    ap.add_argument("--geometric", action="store_true",
                    help="sample whole pairs with PairHMM.sample_pairs (geometric lengths)")
    args = ap.parse_args(argv)

    import numba

    from pairhmm import PairHMM
    from pairhmm.train import expected_stats, mstep

    model = PairHMM.default("protein")
    t0 = time.perf_counter()
    if args.geometric:
        # mean length ~ (1 - tau) / tau * (share of steps that emit into x)
        g = model.delta_x / (1.0 - model.epsilon_x)
        tau = (1.0 - g / (1.0 + 2 * g)) / args.length
        draws = model.copy(tau=tau).sample_pairs(args.pairs, random_state=args.seed)
        pairs = [(x, y) for x, y, _ in draws]
    else:
        pairs = related_pairs(model, args.pairs, int(args.length), args.seed)
    t_sample = time.perf_counter() - t0
    cells = float(sum(len(x) * len(y) for x, y in pairs))
    mean_len = float(np.mean([len(s) for p in pairs for s in p]))
    encoded = model.encode_pairs(pairs)

    # compile (cache=True makes later runs cheap)
    expected_stats(model, pairs[:2], n_jobs=1)

    rows = []
    ref = None
    base = None
    for jobs in args.jobs:
        if jobs > numba.config.NUMBA_NUM_THREADS:
            print(f"skipping --jobs {jobs}: Numba has {numba.config.NUMBA_NUM_THREADS} threads",
                  file=sys.stderr)
            continue
        walls, cpus = [], []
        for _ in range(args.repeats):
            c0, w0 = time.process_time(), time.perf_counter()
            stats = expected_stats(model, encoded, n_jobs=jobs)
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        if ref is None:
            ref = stats
        same = (np.array_equal(ref.trans, stats.trans) and np.array_equal(ref.match, stats.match)
                and np.array_equal(ref.insert, stats.insert)
                and ref.log_likelihood == stats.log_likelihood)
        wall = statistics.median(walls)
        cpu = statistics.median(cpus)
        base = base or wall
        rows.append((jobs, wall, cells / wall / 1e6, cells / wall / 1e6 / jobs, cpu / cells * 1e9,
                     base / wall, same))
    w0 = time.perf_counter()
    for _ in range(100):
        mstep(model, ref)
    t_mstep = (time.perf_counter() - w0) / 100

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"# One Baum-Welch iteration, {len(pairs)} protein pairs, mean length {mean_len:.0f} "
          f"({cells / 1e6:.1f} M cells)\n")
    print(f"Cores: {os.cpu_count()}; load average at the end {load[0]:.2f}, {load[1]:.2f}, "
          f"{load[2]:.2f}; median of {args.repeats} runs; sampling the pairs took {t_sample:.1f} s.\n")
    print("| threads | E-step wall (s) | M cells/s | M cells/s per thread | CPU ns / cell | speed-up | "
          "same result as 1 thread |")
    print("|---:|---:|---:|---:|---:|---:|:---:|")
    for jobs, wall, mcs, mcs_t, ns, su, same in rows:
        print(f"| {jobs} | {wall:.2f} | {mcs:.1f} | {mcs_t:.1f} | {ns:.1f} | {su:.2f}x | "
              f"{'yes' if same else 'NO'} |")
    print(f"\nM-step: {t_mstep * 1e3:.2f} ms (negligible next to the E-step). "
          f"CPU ns/cell is process CPU time (all threads) per cell: 1000 / (ns per cell) is the "
          f"M cells/s one busy core delivers, whatever else the machine runs.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
