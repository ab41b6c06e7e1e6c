"""Alignment files in and out, checked by each format's standard reader.

Every ``pairhmm align -f FORMAT`` output is read back by Biopython (``Bio.Align`` and/or
``Bio.AlignIO``) or pysam, with the rows and record names of the JSON output of the same run;
alignment files are read as BAliBASE, Pfam, Clustal, MUSCLE, EMBOSS and PHYLIP programs write them.
These tests also run in CI against the oldest Biopython that pyproject allows (.ci/run).
"""

from __future__ import annotations

import gzip
import io
import json
import random
from pathlib import Path

import numpy as np
import pytest
from Bio import Align, AlignIO
from click.testing import CliRunner

from pairhmm.alnio import OUTPUT_FORMATS, detect_alignment_format, read_alignment_file
from pairhmm.cli import main
from pairhmm.errors import InputFormatError
from pairhmm.train import read_alignments

EX = Path(__file__).resolve().parent.parent / "data" / "example"
HBA = str(EX / "HBA_HUMAN.fa")
HBB = str(EX / "HBB_HUMAN.fa")

LONG1 = "chr_reference_sequence_number_one_long_name"
LONG2 = "chr_reference_sequence_number_two"  # same first 10 characters as LONG1


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _records() -> dict:
    """Three DNA records whose alignments have unaligned residues at both ends of both rows
    (SAM soft clips, POS past the reference start), long names colliding after 10 characters,
    descriptions."""
    rng = random.Random(1)
    core = "".join(rng.choice("ACGT") for _ in range(40))

    def mutate(s: str) -> str:
        s = list(s)
        for i in range(0, len(s), 7):
            s[i] = rng.choice("ACGT")
        return "".join(s)

    return {f"{LONG1} first description": "CCCCCCCC" + core,
            f"{LONG2} second": mutate(core) + "GGGGGGGG",
            "q3": "TT" + mutate(core)[:30] + "A"}


