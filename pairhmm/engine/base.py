"""The engine interface, the many-pair input and output types, and memory accounting."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, NamedTuple, Sequence

import numpy as np

from .._kernels import pair as _k
from .._kernels.bundles import BandRows, GraphArrays
from ..alphabet import Alphabet, encode
from ..errors import InputFormatError, MemoryLimitError, ZeroProbabilityError

__all__ = ["Engine", "EncodedPairs", "ExpectedCounts", "CountTotals", "ViterbiResult", "Sample",
           "Tables", "kernel_tables", "is_extreme", "DEFAULT_MAX_MEMORY", "BLOCK_COLUMNS",
           "check_memory", "zero_probability_error", "human_bytes", "graph_arrays", "band_rows"]

#: Default cap on the memory of one full-matrix DP request (bytes).
DEFAULT_MAX_MEMORY = 4 * 1024**3
#: Columns per scaling block of the scaled full-matrix kernels.
BLOCK_COLUMNS = _k.BLOCK


@dataclass(frozen=True)
class Tables:
    """Emission and transition tables in the form the kernels take (extended codes)."""

    em: np.ndarray   # (n_codes, n_codes) match emission, ambiguity codes marginalised
    qx: np.ndarray   # (n_codes,)
    qy: np.ndarray
    t: np.ndarray    # (10,) transition probabilities of the 3-state model, kernel order
    lem: np.ndarray  # logs of the above
    lqx: np.ndarray
    lqy: np.ndarray
    lt: np.ndarray


def kernel_tables(model: Any) -> Tables:
    """A model's parameters as the kernels take them: emissions summed over the letters of each
    ambiguity code (the exact likelihood of a partly observed residue), the 3-state transitions
    in kernel order, and their logs."""
    mem = model.alphabet.membership()
    em = mem @ model.match @ mem.T
    qx = mem @ model.insert_x
    qy = mem @ model.insert_y
    tr = model.transitions()
    t = np.zeros(_k.N_TRANS)
    t[_k.T_MM], t[_k.T_MX], t[_k.T_MY], t[_k.T_ME] = tr[0]
    t[_k.T_XM], t[_k.T_XX], t[_k.T_XE] = tr[1, 0], tr[1, 1], tr[1, 3]
    t[_k.T_YM], t[_k.T_YY], t[_k.T_YE] = tr[2, 0], tr[2, 2], tr[2, 3]
    with np.errstate(divide="ignore"):
        return Tables(np.ascontiguousarray(em), qx, qy, t, np.log(em), np.log(qx), np.log(qy),
                      np.log(t))


def is_extreme(model: Any) -> bool:
    """True when the scaled full-matrix kernels cannot represent ``model`` safely (see
    :attr:`pairhmm.PairHMM.extreme`): 32 steps along a row of the smallest insert emission
    times the smallest insert self-loop fall below 1e-250."""
    A = model.alphabet.size
    G = model.graph
    loops = [G.T[s, s] for s in range(len(G.names)) if G.kind[s] != 0 and G.T[s, s] > 0]
    qmin = min(float(model.insert_x[:A].min()), float(model.insert_y[:A].min()))
    g = qmin * (min(loops) if loops else 1.0)
    return bool(g <= 0.0 or BLOCK_COLUMNS * math.log10(g) < -250.0)


def human_bytes(n: float) -> str:
    """``n`` bytes as text with a binary unit (``'1.5 GiB'``)."""
    unit = "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            break
        n /= 1024
    return f"{n:.1f} {unit}"


def check_memory(n: int, m: int, bytes_per_cell: float, what: str,
                 max_memory: float | None) -> None:
    """Raise :class:`MemoryLimitError` when ``bytes_per_cell`` over the (n+1)(m+1) DP cells of
    an ``n`` x ``m`` pair exceeds ``max_memory`` (default :data:`DEFAULT_MAX_MEMORY`)."""
    limit = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
    need = bytes_per_cell * (n + 1) * (m + 1)
    if need > limit:
        raise MemoryLimitError(
            f"{what} of a {n} x {m} pair needs about {human_bytes(need)} of DP matrices, over the "
            f"limit of {human_bytes(limit)}: raise --max-memory, or use `pairhmm score` (linear "
            f"memory)")


def zero_probability_error(model: Any, x: np.ndarray, y: np.ndarray) -> ZeroProbabilityError:
    """The error for a pair that no alignment can explain, naming the residues the model
    cannot emit at all (probability 0 both as an insertion and in every match)."""
    T = model.tables
    dead = {int(c) for c in np.unique(x) if T.qx[c] == 0 and not np.any(T.em[c, :] > 0)}
    dead |= {int(c) for c in np.unique(y) if T.qy[c] == 0 and not np.any(T.em[:, c] > 0)}
    msg = "no alignment of these sequences has non-zero probability under this model"
    letters = ""
    if dead:  # an ambiguity code (N, X, U = C, ...) is dead when all its letters are
        member = model.alphabet.membership()
        codes = sorted({int(b) for c in dead for b in np.flatnonzero(member[c])})
        letters = ", ".join(model.alphabet.letters[b] for b in codes)
        msg += (f": it gives probability 0 to every emission of {letters}, which these "
                f"sequences contain (maximum-likelihood training, pseudocount 0, does that to "
                f"residues its training data lacked: train with a pseudocount)")
    err = ZeroProbabilityError(msg)
    err.residues = letters  # "" when no single residue is to blame
    return err


def graph_arrays(graph: Any) -> GraphArrays:
    """The kernels' bundle of a :class:`pairhmm.variants.Graph`'s structure."""
    return GraphArrays(graph.kind, graph.erow, graph.pred, graph.npred, graph.succ, graph.nsucc)


def band_rows(band: Any) -> BandRows:
    """The kernels' bundle of a :class:`pairhmm.band.Band`."""
    return BandRows(band.lo, band.hi, band.start)


