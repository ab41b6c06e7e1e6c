"""Training the pair HMM: Baum-Welch on unaligned pairs, counting on known alignments, and the
likelihood-ratio test of a symmetric indel process.

Both estimators produce the same statistics, expected (Baum-Welch) or observed (alignments):
transition counts between M, X, Y and End, match-pair counts and insert counts. The tying engine
pools them (:meth:`pairhmm.tying.Tying.pool`) over every slot that shares a parameter, so one
shared gap-open probability learns from M -> X *and* M -> Y moves of every pair, and the M-step
normalises the pooled counts once.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from ._kernels import pair as _k
from ._threads import numba_threads
from .errors import InputFormatError, InvalidParameter, TrainingError
from .pair import PairHMM

__all__ = ["fit", "estimate_from_alignments", "symmetry_test", "SymmetryTest", "PairStats",
           "expected_stats", "alignment_stats", "read_alignments"]

_GAP_NAMES = ("delta", "epsilon", "tau", "flank_loop")
_NAMES = ("match", "insert") + _GAP_NAMES


@dataclass
class PairStats:
    """Sufficient statistics of the pair HMM, summed over pairs.

    Attributes
    ----------
    trans : ndarray, shape (3, 4)
        Counts of M, X, Y (rows; Begin counts as M) -> M, X, Y, End.
    match : ndarray, shape (A, A)
        Match-pair emission counts (canonical letters; ambiguity codes already distributed).
    insert : ndarray, shape (2, A)
        InsertX and InsertY emission counts.
    log_likelihood : float
        Total log-likelihood of the pairs (Baum-Welch) or NaN (counted alignments).
    per_pair : ndarray, shape (n_pairs,)
        Log-likelihood of each pair (Baum-Welch only).
    """

    trans: np.ndarray
    match: np.ndarray
    insert: np.ndarray
    log_likelihood: float = float("nan")
    per_pair: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: for model variants: transition counts over the state graph (S+1, S+1; row S = Begin)
    graph_trans: np.ndarray | None = None
    #: for model variants: counts of state -> End (S,)
    graph_end: np.ndarray | None = None


# ---------------------------------------------------------------------------------------------
# E-step
# ---------------------------------------------------------------------------------------------
def _encode_pairs(model: PairHMM, pairs: Iterable[tuple[Any, Any]]):
    seqs: list[np.ndarray] = []
    names: list[tuple[str, str]] = []
    for k, pair in enumerate(pairs):
        try:
            x, y = pair
        except (TypeError, ValueError):
            raise InputFormatError(f"pair #{k + 1} is not a (x, y) pair") from None
        ex = model.encode(x, getattr(x, "id", None) or f"pair {k + 1} x")
        ey = model.encode(y, getattr(y, "id", None) or f"pair {k + 1} y")
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
    return flat, offsets, index, names


def _to_canonical(model: PairHMM, em_ext: np.ndarray, qx_ext: np.ndarray, qy_ext: np.ndarray):
    """Distribute counts on ambiguity codes over the letters they stand for (exact E-step).

    Counts on canonical letters are kept as they are; a count on an ambiguity code is shared
    among its letters in proportion to their emission probabilities. (Computing everything as
    count / probability * probability would overflow when a probability is subnormal.)
    """
    A = model.alphabet.size
    mem = model.alphabet.membership()
    T = model.tables
    big = np.finfo(float).max / 1e6

    def ratio(num, den):
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            r = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        return np.minimum(r, big)

    W = ratio(em_ext, T.em)
    W[:A, :A] = 0.0
    match = em_ext[:A, :A] + model.match * (mem.T @ W @ mem)
    ins = []
    for q_ext, q_tab, q in ((qx_ext, T.qx, model.insert_x), (qy_ext, T.qy, model.insert_y)):
        w = ratio(q_ext, q_tab)
        w[:A] = 0.0
        ins.append(q_ext[:A] + q * (mem.T @ w))
    return match, np.stack(ins)


def expected_stats(model: PairHMM, pairs: Iterable[tuple[Any, Any]], n_jobs: int | None = None,
                   _encoded=None, scheduler: Any = None) -> PairStats:
    """Baum-Welch E-step: expected counts of every pair under ``model``, summed.

    Pairs are processed in parallel (Numba threads, or Dask workers with ``scheduler``); each
    pair's counts are kept apart and summed in pair order, so the result is identical for any
    number of threads or workers.
    """
    encoded = _encoded if _encoded is not None else _encode_pairs(model, pairs)
    flat, offsets, index, names = encoded
    if scheduler is not None:
        from .distributed import estep_rows_dask

        seqs = [flat[offsets[k]:offsets[k + 1]] for k in range(len(offsets) - 1)]
        # one kernel family for every chunk, so that their rows concatenate
        rows = estep_rows_dask(model, [(seqs[a], seqs[b]) for a, b in index], scheduler,
                               on_graph=_estep_on_graph(model, offsets, None))
    else:
        rows = _estep_rows(model, None, n_jobs, encoded)
    return _stats_from_rows(model, rows, names)


#: Above this much memory for the 3-state E-step's full forward matrices (24 bytes per cell of
#: the largest pair, per thread), the E-step runs on the state-graph kernels instead, which keep
#: forward checkpoints (O(m sqrt(n)) memory) and give the same counts.
ESTEP_FULL_MATRIX_LIMIT = 1 << 30


def _estep_on_graph(model: PairHMM, offsets: np.ndarray, n_jobs: int | None) -> bool:
    """True when the E-step should use the state-graph kernels (variants, or long pairs)."""
    if model.is_general:
        return True
    import numba

    lengths = np.diff(offsets).reshape(-1, 2) + 1
    threads = numba.get_num_threads() if n_jobs is None else int(n_jobs)
    need = 24.0 * float(np.max(lengths[:, 0] * lengths[:, 1])) * min(threads, len(lengths))
    return need > ESTEP_FULL_MATRIX_LIMIT


def _estep_rows(model: PairHMM, pairs: Any, n_jobs: int | None, encoded=None,
                on_graph: bool | None = None) -> tuple:
    """Per-pair expected counts (unsummed), as the kernels return them (``on_graph``: force
    the state-graph kernels on or off; default: :func:`_estep_on_graph`)."""
    flat, offsets, index, _ = encoded if encoded is not None else _encode_pairs(model, pairs)
    T = model.tables
    if on_graph is None:
        on_graph = _estep_on_graph(model, offsets, n_jobs)
    if model.extreme:
        return _estep_rows_log_space(model, flat, offsets, index)
    with numba_threads(n_jobs):
        if on_graph or model.is_general:
            from ._kernels import gpair

            G = model.graph
            q = np.stack([T.qx, T.qy])
            return gpair.g_counts_many(flat, offsets, index, G.kind, G.erow, T.em, q, G.T, G.end,
                                       G.pred, G.npred, G.succ, G.nsucc)
        return (_k.expected_counts_many(flat, offsets, index, T.em, T.qx, T.qy, T.t),)


def _estep_rows_log_space(model: PairHMM, flat: np.ndarray, offsets: np.ndarray,
                          index: np.ndarray) -> tuple:
    """Per-pair expected counts in log space (the banded kernels over every cell), in the
    state-graph kernels' row format: for :attr:`PairHMM.extreme` models, whose values the
    scaled kernels cannot hold. One pair after another (about 10x slower than the scaled path)."""
    from .band import Band

    G = model.graph
    T = model.tables
    S1 = len(G.names) + 1
    C = T.em.shape[0]
    P = index.shape[0]
    oT, oE = np.zeros((P, S1, S1)), np.zeros((P, S1 - 1))
    oM, oQ, ll = np.zeros((P, C, C)), np.zeros((P, 2, C)), np.zeros(P)
    for k, (a, b) in enumerate(index):
        x, y = flat[offsets[a]:offsets[a + 1]], flat[offsets[b]:offsets[b + 1]]
        ll[k] = model._bcall("band_counts", x, y, Band.full(x.size, y.size),
                             out=(oT[k], oE[k], oM[k], oQ[k]))
    return oT, oE, oM, oQ, ll


def _stats_from_rows(model: PairHMM, rows: tuple, names) -> PairStats:
    """Sum per-pair counts in pair order (fixed order: the same result for any parallelism)."""
    T = model.tables
    if len(rows) == 5:  # state-graph kernels
        oT, oE, oM, oQ, ll = rows
        bad = np.flatnonzero(~np.isfinite(ll))
        if bad.size:
            raise _zero_probability(names, bad)
        cT, cE, cM, cQ = oT.sum(axis=0), oE.sum(axis=0), oM.sum(axis=0), oQ.sum(axis=0)
        match, ins = _to_canonical(model, cM, cQ[0], cQ[1])
        if model.is_general:
            return PairStats(np.zeros((3, 4)), match, ins, float(ll.sum()), ll, cT, cE)
        # the plain 3-state graph (states M, X, Y, Begin): Begin counts as M
        trans = np.zeros((3, 4))
        trans[:, :3] = cT[:3, :3]
        trans[0, :3] += cT[3, :3]
        trans[:, 3] = cE
        return PairStats(trans, match, ins, float(ll.sum()), ll)
    (r,) = rows
    per_pair = r[:, -1].copy()
    bad = np.flatnonzero(~np.isfinite(per_pair))
    if bad.size:
        raise _zero_probability(names, bad)
    total = r.sum(axis=0)
    C = T.em.shape[0]
    trans = total[:12].reshape(3, 4)
    em_ext = total[12:12 + C * C].reshape(C, C)
    qx_ext = total[12 + C * C:12 + C * C + C]
    qy_ext = total[12 + C * C + C:12 + C * C + 2 * C]
    match, ins = _to_canonical(model, em_ext, qx_ext, qy_ext)
    return PairStats(trans.copy(), match, ins, float(per_pair.sum()), per_pair)


def _zero_probability(names, bad) -> TrainingError:
    k = int(bad[0])
    return TrainingError(
        f"pair #{k + 1} ({names[k][0]} / {names[k][1]}) has probability 0 under the model "
        "(a parameter fixed at 0 that this pair needs?): the model cannot be trained on it")


# ---------------------------------------------------------------------------------------------
# M-step
# ---------------------------------------------------------------------------------------------
def _parse_freeze(freeze: Any, model: PairHMM) -> tuple[set[str], dict[str, np.ndarray]]:
    """Names frozen whole, and element-wise masks for ``match`` / ``insert``."""
    names: set[str] = set()
    masks: dict[str, np.ndarray] = {}
    if freeze is None:
        return names, masks
    if isinstance(freeze, str):
        freeze = [f.strip() for f in freeze.split(",") if f.strip()]
    items = freeze.items() if isinstance(freeze, Mapping) else [(f, True) for f in freeze]
    A = model.alphabet.size
    for name, value in items:
        if name not in _NAMES:
            raise InvalidParameter("freeze", name, f"choose from {', '.join(_NAMES)}")
        if isinstance(value, (bool, np.bool_)) or np.ndim(value) == 0:
            if bool(value):
                names.add(name)
            continue
        mask = np.asarray(value, dtype=bool)
        want = (A, A) if name == "match" else (A,) if model.tied else (2, A)
        if name not in ("match", "insert") or mask.shape != want:
            raise InvalidParameter(f"freeze[{name}]", mask.shape,
                                   f"an element-wise mask must have shape {want}")
        masks[name] = mask
    return names, masks


def _normalise_free(tying, counts: np.ndarray, current: np.ndarray, frozen_slots: np.ndarray | None,
                    slot_dist: np.ndarray) -> np.ndarray:
    """M-step for tied distributions.

    ``slot_dist`` (shaped like the tying index) says which distribution each slot belongs to. A
    free parameter k appears m_k times in each distribution that uses it (the row-class rule);
    within a class, theta_k = (1 - frozen mass) * n_k / (m_k * N_unfrozen), the exact maximiser of
    sum_k n_k log theta_k subject to each distribution summing to 1, frozen entries fixed.
    """
    idx = tying.index
    used = idx >= 0
    n = tying.pool(counts)
    total_slots = tying.multiplicity()
    # number of distinct distributions each free parameter appears in
    pairs = np.unique(np.stack([idx[used], slot_dist[used]]), axis=1)
    n_dists = np.bincount(pairs[0], minlength=tying.n_free).astype(float)
    mult = total_slots / n_dists
    # class of a free parameter = the smallest distribution it appears in
    cls = np.full(tying.n_free, np.iinfo(np.int64).max)
    np.minimum.at(cls, idx[used], slot_dist[used])
    frozen = np.zeros(tying.n_free, dtype=bool)
    if frozen_slots is not None:
        frozen = tying.pool(frozen_slots.astype(float)) > 0
    out = current.copy()
    for g in np.unique(cls):
        sel = cls == g
        free = sel & ~frozen
        if not free.any():
            continue
        frozen_mass = float((mult[sel & frozen] * current[sel & frozen]).sum())
        total = float(n[free].sum())
        if total <= 0:
            continue  # no evidence: keep the current values
        out[free] = (1.0 - frozen_mass) * n[free] / (mult[free] * total)
    return out


def _pooled_gap_counts(model: PairHMM, stats: PairStats, pseudocount: float) -> dict:
    """Counts for the gap M-step, from the 3-state transitions or a variant's state graph."""
    if model.is_general and stats.graph_trans is not None:
        from .variants import pool_transition_counts

        G = model.graph
        cT = stats.graph_trans + pseudocount * (G.T > 0)
        cE = stats.graph_end + pseudocount * (G.end > 0)
        return pool_transition_counts(model, G, cT, cE)
    n = stats.trans + pseudocount * (model.transitions() > 0)
    return dict(nMM=n[0, 0], D=np.array([[n[0, 1], n[0, 2]]]), E=np.array([[n[1, 1], n[2, 2]]]),
                R=np.array([[n[1, 0], n[2, 0]]]), nE=n[:, 3].sum(), flank_loop=0.0, flank_exit=0.0)


