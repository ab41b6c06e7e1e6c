"""The engine layer, the parallel map, the EM core and the estimator contract of PairHMM and
TiedHMM (fit returns self, learned state ends in ``_``, the old names warn for one release)."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest

from pairhmm import PairHMM, TiedHMM
from pairhmm.band import Band
from pairhmm.em import ConvergenceMonitor, LikelihoodDecreaseWarning, TiedDistributions, em_loop
from pairhmm.engine import (BandEngine, EncodedPairs, ExpectedCounts, GraphEngine, LogSpaceEngine,
                            ThreeStateEngine, choose_engine)
from pairhmm.errors import InvalidParameter, TrainingError
from pairhmm.parallel import chunk_size, chunked, ordered_map
from pairhmm.tying import Tying


def _pairs(n=6, seed=1, tau=0.05):
    return [(a, b) for a, b, _ in PairHMM.default("dna").copy(tau=tau).sample_pairs(n, random_state=seed)]


# ---------------------------------------------------------------------------------------------
# engines
def test_the_model_chooses_its_engine_once_per_parameter_set():
    dna = PairHMM.default("dna")
    assert isinstance(dna.engine, ThreeStateEngine) and dna.engine is dna.engine
    assert isinstance(dna.copy(mode="local").engine, GraphEngine)
    assert isinstance(dna.copy(long_gaps=(0.01, 0.9)).engine, GraphEngine)
    q = np.array([2.5e-12, 9.6e-12, 0.9999995, 4.7e-07])
    extreme = PairHMM(np.full((4, 4), 1 / 16), q / q.sum(), 0.05, 0.6, 0.01, "dna")
    assert extreme.extreme and isinstance(extreme.engine, LogSpaceEngine)
    assert isinstance(extreme.engine.family, ThreeStateEngine)
    assert isinstance(dna.band_engine, BandEngine)
    assert type(choose_engine(dna)) is ThreeStateEngine


@pytest.mark.parametrize("kw", [{}, dict(mode="semiglobal"), dict(long_gaps=(0.01, 0.9))])
def test_many_pair_methods_equal_the_one_pair_ones(kw):
    model = PairHMM.default("dna").copy(**kw)
    pairs = _pairs(5, 3)
    enc = model.encode_pairs(pairs)
    assert len(enc) == 5
    lls = model.engine.forward_many(enc)
    assert list(lls) == [model.log_likelihood(x, y) for x, y in pairs]
    posts = model.engine.posterior_many(enc)
    for (P, lp), (x, y) in zip(posts, pairs):
        np.testing.assert_array_equal(P, model.posterior(x, y))
    whole = model.engine.counts_many(enc).totals(model.is_general)
    parts = ExpectedCounts.concatenate([
        model.engine.counts_many(EncodedPairs.from_pairs(chunk, model.alphabet))
        for chunk in chunked(pairs, 2)]).totals(model.is_general)
    assert whole.log_likelihood == parts.log_likelihood == pytest.approx(sum(lls), rel=1e-12)
    np.testing.assert_array_equal(whole.match, parts.match)
    np.testing.assert_array_equal(whole.trans, parts.trans)


def test_counts_of_different_layouts_do_not_join():
    model = PairHMM.default("dna")
    enc = model.encode_pairs(_pairs(2))
    a = model.engine.counts_many(enc, layout="three-state")
    b = model.engine.counts_many(enc, layout="graph")
    with pytest.raises(ValueError, match="layouts"):
        ExpectedCounts.concatenate([a, b])


def test_engine_memory_per_cell_is_checked():
    from pairhmm.errors import MemoryLimitError

    model = PairHMM.default("dna")
    x = model.encode("ACGT" * 50)
    with pytest.raises(MemoryLimitError, match="the posterior"):
        model.engine.posterior(x, x, max_memory=1000)
    band = Band.full(x.size, x.size)
    with pytest.raises(MemoryLimitError, match="narrow the band"):
        model.band_engine.resolve(x, x, band, model.band_engine.bytes_per_cell("posterior"),
                                  "the posterior", 1000)


def test_a_pickled_model_gives_the_same_results():
    model = PairHMM.preset("protein")
    x, y = "MKVLAAGIVHHW", "MKVLAGIVHW"
    before = model.mea(x, y)  # derived tables and engines are built now
    back = pickle.loads(pickle.dumps(model))
    assert back.engine is not model.engine
    again = back.mea(x, y)
    assert again.path == before.path and again.score == before.score


# ---------------------------------------------------------------------------------------------
# the parallel map
def _square_all(chunk, offset):
    return [v * v + offset for v in chunk]


def _fail_on_three(chunk):
    if 3 in chunk:
        raise ValueError("three")
    return chunk


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_ordered_map_keeps_chunk_order(n_jobs):
    chunks = chunked(list(range(23)), 4)
    out = list(ordered_map(_square_all, iter(chunks), n_jobs=n_jobs, args=(1,), max_pending=1))
    assert [v for block in out for v in block] == [v * v + 1 for v in range(23)]


def test_ordered_map_raises_the_worker_error():
    with pytest.raises(ValueError, match="three"):
        list(ordered_map(_fail_on_three, chunked(list(range(8)), 2), n_jobs=2))
    with pytest.raises(InvalidParameter, match="n_jobs"):
        list(ordered_map(_fail_on_three, [[1]], n_jobs=0))


def test_chunk_sizes():
    assert chunk_size(1000, 1) == 1
    assert chunk_size(1000, 2) == 16 and chunk_size(20, 2) == 2
    assert chunk_size(1000, scheduler="tcp://x") == 31 and chunk_size(5000, scheduler="x") == 64


def test_old_distributed_names_still_work():
    from pairhmm import distributed
    from pairhmm.errors import DistributedError

    assert distributed.DistributedError is DistributedError
    assert issubclass(DistributedError, RuntimeError)
    with pytest.warns(DeprecationWarning, match="ordered_map"):
        distributed.map_ordered(None, _square_all, [[1]], 0)


# ---------------------------------------------------------------------------------------------
# the EM core
def test_one_monitor_for_both_models():
    pairs = _pairs(4)
    pair = PairHMM.default("dna").fit(pairs, max_iter=2)
    tied = TiedHMM(2, 3, random_state=0, n_iter=3).fit(np.array([0, 1, 2, 2, 1, 0, 1]))
    assert type(pair.monitor_) is type(tied.monitor_) is ConvergenceMonitor
    assert pair.history_ is pair.monitor_.history and len(pair.history_) == 3


def test_em_loop_orders():
    """hmmlearn's order (every E-step followed by an M-step) and the pair HMM's (the loop ends
    with an E-step of the final parameters)."""
    for evaluate_final, steps in ((False, ["E", "M", "E", "M"]), (True, ["E", "M", "E", "M", "E"])):
        log = []
        values = iter([-5.0, -4.0, -3.5])

        def estep():
            log.append("E")
            return None, next(values)

        mon = ConvergenceMonitor(tol=1e-9, n_iter=2)
        em_loop(estep, lambda s: log.append("M"), mon, evaluate_final=evaluate_final)
        assert log == steps
        assert mon.history == ([-5.0, -4.0] if not evaluate_final else [-5.0, -4.0, -3.5])


def test_monitor_warns_by_its_own_tolerance():
    mon = ConvergenceMonitor(tol=0.0, n_iter=5, decrease_tol=1e-7)
    mon.report(-1000.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LikelihoodDecreaseWarning)
        mon.report(-1000.00001)  # 1e-8 relative: rounding for this monitor
    with pytest.warns(LikelihoodDecreaseWarning):
        mon.report(-1000.1)


def test_tied_mstep_sums_agree_and_each_model_keeps_its_own():
    t = Tying.shared_rows(2, 12, [[0, 1]])
    dist = TiedDistributions("emissions", t)
    rng = np.random.default_rng(0)
    pooled = rng.random(12) * 10.0 ** rng.integers(-3, 3, 12)
    frozen = np.zeros(12, dtype=bool)
    frozen[3] = True
    current = np.full(12, 1 / 12)
    a = dist.normalise(pooled, current, frozen, sums="sequential")
    b = dist.normalise(pooled, current, frozen, sums="pairwise")
    np.testing.assert_allclose(a, b, rtol=1e-14)
    assert a[3] == current[3] and a.sum() == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(InvalidParameter, match="sequential or pairwise"):
        dist.normalise(pooled, current, frozen, sums="kahan")


# ---------------------------------------------------------------------------------------------
# the estimator contract
def test_pairhmm_fit_returns_self_and_sets_learned_state():
    pairs = _pairs()
    model = PairHMM.default("dna")
    assert not hasattr(model, "monitor_")
    with pytest.raises(AttributeError, match="not been fitted"):
        model.history_
    start = model.copy()
    assert model.fit(pairs, max_iter=3, tol=0.0) is model
    assert model.to_dict() != start.to_dict()
    assert len(model.history_) == 4 and len(model.log_likelihoods_) == 4 and model.n_iter_ == 3
    assert model.converged_ is False
    # its engine was rebuilt for the new parameters
    assert model.log_likelihood(*pairs[0]) != start.log_likelihood(*pairs[0])
    assert model.history_[-1] == pytest.approx(sum(model.log_likelihood(x, y) for x, y in pairs))


def test_a_failed_fit_leaves_the_model_as_it_was():
    model = PairHMM.default("dna")
    before = model.to_dict()

    def stop(iteration, ll):
        if iteration == 2:  # after two M-steps
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.fit(_pairs(), max_iter=5, tol=0.0, callback=stop)
    assert model.to_dict() == before and not hasattr(model, "monitor_")
    with pytest.raises(TrainingError):
        model.copy(delta=0.0).fit([("ACGT", "ACGA"), ("ACGTT", "ACG")], freeze=["delta"])


def test_presets_are_new_objects_a_fit_cannot_change():
    first = PairHMM.preset("protein")
    ref = first.to_dict()
    assert PairHMM.preset("protein") is not first
    first.fit([("MKVLAAGIV", "MKVLAGIV")], max_iter=1)
    assert PairHMM.preset("protein").to_dict() == ref
    assert PairHMM.default("dna") is not PairHMM.default("dna")


def test_one_name_for_one_idea():
    pair = PairHMM.default("dna")
    tied = TiedHMM(2, 3, emission_ties=[[0, 1]], random_state=0, n_iter=2)
    tied.fit(np.array([0, 1, 2, 1]))
    for m in (pair, tied):
        assert m.n_parameters() > 0
        assert type(m.untied()) is type(m)
        assert type(m).from_dict(m.to_dict()).to_dict() == m.to_dict()


def test_save_and_load(tmp_path):
    pair = PairHMM.default("dna")
    tied = TiedHMM(2, 3, random_state=0, n_iter=2).fit(np.array([0, 1, 2, 1]))
    for m in (pair, tied):
        m.save(tmp_path / "m.json")
        assert type(m).load(tmp_path / "m.json").to_dict() == m.to_dict()


def test_posterior_returns_one_type():
    model = PairHMM.default("dna")
    x, y = "ACGTACGTTA", "ACGTCGTTA"
    assert isinstance(model.posterior(x, y), np.ndarray)
    sparse = model.sparse_posterior(x, y, Band.full(len(x), len(y)))
    np.testing.assert_allclose(sparse.toarray(), model.posterior(x, y), atol=1e-12)


def test_deprecated_names_warn_and_still_work():
    model = PairHMM.default("dna")
    with pytest.warns(DeprecationWarning, match="untied"):
        assert model.untie().to_dict() == model.untied().to_dict()
    with pytest.warns(DeprecationWarning, match="n_parameters"):
        assert model.n_free_parameters() == model.n_parameters()
    with pytest.warns(DeprecationWarning, match="history_"):
        assert model.history == []
    with pytest.warns(DeprecationWarning, match="converged_"):
        assert model.converged is None
    model.fit(_pairs(3), max_iter=1)
    with pytest.warns(DeprecationWarning, match="history_"):
        assert model.history == model.history_
    with pytest.warns(DeprecationWarning, match="log_likelihoods_"):
        assert model.log_likelihoods == model.log_likelihoods_
    with pytest.warns(DeprecationWarning, match="converged_"):
        assert model.converged == model.converged_
    x, y = "ACGTACGT", "ACGTCGT"
    with pytest.warns(DeprecationWarning, match="sparse_posterior"):
        old = model.posterior(x, y, band=3)
    np.testing.assert_array_equal(old.toarray(), model.sparse_posterior(x, y, 3).toarray())
    tied = TiedHMM(2, 3, random_state=0, n_iter=2).fit(np.array([0, 1, 2, 1]))
    with pytest.warns(DeprecationWarning, match="to_dict"):
        d = tied.to_json()
    with pytest.warns(DeprecationWarning, match="from_dict"):
        assert TiedHMM.from_json(d).to_dict() == tied.to_dict()


def test_train_fit_function_keeps_its_old_meaning():
    from pairhmm.train import fit

    start = PairHMM.default("dna")
    before = start.to_dict()
    fitted = fit(start, _pairs(3), max_iter=1)
    assert fitted is not start and start.to_dict() == before and len(fitted.history_) == 2


def test_reverse_complement_table():
    from pairhmm.alphabet import DNA, PROTEIN, RNA
    from pairhmm.errors import AlphabetError

    comp = DNA.complement_codes()
    assert np.array_equal(comp[comp], np.arange(len(DNA.symbols)))  # an involution
    sym = DNA.symbols
    assert "".join(sym[c] for c in comp[[sym.index(ch) for ch in "ACGTNRYKMBV"]]) == "TGCANYRMKVB"
    assert "ACGUN".translate(RNA.complement_translation()) == "UGCAN"
    assert "acgtn".translate(DNA.complement_translation()) == "tgcan"
    with pytest.raises(AlphabetError, match="no complement"):
        PROTEIN.complement_codes()
