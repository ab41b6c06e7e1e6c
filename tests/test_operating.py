"""Failing cleanly under real operating conditions (issue 14).

* a non-editable install in a read-only site-packages with no writable HOME (Numba's cache);
* SIGTERM / SIGINT during work with worker processes or a long scan;
* output paths checked before any work, all outputs or none, ``-o -`` carrying only data;
* ``test-symmetry`` on pairs that drive an untied move back to Match to zero;
* ``hmm fit`` on the shipped casino example.

The read-only and signal tests run real processes.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from pairhmm.cli import main

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
CASINO = DATA / "hmm" / "casino.json"
ROLLS = DATA / "hmm" / "casino_rolls.fasta"
MOTIFS = DATA / "motifs" / "jaspar2024_examples.jaspar"
PROMOTERS = DATA / "motifs" / "example_promoters.fa"


def run(*args: object, input: str | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NUMBA_CACHE_DIR", "XDG_"))}
    env.update({"NUMBA_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}, **extra)
    return env


# =============================================================================================
# 1. read-only install
# =============================================================================================
@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """A wheel of this checkout, built once per session (pip, with build isolation if needed)."""
    out = tmp_path_factory.mktemp("wheel")
    errors = []
    for extra in ([], ["--no-build-isolation"]):
        r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *extra,
                            "-w", str(out), str(ROOT)], capture_output=True, text=True)
        found = list(out.glob("pairhmm-*.whl"))
        if r.returncode == 0 and found:
            return found[0]
        errors.append(r.stderr.strip().splitlines()[-1:] or ["?"])
    pytest.skip(f"cannot build a pairhmm wheel here (pip wheel failed: {errors})")


def _install(wheel: Path, target: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                        "--no-compile", "--target", str(target), str(wheel)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def _read_only_runner(ro_dirs: list[Path]):
    """How to run a process that cannot write into ``ro_dirs``: as root (which ignores file
    modes) a private mount namespace with read-only bind mounts; otherwise the file modes."""
    if os.geteuid() != 0:
        for d in ro_dirs:
            for p in [d, *d.rglob("*")]:
                if p.is_dir():
                    p.chmod(0o555)
        return lambda cmd: cmd
    unshare = shutil.which("unshare")
    if unshare:
        mounts = " && ".join(f"mount --bind -o ro '{d}' '{d}'" for d in ro_dirs)
        probe = subprocess.run([unshare, "-m", "sh", "-c", f"{mounts} && touch '{ro_dirs[0]}/x'"],
                               capture_output=True, text=True)
        if "Read-only file system" in probe.stderr:
            return lambda cmd: [unshare, "-m", "sh", "-c",
                                f'{mounts} && exec "$@"', "sh", *cmd]
    pytest.skip("running as root without a way to make a folder read-only for a process "
                "(`unshare -m` with bind mounts is not permitted here); chmod does not bind root")


def _installed_run(wheel: Path, tmp_path: Path, read_only: bool, args: list[str],
                   python_prefix: str = ""):
    site, home, tmp = tmp_path / "site", tmp_path / "home", tmp_path / "tmp"
    for d in (site, home, tmp):
        d.mkdir()
    _install(wheel, site)
    wrap = _read_only_runner([site, home]) if read_only else (lambda cmd: cmd)
    env = _env(HOME=str(home), TMPDIR=str(tmp), PYTHONPATH=str(site), PYTHONNOUSERSITE="1")
    code = (python_prefix + "import runpy, sys; sys.argv[0] = 'pairhmm'; "
            "runpy.run_module('pairhmm', run_name='__main__')")
    r = subprocess.run(wrap([sys.executable, "-c", code, *args]), capture_output=True, text=True,
                       env=env, cwd=str(home), timeout=600)
    return r, site, home, tmp


def test_read_only_install_falls_back_to_a_temporary_cache(wheel, tmp_path):
    """Non-editable install in a read-only site-packages, HOME read-only, no NUMBA_CACHE_DIR:
    the command works (it crashed with 'cannot cache function ... no locator available'), says
    so in one line, and caches the kernels in a private folder of TMPDIR."""
    args = ["hmm", "score", str(CASINO), str(ROLLS)]
    r, site, home, tmp = _installed_run(wheel, tmp_path, True, args)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "no locator" not in r.stderr
    notes = [ln for ln in r.stderr.splitlines() if "Numba cache" in ln]
    assert len(notes) == 1 and notes[0].startswith("pairhmm: warning: "), r.stderr
    assert str(tmp) in notes[0]
    # the same numbers as the development install
    ref = run(*args)
    assert r.stdout == ref.stdout
    # compiled kernels went to the private fallback folder, nothing into the package or HOME
    cache = tmp / f"pairhmm-numba-cache-{os.getuid()}"
    assert cache.is_dir() and (cache.stat().st_mode & 0o077) == 0
    assert list(cache.rglob("*.nbi")), "no kernel was cached"
    assert not list(home.iterdir())
    assert not list(site.rglob("*.nbi"))


def test_read_only_install_without_any_writable_cache_compiles_without_caching(wheel, tmp_path):
    """Not even a temporary folder: the kernels are compiled without caching, one line says so."""
    # a temporary folder that cannot be created (gettempdir() honours tempfile.tempdir)
    prefix = "import tempfile; tempfile.tempdir = '/proc/pairhmm-no-such-folder'; "
    r, site, home, tmp = _installed_run(wheel, tmp_path, True,
                                        ["hmm", "score", str(CASINO), str(ROLLS)], prefix)
    assert r.returncode == 0, r.stderr
    notes = [ln for ln in r.stderr.splitlines() if "Numba cache" in ln]
    assert len(notes) == 1 and "compiled on every run" in notes[0], r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout.startswith("seq_id\tlength\tloglik\nrolls1\t300\t")


def test_writable_install_writes_nothing_into_home(wheel, tmp_path):
    """When the package folder is writable, Numba caches beside it and HOME stays untouched."""
    r, site, home, tmp = _installed_run(wheel, tmp_path, False,
                                        ["hmm", "score", str(CASINO), str(ROLLS)])
    assert r.returncode == 0, r.stderr
    assert "Numba cache" not in r.stderr
    assert not list(home.iterdir()) and not list(tmp.iterdir())
    assert list((site / "pairhmm" / "_kernels" / "__pycache__").glob("*.nbi"))


# =============================================================================================
# 2. signals
# =============================================================================================
def _random_fasta(path: Path, n: int, length: int, letters: str, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    with open(path, "w") as fh:
        for i in range(n):
            fh.write(f">s{i}\n{''.join(rng.choice(list(letters), length))}\n")


def _start(args: list[str], folder: Path, stderr_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pairhmm", *args], cwd=str(folder),
                            stdout=subprocess.DEVNULL, stderr=open(stderr_path, "w"),
                            env=_env(), start_new_session=True)


def _wait_for(cond, timeout: float = 300.0) -> None:
    t0 = time.monotonic()
    while not cond():
        if time.monotonic() - t0 > timeout:
            raise AssertionError("the command never started its work")
        time.sleep(0.05)


def _group_gone(pgid: int, timeout: float = 20.0) -> bool:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("sig, to_group", [(signal.SIGTERM, False), (signal.SIGTERM, True),
                                           (signal.SIGINT, True)])
def test_signal_during_align_all_with_workers(tmp_path, sig, to_group):
    """`align --all -o F` on worker processes, stopped by SIGTERM (scheduler) or Ctrl-C (SIGINT
    to the process group): exit 128 + N, one line, no worker traceback, no temporary file, no
    output, no process left."""
    fa = tmp_path / "many.fa"
    _random_fasta(fa, 30, 300, "ACDEFGHIKLMNPQRSTVWY")
    err = tmp_path / "stderr.txt"
    p = _start(["align", "--all", fa.name, "-o", "out.txt", "--threads", "2", "--no-progress"],
               tmp_path, err)
    try:
        _wait_for(lambda: glob.glob(str(tmp_path / ".pairhmm-*")) or p.poll() is not None)
        time.sleep(0.5)  # the workers are aligning
        assert p.poll() is None, "finished before the signal: make the input larger"
        if to_group:
            os.killpg(p.pid, sig)
        else:
            p.send_signal(sig)
        rc = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
    text = err.read_text()
    assert rc == 128 + sig, text
    assert "Traceback" not in text and "Error" not in text, text
    assert text.splitlines() == [f"pairhmm: stopped by {signal.Signals(sig).name}; unfinished "
                                 "output files were removed"]
    assert sorted(x.name for x in tmp_path.iterdir()) == ["many.fa", "stderr.txt"]
    assert _group_gone(p.pid), "worker processes survived"


def test_sigterm_during_motif_scan(tmp_path):
    """SIGTERM while the scan runs. A fixed input raced the scan on a fast machine, so the genome
    grows until the scan is still running when the signal is sent."""
    err = tmp_path / "stderr.txt"
    acgt = np.frombuffer(b"ACGT", dtype=np.uint8)
    rng = np.random.default_rng(0)
    for size in (8_000_000, 32_000_000, 128_000_000):
        fa = tmp_path / "genome.fa"
        with open(fa, "wb") as fh:
            for i in range(4):
                fh.write(f">s{i}\n".encode() + acgt[rng.integers(0, 4, size // 4)].tobytes() + b"\n")
        p = _start(["motif", "scan", str(MOTIFS), fa.name, "-o", "hits.tsv", "--progress"],
                   tmp_path, err)
        try:
            _wait_for(lambda: "scanning" in err.read_text() or p.poll() is not None)
            time.sleep(0.1)
            if p.poll() is not None:  # finished before the signal: a larger genome
                continue
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=60)
            if (tmp_path / "hits.tsv").exists():  # the signal came after the output was written
                (tmp_path / "hits.tsv").unlink()
                continue
            break
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    else:
        pytest.fail("the scan always finished before the signal")
    text = err.read_text()
    assert rc == 143, text
    assert "Traceback" not in text
    assert text.rstrip("\n").split("\n")[-1].split("\r")[-1] == \
        "pairhmm: stopped by SIGTERM; unfinished output files were removed"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["genome.fa", "stderr.txt"]


def test_signal_in_the_cli_process_restores_the_handlers(tmp_path):
    """In-process use (tests, notebooks) gets its own handlers back after a command."""
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    assert run("hmm", "score", CASINO, ROLLS, "-o", tmp_path / "s.tsv").exit_code == 0
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


# =============================================================================================
# 3. output paths
# =============================================================================================
def _commands(tmp: Path) -> list[tuple[str, list, list[str]]]:
    """(name, arguments before the outputs, output options) of every command that writes."""
    a, b = DATA / "example" / "HBA_HUMAN.fa", DATA / "example" / "HBB_HUMAN.fa"
    pairs = DATA / "train" / "pairs.fa"
    pos = tmp / "pos.fa"
    _random_fasta(pos, 20, 40, "ACGT", seed=3)
    return [
        ("align", ["align", a, b], ["-o"]),
        ("score", ["score", a, b], ["-o"]),
        ("posterior", ["posterior", a, b], ["-o", "--plot"]),
        ("train", ["train", pairs, "--max-iter", 1], ["-o"]),
        ("test-symmetry", ["test-symmetry", pairs, "--max-iter", 1], ["-o"]),
        ("hmm fit", ["hmm", "fit", ROLLS, "--states", 2, "--symbols", "123456"], ["-o"]),
        ("hmm decode", ["hmm", "decode", CASINO, ROLLS], ["-o"]),
        ("hmm score", ["hmm", "score", CASINO, ROLLS], ["-o"]),
        ("hmm sample", ["hmm", "sample", CASINO, "-n", 10], ["-o", "--states-output"]),
        ("motif scan", ["motif", "scan", MOTIFS, PROMOTERS], ["-o"]),
        ("motif convert", ["motif", "convert", MOTIFS, "-f", "meme"], ["-o"]),
        ("motif train", ["motif", "train", pos, "--epochs", 1, "--filters", 2, "--width", 4,
                         "--no-progress"], ["-o", "--motifs", "--logos"]),
        ("motif predict", ["motif", "predict", tmp / "none.json", pos], ["-o"]),
    ]


def _good_outputs(tmp: Path, options: list[str]) -> dict[str, str]:
    return {o: str(tmp / ("logos" if o == "--logos" else f"out{i}.txt"))
            for i, o in enumerate(options)}


def test_every_output_is_checked_before_any_work(tmp_path):
    """For every command and every output option: an existing folder and a missing folder fail
    in one line naming the path as typed (and the option), before any input is read (the inputs
    given here do not exist), and nothing is written."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "adir").mkdir()
    (work / "afile").write_text("x\n")
    os.chdir(work)
    try:
        for name, pre, options in _commands(tmp_path):
            pre = [("missing-input.fa" if str(x).endswith((".fa", ".fasta")) else x) for x in pre]
            for opt in options:
                bad = ["afile"] if opt == "--logos" else ["adir", "adir/"]
                for typed in bad + ["no/such/folder/x.out"]:
                    outs = _good_outputs(work, [o for o in options if o != opt])
                    outs[opt] = typed
                    args = pre + [x for kv in outs.items() for x in kv]
                    r = run(*args)
                    where = f"{name} {opt} {typed}"
                    assert r.exit_code == 2, (where, r.output)
                    lines = r.stderr.strip().splitlines()
                    assert len(lines) == 1 and lines[0].startswith("pairhmm: error: "), (where, r.stderr)
                    assert f"{opt} {typed}" in lines[0], (where, lines[0])
                    if typed.startswith("no/"):
                        assert "no/such/folder" in lines[0] and "does not exist" in lines[0]
                    assert "missing-input" not in lines[0]
                    assert sorted(x.name for x in work.iterdir()) == ["adir", "afile"], where
                    assert not list((work / "adir").iterdir())
    finally:
        os.chdir(ROOT)


