"""`pairhmm motif scan` and `pairhmm motif convert` (CliRunner, plus one real process)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from pairhmm.cli import main


@pytest.fixture
def example(data_dir):
    return data_dir / "motifs" / "jaspar2024_examples.jaspar", data_dir / "motifs" / "example_promoters.fa"


def run(*args):
    return CliRunner().invoke(main, list(map(str, args)))


def planted(fasta):
    """(motif id, record, strand, 1-based start, end) of every planted site, from the headers."""
    out = set()
    for line in fasta.read_text().splitlines():
        if line.startswith(">"):
            rec, note = line[1:].split(" planted=")
            for item in note.split(","):
                parts = item.split(":")
                if len(parts) == 3:
                    a, b = parts[2].split("-")
                    out.add((parts[0], rec, parts[1], int(a), int(b)))
    return out


def test_scan_tsv_finds_every_planted_site(example):
    motifs, fasta = example
    r = run("motif", "scan", motifs, fasta)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split("\t") == ["motif_id", "motif_alt_id", "sequence_name", "start", "stop", "strand",
                                    "score", "p-value", "q-value", "matched_sequence"]
    rows = [ln.split("\t") for ln in lines[1:]]
    found = {(c[0], c[2], c[5], int(c[3]), int(c[4])) for c in rows}
    assert planted(fasta) <= found
    ctcf = [c for c in rows if c[0] == "MA0139.2" and c[2] == "promoter1" and c[3] == "101"][0]
    assert ctcf[1] == "CTCF" and ctcf[5] == "+" and len(ctcf[9]) == 15
    # nothing overlaps the N run of promoter5 (positions 501-520)
    assert not [c for c in rows if c[2] == "promoter5" and int(c[3]) <= 520 and int(c[4]) >= 501]


def test_scan_bed_and_gff(example, tmp_path):
    motifs, fasta = example
    out = tmp_path / "hits.bed"
    r = run("motif", "scan", motifs, fasta, "--format", "bed", "-o", out, "--pvalue", "1e-5")
    assert r.exit_code == 0, r.output
    bed = [ln.split("\t") for ln in out.read_text().splitlines()]
    assert ["promoter1", "100", "115", "MA0139.2"] == bed[0][:4] and len(bed[0]) == 7
    r = run("motif", "scan", motifs, fasta, "--format", "gff", "--pvalue", "1e-5")
    gff = r.stdout.splitlines()
    assert gff[0] == "##gff-version 3"
    first = gff[1].split("\t")
    assert first[:5] == ["promoter1", "pairhmm", "TF_binding_site", "101", "115"]
    assert "motif_id=MA0139.2" in first[8] and "Name=CTCF" in first[8]


def test_scan_options(example):
    motifs, fasta = example
    best = run("motif", "scan", motifs, fasta, "--best-per-sequence", "--bg", "auto")
    assert best.exit_code == 0, best.output
    pairs = [tuple(ln.split("\t")[i] for i in (0, 2)) for ln in best.stdout.splitlines()[1:]]
    assert len(pairs) == len(set(pairs)) > 0
    top = run("motif", "scan", motifs, fasta, "--max-hits", "3", "--bg", "0.3,0.2,0.2,0.3")
    assert len(top.stdout.splitlines()) == 4
    fwd = run("motif", "scan", motifs, fasta, "--forward-only", "--score", "12")
    assert fwd.exit_code == 0
    rows = [ln.split("\t") for ln in fwd.stdout.splitlines()[1:]]
    assert rows and all(c[5] == "+" and float(c[6]) >= 12 for c in rows)


@pytest.mark.parametrize("args,msg", [
    (["--pvalue", "0"], "invalid pvalue = 0.0: must be in (0, 1]"),
    (["--pvalue", "1e-4", "--score", "3"], "give --pvalue or --score, not both"),
    (["--bg", "1,2"], "invalid --bg"),
    (["--bg", "0.5,0.5,0.5,0.5"], "the four frequencies sum to 2, not 1"),
    (["--max-hits", "0"], "invalid --max-hits"),
])
def test_scan_bad_options_one_line_exit_2(example, args, msg):
    motifs, fasta = example
    r = run("motif", "scan", motifs, fasta, *args)
    assert r.exit_code == 2
    assert msg in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_scan_bad_motif_file(tmp_path, example):
    _, fasta = example
    bad = tmp_path / "bad.jaspar"
    bad.write_text(">MA1 X\nA [ 1 2 ]\nC [ 1 2 ]\nG [ 1 oops ]\nT [ 1 2 ]\n")
    r = run("motif", "scan", bad, fasta)
    assert r.exit_code == 2
    assert "line 4 (motif 'MA1')" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = run("motif", "scan", tmp_path / "none.jaspar", fasta)
    assert r.exit_code == 2 and "no such file" in r.stderr


def test_convert_roundtrip(example, tmp_path):
    motifs, _ = example
    meme = tmp_path / "m.meme"
    r = run("motif", "convert", motifs, "-o", meme)
    assert r.exit_code == 0, r.output
    assert meme.read_text().startswith("MEME version 4")
    back = tmp_path / "back.transfac"
    assert run("motif", "convert", meme, "-o", back).exit_code == 0
    assert back.read_text().count("//") == 5
    r = run("motif", "convert", motifs, "-o", tmp_path / "x.unknown")
    assert r.exit_code == 2 and "give -f/--format" in r.stderr


def test_real_process(example, tmp_path):
    motifs, fasta = example
    out = tmp_path / "hits.tsv"
    p = subprocess.run([sys.executable, "-m", "pairhmm", "motif", "scan", str(motifs), str(fasta),
                        "-o", str(out), "--pvalue", "1e-5", "--no-progress"],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "MA0139.2\tCTCF\tpromoter1\t101\t115\t+" in out.read_text()
    p = subprocess.run([sys.executable, "-m", "pairhmm", "motif", "scan", str(motifs), str(fasta),
                        "--pvalue", "2"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 2 and p.stderr.startswith("pairhmm: error: invalid pvalue")


def test_motif_group_lists_learner_commands_only_when_present(monkeypatch):
    from pairhmm.cli import _common

    exists = _common._module_exists
    monkeypatch.setattr(_common, "_module_exists", lambda mod: mod != "motif_learn" and exists(mod))
    r = run("motif", "--help")
    assert "scan" in r.stdout and "convert" in r.stdout and "train" not in r.stdout
    assert run("motif", "train").exit_code == 2  # no such command


def test_scan_protein_fasta_is_one_line_error(example, tmp_path):
    motifs, _ = example
    prot = tmp_path / "prot.fa"
    prot.write_text(">p1\nMKVLAEEQ\n")
    r = run("motif", "scan", motifs, prot)
    assert r.exit_code == 2
    assert "p1: character 'L' at position 4 is not in the dna alphabet" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
