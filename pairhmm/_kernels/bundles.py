"""Argument bundles of the state-graph and banded kernels.

A kernel over a state graph needs the graph's structure, its parameters, perhaps a band and
output accumulators: twenty arrays if passed one by one. They travel instead as a few named
tuples of arrays, which Numba compiles as plain structs (reading a field costs nothing). The
engines (:mod:`pairhmm.engine`) build them once per model; the kernels unpack what they use.

Shapes: ``S`` states plus the silent Begin (index ``S``), ``C`` emission codes, ``R`` insert
emission rows, ``n``/``m`` the lengths of x and y.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["GraphArrays", "GraphProbs", "GraphLogProbs", "BandRows", "GraphCounts"]


class GraphArrays(NamedTuple):
    """The structure of a state graph (see :mod:`pairhmm._kernels.gpair`)."""

    kind: np.ndarray   # (S,) int64: 0 emits a pair, 1 x only, 2 y only
    erow: np.ndarray   # (S,) int64: insert emission row of each x/y state
    pred: np.ndarray   # (S+1, w) int64: pred[s, :npred[s]] = states p with T[p, s] > 0
    npred: np.ndarray  # (S+1,) int64
    succ: np.ndarray   # (S+1, w) int64: succ[s, :nsucc[s]] = states t with T[s, t] > 0
    nsucc: np.ndarray  # (S+1,) int64


class GraphProbs(NamedTuple):
    """The parameters of a state graph as probabilities (the scaled kernels)."""

    em: np.ndarray   # (C, C) match emissions
    q: np.ndarray    # (R, C) insert emissions
    T: np.ndarray    # (S+1, S+1) transitions, row S = Begin, column S zero
    end: np.ndarray  # (S,) P(state -> End)


class GraphLogProbs(NamedTuple):
    """The same parameters as natural logs (-inf for zero): the log-space kernels."""

    lem: np.ndarray
    lq: np.ndarray
    lT: np.ndarray
    lend: np.ndarray


class BandRows(NamedTuple):
    """A band's rows (see :class:`pairhmm.band.Band`): row i holds columns lo[i]..hi[i], stored
    from flat index start[i]."""

    lo: np.ndarray     # (n+1,) int64
    hi: np.ndarray     # (n+1,) int64
    start: np.ndarray  # (n+1,) int64


class GraphCounts(NamedTuple):
    """Accumulators of expected counts (added to, never cleared by a kernel)."""

    T: np.ndarray    # (S+1, S+1) transitions, row S = Begin
    end: np.ndarray  # (S,) state -> End
    em: np.ndarray   # (C, C) match emissions on extended codes
    q: np.ndarray    # (R, C) insert emissions per row