#: Smallest probability (relative to 1 - tau) of a move back to Match (M -> M, X -> M, Y -> M)
#: that the M-step produces: the model requires these moves > 0, and maximum likelihood on data
#: that never use one drives it to 0 (and, by rounding, below). Its effect on a fit's
#: log-likelihood is at most about MIN_RETURN per use of the move.
MIN_RETURN = 1e-10


def _gap_mstep(model: PairHMM, c: dict, frozen: set[str]) -> tuple[np.ndarray, float, float]:
    """Maximise the expected complete-data log-likelihood over the gap parameters and tau.

    With delta' = delta / (1 - tau) and epsilon' = epsilon / (1 - tau) the objective separates:
    tau = n_End / N (N = every transition that carries a (1 - tau) or tau factor), then each
    gap class's delta' and epsilon' by their own rows' counts, pooled over X and Y when tied.
    When delta or epsilon is frozen but tau is not, tau is found by a bounded 1-D search.

    Returns the gap slot values ([dx, dy, ex, ey] per class, flattened), tau and the flank loop.
    """
    nMM, D, E, R, nE = c["nMM"], c["D"], c["E"], c["R"], c["nE"]
    n_cls = D.shape[0]
    cur = model.gap_tying.expand(model._gap_free).reshape(n_cls, 4)
    tied = model.tied
    N = nE + nMM + D.sum() + E.sum() + R.sum()

    def solve(tau: float) -> np.ndarray:
        s = 1.0 - tau
        out = cur.copy()
        row_total = nMM + D.sum()
        # The moves back to Match (M -> M, X -> M, Y -> M) are what is left of a row; computed by
        # subtraction they can round below zero when the data never use them (an insert state
        # only ever left through End: an untied fit on pairs whose one sequence is longer at an
        # end). The parameter space is every such move >= MIN_RETURN: a row whose maximiser lies
        # below keeps MIN_RETURN and shares the rest in proportion to its counts (the exact
        # maximiser under that bound, so EM stays monotone).
        floor = s * MIN_RETURN
        for k in range(n_cls):
            if "delta" not in frozen and row_total > 0:
                if tied:
                    out[k, 0] = out[k, 1] = s * D[k].sum() / (2.0 * row_total)
                else:
                    out[k, 0], out[k, 1] = s * D[k, 0] / row_total, s * D[k, 1] / row_total
            if "epsilon" not in frozen:
                if tied:
                    tot = E[k].sum() + R[k].sum()
                    if tot > 0:
                        out[k, 2] = out[k, 3] = min(s * E[k].sum() / tot, s - floor)
                else:
                    for side in (0, 1):
                        tot = E[k, side] + R[k, side]
                        if tot > 0:
                            out[k, 2 + side] = min(s * E[k, side] / tot, s - floor)
        if "delta" not in frozen and row_total > 0:
            opened = out[:, :2].sum()
            if opened > s - floor:
                out[:, :2] *= (s - floor) / opened
        return out

    def q(tau: float) -> float:
        g = solve(tau)
        terms = [(nMM, 1.0 - g[:, 0].sum() - g[:, 1].sum() - tau), (nE, tau)]
        for k in range(n_cls):
            terms += [(D[k, 0], g[k, 0]), (D[k, 1], g[k, 1]), (E[k, 0], g[k, 2]), (E[k, 1], g[k, 3]),
                      (R[k, 0], 1.0 - g[k, 2] - tau), (R[k, 1], 1.0 - g[k, 3] - tau)]
        v = 0.0
        for cnt, p in terms:
            if cnt > 0:
                if p <= 0:
                    return -math.inf
                v += cnt * math.log(p)
        return v

    if "tau" in frozen:
        tau = model.tau
    elif not ({"delta", "epsilon"} & frozen):
        tau = nE / N if N > 0 else model.tau
    else:
        from scipy.optimize import minimize_scalar

        hi = 1.0
        if "delta" in frozen:
            hi -= cur[:, :2].sum()
        if "epsilon" in frozen:
            hi = min(hi, 1.0 - cur[:, 2:].max())
        res = minimize_scalar(lambda t: -q(t), bounds=(1e-12, max(hi - 1e-9, 2e-12)),
                              method="bounded", options={"xatol": 1e-12})
        tau = float(res.x)
    lam = model.flank_loop
    if "flank_loop" not in frozen and c["flank_loop"] + c["flank_exit"] > 0 and model.mode != "global":
        lam = c["flank_loop"] / (c["flank_loop"] + c["flank_exit"])
        lam = min(max(lam, MIN_RETURN), 1.0 - MIN_RETURN)  # the model needs 0 < loop < 1
    return solve(tau).ravel(), tau, lam


