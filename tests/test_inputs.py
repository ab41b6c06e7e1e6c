"""Sequence input as users bring it, through every entry point.

One FASTA reader (pairhmm.seqio) serves align, score, train, hmm, motif scan/train/predict and
the library: leading comments, stray bytes, binary junk, gzip on standard input, duplicate ids,
labelled files beside NEGATIVES, and files mixing DNA and protein. These tests also run in CI
against the oldest Biopython that pyproject allows (.ci/run).
"""

from __future__ import annotations

import gzip
import io
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from Bio.SeqIO.FastaIO import SimpleFastaParser
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from pairhmm import PairHMM
from pairhmm.alphabet import AlphabetWarning, alphabet_mismatches, common_alphabet, pair_alphabets
from pairhmm.cli import main
from pairhmm.errors import AlphabetError, InputFormatError
from pairhmm.motif.cnn import load_training_data
from pairhmm.seqio import DuplicateIdWarning, iter_fasta, read_fasta, read_tabular

DATA = Path(__file__).resolve().parent.parent / "data"
HBA = DATA / "example" / "HBA_HUMAN.fa"
CASINO = DATA / "hmm" / "casino.json"
JASPAR = DATA / "motifs" / "jaspar2024_examples.jaspar"

pytestmark = pytest.mark.usefixtures("one_numba_thread")


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def one_line_error(r, *words):
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pairhmm: error: "), r.stderr
    assert "Traceback" not in r.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


DNA1 = "ACGTACGTTAGCTAGCATCGATCGGATCGA"
DNA2 = "ACGTACGATAGCTAGCATCGTTCGGATCGA"


@pytest.fixture(scope="module")
def cnn_model(tmp_path_factory) -> Path:
    """A tiny trained motif CNN (for motif predict)."""
    d = tmp_path_factory.mktemp("cnn")
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(20)]
    (d / "pos.fa").write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(seqs)))
    r = run("motif", "train", d / "pos.fa", "-o", d / "m.json", "--filters", "2", "--width", "5",
            "--epochs", "1", "--no-progress", "--pwm-from", "weights")
    assert r.exit_code == 0, r.stderr
    return d / "m.json"


def entry_points(tmp_path: Path, bad: Path, cnn: Path) -> dict:
    """Every command that reads FASTA, with ``bad`` as its sequence input."""
    good = tmp_path / "good.fa"
    good.write_text(f">g1\n{DNA1}\n>g2\n{DNA2}\n")
    out = tmp_path / "out"
    return {
        "align": ["align", bad, good],
        "align --all": ["align", "--all", bad],
        "score": ["score", bad, good],
        "train": ["train", bad, "-o", out],
        "test-symmetry": ["test-symmetry", bad],
        "hmm decode": ["hmm", "decode", CASINO, bad],
        "hmm fit": ["hmm", "fit", bad, "--model", CASINO, "-o", out],
        "motif scan": ["motif", "scan", JASPAR, bad],
        "motif train": ["motif", "train", bad, "-o", out],
        "motif train NEGATIVES": ["motif", "train", good, bad, "-o", out],
        "motif predict": ["motif", "predict", cnn, bad],
    }


