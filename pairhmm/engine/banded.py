"""The banded log-space engine, the band policy of ``band="auto"``, and the log-space engine of
``extreme`` models (the banded kernels over every cell).

:class:`BandEngine` runs the kernels of :mod:`pairhmm._kernels.band` on the model's state graph
(the plain 3-state model is the graph M, X, Y), in log space, inside a :class:`~pairhmm.band.Band`;
it also holds the band policy: memory per band cell, the automatic band (the widest anchored
band that fits), the widths ``band="auto"`` tries, and the two acceptance tests (the alignment
does not touch the band's edge; the band holds the alignment, compared with its check region
:meth:`pairhmm.band.Band.expanded`).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

from .._kernels import band as bk
from .._kernels.bundles import GraphCounts, GraphLogProbs
from ..band import Band, BandEdgeWarning, BandMissWarning
from ..errors import InvalidParameter, MemoryLimitError
from .base import (DEFAULT_MAX_MEMORY, EncodedPairs, Engine, ExpectedCounts, Sample, ViterbiResult,
                   band_rows, check_memory, graph_arrays, human_bytes, zero_probability_error)

__all__ = ["BandEngine", "LogSpaceEngine", "AUTO_BAND_MAX_WIDTH", "AUTO_BAND_START_WIDTH",
           "AUTO_BAND_MAX_OUTSIDE", "AUTO_BAND_CHECK_WIDTH", "AUTO_BAND_MIN_WIDTH"]

#: Widest band ``band="auto"`` tries (cells either side of the guide path); minimap2 uses the
#: same bandwidth (500) for assembly-to-reference alignment.
AUTO_BAND_MAX_WIDTH = 500
#: First band ``band="auto"`` tries (doubled until the alignment passes both checks: it does
#: not touch the band's edge, and the band holds the alignment's probability, see
#: :data:`AUTO_BAND_MAX_OUTSIDE`).
AUTO_BAND_START_WIDTH = 100
#: ``band="auto"`` accepts a band only when alignments leaving it carry at most this share of
#: the probability of the alignments in its check region (:meth:`pairhmm.band.Band.expanded`):
#: then every banded posterior is within about this much of the region's.
AUTO_BAND_MAX_OUTSIDE = 1e-3
#: How far (cells either side of the guide) the check region of ``band="auto"`` reaches between
#: anchors that lie far apart: twice the widest automatic band, so that even a miss of that band
#: is seen (the forward sum used by the check runs in linear memory).
AUTO_BAND_CHECK_WIDTH = 2 * AUTO_BAND_MAX_WIDTH
#: Narrowest band ``band="auto"`` accepts before refusing for lack of memory.
AUTO_BAND_MIN_WIDTH = 16

_LABEL = {"viterbi": "Viterbi", "mea": "MEA alignment", "posterior": "the posterior",
          "forward": "the forward algorithm", "sampling": "sampling"}


class BandEngine:
    """Banded log-space algorithms of a model over its state graph, and the band policy.

    Parameters
    ----------
    model : PairHMM
    """

    name = "banded log-space"

    def __init__(self, model: Any) -> None:
        self.model = model
        G = model.graph
        T = model.tables
        #: the kernels' argument bundles: the graph's structure and its log probabilities
        self.arrays = graph_arrays(G)
        with np.errstate(divide="ignore"):
            self.logprobs = GraphLogProbs(T.lem, np.log(np.stack([T.qx, T.qy])), np.log(G.T),
                                          np.log(G.end))

    def __repr__(self) -> str:
        return f"<BandEngine of {self.model!r}>"

    def _args(self, x: np.ndarray, y: np.ndarray, band: Band) -> tuple:
        return (x, y, band_rows(band), self.arrays, self.logprobs)

    # ---- kernels -------------------------------------------------------------------------------
    def forward(self, x: np.ndarray, y: np.ndarray, band: Band) -> float:
        """log P(x, y) over the alignments inside ``band`` (two rows of memory)."""
        return float(bk.band_forward_logprob(*self._args(x, y, band)))

    def forward_matrix(self, x: np.ndarray, y: np.ndarray, band: Band) -> tuple[np.ndarray, float]:
        """Log forward values of every band cell and state (n_cells, S), and log P(x, y)."""
        F, logp = bk.band_forward(*self._args(x, y, band))
        return F, float(logp)

    def viterbi(self, x: np.ndarray, y: np.ndarray, band: Band) -> ViterbiResult:
        """The best path inside ``band``: score, kinds and graph states."""
        score, states = bk.band_viterbi(*self._args(x, y, band))
        path = self.model.graph.kind[states].astype(np.int8) if states.size else states
        return ViterbiResult(float(score), path, states)

    def viterbi_score(self, x: np.ndarray, y: np.ndarray, band: Band) -> float:
        """log P(x, y, best path inside ``band``), no traceback."""
        return float(bk.band_viterbi_logprob(*self._args(x, y, band)))

    def posterior(self, x: np.ndarray, y: np.ndarray, band: Band) -> tuple[np.ndarray, float]:
        """Flat banded posterior match probabilities (n_cells,) and log P(x, y) over the band."""
        P, logp = bk.band_posterior(*self._args(x, y, band))
        return P, float(logp)

    def counts(self, x: np.ndarray, y: np.ndarray, band: Band, out: tuple) -> float:
        """Expected counts inside ``band`` added to ``out`` = (transitions (S+1, S+1), ends (S,),
        match (C, C), inserts (2, C)); returns log P(x, y) over the band."""
        return float(bk.band_counts(*self._args(x, y, band), GraphCounts(*out)))

    def mea(self, P: np.ndarray, band: Band, gx: np.ndarray, gy: np.ndarray) -> tuple[float, np.ndarray]:
        """Maximum expected accuracy path over a flat banded posterior."""
        score, path = bk.band_mea(P, band.n, band.m, band_rows(band), gx, gy)
        return float(score), path

    def gap_posteriors(self, P: np.ndarray, band: Band) -> tuple[np.ndarray, np.ndarray]:
        """P(residue unaligned) of each x and y residue from a flat banded posterior."""
        rx, ry = bk.band_gap_posteriors(P, band.n, band.m, band_rows(band))
        return np.clip(1.0 - rx, 0.0, 1.0), np.clip(1.0 - ry, 0.0, 1.0)

    @staticmethod
    def match_posteriors(P: np.ndarray, band: Band, path: Any) -> np.ndarray:
        """P(x_i ~ y_j) of the matched columns of ``path`` from a flat banded posterior (zero
        for cells outside the band)."""
        ci, cj = band.path_cells(path)  # DP cell after each column: (i, j) of a match is x_i ~ y_j
        match = np.asarray(path) == 0
        i, j = ci[match], cj[match]
        inside = (j >= band.lo[i]) & (j <= band.hi[i])
        out = np.zeros(i.size)
        out[inside] = P[band.start[i[inside]] + j[inside] - band.lo[i[inside]]]
        return out

    def checked_posterior(self, x: np.ndarray, y: np.ndarray, band: Band,
                          result: tuple | None = None) -> np.ndarray:
        """:meth:`posterior` (or its ``(P, log_likelihood)`` when already computed), raising
        when no alignment inside the band has probability > 0: a
        :class:`~pairhmm.errors.ZeroProbabilityError` when the model is the cause, else
        :class:`~pairhmm.errors.InvalidParameter` naming the band."""
        P, logp = self.posterior(x, y, band) if result is None else result
        if not math.isfinite(logp):
            err = zero_probability_error(self.model, x, y)
            if err.residues:  # the model, not the band, is the cause
                raise err
            raise InvalidParameter("band", band.describe(),
                                   "no alignment inside the band has non-zero probability")
        return P

    def sample_in(self, x: np.ndarray, y: np.ndarray, band: Band, n: int, seed: int,
                  max_memory: float | None = None) -> tuple[list[Sample], float, Band]:
        """``n`` paths drawn inside ``band`` (exact in log space), their band (checked against
        ``max_memory``) and log P(x, y) over it."""
        b = self.resolve(x, y, band, self.bytes_per_cell("sampling"), "sampling", max_memory)
        F, logp = self.forward_matrix(x, y, b)
        if not math.isfinite(logp):
            raise zero_probability_error(self.model, x, y)
        paths, lps = bk.band_sample(*self._args(x, y, b), F, int(n), seed)
        kind = self.arrays.kind
        out = []
        for row, lp in zip(paths, lps):
            states = row[row >= 0]
            out.append(Sample(kind[states].astype(np.int8), states, float(lp)))
        return out, logp, b

    # ---- the band policy -----------------------------------------------------------------------
    def bytes_per_cell(self, what: str) -> float:
        """Memory per band cell of a banded algorithm."""
        S = len(self.model.graph.names)
        return {"viterbi": S, "posterior": 8.0 * S + 8, "mea": 8.0 * S + 9, "forward": 0.0,
                "sampling": 8.0 * S}[what]

    def _row_bytes(self, m: int) -> float:
        """The two rows of every state (and the Begin) a banded kernel keeps besides the band."""
        return 8.0 * (len(self.model.graph.names) + 1) * 2 * (m + 1)

    def resolve(self, x: np.ndarray, y: np.ndarray, band: Any, bytes_per_cell: float, what: str,
                max_memory: float | None) -> Band:
        """A :class:`Band` from ``band`` (int width or Band), checked against the pair and memory."""
        if not isinstance(band, Band):
            band = self.model.make_band(x, y, band)
        if band.shape != (x.size, y.size):
            raise InvalidParameter("band", repr(band),
                                   f"is for a {band.n} x {band.m} pair, not {x.size} x {y.size}")
        limit = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
        need = bytes_per_cell * band.n_cells + self._row_bytes(y.size)
        if need > limit:
            raise MemoryLimitError(
                f"{what} in a band of {band.n_cells:,} cells ({band.describe()}) needs about "
                f"{human_bytes(need)}, over the limit of {human_bytes(limit)}: narrow the band or "
                f"raise --max-memory")
        return band

    def auto(self, x: np.ndarray, y: np.ndarray, full_bytes_per_cell: float, what: str,
             max_memory: float | None) -> "Band | None":
        """None when the full DP fits in ``max_memory``; else the widest anchored band (up to
        :data:`AUTO_BAND_MAX_WIDTH`) that fits. ``full_bytes_per_cell``: the full DP's memory
        per cell (``math.inf`` when the caller already knows it does not fit)."""
        limit = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
        n, m = x.size, y.size
        if full_bytes_per_cell * (n + 1) * (m + 1) <= limit:
            return None
        bpc = self.bytes_per_cell(what)
        rows = self._row_bytes(m)
        width = int((limit - rows) / bpc - n - m) // (2 * (n + 1))
        width = min(width, AUTO_BAND_MAX_WIDTH)
        while width >= AUTO_BAND_MIN_WIDTH:
            band = self.model.make_band(x, y, width)
            if bpc * band.n_cells + rows <= limit:
                return band
            width = int(width * 0.8)
        raise MemoryLimitError(
            f"{_LABEL[what]} of a {n} x {m} pair does not fit in {human_bytes(limit)}, not even in "
            f"a band of +-{AUTO_BAND_MIN_WIDTH} cells: raise --max-memory, or use `pairhmm score` "
            f"(linear memory)")

    @staticmethod
    def auto_widths(widest: Band) -> list[int]:
        """Band widths ``band="auto"`` tries before ``widest``: :data:`AUTO_BAND_START_WIDTH`,
        doubled while narrower than ``widest``."""
        widths = []
        w = AUTO_BAND_START_WIDTH
        while widest.width is not None and w < widest.width:
            widths.append(w)
            w *= 2
        return widths

    def widening(self, x: np.ndarray, y: np.ndarray, widest: Band, run: Callable,
                 check: str = "forward", prepare: Callable | None = None) -> Any:
        """``band="auto"``: align in anchored bands of :data:`AUTO_BAND_START_WIDTH`, doubled until
        a band passes two tests, up to ``widest`` (the widest band that fits in memory):

        1. the alignment does not touch the band's edge (``band_edge_cells == 0``);
        2. the band holds the alignment: it is compared with its check region
           (:meth:`Band.expanded`: the band plus, between anchors further apart than its width,
           every path through both anchors, up to :data:`AUTO_BAND_CHECK_WIDTH` from the guide),
           which is where a band that misses the alignment (an insertion compensated by a
           deletion between two anchors) leaves it. ``check="forward"`` (MEA): alignments
           leaving the band carry at most :data:`AUTO_BAND_MAX_OUTSIDE` of the region's
           probability (the band's and the region's forward sums, the latter in linear memory;
           tested before the alignment is run, so a failing band costs no MEA search).
           ``check="viterbi"``: the best path of the region
           scores no higher than the band's (one banded Viterbi over the region; the forward
           test when the region's traceback would not fit in ``widest``'s memory).

        ``prepare(band) -> (state, log_likelihood)``, if given, runs first on each band: its
        log-likelihood replaces the band's forward sum in the forward test, and ``state`` is
        handed to ``run(band, state)`` (the MEA computes the band's posterior once, for both).

        ``widest`` is used when no narrower band passes; when it fails a test too, the
        alignment's ``band_miss`` says why and a :class:`pairhmm.band.BandMissWarning` is raised
        (a touched edge raises the usual :class:`BandEdgeWarning`). Accepted alignments have
        ``band_miss = None``.
        """
        cache: dict = {}

        def start(band: Band) -> tuple:
            if prepare is None:
                return (band,), None
            state, ll = prepare(band)
            return (band, state), ll

        for w in self.auto_widths(widest):
            band = self.model.make_band(x, y, w)
            args, ll = start(band)
            if check == "forward" and self.miss(x, y, band, cache, log_likelihood=ll) is not None:
                continue  # the alignment lies (partly) outside: no need to run it here
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", BandEdgeWarning)
                aln = run(*args)
            if aln.band_edge_cells:
                continue
            if check == "viterbi" and self.miss(x, y, band, cache, aln.score, widest):
                continue
            aln.band_miss = None
            return aln
        args, ll = start(widest)
        aln = run(*args)
        aln.band_miss = self.miss(x, y, widest, cache, aln.score if check == "viterbi" else None,
                                  widest, log_likelihood=ll)
        if aln.band_miss is not None:
            warnings.warn(aln.band_miss, BandMissWarning, stacklevel=3)
        return aln

    def miss(self, x: np.ndarray, y: np.ndarray, band: Band, cache: dict,
             score: float | None = None, widest: "Band | None" = None,
             log_likelihood: float | None = None, what: str = "the alignment") -> "str | None":
        """None when ``band`` holds the alignment (see :meth:`widening`), else why not.

        With ``score`` (the band's Viterbi score) the best path of the check region is compared
        with it, provided the region's traceback takes no more memory than ``widest``'s; else
        the probability outside the band is (``log_likelihood``: the band's forward value when
        already known). ``what`` names the result in the message. ``cache`` keeps the last
        region's forward value (a region often repeats while the band widens).
        """
        region = band.expanded(max(AUTO_BAND_CHECK_WIDTH, 2 * (band.width or 0)))
        if score is not None and widest is not None and region.n_cells <= widest.n_cells:
            best = self.viterbi(x, y, region).score
            gain = float(best) - float(score)
            if gain <= 1e-9 * max(1.0, abs(float(score))):
                return None
            return (f"a path outside the band {band.describe()} scores {gain:.4g} nats higher "
                    f"(found within +-{region.width} of its guide); {what} may be wrong: "
                    f"raise --max-memory or use a wider --band")
        if log_likelihood is None:
            log_likelihood = self.forward(x, y, band)
        key = (region.lo.tobytes(), region.hi.tobytes())
        if cache.get("key") != key:
            cache["key"] = key
            cache["ll"] = self.forward(x, y, region)
        total = cache["ll"]
        if not math.isfinite(total):
            return None  # no alignment at all: the banded run reports the zero-probability pair
        # P(leaves the band | inside the region) = 1 - P_band / P_region
        outside = 1.0 if not math.isfinite(log_likelihood) else -math.expm1(log_likelihood - total)
        outside = max(0.0, outside)  # the band's sum is part of the region's: rounding only
        if outside <= AUTO_BAND_MAX_OUTSIDE:
            return None
        return (f"alignments outside the band {band.describe()} carry {100 * outside:.3g}% of the "
                f"probability of those within +-{region.width} of its guide (at most "
                f"{100 * AUTO_BAND_MAX_OUTSIDE:g}% accepted); {what} may be wrong: raise "
                f"--max-memory or use a wider --band")

    def annotation_band(self, aln: Any, x: np.ndarray, y: np.ndarray, path: np.ndarray,
                        widest: Band, max_memory: float | None) -> tuple[Band, np.ndarray]:
        """The band of an automatic posterior annotation of ``path`` and its flat posterior:
        the narrowest band of :data:`AUTO_BAND_START_WIDTH` doubled that holds the path well
        inside and passes the forward test of :meth:`widening`, else ``widest`` (then
        ``aln.band_miss`` and a :class:`~pairhmm.band.BandMissWarning` when it fails the test)."""
        cache: dict = {}
        bpc = self.bytes_per_cell("posterior")
        for w in self.auto_widths(widest):
            b = self.model.make_band(x, y, w)
            i, j = b.path_cells(path)
            if np.all((j >= b.lo[i]) & (j <= b.hi[i])) and b.edge_cells(path) == 0:
                b = self.resolve(x, y, b, bpc, "the posterior", max_memory)
                P, logp = self.posterior(x, y, b)
                if self.miss(x, y, b, cache, log_likelihood=logp) is None:
                    return b, P
        b = self.resolve(x, y, widest, bpc, "the posterior", max_memory)
        P = self.checked_posterior(x, y, b)
        miss = self.miss(x, y, b, cache, what="its posterior annotation")
        if miss is not None:
            aln.band_miss = miss
            warnings.warn(miss, BandMissWarning, stacklevel=3)
        return b, P


class LogSpaceEngine(Engine):
    """The exact path of :attr:`pairhmm.PairHMM.extreme` models: forward, posterior, E-step and
    sampling run the banded log-space kernels over every cell (about 10x slower than the scaled
    kernels, but nothing can underflow); Viterbi, always in log space, is the scaled family's.

    Parameters
    ----------
    model : PairHMM
    family : Engine
        The engine the model would use if it were not extreme (its Viterbi is used).
    """

    name = "log-space (full band)"

    def __init__(self, model: Any, family: Engine) -> None:
        super().__init__(model)
        self.family = family
        self.band = model.band_engine

    def bytes_per_cell(self, what: str) -> float:
        if what == "sampling":
            return 8.0 * len(self.model.graph.names)
        return self.family.bytes_per_cell(what)

    def viterbi_memory(self, n: int, m: int) -> float:
        return self.family.viterbi_memory(n, m)

    def forward(self, x: np.ndarray, y: np.ndarray) -> float:
        if x.size and y.size:
            return self.band.forward(x, y, Band.full(x.size, y.size))
        return self.family.forward(x, y)

    def viterbi(self, x: np.ndarray, y: np.ndarray, max_memory: float | None = None,
                traceback: str = "auto") -> ViterbiResult:
        return self.family.viterbi(x, y, max_memory, traceback)

    def viterbi_score(self, x: np.ndarray, y: np.ndarray) -> float:
        return self.family.viterbi_score(x, y)

    def posterior(self, x: np.ndarray, y: np.ndarray,
                  max_memory: float | None = None) -> tuple[np.ndarray, float]:
        check_memory(x.size, y.size, self.family.bytes_per_cell("posterior"), "the posterior",
                     max_memory)
        check_memory(x.size, y.size, 8.0 * len(self.model.graph.names) + 8,
                     "the posterior (log space)", max_memory)
        flat, logp = self.band.posterior(x, y, Band.full(x.size, y.size))
        P = flat.reshape(x.size + 1, y.size + 1)[1:, 1:].copy()
        return P, logp

    def sample(self, x: np.ndarray, y: np.ndarray, n: int, seed: int,
               max_memory: float | None = None) -> list[Sample]:
        return self.band.sample_in(x, y, Band.full(x.size, y.size), n, seed, max_memory)[0]

    def counts_layout(self, pairs: EncodedPairs, n_jobs: int | None = None) -> str:
        return "graph"

    def counts_many(self, pairs: EncodedPairs, n_jobs: int | None = None,
                    layout: str | None = None) -> ExpectedCounts:
        """Per-pair expected counts in log space, in the state-graph kernels' row format, one
        pair after another (about 10x slower than the scaled path)."""
        G = self.model.graph
        C = self.model.tables.em.shape[0]
        S1 = len(G.names) + 1
        P = len(pairs)
        oT, oE = np.zeros((P, S1, S1)), np.zeros((P, S1 - 1))
        oM, oQ, ll = np.zeros((P, C, C)), np.zeros((P, 2, C)), np.zeros(P)
        for k in range(P):
            x, y = pairs.pair(k)
            ll[k] = self.band.counts(x, y, Band.full(x.size, y.size), (oT[k], oE[k], oM[k], oQ[k]))
        return ExpectedCounts("graph", (oT, oE, oM, oQ, ll), C)