def mstep(model: PairHMM, stats: PairStats, pseudocount: float = 0.0, freeze: Any = None) -> PairHMM:
    """One M-step: a new model maximising the expected complete-data likelihood of ``stats``.

    Parameters
    ----------
    pseudocount : float
        Dirichlet pseudocount added to every count (emissions and transitions).
    freeze : iterable of str, or dict
        Parameters kept at their current value: any of ``match``, ``insert``, ``delta``,
        ``epsilon``, ``tau``; a dict may map ``match``/``insert`` to a boolean mask to freeze
        single entries.
    """
    if pseudocount < 0 or not math.isfinite(pseudocount):
        raise InvalidParameter("pseudocount", pseudocount, "must be a finite number >= 0")
    frozen, masks = _parse_freeze(freeze, model)
    A = model.alphabet.size
    # match
    if "match" in frozen:
        match = model.match
    else:
        mt = model.match_tying
        free = _normalise_free(mt, stats.match + pseudocount, model._match_free,
                               masks.get("match"), np.zeros((A, A), dtype=np.int64))
        match = mt.expand(free)
    # inserts: one free row when tied, two when untied
    if "insert" in frozen:
        insert = model.insert
    else:
        it = model.insert_tying
        mask = masks.get("insert")
        if mask is not None and model.tied:
            mask = np.stack([mask, mask])
        free = _normalise_free(it, stats.insert + pseudocount, model._insert_free, mask,
                               np.repeat(np.arange(2), A).reshape(2, A))
        full = it.expand(free)
        insert = full[0] if model.tied else full
    gaps, tau, lam = _gap_mstep(model, _pooled_gap_counts(model, stats, pseudocount), frozen)
    dx, dy, ex, ey = gaps[:4]
    delta = dx if model.tied else (dx, dy)
    epsilon = ex if model.tied else (ex, ey)
    long_gaps = None
    if model.long_gaps:
        d2x, d2y, e2x, e2y = gaps[4:8]
        long_gaps = (d2x, e2x) if model.tied else ((d2x, d2y), (e2x, e2y))
    try:
        return PairHMM(match, insert, delta, epsilon, tau, model.alphabet,
                       symmetric_match=model.symmetric_match,
                       eta=None if model._eta_auto else model.eta, mode=model.mode,
                       long_gaps=long_gaps, flank_loop=lam, flank_start=model.flank_start)
    except InvalidParameter as e:
        raise TrainingError(f"the M-step produced an invalid model ({e}); add a pseudocount or "
                            "unfreeze parameters") from None


