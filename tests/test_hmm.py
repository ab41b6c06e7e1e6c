"""TiedHMM against hmmlearn, brute force, textbook values, and invariants."""

from __future__ import annotations

import itertools
import json
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pairhmm import encode
from pairhmm.errors import AlphabetError, InvalidParameter, ModelFileError, TrainingError
from pairhmm.hmm import LikelihoodDecreaseWarning, TiedHMM, likelihood_ratio_test, resolve_alphabet

DICE = resolve_alphabet("123456")

hmmlearn_hmm = pytest.importorskip("hmmlearn.hmm")


def _random_params(rng, K, M):
    return (rng.dirichlet(np.ones(K)), rng.dirichlet(np.ones(K), K), rng.dirichlet(np.ones(M), K))


def _set(model, start, trans, emis):
    model.startprob_, model.transmat_, model.emissionprob_ = start.copy(), trans.copy(), emis.copy()
    return model


def _joint_logprob(start, trans, emis, path, x):
    v = np.log(start[path[0]]) + np.log(emis[path[0], x[0]])
    for t in range(1, len(x)):
        v += np.log(trans[path[t - 1], path[t]]) + np.log(emis[path[t], x[t]])
    return v


# ------------------------------------------------------------------------------ hmmlearn, untied
@pytest.mark.parametrize("impl", ["log", "scaling"])
def test_untied_matches_hmmlearn(impl):
    rng = np.random.default_rng(0)
    K, M = 3, 4
    params = _random_params(rng, K, M)
    X = rng.integers(0, M, 400)
    lengths = [120, 200, 80]
    for n_iter in (1, 10):
        h = _set(hmmlearn_hmm.CategoricalHMM(K, n_iter=n_iter, tol=-np.inf, init_params="",
                                              implementation=impl, n_features=M), *params)
        m = _set(TiedHMM(K, M, n_iter=n_iter, tol=-np.inf, init_params=""), *params)
        assert m.score(X, lengths) == pytest.approx(h.score(X[:, None], lengths), abs=1e-8)
        np.testing.assert_allclose(m.predict_proba(X, lengths),
                                   h.predict_proba(X[:, None], lengths), atol=1e-8)
        lp_h, path_h = h.decode(X[:, None], lengths)
        lp_m, path_m = m.decode(X, lengths)
        assert lp_m == pytest.approx(lp_h, abs=1e-8)
        # exact ties between paths are possible (a cycle of states over repeated symbols):
        # where the paths differ they must have the same joint probability
        if not np.array_equal(path_m, path_h):
            for lo, hi in ((0, 120), (120, 320), (320, 400)):
                assert _joint_logprob(*params, path_m[lo:hi], X[lo:hi]) == pytest.approx(
                    _joint_logprob(*params, path_h[lo:hi], X[lo:hi]), abs=1e-9)
        h.fit(X[:, None], lengths)
        m.fit(X, lengths)
        np.testing.assert_allclose(m.startprob_, h.startprob_, atol=1e-8)
        np.testing.assert_allclose(m.transmat_, h.transmat_, atol=1e-8)
        np.testing.assert_allclose(m.emissionprob_, h.emissionprob_, atol=1e-8)
        np.testing.assert_allclose(m.monitor_.history, list(h.monitor_.history), atol=1e-8)


def test_viterbi_path_matches_hmmlearn_two_states():
    rng = np.random.default_rng(5)
    params = _random_params(rng, 2, 4)
    X = rng.integers(0, 4, 500)
    h = _set(hmmlearn_hmm.CategoricalHMM(2, init_params="", n_features=4), *params)
    m = _set(TiedHMM(2, 4, init_params=""), *params)
    np.testing.assert_array_equal(m.predict(X), h.predict(X[:, None]))
    lp, path = m.decode(X, algorithm="map")
    np.testing.assert_array_equal(path, h.decode(X[:, None], algorithm="map")[1])


# ------------------------------------------------------------------------------ tied, brute force
def _brute_force_counts(start, trans, emis, x):
    """Expected counts by enumerating every state path (the naive reference)."""
    K, M = emis.shape
    T = len(x)
    s_c, t_c, e_c = np.zeros(K), np.zeros((K, K)), np.zeros((K, M))
    total = 0.0
    for path in itertools.product(range(K), repeat=T):
        p = np.exp(_joint_logprob(start, trans, emis, path, x)) if all(
            trans[path[t - 1], path[t]] > 0 for t in range(1, T)) and start[path[0]] > 0 else 0.0
        total += p
        s_c[path[0]] += p
        for t in range(T):
            e_c[path[t], x[t]] += p
            if t:
                t_c[path[t - 1], path[t]] += p
    return s_c / total, t_c / total, e_c / total, np.log(total)


