"""Motif files (read/write/convert, errors), backgrounds and filter construction."""

from __future__ import annotations

import gzip
import io

import numpy as np
import pytest

from pairhmm.errors import AlphabetError, InputFormatError, InvalidParameter
from pairhmm.motif import (Background, LogOddsFilter, detect_motif_format, motif_ids, read_motifs,
                           write_motifs)

JASPAR = """>MA0004.1\tArnt
A  [     4     19      0      0      0      0 ]
C  [    16      0     20      0      0      0 ]
G  [     0      1      0     20      0     20 ]
T  [     0      0      0      0     20      0 ]
>MA0006.1\tAhr::Arnt
A  [     3      0      0      0      0      0 ]
C  [     8      0     23      0      0      0 ]
G  [     2     23      0     23      0     24 ]
T  [    11      1      1      1     24      0 ]
"""

MEME = """MEME version 4

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.3 C 0.2 G 0.2 T 0.3

MOTIF M1 alpha

letter-probability matrix: alength= 4 w= 3 nsites= 10 E= 0
 0.1 0.2 0.3 0.4
 0.7 0.1 0.1 0.1
 0.0 0.0 1.0 0.0

MOTIF M2

letter-probability matrix: alength= 4 w= 2 nsites= 20 E= 0
 0.25 0.25 0.25 0.25
 0.5 0.5 0.0 0.0
"""

HOMER = ">ACGT\tmyfactor\t6.5\n0.9 0.05 0.03 0.02\n0.1 0.8 0.05 0.05\n0.1 0.1 0.7 0.1\n0.0 0.1 0.1 0.8\n"


def probs(m) -> np.ndarray:
    a = np.array([m.counts[c] for c in "ACGT"], dtype=float).T
    return a / a.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("text,fmt", [(JASPAR, "jaspar"), (MEME, "minimal"), (HOMER, "homer"),
                                      ("1 2\n3 4\n5 6\n7 8\n", "pfm"),
                                      ("ID x\nP0 A C G T\n01 1 2 3 4\nXX\n//\n", "transfac")])
def test_format_detection(text, fmt):
    assert detect_motif_format(None, text) == fmt


def test_read_jaspar_meme_homer(tmp_path):
    p = tmp_path / "m.jaspar"
    p.write_text(JASPAR)
    ms = read_motifs(p)
    assert [motif_ids(m) for m in ms] == [("MA0004.1", "Arnt"), ("MA0006.1", "Ahr::Arnt")]
    assert ms[0].counts["A"][1] == 19
    g = tmp_path / "m.jaspar.gz"
    g.write_bytes(gzip.compress(JASPAR.encode()))
    assert [motif_ids(m) for m in read_motifs(g)] == [motif_ids(m) for m in ms]
    mm = read_motifs(io.StringIO(MEME))
    assert [motif_ids(m) for m in mm] == [("M1", "alpha"), ("M2", "")]
    np.testing.assert_allclose(probs(mm[0])[1], [0.7, 0.1, 0.1, 0.1])
    h = read_motifs(io.StringIO(HOMER))
    assert motif_ids(h[0]) == ("myfactor", "") and h[0].length == 4


@pytest.mark.parametrize("fmt", ["jaspar", "meme", "transfac", "clusterbuster"])
def test_write_read_roundtrip(fmt):
    ms = read_motifs(io.StringIO(JASPAR))
    buf = io.StringIO()
    write_motifs(ms, buf, fmt)
    back = read_motifs(io.StringIO(buf.getvalue()))
    assert len(back) == 2
    for a, b in zip(ms, back):
        np.testing.assert_allclose(probs(a), probs(b), atol=2e-3)
    if fmt != "clusterbuster":
        assert [motif_ids(m)[0] for m in back] == ["MA0004.1", "MA0006.1"]


def test_pfm_holds_one_motif():
    ms = read_motifs(io.StringIO(JASPAR))
    with pytest.raises(InvalidParameter, match="pfm file holds one motif"):
        write_motifs(ms, io.StringIO(), "pfm")
    buf = io.StringIO()
    write_motifs(ms[:1], buf, "pfm")
    assert motif_ids(read_motifs(io.StringIO(buf.getvalue()))[0]) == ("MA0004.1", "Arnt")


def test_unparseable_jaspar_names_motif_and_line():
    bad = JASPAR.replace("G  [     2     23", "G  [     2     x3")
    with pytest.raises(InputFormatError, match=r"line 9 \(motif 'MA0006.1'\): expected a row of counts"):
        read_motifs(io.StringIO(bad), "jaspar")
    missing = "\n".join(JASPAR.splitlines()[:3] + JASPAR.splitlines()[5:])
    with pytest.raises(InputFormatError, match=r"line 3 \(motif 'MA0004.1'\): the motif ends after 2 rows of counts"):
        read_motifs(io.StringIO(missing), "jaspar")


def test_unparseable_meme_names_motif_and_line():
    bad = MEME.replace(" 0.7 0.1 0.1 0.1", " 0.7 0.1 0.1")
    with pytest.raises(InputFormatError, match=r"line 14 \(motif 'M1'\): 3 values"):
        read_motifs(io.StringIO(bad))
    counts = MEME.replace(" 0.7 0.1 0.1 0.1", " 7 1 1 1")  # counts where probabilities belong
    with pytest.raises(InputFormatError, match=r"line 14 \(motif 'M1'\): .* row sum to 10, not 1"):
        read_motifs(io.StringIO(counts))
    rounded = MEME.replace(" 0.7 0.1 0.1 0.1", " 0.70 0.10 0.10 0.11")  # rounding is tolerated
    assert len(read_motifs(io.StringIO(rounded))) == len(read_motifs(io.StringIO(MEME)))


