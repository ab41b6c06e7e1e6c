"""The ``pairhmm`` command line: a thin Click layer over the library.

Each subcommand lives in its own module and is imported only when it runs, so ``pairhmm align``
does not pay for the motif or HMM code. Any :class:`pairhmm.errors.PairHMMError` (and a few OS-level
failures) become one line on stderr and exit code 2; SIGINT and SIGTERM stop a command cleanly
(exit 130 and 143, see ``_common``).
"""

from __future__ import annotations

import os
import sys

import click

from ._common import LazyGroup

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


class _MainGroup(LazyGroup):
    """The ``pairhmm`` group: lazily imported subcommands, run with signal handling and
    one-line errors and warnings."""

    def invoke(self, ctx: click.Context):
        from ._common import handling_signals, one_line_warnings, run_guarded

        # Numba's OpenMP threads sleep instead of spinning between parallel regions. Training the
        # motif CNN runs thousands of regions of a few milliseconds each; spinning threads made
        # an epoch up to 8x slower than one thread whenever another process held a core
        # (docs/benchmarks.md), passive waiting costs about 5% on an idle machine. A command
        # owns its process, so it sets the default before any kernel starts OpenMP; a value in
        # the environment is kept, and importing this module changes nothing.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        # SIGTERM (batch schedulers) stops a command like Ctrl-C: temporary files removed,
        # workers stopped, one line, exit 128 + N; warnings print as one line each
        with handling_signals(), one_line_warnings():
            return run_guarded(lambda: super(_MainGroup, self).invoke(ctx))


@click.group(cls=_MainGroup, lazy_commands=_COMMANDS,
             context_settings={"help_option_names": ["-h", "--help"]})
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
