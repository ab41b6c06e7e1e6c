"""Tests of MotifCNN's named configurations and of the automatic choice (config="auto"), and of
the drop-in AUROC importance the export ranks by."""

from __future__ import annotations

import numpy as np
import pytest

from pairhmm.errors import InvalidParameter, TrainingError
from pairhmm.motif.cnn import AUTO_CANDIDATES, CONFIGS, MotifCNN, roc_auc

from test_motif_cnn import CTCF, plant

pytestmark = pytest.mark.usefixtures("one_numba_thread")

# small and quick: the configurations' architecture is overridden (explicit values win)
SMALL = {"n_filters": 3, "max_epochs": 3, "n_models": 2}


def data(n=240, L=40, seed=0):
    rng = np.random.default_rng(seed)
    X, y = plant(n, L, rng, pwm=CTCF[3:16])
    return ["".join("ACGT"[c] for c in s) for s in X], y


def test_auto_chooses_by_validation_auroc_only_and_is_deterministic():
    X, y = data()
    Xv, yv = data(80, seed=1)
    m = MotifCNN(config="auto", **SMALL, random_state=3).fit(X, y, Xv, yv)
    cands = m.config_["candidates"]
    assert [c["config"] for c in cands] == list(AUTO_CANDIDATES)
    aucs = [c["validation_auroc"] for c in cands]
    assert m.config_["chosen"] == AUTO_CANDIDATES[int(np.argmax(aucs))]
    assert m.config_["fixed"] == {"n_filters": 3, "n_models": 2}
    # each candidate's figure is its validation AUROC: a candidate trained alone on the same data
    # with the same seed scores the same on the validation set
    for name, auc in zip(AUTO_CANDIDATES, aucs):
        params = {**CONFIGS[name], "n_filters": 3, "max_epochs": 3, "n_models": 1}
        alone = MotifCNN(**params, random_state=3).fit(X, y, Xv, yv)
        assert alone.score(Xv, yv) == auc
    # the chosen configuration is applied, explicit values kept; two networks averaged
    chosen = CONFIGS[m.config_["chosen"]]
    assert (m.width, m.kmer, m.n_filters, m.n_models) == (chosen["width"], chosen["kmer"], 3, 2)
    assert m.filters_.shape == (6, chosen["width"], 4) and m.best_epochs_ and len(m.best_epochs_) == 2
    again = MotifCNN(config="auto", **SMALL, random_state=3).fit(X, y, Xv, yv)
    assert np.array_equal(again._pack(), m._pack())
    assert again.config_ == m.config_  # no timing in it: a model file depends on data and seed
    other = MotifCNN(config="auto", **SMALL, random_state=4).fit(X, y, Xv, yv)
    assert not np.array_equal(other._pack(), m._pack())


def test_auto_without_validation_data_splits_the_training_data():
    X, y = data()
    m = MotifCNN(config="auto", **SMALL, validation_fraction=0.25, random_state=0).fit(X, y)
    assert len(m.config_["candidates"]) == 2
    assert all(0.5 <= c["validation_auroc"] <= 1 for c in m.config_["candidates"])
    assert m.importance_data_ == "validation split (60 sequences)"  # the shared 25% split
    # a refit starts again from the user's settings (not from the values the first fit chose)
    m.fit(X, y)
    assert m.config_["fixed"] == {"n_filters": 3, "n_models": 2}
    with pytest.raises(TrainingError, match="validation split"):
        MotifCNN(config="auto", **SMALL, validation_fraction=0.0).fit(X, y)


def test_named_configuration_fills_in_unset_parameters():
    X, y = data(120)
    m = MotifCNN(config="chipseq", n_filters=2, max_epochs=2, random_state=0).fit(X, y)
    c = CONFIGS["chipseq"]
    assert (m.n_filters, m.width, m.kmer, m.kmer_l2, m.learning_rate, m.strand_pooling, m.n_models) \
        == (2, c["width"], c["kmer"], c["kmer_l2"], c["learning_rate"], c["strand_pooling"],
            c["n_models"])
    assert m.config_["chosen"] == "chipseq" and len(m.config_["candidates"]) == 1
    # the configuration's strand pooling needs RC-shared max pooling: otherwise max
    blind = MotifCNN(config="chipseq", n_filters=2, n_models=1, max_epochs=1, rc_shared=False,
                     random_state=0).fit(X, y)
    assert blind.strand_pooling == "max"
    fast = MotifCNN(config="fast", max_epochs=1, random_state=0).fit(X, y)
    assert (fast.n_filters, fast.width, fast.kmer) == (16, 15, 0)


def test_config_is_saved_and_validated(tmp_path):
    X, y = data(120)
    m = MotifCNN(config="chipseq", n_filters=2, n_models=1, max_epochs=1, random_state=0).fit(X, y)
    m.save(tmp_path / "m.json")
    back = MotifCNN.load(tmp_path / "m.json")
    assert back.config == "chipseq" and back.config_ == m.config_
    np.testing.assert_array_equal(back.filter_auroc_loss_, m.filter_auroc_loss_)
    assert np.array_equal(back.decision_function(X), m.decision_function(X))
    with pytest.raises(InvalidParameter, match="config"):
        MotifCNN(config="best").fit(X, y)


def test_drop_in_auroc_loss_matches_a_direct_computation():
    X, y = data(200)
    Xv, yv = data(100, seed=5)
    m = MotifCNN(n_filters=3, width=13, kmer=3, max_epochs=4, random_state=0).fit(X, y, Xv, yv)
    loss = m.measure_importance(Xv, yv)
    h = m.transform(Xv)
    z = m.decision_function(Xv)
    base = roc_auc(yv, z)
    for k in range(3):
        hk = h.copy()
        hk[:, k] = h[:, k].mean()
        zk = hk @ m.weights_ + (z - h @ m.weights_)
        assert loss[k] == pytest.approx(base - roc_auc(yv, zk), abs=1e-12)
    assert list(m.filter_order("auroc")) == list(np.lexsort((-m.filter_importance_, -loss)))
    assert np.isfinite(m.kmer_auroc_loss_)
    with pytest.raises(InvalidParameter, match="by"):
        m.filter_order("size")


def test_keep_protects_values_equal_to_the_defaults(tmp_path):
    """`--models 1` on the command line must give one network, though 1 is the default."""
    from click.testing import CliRunner

    from pairhmm.cli.motif_learn import train

    X, y = data(120)
    m = MotifCNN(config="chipseq", n_filters=2, n_models=1, keep=["n_models"], max_epochs=1,
                 random_state=0).fit(X, y)
    assert m.n_models == 1 and m.config_["fixed"] == {"n_filters": 2, "n_models": 1}
    with pytest.raises(InvalidParameter, match="keep"):
        MotifCNN(config="chipseq", keep=["colour"]).fit(X, y)
    pos, neg = tmp_path / "p.fa", tmp_path / "n.fa"
    pos.write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(np.array(X)[y == 1])))
    neg.write_text("".join(f">n{i}\n{s}\n" for i, s in enumerate(np.array(X)[y == 0])))
    r = CliRunner().invoke(train, [str(pos), str(neg), "-o", str(tmp_path / "m.json"), "--config",
                                   "chipseq", "--models", "1", "--filters", "2", "--epochs", "1", "-q"])
    assert r.exit_code == 0, r.output
    assert "model: 1 x 2 filters of 9 bp, 7-mer term" in r.output
    assert "configuration: chipseq (validation AUROC" in r.output
