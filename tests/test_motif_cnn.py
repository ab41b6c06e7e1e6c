"""Tests of the shared-weight motif CNN (pairhmm.motif.cnn)."""

from __future__ import annotations

import io
from collections import Counter

import numpy as np
import pytest
from Bio.Seq import reverse_complement
from hypothesis import given, settings
from hypothesis import strategies as st

from pairhmm.errors import AlphabetError, InputFormatError, InvalidParameter, ModelFileError, TrainingError
from pairhmm.motif.cnn import (
    MotifCNN, dinucleotide_shuffle, encode_batch, load_training_data, read_labeled, roc_auc,
)

# JASPAR MA0139.1 (CTCF, Homo sapiens), counts per position, rows A, C, G, T.
# Source: JASPAR CORE, https://jaspar.elixir.no/matrix/MA0139.1/ (CC BY 4.0).
CTCF_COUNTS = np.array([
    [87, 167, 281, 56, 8, 744, 40, 107, 851, 5, 333, 54, 12, 56, 104, 372, 82, 117, 402],
    [291, 145, 49, 800, 903, 13, 528, 433, 11, 0, 3, 12, 0, 8, 733, 13, 482, 322, 181],
    [76, 414, 449, 21, 0, 65, 334, 48, 32, 903, 566, 504, 890, 775, 5, 507, 307, 73, 266],
    [459, 187, 134, 36, 2, 91, 11, 324, 18, 3, 9, 341, 8, 71, 67, 17, 37, 396, 59],
], dtype=float).T
CTCF = CTCF_COUNTS / CTCF_COUNTS.sum(axis=1, keepdims=True)

IUPAC = "ACGTNRYSWKMBDHV"


# tiny kernels: thread start-up costs more than the work (see conftest.one_numba_thread)
pytestmark = pytest.mark.usefixtures("one_numba_thread")


# ------------------------------------------------------------------------------------ helpers
def random_model(rng, **kw) -> MotifCNN:
    """A MotifCNN with random (untrained) parameters."""
    m = MotifCNN(**kw)
    m._check_params()
    m.tying_ = m._make_tying()
    m._unpack(rng.normal(0, 0.7, m._n_theta()))
    m.feature_importance_ = m.weights_.copy()
    m.filter_importance_ = m.weights_.reshape(-1, m.n_filters).sum(axis=0)
    m.seq_length_ = 30
    m.history_, m.best_epoch_, m.best_epochs_ = [], 0, [0]
    return m


def naive_pooled(m: MotifCNN, seq: str) -> np.ndarray:
    """Slow reference: explicit soft one-hot matrices, the reverse strand built with Biopython."""
    member = {"A": "A", "C": "C", "G": "G", "T": "T", "N": "ACGT", "R": "AG", "Y": "CT", "S": "CG",
              "W": "AT", "K": "GT", "M": "AC", "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG"}

    def onehot(s):
        x = np.zeros((len(s), 4))
        for t, c in enumerate(s):
            for b in member[c]:
                x[t, "ACGT".index(b)] = 1 / len(member[c])
        return x

    strands = [onehot(seq)]
    if m.rc_shared:
        strands.append(onehot(reverse_complement(seq)))
    w = m.width
    act = (lambda v: np.maximum(v, 0)) if m.activation == "relu" else (lambda v: v)
    feats = []
    for pooling in m.pooling.split("+"):
        for k in range(m.n_filters):
            per_strand = np.array([[np.sum(m.filters_[k] * x[p:p + w])
                                    for p in range(len(seq) - w + 1)] for x in strands])
            scores = per_strand.ravel()
            b = m.filter_bias_[k]
            if pooling == "max" and m.rc_shared and m.strand_pooling == "mean":
                feats.append(act(per_strand.max(axis=1).mean() + b))
            elif pooling == "max":
                feats.append(act(scores.max() + b))
            elif pooling == "logsumexp":
                feats.append(act(np.log(np.sum(np.exp(scores))) + b))
            else:
                feats.append(np.mean(act(scores + b)))
    return np.array(feats)


