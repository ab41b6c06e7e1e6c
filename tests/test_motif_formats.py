"""Motif files as databases and tools distribute them: MEME minimal (with and without the
optional lines), JASPAR (.jaspar and .pfm), TRANSFAC (TRANSFAC and JASPAR's export), HOMER and
plain count files, with headers, comments, blank lines and CRLF line ends; errors name the
file and the line. The inputs are written here after each format's documentation; where
Bio.motifs reads the same file, its counts are the independent reference."""

from __future__ import annotations

import io

import numpy as np
import pytest
from Bio import motifs as bio_motifs
from click.testing import CliRunner

from pairhmm.cli import main
from pairhmm.errors import InputFormatError
from pairhmm.motif import (Background, detect_motif_format, motif_ids, read_motifs, scan_table,
                           write_motifs)


def counts(m) -> np.ndarray:
    return np.array([m.counts[c] for c in "ACGT"], dtype=float).T


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


# ----------------------------------------------------------------------------- MEME minimal

# As the MEME suite documents the minimal format: version line, alphabet, strands, background,
# then MOTIF sections with a letter-probability matrix (every key= optional) and URL lines.
MEME_FULL = """MEME version 4

ALPHABET= ACGT

strands: + -

Background letter frequencies
A 0.295 C 0.205 G 0.205 T 0.295

MOTIF ZNF1 Zinc1
letter-probability matrix: alength= 4 w= 4 nsites= 8 E= 2.5e-010
 0.125000  0.750000  0.000000  0.125000
 0.000000  0.000000  1.000000  0.000000
 0.875000  0.125000  0.000000  0.000000
 0.250000  0.250000  0.250000  0.250000

URL http://example.org/motifs/ZNF1

MOTIF ZNF2
letter-probability matrix: alength= 4 w= 3 E= 1.0e+000
 0.500000  0.500000  0.000000  0.000000
 0.100000  0.200000  0.300000  0.400000
 0.000000  0.000000  0.000000  1.000000

MOTIF ZNF3 Zinc3

letter-probability matrix: alength= 4 w= 2 nsites= 3
 0.333333  0.666667  0.000000  0.000000
 1.000000  0.000000  0.000000  0.000000
URL http://example.org/motifs/ZNF3
"""

# MEME 5 with a custom DNA-like alphabet block, no background line, one strand, no w= (the
# matrix ends at a blank line), a log-odds matrix before the probabilities (as MEME writes).
MEME_NO_BACKGROUND = """MEME version 5.5.4

ALPHABET "DNA" DNA-LIKE
A "Adenine" CC0000 ~ T "Thymine" 008000
C "Cytosine" 0000CC ~ G "Guanine" FFB300
N "Any base" = ACGT
END ALPHABET

strands: +

MOTIF 1-CACGTG STREME-1
log-odds matrix: alength= 4 w= 2 E= 0
 -1.2  1.5 -3.0 -3.0
  2.0 -4.0 -4.0 -4.0
letter-probability matrix: alength= 4 nsites= 5 E= 3.1e-002
 0.2 0.8 0.0 0.0
 1.0 0.0 0.0 0.0

MOTIF 2-GGG STREME-2
letter-probability matrix:
 0.0 0.0 1.0 0.0
"""


def test_meme_minimal_with_every_optional_line():
    for text in (MEME_FULL, crlf(MEME_FULL)):
        ms = read_motifs(io.StringIO(text))
        assert [motif_ids(m) for m in ms] == [("ZNF1", "Zinc1"), ("ZNF2", ""), ("ZNF3", "Zinc3")]
        assert [m.num_occurrences for m in ms] == [8, 20, 3]  # nsites absent: MEME's default 20
        assert [m.evalue for m in ms] == [2.5e-10, 1.0, 0.0]  # E= absent: 0
        assert ms[0].url == "http://example.org/motifs/ZNF1" and ms[1].url is None
        assert ms[2].url == "http://example.org/motifs/ZNF3"
        assert ms[0].strands == "+ -"
        np.testing.assert_allclose(counts(ms[0])[0], [1, 6, 0, 1])  # probabilities x nsites
        np.testing.assert_allclose(counts(ms[1])[1], [2, 4, 6, 8])  # x 20, not rounded
        np.testing.assert_allclose(counts(ms[2])[0], [1, 2, 0, 0], atol=1e-5)
        assert Background.from_motifs(ms) == Background.from_frequencies([0.295, 0.205, 0.205, 0.295])


