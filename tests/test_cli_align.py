"""The align / score / posterior commands, through Click's runner and once as a real process."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pairhmm import PairHMM
from pairhmm.cli import main

EX = Path(__file__).resolve().parent.parent / "data" / "example"
HBA = str(EX / "HBA_HUMAN.fa")
HBB = str(EX / "HBB_HUMAN.fa")


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_align_default_is_mea_and_matches_library():
    r = run("align", HBA, HBB, "-f", "json")
    assert r.exit_code == 0, r.stderr
    out = json.loads(r.stdout)[0]
    assert out["method"] == "mea"
    lib = PairHMM.preset("protein").mea(
        "MVLSPADKTNVKAAWGKVGAHAGEYGAEALERMFLSFPTTKTYFPHFDLSHGSAQVKGHGKKVADALTNAVAHVDDMPNALSALSDLHAHKLRVDPVNFKLLSHCLLVTLAAHLPAEFTPAVHASLDKFLASVSTVLTSKYR",
        "MVHLTPEEKSAVTALWGKVNVDEVGGEALGRLLVVYPWTQRFFESFGDLSTPDAVMGNPKVKAHGKKVLGAFSDGLAHLDNLKGTFATLSELHCDKLHVDPENFRLLGNVLVCVLAHHFGKEFTPPVQAAYQKVVAGVANALAHKYH")
    assert out["aligned"] == [str(lib[0]), str(lib[1])]
    assert len(out["column_posterior"]) == lib.length


def test_text_identity_ignores_letter_case(tmp_path):
    """Lower-case input aligns like upper case; the text header's identity compares residues,
    not their case (a soft-masked sequence is not 0% identical to itself)."""
    a, b = tmp_path / "a.fa", tmp_path / "b.fa"
    a.write_text(">a\nmkvlaagiv\n")
    b.write_text(">b\nMKVLSAGIV\n")
    r = run("align", str(a), str(b))
    assert r.exit_code == 0, r.stderr
    assert "identity=8/9" in r.stdout.splitlines()[0]


def test_output_files_get_the_usual_permissions(tmp_path):
    """Outputs are written through a temporary file (never half-written) but end up with the
    permissions of any new file, 0666 minus the umask, not the temporary file's private 0600."""
    import os

    umask = os.umask(0o022)
    try:
        out, model = tmp_path / "a.txt", tmp_path / "m.json"
        assert run("align", HBA, HBB, "-o", str(out)).exit_code == 0
        PairHMM.default("dna").save(model)
        assert (out.stat().st_mode & 0o777) == 0o644
        assert (model.stat().st_mode & 0o777) == 0o644
    finally:
        os.umask(umask)
    r = run("align", HBA, HBB, "-o", str(tmp_path / "no" / "a.txt"))
    assert r.exit_code == 2 and r.stderr.strip().endswith("no/a.txt: the folder "
                                                          f"{tmp_path / 'no'} does not exist")
    with pytest.raises(FileNotFoundError, match="no/m.json"):
        PairHMM.default("dna").save(tmp_path / "no" / "m.json")


@pytest.mark.parametrize("fmt", ["fasta", "clustal", "stockholm", "phylip", "nexus", "maf", "sam", "psl", "bed", "text"])
def test_formats(fmt):
    r = run("align", HBA, HBB, "-f", fmt, "--method", "viterbi")
    assert r.exit_code == 0, r.stderr
    assert "HBA_HUMAN" in r.stdout or "HBB_HUMAN" in r.stdout


def test_stockholm_carries_posterior_and_min_posterior_masks():
    r = run("align", HBA, HBB, "-f", "stockholm", "--min-posterior", "0.9")
    assert r.exit_code == 0
    assert "#=GR HBA_HUMAN  PP" in r.stdout and "#=GC PP_cons" in r.stdout
    seq_lines = [l for l in r.stdout.splitlines() if l.startswith("HBA_HUMAN ")]
    assert any(c.islower() for c in seq_lines[0].split()[-1])  # some low-confidence columns
    r2 = run("align", HBA, HBB, "-f", "fasta")
    assert not any(c.islower() for c in r2.stdout.split("\n", 2)[1])


def test_score_tsv_and_dna_autodetect(tmp_path):
    a = tmp_path / "a.fa.gz"
    with gzip.open(a, "wt") as fh:
        fh.write(">a\nACGTACGTTAGC\n")
    b = tmp_path / "b.fa"
    b.write_text(">b\nACGTTCGTAGC\n")
    r = run("score", str(a), str(b))
    assert r.exit_code == 0, r.stderr
    header, row = r.stdout.strip().split("\n")
    assert header.split("\t")[4:] == ["log_likelihood", "log_odds", "viterbi_logprob"]
    vals = row.split("\t")
    m = PairHMM.default("dna")
    assert float(vals[4]) == pytest.approx(m.log_likelihood("ACGTACGTTAGC", "ACGTTCGTAGC"), abs=1e-6)
    assert float(vals[6]) <= float(vals[4])


def test_all_pairs_and_record_pairing(tmp_path):
    a = tmp_path / "a.fa"
    a.write_text(">a1\nACGTAC\n>a2\nGGTACA\n")
    b = tmp_path / "b.fa"
    b.write_text(">b1\nACGAC\n>b2\nGGTTACA\n")
    r = run("align", str(a), str(b), "-f", "json")
    assert [(o["x"], o["y"]) for o in json.loads(r.stdout)] == [("a1", "b1"), ("a2", "b2")]
    r = run("align", str(a), str(b), "--all", "-f", "json")
    assert len(json.loads(r.stdout)) == 4
    r = run("align", "--all", str(a), "-f", "json")
    assert [(o["x"], o["y"]) for o in json.loads(r.stdout)] == [("a1", "a2")]


