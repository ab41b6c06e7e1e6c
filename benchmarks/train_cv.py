"""Cross-validated Baum-Welch on unaligned pairs: does training on one half of the families help
the MEA accuracy on the other half?

Families are sorted by name and dealt alternately into two folds (as in ``accuracy.py``); for
each fold, a model is fitted by Baum-Welch on up to ``--train-pairs`` random unaligned pairs of
the *other* fold (seeded), then every pair of this fold is aligned by MEA and scored. No family
is scored by a model that saw it. The starting structure is chosen with ``--start``:

* ``preset``: the shipped protein preset (ProbCons' 5-state double-affine model, global);
* ``default``: the textbook 3-state global model;
* ``semiglobal5``: the preset with semiglobal flanks (end gaps in flanking states, so terminal
  extensions of full-length sequences do not inflate the fitted gap extension).

    python benchmarks/train_cv.py DATA/balibase3/RV12 --start semiglobal5 --jobs 2
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _balibase as bb  # noqa: E402

from pairhmm import PairHMM  # noqa: E402

_MODEL: dict[str, PairHMM] = {}


def start_model(name: str) -> PairHMM:
    if name == "preset":
        return PairHMM.preset("protein")
    if name == "default":
        return PairHMM.default("protein")
    if name == "semiglobal5":
        return PairHMM.preset("protein").copy(mode="semiglobal")
    raise SystemExit(f"unknown --start {name!r}")


def _score(task):
    x, y, ref = task
    return bb.pair_score(ref, _MODEL["m"].mea(x, y).coordinates, len(x))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--start", default="semiglobal5", choices=["preset", "default", "semiglobal5"])
    ap.add_argument("--train-pairs", type=int, default=300)
    ap.add_argument("--max-iter", type=int, default=8)
    ap.add_argument("--tol", type=float, default=1.0, help="stop when logL gains < tol nats")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--freeze", nargs="*", default=[],
                    help="parameters Baum-Welch keeps fixed (match, insert, delta, epsilon, tau, "
                         "flank_loop)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    fams = sorted((bb.read_family(fmt, p) for fmt, p in bb.find_families(args.folder)),
                  key=lambda f: f.name)
    folds = [fams[0::2], fams[1::2]]
    rng = np.random.default_rng(args.seed)
    start = start_model(args.start)
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    all_scores, untrained_all = [], []
    print(f"| fold | training pairs | EM iterations | fitted model | MEA untrained | MEA trained | pairs |")
    print("|---|---:|---:|---|---:|---:|---:|")
    for k in (0, 1):
        train = [(f.sequences[a], f.sequences[b]) for f in folds[1 - k] for a, b in f.pairs()]
        idx = rng.permutation(len(train))[: args.train_pairs]
        t0 = time.time()
        fitted = start.copy().fit([train[i] for i in idx], max_iter=args.max_iter, tol=args.tol,
                           freeze=args.freeze or None)
        fit_s = time.time() - t0
        tasks = [(f.sequences[a], f.sequences[b], f.reference_pairs(a, b))
                 for f in folds[k] for a, b in f.pairs() if len(f.reference_pairs(a, b))]
        res = {}
        for label, model in (("untrained", start), ("trained", fitted)):
            _MODEL["m"] = model
            with ctx.Pool(args.jobs) as pool:
                res[label] = list(pool.imap(_score, tasks, chunksize=8))
        all_scores += res["trained"]
        untrained_all += res["untrained"]
        desc = (f"delta {fitted.delta_x:.4f}, epsilon {fitted.epsilon_x:.3f}, tau {fitted.tau:.4f}"
                + (f", long gaps {fitted.delta2_x:.4f}/{fitted.epsilon2_x:.3f}" if fitted.long_gaps else "")
                + f" ({fit_s:.0f} s)")
        print(f"| {k} | {len(idx)} | {len(fitted.history_) - 1} | {desc} | {np.mean(res['untrained']):.4f} | "
              f"{np.mean(res['trained']):.4f} | {len(tasks)} |", flush=True)
    print(f"\nstart {args.start}, frozen {args.freeze or 'nothing'}: MEA over all {len(all_scores)} pairs: untrained "
          f"{np.mean(untrained_all):.4f}, trained (cross-validated) {np.mean(all_scores):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