def test_two_outputs_to_stdout_or_to_one_file_are_refused(tmp_path):
    r = run("hmm", "sample", CASINO, "-o", "-", "--states-output", "-")
    assert r.exit_code == 2 and "standard output" in r.stderr
    same = tmp_path / "x.txt"
    r = run("hmm", "sample", CASINO, "-o", same, "--states-output", tmp_path / "." / "x.txt")
    assert r.exit_code == 2 and "the same file" in r.stderr and not same.exists()


def test_all_outputs_or_none(tmp_path):
    """The helper every command uses: outputs are renamed into place together after success; a
    failure after the first output was complete leaves neither, and an old file is untouched."""
    import click

    from pairhmm.cli._common import atomic_output, staged_folder, writes

    @click.command()
    @click.option("-a")
    @click.option("-b")
    @click.option("--d")
    @click.option("--boom", is_flag=True)
    @writes(a="-a", b="-b", d="--d")
    def cmd(a, b, d, boom):
        with atomic_output(a) as fh:
            fh.write("A\n")
        assert not os.path.exists(a)  # not before the command succeeds
        folder = staged_folder(d)
        Path(folder, "f.png").write_text("png")
        with atomic_output(b) as fh:
            fh.write("B\n")
            if boom:
                raise RuntimeError("disk full")

    a, b, d = tmp_path / "a.txt", tmp_path / "b.txt", tmp_path / "logos"
    b.write_text("old\n")
    r = CliRunner().invoke(cmd, ["-a", a, "-b", b, "--d", d, "--boom"])
    assert isinstance(r.exception, RuntimeError)
    assert not a.exists() and b.read_text() == "old\n" and not d.exists()
    assert sorted(x.name for x in tmp_path.iterdir()) == ["b.txt"]
    r = CliRunner().invoke(cmd, ["-a", a, "-b", b, "--d", d])
    assert r.exit_code == 0, r.output
    assert a.read_text() == "A\n" and b.read_text() == "B\n" and (d / "f.png").exists()
    assert oct(a.stat().st_mode & 0o777) == oct(0o666 & ~_umask())
    assert sorted(x.name for x in tmp_path.iterdir()) == ["a.txt", "b.txt", "logos"]


