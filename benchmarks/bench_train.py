"""Speed of one Baum-Welch iteration of the pair HMM (E-step + M-step), single core and parallel.

The data: ``--pairs`` related protein pairs (default 1,000) drawn from
``PairHMM.default("protein")`` by ``sample_pairs`` with tau chosen so sequences are ~``--length``
residues long (default 300; seeded). The E-step (forward, backward and expected-count
accumulation for every pair) is timed with each ``--jobs`` value; it is the whole cost of an
iteration (the M-step is a few microseconds), which is timed separately.

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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pairs", type=int, default=1000, help="number of pairs (default 1000)")
    ap.add_argument("--length", type=float, default=300.0, help="mean sequence length (default 300)")
    ap.add_argument("--jobs", type=int, nargs="+", default=[1, 2], help="thread counts (default 1 2)")
    ap.add_argument("--repeats", type=int, default=3, help="timed runs per thread count (default 3)")
    ap.add_argument("--seed", type=int, default=1, help="sampling seed (default 1)")
    args = ap.parse_args(argv)

    import numba

    from pairhmm import PairHMM
    from pairhmm.train import _encode_pairs, expected_stats, mstep

    model = PairHMM.default("protein")
    # mean length ~ (1 - tau) / tau * (1 - time in the other sequence's insert state)
    gap_share = model.delta_x / (1.0 - model.epsilon_x) / (1.0 + 2 * model.delta_x / (1.0 - model.epsilon_x))
    tau = (1.0 - gap_share) / args.length
    sampler = model.copy(tau=tau)
    t0 = time.perf_counter()
    draws = sampler.sample_pairs(args.pairs, random_state=args.seed)
    t_sample = time.perf_counter() - t0
    pairs = [(x, y) for x, y, _ in draws]
    cells = float(sum(len(x) * len(y) for x, y in pairs))
    mean_len = float(np.mean([len(s) for p in pairs for s in p]))
    encoded = _encode_pairs(model, pairs)

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
            stats = expected_stats(model, None, n_jobs=jobs, _encoded=encoded)
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
