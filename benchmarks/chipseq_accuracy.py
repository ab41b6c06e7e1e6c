"""MotifCNN accuracy on real ChIP-seq sets: the STAT3 set of Zeng et al. (2016) and the five
DeepBind ENCODE sets (REST, CTCFL, GABPA, USF1, YY1), as a Markdown table.

Each set has its own train / test split. A model is trained on the training part only (its early
stopping, and any automatic configuration choice, use a validation split drawn from the training
part); the test part is read only to report the test AUROC.

Examples::

    # the default configuration on every set, 3 seeds
    python benchmarks/chipseq_accuracy.py DATA --seeds 0 1 2 --threads 1

    # any MotifCNN arguments
    python benchmarks/chipseq_accuracy.py DATA --sets stat3 rest --params '{"n_filters": 128,
        "width": 9, "learning_rate": 0.003, "l2": 1e-5, "kmer": 7, "kmer_l2": 3e-3,
        "strand_pooling": "mean"}'

    # tuning: validation AUROC on a fixed 10% of the training part; the test files are not read
    python benchmarks/chipseq_accuracy.py DATA --tune --sets stat3 rest gabpa --grid '[{...}, ...]'

``DATA`` is the folder holding ``zeng2016_stat3/`` and ``chipseq/``. ``--log FILE`` appends one
JSON line per run (set, parameters, seed, AUROCs, CPU seconds).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

SETS = {
    "stat3": "zeng2016_stat3/wgEncodeAwgTfbsSydhGm12878Stat3IggmusUniPk",
    "rest": "chipseq/rest_gm12878",
    "ctcfl": "chipseq/ctcfl_k562",
    "gabpa": "chipseq/gabpa_gm12878",
    "usf1": "chipseq/usf1_hepg2",
    "yy1": "chipseq/yy1_h1hesc",
}


def load_set(data: Path, name: str, part: str) -> tuple[list[str], np.ndarray]:
    """Sequences and 0/1 labels of ``part`` ("train" or "test") of set ``name``."""
    from pairhmm.motif.cnn import read_labeled, read_sequences

    folder = data / SETS[name]
    if name == "stat3":
        _, seqs, y = read_labeled(folder / f"{part}.data", fmt="tabular")
        return list(seqs), np.asarray(y, dtype=np.int8)
    _, pos = read_sequences(folder / f"{part}.pos.fa")
    _, neg = read_sequences(folder / f"{part}.neg.fa")
    return pos + neg, np.r_[np.ones(len(pos), np.int8), np.zeros(len(neg), np.int8)]


def inner_split(y: np.ndarray, fraction: float = 0.1, seed: int = 12345):
    """Fixed (fit, validation) indices of a training part, for tuning."""
    perm = np.random.default_rng(seed).permutation(y.size)
    n_val = int(round(fraction * y.size))
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])


def kept_val_auroc(m) -> float:
    """Validation AUROC of the model's own early-stopping split at the kept epoch(s)."""
    runs: dict[int, list] = {}
    for h in m.history_:
        runs.setdefault(h.get("model", 1), []).append(h)
    vals = [runs[i + 1][e - 1]["val_auroc"] for i, e in enumerate(m.best_epochs_) if i + 1 in runs]
    return float(np.mean(vals)) if vals else float("nan")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path, help="folder holding zeng2016_stat3/ and chipseq/")
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument("--params", default="{}", help="JSON dict of MotifCNN arguments")
    ap.add_argument("--grid", default=None,
                    help="JSON list of parameter dicts, each merged over --params")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--tune", action="store_true",
                    help="validation AUROC on a fixed 10%% of the training part (test not read)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--label", default="", help="name of the configuration in the table")
    ap.add_argument("--log", type=Path, default=None, help="append JSON lines here")
    args = ap.parse_args(argv)

    from pairhmm.motif.cnn import MotifCNN, roc_auc

    base = json.loads(args.params)
    grid = json.loads(args.grid) if args.grid else [{}]
    what = "inner validation AUROC (test not read)" if args.tune else "test AUROC"
    print(f"{what}; CPU seconds of the training (process time)\n")
    print("| set | configuration | seed | " + ("validation AUROC" if args.tune else
          "test AUROC | validation AUROC¹") + " | best epoch(s) | CPU s | choice |")
    print("|---|---|---:|---:|" + ("" if args.tune else "---:|") + "---|---:|---|")
    for name in args.sets:
        X, y = load_set(args.data, name, "train")
        if args.tune:
            fit, val = inner_split(y)
            Xf, yf = [X[i] for i in fit], y[fit]
            Xe, ye = [X[i] for i in val], y[val]
        else:
            Xf, yf = X, y
            Xe, ye = load_set(args.data, name, "test")
        for g in grid:
            params = {**base, **g}
            label = args.label or json.dumps(g if args.grid else params)
            for seed in args.seeds:
                t = time.process_time()
                m = MotifCNN(**params, n_jobs=args.threads, random_state=seed).fit(Xf, yf)
                cpu = time.process_time() - t
                auc = roc_auc(ye, m.decision_function(Xe))
                epochs = ",".join(str(e) for e in m.best_epochs_)
                choice = getattr(m, "config_", None) or {}
                chosen = choice.get("chosen", "") if isinstance(choice, dict) else ""
                if args.tune:
                    row = f"| {name} | `{label}` | {seed} | {auc:.4f} | {epochs} | {cpu:.0f} | {chosen} |"
                else:
                    row = (f"| {name} | `{label}` | {seed} | {auc:.4f} | {kept_val_auroc(m):.4f} | "
                           f"{epochs} | {cpu:.0f} | {chosen} |")
                print(row, flush=True)
                if not args.tune and not m.rc_shared and not m.conjoin:
                    # post-hoc conjoining of the same strand-blind network (prediction only)
                    m.conjoin = True
                    auc_c = roc_auc(ye, m.decision_function(Xe))
                    m.conjoin = False
                    print(f"| {name} | `{label}` + conjoin | {seed} | {auc_c:.4f} | "
                          f"{kept_val_auroc(m):.4f} | {epochs} | {cpu:.0f} | {chosen} |", flush=True)
                    if args.log:
                        with open(args.log, "a") as fh:
                            fh.write(json.dumps({"set": name, "mode": "test", "label": label + " + conjoin",
                                                 "params": params, "seed": seed, "test_auroc": auc_c,
                                                 "time": time.strftime("%Y-%m-%d %H:%M")}) + "\n")
                if args.log:
                    with open(args.log, "a") as fh:
                        fh.write(json.dumps({
                            "set": name, "mode": "tune" if args.tune else "test", "label": label,
                            "params": params, "seed": seed,
                            ("val_auroc" if args.tune else "test_auroc"): auc,
                            "own_val_auroc": kept_val_auroc(m), "best_epochs": m.best_epochs_,
                            "cpu_s": cpu, "choice": choice, "time": time.strftime("%Y-%m-%d %H:%M"),
                        }) + "\n")


if __name__ == "__main__":
    main()
