"""Training the pair HMM (pairhmm/train.py): Baum-Welch, supervised counting, the symmetry test.

References used here, independent of the kernels:

* the E-step against brute force: expected counts from enumerating every alignment of short
  pairs (``tests/naive.py``), weighted by each path's posterior probability;
* the M-step against its definition: no nearby valid model has a larger expected complete-data
  log-likelihood Q;
* supervised counting against counts written by hand for a tiny alignment;
* recovery of known parameters from simulated data, and a calibration check of the
  likelihood-ratio test (p-values uniform under the null) over repeated simulations.

Seeds are fixed. The two slow tests: recovery (300 pairs, ~100 M DP cells per E-step, 6 E-steps;
~26 s of CPU on one core of the development VM, ~2 s of it sampling the pairs) and calibration
(40 simulated data sets x 3 fits).
"""

from __future__ import annotations

import io
import math
import warnings
from functools import lru_cache

import numpy as np
import pytest
from Bio.Seq import Seq
from Bio.SeqRecord import SeqRecord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import naive
from pairhmm import PairHMM, symmetry_test
from pairhmm.errors import InputFormatError, InvalidParameter, TrainingError
from pairhmm.train import (PairStats, alignment_stats, estimate_from_alignments, expected_stats,
                           mstep, read_alignments)
from test_pair_exact import random_model

STATE = {"M": 0, "X": 1, "Y": 2}


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------
def jc_match(identity: float) -> np.ndarray:
    """Jukes-Cantor joint distribution of a pair of aligned bases at the given identity."""
    m = np.full((4, 4), (1.0 - identity) / 12.0)
    np.fill_diagonal(m, identity / 4.0)
    return m


def dna_model(delta=0.04, epsilon=0.6, tau=0.002, identity=0.8, insert=None) -> PairHMM:
    return PairHMM(jc_match(identity), np.full(4, 0.25) if insert is None else insert,
                   delta, epsilon, tau, "dna")


def brute_counts(model: PairHMM, x: np.ndarray, y: np.ndarray):
    """(P(x, y), sum_path P(x, y, path) * counts(path)) by enumerating every alignment."""
    A = model.alphabet.size
    trans = np.zeros((3, 4))
    match = np.zeros((A, A))
    ins = np.zeros((2, A))
    total = 0.0
    for path in naive.all_paths(len(x), len(y)):
        p = naive.path_prob(model, x, y, path)
        total += p
        prev = 0
        i = j = 0
        for s in path:
            k = STATE[s]
            trans[prev, k] += p
            if s == "M":
                match[x[i], y[j]] += p
                i += 1
                j += 1
            elif s == "X":
                ins[0, x[i]] += p
                i += 1
            else:
                ins[1, y[j]] += p
                j += 1
            prev = k
        trans[prev, 3] += p
    return total, trans, match, ins


def brute_stats(model: PairHMM, pairs) -> PairStats:
    """Brute-force E-step: expected counts summed over pairs (canonical codes only)."""
    A = model.alphabet.size
    out = PairStats(np.zeros((3, 4)), np.zeros((A, A)), np.zeros((2, A)), 0.0)
    for x, y in pairs:
        total, tr, ma, ins = brute_counts(model, x, y)
        out.trans += tr / total
        out.match += ma / total
        out.insert += ins / total
        out.log_likelihood += math.log(total)
    return out


def q_value(model: PairHMM, stats: PairStats) -> float:
    """Expected complete-data log-likelihood of ``stats`` under ``model`` (the M-step objective)."""
    v = 0.0
    for counts, probs in ((stats.trans, model.transitions()), (stats.match, model.match),
                          (stats.insert[0], model.insert_x), (stats.insert[1], model.insert_y)):
        pos = counts > 0
        if np.any(probs[pos] <= 0):
            return -math.inf
        v += float((counts[pos] * np.log(probs[pos])).sum())
    return v


def codes(rng, A, n):
    return rng.integers(0, A, n).astype(np.uint8)


def sample(model: PairHMM, n: int, seed: int):
    return [(x, y) for x, y, _ in model.sample_pairs(n, random_state=seed)]


@lru_cache(maxsize=None)
def asymmetric_data():
    """40 pairs from an untied model with delta_x = 0.02, delta_y = 0.08 (seed 5)."""
    truth = dna_model(delta=(0.02, 0.08), epsilon=(0.6, 0.6), tau=0.0125,
                      insert=np.full((2, 4), 0.25))
    return sample(truth, 40, seed=5)


