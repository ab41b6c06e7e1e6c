"""PairHMM construction, validation, tying and persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pairhmm import AlphabetError, InvalidParameter, MemoryLimitError, ModelFileError, PairHMM, encode
from pairhmm.pair import blosum62_joint


def dna(**kw):
    match = np.full((4, 4), 0.2 / 12)
    np.fill_diagonal(match, 0.2)
    args = dict(match=match, insert=np.full(4, 0.25), delta=0.05, epsilon=0.5, tau=0.01,
                alphabet="dna")
    args.update(kw)
    return PairHMM(**args)


def test_tied_parameters_are_one_stored_value():
    m = dna()
    assert m.tied
    assert m.gap_tying.n_free == 2 and m.insert_tying.n_free == 4
    assert m.delta_x == m.delta_y == 0.05 and m.epsilon_x == m.epsilon_y == 0.5
    np.testing.assert_array_equal(m.insert_x, m.insert_y)
    # the engine maps both slots to the same free parameter
    assert m.gap_tying.index[0] == m.gap_tying.index[1]


def test_untied_model():
    m = dna(delta=(0.02, 0.08), epsilon=(0.4, 0.6), insert=[[0.1, 0.2, 0.3, 0.4], [0.25] * 4])
    assert not m.tied
    assert (m.delta_x, m.delta_y, m.epsilon_x, m.epsilon_y) == (0.02, 0.08, 0.4, 0.6)
    T = m.transitions()
    np.testing.assert_allclose(T.sum(axis=1), 1.0)
    assert T[0, 0] == pytest.approx(1 - 0.02 - 0.08 - 0.01)


def test_free_parameter_counts():
    assert dna().n_parameters() == (10 - 1) + 3 + 2 + 1
    assert dna().untied().n_parameters() == (10 - 1) + 6 + 4 + 1
    asym = np.arange(1, 17, dtype=float).reshape(4, 4)
    assert dna(match=asym / asym.sum()).n_parameters() == 15 + 3 + 2 + 1


def test_blosum62_emissions_recover_the_matrix():
    """p_ab = q_a q_b exp(lambda s_ab): log(p/qq)/lambda is BLOSUM62 again."""
    from Bio.Align import substitution_matrices

    p, q = blosum62_joint()
    assert p.sum() == pytest.approx(1.0)
    b = substitution_matrices.load("BLOSUM62")
    letters = "ARNDCQEGHILKMFPSTWYV"
    s = np.array([[b[a][c] for c in letters] for a in letters])
    ratio = np.log(p / np.outer(q, q))
    lam = ratio[s != 0] / s[s != 0]
    assert np.ptp(lam) < 1e-9 and 0.2 < lam[0] < 0.5


def test_defaults_validate():
    for kind in ("dna", "rna", "protein"):
        m = PairHMM.default(kind)
        assert m.alphabet.name == kind and m.tied
        assert not PairHMM.default(kind, tied=False).tied


@pytest.mark.parametrize("kw,match", [
    (dict(delta=0.6), "M -> M"),
    (dict(delta=-0.1), "delta"),
    (dict(epsilon=0.995), "X -> M"),
    (dict(tau=0.0), "tau"),
    (dict(insert=[0.5, 0.5, 0.5, 0.5]), "sum to 1"),
    (dict(insert=[0.25, 0.25, 0.25]), "shape"),
    (dict(match=np.full((4, 4), 1 / 20)), "sum to 1"),
    (dict(match=np.full((3, 3), 1 / 9)), "shape"),
    (dict(delta=(0.1, 0.2, 0.3)), "pair"),
    (dict(alphabet="protein"), "shape"),
])
def test_validation_names_parameter_and_value(kw, match):
    with pytest.raises(InvalidParameter, match=match):
        dna(**kw)


def test_negative_probability_rejected():
    bad = np.full((4, 4), 1 / 16)
    bad[0, 0] = -0.1
    bad[0, 1] += 0.1 + 1 / 16 - 1 / 16
    with pytest.raises(InvalidParameter, match=">= 0"):
        dna(match=bad)


def test_json_roundtrip(tmp_path):
    for m in (PairHMM.default("protein"), dna(delta=(0.02, 0.08), epsilon=(0.4, 0.6))):
        path = tmp_path / "m.json"
        m.save(path)
        back = PairHMM.load(path)
        assert back.tied == m.tied
        np.testing.assert_array_equal(back.match, m.match)
        assert back.log_likelihood("ACGT" if m.alphabet.name == "dna" else "HEAG", "ACT" if m.alphabet.name == "dna" else "HAG") == \
            m.log_likelihood("ACGT" if m.alphabet.name == "dna" else "HEAG", "ACT" if m.alphabet.name == "dna" else "HAG")


@pytest.mark.parametrize("mutate,match", [
    (lambda d: d.update(format="something"), "not a pairhmm"),
    (lambda d: d.update(version=99), "version"),
    (lambda d: d.pop("match"), "missing"),
    (lambda d: d.update(delta=0.9), "M -> M"),
    (lambda d: d["insert"].__setitem__(0, 0.9), "sum to 1"),
    (lambda d: d.update(alphabet="klingon"), "unknown alphabet"),
])
def test_tampered_model_files_are_rejected(tmp_path, mutate, match):
    d = dna().to_dict()
    mutate(d)
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(d))
    with pytest.raises(ModelFileError, match=match):
        PairHMM.load(p)


def test_not_json(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text("{ not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        PairHMM.load(p)
    with pytest.raises(ModelFileError, match="no such"):
        PairHMM.load(tmp_path / "missing.json")


def test_encoder_errors_name_record_position_and_character():
    with pytest.raises(AlphabetError, match=r"seq1: character 'J' at position 3"):
        encode("ACJT", "dna", "seq1")
    with pytest.raises(AlphabetError, match="gap characters"):
        encode("AC-T", "dna", "s")
    np.testing.assert_array_equal(encode("acgtn", "dna"), [0, 1, 2, 3, 4])


def test_empty_sequence_and_memory_limit():
    m = PairHMM.default("dna")
    with pytest.raises(InvalidParameter, match="empty"):
        m.viterbi("", "ACGT")
    with pytest.raises(MemoryLimitError, match="max-memory"):
        m.viterbi("A" * 2000, "C" * 2000, max_memory=1000)
    with pytest.raises(MemoryLimitError, match="pairhmm score"):
        m.posterior("A" * 2000, "C" * 2000, max_memory=100000)
    # the likelihood is linear memory: no limit applies
    assert np.isfinite(m.log_likelihood("A" * 2000, "C" * 2000))


def test_checkpointed_viterbi_is_the_same_path():
    """Over the memory limit, Viterbi switches to checkpoints: same score, same path."""
    big_x, big_y = "ACDEFGHIKL" * 60, "ACDEFGHIKM" * 60
    auto = m_default = PairHMM.default("protein")
    a = auto.viterbi(big_x, big_y, max_memory=200_000)  # 361 KB full traceback: checkpoints
    assert a.score == m_default.viterbi(big_x, big_y).score
    rng = np.random.default_rng(8)
    m = PairHMM.default("protein")
    for n, k in [(300, 280), (150, 400), (17, 5)]:
        x = "".join(rng.choice(list("ARNDCQEGHILKMFPSTWYV"), n))
        y = x[: k // 2] + "".join(rng.choice(list("ARNDCQEGHILKMFPSTWYV"), k - k // 2))
        full = m.viterbi(x, y)
        small = m.viterbi(x, y, traceback="checkpoint")
        assert small.score == full.score and small.path == full.path