def test_meme_minimal_without_background_alphabet_line_or_w():
    ms = read_motifs(io.StringIO(MEME_NO_BACKGROUND))
    assert [motif_ids(m) for m in ms] == [("1-CACGTG", "STREME-1"), ("2-GGG", "STREME-2")]
    np.testing.assert_allclose(counts(ms[0]), [[1, 4, 0, 0], [5, 0, 0, 0]])  # not the log-odds
    np.testing.assert_allclose(counts(ms[1]), [[0, 0, 20, 0]])
    assert ms[0].file_background is None and ms[0].strands == "+"
    assert Background.from_motifs(ms) == Background.uniform()  # uniform when absent, as FIMO
    bare = "MEME version 4\n\nMOTIF m\nletter-probability matrix: alength= 4 w= 1\n0.1 0.2 0.3 0.4\n"
    assert counts(read_motifs(io.StringIO(bare))[0]).tolist() == [[2, 4, 6, 8]]


def test_meme_counts_equal_bio_where_bio_reads_the_file():
    """Bio's minimal parser needs the background line and rounds p x nsites to integers: on a
    file where that is exact, both give the same counts."""
    ours = read_motifs(io.StringIO(MEME_FULL))
    theirs = list(bio_motifs.parse(io.StringIO(MEME_FULL), "minimal"))
    assert [m.name for m in theirs] == ["ZNF1", "ZNF2", "ZNF3"]
    for a, b in zip(ours[:2], theirs[:2]):
        np.testing.assert_allclose(counts(a), counts(b), atol=1e-9)
    # ZNF3's 0.333333 x 3 is rounded by Bio, kept by us
    assert counts(theirs[2])[0, 0] == 1 and counts(ours[2])[0, 0] == pytest.approx(0.999999)


def test_our_meme_writer_reads_back_with_bio_and_with_us():
    ms = read_motifs(io.StringIO(MEME_FULL))
    buf = io.StringIO()
    write_motifs(ms, buf, "meme")
    back = read_motifs(io.StringIO(buf.getvalue()))
    bio = list(bio_motifs.parse(io.StringIO(buf.getvalue()), "minimal"))
    for a, b, c in zip(ms, back, bio):
        np.testing.assert_allclose(counts(a), counts(b), atol=1e-4)
        np.testing.assert_allclose(counts(b) / counts(b).sum(1, keepdims=True),
                                   counts(c) / counts(c).sum(1, keepdims=True), atol=0.05)


@pytest.mark.parametrize("edit,msg", [
    (("MEME version 4\n", "ALPHABET= ACGT\n"), r"line 1: not a MEME motif file"),
    ((" 0.000000  0.000000  1.000000  0.000000\n", " 0.0  1.0  0.0\n"),
     r"line 13 \(motif 'ZNF1'\): 3 values, the alphabet \(ACGT\) has 4"),
    ((" 0.875000  0.125000  0.000000  0.000000\n", " 7 1 0 0\n"),
     r"line 14 \(motif 'ZNF1'\): the probabilities .* sum to 8, not 1"),
    (("alength= 4 w= 3 E", "alength= 4 w= 4 E"),
     r"line 25 \(motif 'ZNF2'\): expected probabilities, got 'MOTIF ZNF3 Zinc3'"),
    (("A 0.295 C 0.205 G 0.205 T 0.295", "A 0.5 C 0.5"),
     r"line 7: the background gives no frequency for G, T"),
    (("MOTIF ZNF2\n", "MOTIF\n"), r"line 19: MOTIF line without an identifier"),
    (("nsites= 8", "nsites= eight"), r"line 11 \(motif 'ZNF1'\): cannot read 'letter-probability"),
])
def test_meme_errors_name_file_and_line(edit, msg, tmp_path):
    p = tmp_path / "bad.meme"
    p.write_text(MEME_FULL.replace(*edit, 1))
    with pytest.raises(InputFormatError, match=rf"^{p}: {msg}"):
        read_motifs(p)


def test_meme_matrix_cut_short_at_the_end_of_the_file():
    text = MEME_FULL.rsplit("\n 1.000000", 1)[0] + "\n"
    with pytest.raises(InputFormatError, match=r"motif input: line 28 \(motif 'ZNF3'\): matrix ends "
                                               r"after too few rows \(1 missing: w= 2\)"):
        read_motifs(io.StringIO(text), "meme")


