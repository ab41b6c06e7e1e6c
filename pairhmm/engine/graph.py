"""The state-graph engine: the scaled kernels of :mod:`pairhmm._kernels.gpair`, for any variant."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._kernels import gpair
from .._kernels.bundles import GraphLogProbs, GraphProbs
from .._threads import numba_threads
from .base import (EncodedPairs, Engine, ExpectedCounts, Sample, ViterbiResult, check_memory,
                   graph_arrays)

__all__ = ["GraphEngine"]


class GraphEngine(Engine):
    """Any state graph (double affine gaps, semiglobal and local flanks, and the plain 3-state
    graph): forward, posterior and E-step in probability space with the 3-state kernels' block
    scaling, Viterbi in log space; sampling runs in log space over the full band
    (:class:`pairhmm.engine.banded.BandEngine`)."""

    name = "state-graph scaled"

    def __init__(self, model: Any) -> None:
        super().__init__(model)
        G = model.graph
        T = model.tables
        q = np.stack([T.qx, T.qy])
        #: the kernels' argument bundles: structure, probabilities and their logs
        self.arrays = graph_arrays(G)
        self.probs = GraphProbs(T.em, q, G.T, G.end)
        with np.errstate(divide="ignore"):
            self.logprobs = GraphLogProbs(T.lem, np.log(q), np.log(G.T), np.log(G.end))

    def bytes_per_cell(self, what: str) -> float:
        G = self.model.graph
        S = len(G.names)
        # the output matrix plus the stored forward values of the pair states (kept in the
        # output itself when there is one); the MEA search adds a score and a traceback byte
        k = int(np.count_nonzero(G.kind == 0))
        post = 8.0 if k == 1 else 8.0 + 8.0 * k
        return {"posterior": post, "mea": post + 9.0, "viterbi": float(S),
                "sampling": 8.0 * S}[what]

    def forward(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(gpair.g_forward_logprob(x, y, self.arrays, self.probs))

    def viterbi(self, x: np.ndarray, y: np.ndarray, max_memory: float | None = None,
                traceback: str = "auto") -> ViterbiResult:
        """Full traceback, one byte per state and cell (``traceback`` is not used)."""
        check_memory(x.size, y.size, self.bytes_per_cell("viterbi"), "Viterbi", max_memory)
        score, states = gpair.g_viterbi(x, y, self.arrays, self.logprobs)
        path = self.arrays.kind[states].astype(np.int8) if states.size else states
        return ViterbiResult(score, path, states)

    def viterbi_score(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(gpair.g_viterbi_score(x, y, self.arrays, self.logprobs))

    def posterior(self, x: np.ndarray, y: np.ndarray,
                  max_memory: float | None = None) -> tuple[np.ndarray, float]:
        check_memory(x.size, y.size, self.bytes_per_cell("posterior"), "the posterior", max_memory)
        P, logp = gpair.g_posterior(x, y, self.arrays, self.probs)
        return P, float(logp)

    def sample(self, x: np.ndarray, y: np.ndarray, n: int, seed: int,
               max_memory: float | None = None) -> list[Sample]:
        """In log space over the full band (exact: the traceback compares predecessors of one
        cell at a time)."""
        from ..band import Band

        return self.model.band_engine.sample_in(x, y, Band.full(x.size, y.size), n, seed,
                                                max_memory)[0]

    # ---- many pairs ----------------------------------------------------------------------------
    def counts_layout(self, pairs: EncodedPairs, n_jobs: int | None = None) -> str:
        return "graph"

    def counts_many(self, pairs: EncodedPairs, n_jobs: int | None = None,
                    layout: str | None = None) -> ExpectedCounts:
        with numba_threads(n_jobs):
            rows = gpair.g_counts_many(pairs.codes, pairs.offsets, pairs.index, self.arrays,
                                       self.probs)
        return ExpectedCounts("graph", rows, self.probs.em.shape[0])