def plant(n, L, rng, pwm=CTCF):
    """Random sequences; every odd one holds a site sampled from ``pwm`` on a random strand."""
    X = rng.integers(0, 4, (n, L)).astype(np.uint8)
    y = np.arange(n) % 2
    w = len(pwm)
    for i in np.flatnonzero(y):
        site = np.array([rng.choice(4, p=pwm[j]) for j in range(w)])
        if rng.random() < 0.5:
            site = 3 - site[::-1]
        p = rng.integers(0, L - w + 1)
        X[i, p:p + w] = site
    return X, y


def best_column_correlation(p, q, min_overlap=10):
    """Max over strand and offset of the Pearson correlation of the overlapping columns."""
    best = -1.0
    for cand in (p, p[::-1, ::-1]):
        for off in range(-(len(cand) - min_overlap), len(q) - min_overlap + 1):
            a0, b0 = max(0, -off), max(0, off)
            n = min(len(cand) - a0, len(q) - b0)
            if n >= min_overlap:
                best = max(best, np.corrcoef(cand[a0:a0 + n].ravel(), q[b0:b0 + n].ravel())[0, 1])
    return best


def to_text(codes):
    return "".join("ACGT"[c] for c in codes)


# ------------------------------------------------------------------------------- forward pass
FORWARD_POOLINGS = [("max", "linear"), ("logsumexp", "linear"), ("max", "relu"),
                    ("max+mean", "relu"), ("mean+logsumexp", "linear")]


# strand_pooling="mean" applies to max pooling with rc_shared only (refused otherwise)
@pytest.mark.parametrize("pooling,activation,rc,strand",
                         [(p, a, rc, "max") for p, a in FORWARD_POOLINGS for rc in (True, False)]
                         + [(p, a, True, "mean") for p, a in FORWARD_POOLINGS if "max" in p])
def test_pooled_activations_match_naive_reference(pooling, activation, rc, strand):
    rng = np.random.default_rng(3)
    m = random_model(rng, n_filters=3, width=5, rc_shared=rc, pooling=pooling, palindromic=[1],
                     activation=activation, strand_pooling=strand)
    seqs = ["".join(rng.choice(list(IUPAC), size=int(n), p=[.2] * 4 + [.2 / 11] * 11))
            for n in rng.integers(5, 25, 12)]
    got = m.transform(seqs)
    want = np.array([naive_pooled(m, s) for s in seqs])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# -------------------------------------------------------------------------- gradient checks
GRADIENT_POOLINGS = [("max", "linear"), ("logsumexp", "linear"), ("max", "relu"),
                     ("logsumexp", "relu"), ("max+mean", "relu")]


@pytest.mark.parametrize("pooling,activation,rc,palindromic,strand",
                         [(p, a, rc, pal, "max") for p, a in GRADIENT_POOLINGS
                          for rc, pal in ((False, False), (True, False), (True, [0, 2]), (False, True))]
                         + [(p, a, True, [0], "mean") for p, a in GRADIENT_POOLINGS if "max" in p])
def test_gradient_matches_finite_differences(pooling, activation, rc, palindromic, strand):
    """Every parameter type: shared filter weights, RC-tied, palindromic-tied, biases, output
    (and both strand poolings of max)."""
    rng = np.random.default_rng(7)
    m = random_model(rng, n_filters=3, width=6, rc_shared=rc, palindromic=palindromic,
                     pooling=pooling, activation=activation, l2=0.01, strand_pooling=strand)
    seqs = ["".join(rng.choice(list("ACGTN"), 20, p=[.24, .24, .24, .24, .04])) for _ in range(10)]
    data = encode_batch(seqs)
    y = np.arange(10) % 2
    batch = np.arange(10, dtype=np.int64)
    theta = m._pack()
    loss, grad = m._loss_grad(theta, data, batch, y)
    eps = 1e-6
    num = np.empty_like(theta)
    for j in range(theta.size):
        tp, tm = theta.copy(), theta.copy()
        tp[j] += eps
        tm[j] -= eps
        num[j] = (m._loss_grad(tp, data, batch, y, need_grad=False)[0]
                  - m._loss_grad(tm, data, batch, y, need_grad=False)[0]) / (2 * eps)
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-8)
    n_pal = len(m._palindromic_set())
    assert m.tying_.n_free == (3 - n_pal) * 6 * 4 + n_pal * 6 * 2