def _umask() -> int:
    m = os.umask(0)
    os.umask(m)
    return m


def test_motif_train_with_stdout_model_keeps_the_summary_off_stdout(tmp_path):
    """`motif train -o -` wrote the summary into the JSON stream; now stdout is the model only."""
    pos = tmp_path / "pos.fa"
    _random_fasta(pos, 30, 30, "ACGT", seed=1)
    r = run("motif", "train", pos, "-o", "-", "--epochs", 2, "--filters", 2, "--width", 4, "--no-progress",
            "--threads", 1, "--motifs", tmp_path / "m.meme")
    assert r.exit_code == 0, r.output
    model = json.loads(r.stdout)
    assert model and "trained on 60 sequences" in r.stderr
    assert (tmp_path / "m.meme").read_text().startswith("MEME version")
    # and with a file, the summary stays on stdout
    r = run("motif", "train", pos, "-o", tmp_path / "m.json", "--epochs", 2, "--filters", 2,
            "--width", 4, "--no-progress", "--threads", 1)
    assert r.exit_code == 0 and "trained on 60 sequences" in r.stdout


def test_stdout_outputs_carry_only_data(tmp_path):
    r = run("hmm", "fit", ROLLS, "--states", 2, "--symbols", "123456", "-o", "-")
    assert r.exit_code == 0 and json.loads(r.stdout)["format"] == "pairhmm.TiedHMM"
    r = run("train", DATA / "train" / "pairs.fa", "-o", "-", "--max-iter", 1, "--threads", 1, "--no-progress")
    assert r.exit_code == 0 and json.loads(r.stdout)["format"] and "pairs" in r.stderr