def test_posterior_command(tmp_path):
    out = tmp_path / "p.npy"
    r = run("posterior", HBA, HBB, "-o", str(out), "--plot", str(tmp_path / "p.png"))
    assert r.exit_code == 0, r.stderr
    P = np.load(out)
    assert P.shape == (142, 147) and 0 < P.max() <= 1
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    r = run("posterior", HBA, HBB, "-o", str(tmp_path / "p.tsv"))
    lines = (tmp_path / "p.tsv").read_text().splitlines()
    assert len(lines) == 143 and len(lines[1].split("\t")) == 148


def test_model_option(tmp_path):
    m = PairHMM.default("protein").copy(delta=0.05)
    path = tmp_path / "m.json"
    m.save(path)
    r = run("score", HBA, HBB, "--model", str(path))
    assert r.exit_code == 0
    ll = float(r.stdout.split("\n")[1].split("\t")[4])
    from pairhmm.seqio import read_fasta

    x, y = read_fasta(HBA)[0], read_fasta(HBB)[0]
    # the file's model is the one used, not the preset
    assert ll == pytest.approx(m.log_likelihood(x, y), abs=1e-5)
    assert abs(ll - PairHMM.preset("protein").log_likelihood(x, y)) > 1.0


def _bad_inputs(tmp_path):
    good = tmp_path / "good.fa"
    good.write_text(">g\nACGTACGT\n")
    cases = {}
    cases["missing file"] = ([str(tmp_path / "nope.fa"), str(good)], "no such file")
    p = tmp_path / "notfasta.fa"; p.write_text("hello world\n")
    cases["not FASTA"] = ([str(p), str(good)], "not FASTA")
    p = tmp_path / "empty.fa"; p.write_text("")
    cases["empty file"] = ([str(p), str(good)], "empty")
    p = tmp_path / "emptyseq.fa"; p.write_text(">e\n\n")
    cases["empty sequence"] = ([str(p), str(good)], "empty sequence")
    p = tmp_path / "badchar.fa"; p.write_text(">bad\nACGTQACGT\n")
    cases["bad character"] = ([str(p), str(good), "--alphabet", "dna"], r"bad: character 'Q' at position 5")
    cases["mixed alphabets"] = ([HBA, str(good)], "mixed alphabets")
    p = tmp_path / "bad.json"; p.write_text("{oops")
    cases["invalid model JSON"] = ([str(good), str(good), "--model", str(p)], "not valid JSON")
    d = PairHMM.default("dna").to_dict(); d["match"][0][0] += 0.3
    p = tmp_path / "notdist.json"; p.write_text(json.dumps(d))
    cases["not a distribution"] = ([str(good), str(good), "--model", str(p)], "sum to 1")
    p = tmp_path / "two.fa"; p.write_text(">a\nACGT\n>b\nACGT\n")
    cases["record count mismatch"] = ([str(p), str(good)], "paired by position")
    cases["memory limit"] = ([HBA, HBB, "--max-memory", "10K"], "max-memory")
    return cases


def test_bad_input_gives_one_line_and_exit_2(tmp_path):
    for name, (args, pattern) in _bad_inputs(tmp_path).items():
        out = tmp_path / f"out-{name.replace(' ', '_')}.txt"
        r = CliRunner().invoke(main, ["align", *args, "-o", str(out)])
        assert r.exit_code == 2, (name, r.stdout, r.stderr)
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("pairhmm: error:"), (name, r.stderr)
        import re
        assert re.search(pattern, lines[0]), (name, lines[0])
        assert not out.exists(), name  # nothing half-written
        assert "Traceback" not in r.stderr


def test_real_process(tmp_path):
    out = tmp_path / "aln.fa"
    proc = subprocess.run([sys.executable, "-m", "pairhmm", "align", HBA, HBB, "-f", "fasta",
                           "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert text.startswith(">HBA_HUMAN") and text.count(">") == 2
    proc = subprocess.run([sys.executable, "-m", "pairhmm", "align", HBA, str(tmp_path / "missing.fa")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "no such file" in proc.stderr


def test_threads_give_identical_output(tmp_path):
    rng = np.random.default_rng(0)
    letters = "ACDEFGHIKLMNPQRSTVWY"
    recs = []
    base = "".join(rng.choice(list(letters), 80))
    for k in range(6):
        s = list(base)
        for _ in range(15):
            s[rng.integers(0, len(s))] = rng.choice(list(letters))
        recs.append(f">s{k}\n{''.join(s)}\n")
    f = tmp_path / "fam.fa"
    f.write_text("".join(recs))
    outs = []
    for threads in ("1", "2"):
        r = run("align", "--all", str(f), "-f", "json", "--threads", threads)
        assert r.exit_code == 0, r.stderr
        outs.append(r.stdout)
    assert outs[0] == outs[1]
    assert len(json.loads(outs[0])) == 15
    s1 = run("score", "--all", str(f), "--threads", "1").stdout
    s2 = run("score", "--all", str(f), "--threads", "2").stdout
    assert s1 == s2 and len(s1.strip().split("\n")) == 16
