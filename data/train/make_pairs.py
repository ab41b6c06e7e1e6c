"""Regenerate the example training data in this folder (seeded, deterministic).

    python data/train/make_pairs.py

Writes, next to this script:

* ``pairs.fa``: 40 DNA pairs as consecutive FASTA records (pair k = records 2k-1, 2k), drawn
  by :meth:`pairhmm.PairHMM.sample_pairs` from a symmetric model: Jukes-Cantor match emissions
  at 80% identity, uniform inserts, delta = 0.04, epsilon = 0.6, tau = 0.01 (mean length ~90),
  seed 2026.
* ``pairs_asym.fa``: 40 pairs from the same model with asymmetric indels, delta_x = 0.02 and
  delta_y = 0.08 (seed 2027): ``pairhmm test-symmetry`` rejects symmetry on it.
* ``aligned.sto``: the true alignments (the sampled state paths) of the first 10 pairs of
  ``pairs.fa``, one Stockholm block per pair, for ``pairhmm train --from-alignments``.

``tiny.aln`` (a 3-row Clustal alignment) is written by hand, not by this script; its counts are
worked out by hand in ``tests/test_train.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from Bio.Align import Alignment
from Bio.Seq import Seq
from Bio.SeqRecord import SeqRecord

from pairhmm import PairHMM

HERE = Path(__file__).resolve().parent


def jc_match(identity: float) -> np.ndarray:
    m = np.full((4, 4), (1.0 - identity) / 12.0)
    np.fill_diagonal(m, identity / 4.0)
    return m


def write_pairs(path: Path, draws: list, prefix: str) -> None:
    with open(path, "w") as fh:
        for k, (x, y, _) in enumerate(draws, 1):
            fh.write(f">{prefix}{k}_x\n{x}\n>{prefix}{k}_y\n{y}\n")


def true_alignment(x: str, y: str, path: str, k: int) -> Alignment:
    """The sampled state path (M/X/Y) as a Bio.Align.Alignment."""
    ci, cj = [0], [0]
    i = j = 0
    prev = None
    for s in path:
        if prev is not None and s != prev:
            ci.append(i)
            cj.append(j)
        i += s in "MX"
        j += s in "MY"
        prev = s
    ci.append(i)
    cj.append(j)
    records = [SeqRecord(Seq(x), id=f"pair{k}_x", description=""),
               SeqRecord(Seq(y), id=f"pair{k}_y", description="")]
    out = Alignment(records, np.array([ci, cj]))
    out.column_annotations = {}  # the Stockholm writer expects the attribute
    return out


def main() -> None:
    q = np.full(4, 0.25)
    sym = PairHMM(jc_match(0.8), q, 0.04, 0.6, 0.01, "dna")
    asym = PairHMM(jc_match(0.8), np.stack([q, q]), (0.02, 0.08), (0.6, 0.6), 0.01, "dna")
    draws = sym.sample_pairs(40, random_state=2026)
    write_pairs(HERE / "pairs.fa", draws, "pair")
    write_pairs(HERE / "pairs_asym.fa", asym.sample_pairs(40, random_state=2027), "asym")
    with open(HERE / "aligned.sto", "w") as fh:
        for k, (x, y, path) in enumerate(draws[:10], 1):
            fh.write(true_alignment(x, y, path, k).format("stockholm"))


if __name__ == "__main__":
    main()