# ----------------------------------------------------------------------------- JASPAR

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


def test_jaspar_crlf_comments_blank_lines_equal_bio():
    ref = list(bio_motifs.parse(io.StringIO(JASPAR), "jaspar"))
    messy = "# JASPAR 2024 download\n\n" + JASPAR.replace("\n>", "\n\n\n>") + "\n\n"
    for text in (JASPAR, crlf(JASPAR), messy, crlf(messy)):
        ms = read_motifs(io.StringIO(text), None if text.startswith(">") else "jaspar")
        assert [motif_ids(m) for m in ms] == [("MA0004.1", "Arnt"), ("MA0006.1", "Ahr::Arnt")]
        for a, b in zip(ms, ref):
            np.testing.assert_array_equal(counts(a), counts(b))


def test_jaspar_pfm_download_and_unlabelled_rows():
    # JASPAR's single-matrix .pfm: a header, then four tab-separated rows of decimals
    pfm = ">MA0004.1\tArnt\n4.00\t19.00\t0.00\n16.00\t0.00\t20.00\n0.00\t1.00\t0.00\n0.00\t0.00\t0.00\n"
    assert detect_motif_format(None, pfm) == "jaspar"
    (m,) = read_motifs(io.StringIO(crlf(pfm)))
    assert motif_ids(m) == ("MA0004.1", "Arnt")
    np.testing.assert_array_equal(counts(m)[:, 0], [4, 19, 0])
    plain = "# counts from 20 sites\n4 19 0\n16 0 20\n\n0 1 0\n0 0 0\n"
    assert detect_motif_format("x.txt", plain) == "pfm"
    (p,) = read_motifs(io.StringIO(crlf(plain)))
    np.testing.assert_array_equal(counts(p), counts(m))
    # rows labelled in another order are put back in A C G T order
    (r,) = read_motifs(io.StringIO(">x\nT 0 0 0\nG 0 1 0\nC 16 0 20\nA 4 19 0\n"), "jaspar")
    np.testing.assert_array_equal(counts(r), counts(m))


@pytest.mark.parametrize("text,msg", [
    (JASPAR.replace("G  [     2     23", "G  [     2     x3"),
     r"line 10 \(motif 'MA0006.1'\): expected a row of counts, got 'G  \[     2     x3"),
    ("\n".join(JASPAR.splitlines()[:3] + JASPAR.splitlines()[5:]),
     r"line 3 \(motif 'MA0004.1'\): the motif ends after 2 rows of counts"),
    (JASPAR.replace("T  [     0      0      0      0     20      0 ]",
                    "T  [     0      0      0      0     20      0 ]\nT  [ 1 1 1 1 1 1 ]"),
     r"line 6 \(motif 'MA0004.1'\): a fifth row of counts"),
    (JASPAR.replace("C  [    16      0     20      0      0      0 ]", "C  [    16      0     20 ]"),
     r"line 3 \(motif 'MA0004.1'\): this row has 3 values, another row has 6"),
    (JASPAR.replace("G  [     0      1", "A  [     0      1"),
     r"line 2 \(motif 'MA0004.1'\): row labels 'ACAT' are not A, C, G and T"),
])
def test_jaspar_errors_name_line_and_motif(text, msg):
    with pytest.raises(InputFormatError, match=r"^m.jaspar: " + msg):
        read_motifs(_named(text, "m.jaspar"), "jaspar")


def _named(text: str, name: str) -> io.StringIO:
    h = io.StringIO(text)
    h.name = name
    return h


# ----------------------------------------------------------------------------- TRANSFAC

# JASPAR's TRANSFAC export: one space after the key, PO, tab-separated rows, CC annotations
JASPAR_TRANSFAC = """AC MA0004.1
XX
ID Arnt
XX
DE MA0004.1 Arnt ; From JASPAR
PO\tA\tC\tG\tT
01\t4.0\t16.0\t0.0\t0.0
02\t19.0\t0.0\t1.0\t0.0
03\t0.0\t20.0\t0.0\t0.0
XX
CC tax_group:vertebrates
CC tf_family:bHLH-ZIP
XX
//
AC MA0006.1
XX
ID Ahr::Arnt
XX
DE MA0006.1 Ahr::Arnt ; From JASPAR
PO\tA\tC\tG\tT
01\t3.0\t8.0\t2.0\t11.0
02\t0.0\t0.0\t23.0\t1.0
XX
//
"""

