"""One CLI vocabulary (issue 15): every command spells a common idea the same way.

The test walks Click's command tree (including the subcommands that groups register lazily) and
checks each command's options and its rendered ``--help``:

* workers are ``--threads N``; a loop the user waits for has ``--progress/--no-progress``
  (default: on when stderr is a terminal); a fit that iterates to convergence has ``--max-iter``
  and ``--tol``; randomness is seeded by ``--seed``; the main output is ``-o/--output``;
* ``-f/--format`` is always the format of the main output, and an input's format is
  ``--input-format``;
* no old spelling is visible, and each old spelling still works for one release (hidden), gives
  the same output as the new one and prints one deprecation line on stderr;
* no CLI module imports another (shared pieces live in ``cli/_common.py``).

``COMMANDS`` classifies every command; a new command fails the first test until it is classified
(and so brought into the vocabulary).
"""

from __future__ import annotations

import ast
import io
import re
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pairhmm.cli import main
from pairhmm.cli._common import Command, progress_bar

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
PAIRS = DATA / "train" / "pairs.fa"
TINY = DATA / "train" / "tiny.aln"
ROLLS = DATA / "hmm" / "casino_rolls.fasta"
CASINO = DATA / "hmm" / "casino.json"
MOTIFS = DATA / "motifs" / "jaspar2024_examples.jaspar"
PROMOTERS = DATA / "motifs" / "example_promoters.fa"

#: command -> what it does: workers (--threads), loop (--progress/--no-progress), fit (an EM fit:
#: --max-iter/--tol), epochs (stochastic-gradient training with early stopping: --epochs and
#: --patience, see docs/cli.md "Common options"), seed (--seed). Every command has -o/--output.
COMMANDS: dict[tuple[str, ...], set[str]] = {
    ("align",): {"workers", "loop", "seed"},
    ("score",): {"workers", "loop"},
    ("posterior",): set(),          # one pair, one DP: nothing to count or share out
    ("train",): {"workers", "loop", "fit", "seed"},
    ("test-symmetry",): {"workers", "loop", "fit", "seed"},
    ("hmm", "fit"): {"workers", "loop", "fit", "seed"},
    ("hmm", "decode"): {"workers", "loop"},
    ("hmm", "score"): {"workers", "loop"},
    ("hmm", "sample"): {"loop", "seed"},
    ("motif", "scan"): {"workers", "loop"},
    ("motif", "convert"): set(),
    ("motif", "train"): {"workers", "loop", "epochs", "seed"},
    ("motif", "predict"): {"workers"},
}

#: spellings the vocabulary replaced (or never uses): none may be visible anywhere
OLD_SPELLINGS = ("-j", "--jobs", "--n-jobs", "--workers", "--processes", "--cpus", "--cores",
                 "-q", "--quiet", "--n-iter", "--json", "--from", "--to", "--motif-format")
#: options with "format" in their name other than -f/--format and --input-format, and why
OTHER_FORMAT_OPTIONS = {
    ("motif", "train"): {"--motif-format"},  # format of the second output, --motifs FILE
}


def walk(group: click.Group = main, path: tuple[str, ...] = ()):
    ctx = click.Context(group, info_name=" ".join(("pairhmm",) + path))
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None, path + (name,)
        if isinstance(cmd, click.Group):
            yield from walk(cmd, path + (name,))
        else:
            yield path + (name,), cmd


LEAVES = dict(walk())


def visible(cmd: click.Command) -> dict[str, click.Parameter]:
    """Every visible option spelling -> its parameter."""
    out = {}
    for p in cmd.params:
        if isinstance(p, click.Option) and not p.hidden:
            for spelling in p.opts + p.secondary_opts:
                out[spelling] = p
    return out


def help_text(path: tuple[str, ...]) -> str:
    r = CliRunner().invoke(main, [*path, "--help"])
    assert r.exit_code == 0, (path, r.output)
    return r.output


