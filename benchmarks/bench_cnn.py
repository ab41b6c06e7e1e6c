"""Epoch speed of MotifCNN: one pass of Adam over N random sequences, printed as a Markdown table.

Example::

    python benchmarks/bench_cnn.py --n-seqs 10000 --length 101 --filters 16 --width 15 --threads 1

Timings are the median of ``--repeats`` epochs after one warm-up epoch (Numba compilation and the
first-call overhead are excluded). Sequences are uniform random with a planted 9-mer in half, so the
gradients are those of a real training run.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-seqs", type=int, default=10000)
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--filters", type=int, default=16)
    ap.add_argument("--width", type=int, default=15)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, nargs="+", default=[1],
                    help="thread counts to time (each one a row); 0 = n_jobs=None (all cores)")
    ap.add_argument("--pooling", nargs="+", default=["max", "logsumexp"])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args(argv)

    from pairhmm.motif.cnn import MotifCNN

    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, (args.n_seqs, args.length)).astype(np.uint8)
    y = np.arange(args.n_seqs) % 2
    X[y == 1, 40:49] = [3, 3, 1, 1, 1, 2, 2, 0, 0]  # TTCCCGGAA
    print(f"{args.n_seqs} sequences x {args.length} bp, {args.filters} filters of width "
          f"{args.width}, batch {args.batch_size}; median of {args.repeats} epochs after a warm-up\n")
    print("| pooling | rc_shared | threads | s / epoch | sequences / s |")
    print("|---|---|---:|---:|---:|")
    for pooling in args.pooling:
        for rc in (True, False):
            for threads in args.threads:
                times: list[float] = []
                last = [0.0]

                def tick(entry: dict) -> None:
                    now = time.perf_counter()
                    times.append(now - last[0])
                    last[0] = now

                m = MotifCNN(n_filters=args.filters, width=args.width, rc_shared=rc, pooling=pooling,
                             batch_size=args.batch_size, max_epochs=args.repeats + 1,
                             patience=10 ** 6, validation_fraction=0.0, n_jobs=threads or None,
                             random_state=0)
                last[0] = time.perf_counter()
                m.fit(X, y, callback=tick)
                med = statistics.median(times[1:])
                label = threads or "default (None)"
                print(f"| {pooling} | {rc} | {label} | {med:.3f} | {args.n_seqs / med:,.0f} |")


if __name__ == "__main__":
    main()
