"""Choose the shipped protein preset: a small, fixed set of model structures scored by MEA accuracy.

The candidates are structures from the literature, each with published or textbook parameters,
not values fitted to the benchmark (so the choice is a selection among five models, not a
parameter search on the test data):

A. Durbin's 3-state global model, BLOSUM62-derived emissions, ProbCons' 3-state gap parameters
   (delta 0.0199, epsilon 0.7943) - ``PairHMM.default("protein")``;
B. ProbCons' 5-state double-affine model (Do et al. 2005; its published defaults
   delta 0.0119511066 / epsilon 0.3965826333 for short gaps, delta 0.008008334786 /
   epsilon 0.8988758326 for long gaps), global;
C. A with semiglobal flanks (free end gaps);
D. B with semiglobal flanks;
E. A with local flanks (Durbin fig. 4.3).

Each is scored on the pairs of one or more BAliBASE-style folders (mean fraction of reference
core residue pairs reproduced by the MEA alignment, as ``benchmarks/accuracy.py`` defines it);
the winner has the highest mean of the per-folder means, so a structure that helps one kind of
data (full-length sequences with terminal extensions) and hurts another (domain-trimmed
sequences) is not chosen on one set alone. With ``--write PATH`` the winner is saved as a model
JSON (the shipped file is ``pairhmm/presets/protein.json``):

    python benchmarks/choose_preset.py DATA/balibase3/RV12 DATA/balifam100 --stride 1 10 \
        --jobs 2 --write pairhmm/presets/protein.json
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

PROBCONS_5 = dict(delta=0.0119511066, epsilon=0.3965826333, long_gaps=(0.008008334786, 0.8988758326))


def candidates() -> dict[str, PairHMM]:
    base = PairHMM.default("protein")
    pc5 = base.copy(**PROBCONS_5)
    return {
        "A 3-state global (Durbin; ProbCons 3-state gaps)": base,
        "B 5-state global (ProbCons double affine)": pc5,
        "C 3-state semiglobal": base.copy(mode="semiglobal"),
        "D 5-state semiglobal": pc5.copy(mode="semiglobal"),
        "E 3-state local": base.copy(mode="local"),
    }


_MODELS: dict[str, PairHMM] = {}


def _work(task):
    name, x, y, ref = task
    return name, bb.pair_score(ref, _MODELS[name].mea(x, y).coordinates, len(x))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folders", type=Path, nargs="+")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--stride", type=int, nargs="+", default=[1],
                    help="score every k-th pair only (one value, or one per folder)")
    ap.add_argument("--only", default=None, help="letters of the candidates to run, e.g. AD")
    ap.add_argument("--write", type=Path, default=None, help="save the best candidate here")
    args = ap.parse_args()
    _MODELS.update({k: v for k, v in candidates().items()
                    if args.only is None or k[0] in args.only.upper()})
    strides = args.stride * len(args.folders) if len(args.stride) == 1 else args.stride
    if len(strides) != len(args.folders):
        ap.error("give one --stride, or one per folder")
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    table: dict[str, list[float]] = {name: [] for name in _MODELS}
    for folder, stride in zip(args.folders, strides):
        fams = [bb.read_family(fmt, p) for fmt, p in bb.find_families(folder)]
        tasks = []
        k = 0
        for f in fams:
            seqs = f.sequences
            for a, b in f.pairs():
                k += 1
                if k % stride:
                    continue
                ref = f.reference_pairs(a, b)
                if len(ref):
                    tasks += [(name, seqs[a], seqs[b], ref) for name in _MODELS]
        t0 = time.time()
        scores: dict[str, list[float]] = {name: [] for name in _MODELS}
        with ctx.Pool(args.jobs) as pool:
            for name, s in pool.imap_unordered(_work, tasks, chunksize=8):
                scores[name].append(s)
        print(f"{folder.name}: {len(tasks) // max(1, len(_MODELS))} pairs (every {stride}), "
              f"{time.time() - t0:.0f} s", file=sys.stderr)
        for name in _MODELS:
            table[name].append(float(np.mean(scores[name])))
    names = [f.name for f in args.folders]
    print("| candidate | " + " | ".join(names) + " | mean |")
    print("|---|" + "---:|" * (len(names) + 1))
    for name, vals in table.items():
        print(f"| {name} | " + " | ".join(f"{v:.4f}" for v in vals) + f" | {np.mean(vals):.4f} |")
    best = max(table, key=lambda n: np.mean(table[n]))
    print(f"\nbest: {best}")
    if args.write is not None:
        _MODELS[best].save(args.write)
        print(f"saved to {args.write}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
