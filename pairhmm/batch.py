"""Many pairs at once: ordered, streaming, on all cores.

:func:`align_pairs` and :func:`score_pairs` run the per-pair algorithms over worker processes
(each process loads the Numba kernels once) and yield results in input order as they finish, so
the output is identical to the serial run whatever the number of processes.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import warnings
from typing import Any, Iterable, Iterator

from .band import Band, BandEdgeWarning, BandMissWarning
from .errors import ZeroProbabilityError
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
    return _run_align(_MODEL, *task)


def _run_align(model: PairHMM, x: Any, y: Any, method: str, gap_factor: float,
               max_memory: float | None, with_posterior: bool, band: Any = None,
               band_guide: str = "anchors", kmer: int | None = None) -> Any:
    if method not in ("mea", "viterbi"):
        raise ValueError(f"unknown method {method!r}")
    if band is not None and not isinstance(band, str) and not isinstance(band, Band):
        band = model.make_band(x, y, int(band), guide=band_guide, k=kmer)
    try:
        with warnings.catch_warnings():
            # the edge count travels with the alignment; align_pairs warns in the caller's process
            warnings.simplefilter("ignore", BandEdgeWarning)
            if method == "mea":
                return model.mea(x, y, gap_factor=gap_factor, max_memory=max_memory, band=band)
            aln = model.viterbi(x, y, max_memory=max_memory, band=band)
            if with_posterior:
                # in the Viterbi band; after an exact Viterbi, banded only if "auto" must
                model._attach_posterior(aln, x, y, max_memory,
                                        aln.band if aln.band is not None else band)
        return aln
    except ZeroProbabilityError as e:  # name the pair: a file may hold many
        ids = [getattr(s, "id", None) for s in (x, y)]
        if not all(ids):
            raise
        raise ZeroProbabilityError(f"{ids[0]} vs {ids[1]}: {e}") from None


def _warn_edges(alignments: Iterator[Any]) -> Iterator[Any]:
    for aln in alignments:
        if getattr(aln, "band_edge_cells", 0):
            rx, ry = aln.sequences
            warnings.warn(f"{rx.id} vs {ry.id}: the alignment touches the band's edge at "
                          f"{aln.band_edge_cells} cell(s) (band {aln.band.describe()}); a wider "
                          f"band may give a better alignment", BandEdgeWarning, stacklevel=2)
        if getattr(aln, "band_miss", None):
            rx, ry = aln.sequences
            warnings.warn(f"{rx.id} vs {ry.id}: {aln.band_miss}", BandMissWarning, stacklevel=2)
        yield aln


def _score_one(task: tuple) -> tuple[float, float, float]:
    return _score(_MODEL, *task)


def _score(model: PairHMM, x: Any, y: Any, band: int | None = None, band_guide: str = "anchors",
           kmer: int | None = None) -> tuple[float, float, float]:
    if band is None:
        ll = model.log_likelihood(x, y)
        return ll, ll - model.random_log_likelihood(x, y), model.viterbi_score(x, y)
    b = model.make_band(x, y, int(band), guide=band_guide, k=kmer)
    ll = model.log_likelihood(x, y, band=b)
    return ll, ll - model.random_log_likelihood(x, y), model.viterbi_score(x, y, band=b)


def _pool_map(model: PairHMM, fn, tasks: list, n_jobs: int) -> Iterator:
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    chunk = max(1, min(16, len(tasks) // (4 * n_jobs) or 1))
    with ctx.Pool(n_jobs, initializer=_init, initargs=(model.to_dict(),)) as pool:
        yield from pool.imap(fn, tasks, chunksize=chunk)


def align_pairs(model: PairHMM, pairs: Iterable[tuple[Any, Any]], method: str = "mea",
                gap_factor: float = 0.0, max_memory: float | None = None,
                with_posterior: bool = False, n_jobs: int | None = None,
                scheduler: Any = None, band: "int | str | None" = None,
                band_guide: str = "anchors", kmer: int | None = None) -> Iterator[Any]:
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
    band : int, "auto" or None
        Band half-width for every pair, ``"auto"`` (a band only for pairs whose full DP does
        not fit in ``max_memory``), or None (full DP). An alignment that touches its band's edge
        raises a :class:`pairhmm.band.BandEdgeWarning` here, in the caller's process.
    band_guide, kmer
        Placement of an explicit-width band (see :meth:`PairHMM.make_band`).
    """
    pairs = list(pairs)
    opts = (band, band_guide, kmer)
    if scheduler is not None:
        from .distributed import align_pairs_dask

        yield from _warn_edges(align_pairs_dask(
            model, pairs, scheduler, method=method, gap_factor=gap_factor, max_memory=max_memory,
            with_posterior=with_posterior, band=band, band_guide=band_guide, kmer=kmer))
        return
    n_jobs = default_jobs() if n_jobs is None else int(n_jobs)
    if n_jobs <= 1 or len(pairs) < 2:
        yield from _warn_edges(_run_align(model, x, y, method, gap_factor, max_memory,
                                          with_posterior, *opts) for x, y in pairs)
        return
    tasks = [(x, y, method, gap_factor, max_memory, with_posterior, *opts) for x, y in pairs]
    yield from _warn_edges(_pool_map(model, _align_one, tasks, min(n_jobs, len(pairs))))


def score_pairs(model: PairHMM, pairs: Iterable[tuple[Any, Any]], n_jobs: int | None = None,
                scheduler: Any = None, band: int | None = None, band_guide: str = "anchors",
                kmer: int | None = None) -> Iterator[tuple[float, float, float]]:
    """(log-likelihood, log-odds, Viterbi log-probability) of each pair, in input order.

    With ``band`` (a half-width), the sums and the maximum run over the alignments inside a band
    around k-mer anchors (see :meth:`PairHMM.make_band`), lower bounds of the exact values.
    """
    pairs = list(pairs)
    opts = (band, band_guide, kmer)
    if scheduler is not None:
        from .distributed import score_pairs_dask

        yield from score_pairs_dask(model, pairs, scheduler, band=band, band_guide=band_guide,
                                    kmer=kmer)
        return
    n_jobs = default_jobs() if n_jobs is None else int(n_jobs)
    if n_jobs <= 1 or len(pairs) < 2:
        for x, y in pairs:
            yield _score(model, x, y, *opts)
        return
    tasks = [(x, y, *opts) for x, y in pairs]
    yield from _pool_map(model, _score_one, tasks, min(n_jobs, len(pairs)))
