"""Baum-Welch for the pair HMM: the E-step statistics, the M-step, and the fit loop.

The E-step runs on the model's engine (:meth:`pairhmm.engine.Engine.counts_many`, per-pair counts
summed in pair order); the tying engine pools the counts over every slot that shares a
parameter (:class:`pairhmm.em.TiedDistributions` for the emissions, a closed form for the gap
parameters), and :func:`pairhmm.em.em_loop` runs the iterations with the
:class:`~pairhmm.em.ConvergenceMonitor` that :class:`pairhmm.TiedHMM` uses too.
:meth:`pairhmm.PairHMM.fit` calls :func:`baum_welch`; :mod:`pairhmm.train` holds the procedures
built on it (counting on alignments, the symmetry test).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, NamedTuple

import numpy as np

from .em import ConvergenceMonitor, TiedDistributions, em_loop
from .engine import EncodedPairs, ExpectedCounts
from .errors import InvalidParameter, TrainingError
from .tying import Tying

if TYPE_CHECKING:  # the model imports this module, not the other way round
    from .pair import PairHMM

__all__ = ["PairStats", "expected_stats", "estep_chunk", "mstep", "baum_welch", "BaumWelchResult",
           "to_canonical"]

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
def to_canonical(model: PairHMM, em_ext: np.ndarray, qx_ext: np.ndarray, qy_ext: np.ndarray):
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


def expected_stats(model: PairHMM, pairs: "Iterable[tuple[Any, Any]] | EncodedPairs",
                   n_jobs: int | None = None, scheduler: Any = None) -> PairStats:
    """Baum-Welch E-step: expected counts of every pair under ``model``, summed.

    Pairs (or :class:`~pairhmm.engine.EncodedPairs`, encoded once with
    :meth:`PairHMM.encode_pairs`) run on the model's engine, in parallel (Numba threads, or Dask
    workers with ``scheduler``); each pair's counts are kept apart and summed in pair order, so
    the result is identical for any number of threads or workers.
    """
    encoded = pairs if isinstance(pairs, EncodedPairs) else model.encode_pairs(pairs)
    engine = model.engine
    if scheduler is not None:
        from .parallel import chunk_size, chunked, ordered_map

        pairs = encoded.pairs()
        # one row layout for every chunk, so that their counts join
        counts = ExpectedCounts.concatenate(list(ordered_map(
            estep_chunk, chunked(pairs, chunk_size(len(pairs), scheduler=scheduler)),
            scheduler=scheduler, args=(model, engine.counts_layout(encoded, None)))))
    else:
        counts = engine.counts_many(encoded, n_jobs)
    return _stats_from_counts(model, counts, encoded.names)


def estep_chunk(chunk: list, model: PairHMM, layout: str) -> ExpectedCounts:
    """Task of a distributed E-step: the per-pair expected counts of the pairs in ``chunk``
    (code arrays), in the engine row ``layout`` the whole E-step uses."""
    return model.engine.counts_many(model.encode_pairs(chunk), None, layout)


def _stats_from_counts(model: PairHMM, counts: ExpectedCounts, names) -> PairStats:
    """Sum per-pair counts in pair order (fixed order: the same result for any parallelism)."""
    tot = counts.totals(model.is_general)
    bad = np.flatnonzero(~np.isfinite(tot.per_pair))
    if bad.size:
        raise _zero_probability(names, bad)
    match, ins = to_canonical(model, tot.match, tot.insert_x, tot.insert_y)
    if model.is_general:
        return PairStats(tot.trans, match, ins, tot.log_likelihood, tot.per_pair, tot.graph_trans,
                         tot.graph_end)
    return PairStats(tot.trans, match, ins, tot.log_likelihood, tot.per_pair)


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


def _tied_mstep(name: str, tying: Tying, counts: np.ndarray, current: np.ndarray,
                frozen_slots: np.ndarray | None) -> np.ndarray:
    """M-step of tied distributions, one per row of ``tying`` (see
    :class:`pairhmm.em.TiedDistributions`; frozen entries fixed, their mass kept)."""
    frozen = (np.zeros(tying.n_free, dtype=bool) if frozen_slots is None
              else tying.pool(frozen_slots.astype(float)) > 0)
    return TiedDistributions(name, tying).normalise(tying.pool(counts), current, frozen,
                                                     sums="pairwise")


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
    cur = model.gap_tying.expand(model.free_parameters()["gaps"]).reshape(n_cls, 4)
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
    current = model.free_parameters()
    # match: one distribution over every (a, b)
    if "match" in frozen:
        match = model.match
    else:
        mt = model.match_tying
        mask = masks.get("match")
        free = _tied_mstep("match", Tying(mt.index.reshape(1, -1)),
                           (stats.match + pseudocount).reshape(1, -1), current["match"],
                           None if mask is None else mask.reshape(1, -1))
        match = mt.expand(free)
    # inserts: rows X and Y, one free row when tied, two when untied
    if "insert" in frozen:
        insert = model.insert
    else:
        it = model.insert_tying
        mask = masks.get("insert")
        if mask is not None and model.tied:
            mask = np.stack([mask, mask])
        free = _tied_mstep("insert", it, stats.insert + pseudocount, current["insert"], mask)
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
        return model.copy(match=match, insert=insert, delta=delta, epsilon=epsilon, tau=tau,
                          long_gaps=long_gaps, flank_loop=lam)
    except InvalidParameter as e:
        raise TrainingError(f"the M-step produced an invalid model ({e}); add a pseudocount or "
                            "unfreeze parameters") from None


# ---------------------------------------------------------------------------------------------
# Baum-Welch
# ---------------------------------------------------------------------------------------------
class BaumWelchResult(NamedTuple):
    """What :func:`baum_welch` found: the fitted ``model`` (a new object), the
    :class:`~pairhmm.em.ConvergenceMonitor` with the EM objective of every iteration, and the
    plain ``log_likelihoods`` (without the log-prior of a pseudocount)."""

    model: "PairHMM"
    monitor: ConvergenceMonitor
    log_likelihoods: list


def baum_welch(model: "PairHMM", pairs: Iterable[tuple[Any, Any]], max_iter: int = 100,
               tol: float = 1e-4, pseudocount: float = 0.0, freeze: Any = None,
               random_state: Any = None, init: str = "model", n_jobs: int | None = None,
               callback: Callable[[int, float], None] | None = None,
               scheduler: Any = None) -> BaumWelchResult:
    """Baum-Welch on unaligned pairs from ``model`` (left unchanged); see :meth:`PairHMM.fit`."""
    if max_iter < 0:
        raise InvalidParameter("max_iter", max_iter, "must be >= 0")
    if not tol >= 0:
        raise InvalidParameter("tol", tol, "must be >= 0")
    if pseudocount < 0 or not math.isfinite(pseudocount):
        raise InvalidParameter("pseudocount", pseudocount, "must be a finite number >= 0")
    if init == "random":
        model = _random_start(model, random_state, freeze)
    elif init == "model":
        model = model.copy()  # the caller's model is the starting point
    else:
        raise InvalidParameter("init", init, "choose 'model' or 'random'")
    encoded = model.encode_pairs(pairs)
    state = {"model": model}
    logliks: list[float] = []

    def estep() -> tuple:
        stats = expected_stats(state["model"], encoded, n_jobs=n_jobs, scheduler=scheduler)
        logliks.append(stats.log_likelihood)
        # with pseudocounts EM maximises the posterior (Dirichlet prior), which is what never
        # decreases; the plain log-likelihood is kept apart
        prior = _log_prior(state["model"], pseudocount) if pseudocount > 0 else 0.0
        return stats, stats.log_likelihood + prior

    def step(stats: PairStats) -> None:
        state["model"] = mstep(state["model"], stats, pseudocount=pseudocount, freeze=freeze)

    def report(k: int, objective: float, stats: PairStats) -> None:
        if callback is not None:
            callback(k - 1, stats.log_likelihood)

    monitor = ConvergenceMonitor(tol, max_iter, decrease_tol=1e-7)
    em_loop(estep, step, monitor, report, evaluate_final=True)
    return BaumWelchResult(state["model"], monitor, logliks)


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
