"""Alignment building: a state path becomes a ``Bio.Align.Alignment``, annotated with posteriors.

Every algorithm of :class:`pairhmm.PairHMM` that returns an alignment (Viterbi, MEA, sampling)
ends here: the engine gives a state path (0 = match, 1 = x only, 2 = y only), this module turns
it into an :class:`~Bio.Align.Alignment` over the input records (so every Biopython writer
works) and attaches what the path was found with: its posterior probabilities per column and
per residue, and the band and the path cells on its edge.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from Bio.Align import Alignment
from Bio.Seq import Seq
from Bio.SeqRecord import SeqRecord

from .alphabet import Alphabet, as_text
from .band import Band

__all__ = ["PairAlignment", "posterior_codes", "to_alignment", "path_string", "annotate_posterior",
           "annotate_columns", "note_band"]


class PairAlignment(Alignment):
    """A ``Bio.Align.Alignment`` of two sequences, as pairhmm's aligners return it.

    Attributes
    ----------
    path : str
        The state path, one letter per column (``M`` both, ``X`` first only, ``Y`` second
        only). Declared here because older Biopython (1.81, for one) has a deprecated ``path``
        property on ``Alignment`` that would take the assignment as new coordinates.
    """

    path: "str | None" = None

    if not hasattr(Alignment, "length"):  # older Biopython (1.81 has none): the number of columns
        @property
        def length(self) -> int:
            """Number of columns."""
            return int(self.shape[1])


def posterior_codes(p: np.ndarray) -> str:
    """HMMER's one-character posterior probability codes: '*' >= 0.95, else round(10 p)."""
    p = np.asarray(p, dtype=float)
    out = []
    for v in p:
        if v >= 0.95:
            out.append("*")
        else:
            out.append(str(min(9, max(0, int(math.floor(v * 10 + 0.5))))))
    return "".join(out)


def path_string(path: np.ndarray) -> str:
    """A state path (0 M, 1 X, 2 Y) as its ``M``/``X``/``Y`` string."""
    return "".join("MXY"[int(s)] for s in path)


def _record(seq: Any, default_id: str, alphabet: Alphabet) -> SeqRecord:
    if isinstance(seq, SeqRecord):
        return seq
    if isinstance(seq, np.ndarray):
        text = "".join(alphabet.symbols[int(c)] for c in seq)
        return SeqRecord(Seq(text), id=default_id, description="")
    text, _ = as_text(seq)
    return SeqRecord(Seq(text), id=default_id, description="")


def to_alignment(x: Any, y: Any, path: np.ndarray, alphabet: Alphabet) -> Alignment:
    """Turn a state path (0 M, 1 X, 2 Y) into a Bio.Align.Alignment over the input records.

    Parameters
    ----------
    x, y : str, Seq, SeqRecord or array of codes
        The pair as the caller gave it (records keep their ids; code arrays are decoded with
        ``alphabet``).
    path : array of int, shape (n_columns,)
    alphabet : Alphabet

    Returns
    -------
    Bio.Align.Alignment
        With ``path`` (the ``M``/``X``/``Y`` string) and empty ``column_annotations``.
    """
    rx = _record(x, "x", alphabet)
    ry = _record(y, "y", alphabet)
    i = j = 0
    cols_i = [0]
    cols_j = [0]
    prev = -1
    for s in path:
        s = int(s)
        if s != prev and prev != -1:
            cols_i.append(i)
            cols_j.append(j)
        if s == 0:
            i += 1
            j += 1
        elif s == 1:
            i += 1
        else:
            j += 1
        prev = s
    cols_i.append(i)
    cols_j.append(j)
    coords = np.array([cols_i, cols_j], dtype=np.int64)
    aln = PairAlignment([rx, ry], coords)
    aln.column_annotations = {}  # the Stockholm writer expects the attribute
    aln.path = path_string(path)
    return aln


def annotate_posterior(aln: Alignment, path: Any, P: Any) -> None:
    """Attach per-column and per-residue posterior probabilities to an alignment (``P`` dense,
    shape (n, m), or a sparse array from a banded posterior)."""
    px_gap = np.clip(1.0 - np.asarray(P.sum(axis=1)).ravel(), 0.0, 1.0)
    py_gap = np.clip(1.0 - np.asarray(P.sum(axis=0)).ravel(), 0.0, 1.0)
    i, j = _residue_indices(path)
    mm = np.asarray(path) == 0
    pmatch = np.asarray(P[i[mm], j[mm]]).ravel() if mm.any() else np.zeros(0)
    annotate_columns(aln, path, pmatch, px_gap, py_gap)


def _residue_indices(path: Any) -> tuple[np.ndarray, np.ndarray]:
    """0-based index of the x and y residue each column of ``path`` consumes (or last consumed)."""
    i, j = Band.path_cells(path)
    return i - 1, j - 1


def annotate_columns(aln: Alignment, path: Any, pmatch: np.ndarray, px_gap: np.ndarray,
                     py_gap: np.ndarray) -> None:
    """Column and residue posteriors of a path: ``pmatch`` = P(x_i ~ y_j) of its matched columns
    in order, ``p*_gap`` = the probability of each residue being unaligned. Sets
    ``aln.column_posterior`` (n_columns,) and ``aln.residue_posterior`` ((n,), (m,))."""
    p = np.asarray(path, dtype=np.int64)
    i, j = _residue_indices(p)
    col = np.empty(p.size)
    rx = np.empty(px_gap.size)
    ry = np.empty(py_gap.size)
    mm = p == 0
    col[mm] = pmatch
    xs = p == 1
    ys = p == 2
    col[xs] = px_gap[i[xs]]
    col[ys] = py_gap[j[ys]]
    rx[i[mm | xs]] = col[mm | xs]
    ry[j[mm | ys]] = col[mm | ys]
    aln.column_posterior = col
    aln.residue_posterior = (rx, ry)


def note_band(aln: Alignment, band: "Band | None", path: Any, what: str) -> None:
    """Record the band an alignment was found in (``aln.band``, ``aln.band_edge_cells``), and
    warn (:class:`pairhmm.band.BandEdgeWarning`) when the path touched its edge."""
    aln.band = band
    aln.band_edge_cells = 0 if band is None else band.warn_if_touched(path, what)
