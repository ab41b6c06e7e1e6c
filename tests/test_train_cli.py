"""``pairhmm train`` and ``pairhmm test-symmetry`` through Click's runner, and once as a process.

The command line must give the same model as the library called with the same settings, take
every input layout the issue lists, and fail on bad input with one line, exit code 2 and no
model file.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pairhmm import PairHMM
from pairhmm.cli import main
from pairhmm.seqio import read_fasta, read_pairs
from pairhmm.train import estimate_from_alignments, read_alignments

ROOT = Path(__file__).resolve().parent.parent
TRAIN = ROOT / "data" / "train"
PAIRS = str(TRAIN / "pairs.fa")
ASYM = str(TRAIN / "pairs_asym.fa")
TINY = str(TRAIN / "tiny.aln")
STO = str(TRAIN / "aligned.sto")


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def assert_bad_input(r, out: Path, pattern: str):
    assert r.exit_code == 2, (r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pairhmm: error:"), r.stderr
    assert pattern in lines[0], lines[0]
    assert "Traceback" not in r.stderr
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".pairhmm-")]


def split_pairs(tmp_path: Path) -> tuple[Path, Path]:
    recs = read_fasta(PAIRS)
    a, b = tmp_path / "x.fa", tmp_path / "y.fa"
    a.write_text("".join(f">{r.id}\n{r.seq}\n" for r in recs[0::2]))
    b.write_text("".join(f">{r.id}\n{r.seq}\n" for r in recs[1::2]))
    return a, b


# ---------------------------------------------------------------------------------------------
def test_train_consecutive_pairs_equals_library(tmp_path):
    out = tmp_path / "model.json"
    r = run("train", PAIRS, "-o", out, "--max-iter", 4, "--threads", 1)
    assert r.exit_code == 0, r.stderr
    got = PairHMM.load(out)
    # the command's default pseudocount is 1 (the library's fit defaults to 0, maximum likelihood)
    lib = PairHMM.default("dna").fit(read_pairs([PAIRS], consecutive=True), max_iter=4,
                                     pseudocount=1.0, n_jobs=1)
    assert got.to_dict() == PairHMM.from_dict(lib.to_dict()).to_dict()
    assert "pseudocount 1)" in r.stdout
    # the summary table is on stdout: learned values and the log-likelihood path
    assert f"{lib.delta_x:.5g}  (start {PairHMM.default('dna').delta_x:.5g})" in r.stdout
    assert "iterations       4" in r.stdout
    assert f"{lib.log_likelihoods_[-1]:.4f}" in r.stdout
    assert "match p_ab" in r.stdout


def test_two_files_with_matched_records_give_the_same_model(tmp_path):
    a, b = split_pairs(tmp_path)
    r1 = run("train", a, b, "-o", tmp_path / "two.json", "--max-iter", 3, "--threads", 1, "--no-progress")
    r2 = run("train", PAIRS, "-o", tmp_path / "one.json", "--max-iter", 3, "--threads", 1, "--no-progress")
    assert r1.exit_code == 0 and r2.exit_code == 0
    assert PairHMM.load(tmp_path / "two.json").to_dict() == PairHMM.load(tmp_path / "one.json").to_dict()


def test_untied_asymmetric_freeze_and_stdout_model(tmp_path):
    out = tmp_path / "u.json"
    r = run("train", ASYM, "-o", out, "--untied", "--asymmetric-match", "--freeze", "tau",
            "--max-iter", 6, "--threads", 1)
    assert r.exit_code == 0, r.stderr
    m = PairHMM.load(out)
    assert not m.tied and not m.symmetric_match
    assert m.tau == PairHMM.default("dna").tau  # frozen exactly
    assert m.delta_y > 2 * m.delta_x  # the data have delta_x = 0.02, delta_y = 0.08
    assert "delta x, y" in r.stdout and "insert y" in r.stdout
    # -o - puts the model on stdout and the summary on stderr
    r = run("train", PAIRS, "-o", "-", "--max-iter", 1, "--threads", 1)
    assert r.exit_code == 0
    assert PairHMM.from_dict(json.loads(r.stdout)).alphabet.name == "dna"
    assert "log-likelihood" in r.stderr


def test_start_model_and_pseudocount_and_random_init(tmp_path):
    start = PairHMM.default("dna").copy(delta=0.05, epsilon=0.3)
    sp = tmp_path / "start.json"
    start.save(sp)
    r = run("train", PAIRS, "--model", sp, "-o", tmp_path / "m.json", "--max-iter", 2, "--threads", 1,
            "--pseudocount", 0.5)
    assert r.exit_code == 0, r.stderr
    lib = start.copy().fit(read_pairs([PAIRS], consecutive=True), max_iter=2, pseudocount=0.5, n_jobs=1)
    assert PairHMM.load(tmp_path / "m.json").delta == pytest.approx(lib.delta, rel=1e-12)
    # the summary shows log-likelihoods, not the MAP objective that `history` holds here
    assert f"-> {lib.log_likelihoods_[-1]:.4f}" in r.stdout
    r = run("train", PAIRS, "-o", tmp_path / "r.json", "--init", "random", "--seed", 3,
            "--max-iter", 2, "--threads", 1)
    assert r.exit_code == 0
    lib = PairHMM.default("dna").fit(read_pairs([PAIRS], consecutive=True), max_iter=2, init="random",
                                     random_state=3, pseudocount=1.0, n_jobs=1)
    assert PairHMM.load(tmp_path / "r.json").delta == pytest.approx(lib.delta, rel=1e-12)


def test_trained_model_aligns_residues_its_training_data_lacked(tmp_path):
    """Baum-Welch with pseudocount 0 (maximum likelihood) gives residues absent from the training
    pairs probability 0, so the model cannot align a pair holding them: the error names them and
    the fix. The command's default pseudocount 1 keeps every residue possible."""
    train_fa, pair_fa = tmp_path / "t.fa", tmp_path / "p.fa"
    train_fa.write_text(">a\nMVLSPADKTNVKAAGKVGAHAGEYGAEALERMF\n>b\nMVHLTPEEKSAVTALGKVNVDEVGGEALGRLL\n")
    pair_fa.write_text(">c\nMWCWKV\n>d\nMWCKV\n")
    ml, smooth = tmp_path / "ml.json", tmp_path / "smooth.json"
    assert run("train", train_fa, "-o", ml, "--pseudocount", 0, "--no-progress", "--threads", 1).exit_code == 0
    assert run("train", train_fa, "-o", smooth, "--no-progress", "--threads", 1).exit_code == 0
    r = run("align", pair_fa, "--all", "--model", ml)
    assert r.exit_code == 2
    assert "c vs d: no alignment" in r.stderr and "pseudocount" in r.stderr
    assert "probability 0 to every emission of C, W" in r.stderr
    r = run("align", pair_fa, "--all", "--model", smooth, "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)[0]["aligned"][0].replace("-", "") == "MWCWKV"


def test_trained_model_is_used_by_align(tmp_path):
    out = tmp_path / "m.json"
    assert run("train", PAIRS, "-o", out, "--max-iter", 2, "--threads", 1, "--no-progress").exit_code == 0
    a, b = split_pairs(tmp_path)
    r = run("align", a, b, "--model", out, "-f", "json")
    assert r.exit_code == 0, r.stderr
    first = json.loads(r.stdout)[0]
    x, y = read_pairs([PAIRS], consecutive=True)[0]
    lib = PairHMM.load(out).mea(x, y)
    assert first["aligned"] == [str(lib[0]), str(lib[1])]


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_shows_the_log_likelihood_on_a_terminal(monkeypatch):
    from pairhmm.cli._common import FitProgress

    err = FakeTTY()
    monkeypatch.setattr(sys, "stderr", err)
    bar = FitProgress(3, "Baum-Welch", enabled=None)  # the default: shown on a terminal
    bar(0, -12.5)
    bar(1, -11.25)
    bar.close()
    assert "Baum-Welch" in err.getvalue() and "logL=-11.2500" in err.getvalue()
    err = FakeTTY()
    monkeypatch.setattr(sys, "stderr", err)
    bar = FitProgress(3, "Baum-Welch", enabled=False)  # --no-progress
    bar(0, -12.5)
    bar.close()
    assert err.getvalue() == ""


# ---------------------------------------------------------------------------------------------
def test_from_alignments_counts(tmp_path):
    out = tmp_path / "c.json"
    r = run("train", TINY, "--from-alignments", "--pseudocount", 0, "-o", out)
    assert r.exit_code == 0, r.stderr
    m = PairHMM.load(out)
    assert m.tau == pytest.approx(3 / 17, rel=1e-12)  # hand counts: see tests/test_train.py
    assert "counted on 1 alignment(s)" in r.stdout and "iterations" not in r.stdout
    # default pseudocount 1 = the library's default
    r = run("train", TINY, "--from-alignments", "-o", out)
    lib = estimate_from_alignments(read_alignments([TINY]), alphabet="dna")
    assert PairHMM.load(out).to_dict() == PairHMM.from_dict(lib.to_dict()).to_dict()


def test_from_alignments_then_baum_welch(tmp_path):
    out = tmp_path / "bw.json"
    r = run("train", STO, "--from-alignments", "--baum-welch", "--max-iter", 3, "--threads", 1, "-o", out)
    assert r.exit_code == 0, r.stderr
    assert "counted on 10 alignment(s)" in r.stdout and "then Baum-Welch" in r.stdout
    counted = estimate_from_alignments(read_alignments([STO]), alphabet="dna")
    pairs = [(rows[0].replace("-", ""), rows[1].replace("-", "")) for _, _, rows in read_alignments([STO])]
    lib = counted.copy().fit(pairs, max_iter=3, pseudocount=1.0, n_jobs=1)
    assert PairHMM.load(out).delta == pytest.approx(lib.delta, rel=1e-12)


MSF = """!!NA_MULTIPLE_ALIGNMENT 1.0

  tiny.msf MSF: 5  Type: N  Check: 0 ..

 Name: s1  Len: 5  Check: 0  Weight: 1.00
 Name: s2  Len: 5  Check: 0  Weight: 1.00
 Name: s3  Len: 5  Check: 0  Weight: 1.00

//

s1  AC.GT
s2  ACTG.
s3  A..GT
"""


@pytest.mark.parametrize("name,text,fmt", [
    ("a.fa", ">s1\nAC-GT\n>s2\nACTG-\n>s3\nA--GT\n", None),
    ("a.msf", MSF, None),
    ("a.txt", MSF, "msf"),
    ("a.sto", "# STOCKHOLM 1.0\ns1 AC-GT\ns2 ACTG-\ns3 A--GT\n//\n", None),
])
def test_every_alignment_format(tmp_path, name, text, fmt):
    ref = tmp_path / "ref.json"
    assert run("train", TINY, "--from-alignments", "-o", ref).exit_code == 0
    p = tmp_path / name
    p.write_text(text)
    out = tmp_path / "m.json"
    args = ["train", p, "--from-alignments", "-o", out, "--alphabet", "dna"]
    if fmt:
        args += ["--input-format", fmt]
    r = run(*args)
    assert r.exit_code == 0, r.stderr
    assert PairHMM.load(out).to_dict() == PairHMM.load(ref).to_dict()


# ---------------------------------------------------------------------------------------------
def test_bad_inputs_exit_2_without_a_model_file(tmp_path):
    out = tmp_path / "m.json"
    odd = tmp_path / "odd.fa"
    odd.write_text(">a\nACGT\n>b\nACGA\n>c\nACG\n")
    assert_bad_input(run("train", odd, "-o", out), out, "odd number of records (3)")
    a, b = split_pairs(tmp_path)
    short = tmp_path / "short.fa"
    short.write_text(">only\nACGT\n")
    assert_bad_input(run("train", a, short, "-o", out), out, "has 40 record(s) but")
    empty = tmp_path / "empty.fa"
    empty.write_text(">a\nACGT\n>b\n\n")
    assert_bad_input(run("train", empty, "-o", out), out, "'b' (#2) has an empty sequence")
    ragged = tmp_path / "ragged.fa"
    ragged.write_text(">a\nAC-GT\n>b\nACG\n")
    assert_bad_input(run("train", ragged, "--from-alignments", "-o", out), out,
                     "alignment rows differ in length")
    ragged_aln = tmp_path / "ragged.aln"
    ragged_aln.write_text(Path(TINY).read_text().replace("ACTG-", "ACTG"))
    assert_bad_input(run("train", ragged_aln, "--from-alignments", "-o", out), out,
                     "not a valid clustal alignment")
    gaps_only = tmp_path / "gaps.fa"
    gaps_only.write_text(">a\nAC-GT\n>b\n-----\n")
    assert_bad_input(run("train", gaps_only, "--from-alignments", "--baum-welch", "-o", out), out,
                     "row 'b' (#2) has no residues")
    bad_letter = tmp_path / "bad.fa"
    bad_letter.write_text(">a\nACGT\n>b\nAC!T\n")
    assert_bad_input(run("train", bad_letter, "-o", out, "--alphabet", "dna"), out, "!")


def test_untrainable_frozen_zero_exit_2_and_existing_file_untouched(tmp_path):
    start = tmp_path / "start.json"
    PairHMM.default("dna").copy(delta=0.0).save(start)
    out = tmp_path / "m.json"
    out.write_text("previous model\n")
    r = run("train", PAIRS, "--model", start, "--freeze", "delta", "-o", out, "--threads", 1)
    assert r.exit_code == 2
    assert "pair #1 (pair1_x / pair1_y) has probability 0" in r.stderr
    assert out.read_text() == "previous model\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "start.json"]


def test_missing_output_folder_fails_before_training(tmp_path):
    r = run("train", PAIRS, "-o", tmp_path / "nowhere" / "m.json")
    assert r.exit_code == 2 and "does not exist" in r.stderr and "iterations" not in r.stdout


def test_option_errors():
    r = run("train", PAIRS, "-o", "x.json", "--freeze", "tau,gamma")
    assert r.exit_code == 2 and "gamma" in r.stderr
    r = run("train", PAIRS, "-o", "x.json", "--baum-welch")
    assert r.exit_code == 2 and "--from-alignments only" in r.stderr
    r = run("train", PAIRS)
    assert r.exit_code == 2 and "-o" in r.stderr


# ---------------------------------------------------------------------------------------------
def test_test_symmetry_table_and_json(tmp_path):
    r = run("test-symmetry", ASYM, "--threads", 1, "--tol", 1e-3)
    assert r.exit_code == 0, r.stderr
    assert "LR statistic" in r.stdout and "df = 5" in r.stdout
    assert "reject symmetric indels" in r.stdout
    out = tmp_path / "sym.json"
    r = run("test-symmetry", ASYM, "--threads", 1, "-f", "json", "-o", out, "--max-iter", 50, "--tol", 1e-3)
    assert r.exit_code == 0
    d = json.loads(out.read_text())
    assert d["df"] == 5 and d["pvalue"] < 1e-6 and d["reject_symmetric"] is True
    assert d["statistic"] == pytest.approx(2 * (d["log_likelihood_untied"] - d["log_likelihood_tied"]))
    assert PairHMM.from_dict(d["untied"]).delta_y > PairHMM.from_dict(d["untied"]).delta_x


def test_test_symmetry_bad_input(tmp_path):
    odd = tmp_path / "odd.fa"
    odd.write_text(">a\nACGT\n>b\nACGA\n>c\nACG\n")
    r = run("test-symmetry", odd)
    assert r.exit_code == 2 and r.stderr.startswith("pairhmm: error:") and "odd number" in r.stderr


def test_real_process(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = tmp_path / "m.json"
    p = subprocess.run([sys.executable, "-m", "pairhmm", "train", PAIRS, "-o", str(out),
                        "--max-iter", "2", "--threads", "1"], capture_output=True, text=True, env=env,
                       cwd=tmp_path, timeout=300)
    assert p.returncode == 0, p.stderr
    assert PairHMM.load(out).alphabet.name == "dna" and "delta" in p.stdout
    bad = tmp_path / "bad.fa"
    bad.write_text(">a\nACGT\n")
    p = subprocess.run([sys.executable, "-m", "pairhmm", "train", str(bad), "-o", str(tmp_path / "n.json")],
                       capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "odd number" in p.stderr
    assert not (tmp_path / "n.json").exists()
    assert np.isfinite(PairHMM.load(out).tau)


def test_train_a_semiglobal_model(tmp_path):
    out = tmp_path / "semi.json"
    r = run("train", PAIRS, "--mode", "semiglobal", "--max-iter", 1, "--threads", 1, "-o", out)
    assert r.exit_code == 0, r.stderr
    m = PairHMM.load(out)
    assert m.mode == "semiglobal" and "flank loop" in r.stdout
    lib = PairHMM.default("dna").copy(mode="semiglobal").fit(read_pairs([PAIRS], consecutive=True),
                                                            max_iter=1, pseudocount=1.0, n_jobs=1)
    assert m.flank_loop == pytest.approx(lib.flank_loop, rel=1e-12)