def run(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


def test_every_command_is_classified():
    assert set(LEAVES) == set(COMMANDS), (
        "classify each command in COMMANDS (and give it the vocabulary's options): "
        f"{sorted(set(LEAVES) ^ set(COMMANDS))}")
    # the lazily registered subcommands are part of the walk
    assert ("motif", "train") in LEAVES and ("hmm", "fit") in LEAVES


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=" ".join)
def test_command_speaks_the_vocabulary(path):
    cmd = LEAVES[path]
    kinds = COMMANDS[path]
    opts = visible(cmd)
    text = help_text(path)
    where = " ".join(path)
    # old spellings are translated (with their deprecation line) only by our Command class
    assert isinstance(cmd, Command), where

    # every visible option is in the rendered help; no old spelling is, as an option or in prose
    for spelling in opts:
        assert re.search(rf"(?<![\w-]){re.escape(spelling)}(?![\w-])", text), (where, spelling)
    others = OTHER_FORMAT_OPTIONS.get(path, set())
    for old in OLD_SPELLINGS:
        if old in others:
            continue
        assert old not in opts, (where, old)
        assert not re.search(rf"(?<![\w-]){re.escape(old)}(?![\w-])", text), (where, old)

    # the main output
    assert opts.get("-o") is opts.get("--output") is not None, where

    # workers
    assert ("--threads" in opts) == ("workers" in kinds), where
    if "--threads" in opts:
        p = opts["--threads"]
        assert p.default is None and isinstance(p.type, click.IntRange) and p.type.min == 1

    # loops: one flag pair, default None = shown when stderr is a terminal
    assert ("--progress" in opts) == ("loop" in kinds), where
    if "--progress" in opts:
        p = opts["--progress"]
        assert p is opts["--no-progress"] and p.default is None, where
        assert "when stderr is a terminal" in " ".join(p.help.split()), where

    # fits
    has_fit = "--max-iter" in opts and "--tol" in opts
    assert has_fit == ("fit" in kinds), where
    assert ("--max-iter" in opts) == ("--tol" in opts), where
    assert ("--epochs" in opts and "--patience" in opts) == ("epochs" in kinds), where
    if "epochs" in kinds:
        assert "--max-iter" not in opts and "--tol" not in opts, where

    # randomness
    assert ("--seed" in opts) == ("seed" in kinds), where

    # formats: -f/--format is the main output's; an input's is --input-format
    if "-f" in opts or "--format" in opts:
        p = opts.get("-f")
        assert p is not None and p is opts.get("--format"), where
        assert p.help.startswith("Output format"), where
    for spelling in opts:
        if "format" in spelling and spelling not in ("-f", "--format", "--input-format"):
            assert spelling in others, (where, spelling)

    # the option that carries workers/progress/fits has no second spelling
    for name in ("--threads", "--max-iter", "--tol", "--seed", "--input-format", "--scheduler"):
        if name in opts:
            assert opts[name].opts == [name], (where, name)


