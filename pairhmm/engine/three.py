"""The 3-state engine: the hand-specialised scaled kernels of :mod:`pairhmm._kernels.pair`."""

from __future__ import annotations

import math
import numpy as np

from .._kernels import pair as _k
from .._threads import numba_threads
from ..errors import InvalidParameter, MemoryLimitError
from .base import (DEFAULT_MAX_MEMORY, EncodedPairs, Engine, ExpectedCounts, Sample, ViterbiResult,
                   check_memory, human_bytes, zero_probability_error)

__all__ = ["ThreeStateEngine", "ESTEP_FULL_MATRIX_LIMIT", "checkpoint_plan"]

#: Above this much memory for the 3-state E-step's full forward matrices (24 bytes per cell of
#: the largest pair, per thread), the E-step runs on the state-graph kernels instead, which keep
#: forward checkpoints (O(m sqrt(n)) memory) and give the same counts.
ESTEP_FULL_MATRIX_LIMIT = 1 << 30


def checkpoint_plan(n: int, m: int) -> tuple[int, float]:
    """Rows between checkpoints of the checkpointed 3-state Viterbi, and its memory in bytes."""
    seg = max(1, int(math.ceil(math.sqrt(24.0 * n))))  # minimises 24 (n / seg) m + seg m
    return seg, 24.0 * (n // seg + 1) * (m + 1) + seg * (m + 1) + 8.0 * (n + m)


class ThreeStateEngine(Engine):
    """Durbin's global 3-state model (M, X, Y) on its specialised kernels: forward, posterior,
    E-step and sampling in probability space with block scaling, Viterbi in log space (with
    checkpoints when its traceback does not fit)."""

    name = "3-state scaled"

    def bytes_per_cell(self, what: str) -> float:
        # posterior: the output matrix plus the stored forward values of the pair state (16);
        # the MEA search adds a score and a traceback byte (9); Viterbi: a traceback byte;
        # sampling: the three forward matrices and their block exponents
        return {"posterior": 16.0, "mea": 25.0, "viterbi": 1.0, "sampling": 32.0}[what]

    def viterbi_memory(self, n: int, m: int) -> float:
        return checkpoint_plan(n, m)[1]

    def forward(self, x: np.ndarray, y: np.ndarray) -> float:
        T = self.model.tables
        return float(_k.forward_logprob(x, y, T.em, T.qx, T.qy, T.t))

    def viterbi(self, x: np.ndarray, y: np.ndarray, max_memory: float | None = None,
                traceback: str = "auto") -> ViterbiResult:
        """Full traceback (1 byte per cell) when it fits in ``max_memory``, else checkpoints:
        DP rows kept every sqrt(24 n) rows, segments recomputed during the traceback (about twice
        the time, O(m sqrt(n)) memory, the same path)."""
        T = self.model.tables
        limit = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
        n, m = x.size, y.size
        if traceback not in ("auto", "full", "checkpoint"):
            raise InvalidParameter("traceback", traceback, "choose auto, full or checkpoint")
        if traceback == "full" or (traceback == "auto" and (n + 1) * (m + 1) <= limit):
            check_memory(n, m, 1, "Viterbi", max_memory)
            score, path = _k.viterbi(x, y, T.lem, T.lqx, T.lqy, T.lt)
            return ViterbiResult(score, path, None)
        seg, need = checkpoint_plan(n, m)
        if need > limit:
            raise MemoryLimitError(
                f"Viterbi of a {n} x {m} pair needs at least {human_bytes(need)} even with "
                f"checkpoints, over the limit of {human_bytes(limit)}: raise --max-memory")
        score, path = _k.viterbi_checkpointed(x, y, T.lem, T.lqx, T.lqy, T.lt, seg)
        return ViterbiResult(score, path, None)

    def viterbi_score(self, x: np.ndarray, y: np.ndarray) -> float:
        T = self.model.tables
        score, _ = _k.viterbi(x, y, T.lem, T.lqx, T.lqy, T.lt, False)
        return float(score)

    def posterior(self, x: np.ndarray, y: np.ndarray,
                  max_memory: float | None = None) -> tuple[np.ndarray, float]:
        check_memory(x.size, y.size, self.bytes_per_cell("posterior"), "the posterior", max_memory)
        T = self.model.tables
        P, logp = _k.posterior_match(x, y, T.em, T.qx, T.qy, T.t)
        return P, float(logp)

    def sample(self, x: np.ndarray, y: np.ndarray, n: int, seed: int,
               max_memory: float | None = None) -> list[Sample]:
        """Stochastic traceback through the stored scaled forward matrices."""
        from ..alignment import path_string

        check_memory(x.size, y.size, self.bytes_per_cell("sampling"), "sampling", max_memory)
        T = self.model.tables
        F, S, logp = _k.forward_full(x, y, T.em, T.qx, T.qy, T.t)
        if not math.isfinite(logp):
            raise zero_probability_error(self.model, x, y)
        paths = _k.sample_paths(x, y, T.em, T.qx, T.qy, T.t, F, int(n), seed)
        out = []
        for row in paths:
            p = row[row >= 0]
            out.append(Sample(p, None, self.model.path_log_probability(x, y, path_string(p))))
        return out

    # ---- many pairs ----------------------------------------------------------------------------
    def counts_layout(self, pairs: EncodedPairs, n_jobs: int | None = None) -> str:
        """``"graph"`` when the full forward matrices of the longest pair would take more than
        :data:`ESTEP_FULL_MATRIX_LIMIT` over the threads (the state-graph kernels then keep
        checkpoints instead, with the same counts), else ``"three-state"``."""
        import numba

        lengths = pairs.lengths() + 1
        threads = numba.get_num_threads() if n_jobs is None else int(n_jobs)
        need = 24.0 * float(np.max(lengths[:, 0] * lengths[:, 1])) * min(threads, len(lengths))
        return "graph" if need > ESTEP_FULL_MATRIX_LIMIT else "three-state"

    def counts_many(self, pairs: EncodedPairs, n_jobs: int | None = None,
                    layout: str | None = None) -> ExpectedCounts:
        if layout is None:
            layout = self.counts_layout(pairs, n_jobs)
        if layout == "graph":
            from .graph import GraphEngine

            return GraphEngine(self.model).counts_many(pairs, n_jobs)
        T = self.model.tables
        with numba_threads(n_jobs):
            rows = _k.expected_counts_many(pairs.codes, pairs.offsets, pairs.index, T.em, T.qx,
                                           T.qy, T.t)
        return ExpectedCounts("three-state", (rows,), T.em.shape[0])

    def forward_many(self, pairs: EncodedPairs, n_jobs: int | None = None) -> np.ndarray:
        T = self.model.tables
        return np.array([_k.forward_logprob(x, y, T.em, T.qx, T.qy, T.t) for x, y in pairs.pairs()],
                        dtype=np.float64)
