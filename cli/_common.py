"""Shared CLI plumbing: the option vocabulary, command classes, error reporting, signals, output
files, one-line warnings, and the pair inputs that several commands read.

Vocabulary
----------
Every command takes its common options from the decorators here, so one idea has one spelling
(docs/cli.md, "Common options"): ``--threads N`` for workers, ``--progress/--no-progress`` for a
bar on stderr over a loop (default: shown when stderr is a terminal), ``--max-iter``/``--tol`` for
a fit that iterates to convergence, ``-f/--format`` for the format of the main output and
``--input-format`` for an input's, ``--seed`` for randomness, ``-o/--output`` for the main output,
``--scheduler`` for a Dask cluster. An old spelling stays one release as a hidden option
(:func:`renamed_option`) that still works and prints one deprecation line on stderr; commands
are :class:`Command` objects, which translate those. :class:`LazyGroup` imports a subcommand's
module only when the subcommand is used.

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
import importlib
import importlib.util
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
           "summary_to_stderr", "handling_signals", "Interrupted", "Command", "Group", "LazyGroup",
           "renamed_option", "renamed_argument", "threads_option", "progress_option",
           "progress_bar", "FitProgress", "fit_options", "output_option", "format_option",
           "input_format_option", "seed_option", "scheduler_option", "using_threads",
           "load_models_and_pairs", "load_model_and_pairs"]


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


# ------------------------------------------------------------------------------------------------
# commands, groups and old spellings
def _given(ctx: click.Context, name: str) -> bool:
    """True when parameter ``name`` was set by the user (command line or environment)."""
    from click.core import ParameterSource

    return ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT,
                                                  ParameterSource.DEFAULT_MAP)


def deprecated(old: str, new: str) -> None:
    """The one line an old spelling prints on stderr."""
    click.echo(f"pairhmm: warning: {old} is deprecated and will be removed in the next release: "
               f"use {new}", err=True)


class Command(click.Command):
    """A pairhmm subcommand. Before the body runs, every old spelling the user typed (a hidden
    parameter from :func:`renamed_option` or :func:`renamed_argument`) prints one deprecation
    line and hands its value to the current parameter; both spellings at once is an error."""

    def invoke(self, ctx: click.Context) -> Any:
        for param in self.params:
            renamed = getattr(param, "renamed", None)
            if renamed is None:
                continue
            value = ctx.params.pop(param.name, None)
            if not _given(ctx, param.name):
                continue
            dest, old, new, convert = renamed
            if _given(ctx, dest):
                fail(f"{old} is the old spelling of {new.split()[0]}: give {new.split()[0]} only")
            deprecated(old, new)
            ctx.params[dest] = convert(value)
        return super().invoke(ctx)


class Group(click.Group):
    """A group whose subcommands are :class:`Command` objects (and subgroups of its own class)."""

    command_class = Command
    group_class = type


def _module_exists(mod: str) -> bool:
    try:
        return importlib.util.find_spec(f"{__package__}.{mod}") is not None
    except (ImportError, ValueError):
        return False


class LazyGroup(Group):
    """A group that imports a subcommand's module only when that subcommand is used.

    ``lazy_commands`` maps a subcommand name to ``"module:attribute"`` inside this package; a
    module that is not installed (an optional part) leaves its subcommands out.
    """

    def __init__(self, *args: Any, lazy_commands: "dict[str, str] | None" = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        available = {n for n, target in self.lazy_commands.items()
                     if _module_exists(target.split(":")[0])}
        return sorted(set(super().list_commands(ctx)) | available)

    def get_command(self, ctx: click.Context, name: str) -> "click.Command | None":
        target = self.lazy_commands.get(name)
        if target is not None and _module_exists(target.split(":")[0]):
            mod, attr = target.split(":")
            return getattr(importlib.import_module(f"{__package__}.{mod}"), attr)
        return super().get_command(ctx, name)


class _RenamedOption(click.Option):
    def __init__(self, *args: Any, renamed: tuple, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.renamed = renamed


class _RenamedArgument(click.Argument):
    def __init__(self, *args: Any, renamed: tuple, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.renamed = renamed

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return []  # hidden from the usage line


def renamed_option(*decls: str, to: str, new: str, value: "Callable[[Any], Any] | None" = None,
                   **attrs: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A hidden old spelling ``decls`` of the parameter ``to`` (typed ``new``).

    It still works for one release: :class:`Command` prints one deprecation line and passes
    ``value(given)`` (default: the value as given) to ``to``. ``attrs`` are Click option
    settings (``type``, ``is_flag``), normally those of the current option.
    """
    name = "_old_" + decls[-1].lstrip("-").replace("-", "_")
    old = "/".join(decls)
    attrs.setdefault("default", False if attrs.get("is_flag") else None)
    return click.option(*decls, name, cls=_RenamedOption, hidden=True,
                        renamed=(to, old, new, value or (lambda v: v)), **attrs)