def test_no_cli_module_imports_another():
    """Command modules import only the shared ``_common`` (and the library); the groups load
    their subcommands lazily by name."""
    for path in (ROOT / "cli").glob("*.py"):
        imported = []
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                imported += [node.module] if node.module else [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("pairhmm.cli"):
                imported.append(node.module[len("pairhmm.cli."):])
            elif isinstance(node, ast.Import):
                imported += [a.name[len("pairhmm.cli."):] for a in node.names
                             if a.name.startswith("pairhmm.cli")]
        assert set(imported) <= {"_common"}, f"{path.name} imports {sorted(set(imported))}"


# ------------------------------------------------------------------------------------------------
# the progress rule
class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_rule_default_follows_the_terminal(monkeypatch):
    for stream, enabled, shown in [(FakeTTY(), None, True), (io.StringIO(), None, False),
                                   (io.StringIO(), True, True), (FakeTTY(), False, False)]:
        monkeypatch.setattr(sys, "stderr", stream)
        assert list(progress_bar(range(3), unit="things", enabled=enabled)) == [0, 1, 2]
        assert ("things" in stream.getvalue()) == shown, (type(stream).__name__, enabled)


def test_progress_flag_through_a_command():
    base = ["hmm", "score", CASINO, ROLLS]
    quiet, forced, default = run(*base, "--no-progress"), run(*base, "--progress"), run(*base)
    assert quiet.exit_code == forced.exit_code == default.exit_code == 0
    assert quiet.stdout == forced.stdout == default.stdout
    assert "scoring" in forced.stderr          # the bar's description
    assert "scoring" not in quiet.stderr and "scoring" not in default.stderr  # not a terminal


def test_threads_do_not_change_results():
    for base in (["hmm", "decode", CASINO, ROLLS], ["motif", "scan", MOTIFS, PROMOTERS]):
        one, two = run(*base, "--threads", 1), run(*base, "--threads", 2)
        assert one.exit_code == two.exit_code == 0, (one.output, two.output)
        assert one.stdout == two.stdout and one.stdout


# ------------------------------------------------------------------------------------------------
# old spellings: hidden, still working, one deprecation line
ALIASES = [
    # (old arguments, new arguments, old spelling named, new spelling named)
    (["train", PAIRS, "-o", "-", "--max-iter", 1, "--no-progress", "-j", 1],
     ["train", PAIRS, "-o", "-", "--max-iter", 1, "--no-progress", "--threads", 1],
     "-j/--jobs", "--threads"),
    (["train", PAIRS, "-o", "-", "--max-iter", 1, "--threads", 1, "-q"],
     ["train", PAIRS, "-o", "-", "--max-iter", 1, "--threads", 1, "--no-progress"],
     "-q/--quiet", "--no-progress"),
    (["train", TINY, "--from-alignments", "-o", "-", "--format", "clustal"],
     ["train", TINY, "--from-alignments", "-o", "-", "--input-format", "clustal"],
     "--format", "--input-format"),
    (["test-symmetry", PAIRS, "--max-iter", 1, "--threads", 1, "--json"],
     ["test-symmetry", PAIRS, "--max-iter", 1, "--threads", 1, "-f", "json"],
     "--json", "-f json"),
    (["test-symmetry", TINY, "--from-alignments", "--max-iter", 1, "--threads", 1, "--format",
      "clustal"],
     ["test-symmetry", TINY, "--from-alignments", "--max-iter", 1, "--threads", 1,
      "--input-format", "clustal"],
     "--format clustal", "--input-format clustal"),
    (["test-symmetry", PAIRS, "--max-iter", 1, "--quiet"],
     ["test-symmetry", PAIRS, "--max-iter", 1, "--no-progress"],
     "-q/--quiet", "--no-progress"),
    (["hmm", "fit", ROLLS, "--states", 2, "--symbols", "123456", "-o", "-", "--n-iter", 3,
      "--n-init", 1],
     ["hmm", "fit", ROLLS, "--states", 2, "--symbols", "123456", "-o", "-", "--max-iter", 3,
      "--n-init", 1],
     "--n-iter", "--max-iter"),
    (["motif", "scan", MOTIFS, PROMOTERS, "--motif-format", "jaspar"],
     ["motif", "scan", MOTIFS, PROMOTERS, "--input-format", "jaspar"],
     "--motif-format", "--input-format"),
    (["motif", "convert", MOTIFS, "--to", "meme"], ["motif", "convert", MOTIFS, "-f", "meme"],
     "--to", "-f/--format"),
    (["motif", "convert", MOTIFS, "-f", "meme", "--from", "jaspar"],
     ["motif", "convert", MOTIFS, "-f", "meme", "--input-format", "jaspar"],
     "--from", "--input-format"),
]


@pytest.mark.parametrize("old,new,old_name,new_name", ALIASES, ids=[a[2] + " " + a[0][0]
                                                                     for a in ALIASES])
def test_old_spelling_still_works_with_one_deprecation_line(old, new, old_name, new_name):
    r_old, r_new = run(*old), run(*new)
    assert r_new.exit_code == 0, r_new.output
    assert r_old.exit_code == 0, r_old.output
    assert r_old.stdout == r_new.stdout and r_old.stdout
    extra = [ln for ln in r_old.stderr.splitlines() if ln not in r_new.stderr.splitlines()]
    assert extra == [f"pairhmm: warning: {old_name} is deprecated and will be removed in the "
                     f"next release: use {new_name}"], r_old.stderr


def test_old_output_argument_of_motif_convert(tmp_path):
    old, new = tmp_path / "old.meme", tmp_path / "new.meme"
    r_old = run("motif", "convert", MOTIFS, old)
    r_new = run("motif", "convert", MOTIFS, "-o", new)
    assert r_old.exit_code == r_new.exit_code == 0, (r_old.output, r_new.output)
    assert old.read_text() == new.read_text() and "MOTIF" in new.read_text()
    assert r_old.stderr.splitlines()[0] == (
        "pairhmm: warning: the OUTPUT argument is deprecated and will be removed in the next "
        "release: use -o/--output OUTPUT")
    assert "OUTPUT" not in help_text(("motif", "convert")).split("Options:")[0]


def test_motif_train_quiet_still_works(tmp_path):
    pos = tmp_path / "pos.fa"
    pos.write_text("".join(f">p{i}\nACGTTGCAACGTTGCAACGTAAGG{'ACGT'[i % 4] * 4}\n"
                           for i in range(12)))
    args = ["motif", "train", pos, "--epochs", 1, "--filters", 2, "--width", 4, "--threads", 1]
    r_old = run(*args, "-o", tmp_path / "a.json", "-q")
    r_new = run(*args, "-o", tmp_path / "b.json", "--no-progress")
    assert r_old.exit_code == r_new.exit_code == 0, (r_old.output, r_new.output)
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()
    assert r_old.stderr.splitlines() == [
        "pairhmm: warning: -q/--quiet is deprecated and will be removed in the next release: "
        "use --no-progress"]


def test_old_and_new_spelling_together_is_an_error():
    r = run("train", PAIRS, "-o", "-", "-j", 1, "--threads", 2)
    assert r.exit_code == 2
    assert r.stderr.strip() == ("pairhmm: error: -j/--jobs is the old spelling of --threads: "
                                "give --threads only")
    r = run("motif", "convert", MOTIFS, "x.meme", "-o", "y.meme")
    assert r.exit_code == 2 and "give -o/--output only" in r.stderr


def test_convert_needs_a_format_for_standard_output():
    r = run("motif", "convert", MOTIFS)
    assert r.exit_code == 2
    assert r.stderr.strip() == ("pairhmm: error: cannot tell the output format from standard "
                                "output: give -f/--format")