# ---------------------------------------------------------------------------------------------
# Baum-Welch
# ---------------------------------------------------------------------------------------------
def fit(model: PairHMM, pairs: Iterable[tuple[Any, Any]], max_iter: int = 100, tol: float = 1e-4,
        pseudocount: float = 0.0, freeze: Any = None, random_state: Any = None,
        init: str = "model", n_jobs: int | None = None,
        callback: Callable[[int, float], None] | None = None, scheduler: Any = None) -> PairHMM:
    """Baum-Welch on unaligned pairs; see :meth:`PairHMM.fit`."""
    if max_iter < 0:
        raise InvalidParameter("max_iter", max_iter, "must be >= 0")
    if not tol >= 0:
        raise InvalidParameter("tol", tol, "must be >= 0")
    if init == "random":
        model = _random_start(model, random_state, freeze)
    elif init == "model":
        model = model.copy()  # the caller's model is the starting point, never modified
    else:
        raise InvalidParameter("init", init, "choose 'model' or 'random'")
    encoded = _encode_pairs(model, pairs)
    history: list[float] = []
    logliks: list[float] = []
    for it in range(max_iter + 1):
        stats = expected_stats(model, None, n_jobs=n_jobs, _encoded=encoded, scheduler=scheduler)
        ll = stats.log_likelihood
        logliks.append(ll)
        # with pseudocounts EM maximises the posterior (Dirichlet prior), which is what never
        # decreases; the plain log-likelihood is kept in `log_likelihoods`
        objective = ll + (_log_prior(model, pseudocount) if pseudocount > 0 else 0.0)
        history.append(objective)
        if callback is not None:
            callback(it, ll)
        if len(history) > 1:
            change = history[-1] - history[-2]
            if change < -1e-7 * max(1.0, abs(objective)):
                warnings.warn(f"EM objective decreased at iteration {it} by {-change:.3g} "
                              "(numerical noise?)", RuntimeWarning)
            if change < tol:
                break
        if it == max_iter:
            break
        model = mstep(model, stats, pseudocount=pseudocount, freeze=freeze)
    model.history = history
    model.log_likelihoods = logliks
    model.converged = len(history) > 1 and history[-1] - history[-2] < tol
    return model