def test_tied_one_iteration_equals_brute_force():
    rng = np.random.default_rng(1)
    K, M = 4, 3
    labels = np.array([[0, 1, -1, -1],
                       [-1, 0, 1, -1],
                       [-1, -1, 0, 1],
                       [2, 3, -1, 3]])  # rows 0-2: shared self-loop 0 / advance 1; row 3: own class
    groups = [[0, 2], [1, 3]]
    start = rng.dirichlet(np.ones(K))
    trans = np.zeros((K, K))
    trans[labels == 0], trans[labels == 1] = 0.6, 0.4
    trans[3] = [0.2, 0.4, 0, 0.4]
    e0, e1 = rng.dirichlet(np.ones(M)), rng.dirichlet(np.ones(M))
    emis = np.array([e0, e1, e0, e1])
    seqs = [rng.integers(0, M, 6), rng.integers(0, M, 5)]
    S, T, E, ll = np.zeros(K), np.zeros((K, K)), np.zeros((K, M)), 0.0
    for x in seqs:
        s, t, e, l_ = _brute_force_counts(start, trans, emis, x)
        S, T, E, ll = S + s, T + t, E + e, ll + l_
    m = _set(TiedHMM(K, M, emission_ties=groups, transition_labels=labels, n_iter=1,
                     init_params=""), start, trans, emis)
    assert m.score(seqs[0]) + m.score(seqs[1]) == pytest.approx(ll, abs=1e-10)
    m.fit(seqs)
    # naive M-step: sum counts by group, normalise
    exp_start = S / S.sum()
    n0, n1 = sum(T[r, r] for r in range(3)), sum(T[r, r + 1] for r in range(3))
    exp_trans = np.zeros((K, K))
    exp_trans[labels == 0], exp_trans[labels == 1] = n0 / (n0 + n1), n1 / (n0 + n1)
    n2, n3 = T[3, 0], T[3, 1] + T[3, 3]
    exp_trans[3] = [n2 / (n2 + n3), n3 / (2 * (n2 + n3)), 0, n3 / (2 * (n2 + n3))]  # m_3 = 2
    exp_emis = np.zeros((K, M))
    for g in groups:
        pooled = E[g].sum(axis=0)
        exp_emis[g] = pooled / pooled.sum()
    np.testing.assert_allclose(m.startprob_, exp_start, atol=1e-12)
    np.testing.assert_allclose(m.transmat_, exp_trans, atol=1e-12)
    np.testing.assert_allclose(m.emissionprob_, exp_emis, atol=1e-12)


@st.composite
def _random_structure(draw):
    """Random emission groups and a random label matrix obeying the row-class rule."""
    K = draw(st.integers(2, 3))
    rows = list(range(K))
    order = draw(st.permutations(rows))
    cuts = sorted(draw(st.sets(st.integers(1, K - 1), max_size=K - 1)))
    classes = [list(order[a:b]) for a, b in zip([0, *cuts], [*cuts, K])]
    labels = -np.ones((K, K), dtype=int)
    next_label = 0
    for cls in classes:
        n_lab = draw(st.integers(1, K))
        pattern = [next_label + draw(st.integers(0, n_lab - 1)) for _ in range(K)]
        pattern[:n_lab] = range(next_label, next_label + n_lab)  # every label used
        n_dead = draw(st.integers(0, K - n_lab))
        pattern[K - n_dead:] = [-1] * n_dead if n_dead else []
        pattern = [v for v in pattern if v >= 0] + [-1] * (K - len([v for v in pattern if v >= 0]))
        for r in cls:
            labels[r] = draw(st.permutations(pattern))
        next_label += n_lab
    groups = [list(g) for g in (order[:2],)] if draw(st.booleans()) else []
    seed = draw(st.integers(0, 2**31 - 1))
    return K, labels, groups, seed