# ---------------------------------------------------------------------------------------------
# E-step and M-step against brute force
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("tied", [True, False])
@pytest.mark.parametrize("A", [4, 20])
def test_estep_equals_enumeration(tied, A):
    rng = np.random.default_rng(31 + A + tied)
    for _ in range(6):
        model = random_model(rng, A, tied)
        pairs = [(codes(rng, A, rng.integers(1, 6)), codes(rng, A, rng.integers(1, 6)))
                 for _ in range(3)]
        got = expected_stats(model, pairs, n_jobs=1)
        want = brute_stats(model, pairs)
        np.testing.assert_allclose(got.trans, want.trans, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got.match, want.match, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(got.insert, want.insert, rtol=1e-9, atol=1e-12)
        assert got.log_likelihood == pytest.approx(want.log_likelihood, rel=1e-10)
        # and the same M-step gives the same model
        a = mstep(model, got)
        b = mstep(model, want)
        np.testing.assert_allclose(a.match, b.match, rtol=1e-8, atol=1e-13)
        np.testing.assert_allclose(a.transitions(), b.transitions(), rtol=1e-8, atol=1e-13)
        np.testing.assert_allclose([a.insert_x, a.insert_y], [b.insert_x, b.insert_y], rtol=1e-8,
                                   atol=1e-13)


def test_one_em_step_equals_brute_force_em_step():
    rng = np.random.default_rng(8)
    model = random_model(rng, 4, True)
    pairs = [(codes(rng, 4, 5), codes(rng, 4, 4)), (codes(rng, 4, 3), codes(rng, 4, 6))]
    fitted = model.copy().fit(pairs, max_iter=1, tol=0.0, n_jobs=1)
    ref = mstep(model, brute_stats(model, pairs))
    np.testing.assert_allclose(fitted.match, ref.match, rtol=1e-9)
    assert fitted.delta == pytest.approx(ref.delta, rel=1e-9)
    assert fitted.epsilon == pytest.approx(ref.epsilon, rel=1e-9)
    assert fitted.tau == pytest.approx(ref.tau, rel=1e-9)
    np.testing.assert_allclose(fitted.insert, ref.insert, rtol=1e-9)
    # history[0] is the start model's log-likelihood, history[1] the fitted model's
    assert fitted.history_[0] == pytest.approx(sum(model.log_likelihood(x, y) for x, y in pairs))
    assert fitted.history_[1] == pytest.approx(sum(fitted.log_likelihood(x, y) for x, y in pairs))


def test_estep_with_ambiguity_codes_equals_enumeration_over_letters():
    """An N in x is any base: its expected counts are the P-weighted sum over the four bases."""
    model = random_model(np.random.default_rng(2), 4, False)
    x, y = "ANG", "CAGT"
    tot = 0.0
    acc = [np.zeros((3, 4)), np.zeros((4, 4)), np.zeros((2, 4))]
    for b in "ACGT":
        p, tr, ma, ins = brute_counts(model, model.encode(x.replace("N", b)), model.encode(y))
        tot += p
        for a, c in zip(acc, (tr, ma, ins)):
            a += c
    got = expected_stats(model, [(x, y)], n_jobs=1)
    np.testing.assert_allclose(got.trans, acc[0] / tot, rtol=1e-9)
    np.testing.assert_allclose(got.match, acc[1] / tot, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(got.insert, acc[2] / tot, rtol=1e-9, atol=1e-14)
    assert got.log_likelihood == pytest.approx(math.log(tot), rel=1e-12)


@pytest.mark.parametrize("symmetric", [True, False])
@pytest.mark.parametrize("tied", [True, False])
def test_mstep_maximises_expected_complete_likelihood(tied, symmetric):
    """No valid model near the M-step's answer has a larger Q (independent of its formulas);
    with a symmetric match matrix the search stays in the symmetric family."""
    rng = np.random.default_rng(17 + tied)
    model = random_model(rng, 4, tied)
    if symmetric:
        model = model.copy(match=(model.match + model.match.T) / 2, symmetric_match=True)
    pairs = [(codes(rng, 4, 6), codes(rng, 4, 5)) for _ in range(3)]
    stats = brute_stats(model, pairs)
    best = mstep(model, stats)
    q0 = q_value(best, stats)
    for _ in range(200):
        s = 0.02
        match = best.match * np.exp(s * rng.normal(size=(4, 4)))
        if best.symmetric_match:
            match = (match + match.T) / 2  # stay in the model's family
        ins = (best.insert_x if tied else best.insert) * np.exp(s * rng.normal(size=(4,) if tied else (2, 4)))
        ins = ins / ins.sum(axis=-1, keepdims=True)
        jit = lambda v: v * math.exp(s * rng.normal())  # noqa: E731
        delta = jit(best.delta_x) if tied else (jit(best.delta_x), jit(best.delta_y))
        eps = jit(best.epsilon_x) if tied else (jit(best.epsilon_x), jit(best.epsilon_y))
        other = PairHMM(match / match.sum(), ins, delta, eps, jit(best.tau), "dna",
                        symmetric_match=best.symmetric_match)
        assert q_value(other, stats) <= q0 + 1e-9


# ---------------------------------------------------------------------------------------------
# Baum-Welch invariants
# ---------------------------------------------------------------------------------------------
FREEZES = [None, ["tau"], ["delta"], ["epsilon", "match"], ["insert"], ["delta", "epsilon"]]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), tied=st.booleans(), freeze=st.sampled_from(FREEZES),
       pseudo=st.sampled_from([0.0, 0.0, 0.5]))
