"""Speed of the pair-HMM kernels against the aligners a user would otherwise pick.

One core, random DNA and protein pairs of 2000 x 2000 and 5000 x 5000, medians of repeated runs
(CPU time of the process: all methods are single-threaded):

* pairhmm Viterbi with traceback, exact forward (log-likelihood, linear memory), posterior
  (forward + backward), MEA (posterior + decoding);
* Biopython ``PairwiseAligner`` (global affine) ``score`` and ``align`` (first alignment);
* parasail ``nw_trace_striped_sat`` / ``nw_striped_sat`` (global affine, SIMD), if installed;
* a plain log-space Numba forward (logaddexp per cell) as the naive reference;
* two successive runs of ``pairhmm align`` on the shipped example pair (wall time of the
  second shows the Numba cache at work).

Run ``python benchmarks/bench_align.py`` (``--quick`` for small sizes). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def timeit(fn, repeats: int) -> float:
    """Median CPU time of this process (every method here is single-threaded), so the figures
    hold on a shared machine too; wall time would count other jobs' time slices."""
    fn()  # warm-up (compilation)
    ts = []
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        ts.append(time.process_time() - t0)
    return statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    import numba

    numba.set_num_threads(1)
    from Bio.Align import PairwiseAligner, substitution_matrices

    import naive
    from pairhmm import PairHMM

    try:
        import parasail
    except ImportError:  # pragma: no cover
        parasail = None
    sizes = [(300, 300)] if args.quick else [(2000, 2000), (5000, 5000)]
    repeats = 1 if args.quick else args.repeats
    rng = np.random.default_rng(0)
    rows = []
    for kind in ("dna", "protein"):
        model = PairHMM.default(kind)
        letters = model.alphabet.letters
        for n, m in sizes:
            x = "".join(rng.choice(list(letters), n))
            y = "".join(rng.choice(list(letters), m))
            ex, ey = model.encode(x), model.encode(y)
            cells = n * m / 1e6
            res = {}
            res["pairhmm Viterbi + traceback"] = timeit(lambda: model.viterbi(ex, ey), repeats)
            res["pairhmm forward (exact)"] = timeit(lambda: model.log_likelihood(ex, ey), repeats)
            res["pairhmm posterior"] = timeit(lambda: model.posterior(ex, ey), repeats)
            res["pairhmm MEA"] = timeit(lambda: model.mea(ex, ey), repeats)
            res["naive log-space forward (Numba)"] = timeit(lambda: naive.logspace_forward(model, ex, ey), 1)
            al = PairwiseAligner()
            al.mode = "global"
            if kind == "protein":
                al.substitution_matrix = substitution_matrices.load("BLOSUM62")
                al.open_gap_score, al.extend_gap_score = -11, -1
            else:
                al.match_score, al.mismatch_score = 2, -3
                al.open_gap_score, al.extend_gap_score = -5, -2
            res["Biopython score"] = timeit(lambda: al.score(x, y), repeats)
            res["Biopython align (first)"] = timeit(lambda: next(iter(al.align(x, y))), repeats)
            if parasail is not None:
                mat = parasail.blosum62 if kind == "protein" else parasail.dnafull
                res["parasail nw_striped_sat (score)"] = timeit(
                    lambda: parasail.nw_striped_sat(x, y, 11, 1, mat), repeats)
                res["parasail nw_trace_striped_sat"] = timeit(
                    lambda: parasail.nw_trace_striped_sat(x, y, 11, 1, mat).traceback, repeats)
            for name, t in res.items():
                rows.append((kind, f"{n}x{m}", name, t, cells / t))
    print("| alphabet | size | method | median CPU s | M cells/s |")
    print("|---|---|---|---:|---:|")
    for kind, size, name, t, rate in rows:
        print(f"| {kind} | {size} | {name} | {t:.4f} | {rate:.0f} |")
    # ratios
    print()
    for kind in ("dna", "protein"):
        for size in sorted({r[1] for r in rows}):
            d = {r[2]: r[4] for r in rows if r[0] == kind and r[1] == size}
            v = d["pairhmm Viterbi + traceback"]
            print(f"- {kind} {size}: Viterbi+traceback is {v / d['Biopython align (first)']:.1f}x Biopython align, "
                  f"{v / d['Biopython score']:.1f}x Biopython score; forward is "
                  f"{d['pairhmm forward (exact)'] / d['naive log-space forward (Numba)']:.1f}x the naive log-space forward")
    # CLI start-up with a warm Numba cache
    env = dict(os.environ)
    cmd = [sys.executable, "-m", "pairhmm", "align", str(ROOT / "data/example/HBA_HUMAN.fa"),
           str(ROOT / "data/example/HBB_HUMAN.fa"), "-o", os.devnull]
    walls = []
    for _ in range(4):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, env=env, cwd=str(ROOT.parent))
        walls.append(time.perf_counter() - t0)
    print(f"\n`pairhmm align` on the example pair: first run {walls[0]:.2f} s, "
          f"later runs median {statistics.median(walls[1:]):.2f} s wall")


if __name__ == "__main__":
    main()
