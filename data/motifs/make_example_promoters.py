"""Regenerate ``example_promoters.fa``: random DNA with a few planted motif sites (seeded).

Six 600-bp "promoters" of random DNA (A/T 0.28 each, C/G 0.22 each; numpy PCG64, seed 2024).
Into them the consensus (most frequent letter per column) of each motif in
``jaspar2024_examples.jaspar`` is written at fixed places, some on the reverse strand (reverse
complement written), and promoter 5 gets a run of 20 N. Each header lists its planted sites as
``MOTIF_ID:STRAND:START-END`` (1-based, inclusive). Run from the repository root:

    python data/motifs/make_example_promoters.py > data/motifs/example_promoters.fa
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from Bio import motifs

HERE = Path(__file__).resolve().parent
#: (record, motif id, strand, 1-based start)
PLANTED = [
    (1, "MA0139.2", "+", 101), (1, "MA0079.5", "-", 400),
    (2, "MA0144.3", "+", 250), (2, "MA0035.5", "+", 480),
    (3, "MA0466.4", "+", 60), (3, "MA0139.2", "-", 300),
    (4, "MA0079.5", "+", 150), (4, "MA0144.3", "-", 420),
    (5, "MA0035.5", "-", 200),
    (6, "MA0466.4", "-", 333), (6, "MA0139.2", "+", 520),
]
LENGTH = 600
N_RECORDS = 6


def main() -> None:
    with open(HERE / "jaspar2024_examples.jaspar") as fh:
        found = {m.matrix_id: m for m in motifs.parse(fh, "jaspar")}
    rng = np.random.default_rng(2024)
    comp = str.maketrans("ACGT", "TGCA")
    out = sys.stdout
    for r in range(1, N_RECORDS + 1):
        seq = list("".join(rng.choice(list("ACGT"), LENGTH, p=[0.28, 0.22, 0.22, 0.28])))
        notes = []
        for rec, mid, strand, start in PLANTED:
            if rec != r:
                continue
            site = str(found[mid].consensus)
            if strand == "-":
                site = site[::-1].translate(comp)
            seq[start - 1: start - 1 + len(site)] = list(site)
            notes.append(f"{mid}:{strand}:{start}-{start + len(site) - 1}")
        if r == 5:
            seq[500:520] = list("N" * 20)
            notes.append("N:501-520")
        out.write(f">promoter{r} planted={','.join(notes)}\n")
        text = "".join(seq)
        for i in range(0, LENGTH, 60):
            out.write(text[i: i + 60] + "\n")


if __name__ == "__main__":
    main()
