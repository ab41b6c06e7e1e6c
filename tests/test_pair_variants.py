"""Model variants (double affine, semiglobal, local) against brute force over their state graphs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import naive
from pairhmm import PairHMM
from pairhmm._kernels import gpair
from pairhmm._kernels.bundles import GraphArrays, GraphProbs
from pairhmm.variants import build_graph


def base(rng, A=4, **kw):
    match = rng.dirichlet(np.ones(A * A)).reshape(A, A)
    match = (match + match.T) / 2
    alphabet = "dna" if A == 4 else "protein"
    return PairHMM(match, rng.dirichlet(np.ones(A)), 0.08, 0.4, 0.05, alphabet, **kw)


VARIANTS = [
    dict(long_gaps=(0.05, 0.8)),
    dict(mode="semiglobal", flank_loop=0.7, flank_start=0.2),
    dict(mode="local", flank_loop=0.6, flank_start=0.25),
    dict(mode="local", long_gaps=(0.03, 0.9), flank_loop=0.8, flank_start=0.1),
]


@pytest.mark.parametrize("kw", VARIANTS)
def test_variants_equal_enumeration(kw):
    rng = np.random.default_rng(len(str(kw)))
    for _ in range(6):
        model = base(rng, **kw)
        assert model.is_general
        n, m = rng.integers(1, 5, size=2)
        x = rng.integers(0, 4, n).astype(np.uint8)
        y = rng.integers(0, 4, m).astype(np.uint8)
        total, best, post = naive.enumerate_graph(model, x, y)
        assert model.log_likelihood(x, y) == pytest.approx(math.log(total), rel=1e-10)
        assert model.viterbi(x, y).score == pytest.approx(math.log(best), rel=1e-10)
        np.testing.assert_allclose(model.posterior(x, y), post, rtol=1e-9, atol=1e-12)


def test_general_kernels_reproduce_the_three_state_model():
    """The state-graph kernels on the plain global graph equal the specialised kernels."""
    rng = np.random.default_rng(2)
    model = PairHMM.default("protein")
    G = build_graph(model)
    T = model.tables
    q = np.stack([T.qx, T.qy])
    for n, m in [(3, 5), (70, 40), (40, 130)]:
        x = rng.integers(0, 20, n).astype(np.uint8)
        y = rng.integers(0, 20, m).astype(np.uint8)
        _, _, lp = gpair.g_forward(x, y, GraphArrays(G.kind, G.erow, G.pred, G.npred, G.succ, G.nsucc),
                                   GraphProbs(T.em, q, G.T, G.end))
        assert lp == pytest.approx(model.log_likelihood(x, y), rel=1e-12)
        P, _ = gpair.g_posterior(x, y, GraphArrays(G.kind, G.erow, G.pred, G.npred, G.succ, G.nsucc),
                                 GraphProbs(T.em, q, G.T, G.end))
        np.testing.assert_allclose(P, model.posterior(x, y), atol=1e-12)


def test_long_variant_sequences_do_not_underflow():
    rng = np.random.default_rng(4)
    model = PairHMM.default("protein").copy(mode="local", long_gaps=(0.008, 0.9))
    x = rng.integers(0, 20, 1500).astype(np.uint8)
    y = np.concatenate([rng.integers(0, 20, 700), x[200:900], rng.integers(0, 20, 300)]).astype(np.uint8)
    ll = model.log_likelihood(x, y)
    assert math.isfinite(ll) and ll < -5000
    P = model.posterior(x, y)
    assert np.isfinite(P).all() and P.sum(axis=1).max() <= 1 + 1e-9
    # the shared segment is found
    assert np.mean([P[200 + k, 700 + k] for k in range(0, 700, 7)]) > 0.5


def test_semiglobal_end_gaps_are_cheap():
    """A short sequence inside a long one: semiglobal puts the overhangs in the flanks."""
    rng = np.random.default_rng(9)
    letters = "ACGT"
    core = "".join(rng.choice(list(letters), 60))
    x = "".join(rng.choice(list(letters), 40)) + core + "".join(rng.choice(list(letters), 40))
    g = PairHMM.default("dna")
    sg = g.copy(mode="semiglobal")
    assert sg.log_odds(x, core) > g.log_odds(x, core) + 5
    aln = sg.viterbi(x, core)
    assert aln.states[0] == "FX1" and aln.states[-1] == "FX2"


def test_variant_json_roundtrip(tmp_path):
    m = PairHMM.default("protein").copy(mode="semiglobal", long_gaps=(0.005, 0.9), flank_loop=0.99)
    m.save(tmp_path / "v.json")
    back = PairHMM.load(tmp_path / "v.json")
    assert back.mode == "semiglobal" and back.long_gaps and back.flank_loop == 0.99
    assert back.log_likelihood("HEAGAWGHEE", "PAWHEAE") == pytest.approx(
        m.log_likelihood("HEAGAWGHEE", "PAWHEAE"), rel=1e-14)
    assert back.n_parameters() == m.n_parameters() == PairHMM.default("protein").n_parameters() + 3


def test_tied_long_gaps_are_one_parameter():
    m = PairHMM.default("protein").copy(long_gaps=(0.005, 0.9))
    assert m.delta2_x == m.delta2_y == 0.005 and m.epsilon2_x == m.epsilon2_y == 0.9
    assert m.gap_tying.n_free == 4
    u = m.untied()
    assert u.gap_tying.n_free == 8 and not u.tied


@pytest.mark.parametrize("kw", [dict(long_gaps=(0.01, 0.9)), dict(mode="semiglobal"),
                                dict(mode="local", long_gaps=(0.01, 0.9))])
def test_variant_baum_welch_never_decreases_and_keeps_ties(kw):
    rng = np.random.default_rng(1)
    truth = PairHMM.default("dna").copy(tau=0.05)
    pairs = [(a, b) for a, b, _ in truth.sample_pairs(12, random_state=3)]
    fitted = PairHMM.default("dna").copy(**kw).fit(pairs, max_iter=8, tol=0.0)
    h = np.array(fitted.history_)
    assert len(h) == 9
    assert np.all(np.diff(h) >= -1e-8 * abs(h[-1]))
    assert fitted.delta_x == fitted.delta_y and fitted.epsilon_x == fitted.epsilon_y
    if fitted.long_gaps:
        assert fitted.delta2_x == fitted.delta2_y and fitted.epsilon2_x == fitted.epsilon2_y
    # the E-step does not depend on the number of threads
    from pairhmm.train import expected_stats
    a = expected_stats(fitted, pairs, n_jobs=1)
    b = expected_stats(fitted, pairs, n_jobs=2)
    assert a.log_likelihood == b.log_likelihood
    np.testing.assert_array_equal(a.graph_trans, b.graph_trans)


@pytest.mark.parametrize("kw", VARIANTS)
def test_linear_memory_scores_equal_full_matrix_kernels(kw):
    """`pairhmm score` runs in linear memory for the variants too."""
    rng = np.random.default_rng(11)
    model = base(rng, **kw)
    G = model.graph
    T = model.tables
    q = np.stack([T.qx, T.qy])
    for n, m in [(1, 1), (3, 70), (80, 45)]:
        x = rng.integers(0, 4, n).astype(np.uint8)
        y = rng.integers(0, 4, m).astype(np.uint8)
        _, _, full = gpair.g_forward(x, y, GraphArrays(G.kind, G.erow, G.pred, G.npred, G.succ, G.nsucc),
                                   GraphProbs(T.em, q, G.T, G.end))
        assert model.log_likelihood(x, y) == pytest.approx(full, rel=1e-12)
        assert model.viterbi_score(x, y) == pytest.approx(model.viterbi(x, y).score, rel=1e-12)
