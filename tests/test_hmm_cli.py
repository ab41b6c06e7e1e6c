"""`pairhmm hmm ...` through Click's CliRunner, and once as a real process."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from pairhmm import encode
from pairhmm.cli import main
from pairhmm.hmm import TiedHMM, resolve_alphabet
from pairhmm.seqio import read_fasta

DICE = resolve_alphabet("123456")


def _run(*args):
    return CliRunner().invoke(main, ["hmm", *map(str, args)], catch_exceptions=False)


@pytest.fixture()
def rolls(data_dir):
    return data_dir / "hmm" / "casino_rolls.fasta"


def test_fit_decode_score(tmp_path, rolls, data_dir):
    out = tmp_path / "fit.json"
    r = _run("fit", rolls, "--states", 2, "--symbols", "123456", "--tie-emissions", "",
             "--max-iter", 5, "--seed", 1, "-o", out)
    assert r.exit_code == 0, r.output
    model = TiedHMM.load(out)
    assert model.n_states == 2 and json.loads(out.read_text())["format"] == "pairhmm.TiedHMM"
    recs = read_fasta(rolls)
    seqs = [encode(rec, DICE) for rec in recs]
    # decode: TSV segments, 0-based half-open, covering each sequence, equal to the library path
    r = _run("decode", data_dir / "hmm" / "casino.json", rolls)
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == "seq_id\tstart\tend\tstate"
    truth = TiedHMM.load(data_dir / "hmm" / "casino.json")
    for rec, x in zip(recs, seqs):
        segs = [ln.split("\t") for ln in lines[1:] if ln.split("\t")[0] == rec.id]
        path = np.concatenate([np.full(int(e) - int(s), int(k)) for _, s, e, k in segs])
        assert int(segs[0][1]) == 0 and int(segs[-1][2]) == len(x)
        np.testing.assert_array_equal(path, truth.predict(x))
    r = _run("decode", data_dir / "hmm" / "casino.json", rolls, "--format", "bed",
             "--state-names", "fair,loaded", "--algorithm", "map")
    assert r.exit_code == 0 and not r.stdout.startswith("seq_id")
    assert {ln.split("\t")[3] for ln in r.stdout.splitlines()} <= {"fair", "loaded"}
    # score: one line per record, equal to the library
    r = _run("score", data_dir / "hmm" / "casino.json", rolls)
    rows = [ln.split("\t") for ln in r.stdout.splitlines()[1:]]
    assert [row[0] for row in rows] == [rec.id for rec in recs]
    np.testing.assert_allclose([float(row[2]) for row in rows],
                               [truth.score(x) for x in seqs], atol=1e-6)


def test_fit_with_labels_and_model_start(tmp_path, data_dir):
    fasta = data_dir / "hmm" / "islands.fasta"
    out = tmp_path / "chain.json"
    r = _run("fit", fasta, "--model", data_dir / "hmm" / "duration_chain.json", "-o", out,
             "--max-iter", 3)
    assert r.exit_code == 0
    m = TiedHMM.load(out)
    loop = m.transmat_[np.asarray(m.transition_labels) == 2]
    assert np.all(loop == loop[0]) and not np.isclose(loop[0], 0.9)
    out2 = tmp_path / "lab.json"
    r = _run("fit", fasta, "--states", 4, "--alphabet", "dna", "--transition-labels",
             "0,1,2,2;1,0,2,2;3,3,4,5;3,3,5,4", "--tie-emissions", "0,1", "--tie-emissions", "2,3",
             "--max-iter", 3, "-o", out2)
    assert r.exit_code == 0, r.output
    m = TiedHMM.load(out2)
    t, e = m.transmat_, m.emissionprob_
    assert t[0, 0] == t[1, 1] and t[0, 1] == t[1, 0] and t[2, 3] == t[3, 2] and t[0, 2] == t[1, 3]
    assert m.emission_ties == [[0, 1], [2, 3]] and np.array_equal(e[2], e[3])


def test_sample_is_reproducible(tmp_path, data_dir):
    model = data_dir / "hmm" / "duration_chain.json"
    a = _run("sample", model, "-n", 150, "--count", 2, "--seed", 7)
    b = _run("sample", model, "-n", 150, "--count", 2, "--seed", 7,
             "--states-output", tmp_path / "s.tsv")
    assert a.exit_code == 0 and a.stdout == b.stdout
    seq_lines = [ln for ln in a.stdout.splitlines() if not ln.startswith(">")]
    assert a.stdout.count(">") == 2 and set("".join(seq_lines)) <= set("ACGT")
    assert len("".join(seq_lines)) == 300
    segs = (tmp_path / "s.tsv").read_text().splitlines()
    assert segs[0] == "seq_id\tstart\tend\tstate" and segs[-1].split("\t")[2] == "150"


@pytest.mark.parametrize("args, message", [
    (["fit", "{rolls}", "--states", 2, "--symbols", "12345", "-o", "{out}"],
     "character '6' at position"),
    (["fit", "{rolls}", "--states", 3, "--symbols", "123456", "--transition-labels",
      "0,1,-1;0,1,2;2,2,-1", "-o", "{out}"], "rows 0 and 1 share label 0"),
    (["fit", "{rolls}", "--states", 2, "-o", "{out}"], "give --alphabet"),
    (["fit", "{rolls}", "--states", 2, "--symbols", "123456", "--tie-emissions", "0,x",
      "-o", "{out}"], "cannot read group"),
    (["decode", "{bad}", "{rolls}"], "unsupported version"),
    (["score", "{missing}", "{rolls}"], "no such model file"),
])
def test_bad_input_exit_2(tmp_path, rolls, args, message):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"format": "pairhmm.TiedHMM", "version": 9, "n_states": 2}))
    fill = {"rolls": rolls, "out": tmp_path / "o.json", "bad": bad, "missing": tmp_path / "no.json"}
    r = CliRunner().invoke(main, ["hmm", *[str(a).format(**fill) for a in args]])
    assert r.exit_code == 2
    assert message in r.stderr and r.stderr.count("\n") == 1
    assert not (tmp_path / "o.json").exists()  # nothing half-written


def test_real_process(tmp_path, data_dir):
    out = tmp_path / "m.json"
    p = subprocess.run([sys.executable, "-m", "pairhmm", "hmm", "fit",
                        str(data_dir / "hmm" / "casino_rolls.fasta"), "--states", "2",
                        "--symbols", "123456", "--max-iter", "2", "-o", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "log-likelihood" in p.stderr and TiedHMM.load(out).n_symbols == 6
    p = subprocess.run([sys.executable, "-m", "pairhmm", "hmm", "score", str(out),
                        str(data_dir / "hmm" / "islands.fasta")], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2 and p.stderr.startswith("pairhmm: error:") and "'G' at position 1" in p.stderr
