"""Tests of MotifCNN's seed averaging (``n_models > 1``): one model that is the members' average."""

from __future__ import annotations

import numpy as np
import pytest
from Bio.Seq import reverse_complement

from pairhmm.errors import InvalidParameter
from pairhmm.motif.cnn import MotifCNN

from test_motif_cnn import CTCF, plant, to_text

pytestmark = pytest.mark.usefixtures("one_numba_thread")

KW = dict(n_filters=2, width=6, max_epochs=3, kmer=3, palindromic=[1])


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(4)
    X, y = plant(160, 30, rng, pwm=CTCF[4:13])
    return X, y


@pytest.fixture(scope="module")
def averaged(planted):
    X, y = planted
    return MotifCNN(**KW, n_models=3, random_state=7).fit(X, y)


def test_average_equals_mean_of_independently_trained_members(planted, averaged):
    X, y = planted
    seeds = np.random.default_rng(7).integers(0, 2 ** 63 - 1, 3)
    members = [MotifCNN(**KW, random_state=int(s)).fit(X, y) for s in seeds]
    want = np.mean([m.decision_function(X) for m in members], axis=0)
    np.testing.assert_allclose(averaged.decision_function(X), want, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(averaged.filters_[2:4], members[1].filters_)
    assert averaged.best_epochs_ == [m.best_epoch_ for m in members]
    assert [h["model"] for h in averaged.history_] == [
        i for i, m in enumerate(members, 1) for _ in m.history_]


def test_averaged_model_shapes_tying_and_rc_invariance(planted, averaged):
    X, _ = planted
    m = averaged
    assert m.filters_.shape == (6, 6, 4) and m.n_total_filters == 6
    assert m.transform(X[:4]).shape == (4, 6)
    assert m.kmer_weights_.shape == (32,)
    for k in (1, 3, 5):  # filter 1 of every member is palindromic
        np.testing.assert_array_equal(m.filters_[k], m.filters_[k][::-1, ::-1])
    assert [r["palindromic"] for r in m.parameter_counts()] == [False, True] * 3
    seqs = [to_text(s) for s in X[:30]]
    assert np.array_equal(m.decision_function(seqs),
                          m.decision_function([reverse_complement(s) for s in seqs]))
    assert len(m.to_motifs()) == 6


def test_averaged_model_is_deterministic_and_round_trips(planted, averaged, tmp_path):
    X, y = planted
    again = MotifCNN(**KW, n_models=3, random_state=7).fit(X, y)
    assert np.array_equal(again._pack(), averaged._pack())
    path = tmp_path / "avg.json"
    averaged.save(path)
    back = MotifCNN.load(path)
    assert back.n_models == 3 and back.best_epochs_ == averaged.best_epochs_
    assert np.array_equal(back.decision_function(X), averaged.decision_function(X))


def test_n_models_must_be_positive():
    with pytest.raises(InvalidParameter, match="n_models"):
        MotifCNN(n_models=0).fit(["ACGTACGTACGTACGTACGT"] * 2, [0, 1])
