"""The FIMO-style options of `pairhmm motif scan`, through Click's CliRunner."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from pairhmm.cli import main
from pairhmm.motif import read_motifs, scan_table


@pytest.fixture
def example(data_dir):
    return data_dir / "motifs" / "jaspar2024_examples.jaspar", data_dir / "motifs" / "example_promoters.fa"


def run(*args):
    return CliRunner().invoke(main, ["motif", "scan", *map(str, args)])


def rows(result):
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("motif_id\t")
    return [ln.split("\t") for ln in lines[1:]]


def test_sort_by_pvalue(example):
    motifs, fasta = example
    byp = rows(run(motifs, fasta, "--sort", "pvalue", "--pvalue", "1e-3"))
    pos = rows(run(motifs, fasta, "--pvalue", "1e-3"))
    assert sorted(map(tuple, byp)) == sorted(map(tuple, pos)) and len(pos) > 10
    p = [float(r[7]) for r in byp]
    assert p == sorted(p) and [float(r[7]) for r in pos] != p
    assert run(motifs, fasta, "--sort", "score").exit_code == 2


def test_qv_thresh(example):
    motifs, fasta = example
    got = rows(run(motifs, fasta, "--qv-thresh", "0.01"))
    assert got and all(float(r[8]) <= 0.01 for r in got)
    ref = scan_table(read_motifs(motifs), fasta, qvalue=0.01)
    assert len(got) == len(ref)
    looser = rows(run(motifs, fasta, "--qv-thresh", "0.2"))
    assert len(looser) > len(got)


@pytest.mark.parametrize("args,msg", [
    (["--pvalue", "1e-4", "--qv-thresh", "0.1"], "give --pvalue or --qv-thresh, not both"),
    (["--qv-thresh", "0.1", "--score", "3"], "give --qv-thresh or --score, not both"),
    (["--qv-thresh", "0"], "invalid qvalue = 0.0: must be in (0, 1]"),
    (["--max-stored-scores", "0"], "invalid --max-stored-scores = 0: must be a positive integer"),
    (["--motif", "MA9999.1"], "invalid motif = 'MA9999.1': no motif with that ID or name in"),
])
def test_option_errors_are_one_line(example, args, msg):
    motifs, fasta = example
    r = run(motifs, fasta, *args)
    assert r.exit_code == 2
    assert msg in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_motif_by_id_and_by_name(example):
    motifs, fasta = example
    one = rows(run(motifs, fasta, "--motif", "MA0139.2"))
    assert one and {r[0] for r in one} == {"MA0139.2"}
    two = rows(run(motifs, fasta, "--motif", "STAT3", "--motif", "MA0139.2", "--pvalue", "1e-3"))
    assert {r[1] for r in two} == {"CTCF", "STAT3"}
    assert [r[0] for r in two] == sorted((r[0] for r in two), key=["MA0139.2", "MA0144.3"].index)


def test_motif_name_shared_by_two_motifs_is_an_error(tmp_path, example):
    _, fasta = example
    f = tmp_path / "dup.jaspar"
    f.write_text(">MA1.1 FOO\nA [ 1 2 ]\nC [ 1 2 ]\nG [ 1 2 ]\nT [ 1 2 ]\n"
                 ">MA1.2 FOO\nA [ 1 2 ]\nC [ 1 2 ]\nG [ 1 2 ]\nT [ 1 2 ]\n")
    r = run(f, fasta, "--motif", "FOO")
    assert r.exit_code == 2
    assert r.stderr.strip() == (f"pairhmm: error: invalid motif = 'FOO': the name is shared by 2 motifs "
                                f"in {f} (MA1.1, MA1.2): give the ID")


def test_max_stored_scores_keeps_the_best_and_warns_once(example):
    motifs, fasta = example
    full = rows(run(motifs, fasta, "--pvalue", "1e-3"))
    r = run(motifs, fasta, "--pvalue", "1e-3", "--max-stored-scores", "10")
    kept = rows(r)
    assert len(kept) == 10
    warn = [ln for ln in r.stderr.splitlines() if "memory bound" in ln]
    assert len(warn) == 1 and warn[0].startswith(
        f"pairhmm: warning: memory bound (max_stored / --max-stored-scores = 10): kept the 10 most "
        f"significant hits, dropped {len(full) - 10} with p-value >= ")
    # the ten smallest p-values, and the q-values of the full scan
    best = sorted(full, key=lambda c: (float(c[7]), -float(c[6])))[:10]
    assert sorted(map(tuple, kept)) == sorted(map(tuple, best))


def test_parse_genomic_coord_bed_gff_tsv(tmp_path, example):
    motifs, fasta = example
    seqs = {}
    for block in fasta.read_text().split(">")[1:]:
        head, *body = block.splitlines()
        seqs[head.split()[0]] = "".join(body)
    s = seqs["promoter1"]
    fa = tmp_path / "regions.fa"
    fa.write_text(f">chr5:10001-{10000 + len(s)}\n{s}\n>promoter1\n{s}\n")
    plain = rows(run(motifs, fa, "--pvalue", "1e-5"))
    genomic = rows(run(motifs, fa, "--pvalue", "1e-5", "--parse-genomic-coord"))
    rel = [r for r in plain if r[2] == "promoter1"]
    shifted = [r for r in genomic if r[2] == "chr5"]
    assert len(rel) == len(shifted) > 0
    for a, b in zip(rel, shifted):
        assert int(b[3]) == int(a[3]) + 10000 and int(b[4]) == int(a[4]) + 10000
        assert (a[0], a[5], a[9]) == (b[0], b[5], b[9])
    assert [r for r in genomic if r[2] == "promoter1"] == rel  # a name without coordinates
    bed = run(motifs, fa, "--pvalue", "1e-5", "--parse-genomic-coord", "--format", "bed")
    first = [ln.split("\t") for ln in bed.stdout.splitlines() if ln.startswith("chr5")][0]
    assert first[:3] == ["chr5", str(int(shifted[0][3]) - 1), shifted[0][4]]
    gff = run(motifs, fa, "--pvalue", "1e-5", "--parse-genomic-coord", "--format", "gff")
    g = [ln.split("\t") for ln in gff.stdout.splitlines() if ln.startswith("chr5")][0]
    assert g[3:5] == shifted[0][3:5]


def test_unreachable_motifs_are_one_warning_line(tmp_path, example):
    _, fasta = example
    f = tmp_path / "short.jaspar"
    f.write_text("".join(f">S{k} s{k}\nA [ 9 0 0 ]\nC [ 0 9 0 ]\nG [ 0 0 9 ]\nT [ 0 0 {k} ]\n"
                         for k in range(7)))
    r = run(f, fasta, "--pvalue", "1e-5")
    assert r.exit_code == 0
    warn = r.stderr.strip().splitlines()
    assert warn == ["pairhmm: warning: 7 of 7 motif(s) cannot reach p <= 1e-05 and report no hits: "
                    + ", ".join(f"S{k} (width 3, best p 0.0156)" for k in range(5))  # 4^-3
                    + " and 2 more"]