def _log_prior(model: PairHMM, pc: float) -> float:
    """log of the Dirichlet prior that a pseudocount ``pc`` on every count stands for (up to a
    constant): pc * sum of log p over every emission slot and every allowed transition."""
    def slog(a: np.ndarray) -> float:
        a = np.asarray(a, dtype=float)
        a = a[a > 0]
        return float(np.log(a).sum())

    v = slog(model.match) + slog(model.insert_x) + slog(model.insert_y)
    if model.is_general:
        v += slog(model.graph.T) + slog(model.graph.end)
    else:
        v += slog(model.transitions())
    return pc * v


def _random_start(model: PairHMM, random_state: Any, freeze: Any = None) -> PairHMM:
    """Random values with ``model``'s structure (alphabet, tying, mode, long gaps, tau).

    Frozen parameters keep ``model``'s values (element-wise masks: the frozen entries keep
    theirs, the others share the remaining probability mass at random).
    """
    rng = np.random.default_rng(random_state)
    frozen, masks = _parse_freeze(freeze, model)
    A = model.alphabet.size
    k = 1 if model.tied else 2
    s = 1.0 - model.tau
    match = rng.dirichlet(np.full(A * A, 5.0)).reshape(A, A) + np.eye(A) * 0.5 / A
    if model.symmetric_match:
        match = match + match.T
    match /= match.sum()
    insert = rng.dirichlet(np.full(A, 10.0), size=k)
    delta = rng.uniform(0.01, 0.1, size=k) * s
    epsilon = rng.uniform(0.2, 0.8, size=k) * s
    if "match" in frozen:
        match = model.match
    elif "match" in masks:
        m = masks["match"] | masks["match"].T if model.symmetric_match else masks["match"]
        match = _keep_masked(match, model.match, m)
    if "insert" in frozen:
        insert = np.atleast_2d(model.insert)
    elif "insert" in masks:
        mask = np.broadcast_to(masks["insert"], insert.shape)
        old = np.atleast_2d(model.insert)
        insert = np.stack([_keep_masked(insert[r], old[r], mask[r]) for r in range(k)])
    if "delta" in frozen:
        delta = np.array([model.delta_x, model.delta_y][:k])
    if "epsilon" in frozen:
        epsilon = np.array([model.epsilon_x, model.epsilon_y][:k])
    if model.tied:
        return model.copy(match=match, insert=insert[0], delta=float(delta[0]),
                          epsilon=float(epsilon[0]))
    return model.copy(match=match, insert=insert, delta=tuple(delta), epsilon=tuple(epsilon))