# TRANSFAC itself: a release header record, two-space keys, P0, a consensus column
TRANSFAC = """VV  TRANSFAC MATRIX TABLE, Release 2.5
XX
//
AC  M00001
XX
ID  V$MYOD_01
XX
NA  MyoD
XX
BF  T00526; MyoD
XX
P0      A      C      G      T
01      1      2      2      0      S
02      2      1      2      0      R
03      3      0      1      1      A
04      0      5      0      0      C
XX
BA  5 functional elements in 3 genes
XX
//
"""


def test_transfac_as_jaspar_exports_it():
    for text in (JASPAR_TRANSFAC, crlf(JASPAR_TRANSFAC)):
        assert detect_motif_format(None, text) == "transfac"
        ms = read_motifs(io.StringIO(text))
        assert [motif_ids(m) for m in ms] == [("MA0004.1", "Arnt"), ("MA0006.1", "Ahr::Arnt")]
        np.testing.assert_array_equal(counts(ms[0]), [[4, 16, 0, 0], [19, 0, 1, 0], [0, 20, 0, 0]])
    with pytest.raises(ValueError):  # what Bio does with the same file
        list(bio_motifs.parse(io.StringIO(JASPAR_TRANSFAC), "transfac"))


def test_transfac_classic_equals_bio():
    ours = read_motifs(io.StringIO(crlf(TRANSFAC)))
    theirs = list(bio_motifs.parse(io.StringIO(TRANSFAC), "transfac"))
    assert [motif_ids(m) for m in ours] == [("V$MYOD_01", "MyoD")]
    np.testing.assert_array_equal(counts(ours[0]), counts(theirs[0]))


def test_transfac_errors_name_line():
    bad = JASPAR_TRANSFAC.replace("02\t0.0\t0.0\t23.0\t1.0", "02\t0.0\tzero\t23.0\t1.0")
    with pytest.raises(InputFormatError, match=r"^tf.txt: line 22 \(motif 'Ahr::Arnt'\): expected 4 counts"):
        read_motifs(_named(bad, "tf.txt"), "transfac")
    bad = JASPAR_TRANSFAC.replace("PO\tA\tC\tG\tT", "PO\tA\tC\tG", 1)
    with pytest.raises(InputFormatError, match=r"line 6 \(motif 'Arnt'\): matrix header 'PO A C G' does not name A, C, G and T"):
        read_motifs(io.StringIO(bad), "transfac")


# ----------------------------------------------------------------------------- HOMER, plain counts

HOMER = (">CACGTG\tArnt(bHLH)/Homer\t6.5\t-10.1\t0\tT:17.0(44.7%),B:2.0(1.0%)\n"
         "0.200\t0.800\t0.000\t0.000\n"
         "0.950\t0.000\t0.050\t0.000\n"
         "\n"
         ">GGG\tthird\t4.0\n"
         "0.000\t0.000\t1.000\t0.000\n")


def test_homer_probabilities_count_as_twenty_sites():
    assert detect_motif_format(None, HOMER) == "homer"
    for text in (HOMER, crlf(HOMER)):
        ms = read_motifs(io.StringIO(text))
        assert [motif_ids(m) for m in ms] == [("Arnt(bHLH)/Homer", ""), ("third", "")]
        assert ms[0].homer_consensus == "CACGTG" and ms[0].homer_threshold == 6.5
        np.testing.assert_allclose(counts(ms[0]), [[4, 16, 0, 0], [19, 0, 1, 0]])
    bad = HOMER.replace("0.950\t0.000\t0.050\t0.000", "0.950\t0.000\t0.050")
    with pytest.raises(InputFormatError, match=r"line 3 \(motif 'Arnt\(bHLH\)/Homer'\): expected four "
                                               r"probabilities, got 3 values"):
        read_motifs(io.StringIO(bad))


