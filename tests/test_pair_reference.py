"""Pair HMM against independent references: Biopython's PairwiseAligner, sampling, numerics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from Bio.Align import PairwiseAligner, substitution_matrices

import naive
from pairhmm import PairHMM

# real protein pairs: hemoglobin alpha / beta (human), myoglobin (sperm whale), leghemoglobin
HBA = "MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKLRVDPVNFKLLSHCLLVTLAAHLPAEFTPAVHASLDKFLASVSTVLTSKYR"
HBB = "MVHLTPEEKSAVTALWGKVNVDEVGGEALGRLLVVYPWTQRFFESFGDLSTPDAVMGNPKVKAHGKKVLGAFSDGLAHLDNLKGTFATLSELHCDKLHVDPENFRLLGNVLVCVLAHHFGKEFTPPVQAAYQKVVAGVANALAHKYH"
MYG = "MVLSEGEWQLVLHVWAKVEADVAGHGQDILIRLFKSHPETLEKFDRFKHLKTEAEMKASEDLKKHGVTVLTALGAILKKKGHHEAELKPLAQSHATKHKIPIKYLEFISEAIIHVLHSRHPGDFGADAQGAMNKALELFRKDIAAKYKELGYQG"


def durbin_aligner(model: PairHMM) -> PairwiseAligner:
    """Affine log-odds scores equivalent to the pair HMM (Durbin et al. section 4.2).

    Match s(a,b) = log p_ab/(qx_a qy_b) + log(1-dx-dy-tau) - 2 log(1-eta). A gap of length g
    in the query (target residues against '-', the InsertX state) costs
    log dx + (g-1) log ex - g log(1-eta), plus log((1-ex-tau)/(1-dx-dy-tau)) when a match
    follows it (every gap but one at the right end). The constant log tau - 2 log eta is added
    outside.
    """
    eta = model.eta
    T = model.transitions()
    letters = model.alphabet.letters
    s = (np.log(model.match / np.outer(model.insert_x, model.insert_y)) + math.log(T[0, 0])
         - 2 * math.log1p(-eta))
    aligner = PairwiseAligner()
    aligner.mode = "global"
    aligner.substitution_matrix = substitution_matrices.Array(letters, 2, s)
    l1 = math.log1p(-eta)
    qo = math.log(model.delta_x) - l1   # InsertX = gap in the query
    qe = math.log(model.epsilon_x) - l1
    to = math.log(model.delta_y) - l1   # InsertY = gap in the target
    te = math.log(model.epsilon_y) - l1
    cx = math.log(T[1, 0] / T[0, 0])
    cy = math.log(T[2, 0] / T[0, 0])
    scores = {
        # (gap in the query = InsertX, gap in the target = InsertY)
        "query_internal_open_gap_score": qo + cx, "query_left_open_gap_score": qo + cx,
        "query_right_open_gap_score": qo, "query_internal_extend_gap_score": qe,
        "query_left_extend_gap_score": qe, "query_right_extend_gap_score": qe,
        "target_internal_open_gap_score": to + cy, "target_left_open_gap_score": to + cy,
        "target_right_open_gap_score": to, "target_internal_extend_gap_score": te,
        "target_left_extend_gap_score": te, "target_right_extend_gap_score": te,
    }
    import warnings
    with warnings.catch_warnings():
        # Biopython 1.86+ renamed these (target gap = insertion, query gap = deletion); the old
        # names still work everywhere, the new ones only in recent releases
        warnings.simplefilter("ignore")
        for k, v in scores.items():
            setattr(aligner, k, v)
    return aligner


@pytest.mark.parametrize("tied", [True, False])
def test_viterbi_log_odds_equals_biopython_global_score(tied):
    model = PairHMM.default("protein")
    if not tied:
        model = model.untied().copy(delta=(0.015, 0.03), epsilon=(0.7, 0.85))
    aligner = durbin_aligner(model)
    rng = np.random.default_rng(5)
    letters = model.alphabet.letters
    pairs = [(HBA, HBB), (HBA, MYG), (MYG, HBB), (HBB, HBA)]
    for _ in range(6):
        n, m = rng.integers(20, 120, size=2)
        pairs.append(("".join(rng.choice(list(letters), n)), "".join(rng.choice(list(letters), m))))
    for x, y in pairs:
        aln = model.viterbi(x, y)
        log_odds = aln.score - model.random_log_likelihood(x, y)
        bio = aligner.score(x, y) + math.log(model.tau) - 2 * math.log(model.eta)
        assert log_odds == pytest.approx(bio, rel=1e-9, abs=1e-7)


def test_sampled_alignments_converge_to_posterior():
    model = PairHMM.default("dna")
    x, y = "ACGTTGCAT", "ACTTGGCA"
    P = model.posterior(x, y)
    samples = model.sample_alignments(x, y, n=4000, random_state=1)
    freq = np.zeros_like(P)
    for aln in samples:
        i = j = 0
        for c in aln.path:
            if c == "M":
                freq[i, j] += 1; i += 1; j += 1
            elif c == "X":
                i += 1
            else:
                j += 1
    freq /= len(samples)
    # binomial standard error <= 0.5 / sqrt(4000) = 0.0079
    assert np.abs(freq - P).max() < 0.035
    # each sample is a valid alignment whose score is its path's log probability
    for aln in samples[:20]:
        assert aln.score == pytest.approx(model.path_log_probability(x, y, aln.path))


def test_sampling_is_deterministic_given_seed():
    model = PairHMM.default("protein")
    a = [s.path for s in model.sample_alignments(HBA[:40], HBB[:45], n=5, random_state=42)]
    b = [s.path for s in model.sample_alignments(HBA[:40], HBB[:45], n=5, random_state=42)]
    c = [s.path for s in model.sample_alignments(HBA[:40], HBB[:45], n=5, random_state=43)]
    assert a == b
    assert a != c


@pytest.mark.parametrize("n,m,kind", [
    (2000, 2000, "unrelated"), (5000, 300, "unrelated"), (300, 5000, "unrelated"),
    (10000, 10000, "identical"),
])
def test_forward_does_not_underflow_on_adversarial_shapes(n, m, kind):
    rng = np.random.default_rng(n + m)
    model = PairHMM.default("protein")
    x = rng.integers(0, 20, n).astype(np.uint8)
    y = x.copy() if kind == "identical" else rng.integers(0, 20, m).astype(np.uint8)
    ll = model.log_likelihood(x, y)
    ref = naive.logspace_forward(model, x, y)
    assert math.isfinite(ll) and ll < -1000  # far below the double range of a raw probability
    assert ll == pytest.approx(ref, rel=1e-9)


def test_posterior_is_accurate_on_long_thin_pairs():
    rng = np.random.default_rng(1)
    model = PairHMM.default("protein")
    x = rng.integers(0, 20, 60).astype(np.uint8)
    y = np.concatenate([rng.integers(0, 20, 2000), x, rng.integers(0, 20, 2000)]).astype(np.uint8)
    P = model.posterior(x, y)
    assert np.isfinite(P).all()
    # the embedded copy dominates: x_i is matched to its copy with high probability
    assert np.mean([P[i, 2000 + i] for i in range(60)]) > 0.5
    assert P.sum(axis=1).max() <= 1 + 1e-9


def test_subnormal_blocks_do_not_poison_the_scaling():
    """Emissions so small that a whole block falls into the subnormal range in one row: the
    exact power-of-two rescaling must not overflow (a regression: 2**1063 is inf)."""
    tiny = 1e-320
    match = np.full((4, 4), tiny)
    match[2, 2] = match[3, 3] = 0.5 - 7 * tiny
    insert = np.array([tiny, tiny, 0.5 - tiny, 0.5 - tiny])
    model = PairHMM(match, insert, 0.05, 0.5, 0.01, "dna")
    x = np.array([0] * 30, dtype=np.uint8)
    y = np.array([1] * 30, dtype=np.uint8)
    ll = model.log_likelihood(x, y)
    # subnormal inputs carry few mantissa bits, hence the looser tolerance
    assert ll == pytest.approx(naive.logspace_forward(model, x, y), rel=1e-6)
    P = model.posterior(x, y)
    assert np.isfinite(P).all() and P.sum(axis=1).max() <= 1 + 1e-9
    # training through such a model keeps every count finite
    from pairhmm.train import expected_stats
    st = expected_stats(model, [(x, y)])
    assert np.isfinite(st.trans).all() and np.isfinite(st.match).all()