# ---------------------------------------------------------------------------------------------
# many pairs
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EncodedPairs:
    """Many pairs encoded once, in the layout the many-pair kernels take.

    Attributes
    ----------
    codes : ndarray of uint8, shape (total length,)
        Every sequence, concatenated (x of pair 0, y of pair 0, x of pair 1, ...).
    offsets : ndarray of int64, shape (2 n_pairs + 1,)
        Sequence ``s`` is ``codes[offsets[s]:offsets[s + 1]]``.
    index : ndarray of int64, shape (n_pairs, 2)
        The sequence numbers of each pair's x and y.
    names : list of (str, str)
        The ids of each pair's records (``"x"``/``"y"`` when not records), for messages.
    """

    codes: np.ndarray
    offsets: np.ndarray
    index: np.ndarray
    names: list

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[Any, Any]], alphabet: "Alphabet") -> "EncodedPairs":
        """Encode ``(x, y)`` pairs (str, Seq, SeqRecord or code arrays) with ``alphabet``.

        Raises
        ------
        InputFormatError
            An item is not a pair, a sequence is empty, or there are no pairs.
        AlphabetError
            A sequence holds a character outside the alphabet (the message names it).
        """
        seqs: list[np.ndarray] = []
        names: list[tuple[str, str]] = []
        for k, pair in enumerate(pairs):
            try:
                x, y = pair
            except (TypeError, ValueError):
                raise InputFormatError(f"pair #{k + 1} is not a (x, y) pair") from None
            ex = encode(x, alphabet, getattr(x, "id", None) or f"pair {k + 1} x")
            ey = encode(y, alphabet, getattr(y, "id", None) or f"pair {k + 1} y")
            if ex.size == 0 or ey.size == 0:
                raise InputFormatError(f"pair #{k + 1} has an empty sequence")
            seqs.append(ex)
            seqs.append(ey)
            names.append((getattr(x, "id", None) or "x", getattr(y, "id", None) or "y"))
        if not names:
            raise InputFormatError("no sequence pairs to train on")
        offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([s.size for s in seqs])
        flat = np.concatenate(seqs).astype(np.uint8)
        index = np.arange(len(seqs), dtype=np.int64).reshape(-1, 2)
        return cls(flat, offsets, index, names)

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def pair(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The codes of pair ``k`` (views into :attr:`codes`)."""
        a, b = self.index[k]
        o = self.offsets
        return self.codes[o[a]:o[a + 1]], self.codes[o[b]:o[b + 1]]

    def pairs(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every pair's codes, in order."""
        return [self.pair(k) for k in range(len(self))]

    def lengths(self) -> np.ndarray:
        """Lengths (n, m) of every pair, shape (n_pairs, 2)."""
        return np.diff(self.offsets).reshape(-1, 2)


class CountTotals(NamedTuple):
    """Expected counts summed over pairs (in pair order), on the model's extended codes.

    ``trans`` (3, 4): M, X, Y (Begin counted as M) -> M, X, Y, End, for the 3-state model
    (zeros for a variant); ``graph_trans`` (S+1, S+1) and ``graph_end`` (S,): transitions over
    a variant's state graph (None for the 3-state model); ``match`` (C, C), ``insert_x``,
    ``insert_y`` (C,): emission counts; ``log_likelihood``: their total; ``per_pair``: each
    pair's log-likelihood.
    """

    trans: np.ndarray
    match: np.ndarray
    insert_x: np.ndarray
    insert_y: np.ndarray
    log_likelihood: float
    per_pair: np.ndarray
    graph_trans: "np.ndarray | None"
    graph_end: "np.ndarray | None"


@dataclass(frozen=True)
class ExpectedCounts:
    """Expected counts of each pair, kept apart (one row per pair), as an engine computed them.

    ``layout`` names the row format (``"three-state"``: one row of transitions, emissions and
    the log-likelihood per pair; ``"graph"``: transitions over the state graph, ends, emissions
    and log-likelihoods, one array each); only :meth:`totals` reads it. Parts computed
    elsewhere (chunks on other workers) join with :meth:`concatenate`; summing in pair order
    makes the totals the same for any parallelism.
    """

    layout: str
    rows: tuple
    #: number of emission codes C of the model (canonical letters and ambiguity codes)
    n_codes: int

    def __len__(self) -> int:
        return int(self.rows[0].shape[0])

    @property
    def per_pair(self) -> np.ndarray:
        """Log-likelihood of each pair, shape (n_pairs,) (-inf: probability 0)."""
        if self.layout == "three-state":
            return self.rows[0][:, -1].copy()
        return self.rows[4]

    @classmethod
    def concatenate(cls, parts: Sequence["ExpectedCounts"]) -> "ExpectedCounts":
        """The counts of consecutive chunks of pairs as one (all parts in one layout)."""
        layouts = {p.layout for p in parts}
        if len(layouts) != 1:
            raise ValueError(f"cannot join expected counts of layouts {sorted(layouts)}")
        rows = tuple(np.concatenate([p.rows[k] for p in parts]) for k in range(len(parts[0].rows)))
        return cls(parts[0].layout, rows, parts[0].n_codes)

    def totals(self, general: bool) -> CountTotals:
        """Sum over pairs in pair order; ``general``: the counts are a variant's (its graph
        transitions are kept), else they describe the 3-state model (Begin counted as M)."""
        if self.layout == "graph":
            oT, oE, oM, oQ, ll = self.rows
            cT, cE, cM, cQ = oT.sum(axis=0), oE.sum(axis=0), oM.sum(axis=0), oQ.sum(axis=0)
            if general:
                return CountTotals(np.zeros((3, 4)), cM, cQ[0], cQ[1], float(ll.sum()), ll, cT, cE)
            # the plain 3-state graph (states M, X, Y, Begin): Begin counts as M
            trans = np.zeros((3, 4))
            trans[:, :3] = cT[:3, :3]
            trans[0, :3] += cT[3, :3]
            trans[:, 3] = cE
            return CountTotals(trans, cM, cQ[0], cQ[1], float(ll.sum()), ll, None, None)
        (r,) = self.rows
        per_pair = r[:, -1].copy()
        total = r.sum(axis=0)
        C = self.n_codes
        trans = total[:12].reshape(3, 4)
        em_ext = total[12:12 + C * C].reshape(C, C)
        qx_ext = total[12 + C * C:12 + C * C + C]
        qy_ext = total[12 + C * C + C:12 + C * C + 2 * C]
        return CountTotals(trans.copy(), em_ext, qx_ext, qy_ext, float(per_pair.sum()), per_pair,
                           None, None)


# ---------------------------------------------------------------------------------------------
# the interface
# ---------------------------------------------------------------------------------------------
class ViterbiResult(NamedTuple):
    """``score``: log P(x, y, path); ``path``: kinds (0 M, 1 X, 2 Y), int8; ``states``: the
    state of each column on the graph (None from the 3-state engine)."""

    score: float
    path: np.ndarray
    states: "np.ndarray | None"


class Sample(NamedTuple):
    """One sampled alignment: ``path`` (kinds), ``states`` (graph states, or None) and
    ``score`` = log P(x, y, path)."""

    path: np.ndarray
    states: "np.ndarray | None"
    score: float


class Engine:
    """The algorithms of one kernel family for one model, chosen once by the model.

    An engine takes encoded sequences (uint8 code arrays, validated by the model) and returns
    numbers and state paths; alignment objects, bands and input checks stay with the model
    (:class:`pairhmm.PairHMM`). Every engine gives the same results within rounding (tested);
    they differ in speed, memory and numeric range. The argument bundles the kernels take are
    built once per engine.

    Parameters
    ----------
    model : PairHMM
        The engine reads ``model.tables`` and ``model.graph``; build a new engine when the
        parameters change (the model does).
    """

    #: short name of the kernel family (messages, repr)
    name = "engine"

    def __init__(self, model: Any) -> None:
        self.model = model

    def __repr__(self) -> str:
        return f"<{type(self).__name__} ({self.name}) of {self.model!r}>"

    # ---- memory ------------------------------------------------------------------------------
    def bytes_per_cell(self, what: str) -> float:
        """Memory per DP cell of a full-matrix algorithm: ``"posterior"``, ``"mea"``,
        ``"viterbi"`` or ``"sampling"``."""
        raise NotImplementedError

    def viterbi_memory(self, n: int, m: int) -> float:
        """The least memory (bytes) an exact Viterbi of an ``n`` x ``m`` pair needs."""
        return self.bytes_per_cell("viterbi") * (n + 1) * (m + 1)

    # ---- one pair ------------------------------------------------------------------------------
    def forward(self, x: np.ndarray, y: np.ndarray) -> float:
        """log P(x, y), summed over all alignments, in linear memory."""
        raise NotImplementedError

    def viterbi(self, x: np.ndarray, y: np.ndarray, max_memory: float | None = None,
                traceback: str = "auto") -> ViterbiResult:
        """The most probable path (checked against ``max_memory``)."""
        raise NotImplementedError

    def viterbi_score(self, x: np.ndarray, y: np.ndarray) -> float:
        """log P(x, y, best path) in linear memory."""
        raise NotImplementedError

    def posterior(self, x: np.ndarray, y: np.ndarray,
                  max_memory: float | None = None) -> tuple[np.ndarray, float]:
        """Posterior match probabilities, shape (n, m), and log P(x, y)."""
        raise NotImplementedError

    def mea(self, P: np.ndarray, gx: np.ndarray, gy: np.ndarray) -> tuple[float, np.ndarray]:
        """Maximum expected accuracy path over a dense posterior ``P`` (n, m), with a reward
        ``gx`` (n,) / ``gy`` (m,) for leaving each residue unaligned: (score, path)."""
        from .._kernels.pair import mea_align

        score, path = mea_align(P, gx, gy)
        return float(score), path

    def sample(self, x: np.ndarray, y: np.ndarray, n: int, seed: int,
               max_memory: float | None = None) -> list[Sample]:
        """``n`` paths drawn from P(path | x, y) (stochastic traceback), seeded by ``seed``."""
        raise NotImplementedError

    # ---- many pairs ----------------------------------------------------------------------------
    def forward_many(self, pairs: EncodedPairs, n_jobs: int | None = None) -> np.ndarray:
        """log P(x, y) of every pair, shape (n_pairs,)."""
        return np.array([self.forward(x, y) for x, y in pairs.pairs()], dtype=np.float64)

    def posterior_many(self, pairs: EncodedPairs, n_jobs: int | None = None,
                       max_memory: float | None = None) -> list[tuple[np.ndarray, float]]:
        """:meth:`posterior` of every pair, in order."""
        return [self.posterior(x, y, max_memory) for x, y in pairs.pairs()]

    def counts_layout(self, pairs: EncodedPairs, n_jobs: int | None = None) -> str:
        """The row layout :meth:`counts_many` would use for ``pairs`` (chunks computed apart
        must use one layout to be joined)."""
        raise NotImplementedError

    def counts_many(self, pairs: EncodedPairs, n_jobs: int | None = None,
                    layout: str | None = None) -> ExpectedCounts:
        """Expected counts of every pair (the Baum-Welch E-step), kept apart per pair.

        ``n_jobs``: threads (None: Numba's current count); ``layout``: force a row layout
        (default :meth:`counts_layout`).
        """
        raise NotImplementedError
