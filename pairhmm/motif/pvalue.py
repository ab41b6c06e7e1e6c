"""Exact score distributions of log-odds filters: p-values, thresholds and q-values.

As FIMO does, each weight is put on an integer grid of step ``delta`` bits,
``W_int[j, a] = round(W[j, a] / delta)``, and the distribution of the integer score
``S_int = sum_j W_int[j, x_j]`` of a random window under the (order-0) background is computed
exactly by dynamic programming over the columns (``O(width * 4 * n_bins)``). ``delta`` is the
motif's total score range divided by :data:`N_BINS` (100,000), so a threshold costs about
1-5 ms per motif.

**From a real score to a p-value, never too small.** Rounding moves each weight by
``e[j, a] = delta * W_int[j, a] - W[j, a]``, so a window's integer score and its real score ``S``
differ by ``e(x) = sum_j e[j, x_j]``, which lies between ``E_lo = sum_j min_a e[j, a]`` and
``E_hi = sum_j max_a e[j, a]``. Every window ``y`` with ``S(y) >= s`` therefore has
``delta * S_int(y) >= s + E_lo``, and the p-value of a score ``s`` is ::

    pvalue(s) = P(S_int >= k(s)),   k(s) = ceil((s + E_lo - tol) / delta)

(``tol`` = 1e-9 bits absorbs floating-point rounding of the scores). It counts every window
scoring ``>= s``, so it is never below the exact p-value; conversely a window counted has
``S(y) >= s - (E_hi - E_lo) - tol``, so ::

    P(S >= s) <= pvalue(s) <= P(S >= s - eps),   eps = E_hi - E_lo + tol <= width * delta + tol

(:attr:`ScoreDistribution.error_bound`, typically below 0.01 bits). This matters for matrices
with repeated values (PWMs from a few sites): their score distribution is a set of point masses,
and mapping a score to the grid by rounding ``s / delta`` (instead of bounding it through
``E_lo``) can land one step above the atom's own grid point and lose the atom's mass (p-values
several times too small). ``pvalue`` is a non-increasing function of the score, so a p-value
threshold is a score threshold (:meth:`ScoreDistribution.threshold`) and the scanner works in
score space; the hits are exactly the windows whose reported p-value passes.

q-values follow FIMO: Benjamini-Hochberg over all tested positions (every window without an
ambiguity code, on each strand scanned), ``q_i = min_{j >= i} min(1, m * p_(j) / j)`` over the
ascending p-values of the reported hits, with ``m`` the number of tested positions. The p-values
of the windows that are not hits are not stored (they are all larger than every hit's when the
threshold is a p-value), so the minimum runs over the hits only: each q-value is the BH value or,
in rare cases, slightly above it (never below: the estimate is conservative).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._kernels.motif import score_pmf, tail_sums
from ..errors import InvalidParameter
from .pwm import LogOddsFilter

__all__ = ["N_BINS", "SCORE_TOL", "ScoreDistribution", "score_distribution", "score_threshold",
           "pvalue_of_score", "qvalues", "bh_by_value", "check_pvalue"]

#: Number of integer steps spanning a motif's score range.
N_BINS = 100_000
#: Scores closer than this (bits) count as equal: far above floating-point rounding of a sum of
#: weights (~1e-13), far below any difference that matters.
SCORE_TOL = 1e-9


def check_pvalue(pvalue: Any, name: str = "pvalue") -> float:
    """Return ``pvalue`` as a float, or raise :class:`InvalidParameter` if it is not in (0, 1]."""
    try:
        p = float(pvalue)
    except (TypeError, ValueError):
        raise InvalidParameter(name, pvalue, "must be a number in (0, 1]") from None
    if not (0.0 < p <= 1.0) or math.isnan(p):
        raise InvalidParameter(name, pvalue, "must be in (0, 1] (e.g. 1e-4)")
    return p


class ScoreDistribution:
    """Exact distribution of a filter's discretised score under its background.

    Parameters
    ----------
    weights : array of float, shape (width, 4)
        Log-odds weights (bits).
    background : array of float, shape (4,)
        Letter probabilities of A, C, G, T.
    n_bins : int
        Grid points spanning the score range (default :data:`N_BINS`).

    Attributes
    ----------
    step : float
        Grid step ``delta`` in bits.
    offset : int
        Integer score of index 0 (sum of the column minima on the grid).
    int_weights : ndarray of int, shape (width, 4)
        ``round(weights / step)``.
    e_lo, e_hi : float
        Smallest and largest total rounding error ``step * S_int - S`` of any window (bits).
    tail : ndarray, shape (n + 1,)
        ``tail[k] = P(S_int >= offset + k)``.
    error_bound : float
        ``e_hi - e_lo + tol`` (at most ``width * step + tol``): every p-value lies between the
        exact p-values of ``s`` and ``s - error_bound`` (module docstring).
    """

    def __init__(self, weights: np.ndarray, background: np.ndarray, n_bins: int = N_BINS) -> None:
        w = np.asarray(weights, dtype=float)
        rng = float((w.max(axis=1) - w.min(axis=1)).sum())
        self.step = rng / n_bins if rng > 0 else 1.0
        iw = np.rint(w / self.step).astype(np.int64)
        err = iw * self.step - w  # how far rounding moved each weight (bits)
        self.e_lo = float(err.min(axis=1).sum())
        self.e_hi = float(err.max(axis=1).sum())
        cmin = iw.min(axis=1)
        shifted = np.ascontiguousarray(iw - cmin[:, None])
        total = int(shifted.max(axis=1).sum())
        self.offset = int(cmin.sum())
        self.int_weights = iw
        pmf = score_pmf(shifted, np.ascontiguousarray(background, dtype=np.float64), total)
        self.tail = tail_sums(pmf)
        self._lo = 0  # index of tail[0] (> 0 in a copy cut by upper_part)
        self.width = w.shape[0]
        self.error_bound = self.e_hi - self.e_lo + SCORE_TOL

    def _index(self, score: Any) -> np.ndarray:
        # the lowest integer score any window scoring >= score can have (see the module doc)
        k = np.ceil((np.asarray(score, dtype=float) + (self.e_lo - SCORE_TOL)) / self.step)
        k = np.clip(k - self.offset, self._lo, self._lo + self.tail.size - 1) - self._lo
        return k.astype(np.int64)

    def upper_part(self, score: float) -> "ScoreDistribution":
        """A light copy that only answers :meth:`pvalue` for scores >= ``score``.

        Keeps the part of the tail array from ``score`` up (a scanner with a high threshold
        then holds a few kB per motif instead of ~1 MB). Lower scores get the p-value of
        ``score``; :meth:`threshold` is not available on the copy.
        """
        new = object.__new__(ScoreDistribution)
        new.__dict__.update(self.__dict__)
        if score == math.inf:  # nothing can score that high: keep the top entry only
            lo = self._lo + self.tail.size - 1
        elif math.isfinite(score):
            lo = int(self._index(score)) + self._lo
            lo = max(self._lo, lo - 2)  # a little slack below the cut for rounding
        else:
            return new
        new.tail = self.tail[lo - self._lo:].copy()
        new._lo = lo
        return new

    def pvalue(self, score: Any) -> Any:
        """P-value(s) of score(s): ``P(S_int >= k(score))`` (scalar in, scalar out).

        Never below the exact ``P(S >= score)``; see the module docstring for the bound.
        """
        out = self.tail[self._index(score)]
        return float(out) if np.ndim(out) == 0 else out

    def index_of(self, score: Any) -> np.ndarray:
        """Grid index of score(s): ``pvalue(s) == tail_value(index_of(s))`` (absolute index)."""
        return self._index(score) + self._lo

    def threshold(self, pvalue: float) -> float:
        """Lowest score whose p-value is <= ``pvalue`` (``+inf`` if no window reaches it).

        Every score ``s >= threshold`` has ``pvalue(s) <= pvalue`` and every lower (float)
        score a larger one.
        """
        p = check_pvalue(pvalue)
        if self._lo:
            raise ValueError("threshold() needs the full distribution, not an upper_part() copy")
        ok = np.flatnonzero(self.tail <= p)
        if ok.size == 0:
            return math.inf
        k = int(ok[0])
        if k == 0:
            return -math.inf
        # pvalue(s) <= p  <=>  k(s) >= k + offset  <=>  s > (k + offset - 1) * step - e_lo + tol;
        # bisect between neighbouring floats so the boundary is exact for pvalue() itself
        t = (k + self.offset - 1) * self.step - self.e_lo + SCORE_TOL
        gap = max(abs(t), 1.0) * 1e-12
        hi, lo = t + gap, t - gap
        while self.pvalue(hi) > p:
            hi += gap
            gap *= 2
        while self.pvalue(lo) <= p:
            lo -= gap
            gap *= 2
        while True:  # pvalue(lo) > p >= pvalue(hi)
            mid = lo + (hi - lo) / 2
            if not lo < mid < hi:
                return float(hi)
            if self.pvalue(mid) <= p:
                hi = mid
            else:
                lo = mid

    @property
    def best_pvalue(self) -> float:
        """Smallest p-value any window can have (the top score's probability)."""
        return float(self.tail[-1])


def score_distribution(motif: LogOddsFilter) -> ScoreDistribution:
    """The (cached) :class:`ScoreDistribution` of a filter under its own background."""
    dist = getattr(motif, "_score_distribution", None)
    if dist is None:
        dist = ScoreDistribution(motif.weights, motif.background.freqs)
        motif._score_distribution = dist  # type: ignore[attr-defined]
    return dist


def score_threshold(motif: LogOddsFilter, pvalue: float = 1e-4) -> float:
    """Score threshold (bits) of a filter for a p-value threshold; see :class:`ScoreDistribution`."""
    return score_distribution(motif).threshold(pvalue)


def pvalue_of_score(motif: LogOddsFilter, score: Any) -> Any:
    """P-value of a score (or array of scores) of a filter under its background."""
    return score_distribution(motif).pvalue(score)


def qvalues(pvalues: Any, n_tests: int, dropped: "tuple[Any, Any] | None" = None) -> np.ndarray:
    """Benjamini-Hochberg q-values of the given p-values among ``n_tests`` tests.

    Parameters
    ----------
    pvalues : array of float, shape (h,)
        P-values of the reported hits (any order); the untested remainder are assumed larger.
    n_tests : int
        Number of tests (tested positions), at least h plus the dropped ones.
    dropped : (array of float, array of int), optional
        P-values of further tests that count in the ranking but get no q-value (hits a memory
        bound dropped), as distinct values and how many tests had each.

    Returns
    -------
    q : ndarray, shape (h,)
        In the input order; ``q_i = min_{j >= i} min(1, m * p_(j) / j)`` over the ascending
        p-values of all counted tests (ties share the q-value of the last of them).
    """
    p = np.asarray(pvalues, dtype=float)
    h = p.size
    if h == 0:
        return np.zeros(0)
    vals, counts = p, np.ones(h, dtype=np.int64)
    if dropped is not None and np.size(dropped[0]):
        vals = np.concatenate([p, np.asarray(dropped[0], dtype=float)])
        counts = np.concatenate([counts, np.asarray(dropped[1], dtype=np.int64)])
    uniq, q_at = bh_by_value(vals, counts, n_tests)
    return q_at[np.searchsorted(uniq, p)]


def bh_by_value(values: Any, counts: Any, n_tests: int) -> tuple[np.ndarray, np.ndarray]:
    """Benjamini-Hochberg q-value of each distinct p-value of a multiset.

    Parameters
    ----------
    values : array of float, shape (k,)
        P-values (repeats allowed).
    counts : array of int, shape (k,)
        How many tests had each entry of ``values``.
    n_tests : int
        Number of tests (at least ``counts.sum()``).

    Returns
    -------
    uniq, q : ndarray, shape (u,)
        The distinct p-values, ascending, and their q-values (every test with the same p-value
        gets the q-value of the last of them in rank order).
    """
    uniq, inv = np.unique(np.asarray(values, dtype=float), return_inverse=True)
    n_at = np.bincount(inv, weights=np.asarray(counts, dtype=float), minlength=uniq.size)
    m = max(float(n_tests), float(n_at.sum()))
    rank = np.cumsum(n_at)  # rank of the last test holding each distinct p-value
    q = np.minimum.accumulate((uniq * m / rank)[::-1])[::-1]
    return uniq, np.minimum(q, 1.0)