def test_plain_four_column_counts_with_header_row():
    text = "# HT-SELEX counts\nPos\tA\tC\tG\tT\n1\t4\t16\t0\t0\n2\t19\t0\t1\t0\n\n3\t0\t20\t0\t0\n"
    assert detect_motif_format("counts.txt", text) == "pfm-four-columns"
    (m,) = read_motifs(io.StringIO(crlf(text)))
    np.testing.assert_array_equal(counts(m), [[4, 16, 0, 0], [19, 0, 1, 0], [0, 20, 0, 0]])
    (t,) = read_motifs(io.StringIO("T G C A\n0 0 16 4\n0 1 0 19\n"), "pfm-four-columns")
    np.testing.assert_array_equal(counts(t), [[4, 16, 0, 0], [19, 0, 1, 0]])
    with pytest.raises(InputFormatError, match=r"line 4: expected four counts \(A C G T\), got 5 values"):
        read_motifs(io.StringIO("A C G T\n1 2 3 4\n\n1 2 3 4 5\n"), "pfm-four-columns")


# ----------------------------------------------------------------------------- CLI


def test_cli_reads_meme_without_background_and_uses_motif_background(tmp_path):
    fa = tmp_path / "s.fa"
    fa.write_text(">s\n" + "TTTT" * 10 + "ACGCCA" + "TTTT" * 10 + "\n")
    meme = tmp_path / "m.meme"
    meme.write_text(crlf(MEME_FULL))
    r = CliRunner().invoke(main, ["motif", "scan", str(meme), str(fa), "--pvalue", "0.05", "--bg", "motif"])
    assert r.exit_code == 0, r.output
    ref = scan_table(read_motifs(meme), [("s", fa.read_text().split("\n")[1])], pvalue=0.05,
                     background=Background.from_frequencies([0.295, 0.205, 0.205, 0.295]))
    assert len(r.stdout.splitlines()) == len(ref) + 1 > 1
    nobg = tmp_path / "n.meme"
    nobg.write_text(MEME_NO_BACKGROUND)
    r = CliRunner().invoke(main, ["motif", "scan", str(nobg), str(fa), "--bg", "motif", "--pvalue", "0.01"])
    assert r.exit_code == 0, r.output


def test_cli_bad_motif_file_is_one_line_naming_file_and_line(tmp_path):
    fa = tmp_path / "s.fa"
    fa.write_text(">s\nACGT\n")
    bad = tmp_path / "bad.meme"
    bad.write_text(MEME_FULL.replace(" 0.000000  0.000000  1.000000  0.000000\n", " 0.0  1.0  0.0\n"))
    r = CliRunner().invoke(main, ["motif", "scan", str(bad), str(fa)])
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"pairhmm: error: {bad}: line 13 (motif 'ZNF1'): 3 values, the "
                                f"alphabet (ACGT) has 4")


# ----------------------------------------------------------------------------- real JASPAR 2024


@pytest.mark.parametrize("name,n", [("JASPAR2024_CORE_latest.jaspar", 2346),
                                    ("JASPAR2024_CORE_vertebrates_latest.jaspar", 879)])
def test_real_jaspar_2024_files_equal_bio(shared_data, name, n):
    path = shared_data / "jaspar2024" / name
    ours = read_motifs(path)
    with open(path) as fh:
        theirs = list(bio_motifs.parse(fh, "jaspar"))
    assert len(ours) == len(theirs) == n
    for a, b in zip(ours, theirs):
        assert (a.matrix_id, a.name) == (b.matrix_id, b.name)
        np.testing.assert_array_equal(counts(a), counts(b))


HEAD = "MEME version 4\n\nALPHABET= ACGT\n\n"


