"""Bands for long pairs: the DP cells an alignment is allowed to use.

A :class:`Band` keeps, in each DP row ``i`` (0..n, row ``i`` = after ``x_1..x_i``), the columns
``lo[i]..hi[i]``. The banded algorithms of :class:`~pairhmm.PairHMM` (``band=`` of
:meth:`~pairhmm.PairHMM.viterbi`, :meth:`~pairhmm.PairHMM.posterior`, :meth:`~pairhmm.PairHMM.mea`
and :meth:`~pairhmm.PairHMM.log_likelihood`) give cells outside the band probability zero, so time
and memory grow with the number of cells in the band, not with ``n * m``. When the band contains
every alignment that carries probability, the results are those of the full DP; when an alignment
runs along the band's edge, the band probably cut off better ones (:class:`BandEdgeWarning`).

Two ways to place a band:

* :meth:`Band.diagonal`: ``width`` cells either side of the diagonals from (0, 0) and to (n, m)
  (and of every diagonal between them when the lengths differ): the classic band of a global
  alignment.
* :meth:`Band.around_anchors`: ``width`` cells either side of a guide path through exact k-mer
  matches; between two consecutive anchors the guide spans every column between their two
  diagonals, so a single indel between them fits wherever it lies. The matches are k-mers that occur exactly once in each sequence; the largest set of them
  in the same order in both sequences (a longest increasing subsequence, as MUMmer chains its
  maximal unique matches) is joined by straight lines. The default ``k`` makes a chance match
  unlikely: the expected number of random unique matches, ``n m / A^k`` for an alphabet of ``A``
  letters, is below 0.01. Unrelated or very diverged pairs give no anchors and fall back to the
  diagonal band.
"""

from __future__ import annotations

import math
import warnings
from bisect import bisect_left
from typing import Any, Sequence

import numpy as np

from .errors import InvalidParameter

__all__ = ["Band", "BandEdgeWarning", "BandMissWarning", "default_kmer"]


class BandEdgeWarning(UserWarning):
    """An alignment touched the edge of its band: a wider band may give a better one."""


class BandMissWarning(BandEdgeWarning):
    """``band="auto"`` could not confirm its widest band: alignments outside it (but inside
    :meth:`Band.expanded`) carry a noticeable share of the probability, or a better path; the
    alignment may be wrong. A subclass of :class:`BandEdgeWarning`, so one filter silences both."""


