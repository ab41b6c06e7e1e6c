"""The user guide's code runs as written, and the figure script runs in its quick mode.

``docs/guide.md`` is executed block by block, in order, in one temporary folder that holds a
link to the repository's ``data/`` (so the guide's relative paths work):

* a ```` ```python ```` block with ``>>>`` prompts is a doctest (ELLIPSIS, NORMALIZE_WHITESPACE),
  a block without prompts is executed; all share one namespace;
* a ```` ```console ```` block holds commands ``$ pairhmm ...`` each followed by the output the
  guide shows; the command runs through Click's CliRunner (the first one also as a real
  ``python -m pairhmm`` process), must exit with code 0, and the shown lines must appear in the
  output (stdout and stderr), in order; a line ``...`` stands for lines left out.
"""

from __future__ import annotations

import doctest
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "guide.md"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.S | re.M)


def blocks(path: Path) -> list[tuple[str, str, int]]:
    """(language, code, line number) of every fenced block."""
    text = path.read_text()
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1)
            for m in FENCE.finditer(text)]


def console_commands(code: str) -> list[tuple[str, list[str]]]:
    """``$ command`` lines with the output lines shown under each."""
    out: list[tuple[str, list[str]]] = []
    for line in code.splitlines():
        if line.startswith("$ "):
            out.append((line[2:].strip(), []))
        elif out and line.strip():
            out[-1][1].append(line)
    return out


def _norm(line: str) -> str:
    return " ".join(line.split())


def shown_lines_appear(shown: list[str], actual: str) -> str | None:
    """None if every shown line (``...`` skipped) occurs in ``actual`` in order, else the first
    line that does not."""
    lines = [_norm(x) for x in actual.splitlines()]
    pos = 0
    for s in shown:
        if s.strip() == "...":
            continue
        want = _norm(s)
        while pos < len(lines) and lines[pos] != want:
            pos += 1
        if pos == len(lines):
            return s
        pos += 1
    return None


def test_console_parsing_and_matching():
    cmds = console_commands("$ pairhmm a b\nx  1\n...\nz\n\n$ pairhmm c\n")
    assert cmds == [("pairhmm a b", ["x  1", "...", "z"]), ("pairhmm c", [])]
    assert shown_lines_appear(["x 1", "...", "z"], "x   1\ny\nz\n") is None
    assert shown_lines_appear(["z", "x 1"], "x 1\nz\n") == "x 1"  # order matters


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("guide")
    (d / "data").symlink_to(ROOT / "data", target_is_directory=True)
    return d


def test_guide_runs(workdir, monkeypatch):
    from click.testing import CliRunner

    from pairhmm.cli import main

    monkeypatch.chdir(workdir)
    ns: dict = {"__name__": "guide"}
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    n_console = n_python = 0
    subprocess_done = False
    for lang, code, line in blocks(GUIDE):
        where = f"docs/guide.md line {line}"
        if lang == "python":
            n_python += 1
            if ">>>" in code:
                test = parser.get_doctest(code, ns, where, str(GUIDE), line)
                result = runner.run(test, clear_globs=False)
                ns.update(test.globs)  # DocTest works on a copy of the namespace
                assert result.failed == 0, f"doctest failed in {where}"
            else:
                exec(compile(code, where, "exec"), ns)
        elif lang == "console":
            for cmd, shown in console_commands(code):
                argv = shlex.split(cmd)
                assert argv[0] == "pairhmm", f"{where}: only pairhmm commands run: {cmd}"
                n_console += 1
                if not subprocess_done:
                    proc = subprocess.run([sys.executable, "-m", "pairhmm", *argv[1:]],
                                          capture_output=True, text=True, cwd=workdir)
                    assert proc.returncode == 0, f"{where}: {cmd}\n{proc.stderr}"
                    output = proc.stdout + proc.stderr
                    subprocess_done = True
                else:
                    res = CliRunner().invoke(main, argv[1:], catch_exceptions=False)
                    assert res.exit_code == 0, f"{where}: {cmd}\n{res.output}"
                    output = res.stdout + res.stderr
                missing = shown_lines_appear(shown, output)
                assert missing is None, f"{where}: {cmd}\nline not in output: {missing!r}\n{output}"
    assert n_python >= 8 and n_console >= 8  # the guide covers every capability


def test_make_figures_quick(tmp_path):
    script = ROOT / "docs" / "figures" / "make_figures.py"
    proc = subprocess.run([sys.executable, str(script), "--quick", "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    names = {"parameter_counts", "sample_efficiency", "toeplitz", "soft_tying", "symmetry_test",
             "palindromic", "rc_sharing"}
    assert {p.stem for p in tmp_path.glob("*.png")} == names
    import json

    numbers = json.loads((tmp_path / "numbers.json").read_text())
    pc = numbers["fig_parameter_counts"]
    assert pc["ratio"] == [L - 15 + 1 for L in pc["L"]]
    resp = numbers["fig_palindromic"]["responses"]["GATTACAG (asymmetric)"]
    assert abs(resp["palindromic"]["antisymmetric part"]) < 1e-12
    assert abs(resp["free"]["antisymmetric part"]) > 1e-3
    soft = numbers["fig_soft_tying"]["gap"]
    assert soft[-1] < 1e-5 < soft[0]
