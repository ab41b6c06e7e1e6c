"""Many pairs at once: ordered, streaming, on all cores.

:func:`align_pairs` and :func:`score_pairs` run the per-pair algorithms over worker processes
(each process loads the Numba kernels once) and yield results in input order as they finish, so
the output is identical to the serial run whatever the number of processes.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from typing import Any, Iterable, Iterator

from .pair import PairHMM

__all__ = ["align_pairs", "score_pairs", "default_jobs"]

_MODEL: PairHMM | None = None


def default_jobs() -> int:
    """Number of usable cores (CPU affinity aware)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _init(model_dict: dict) -> None:
    global _MODEL
    _MODEL = PairHMM.from_dict(model_dict)


def _align_one(task: tuple) -> Any:
    x, y, method, gap_factor, max_memory, with_posterior = task
    return _run_align(_MODEL, x, y, method, gap_factor, max_memory, with_posterior)


def _run_align(model: PairHMM, x: Any, y: Any, method: str, gap_factor: float,
               max_memory: float | None, with_posterior: bool) -> Any:
    if method == "mea":
        return model.mea(x, y, gap_factor=gap_factor, max_memory=max_memory)
    if method != "viterbi":
        raise ValueError(f"unknown method {method!r}")
    aln = model.viterbi(x, y, max_memory=max_memory)
    if with_posterior:
        from .pair import _annotate_posterior

        _annotate_posterior(aln, ["MXY".index(c) for c in aln.path],
                            model.posterior(x, y, max_memory=max_memory))
    return aln


def _score_one(task: tuple) -> tuple[float, float, float]:
    x, y = task
    return _score(_MODEL, x, y)


def _score(model: PairHMM, x: Any, y: Any) -> tuple[float, float, float]:
    ll = model.log_likelihood(x, y)
    return ll, ll - model.random_log_likelihood(x, y), model.viterbi_score(x, y)


def _pool_map(model: PairHMM, fn, tasks: list, n_jobs: int) -> Iterator:
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    chunk = max(1, min(16, len(tasks) // (4 * n_jobs) or 1))
    with ctx.Pool(n_jobs, initializer=_init, initargs=(model.to_dict(),)) as pool:
        yield from pool.imap(fn, tasks, chunksize=chunk)


def align_pairs(model: PairHMM, pairs: Iterable[tuple[Any, Any]], method: str = "mea",
                gap_factor: float = 0.0, max_memory: float | None = None,
                with_posterior: bool = False, n_jobs: int | None = None,
                scheduler: Any = None) -> Iterator[Any]:
    """Align many pairs; yields one ``Bio.Align.Alignment`` per pair, in input order.

    Parameters
    ----------
    model : PairHMM
    pairs : iterable of (x, y)
    method : {"mea", "viterbi"}
    with_posterior : bool
        Viterbi only: also attach per-column posterior probabilities.
    n_jobs : int, optional
        Worker processes (default: all cores; 1 runs in this process).
    scheduler : str or dask.distributed.Client, optional
        Run on a Dask cluster instead (see :mod:`pairhmm.distributed`).
    """
    pairs = list(pairs)
    if scheduler is not None:
        from .distributed import align_pairs_dask

        yield from align_pairs_dask(model, pairs, scheduler, method=method, gap_factor=gap_factor,
                                    max_memory=max_memory, with_posterior=with_posterior)
        return
    n_jobs = default_jobs() if n_jobs is None else int(n_jobs)
    if n_jobs <= 1 or len(pairs) < 2:
        for x, y in pairs:
            yield _run_align(model, x, y, method, gap_factor, max_memory, with_posterior)
        return
    tasks = [(x, y, method, gap_factor, max_memory, with_posterior) for x, y in pairs]
    yield from _pool_map(model, _align_one, tasks, min(n_jobs, len(pairs)))


def score_pairs(model: PairHMM, pairs: Iterable[tuple[Any, Any]], n_jobs: int | None = None,
                scheduler: Any = None) -> Iterator[tuple[float, float, float]]:
    """(log-likelihood, log-odds, Viterbi log-probability) of each pair, in input order."""
    pairs = list(pairs)
    if scheduler is not None:
        from .distributed import score_pairs_dask

        yield from score_pairs_dask(model, pairs, scheduler)
        return
    n_jobs = default_jobs() if n_jobs is None else int(n_jobs)
    if n_jobs <= 1 or len(pairs) < 2:
        for x, y in pairs:
            yield _score(model, x, y)
        return
    yield from _pool_map(model, _score_one, list(pairs), min(n_jobs, len(pairs)))