def _keep_masked(new: np.ndarray, old: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """``new`` with the ``mask`` entries of ``old``, the rest rescaled so the total stays 1."""
    out = np.array(new, dtype=float)
    out[mask] = old[mask]
    rest = out[~mask].sum()
    if rest > 0:
        out[~mask] *= (1.0 - old[mask].sum()) / rest
    return out


# ---------------------------------------------------------------------------------------------
# supervised: counting on known alignments (Durbin section 3.3)
# ---------------------------------------------------------------------------------------------
def read_alignments(paths: Sequence["str | os.PathLike[str]"], fmt: str | None = None) -> list:
    """Multiple alignments from files: aligned FASTA, Clustal, Stockholm, GCG MSF, PHYLIP, A2M,
    NEXUS (plain or gzipped), read by :func:`pairhmm.alnio.read_alignment_file`.

    Parameters
    ----------
    paths : sequence of paths
    fmt : str, optional
        The format of every file; detected from each file's content when None.

    Returns
    -------
    list of (path, row ids, gapped rows)
        One entry per alignment (a Stockholm or Clustal file may hold several).
    """
    from .alnio import read_alignment_file

    out = []
    for path in paths:
        name = os.fspath(path)
        for ids, rows in read_alignment_file(name, fmt):
            out.append((name, ids, rows))
    return out


@dataclass
class _Columns:
    """What counting needs from a set of alignments, read once: the column kinds of every row
    pair (0 match, 1 x only, 2 y only), the 3-state transition counts and the emission counts
    on extended codes."""

    kinds: list
    trans: np.ndarray
    em_ext: np.ndarray
    qx_ext: np.ndarray
    qy_ext: np.ndarray


def _alignment_columns(model: PairHMM, alignments: Iterable, max_rows: int | None) -> _Columns:
    C = len(model.alphabet.symbols)
    cols = _Columns([], np.zeros((3, 4)), np.zeros((C, C)), np.zeros(C), np.zeros(C))
    gapchars = set("-.")
    for path, ids, rows in alignments:
        enc = []
        for rid, r in zip(ids, rows):
            up = r.upper()
            codes = np.full(len(up), 255, dtype=np.int64)
            mask = np.array([c not in gapchars for c in up], dtype=bool)
            try:
                codes[mask] = model.encode("".join(c for c in up if c not in gapchars), rid)
            except Exception as err:
                raise InputFormatError(f"{os.fspath(path)}: {err}") from None
            enc.append(codes)
        R = len(enc) if max_rows is None else min(len(enc), max_rows)
        for a in range(R):
            for b in range(a + 1, R):
                ra, rb = enc[a], enc[b]
                keep = (ra != 255) | (rb != 255)
                ra, rb = ra[keep], rb[keep]
                if ra.size == 0:
                    continue
                st = np.where((ra != 255) & (rb != 255), 0, np.where(ra != 255, 1, 2))
                cols.kinds.append(st)
                # transitions (Begin counts as M); an X|Y adjacency is not counted
                prev = np.concatenate([[0], st[:-1]])
                ok = prev + st != 3
                np.add.at(cols.trans, (prev[ok], st[ok]), 1)
                cols.trans[st[-1], 3] += 1
                m_, x_, y_ = st == 0, st == 1, st == 2
                np.add.at(cols.em_ext, (ra[m_], rb[m_]), 1)
                np.add.at(cols.qx_ext, ra[x_], 1)
                np.add.at(cols.qy_ext, rb[y_], 1)
    if not cols.kinds:
        raise InputFormatError("the alignments hold no pair of rows to count")
    return cols


def _kind_moves(G: Any) -> np.ndarray:
    """(3, 3) bool: which kinds of state the graph can move between (kind -> kind)."""
    S = len(G.names)
    p, s = np.nonzero(G.T[:S, :S] > 0)
    moves = np.zeros((3, 3), dtype=bool)
    moves[G.kind[p], G.kind[s]] = True
    return moves


def alignment_stats(model: PairHMM, alignments: Iterable, max_rows: int | None = None,
                    _columns: _Columns | None = None) -> PairStats:
    """Observed counts from every pair of rows of every alignment.

    Columns where both rows have a gap are skipped; an X column directly followed by a Y column
    (or Y by X), which the pair HMM cannot produce, contributes its emissions but not that
    transition. Ambiguity codes are distributed over their letters in proportion to ``model``.

    For a model variant (double affine gaps, flanks) the alignment leaves open which state of a
    kind made each column (a short or a long gap, a flank or a core gap): the transitions are
    then expected counts over the state graph given the columns' kinds
    (:func:`pairhmm._kernels.pathcount.path_transition_counts`, exact forward-backward along
    the columns under ``model``), so the counts of a variant depend on the model they start from.
    """
    cols = _columns if _columns is not None else _alignment_columns(model, alignments, max_rows)
    match, ins = _to_canonical(model, cols.em_ext, cols.qx_ext, cols.qy_ext)
    if not model.is_general:
        return PairStats(cols.trans.copy(), match, ins)
    G = model.graph
    for k in (1, 2):
        if len(set(G.erow[G.kind == k].tolist())) > 1:  # pragma: no cover - not built today
            raise InvalidParameter("model", "graph", "states of one kind emit differently")
    moves = _kind_moves(G)
    gT = np.zeros_like(G.T)
    gE = np.zeros_like(G.end)
    for st in cols.kinds:
        _path_counts(st, moves, G, gT, gE)
    return PairStats(cols.trans.copy(), match, ins, graph_trans=gT, graph_end=gE)


def _path_counts(cols: np.ndarray, kind_moves: np.ndarray, G: Any, out_T: np.ndarray,
                 out_end: np.ndarray) -> float:
    """Expected graph transitions of one row pair's column kinds, added to ``out_*``.

    An x-only column next to a y-only one is a move only some states make (local flanks); when
    the columns cannot be produced with it, every such step is taken as unobserved instead, as
    the 3-state counting does.
    """
    from ._kernels.pathcount import path_transition_counts

    free = np.zeros(cols.size, dtype=bool)
    free[1:] = ~kind_moves[cols[:-1], cols[1:]]
    lp = path_transition_counts(cols, free, G.kind, G.T, G.end, out_T, out_end)
    if np.isfinite(lp):
        return lp
    free[1:] |= cols[:-1] + cols[1:] == 3  # every X|Y adjacency: then every kind sequence is possible
    return path_transition_counts(cols, free, G.kind, G.T, G.end, out_T, out_end)


def estimate_from_alignments(alignments: Iterable, model: PairHMM | None = None,
                             alphabet: str = "protein", tied: bool = True,
                             pseudocount: float = 1.0, freeze: Any = None) -> PairHMM:
    """Maximum-likelihood parameters from known alignments (counting; Durbin et al. section 3.3).

    Parameters
    ----------
    alignments : iterable
        Output of :func:`read_alignments` (every pair of rows of each multiple alignment counts).
    model : PairHMM, optional
        Template (alphabet, tying choices, frozen values); default ``PairHMM.default(alphabet)``.
    pseudocount : float
        Added to every count (default 1: Laplace), so unseen pairs keep non-zero probability.

    Notes
    -----
    In a model variant the alignment does not say which state of a kind made a column (short or
    long gap, flank or core gap); the transition counts are then expectations under the current
    model, and counting is repeated (EM over the hidden states, the emissions being observed)
    until the parameters change by less than 1e-6, at most 200 times.
    """
    if model is None:
        model = PairHMM.default(alphabet, tied=tied)
    cols = _alignment_columns(model, alignments, None)  # read once, recounted under each model
    new = mstep(model, alignment_stats(model, None, _columns=cols), pseudocount=pseudocount,
                freeze=freeze)
    for _ in range(199 if model.is_general else 0):
        if max(np.abs(new.graph.T - model.graph.T).max(), np.abs(new.graph.end - model.graph.end).max()) < 1e-6:
            break
        model = new
        new = mstep(model, alignment_stats(model, None, _columns=cols), pseudocount=pseudocount,
                    freeze=freeze)
    return new


# ---------------------------------------------------------------------------------------------
# symmetric-indel test
# ---------------------------------------------------------------------------------------------
@dataclass
class SymmetryTest:
    """Likelihood-ratio test of tied (symmetric indels) against untied insert states.

    Attributes
    ----------
    statistic : float
        2 (logL_untied - logL_tied), clipped at 0.
    df : int
        Number of parameters that tying removes.
    pvalue : float
        Upper tail of the chi-square distribution with ``df`` degrees of freedom.
    tied, untied : PairHMM
        The two fitted models (each with ``history``).
    """

    statistic: float
    df: int
    pvalue: float
    tied: PairHMM
    untied: PairHMM

    @property
    def log_likelihood_tied(self) -> float:
        return self.tied.history[-1]

    @property
    def log_likelihood_untied(self) -> float:
        return self.untied.history[-1]

    def table(self) -> str:
        """The test as a small text table."""
        t, u = self.tied, self.untied
        rows = [
            ("", "tied", "untied"),
            ("log-likelihood", f"{self.log_likelihood_tied:.4f}", f"{self.log_likelihood_untied:.4f}"),
            ("free parameters", str(t.n_free_parameters()), str(u.n_free_parameters())),
            ("delta (x, y)", f"{t.delta_x:.5g}", f"{u.delta_x:.5g}, {u.delta_y:.5g}"),
            ("epsilon (x, y)", f"{t.epsilon_x:.5g}", f"{u.epsilon_x:.5g}, {u.epsilon_y:.5g}"),
            ("tau", f"{t.tau:.5g}", f"{u.tau:.5g}"),
        ]
        w = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = ["  ".join(r[i].ljust(w[i]) for i in range(3)).rstrip() for r in rows]
        lines.append(f"LR statistic 2(logL_untied - logL_tied) = {self.statistic:.4f}, df = {self.df}, "
                     f"p = {self.pvalue:.4g}")
        return "\n".join(lines)


def symmetry_test(pairs: Iterable[tuple[Any, Any]], model: PairHMM | None = None,
                  alphabet: str | None = None, max_iter: int = 500, tol: float = 1e-6,
                  **fit_kwargs: Any) -> SymmetryTest:
    """Is the indel process symmetric? Fit tied and untied models from the same start.

    Parameters
    ----------
    pairs : iterable of (x, y)
    model : PairHMM, optional
        Starting point (its tied version starts the tied fit, the same numbers untied start the
        untied fit). Default: ``PairHMM.default(alphabet)``.
    max_iter, tol, **fit_kwargs
        Passed to :meth:`PairHMM.fit`; a tight ``tol`` matters: the statistic is a difference
        of two maximised likelihoods.

    Returns
    -------
    SymmetryTest
    """
    from scipy.stats import chi2

    pairs = list(pairs)
    if model is None:
        if alphabet is None:
            from .alphabet import as_text, guess_alphabet
            alphabet = guess_alphabet(*(as_text(s)[0] for p in pairs[:50] for s in p)).name
        model = PairHMM.default(alphabet)
    if model.tied:
        tied_start = model
    else:
        # the average of X and Y, keeping everything else (mode, long gaps, flanks, eta)
        long_gaps = None
        if model.long_gaps:
            long_gaps = ((model.delta2_x + model.delta2_y) / 2, (model.epsilon2_x + model.epsilon2_y) / 2)
        tied_start = model.copy(insert=(model.insert_x + model.insert_y) / 2,
                                delta=(model.delta_x + model.delta_y) / 2,
                                epsilon=(model.epsilon_x + model.epsilon_y) / 2, long_gaps=long_gaps)
    tied = tied_start.fit(pairs, max_iter=max_iter, tol=tol, **fit_kwargs)
    untied = tied_start.untie().fit(pairs, max_iter=max_iter, tol=tol, **fit_kwargs)
    # EM finds a local optimum; the untied family contains the tied optimum, so continuing from
    # there guarantees logL_untied >= logL_tied. Keep whichever untied fit is better.
    again = tied.untie().fit(pairs, max_iter=max_iter, tol=tol, **fit_kwargs)
    if again.history[-1] > untied.history[-1]:
        untied = again
    stat = max(0.0, 2.0 * (untied.history[-1] - tied.history[-1]))
    df = untied.n_free_parameters() - tied.n_free_parameters()
    return SymmetryTest(stat, df, float(chi2.sf(stat, df)), tied, untied)
