"""The motif scanner against Bio.motifs, brute force and MOODS; invariances; edge cases."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from Bio import motifs as bio_motifs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pairhmm.errors import AlphabetError, InvalidParameter
from pairhmm.motif import (Background, LogOddsFilter, Scanner, scan, scan_table, score_distribution,
                           score_threshold)

COMP = str.maketrans("ACGTN", "TGCAN")
BG = Background.from_frequencies([0.35, 0.15, 0.15, 0.35])


def rc(s: str) -> str:
    return s[::-1].translate(COMP)


def random_counts(rng: np.random.Generator, width: int) -> np.ndarray:
    """Counts with a few zeros and a strongly preferred letter per column."""
    c = rng.integers(0, 6, size=(width, 4)).astype(float)
    c[np.arange(width), rng.integers(0, 4, width)] += rng.integers(5, 30, width)
    return c


def random_dna(rng: np.random.Generator, n: int, p=(0.3, 0.2, 0.2, 0.3)) -> str:
    return "".join(np.array(list("ACGT"))[rng.choice(4, n, p=p)])


def bio_motif(counts: np.ndarray, name: str = "m"):
    m = bio_motifs.Motif("ACGT", counts={c: list(counts[:, k]) for k, c in enumerate("ACGT")})
    m.name = name
    return m


def brute_scores(filt: LogOddsFilter, seq: str) -> tuple[np.ndarray, np.ndarray]:
    """Forward and reverse scores from the Bio.motifs PSSM, summed in float64 (NaN over N)."""
    pssm = filt.to_bio_pssm()
    mat = {c: np.asarray(pssm[c], dtype=float) for c in "ACGT"}
    w = filt.width
    fw, rv = [], []
    for i in range(len(seq) - w + 1):
        win = seq[i: i + w]
        if "N" in win:
            fw.append(np.nan)
            rv.append(np.nan)
            continue
        fw.append(sum(mat[c][j] for j, c in enumerate(win)))
        rv.append(sum(mat[c][j] for j, c in enumerate(rc(win))))
    return np.array(fw), np.array(rv)


# ----------------------------------------------------------------------------- scores vs Bio


def test_scores_equal_bio_pssm_on_both_strands_at_every_position():
    rng = np.random.default_rng(1)
    seq = random_dna(rng, 700)
    seq = seq[:300] + "NN" + seq[302:]
    counts = [random_counts(rng, w) for w in (3, 7, 12, 17)]
    filters = [LogOddsFilter(c, BG, 0.1, f"m{k}") for k, c in enumerate(counts)]
    hits = scan(filters, [("s", seq)], score=-1e9)  # every window is a hit
    for f in filters:
        fw, rv = brute_scores(f, seq)
        got_f = np.full(fw.size, np.nan)
        got_r = np.full(fw.size, np.nan)
        for h in hits:
            if h.motif_id == f.motif_id:
                (got_f if h.strand == "+" else got_r)[h.start] = h.score
        # windows over N: no hit on either strand
        assert np.array_equal(np.isnan(got_f), np.isnan(fw))
        assert np.array_equal(np.isnan(got_r), np.isnan(rv))
        ok = ~np.isnan(fw)
        np.testing.assert_allclose(got_f[ok], fw[ok], rtol=0, atol=1e-9)
        np.testing.assert_allclose(got_r[ok], rv[ok], rtol=0, atol=1e-9)
        # Bio's own calculate() (float32 internally) and reverse_complement()
        pssm = f.to_bio_pssm()
        np.testing.assert_allclose(got_f[ok], np.asarray(pssm.calculate(seq))[ok], atol=1e-4)
        np.testing.assert_allclose(got_r[ok], np.asarray(pssm.reverse_complement().calculate(seq))[ok],
                                   atol=1e-4)
        # the dense helper agrees too
        df, dr = f.score(seq)
        np.testing.assert_allclose(df[ok], fw[ok], atol=1e-9)
        np.testing.assert_allclose(dr[ok], rv[ok], atol=1e-9)


def test_palindrome_scores_same_on_both_strands():
    half = np.array([[9, 0, 1, 0], [0, 8, 1, 1], [1, 1, 8, 0]], dtype=float)
    counts = np.vstack([half, half[::-1, ::-1]])  # reverse complement of itself
    f = LogOddsFilter(counts, BG)
    np.testing.assert_array_equal(f.weights, f.weights_rc)
    hits = scan([f], [("s", "TTTACGCGTTTT")], score=f.max_score - 1e-9)
    assert {(h.start, h.strand) for h in hits} == {(3, "+"), (3, "-")}
    assert hits[0].score == hits[1].score


# ----------------------------------------------------------------------------- hits vs brute force


@pytest.mark.parametrize("width,pvalue", [(4, 0.02), (6, 1e-3), (8, 1e-4)])
def test_hit_set_equals_brute_force(width, pvalue):
    rng = np.random.default_rng(width)
    f = LogOddsFilter(random_counts(rng, width), BG, 0.5, "m")
    seq = random_dna(rng, 6000)
    dist = score_distribution(f)
    # brute-force distribution of the discretised score over all 4^k k-mers
    kmers = np.array(list(itertools.product(range(4), repeat=width)))
    iw = dist.int_weights
    s_int = iw[np.arange(width), kmers].sum(axis=1)
    prob = np.prod(BG.freqs[kmers], axis=1)

    # the largest downward rounding error of any window, from the integer weights
    e_lo = (iw * dist.step - f.weights).min(axis=1).sum()

    def brute_p(score: float) -> float:
        k = np.ceil((score + e_lo - 1e-9) / dist.step)
        return float(prob[s_int >= min(k, s_int.max())].sum())

    fw, rv = brute_scores(f, seq)
    expected = set()
    for i in range(fw.size):
        for strand, s in (("+", fw[i]), ("-", rv[i])):
            if brute_p(s) <= pvalue:
                expected.add((i, strand))
    hits = scan([f], [("s", seq)], pvalue=pvalue)
    assert {(h.start, h.strand) for h in hits} == expected
    assert len(expected) > 0
    for h in hits:
        assert h.pvalue == pytest.approx(brute_p(h.score), rel=1e-9)


# ----------------------------------------------------------------------------- MOODS


def test_hits_agree_with_moods_at_same_score_threshold():
    moods_scan = pytest.importorskip("MOODS.scan")
    rng = np.random.default_rng(7)
    seq = random_dna(rng, 20000)
    filters = [LogOddsFilter(random_counts(rng, w), BG, 0.1, f"m{w}") for w in (6, 9, 14, 21)]
    for f in filters:
        thr = score_threshold(f, 1e-3)
        ours = {(h.start, h.strand) for h in scan([f], [("s", seq)], score=thr)}
        mats = [[list(map(float, w[:, a])) for a in range(4)] for w in (f.weights, f.weights_rc)]
        res = moods_scan.scan_dna(seq, mats, list(BG.freqs), [thr, thr], 7)
        theirs = {(m.pos, "+") for m in res[0]} | {(m.pos, "-") for m in res[1]}
        assert ours == theirs
        assert ours


# ----------------------------------------------------------------------------- invariances


@pytest.mark.filterwarnings("ignore:.*cannot reach")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n=st.integers(1, 300), width=st.integers(1, 12),
       n_ambig=st.integers(0, 3))
def test_reverse_complementing_input_mirrors_every_hit(seed, n, width, n_ambig):
    rng = np.random.default_rng(seed)
    letters = list(random_dna(rng, n))
    for _ in range(n_ambig):
        letters[int(rng.integers(0, n))] = "N"
    seq = "".join(letters)
    f = LogOddsFilter(random_counts(rng, width), BG, 0.1, "m")
    p = 0.05
    fwd = scan([f], [("s", seq)], pvalue=p)
    rev = scan([f], [("s", rc(seq))], pvalue=p)
    mirrored = sorted((n - h.end, n - h.start, "-" if h.strand == "+" else "+", h.score, h.pvalue,
                       h.qvalue, h.matched_sequence) for h in fwd)
    got = sorted((h.start, h.end, h.strand, h.score, h.pvalue, h.qvalue, h.matched_sequence)
                 for h in rev)
    assert got == mirrored


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), chunk=st.integers(5, 64))
def test_chunking_does_not_change_hits(seed, chunk):
    rng = np.random.default_rng(seed)
    seq = random_dna(rng, 400)
    filters = [LogOddsFilter(random_counts(rng, w), BG, 0.1, f"m{w}") for w in (5, 11)]
    whole = scan(filters, [("s", seq)], pvalue=0.01)
    pieces = scan(filters, [("s", seq)], pvalue=0.01, chunk_size=chunk)
    assert whole == pieces


def test_planted_sites_found_and_ambiguity_never_hits():
    f = LogOddsFilter(np.eye(4)[[0, 1, 2, 3, 3, 2, 1, 0, 0, 2]] * 20, Background.uniform(), 0.1, "site")
    site = "ACGTTGCAAG"
    bg = "C" * 30
    seq = bg + site + bg + site.replace("T", "N", 1) + bg + rc(site) + bg
    hits = scan([f], [("s", seq)], pvalue=1e-5)
    assert [(h.start, h.strand, h.matched_sequence) for h in hits] == [
        (30, "+", site), (110, "-", site)]
    assert hits[0].end == 40


# ----------------------------------------------------------------------------- outputs and options


def test_qvalues_use_all_tested_positions():
    rng = np.random.default_rng(3)
    f = LogOddsFilter(random_counts(rng, 8), BG, 0.1, "m")
    seq = random_dna(rng, 3000) + "N" * 50 + random_dna(rng, 1000)
    table = scan_table([f], [("s", seq)], pvalue=1e-2)
    m = 2 * ((3000 - 8 + 1) + (1000 - 8 + 1))
    assert table.tested[0] == m
    p = np.sort(table.pvalue)
    q_manual = np.minimum.accumulate((p * m / np.arange(1, p.size + 1))[::-1])[::-1]
    np.testing.assert_allclose(np.sort(table.qvalue), np.minimum(q_manual, 1))


def test_best_per_sequence_and_max_hits():
    rng = np.random.default_rng(4)
    f = LogOddsFilter(random_counts(rng, 8), BG, 0.1, "m")
    g = LogOddsFilter(random_counts(rng, 6), BG, 0.1, "g")
    seqs = [(f"s{k}", random_dna(rng, 800)) for k in range(4)]
    allhits = scan([f, g], seqs, pvalue=0.01)
    best = scan([f, g], seqs, pvalue=0.01, best_per_sequence=True)
    keys = {(h.motif_id, h.sequence_name) for h in allhits}
    assert len(best) == len(keys)
    for h in best:
        group = [x for x in allhits if (x.motif_id, x.sequence_name) == (h.motif_id, h.sequence_name)]
        assert h.pvalue == min(x.pvalue for x in group)
    top = scan([f, g], seqs, pvalue=0.01, max_hits=5)
    assert len(top) == 5
    cut = sorted(x.pvalue for x in allhits)[4]
    assert all(h.pvalue <= cut for h in top)


def test_sequence_shorter_than_motif_gives_no_hits():
    f = LogOddsFilter(np.ones((10, 4)), BG, 0.1, "m")
    assert scan([f], [("tiny", "ACG")], pvalue=1.0) == []


def test_unreachable_pvalue_warns_and_reports_nothing():
    f = LogOddsFilter(np.eye(4)[[0, 1, 2]] * 10, BG, 0.1, "short")
    with pytest.warns(UserWarning, match=r"1 of 1 motif\(s\) cannot reach p <= 1e-05 and report no hits: short \(width 3"):
        assert scan([f], [("s", "ACGACGACG")], pvalue=1e-5) == []


@pytest.mark.parametrize("p", [0, -1e-3, 1.5, float("nan"), "x"])
def test_pvalue_outside_unit_interval_is_rejected(p):
    f = LogOddsFilter(np.ones((5, 4)), BG)
    with pytest.raises(InvalidParameter, match="pvalue"):
        scan([f], [("s", "ACGTACGT")], pvalue=p)


def test_sequence_alphabet_must_match_motifs():
    f = LogOddsFilter(np.ones((5, 4)), BG, motif_id="m")
    with pytest.raises(AlphabetError, match=r"prot: character 'E' at position 3"):
        scan([f], [("prot", "MKEVLA")], pvalue=1.0)
    rna = bio_motifs.Motif("ACGU", counts={c: [1, 2, 3] for c in "ACGU"})
    with pytest.raises(AlphabetError, match="mix DNA"):
        Scanner([f, LogOddsFilter.from_motif(rna)])


def test_rna_motif_scans_rna():
    m = bio_motifs.Motif("ACGU", counts={"A": [9, 0, 0, 0, 0], "C": [0, 9, 0, 0, 0], "G": [0, 0, 9, 0, 0],
                                  "U": [0, 0, 0, 9, 9]})
    hits = scan([m], [("r", "GGGACGUUGGG")], pvalue=1e-3)
    assert [(h.start, h.strand, h.matched_sequence) for h in hits] == [(3, "+", "ACGUU")]


def test_scanner_accepts_bio_motifs_and_streams_fasta(tmp_path):
    rng = np.random.default_rng(5)
    counts = random_counts(rng, 9)
    seq = random_dna(rng, 2500)
    fa = tmp_path / "x.fa"
    fa.write_text(">one desc\n" + "\n".join(seq[i:i + 70] for i in range(0, 2500, 70)) + "\n>two\nACGT\n")
    a = scan([bio_motif(counts, "bm")], fa, pvalue=1e-3)
    b = scan([LogOddsFilter(counts, Background.uniform(), 0.1, "bm")], [("one", seq), ("two", "ACGT")],
             pvalue=1e-3)
    assert a == b and a
    gz = tmp_path / "x.fa.gz"
    import gzip

    gz.write_bytes(gzip.compress(fa.read_bytes()))
    assert scan([bio_motif(counts, "bm")], gz, pvalue=1e-3) == a
    auto = scan([bio_motif(counts, "bm")], fa, background="auto", pvalue=1e-3)
    est = Background.from_sequences([seq, "ACGT"])
    manual = scan([LogOddsFilter(counts, est, 0.1, "bm")], [("one", seq), ("two", "ACGT")], pvalue=1e-3)
    assert auto == manual


def test_parallel_and_serial_kernels_agree():
    rng = np.random.default_rng(9)
    seq = random_dna(rng, 5000)
    filters = [LogOddsFilter(random_counts(rng, w), BG, 0.1, f"m{w}") for w in (5, 8, 13)]
    results = []
    for serial_below in (0, 10**9):
        sc = Scanner(filters, pvalue=0.01, chunk_size=1000)
        sc._serial_below = serial_below
        sc.add("s", seq)
        results.append(sc.result().to_hits())
    assert results[0] == results[1] and results[0]


def test_pvalue_one_reports_every_unambiguous_window():
    f = LogOddsFilter(np.ones((3, 4)) + np.eye(4)[[0, 1, 2]], BG, 0.1, "m")
    hits = scan([f], [("s", "ACGNACGTT")], pvalue=1.0)
    assert sorted((h.start, h.strand) for h in hits) == sorted(
        (i, s) for i in (0, 4, 5, 6) for s in "+-")
    assert all(h.pvalue <= 1.0 for h in hits)


def test_jaspar_motifs_agree_with_moods(shared_data):
    moods_scan = pytest.importorskip("MOODS.scan")
    from pairhmm.motif import read_motifs

    motifs = read_motifs(shared_data / "jaspar2024" / "JASPAR2024_CORE_vertebrates_latest.jaspar")[:40]
    rng = np.random.default_rng(12)
    seq = random_dna(rng, 30000)
    table = scan_table(motifs, [("s", seq)], pvalue=1e-3)
    filters = [LogOddsFilter.from_motif(m, index=k) for k, m in enumerate(motifs)]
    for k, f in enumerate(filters):
        thr = score_threshold(f, 1e-3)
        if thr == float("inf"):
            continue
        mats = [[list(map(float, w[:, a])) for a in range(4)] for w in (f.weights, f.weights_rc)]
        res = moods_scan.scan_dna(seq, mats, [0.25] * 4, [thr, thr], 7)
        theirs = {(m.pos, 0) for m in res[0]} | {(m.pos, 1) for m in res[1]}
        sel = table.motif == k
        ours = set(zip(table.start[sel].tolist(), table.strand[sel].tolist()))
        assert ours == theirs