def renamed_argument(name: str, *, to: str, new: str, old: str,
                     **attrs: Any) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """An optional positional argument kept for one release as the old way to give ``to``
    (hidden from the usage line; a deprecation line when used)."""
    return click.argument(name, cls=_RenamedArgument, required=False, default=None,
                          renamed=(to, old, new, lambda v: v), **attrs)


class ChoiceWithOld(click.Choice):
    """A choice that also accepts some old values (not shown in help or error messages)."""

    def __init__(self, choices: "tuple[str, ...] | list[str]", old: "tuple[str, ...]") -> None:
        super().__init__(list(choices))
        self.old = tuple(old)

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        if isinstance(value, str) and value in self.old:
            return value
        return super().convert(value, param, ctx)


# ------------------------------------------------------------------------------------------------
# the shared options (docs/cli.md, "Common options")
def threads_option(help: str = "Threads (default: all cores); results do not depend on it."
                   ) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``--threads N``: how many workers (threads or processes) the command uses."""
    return click.option("--threads", type=click.IntRange(1, None), default=None, metavar="N",
                        help=help)


@contextlib.contextmanager
def using_threads(n: "int | None") -> Iterator[None]:
    """Numba's parallel regions run on ``n`` threads inside the block (None: all cores)."""
    from pairhmm._threads import numba_threads

    with numba_threads(n):
        yield