def test_gradient_with_dropout_mask_matches_finite_differences():
    rng = np.random.default_rng(9)
    m = random_model(rng, n_filters=4, width=5, activation="relu", dropout=0.5, pooling="mean+max")
    seqs = [to_text(rng.integers(0, 4, 15)) for _ in range(8)]
    data, y, batch = encode_batch(seqs), np.arange(8) % 2, np.arange(8, dtype=np.int64)
    mask = (rng.random((8, 8)) >= 0.5) / 0.5
    theta = m._pack()
    _, grad = m._loss_grad(theta, data, batch, y, mask=mask)
    num = np.empty_like(theta)
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = 1e-6
        num[j] = (m._loss_grad(theta + e, data, batch, y, False, mask)[0]
                  - m._loss_grad(theta - e, data, batch, y, False, mask)[0]) / 2e-6
    np.testing.assert_allclose(grad, num, rtol=1e-5, atol=1e-8)


# ---------------------------------------------------------------- reverse-complement symmetry
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2 ** 32 - 1),
       pooling=st.sampled_from(["max", "logsumexp", "mean", "max+mean+logsumexp"]),
       activation=st.sampled_from(["linear", "relu"]), width=st.integers(1, 8),
       strand=st.sampled_from(["max", "mean"]), data=st.data())
def test_predictions_exactly_invariant_to_reverse_complement(seed, pooling, activation, width,
                                                             strand, data):
    rng = np.random.default_rng(seed)
    m = random_model(rng, n_filters=3, width=width, rc_shared=True, pooling=pooling,
                     activation=activation, palindromic=[2],
                     strand_pooling=strand if "max" in pooling else "max")
    seqs = data.draw(st.lists(st.text(IUPAC, min_size=width, max_size=40), min_size=1, max_size=5))
    rc = [reverse_complement(s) for s in seqs]
    assert np.array_equal(m.transform(seqs), m.transform(rc))
    assert np.array_equal(m.decision_function(seqs), m.decision_function(rc))
    assert np.array_equal(m.predict_proba(seqs), m.predict_proba(rc))


def test_without_rc_sharing_predictions_depend_on_strand():
    rng = np.random.default_rng(0)
    m = random_model(rng, n_filters=2, width=4, rc_shared=False)
    seqs = [to_text(rng.integers(0, 4, 30)) for _ in range(10)]
    rc = [reverse_complement(s) for s in seqs]
    assert not np.allclose(m.decision_function(seqs), m.decision_function(rc))


def test_trained_model_is_rc_invariant_and_palindromic_filters_stay_palindromic():
    rng = np.random.default_rng(5)
    X, y = plant(300, 40, rng, pwm=CTCF[4:13])
    m = MotifCNN(n_filters=3, width=9, palindromic=[0, 1], max_epochs=4, random_state=0).fit(X, y)
    W = m.filters_
    for k in (0, 1):
        assert np.array_equal(W[k], W[k][::-1, ::-1])
    assert not np.allclose(W[2], W[2][::-1, ::-1])
    seqs = [to_text(s) for s in X[:50]]
    rc = [reverse_complement(s) for s in seqs]
    assert np.array_equal(m.predict_proba(seqs), m.predict_proba(rc))


# --------------------------------------------------------------------------------- training
def test_recovers_planted_ctcf_motif():
    rng = np.random.default_rng(1)
    X, y = plant(600, 50, rng)
    Xt, yt = plant(400, 50, rng)
    m = MotifCNN(n_filters=4, width=19, max_epochs=30, random_state=0).fit(X, y)
    assert m.score(Xt, yt) >= 0.95
    top = m.filter_order()[0]
    assert best_column_correlation(m.filter_pwm(top), CTCF) >= 0.9
    # the exported Bio.motifs object carries the same matrix (counts = p * n_sites)
    mot = m.to_motifs(n_sites=50)[0]
    got = np.array([mot.counts[b] for b in "ACGT"]).T
    np.testing.assert_allclose(got, 50 * m.filter_pwm(top))