def _naive_one_iteration(start, trans, emis, seqs, labels, groups, member):
    """One Baum-Welch iteration by brute force: enumerate state paths and the letters behind each
    ambiguity code, sum counts by label / emission group, normalise by the row-class formula."""
    K, M = emis.shape
    S, T, E = np.zeros(K), np.zeros((K, K)), np.zeros((K, M))
    for x in seqs:
        choices = [np.flatnonzero(member[c]) for c in x]
        tot = 0.0
        s_c, t_c, e_c = np.zeros(K), np.zeros((K, K)), np.zeros((K, M))
        for path in itertools.product(range(K), repeat=len(x)):
            for letters in itertools.product(*choices):
                p = start[path[0]] * emis[path[0], letters[0]]
                for t in range(1, len(x)):
                    p *= trans[path[t - 1], path[t]] * emis[path[t], letters[t]]
                tot += p
                s_c[path[0]] += p
                for t in range(len(x)):
                    e_c[path[t], letters[t]] += p
                    if t:
                        t_c[path[t - 1], path[t]] += p
        S, T, E = S + s_c / tot, T + t_c / tot, E + e_c / tot
    new_t = np.zeros((K, K))
    for r in range(K):
        cls = [q for q in range(K) if sorted(labels[q]) == sorted(labels[r])]
        N = sum(T[q, labels[q] >= 0].sum() for q in cls)
        for j in range(K):
            lab = labels[r, j]
            if lab >= 0:
                n_l = sum(T[q, labels[q] == lab].sum() for q in cls)
                new_t[r, j] = n_l / (np.sum(labels[r] == lab) * N)
    new_e = E / E.sum(axis=1, keepdims=True)
    for g in groups:
        pooled = E[g].sum(axis=0)
        new_e[g] = pooled / pooled.sum()
    return S / S.sum(), new_t, new_e


@settings(max_examples=20, deadline=None)
@given(_random_structure())
def test_tied_iteration_equals_brute_force_random_structures(structure):
    from pairhmm import DNA

    K, labels, groups, seed = structure
    rng = np.random.default_rng(seed)
    start = rng.dirichlet(np.ones(K))
    trans = np.zeros((K, K))
    for lab in np.unique(labels[labels >= 0]):  # tied start values satisfying each row class
        trans[labels == lab] = rng.uniform(0.2, 1.0)
    trans /= trans.sum(axis=1, keepdims=True)
    emis = rng.dirichlet(np.ones(4), K)
    for g in groups:
        emis[g] = emis[g[0]]
    seqs = [rng.integers(0, 5, rng.integers(2, 5)) for _ in range(2)]  # code 4 = N
    m = _set(TiedHMM(K, 4, emission_ties=groups, transition_labels=labels, alphabet="dna",
                     n_iter=1, init_params=""), start, trans, emis)
    m.fit(seqs)
    exp_s, exp_t, exp_e = _naive_one_iteration(start, trans, emis, seqs, labels, groups,
                                               DNA.membership())
    np.testing.assert_allclose(m.startprob_, exp_s, atol=1e-12)
    np.testing.assert_allclose(m.transmat_, exp_t, atol=1e-12)
    np.testing.assert_allclose(m.emissionprob_, exp_e, atol=1e-12)


# ------------------------------------------------------------------------------ textbook values
def _read_kv(path):
    out = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, *rest = line.split()
            out.setdefault(key, []).append(rest)
    return out


def test_wikipedia_umbrella(shared_data):
    d = _read_kv(shared_data / "hmm_textbook" / "wikipedia_forward_backward_expected.txt")
    m = TiedHMM(2, 2, init_params="")
    m.startprob_ = np.array([float(v) for v in d["start"][0]])
    m.transmat_ = np.array([[0.7, 0.3], [0.3, 0.7]])
    m.emissionprob_ = np.array([[0.9, 0.1], [0.2, 0.8]])  # symbol 0 = umbrella, 1 = no umbrella
    x = np.array([0, 0, 1, 0, 0])
    assert m.score(x) == pytest.approx(float(d["loglik_forward"][0][0]), abs=5e-5)
    post = np.array([[float(v) for v in p.split()] for p in " ".join(d["posterior"][0]).split("|")])
    np.testing.assert_allclose(m.predict_proba(x), post, atol=5e-5)
    lp, path = m.decode(x)
    assert path.tolist() == [int(v) for v in d["viterbi_path"][0]] == [0, 0, 1, 0, 0]
    assert lp == pytest.approx(float(d["viterbi_logprob"][0][0]), abs=5e-5)


def _casino_model():
    m = TiedHMM(2, 6, init_params="", alphabet="123456")
    m.startprob_ = np.array([0.5, 0.5])
    m.transmat_ = np.array([[0.95, 0.05], [0.10, 0.90]])
    m.emissionprob_ = np.array([[1 / 6] * 6, [0.1] * 5 + [0.5]])
    return m