def test_baum_welch_never_lowers_the_likelihood(seed, tied, freeze, pseudo):
    rng = np.random.default_rng(seed)
    truth = random_model(rng, 4, tied)  # tau in [0.01, 0.2]: pairs of ~5-100 residues
    pairs = sample(truth, 6, seed)
    start = random_model(rng, 4, tied)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fitted = start.copy().fit(pairs, max_iter=8, tol=0.0, freeze=freeze, pseudocount=pseudo, n_jobs=1)
    h = np.array(fitted.history_)
    assert np.all(np.isfinite(h))
    if pseudo == 0.0:
        # EM (with exact constrained M-steps for frozen parameters) is monotone
        assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:])), h
    else:
        # with a pseudocount it is MAP-EM: log-likelihood + log Dirichlet prior is monotone
        model, post = start, []
        for _ in range(5):
            stats = expected_stats(model, pairs, n_jobs=1)
            post.append(stats.log_likelihood + pseudo * log_prior_kernel(model))
            model = mstep(model, stats, pseudocount=pseudo, freeze=freeze)
        assert np.all(np.diff(post) >= -1e-9 * np.abs(post[1:])), post


def log_prior_kernel(model: PairHMM) -> float:
    """sum of log theta over every slot that receives a pseudocount (allowed transitions, the
    16 match cells, the insert rows of X and Y)."""
    t = model.transitions()
    with np.errstate(divide="ignore"):
        return float(np.log(t[t > 0]).sum() + np.log(model.match).sum()
                     + np.log(model.insert_x).sum() + np.log(model.insert_y).sum())


def test_history_is_monotone_from_random_starts():
    truth = dna_model(tau=0.03)
    pairs = sample(truth, 20, 4)
    for seed in range(8):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)  # the fit warns if ll ever falls
            fitted = truth.copy().fit(pairs, init="random", random_state=seed, max_iter=15, tol=1e-8,
                               n_jobs=1)
        h = np.array(fitted.history_)
        assert np.all(np.diff(h) >= -1e-9 * np.abs(h[1:]))
        assert h[-1] > h[0]


def test_fit_of_a_copy_leaves_start_alone():
    start = PairHMM.default("dna")
    before = start.to_dict()
    fitted = start.copy().fit(sample(dna_model(tau=0.03), 10, 1), max_iter=3, n_jobs=1)
    assert fitted is not start
    assert start.to_dict() == before and not hasattr(start, "monitor_")
    assert len(fitted.history_) == 4 and fitted.converged_ in (True, False)


def test_pairs_may_be_any_iterable():
    pairs = sample(dna_model(tau=0.05), 6, 13)
    a = PairHMM.default("dna").fit(pairs, max_iter=2, n_jobs=1)
    b = PairHMM.default("dna").fit(((x, y) for x, y in pairs), max_iter=2, n_jobs=1)
    assert a.history_ == b.history_


def test_max_iter_zero_gives_start_likelihood():
    start = PairHMM.default("dna")
    pairs = sample(dna_model(tau=0.05), 5, 3)
    fitted = start.copy().fit(pairs, max_iter=0, n_jobs=1)
    assert fitted.history_ == [pytest.approx(sum(start.log_likelihood(x, y) for x, y in pairs),
                                            rel=1e-12)]
    assert fitted.converged_ is False


