"""Exact score distributions of log-odds filters: p-values, thresholds and q-values.

As FIMO does, each weight is put on an integer grid of step ``delta`` bits,
``W_int[j, a] = round(W[j, a] / delta)``, and the distribution of the integer score of a random
window under the (order-0) background is computed exactly by dynamic programming over the
columns (``O(width * 4 * n_bins)``). ``delta`` is the motif's total score range divided by
:data:`N_BINS` (100,000), so a threshold costs about 1-5 ms per motif.

A score ``s`` maps to the integer ``k(s) = floor(s / delta + 1/2)`` and its p-value is
``P(S_int >= k(s))``. Because every window's integer score is within ``width * delta / 2`` of its
real score divided by ``delta``, the reported p-value is bracketed by the true p-values of two
nearby scores::

    P(S >= s + eps) <= pvalue(s) <= P(S >= s - eps),   eps = (width + 1) * delta / 2

(:attr:`ScoreDistribution.error_bound`; typically 0.01-0.03 bits, i.e. p-values good to a few
per cent). The p-value is a non-increasing function of the score, so a p-value threshold is a
score threshold (:meth:`ScoreDistribution.threshold`) and the scanner works in score space.

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

__all__ = ["N_BINS", "ScoreDistribution", "score_distribution", "score_threshold",
           "pvalue_of_score", "qvalues", "check_pvalue"]

#: Number of integer steps spanning a motif's score range.
N_BINS = 100_000


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
    tail : ndarray, shape (n + 1,)
        ``tail[k] = P(S_int >= offset + k)``.
    error_bound : float
        ``(width + 1) * step / 2``, see the module docstring.
    """

    def __init__(self, weights: np.ndarray, background: np.ndarray, n_bins: int = N_BINS) -> None:
        w = np.asarray(weights, dtype=float)
        rng = float((w.max(axis=1) - w.min(axis=1)).sum())
        self.step = rng / n_bins if rng > 0 else 1.0
        iw = np.rint(w / self.step).astype(np.int64)
        cmin = iw.min(axis=1)
        shifted = np.ascontiguousarray(iw - cmin[:, None])
        total = int(shifted.max(axis=1).sum())
        self.offset = int(cmin.sum())
        self.int_weights = iw
        pmf = score_pmf(shifted, np.ascontiguousarray(background, dtype=np.float64), total)
        self.tail = tail_sums(pmf)
        self._lo = 0  # index of tail[0] (> 0 in a copy cut by upper_part)
        self.width = w.shape[0]
        self.error_bound = (self.width + 1) * self.step / 2

    def _index(self, score: Any) -> np.ndarray:
        k = np.floor(np.asarray(score, dtype=float) / self.step + 0.5)
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
        """P-value(s) of score(s): ``P(S_int >= k(score))`` (scalar in, scalar out)."""
        out = self.tail[self._index(score)]
        return float(out) if np.ndim(out) == 0 else out

    def threshold(self, pvalue: float) -> float:
        """Lowest score whose p-value is <= ``pvalue`` (``+inf`` if no window reaches it).

        Every score ``s >= threshold`` has ``pvalue(s) <= pvalue`` and every lower score has a
        larger p-value.
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
        return (k + self.offset - 0.5) * self.step

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


def qvalues(pvalues: Any, n_tests: int) -> np.ndarray:
    """Benjamini-Hochberg q-values of the given p-values among ``n_tests`` tests.

    Parameters
    ----------
    pvalues : array of float, shape (h,)
        P-values of the reported hits (any order); the untested remainder are assumed larger.
    n_tests : int
        Number of tests (tested positions), at least h.

    Returns
    -------
    q : ndarray, shape (h,)
        In the input order.
    """
    p = np.asarray(pvalues, dtype=float)
    h = p.size
    if h == 0:
        return np.zeros(0)
    m = max(int(n_tests), h)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, h + 1)
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(h)
    q[order] = np.minimum(ranked, 1.0)
    return q