def test_bioperl_casino(shared_data):
    d = _read_kv(shared_data / "hmm_textbook" / "bioperl_casino_expected.txt")
    seq1 = encode(d["seq1"][0][0], DICE)
    obs1 = np.array([0 if c == "F" else 1 for c in d["obs1"][0][0]])
    # supervised counts on seq1/obs1 give BioPerl's trained model (printed to 6 digits)
    trained = TiedHMM(2, 6, init_params="")
    trained.startprob_ = np.array([1.0, 0.0])
    trained.transmat_ = np.array([[float(v) for v in d["trans"][0][1::2][:2]],
                                  [float(v) for v in d["trans"][0][1::2][2:]]])
    trained.transmat_ /= trained.transmat_.sum(axis=1, keepdims=True)
    trained.emissionprob_ = np.array([[float(v) for v in d["emit_F"][0]],
                                      [float(v) for v in d["emit_L"][0]]])
    trained.emissionprob_ /= trained.emissionprob_.sum(axis=1, keepdims=True)
    for s, row in enumerate(trained.emissionprob_):
        counts = np.bincount(seq1[obs1 == s], minlength=6)
        np.testing.assert_allclose(row, counts / counts.sum(), atol=1e-6)
    path = trained.predict(seq1)
    expected = np.array([0 if c == "F" else 1 for c in d["viterbi_seq1"][0][0]])
    np.testing.assert_array_equal(path, expected)
    # Baum-Welch from a uniform start stays at the symmetric fixed point: both emission rows =
    # the symbol frequencies of seq1 (BioPerl's printed values)
    bw = TiedHMM(2, 6, init_params="", n_iter=20)
    bw.startprob_, bw.transmat_ = np.full(2, 0.5), np.full((2, 2), 0.5)
    bw.emissionprob_ = np.full((2, 6), 1 / 6)
    bw.fit(seq1)
    bioperl_rows = [0.133333, 0.143333, 0.163333, 0.123333, 0.143333, 0.293333]
    np.testing.assert_allclose(bw.emissionprob_, [bioperl_rows] * 2, atol=1e-6)


def test_durbin_casino_viterbi_recovers_loaded_die(shared_data):
    d = _read_kv(shared_data / "hmm_textbook" / "durbin_casino_300.txt")
    rolls = encode("".join(r[0] for r in d["Rolls"]), DICE)
    die = np.array([c == "L" for c in "".join(r[0] for r in d["Die"])], dtype=int)
    m = _casino_model()
    path = m.predict(rolls)
    h = _set(hmmlearn_hmm.CategoricalHMM(2, init_params="", n_features=6),
             m.startprob_, m.transmat_, m.emissionprob_)
    np.testing.assert_array_equal(path, h.predict(rolls[:, None]))
    assert np.mean(path == die) > 0.8  # Durbin Fig. 3.5: Viterbi finds the loaded stretches