def test_training_is_deterministic_and_thread_independent():
    rng = np.random.default_rng(2)
    X, y = plant(200, 40, rng, pwm=CTCF[4:13])
    a = MotifCNN(n_filters=3, width=8, max_epochs=3, random_state=4, n_jobs=1).fit(X, y)
    b = MotifCNN(n_filters=3, width=8, max_epochs=3, random_state=4, n_jobs=2).fit(X, y)
    c = MotifCNN(n_filters=3, width=8, max_epochs=3, random_state=5, n_jobs=1).fit(X, y)
    assert np.array_equal(a._pack(), b._pack())
    assert a.history_ == b.history_
    assert not np.array_equal(a._pack(), c._pack())


def test_early_stopping_keeps_best_epoch():
    rng = np.random.default_rng(2)
    X, y = plant(200, 30, rng, pwm=CTCF[4:13])
    m = MotifCNN(n_filters=2, width=8, max_epochs=40, patience=2, learning_rate=0.05,
                 random_state=0).fit(X, y)
    losses = [h["val_loss"] for h in m.history_]
    assert m.best_epoch_ == int(np.argmin(losses)) + 1
    assert len(m.history_) <= m.best_epoch_ + 2


def test_fit_with_combined_pooling_learns_planted_site():
    rng = np.random.default_rng(1)
    X, y = plant(600, 50, rng)
    Xt, yt = plant(400, 50, rng)
    m = MotifCNN(n_filters=4, width=19, pooling="max+mean", activation="relu", max_epochs=30,
                 random_state=0).fit(X, y)
    assert m.weights_.shape == (8,) and m.filter_importance_.shape == (4,)
    assert m.transform(Xt[:5]).shape == (5, 8)
    assert m.score(Xt, yt) >= 0.95


def test_data_initialisation_starts_from_bound_windows():
    rng = np.random.default_rng(3)
    X, y = plant(40, 20, rng, pwm=CTCF[4:13])
    m = MotifCNN(n_filters=3, width=6, init="data", init_scale=2.0, palindromic=[2])
    m.tying_ = m._make_tying()
    idx = np.arange(40, dtype=np.int64)
    theta = m._initial_theta(np.random.default_rng(0), encode_batch(X), y, idx)
    W = m.tying_.expand(theta[:m.tying_.n_free])
    windows = {tuple(x[p:p + 6]) for x in X[y == 1] for p in range(15)}
    for k in (0, 1):  # each ordinary filter is 2 * (one_hot - 0.25) of a bound window
        assert tuple(W[k].argmax(axis=1)) in windows
        np.testing.assert_allclose(np.sort(W[k], axis=1), np.tile([-0.5, -0.5, -0.5, 1.5], (6, 1)))
    np.testing.assert_array_equal(W[2], W[2][::-1, ::-1])


def test_reverse_complement_augmentation():
    from pairhmm.motif.cnn import _with_reverse_complements

    seqs = ["ACGTTNA", "GGR", "TTTACG"]
    codes, offsets = encode_batch(seqs)
    (c2, o2), y2, idx = _with_reverse_complements((codes, offsets), np.array([1, 0, 1]),
                                                  np.array([0, 2]))
    back = ["".join("ACGTNRYSWKMBDHV"[c] for c in c2[o2[i]:o2[i + 1]]) for i in range(6)]
    assert back == seqs + [reverse_complement(s) for s in seqs[::-1]]
    assert y2.tolist() == [1, 0, 1, 1, 0, 1] and idx.tolist() == [0, 2, 3, 5]
    rng = np.random.default_rng(2)
    X, y = plant(200, 30, rng, pwm=CTCF[4:13])
    m = MotifCNN(n_filters=2, width=8, rc_shared=False, augment_rc=True, max_epochs=2,
                 random_state=0).fit(X, y)
    assert len(m.history_) == 2 and np.isfinite(m.history_[-1]["val_loss"])


