"""Shared CLI plumbing: error reporting, signals, output files, one-line warnings.

Output files
------------
Every command declares its outputs with :func:`writes` (a decorator naming the parameters that hold
output paths and the option each came from). Before the command body runs, every output is checked
(not a folder, its folder exists and is writable, no two outputs the same file, at most one on
standard output), so a bad path fails in one line before any work. Inside the body,
:func:`atomic_output` writes each file through a temporary file in the output's folder and
:func:`staged_folder` gives a temporary folder for a folder output; all of them are renamed into
place together when the command succeeds, and all are removed when it fails or is interrupted:
either every output is written or none.

Signals
-------
SIGTERM (what batch schedulers send) is handled like SIGINT: the command stops, temporary files are
removed, worker processes are stopped (they ignore SIGINT and die quietly on SIGTERM, so they print
no traceback), and one line is printed; the exit code is 128 + the signal number (130, 143).
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import sys
import tempfile
import threading
import warnings
from typing import Any, Callable, Iterator, TypeVar

import click

from pairhmm._jsonio import replace_public

T = TypeVar("T")

__all__ = ["OUTPUT_PATH", "fail", "run_guarded", "atomic_output", "staged_folder", "writes", "folder",
           "summary_to_stderr", "handling_signals", "Interrupted"]


def fail(message: str) -> "click.exceptions.Exit":
    """Print ``pairhmm: error: MESSAGE`` on stderr and exit with code 2."""
    click.echo(f"pairhmm: error: {message}", err=True)
    raise click.exceptions.Exit(2)


# ------------------------------------------------------------------------------------------------
# signals
class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM received: unwinds like Ctrl-C (every ``finally`` and temporary-file
    cleanup runs) and carries the signal number for the exit code."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_HANDLED = (signal.SIGINT, signal.SIGTERM)
_active = False  # True while handling_signals() is in force in this process


def _on_signal(signum: int, frame: Any) -> None:
    # the first signal stops the command; later ones must not interrupt its cleanup
    for s in _HANDLED:
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


def _in_forked_child() -> None:
    # Worker processes (multiprocessing's fork) inherit the handlers above. A worker must not
    # raise into its own task loop (that prints a traceback per worker): it ignores Ctrl-C, which
    # the terminal sends to the whole process group, and dies quietly on SIGTERM, which is how
    # the parent stops its pool (and what a scheduler sends to every process of a job).
    if _active:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_in_forked_child)


@contextlib.contextmanager
def handling_signals() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` for the duration of the block (main
    thread only; the previous handlers are restored afterwards)."""
    global _active
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in _HANDLED}
    was_active = _active
    for s in _HANDLED:
        if previous[s] is not signal.SIG_IGN:  # e.g. `nohup`: an ignored signal stays ignored
            signal.signal(s, _on_signal)
    _active = True
    try:
        yield
    finally:
        _active = was_active
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)


# ------------------------------------------------------------------------------------------------
# errors
def run_guarded(fn: Callable[[], T]) -> T:
    """Run ``fn``; turn pairhmm errors, common OS failures and signals into one line and an
    exit code (2 for errors, 128 + N for signal N)."""
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
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM through handling_signals()
        signum = getattr(e, "signum", signal.SIGINT)
        name = signal.Signals(signum).name
        click.echo(f"pairhmm: stopped by {name}; unfinished output files were removed", err=True)
        raise click.exceptions.Exit(128 + int(signum))
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def one_line_warnings() -> Iterator[None]:
    """Show every warning raised in the block as one line ``pairhmm: warning: MESSAGE`` (no
    source line, no file name: the command line is not a debugger)."""
    def show(message, category, filename, lineno, file=None, line=None):  # noqa: ANN001
        text = " ".join(str(message).split())
        if not category.__module__.startswith("pairhmm"):  # other libraries' warnings say what
            text = f"{category.__name__}: {text}"
        with contextlib.suppress(OSError, ValueError):
            (file or sys.stderr).write(f"pairhmm: warning: {text}\n")

    previous = warnings.showwarning
    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


# ------------------------------------------------------------------------------------------------
# output files
#: Click type of an output option: the path as typed (checked by :func:`writes`, which gives one
#: line for a folder or a missing folder, rather than Click's usage message).
OUTPUT_PATH = click.Path(dir_okay=True, file_okay=True, allow_dash=True)


class folder(str):
    """Marks an output of :func:`writes` as a folder (``--logos DIR``) rather than a file."""


class _Outputs:
    """The outputs of one command run: checked up front, committed together."""

    def __init__(self, paths: dict[str, str]) -> None:
        self.paths = paths          # path as typed -> option name
        self.files: list[tuple[str, str]] = []     # (temporary, final)
        self.folders: list[tuple[str, str]] = []   # (temporary folder, final folder)

    @property
    def stdout_used(self) -> bool:
        return "-" in self.paths

    def commit(self) -> None:
        try:
            for tmp, path in self.files:
                replace_public(tmp, path)
            for tmp, path in self.folders:
                _move_folder(tmp, path)
        except OSError as e:
            self.discard()
            fail(f"{e.filename or ''}: cannot write ({e.strerror})".lstrip(": "))
        self.files, self.folders = [], []

    def discard(self) -> None:
        for tmp, _ in self.files:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        for tmp, _ in self.folders:
            shutil.rmtree(tmp, ignore_errors=True)
        self.files, self.folders = [], []


