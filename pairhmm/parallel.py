"""One parallel map: ordered results from worker processes or a Dask cluster.

:func:`ordered_map` runs ``fn(chunk, *args)`` for every chunk and yields the results in chunk
order, whatever order they finish in, so the output of any parallel run equals the serial one.
Three backends, chosen by the arguments:

* ``scheduler`` given (a Dask scheduler address or a ``dask.distributed.Client``): tasks on the
  cluster (optional extra ``pairhmm[distributed]``); ``args`` travel with every task;
* ``n_jobs > 1``: a pool of worker processes on this machine (forked where the platform
  allows, so each worker inherits the loaded Numba kernels); ``fn`` and ``args`` are sent once
  per worker;
* otherwise: in this process, one chunk after another.

At most ``max_pending`` chunks are in flight, so an iterable of chunks read lazily (records of a
genome-sized FASTA) streams in bounded memory. This module is domain-blind: it imports no
pairhmm model; the domain modules expose plain task functions (``pairhmm.batch.align_chunk``,
``pairhmm.baumwelch.estep_chunk``, ``pairhmm.motif.scan.scan_records``) and call it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import deque
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Sequence

from .errors import DistributedError, InvalidParameter

__all__ = ["ordered_map", "client_for", "chunked", "chunk_size", "default_jobs"]


def default_jobs() -> int:
    """Number of usable cores (CPU affinity aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def chunked(items: Sequence, size: int) -> list[list]:
    """``items`` cut into consecutive lists of ``size`` (the last may be shorter)."""
    size = max(1, int(size))
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def chunk_size(n_items: int, n_jobs: int = 1, scheduler: Any = None) -> int:
    """Items per task: on a cluster up to 64 (about 32 tasks); on ``n_jobs`` processes up to
    16 (about 4 tasks per process, so a slow item does not hold the others up); 1 serially."""
    if scheduler is not None:
        return max(1, min(64, n_items // 32 or 1))
    if n_jobs <= 1:
        return 1
    return max(1, min(16, n_items // (4 * n_jobs) or 1))


@contextmanager
def client_for(scheduler: Any):
    """Yield a ``dask.distributed.Client`` for ``scheduler`` (address or Client).

    A client created here from an address is closed afterwards; a Client passed in is left open.
    Raises :class:`~pairhmm.errors.DistributedError` when Dask is missing or the scheduler
    cannot be reached.
    """
    try:
        from dask.distributed import Client
    except ImportError:
        raise DistributedError("distributed runs need Dask: pip install 'pairhmm[distributed]'") from None
    if isinstance(scheduler, Client):
        yield scheduler
        return
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError) as e:
        raise DistributedError(f"cannot reach the Dask scheduler at {scheduler!r} ({e})") from None
    try:
        yield client
    finally:
        client.close()


def ordered_map(fn: Callable, chunks: Iterable, n_jobs: int | None = 1, scheduler: Any = None,
                args: tuple = (), max_pending: int | None = None) -> Iterator:
    """Yield ``fn(chunk, *args)`` for every chunk, in chunk order.

    Parameters
    ----------
    fn : callable
        A module-level function (workers find it by reference).
    chunks : iterable
        The work, cut into chunks (:func:`chunked`); read lazily.
    n_jobs : int, optional
        Worker processes; 1 (default) runs in this process; None: every usable core.
    scheduler : str or dask.distributed.Client, optional
        Run on this Dask cluster instead (``n_jobs`` is then not used).
    args : tuple
        Extra arguments of every call (a model, options).
    max_pending : int, optional
        Chunks in flight at most (default: twice the workers, at least 2).
    """
    if scheduler is not None:
        yield from _dask_map(fn, chunks, scheduler, args, max_pending)
        return
    n = default_jobs() if n_jobs is None else int(n_jobs)
    if n < 1:
        raise InvalidParameter("n_jobs", n_jobs, "must be >= 1")
    if n == 1:
        for chunk in chunks:
            yield fn(chunk, *args)
        return
    yield from _process_map(fn, chunks, n, args, max_pending)


# ---------------------------------------------------------------------------------------------
# the process backend: fn and args reach each worker once, through the pool's initializer
_TASK: tuple = ()


def _init_worker(fn: Callable, args: tuple) -> None:
    global _TASK
    _TASK = (fn, args)


def _run_task(chunk: Any) -> Any:
    fn, args = _TASK
    return fn(chunk, *args)


def _process_map(fn: Callable, chunks: Iterable, n_jobs: int, args: tuple,
                 max_pending: int | None) -> Iterator:
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    limit = max(2, 2 * n_jobs) if max_pending is None else max(1, int(max_pending))
    with ctx.Pool(n_jobs, initializer=_init_worker, initargs=(fn, args)) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append(pool.apply_async(_run_task, (chunk,)))
            while len(pending) > limit:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _dask_map(fn: Callable, chunks: Iterable, scheduler: Any, args: tuple,
              max_pending: int | None) -> Iterator:
    with client_for(scheduler) as client:
        if max_pending is None:
            workers = len(client.scheduler_info().get("workers", {})) or 1
            limit = 2 * max(1, workers)
        else:
            limit = max(1, int(max_pending))
        pending: deque = deque()
        try:
            for chunk in chunks:
                # the extra arguments (a model, options) are small: sent with every task
                pending.append(client.submit(fn, chunk, *args, pure=False))
                while len(pending) > limit:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for fut in pending:
                fut.cancel()