# --------------------------------------------------------------------------------- the reader
def test_leading_blank_lines_and_comments(tmp_path):
    """Biopython 1.85+ rejects text before the first record; pairhmm reads it as Pearson FASTA
    (and as Biopython's SimpleFastaParser always has)."""
    text = f"\n\n;comment from an old tool\n; another\n>a desc\n{DNA1[:15]}\n;inside\n{DNA1[15:]}\n\n>b\n{DNA2}\n"
    path = tmp_path / "c.fa"
    path.write_text(text)
    recs = read_fasta(path)
    assert [(r.id, r.description, str(r.seq)) for r in recs] == [("a", "a desc", DNA1), ("b", "b", DNA2)]
    simple = list(SimpleFastaParser(io.StringIO(text.replace(";inside\n", ""))))
    assert [(r.description, str(r.seq)) for r in recs] == simple
    r = run("align", path, path, "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert [o["x"] for o in json.loads(r.stdout)] == ["a", "b"]


def test_bom_crlf_and_gzip(tmp_path):
    path = tmp_path / "w.fa"
    path.write_bytes(b"\xef\xbb\xbf>a x\r\nACGT\r\nAC GT\r\n>b\r\nGG\r\n")
    assert [(r.id, str(r.seq)) for r in read_fasta(path)] == [("a", "ACGTACGT"), ("b", "GG")]
    gz = tmp_path / "w.fa.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert [str(r.seq) for r in read_fasta(gz)] == ["ACGTACGT", "GG"]
    cut = tmp_path / "cut.fa.gz"
    noise = bytes(np.random.default_rng(1).choice(list(b"ACGT"), 20000))
    cut.write_bytes(gzip.compress(b">a\n" + noise + b"\n")[:2000])
    with pytest.raises(InputFormatError, match="cut.fa.gz: cannot read past line"):
        read_fasta(cut)


_title = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=0,
                 max_size=12).map(str.strip)
_record = st.tuples(st.from_regex(r"[A-Za-z0-9_.|:-]{1,8}", fullmatch=True), _title,
                    st.lists(st.from_regex(r"[A-Za-z*\-]{1,15}", fullmatch=True), min_size=1, max_size=4))


@settings(max_examples=40, deadline=None)
@given(st.lists(_record, min_size=1, max_size=5), st.booleans())
def test_reader_agrees_with_biopython(records, crlf):
    """On any FASTA text without a comment, the records are Bio.SeqIO's (id, description,
    sequence), whatever the line wrapping and line ends."""
    from Bio import SeqIO

    nl = "\r\n" if crlf else "\n"
    text = "".join(f">{rid}{' ' + t if t else ''}{nl}" + "".join(line + nl for line in lines)
                   for rid, t, lines in records)
    import tempfile

    with tempfile.NamedTemporaryFile("wb", suffix=".fa", delete=False) as fh:
        fh.write(text.encode("utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DuplicateIdWarning)
        ours = [(r.id, r.description, str(r.seq)) for r in iter_fasta(fh.name)]
    with open(fh.name, newline=None, encoding="utf-8") as h:
        bio = [(r.id, r.description, str(r.seq)) for r in SeqIO.parse(h, "fasta")]
    Path(fh.name).unlink()
    assert ours == bio


def test_non_ascii_and_binary_junk_give_one_line_everywhere(tmp_path, cnn_model):
    nonascii = tmp_path / "accent.fa"
    # an accented letter pasted into a sequence line (UTF-8 é); titles may hold any UTF-8
    nonascii.write_bytes(b">s1 caf\xc3\xa9\nACGT\xc3\xa9ACGTACGTACGT\n>s2\n" + DNA1.encode() + b"\n")
    junk = tmp_path / "junk.bin"
    junk.write_bytes(bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8)))
    for name, args in entry_points(tmp_path, nonascii, cnn_model).items():
        msg = one_line_error(run(*args), "accent.fa, line 2", "record 's1'", "0xc3")
        assert "not a residue letter" in msg, name
    for name, args in entry_points(tmp_path, junk, cnn_model).items():
        one_line_error(run(*args), "junk.bin", "not FASTA", "binary data")
    tab = tmp_path / "t.txt"
    tab.write_bytes(b">a ACGT\xff 1\n>b ACGT 0\n")
    with pytest.raises(InputFormatError, match=r"t.txt, line 1: record 'a'.*0xff"):
        read_tabular(tab)
    one_line_error(run("motif", "predict", cnn_model, tab), "t.txt", "0xff")


