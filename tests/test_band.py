"""Banded DP: brute force restricted to the band, equality with the full DP, anchors, edge warnings."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import naive
from pairhmm import MemoryLimitError, PairHMM
from pairhmm.band import (Band, BandEdgeWarning, BandMissWarning, _longest_increasing, default_kmer,
                          find_anchors)
from pairhmm.errors import InvalidParameter
from pairhmm.seqio import read_fasta


def random_model(rng, A=4, **kw):
    match = rng.dirichlet(np.ones(A * A)).reshape(A, A)
    match = (match + match.T) / 2
    return PairHMM(match, rng.dirichlet(np.ones(A)), 0.08, 0.4, 0.05, "dna", **kw)


MODELS = [
    dict(),
    dict(long_gaps=(0.05, 0.8)),
    dict(mode="semiglobal", flank_loop=0.7, flank_start=0.2),
    dict(mode="local", long_gaps=(0.03, 0.9), flank_loop=0.8, flank_start=0.1),
]


def mutate(seq: str, rng, p: float = 0.15) -> str:
    out = []
    for c in seq:
        r = rng.random()
        if r < p / 3:
            continue
        if r < 2 * p / 3:
            out += [c, "ACGT"[rng.integers(4)]]
        elif r < p:
            out.append("ACGT"[rng.integers(4)])
        else:
            out.append(c)
    return "".join(out)


@pytest.mark.parametrize("kw", MODELS)
def test_banded_algorithms_equal_enumeration_inside_the_band(kw):
    """Forward, Viterbi and posterior in a band = brute force over the paths that stay in it."""
    rng = np.random.default_rng(len(str(kw)) + 3)
    for _ in range(5):
        model = random_model(rng, **kw)
        n, m = (int(v) for v in rng.integers(2, 5, size=2))
        x = rng.integers(0, 4, n).astype(np.uint8)
        y = rng.integers(0, 4, m).astype(np.uint8)
        band = Band.diagonal(n, m, int(rng.integers(0, 2)))
        total, best, post = naive.enumerate_graph(model, x, y, cell_ok=lambda i, j: (i, j) in band)
        assert 0 < total
        full_total, _, _ = naive.enumerate_graph(model, x, y)
        assert total <= full_total * (1 + 1e-12)
        assert model.log_likelihood(x, y, band=band) == pytest.approx(math.log(total), rel=1e-10)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BandEdgeWarning)
            assert model.viterbi(x, y, band=band).score == pytest.approx(math.log(best), rel=1e-10)
        assert model.viterbi_score(x, y, band=band) == pytest.approx(math.log(best), rel=1e-10)
        P = model.sparse_posterior(x, y, band)
        np.testing.assert_allclose(P.toarray(), post, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kw", MODELS)
def test_a_band_over_the_whole_matrix_equals_the_full_dp(kw):
    rng = np.random.default_rng(11)
    model = random_model(rng, **kw)
    x = "".join(rng.choice(list("ACGT"), 45))
    y = mutate(x, rng)
    band = Band.full(len(x), len(y))
    assert model.log_likelihood(x, y, band=band) == pytest.approx(model.log_likelihood(x, y), rel=1e-12)
    v, vb = model.viterbi(x, y), model.viterbi(x, y, band=band)
    assert vb.score == pytest.approx(v.score, rel=1e-12) and vb.path == v.path
    np.testing.assert_allclose(model.sparse_posterior(x, y, band).toarray(), model.posterior(x, y), atol=1e-12)
    a, ab = model.mea(x, y), model.mea(x, y, band=band)
    assert ab.path == a.path and ab.score == pytest.approx(a.score, rel=1e-12)
    np.testing.assert_allclose(ab.column_posterior, a.column_posterior, atol=1e-12)
    assert ab.band_edge_cells == 0 and a.band is None


@pytest.mark.filterwarnings("ignore::pairhmm.band.BandEdgeWarning")
def test_band_around_the_optimal_path_gives_the_optimal_path():
    """A zero-width band around the full Viterbi path finds that path and its score; a band
    that covers the optimum leaves the result unchanged (the issue's criterion)."""
    rng = np.random.default_rng(5)
    model = PairHMM.default("dna")
    x = "".join(rng.choice(list("ACGT"), 300))
    y = mutate(x, rng, 0.2)
    v = model.viterbi(x, y)
    i, j = Band.full(len(x), len(y)).path_cells(["MXY".index(c) for c in v.path])
    band = Band.around_path(np.stack([i, j], axis=1), len(x), len(y), 0)
    vb = model.viterbi(x, y, band=band)
    assert vb.path == v.path and vb.score == pytest.approx(v.score, rel=1e-12)
    for w in (5, 40):
        vw = model.viterbi(x, y, band=Band.around_path(np.stack([i, j], axis=1), len(x), len(y), w))
        assert vw.path == v.path and vw.band_edge_cells == 0


def test_edge_warning_when_the_band_cuts_the_alignment():
    """A 30-residue insertion, compensated by a 30-residue deletion further on (equal lengths),
    shifts the alignment 30 diagonals away: in a +-30 diagonal band the path runs along the
    band's edge, which is reported; a +-29 band cannot reach the shifted diagonal at all (and
    such a miss cannot be seen from the path); an anchored band of +-12 follows the shift and
    finds the full-DP path without touching its edge."""
    rng = np.random.default_rng(8)
    model = PairHMM.default("dna")
    x = "".join(rng.choice(list("ACGT"), 400))
    y = x[:150] + "".join(rng.choice(list("ACGT"), 30)) + x[150:300] + x[330:]
    assert len(x) == len(y)
    with pytest.warns(BandEdgeWarning, match="touches the band's edge"):
        edge = model.viterbi(x, y, band=model.make_band(x, y, 30, guide="diagonal"))
    assert edge.band_edge_cells >= 100
    full = model.viterbi(x, y)
    assert edge.score <= full.score
    cut = model.viterbi(x, y, band=model.make_band(x, y, 29, guide="diagonal"))
    assert cut.score < full.score - 10
    with warnings.catch_warnings():
        warnings.simplefilter("error", BandEdgeWarning)
        anchored = model.viterbi(x, y, band=12)
        mea = model.mea(x, y, band=12)
    assert anchored.band.guide == "anchors" and anchored.band_edge_cells == 0
    assert anchored.path == full.path
    assert mea.path == model.mea(x, y).path


def test_long_pair_in_a_band_matches_the_exact_forward():
    """5 kb pair: the banded forward is a lower bound of the exact (linear-memory, scaled) one,
    and with a band of +-100 around anchors misses a negligible part of it."""
    rng = np.random.default_rng(3)
    model = PairHMM.default("dna")
    x = "".join(rng.choice(list("ACGT"), 5000))
    y = mutate(x, rng, 0.2)
    exact = model.log_likelihood(x, y)
    banded = model.log_likelihood(x, y, band=100)
    assert banded <= exact + 1e-9
    assert exact - banded < 1e-6
    narrow = model.log_likelihood(x, y, band=model.make_band(x, y, 2, guide="diagonal"))
    assert math.isfinite(narrow) and narrow < exact - 1e-3
    a = model.mea(x, y, band=100)
    assert a.band_edge_cells == 0
    assert np.isfinite(a.column_posterior).all() and a.column_posterior.max() <= 1.0


def test_auto_band_only_when_the_full_dp_does_not_fit():
    rng = np.random.default_rng(4)
    model = PairHMM.preset("protein")
    letters = list("ARNDCQEGHILKMFPSTWYV")
    x = "".join(rng.choice(letters, 400))
    y = x[:150] + "W" * 6 + x[150:]
    full = model.mea(x, y, band="auto")
    assert full.band is None
    tight = model.mea(x, y, band="auto", max_memory=2_000_000)  # the full MEA needs ~2.8 MB
    assert tight.band is not None and tight.band.guide == "anchors"
    assert tight.path == full.path
    assert model.viterbi(x, y, band="auto", max_memory=500_000).band is not None  # full: 0.8 MB
    with pytest.raises(MemoryLimitError, match="not even in a band"):
        model.mea(x, y, band="auto", max_memory=20_000)
    with pytest.raises(MemoryLimitError, match="narrow the band"):
        model.mea(x, y, band=300, max_memory=200_000)
    # the 3-state model's Viterbi needs a band only when even its checkpoints do not fit
    dna = PairHMM.default("dna")
    x = "".join(rng.choice(list("ACGT"), 400))
    assert dna.viterbi(x, x[1:], band="auto", max_memory=100_000).band is None  # 91 KiB
    v = dna.viterbi(x, x[1:], band="auto", max_memory=80_000)
    assert v.band is not None and v.path == dna.viterbi(x, x[1:]).path


def test_anchors_are_unique_colinear_kmer_matches():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 4, 2000).astype(np.uint8)
    y = np.concatenate([rng.integers(0, 4, 300), x[:1000], rng.integers(0, 4, 50), x[1000:]]).astype(np.uint8)
    k = default_kmer(x.size, y.size)
    A = find_anchors(x, y, k)
    assert A.shape[0] > 1500
    assert np.all(np.diff(A[:, 0]) > 0) and np.all(np.diff(A[:, 1]) > 0)
    for i, j in A[:: max(1, len(A) // 50)]:
        assert np.array_equal(x[i:i + k], y[j:j + k])
    assert set(A[:, 1] - A[:, 0]) <= {300, 350}
    # ambiguous codes (N) break words; unrelated sequences give no anchors and a diagonal band
    xn = x.copy()
    xn[::5] = 4
    assert find_anchors(xn, y, k).shape[0] == 0
    band = Band.around_anchors(rng.integers(0, 4, 500), rng.integers(0, 4, 480), 10)
    assert band.guide.startswith("diagonal")


def test_default_kmer_keeps_chance_matches_rare():
    for n, m, a in [(100, 100, 4), (50_000, 50_000, 4), (300, 400, 20)]:
        k = default_kmer(n, m, a)
        assert n * m / a**k < 0.01
        assert k == 4 or n * m / a ** (k - 1) >= 0.01


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), max_size=12))
def test_longest_increasing_subsequence(values):
    v = np.array(values, dtype=np.int64)
    idx = _longest_increasing(v)
    assert np.all(np.diff(idx) > 0) and np.all(np.diff(v[idx]) > 0)
    # brute force: no strictly increasing subsequence is longer
    best = 0
    for mask in range(1 << len(values)):
        sub = [values[t] for t in range(len(values)) if mask >> t & 1]
        if all(a < b for a, b in zip(sub, sub[1:])):
            best = max(best, len(sub))
    assert len(idx) == best


