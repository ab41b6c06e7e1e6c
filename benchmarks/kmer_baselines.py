"""k-mer baselines for the ChIP-seq sets of benchmarks/chipseq_accuracy.py (scikit-learn; benchmark
only, never imported by the library), as a Markdown table.

* **k-mer logistic regression**: counts of every contiguous k-mer, a k-mer and its reverse
  complement pooled into one feature (both strands), L2-penalised logistic regression
  (liblinear). ``k`` in ``--k`` and the inverse penalty ``C`` in ``--C`` are chosen by AUROC on a
  fixed 10% validation split of the training part; the chosen model is then refitted on the whole
  training part and scored once on the test part.
* **gapped k-mer SVM (gkm-SVM-like)**: counts of every gapped k-mer, ``k`` informative positions
  in a window of ``l`` (Ghandi et al. 2014: the features behind the gkm kernel, here explicit and
  without its mismatch weighting), reverse complements pooled, a linear SVM (L2, hinge loss,
  liblinear); ``C`` chosen on the same validation split. This is not LS-GKM itself (not
  installable here): a linear SVM on the same kind of features.

Example::

    python benchmarks/kmer_baselines.py DATA --sets stat3 rest ctcfl gabpa usf1 yy1
"""

from __future__ import annotations

import argparse
import itertools
import json
import time
from pathlib import Path

import numpy as np

from chipseq_accuracy import SETS, inner_split, load_set

_CODE = np.full(256, 4, dtype=np.int64)
for _i, _c in enumerate("ACGT"):
    _CODE[ord(_c)] = _i
    _CODE[ord(_c.lower())] = _i


def encode(seqs: list[str]) -> list[np.ndarray]:
    return [_CODE[np.frombuffer(s.encode(), dtype=np.uint8)] for s in seqs]


def gapped_features(l: int, k: int):
    """(subsets, canonical feature id of (subset, k-mer code), number of features).

    A gapped k-mer reads ``k`` positions (a subset, first position 0) of a window of at most
    ``l`` letters; every occurrence is counted once (the subset's span is its window). Its
    reverse complement reads the mirrored positions, complemented, in reverse order, and shares
    its feature. ``l == k``: contiguous k-mers."""
    subsets = [s for span in range(k, l + 1)
               for s in itertools.combinations(range(span), k) if s[0] == 0 and s[-1] == span - 1]
    index = {s: i for i, s in enumerate(subsets)}
    n = len(subsets) * 4 ** k
    canon = np.empty(n, dtype=np.int64)
    codes = np.arange(4 ** k)
    digits = (codes[:, None] // 4 ** np.arange(k - 1, -1, -1)) % 4
    rc = ((3 - digits[:, ::-1]) * 4 ** np.arange(k - 1, -1, -1)).sum(axis=1)
    for s, si in index.items():
        mi = index[tuple(sorted(s[-1] - p for p in s))]
        canon[si * 4 ** k + codes] = np.minimum(si * 4 ** k + codes, mi * 4 ** k + rc)
    _, canon = np.unique(canon, return_inverse=True)
    return subsets, canon, int(canon.max()) + 1


def count_matrix(seqs: list[np.ndarray], l: int, k: int, chunk: int = 2000):
    """Sparse (n, features) counts of canonical gapped k-mers (contiguous when l == k).

    Windows holding a letter other than ACGT are skipped."""
    from scipy.sparse import csr_matrix, vstack

    subsets, canon, nfeat = gapped_features(l, k)
    pw = 4 ** np.arange(k - 1, -1, -1)
    blocks = []
    for c0 in range(0, len(seqs), chunk):
        rows, cols = [], []
        for r, x in enumerate(seqs[c0:c0 + chunk]):
            for si, s in enumerate(subsets):
                span = s[-1] + 1
                if x.size < span:
                    continue
                part = np.lib.stride_tricks.sliding_window_view(x, span)[:, s]
                ok = (part < 4).all(axis=1)
                code = (part[ok] * pw).sum(axis=1)
                cols.append(canon[si * 4 ** k + code])
                rows.append(np.full(code.size, r, dtype=np.int64))
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        m = csr_matrix((np.ones(rows.size), (rows, cols)), shape=(len(seqs[c0:c0 + chunk]), nfeat))
        m.sum_duplicates()
        blocks.append(m)
    return vstack(blocks, format="csr")


def fit_score(kind: str, C: float, Xf, yf, Xe):
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    if kind == "lr":
        model = LogisticRegression(C=C, solver="liblinear", max_iter=1000)
        model.fit(Xf, yf)
        return model.decision_function(Xe)
    model = LinearSVC(C=C, loss="hinge", dual=True, max_iter=20000)
    model.fit(Xf, yf)
    return model.decision_function(Xe)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", type=Path)
    ap.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    ap.add_argument("--k", type=int, nargs="+", default=[5, 6, 7, 8], help="k of the k-mer LR")
    ap.add_argument("--C", type=float, nargs="+", default=[1e-4, 3e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0])
    ap.add_argument("--gkm", default="8,5", help="l,k of the gapped k-mer SVM ('' = skip)")
    ap.add_argument("--log", type=Path, default=None)
    args = ap.parse_args(argv)

    from pairhmm.motif.cnn import roc_auc

    print("| set | baseline | chosen on validation | validation AUROC | test AUROC | CPU s |")
    print("|---|---|---|---:|---:|---:|")
    for name in args.sets:
        X, y = load_set(args.data, name, "train")
        Xt, yt = load_set(args.data, name, "test")
        fit, val = inner_split(y)
        enc, enct = encode(X), encode(Xt)
        runs = [("k-mer logistic regression", "lr", [(k, k) for k in args.k])]
        if args.gkm:
            gl, gk = (int(v) for v in args.gkm.split(","))
            runs.append((f"gapped k-mer SVM (l={gl}, k={gk})", "svm", [(gl, gk)]))
        for label, kind, shapes in runs:
            t = time.process_time()
            best = None
            for l, k in shapes:
                M = count_matrix(enc, l, k)
                for C in args.C:
                    s = fit_score(kind, C, M[fit], y[fit], M[val])
                    auc = roc_auc(y[val], s)
                    if best is None or auc > best[0]:
                        best = (auc, l, k, C)
            auc_val, l, k, C = best
            M = count_matrix(enc, l, k)
            s = fit_score(kind, C, M, y, count_matrix(enct, l, k))
            test = roc_auc(yt, s)
            cpu = time.process_time() - t
            chosen = f"k={k}, C={C}" if kind == "lr" else f"l={l}, k={k}, C={C}"
            print(f"| {name} | {label} | {chosen} | {auc_val:.4f} | {test:.4f} | {cpu:.0f} |", flush=True)
            if args.log:
                with open(args.log, "a") as fh:
                    fh.write(json.dumps({"set": name, "baseline": label, "chosen": chosen,
                                         "val_auroc": auc_val, "test_auroc": test, "cpu_s": cpu}) + "\n")


if __name__ == "__main__":
    main()