def test_parallel_result_is_bitwise_identical():
    pairs = sample(dna_model(tau=0.02), 24, 11)
    a = PairHMM.default("dna").fit(pairs, max_iter=3, tol=0.0, n_jobs=1)
    b = PairHMM.default("dna").fit(pairs, max_iter=3, tol=0.0, n_jobs=2)
    assert a.history_ == b.history_
    assert np.array_equal(a.match, b.match) and a.to_dict() == b.to_dict()


def test_tied_parameters_stay_exactly_equal_on_asymmetric_data():
    pairs = asymmetric_data()
    tied = PairHMM.default("dna").fit(pairs, max_iter=15, n_jobs=1)
    assert tied.tied and tied.delta_x == tied.delta_y and tied.epsilon_x == tied.epsilon_y
    assert np.array_equal(tied.insert_x, tied.insert_y)
    assert np.array_equal(tied.match, tied.match.T)  # symmetric substitution matrix by default
    untied = PairHMM.default("dna", tied=False).fit(pairs, max_iter=15, n_jobs=1)
    assert not untied.tied
    assert untied.delta_y > 2.5 * untied.delta_x  # truth: 0.08 vs 0.02
    assert untied.history_[-1] > tied.history_[-1]
    assert not np.array_equal(untied.insert_x, untied.insert_y)


def test_reversing_the_pairs_swaps_untied_x_and_y():
    """A consistency check of the untied fit: training on (y, x) swaps delta_x and delta_y."""
    pairs = asymmetric_data()[:15]
    a = PairHMM.default("dna", tied=False).fit(pairs, max_iter=5, tol=0.0, n_jobs=1)
    b = PairHMM.default("dna", tied=False).fit([(y, x) for x, y in pairs], max_iter=5, tol=0.0,
                                                n_jobs=1)
    assert a.delta_x == pytest.approx(b.delta_y, rel=1e-10)
    assert a.epsilon_y == pytest.approx(b.epsilon_x, rel=1e-10)
    np.testing.assert_allclose(a.insert_x, b.insert_y, rtol=1e-10)
    np.testing.assert_allclose(a.match, b.match, rtol=1e-10)  # symmetric match: unchanged


def test_recovers_known_parameters():
    """The issue's recovery check: 300 pairs (mean length ~420) from delta 0.04, epsilon 0.6,
    tau 0.002, 80% identity; default start. tol = 1 nat on a total log-likelihood of ~3e5
    (relative change < 1e-5): 6 E-steps of ~100 M cells each (the slowest test here)."""
    truth = dna_model()
    pairs = sample(truth, 300, 2024)
    fitted = PairHMM.default("dna").fit(pairs, max_iter=20, tol=1.0)
    assert fitted.converged_
    assert fitted.delta == pytest.approx(0.04, rel=0.10)
    assert fitted.epsilon == pytest.approx(0.6, rel=0.10)
    assert np.abs(fitted.match - truth.match).max() < 0.02


# ---------------------------------------------------------------------------------------------
# freezing and pseudocounts
# ---------------------------------------------------------------------------------------------
def test_freeze_tau_keeps_it_exactly():
    pairs = sample(dna_model(tau=0.03), 15, 6)
    start = PairHMM.default("dna")
    fitted = start.copy().fit(pairs, max_iter=5, freeze=["tau"], n_jobs=1)
    assert fitted.tau == start.tau
    assert fitted.delta != start.delta and fitted.epsilon != start.epsilon
    free = start.copy().fit(pairs, max_iter=5, n_jobs=1)
    assert free.tau != start.tau
    assert fitted.history_[-1] <= free.history_[-1] + 1e-6


def test_freeze_delta_with_tau_free_and_string_form():
    pairs = sample(dna_model(tau=0.03), 15, 6)
    start = PairHMM.default("dna")
    fitted = start.copy().fit(pairs, max_iter=4, freeze="delta, epsilon", n_jobs=1)
    assert fitted.delta == start.delta and fitted.epsilon == start.epsilon
    assert fitted.tau != start.tau
    assert np.all(np.diff(fitted.history_) >= -1e-9 * abs(fitted.history_[0]))


def test_freeze_elementwise_match_mask():
    pairs = sample(dna_model(tau=0.03, identity=0.7), 15, 7)
    start = PairHMM.default("dna")
    mask = np.eye(4, dtype=bool)
    fitted = start.copy().fit(pairs, max_iter=4, freeze={"match": mask}, n_jobs=1)
    assert np.array_equal(np.diag(fitted.match), np.diag(start.match))
    off = ~mask
    assert not np.allclose(fitted.match[off], start.match[off])
    assert fitted.match.sum() == pytest.approx(1.0, abs=1e-12)