@pytest.fixture(scope="module")
def fasta(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fmt") / "three.fa"
    path.write_text("".join(f">{k}\n{v}\n" for k, v in _records().items()))
    return path


@pytest.fixture(scope="module")
def outputs(fasta):
    """Every format's output of `align --all` on the three records (plus Viterbi JSON)."""
    out = {}
    for method in ("mea", "viterbi"):
        for fmt in OUTPUT_FORMATS:
            if fmt == "nexus":
                continue  # one alignment per file: tested on one pair
            r = run("align", "--all", fasta, "-f", fmt, "--method", method, "--threads", "1")
            assert r.exit_code == 0, (fmt, r.stderr)
            out[method, fmt] = r.stdout
    return out


def _expected(outputs, method):
    """(x id, y id, row x, row y, column posteriors or None) of each alignment, from JSON."""
    return [(o["x"], o["y"], o["aligned"][0], o["aligned"][1], o.get("column_posterior"))
            for o in json.loads(outputs[method, "json"])]


def _match_blocks(rx: str, ry: str) -> list[tuple[int, int, int]]:
    """(start in x, start in y, length) of each run of match columns."""
    out = []
    i = j = 0
    for a, b in zip(rx, ry):
        if a != "-" and b != "-":
            if out and out[-1][0] + out[-1][2] == i and out[-1][1] + out[-1][2] == j:
                out[-1] = (out[-1][0], out[-1][1], out[-1][2] + 1)
            else:
                out.append((i, j, 1))
        i += a != "-"
        j += b != "-"
    return out


def _pairs_of(rx: str, ry: str) -> list[tuple[int, int]]:
    return [(i + k, j + k) for i, j, n in _match_blocks(rx, ry) for k in range(n)]


METHODS = ["mea", "viterbi"]


def test_every_offered_format_is_tested():
    tested = {"text", "json", "fasta", "clustal", "stockholm", "phylip", "nexus", "maf", "sam",
              "psl", "bed"}
    assert set(OUTPUT_FORMATS) == tested
    r = run("align", "--help")
    for fmt in OUTPUT_FORMATS:
        assert fmt in r.stdout


def test_expected_alignments_have_unaligned_ends(outputs):
    """The fixture exercises what SAM/BED must handle: gaps at the start and end of both rows."""
    exp = _expected(outputs, "mea") + _expected(outputs, "viterbi")
    assert len(exp) == 6
    rows = [r for e in exp for r in e[2:4]]
    assert any(r.startswith("-") for r in rows) and any(r.endswith("-") for r in rows)


@pytest.mark.parametrize("method", METHODS)
def test_fasta_reads_back_with_the_id_once(outputs, method):
    text = outputs[method, "fasta"]
    titles = [line for line in text.splitlines() if line.startswith(">")]
    assert titles[0] == f">{LONG1} first description"  # not '>ID ID description'
    got = [([r.id for r in a], [str(r.seq) for r in a], [r.description for r in a])
           for a in AlignIO.parse(io.StringIO(text), "fasta", seq_count=2)]
    exp = _expected(outputs, method)
    assert [(g[0], g[1]) for g in got] == [([x, y], [rx, ry]) for x, y, rx, ry, _ in exp]
    assert got[0][2] == [f"{LONG1} first description", f"{LONG2} second"]
    one = Align.read(io.StringIO("\n".join(text.splitlines()[:4]) + "\n"), "fasta")
    assert [s.id for s in one.sequences] == [LONG1, LONG2]
    assert one.sequences[0].description.endswith("first description")
    assert LONG1 not in one.sequences[0].description.replace(LONG1, "", 1)


@pytest.mark.parametrize("method", METHODS)
def test_clustal_has_header_and_reads_back(outputs, method):
    text = outputs[method, "clustal"]
    assert text.startswith("CLUSTAL ")
    got = [([r.id for r in a], [str(r.seq) for r in a])
           for a in AlignIO.parse(io.StringIO(text), "clustal")]
    exp = _expected(outputs, method)
    assert got == [([x, y], [rx, ry]) for x, y, rx, ry, _ in exp]  # full names, not cut at 30
    first = text.split("CLUSTAL ", 2)[1]
    alns = Align.parse(io.StringIO("CLUSTAL " + first), "clustal")
    a = next(alns)
    assert alns.metadata["Program"] == "CLUSTAL"
    assert [s.id for s in a.sequences] == [LONG1, LONG2] and [a[0], a[1]] == list(exp[0][2:4])


def test_clustal_block_without_identical_columns(tmp_path):
    """A block whose consensus line is blank still reads (three blocks of 60 columns)."""
    a = tmp_path / "a.fa"
    a.write_text(">a\n" + "AC" * 30 + "ACGT" * 30 + "\n")
    b = tmp_path / "b.fa"
    b.write_text(">b\n" + "GT" * 30 + "ACGT" * 30 + "\n")
    r = run("align", a, b, "-f", "clustal", "--method", "viterbi")
    assert r.exit_code == 0
    aln = AlignIO.read(io.StringIO(r.stdout), "clustal")
    assert str(aln[0].seq).replace("-", "") == "AC" * 30 + "ACGT" * 30


@pytest.mark.parametrize("method", METHODS)
def test_stockholm_reads_back_with_posteriors(outputs, method):
    text = outputs[method, "stockholm"]
    assert f"#=GS {LONG1}  DE first description" in text and f"DE {LONG1}" not in text
    exp = _expected(outputs, method)
    alns = list(Align.parse(io.StringIO(text), "stockholm"))
    assert [([s.id for s in a.sequences], [a[0], a[1]]) for a in alns] == \
        [([x, y], [rx, ry]) for x, y, rx, ry, _ in exp]
    assert alns[0].sequences[0].description == "first description"
    pp = alns[0].sequences[0].letter_annotations["posterior probability"]
    assert len(pp) == len(exp[0][2].replace("-", ""))
    got = [([r.id for r in a], [str(r.seq) for r in a]) for a in AlignIO.parse(io.StringIO(text), "stockholm")]
    assert got == [([x, y], [rx, ry]) for x, y, rx, ry, _ in exp]


@pytest.mark.parametrize("method", METHODS)
def test_phylip_long_names_are_relaxed_and_distinct(outputs, method):
    """Names that collide after 10 characters stay whole (relaxed PHYLIP)."""
    text = outputs[method, "phylip"]
    exp = _expected(outputs, method)
    got = [([r.id for r in a], [str(r.seq) for r in a])
           for a in AlignIO.parse(io.StringIO(text), "phylip-relaxed")]
    assert got == [([x, y], [rx, ry]) for x, y, rx, ry, _ in exp]
    assert len({LONG1[:10], LONG2[:10]}) == 1  # they would collide in strict PHYLIP


def test_phylip_short_names_are_strict(tmp_path):
    a = tmp_path / "a.fa"
    a.write_text(">abcdefghij\nACGTACGTTTGACCA\n>k\nACGTACGTAGACCA\n")
    r = run("align", "--all", a, "-f", "phylip")
    lines = r.stdout.splitlines()
    assert lines[1].startswith("abcdefghijA")  # exactly 10 characters, as strict PHYLIP
    strict = AlignIO.read(io.StringIO(r.stdout), "phylip")
    assert [s.id for s in strict] == ["abcdefghij", "k"]
    bio = Align.read(io.StringIO(r.stdout), "phylip")
    assert [s.id for s in bio.sequences] == ["abcdefghij", "k"]
    assert strict[0].seq.replace("-", "") == "ACGTACGTTTGACCA"


@pytest.mark.parametrize("method", METHODS)
def test_maf_has_header_and_reads_back(outputs, method):
    text = outputs[method, "maf"]
    assert text.splitlines()[0].startswith("##maf version=1")
    exp = _expected(outputs, method)
    alns = list(Align.parse(io.StringIO(text), "maf"))
    assert [([s.id for s in a.sequences], [a[0], a[1]]) for a in alns] == \
        [([x, y], [rx, ry]) for x, y, rx, ry, _ in exp]
    assert float(alns[0].score) == pytest.approx(json.loads(outputs[method, "json"])[0]["score"], abs=1e-5)


@pytest.mark.parametrize("method", METHODS)
def test_sam_opens_in_pysam_with_consistent_cigar(outputs, method, tmp_path):
    pysam = pytest.importorskip("pysam")
    path = tmp_path / "out.sam"
    path.write_text(outputs[method, "sam"])
    recs = {k.split()[0]: v for k, v in _records().items()}
    exp = _expected(outputs, method)
    with pysam.AlignmentFile(str(path), "r") as fh:  # check_sq: @SQ lines are required
        assert fh.header["HD"]["VN"] == "1.6"
        # the references are the first sequences of the pairs, once each, with their lengths
        assert list(fh.references) == [LONG1, LONG2]
        assert list(fh.lengths) == [len(recs[LONG1]), len(recs[LONG2])]
        reads = list(fh)
    assert len(reads) == len(exp)
    for r, (x, y, rx, ry, _) in zip(reads, exp):
        assert (r.reference_name, r.query_name) == (x, y)
        assert r.query_sequence == recs[y]  # the whole read, clipped ends included
        assert r.infer_query_length() == len(recs[y])
        pairs = _pairs_of(rx, ry)
        assert r.reference_start == pairs[0][0]
        assert r.reference_end == pairs[-1][0] + 1 <= len(recs[x])
        assert [(q, t) for q, t in r.get_aligned_pairs(matches_only=True)] == [(j, i) for i, j in pairs]
        # NM = mismatches + inserted + deleted residues between the first and last match
        lo = min(k for k, (a, b) in enumerate(zip(rx, ry)) if a != "-" and b != "-")
        hi = max(k for k, (a, b) in enumerate(zip(rx, ry)) if a != "-" and b != "-")
        assert r.get_tag("NM") == sum(a != b for a, b in zip(rx[lo:hi + 1], ry[lo:hi + 1]))
        ops = r.cigartuples
        assert ops[0][0] in (0, 4) and ops[-1][0] in (0, 4)  # no leading/trailing D or I
    clipped = [r for r in reads if r.cigartuples[0][0] == 4 or r.cigartuples[-1][0] == 4]
    assert clipped  # the fixture has unaligned query ends
    bio = list(Align.parse(io.StringIO(outputs[method, "sam"]), "sam"))
    assert [[s.id for s in a.sequences] for a in bio] == [[x, y] for x, y, *_ in exp]


def test_sam_protein_warns_and_sample_secondary_flags(tmp_path):
    r = run("align", HBA, HBB, "-f", "sam")
    assert r.exit_code == 0 and "pairhmm: warning: SAM text holds protein letters" in r.stderr
    a = tmp_path / "a.fa"
    a.write_text(">ref\nACGTACGTTTGACCAGGTACA\n")
    b = tmp_path / "b.fa"
    b.write_text(">read\nACGTACGTAGACCAGGTTACA\n")
    r = run("align", a, b, "-f", "sam", "--method", "sample", "--samples", "3")
    assert r.exit_code == 0 and "warning" not in r.stderr
    pysam = pytest.importorskip("pysam")
    (tmp_path / "s.sam").write_text(r.stdout)
    with pysam.AlignmentFile(str(tmp_path / "s.sam")) as fh:
        flags = [x.flag for x in fh]
    assert flags == [0, 256, 256]  # later samples of one read are secondary alignments


@pytest.mark.parametrize("method", METHODS)
def test_psl_reads_back(outputs, method):
    exp = _expected(outputs, method)
    alns = list(Align.parse(io.StringIO(outputs[method, "psl"]), "psl"))
    assert [[s.id for s in a.sequences] for a in alns] == [[x, y] for x, y, *_ in exp]
    for a, (_, _, rx, ry, _) in zip(alns, exp):
        blocks = [(int(t0), int(q0), int(t1 - t0)) for (t0, t1), (q0, q1) in zip(*a.aligned)]
        assert blocks == _match_blocks(rx, ry)


@pytest.mark.parametrize("method", METHODS)
def test_bed_integer_score_and_extra_columns(outputs, method):
    pysam = pytest.importorskip("pysam")
    text = outputs[method, "bed"]
    exp = _expected(outputs, method)
    lines = [line.split("\t") for line in text.splitlines()]
    assert all(len(f) == 14 for f in lines)  # BED12 + mean posterior + the method's score
    scores = json.loads(outputs[method, "json"])
    for f, (x, y, rx, ry, post), js in zip(lines, exp, scores):
        assert f[4].isdigit() and 0 <= int(f[4]) <= 1000  # the BED spec's score
        assert int(f[4]) == round(1000 * float(np.mean(post)))
        assert float(f[12]) == pytest.approx(np.mean(post), abs=1e-4)
        assert float(f[13]) == pytest.approx(js["score"], rel=1e-5)
    bed12 = "".join("\t".join(f[:12]) + "\n" for f in lines)
    alns = list(Align.parse(io.StringIO(bed12), "bed"))
    for a, (x, y, rx, ry, _) in zip(alns, exp):
        assert (a.sequences[0].id, a.sequences[1].id) == (x, y)
        assert [(int(t0), int(t1 - t0)) for t0, t1 in a.aligned[0]] == \
            [(i, n) for i, _, n in _match_blocks(rx, ry)]
    parsed = list(pysam.tabix_iterator(io.BytesIO(bed12.encode()), parser=pysam.asBed()))
    assert [(b.contig, b.name, int(b.score)) for b in parsed] == \
        [(f[0], f[3], int(f[4])) for f in lines]


def test_nexus_one_pair_reads_back_and_several_are_refused(tmp_path, fasta):
    r = run("align", HBA, HBB, "-f", "nexus")
    assert r.exit_code == 0
    a = Align.read(io.StringIO(r.stdout), "nexus")
    assert [s.id for s in a.sequences] == ["HBA_HUMAN", "HBB_HUMAN"]
    assert a[0].replace("-", "").startswith("MVLSPADKTNVKAAWGKVGA")
    assert [s.id for s in AlignIO.read(io.StringIO(r.stdout), "nexus")] == ["HBA_HUMAN", "HBB_HUMAN"]
    out = tmp_path / "x.nex"
    r = run("align", "--all", fasta, "-f", "nexus", "-o", out)
    assert r.exit_code == 2 and "NEXUS file holds one alignment and there are 3" in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("fmt", ["clustal", "stockholm", "phylip", "nexus"])
def test_same_name_in_a_pair_is_refused_where_rows_are_keyed_by_name(tmp_path, fmt):
    a = tmp_path / "a.fa"
    a.write_text(">s\nACGTACGTAC\n")
    b = tmp_path / "b.fa"
    b.write_text(">s\nACGTTCGTAC\n")
    r = run("align", a, b, "-f", fmt)
    assert r.exit_code == 2 and "both sequences are called 's'" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert run("align", a, b, "-f", "sam").exit_code == 0


def test_json_and_text_views(outputs):
    exp = _expected(outputs, "mea")
    objs = json.loads(outputs["mea", "json"])
    assert [(o["x"], o["y"]) for o in objs] == [(x, y) for x, y, *_ in exp]
    text = outputs["mea", "text"]
    heads = [line for line in text.splitlines() if line.startswith("# ")]
    assert [h.split()[1:4] for h in heads] == [[x, "vs", y] for x, y, *_ in exp]
    rows = [line.split("\t") for line in text.splitlines() if line and not line.startswith(("#", "PP"))]
    assert [tuple(r) for r in rows] == [(n, s) for x, y, rx, ry, _ in exp for n, s in ((x, rx), (y, ry))]


def test_bed_and_psl_leave_out_a_pair_with_nothing_aligned(tmp_path):
    """Unrelated sequences with a big --gap-factor: no match column; BED/PSL say so on stderr,
    SAM writes an unmapped record."""
    a = tmp_path / "a.fa"
    a.write_text(">a\nAAAAAAAA\n")
    b = tmp_path / "b.fa"
    b.write_text(">b\nCCCCCCCC\n")
    r = run("align", a, b, "-f", "json", "--gap-factor", "20")
    assert "M" not in json.loads(r.stdout)[0]["path"]
    for fmt in ("bed", "psl"):
        r = run("align", a, b, "-f", fmt, "--gap-factor", "20")
        assert r.exit_code == 0 and r.stdout == ""
        assert f"a vs b: no aligned residues, so no {fmt.upper()} line" in r.stderr
    r = run("align", a, b, "-f", "sam", "--gap-factor", "20")
    line = r.stdout.splitlines()[-1].split("\t")
    assert line[1] == "4" and line[2] == "*" and line[9] == "CCCCCCCC"


# ------------------------------------------------------------------------ reading alignments
PFAM = """# STOCKHOLM 1.0
#=GF ID   Globin
#=GF AC   PF00042.25
#=GF DE   Globin
#=GF AU   Finn RD;0000-0001-8626-2148
#=GF SE   Pfam-B_29 (release 1.0)
#=GF GA   23.40 23.40;
#=GF TC   23.40 23.40;
#=GF NC   23.30 23.30;
#=GF BM   hmmbuild HMM.ann SEED.ann
#=GF SM   hmmsearch -Z 61295632 -E 1000 --cpu 4 HMM pfamseq
#=GF TP   Domain
#=GF CL   CL0090
#=GF RN   [1]
#=GF RM   1988960
#=GF RT   Globin fold.
#=GF RA   Bashford D, Chothia C, Lesk AM;
#=GF RL   J Mol Biol 1987;196:199-216.
#=GF DR   INTERPRO; IPR000971;
#=GF CC   Globins are heme proteins.
#=GF SQ   3
#=GS HBA_HUMAN/1-39  AC P69905.2
#=GS HBB_HUMAN/2-40  AC P68871.2
#=GS MYG_PHYCD/1-38  AC P02185.2
#=GS MYG_PHYCD/1-38  DR PDB; 1MBN A; 1-38;
HBA_HUMAN/1-39         MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTT
#=GR HBA_HUMAN/1-39 SS CCCCHHHHHHHHHHHHHHHHCCHHHHHHHHHHHHHHHCC-
#=GR HBA_HUMAN/1-39 PP 8999***********************************.
HBB_HUMAN/2-40         .VHLTPEEKSAVTALWGKVN..VDEVGGEALGRLLVVYPW
#=GR HBB_HUMAN/2-40 PP .89**************99..*******************
MYG_PHYCD/1-38         MVLSEGEWQLVLHVWAKVEAdvAGHGQDILIRLFKSHPET
#=GC SS_cons           CCCCHHHHHHHHHHHHHHHHCCHHHHHHHHHHHHHHHCC-
#=GC seq_cons          hsLsttpKptlpslWsKlhs..lsspsstlsphFpphPpT
//
"""

# Clustal Omega writes the conservation line over the whole block, trailing blanks included
CLUSTAL_O = """CLUSTAL O(1.2.4) multiple sequence alignment


HBA_HUMAN      MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHF-DLSHGSAQVKGHG
HBB_HUMAN      MVHLTPEEKSAVTALWGKVN--VDEVGGEALGRLLVVYPWTQRFFESFGDLSTPDAVMGNP
               **  . :*:  *.* ****.   .*.*.****.:: ::* *  .* ..** *   *  * \n
HBA_HUMAN      KKVADALTNAVAHVDDMPNAL
HBB_HUMAN      KVKAHGKKVLGAFSDGLAHLD
               *  * .     *. * :..  \n

"""
# the same file after an editor removed the trailing blanks (Biopython alone rejects it)
CLUSTAL_STRIPPED = "\n".join(line.rstrip() for line in CLUSTAL_O.split("\n"))

MUSCLE_CLUSTAL = """MUSCLE (3.8) multiple sequence alignment


seqA            ACGTACGT-ACGT
seqB            ACGTTCGTAACGT
                **** *** ****
"""

EMBOSS_MSF = """!!NA_MULTIPLE_ALIGNMENT 1.0

  stdout MSF: 13 Type: N 01/08/19 CompCheck: 8543 ..

  Name: seqA     Len: 13  Check: 4334 Weight: 1.00
  Name: seqB     Len: 13  Check: 3818 Weight: 1.00

//

           1                                      13
seqA       ACGTACGT.A CGT
seqB       ACGTTCGTAA CGT

"""

MUSCLE_MSF = """PileUp



   MSF: 13  Type: N  Check: 0000  ..

 Name: seqA       Len: 13  Check: 1234  Weight: 1.0
 Name: seqB       Len: 13  Check: 5678  Weight: 1.0

//

seqA       ACGTACGT.A CGT
seqB       ACGTTCGTAA CGT
"""

# BAliBASE's MSF style: PileUp, the header line ending with '..' and a blank, 'oo' after names
BALIBASE_MSF = """PileUp



   MSF:   25  Type: P    Check:  3571   .. 

 Name: 1al2_ad oo  Len:   25  Check:  2091  Weight:  10.0
 Name: 1bbt_ac oo  Len:   25  Check:  8510  Weight:  10.0
 Name: 1mec_ac oo  Len:   25  Check:  3286  Weight:  10.0

//



1al2_ad      .GLPVMNTPG SNQYLTADNF QSPCA 
1bbt_ac      GIFPVACSDG YGGLVTTDPK TADPV 
1mec_ac      SPIPVTIREH AGTWYSTLPD STVPI 


"""

PHYLIP_INTERLEAVED = """ 2 20
seqA      ACGTACGT-A CGTAC
seqB      ACGTTCGTAA CGTAC

GTAAC
GTA-C
"""

PHYLIP_RELAXED = """2 13
a_very_long_sequence_name ACGTACGT-ACGT
another_long_name ACGTTCGTAACGT
"""

ALIGNED_FASTA = """;a comment line
>seqA description
ACGTACGT-A
CGT
>seqB
ACGTTCGTAACGT
"""


@pytest.mark.parametrize("name, text, fmt, ids, first_row", [
    ("pfam.sto", PFAM, "stockholm", ["HBA_HUMAN/1-39", "HBB_HUMAN/2-40", "MYG_PHYCD/1-38"],
     "MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTT"),
    ("clustalo.aln", CLUSTAL_O, "clustal", ["HBA_HUMAN", "HBB_HUMAN"],
     "MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHF-DLSHGSAQVKGHGKKVADALTNAVAHVDDMPNAL"),
    ("stripped.aln", CLUSTAL_STRIPPED, "clustal", ["HBA_HUMAN", "HBB_HUMAN"],
     "MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHF-DLSHGSAQVKGHGKKVADALTNAVAHVDDMPNAL"),
    ("muscle.aln", MUSCLE_CLUSTAL, "clustal", ["seqA", "seqB"], "ACGTACGT-ACGT"),
    ("emboss.msf", EMBOSS_MSF, "msf", ["seqA", "seqB"], "ACGTACGT-ACGT"),
    ("muscle.msf", MUSCLE_MSF, "msf", ["seqA", "seqB"], "ACGTACGT-ACGT"),
    ("bb.msf", BALIBASE_MSF, "msf", ["1al2_ad", "1bbt_ac", "1mec_ac"], "-GLPVMNTPGSNQYLTADNFQSPCA"),
    ("inter.phy", PHYLIP_INTERLEAVED, "phylip", ["seqA", "seqB"], "ACGTACGT-ACGTACGTAAC"),
    ("relaxed.phy", PHYLIP_RELAXED, "phylip", ["a_very_long_sequence_name", "another_long_name"],
     "ACGTACGT-ACGT"),
    ("aligned.fa", ALIGNED_FASTA, "fasta", ["seqA", "seqB"], "ACGTACGT-ACGT"),
])
def test_alignment_files_as_distributed(tmp_path, name, text, fmt, ids, first_row):
    path = tmp_path / name
    path.write_text(text)
    assert detect_alignment_format(path) == fmt
    for given in (None, fmt):
        (got_ids, rows), = read_alignment_file(path, given)
        assert got_ids == ids
        assert rows[0].replace(".", "-") == first_row
        assert len({len(r) for r in rows}) == 1
    # gzipped, and under a name that says nothing about the format
    gz = tmp_path / "file.dat.gz"
    with gzip.open(gz, "wt") as fh:
        fh.write(text)
    assert read_alignment_file(gz)[0][0] == ids


def test_balibase_style_msf_trains(tmp_path):
    """`train --from-alignments` on a BAliBASE-style MSF file (Bio.Align's MSF reader rejects the
    blank after the header's '..'), the format detected from the content."""
    path = tmp_path / "BB.msf"
    path.write_text(BALIBASE_MSF)
    with pytest.raises(ValueError):  # why pairhmm reads MSF with Bio.AlignIO
        list(Align.parse(str(path), "msf"))
    out = tmp_path / "m.json"
    r = run("train", "--from-alignments", path, "-o", out, "--no-progress")
    assert r.exit_code == 0, r.stderr
    assert "pairs            3" in r.stdout and out.exists()


def test_pfam_stockholm_and_fasta_alignment_train(tmp_path):
    sto = tmp_path / "PF00042_seed.txt"
    sto.write_text(PFAM)
    r = run("train", "--from-alignments", sto, "-o", tmp_path / "m.json", "--no-progress")
    assert r.exit_code == 0, r.stderr
    assert "pairs            3" in r.stdout and "alphabet         protein" in r.stdout


def test_real_balibase_msf(shared_data):
    """Every BAliBASE 3 RV12 MSF file as distributed: detected, read, and its rows without gaps
    are the family's unaligned sequences (.tfa)."""
    from pairhmm.seqio import read_fasta

    folder = shared_data / "balibase3" / "RV12"
    files = sorted(folder.glob("*.msf"))
    if not files:
        pytest.skip("no BAliBASE RV12 MSF files")
    checked = 0
    for path in files:
        assert detect_alignment_format(path) == "msf"
        (ids, rows), = read_alignment_file(path)
        assert len({len(r) for r in rows}) == 1 and len(ids) >= 2
        tfa_path = path.with_suffix(".tfa")
        if tfa_path.exists():
            tfa = {r.id: str(r.seq).upper() for r in read_fasta(tfa_path)}
            assert {i: r.replace("-", "").replace(".", "").upper() for i, r in zip(ids, rows)} == \
                {i: tfa[i] for i in ids}, path.name
            checked += 1
    assert checked >= 1
    bb = folder / "BB12006.msf"
    if bb.exists():
        alns = read_alignments([bb])
        assert len(alns) == 1 and len(alns[0][1]) == 4


def test_alignment_reading_errors(tmp_path):
    ragged = tmp_path / "r.aln"
    ragged.write_text("CLUSTAL W\n\n\na  ACGT\nb  ACG\n\n")
    with pytest.raises(InputFormatError, match="r.aln: not a valid clustal alignment"):
        read_alignment_file(ragged)
    junk = tmp_path / "junk.sto"
    junk.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(InputFormatError, match="junk.sto"):
        read_alignment_file(junk)
    empty = tmp_path / "e.aln"
    empty.write_text("\n\n")
    with pytest.raises(InputFormatError, match="file is empty"):
        read_alignment_file(empty)
    r = run("train", "--from-alignments", junk, "-o", tmp_path / "m.json")
    assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
