"""MotifCNN accuracy on the Zeng et al. (2016) STAT3 ChIP-seq set (GM12878), as a Markdown table.

Trains on ``train.data`` (10% of it held out for early stopping and for every tuning choice),
then reports the AUROC on ``test.data`` once per configuration, with and without reverse-
complement sharing, the consensus of the most important exported filter, whether a STAT-like
filter (TTCnnnGAA / TTCCnGGAA) is among the five most important, and the top k-mers of the
k-mer term (``kmer``).

Example::

    python benchmarks/stat3_accuracy.py DATA/zeng2016_stat3/wgEncodeAwgTfbsSydhGm12878Stat3IggmusUniPk \
        --params '{"n_filters": 128, "width": 9, "learning_rate": 0.003, "l2": 1e-5, "kmer": 7,
                   "kmer_l2": 3e-3}' --seeds 0 1 2 --threads 1

``--tune`` instead prints only validation AUROCs (an inner split of train.data) for a small grid,
so hyperparameters can be chosen without looking at the test set.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np

STAT = re.compile(r"TTC[ACGT]{3}GAA|TTCC[ACGT]GGAA")

# the k-mer grid of the last tuning round (run with --params of the base CNN, 128 x 9 bp)
TUNE_GRID = [
    {},
    {"kmer": 6, "kmer_l2": 1e-2},
    {"kmer": 7, "kmer_l2": 1e-3},
    {"kmer": 7, "kmer_l2": 3e-3},
    {"kmer": 7, "kmer_l2": 1e-2},
    {"kmer": 8, "kmer_l2": 3e-3},
]


def load(folder: Path, name: str):
    from pairhmm.motif.cnn import read_labeled

    _, seqs, y = read_labeled(folder / name, fmt="tabular")
    return seqs, y


def stat_filters(m, bound) -> tuple[str, str]:
    """Consensus of the top filter (from its sites in ``bound``) and the STAT-like ones of the top 5."""
    top5 = m.to_motifs(sites=bound, trim=0.3, filters=m.filter_order()[:5])
    stat = ", ".join(f"#{i + 1} {t.consensus}" for i, t in enumerate(top5)
                     if STAT.search(str(t.consensus))
                     or STAT.search(str(t.reverse_complement().consensus)))
    return str(top5[0].consensus), stat or "no"


def val_auroc(m) -> float:
    """Validation AUROC at the kept epoch (mean over members for ``n_models > 1``)."""
    tagged = {}
    for h in m.history_:
        tagged.setdefault(h.get("model", 1), []).append(h)
    return float(np.mean([tagged[i + 1][e - 1]["val_auroc"] for i, e in enumerate(m.best_epochs_)]))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, help="folder holding train.data and test.data")
    ap.add_argument("--params", default="{}",
                    help="JSON dict of MotifCNN arguments for the evaluated model")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--tune", action="store_true", help="validation AUROC of a small grid only")
    ap.add_argument("--grid", default=None, help="JSON list of parameter dicts for --tune")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--rc", choices=["both", "shared", "unshared"], default="both",
                    help="which reverse-complement settings to run")
    args = ap.parse_args(argv)
    rc_settings = {"both": (True, False), "shared": (True,), "unshared": (False,)}[args.rc]

    from pairhmm.motif.cnn import MotifCNN, roc_auc

    X, y = load(args.data, "train.data")
    params = json.loads(args.params)
    if args.tune:
        grid = json.loads(args.grid) if args.grid else TUNE_GRID
        rng = np.random.default_rng(12345)
        perm = rng.permutation(len(y))
        n_val = len(y) // 10
        val, fit = perm[:n_val], perm[n_val:]
        Xf, yf = [X[i] for i in fit], y[fit]
        Xv, yv = [X[i] for i in val], y[val]
        print(f"validation AUROC on {n_val} held-out train.data sequences (test.data not read)\n")
        print("| parameters | rc_shared | seed | validation AUROC | best epoch(s) | s | top filter | "
              "STAT-like filter in the top 5 |")
        print("|---|---|---:|---:|---|---:|---|---|")
        bound_f = [s for s, lab in zip(Xf, yf) if lab == 1]
        for g in grid:
            for rc in rc_settings:
                for seed in args.seeds:
                    t = time.perf_counter()
                    m = MotifCNN(**{**params, **g, "rc_shared": rc}, n_jobs=args.threads,
                                 random_state=seed).fit(Xf, yf)
                    secs = time.perf_counter() - t
                    auc = roc_auc(yv, m.decision_function(Xv))
                    cons, stat = stat_filters(m, bound_f)
                    epochs = ",".join(str(e) for e in m.best_epochs_)
                    print(f"| `{json.dumps(g)}` | {rc} | {seed} | {auc:.4f} | {epochs} | {secs:.0f} | "
                          f"{cons} | {stat} |", flush=True)
        return

    Xt, yt = load(args.data, "test.data")
    print(f"train.data: {len(y)} sequences, test.data: {len(yt)}; parameters `{json.dumps(params)}`\n")
    print("| rc_shared | seed | test AUROC | validation AUROC | best epoch(s) | s | top filter (consensus "
          "of its sites) | STAT-like filter (TTCnnnGAA) in the top 5 | top k-mers |")
    print("|---|---:|---:|---:|---|---:|---|---|---|")
    bound = [s for s, lab in zip(X, y) if lab == 1]
    for rc in rc_settings:
        for seed in args.seeds:
            t = time.perf_counter()
            m = MotifCNN(**{**params, "rc_shared": rc}, n_jobs=args.threads,
                         random_state=seed).fit(X, y)
            secs = time.perf_counter() - t
            auc = roc_auc(yt, m.decision_function(Xt))
            cons, stat = stat_filters(m, bound)
            kmers = " ".join(u for u, _ in m.top_kmers(5)) if m.kmer else "-"
            epochs = ",".join(str(e) for e in m.best_epochs_)
            print(f"| {rc} | {seed} | {auc:.4f} | {val_auroc(m):.4f} | {epochs} | {secs:.0f} | "
                  f"{cons} | {stat} | {kmers} |", flush=True)


if __name__ == "__main__":
    main()
