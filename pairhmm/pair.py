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
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
from Bio.Align import Alignment
from Bio.Seq import Seq
from Bio.SeqRecord import SeqRecord

from ._kernels import pair as _k
from .alnio import PairAlignment
from .alphabet import Alphabet, as_text, encode, get_alphabet
from .band import Band
from .errors import InvalidParameter, MemoryLimitError, ModelFileError, ZeroProbabilityError
from .tying import Tying

__all__ = ["PairHMM", "DEFAULT_MAX_MEMORY", "posterior_codes"]

#: Default cap on the memory of one full-matrix DP request (bytes).
DEFAULT_MAX_MEMORY = 4 * 1024**3
#: Columns per scaling block of the full-matrix kernels.
BLOCK_COLUMNS = _k.BLOCK
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


def posterior_codes(p: np.ndarray) -> str:
    """HMMER's one-character posterior probability codes: '*' >= 0.95, else round(10 p)."""
    p = np.asarray(p, dtype=float)
    out = []
    for v in p:
        if v >= 0.95:
            out.append("*")
        else:
            out.append(str(min(9, max(0, int(math.floor(v * 10 + 0.5))))))
    return "".join(out)


@dataclass(frozen=True)
class _Tables:
    """Emission and transition tables in the form the kernels take (extended codes)."""

    em: np.ndarray   # (n_codes, n_codes) match emission, ambiguity codes marginalised
    qx: np.ndarray   # (n_codes,)
    qy: np.ndarray
    t: np.ndarray    # (10,) transition probabilities, kernel order
    lem: np.ndarray  # logs of the above
    lqx: np.ndarray
    lqy: np.ndarray
    lt: np.ndarray


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
        self._tables: _Tables | None = None
        #: log-likelihood per Baum-Welch iteration (set by :meth:`fit`)
        self.history: list[float] = []
        self.converged: bool | None = None

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

    @property
    def graph(self):
        """The model's state graph (:class:`pairhmm.variants.Graph`), built once."""
        if getattr(self, "_graph", None) is None:
            from .variants import build_graph
            self._graph = build_graph(self)
        return self._graph

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
        t = self._transition_vector()
        return np.array([
            [t[_k.T_MM], t[_k.T_MX], t[_k.T_MY], t[_k.T_ME]],
            [t[_k.T_XM], t[_k.T_XX], 0.0, t[_k.T_XE]],
            [t[_k.T_YM], 0.0, t[_k.T_YY], t[_k.T_YE]],
        ])

    def _transition_vector(self) -> np.ndarray:
        dx, dy, ex, ey = self.gap_tying.expand(self._gap_free)[:4]
        tau = self.tau
        t = np.zeros(_k.N_TRANS)
        t[_k.T_MM] = 1.0 - dx - dy - tau
        t[_k.T_MX] = dx
        t[_k.T_MY] = dy
        t[_k.T_ME] = tau
        t[_k.T_XM] = 1.0 - ex - tau
        t[_k.T_XX] = ex
        t[_k.T_XE] = tau
        t[_k.T_YM] = 1.0 - ey - tau
        t[_k.T_YY] = ey
        t[_k.T_YE] = tau
        return t

    def n_free_parameters(self) -> int:
        """Number of free parameters (for AIC/BIC and likelihood-ratio tests).

        Each distribution of k free probabilities counts k - 1; tied slots count once.
        """
        A = self.alphabet.size
        n_match = (A * (A + 1) // 2 if self.symmetric_match else A * A) - 1
        n_insert = (A - 1) * (1 if self.tied else 2)
        n_gap = self.gap_tying.n_free
        n_flank = 1 if self.mode != "global" else 0  # lambda (phi is a fixed setting)
        return n_match + n_insert + n_gap + 1 + n_flank  # + tau

    @property
    def extreme(self) -> bool:
        """True when the scaled full-matrix kernels cannot represent this model safely.

        They keep one binary exponent per row block of 32 columns, so the values inside a block
        must stay within the double range. Along a row the values can fall by the smallest
        insert emission times the smallest insert self-loop per column; when 32 such steps
        reach 1e-250 (an insert probability below about 1e-8, as Baum-Welch without
        pseudocounts can produce on small data) the forward, posterior and E-step run in log
        space instead (exact, about 10x slower). Viterbi is always in log space.
        """
        cached = getattr(self, "_extreme", None)
        if cached is None:
            A = self.alphabet.size
            G = self.graph
            loops = [G.T[s, s] for s in range(len(G.names)) if G.kind[s] != 0 and G.T[s, s] > 0]
            qmin = min(float(self.insert_x[:A].min()), float(self.insert_y[:A].min()))
            g = qmin * (min(loops) if loops else 1.0)
            cached = bool(g <= 0.0 or BLOCK_COLUMNS * math.log10(g) < -250.0)
            self._extreme = cached
        return cached

    def _full_band_call(self, name: str, ex: np.ndarray, ey: np.ndarray):
        """A banded log-space kernel over every cell (the exact path for :attr:`extreme` models)."""
        return self._bcall(name, ex, ey, Band.full(ex.size, ey.size))

    @property
    def tables(self) -> _Tables:
        """Kernel tables (built once, cached; the model is immutable)."""
        if self._tables is None:
            mem = self.alphabet.membership()
            em = mem @ self.match @ mem.T
            qx = mem @ self.insert_x
            qy = mem @ self.insert_y
            t = self._transition_vector()
            with np.errstate(divide="ignore"):
                self._tables = _Tables(
                    np.ascontiguousarray(em), qx, qy, t,
                    np.log(em), np.log(qx), np.log(qy), np.log(t))
        return self._tables

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
        return model if tied else model.untie()

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
        return shipped if tied else shipped.untie()

    def untie(self) -> "PairHMM":
        """The same numbers with X and Y untied (a starting point for an untied fit)."""
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

    def _prepare(self, x: Any, y: Any, allow_empty: bool = False) -> tuple[np.ndarray, np.ndarray]:
        ex = self.encode(x, "x")
        ey = self.encode(y, "y")
        if not allow_empty and (ex.size == 0 or ey.size == 0):
            which = "x" if ex.size == 0 else "y"
            raise InvalidParameter(which, "", "sequence is empty")
        return ex, ey

    def _check_memory(self, n: int, m: int, bytes_per_cell: float, what: str,
                      max_memory: float | None) -> None:
        limit = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
        need = bytes_per_cell * (n + 1) * (m + 1)
        if need > limit:
            raise MemoryLimitError(
                f"{what} of a {n} x {m} pair needs about {_human(need)} of DP matrices, over the "
                f"limit of {_human(limit)}: raise --max-memory, or use `pairhmm score` (linear memory)")

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
            b = self._band(ex, ey, band, 0.0, "the forward algorithm", None)
            return float(self._bcall("band_forward_logprob", ex, ey, b))
        T = self.tables
        if self.extreme and ex.size and ey.size:
            return float(self._full_band_call("band_forward_logprob", ex, ey))
        if self.is_general:
            return float(self._gcall("g_forward_logprob", ex, ey))
        return float(_k.forward_logprob(ex, ey, T.em, T.qx, T.qy, T.t))

    def _gcall(self, name: str, ex: np.ndarray, ey: np.ndarray, log: bool = False):
        """Call a general state-graph kernel with this model's tables."""
        from ._kernels import gpair

        G = self.graph
        T = self.tables
        q = np.stack([T.qx, T.qy])
        if name in ("g_viterbi", "g_viterbi_score"):
            with np.errstate(divide="ignore"):
                return getattr(gpair, name)(ex, ey, G.kind, G.erow, T.lem, np.log(q), np.log(G.T),
                                            np.log(G.end), G.pred, G.npred)
        fn = getattr(gpair, name)
        if name in ("g_forward", "g_forward_logprob"):
            return fn(ex, ey, G.kind, G.erow, T.em, q, G.T, G.end, G.pred, G.npred)
        return fn(ex, ey, G.kind, G.erow, T.em, q, G.T, G.end, G.pred, G.npred, G.succ, G.nsucc)

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

    def _full_posterior_bytes(self) -> float:
        """Memory per DP cell of the full-matrix posterior: the output matrix plus the stored
        forward values of the pair states (kept in the output itself when there is one)."""
        if not self.is_general:
            return 16.0
        k = int(np.count_nonzero(self.graph.kind == 0))
        return 8.0 if k == 1 else 8.0 + 8.0 * k

    def _full_viterbi_bytes(self) -> float:
        """Memory per DP cell of the full-matrix Viterbi of a variant: a traceback byte per state."""
        return float(len(self.graph.names))

    def _band_bytes(self, what: str) -> float:
        """Memory per band cell of a banded algorithm."""
        S = len(self.graph.names)
        return {"viterbi": S, "posterior": 8.0 * S + 8, "mea": 8.0 * S + 9, "forward": 0.0,
                "sampling": 8.0 * S}[what]

    def _band(self, ex: np.ndarray, ey: np.ndarray, band: Any, bytes_per_cell: float, what: str,
              max_memory: float | None) -> Band:
        """A :class:`Band` from ``band`` (int width or Band), checked against the pair and memory."""
        if not isinstance(band, Band):
            band = self.make_band(ex, ey, band)
        if band.shape != (ex.size, ey.size):
            raise InvalidParameter("band", repr(band),
                                   f"is for a {band.n} x {band.m} pair, not {ex.size} x {ey.size}")
        limit = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
        need = bytes_per_cell * band.n_cells + 8.0 * (len(self.graph.names) + 1) * 2 * (ey.size + 1)
        if need > limit:
            raise MemoryLimitError(
                f"{what} in a band of {band.n_cells:,} cells ({band.describe()}) needs about "
                f"{_human(need)}, over the limit of {_human(limit)}: narrow the band or raise "
                f"--max-memory")
        return band

    def _auto_band(self, ex: np.ndarray, ey: np.ndarray, full_bytes_per_cell: float, what: str,
                   max_memory: float | None) -> "Band | None":
        """None when the full DP fits in ``max_memory``; else the widest anchored band (up to
        :data:`AUTO_BAND_MAX_WIDTH`) that fits. ``full_bytes_per_cell``: the full DP's memory
        per cell (``math.inf`` when the caller already knows it does not fit)."""
        limit = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
        n, m = ex.size, ey.size
        if full_bytes_per_cell * (n + 1) * (m + 1) <= limit:
            return None
        bpc = self._band_bytes(what)
        rows = 8.0 * (len(self.graph.names) + 1) * 2 * (m + 1)
        width = int((limit - rows) / bpc - n - m) // (2 * (n + 1))
        width = min(width, AUTO_BAND_MAX_WIDTH)
        while width >= AUTO_BAND_MIN_WIDTH:
            band = self.make_band(ex, ey, width)
            if bpc * band.n_cells + rows <= limit:
                return band
            width = int(width * 0.8)
        raise MemoryLimitError(
            f"{_LABEL[what]} of a {n} x {m} pair does not fit in {_human(limit)}, not even in a band of "
            f"+-{AUTO_BAND_MIN_WIDTH} cells: raise --max-memory, or use `pairhmm score` (linear memory)")

    @staticmethod
    def _auto_widths(widest: Band) -> list[int]:
        """Band widths ``band="auto"`` tries before ``widest``: :data:`AUTO_BAND_START_WIDTH`,
        doubled while narrower than ``widest``."""
        widths = []
        w = AUTO_BAND_START_WIDTH
        while widest.width is not None and w < widest.width:
            widths.append(w)
            w *= 2
        return widths

    def _widening(self, ex: np.ndarray, ey: np.ndarray, widest: Band, run: Any,
                  check: str = "forward", prepare: Any = None) -> Alignment:
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
        import warnings

        from .band import BandEdgeWarning, BandMissWarning

        cache: dict = {}

        def start(band: Band) -> tuple:
            if prepare is None:
                return (band,), None
            state, ll = prepare(band)
            return (band, state), ll

        for w in self._auto_widths(widest):
            band = self.make_band(ex, ey, w)
            args, ll = start(band)
            if check == "forward" and self._band_miss(ex, ey, band, cache,
                                                      log_likelihood=ll) is not None:
                continue  # the alignment lies (partly) outside: no need to run it here
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", BandEdgeWarning)
                aln = run(*args)
            if aln.band_edge_cells:
                continue
            if check == "viterbi" and self._band_miss(ex, ey, band, cache, aln.score, widest):
                continue
            aln.band_miss = None
            return aln
        args, ll = start(widest)
        aln = run(*args)
        aln.band_miss = self._band_miss(ex, ey, widest, cache,
                                        aln.score if check == "viterbi" else None, widest,
                                        log_likelihood=ll)
        if aln.band_miss is not None:
            warnings.warn(aln.band_miss, BandMissWarning, stacklevel=3)
        return aln

    def _band_miss(self, ex: np.ndarray, ey: np.ndarray, band: Band, cache: dict,
                   score: float | None = None, widest: "Band | None" = None,
                   log_likelihood: float | None = None,
                   what: str = "the alignment") -> "str | None":
        """None when ``band`` holds the alignment (see :meth:`_widening`), else why not.

        With ``score`` (the band's Viterbi score) the best path of the check region is compared
        with it, provided the region's traceback takes no more memory than ``widest``'s; else
        the probability outside the band is (``log_likelihood``: the band's forward value when
        already known). ``what`` names the result in the message. ``cache`` keeps the last
        region's forward value (a region often repeats while the band widens).
        """
        region = band.expanded(max(AUTO_BAND_CHECK_WIDTH, 2 * (band.width or 0)))
        if score is not None and widest is not None and region.n_cells <= widest.n_cells:
            best, _ = self._bcall("band_viterbi", ex, ey, region)
            gain = float(best) - float(score)
            if gain <= 1e-9 * max(1.0, abs(float(score))):
                return None
            return (f"a path outside the band {band.describe()} scores {gain:.4g} nats higher "
                    f"(found within +-{region.width} of its guide); {what} may be wrong: "
                    f"raise --max-memory or use a wider --band")
        if log_likelihood is None:
            log_likelihood = float(self._bcall("band_forward_logprob", ex, ey, band))
        key = (region.lo.tobytes(), region.hi.tobytes())
        if cache.get("key") != key:
            cache["key"] = key
            cache["ll"] = float(self._bcall("band_forward_logprob", ex, ey, region))
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
                f"{100 * AUTO_BAND_MAX_OUTSIDE:g}% accepted); {what} may be wrong: raise --max-memory "
                f"or use a wider --band")

    def _bcall(self, name: str, ex: np.ndarray, ey: np.ndarray, band: Band, out: tuple = ()):
        """Call a banded kernel with this model's state graph in log space (``out``: the count
        arrays of ``band_counts``)."""
        from ._kernels import band as bk

        G = self.graph
        T = self.tables
        with np.errstate(divide="ignore"):
            lq = np.log(np.stack([T.qx, T.qy]))
            lT = np.log(G.T)
            lend = np.log(G.end)
        args = (ex, ey, band.lo, band.hi, band.start, G.kind, G.erow, T.lem, lq, lT, lend,
                G.pred, G.npred)
        if name in ("band_posterior", "band_counts"):
            args = args + (G.succ, G.nsucc) + tuple(out)
        return getattr(bk, name)(*args)

    def _zero_probability(self, ex: np.ndarray, ey: np.ndarray) -> ZeroProbabilityError:
        """The error for a pair that no alignment can explain, naming the residues the model
        cannot emit at all (probability 0 both as an insertion and in every match)."""
        T = self.tables
        dead = {int(c) for c in np.unique(ex) if T.qx[c] == 0 and not np.any(T.em[c, :] > 0)}
        dead |= {int(c) for c in np.unique(ey) if T.qy[c] == 0 and not np.any(T.em[:, c] > 0)}
        msg = "no alignment of these sequences has non-zero probability under this model"
        letters = ""
        if dead:  # an ambiguity code (N, X, U = C, ...) is dead when all its letters are
            member = self.alphabet.membership()
            codes = sorted({int(b) for c in dead for b in np.flatnonzero(member[c])})
            letters = ", ".join(self.alphabet.letters[b] for b in codes)
            msg += (f": it gives probability 0 to every emission of {letters}, which these "
                    f"sequences contain (maximum-likelihood training, pseudocount 0, does that to "
                    f"residues its training data lacked: train with a pseudocount)")
        err = ZeroProbabilityError(msg)
        err.residues = letters  # "" when no single residue is to blame
        return err

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
            anchors is caught; see :meth:`_widening`). When even the widest band fails,
            it is used and a :class:`pairhmm.band.BandMissWarning` is raised.
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
        T = self.tables
        if isinstance(band, str):
            if band != "auto":
                raise InvalidParameter("band", band, "give a width, a Band, 'auto' or None")
            if self.is_general:
                band = self._auto_band(ex, ey, self._full_viterbi_bytes(), "viterbi", max_memory)
            else:  # exact by checkpoints whenever they fit
                limit = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
                fits = _checkpoint_plan(ex.size, ey.size)[1] <= limit
                # the checkpoints do not fit: a band (full_bytes_per_cell=inf skips the full-DP test)
                band = None if fits else self._auto_band(ex, ey, math.inf, "viterbi", max_memory)
            if band is not None:
                return self._widening(ex, ey, band, lambda b: self.viterbi(
                    x, y, max_memory=max_memory, traceback=traceback, band=b), check="viterbi")
        if band is not None:
            band = self._band(ex, ey, band, self._band_bytes("viterbi"), "Viterbi", max_memory)
            score, states = self._bcall("band_viterbi", ex, ey, band)
            path = self.graph.kind[states].astype(np.int8) if states.size else states
        elif self.is_general:
            self._check_memory(ex.size, ey.size, self._full_viterbi_bytes(), "Viterbi", max_memory)
            score, states = self._gcall("g_viterbi", ex, ey)
            path = self.graph.kind[states].astype(np.int8) if states.size else states
        else:
            score, path = self._viterbi_3state(ex, ey, max_memory, traceback)
        if not math.isfinite(score):
            raise self._zero_probability(ex, ey)
        aln = _to_alignment(x, y, path, self.alphabet)
        aln.score = float(score)
        if self.is_general or band is not None:
            aln.states = [self.graph.names[s] for s in states]
        _note_band(aln, band, path, "the Viterbi path")
        return aln

    def _viterbi_3state(self, ex: np.ndarray, ey: np.ndarray, max_memory: float | None,
                        traceback: str = "auto"):
        """Full traceback (1 byte per cell) when it fits in ``max_memory``, else checkpoints:
        DP rows kept every sqrt(24 n) rows, segments recomputed during the traceback (about twice
        the time, O(m sqrt(n)) memory, the same path)."""
        T = self.tables
        limit = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
        n, m = ex.size, ey.size
        if traceback not in ("auto", "full", "checkpoint"):
            raise InvalidParameter("traceback", traceback, "choose auto, full or checkpoint")
        if traceback == "full" or (traceback == "auto" and (n + 1) * (m + 1) <= limit):
            self._check_memory(n, m, 1, "Viterbi", max_memory)
            return _k.viterbi(ex, ey, T.lem, T.lqx, T.lqy, T.lt)
        seg, need = _checkpoint_plan(n, m)
        if need > limit:
            raise MemoryLimitError(
                f"Viterbi of a {n} x {m} pair needs at least {_human(need)} even with checkpoints, "
                f"over the limit of {_human(limit)}: raise --max-memory")
        return _k.viterbi_checkpointed(ex, ey, T.lem, T.lqx, T.lqy, T.lt, seg)

    def viterbi_score(self, x: Any, y: Any, band: "int | Band | None" = None) -> float:
        """log P(x, y, best path) in linear memory (no traceback): for very long pairs.

        With ``band`` (a half-width around k-mer anchors, see :meth:`make_band`, or a
        :class:`~pairhmm.band.Band`), the best path inside the band (a lower bound).
        """
        if band is not None:
            ex, ey = self._prepare(x, y)
            b = self._band(ex, ey, band, 0.0, "the Viterbi score", None)  # checks the band's shape
            return float(self._bcall("band_viterbi_logprob", ex, ey, b))
        ex, ey = self._prepare(x, y, allow_empty=True)
        T = self.tables
        if self.is_general:
            return float(self._gcall("g_viterbi_score", ex, ey))
        score, _ = _k.viterbi(ex, ey, T.lem, T.lqx, T.lqy, T.lt, False)
        return float(score)

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
                  band: "int | Band | None" = None) -> Any:
        """Posterior match probabilities.

        Parameters
        ----------
        band : int or Band, optional
            Forward-backward inside a band only (an int is the half-width of a band around k-mer
            anchors, see :meth:`make_band`); memory grows with the band, not with the matrix.

        Returns
        -------
        P : ndarray, shape (len(x), len(y)); ``scipy.sparse.csr_array`` with ``band``
            ``P[i, j]`` = P(x_i aligned to y_j | x, y), by forward-backward (zero outside the
            band).
        """
        ex, ey = self._prepare(x, y)
        if band is not None:
            b = self._band(ex, ey, band, self._band_bytes("posterior"), "the posterior", max_memory)
            return b.to_sparse(self._band_posterior(ex, ey, b))
        T = self.tables
        self._check_memory(ex.size, ey.size, self._full_posterior_bytes(), "the posterior", max_memory)
        if self.extreme:
            self._check_memory(ex.size, ey.size, 8.0 * len(self.graph.names) + 8,
                               "the posterior (log space)", max_memory)
            flat, logp = self._full_band_call("band_posterior", ex, ey)
            P = flat.reshape(ex.size + 1, ey.size + 1)[1:, 1:].copy()
        elif self.is_general:
            P, logp = self._gcall("g_posterior", ex, ey)
        else:
            P, logp = _k.posterior_match(ex, ey, T.em, T.qx, T.qy, T.t)
        if not math.isfinite(logp):
            raise self._zero_probability(ex, ey)
        return P

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
        if isinstance(band, str):
            if band != "auto":
                raise InvalidParameter("band", band, "give a width, a Band, 'auto' or None")
            # the MEA search adds a score (8 bytes) and a traceback byte per cell
            band = self._auto_band(ex, ey, self._full_posterior_bytes() + 9, "mea", max_memory)
            if band is not None:
                def posterior(b: Band) -> tuple:
                    b = self._band(ex, ey, b, self._band_bytes("mea"), "MEA alignment", max_memory)
                    P, logp = self._bcall("band_posterior", ex, ey, b)
                    return (P, float(logp)), float(logp)

                return self._widening(ex, ey, band, lambda b, post: self._mea_band(
                    x, y, ex, ey, gap_factor, max_memory, b, post), prepare=posterior)
        if band is not None:
            return self._mea_band(x, y, ex, ey, gap_factor, max_memory, band)
        self._check_memory(ex.size, ey.size, self._full_posterior_bytes() + 9, "MEA alignment",
                           max_memory)
        P = self.posterior(ex, ey, max_memory=max_memory)
        gx = gap_factor * np.clip(1.0 - P.sum(axis=1), 0.0, 1.0)
        gy = gap_factor * np.clip(1.0 - P.sum(axis=0), 0.0, 1.0)
        score, path = _k.mea_align(P, gx, gy)
        aln = _to_alignment(x, y, path, self.alphabet)
        aln.score = float(score)
        _annotate_posterior(aln, path, P)
        _note_band(aln, None, path, "")
        return aln

    def _mea_band(self, x: Any, y: Any, ex: np.ndarray, ey: np.ndarray, gap_factor: float,
                  max_memory: float | None, band: "int | Band",
                  posterior: tuple | None = None) -> Alignment:
        """MEA alignment in a band (``posterior``: the ``band_posterior`` result, when already
        computed)."""
        from ._kernels import band as bk

        b = self._band(ex, ey, band, self._band_bytes("mea"), "MEA alignment", max_memory)
        P = self._band_posterior(ex, ey, b, posterior)
        px_gap, py_gap = _band_gap_posteriors(P, b)
        score, path = bk.band_mea(P, ex.size, ey.size, b.lo, b.hi, b.start, gap_factor * px_gap,
                                  gap_factor * py_gap)
        aln = _to_alignment(x, y, path, self.alphabet)
        aln.score = float(score)
        _annotate_columns(aln, path, _band_match_posteriors(P, b, path), px_gap, py_gap)
        _note_band(aln, b, path, "the MEA alignment")
        return aln

    def _band_posterior(self, ex: np.ndarray, ey: np.ndarray, b: Band,
                        result: tuple | None = None) -> np.ndarray:
        """Flat banded posterior match probabilities (see :func:`_kernels.band.band_posterior`;
        ``result``: its ``(P, log_likelihood)`` when already computed)."""
        P, logp = self._bcall("band_posterior", ex, ey, b) if result is None else result
        if not math.isfinite(logp):
            err = self._zero_probability(ex, ey)
            if err.residues:  # the model, not the band, is the cause
                raise err
            raise InvalidParameter("band", b.describe(),
                                   "no alignment inside the band has non-zero probability")
        return P

    def _attach_posterior(self, aln: Alignment, x: Any, y: Any, max_memory: float | None,
                          band: "Band | str | None") -> None:
        """Annotate an alignment (e.g. a Viterbi path) with posterior probabilities, from the
        full matrix or, with ``band`` (a Band, or "auto" when the full matrix does not fit), a
        banded one. "auto" takes the narrowest band of :data:`AUTO_BAND_START_WIDTH` doubled
        that holds the path well inside and passes the forward test of :meth:`_widening`, else
        the widest that fits (``aln.band_miss`` and a :class:`~pairhmm.band.BandMissWarning` when
        that one fails the test)."""
        ex, ey = self._prepare(x, y)
        path = np.array(["MXY".index(c) for c in aln.path], dtype=np.int8)
        P = None
        if isinstance(band, str):
            band = self._auto_band(ex, ey, self._full_posterior_bytes(), "posterior", max_memory)
            if band is not None:
                band, P = self._posterior_band(aln, ex, ey, path, band, max_memory)
        if band is None:
            _annotate_posterior(aln, path, self.posterior(ex, ey, max_memory=max_memory))
            return
        b = self._band(ex, ey, band, self._band_bytes("posterior"), "the posterior", max_memory)
        if P is None:
            P = self._band_posterior(ex, ey, b)
        px_gap, py_gap = _band_gap_posteriors(P, b)
        _annotate_columns(aln, path, _band_match_posteriors(P, b, path), px_gap, py_gap)

    def _posterior_band(self, aln: Alignment, ex: np.ndarray, ey: np.ndarray, path: np.ndarray,
                        widest: Band, max_memory: float | None) -> tuple[Band, np.ndarray]:
        """The band of an automatic posterior annotation of ``path`` and its flat posterior."""
        import warnings

        from .band import BandMissWarning

        cache: dict = {}
        for w in self._auto_widths(widest):
            b = self.make_band(ex, ey, w)
            i, j = b.path_cells(path)
            if np.all((j >= b.lo[i]) & (j <= b.hi[i])) and b.edge_cells(path) == 0:
                b = self._band(ex, ey, b, self._band_bytes("posterior"), "the posterior", max_memory)
                P, logp = self._bcall("band_posterior", ex, ey, b)
                if self._band_miss(ex, ey, b, cache, log_likelihood=float(logp)) is None:
                    return b, P
        b = self._band(ex, ey, widest, self._band_bytes("posterior"), "the posterior", max_memory)
        P = self._band_posterior(ex, ey, b)
        miss = self._band_miss(ex, ey, b, cache, what="its posterior annotation")
        if miss is not None:
            aln.band_miss = miss
            warnings.warn(miss, BandMissWarning, stacklevel=3)
        return b, P

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
        log_space = self.is_general or self.extreme
        auto = isinstance(band, str)
        if auto:
            if band != "auto":
                raise InvalidParameter("band", band, "give a width, a Band, 'auto' or None")
            full = 8.0 * len(self.graph.names) if log_space else 32.0
            band = self._auto_band(ex, ey, full, "sampling", max_memory)
        if band is not None or log_space:
            # log space over the state graph: every variant, extreme values, bands
            from ._kernels import band as bk

            b = (Band.full(ex.size, ey.size) if band is None else band)
            b = self._band(ex, ey, b, self._band_bytes("sampling"), "sampling", max_memory)
            F, logp = self._bcall("band_forward", ex, ey, b)
            if not math.isfinite(logp):
                raise self._zero_probability(ex, ey)
            miss = None
            if auto and band is not None:  # the forward test of band="auto" (see _widening)
                import warnings

                from .band import BandMissWarning

                miss = self._band_miss(ex, ey, b, {}, log_likelihood=float(logp), what="the samples")
                if miss is not None:
                    warnings.warn(miss, BandMissWarning, stacklevel=2)
            G = self.graph
            with np.errstate(divide="ignore"):
                lq = np.log(np.stack([self.tables.qx, self.tables.qy]))
                paths, lps = bk.band_sample(ex, ey, b.lo, b.hi, b.start, G.kind, G.erow,
                                            self.tables.lem, lq, np.log(G.T), np.log(G.end),
                                            G.pred, G.npred, F, int(n), seed)
            out = []
            for row, lp in zip(paths, lps):
                states = row[row >= 0]
                aln = _to_alignment(x, y, G.kind[states].astype(np.int8), self.alphabet)
                aln.score = float(lp)
                aln.states = [G.names[s] for s in states]
                if band is not None:
                    aln.band = b
                    aln.band_edge_cells = b.edge_cells(G.kind[states].astype(np.int8))
                    if auto:
                        aln.band_miss = miss
                out.append(aln)
            return out
        self._check_memory(ex.size, ey.size, 32, "sampling", max_memory)
        T = self.tables
        F, S, logp = _k.forward_full(ex, ey, T.em, T.qx, T.qy, T.t)
        if not math.isfinite(logp):
            raise self._zero_probability(ex, ey)
        paths = _k.sample_paths(ex, ey, T.em, T.qx, T.qy, T.t, F, int(n), seed)
        out = []
        for row in paths:
            p = row[row >= 0]
            aln = _to_alignment(x, y, p, self.alphabet)
            aln.score = self.path_log_probability(ex, ey, _path_string(p))
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
        PairHMM
            A new fitted model; ``history`` lists the EM objective of each iteration's model
            (the total log-likelihood, plus the log Dirichlet prior when ``pseudocount > 0``),
            the last entry being the returned model's; ``log_likelihoods`` the plain
            log-likelihoods; ``converged`` says whether ``tol`` was met.
        """
        from .train import fit

        return fit(self, pairs, max_iter=max_iter, tol=tol, pseudocount=pseudocount, freeze=freeze,
                   random_state=random_state, init=init, n_jobs=n_jobs, callback=callback,
                   scheduler=scheduler)

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


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"  # pragma: no cover


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


_LABEL = {"viterbi": "Viterbi", "mea": "MEA alignment", "posterior": "the posterior",
          "forward": "the forward algorithm", "sampling": "sampling"}


def _checkpoint_plan(n: int, m: int) -> tuple[int, float]:
    """Rows between checkpoints of the checkpointed 3-state Viterbi, and its memory in bytes."""
    seg = max(1, int(math.ceil(math.sqrt(24.0 * n))))  # minimises 24 (n / seg) m + seg m
    return seg, 24.0 * (n // seg + 1) * (m + 1) + seg * (m + 1) + 8.0 * (n + m)


def _path_string(path: np.ndarray) -> str:
    return "".join("MXY"[int(s)] for s in path)


def _record(seq: Any, default_id: str, alphabet: Alphabet) -> SeqRecord:
    if isinstance(seq, SeqRecord):
        return seq
    if isinstance(seq, np.ndarray):
        text = "".join(alphabet.symbols[int(c)] for c in seq)
        return SeqRecord(Seq(text), id=default_id, description="")
    text, _ = as_text(seq)
    return SeqRecord(Seq(text), id=default_id, description="")


def _to_alignment(x: Any, y: Any, path: np.ndarray, alphabet: Alphabet) -> Alignment:
    """Turn a state path (0 M, 1 X, 2 Y) into a Bio.Align.Alignment over the input records."""
    rx = _record(x, "x", alphabet)
    ry = _record(y, "y", alphabet)
    i = j = 0
    cols_i = [0]
    cols_j = [0]
    prev = -1
    for s in path:
        s = int(s)
        if s != prev and prev != -1:
            cols_i.append(i)
            cols_j.append(j)
        if s == 0:
            i += 1
            j += 1
        elif s == 1:
            i += 1
        else:
            j += 1
        prev = s
    cols_i.append(i)
    cols_j.append(j)
    coords = np.array([cols_i, cols_j], dtype=np.int64)
    aln = PairAlignment([rx, ry], coords)
    aln.column_annotations = {}  # the Stockholm writer expects the attribute
    aln.path = _path_string(path)
    return aln


def _annotate_posterior(aln: Alignment, path: Any, P: Any) -> None:
    """Attach per-column and per-residue posterior probabilities to an alignment (``P`` dense, or
    a sparse array from a banded posterior)."""
    px_gap = np.clip(1.0 - np.asarray(P.sum(axis=1)).ravel(), 0.0, 1.0)
    py_gap = np.clip(1.0 - np.asarray(P.sum(axis=0)).ravel(), 0.0, 1.0)
    i, j = _residue_indices(path)
    mm = np.asarray(path) == 0
    pmatch = np.asarray(P[i[mm], j[mm]]).ravel() if mm.any() else np.zeros(0)
    _annotate_columns(aln, path, pmatch, px_gap, py_gap)


def _residue_indices(path: Any) -> tuple[np.ndarray, np.ndarray]:
    """0-based index of the x and y residue each column of ``path`` consumes (or last consumed)."""
    i, j = Band.path_cells(path)
    return i - 1, j - 1


def _annotate_columns(aln: Alignment, path: Any, pmatch: np.ndarray, px_gap: np.ndarray,
                      py_gap: np.ndarray) -> None:
    """Column and residue posteriors of a path: ``pmatch`` = P(x_i ~ y_j) of its matched columns
    in order, ``p*_gap`` = the probability of each residue being unaligned."""
    p = np.asarray(path, dtype=np.int64)
    i, j = _residue_indices(p)
    col = np.empty(p.size)
    rx = np.empty(px_gap.size)
    ry = np.empty(py_gap.size)
    mm = p == 0
    col[mm] = pmatch
    xs = p == 1
    ys = p == 2
    col[xs] = px_gap[i[xs]]
    col[ys] = py_gap[j[ys]]
    rx[i[mm | xs]] = col[mm | xs]
    ry[j[mm | ys]] = col[mm | ys]
    aln.column_posterior = col
    aln.residue_posterior = (rx, ry)


def _band_gap_posteriors(P: np.ndarray, b: Band) -> tuple[np.ndarray, np.ndarray]:
    """P(residue unaligned) of each x and y residue from a flat banded posterior."""
    from ._kernels import band as bk

    rx, ry = bk.band_gap_posteriors(P, b.n, b.m, b.lo, b.hi, b.start)
    return np.clip(1.0 - rx, 0.0, 1.0), np.clip(1.0 - ry, 0.0, 1.0)


def _band_match_posteriors(P: np.ndarray, b: Band, path: Any) -> np.ndarray:
    """P(x_i ~ y_j) of the matched columns of ``path`` from a flat banded posterior (zero for
    cells outside the band)."""
    ci, cj = b.path_cells(path)   # DP cell after each column: (i, j) of a match is x_i ~ y_j
    match = np.asarray(path) == 0
    i, j = ci[match], cj[match]
    inside = (j >= b.lo[i]) & (j <= b.hi[i])
    out = np.zeros(i.size)
    out[inside] = P[b.start[i[inside]] + j[inside] - b.lo[i[inside]]]
    return out


def _note_band(aln: Alignment, band: "Band | None", path: Any, what: str) -> None:
    """Record the band an alignment was found in, and warn when the path touched its edge."""
    aln.band = band
    aln.band_edge_cells = 0 if band is None else band.warn_if_touched(path, what)
