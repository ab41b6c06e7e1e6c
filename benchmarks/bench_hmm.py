"""Benchmark: TiedHMM (untied) vs hmmlearn CategoricalHMM, forward-backward + one Baum-Welch step.

For K = 2 and 8 states, 4 symbols, one sequence of 1,000,000 symbols and 1,000 sequences of
1,000, each tool runs from the same parameters:

1. forward-backward: log-likelihood and posterior state probabilities (``score_samples``);
2. one Baum-Welch iteration (``fit`` with ``n_iter=1``, no initialisation).

The time of (1) + (2) is reported as the median over ``--repeats`` runs, with the speed-up of
pairhmm over hmmlearn's ``implementation="log"`` (its default) and ``"scaling"``, and the largest
difference in the numbers (log-likelihood, posteriors, parameters after the iteration).

Usage::

    python benchmarks/bench_hmm.py [--repeats 5] [--threads 1,2]

hmmlearn is single-threaded; pairhmm is timed with each Numba thread count in ``--threads``
(sequences are processed in parallel; a single sequence uses one thread). Timings on a shared or
busy machine are noisy, and more so with several threads: compare medians, and rerun.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings

import numpy as np


def _params(rng, K, M):
    start = rng.dirichlet(np.ones(K))
    trans = rng.dirichlet(np.ones(K), K) * 0.5 + np.eye(K) * 0.5
    emis = rng.dirichlet(np.ones(M), K)
    return start, trans, emis


def _set(model, start, trans, emis):
    model.startprob_, model.transmat_, model.emissionprob_ = start.copy(), trans.copy(), emis.copy()
    return model


def run(repeats: int, threads: list[int]) -> list[dict]:
    import numba
    from hmmlearn.hmm import CategoricalHMM

    from pairhmm.hmm import TiedHMM

    M = 4
    rows = []
    for K in (2, 8):
        rng = np.random.default_rng(K)
        params = _params(rng, K, M)
        gen = _set(TiedHMM(K, M, init_params=""), *params)
        for label, n_seq, length in (("1 x 1,000,000", 1, 1_000_000), ("1,000 x 1,000", 1000, 1000)):
            X, _ = gen.sample(n_seq * length, random_state=1)
            lengths = [length] * n_seq

            def ours():
                m = _set(TiedHMM(K, M, n_iter=1, tol=-np.inf, init_params=""), *params)
                ll, post = m.score_samples(X, lengths)
                m.fit(X, lengths)
                return ll, post, m

            def theirs(impl):
                def f():
                    h = _set(CategoricalHMM(K, n_iter=1, tol=-np.inf, init_params="", n_features=M,
                                            implementation=impl), *params)
                    ll, post = h.score_samples(X[:, None], lengths)
                    h.fit(X[:, None], lengths)
                    return ll, post, h
                return f

            ours()  # compile (cached on disk after the first run)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                ll_o, post_o, m = ours()
                diff = lldiff = 0.0
                for impl in ("log", "scaling"):
                    ll_h, post_h, h = theirs(impl)()
                    lldiff = max(lldiff, abs(ll_o - ll_h) / abs(ll_h))
                    diff = max(diff, float(np.abs(post_o - post_h).max()),
                               float(np.abs(m.transmat_ - h.transmat_).max()),
                               float(np.abs(m.emissionprob_ - h.emissionprob_).max()),
                               float(np.abs(m.startprob_ - h.startprob_).max()))
                # interleave the tools within each repeat so that load changes hit all alike
                fns = {"log": theirs("log"), "scaling": theirs("scaling")}
                fns.update({("pairhmm", n): ours for n in threads})
                times = {k: [] for k in fns}
                for _ in range(repeats):
                    for k, fn in fns.items():
                        if isinstance(k, tuple):
                            numba.set_num_threads(k[1])
                        t0 = time.perf_counter()
                        fn()
                        times[k].append(time.perf_counter() - t0)
            for n in threads:
                row = {"K": K, "data": label, "threads": n,
                       "pairhmm": statistics.median(times[("pairhmm", n)]),
                       "log": statistics.median(times["log"]),
                       "scaling": statistics.median(times["scaling"]),
                       "maxdiff": diff, "lldiff": lldiff}
                rows.append(row)
                print(_fmt_row(row), flush=True)
    return rows


def _fmt_row(r: dict) -> str:
    return (f"| {r['K']} | {r['data']} | {r['threads']} | {r['pairhmm']:.3f} | {r['log']:.3f} | "
            f"{r['scaling']:.3f} | {r['log'] / r['pairhmm']:.1f}x | {r['scaling'] / r['pairhmm']:.1f}x | "
            f"{r['lldiff']:.0e} | {r['maxdiff']:.0e} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per tool (median reported)")
    ap.add_argument("--threads", default=None,
                    help="comma-separated Numba thread counts to time (default: 1 and all cores)")
    args = ap.parse_args()
    # idle OpenMP workers sleep instead of spinning (spinning hurts badly on a busy machine)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import hmmlearn
    import numba

    threads = ([int(t) for t in args.threads.split(",")] if args.threads
               else sorted({1, numba.config.NUMBA_NUM_THREADS}))
    print(f"pairhmm TiedHMM vs hmmlearn {hmmlearn.__version__} CategoricalHMM (4 symbols); "
          f"{platform.machine()}, {os.cpu_count()} cores; median of {args.repeats} runs; seconds "
          "for forward-backward (score_samples) + one Baum-Welch iteration (fit, n_iter=1); "
          "diffs vs hmmlearn: relative log-likelihood, absolute posteriors/parameters\n")
    print("| K | sequences x length | threads | pairhmm (s) | hmmlearn log (s) | "
          "hmmlearn scaling (s) | vs log | vs scaling | loglik rel. diff | max abs diff |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    run(args.repeats, threads)


if __name__ == "__main__":
    main()
