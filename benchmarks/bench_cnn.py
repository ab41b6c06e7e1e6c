"""Speed of MotifCNN training, printed as Markdown tables.

Two measurements:

* **epochs** (default): one pass of Adam over N random sequences (a 9-mer planted in half, so the
  gradients are those of a real run), per network shape; the median CPU time of ``--repeats``
  epochs after one warm-up epoch (Numba compilation and first-call overhead excluded).
* **--fit CONFIG ...**: a whole training as the command line runs it by default
  (``MotifCNN(config=...)``, early stopping, the automatic choice, the averaged networks), on the
  same random sequences or, with ``--data FILE``, on a tabular ``>id SEQ label`` file such as the
  STAT3 training set (10,185 sequences of 101 bp). One run per configuration, Numba already
  compiled by a small warm-up fit.

Times are CPU times of this process (``time.process_time``), so they do not depend on how busy a
shared machine is, and equal wall times on one thread. Example::

    NUMBA_NUM_THREADS=1 python benchmarks/bench_cnn.py --filters 16 128 --width 15 9 --threads 1
    NUMBA_NUM_THREADS=1 python benchmarks/bench_cnn.py --fit auto chipseq fast --threads 1 \\
        --data DATA/zeng2016_stat3/wgEncodeAwgTfbsSydhGm12878Stat3IggmusUniPk/train.data
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def planted(n: int, length: int):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 4, (n, length)).astype(np.uint8)
    y = np.arange(n) % 2
    X[y == 1, 40:49] = [3, 3, 1, 1, 1, 2, 2, 0, 0]  # TTCCCGGAA
    return X, y


def epochs(args, X, y) -> None:
    from pairhmm.motif.cnn import MotifCNN

    print(f"{len(y)} sequences x {args.length} bp, batch {args.batch_size}; median CPU time of "
          f"{args.repeats} epochs after a warm-up\n")
    print("| filters x width | k-mer term | strand pooling | rc_shared | threads | CPU s / epoch | "
          "sequences / CPU s |")
    print("|---|---:|---|---|---:|---:|---:|")
    for n_filters, width in zip(args.filters, args.width):
        for kmer, strand in ((0, "max"), (args.kmer, "mean")) if args.kmer else ((0, "max"),):
            for rc in (True, False):
                if strand == "mean" and not rc:
                    continue
                for threads in args.threads:
                    times: list[float] = []
                    last = [0.0]

                    def tick(entry: dict) -> None:
                        now = time.process_time()
                        times.append(now - last[0])
                        last[0] = now

                    m = MotifCNN(n_filters=n_filters, width=width, rc_shared=rc, kmer=kmer,
                                 strand_pooling=strand, batch_size=args.batch_size,
                                 max_epochs=args.repeats + 1, patience=10 ** 6,
                                 validation_fraction=0.0, n_jobs=threads or None, random_state=0)
                    last[0] = time.process_time()
                    m.fit(X, y, callback=tick)
                    med = statistics.median(times[1:])
                    print(f"| {n_filters} x {width} | {kmer or '-'} | {strand} | {rc} | "
                          f"{threads or 'default'} | {med:.3f} | {len(y) / med:,.0f} |", flush=True)


def fits(args, X, y) -> None:
    from pairhmm.motif.cnn import MotifCNN

    MotifCNN(config="fast", max_epochs=1, n_jobs=1, random_state=0).fit(X[:200], y[:200])
    print(f"{len(y)} sequences; one training per configuration (CPU time, early stopping as "
          f"by default)\n")
    print("| config | chosen | networks x filters x width | epochs of the kept networks | CPU s | "
          "wall s |")
    print("|---|---|---|---:|---:|---:|")
    for config in args.fit:
        t, w = time.process_time(), time.perf_counter()
        m = MotifCNN(config=config, n_jobs=args.threads[0] or None, random_state=0).fit(X, y)
        cpu, wall = time.process_time() - t, time.perf_counter() - w
        choice = getattr(m, "config_", {}) or {}
        runs = len(m.history_)  # epochs of the kept networks (not of the rejected candidate)
        print(f"| {config} | {choice.get('chosen', '-')} | {m.n_models} x {m.n_filters} x {m.width} | "
              f"{runs} | {cpu:.1f} | {wall:.1f} |", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n-seqs", type=int, default=10000)
    ap.add_argument("--length", type=int, default=101)
    ap.add_argument("--filters", type=int, nargs="+", default=[16, 128])
    ap.add_argument("--width", type=int, nargs="+", default=[15, 9])
    ap.add_argument("--kmer", type=int, default=7, help="also time this k-mer term with strand "
                    "pooling mean (0 = no)")
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--threads", type=int, nargs="+", default=[1],
                    help="thread counts to time (each one a row); 0 = n_jobs=None (all cores)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--fit", nargs="+", default=None, metavar="CONFIG",
                    help="time whole trainings with these configurations instead")
    ap.add_argument("--data", default=None, help="tabular '>id SEQ label' file for --fit")
    args = ap.parse_args(argv)
    if len(args.filters) != len(args.width):
        ap.error("--filters and --width need the same number of values")
    if args.data:
        from pairhmm.motif.cnn import read_labeled

        _, X, y = read_labeled(args.data, fmt="tabular")
        X, y = list(X), np.asarray(y)
    else:
        X, y = planted(args.n_seqs, args.length)
    if args.fit:
        fits(args, X, y)
    else:
        epochs(args, X, y)


if __name__ == "__main__":
    main()