def test_every_entry_point_reads_leading_comments(tmp_path, cnn_model):
    lead = tmp_path / "lead.fa"
    lead.write_text(f"\n;made by an old tool\n\n>s1\n{DNA1}\n>s2\n{DNA2}\n")
    for name, args in entry_points(tmp_path, lead, cnn_model).items():
        if name in ("hmm decode", "hmm fit"):
            continue  # dice rolls, not DNA: the reader is tested with the commands below
        r = run(*args)
        assert r.exit_code == 0 or "not FASTA" not in r.stderr, (name, r.stderr)
        assert "Traceback" not in r.stderr and "not FASTA" not in r.stderr, name
    rolls = tmp_path / "rolls.fa"
    rolls.write_text(";rolls\n>r\n1626166\n")
    r = run("hmm", "decode", CASINO, rolls)
    assert r.exit_code == 0, r.stderr


# ------------------------------------------------------------------------------ gzip on stdin
def test_gzip_on_standard_input(tmp_path, cnn_model):
    plain = f">x\n{DNA1}\n>y\n{DNA2}\n".encode()
    ref = run("align", "--all", "-", "-f", "json", input=plain)
    assert ref.exit_code == 0, ref.stderr
    r = run("align", "--all", "-", "-f", "json", input=gzip.compress(plain))
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == json.loads(ref.stdout)
    r = run("motif", "scan", JASPAR, "-", "--pvalue", "1e-2", input=gzip.compress(plain))
    assert r.exit_code == 0, r.stderr
    assert r.stdout == run("motif", "scan", JASPAR, "-", "--pvalue", "1e-2", input=plain).stdout
    r = run("motif", "predict", cnn_model, "-", input=gzip.compress(plain))
    assert r.exit_code == 0 and r.stdout.splitlines()[1].startswith("x\t")
    one_line_error(run("align", "--all", "-", input=gzip.compress(plain)[:30]),
                   "standard input")
    # a tabular file on standard input is detected too (labels and the AUROC)
    tab = b">a ACGTACGTAGGT 1\n>b TTTTACGTAGGA 0\n"
    r = run("motif", "predict", cnn_model, "-", input=gzip.compress(tab))
    assert r.exit_code == 0 and r.stdout.splitlines()[0].endswith("\tlabel")


