"""The pair HMM of Durbin et al. (1998), ch. 4: Match, InsertX, InsertY, with X and Y tied.

States and transitions (``Begin`` behaves as M; there are no X <-> Y moves)::

    M -> M  1 - dx - dy - tau     M -> X  dx     M -> Y  dy     M -> End  tau
    X -> M  1 - ex - tau          X -> X  ex                    X -> End  tau
    Y -> M  1 - ey - tau          Y -> Y  ey                    Y -> End  tau

M emits a pair (a, b) with ``match[a, b]``; X emits a with ``insert_x[a]``; Y emits b with
``insert_y[b]``. In the *tied* model (the default) one stored ``delta``, ``epsilon`` and ``insert``
serve both X and Y through :class:`pairhmm.tying.Tying`, so the model is symmetric by construction.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from functools import cached_property
from typing import Any, Iterable, Sequence

import numpy as np
from Bio.Align import Alignment

from .alignment import annotate_columns, annotate_posterior, note_band, posterior_codes, to_alignment
from .alphabet import Alphabet, encode, get_alphabet
from .band import Band, BandMissWarning
from .baumwelch import baum_welch
from .engine import BandEngine, EncodedPairs, Engine, choose_engine
from .engine.banded import (AUTO_BAND_CHECK_WIDTH, AUTO_BAND_MAX_OUTSIDE, AUTO_BAND_MAX_WIDTH,
                            AUTO_BAND_MIN_WIDTH, AUTO_BAND_START_WIDTH)
from .engine.base import (BLOCK_COLUMNS, DEFAULT_MAX_MEMORY, Tables, check_memory, is_extreme,
                          kernel_tables, zero_probability_error)
from .errors import InvalidParameter, ModelFileError
from .tying import Tying
from .variants import build_graph

# the band policy's constants live with the band code (pairhmm.engine.banded), the alignment
# builders in pairhmm.alignment: re-exported here for code written against earlier versions
__all__ = ["PairHMM", "DEFAULT_MAX_MEMORY", "posterior_codes", "blosum62_joint",
           "AUTO_BAND_CHECK_WIDTH", "AUTO_BAND_MAX_OUTSIDE", "AUTO_BAND_MAX_WIDTH",
           "AUTO_BAND_MIN_WIDTH", "AUTO_BAND_START_WIDTH", "BLOCK_COLUMNS"]
_FORMAT = "pairhmm.PairHMM"
_VERSION = 1
_TOL = 1e-6

# BLOSUM62 background (marginal) amino-acid frequencies, Henikoff & Henikoff (1992), in the
# order of pairhmm.PROTEIN (ARNDCQEGHILKMFPSTWYV); the same values BLAST uses for BLOSUM62.
_BLOSUM62_BG = np.array([
    0.0740, 0.0516, 0.0446, 0.0536, 0.0247, 0.0342, 0.0543, 0.0741, 0.0262, 0.0679,
    0.0989, 0.0581, 0.0249, 0.0473, 0.0387, 0.0573, 0.0507, 0.0132, 0.0316, 0.0729,
])

# Documented presets: gap parameters per alphabet. Protein values are ProbCons' published 3-state
# defaults (Do et al. 2005); nucleotide values describe ~80%-identity homologues.
_PRESETS = {
    "protein": dict(delta=0.0199, epsilon=0.7943, tau=0.001),
    "dna": dict(delta=0.03, epsilon=0.6, tau=0.001, identity=0.8),
    "rna": dict(delta=0.03, epsilon=0.6, tau=0.001, identity=0.8),
}


def _pair(value: Any, name: str) -> tuple[float, float, bool]:
    """(x value, y value, given as one shared value?)."""
    if np.ndim(value) == 0:
        v = float(value)
        return v, v, True
    seq = list(np.asarray(value, dtype=float).ravel())
    if len(seq) != 2:
        raise InvalidParameter(name, value, "give one number (tied) or a pair (x, y) (untied)")
    return float(seq[0]), float(seq[1]), False


class PairHMM:
    """Durbin et al. global pair HMM with tied (default) or untied insert states.

    Parameters
    ----------
    match : array_like, shape (A, A)
        Joint emission distribution of the match state (sums to 1).
    insert : array_like, shape (A,) or pair of them
        Insert emission distribution; one vector is shared by X and Y (tied), a pair
        ``(insert_x, insert_y)`` unties them.
    delta : float or (float, float)
        Gap-open probability M -> X (and M -> Y); a pair ``(dx, dy)`` unties them.
    epsilon : float or (float, float)
        Gap-extend probability X -> X (and Y -> Y); a pair unties them.
    tau : float
        Probability of moving to End from any state (0 < tau < 1).
    alphabet : str or Alphabet
        ``"dna"``, ``"rna"``, ``"protein"`` or an :class:`~pairhmm.alphabet.Alphabet`.
    symmetric_match : bool, optional
        Tie ``match[a, b]`` to ``match[b, a]`` (for training on unordered pairs). ``None``
        (default) ties it when the given matrix is symmetric.
    eta : float, optional
        End probability of the random (null) model used for log-odds scores: each sequence is
        emitted independently from the insert distribution with length ~ Geometric(eta), mean
        length (1 - eta) / eta. Defaults to ``tau``.
    mode : {"global", "semiglobal", "local"}
        ``global``: Durbin's global model. ``semiglobal``: terminal residues of one sequence may
        stay unaligned at each end (end gaps), emitted by flanking states. ``local``: prefixes and
        suffixes of both sequences may stay unaligned (Durbin fig. 4.3). See
        :mod:`pairhmm.variants`.
    long_gaps : (delta2, epsilon2), optional
        Add a second pair of insert states for long gaps (ProbCons' double-affine 5-state
        model); scalars when tied, (x, y) pairs when untied.
    flank_loop, flank_start : float
        Loop probability ``lambda`` and entry probability ``phi`` of the flanking states
        (semiglobal/local only).

    Raises
    ------
    InvalidParameter
        A parameter has the wrong shape, is negative, is not a distribution, or makes a
        transition probability non-positive. The message names it and the value found.

    Attributes
    ----------
    engine : pairhmm.engine.Engine
        The engine of the full-matrix algorithms, chosen once per parameter set.
    band_engine : pairhmm.engine.BandEngine
        The banded log-space engine and the band policy.
    monitor_, history_, log_likelihoods_, converged_, n_iter_
        Set by :meth:`fit` (which trains the model in place and returns it).

    Notes
    -----
    X and Y are tied unless *any* of ``insert``, ``delta``, ``epsilon`` is given as a pair; then
    all three are untied (a single value given for one of them is used for both sides).
    """

    def __init__(
        self,
        match: Any,
        insert: Any,
        delta: "float | Sequence[float]",
        epsilon: "float | Sequence[float]",
        tau: float,
        alphabet: "str | Alphabet" = "protein",
        symmetric_match: bool | None = None,
        eta: float | None = None,
        mode: str = "global",
        long_gaps: "tuple | None" = None,
        flank_loop: float = 0.999,
        flank_start: float = 0.1,
    ) -> None:
        self.alphabet = get_alphabet(alphabet)
        A = self.alphabet.size
        match = np.array(match, dtype=float)
        if match.shape != (A, A):
            raise InvalidParameter("match", match.shape,
                                   f"must have shape ({A}, {A}) for the {self.alphabet.name} alphabet")
        _check_distribution("match", match)
        ins = np.array(insert, dtype=float)
        if ins.shape == (A,):
            qx = qy = ins
            ins_tied = True
        elif ins.shape == (2, A):
            qx, qy = ins[0], ins[1]
            ins_tied = False
        else:
            raise InvalidParameter("insert", ins.shape,
                                   f"must have shape ({A},) (tied) or (2, {A}) (untied)")
        _check_distribution("insert_x" if not ins_tied else "insert", qx)
        if not ins_tied:
            _check_distribution("insert_y", qy)
        dx, dy, d_tied = _pair(delta, "delta")
        ex, ey, e_tied = _pair(epsilon, "epsilon")
        tau = float(tau)
        tied = ins_tied and d_tied and e_tied
        if mode not in ("global", "semiglobal", "local"):
            raise InvalidParameter("mode", mode, "choose global, semiglobal or local")
        self.mode = mode
        gaps = [dx, dy, ex, ey]
        if long_gaps is not None:
            if np.ndim(long_gaps) == 0 or len(long_gaps) != 2:
                raise InvalidParameter("long_gaps", long_gaps, "give (delta2, epsilon2)")
            d2x, d2y, d2_tied = _pair(long_gaps[0], "long_gaps delta2")
            e2x, e2y, e2_tied = _pair(long_gaps[1], "long_gaps epsilon2")
            tied = tied and d2_tied and e2_tied
            gaps += [d2x, d2y, e2x, e2y]
        self.long_gaps = long_gaps is not None
        for name, v in zip(("delta", "delta", "epsilon", "epsilon", "delta2", "delta2", "epsilon2",
                            "epsilon2"), gaps):
            if not (0.0 <= v < 1.0) or not math.isfinite(v):
                raise InvalidParameter(name, v, "must be a probability in [0, 1)")
        if not (0.0 <= tau < 1.0) or not math.isfinite(tau):
            raise InvalidParameter("tau", tau, "must be a probability in [0, 1)")
        if tau <= 0.0:
            raise InvalidParameter("tau", tau, "must be > 0 (with tau = 0 no alignment ever ends)")
        open_total = gaps[0] + gaps[1] + (gaps[4] + gaps[5] if self.long_gaps else 0.0)
        if 1.0 - open_total - tau <= 0.0:
            raise InvalidParameter("delta", (dx, dy),
                                   f"M -> M = 1 - (gap opens) - tau = {1 - open_total - tau:.4g} must be > 0")
        for name, e in (("epsilon", ex), ("epsilon", ey)) + ((("epsilon2", gaps[6]), ("epsilon2", gaps[7]))
                                                              if self.long_gaps else ()):
            if 1.0 - e - tau <= 0.0:
                raise InvalidParameter(name, e, f"X -> M = 1 - epsilon - tau = {1 - e - tau:.4g} must be > 0")
        for name, v in (("flank_loop", flank_loop), ("flank_start", flank_start)):
            if not (0.0 < float(v) < 1.0):
                raise InvalidParameter(name, v, "must be in (0, 1)")
        if not float(flank_start) < 0.5:
            raise InvalidParameter("flank_start", flank_start, "must be < 0.5 (two flanks share 2 phi)")
        self.flank_loop = float(flank_loop)
        self.flank_start = float(flank_start)
        if symmetric_match is None:
            symmetric_match = bool(np.allclose(match, match.T, rtol=0, atol=1e-12))
        elif symmetric_match and not np.allclose(match, match.T, rtol=0, atol=1e-9):
            raise InvalidParameter("match", "asymmetric matrix",
                                   "symmetric_match=True needs match[a, b] == match[b, a]")
        self._eta_auto = eta is None
        if eta is None:
            eta = tau
        eta = float(eta)
        if not 0.0 < eta < 1.0:
            raise InvalidParameter("eta", eta, "must be in (0, 1)")
        self.eta = eta
        self.tied = tied
        self.symmetric_match = bool(symmetric_match)

        # --- the tying engine: free parameters and the map from model slots to them -----------
        # gap slots: [delta_x, delta_y, epsilon_x, epsilon_y] (+ the same four of the long-gap
        # class): X and Y share each value when tied
        ng = len(gaps)
        self.gap_tying = Tying(np.arange(ng) // 2) if tied else Tying(np.arange(ng))
        # insert slots: rows (X, Y) x letters
        self.insert_tying = Tying.shared_rows(2, A, [[0, 1]] if tied else None)
        # match slots: unordered pairs share a parameter when symmetric
        if self.symmetric_match:
            iu = np.zeros((A, A), dtype=np.int64)
            k = 0
            for a in range(A):
                for b in range(a, A):
                    iu[a, b] = iu[b, a] = k
                    k += 1
            self.match_tying = Tying(iu)
        else:
            self.match_tying = Tying.untied((A, A))
        self._gap_free = self.gap_tying.gather(np.array(gaps)) if tied else np.array(gaps)
        self._insert_free = self.insert_tying.gather(np.stack([qx, qy]))
        if self.symmetric_match:
            sym = (match + match.T) / 2.0
            self._match_free = self.match_tying.gather(sym)
        else:
            self._match_free = match.ravel().copy()
        self.tau = tau
        self._reset_derived()

    # ------------------------------------------------------------------ parameters
    @property
    def match(self) -> np.ndarray:
        """Match emission matrix, shape (A, A)."""
        return self.match_tying.expand(self._match_free)

    @property
    def insert_x(self) -> np.ndarray:
        """Emission distribution of InsertX, shape (A,)."""
        return self.insert_tying.expand(self._insert_free)[0]

    @property
    def insert_y(self) -> np.ndarray:
        """Emission distribution of InsertY, shape (A,)."""
        return self.insert_tying.expand(self._insert_free)[1]

    @property
    def delta_x(self) -> float:
        return float(self.gap_tying.expand(self._gap_free)[0])

    @property
    def delta_y(self) -> float:
        return float(self.gap_tying.expand(self._gap_free)[1])

    @property
    def epsilon_x(self) -> float:
        return float(self.gap_tying.expand(self._gap_free)[2])

    @property
    def epsilon_y(self) -> float:
        return float(self.gap_tying.expand(self._gap_free)[3])

    @property
    def delta2_x(self) -> float:
        return float(self.gap_tying.expand(self._gap_free)[4]) if self.long_gaps else 0.0

    @property
    def delta2_y(self) -> float:
        return float(self.gap_tying.expand(self._gap_free)[5]) if self.long_gaps else 0.0

    @property
    def epsilon2_x(self) -> float:
        return float(self.gap_tying.expand(self._gap_free)[6]) if self.long_gaps else 0.0

    @property
    def epsilon2_y(self) -> float:
        return float(self.gap_tying.expand(self._gap_free)[7]) if self.long_gaps else 0.0

    @property
    def long_gap_params(self) -> "tuple | None":
        """(delta2, epsilon2) as given to the constructor, or None."""
        if not self.long_gaps:
            return None
        if self.tied:
            return (self.delta2_x, self.epsilon2_x)
        return ((self.delta2_x, self.delta2_y), (self.epsilon2_x, self.epsilon2_y))

    @property
    def is_general(self) -> bool:
        """True for the variants that run on the general state-graph kernels."""
        return self.mode != "global" or self.long_gaps

    @cached_property
    def graph(self):
        """The model's state graph (:class:`pairhmm.variants.Graph`), built once."""
        return build_graph(self)

    @property
    def delta(self) -> "float | tuple[float, float]":
        """Gap-open probability: one number when tied, (dx, dy) when untied."""
        return self.delta_x if self.tied else (self.delta_x, self.delta_y)

    @property
    def epsilon(self) -> "float | tuple[float, float]":
        """Gap-extend probability: one number when tied, (ex, ey) when untied."""
        return self.epsilon_x if self.tied else (self.epsilon_x, self.epsilon_y)

    @property
    def insert(self) -> np.ndarray:
        """Insert emissions: shape (A,) when tied, (2, A) when untied."""
        full = self.insert_tying.expand(self._insert_free)
        return full[0] if self.tied else full

    def transitions(self) -> np.ndarray:
        """Transition matrix over (M, X, Y) -> (M, X, Y, End), shape (3, 4)."""
        dx, dy, ex, ey = self.gap_tying.expand(self._gap_free)[:4]
        tau = self.tau
        return np.array([
            [1.0 - dx - dy - tau, dx, dy, tau],
            [1.0 - ex - tau, ex, 0.0, tau],
            [1.0 - ey - tau, 0.0, ey, tau],
        ])

    def free_parameters(self) -> dict[str, np.ndarray]:
        """Copies of the free parameters behind the tyings: ``match`` (of :attr:`match_tying`),
        ``insert`` (of :attr:`insert_tying`) and ``gaps`` (of :attr:`gap_tying`: delta and
        epsilon of X and Y, and of the long-gap class)."""
        return {"match": self._match_free.copy(), "insert": self._insert_free.copy(),
                "gaps": self._gap_free.copy()}

    def n_free_parameters(self) -> int:
        """Deprecated name of :meth:`n_parameters`."""
        _deprecated("PairHMM.n_free_parameters()", "PairHMM.n_parameters()")
        return self.n_parameters()

    def n_parameters(self) -> int:
        """Number of free parameters (for AIC/BIC and likelihood-ratio tests).

        Each distribution of k free probabilities counts k - 1; tied slots count once.
        """
        A = self.alphabet.size
        n_match = (A * (A + 1) // 2 if self.symmetric_match else A * A) - 1
        n_insert = (A - 1) * (1 if self.tied else 2)
        n_gap = self.gap_tying.n_free
        n_flank = 1 if self.mode != "global" else 0  # lambda (phi is a fixed setting)
        return n_match + n_insert + n_gap + 1 + n_flank  # + tau

    #: what is derived from the parameters, built on first use (functools.cached_property)
    _DERIVED = ("tables", "graph", "extreme", "engine", "band_engine")

    def _reset_derived(self) -> None:
        """Forget what is derived from the parameters (kernel tables, graph, engines): they are
        rebuilt on first use after the parameters change."""
        for name in self._DERIVED:
            self.__dict__.pop(name, None)

    def __getstate__(self) -> dict:
        # what is derived from the parameters is rebuilt where the model lands (a worker)
        return {k: v for k, v in self.__dict__.items() if k not in self._DERIVED}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)

    @cached_property
    def extreme(self) -> bool:
        """True when the scaled full-matrix kernels cannot represent this model safely.

        They keep one binary exponent per row block of 32 columns, so the values inside a block
        must stay within the double range. Along a row the values can fall by the smallest
        insert emission times the smallest insert self-loop per column; when 32 such steps
        reach 1e-250 (an insert probability below about 1e-8, as Baum-Welch without
        pseudocounts can produce on small data) the forward, posterior and E-step run in log
        space instead (exact, about 10x slower). Viterbi is always in log space.
        """
        return is_extreme(self)

    @cached_property
    def tables(self) -> Tables:
        """Kernel tables (built once per parameter set, cached)."""
        return kernel_tables(self)

    @cached_property
    def engine(self) -> Engine:
        """The engine that runs this model's full-matrix algorithms, chosen once per parameter
        set (see :func:`pairhmm.engine.choose_engine`): 3-state, state graph, or log space."""
        return choose_engine(self)

    @cached_property
    def band_engine(self) -> BandEngine:
        """The banded log-space engine of this model, with the band policy of ``band="auto"``."""
        return BandEngine(self)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def default(cls, kind: str = "protein", tied: bool = True) -> "PairHMM":
        """The textbook 3-state global model of an alphabet (see :meth:`preset` for the shipped,
        benchmark-chosen model that the command line uses).

        Parameters
        ----------
        kind : {"protein", "dna", "rna"}
            ``protein``: match emissions ``p_ab = q_a q_b exp(lambda s_ab)`` from BLOSUM62
            (Biopython's ``substitution_matrices``) and its background frequencies ``q``, with
            lambda solved so that p sums to 1; ProbCons' gap parameters (delta = 0.0199,
            epsilon = 0.7943), tau = 0.001. ``dna``/``rna``: Jukes-Cantor substitution at 80%
            identity (``p_aa = 0.2``, ``p_ab = 0.2/12``), uniform inserts, delta = 0.03,
            epsilon = 0.6, tau = 0.001.
        tied : bool
            Return the tied (symmetric) model; ``False`` returns the same numbers untied.
        """
        kind = str(kind).lower()
        if kind not in _PRESETS:
            raise InvalidParameter("preset", kind, f"choose one of {', '.join(_PRESETS)}")
        p = _PRESETS[kind]
        if kind == "protein":
            match, q = blosum62_joint()
        else:
            pid = p["identity"]
            match = np.full((4, 4), (1.0 - pid) / 12.0)
            np.fill_diagonal(match, pid / 4.0)
            q = np.full(4, 0.25)
        model = cls(match, q, p["delta"], p["epsilon"], p["tau"], alphabet=kind)
        return model if tied else model.untied()

    @classmethod
    def preset(cls, kind: str = "protein", tied: bool = True) -> "PairHMM":
        """The shipped preset of an alphabet: what ``pairhmm align`` uses with no options.

        For ``protein`` it is the model chosen by the alignment-accuracy benchmark
        (``benchmarks/choose_preset.py``; ``data/README.md`` says how it was made), stored in
        the package as ``pairhmm/presets/protein.json``. Alphabets without a shipped file fall
        back to :meth:`default`.
        """
        kind = str(kind).lower()
        if kind not in _PRESETS:
            raise InvalidParameter("preset", kind, f"choose one of {', '.join(_PRESETS)}")
        shipped = _shipped_preset(kind)
        if shipped is None:
            return cls.default(kind, tied=tied)
        return shipped if tied else shipped.untied()

    def untie(self) -> "PairHMM":
        """Deprecated name of :meth:`untied`."""
        _deprecated("PairHMM.untie()", "PairHMM.untied()")
        return self.untied()

    def untied(self) -> "PairHMM":
        """The same numbers with X and Y untied (a new model: a starting point for an untied
        fit)."""
        lg = None
        if self.long_gaps:
            lg = ((self.delta2_x, self.delta2_y), (self.epsilon2_x, self.epsilon2_y))
        return PairHMM(self.match, np.stack([self.insert_x, self.insert_y]),
                       (self.delta_x, self.delta_y), (self.epsilon_x, self.epsilon_y), self.tau,
                       self.alphabet, symmetric_match=self.symmetric_match,
                       eta=None if self._eta_auto else self.eta, mode=self.mode, long_gaps=lg,
                       flank_loop=self.flank_loop, flank_start=self.flank_start)

    def copy(self, **changes: Any) -> "PairHMM":
        """A new model with some constructor arguments replaced."""
        kw = dict(match=self.match, insert=self.insert, delta=self.delta, epsilon=self.epsilon,
                  tau=self.tau, alphabet=self.alphabet, symmetric_match=self.symmetric_match,
                  eta=None if self._eta_auto else self.eta, mode=self.mode,
                  long_gaps=self.long_gap_params, flank_loop=self.flank_loop,
                  flank_start=self.flank_start)
        kw.update(changes)
        return PairHMM(**kw)

    # ------------------------------------------------------------------ input
    def encode(self, seq: Any, name: str | None = None) -> np.ndarray:
        """Encode a sequence for this model's alphabet (see :func:`pairhmm.encode`)."""
        return encode(seq, self.alphabet, name)

    def encode_pairs(self, pairs: Iterable[tuple[Any, Any]]) -> EncodedPairs:
        """Encode many pairs once, for the many-pair engine methods (``counts_many``, ...)."""
        return EncodedPairs.from_pairs(pairs, self.alphabet)

    def _prepare(self, x: Any, y: Any, allow_empty: bool = False) -> tuple[np.ndarray, np.ndarray]:
        ex = self.encode(x, "x")
        ey = self.encode(y, "y")
        if not allow_empty and (ex.size == 0 or ey.size == 0):
            which = "x" if ex.size == 0 else "y"
            raise InvalidParameter(which, "", "sequence is empty")
        return ex, ey

    # ------------------------------------------------------------------ algorithms
    def log_likelihood(self, x: Any, y: Any, band: "int | Band | None" = None) -> float:
        """Natural log of P(x, y | model), summed over all alignments (forward algorithm).

        Runs in linear memory, so it works for sequences far longer than :meth:`viterbi`.

        Parameters
        ----------
        x, y : str, Bio.Seq.Seq, SeqRecord or array of int
        band : int or Band, optional
            Sum only over the alignments inside a band (an int is the half-width of a band
            around k-mer anchors, see :meth:`make_band`): a lower bound of the full value.
        """
        ex, ey = self._prepare(x, y, allow_empty=band is None)
        if band is not None:
            be = self.band_engine
            return be.forward(ex, ey, be.resolve(ex, ey, band, 0.0, "the forward algorithm", None))
        return self.engine.forward(ex, ey)

    # ------------------------------------------------------------------ bands
    def make_band(self, x: Any, y: Any, width: int, guide: str = "anchors",
                  k: int | None = None) -> Band:
        """A band for the pair ``x``, ``y`` (see :mod:`pairhmm.band`).

        Parameters
        ----------
        width : int
            Cells either side of the guide path.
        guide : {"anchors", "diagonal"}
            ``anchors``: the path through the longest co-linear chain of k-mers that occur once
            in each sequence (the diagonal band when there are none); ``diagonal``: the
            diagonals through (0, 0) and (n, m) and those between them.
        k : int, optional
            Anchor word length (default :func:`pairhmm.band.default_kmer`: fewer than 0.01
            chance matches expected).
        """
        ex, ey = self._prepare(x, y)
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 0:
            raise InvalidParameter("band", width, "the band width must be an integer >= 0")
        if guide == "anchors":
            return Band.around_anchors(ex, ey, int(width), k, self.alphabet.size)
        if guide == "diagonal":
            return Band.diagonal(ex.size, ey.size, int(width))
        raise InvalidParameter("guide", guide, "choose anchors or diagonal")

    def random_log_likelihood(self, x: Any, y: Any) -> float:
        """log P(x, y | R): Durbin's random model, x and y emitted independently.

        Each sequence is drawn from its insert distribution with an end probability ``eta``
        after every residue: ``P_R = eta^2 (1 - eta)^(n + m) prod q_x(x_i) prod q_y(y_j)``.
        """
        ex, ey = self._prepare(x, y, allow_empty=True)
        T = self.tables
        return float(2 * math.log(self.eta) + (ex.size + ey.size) * math.log1p(-self.eta)
                     + T.lqx[ex].sum() + T.lqy[ey].sum())

    def log_odds(self, x: Any, y: Any) -> float:
        """Log-odds of the pair model against the random model: log P(x,y|M) - log P(x,y|R)."""
        return self.log_likelihood(x, y) - self.random_log_likelihood(x, y)

    def viterbi(self, x: Any, y: Any, max_memory: float | None = None,
                traceback: str = "auto", band: "int | Band | str | None" = None) -> Alignment:
        """Most probable alignment.

        The traceback takes one byte per DP cell; when that exceeds ``max_memory`` (default
        4 GiB) the path is found with checkpoints in O(len(y) sqrt(len(x))) memory instead, at
        about twice the time, with the same result. ``traceback="full"`` or ``"checkpoint"``
        forces one of the two.

        Parameters
        ----------
        band : int, Band or "auto", optional
            Search only inside a band (an int is the half-width of a band around k-mer anchors,
            see :meth:`make_band`). ``"auto"``: the full DP when it fits in ``max_memory`` (for
            the 3-state model whenever its checkpoints fit), else anchored bands of
            :data:`AUTO_BAND_START_WIDTH` doubled, up to the widest band that fits (at most
            :data:`AUTO_BAND_MAX_WIDTH`), until the path does not touch the band's edge and no
            better path lies in the band's check region (:meth:`pairhmm.band.Band.expanded`:
            every path through the anchors, so a band that misses the alignment between two
            anchors is caught; see :meth:`pairhmm.engine.BandEngine.widening`). When even the
            widest band fails, it is used and a :class:`pairhmm.band.BandMissWarning` is raised.
            A path that touches the band's edge raises a :class:`pairhmm.band.BandEdgeWarning`.

        Returns
        -------
        Bio.Align.Alignment
            With ``score`` = natural log probability of the path (emissions, transitions and
            End), and ``path`` = the state string (``M``, ``X``, ``Y``). ``band`` is the band
            used (None for the full DP) and ``band_edge_cells`` the number of path cells on its
            edge; with ``band="auto"``, ``band_miss`` is None when the band passed its check,
            else the reason it did not.
        """
        ex, ey = self._prepare(x, y)
        be = self.band_engine
        if isinstance(band, str):
            if band != "auto":
                raise InvalidParameter("band", band, "give a width, a Band, 'auto' or None")
            limit = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
            # exact (for the 3-state model by checkpoints) whenever it fits; else a band
            # (full_bytes_per_cell=inf skips the full-DP test)
            band = None if self.engine.viterbi_memory(ex.size, ey.size) <= limit else be.auto(
                ex, ey, math.inf, "viterbi", max_memory)
            if band is not None:
                return be.widening(ex, ey, band, lambda b: self.viterbi(
                    x, y, max_memory=max_memory, traceback=traceback, band=b), check="viterbi")
        if band is not None:
            band = be.resolve(ex, ey, band, be.bytes_per_cell("viterbi"), "Viterbi", max_memory)
            res = be.viterbi(ex, ey, band)
        else:
            res = self.engine.viterbi(ex, ey, max_memory, traceback)
        if not math.isfinite(res.score):
            raise zero_probability_error(self, ex, ey)
        aln = to_alignment(x, y, res.path, self.alphabet)
        aln.score = float(res.score)
        if res.states is not None:
            aln.states = [self.graph.names[s] for s in res.states]
        note_band(aln, band, res.path, "the Viterbi path")
        return aln

    def viterbi_score(self, x: Any, y: Any, band: "int | Band | None" = None) -> float:
        """log P(x, y, best path) in linear memory (no traceback): for very long pairs.

        With ``band`` (a half-width around k-mer anchors, see :meth:`make_band`, or a
        :class:`~pairhmm.band.Band`), the best path inside the band (a lower bound).
        """
        if band is not None:
            ex, ey = self._prepare(x, y)
            be = self.band_engine
            b = be.resolve(ex, ey, band, 0.0, "the Viterbi score", None)  # checks the band's shape
            return be.viterbi_score(ex, ey, b)
        ex, ey = self._prepare(x, y, allow_empty=True)
        return self.engine.viterbi_score(ex, ey)

    def path_log_probability(self, x: Any, y: Any, path: str) -> float:
        """log P(x, y, path) for an explicit state path (``M``/``X``/``Y`` string)."""
        ex, ey = self._prepare(x, y, allow_empty=True)
        T = self.tables
        i = j = 0
        prev = "M"
        lp = 0.0
        idx = {"M": 0, "X": 1, "Y": 2}
        with np.errstate(divide="ignore"):
            tr = np.log(self.transitions())
        for s in path:
            lp += tr[idx[prev], idx[s]]
            if s == "M":
                lp += T.lem[ex[i], ey[j]]
                i += 1
                j += 1
            elif s == "X":
                lp += T.lqx[ex[i]]
                i += 1
            else:
                lp += T.lqy[ey[j]]
                j += 1
            prev = s
        if i != ex.size or j != ey.size:
            raise InvalidParameter("path", path, "does not consume both sequences exactly")
        return float(lp + tr[idx[prev], 3])

    def posterior(self, x: Any, y: Any, max_memory: float | None = None,
                  band: "int | Band | None" = None) -> np.ndarray:
        """Posterior match probabilities, by forward-backward over the full DP matrix.

        Parameters
        ----------
        band : int or Band, optional
            Deprecated: use :meth:`sparse_posterior` (with ``band`` this returned a sparse
            array; it still does for one release, with a DeprecationWarning).

        Returns
        -------
        P : ndarray, shape (len(x), len(y))
            ``P[i, j]`` = P(x_i aligned to y_j | x, y).
        """
        if band is not None:
            _deprecated("PairHMM.posterior(..., band=...)", "PairHMM.sparse_posterior(x, y, band)")
            return self.sparse_posterior(x, y, band, max_memory=max_memory)
        ex, ey = self._prepare(x, y)
        P, logp = self.engine.posterior(ex, ey, max_memory)
        if not math.isfinite(logp):
            raise zero_probability_error(self, ex, ey)
        return P

    def sparse_posterior(self, x: Any, y: Any, band: "int | Band",
                         max_memory: float | None = None) -> Any:
        """Posterior match probabilities inside a band (forward-backward in the band only:
        memory grows with the band, not with the matrix).

        Parameters
        ----------
        band : int or Band
            A band (an int is the half-width of a band around k-mer anchors, see
            :meth:`make_band`).

        Returns
        -------
        P : scipy.sparse.csr_array, shape (len(x), len(y))
            ``P[i, j]`` = P(x_i aligned to y_j | x, y) among the alignments inside the band
            (zero outside it).
        """
        ex, ey = self._prepare(x, y)
        be = self.band_engine
        b = be.resolve(ex, ey, band, be.bytes_per_cell("posterior"), "the posterior", max_memory)
        return b.to_sparse(be.checked_posterior(ex, ey, b))

    def mea(self, x: Any, y: Any, gap_factor: float = 0.0,
            max_memory: float | None = None, band: "int | Band | str | None" = None) -> Alignment:
        """Maximum expected accuracy alignment (ProbCons' posterior decoding).

        Maximises the sum of posterior match probabilities of the aligned pairs plus
        ``gap_factor`` times the posterior probability of each residue that is left unaligned.
        ``gap_factor = 0`` is ProbCons' objective (expected number of correctly aligned pairs);
        ``gap_factor = 1`` also rewards correctly predicted gaps (expected accuracy over all
        residues); larger values give more gaps.

        Parameters
        ----------
        band : int, Band or "auto", optional
            Forward-backward and the MEA search inside a band only (an int is the half-width of
            a band around k-mer anchors, see :meth:`make_band`). ``"auto"``: the full DP when
            its matrices fit in ``max_memory``, else anchored bands of
            :data:`AUTO_BAND_START_WIDTH` doubled, up to the widest band that fits (at most
            :data:`AUTO_BAND_MAX_WIDTH`), until alignments leaving the band carry at most
            :data:`AUTO_BAND_MAX_OUTSIDE` of the probability of its check region
            (:meth:`pairhmm.band.Band.expanded`: every path through the anchors, so a band that
            misses the alignment between two anchors is caught; the band's posterior gives its
            share and a forward sum the region's, before the MEA search runs) and the alignment
            does not touch the band's edge. When even the widest band fails, it is used and a
            :class:`pairhmm.band.BandMissWarning` is raised.
            A path that touches the band's edge raises a :class:`pairhmm.band.BandEdgeWarning`.

        Returns
        -------
        Bio.Align.Alignment
            ``score`` = the expected accuracy objective; ``column_posterior`` = the posterior
            of each column (match: P(x_i ~ y_j); gap: P(residue unaligned)); ``band`` = the band
            used (None for the full DP) and ``band_edge_cells`` the path cells on its edge; with
            ``band="auto"``, ``band_miss`` is None when the band passed its check, else the
            reason it did not.
        """
        ex, ey = self._prepare(x, y)
        if not (gap_factor >= 0.0 and math.isfinite(gap_factor)):
            raise InvalidParameter("gap_factor", gap_factor, "must be a finite number >= 0")
        be = self.band_engine
        if isinstance(band, str):
            if band != "auto":
                raise InvalidParameter("band", band, "give a width, a Band, 'auto' or None")
            band = be.auto(ex, ey, self.engine.bytes_per_cell("mea"), "mea", max_memory)
            if band is not None:
                def posterior(b: Band) -> tuple:
                    b = be.resolve(ex, ey, b, be.bytes_per_cell("mea"), "MEA alignment", max_memory)
                    P, logp = be.posterior(ex, ey, b)
                    return (P, logp), logp

                return be.widening(ex, ey, band, lambda b, post: self._mea_in_band(
                    x, y, ex, ey, gap_factor, max_memory, b, post), prepare=posterior)
        if band is not None:
            return self._mea_in_band(x, y, ex, ey, gap_factor, max_memory, band)
        check_memory(ex.size, ey.size, self.engine.bytes_per_cell("mea"), "MEA alignment",
                     max_memory)
        P = self.posterior(ex, ey, max_memory=max_memory)
        gx = gap_factor * np.clip(1.0 - P.sum(axis=1), 0.0, 1.0)
        gy = gap_factor * np.clip(1.0 - P.sum(axis=0), 0.0, 1.0)
        score, path = self.engine.mea(P, gx, gy)
        aln = to_alignment(x, y, path, self.alphabet)
        aln.score = score
        annotate_posterior(aln, path, P)
        note_band(aln, None, path, "")
        return aln

    def _mea_in_band(self, x: Any, y: Any, ex: np.ndarray, ey: np.ndarray, gap_factor: float,
                     max_memory: float | None, band: "int | Band",
                     posterior: tuple | None = None) -> Alignment:
        """MEA alignment in a band (``posterior``: the band's ``(P, log_likelihood)``, when
        already computed)."""
        be = self.band_engine
        b = be.resolve(ex, ey, band, be.bytes_per_cell("mea"), "MEA alignment", max_memory)
        P = be.checked_posterior(ex, ey, b, posterior)
        px_gap, py_gap = be.gap_posteriors(P, b)
        score, path = be.mea(P, b, gap_factor * px_gap, gap_factor * py_gap)
        aln = to_alignment(x, y, path, self.alphabet)
        aln.score = score
        annotate_columns(aln, path, be.match_posteriors(P, b, path), px_gap, py_gap)
        note_band(aln, b, path, "the MEA alignment")
        return aln

    def annotate_posterior(self, aln: Alignment, x: Any, y: Any, max_memory: float | None = None,
                           band: "Band | str | None" = None) -> None:
        """Annotate an alignment of ``x`` and ``y`` (e.g. a Viterbi path) with posterior
        probabilities: ``column_posterior`` and ``residue_posterior``.

        Parameters
        ----------
        aln : Bio.Align.Alignment
            An alignment with ``path`` (the ``M``/``X``/``Y`` string), as :meth:`viterbi`
            returns.
        band : Band or "auto", optional
            None: the full posterior matrix. A Band: the posterior in that band. ``"auto"``:
            the full matrix when it fits in ``max_memory``, else the narrowest band of
            :data:`AUTO_BAND_START_WIDTH` doubled that holds the path well inside and passes the
            forward test of ``band="auto"``, else the widest that fits (``aln.band_miss`` and
            a :class:`~pairhmm.band.BandMissWarning` when that one fails the test).
        """
        ex, ey = self._prepare(x, y)
        path = np.array(["MXY".index(c) for c in aln.path], dtype=np.int8)
        be = self.band_engine
        P = None
        if isinstance(band, str):
            band = be.auto(ex, ey, self.engine.bytes_per_cell("posterior"), "posterior", max_memory)
            if band is not None:
                band, P = be.annotation_band(aln, ex, ey, path, band, max_memory)
        if band is None:
            annotate_posterior(aln, path, self.posterior(ex, ey, max_memory=max_memory))
            return
        b = be.resolve(ex, ey, band, be.bytes_per_cell("posterior"), "the posterior", max_memory)
        if P is None:
            P = be.checked_posterior(ex, ey, b)
        px_gap, py_gap = be.gap_posteriors(P, b)
        annotate_columns(aln, path, be.match_posteriors(P, b, path), px_gap, py_gap)

    def sample_alignments(self, x: Any, y: Any, n: int = 1, random_state: "int | np.random.Generator | None" = None,
                          max_memory: float | None = None,
                          band: "int | Band | None" = None) -> list[Alignment]:
        """Alignments drawn from the posterior P(alignment | x, y) by stochastic traceback.

        Parameters
        ----------
        n : int
            Number of alignments.
        random_state : int, Generator or None
            Seed; the same seed gives the same alignments.
        band : int, Band or "auto", optional
            Draw from the alignments inside a band only (see :meth:`make_band`). ``"auto"``:
            the full matrix when its forward values fit in ``max_memory``, else the widest
            anchored band that fits, checked as in :meth:`mea` (alignments leaving it may carry
            at most :data:`AUTO_BAND_MAX_OUTSIDE` of the probability of its check region; else a
            :class:`pairhmm.band.BandMissWarning`, and each sample's ``band_miss`` says why).
            Banded samples carry the ``band`` they were drawn from.

        Returns
        -------
        list of Bio.Align.Alignment
            Each with ``score`` = log P(x, y, path); for model variants also ``states``, the
            state of each column.
        """
        ex, ey = self._prepare(x, y)
        if n < 0:
            raise InvalidParameter("n", n, "must be >= 0")
        rng = np.random.default_rng(random_state)
        seed = int(rng.integers(0, 2**31 - 1))
        be = self.band_engine
        auto = isinstance(band, str)
        if auto:
            if band != "auto":
                raise InvalidParameter("band", band, "give a width, a Band, 'auto' or None")
            band = be.auto(ex, ey, self.engine.bytes_per_cell("sampling"), "sampling", max_memory)
        miss = None
        if band is None:
            samples = self.engine.sample(ex, ey, n, seed, max_memory)
        else:
            samples, logp, band = be.sample_in(ex, ey, band, n, seed, max_memory)
            if auto:  # the forward test of band="auto" (see BandEngine.widening)
                miss = be.miss(ex, ey, band, {}, log_likelihood=logp, what="the samples")
                if miss is not None:
                    warnings.warn(miss, BandMissWarning, stacklevel=2)
        out = []
        for s in samples:
            aln = to_alignment(x, y, s.path, self.alphabet)
            aln.score = s.score
            if s.states is not None:
                aln.states = [self.graph.names[k] for k in s.states]
            if band is not None:
                aln.band = band
                aln.band_edge_cells = band.edge_cells(s.path)
                if auto:
                    aln.band_miss = miss
            out.append(aln)
        return out

    # ------------------------------------------------------------------ training
    def fit(self, pairs: Iterable[tuple[Any, Any]], max_iter: int = 100, tol: float = 1e-4,
            pseudocount: float = 0.0, freeze: Any = None, random_state: Any = None,
            init: str = "model", n_jobs: int | None = None, callback: Any = None,
            scheduler: Any = None) -> "PairHMM":
        """Baum-Welch on unaligned pairs, starting from this model.

        The E-step runs forward-backward on every pair (in parallel on ``n_jobs`` threads; the
        result does not depend on the thread count) and collects expected transition and
        emission counts; the tying engine pools them over every tied slot (X and Y, p_ab and
        p_ba) and over all pairs; the M-step normalises once.

        Parameters
        ----------
        pairs : iterable of (x, y)
            Sequences as str, Seq, SeqRecord or code arrays.
        max_iter : int
            Maximum number of EM iterations.
        tol : float
            Stop when the total log-likelihood improves by less than this.
        pseudocount : float
            Dirichlet pseudocount added to every expected count. 0 (the default) is the
            maximum-likelihood fit: residues or pairs absent from ``pairs`` get probability 0,
            and the fitted model raises :class:`~pairhmm.errors.ZeroProbabilityError` on pairs
            that hold them; a pseudocount (``pairhmm train`` uses 1) keeps them possible.
        freeze : iterable of str or dict, optional
            Parameters kept fixed: ``match``, ``insert``, ``delta``, ``epsilon``, ``tau``; a dict
            may give a boolean mask for single ``match``/``insert`` entries.
        random_state : int or Generator, optional
            Seed for ``init="random"``.
        init : {"model", "random"}
            Start from this model's values, or from random values with its structure.
        n_jobs : int, optional
            Threads for the E-step (default: all cores).
        callback : callable(iteration, log_likelihood), optional
            Called after every E-step (progress reporting).
        scheduler : str or dask.distributed.Client, optional
            Run the E-step on a Dask cluster (address or client); the M-step stays here. The
            result equals the local run (per-pair counts are summed in pair order).

        Returns
        -------
        self : PairHMM
            The model, trained in place (its parameters are replaced once, at the end: a fit
            that fails leaves them as they were). ``monitor_`` keeps the EM objective of each
            iteration's parameters in ``monitor_.history`` (also ``history_``: the total
            log-likelihood, plus the log Dirichlet prior when ``pseudocount > 0``), the last
            entry being the final parameters'; ``log_likelihoods_`` the plain log-likelihoods;
            ``converged_`` says whether ``tol`` was met; ``n_iter_`` counts the M-steps.

        Notes
        -----
        Changed in 0.2: ``fit`` trains the model itself and returns it (it returned a new model
        and left this one unchanged). To keep a starting point, fit a copy:
        ``fitted = start.copy().fit(pairs)``. Models from :meth:`default`, :meth:`preset`,
        :meth:`load` and :meth:`from_dict` are new objects every time, never shared.
        """
        res = baum_welch(self, pairs, max_iter=max_iter, tol=tol, pseudocount=pseudocount,
                         freeze=freeze, random_state=random_state, init=init, n_jobs=n_jobs,
                         callback=callback, scheduler=scheduler)
        self.__dict__.update(res.model.__getstate__())  # the parameters
        self._reset_derived()  # tables, graph and engines are rebuilt for them
        self.monitor_ = res.monitor
        self.log_likelihoods_ = list(res.log_likelihoods)
        self.converged_ = res.monitor.reached_tol
        self.n_iter_ = res.monitor.iter - 1
        return self

    @property
    def history_(self) -> list[float]:
        """The EM objective of each iteration of the last :meth:`fit` (``monitor_.history``)."""
        if not hasattr(self, "monitor_"):
            raise AttributeError("history_ is set by fit(): this model has not been fitted")
        return self.monitor_.history

    @property
    def history(self) -> list[float]:
        """Deprecated name of :attr:`history_` (an empty list before :meth:`fit`)."""
        _deprecated("PairHMM.history", "PairHMM.history_")
        return self.monitor_.history if hasattr(self, "monitor_") else []

    @property
    def log_likelihoods(self) -> list[float]:
        """Deprecated name of :attr:`log_likelihoods_`."""
        _deprecated("PairHMM.log_likelihoods", "PairHMM.log_likelihoods_")
        return self.log_likelihoods_

    @property
    def converged(self) -> "bool | None":
        """Deprecated name of :attr:`converged_` (None before :meth:`fit`)."""
        _deprecated("PairHMM.converged", "PairHMM.converged_")
        return getattr(self, "converged_", None)

    def sample_pairs(self, n: int, random_state: Any = None) -> list[tuple[str, str, str]]:
        """Draw ``n`` (x, y, path) triples from the model (the generative process).

        Pairs whose x or y is empty are drawn again, so every pair can be aligned.
        """
        rng = np.random.default_rng(random_state)
        T = self.transitions()
        letters = self.alphabet.letters
        A = self.alphabet.size
        mflat = self.match.ravel()
        out = []
        while len(out) < n:
            state = 0
            xs: list[int] = []
            ys: list[int] = []
            path: list[str] = []
            while True:
                nxt = int(rng.choice(4, p=T[state]))
                if nxt == 3:
                    break
                state = nxt
                path.append("MXY"[state])
                if state == 0:
                    k = int(rng.choice(A * A, p=mflat))
                    xs.append(k // A)
                    ys.append(k % A)
                elif state == 1:
                    xs.append(int(rng.choice(A, p=self.insert_x)))
                else:
                    ys.append(int(rng.choice(A, p=self.insert_y)))
            if xs and ys:
                out.append(("".join(letters[c] for c in xs), "".join(letters[c] for c in ys),
                            "".join(path)))
        return out

    # ------------------------------------------------------------------ persistence
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (format name and version included)."""
        return {
            "format": _FORMAT,
            "version": _VERSION,
            "alphabet": self.alphabet.to_json() if self.alphabet.name not in ("dna", "rna", "protein")
            else self.alphabet.name,
            "tied": self.tied,
            "symmetric_match": self.symmetric_match,
            "delta": self.delta if self.tied else list(self.delta),
            "epsilon": self.epsilon if self.tied else list(self.epsilon),
            "tau": self.tau,
            "eta": None if self._eta_auto else self.eta,
            "insert": self.insert.tolist(),
            "match": self.match.tolist(),
            "mode": self.mode,
            "long_gaps": _jsonable(self.long_gap_params),
            "flank_loop": self.flank_loop,
            "flank_start": self.flank_start,
        }

    @classmethod
    def from_dict(cls, d: Any, source: str = "model") -> "PairHMM":
        """Build a model from :meth:`to_dict` output, validating everything."""
        if not isinstance(d, dict):
            raise ModelFileError(f"{source}: expected a JSON object describing a pair HMM")
        if d.get("format") != _FORMAT:
            raise ModelFileError(f"{source}: not a pairhmm pair-HMM model (format = {d.get('format')!r}, "
                                 f"expected {_FORMAT!r})")
        if d.get("version") != _VERSION:
            raise ModelFileError(f"{source}: unsupported model version {d.get('version')!r} "
                                 f"(this pairhmm reads version {_VERSION})")
        missing = [k for k in ("alphabet", "delta", "epsilon", "tau", "insert", "match") if k not in d]
        if missing:
            raise ModelFileError(f"{source}: missing field(s) {', '.join(missing)}")
        try:
            return cls(d["match"], d["insert"], d["delta"], d["epsilon"], d["tau"],
                       alphabet=Alphabet.from_json(d["alphabet"]),
                       symmetric_match=d.get("symmetric_match"), eta=d.get("eta"),
                       mode=d.get("mode", "global"), long_gaps=d.get("long_gaps"),
                       flank_loop=d.get("flank_loop", 0.999), flank_start=d.get("flank_start", 0.1))
        except (InvalidParameter, ValueError, TypeError, KeyError) as e:
            raise ModelFileError(f"{source}: invalid model: {e}") from None

    def save(self, path: "str | os.PathLike[str]") -> None:
        """Write the model as JSON (atomically: a failed write leaves no partial file)."""
        from ._jsonio import write_json_atomic

        write_json_atomic(path, self.to_dict())

    @classmethod
    def load(cls, path: "str | os.PathLike[str]") -> "PairHMM":
        """Read a model written by :meth:`save`; invalid or tampered files raise ModelFileError."""
        from ._jsonio import read_json

        return cls.from_dict(read_json(path), source=os.fspath(path))

    def __repr__(self) -> str:
        extra = ""
        if self.long_gaps:
            extra += f", long_gaps={self.long_gap_params}"
        if self.mode != "global":
            extra += f", mode={self.mode}"
        if self.tied:
            gaps = f"delta={self.delta_x:.4g}, epsilon={self.epsilon_x:.4g}"
        else:
            gaps = (f"delta=({self.delta_x:.4g}, {self.delta_y:.4g}), "
                    f"epsilon=({self.epsilon_x:.4g}, {self.epsilon_y:.4g})")
        return (f"PairHMM({self.alphabet.name}, {'tied' if self.tied else 'untied'}, {gaps}, "
                f"tau={self.tau:.4g}{extra})")


# ---------------------------------------------------------------------------------------------
def _jsonable(v: Any) -> Any:
    if v is None:
        return None
    if isinstance(v, tuple):
        return [_jsonable(a) for a in v]
    return float(v)


def _check_distribution(name: str, p: np.ndarray) -> None:
    if not np.all(np.isfinite(p)):
        raise InvalidParameter(name, p, "must be finite")
    if np.any(p < 0):
        raise InvalidParameter(name, float(p.min()), "probabilities must be >= 0")
    s = float(p.sum())
    if abs(s - 1.0) > _TOL:
        raise InvalidParameter(name, round(s, 8), "must sum to 1 (it is a probability distribution)")


def blosum62_joint() -> tuple[np.ndarray, np.ndarray]:
    """Joint pair distribution implied by BLOSUM62 and its background frequencies.

    ``p_ab = q_a q_b exp(lambda s_ab)`` with lambda solved (by Brent's method) so p sums to 1.

    Returns
    -------
    p : ndarray, shape (20, 20)
    q : ndarray, shape (20,)
    """
    from Bio.Align import substitution_matrices

    from .alphabet import PROTEIN

    m = substitution_matrices.load("BLOSUM62")
    s = np.array([[m[a][b] for b in PROTEIN.letters] for a in PROTEIN.letters], dtype=float)
    q = _BLOSUM62_BG / _BLOSUM62_BG.sum()
    qq = np.outer(q, q)
    # f(L) = sum q_a q_b exp(L s_ab) - 1 is convex with f(0) = 0 and f'(0) < 0 (negative expected
    # score), so it has one positive root; plain bisection finds it to machine precision (and
    # keeps scipy.optimize, a 0.5 s import, out of the command line's start-up)
    lo, hi = 1e-3, 2.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if float((qq * np.exp(mid * s)).sum()) > 1.0:
            hi = mid
        else:
            lo = mid
    lam = 0.5 * (lo + hi)
    p = qq * np.exp(lam * s)
    return p / p.sum(), q


def _shipped_preset(kind: str) -> "PairHMM | None":
    from importlib import resources

    try:
        ref = resources.files("pairhmm").joinpath("presets", f"{kind}.json")
        if not ref.is_file():
            return None
        return PairHMM.from_dict(json.loads(ref.read_text()), source=f"preset {kind}")
    except (FileNotFoundError, ModuleNotFoundError):
        return None


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"{old} is deprecated and will be removed in the next release: use {new}",
                  DeprecationWarning, stacklevel=3)