def test_conjoined_prediction_is_the_mean_over_both_strands():
    """``conjoin``: a strand-blind model's log-odds averaged over a sequence and its reverse
    complement, so predictions are exactly strand-invariant; the plain model (same parameters,
    conjoin off) is not, and its two answers average to the conjoined one."""
    rng = np.random.default_rng(5)
    X, y = plant(120, 30, rng, pwm=CTCF[4:13])
    seqs = [to_text(s) for s in X]
    seqs[0] = seqs[0][:10] + "NNRY" + seqs[0][14:]  # ambiguity codes complement too
    rc = [reverse_complement(s) for s in seqs]
    m = MotifCNN(n_filters=3, width=8, rc_shared=False, conjoin=True, kmer=3, max_epochs=3,
                 random_state=0).fit(seqs, y)
    z = m.decision_function(seqs)
    np.testing.assert_array_equal(z, m.decision_function(rc))
    d = m.to_dict()
    assert d["params"]["conjoin"] is True and MotifCNN.from_dict(d).conjoin
    d["params"]["conjoin"] = False
    plain = MotifCNN.from_dict(d)
    zf, zr = plain.decision_function(seqs), plain.decision_function(rc)
    assert np.abs(zf - zr).max() > 1e-3
    np.testing.assert_allclose(z, (zf + zr) / 2, rtol=0, atol=1e-12)
    with pytest.raises(InvalidParameter, match="rc_shared=False only"):
        MotifCNN(n_filters=2, width=6, conjoin=True).fit(seqs, y)


def test_explicit_validation_data_and_variable_lengths():
    rng = np.random.default_rng(8)
    X, y = plant(120, 30, rng, pwm=CTCF[4:13])
    seqs = [to_text(s[: 20 + i % 10]) for i, s in enumerate(X)]  # lengths 20..29
    m = MotifCNN(n_filters=2, width=6, max_epochs=2, random_state=0)
    m.fit(seqs[:100], y[:100], X_val=seqs[100:], y_val=y[100:])
    assert len(m.history_) == 2 and np.isfinite(m.history_[0]["val_auroc"])
    assert m.seq_length_ == 29


# ------------------------------------------------------------------------- export and report
def test_pwm_transform_and_trimming():
    rng = np.random.default_rng(0)
    m = random_model(rng, n_filters=2, width=6)
    W = m.filters_[1]
    p = m.filter_pwm(1, beta=2.0)
    want = np.exp(2 * W) / np.exp(2 * W).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(p, want)
    np.testing.assert_allclose(m.filter_pwm(1), m.filter_pwm(1, beta=abs(m.weights_[1])))
    full = m.to_motifs(filters=[1], beta=2.0)[0]
    trimmed = m.to_motifs(filters=[1], beta=2.0, trim=0.5)[0]
    ic = 2 + np.sum(p * np.log2(p), axis=1)
    keep = np.flatnonzero(ic >= 0.5)
    assert full.length == 6
    assert trimmed.length == (keep[-1] - keep[0] + 1 if keep.size else 1)
    with pytest.raises(InvalidParameter, match="filter"):
        m.filter_pwm(5)


def test_site_counts_export_matches_brute_force():
    rng = np.random.default_rng(4)
    m = random_model(rng, n_filters=2, width=4)
    seqs = [to_text(rng.integers(0, 4, 12)) for _ in range(30)]
    # brute force: best window of filter 1 on either strand, by explicit string scoring
    def score(s):
        return sum(m.filters_[1][i, "ACGT".index(c)] for i, c in enumerate(s))
    best = []
    for s in seqs:
        cands = [s[p:p + 4] for p in range(9)] + [reverse_complement(s)[p:p + 4] for p in range(9)]
        best.append(max(cands, key=score))
    sc = np.array([score(b) for b in best])
    thr = np.median(sc) + 0.5 * (sc.max() - np.median(sc))
    want = np.zeros((4, 4))
    for b, v in zip(best, sc):
        if v >= thr:
            for i, c in enumerate(b):
                want[i, "ACGT".index(c)] += 1
    np.testing.assert_allclose(m.filter_sites(seqs, 1), want)
    mot = m.to_motifs(filters=[1], sites=seqs)[0]
    np.testing.assert_allclose(np.array([mot.counts[b] for b in "ACGT"]).T, want)


def test_jaspar_export_reads_back_with_biopython():
    from Bio import motifs as bio_motifs

    rng = np.random.default_rng(0)
    m = random_model(rng, n_filters=3, width=5)
    handle = io.StringIO()
    m.write_motifs(handle, "jaspar")
    back = bio_motifs.parse(io.StringIO(handle.getvalue()), "jaspar")
    assert [b.name for b in back] == [f"filter{k}" for k in m.filter_order()]
    for b, k in zip(back, m.filter_order()):
        got = np.array([b.counts[x] for x in "ACGT"]).T
        np.testing.assert_allclose(got / got.sum(axis=1, keepdims=True), m.filter_pwm(k), atol=1e-3)


