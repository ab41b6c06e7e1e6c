"""Shared CLI plumbing: error reporting, atomic output files, sequence loading."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from typing import Callable, Iterator, TypeVar

import click

from pairhmm._jsonio import replace_public

T = TypeVar("T")


def fail(message: str) -> "click.exceptions.Exit":
    """Print ``pairhmm: error: MESSAGE`` on stderr and exit with code 2."""
    click.echo(f"pairhmm: error: {message}", err=True)
    raise click.exceptions.Exit(2)


def run_guarded(fn: Callable[[], T]) -> T:
    """Run ``fn``; turn pairhmm errors and common OS failures into one line and exit code 2."""
    from pairhmm.errors import PairHMMError

    try:
        return fn()
    except PairHMMError as e:
        fail(str(e))
    except MemoryError:
        fail("out of memory: use a smaller input, --max-memory, or `pairhmm score` (linear memory)")
    except BrokenPipeError:  # e.g. `pairhmm align ... | head`
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        raise click.exceptions.Exit(0)
    except (PermissionError, IsADirectoryError, FileNotFoundError) as e:
        fail(f"{getattr(e, 'filename', '') or ''}: {e.strerror}".lstrip(": "))
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def atomic_output(path: "str | None", mode: str = "w") -> Iterator:
    """Open ``path`` for writing through a temporary file renamed into place on success (with
    the usual permissions of a new file).

    ``None`` or ``"-"`` writes to stdout. On any error the temporary file is removed, so no
    half-written output is left behind.
    """
    if path is None or path == "-":
        if "b" in mode:
            yield sys.stdout.buffer
        else:
            yield sys.stdout
        return
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".pairhmm-", dir=directory)
    except OSError as e:  # name the output the user gave, not the temporary file
        fail(f"{path}: cannot write ({e.strerror})")
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        replace_public(tmp, path)  # 0666 minus the umask, like any new file
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