# ------------------------------------------------------------------------------ invariants
@st.composite
def _tied_problem(draw):
    K = draw(st.integers(2, 4))
    M = draw(st.integers(2, 4))
    n_groups = draw(st.integers(0, K // 2))
    groups = [[2 * i, 2 * i + 1] for i in range(n_groups)]
    chain = draw(st.booleans())
    if chain:  # shared self-loop along a cyclic chain
        labels = -np.ones((K, K), dtype=int)
        for r in range(K):
            labels[r, r], labels[r, (r + 1) % K] = 0, 1
    else:
        labels = None
    seed = draw(st.integers(0, 2**31 - 1))
    lengths = draw(st.lists(st.integers(1, 30), min_size=1, max_size=4))
    return K, M, groups, labels, seed, lengths


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_tied_problem())
def test_em_invariants(problem):
    K, M, groups, labels, seed, lengths = problem
    rng = np.random.default_rng(seed)
    X = rng.integers(0, M, sum(lengths))
    m = TiedHMM(K, M, emission_ties=groups, transition_labels=labels, n_iter=8, tol=-np.inf,
                random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LikelihoodDecreaseWarning)
        m.fit(X, lengths)
    h = np.array(m.monitor_.history)
    assert np.all(np.diff(h) >= -1e-9 * np.abs(h[:-1]).clip(1))  # never decreases
    for g in groups:  # tied parameters stay equal (exactly: one stored number)
        assert np.array_equal(m.emissionprob_[g[0]], m.emissionprob_[g[1]])
    if labels is not None:
        assert len(set(np.diag(m.transmat_).tolist())) == 1
    np.testing.assert_allclose(m.transmat_.sum(axis=1), 1, atol=1e-12)
    np.testing.assert_allclose(m.emissionprob_.sum(axis=1), 1, atol=1e-12)
    assert m.startprob_.sum() == pytest.approx(1, abs=1e-12)
    assert np.all(m.transmat_[labels == -1] == 0) if labels is not None else True


def test_monitor_warns_when_objective_falls():
    from pairhmm.hmm import ConvergenceMonitor

    mon = ConvergenceMonitor(tol=1e-3, n_iter=10)
    mon.report(-10.0)
    mon.report(-9.0)
    assert not mon.converged
    with pytest.warns(LikelihoodDecreaseWarning, match="decreased at iteration 3"):
        mon.report(-9.5)
    assert mon.history == [-10.0, -9.0, -9.5] and mon.converged


def test_sample_then_fit_recovers_parameters():
    # cyclic chain 0 -> 1 -> 2 -> 0 with one shared self-loop; states 0 and 2 share emissions
    labels = [[0, 1, -1], [-1, 0, 1], [1, -1, 0]]
    trans = np.array([[0.8, 0.2, 0], [0, 0.8, 0.2], [0.2, 0, 0.8]])
    emis = np.array([[0.6, 0.2, 0.1, 0.1], [0.1, 0.1, 0.2, 0.6], [0.6, 0.2, 0.1, 0.1]])
    kw = dict(emission_ties=[[0, 2]], transition_labels=labels, init_params="")
    truth = _set(TiedHMM(3, 4, **kw), np.full(3, 1 / 3), trans, emis)
    x, states = truth.sample(30_000, random_state=3)
    assert np.bincount(states, minlength=3) / states.size == pytest.approx([1 / 3] * 3, abs=0.03)
    m = _set(TiedHMM(3, 4, **kw, n_iter=300, tol=1e-7), np.full(3, 1 / 3),
             np.array([[0.5, 0.5, 0], [0, 0.5, 0.5], [0.5, 0, 0.5]]),
             np.array([[0.4, 0.3, 0.2, 0.1], [0.2, 0.2, 0.3, 0.3], [0.4, 0.3, 0.2, 0.1]]))
    m.fit(x)
    np.testing.assert_allclose(m.transmat_, trans, atol=0.02)
    np.testing.assert_allclose(m.emissionprob_, emis, atol=0.02)


def test_parallel_kernels_identical_to_serial():
    import numba

    from pairhmm._kernels import hmm as K_

    rng = np.random.default_rng(2)
    start, trans, emis = _random_params(rng, 3, 4)
    lengths = rng.integers(1, 200, 300)
    x = rng.integers(0, 4, lengths.sum()).astype(np.uint8)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    table = np.ascontiguousarray(emis.T)
    logs = (np.log(start), np.log(trans), np.log(table))
    before = numba.get_num_threads()
    try:
        for n in sorted({1, numba.config.NUMBA_NUM_THREADS}):
            numba.set_num_threads(n)
            for a, b in zip(K_.estep(x, offsets, start, trans, table),
                            K_.estep_serial(x, offsets, start, trans, table)):
                assert np.array_equal(a, b)
            for a, b in zip(K_.posteriors(x, offsets, start, trans, table),
                            K_.posteriors_serial(x, offsets, start, trans, table)):
                assert np.array_equal(a, b)
            assert np.array_equal(K_.loglik(x, offsets, start, trans, table),
                                  K_.loglik_serial(x, offsets, start, trans, table))
            for a, b in zip(K_.viterbi(x, offsets, *logs), K_.viterbi_serial(x, offsets, *logs)):
                assert np.array_equal(a, b)
    finally:
        numba.set_num_threads(before)
    # the O(K)-memory forward pass gives exactly the forward-backward log-likelihood
    assert np.array_equal(K_.loglik_serial(x, offsets, start, trans, table),
                          K_.posteriors_serial(x, offsets, start, trans, table)[0])


def test_long_sequence_does_not_underflow():
    m = _casino_model()
    x, _ = m.sample(200_000, random_state=0)
    ll = m.score(x)
    assert np.isfinite(ll) and ll < -1e5
    assert np.isfinite(m.decode(x)[0])


# ------------------------------------------------------------------------------ features
def test_duration_chain_example(data_dir):
    m = TiedHMM.load(data_dir / "hmm" / "duration_chain.json")
    loop = m.transmat_[np.asarray(m.transition_labels) == 2]
    assert loop.size >= 3 and np.all(loop == loop[0])
    x, _ = m.sample(5000, random_state=1)
    m.init_params = "e"
    m.fit(x)
    loop = m.transmat_[np.asarray(m.transition_labels) == 2]
    assert np.all(loop == loop[0])


def test_decoding_a_zero_probability_sequence_is_an_error():
    """A symbol no state emits (maximum-likelihood fit on data without it) makes a sequence
    impossible: decoding raises, naming the sequence and the symbol, instead of returning an
    arbitrary path; score reports log-likelihood -inf."""
    from pairhmm import TiedHMM, ZeroProbabilityError

    m = TiedHMM(2, 4, alphabet="dna", n_iter=20, random_state=1)
    train = encode("ACACACACAGGGACACACAC", "dna")
    m.fit(train)
    assert m.emissionprob_[:, 3].max() == 0.0  # T never seen
    bad = encode("ACGTTT", "dna")
    for algorithm in ("viterbi", "map"):
        with pytest.raises(ZeroProbabilityError, match=r"sequence #2 .* no state emits T"):
            m.decode(np.concatenate([train, bad]), lengths=[train.size, bad.size],
                     algorithm=algorithm)
    with pytest.raises(ZeroProbabilityError, match="sequence #1"):
        m.predict_proba(bad)
    assert m.score(bad) == -np.inf
    assert m.decode(train)[1].shape == train.shape


def test_ambiguity_code_is_exact_marginal():
    rng = np.random.default_rng(4)
    start, trans, emis = _random_params(rng, 3, 4)
    m = _set(TiedHMM(3, 4, alphabet="dna", init_params=""), start, trans, emis)
    x = encode("ACGNTA", "dna")
    total = sum(np.exp(m.score(encode(f"ACG{a}TA", "dna"))) for a in "ACGT")
    assert m.score(x) == pytest.approx(np.log(total), rel=1e-12)
    m.n_iter = 3
    m.fit(encode("ACGNNTTAGRYCAN", "dna"))
    np.testing.assert_allclose(m.emissionprob_.sum(axis=1), 1, atol=1e-12)


def test_freeze_masks_and_params():
    rng = np.random.default_rng(6)
    params = _random_params(rng, 3, 4)
    frozen = np.zeros((3, 4), dtype=bool)
    frozen[0, 1] = True
    m = _set(TiedHMM(3, 4, init_params="", params="te", emissionprob_frozen=frozen, n_iter=5),
             *params)
    m.fit(rng.integers(0, 4, 200))
    assert m.emissionprob_[0, 1] == params[2][0, 1]
    np.testing.assert_array_equal(m.startprob_, params[0])
    np.testing.assert_allclose(m.emissionprob_.sum(axis=1), 1, atol=1e-12)
    assert not np.allclose(m.emissionprob_[0], params[2][0])


def test_frozen_entry_leaves_remaining_mass_to_the_counts():
    rng = np.random.default_rng(9)
    params = _random_params(rng, 3, 4)
    X = rng.integers(0, 4, 300)
    free = _set(TiedHMM(3, 4, n_iter=1, init_params=""), *params).fit(X)
    frozen = np.zeros((3, 3), dtype=bool)
    frozen[0, 1] = True
    m = _set(TiedHMM(3, 4, n_iter=1, init_params="", transmat_frozen=frozen), *params).fit(X)
    f = params[1][0, 1]
    n00, n02 = free.transmat_[0, 0], free.transmat_[0, 2]  # proportional to the expected counts
    np.testing.assert_allclose(m.transmat_[0], [(1 - f) * n00 / (n00 + n02), f,
                                                (1 - f) * n02 / (n00 + n02)], atol=1e-14)
    np.testing.assert_allclose(m.transmat_[1:], free.transmat_[1:], atol=1e-14)


def test_dirichlet_prior_matches_hmmlearn():
    rng = np.random.default_rng(7)
    params = _random_params(rng, 2, 4)
    X = rng.integers(0, 4, 100)
    h = _set(hmmlearn_hmm.CategoricalHMM(2, n_iter=3, tol=-np.inf, init_params="", n_features=4,
                                         transmat_prior=2.0, emissionprob_prior=3.0,
                                         startprob_prior=1.5), *params)
    m = _set(TiedHMM(2, 4, n_iter=3, tol=-np.inf, init_params="", transmat_prior=2.0,
                     emissionprob_prior=3.0, startprob_prior=1.5), *params)
    h.fit(X[:, None])
    m.fit(X)
    np.testing.assert_allclose(m.transmat_, h.transmat_, atol=1e-10)
    np.testing.assert_allclose(m.emissionprob_, h.emissionprob_, atol=1e-10)


def test_soft_tying_tends_to_hard_tying():
    """Hard tying is the limit of soft tying: the gap to the tied fit shrinks like 1/strength."""
    gen = _set(TiedHMM(3, 4, init_params=""), np.full(3, 1 / 3),
               np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]]),
               np.array([[0.5, 0.3, 0.1, 0.1], [0.3, 0.5, 0.1, 0.1], [0.1, 0.1, 0.4, 0.4]]))
    X, _ = gen.sample(600, random_state=8)
    init = (np.full(3, 1 / 3), np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.1, 0.1, 0.8]]),
            np.array([[0.3, 0.3, 0.2, 0.2]] * 2 + [[0.2, 0.2, 0.3, 0.3]]))
    kw = dict(emission_ties=[[0, 1]], n_iter=15, tol=-np.inf, init_params="")
    hard = _set(TiedHMM(3, 4, **kw), *init).fit(X)
    untied = _set(TiedHMM(3, 4, **kw, soft_tie_strength=0.0), *init).fit(X)
    ref = _set(TiedHMM(3, 4, **{**kw, "emission_ties": None}), *init).fit(X)
    np.testing.assert_allclose(untied.emissionprob_, ref.emissionprob_, atol=1e-12)
    gaps, spreads = [], []
    for lam in (1.0, 10.0, 100.0, 1e3, 1e4, 1e6):
        soft = _set(TiedHMM(3, 4, **kw, soft_tie_strength=lam), *init).fit(X)
        gaps.append(np.abs(soft.emissionprob_ - hard.emissionprob_).max())
        spreads.append(np.abs(soft.emissionprob_[0] - soft.emissionprob_[1]).max())
    assert all(b < a for a, b in zip(spreads, spreads[1:]))  # tied values pulled together
    assert all(b < a for a, b in zip(gaps, gaps[1:]))        # ... towards the hard-tied fit
    assert gaps[0] > 1e-3 and gaps[-1] < 1e-6
    assert gaps[4] * 1e4 == pytest.approx(gaps[5] * 1e6, rel=0.05)  # O(1/strength)
    # the same for transition labels: one self-loop probability shared by all states
    gen.transmat_ = np.array([[0.95, 0.03, 0.02], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])
    X, _ = gen.sample(2000, random_state=9)
    labels = [[0, 1, 1], [1, 0, 1], [1, 1, 0]]
    kw = dict(transition_labels=labels, n_iter=15, tol=-np.inf, init_params="")
    init_t = (init[0], np.array([[0.7, 0.15, 0.15], [0.15, 0.7, 0.15], [0.15, 0.15, 0.7]]),
              np.array([[0.5, 0.3, 0.1, 0.1], [0.3, 0.5, 0.1, 0.1], [0.1, 0.1, 0.4, 0.4]]))
    hard = _set(TiedHMM(3, 4, **kw), *init_t).fit(X)
    spreads = []
    for lam in (0.0, 10.0, 1e3, 1e8):
        soft = _set(TiedHMM(3, 4, **kw, soft_tie_strength=lam), *init_t).fit(X)
        spreads.append(np.ptp(np.diag(soft.transmat_)))
        np.testing.assert_allclose(soft.transmat_.sum(axis=1), 1, atol=1e-12)
    assert all(b < a for a, b in zip(spreads, spreads[1:])) and spreads[0] > 1e-2
    np.testing.assert_allclose(soft.transmat_, hard.transmat_, atol=1e-6)


