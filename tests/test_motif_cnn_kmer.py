"""Tests of MotifCNN's jointly trained k-mer count term (``kmer=k``)."""

from __future__ import annotations

from collections import Counter
from itertools import product

import numpy as np
import pytest
from Bio.Seq import reverse_complement
from hypothesis import given, settings
from hypothesis import strategies as st

from pairhmm.errors import InvalidParameter
from pairhmm.motif.cnn import MotifCNN, encode_batch, kmer_features

from test_motif_cnn import CTCF, IUPAC, plant, random_model, to_text

pytestmark = pytest.mark.usefixtures("one_numba_thread")


def brute_counts(seq: str, k: int, canonical: bool) -> Counter:
    """Reference: k-mer counts by string slicing, canonical = min(k-mer, its RC via Biopython)."""
    out = Counter()
    for p in range(len(seq) - k + 1):
        u = seq[p:p + k]
        if set(u) <= set("ACGT"):
            out[min(u, reverse_complement(u)) if canonical else u] += 1
    return out


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("canonical", [True, False])
def test_kmer_features_pair_each_kmer_with_its_reverse_complement(k, canonical):
    feature_of, names = kmer_features(k, canonical)
    kmers = ["".join(t) for t in product("ACGT", repeat=k)]  # base-4 order, first letter major
    for u, f in zip(kmers, feature_of):
        assert names[f] == (min(u, reverse_complement(u)) if canonical else u)
    n_pal = 4 ** (k // 2) if k % 2 == 0 else 0  # k-mers equal to their own reverse complement
    assert len(names) == ((4 ** k + n_pal) // 2 if canonical else 4 ** k)
    assert names == sorted(names)


@pytest.mark.parametrize("canonical", [True, False])
def test_kmer_count_rows_match_brute_force(canonical):
    rng = np.random.default_rng(0)
    m = MotifCNN(n_filters=1, width=2, kmer=3, rc_shared=canonical)
    seqs = ["".join(rng.choice(list("ACGTN"), int(n), p=[.23] * 4 + [.08]))
            for n in rng.integers(2, 30, 25)]
    _, _, (indptr, indices, values) = m._prepare(encode_batch(seqs))
    names = kmer_features(3, canonical)[1]
    for s, seq in enumerate(seqs):
        row = slice(indptr[s], indptr[s + 1])
        assert np.all(np.diff(indices[row]) > 0)
        got = {names[i]: v for i, v in zip(indices[row], values[row])}
        assert got == dict(brute_counts(seq, 3, canonical))


@pytest.mark.parametrize("rc,palindromic", [(True, False), (False, False), (True, [1])])
def test_gradient_with_kmer_term_matches_finite_differences(rc, palindromic):
    rng = np.random.default_rng(11)
    m = random_model(rng, n_filters=2, width=5, rc_shared=rc, palindromic=palindromic, kmer=2,
                     l2=0.01, kmer_l2=0.03)
    seqs = ["".join(rng.choice(list("ACGTN"), 18, p=[.24, .24, .24, .24, .04])) for _ in range(10)]
    data = m._prepare(encode_batch(seqs))
    y, batch = np.arange(10) % 2, np.arange(10, dtype=np.int64)
    theta = m._pack()
    _, grad = m._loss_grad(theta, data, batch, y)
    num = np.empty_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = 1e-6
        num[j] = (m._loss_grad(theta + e, data, batch, y, need_grad=False)[0]
                  - m._loss_grad(theta - e, data, batch, y, need_grad=False)[0]) / 2e-6
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-8)
    assert m.kmer_weights_.size == (10 if rc else 16)


def test_kmer_term_adds_weighted_counts_to_the_log_odds():
    rng = np.random.default_rng(2)
    m = random_model(rng, n_filters=2, width=4, kmer=3)
    seqs = [to_text(rng.integers(0, 4, 25)) for _ in range(6)]
    names = kmer_features(3, True)[1]
    base = random_model(np.random.default_rng(2), n_filters=2, width=4)  # same draws, no k-mers
    base._unpack(np.r_[m._pack()[:base._n_theta() - 1], m.intercept_])
    want = base.decision_function(seqs) + np.array(
        [sum(c * m.kmer_weights_[names.index(u)] for u, c in brute_counts(s, 3, True).items())
         for s in seqs])
    np.testing.assert_allclose(m.decision_function(seqs), want, rtol=1e-12, atol=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1), k=st.integers(1, 6), data=st.data())
def test_predictions_with_kmer_term_exactly_invariant_to_reverse_complement(seed, k, data):
    rng = np.random.default_rng(seed)
    m = random_model(rng, n_filters=2, width=3, rc_shared=True, kmer=k, palindromic=[1])
    seqs = data.draw(st.lists(st.text(IUPAC, min_size=3, max_size=40), min_size=1, max_size=5))
    rc = [reverse_complement(s) for s in seqs]
    assert np.array_equal(m.decision_function(seqs), m.decision_function(rc))


def test_without_rc_sharing_kmer_term_depends_on_strand():
    rng = np.random.default_rng(0)
    m = random_model(rng, n_filters=1, width=3, rc_shared=False, kmer=3)
    m.weights_[:] = 0.0  # only the k-mer term speaks
    seqs = [to_text(rng.integers(0, 4, 30)) for _ in range(10)]
    rc = [reverse_complement(s) for s in seqs]
    assert not np.allclose(m.decision_function(seqs), m.decision_function(rc))