class Band:
    """The DP cells ``(i, j)`` with ``lo[i] <= j <= hi[i]``, for a pair of lengths ``n`` x ``m``.

    Parameters
    ----------
    lo, hi : array of int, shape (n + 1,)
        First and last column of each DP row. Both must be non-decreasing, ``0 <= lo <= hi <= m``,
        with ``lo[0] == 0`` and ``hi[n] == m`` (the band holds both corners) and
        ``lo[i + 1] <= hi[i] + 1`` (consecutive rows connect).
    m : int
        Length of ``y``.
    """

    def __init__(self, lo: Any, hi: Any, m: int) -> None:
        lo = np.ascontiguousarray(lo, dtype=np.int64)
        hi = np.ascontiguousarray(hi, dtype=np.int64)
        m = int(m)
        if lo.ndim != 1 or lo.shape != hi.shape or lo.size == 0:
            raise InvalidParameter("band", f"lo {lo.shape}, hi {hi.shape}",
                                   "lo and hi must be 1-D arrays of the same length n + 1")
        if np.any(lo < 0) or np.any(hi > m) or np.any(lo > hi):
            raise InvalidParameter("band", "rows", f"need 0 <= lo <= hi <= m = {m} in every row")
        if lo[0] != 0 or hi[-1] != m:
            raise InvalidParameter("band", "corners", "the band must hold cells (0, 0) and (n, m)")
        if np.any(np.diff(lo) < 0) or np.any(np.diff(hi) < 0):
            raise InvalidParameter("band", "rows", "lo and hi must be non-decreasing")
        if np.any(lo[1:] > hi[:-1] + 1):
            raise InvalidParameter("band", "rows", "consecutive rows must connect (lo[i+1] <= hi[i] + 1)")
        self.lo = lo
        self.hi = hi
        self.m = m
        widths = hi - lo + 1
        self.start = np.zeros(lo.size, dtype=np.int64)
        np.cumsum(widths[:-1], out=self.start[1:])
        self.n_cells = int(widths.sum())
        #: how the band was placed (for messages): "diagonal", "anchors" or "given"
        self.guide = "given"
        #: the guide points (i, j) the band was built around, when known
        self.anchors: np.ndarray = np.empty((0, 2), dtype=np.int64)
        self.width: int | None = None

    @property
    def n(self) -> int:
        """Length of ``x``."""
        return self.lo.size - 1

    @property
    def shape(self) -> tuple[int, int]:
        """``(n, m)``: the lengths of the pair the band is for."""
        return self.n, self.m

    def __repr__(self) -> str:
        w = "" if self.width is None else f", width={self.width}"
        return (f"Band(n={self.n}, m={self.m}{w}, guide={self.guide!r}, cells={self.n_cells:,} "
                f"= {self.n_cells / max(1, (self.n + 1) * (self.m + 1)):.2%} of the matrix)")

    def __contains__(self, cell: tuple[int, int]) -> bool:
        i, j = cell
        return 0 <= i <= self.n and self.lo[i] <= j <= self.hi[i]

    # ------------------------------------------------------------------ constructors
    @classmethod
    def full(cls, n: int, m: int) -> "Band":
        """Every cell: the banded algorithms then equal the full ones."""
        b = cls(np.zeros(n + 1, dtype=np.int64), np.full(n + 1, m, dtype=np.int64), m)
        b.guide = "full"
        return b

    @classmethod
    def around_path(cls, points: Any, n: int, m: int, width: int) -> "Band":
        """``width`` cells either side of a guide path through ``points`` ((i, j) pairs).

        The guide starts at (0, 0) and ends at (n, m) whether or not the points hold them;
        points must not decrease in either coordinate. Between two consecutive points
        ``(i0, j0)`` and ``(i1, j1)`` it covers every column between their diagonals
        ``j0 - i0`` and ``j1 - i1`` (within ``j0..j1``): any placement of a single indel between
        the two points, and the straight line joining them, lies inside. Each row is then widened
        by ``width`` columns on both sides.
        """
        width = int(width)
        if width < 0:
            raise InvalidParameter("width", width, "must be >= 0")
        pts = np.asarray(points, dtype=np.int64).reshape(-1, 2)
        pts = np.vstack([[0, 0], pts, [n, m]])
        if np.any(np.diff(pts, axis=0) < 0) or np.any(pts[:, 0] > n) or np.any(pts[:, 1] > m):
            raise InvalidParameter("points", "guide", "must be non-decreasing in i and j and inside the matrix")
        # points inside a run on one diagonal add nothing: keep the ends of each run
        d = pts[:, 1] - pts[:, 0]
        keep = np.ones(len(pts), dtype=bool)
        keep[1:-1] = (d[1:-1] != d[:-2]) | (d[1:-1] != d[2:])
        pts, d = pts[keep], d[keep]
        i0, j0, d0 = pts[:-1, 0], pts[:-1, 1], d[:-1]
        i1, j1, d1 = pts[1:, 0], pts[1:, 1], d[1:]
        rows = i1 - i0 + 1
        seg = np.repeat(np.arange(len(rows)), rows)
        first = np.repeat(np.cumsum(rows) - rows, rows)
        i = i0[seg] + np.arange(seg.size) - first
        glo = np.maximum(j0[seg], i + np.minimum(d0, d1)[seg])
        ghi = np.minimum(j1[seg], i + np.maximum(d0, d1)[seg])
        lo = np.full(n + 1, m, dtype=np.int64)
        hi = np.zeros(n + 1, dtype=np.int64)
        np.minimum.at(lo, i, glo)
        np.maximum.at(hi, i, ghi)
        lo = np.clip(lo - width, 0, m)
        hi = np.clip(hi + width, 0, m)
        # rows are monotone by construction; the accumulations only guard rounding at joins
        lo = np.minimum.accumulate(lo[::-1])[::-1]
        hi = np.maximum.accumulate(hi)
        band = cls(lo, hi, m)
        band.anchors = np.asarray(points, dtype=np.int64).reshape(-1, 2)
        band.width = width
        return band

    @classmethod
    def diagonal(cls, n: int, m: int, width: int) -> "Band":
        """``width`` cells either side of the diagonals through (0, 0) and (n, m) (and the
        ``|n - m|`` diagonals between them)."""
        band = cls.around_path(np.empty((0, 2)), n, m, width)
        band.guide = "diagonal"
        return band

    @classmethod
    def around_anchors(cls, x: np.ndarray, y: np.ndarray, width: int, k: int | None = None,
                       alphabet_size: int = 4) -> "Band":
        """``width`` cells either side of a path through exact unique k-mer matches.

        Parameters
        ----------
        x, y : array of int
            Encoded sequences (codes ``>= alphabet_size``, such as N, break k-mers).
        width : int
            Half-width of the band, in cells.
        k : int, optional
            Word length (default: :func:`default_kmer`).
        alphabet_size : int
            Number of unambiguous letters (4 for DNA, 20 for protein).
        """
        x = np.asarray(x)
        y = np.asarray(y)
        n, m = x.size, y.size
        if k is None:
            k = default_kmer(n, m, alphabet_size)
        anchors = find_anchors(x, y, int(k), alphabet_size)
        if anchors.shape[0] == 0:
            band = cls.diagonal(n, m, width)
            band.guide = "diagonal (no anchors)"
            return band
        band = cls.around_path(anchors, n, m, width)
        band.guide = "anchors"
        band.kmer = int(k)
        return band

    def expanded(self, horizon: int) -> "Band":
        """This band plus, between consecutive guide points, the rectangle they span, cut to
        ``horizon`` cells either side of the guide.

        Every path through two consecutive guide points stays inside their rectangle, so this
        region holds every alignment that passes through the guide points and strays at most
        ``horizon`` cells from the guide (for example an insertion compensated by a deletion
        between two anchors, which a band of ``width`` misses when both exceed ``width``). Where
        the guide points lie closer than ``width`` the rectangles add nothing, so for well
        anchored pairs the region is barely larger than the band. ``band="auto"`` compares a
        band's forward probability (or best path) with this region's.

        Parameters
        ----------
        horizon : int
            Cells either side of the guide path (at least the band's own width).

        Returns
        -------
        Band
            Contains this band; ``guide`` is ``"expanded"``, ``width`` the horizon.
        """
        if self.width is None:
            raise InvalidParameter("band", self.describe(), "only a band built around a guide "
                                   "path (around_path, diagonal, around_anchors) can be expanded")
        horizon = max(int(horizon), self.width)
        n, m = self.n, self.m
        pts = np.vstack([[0, 0], self.anchors.reshape(-1, 2), [n, m]]).astype(np.int64)
        i0, j0, i1, j1 = pts[:-1, 0], pts[:-1, 1], pts[1:, 0], pts[1:, 1]
        rows = i1 - i0 + 1
        seg = np.repeat(np.arange(rows.size), rows)
        first = np.repeat(np.cumsum(rows) - rows, rows)
        i = i0[seg] + np.arange(seg.size) - first
        lo = self.lo.copy()
        hi = self.hi.copy()
        np.minimum.at(lo, i, j0[seg])
        np.maximum.at(hi, i, j1[seg])
        # both the band and the cap hold the band: the intersection stays a valid band
        cap = Band.around_path(self.anchors, n, m, horizon)
        out = Band(np.maximum(lo, cap.lo), np.minimum(hi, cap.hi), m)
        out.guide = "expanded"
        out.anchors = self.anchors
        out.width = horizon
        return out

    # ------------------------------------------------------------------ use
    @staticmethod
    def path_cells(path: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """DP cells (i, j) visited by a state path of kinds (0 M, 1 X, 2 Y), after each step."""
        p = np.asarray(path, dtype=np.int64)
        i = np.cumsum((p == 0) | (p == 1))
        j = np.cumsum((p == 0) | (p == 2))
        return i, j

    def edge_cells(self, path: Sequence[int]) -> int:
        """Number of cells of ``path`` on an edge of the band that is not an edge of the matrix.

        Zero means the band did not constrain the path; anything else means a wider band might
        have given a different (better) alignment.
        """
        i, j = self.path_cells(path)
        left = (j == self.lo[i]) & (self.lo[i] > 0)
        right = (j == self.hi[i]) & (self.hi[i] < self.m)
        return int(np.count_nonzero(left | right))

    def to_sparse(self, values: np.ndarray) -> Any:
        """A flat banded array (row 0 and column 0 included) as a ``scipy.sparse.csr_array`` of
        shape (n, m): entry ``[i - 1, j - 1]`` holds the value of cell (i, j)."""
        from scipy.sparse import csr_array

        itype = np.int32 if self.n_cells < 2**31 - 1 and self.m < 2**31 - 1 else np.int64
        widths = self.hi - self.lo + 1
        keep = np.ones(self.n_cells, dtype=bool)
        keep[: widths[0]] = False                         # row 0
        keep[self.start[(self.lo == 0)][1:]] = False      # column 0 of the other rows
        counts = widths[1:] - (self.lo[1:] == 0)
        indptr = np.zeros(self.n + 1, dtype=itype)
        np.cumsum(counts, out=indptr[1:])
        # column of every kept cell: its offset in the flat array minus its row's shift
        shift = np.repeat((self.start - self.lo + 1).astype(itype), widths)
        cols = np.arange(self.n_cells, dtype=itype)
        cols -= shift
        return csr_array((np.asarray(values)[keep], cols[keep], indptr), shape=(self.n, self.m))

    def warn_if_touched(self, path: Sequence[int], what: str) -> int:
        """Warn (:class:`BandEdgeWarning`) when ``path`` runs along the band's edge."""
        touched = self.edge_cells(path)
        if touched:
            warnings.warn(f"{what} touches the band's edge at {touched} cell(s) "
                          f"(band {self.describe()}); a wider band may give a better alignment",
                          BandEdgeWarning, stacklevel=3)
        return touched

    def describe(self) -> str:
        """Short description for messages, e.g. '+-200 around 87 anchors (k=19)'."""
        w = "?" if self.width is None else str(self.width)
        if self.guide == "anchors":
            return f"+-{w} around {len(self.anchors)} anchors (k={getattr(self, 'kmer', '?')})"
        return f"+-{w}, {self.guide}"


def default_kmer(n: int, m: int, alphabet_size: int = 4) -> int:
    """Smallest k with fewer than 0.01 expected chance matches (``n m / A^k < 0.01``), at least 4."""
    a = max(2, int(alphabet_size))
    k = math.ceil(math.log(100.0 * max(1, n) * max(1, m)) / math.log(a))
    return int(min(max(k, 4), _max_k(a)))


def _max_k(a: int) -> int:
    return int(62 // math.log2(a))  # k-mer codes fit in int64


def _kmer_codes(s: np.ndarray, k: int, a: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each valid k-mer of ``s`` and its start position (ambiguous codes skipped)."""
    L = s.size - k + 1
    if L <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    s = s.astype(np.int64)
    bad = (s >= a).astype(np.int64)
    nbad = np.concatenate([[0], np.cumsum(bad)])
    ok = (nbad[k:] - nbad[:-k]) == 0
    codes = np.zeros(L, dtype=np.int64)
    for t in range(k):
        codes = codes * a + np.minimum(s[t:t + L], a - 1)
    pos = np.flatnonzero(ok)
    return codes[pos], pos


def _unique(codes: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u, first, counts = np.unique(codes, return_index=True, return_counts=True)
    keep = counts == 1
    return u[keep], pos[first[keep]]


def find_anchors(x: np.ndarray, y: np.ndarray, k: int, alphabet_size: int = 4) -> np.ndarray:
    """Co-linear exact matches of k-mers that are unique in both sequences.

    Returns
    -------
    anchors : (A, 2) int array
        Start positions (i, j) (0-based) of the matched k-mers of the longest chain increasing in
        both sequences, sorted.
    """
    if k < 1 or k > _max_k(alphabet_size):
        raise InvalidParameter("k", k, f"must be between 1 and {_max_k(alphabet_size)}")
    cx, px = _unique(*_kmer_codes(np.asarray(x), k, alphabet_size))
    cy, py = _unique(*_kmer_codes(np.asarray(y), k, alphabet_size))
    common, ix, iy = np.intersect1d(cx, cy, assume_unique=True, return_indices=True)
    if common.size == 0:
        return np.empty((0, 2), dtype=np.int64)
    ai, aj = px[ix], py[iy]
    order = np.argsort(ai, kind="stable")
    ai, aj = ai[order], aj[order]
    keep = _longest_increasing(aj)
    return np.stack([ai[keep], aj[keep]], axis=1)


def _longest_increasing(v: np.ndarray) -> np.ndarray:
    """Indices of a longest strictly increasing subsequence of ``v`` (O(n log n))."""
    tails: list[int] = []       # smallest tail value of an increasing run of each length
    tails_idx: list[int] = []
    prev = np.full(v.size, -1, dtype=np.int64)
    for t, val in enumerate(v.tolist()):
        p = bisect_left(tails, val)
        if p == len(tails):
            tails.append(val)
            tails_idx.append(t)
        else:
            tails[p] = val
            tails_idx[p] = t
        prev[t] = tails_idx[p - 1] if p > 0 else -1
    out = []
    t = tails_idx[-1] if tails_idx else -1
    while t >= 0:
        out.append(t)
        t = prev[t]
    return np.array(out[::-1], dtype=np.int64)