def test_n_parameters_and_lr_test():
    labels = [[0, 1, -1], [-1, 0, 1], [1, -1, 0]]
    m = TiedHMM(3, 4, emission_ties=[[1, 2]], transition_labels=labels, random_state=0, n_iter=20)
    assert m.n_parameters() == 2 + 1 + 2 * 3
    assert m.untied().n_parameters() == 2 + 3 * 1 + 3 * 3
    x, _ = m.fit(np.random.default_rng(0).integers(0, 4, 300)).sample(300, random_state=1)
    m.fit(x)
    res = m.compare_untied(x)
    assert res.df == 5 and res.statistic > 0 and 0 <= res.pvalue <= 1
    assert res.loglik_general >= res.loglik_restricted - 1e-9
    assert m.bic(x) == pytest.approx(-2 * m.score(x) + 9 * np.log(300))
    with pytest.raises(InvalidParameter, match="not more than"):
        likelihood_ratio_test(m.untied(), m, x)


def test_json_round_trip(tmp_path):
    m = TiedHMM(3, 4, emission_ties=[[0, 1]], transition_labels=[[0, 1, 2], [0, 1, 2], [3, 3, 4]],
                alphabet="dna", random_state=0, n_iter=3)
    m.fit(np.random.default_rng(0).integers(0, 5, 100))
    path = tmp_path / "m.json"
    m.save(path)
    d = json.loads(path.read_text())
    assert d["format"] == "pairhmm.TiedHMM" and d["version"] == 1
    back = TiedHMM.load(path)
    for a in ("startprob_", "transmat_", "emissionprob_"):
        np.testing.assert_array_equal(getattr(back, a), getattr(m, a))
    x = np.array([0, 4, 2, 1])
    assert back.score(x) == m.score(x)


