"""Running pairhmm's batch work on a Dask cluster (optional extra ``pairhmm[distributed]``).

Everything here takes ``scheduler``: ``None`` (run locally), the address of a running Dask
scheduler (``"tcp://host:8786"``), or a ``dask.distributed.Client``. Work is split into chunks of
pairs (or sequence records); each chunk runs the same library code on a worker, and results come
back in input order, so the output equals the local run. Baum-Welch sends only the E-step out:
workers return per-pair expected counts, the client sums them in pair order (the same sum as the
local run, bit for bit) and does the one M-step.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .errors import PairHMMError

__all__ = ["client_for", "map_ordered", "align_pairs_dask", "score_pairs_dask", "estep_rows_dask"]


class DistributedError(PairHMMError, RuntimeError):
    """The Dask scheduler cannot be reached, or Dask is not installed."""


@contextmanager
def client_for(scheduler: Any):
    """Yield a ``dask.distributed.Client`` for ``scheduler`` (address or Client).

    A client created here from an address is closed afterwards; a Client passed in is left open.
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


def _chunks(items: Sequence, size: int) -> list[list]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


def map_ordered(scheduler: Any, fn, chunks: list, *args: Any) -> Iterator:
    """Run ``fn(chunk, *args)`` for every chunk on the cluster; yield results in chunk order."""
    with client_for(scheduler) as client:
        # the extra arguments (a model as a JSON-ready dict, options) are small: sent with
        # every task rather than scattered
        futures = client.map(fn, chunks, *[[a] * len(chunks) for a in args], pure=False)
        try:
            for fut in futures:
                yield fut.result()
        finally:
            client.cancel(futures)


# ---------------------------------------------------------------------------------------------
# tasks (module level, so workers can unpickle them by reference)
def _align_chunk(chunk: list, model_dict: dict, opts: dict) -> list:
    from .batch import _run_align
    from .pair import PairHMM

    model = PairHMM.from_dict(model_dict)
    return [_run_align(model, x, y, **opts) for x, y in chunk]


def _score_chunk(chunk: list, model_dict: dict, opts: dict) -> list:
    from .batch import _score
    from .pair import PairHMM

    model = PairHMM.from_dict(model_dict)
    return [_score(model, x, y, **opts) for x, y in chunk]


def _estep_chunk(chunk: list, model_dict: dict, on_graph: bool) -> tuple:
    from .pair import PairHMM
    from .train import _estep_rows

    model = PairHMM.from_dict(model_dict)
    return _estep_rows(model, chunk, n_jobs=None, on_graph=on_graph)


# ---------------------------------------------------------------------------------------------
def _chunk_size(n: int, scheduler: Any) -> int:
    return max(1, min(64, n // 32 or 1))


def align_pairs_dask(model, pairs: list, scheduler: Any, **opts: Any) -> Iterator:
    """Alignments of ``pairs`` computed on the cluster, yielded in input order."""
    for block in map_ordered(scheduler, _align_chunk, _chunks(pairs, _chunk_size(len(pairs), scheduler)),
                             model.to_dict(), opts):
        yield from block


def score_pairs_dask(model, pairs: list, scheduler: Any, **opts: Any) -> Iterator:
    """(log-likelihood, log-odds, Viterbi log-probability) per pair, in input order."""
    for block in map_ordered(scheduler, _score_chunk, _chunks(pairs, _chunk_size(len(pairs), scheduler)),
                             model.to_dict(), opts):
        yield from block


def estep_rows_dask(model, pairs: list, scheduler: Any, on_graph: bool = False):
    """Per-pair expected-count rows computed on the cluster, concatenated in pair order
    (``on_graph``: on the state-graph kernels, as :func:`pairhmm.train._estep_rows` decides)."""
    parts = list(map_ordered(scheduler, _estep_chunk, _chunks(pairs, _chunk_size(len(pairs), scheduler)),
                             model.to_dict(), on_graph))
    return tuple(np.concatenate([p[k] for p in parts]) for k in range(len(parts[0])))


# ---------------------------------------------------------------------------------------------
# motif scanning
def _scan_batch(batch: list, filters: list, opts: dict) -> dict:
    from .motif.scan import Scanner

    sc = Scanner(filters, **opts)
    for name, seq in batch:
        sc.add(name, seq)
    return {"names": sc._names, "parts": sc._parts, "tested": sc._tested, "bases": sc.bases_scanned}


def scan_dask(scanner, named: Iterable[tuple[str, Any]], scheduler: Any,
              batch_bases: int = 4_000_000, progress=None) -> None:
    """Scan ``(name, sequence)`` records on the cluster into ``scanner`` (a motif ``Scanner``).

    Records are grouped into batches of about ``batch_bases`` bases, read lazily (a bounded
    number of batches in flight, so a genome-sized FASTA streams); each batch runs a ``Scanner``
    with the same filters and thresholds on a worker; hits and tested-position counts are merged
    in input order, so the result (q-values included) equals the local scan.
    """
    from collections import deque

    opts = dict(background=scanner.background, pvalue=scanner.pvalue, score=scanner.score,
                both_strands=scanner.both_strands, chunk_size=scanner.chunk_size)
    filters = list(scanner.filters)

    def batches():
        cur, size = [], 0
        for name, seq in named:
            text = seq if isinstance(seq, str) else str(getattr(seq, "seq", seq))
            cur.append((name, text))
            size += len(text)
            if size >= batch_bases:
                yield cur
                cur, size = [], 0
        if cur:
            yield cur

    def merge(state: dict) -> None:
        off = len(scanner._names)
        scanner._names.extend(state["names"])
        for part in state["parts"]:
            part = dict(part)
            part["seq"] = part["seq"] + off
            scanner._parts.append(part)
        scanner._tested += state["tested"]
        scanner.bases_scanned += state["bases"]
        if progress is not None:
            progress(state["bases"])

    with client_for(scheduler) as client:
        limit = 2 * max(1, len(client.scheduler_info().get("workers", {})) or 1)
        pending: deque = deque()
        try:
            for batch in batches():
                pending.append(client.submit(_scan_batch, batch, filters, opts, pure=False))
                while len(pending) > limit:
                    merge(pending.popleft().result())
            while pending:
                merge(pending.popleft().result())
        finally:
            for f in pending:
                f.cancel()
