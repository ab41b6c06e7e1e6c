"""Dask clusters (optional extra ``pairhmm[distributed]``): the names of earlier versions.

Every batch entry point takes ``scheduler``: ``None`` (run locally), the address of a running Dask
scheduler (``"tcp://host:8786"``), or a ``dask.distributed.Client``. Work is split into chunks of
pairs (or sequence records); each chunk runs the same library code on a worker, and results come
back in input order, so the output equals the local run. Baum-Welch sends only the E-step out:
workers return per-pair expected counts, the client sums them in pair order (the same sum as the
local run, bit for bit) and does the one M-step.

The runner is :func:`pairhmm.parallel.ordered_map` (processes or Dask, domain-blind);
:class:`~pairhmm.errors.DistributedError` lives in :mod:`pairhmm.errors`. This module keeps the
old import paths working and imports no model.
"""

from __future__ import annotations

import warnings
from typing import Any, Iterator

from .errors import DistributedError
from .parallel import client_for, ordered_map

__all__ = ["DistributedError", "client_for", "map_ordered"]


def map_ordered(scheduler: Any, fn, chunks: list, *args: Any) -> Iterator:
    """Deprecated: :func:`pairhmm.parallel.ordered_map` (``fn(chunk, *args)`` on the cluster,
    results in chunk order)."""
    warnings.warn("pairhmm.distributed.map_ordered is deprecated: use "
                  "pairhmm.parallel.ordered_map(fn, chunks, scheduler=..., args=...)",
                  DeprecationWarning, stacklevel=2)
    return ordered_map(fn, chunks, scheduler=scheduler, args=args)