# =============================================================================================
# 4. test-symmetry when an untied move back to Match goes to zero
# =============================================================================================
_AA = "ACDEFGHIKLMNPQRSTVWY"


def _tail_pairs(seed: int = 0, n: int = 5, length: int = 60, tail: int = 40):
    """Protein pairs where x is y plus a C-terminal tail: an untied fit only ever leaves InsertX
    through End, so maximum likelihood drives X -> M = 1 - epsilon_x - tau to zero."""
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    rng = np.random.default_rng(seed)
    pairs = []
    for k in range(n):
        y = "".join(rng.choice(list(_AA), length))
        x = y + "".join(rng.choice(list(_AA), tail + k))
        pairs.append((SeqRecord(Seq(x), id=f"x{k}"), SeqRecord(Seq(y), id=f"y{k}")))
    return pairs


@pytest.mark.parametrize("seed", [1, 2])
def test_symmetry_test_stays_inside_the_parameter_space(seed, one_numba_thread):
    """It failed with 'X -> M = 1 - epsilon - tau = -5.2e-17 must be > 0' (the M-step rounded
    below zero). The fit now stops at the boundary, as a maximum likelihood should."""
    from pairhmm import symmetry_test

    pairs = _tail_pairs(seed)
    res = symmetry_test(pairs, alphabet="protein")
    from pairhmm.baumwelch import MIN_RETURN
    u = res.untied
    x_to_m = 1.0 - u.epsilon_x - u.tau
    assert 0 < x_to_m <= 1.01 * MIN_RETURN * (1 - u.tau)  # at the boundary, not below
    for m in (res.tied, u):
        t = m.transitions()
        assert (t[:, [0]] > 0).all() and np.allclose(t.sum(axis=1), 1.0)
        h = np.array(m.history_)
        assert (np.diff(h) > -1e-6 * np.abs(h[1:])).all()  # EM never went down
    assert np.isfinite(res.statistic) and res.statistic >= 0 and 0 <= res.pvalue <= 1
    # the boundary costs nothing: a longer run moves the likelihood by less than the tolerance
    again = u.copy().fit(pairs, max_iter=50, tol=0)
    assert again.history_[-1] - u.history_[-1] < 1e-3


