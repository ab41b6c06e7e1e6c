"""FIMO-style scanning options: q-value threshold, memory bound, p-value order, genome
coordinates, motif selection, motif-file background, warnings, and scan_table()."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from Bio import motifs as bio_motifs

from pairhmm.errors import InvalidParameter
from pairhmm.motif import (Background, HitTable, LogOddsFilter, Scanner, parse_genomic_name, scan,
                           scan_table, select_motifs)

BG = Background.from_frequencies([0.3, 0.2, 0.2, 0.3])
COMP = str.maketrans("ACGT", "TGCA")


def rc(s: str) -> str:
    return s[::-1].translate(COMP)


def random_dna(rng: np.random.Generator, n: int) -> str:
    return "".join(np.array(list("ACGT"))[rng.choice(4, n, p=[0.3, 0.2, 0.2, 0.3])])


def motif(rng: np.random.Generator, width: int, name: str, sites: int = 4) -> LogOddsFilter:
    c = rng.integers(0, 3, size=(width, 4)).astype(float)
    c[np.arange(width), rng.integers(0, 4, width)] += sites
    return LogOddsFilter(c, BG, 0.1, name)


def bh_all_windows(filters, seqs):
    """Every window's p-value (a p = 1 scan) and independent BH q-values (SciPy) per motif."""
    try:
        from scipy.stats import false_discovery_control
    except ImportError:  # SciPy < 1.11
        pytest.skip("needs scipy.stats.false_discovery_control (SciPy >= 1.11)")
    t = scan_table(filters, seqs, background=BG, pvalue=1.0)
    q = np.empty(len(t))
    for m in range(len(filters)):
        sel = t.motif == m
        assert sel.sum() == t.tested[m]  # every tested window is there
        q[sel] = false_discovery_control(t.pvalue[sel], method="bh")
    return t, q


def keyset(t: HitTable):
    return set(zip(t.motif.tolist(), t.seq.tolist(), t.start.tolist(), t.strand.tolist()))


# ----------------------------------------------------------------------------- q-value threshold


@pytest.mark.parametrize("qv", [0.05, 0.3])
def test_qvalue_threshold_equals_bh_over_every_window(qv):
    rng = np.random.default_rng(1)
    filters = [motif(rng, 6, "a", 6), motif(rng, 8, "b", 3)]
    seqs = [(f"s{k}", random_dna(rng, 1500)) for k in range(3)]
    # plant a few strong sites so that some q-values are small
    for k, f in enumerate(filters):
        site = "".join("ACGT"[i] for i in f.weights.argmax(axis=1))
        name, s = seqs[k]
        seqs[k] = (name, s[:400] + site + s[400 + len(site):900] + rc(site) + s[900 + len(site):])
    allw, q = bh_all_windows(filters, seqs)
    want = {key for key, qq in zip(zip(allw.motif.tolist(), allw.seq.tolist(), allw.start.tolist(),
                                       allw.strand.tolist()), q) if qq <= qv}
    t = scan_table(filters, seqs, background=BG, qvalue=qv)
    assert keyset(t) == want and len(want) > 0
    expected_q = dict(zip(zip(allw.motif.tolist(), allw.seq.tolist(), allw.start.tolist(),
                              allw.strand.tolist()), q))
    np.testing.assert_allclose(t.qvalue, [expected_q[k] for k in zip(
        t.motif.tolist(), t.seq.tolist(), t.start.tolist(), t.strand.tolist())], rtol=1e-12)


def test_qvalues_with_a_dropped_histogram_equal_bh_on_the_expanded_list():
    try:
        from scipy.stats import false_discovery_control
    except ImportError:
        pytest.skip("needs SciPy >= 1.11")
    from pairhmm.motif import qvalues

    rng = np.random.default_rng(8)
    kept = rng.choice([1e-6, 2e-6, 5e-6, 1e-5, 3e-5], size=40)
    dvals, dcounts = np.array([3e-5, 5e-5, 1e-4]), np.array([7, 30, 120])
    m = 5000
    full = np.concatenate([kept, np.repeat(dvals, dcounts), np.ones(m - 40 - dcounts.sum())])
    want = false_discovery_control(full, method="bh")[:40]
    np.testing.assert_allclose(qvalues(kept, m, (dvals, dcounts)), want, rtol=1e-12)
    assert not np.allclose(qvalues(kept, m), want)  # without the dropped ones: different


def test_qvalue_and_pvalue_thresholds_are_exclusive():
    f = LogOddsFilter(np.ones((5, 4)), BG)
    with pytest.raises(InvalidParameter, match="give one threshold: pvalue, score or qvalue"):
        Scanner([f], qvalue=0.1, pvalue=1e-3)
    with pytest.raises(InvalidParameter, match=r"invalid qvalue = 0\.0: must be in \(0, 1\]"):
        Scanner([f], qvalue=0.0)


# ----------------------------------------------------------------------------- memory bound