_groups: list[_Outputs] = []


def _move_folder(tmp: str, path: str) -> None:
    """Put the staged folder ``tmp`` at ``path`` (its files into ``path`` if that exists)."""
    if not os.path.isdir(path):
        os.rename(tmp, path)
        return
    for name in sorted(os.listdir(tmp)):
        os.replace(os.path.join(tmp, name), os.path.join(path, name))
    os.rmdir(tmp)


def _parent(path: str) -> str:
    """The folder of ``path`` as the user typed it ('.' when none)."""
    return os.path.dirname(path.rstrip(os.sep) or path) or "."


def check_output(path: str, option: str, is_folder: bool = False) -> None:
    """Fail (one line, exit 2) unless ``path`` can be written: not a folder (or, for a folder
    output, not a file), its folder exists and is writable. Names the path as typed."""
    where = f"{option} {path}" if option else path
    if is_folder:
        if os.path.exists(path) and not os.path.isdir(path):
            fail(f"{where}: is a file; give a folder")
    elif os.path.isdir(path):
        fail(f"{where}: is a folder; give a file name")
    parent = _parent(path)
    if not os.path.isdir(parent):
        if os.path.exists(parent):
            fail(f"{where}: {parent} is not a folder")
        fail(f"{where}: the folder {parent} does not exist")
    try:  # the only reliable test (ACLs, read-only mounts, root)
        fd, probe = tempfile.mkstemp(prefix=".pairhmm-", dir=parent)
    except OSError as e:
        fail(f"{where}: cannot write in {parent} ({e.strerror})")
    os.close(fd)
    os.unlink(probe)


def writes(**outputs: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorator of a command body: ``writes(output="-o", logos_dir=folder("--logos"))``.

    Each keyword names a parameter of the command that holds an output path (``None`` = not
    given, ``"-"`` = standard output) and the option it came from (for messages). Before the
    body runs, every given output is checked (:func:`check_output`; no two the same file; at most
    one on standard output). :func:`atomic_output` and :func:`staged_folder` calls in the body
    then write through temporary files that are renamed into place together when the body
    returns, and removed when it raises or is interrupted.
    """
    def deco(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            paths: dict[str, str] = {}
            seen: dict[str, str] = {}
            for param, option in outputs.items():
                path = kwargs.get(param)
                if path is None or path == "":
                    continue
                path = os.fspath(path)
                if path == "-":
                    if isinstance(option, folder):
                        fail(f"{option} -: give a folder (files cannot go to standard output)")
                    if "-" in paths:
                        fail(f"{paths['-']} and {option} cannot both write to standard output")
                    paths["-"] = str(option)
                    continue
                check_output(path, str(option), isinstance(option, folder))
                key = os.path.realpath(path)
                if key in seen:
                    fail(f"{seen[key]} and {option} name the same file {path}")
                seen[key] = str(option)
                paths[path] = str(option)
            group = _Outputs(paths)
            _groups.append(group)
            try:
                result = fn(*args, **kwargs)
            except BaseException:
                group.discard()
                raise
            finally:
                _groups.remove(group)
            group.commit()
            return result
        return wrapper
    return deco


def summary_to_stderr() -> bool:
    """True when the running command writes data to standard output, so that summaries and notes
    must go to standard error (``-o -`` carries only the data)."""
    return any(g.stdout_used for g in _groups)


@contextlib.contextmanager
def atomic_output(path: "str | None", mode: str = "w") -> Iterator:
    """Open ``path`` for writing through a temporary file in its folder.

    ``None`` or ``"-"`` writes to stdout. Inside a command decorated with :func:`writes` the
    temporary file is renamed into place when the command succeeds, together with the command's
    other outputs; otherwise when this block ends. On any error or signal the temporary file is
    removed, so no half-written output is left behind.
    """
    if path is None or path == "-":
        if "b" in mode:
            yield sys.stdout.buffer
        else:
            yield sys.stdout
        return
    path = os.fspath(path)
    group = _groups[-1] if _groups else None
    if group is None or path not in group.paths:
        check_output(path, "")
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".pairhmm-", dir=directory)
    except OSError as e:  # name the output the user gave, not the temporary file
        fail(f"{path}: cannot write ({e.strerror})")
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
        if group is None:
            replace_public(tmp, path)  # 0666 minus the umask, like any new file
        else:
            group.files.append((tmp, path))
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def staged_folder(path: str) -> str:
    """A temporary folder beside ``path`` to write a folder output into; it becomes ``path`` (or
    its files move into an existing ``path``) when the command succeeds, and is removed when it
    fails. Outside a :func:`writes` command the folder ``path`` itself is returned (created)."""
    group = _groups[-1] if _groups else None
    if group is None:
        os.makedirs(path, exist_ok=True)
        return path
    parent = os.path.dirname(os.path.abspath(path))
    tmp = tempfile.mkdtemp(prefix=".pairhmm-", dir=parent)
    os.chmod(tmp, 0o777 & ~_umask())
    group.folders.append((tmp, path))
    return tmp


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
