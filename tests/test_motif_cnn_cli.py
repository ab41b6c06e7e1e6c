"""CLI tests of `pairhmm motif train` / `pairhmm motif predict` (cli/motif_learn.py)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from pairhmm.cli.motif_learn import predict, train
from pairhmm.motif.cnn import MotifCNN

SITE = "TTCCCGGAA"


# tiny kernels: thread start-up costs more than the work (see conftest.one_numba_thread)
pytestmark = pytest.mark.usefixtures("one_numba_thread")


def write_sets(tmp_path, n=60, L=40, seed=0):
    rng = np.random.default_rng(seed)
    pos, neg = [], []
    for i in range(n):
        s = "".join(rng.choice(list("ACGT"), L))
        p = int(rng.integers(0, L - len(SITE)))
        pos.append(s[:p] + SITE + s[p + len(SITE):])
        neg.append("".join(rng.choice(list("ACGT"), L)))
    pf, nf = tmp_path / "pos.fa", tmp_path / "neg.fa"
    pf.write_text("".join(f">p{i}\n{s}\n" for i, s in enumerate(pos)))
    nf.write_text("".join(f">n{i}\n{s}\n" for i, s in enumerate(neg)))
    return pf, nf, pos, neg


def has_motif_group() -> bool:
    if importlib.util.find_spec("pairhmm.cli.motif") is None:
        return False
    from pairhmm.cli.motif import motif

    return {"train", "predict"} <= set(motif.list_commands(None))


def test_train_then_predict(tmp_path):
    pf, nf, pos, neg = write_sets(tmp_path)
    model, motifs, logos = tmp_path / "m.json", tmp_path / "out.jaspar", tmp_path / "logos"
    r = CliRunner().invoke(train, [str(pf), str(nf), "-o", str(model), "--motifs", str(motifs),
                                   "--logos", str(logos), "--filters", "3", "--width", "9",
                                   "--pwm-from", "weights",
                                   "--epochs", "3", "--palindromic", "0", "--seed", "1",
                                   "--config", "fast"])
    assert r.exit_code == 0, r.output
    assert "best epoch" in r.output and "| 0 | 9 | yes | 19 | 1184 |" in r.output
    m = MotifCNN.load(model)
    assert m.n_filters == 3 and m.palindromic == [0]
    assert motifs.read_text().startswith(">CNN.")
    # one logo per exported motif (near-identical filters are merged on export)
    assert len(list(logos.glob("*.png"))) == motifs.read_text().count(">CNN.") >= 1
    r = CliRunner().invoke(predict, [str(model), str(pf)])
    assert r.exit_code == 0, r.output
    lines = r.output.strip().split("\n")
    assert lines[0] == "id\tprobability\tlog_odds" and len(lines) == 61
    np.testing.assert_allclose([float(x.split("\t")[1]) for x in lines[1:]],
                               m.predict_proba(pos), rtol=1e-5)


def test_train_positives_only_uses_shuffled_negatives(tmp_path):
    pf, _, _, _ = write_sets(tmp_path, n=30)
    model = tmp_path / "m.json"
    r = CliRunner().invoke(train, [str(pf), "-o", str(model), "--filters", "2", "--width", "9",
                                   "--epochs", "2", "--no-progress"])
    assert r.exit_code == 0, r.output
    assert "60 sequences (30 bound, 30 unbound)" in r.output
    r = CliRunner().invoke(train, [str(pf), "-o", str(model), "--filters", "2", "--width", "9",
                                   "--epochs", "2", "--no-progress", "--pwm-from", "sites", "--init", "data",
                                   "--motifs", str(tmp_path / "m.meme")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "m.meme").read_text().startswith("MEME version")
    assert MotifCNN.load(model).get_params()["init_scale"] == 1.0


def test_train_with_kmer_term_and_averaged_models(tmp_path):
    pf, nf, pos, _ = write_sets(tmp_path)
    model = tmp_path / "m.json"
    r = CliRunner().invoke(train, [str(pf), str(nf), "-o", str(model), "--filters", "2",
                                   "--width", "9", "--epochs", "2", "--no-progress", "--kmer", "4",
                                   "--kmer-l2", "0.01", "--kmer-learning-rate", "0.02",
                                   "--models", "2"])
    assert r.exit_code == 0, r.output
    assert "model 1: best epoch" in r.output and "model 2: best epoch" in r.output
    assert "top k-mers: " in r.output
    m = MotifCNN.load(model)
    assert (m.kmer, m.kmer_l2, m.kmer_learning_rate, m.n_models) == (4, 0.01, 0.02, 2)
    assert m.filters_.shape == (4, 9, 4) and m.kmer_weights_.shape == (136,)
    r = CliRunner().invoke(predict, [str(model), str(pf)])
    assert r.exit_code == 0, r.output
    np.testing.assert_allclose([float(x.split("\t")[1]) for x in r.output.strip().split("\n")[1:]],
                               m.predict_proba(pos), rtol=1e-5)
    r = CliRunner().invoke(train, [str(pf), str(nf), "-o", str(model), "--kmer", "11"])
    assert r.exit_code == 2 and "11" in r.output


def test_train_strand_blind_conjoined(tmp_path):
    pf, nf, pos, _ = write_sets(tmp_path)
    model = tmp_path / "m.json"
    r = CliRunner().invoke(train, [str(pf), str(nf), "-o", str(model), "--filters", "2",
                                   "--width", "9", "--epochs", "2", "--no-progress", "--no-rc",
                                   "--augment-rc", "--conjoin"])
    assert r.exit_code == 0, r.output
    m = MotifCNN.load(model)
    assert (m.rc_shared, m.augment_rc, m.conjoin) == (False, True, True)
    comp = str.maketrans("ACGT", "TGCA")
    np.testing.assert_array_equal(m.decision_function(pos),
                                  m.decision_function([s.translate(comp)[::-1] for s in pos]))
    r = CliRunner().invoke(train, [str(pf), str(nf), "-o", str(model), "--conjoin"])
    assert r.exit_code == 2 and "rc_shared=False only" in r.output


def test_train_with_strand_mean_pooling(tmp_path):
    pf, nf, pos, _ = write_sets(tmp_path)
    model = tmp_path / "m.json"
    r = CliRunner().invoke(train, [str(pf), str(nf), "-o", str(model), "--filters", "2",
                                   "--width", "9", "--epochs", "2", "--no-progress", "--strand-pooling", "mean"])
    assert r.exit_code == 0, r.output
    m = MotifCNN.load(model)
    assert m.strand_pooling == "mean"
    comp = str.maketrans("ACGT", "TGCA")
    np.testing.assert_array_equal(m.decision_function(pos),
                                  m.decision_function([s.translate(comp)[::-1] for s in pos]))
    # the two strand poolings give different models from the same start
    other = MotifCNN.from_dict({**m.to_dict(), "params": {**m.to_dict()["params"],
                                                          "strand_pooling": "max"}})
    assert not np.allclose(m.decision_function(pos), other.decision_function(pos))


def test_predict_tabular_reports_auroc(tmp_path):
    pf, nf, pos, neg = write_sets(tmp_path)
    tab = tmp_path / "x.data"
    tab.write_text("".join(f">p{i} {s} 1\n" for i, s in enumerate(pos))
                   + "".join(f">n{i} {s} 0\n" for i, s in enumerate(neg)))
    model = tmp_path / "m.json"
    r = CliRunner().invoke(train, [str(tab), "-o", str(model), "--filters", "2", "--width", "9",
                                   "--epochs", "2", "--no-progress"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(predict, [str(model), str(tab), "-o", str(tmp_path / "p.tsv")])
    assert r.exit_code == 0
    assert "AUROC" in r.stderr
    assert (tmp_path / "p.tsv").read_text().split("\n")[0].endswith("\tlabel")


@pytest.mark.parametrize("content,message", [
    ("", "empty"),
    (">a\nACGTNNACGTAC\n>b\nACGTXACGTACG\n", "bad.fa: record 'b': character 'X' at position 5"),
    (">a\nACG\n", "bad.fa: record 'a' has length 3, shorter than the filter width 9"),
])
def test_train_bad_input_exit_2(tmp_path, content, message):
    bad = tmp_path / "bad.fa"
    bad.write_text(content)
    model = tmp_path / "m.json"
    r = CliRunner().invoke(train, [str(bad), "-o", str(model), "--width", "9", "--no-progress"])
    assert r.exit_code == 2
    assert message in r.stderr and r.stderr.startswith("pairhmm: error:")
    assert not model.exists()


def test_train_single_class_exit_2(tmp_path):
    fa = tmp_path / "one.fa"
    fa.write_text(">a 1\nACGTACGTACGT\n>b 1\nACGTTTGTACGT\n")
    r = CliRunner().invoke(train, [str(fa), "--labeled", "-o", str(tmp_path / "m.json"),
                                                  "--width", "5", "--no-progress"])
    assert r.exit_code == 2 and "single class" in r.stderr


def test_predict_bad_sequence_names_file_and_record(tmp_path):
    pf, nf, _, _ = write_sets(tmp_path)
    model = tmp_path / "m.json"
    assert CliRunner().invoke(train, [str(pf), str(nf), "-o", str(model), "--filters", "2",
                                      "--width", "9", "--epochs", "1", "--no-progress"]).exit_code == 0
    bad = tmp_path / "q.fa"
    bad.write_text(">ok\nACGTACGTACGT\n>short\nACGT\n")
    r = CliRunner().invoke(predict, [str(model), str(bad)])
    assert r.exit_code == 2
    assert "q.fa: record 'short' has length 4, shorter than the filter width 9" in r.stderr


def test_train_and_predict_read_standard_input(tmp_path):
    """'-' is standard input; the format check and the parse both read it (it was consumed by
    the first and the command died with a traceback)."""
    pf, nf, pos, _ = write_sets(tmp_path)
    model = tmp_path / "m.json"
    r = CliRunner().invoke(train, ["-", str(nf), "-o", str(model), "--filters", "2", "--width",
                                   "9", "--epochs", "1", "--no-progress"], input=pf.read_text())
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(predict, [str(model), "-"], input=pf.read_text())
    assert r.exit_code == 0, r.output
    rows = r.stdout.strip().split("\n")[1:]
    np.testing.assert_allclose([float(x.split("\t")[1]) for x in rows],
                               MotifCNN.load(model).predict_proba(pos), rtol=1e-5)
    r = CliRunner().invoke(predict, [str(model), "-"], input="")
    assert r.exit_code == 2 and "standard input: file is empty" in r.stderr


def test_predict_bad_model_exit_2(tmp_path):
    (tmp_path / "m.json").write_text("[]")
    (tmp_path / "s.fa").write_text(">a\nACGT\n")
    r = CliRunner().invoke(predict, [str(tmp_path / "m.json"), str(tmp_path / "s.fa")])
    assert r.exit_code == 2 and "not a MotifCNN model" in r.stderr


@pytest.mark.skipif(not has_motif_group(), reason="the `pairhmm motif` group does not register train yet")
@pytest.mark.parametrize("given, expected", [(None, "PASSIVE"), ("active", "active")])
def test_cli_makes_openmp_threads_wait_passively(given, expected):
    """The CLI's process defaults OMP_WAIT_POLICY to PASSIVE (spinning OpenMP threads slow the
    CNN's many short parallel regions badly on a busy machine) and keeps a value already set."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given is not None:
        env["OMP_WAIT_POLICY"] = given
    code = ("import os, pairhmm.cli; print(os.environ.get('OMP_WAIT_POLICY')); "
            "pairhmm.cli.run(['motif', '--help']); print(os.environ['OMP_WAIT_POLICY'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    lines = out.stdout.strip().splitlines()
    assert lines[0] == str(given) and lines[-1] == expected  # set by running a command, not by import


def test_real_process(tmp_path):
    pf, nf, _, _ = write_sets(tmp_path, n=30)
    model = tmp_path / "m.json"
    cmd = [sys.executable, "-m", "pairhmm", "motif", "train", str(pf), str(nf), "-o", str(model),
           "--filters", "2", "--width", "9", "--epochs", "2", "--no-progress", "--threads", "1"]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([sys.executable, "-m", "pairhmm", "motif", "predict", str(model), str(pf),
                        "--threads", "1"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and len(r.stdout.strip().split("\n")) == 31
    r = subprocess.run([sys.executable, "-m", "pairhmm", "motif", "predict", str(model),
                        str(tmp_path / "missing.fa")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "no such file" in r.stderr