@pytest.mark.parametrize("chunk", [97, 1 << 18])
def test_memory_bound_keeps_the_most_significant_and_exact_qvalues(chunk):
    rng = np.random.default_rng(2)
    filters = [motif(rng, 6, "a"), motif(rng, 7, "b")]
    seqs = [(f"s{k}", random_dna(rng, 2000)) for k in range(5)]
    full = scan_table(filters, seqs, background=BG, pvalue=0.01)
    n = 37
    assert len(full) > 2 * n
    with pytest.warns(UserWarning, match=rf"kept the {n} most significant hits, dropped "
                                         rf"{len(full) - n} with p-value >= .*the q-values count every hit"):
        bounded = scan_table(filters, seqs, background=BG, pvalue=0.01, max_stored=n,
                             chunk_size=chunk)
    order = np.lexsort((full.strand, full.start, full.seq, full.motif, -full.score, full.pvalue))
    top = full.take(np.sort(order[:n]))
    assert keyset(bounded) == keyset(top)
    np.testing.assert_array_equal(bounded.qvalue, top.qvalue)  # q-values of the full scan
    np.testing.assert_array_equal(bounded.pvalue, top.pvalue)
    # the same through the streaming Scanner, one record at a time (prunes several times)
    sc = Scanner(filters, BG, pvalue=0.01, max_stored=n, chunk_size=chunk)
    for name, s in seqs:
        sc.add(name, s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        again = sc.result()
    assert sum(p["motif"].size for p in sc._parts) == n
    assert again.to_hits() == bounded.to_hits()


def test_memory_bound_with_qvalue_threshold_says_what_it_lost():
    rng = np.random.default_rng(3)
    f = motif(rng, 8, "a", 8)
    site = "".join("ACGT"[i] for i in f.weights.argmax(axis=1))
    seqs = [(f"s{k}", random_dna(rng, 300) + site + random_dna(rng, 300)) for k in range(30)]
    full = scan_table([f], seqs, background=BG, qvalue=0.05)
    assert len(full) >= 30
    with pytest.warns(UserWarning, match=rf"; {len(full) - 10} dropped hit\(s\) had q-value <= 0.05, "
                                         r"so the output is incomplete"):
        bounded = scan_table([f], seqs, background=BG, qvalue=0.05, max_stored=10)
    assert len(bounded) == 10
    got = dict(zip(keyset(bounded), bounded.qvalue))
    want = dict(zip(keyset(full), full.qvalue))
    assert all(got[k] == want[k] for k in got)
    with pytest.raises(InvalidParameter, match="max_stored"):
        Scanner([f], max_stored=0)


# ----------------------------------------------------------------------------- order


def test_sort_by_pvalue():
    rng = np.random.default_rng(4)
    filters = [motif(rng, 6, "a"), motif(rng, 7, "b")]
    seqs = [(f"s{k}", random_dna(rng, 1000)) for k in range(3)]
    pos = scan_table(filters, seqs, background=BG, pvalue=0.01)
    byp = scan_table(filters, seqs, background=BG, pvalue=0.01, sort="pvalue")
    assert keyset(pos) == keyset(byp)
    assert np.all(np.diff(byp.pvalue) >= 0)
    tie = (np.diff(byp.pvalue) == 0)
    assert np.all(np.diff(byp.score)[tie] <= 0)
    key = np.lexsort((pos.strand, pos.start, pos.seq, pos.motif))
    np.testing.assert_array_equal(key, np.arange(len(pos)))  # default: position order
    hits = scan(filters, seqs, background=BG, pvalue=0.01, sort="pvalue")
    assert [h.pvalue for h in hits] == byp.pvalue.tolist()
    with pytest.raises(InvalidParameter, match="sort"):
        scan_table(filters, seqs, sort="score")


# ----------------------------------------------------------------------------- genome coordinates


def test_parse_genomic_name_follows_fimo():
    assert parse_genomic_name("chr1:1000-2000") == ("chr1", 999, 2000, "")
    assert parse_genomic_name("chrX:5-9(-)") == ("chrX", 4, 9, "-")
    assert parse_genomic_name("chr2:11-20(+)_peak7") == ("chr2", 10, 20, "+")
    assert parse_genomic_name("promoter1") is None
    assert parse_genomic_name("chr1:1000") is None


def test_genomic_coordinates_equal_scanning_the_chromosome():
    """Pieces of a chromosome named chrom:start-end (1-based, as FIMO) and their reverse
    complements named ...(-) give the hits of scanning the chromosome itself."""
    rng = np.random.default_rng(5)
    f = motif(rng, 6, "a", 6)
    chrom = random_dna(rng, 3000)
    whole = scan_table([f], [("chr7", chrom)], background=BG, pvalue=0.01)
    pieces = [(100, 900, "+"), (1000, 2100, "-"), (2200, 3000, "+")]  # 0-based half-open
    recs = [(f"chr7:{a + 1}-{b}" + ("(-)" if s == "-" else ""), chrom[a:b] if s == "+" else rc(chrom[a:b]))
            for a, b, s in pieces]
    got = scan_table([f], recs, background=BG, pvalue=0.01, parse_genomic_coord=True)
    inside = [k for k in range(len(whole)) if any(a <= whole.start[k] and whole.start[k] + 6 <= b
                                                  for a, b, _ in pieces)]
    want = [h._replace(qvalue=0.0) for h in whole.take(np.array(inside)).to_hits()]
    assert [h._replace(qvalue=0.0) for h in got.to_hits()] == want and len(want) > 5  # q: fewer tests
    assert {h.sequence_name for h in got.to_hits()} == {"chr7"}


def test_genomic_length_mismatch_warns_once_and_plain_names_stay():
    rng = np.random.default_rng(6)
    f = LogOddsFilter(np.eye(4)[[1, 2, 1, 2, 1, 2, 1]] * 20, BG, 0.1, "a")
    site = "CGCGCGC"
    recs = [("chr1:100-200", "A" * 20 + site + "A" * 73),  # 100 bases: bedtools' 0-based name
            ("chr1:301-400", "A" * 50 + site + "A" * 43),  # 100 bases: 1-based, as FIMO reads it
            ("plain", "A" * 10 + site + "A" * 10)]
    with pytest.warns(UserWarning, match=r"1 record name\(s\) .*'chr1:100-200' has 100 bases"):
        t = scan_table([f], recs, background=BG, pvalue=1e-3, both_strands=False,
                       parse_genomic_coord=True)
    got = {(h.sequence_name, h.start) for h in t.to_hits()}
    assert got == {("chr1", 99 + 20), ("chr1", 300 + 50), ("plain", 10)}


# ----------------------------------------------------------------------------- selection, background


def jaspar_motifs():
    out = []
    for mid, name in [("MA1.1", "FOO"), ("MA2.1", "BAR"), ("MA3.1", "BAR"), ("MA1.1", "FOO2")]:
        m = bio_motifs.Motif("ACGT", counts={c: [1, 2, 3] for c in "ACGT"})
        m.matrix_id, m.name = mid, name
        out.append(m)
    return out


def test_select_motifs_by_id_then_unambiguous_name():
    ms = jaspar_motifs()
    assert select_motifs(ms, ["MA2.1"]) == [ms[1]]
    assert select_motifs(ms, ["MA3.1", "FOO2", "MA2.1", "MA2.1"]) == [ms[1], ms[2], ms[3]]
    assert select_motifs(ms, ["MA1.1"]) == [ms[0], ms[3]]  # a repeated ID: every motif with it
    with pytest.raises(InvalidParameter, match=r"'BAR': the name is shared by 2 motifs in x.jaspar "
                                               r"\(MA2.1, MA3.1\): give the ID"):
        select_motifs(ms, ["BAR"], "x.jaspar")
    with pytest.raises(InvalidParameter, match=r"'MA9': no motif with that ID or name in x.jaspar "
                                               r"\(4 motifs: MA1.1, MA2.1, MA3.1, \.\.\.\)"):
        select_motifs(ms, ["MA9"], "x.jaspar")


def test_background_from_motifs():
    ms = jaspar_motifs()
    assert Background.from_motifs(ms) == Background.uniform()
    for m in ms:
        m.file_background = {"A": 0.3, "C": 0.2, "G": 0.2, "T": 0.3}
    assert Background.from_motifs(ms) == BG
    ms[1].file_background = {"A": 0.2, "C": 0.3, "G": 0.3, "T": 0.2}
    with pytest.raises(InvalidParameter, match="different backgrounds"):
        Background.from_motifs(ms)


# ----------------------------------------------------------------------------- warnings, API


def test_unreachable_motifs_are_one_warning():
    filters = [LogOddsFilter(np.eye(4)[[k % 4, (k + 1) % 4, 2]] * 10, BG, 0.1, f"short{k}")
               for k in range(8)]
    filters.append(LogOddsFilter(np.eye(4)[[0, 1, 2, 3, 0, 1, 2, 3, 0]] * 10, BG, 0.1, "long"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scan_table(filters, [("s", "ACGTACGTA")], background=BG, pvalue=1e-5)
    msgs = [str(w.message) for w in caught]
    assert len(msgs) == 1
    assert msgs[0].startswith("8 of 9 motif(s) cannot reach p <= 1e-05 and report no hits: short0 (width 3")
    assert msgs[0].endswith("and 3 more")
    with pytest.warns(UserWarning, match=r"cannot reach q <= 1e-05 \(which needs p <= 1e-05\)"):
        scan_table(filters[:1], [("s", "ACGTACGTA")], background=BG, qvalue=1e-5)


def test_scan_table_and_deprecated_table_argument():
    rng = np.random.default_rng(7)
    f = motif(rng, 6, "a")
    seqs = [("s", random_dna(rng, 2000))]
    t = scan_table([f], seqs, pvalue=0.01)
    assert isinstance(t, HitTable) and len(t) > 0
    assert scan([f], seqs, pvalue=0.01) == t.to_hits()
    with pytest.warns(DeprecationWarning, match=r"scan\(table=\.\.\.\) is deprecated .* use scan_table\(\)"):
        old = scan([f], seqs, pvalue=0.01, table=True)
    assert isinstance(old, HitTable) and old.to_hits() == t.to_hits()
    with pytest.warns(DeprecationWarning):
        assert scan([f], seqs, pvalue=0.01, table=False) == t.to_hits()