# ------------------------------------------------------------------------------ bad input
def test_row_class_rule_rejected():
    with pytest.raises(InvalidParameter, match=r"rows 0 and 1 share label 0 but row 0 uses labels "
                                               r"\{0, 1\} and row 1 uses \{0, 1, 2\}"):
        TiedHMM(3, 2, transition_labels=[[0, 1, -1], [0, 1, 2], [2, 2, -1]])
    with pytest.raises(InvalidParameter, match="same number of times"):
        TiedHMM(2, 2, transition_labels=[[0, 1], [0, 0]])
    with pytest.raises(InvalidParameter, match="integer labels"):
        TiedHMM(2, 2, transition_labels=[["a", "b"], ["c", "d"]])
    with pytest.raises(InvalidParameter, match="n_iter"):
        TiedHMM(2, 2, n_iter="10")
    with pytest.raises(InvalidParameter, match="row 1 has no allowed move"):
        TiedHMM(2, 2, transition_labels=[[0, 1], [-1, -1]])


def test_bad_inputs():
    m = TiedHMM(2, 3, random_state=0)
    with pytest.raises(AlphabetError, match="sequence 1: symbol 3 at position 2 is outside"):
        m.fit(np.array([0, 1, 2, 0, 3]), lengths=[3, 2])
    with pytest.raises(InvalidParameter, match="sum to 6 but X has 5 symbols"):
        m.fit(np.array([0, 1, 2, 0, 1]), lengths=[3, 3])
    with pytest.raises(InvalidParameter, match="emission_ties"):
        TiedHMM(2, 3, emission_ties=[[0, 5]])
    with pytest.raises(InvalidParameter, match="only some are frozen"):
        TiedHMM(2, 3, emission_ties=[[0, 1]], emissionprob_frozen=[[1, 0, 0], [0, 0, 0]])
    m = TiedHMM(2, 2, emission_ties=[[0, 1]], init_params="")
    m.startprob_, m.transmat_ = np.array([0.5, 0.5]), np.full((2, 2), 0.5)
    m.emissionprob_ = np.array([[0.5, 0.5], [0.3, 0.7]])
    with pytest.raises(InvalidParameter, match=r"entry \[1, 0\] is tied to another entry"):
        m.score([0, 1])
    m.emissionprob_ = np.array([[1.0, 0.0], [1.0, 0.0]])
    m.n_iter = 1
    with pytest.raises(TrainingError, match="sequence 0 has probability 0"):
        m.fit(np.array([0, 1]))


def test_bad_model_files(tmp_path):
    p = tmp_path / "m.json"
    p.write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        TiedHMM.load(p)
    p.write_text(json.dumps({"format": "other", "version": 1}))
    with pytest.raises(ModelFileError, match="expected 'pairhmm.TiedHMM'"):
        TiedHMM.load(p)
    good = TiedHMM(2, 2, random_state=0, n_iter=1).fit(np.array([0, 1, 1])).to_dict()
    p.write_text(json.dumps({**good, "transmat": [[0.5, 0.6], [0.5, 0.5]]}))
    with pytest.raises(ModelFileError, match="transmat_ .*row 0 must sum to 1"):
        TiedHMM.load(p)
    p.write_text(json.dumps({**good, "colour": "red"}))
    with pytest.raises(ModelFileError, match="unknown field 'colour'"):
        TiedHMM.load(p)
    with pytest.raises(ModelFileError, match="no such model file"):
        TiedHMM.load(tmp_path / "missing.json")