# -------------------------------------------------------------------------------- duplicates
def test_duplicate_ids_warn_once_naming_them(tmp_path):
    path = tmp_path / "d.fa"
    path.write_text(f">a\n{DNA1}\n>b\n{DNA2}\n>a\n{DNA2}\n>c\nACGT\n>b x\nAC\n")
    with pytest.warns(DuplicateIdWarning, match=r"d.fa: duplicate record ids 'a' \(2 records\), 'b' \(2 records\)"):
        recs = read_fasta(path)
    assert len(recs) == 5
    r = run("align", "--all", path, "-f", "json", "--threads", "1")
    assert r.exit_code == 0
    warn = [line for line in r.stderr.splitlines() if "duplicate" in line]
    assert warn == [f"pairhmm: warning: {path}: duplicate record ids 'a' (2 records), 'b' (2 records): "
                    "outputs keyed by id cannot tell these records apart"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_fasta(HBA)  # no warning without duplicates
    tab = tmp_path / "t.txt"
    tab.write_text(">a ACGT 1\n>a ACGA 0\n")
    with pytest.warns(DuplicateIdWarning, match="'a' \\(2 records\\)"):
        read_tabular(tab)


# ------------------------------------------------------------- labelled files beside NEGATIVES
def test_tabular_positives_beside_negatives_keep_their_labels(tmp_path):
    """A `>id SEQ LABEL` file given with NEGATIVES trained its 0 rows as bound."""
    tab = tmp_path / "train.data"
    tab.write_text(">p1 ACGTACGTAC 1\n>u1 TTTTGGGGCC 0\n>p2 ACGTTCGTAC 1\n>u2 GGGGCCCCAA 0\n")
    neg = tmp_path / "neg.fa"
    neg.write_text(">n1\nCCCCAAAATT\n>n2\nAAAATTTTGG\n")
    ids, seqs, labels = load_training_data(tab, neg)
    assert dict(zip(ids, labels.tolist())) == {"p1": 1, "u1": 0, "p2": 1, "u2": 0, "n1": 0, "n2": 0}
    # labelled FASTA ('>id LABEL') with --labeled, beside NEGATIVES, likewise
    lab = tmp_path / "lab.fa"
    lab.write_text(">p1 1\nACGTACGTAC\n>u1 0\nTTTTGGGGCC\n")
    ids, _, labels = load_training_data(lab, neg, labeled=True)
    assert dict(zip(ids, labels.tolist())) == {"p1": 1, "u1": 0, "n1": 0, "n2": 0}
    ids, _, labels, sources = load_training_data(tab, neg, return_sources=True)
    assert sources == [str(tab)] * 4 + [str(neg)] * 2
    # a NEGATIVES file with bound rows is a contradiction
    with pytest.raises(InputFormatError, match="neg2.txt: NEGATIVES holds 1 sequence"):
        bad = tmp_path / "neg2.txt"
        bad.write_text(">n1 ACGTACGTAC 1\n>n2 ACGTACGTAA 0\n")
        load_training_data(tab, bad)
    r = run("motif", "train", tab, neg, "-o", tmp_path / "m.json", "--filters", "1", "--width",
            "3", "--epochs", "1", "--no-progress", "--pwm-from", "weights", "--validation-fraction", "0.34")
    assert r.exit_code == 0, r.stderr
    assert "trained on 6 sequences (2 bound, 4 unbound)" in r.stdout


# ---------------------------------------------------------------------------- mixed alphabets
PROT1 = "MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMF"
PROT2 = "MVHLTPEEKSAVTALWGKVNVDEVGGEALGRLLV"


def test_mixed_file_aligns_each_pair_with_its_alphabet(tmp_path):
    """A pairs file holding a DNA pair and a protein pair: each pair gets its own model (the
    alphabet was guessed once, from the first pairs)."""
    path = tmp_path / "mixed.fa"
    path.write_text(f">d1\n{DNA1}\n>d2\n{DNA2}\n>p1\n{PROT1}\n>p2\n{PROT2}\n>d3\n{DNA2}\n>d4\n{DNA1}\n")
    a = tmp_path / "a.fa"
    b = tmp_path / "b.fa"
    a.write_text(f">d1\n{DNA1}\n>p1\n{PROT1}\n>d3\n{DNA2}\n")
    b.write_text(f">d2\n{DNA2}\n>p2\n{PROT2}\n>d4\n{DNA1}\n")
    r = run("align", a, b, "-f", "json", "--threads", "1")
    assert r.exit_code == 0, r.stderr
    got = json.loads(r.stdout)
    dna, prot = PairHMM.preset("dna"), PairHMM.preset("protein")
    for o, (x, y, m) in zip(got, [(DNA1, DNA2, dna), (PROT1, PROT2, prot), (DNA2, DNA1, dna)]):
        assert o["score"] == pytest.approx(m.mea(x, y).score, abs=1e-6)
    assert got[0]["score"] != pytest.approx(prot.mea(DNA1, DNA2).score, abs=1e-3)
    r = run("score", a, b)
    rows = [line.split("\t") for line in r.stdout.splitlines()[1:]]
    assert float(rows[0][4]) == pytest.approx(dna.log_likelihood(DNA1, DNA2), abs=1e-5)
    assert float(rows[1][4]) == pytest.approx(prot.log_likelihood(PROT1, PROT2), abs=1e-5)
    # a pair of a DNA and a protein sequence: a clear error
    one_line_error(run("align", "--all", path), "mixed alphabets: pair #2 (d1 vs p1)",
                   "d1 looks like dna, p1 like protein")
    # training makes one model: mixed input is refused
    one_line_error(run("train", a, b, "-o", tmp_path / "m.json"), "mixed alphabets")
    aln = tmp_path / "mixed.sto"
    aln.write_text(f"# STOCKHOLM 1.0\nd1 {DNA1}\nd2 {DNA2}\n//\n# STOCKHOLM 1.0\np1 {PROT1}\np2 {PROT2}\n//\n")
    one_line_error(run("train", "--from-alignments", aln, "-o", tmp_path / "m.json"),
                   "mixed alphabets in the alignments", "d1 looks like dna", "p1 looks like protein")


def test_forced_alphabet_that_disagrees_warns(tmp_path):
    a = tmp_path / "a.fa"
    b = tmp_path / "b.fa"
    a.write_text(f">d1\n{DNA1}\n")
    b.write_text(f">d2\n{DNA2}\n")
    r = run("align", a, b, "--alphabet", "protein")
    assert r.exit_code == 0
    assert "pairhmm: warning: 2 sequence(s) do not look like protein, which --alphabet sets: d1, d2" in r.stderr
    r = run("align", a, b, "--preset", "protein")
    assert "which --preset sets: d1, d2" in r.stderr
    r = run("align", a, b)
    assert r.exit_code == 0 and "warning" not in r.stderr
    model = tmp_path / "p.json"
    PairHMM.preset("protein").save(model)
    r = run("score", a, b, "--model", model)
    assert "which the model sets" in r.stderr
    sto = tmp_path / "d.sto"
    sto.write_text(f"# STOCKHOLM 1.0\nd1 {DNA1}\nd2 {DNA2}\n//\n")
    r = run("train", "--from-alignments", sto, "--alphabet", "protein", "-o", tmp_path / "m.json", "--no-progress")
    assert r.exit_code == 0 and "do not look like protein: d1, d2" in r.stderr


def test_alphabet_detection_rules():
    assert [a.name for a in pair_alphabets([(DNA1, DNA2), (PROT1, PROT2), ("ACGUACGUAC", "ACGAACGA")])] \
        == ["dna", "protein", "rna"]
    # short sequences do not vote: a peptide of A/C/G/T letters beside a protein is protein
    assert pair_alphabets([("GATC", PROT1)])[0].name == "protein"
    with pytest.raises(AlphabetError, match="mixed alphabets: pair #1"):
        pair_alphabets([(DNA1, PROT1)])
    with pytest.raises(AlphabetError, match="mixed alphabets"):
        pair_alphabets([(DNA1, DNA1.replace("T", "U"))])  # DNA with RNA
    assert common_alphabet([DNA1, DNA2, "ACG"]).name == "dna"
    assert alphabet_mismatches([DNA1, PROT1, "GAT"], "protein") == ["#1"]
    with pytest.warns(AlphabetWarning):
        import warnings as w

        w.warn("x", AlphabetWarning)


def test_named_pipes_and_process_substitution(tmp_path):
    """`pairhmm align <(zcat a.fa.gz) b.fa` and `motif scan M <(cat g.fa)`: a pipe can be read
    only once, yet a command opens its input more than once (a format check, then the parse);
    the pipe's bytes are kept and gzip is still recognised. Both failed with 'cannot read'."""
    import os
    import subprocess
    import sys
    import threading

    hba = (DATA / "example" / "HBA_HUMAN.fa").read_bytes()
    hbb = (DATA / "example" / "HBB_HUMAN.fa").read_bytes()
    a, b = tmp_path / "a.pipe", tmp_path / "b.pipe"
    os.mkfifo(a)
    os.mkfifo(b)

    def feed(path, data):
        with open(path, "wb") as fh:
            fh.write(data)

    threads = [threading.Thread(target=feed, args=(a, hba)),
               threading.Thread(target=feed, args=(b, gzip.compress(hbb)))]
    for t in threads:
        t.start()
    res = subprocess.run([sys.executable, "-m", "pairhmm", "align", str(a), str(b), "-f", "json"],
                         capture_output=True, text=True, timeout=300)
    for t in threads:
        t.join(timeout=10)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert [out[0]["x"], out[0]["y"]] == ["HBA_HUMAN", "HBB_HUMAN"]
    direct = CliRunner().invoke(main, ["align", str(DATA / "example" / "HBA_HUMAN.fa"),
                                       str(DATA / "example" / "HBB_HUMAN.fa"), "-f", "json"])
    assert json.loads(direct.output)[0]["path"] == out[0]["path"]