def test_freeze_elementwise_insert_mask():
    pairs = sample(dna_model(tau=0.03, insert=[0.4, 0.1, 0.1, 0.4]), 15, 9)
    start = PairHMM.default("dna")
    fitted = start.copy().fit(pairs, max_iter=4, freeze={"insert": [True, False, False, False]}, n_jobs=1)
    assert fitted.insert[0] == start.insert[0]
    assert fitted.insert.sum() == pytest.approx(1.0)
    assert fitted.insert[3] > fitted.insert[1]


def test_freeze_errors():
    pairs = [("ACGT", "ACGA")]
    with pytest.raises(InvalidParameter, match="freeze.*'gamma'.*choose from"):
        PairHMM.default("dna").fit(pairs, freeze=["gamma"])
    with pytest.raises(InvalidParameter, match=r"freeze\[match\].*shape \(4, 4\)"):
        PairHMM.default("dna").fit(pairs, freeze={"match": [True, False]})


def test_frozen_zero_that_the_data_need_raises_training_error_naming_the_pair():
    start = PairHMM.default("dna").copy(delta=0.0)
    pairs = [(SeqRecord(Seq("ACGT"), id="a1"), SeqRecord(Seq("ACGA"), id="b1")),
             (SeqRecord(Seq("ACGTT"), id="a2"), SeqRecord(Seq("ACG"), id="b2"))]
    with pytest.raises(TrainingError, match=r"pair #2 \(a2 / b2\) has probability 0"):
        start.copy().fit(pairs, freeze=["delta"], n_jobs=1)


def test_pseudocount_keeps_unseen_letters_possible():
    pairs = [("ACGACG", "ACGAG"), ("GGCA", "GCCA")]  # no T anywhere
    start = PairHMM.default("dna")
    plain = start.copy().fit(pairs, max_iter=2, n_jobs=1)
    assert plain.insert[3] == 0.0 and plain.match[3, 3] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # MAP-EM may lower the likelihood
        smooth = start.copy().fit(pairs, max_iter=2, pseudocount=1.0, n_jobs=1)
    assert smooth.insert[3] > 0.0 and smooth.match[3, 3] > 0.0
    with pytest.raises(InvalidParameter, match="pseudocount"):
        start.copy().fit(pairs, pseudocount=-1.0)


def test_bad_fit_arguments():
    pairs = [("ACGT", "ACGA")]
    m = PairHMM.default("dna")
    with pytest.raises(InvalidParameter, match="max_iter"):
        m.fit(pairs, max_iter=-1)
    with pytest.raises(InvalidParameter, match="init"):
        m.fit(pairs, init="kmeans")
    with pytest.raises(InputFormatError, match="no sequence pairs"):
        m.fit([])
    with pytest.raises(InputFormatError, match="pair #2 has an empty sequence"):
        m.fit([("ACGT", "ACG"), ("ACGT", "")])
    with pytest.raises(InputFormatError, match="pair #1 is not a"):
        m.fit(["ACGT"])


def test_n_free_parameters_by_hand():
    dna = PairHMM.default("dna")
    # match: 10 unordered pairs - 1; insert 3; delta, epsilon; tau
    assert dna.n_parameters() == 9 + 3 + 2 + 1
    assert dna.untied().n_parameters() == 9 + 6 + 4 + 1
    asym = dna.copy(match=dna.match + np.diag([0, 0, 0, 0]), symmetric_match=False)
    assert asym.n_parameters() == 15 + 3 + 2 + 1
    from pairhmm.pair import blosum62_joint

    p, q = blosum62_joint()
    prot = PairHMM(p, q, 0.02, 0.8, 0.001, "protein")
    assert prot.n_parameters() == 209 + 19 + 2 + 1
    assert prot.untied().n_parameters() - prot.n_parameters() == 21  # LR test df


# ---------------------------------------------------------------------------------------------
# supervised counting
# ---------------------------------------------------------------------------------------------
CLUSTAL = """CLUSTAL W (1.83) multiple sequence alignment

s1              AC-GT
s2              ACTG-
s3              A--GT

"""


