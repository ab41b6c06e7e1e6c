"""Engines: the algorithms of the pair HMM on one kernel family, chosen once per model.

A :class:`~pairhmm.PairHMM` holds parameters; its engine runs them. Every engine has the same
interface (:class:`Engine`: forward log-probability, Viterbi, posterior, MEA, sampling, memory
per DP cell, and the many-pair methods ``forward_many`` / ``posterior_many`` / ``counts_many``
over :class:`EncodedPairs`), and one implementation per kernel family:

* :class:`ThreeStateEngine` (:mod:`pairhmm._kernels.pair`): the global 3-state model's
  hand-specialised scaled kernels;
* :class:`GraphEngine` (:mod:`pairhmm._kernels.gpair`): any state graph (the model variants),
  with the same block scaling;
* :class:`BandEngine` (:mod:`pairhmm._kernels.band`): log space inside a band, with the band
  policy of ``band="auto"``; over every cell it is :class:`LogSpaceEngine`, the exact path of
  ``extreme`` models.

:func:`choose_engine` is the one place that decides; the model calls it when its parameters are
set. A new kernel family (batched SIMD kernels, say) is a new :class:`Engine` subclass chosen
there, and no caller changes.
"""

from __future__ import annotations

from typing import Any

from .banded import BandEngine, LogSpaceEngine
from .base import (DEFAULT_MAX_MEMORY, CountTotals, EncodedPairs, Engine, ExpectedCounts, Sample,
                   ViterbiResult)
from .graph import GraphEngine
from .three import ThreeStateEngine

__all__ = ["Engine", "ThreeStateEngine", "GraphEngine", "BandEngine", "LogSpaceEngine",
           "EncodedPairs", "ExpectedCounts", "CountTotals", "ViterbiResult", "Sample",
           "choose_engine", "DEFAULT_MAX_MEMORY"]


def choose_engine(model: Any) -> Engine:
    """The engine of a model's full-matrix algorithms.

    The state-graph engine for the variants (``mode`` other than global, or ``long_gaps``),
    the 3-state engine otherwise; an ``extreme`` model (values a scaled kernel cannot hold)
    gets the log-space engine around that family's Viterbi.
    """
    family: Engine = GraphEngine(model) if model.is_general else ThreeStateEngine(model)
    if model.extreme:
        return LogSpaceEngine(model, family)
    return family