@pytest.mark.parametrize("fmt,text,msg", [
    ("meme", HEAD + "MOTIF a\n\nMOTIF b\nletter-probability matrix: w= 1\n1 0 0 0\n",
     r"line 5 \(motif 'a'\): motif has no letter-probability matrix"),
    ("meme", HEAD + "MOTIF a\nletter-probability matrix:\n\nMOTIF b\n",
     r"line 6 \(motif 'a'\): letter-probability matrix has no rows"),
    ("meme", "MEME version 5\n\nALPHABET \"Methyl\" DNA\nEND ALPHABET\n",
     r"line 3: custom alphabet 'ALPHABET \"Methyl\" DNA': only DNA, RNA and protein"),
    ("meme", "MEME version 4\nALPHABET=\n", r"line 2: ALPHABET= names no letters"),
    ("meme", HEAD + "MOTIF a\nletter-probability matrix: nsites= 0\n1 0 0 0\n",
     r"line 6 \(motif 'a'\): nsites= 0 must be > 0"),
    ("meme", HEAD + "MOTIF a\nletter-probability matrix: alength= 20 w= 1\n",
     r"line 6 \(motif 'a'\): alength= 20 but the alphabet ACGT has 4 letters"),
    ("meme", HEAD + "letter-probability matrix: w= 1\n1 0 0 0\n",
     r"line 5: letter-probability matrix before any MOTIF line"),
    ("minimal", "# nothing but a comment\n", r"line 1: not a MEME motif file: no 'MEME version' line"),
    ("jaspar", ">a\n>b\nA 1\nC 1\nG 1\nT 1\n", r"line 1 \(motif 'a'\): motif has no rows of counts"),
    ("pfm", "1 2\n3 4\n5 6\n7 8\n\n1 2\n3 4\n5 6\n7 8\n",
     r"line 6: a fifth row of counts"),
    ("jaspar", "A 1 2\nC 1 2\nG 1 2\nT 1 2\n>b\nA 1\nC 1\nG 1\nT 1\n",
     r"end of file: several matrices without '>ID name' headers"),
    ("pfm-four-columns", "A A C G\n1 2 3 4\n", r"line 1: column header 'A A C G' does not name"),
    ("pfm-four-columns", "A C G X\n1 2 3 4\n", r"line 1: expected four counts \(A C G T\), got 'A C G X'"),
    ("pfm-four-columns", ">a\n>b\n1 2 3 4\n", r"line 1 \(motif 'a'\): motif has no rows"),
    ("pfm-four-columns", ">a\n1 2 three 4\n",
     r"line 2 \(motif 'a'\): expected four counts \(A C G T\), got '1 2 three 4'"),
    ("transfac", "ID x\nP0 A C G T\n01 1 2 3\nXX\n//\n",
     r"line 3 \(motif 'x'\): expected a position number and 4 counts, got '01 1 2 3'"),
    ("transfac", "ID x\nP0 A C G T\nXX\n//\n", r"line 2 \(motif 'x'\): matrix has no rows"),
])
def test_every_parser_error_names_the_line(fmt, text, msg):
    with pytest.raises(InputFormatError, match=r"^in.txt: " + msg):
        read_motifs(_named(text, "in.txt"), fmt)


def test_scan_table_background_motif_uses_the_file_background():
    ms = read_motifs(io.StringIO(MEME_FULL))
    seqs = [("s", "ACGCCATTTTACGCCAGGGCACGTTT" * 4)]
    a = scan_table(ms, seqs, background="motif", pvalue=0.05)
    b = scan_table(ms, seqs, background=Background.from_frequencies([0.295, 0.205, 0.205, 0.295]),
                   pvalue=0.05)
    c = scan_table(ms, seqs, pvalue=0.05)  # uniform
    assert a.to_hits() == b.to_hits() and len(a) > 0
    assert [h.pvalue for h in a.to_hits()] != [h.pvalue for h in c.to_hits()]


# The layout of a MEME file as JASPAR and the MEME-suite conversion scripts write it: a
# parenthesised background source, blank line after MOTIF, tab-separated rows with trailing tabs.
MEME_CONVERTED = ("MEME version 4\n\nALPHABET= ACGT\n\nstrands: + -\n\n"
                  "Background letter frequencies (from uniform background):\n"
                  "A 0.25000 C 0.25000 G 0.25000 T 0.25000 \n\n"
                  "MOTIF MA0004.1 Arnt\n\n"
                  "letter-probability matrix: alength= 4 w= 3 nsites= 20 E= 0\n"
                  "  0.200000\t  0.800000\t  0.000000\t  0.000000\t\n"
                  "  0.950000\t  0.000000\t  0.050000\t  0.000000\t\n"
                  "  0.000000\t  1.000000\t  0.000000\t  0.000000\t\n\n"
                  "URL http://jaspar.genereg.net/matrix/MA0004.1\n\n")


def test_meme_as_converters_write_it():
    for text in (MEME_CONVERTED, crlf(MEME_CONVERTED)):
        (m,) = read_motifs(io.StringIO(text))
        assert motif_ids(m) == ("MA0004.1", "Arnt") and m.url.endswith("MA0004.1")
        np.testing.assert_allclose(counts(m), [[4, 16, 0, 0], [19, 0, 1, 0], [0, 20, 0, 0]])
        assert Background.from_motifs([m]) == Background.uniform()