def test_test_symmetry_command_on_such_pairs_and_shared_options(tmp_path):
    fa = tmp_path / "pairs.fa"
    with open(fa, "w") as fh:
        for x, y in _tail_pairs(2):
            fh.write(f">{x.id}\n{x.seq}\n>{y.id}\n{y.seq}\n")
    r = run("test-symmetry", fa, "--threads", 1, "--no-progress", "-f", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["untied"]["tied"] is False and out["pvalue"] <= 1
    # the training options of `train` (a pseudocount, freeze, max-iter, tol) are accepted and
    # reach both fits
    from pairhmm import PairHMM, symmetry_test
    from pairhmm.seqio import read_pairs

    r = run("test-symmetry", fa, "--threads", 1, "--no-progress", "-f", "json", "--pseudocount", 0.5,
            "--freeze", "tau", "--max-iter", 20, "--tol", 1e-3)
    assert r.exit_code == 0, r.output
    got = json.loads(r.stdout)
    lib = symmetry_test(read_pairs([str(fa)], consecutive=True), model=PairHMM.preset("protein"),
                        max_iter=20, tol=1e-3, pseudocount=0.5, freeze=["tau"], n_jobs=1)
    assert got["statistic"] == pytest.approx(lib.statistic, rel=1e-9, abs=1e-9)
    assert got["tied"]["tau"] == PairHMM.preset("protein").tau  # frozen


def test_symmetry_on_balibase_rv12_pairs(shared_data, tmp_path, one_numba_thread):
    """Five pairs of one BAliBASE RV12 family (real proteins, core blocks), as a user would run
    it: the first five pairs of the family's sequences, one FASTA of consecutive pairs."""
    import itertools

    from Bio import SeqIO

    recs = list(SeqIO.parse(shared_data / "balibase3" / "RV12" / "BBS12022.tfa", "fasta"))
    pairs = list(itertools.combinations(recs, 2))[:5]
    fa = tmp_path / "pairs.fa"
    SeqIO.write([r for p in pairs for r in p], fa, "fasta")
    r = run("test-symmetry", fa, "--threads", 1, "--no-progress", "-f", "json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["pairs"] == 5 and 0 <= out["pvalue"] <= 1 and out["statistic"] >= 0


# =============================================================================================
# 5. hmm fit on the casino example
# =============================================================================================
def _casino_truth():
    """The rolls of data/hmm/casino_rolls.fasta and their true dice (regenerated from the seeds
    written in the headers: 100..104)."""
    from pairhmm import TiedHMM

    truth = TiedHMM.load(CASINO)
    rolls, dice = [], []
    for k in range(5):
        x, s = truth.sample(300, random_state=100 + k)
        rolls.append(x)
        dice.append(s)
    return truth, rolls, dice


def test_casino_rolls_are_the_seeded_samples():
    from Bio import SeqIO

    _, rolls, _ = _casino_truth()
    got = [str(r.seq) for r in SeqIO.parse(ROLLS, "fasta")]
    assert got == ["".join(str(v + 1) for v in x) for x in rolls]


def test_documented_casino_fit_converges_to_the_maximum(tmp_path):
    """The command of docs/hmm.md stopped at 100 iterations unconverged with states that
    alternated (P(stay) 0.69 and 0.40); it now converges, to the maximum-likelihood model."""
    import warnings

    from hmmlearn.hmm import CategoricalHMM

    from pairhmm import TiedHMM

    out = tmp_path / "casino_fit.json"
    r = run("hmm", "fit", ROLLS, "--states", 2, "--symbols", "123456", "-o", out)
    assert r.exit_code == 0, r.output
    assert "iterations, converged" in r.stderr and "warning" not in r.stderr
    fit = TiedHMM.load(out)
    truth, rolls, dice = _casino_truth()
    ll_fit, ll_true = fit.score(rolls), truth.score(rolls)
    # the maximum: at least the true model's likelihood; hmmlearn's EM continued from it gains
    # nothing, and none of hmmlearn's fits from 4 random starts is better
    assert ll_fit >= ll_true
    X, lengths = np.concatenate(rolls)[:, None], [300] * 5
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = CategoricalHMM(2, n_iter=300, tol=-np.inf, init_params="", n_features=6)
        h.startprob_, h.transmat_, h.emissionprob_ = (fit.startprob_, fit.transmat_,
                                                      fit.emissionprob_)
        assert h.score(X, lengths) == pytest.approx(ll_fit, abs=1e-8)
        assert h.fit(X, lengths).score(X, lengths) - ll_fit < 0.01
        best = max(CategoricalHMM(2, n_iter=1500, tol=1e-6, random_state=seed).fit(X, lengths)
                   .score(X, lengths) for seed in range(4))
    assert ll_fit >= best - 0.01
    # the learned model against the true one: the loaded state is the one that likes sixes
    loaded = int(np.argmax(fit.emissionprob_[:, 5]))
    fair = 1 - loaded
    assert fit.emissionprob_[loaded, 5] == pytest.approx(0.5, abs=0.1)
    assert np.abs(fit.emissionprob_[fair] - 1 / 6).max() < 0.1
    assert fit.transmat_[fair, fair] > 0.8 and fit.transmat_[loaded, loaded] > 0.8
    # decoding: about as good as with the true model
    def agree(model, flip):
        ok = n = 0
        for x, s in zip(rolls, dice):
            _, path = model.decode(x)
            ok += int(((path if not flip else 1 - path) == s).sum())
            n += s.size
        return ok / n

    acc_true = agree(truth, False)
    acc_fit = agree(fit, loaded != 1)  # the true model's state 1 is the loaded die
    always_fair = 1 - float(np.mean(np.concatenate(dice)))
    # (the maximum-likelihood model switches dice more often than the truth: 0.70 vs 0.76)
    assert acc_fit >= acc_true - 0.08 and acc_fit > always_fair + 0.08


def test_durbin_casino_300_rolls(shared_data, tmp_path):
    """Durbin et al.'s 300 rolls with the true die (textbook data): the default fit converges and
    its Viterbi path finds the loaded die about as well as the true model."""
    from pairhmm import TiedHMM

    lines = (shared_data / "hmm_textbook" / "durbin_casino_300.txt").read_text().splitlines()
    rolls = "".join(ln.split()[1] for ln in lines if ln.startswith("Rolls"))
    die = "".join(ln.split()[1] for ln in lines if ln.startswith("Die"))
    assert len(rolls) == len(die) == 300
    fa = tmp_path / "durbin.fa"
    fa.write_text(f">durbin\n{rolls}\n")
    out = tmp_path / "fit.json"
    r = run("hmm", "fit", fa, "--states", 2, "--symbols", "123456", "-o", out)
    assert r.exit_code == 0 and "iterations, converged" in r.stderr, r.output
    fit, truth = TiedHMM.load(out), TiedHMM.load(CASINO)
    x = np.array([int(c) - 1 for c in rolls])
    s = np.array([c == "L" for c in die], dtype=int)
    assert fit.score(x) >= truth.score(x)
    loaded = int(np.argmax(fit.emissionprob_[:, 5]))
    acc_fit = float(((fit.decode(x)[1] == loaded) == s).mean())
    acc_true = float((truth.decode(x)[1] == s).mean())
    assert acc_fit >= acc_true - 0.1, (acc_fit, acc_true)


def test_unconverged_fit_says_so():
    import warnings

    from pairhmm import TiedHMM
    from pairhmm.hmm import ConvergenceWarning

    _, rolls, _ = _casino_truth()
    with pytest.warns(ConvergenceWarning, match="did not converge.*raise n_iter"):
        m = TiedHMM(2, 6, n_iter=5, tol=1e-4, random_state=0).fit(rolls)
    assert not m.monitor_.reached_tol and m.monitor_.converged  # hmmlearn's meaning: stopped
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        m = TiedHMM(2, 6, n_iter=1000, tol=1e-4, random_state=0).fit(rolls)
    assert m.monitor_.reached_tol
    r = run("hmm", "fit", ROLLS, "--states", 2, "--symbols", "123456", "-o", "-", "--max-iter", 5)
    assert r.exit_code == 0
    warn = [ln for ln in r.stderr.splitlines() if "warning" in ln]
    assert len(warn) == 1 and "did not converge in --max-iter 5" in warn[0]
    assert "NOT converged" in r.stderr