def hand_counts():
    """Counts of the three row pairs of CLUSTAL, written out by hand.

    s1/s2: AA CC -T GG T-   -> path M M Y M X
    s1/s3: AA C- (--) GG TT -> path M X M M
    s2/s3: AA C- T- GG -T   -> path M X X M Y
    (Begin counts as M; every pair ends once.)
    """
    trans = np.zeros((3, 4))
    trans[0, 0] = 2 + 2 + 1  # B->M in each pair, M->M: one (s1/s2), one (s1/s3)
    trans[0, 1] = 1 + 1 + 1  # M->X
    trans[0, 2] = 1 + 0 + 1  # M->Y
    trans[0, 3] = 0 + 1 + 0  # M->End (s1/s3)
    trans[1, 0] = 0 + 1 + 1  # X->M
    trans[1, 1] = 0 + 0 + 1  # X->X (s2/s3)
    trans[1, 3] = 1 + 0 + 0  # X->End (s1/s2)
    trans[2, 0] = 1 + 0 + 0  # Y->M (s1/s2)
    trans[2, 3] = 0 + 0 + 1  # Y->End (s2/s3)
    match = np.zeros((4, 4))  # A C G T
    match[0, 0] = 3
    match[1, 1] = 1
    match[2, 2] = 3
    match[3, 3] = 1
    ins = np.zeros((2, 4))
    ins[0] = [0, 2, 0, 2]  # X: T (s1/s2), C (s1/s3), C T (s2/s3)
    ins[1] = [0, 0, 0, 2]  # Y: T (s1/s2), T (s2/s3)
    return trans, match, ins


def test_alignment_counts_equal_hand_counts(tmp_path):
    p = tmp_path / "tiny.aln"
    p.write_text(CLUSTAL)
    alns = read_alignments([p])
    stats = alignment_stats(PairHMM.default("dna"), alns)
    trans, match, ins = hand_counts()
    np.testing.assert_array_equal(stats.trans, trans)
    np.testing.assert_array_equal(stats.match, match)
    np.testing.assert_array_equal(stats.insert, ins)


def test_estimate_from_alignments_by_hand(tmp_path):
    p = tmp_path / "tiny.aln"
    p.write_text(CLUSTAL)
    m = estimate_from_alignments(read_alignments([p]), alphabet="dna", pseudocount=0.0)
    # 17 transitions, 3 of them to End; the M row has 5 M->M and D = 3 + 2 gap opens shared by
    # X and Y; X and Y rows: 1 extension against 3 returns to M
    tau = 3 / 17
    assert m.tau == pytest.approx(tau, rel=1e-12)
    assert m.delta == pytest.approx((1 - tau) * 5 / (2 * (5 + 5)), rel=1e-12)
    assert m.epsilon == pytest.approx((1 - tau) * 1 / (1 + 3), rel=1e-12)
    np.testing.assert_allclose(m.insert, [0, 2 / 6, 0, 4 / 6], atol=1e-15)
    np.testing.assert_allclose(np.diag(m.match), [3 / 8, 1 / 8, 3 / 8, 1 / 8], atol=1e-15)
    # with a Laplace pseudocount of 1 on each of the 10 allowed transitions (3 to End) and each of
    # the 16 match cells, pooled symmetric pairs count twice
    m1 = estimate_from_alignments(read_alignments([p]), alphabet="dna", pseudocount=1.0)
    assert m1.tau == pytest.approx((3 + 3) / (17 + 10), rel=1e-12)
    assert m1.match[0, 0] == pytest.approx((3 + 1) / (8 + 16), rel=1e-12)
    assert m1.match[0, 1] == pytest.approx((0 + 2) / 2 / (8 + 16), rel=1e-12)
    assert m1.insert[0] == pytest.approx((0 + 2) / (6 + 8), rel=1e-12)


def _msf(rows):
    body = "\n".join(f" Name: {n}  Len: {len(r)}  Check: 0  Weight: 1.00" for n, r in rows)
    seqs = "\n".join(f"{n}  {r.replace('-', '.')}" for n, r in rows)
    return (f"!!NA_MULTIPLE_ALIGNMENT 1.0\n\n  tiny.msf MSF: {len(rows[0][1])}  Type: N  "
            f"Check: 0 ..\n\n{body}\n\n//\n\n{seqs}\n")


def test_every_alignment_format_gives_the_same_counts(tmp_path):
    from Bio import Align

    rows = [("s1", "AC-GT"), ("s2", "ACTG-"), ("s3", "A--GT")]
    aln = next(Align.parse(io.StringIO(CLUSTAL), "clustal"))
    aln.column_annotations = {}  # Biopython's Stockholm writer expects the attribute
    (tmp_path / "a.aln").write_text(CLUSTAL)
    (tmp_path / "a.sto").write_text(aln.format("stockholm"))
    (tmp_path / "a.fa").write_text("".join(f">{n}\n{r}\n" for n, r in rows))
    (tmp_path / "a.msf").write_text(_msf(rows))
    trans, match, ins = hand_counts()
    for name in ("a.aln", "a.sto", "a.fa", "a.msf"):
        stats = alignment_stats(PairHMM.default("dna"), read_alignments([tmp_path / name]))
        np.testing.assert_array_equal(stats.trans, trans, err_msg=name)
        np.testing.assert_array_equal(stats.match, match, err_msg=name)
        np.testing.assert_array_equal(stats.insert, ins, err_msg=name)