@settings(max_examples=25, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(0, 6), st.integers(0, 2**31))
def test_band_rows_are_valid_and_posteriors_sum_to_at_most_one(n, m, width, seed):
    rng = np.random.default_rng(seed)
    model = PairHMM.default("dna")
    x = rng.integers(0, 4, n).astype(np.uint8)
    y = rng.integers(0, 4, m).astype(np.uint8)
    band = Band.diagonal(n, m, width)
    assert band.lo[0] == 0 and band.hi[-1] == m
    assert np.all(band.lo[1:] <= band.hi[:-1] + 1)
    P = model.sparse_posterior(x, y, band).toarray()
    assert np.all(P >= 0)
    assert P.sum(axis=1).max() <= 1 + 1e-9 and P.sum(axis=0).max() <= 1 + 1e-9


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 120), st.integers(1, 120), st.integers(0, 8), st.integers(0, 40),
       st.integers(0, 2**31))
def test_check_region_holds_the_band_and_every_path_through_its_anchors(n, m, width, horizon, seed):
    """Band.expanded (the check region of band='auto'): a valid band that contains the band and
    every cell of the rectangle between consecutive anchors within the horizon, so its forward
    sum lies between the band's and the full one; the Viterbi score grows the same way."""
    rng = np.random.default_rng(seed)
    model = PairHMM.default("dna")
    x = rng.integers(0, 4, n).astype(np.uint8)
    y = np.concatenate([x[: n // 2], rng.integers(0, 4, int(rng.integers(0, 30))).astype(np.uint8),
                        x[n // 2:]])[:m] if n > 8 else rng.integers(0, 4, m).astype(np.uint8)
    band = model.make_band(x, y, width, k=4)
    region = band.expanded(horizon)
    assert region.shape == band.shape
    assert np.all(region.lo <= band.lo) and np.all(region.hi >= band.hi)
    pts = np.vstack([[0, 0], band.anchors.reshape(-1, 2), [x.size, y.size]])
    cap = Band.around_path(band.anchors, x.size, y.size, max(horizon, width))
    for (i0, j0), (i1, j1) in zip(pts[:-1], pts[1:]):
        for i in range(i0, i1 + 1):  # the rectangle, cut to the horizon around the guide
            lo, hi = max(j0, cap.lo[i]), min(j1, cap.hi[i])
            if lo <= hi:
                assert region.lo[i] <= lo and region.hi[i] >= hi
    ll = [model.log_likelihood(x, y, band=b) for b in (band, region)] + [model.log_likelihood(x, y)]
    assert ll[0] <= ll[1] + 1e-9 and ll[1] <= ll[2] + 1e-9
    vs = [model.viterbi_score(x, y, band=b) for b in (band, region)] + [model.viterbi_score(x, y)]
    assert vs[0] <= vs[1] + 1e-9 and vs[1] <= vs[2] + 1e-9


def test_invalid_bands_are_refused():
    with pytest.raises(InvalidParameter, match="corners"):
        Band([1, 1], [2, 2], 2)
    with pytest.raises(InvalidParameter, match="connect"):
        Band([0, 3, 3], [1, 3, 3], 3)
    with pytest.raises(InvalidParameter, match="non-decreasing"):
        Band([0, 1, 0], [2, 2, 2], 2)
    model = PairHMM.default("dna")
    for call in (model.viterbi, model.viterbi_score, model.log_likelihood):
        with pytest.raises(InvalidParameter, match="is for a 3 x 3 pair"):
            call("ACGTA", "ACGTA", band=Band.full(3, 3))
    with pytest.raises(InvalidParameter, match="band width"):
        model.mea("ACGT", "ACGT", band=-1)
    with pytest.raises(InvalidParameter, match="'auto'"):
        model.mea("ACGT", "ACGT", band="wide")


# ------------------------------------------------------------------------------------------------
# command line
def _write_pair(tmp_path, n=1500, seed=6):
    rng = np.random.default_rng(seed)
    x = "".join(rng.choice(list("ACGT"), n))
    y = mutate(x, rng)
    a, b = tmp_path / "a.fa", tmp_path / "b.fa"
    a.write_text(f">a\n{x}\n")
    b.write_text(f">b\n{y}\n")
    return str(a), str(b), x, y


def test_cli_auto_band_when_the_pair_does_not_fit(tmp_path):
    import json

    from click.testing import CliRunner

    from pairhmm.cli import main

    a, b, x, y = _write_pair(tmp_path)
    runner = CliRunner()
    full = runner.invoke(main, ["align", a, b, "-f", "json"])
    assert full.exit_code == 0, full.output
    assert "band" not in json.loads(full.stdout)[0]
    # MEA needs ~56 MB (25 bytes per cell): with 40M the default --band auto bands it and says so
    banded = runner.invoke(main, ["align", a, b, "-f", "json", "--max-memory", "40M"])
    assert banded.exit_code == 0, banded.output
    rec = json.loads(banded.stdout)[0]
    assert rec["band"]["guide"] == "anchors" and rec["band"]["edge_cells"] == 0
    assert rec["path"] == json.loads(full.stdout)[0]["path"]
    assert "aligned in a band" in banded.stderr
    off = runner.invoke(main, ["align", a, b, "--max-memory", "40M", "--band", "none"])
    assert off.exit_code == 2 and "raise --max-memory" in off.stderr
    # an exact Viterbi path annotated with posteriors from an automatic band (the full
    # posterior needs 36 MB)
    vfull = json.loads(runner.invoke(main, ["align", a, b, "-f", "json", "--method", "viterbi"]).stdout)[0]
    vband = json.loads(runner.invoke(main, ["align", a, b, "-f", "json", "--method", "viterbi",
                                            "--max-memory", "30M"]).stdout)[0]
    assert vband["path"] == vfull["path"] and "band" not in vband
    np.testing.assert_allclose(vband["column_posterior"], vfull["column_posterior"], atol=1e-5)


def test_cli_explicit_band_score_and_posterior(tmp_path):
    from click.testing import CliRunner
    from scipy.sparse import load_npz

    from pairhmm.cli import main

    a, b, x, y = _write_pair(tmp_path, n=400)
    runner = CliRunner()
    res = runner.invoke(main, ["align", a, b, "--band", "2", "--band-guide", "diagonal"])
    assert res.exit_code == 0
    assert "band_width=2" in res.stdout
    exact = runner.invoke(main, ["score", a, b]).stdout.splitlines()[1].split("\t")
    band = runner.invoke(main, ["score", a, b, "--band", "2", "--band-guide", "diagonal"]).stdout.splitlines()[1].split("\t")
    assert float(band[4]) < float(exact[4])
    wide = runner.invoke(main, ["score", a, b, "--band", "200"]).stdout.splitlines()[1].split("\t")
    assert float(wide[4]) == pytest.approx(float(exact[4]), abs=1e-5)
    out = tmp_path / "p.npz"
    res = runner.invoke(main, ["posterior", a, b, "--band", "20", "-o", str(out)])
    assert res.exit_code == 0, res.output
    P = load_npz(out)
    dense = PairHMM.preset("dna").posterior(x, y)
    assert P.shape == dense.shape
    assert abs(P.toarray() - dense).max() < 1e-3
    res = runner.invoke(main, ["posterior", a, b, "--band", "auto", "-o", str(out)])
    assert res.exit_code == 2 and "'auto' is not a width" in res.output


# ------------------------------------------------------------------------------------------------
# the log-space banded kernels over a full band are an independent implementation of the scaled
# full-matrix kernels: fuzz both with extreme parameters
def _scaled(model, x, y):
    """log P and posterior from the scaled full-matrix kernels, bypassing the routing."""
    from pairhmm.engine import GraphEngine, ThreeStateEngine

    engine = GraphEngine(model) if model.is_general else ThreeStateEngine(model)
    P, lp = engine.posterior(x, y)
    return engine.forward(x, y), P


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), exponent=st.floats(1.0, 150.0), n=st.integers(1, 120),
       m=st.integers(1, 120), variant=st.sampled_from([0, 1, 2, 3]))
def test_scaled_kernels_agree_with_log_space_under_extreme_parameters(seed, exponent, n, m, variant):
    """Emission probabilities spread over up to 150 orders of magnitude (as zero-pseudocount EM
    on small data produces): the scaled kernels agree with the log-space ones whenever the model
    is not flagged ``extreme``, and flagged models are computed in log space."""
    rng = np.random.default_rng(seed)
    w = 10.0 ** (-exponent * rng.random(16))
    match = (w / w.sum()).reshape(4, 4)
    match = (match + match.T) / 2
    q = 10.0 ** (-exponent * rng.random(4) / 3)
    kw = [dict(), dict(long_gaps=(0.02, 0.95)), dict(mode="semiglobal"),
          dict(mode="local", long_gaps=(0.01, 0.9))][variant]
    model = PairHMM(match, q / q.sum(), 0.05, 0.6, 0.01, "dna", **kw)
    x = rng.integers(0, 4, n).astype(np.uint8)
    y = rng.integers(0, 4, m).astype(np.uint8)
    band = Band.full(n, m)
    reference = model.log_likelihood(x, y, band=band)
    reference_P = model.sparse_posterior(x, y, band).toarray()
    if not model.extreme:
        lp, P = _scaled(model, x, y)
        assert lp == pytest.approx(reference, rel=1e-9, abs=1e-9)
        np.testing.assert_allclose(P, reference_P, atol=1e-8)
    assert model.log_likelihood(x, y) == pytest.approx(reference, rel=1e-9, abs=1e-9)
    np.testing.assert_allclose(model.posterior(x, y), reference_P, atol=1e-8)
    assert model.viterbi(x, y, band=band).score == pytest.approx(model.viterbi(x, y).score, rel=1e-10)


def test_extreme_models_train_in_log_space():
    """The case that showed the problem: an insert probability of 2.5e-12 makes one 32-column
    block of a row span more than the double range; the scaled forward lost 1.6e-3 nats. Such a
    model is flagged, and its forward and E-step run in log space (checked against the naive
    NumPy log-space forward and against the scaled E-step on a safe model)."""
    q = np.array([2.48394687e-12, 9.55954814e-12, 0.999999525, 4.74606853e-07])
    rng = np.random.default_rng(4)
    match = rng.dirichlet(np.ones(16)).reshape(4, 4)
    match = (match + match.T) / 2
    model = PairHMM(match, q / q.sum(), 0.05, 0.6, 0.01, "dna")
    assert model.extreme and not PairHMM.default("dna").extreme and not PairHMM.preset("protein").extreme
    x = np.array([1], dtype=np.uint8)
    y = rng.integers(0, 4, 43).astype(np.uint8)
    assert model.log_likelihood(x, y) == pytest.approx(naive.logsumexp_forward(model, x, y), rel=1e-12)
    from pairhmm.train import expected_stats

    pairs = [(x, y), (y[:20], y[5:30])]
    stats = expected_stats(model, pairs)
    assert stats.log_likelihood == pytest.approx(sum(model.log_likelihood(a, b) for a, b in pairs), rel=1e-12)
    # on a safe model the log-space E-step equals the scaled one
    safe = PairHMM.preset("protein")
    prot = [(rng.integers(0, 20, 40).astype(np.uint8), rng.integers(0, 20, 35).astype(np.uint8))
            for _ in range(3)]
    from pairhmm.engine import LogSpaceEngine

    encoded = safe.encode_pairs(prot)
    general = safe.is_general
    scaled = safe.engine.counts_many(encoded).totals(general)
    logspace = LogSpaceEngine(safe, safe.engine).counts_many(encoded).totals(general)
    assert logspace.log_likelihood == pytest.approx(scaled.log_likelihood, rel=1e-12)
    np.testing.assert_allclose(logspace.graph_trans, scaled.graph_trans, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(logspace.match, scaled.match, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(logspace.insert_x, scaled.insert_x, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(logspace.insert_y, scaled.insert_y, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------------------------
# sampled alignments for every variant and inside bands
@pytest.mark.parametrize("kw", MODELS[1:])
def test_sampled_alignments_of_variants_follow_the_posterior(kw):
    """Stochastic traceback over the state graph: match frequencies converge to the posterior
    (brute force), each sample's score is its state path's log probability, seeds repeat."""
    rng = np.random.default_rng(21)
    model = random_model(rng, **kw)
    x = rng.integers(0, 4, 4).astype(np.uint8)
    y = rng.integers(0, 4, 3).astype(np.uint8)
    _, _, post = naive.enumerate_graph(model, x, y)
    samples = model.sample_alignments(x, y, n=4000, random_state=3)
    freq = np.zeros_like(post)
    for aln in samples:
        i = j = 0
        for c in aln.path:
            if c == "M":
                freq[i, j] += 1
            i += c in "MX"
            j += c in "MY"
    assert np.abs(freq / len(samples) - post).max() < 0.035
    G = model.graph
    names = list(G.names)
    for aln in samples[:30]:
        # log P(x, y, states) from the graph's transition table and the model's emissions
        lp, prev, i, j = 0.0, len(names), 0, 0
        for st_name in aln.states:
            s = names.index(st_name)
            lp += math.log(G.T[prev, s])
            if G.kind[s] == 0:
                lp += math.log(model.match[x[i], y[j]])
                i += 1
                j += 1
            elif G.kind[s] == 1:
                lp += math.log(model.insert_x[x[i]])
                i += 1
            else:
                lp += math.log(model.insert_y[y[j]])
                j += 1
            prev = s
        lp += math.log(G.end[prev])
        assert aln.score == pytest.approx(lp, rel=1e-10)
    again = [a.states for a in model.sample_alignments(x, y, n=5, random_state=3)]
    assert again == [a.states for a in samples[:5]]


def test_sampled_alignments_stay_inside_a_band():
    rng = np.random.default_rng(2)
    model = PairHMM.preset("protein")
    x = "".join(rng.choice(list("ARNDCQEGHILKMFPSTWYV"), 300))
    y = x[:100] + x[110:]
    band = model.make_band(x, y, 5, guide="diagonal")
    for aln in model.sample_alignments(x, y, n=20, random_state=0, band=band):
        i, j = band.path_cells(["MXY".index(c) for c in aln.path])
        assert np.all((j >= band.lo[i]) & (j <= band.hi[i]))
        assert math.isfinite(aln.score)
    # "auto": the full matrix when it fits (the same draws as no band), else a band
    auto = model.sample_alignments(x, y, n=5, random_state=1, band="auto")
    assert [a.path for a in auto] == [a.path for a in model.sample_alignments(x, y, n=5, random_state=1)]
    tight = model.sample_alignments(x, y, n=5, random_state=1, band="auto", max_memory=1_000_000)
    assert len(tight) == 5 and all(math.isfinite(a.score) for a in tight)
    assert all(a.band is not None and a.band_miss is None for a in tight)
    with pytest.raises(MemoryLimitError):
        model.sample_alignments(x, y, n=5, max_memory=1_000_000)


def test_sampling_in_an_automatic_band_that_misses_warns():
    """band='auto' samples from the widest band that fits; when alignments outside it carry
    most of the probability (the missed pair), each sample says so and a BandMissWarning is
    raised, instead of drawing silently from the wrong part of the distribution."""
    x, y = _missed_pair(np.random.default_rng(1))
    model = PairHMM.default("dna")
    with pytest.warns(BandMissWarning, match="the samples may be wrong"):
        drawn = model.sample_alignments(x, y, n=3, random_state=0, band="auto",
                                        max_memory=20_000_000)
    assert len(drawn) == 3 and all("% of the probability" in a.band_miss for a in drawn)


def test_cli_sampled_alignments(data_dir):
    import json

    from click.testing import CliRunner

    from pairhmm.cli import main

    a, b = str(data_dir / "example" / "HBA_HUMAN.fa"), str(data_dir / "example" / "HBB_HUMAN.fa")
    runner = CliRunner()

    def run(*extra):
        res = runner.invoke(main, ["align", a, b, "--method", "sample", "-f", "json", *extra])
        assert res.exit_code == 0, res.output
        return json.loads(res.stdout)

    first = run("--samples", "3", "--seed", "7")
    assert len(first) == 3 and {r["method"] for r in first} == {"sample"}
    assert [r["sample"] for r in first] == [1, 2, 3]
    narrow = runner.invoke(main, ["align", a, b, "--method", "sample", "--samples", "2", "--band",
                                  "1", "--band-guide", "diagonal", "-o", "-"])
    assert narrow.exit_code == 0, narrow.output
    warned = [ln for ln in narrow.stderr.splitlines() if "touches the band's edge" in ln]
    assert [ln.split(": ")[3].split(" touches")[0] for ln in warned] == ["sample 1", "sample 2"]
    text = runner.invoke(main, ["align", a, b, "--method", "sample", "--samples", "2"]).stdout
    assert [ln.split()[5] for ln in text.splitlines() if ln.startswith("#")] == ["sample=1", "sample=2"]
    assert [r["path"] for r in run("--samples", "3", "--seed", "7")] == [r["path"] for r in first]
    assert [r["path"] for r in run("--samples", "3", "--seed", "8")] != [r["path"] for r in first]
    model = PairHMM.preset("protein")
    hba, hbb = (str(read_fasta(p)[0].seq) for p in (a, b))
    best = model.viterbi(hba, hbb).score
    assert all(r["score"] <= best + 1e-9 for r in first)
    res = runner.invoke(main, ["align", a, b, "--method", "sample", "--min-posterior", "0.5"])
    assert res.exit_code == 2 and "sampled alignments" in res.output


def _spy_widening(monkeypatch):
    """Record what band='auto' does: MEA runs as (width, edge cells), checks as (width, passed)."""
    import pairhmm.pair as pp
    from pairhmm.engine import BandEngine

    runs, checks = [], []
    real_run, real_check = pp.PairHMM._mea_in_band, BandEngine.miss

    def run(self, x_, y_, ex, ey, gap_factor, max_memory, band, posterior=None):
        aln = real_run(self, x_, y_, ex, ey, gap_factor, max_memory, band, posterior)
        runs.append((band.width, aln.band_edge_cells))
        return aln

    def check(self, ex, ey, band, *args, **kw):
        miss = real_check(self, ex, ey, band, *args, **kw)
        checks.append((band.width, miss is None))
        return miss

    monkeypatch.setattr(pp.PairHMM, "_mea_in_band", run)
    monkeypatch.setattr(BandEngine, "miss", check)
    return runs, checks


def test_auto_band_starts_narrow_and_doubles_until_the_band_holds_the_alignment(monkeypatch):
    """band='auto' tries a narrow band first and doubles it while the band fails the forward
    test (then the MEA is not even run) or the alignment touches its edge; the widest band
    that fits is the last resort."""
    import pairhmm.engine.banded as banded

    rng = np.random.default_rng(17)
    model = PairHMM.default("dna")
    x = "".join(rng.choice(list("ACGT"), 1200))
    y = mutate(x, rng, 0.25)
    full = model.mea(x, y)
    monkeypatch.setattr(banded, "AUTO_BAND_START_WIDTH", 1)
    runs, checks = _spy_widening(monkeypatch)
    auto = model.mea(x, y, band="auto", max_memory=20_000_000)  # full MEA: ~36 MB
    widths = [w for w, _ in checks]
    assert widths == [2**k for k in range(len(widths))] and len(widths) >= 3
    ran = dict(runs)
    for w, passed in checks[:-1]:  # every rejected band failed the forward test or was touched
        assert (not passed and w not in ran) or (passed and ran[w] > 0)
    assert checks[-1] == (auto.band.width, True) and runs[-1] == (auto.band.width, 0)
    assert auto.band.width < 500 and auto.band_miss is None
    assert auto.path == full.path


def test_auto_band_stops_at_the_first_band_on_an_ordinary_pair(monkeypatch):
    """A well anchored pair: +-100 passes both tests at once, the MEA runs once, in that band."""
    rng = np.random.default_rng(6)
    model = PairHMM.default("dna")
    x = "".join(rng.choice(list("ACGT"), 1500))
    y = mutate(x, rng, 0.15)
    full = model.mea(x, y)
    runs, checks = _spy_widening(monkeypatch)
    from pairhmm.engine import BandEngine

    calls = []

    def spy(name):
        real = getattr(BandEngine, name)

        def run(self, ex, ey, band, *args):
            calls.append((name, band.guide))
            return real(self, ex, ey, band, *args)
        return run

    for name in ("forward", "forward_matrix", "viterbi", "viterbi_score", "posterior", "counts"):
        monkeypatch.setattr(BandEngine, name, spy(name))
    auto = model.mea(x, y, band="auto", max_memory=40_000_000)  # full MEA: ~56 MB
    assert checks == [(100, True)] and runs == [(100, 0)]
    # one posterior in the band (its log-likelihood serves the check and the MEA reuses it),
    # one forward sum over the check region
    assert sorted(calls) == [("forward", "expanded"), ("posterior", "anchors")]
    assert auto.band.width == 100 and auto.band_miss is None and auto.path == full.path


def _missed_pair(rng):
    """x = A B C D, y = A R B' D with |R| = |C| = 300: an insertion compensated by a deletion
    600 residues later, between two anchors on the same diagonal. B' is B with every 10th letter
    changed (90% identity, but no exact k-mer of it survives, so no anchor follows the shift)."""
    A, B, C, D, R = ("".join(rng.choice(list("ACGT"), n)) for n in (400, 600, 300, 400, 300))
    Bp = "".join("ACGT"["ACGT".index(c) - 1] if k % 10 == 5 else c for k, c in enumerate(B))
    return A + B + C + D, A + R + Bp + D


def test_auto_band_catches_a_band_that_misses_the_alignment(monkeypatch):
    """The known hole of the edge test: the +-100 band around the anchors misses the shifted
    alignment entirely and its MEA path does not touch the edge (the old policy stopped there,
    silently wrong). The forward test sees that alignments outside the band carry almost all
    the probability (as the exact full forward confirms) and widens until the band holds the
    full-DP alignment, without running the MEA in the bands it rejects."""
    rng = np.random.default_rng(1)
    x, y = _missed_pair(rng)
    model = PairHMM.default("dna")
    full = model.mea(x, y)
    narrow = model.make_band(x, y, 100)
    assert narrow.guide == "anchors" and set(narrow.anchors[:, 1] - narrow.anchors[:, 0]) == {0}
    old = model.mea(x, y, band=narrow)
    assert old.band_edge_cells == 0 and old.path != full.path and old.score < full.score - 100
    # the share of the probability outside the narrow band, by the exact full forward (the
    # scaled full-matrix kernel) and relative to the band's check region (the paths through
    # the anchors, a lower bound of the full sum): both see the miss
    exact = model.log_likelihood(x, y)
    banded = model.log_likelihood(x, y, band=narrow)
    region = model.log_likelihood(x, y, band=narrow.expanded(1000))
    assert banded < region <= exact + 1e-9
    assert -math.expm1(banded - exact) > 0.99 and -math.expm1(banded - region) > 0.99
    runs, checks = _spy_widening(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error", BandEdgeWarning)
        auto = model.mea(x, y, band="auto", max_memory=40_000_000)  # full MEA: ~72 MB
    assert checks == [(100, False), (200, False), (auto.band.width, True)]
    assert runs == [(auto.band.width, 0)] and auto.band.width > 300
    assert auto.band_miss is None and auto.path == full.path


def test_auto_band_warns_when_even_the_widest_band_misses():
    """When memory allows no band wide enough, the widest is used with a BandMissWarning and
    ``band_miss`` says why; Viterbi on a variant (no checkpoints) compares the best path of the
    check region with the band's, and finds the full-DP path."""
    rng = np.random.default_rng(1)
    x, y = _missed_pair(rng)
    model = PairHMM.default("dna")
    with pytest.warns(BandMissWarning, match=r"outside the band \+-\d+ around .* may be wrong"):
        short = model.mea(x, y, band="auto", max_memory=20_000_000)
    assert short.band.width < 300 and "% of the probability" in short.band_miss
    assert short.path != model.mea(x, y).path
    variant = PairHMM.default("dna").copy(long_gaps=(0.01, 0.9))
    with warnings.catch_warnings():
        warnings.simplefilter("error", BandEdgeWarning)
        v = variant.viterbi(x, y, band="auto", max_memory=10_000_000)  # full: 14.5 MB
    assert v.band is not None and v.band.width > 300 and v.band_miss is None
    assert v.path == variant.viterbi(x, y).path
    with pytest.warns(BandMissWarning, match="nats higher|of the probability"):
        tight = variant.viterbi(x, y, band="auto", max_memory=3_000_000)
    assert tight.band.width < 300 and tight.band_miss


def test_zero_probability_pair_in_an_automatic_band_blames_the_model():
    """A pair holding a residue the model cannot emit fails with the same error in a band as in
    the full DP (naming the residue), not with a complaint about the band."""
    from pairhmm import ZeroProbabilityError

    model = PairHMM.default("dna").copy(insert=[0.5, 0.0, 0.5, 0.0],
                                        match=np.diag([0.5, 0.0, 0.5, 0.0]))
    x = "".join(np.random.default_rng(0).choice(list("AG"), 3000)) + "C"
    for call in (model.mea, model.viterbi):
        with pytest.raises(ZeroProbabilityError, match="every emission of C,"):
            call(x, x, band="auto", max_memory=10_000_000)
    with pytest.raises(ZeroProbabilityError, match="every emission of C,"):
        model.mea(x[-300:], x[-300:])


def test_align_pairs_warns_when_the_widest_band_misses():
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    from pairhmm.batch import align_pairs

    x, y = _missed_pair(np.random.default_rng(1))
    model = PairHMM.default("dna")
    with pytest.warns(BandMissWarning, match=r"^x vs y: alignments outside the band"):
        (aln,) = align_pairs(model, [(SeqRecord(Seq(x), id="x"), SeqRecord(Seq(y), id="y"))],
                             n_jobs=1, max_memory=20_000_000, band="auto")
    assert aln.band_miss


def test_cli_warns_once_when_the_widest_band_misses(tmp_path):
    from click.testing import CliRunner

    from pairhmm.cli import main

    x, y = _missed_pair(np.random.default_rng(1))
    a, b = tmp_path / "a.fa", tmp_path / "b.fa"
    a.write_text(f">a\n{x}\n")
    b.write_text(f">b\n{y}\n")
    runner = CliRunner()
    ok = runner.invoke(main, ["align", str(a), str(b), "--max-memory", "40M"])
    assert ok.exit_code == 0, ok.output
    assert "aligned in a band" in ok.stderr and "warning" not in ok.stderr
    short = runner.invoke(main, ["align", str(a), str(b), "--max-memory", "20M"])
    assert short.exit_code == 0, short.output
    warned = [line for line in short.stderr.splitlines() if "warning" in line]
    assert len(warned) == 1 and warned[0].startswith("pairhmm: warning: a vs b: alignments outside")
    assert "may be wrong" in warned[0]
    drawn = runner.invoke(main, ["align", str(a), str(b), "--max-memory", "20M", "--method",
                                 "sample", "--samples", "3", "-f", "json"])
    assert drawn.exit_code == 0, drawn.output
    warned = [line for line in drawn.stderr.splitlines() if "warning" in line]
    assert len(warned) == 1 and "the samples may be wrong" in warned[0]  # once per pair
    assert all("miss" in r["band"] for r in json.loads(drawn.stdout))


def test_auto_posterior_annotation_takes_a_band_that_holds_the_probability(monkeypatch):
    """An exact Viterbi path annotated from an automatic band: the narrowest band that holds the
    path well inside (the old choice, +-8 here) misses enough probability to shift column
    posteriors by about 5e-3; the forward test rejects it and takes +-16, within 1e-3 of the full
    posterior (1e-5 measured)."""
    import copy

    import pairhmm.engine.banded as banded

    rng = np.random.default_rng(17)
    model = PairHMM.default("dna")
    x = "".join(rng.choice(list("ACGT"), 1200))
    y = mutate(x, rng, 0.25)
    v = model.viterbi(x, y)
    full = copy.copy(v)
    model.annotate_posterior(full, x, y, None, None)
    old = copy.copy(v)
    model.annotate_posterior(old, x, y, None, model.make_band(x, y, 8))
    assert np.abs(old.column_posterior - full.column_posterior).max() > 2e-3
    monkeypatch.setattr(banded, "AUTO_BAND_START_WIDTH", 1)
    runs, checks = _spy_widening(monkeypatch)
    new = copy.copy(v)
    model.annotate_posterior(new, x, y, 20_000_000, "auto")  # the full posterior needs 23 MB
    assert checks == [(8, False), (16, True)]  # +-1 to +-4 do not hold the path
    assert np.abs(new.column_posterior - full.column_posterior).max() < 1e-3
    assert getattr(new, "band_miss", None) is None
