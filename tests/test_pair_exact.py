"""Pair HMM algorithms against brute-force enumeration of every alignment (tests/naive.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import naive
from pairhmm import PairHMM


def random_model(rng: np.random.Generator, A: int = 4, tied: bool = True) -> PairHMM:
    match = rng.dirichlet(np.ones(A * A)).reshape(A, A)
    alphabet = {4: "dna", 20: "protein"}[A]
    tau = rng.uniform(0.01, 0.2)
    if tied:
        d = rng.uniform(0.01, (1 - tau) / 2 - 0.01)
        e = rng.uniform(0.0, 1 - tau - 0.01)
        return PairHMM(match, rng.dirichlet(np.ones(A)), d, e, tau, alphabet)
    dx, dy = rng.uniform(0.01, (1 - tau) / 2 - 0.01, size=2)
    ex, ey = rng.uniform(0.0, 1 - tau - 0.01, size=2)
    return PairHMM(match, rng.dirichlet(np.ones(A), size=2), (dx, dy), (ex, ey), tau, alphabet)


def check_against_enumeration(model: PairHMM, x: np.ndarray, y: np.ndarray) -> None:
    total, best, best_p, post = naive.enumerate_pair(model, x, y)
    assert model.log_likelihood(x, y) == pytest.approx(math.log(total), rel=1e-10, abs=1e-12)
    aln = model.viterbi(x, y)
    assert aln.score == pytest.approx(math.log(best_p), rel=1e-10, abs=1e-12)
    # the returned path is a maximiser (ties are possible, so compare its probability)
    assert naive.path_prob(model, x, y, aln.path) == pytest.approx(best_p, rel=1e-10)
    P = model.posterior(x, y)
    np.testing.assert_allclose(P, post, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("A", [4, 20])
def test_forward_viterbi_posterior_equal_enumeration(tied, A):
    rng = np.random.default_rng(100 + A + tied)
    for _ in range(25):
        model = random_model(rng, A, tied)
        n, m = rng.integers(1, 7, size=2)
        x = rng.integers(0, A, n).astype(np.uint8)
        y = rng.integers(0, A, m).astype(np.uint8)
        check_against_enumeration(model, x, y)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 6), m=st.integers(1, 6),
       tied=st.booleans())
def test_enumeration_property(seed, n, m, tied):
    rng = np.random.default_rng(seed)
    model = random_model(rng, 4, tied)
    check_against_enumeration(model, rng.integers(0, 4, n).astype(np.uint8),
                              rng.integers(0, 4, m).astype(np.uint8))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 40), m=st.integers(1, 40))
def test_posterior_rows_are_subprobabilities(seed, n, m):
    """Each residue is matched at most once: row and column sums of P lie in [0, 1]."""
    rng = np.random.default_rng(seed)
    model = random_model(rng, 4, True)
    P = model.posterior(rng.integers(0, 4, n).astype(np.uint8), rng.integers(0, 4, m).astype(np.uint8))
    assert P.min() >= 0.0
    assert P.sum(axis=1).max() <= 1.0 + 1e-9
    assert P.sum(axis=0).max() <= 1.0 + 1e-9


def test_backward_equals_forward():
    from pairhmm._kernels import pair as k

    rng = np.random.default_rng(7)
    model = PairHMM.default("protein")
    T = model.tables
    for n, m in [(1, 1), (40, 33), (33, 97), (200, 65)]:
        x = rng.integers(0, 20, n).astype(np.uint8)
        y = rng.integers(0, 20, m).astype(np.uint8)
        f = k.forward_logprob(x, y, T.em, T.qx, T.qy, T.t)
        b = k.backward_logprob(x, y, T.em, T.qx, T.qy, T.t)
        assert b == pytest.approx(f, rel=1e-12)


def test_tied_model_is_symmetric():
    """Tied X/Y and a symmetric match matrix: P(x, y) = P(y, x) and the posterior transposes."""
    rng = np.random.default_rng(3)
    model = PairHMM.default("protein")
    x = rng.integers(0, 20, 30).astype(np.uint8)
    y = rng.integers(0, 20, 41).astype(np.uint8)
    assert model.log_likelihood(x, y) == pytest.approx(model.log_likelihood(y, x), rel=1e-13)
    np.testing.assert_allclose(model.posterior(x, y), model.posterior(y, x).T, atol=1e-12)
    untied = model.untied().copy(delta=(0.01, 0.05))
    assert untied.log_likelihood(x, y) != pytest.approx(untied.log_likelihood(y, x), rel=1e-6)


def test_ambiguity_code_is_the_marginal():
    """An N stands for any base: P(x with N, y) = sum over the four bases at that position."""
    model = PairHMM.default("dna")
    y = "ACGTTGCA"
    total = sum(math.exp(model.log_likelihood("AC" + b + "TTGA", y)) for b in "ACGT")
    assert math.exp(model.log_likelihood("ACNTTGA", y)) == pytest.approx(total, rel=1e-12)
    # R = A or G
    total = sum(math.exp(model.log_likelihood("AC" + b + "TTGA", y)) for b in "AG")
    assert math.exp(model.log_likelihood("ACRTTGA", y)) == pytest.approx(total, rel=1e-12)


def test_selenocysteine_and_pyrrolysine_score_as_cysteine_and_lysine():
    """U and O occur in real proteins (UniProt selenoproteins); like HMMER's Easel library the
    protein alphabet reads them as C and K, for the default model and the shipped preset."""
    x, y = "MKVLAUGIVOR", "MKVLSAGCIVKR"
    for model in (PairHMM.default("protein"), PairHMM.preset("protein")):
        assert model.log_likelihood(x, y) == pytest.approx(
            model.log_likelihood(x.replace("U", "C").replace("O", "K"), y), rel=1e-12)
        assert model.mea(x, y).path == model.mea("MKVLACGIVKR", y).path


def test_mea_is_optimal_for_its_objective():
    """MEA maximises the summed posterior over all alignments (brute force)."""
    rng = np.random.default_rng(11)
    model = PairHMM.default("dna")
    for gap_factor in (0.0, 1.0):
        for _ in range(10):
            x = rng.integers(0, 4, rng.integers(1, 6)).astype(np.uint8)
            y = rng.integers(0, 4, rng.integers(1, 6)).astype(np.uint8)
            P = model.posterior(x, y)
            gx = gap_factor * (1 - P.sum(1))
            gy = gap_factor * (1 - P.sum(0))
            best = -1.0
            for path in naive.all_paths(len(x), len(y), adjacent_gaps=True):
                i = j = 0
                s = 0.0
                for c in path:
                    if c == "M":
                        s += P[i, j]; i += 1; j += 1
                    elif c == "X":
                        s += gx[i]; i += 1
                    else:
                        s += gy[j]; j += 1
                best = max(best, s)
            aln = model.mea(x, y, gap_factor=gap_factor)
            assert aln.score == pytest.approx(best, abs=1e-12)


def test_alignment_object_roundtrip():
    model = PairHMM.default("protein")
    aln = model.viterbi("HEAGAWGHEE", "PAWHEAE")
    assert aln.sequences[0].seq == "HEAGAWGHEE"
    assert str(aln[0]).replace("-", "") == "HEAGAWGHEE"
    assert str(aln[1]).replace("-", "") == "PAWHEAE"
    assert aln.score == pytest.approx(model.path_log_probability("HEAGAWGHEE", "PAWHEAE", aln.path))
    # every Biopython writer works on it
    for fmt in ("fasta", "clustal", "stockholm", "phylip"):
        assert "HEAGAW" in aln.format(fmt).replace("-", "").replace(" ", "") or fmt == "phylip"