def test_alignment_input_errors(tmp_path):
    bad = tmp_path / "ragged.fa"
    bad.write_text(">a\nAC-GT\n>b\nACG\n")
    with pytest.raises(InputFormatError, match=r"ragged.fa: alignment rows differ in length.*'b' has 3"):
        read_alignments([bad])
    unknown = tmp_path / "a.xyz"
    unknown.write_text("a table, not an alignment\n1\t2\n")
    with pytest.raises(InputFormatError, match="cannot tell the alignment format"):
        read_alignments([unknown])
    with pytest.raises(InputFormatError, match="no such file"):
        read_alignments([tmp_path / "missing.aln"])
    letters = tmp_path / "bad.aln"
    letters.write_text(CLUSTAL.replace("AC-GT", "AC-GZ"))
    with pytest.raises(InputFormatError, match="bad.aln"):
        alignment_stats(PairHMM.default("dna"), read_alignments([letters]))


def test_supervised_estimate_is_a_good_start_for_baum_welch():
    """Counting on the true alignments of simulated pairs lands near the truth; Baum-Welch from
    there then only improves the likelihood of the unaligned pairs."""
    truth = dna_model(delta=0.05, tau=0.01)
    draws = truth.sample_pairs(60, random_state=12)
    alns = []
    for x, y, path in draws:
        i = j = 0
        rx, ry = [], []
        for s in path:
            rx.append(x[i] if s in "MX" else "-")
            ry.append(y[j] if s in "MY" else "-")
            i += s in "MX"
            j += s in "MY"
        alns.append(("sim", ["x", "y"], ["".join(rx), "".join(ry)]))
    est = estimate_from_alignments(alns, alphabet="dna", pseudocount=0.0)
    assert est.delta == pytest.approx(0.05, rel=0.25)
    assert np.abs(est.match - truth.match).max() < 0.03
    fitted = est.copy().fit([(x, y) for x, y, _ in draws], max_iter=5, n_jobs=1)
    assert np.all(np.diff(fitted.history_) >= -1e-9 * abs(fitted.history_[0]))


# ---------------------------------------------------------------------------------------------
# the symmetric-indel test
# ---------------------------------------------------------------------------------------------
def test_symmetry_test_rejects_asymmetric_indels():
    res = symmetry_test(asymmetric_data(), alphabet="dna", n_jobs=1)
    assert res.df == 5  # untied: extra delta, epsilon and 3 insert frequencies
    assert res.df == res.untied.n_parameters() - res.tied.n_parameters()
    assert res.pvalue < 1e-6
    assert res.statistic == pytest.approx(2 * (res.log_likelihood_untied - res.log_likelihood_tied))
    assert res.untied.delta_y > res.untied.delta_x
    table = res.table()
    assert "LR statistic" in table and "df = 5" in table and "delta (x, y)" in table


def test_symmetry_test_is_calibrated():
    """Under a symmetric model the p-values are ~uniform: 40 replicates x 40 pairs (length ~70,
    tau = 0.0125), seeds 1000..1039. Checks: false-positive rate at alpha = 0.05 (expected 2 of
    40; P(>= 7) = 0.003 under Binomial(40, 0.05)), a Kolmogorov-Smirnov test of uniformity, and
    that the same KS check rejects a miscalibrated version (statistic doubled, or df off by 2),
    so the check has the power to catch one."""
    from scipy.stats import chi2, kstest

    truth = dna_model(tau=0.0125, delta=0.03)
    stats, pvals = [], []
    for r in range(40):
        res = symmetry_test(sample(truth, 40, 1000 + r), alphabet="dna", n_jobs=1)
        stats.append(res.statistic)
        pvals.append(res.pvalue)
        assert res.statistic >= 0 and res.log_likelihood_untied >= res.log_likelihood_tied - 1e-9
    stats, pvals = np.array(stats), np.array(pvals)
    assert np.sum(pvals < 0.05) <= 6
    assert kstest(pvals, "uniform").pvalue > 0.01
    assert 3.5 < stats.mean() < 6.5  # chi-square(5) has mean 5
    assert kstest(chi2.sf(2 * stats, 5), "uniform").pvalue < 0.01
    assert kstest(chi2.sf(stats, 3), "uniform").pvalue < 0.01


