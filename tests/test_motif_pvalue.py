"""Exact p-values of log-odds scores against brute-force enumeration of all k-mers."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pairhmm.errors import InvalidParameter
from pairhmm.motif import (Background, LogOddsFilter, pvalue_of_score, qvalues, score_distribution,
                           score_threshold)

BG = Background.from_frequencies([0.32, 0.18, 0.18, 0.32])


def all_kmers(width: int) -> np.ndarray:
    return np.array(list(itertools.product(range(4), repeat=width)))


def exact_tail(f: LogOddsFilter):
    """Continuous scores and probabilities of every k-mer, and P(S >= s) as a function."""
    km = all_kmers(f.width)
    s = f.weights[np.arange(f.width), km].sum(axis=1)
    p = np.prod(f.background.freqs[km], axis=1)
    order = np.argsort(s)
    s_sorted, p_sorted = s[order], p[order]
    tail = np.cumsum(p_sorted[::-1])[::-1]

    def P(x: float) -> float:
        i = np.searchsorted(s_sorted, x, side="left")
        return float(tail[i]) if i < tail.size else 0.0

    return s, P


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), width=st.integers(1, 8))
def test_pvalues_bracketed_by_brute_force_within_discretisation_bound(seed, width):
    rng = np.random.default_rng(seed)
    counts = rng.integers(0, 20, size=(width, 4)).astype(float)
    f = LogOddsFilter(counts, BG, 0.2)
    dist = score_distribution(f)
    scores, P = exact_tail(f)
    eps = dist.error_bound
    assert eps <= width * (f.max_score - f.min_score) / 1e5 + 2e-9
    for s in rng.choice(scores, size=min(40, scores.size), replace=False):
        p = pvalue_of_score(f, s)
        # never below the exact p-value (ties within 1e-10 bits count as >=), at most eps above
        assert P(s - 1e-10) * (1 - 1e-12) <= p <= P(s - eps - 1e-12) + 1e-12
    # the DP distribution equals the brute-force distribution of the discretised score
    km = all_kmers(width)
    s_int = dist.int_weights[np.arange(width), km].sum(axis=1)
    prob = np.prod(BG.freqs[km], axis=1)
    for k in np.unique(s_int)[:: max(1, np.unique(s_int).size // 20)]:
        assert dist.tail[k - dist.offset] == pytest.approx(prob[s_int >= k].sum(), rel=1e-9, abs=1e-15)


def test_threshold_is_the_exact_boundary():
    rng = np.random.default_rng(11)
    f = LogOddsFilter(rng.integers(0, 30, size=(8, 4)), BG, 0.1)
    for p in (1e-1, 1e-2, 1e-3, 1e-4):
        t = score_threshold(f, p)
        scores, _ = exact_tail(f)
        above = scores[scores >= t]
        below = scores[scores < t]
        assert above.size
        assert np.all(pvalue_of_score(f, above) <= p)
        assert np.all(pvalue_of_score(f, below) > p)


def test_uniform_background_textbook_value():
    # A fully specific 5-mer under a uniform background: the best score has p = 4^-5.
    f = LogOddsFilter(np.eye(4)[[0, 1, 2, 3, 0]] * 1000, Background.uniform(), 0.0 + 1e-9)
    assert pvalue_of_score(f, f.max_score) == pytest.approx(4.0 ** -5, rel=1e-6)
    assert pvalue_of_score(f, f.min_score - 1.0) == pytest.approx(1.0)
    assert score_threshold(f, 1e-4) == float("inf")
    assert score_threshold(f, 1.0) == float("-inf")


def test_threshold_time_per_motif_is_small():
    # not a timed assertion on speed goals, only a sanity bound far above the 10 ms target
    rng = np.random.default_rng(0)
    f = LogOddsFilter(rng.integers(0, 50, size=(30, 4)), BG, 0.1)
    score_threshold(f, 1e-4)  # compile
    f2 = LogOddsFilter(rng.integers(0, 50, size=(30, 4)), BG, 0.1)
    t = time.perf_counter()
    score_threshold(f2, 1e-4)
    assert time.perf_counter() - t < 2.0


@pytest.mark.parametrize("p", [0.0, -0.1, 1.01, float("nan")])
def test_bad_pvalue(p):
    f = LogOddsFilter(np.ones((4, 4)), BG)
    with pytest.raises(InvalidParameter, match=r"pvalue .* must be in \(0, 1\]"):
        score_threshold(f, p)


def test_qvalues_benjamini_hochberg_textbook():
    p = np.array([0.01, 0.04, 0.03, 0.005])
    q = qvalues(p, 4)
    # sorted p: .005 .01 .03 .04 -> m p / rank: .02 .02 .04 .04
    np.testing.assert_allclose(q, [0.02, 0.04, 0.04, 0.02])
    assert qvalues([], 10).size == 0
    np.testing.assert_allclose(qvalues([0.5, 0.9], 1000), [1.0, 1.0])