def progress_option(what: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``--progress/--no-progress``: a bar on stderr over ``what``."""
    return click.option("--progress/--no-progress", default=None,
                        help=f"Progress bar over {what} on stderr [default: when stderr is a "
                             "terminal].")


def stderr_is_terminal() -> bool:
    try:
        return bool(sys.stderr.isatty())
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


def progress_bar(iterable: Any = None, *, total: "int | None" = None, desc: "str | None" = None,
                 unit: str = "it", enabled: "bool | None" = None) -> Any:
    """A tqdm bar on stderr, by the one rule of every command: shown when ``enabled`` is True
    (``--progress``), hidden when False (``--no-progress``), and when None shown only if stderr
    is a terminal; erased when the loop ends (the command's own output says what happened)."""
    from tqdm import tqdm

    show = stderr_is_terminal() if enabled is None else bool(enabled)
    return tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, disable=not show,
                leave=False, dynamic_ncols=True)


class FitProgress:
    """A :func:`progress_bar` over the iterations of a fit, showing the current log-likelihood;
    called as ``callback(iteration, log_likelihood)`` by the library's fits."""

    def __init__(self, total: int, desc: str, enabled: "bool | None") -> None:
        self.bar = progress_bar(total=total, desc=desc, unit="it", enabled=enabled)

    def __call__(self, iteration: int, log_likelihood: float) -> None:
        self.bar.update(1)
        # an iteration takes far longer than a redraw: show every new log-likelihood
        self.bar.set_postfix_str(f"logL={log_likelihood:.4f}", refresh=True)

    def close(self) -> None:
        self.bar.close()

    def __enter__(self) -> "FitProgress":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def fit_options(max_iter: int, tol: float, *, min_iter: int = 0,
                max_iter_help: str = "Maximum Baum-Welch iterations.",
                tol_help: str = "Stop when the log-likelihood (nats) gains less than this."
                ) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``--max-iter N`` and ``--tol T`` of a fit that iterates to convergence."""
    def deco(fn: Callable[..., T]) -> Callable[..., T]:
        fn = click.option("--tol", type=click.FloatRange(min=0.0), default=tol, show_default=True,
                          metavar="T", help=tol_help)(fn)
        return click.option("--max-iter", type=click.IntRange(min=min_iter), default=max_iter,
                            show_default=True, metavar="N", help=max_iter_help)(fn)
    return deco


def output_option(help: str, *, required: bool = False, name: str = "output"
                  ) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``-o/--output FILE``: the command's main output (default: standard output)."""
    attrs: dict[str, Any] = {"required": True} if required else {"default": "-"}
    return click.option("-o", "--output", name, type=OUTPUT_PATH, metavar="FILE", help=help,
                        **attrs)


def format_option(choices: "tuple[str, ...] | list[str]", default: "str | None", help: str, *,
                  old: "tuple[str, ...]" = ()) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``-f/--format``: the format of the main output (``old``: values kept for one release)."""
    kind = ChoiceWithOld(choices, old) if old else click.Choice(list(choices))
    return click.option("-f", "--format", "fmt", type=kind, default=default,
                        show_default=default is not None, help=f"Output format: {help}")


def input_format_option(help: str, *, choices: "tuple[str, ...] | list[str] | None" = None,
                        name: str = "input_format"
                        ) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``--input-format FMT``: the format of an input file (default: detected)."""
    kind: Any = click.Choice(list(choices)) if choices else str
    return click.option("--input-format", name, type=kind, default=None,
                        metavar=None if choices else "FMT", help=help)


def seed_option(default: "int | None", help: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``--seed S``: seeds every random choice of the command (same seed, same output)."""
    return click.option("--seed", type=int, default=default, show_default=default is not None,
                        metavar="S", help=help)


def scheduler_option(help: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """``--scheduler ADDRESS``: run the work on a Dask cluster."""
    return click.option("--scheduler", default=None, metavar="ADDRESS",
                        help=f"{help} Needs pairhmm[distributed]; see docs/distributed.md.")


# ------------------------------------------------------------------------------------------------
# pair inputs (align, score, posterior, train, test-symmetry)
def load_models_and_pairs(files: tuple[str, ...], model_path: "str | None", preset: "str | None",
                          alphabet: "str | None", all_pairs: bool = False,
                          consecutive: bool = False, mode: "str | None" = None):
    """Read the pairs and choose a model for each: ``(models, pairs)``, ``models[k]`` for
    ``pairs[k]`` (one shared object per alphabet).

    With --model, --alphabet or --preset every pair uses that alphabet (records that look like
    another one get a warning); otherwise each pair's alphabet is detected from its two
    sequences, and a pair mixing nucleotide and protein is an error. Library errors propagate.
    """
    from pairhmm import PairHMM
    from pairhmm.alphabet import AlphabetWarning, alphabet_mismatches, pair_alphabets
    from pairhmm.seqio import read_pairs

    if model_path and preset:
        fail("give either --model or --preset, not both")
    pairs = read_pairs(files, all_pairs=all_pairs, consecutive=consecutive)
    model = PairHMM.load(model_path) if model_path else None
    if model is not None and alphabet and alphabet != model.alphabet.name:
        fail(f"--alphabet {alphabet} does not match the model's alphabet ({model.alphabet.name})")
    forced = model.alphabet.name if model is not None else alphabet or preset
    if forced is not None:
        if model is None:
            model = PairHMM.preset(preset or forced)
            if model.alphabet.name != forced:
                fail(f"--preset {preset} is for {model.alphabet.name} but --alphabet is {forced}")
        models = [model] * len(pairs)
    else:
        by_name: dict = {}
        models = []
        for alpha in pair_alphabets(pairs):
            if alpha.name not in by_name:
                by_name[alpha.name] = PairHMM.preset(alpha.name)
            models.append(by_name[alpha.name])
    if mode is not None:
        changed = {id(m): (m if m.mode == mode else m.copy(mode=mode)) for m in models}
        models = [changed[id(m)] for m in models]
    # encode every sequence once up front: bad characters fail before anything is written
    for m, (rx, ry) in zip(models, pairs):
        m.encode(rx)
        m.encode(ry)
    if forced is not None:  # readable with the forced alphabet, but do they look like it?
        records = {id(r): r for p in pairs for r in p}.values()
        odd = alphabet_mismatches(records, models[0].alphabet)
        if odd:
            how = "the model" if model_path else "--alphabet" if alphabet else "--preset"
            more = f" and {len(odd) - 3} more" if len(odd) > 3 else ""
            warnings.warn(f"{len(odd)} sequence(s) do not look like {models[0].alphabet.name}, "
                          f"which {how} sets: {', '.join(odd[:3])}{more}", AlphabetWarning,
                          stacklevel=2)
    return models, pairs


def load_model_and_pairs(files: tuple[str, ...], model_path: "str | None", preset: "str | None",
                         alphabet: "str | None", all_pairs: bool = False,
                         consecutive: bool = False, mode: "str | None" = None):
    """Like :func:`load_models_and_pairs` for commands that need one model for every pair
    (training, the posterior matrix): pairs of two alphabets are an error."""
    from pairhmm.errors import AlphabetError

    models, pairs = load_models_and_pairs(files, model_path, preset, alphabet, all_pairs,
                                          consecutive, mode)
    kinds: dict = {}
    for k, m in enumerate(models, 1):
        kinds.setdefault(m.alphabet.name, k)
    if len(kinds) > 1:
        detail = ", ".join(f"{name} (first: pair #{k})" for name, k in kinds.items())
        raise AlphabetError(f"mixed alphabets: the pairs are {detail}; this command needs one "
                            "alphabet: split the input, or pass --alphabet")
    return models[0], pairs