def test_symmetry_test_from_an_untied_start():
    pairs = asymmetric_data()[:10]
    start = PairHMM.default("dna", tied=False).copy(delta=(0.01, 0.05))
    res = symmetry_test(pairs, model=start, max_iter=20, n_jobs=1)
    assert res.tied.tied and not res.untied.tied
    assert res.tied.delta_x == res.tied.delta_y
    assert 0.0 <= res.pvalue <= 1.0


def test_random_start_keeps_structure_and_frozen_values():
    pairs = sample(dna_model(tau=0.03), 8, 21)
    start = PairHMM.default("dna").copy(delta=0.05)
    a = start.copy().fit(pairs, init="random", random_state=1, max_iter=0, freeze=["delta"], n_jobs=1)
    b = start.copy().fit(pairs, init="random", random_state=1, max_iter=0, freeze=["delta"], n_jobs=1)
    c = start.copy().fit(pairs, init="random", random_state=2, max_iter=0, n_jobs=1)
    assert a.to_dict() == b.to_dict() and a.to_dict() != c.to_dict()  # seeded
    assert a.delta == 0.05 and a.tau == start.tau and a.epsilon != start.epsilon
    mask = np.eye(4, dtype=bool)
    d = start.copy().fit(pairs, init="random", random_state=3, max_iter=2, freeze={"match": mask},
                  n_jobs=1)
    assert np.array_equal(np.diag(d.match), np.diag(start.match))
    semi = PairHMM.default("dna").copy(mode="semiglobal")
    e = semi.copy().fit(pairs, init="random", random_state=4, max_iter=1, n_jobs=1)
    assert e.mode == "semiglobal"


def test_fit_of_a_copy_never_modifies_the_start_model():
    start = PairHMM.default("dna")
    fitted = start.copy().fit([("ACGTAC", "ACGAC")], max_iter=0, n_jobs=1)
    assert fitted is not start and not hasattr(start, "history_") and len(fitted.history_) == 1


def test_symmetry_test_keeps_the_start_models_variant():
    """An untied semiglobal start: both fits stay semiglobal (the tied start is its X/Y average)."""
    pairs = asymmetric_data()[:6]
    start = PairHMM.default("dna", tied=False).copy(delta=(0.02, 0.04), mode="semiglobal")
    res = symmetry_test(pairs, model=start, max_iter=3, tol=1e-3, n_jobs=1)
    assert res.tied.mode == "semiglobal" and res.untied.mode == "semiglobal"
    assert res.tied.tied and res.df == 5


def test_long_pairs_estep_on_graph_kernels_gives_the_same_counts(monkeypatch):
    """When the 3-state E-step's full matrices would be too large, the E-step runs on the
    state-graph kernels (forward checkpoints): the same counts and log-likelihood."""
    import pairhmm.train as tr

    rng = np.random.default_rng(12)
    model = PairHMM.default("dna")
    pairs = []
    for n in (300, 120, 40):
        x = "".join(rng.choice(list("ACGT"), n))
        y = x[: n // 2] + "".join(rng.choice(list("ACGT"), 7)) + x[n // 2 + 3:]
        pairs.append((x, y))
    plain = tr.expected_stats(model, pairs)
    fit_plain = model.copy().fit(pairs, max_iter=2)
    import pairhmm.engine.three as three

    assert model.engine.counts_layout(model.encode_pairs(pairs)) == "three-state"
    monkeypatch.setattr(three, "ESTEP_FULL_MATRIX_LIMIT", 1000)
    assert model.engine.counts_layout(model.encode_pairs(pairs)) == "graph"
    graph = tr.expected_stats(model, pairs)
    assert graph.log_likelihood == pytest.approx(plain.log_likelihood, rel=1e-12)
    np.testing.assert_allclose(graph.trans, plain.trans, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(graph.match, plain.match, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(graph.insert, plain.insert, rtol=1e-9, atol=1e-9)
    assert graph.graph_trans is None
    fit_graph = model.copy().fit(pairs, max_iter=2)
    np.testing.assert_allclose(fit_graph.transitions(), fit_plain.transitions(), rtol=1e-9)
    np.testing.assert_allclose(fit_graph.match, fit_plain.match, rtol=1e-9)
