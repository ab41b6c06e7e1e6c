"""Many pairs at once: ordered, streaming, on all cores.

:func:`align_pairs` and :func:`score_pairs` run the per-pair algorithms over worker processes
(each process loads the Numba kernels once) and yield results in input order as they finish, so
the output is identical to the serial run whatever the number of processes.
"""

from __future__ import annotations

import warnings
from typing import Any, Iterable, Iterator

from .band import Band, BandEdgeWarning, BandMissWarning
from .errors import ZeroProbabilityError
from .pair import PairHMM
from .parallel import chunk_size, chunked, default_jobs, ordered_map

__all__ = ["align_pairs", "score_pairs", "default_jobs", "align_one", "align_chunk", "score_one",
           "score_chunk"]


def align_one(model: PairHMM, x: Any, y: Any, method: str = "mea", gap_factor: float = 0.0,
              max_memory: float | None = None, with_posterior: bool = False, band: Any = None,
              band_guide: str = "anchors", kmer: int | None = None) -> Any:
    """One alignment as :func:`align_pairs` makes it (a band's edge is recorded in the
    alignment, not warned about: :func:`align_pairs` warns in the caller's process)."""
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
                model.annotate_posterior(aln, x, y, max_memory,
                                         aln.band if aln.band is not None else band)
        return aln
    except ZeroProbabilityError as e:  # name the pair: a file may hold many
        ids = [getattr(s, "id", None) for s in (x, y)]
        if not all(ids):
            raise
        raise ZeroProbabilityError(f"{ids[0]} vs {ids[1]}: {e}") from None


def align_chunk(chunk: list, model: PairHMM, options: dict) -> list:
    """Task: :func:`align_one` of every pair of ``chunk``, in order (``options``: its keyword
    arguments)."""
    return [align_one(model, x, y, **options) for x, y in chunk]


def score_one(model: PairHMM, x: Any, y: Any, band: int | None = None, band_guide: str = "anchors",
              kmer: int | None = None) -> tuple[float, float, float]:
    """(log-likelihood, log-odds, Viterbi log-probability) of one pair (see :func:`score_pairs`)."""
    if band is None:
        ll = model.log_likelihood(x, y)
        return ll, ll - model.random_log_likelihood(x, y), model.viterbi_score(x, y)
    b = model.make_band(x, y, int(band), guide=band_guide, k=kmer)
    ll = model.log_likelihood(x, y, band=b)
    return ll, ll - model.random_log_likelihood(x, y), model.viterbi_score(x, y, band=b)


def score_chunk(chunk: list, model: PairHMM, options: dict) -> list:
    """Task: :func:`score_one` of every pair of ``chunk``, in order."""
    return [score_one(model, x, y, **options) for x, y in chunk]


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


def _run(task: Any, model: PairHMM, pairs: list, options: dict, n_jobs: int | None,
         scheduler: Any) -> Iterator:
    """``task`` over chunks of ``pairs`` (on ``n_jobs`` processes or the cluster), flattened."""
    if scheduler is None:
        n_jobs = default_jobs() if n_jobs is None else int(n_jobs)
        n_jobs = 1 if len(pairs) < 2 else max(1, min(n_jobs, len(pairs)))
    size = chunk_size(len(pairs), n_jobs or 1, scheduler)
    for block in ordered_map(task, chunked(pairs, size), n_jobs=n_jobs, scheduler=scheduler,
                             args=(model, options)):
        yield from block


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
        Run on a Dask cluster instead (see :mod:`pairhmm.parallel`).
    band : int, "auto" or None
        Band half-width for every pair, ``"auto"`` (a band only for pairs whose full DP does
        not fit in ``max_memory``), or None (full DP). An alignment that touches its band's edge
        raises a :class:`pairhmm.band.BandEdgeWarning` here, in the caller's process.
    band_guide, kmer
        Placement of an explicit-width band (see :meth:`PairHMM.make_band`).
    """
    options = dict(method=method, gap_factor=gap_factor, max_memory=max_memory,
                   with_posterior=with_posterior, band=band, band_guide=band_guide, kmer=kmer)
    yield from _warn_edges(_run(align_chunk, model, list(pairs), options, n_jobs, scheduler))


def score_pairs(model: PairHMM, pairs: Iterable[tuple[Any, Any]], n_jobs: int | None = None,
                scheduler: Any = None, band: int | None = None, band_guide: str = "anchors",
                kmer: int | None = None) -> Iterator[tuple[float, float, float]]:
    """(log-likelihood, log-odds, Viterbi log-probability) of each pair, in input order.

    With ``band`` (a half-width), the sums and the maximum run over the alignments inside a band
    around k-mer anchors (see :meth:`PairHMM.make_band`), lower bounds of the exact values.
    """
    options = dict(band=band, band_guide=band_guide, kmer=kmer)
    yield from _run(score_chunk, model, list(pairs), options, n_jobs, scheduler)