def test_kmer_term_learns_an_enriched_kmer_and_is_deterministic():
    """Bound sequences carry extra copies of GATAA (or its RC): it tops the k-mer weights."""
    rng = np.random.default_rng(3)
    X = rng.integers(0, 4, (400, 40)).astype(np.uint8)
    y = np.arange(400) % 2
    site = np.array([2, 0, 3, 0, 0])
    for i in np.flatnonzero(y):
        for _ in range(2):
            s = site if rng.random() < 0.5 else 3 - site[::-1]
            p = rng.integers(0, 36)
            X[i, p:p + 5] = s
    kw = dict(n_filters=1, width=3, kmer=5, l2=1e-4, learning_rate=0.02, max_epochs=8,
              random_state=0)
    m = MotifCNN(**kw).fit(X, y)
    assert m.top_kmers(1)[0][0] == "GATAA"  # canonical name: GATAA < TTATC
    again = MotifCNN(**kw).fit(X, y)
    assert np.array_equal(m._pack(), again._pack())
    assert m.kmer_weights_.size == 512


def test_kmer_learning_rate_scales_only_the_kmer_steps():
    """One Adam step moves every parameter by about its learning rate (first step: m/sqrt(v) = ±1)."""
    rng = np.random.default_rng(5)
    X, y = plant(64, 20, rng, pwm=CTCF[4:10])
    kw = dict(n_filters=2, width=4, kmer=2, batch_size=64, max_epochs=1, validation_fraction=0,
              learning_rate=0.01, random_state=0)
    a = MotifCNN(**kw).fit(X, y)
    b = MotifCNN(**kw, kmer_learning_rate=0.001).fit(X, y)
    assert np.array_equal(a.free_, b.free_) and np.array_equal(a.weights_, b.weights_)
    moved = np.abs(b.kmer_weights_)  # k-mer weights start at 0
    assert np.all((moved > 0.0009) & (moved < 0.0011))
    np.testing.assert_allclose(np.abs(a.kmer_weights_), 10 * moved, rtol=1e-3)
    with pytest.raises(InvalidParameter, match="kmer_learning_rate"):
        MotifCNN(kmer=2, kmer_learning_rate=0.0).fit(X, y)


def test_save_load_round_trip_with_kmer_term(tmp_path):
    rng = np.random.default_rng(0)
    m = random_model(rng, n_filters=2, width=5, kmer=4, kmer_l2=1e-4, rc_shared=False)
    path = tmp_path / "m.json"
    m.save(path)
    back = MotifCNN.load(path)
    seqs = [to_text(rng.integers(0, 4, 20)) for _ in range(5)]
    assert np.array_equal(back.decision_function(seqs), m.decision_function(seqs))
    assert back.get_params() == m.get_params()
    assert np.array_equal(back.kmer_weights_, m.kmer_weights_)


def test_version_1_model_files_still_load(tmp_path):
    import json

    rng = np.random.default_rng(1)
    m = random_model(rng, n_filters=2, width=5)
    d = m.to_dict()
    d["version"] = 1
    del d["kmer_weights"], d["params"]["kmer"], d["params"]["kmer_l2"]
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(d))
    back = MotifCNN.load(path)
    assert back.kmer == 0 and back.kmer_weights_.size == 0
    seqs = [to_text(rng.integers(0, 4, 20)) for _ in range(3)]
    assert np.array_equal(back.decision_function(seqs), m.decision_function(seqs))


def test_kmer_parameter_errors():
    seqs, y = ["ACGTACGTACGTACGT", "TTGACGTACGTAAAGT"], [0, 1]
    with pytest.raises(InvalidParameter, match="kmer.*0..10"):
        MotifCNN(n_filters=1, width=4, kmer=11).fit(seqs, y)
    with pytest.raises(InvalidParameter, match="kmer.*0..10"):
        MotifCNN(n_filters=1, width=4, kmer=True).fit(seqs, y)
    with pytest.raises(InvalidParameter, match="kmer_l2"):
        MotifCNN(n_filters=1, width=4, kmer=3, kmer_l2=-1.0).fit(seqs, y)
    m = random_model(np.random.default_rng(0), n_filters=1, width=4)
    with pytest.raises(InvalidParameter, match="no k-mer term"):
        m.top_kmers()


def test_kmer_term_on_real_chip_seq_data(shared_data):
    """STAT3 ChIP-seq (train.data only): the k-mer term lifts a small CNN well above itself."""
    from pairhmm.motif.cnn import read_labeled, roc_auc

    folder = shared_data / "zeng2016_stat3" / "wgEncodeAwgTfbsSydhGm12878Stat3IggmusUniPk"
    _, X, y = read_labeled(folder / "train.data", fmt="tabular")
    fit, held = slice(0, 3000), slice(3000, 4500)
    kw = dict(n_filters=16, width=9, learning_rate=0.003, l2=1e-5, max_epochs=6, random_state=0)
    plain = MotifCNN(**kw).fit(X[fit], y[fit])
    with_kmers = MotifCNN(**kw, kmer=6, kmer_l2=3e-3).fit(X[fit], y[fit])
    auc_plain = roc_auc(y[held], plain.decision_function(X[held]))
    auc_kmers = roc_auc(y[held], with_kmers.decision_function(X[held]))
    assert auc_kmers >= 0.77 and auc_kmers >= auc_plain + 0.03  # measured 0.810 vs 0.720
    # the strongest k-mers include the ETS core GGAA (either strand) of B-cell enhancers
    assert any("GGAA" in u or "TTCC" in u for u, _ in with_kmers.top_kmers(10))
    seqs = X[held][:200]
    assert np.array_equal(with_kmers.decision_function(seqs),
                          with_kmers.decision_function([reverse_complement(s) for s in seqs]))
