"""The ``pairhmm`` command line: a thin Click layer over the library.

Each subcommand lives in its own module and is imported only when it runs, so ``pairhmm align``
does not pay for the motif or HMM code. Any :class:`pairhmm.errors.PairHMMError` (and a few OS-level
failures) become one line on stderr and exit code 2.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import warnings

import click

__all__ = ["main"]

#: subcommand name -> "module:attribute" inside this package
_COMMANDS = {
    "align": "align:align",
    "score": "align:score",
    "posterior": "align:posterior",
    "train": "train:train",
    "test-symmetry": "train:test_symmetry",
    "hmm": "hmm:hmm",
    "motif": "motif:motif",
}


def _module_exists(mod: str) -> bool:
    return importlib.util.find_spec(f"{__name__}.{mod}") is not None


class _LazyGroup(click.Group):
    """A Click group that imports a subcommand's module only when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        available = {n for n, target in _COMMANDS.items() if _module_exists(target.split(":")[0])}
        return sorted(set(super().list_commands(ctx)) | available)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _COMMANDS and _module_exists(_COMMANDS[name].split(":")[0]):
            mod, attr = _COMMANDS[name].split(":")
            return getattr(importlib.import_module(f"{__name__}.{mod}"), attr)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):
        from ._common import run_guarded

        # Numba's OpenMP threads sleep instead of spinning between parallel regions. Training the
        # motif CNN runs thousands of regions of a few milliseconds each; spinning threads made
        # an epoch up to 8x slower than one thread whenever another process held a core
        # (docs/benchmarks.md), passive waiting costs about 5% on an idle machine. A command
        # owns its process, so it sets the default before any kernel starts OpenMP; a value in
        # the environment is kept, and importing this module changes nothing.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        with warnings.catch_warnings():
            warnings.showwarning = _one_line_warning  # no file:line and source line for users
            return run_guarded(lambda: super(_LazyGroup, self).invoke(ctx))


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Print a warning as ``pairhmm: warning: MESSAGE`` (other libraries' warnings say their
    category)."""
    text = " ".join(str(message).split())
    if not category.__module__.startswith("pairhmm"):
        text = f"{category.__name__}: {text}"
    click.echo(f"pairhmm: warning: {text}", err=True)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pairhmm", prog_name="pairhmm")
def main() -> None:
    """pairhmm: weight-sharing models for biological sequences.

    Pair-HMM alignment (align, score, posterior), and more subcommands listed below.
    Run `pairhmm COMMAND --help` for each.
    """


def run(argv: list[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code instead of exiting."""
    try:
        main.main(args=argv, prog_name="pairhmm", standalone_mode=True)
    except SystemExit as e:  # click exits
        return int(e.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