def test_parameter_counts():
    m = MotifCNN(n_filters=3, width=15, palindromic=[1])
    rows = m.parameter_counts(seq_length=101)
    assert [r["shared"] for r in rows] == [61, 31, 61]
    assert rows[0]["locally_connected"] == 87 * 61
    assert "| 1 | 15 | yes | 31 |" in m.parameter_report(101)
    with pytest.raises(InvalidParameter, match="seq_length"):
        m.parameter_counts()


def test_logo_png(tmp_path):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    m = random_model(rng, n_filters=2, width=5)
    paths = m.save_logos(tmp_path / "logos")
    assert len(paths) == 2
    for p in paths:
        assert open(p, "rb").read(8) == b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------------- save / load
def test_save_load_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    m = random_model(rng, n_filters=2, width=5, palindromic=[1], pooling="logsumexp")
    path = tmp_path / "m.json"
    m.save(path)
    back = MotifCNN.load(path)
    seqs = [to_text(rng.integers(0, 4, 20)) for _ in range(5)]
    assert np.array_equal(back.decision_function(seqs), m.decision_function(seqs))
    assert back.get_params() == m.get_params()


def test_bad_model_files(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        MotifCNN.load(p)
    p.write_text('{"format": "something else"}')
    with pytest.raises(ModelFileError, match="not a MotifCNN model"):
        MotifCNN.load(p)
    with pytest.raises(ModelFileError, match="no such model file"):
        MotifCNN.load(tmp_path / "missing.json")


# ------------------------------------------------------------------------------- bad input
def test_bad_input_errors():
    m = MotifCNN(n_filters=2, width=6, max_epochs=1)
    with pytest.raises(TrainingError, match="single class"):
        m.fit(["ACGTACGTAC"] * 4, [1, 1, 1, 1])
    with pytest.raises(InputFormatError, match="shorter than the filter width 6"):
        m.fit(["ACGTACGTAC", "ACG"], [1, 0])
    with pytest.raises(AlphabetError, match="'X' at position 3"):
        m.fit(["ACXTACGTAC", "ACGTACGTAC"], [1, 0])
    with pytest.raises(InvalidParameter, match="labels must be 0"):
        m.fit(["ACGTACGTAC", "ACGTACGTAC"], [1, 2])
    with pytest.raises(InvalidParameter, match="one label per sequence"):
        m.fit(["ACGTACGTAC", "ACGTACGTAC"], [1])
    with pytest.raises(InvalidParameter, match="pooling"):
        MotifCNN(pooling="max+max").fit(["ACGTACGTACGTACGT"] * 2, [0, 1])
    with pytest.raises(InvalidParameter, match="strand_pooling"):
        MotifCNN(strand_pooling="both").fit(["ACGTACGTACGTACGT"] * 2, [0, 1])
    with pytest.raises(InvalidParameter, match="strand-blind model has one"):
        MotifCNN(strand_pooling="mean", rc_shared=False).fit(["ACGTACGTACGTACGT"] * 2, [0, 1])
    with pytest.raises(InvalidParameter, match="changes max pooling only"):
        MotifCNN(strand_pooling="mean", pooling="logsumexp").fit(["ACGTACGTACGTACGT"] * 2, [0, 1])
    assert "strand_pooling='mean'" in repr(MotifCNN(strand_pooling="mean"))
    with pytest.raises(InvalidParameter, match="palindromic"):
        MotifCNN(n_filters=2, palindromic=[3]).fit(["ACGTACGTACGTACGT"] * 2, [0, 1])
    with pytest.raises(TrainingError, match="not trained"):
        MotifCNN().predict(["ACGT"])


# ------------------------------------------------------------------------------ data files
@settings(max_examples=60, deadline=None)
@given(seq=st.text("ACGTN", min_size=0, max_size=60), seed=st.integers(0, 2 ** 32 - 1))
def test_dinucleotide_shuffle_preserves_dinucleotides(seq, seed):
    out = dinucleotide_shuffle(seq, random_state=seed)
    assert len(out) == len(seq)
    assert Counter(zip(out, out[1:])) == Counter(zip(seq, seq[1:]))
    if seq:
        assert out[0] == seq[0] and out[-1] == seq[-1]
    assert dinucleotide_shuffle(seq, random_state=seed) == out


def test_dinucleotide_shuffle_is_uniform_over_all_valid_sequences():
    """Brute force: enumerate every sequence with the same first letter and dinucleotide counts."""
    from itertools import permutations

    from scipy.stats import chisquare

    seq = "AACGTACAGTA"
    target = Counter(zip(seq, seq[1:]))
    valid = set()
    for perm in set(permutations(seq[1:-1])):
        s = seq[0] + "".join(perm) + seq[-1]
        if Counter(zip(s, s[1:])) == target:
            valid.add(s)
    rng = np.random.default_rng(0)
    draws = Counter(dinucleotide_shuffle(seq, rng) for _ in range(600 * len(valid) // 10))
    assert set(draws) == valid
    assert len(valid) > 3
    assert chisquare([draws[s] for s in sorted(valid)]).pvalue > 1e-3


def test_dinucleotide_shuffle_int_array():
    codes = np.array([0, 1, 2, 3, 0, 0, 1, 4, 2], dtype=np.uint8)
    out = dinucleotide_shuffle(codes, random_state=1)
    assert out.dtype == np.uint8 and Counter(zip(out, out[1:])) == Counter(zip(codes, codes[1:]))


def test_read_labeled_formats(tmp_path):
    tab = tmp_path / "x.data"
    tab.write_text(">a ACGTAC 1\n>b GGGTTT 0\n")
    ids, seqs, y = read_labeled(tab)
    assert ids == ["a", "b"] and seqs == ["ACGTAC", "GGGTTT"] and y.tolist() == [1, 0]
    fa = tmp_path / "x.fa"
    fa.write_text(">a 1\nACGT\nAC\n>b 0\nGGGTTT\n")
    ids, seqs, y = read_labeled(fa)
    assert seqs == ["ACGTAC", "GGGTTT"] and y.tolist() == [1, 0]
    fa.write_text(">a 1\nACGT\n>b\nGGGTTT\n")
    with pytest.raises(InputFormatError, match="'b' \\(#2\\) has no label"):
        read_labeled(fa)
    tab.write_text(">a ACGTAC 1\n>b GGGTTT 2\n")
    with pytest.raises(InputFormatError, match="line 2: label must be 0 or 1, got '2'"):
        read_labeled(tab, fmt="tabular")
    empty = tmp_path / "empty.fa"
    empty.write_text("")
    with pytest.raises(InputFormatError, match="empty"):
        load_training_data(empty)


def test_load_training_data_modes(tmp_path):
    pos = tmp_path / "pos.fa"
    neg = tmp_path / "neg.fa"
    pos.write_text(">p1\nACGTACGTTT\n>p2\nGGGACCCATT\n")
    neg.write_text(">n1\nTTTTACGTAA\n")
    ids, seqs, y = load_training_data(pos, neg)
    assert ids == ["p1", "p2", "n1"] and y.tolist() == [1, 1, 0]
    ids, seqs, y = load_training_data(pos, random_state=3)
    assert ids[2:] == ["p1_shuf", "p2_shuf"] and y.tolist() == [1, 1, 0, 0]
    assert sorted(seqs[2]) == sorted(seqs[0])
    assert load_training_data(pos, random_state=3)[1] == seqs


def test_roc_auc_matches_brute_force():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50)
    s = rng.integers(0, 5, 50).astype(float)  # with ties
    pairs = [(1.0 if a > b else 0.5 if a == b else 0.0) for a, ya in zip(s, y) for b, yb in zip(s, y)
             if ya == 1 and yb == 0]
    assert roc_auc(y, s) == pytest.approx(np.mean(pairs))


def test_docs_and_docstring_examples_run():
    import doctest
    from pathlib import Path

    import pairhmm.motif.cnn as mod

    doc = Path(__file__).resolve().parent.parent / "docs" / "motif-learning.md"
    assert doctest.testfile(str(doc), module_relative=False).failed == 0
    assert doctest.testmod(mod).failed == 0