def test_empty_and_unknown_motif_files(tmp_path):
    e = tmp_path / "e.jaspar"
    e.write_text("")
    with pytest.raises(InputFormatError, match="motif file is empty"):
        read_motifs(e)
    with pytest.raises(InputFormatError, match="no such file"):
        read_motifs(tmp_path / "missing.jaspar")
    with pytest.raises(InputFormatError, match="cannot tell the motif format"):
        read_motifs(io.StringIO("hello world\n"))
    with pytest.raises(InvalidParameter, match="motif format"):
        read_motifs(io.StringIO(JASPAR), "nonsense")


def test_protein_motif_is_an_alphabet_error():
    from Bio import motifs

    pm = motifs.create(["ACDE", "ACDF"], alphabet="ACDEFGHIKLMNPQRSTVWY")
    with pytest.raises(AlphabetError, match="alphabet 'ACDEFGHIKLMNPQRSTVWY'"):
        LogOddsFilter.from_motif(pm)


def test_zero_count_columns_stay_finite_and_warn():
    counts = np.array([[5, 0, 0, 0], [0, 0, 0, 0], [1, 2, 3, 4]], dtype=float)
    with pytest.warns(UserWarning, match=r"column\(s\) 2 have zero counts"):
        f = LogOddsFilter(counts, Background.uniform(), 0.1, "z")
    assert np.all(np.isfinite(f.weights))
    np.testing.assert_allclose(f.weights[1], 0.0)
    with pytest.raises(InvalidParameter, match="column 1 has a zero count for C"):
        LogOddsFilter(counts, Background.uniform(), 0.0, "z")
    with pytest.raises(InvalidParameter, match="pseudocount"):
        LogOddsFilter(counts, Background.uniform(), -1)


def test_weights_match_bio_log_odds():
    ms = read_motifs(io.StringIO(JASPAR))
    bg = Background.from_frequencies({"A": 0.3, "C": 0.2, "G": 0.2, "T": 0.3})
    f = LogOddsFilter.from_motif(ms[1], bg, 0.8)
    pwm = ms[1].counts.normalize(pseudocounts={c: 0.8 * bg.as_dict()[c] for c in "ACGT"})
    pssm = pwm.log_odds(bg.as_dict())
    np.testing.assert_allclose(f.weights, np.array([pssm[c] for c in "ACGT"]).T, atol=1e-12)
    np.testing.assert_allclose(f.weights_rc, np.array([pssm.reverse_complement()[c] for c in "ACGT"]).T,
                               atol=1e-12)


def test_background_symmetrised_and_parsed(tmp_path):
    bg = Background.from_frequencies([0.4, 0.1, 0.3, 0.2])
    np.testing.assert_allclose(bg.freqs, [0.3, 0.2, 0.2, 0.3])
    assert Background.parse("uniform") == Background.uniform()
    assert Background.parse("auto") is None
    assert Background.parse("0.3,0.2,0.2,0.3") == Background.from_frequencies([0.3, 0.2, 0.2, 0.3])
    with pytest.raises(InvalidParameter, match="sum to 10, not 1"):  # frequencies, not counts
        Background.parse("3,2,2,3")
    f = tmp_path / "bg.txt"
    f.write_text("# order-0\nA 0.29\nC 0.21\nG 0.21\nT 0.29\nAA 0.1\n")
    assert Background.parse(str(f)) == Background.from_frequencies([0.29, 0.21, 0.21, 0.29])
    f.write_text("A 0.5\nC 0.5\nG 0.5\nT 0.5\n")
    with pytest.raises(InputFormatError, match="sum to 2, not 1"):
        Background.parse(str(f))
    est = Background.from_sequences(["AAAC", ("x", "GGNT")], pseudocount=0)
    np.testing.assert_allclose(est.freqs, [(3 + 1) / 14, 3 / 14, 3 / 14, 4 / 14])
    with pytest.raises(InvalidParameter, match="--bg"):
        Background.parse("0.3,0.2")
    with pytest.raises(InvalidParameter, match="A\\+T and C\\+G both > 0"):
        Background.from_frequencies([0.5, 0, 0, 0.5])


def test_reads_the_full_jaspar_2024_vertebrate_set(shared_data):
    path = shared_data / "jaspar2024" / "JASPAR2024_CORE_vertebrates_latest.jaspar"
    ms = read_motifs(path)
    assert len(ms) == 879
    ids = [motif_ids(m)[0] for m in ms]
    assert "MA0139.2" in ids and len(set(ids)) == 879
    f = LogOddsFilter.from_motif(ms[ids.index("MA0139.2")])
    assert f.width == 15 and np.all(np.isfinite(f.weights))


def test_meme_to_jaspar_keeps_names_and_does_not_mutate():
    mm = read_motifs(io.StringIO(MEME))
    buf = io.StringIO()
    write_motifs(mm, buf, "jaspar")
    assert not hasattr(mm[0], "matrix_id")
    back = read_motifs(io.StringIO(buf.getvalue()))
    assert [motif_ids(m) for m in back] == [("M1", "alpha"), ("M2", "M2")] or \
        [motif_ids(m) for m in back] == [("M1", "alpha"), ("M2", "")]


def test_read_jaspar_sites_file():
    text = ">MA0004.1 Arnt 1\nccgCACGTGgg\n>MA0004.1 Arnt 2\naaCACGTGtt\n>MA0004.1 Arnt 3\nttCACGTGcc\n"
    assert detect_motif_format(None, text) == "sites"
    (m,) = read_motifs(io.StringIO(text))
    assert motif_ids(m) == ("MA0004.1", "Arnt")
    assert list(m.counts["C"]) == [3, 0, 3, 0, 0, 0]
