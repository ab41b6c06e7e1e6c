"""Comparing motifs: column-wise Pearson similarity with an offset and strand search, Tomtom-style
p-values against a motif database, and merging near-identical motifs.

Two motifs are compared as probability matrices (columns A, C, G, T, a small pseudocount added).
An *alignment* places the target's first column at ``offset`` relative to the query's first
column, on the target's given strand (``+``) or its reverse complement (``-``); it must overlap
at least ``min_overlap`` columns. Its score is the sum, over the overlapping columns, of the
Pearson correlation of the two columns (Tomtom's ``pearson`` column score; Gupta et al. 2007,
Genome Biol 8:R24). A column without variance (uniform) correlates 0 with anything.

p-values follow Tomtom: under the null hypothesis a query column is compared with a column drawn
at random from the database (all columns of all targets, both strands), so the score of each
query column has an empirical null distribution; the null distribution of an alignment's score
is the convolution of those of the query columns it covers (the columns are taken as
independent), computed on a grid of ``1 / bins_per_unit``. The p-value of the best alignment
of a query with a target is the smallest alignment p-value, corrected for the number of
alignments tried (Šidák: ``1 - (1 - p_min) ** n_alignments``), and the E-value is that times
the number of targets.

Examples
--------
>>> import numpy as np
>>> p = np.array([[.9, .0, .1, .0], [.0, .0, .0, 1.], [.1, .8, .0, .1], [.0, .0, 1., .0]])
>>> a = align(p, p[::-1, ::-1])            # the reverse complement matches on the - strand
>>> a.strand, a.offset, round(a.score, 6)
('-', 0, 4.0)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import InvalidParameter

__all__ = [
    "Alignment", "Match", "MotifDatabase", "align", "similarity", "merge_similar",
    "probability_matrix",
]

#: pseudocount (per letter, as a probability mass) added to every column before comparing
PSEUDOCOUNT = 0.01


def probability_matrix(motif: Any, pseudocount: float = PSEUDOCOUNT) -> np.ndarray:
    """Probability matrix of a motif, shape (w, 4), columns A, C, G, T.

    Parameters
    ----------
    motif : Bio.motifs.Motif, or array_like of shape (w, 4)
        Counts or probabilities (each row is normalised).
    pseudocount : float
        Added to each normalised probability before normalising again.
    """
    if hasattr(motif, "counts"):
        p = np.array([motif.counts[b] for b in "ACGT"], dtype=float).T
    else:
        p = np.array(motif, dtype=float)
    if p.ndim != 2 or p.shape[1] != 4 or p.shape[0] < 1:
        raise InvalidParameter("motif", f"shape {p.shape}", "need a (width, 4) matrix of A, C, G, T")
    if not np.all(np.isfinite(p)) or np.any(p < 0):
        raise InvalidParameter("motif", "negative or non-finite entries", "counts must be >= 0")
    s = p.sum(axis=1, keepdims=True)
    p = np.where(s > 0, p / np.where(s > 0, s, 1.0), 0.25)
    p = p + pseudocount
    return p / p.sum(axis=1, keepdims=True)


def _centred(p: np.ndarray) -> np.ndarray:
    """Columns centred and scaled to unit norm (zero for a uniform column): the dot product of
    two such columns is their Pearson correlation."""
    c = p - p.mean(axis=1, keepdims=True)
    n = np.sqrt((c * c).sum(axis=1, keepdims=True))
    return np.where(n > 1e-12, c / np.where(n > 1e-12, n, 1.0), 0.0)


def _rc(p: np.ndarray) -> np.ndarray:
    return p[::-1, ::-1]


@dataclass(frozen=True)
class Alignment:
    """The best placement of a target motif against a query motif.

    Attributes
    ----------
    offset : int
        Column of the query where the target's first column (on ``strand``) lies; negative
        when the target starts before the query.
    strand : str
        ``"+"`` the target as given, ``"-"`` its reverse complement.
    overlap : int
        Number of aligned columns.
    score : float
        Sum of the column Pearson correlations over the overlap.
    query_start : int
        First aligned column of the query.
    """

    offset: int
    strand: str
    overlap: int
    score: float
    query_start: int


def _alignments(cq: np.ndarray, ct: np.ndarray, min_overlap: int):
    """Yield (offset, overlap, query_start, score) of every placement of ``ct`` on ``cq``."""
    wq, wt = cq.shape[0], ct.shape[0]
    cols = cq @ ct.T  # (wq, wt): Pearson correlation of every pair of columns
    for offset in range(-(wt - min_overlap), wq - min_overlap + 1):
        q0 = max(0, offset)
        t0 = q0 - offset
        n = min(wq - q0, wt - t0)
        if n < min_overlap:
            continue
        score = float(np.trace(cols[q0:q0 + n, t0:t0 + n]))
        yield offset, n, q0, score


def align(query: Any, target: Any, min_overlap: int = 5) -> Alignment:
    """Best alignment (highest summed column Pearson correlation) of ``target`` on ``query``.

    Both strands of the target and every offset with at least ``min(min_overlap, widths)``
    overlapping columns are tried; ties go to the + strand, then the smaller offset.
    """
    pq, pt = probability_matrix(query), probability_matrix(target)
    cq = _centred(pq)
    mo = max(1, min(min_overlap, pq.shape[0], pt.shape[0]))
    best = None
    for strand, t in (("+", pt), ("-", _rc(pt))):
        for offset, n, q0, score in _alignments(cq, _centred(t), mo):
            if best is None or score > best.score + 1e-12:
                best = Alignment(offset, strand, n, score, q0)
    assert best is not None
    return best


def similarity(a: Any, b: Any, min_overlap: int = 5) -> tuple[float, Alignment]:
    """Similarity of two motifs in [-1, 1]: the best alignment's summed column correlation divided
    by the width of the *narrower* motif (columns of it left unaligned count 0).

    1 means one motif is contained in the other (on either strand) column for column.
    """
    al = align(a, b, min_overlap)
    wa, wb = probability_matrix(a).shape[0], probability_matrix(b).shape[0]
    return al.score / min(wa, wb), al


def merge_similar(motifs: Sequence[Any], threshold: float = 0.8,
                  min_overlap: int = 5) -> list[tuple[int, list[tuple[int, str]]]]:
    """Group near-identical motifs (either strand), keeping the first of each group.

    Motifs are taken in the given order (most important first); each joins the first earlier
    group whose representative has :func:`similarity` >= ``threshold`` with it, else starts a
    group. A reverse-complement copy has similarity 1.

    Returns
    -------
    list of (int, list of (int, str))
        Per group, in order: the representative's index and the merged members' indices with the
        strand on which they match the representative.
    """
    if not 0 < threshold <= 1:
        raise InvalidParameter("threshold", threshold, "must be in (0, 1]")
    groups: list[tuple[int, list[tuple[int, str]]]] = []
    for i, m in enumerate(motifs):
        for rep, members in groups:
            s, al = similarity(motifs[rep], m, min_overlap)
            if s >= threshold:
                members.append((i, al.strand))
                break
        else:
            groups.append((i, []))
    return groups


@dataclass(frozen=True)
class Match:
    """A database motif matched to a query (see :meth:`MotifDatabase.search`)."""

    id: str
    name: str
    offset: int
    strand: str
    overlap: int
    score: float
    pvalue: float
    evalue: float
    index: int = field(default=-1, compare=False)

    def as_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "offset": self.offset, "strand": self.strand,
                "overlap": self.overlap, "score": self.score, "pvalue": self.pvalue,
                "evalue": self.evalue}


class MotifDatabase:
    """Known motifs to compare learned motifs with (Tomtom-style search).

    Parameters
    ----------
    motifs : sequence of Bio.motifs.Motif (or (w, 4) arrays)
        E.g. :func:`pairhmm.motif.read_motifs` of a JASPAR or MEME file.
    min_overlap : int
        Fewest aligned columns (capped at the narrower motif's width).
    bins_per_unit : int
        Resolution of the null score distributions (columns scores are rounded to this grid).
    """

    def __init__(self, motifs: Sequence[Any], min_overlap: int = 5, bins_per_unit: int = 100) -> None:
        from .pwm import motif_ids

        motifs = list(motifs)
        if not motifs:
            raise InvalidParameter("motifs", "[]", "the database holds no motif")
        if min_overlap < 1:
            raise InvalidParameter("min_overlap", min_overlap, "must be >= 1")
        self.min_overlap = int(min_overlap)
        self.bins = int(bins_per_unit)
        self.ids: list[str] = []
        self.names: list[str] = []
        self._cent: list[tuple[np.ndarray, np.ndarray]] = []
        for i, m in enumerate(motifs):
            mid, alt = motif_ids(m, i) if hasattr(m, "counts") else (f"motif_{i + 1}", "")
            self.ids.append(mid)
            self.names.append(alt or mid)
            p = probability_matrix(m)
            self._cent.append((_centred(p), _centred(_rc(p))))
        # every column of every target, both strands: the null sample of column scores
        self._pool = np.concatenate([c for pair in self._cent for c in pair])

    @classmethod
    def read(cls, path: Any, fmt: str | None = None, **kwargs: Any) -> "MotifDatabase":
        """A database from any motif file :func:`pairhmm.motif.read_motifs` reads."""
        from .pwm import read_motifs

        return cls(read_motifs(path, fmt), **kwargs)

    def __len__(self) -> int:
        return len(self.ids)

    def _null(self, cq: np.ndarray) -> list[list[np.ndarray]]:
        """``null[i][n - 1]``: survival function (P(score >= s) on the integer grid, from the
        grid minimum ``-n * bins``) of the summed scores of query columns ``i .. i + n - 1``."""
        B = self.bins
        w = cq.shape[0]
        scores = np.rint(cq @ self._pool.T * B).astype(np.int64)  # (w, n_pool) in [-B, B]
        pmfs = [np.bincount(s + B, minlength=2 * B + 1) / s.size for s in scores]
        null = []
        for i in range(w):
            row, acc = [], None
            for j in range(i, w):
                acc = pmfs[j] if acc is None else np.convolve(acc, pmfs[j])
                sf = np.cumsum(acc[::-1])[::-1]
                row.append(np.minimum(sf, 1.0))
            null.append(row)
        return null

    def search(self, query: Any, top: int = 5) -> list[Match]:
        """Database motifs most similar to ``query``, by increasing p-value (then score).

        Parameters
        ----------
        query : Bio.motifs.Motif or array (w, 4)
        top : int
            How many matches to return.

        Returns
        -------
        list of Match
        """
        B = self.bins
        cq = _centred(probability_matrix(query))
        wq = cq.shape[0]
        null = self._null(cq)
        out = []
        for t, pair in enumerate(self._cent):
            wt = pair[0].shape[0]
            mo = max(1, min(self.min_overlap, wq, wt))
            best = None  # (pvalue, -score, offset, strand, n, score)
            n_align = 0
            for strand, ct in zip("+-", pair):
                for offset, n, q0, score in _alignments(cq, ct, mo):
                    n_align += 1
                    sf = null[q0][n - 1]
                    k = int(math.floor(score * B + 1e-9)) + n * B  # grid index of the score
                    p = float(sf[k]) if 0 <= k < sf.size else (1.0 if k < 0 else 0.0)
                    key = (p, -score)
                    if best is None or key < best[0]:
                        best = (key, offset, strand, n, score)
            assert best is not None
            p_min = best[0][0]
            # Sidak correction for the alignments tried; log1p keeps tiny p-values exact
            p = -math.expm1(n_align * math.log1p(-p_min)) if p_min < 1 else 1.0
            p = max(p, 0.0)
            out.append(Match(self.ids[t], self.names[t], best[1], best[2], best[3], best[4], p,
                             p * len(self), t))
        out.sort(key=lambda m: (m.pvalue, -m.score, m.index))
        return out[:top]

    def annotate(self, motifs: Iterable[Any], top: int = 1) -> list[list[Match]]:
        """:meth:`search` for every motif."""
        return [self.search(m, top) for m in motifs]
