"""Discrete-emission HMM with tied emissions and tied transitions (:class:`TiedHMM`).

The model is written on the project's tying engine (:class:`pairhmm.tying.Tying`):

- **Emission ties**: groups of states share one emission row
  (``Tying.shared_rows(n_states, n_symbols, groups)``).
- **Transition labels**: an integer matrix, shape (n_states, n_states); entries with the same label
  share one probability, ``-1`` is an impossible move (``Tying.from_labels(labels)``).

Baum-Welch accumulates expected counts per state and per transition (the Numba E-step in
:mod:`pairhmm._kernels.hmm`), :meth:`Tying.pool` sums them over each tie group, and the M-step
normalises once. For transition labels the M-step is closed-form thanks to the *row-class rule*:
rows that share a label use the same labels, each the same number of times ``m_l``, so within a row
class ``theta_l = n_l / (m_l * N)`` with ``n_l`` the pooled expected count of label ``l`` and ``N``
the class total. Label matrices that break the rule are rejected when the model is built.

The estimator API follows hmmlearn's ``CategoricalHMM`` (``fit``/``score``/``decode``/``predict``/
``predict_proba``/``sample``, ``startprob_``/``transmat_``/``emissionprob_``, ``params``/
``init_params`` letters ``s``, ``t``, ``e``); untied, it gives the same numbers.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from .alphabet import Alphabet, get_alphabet
from .em import (ConvergenceMonitor, ConvergenceWarning, LikelihoodDecreaseWarning,
                 TiedDistributions, em_loop, first_slot_values)
from .errors import AlphabetError, InvalidParameter, ModelFileError, TrainingError, ZeroProbabilityError
from .tying import Tying

__all__ = [
    "TiedHMM",
    "ConvergenceMonitor",
    "LikelihoodDecreaseWarning",
    "ConvergenceWarning",
    "LikelihoodRatioTest",
    "likelihood_ratio_test",
    "resolve_alphabet",
]

FORMAT = "pairhmm.TiedHMM"
VERSION = 1
_SUM_TOL = 1e-6


#: Initial weight of a self-transition relative to a move to another state (before the random
#: factor in [1, 2) and row normalisation): states that persist, as in most sequence models.
#: A near-uniform start lets EM settle in states that alternate every symbol (the casino rolls
#: of data/hmm stopped there after 100 iterations); see ``TiedHMM._init_params``.
_STICKY = 10.0


@dataclass(frozen=True)
class LikelihoodRatioTest:
    """Result of :func:`likelihood_ratio_test`.

    Attributes
    ----------
    statistic : float
        ``2 * (loglik_general - loglik_restricted)``.
    df : int
        Difference in free parameters.
    pvalue : float
        Upper tail of chi-square(df) at ``statistic`` (asymptotic).
    loglik_restricted, loglik_general : float
    """

    statistic: float
    df: int
    pvalue: float
    loglik_restricted: float
    loglik_general: float


def _rng(random_state: Any) -> "np.random.Generator | np.random.RandomState":
    if isinstance(random_state, (np.random.Generator, np.random.RandomState)):
        return random_state
    return np.random.default_rng(random_state)


def resolve_alphabet(alphabet: "str | Alphabet | None") -> Alphabet | None:
    """``dna``/``rna``/``protein`` -> that alphabet; any other string -> a custom alphabet of its
    letters (``"123456"`` for dice); an :class:`Alphabet` or ``None`` is returned as is."""
    if alphabet is None or isinstance(alphabet, Alphabet):
        return alphabet
    if str(alphabet).lower() in ("dna", "rna", "protein"):
        return get_alphabet(alphabet)
    try:
        return Alphabet("custom", str(alphabet))
    except ValueError as e:
        raise InvalidParameter("alphabet", alphabet, str(e)) from None


def _free_mask(block: TiedDistributions, frozen: Any, name: str) -> np.ndarray:
    """Element-wise freeze mask -> per free parameter; tied slots must agree."""
    out = np.zeros(block.n_free, dtype=bool)
    if frozen is None:
        return out
    m = np.asarray(frozen, dtype=bool)
    if m.shape != block.tying.shape:
        raise InvalidParameter(name, frozen, f"must have shape {block.tying.shape}, got {m.shape}")
    idx = block.tying.index
    fr = np.bincount(idx[block.allowed], weights=m[block.allowed], minlength=block.n_free)
    mult = block.tying.multiplicity()
    bad = np.flatnonzero((fr > 0) & (fr < mult))
    if bad.size:
        slots = np.argwhere(idx == bad[0]).tolist()
        raise InvalidParameter(
            name, frozen, f"entries {slots} are tied (one parameter) but only some are frozen; "
            "freeze all of them or none")
    out[fr > 0] = True
    return out


class TiedHMM:
    """Hidden Markov model with discrete emissions, tied emissions and tied transitions.

    Parameters
    ----------
    n_states : int
        Number of hidden states K.
    n_symbols : int
        Number of emitted symbols M (canonical letters; with ``alphabet``, its size).
    emission_ties : sequence of sequence of int, optional
        Groups of states sharing one emission distribution, e.g. ``[[0, 1], [2, 3, 4]]``.
        States in no group have their own.
    transition_labels : array_like of int, shape (K, K), optional
        Entries with the same label share one probability; ``-1`` is an impossible move. Rows that
        share a label must use the same labels, each the same number of times (a row class). The
        default gives every entry its own label (untied, every move allowed).
    alphabet : {"dna", "rna", "protein"}, str or Alphabet, optional
        Only needed for ambiguity codes: sequences may then hold codes ``M ..`` (e.g. ``N`` = 4 for
        DNA), scored by the exact marginal (sum of the emission probabilities of the letters the code
        may stand for). Any other string is a custom alphabet of its letters (``"123456"``).
    startprob_prior, transmat_prior, emissionprob_prior : float or array_like, default 1.0
        Dirichlet concentrations (shape of the expanded array, or a scalar); ``prior - 1`` is added to
        every expected count before pooling (MAP estimate). 1.0 = maximum likelihood.
    algorithm : {"viterbi", "map"}, default "viterbi"
        Decoder used by :meth:`decode` and :meth:`predict`.
    random_state : int, Generator, RandomState or None
        Seed for the initial parameters.
    n_iter : int, default 10
        Maximum number of Baum-Welch iterations.
    tol : float, default 1e-2
        Convergence threshold on the gain in the EM objective.
    verbose : bool, default False
        Print the objective per iteration on stderr.
    params : str, default "ste"
        Parameters updated by training: ``s`` start, ``t`` transitions, ``e`` emissions.
    init_params : str, default "ste"
        Parameters initialised by :meth:`fit` (others must be set beforehand).
    startprob_frozen, transmat_frozen, emissionprob_frozen : array_like of bool, optional
        Element-wise freeze masks (shape of the expanded array). A frozen entry keeps its value; the
        other entries of its row class share the remaining mass. Tied entries freeze together.
    soft_tie_strength : float, optional
        ``None`` (default): hard tying. A number ``lam >= 0``: soft tying, every entry keeps its own
        parameter with a Dirichlet prior of strength ``lam`` centred on the tied estimate; ``0`` is
        the untied model and ``lam -> inf`` approaches the tied one (see docs/hmm.md).

    Attributes
    ----------
    startprob_ : ndarray, shape (K,)
    transmat_ : ndarray, shape (K, K)
    emissionprob_ : ndarray, shape (K, M)
    monitor_ : ConvergenceMonitor

    Examples
    --------
    >>> import numpy as np
    >>> m = TiedHMM(3, 2, emission_ties=[[1, 2]], random_state=0, n_iter=5)
    >>> x = np.array([0, 1, 1, 0, 1, 1, 1, 0, 0, 1])
    >>> m = m.fit(x)
    >>> bool(np.array_equal(m.emissionprob_[1], m.emissionprob_[2]))
    True
    """

    def __init__(
        self,
        n_states: int,
        n_symbols: int,
        emission_ties: "Sequence[Sequence[int]] | None" = None,
        transition_labels: "np.ndarray | Sequence | None" = None,
        alphabet: "str | Alphabet | None" = None,
        startprob_prior: "float | np.ndarray" = 1.0,
        transmat_prior: "float | np.ndarray" = 1.0,
        emissionprob_prior: "float | np.ndarray" = 1.0,
        algorithm: str = "viterbi",
        random_state: Any = None,
        n_iter: int = 10,
        tol: float = 1e-2,
        verbose: bool = False,
        params: str = "ste",
        init_params: str = "ste",
        startprob_frozen: "np.ndarray | None" = None,
        transmat_frozen: "np.ndarray | None" = None,
        emissionprob_frozen: "np.ndarray | None" = None,
        soft_tie_strength: "float | None" = None,
    ) -> None:
        self.n_states = n_states
        self.n_symbols = n_symbols
        self.emission_ties = emission_ties
        self.transition_labels = transition_labels
        self.alphabet = alphabet
        self.startprob_prior = startprob_prior
        self.transmat_prior = transmat_prior
        self.emissionprob_prior = emissionprob_prior
        self.algorithm = algorithm
        self.random_state = random_state
        self.n_iter = n_iter
        self.tol = tol
        self.verbose = verbose
        self.params = params
        self.init_params = init_params
        self.startprob_frozen = startprob_frozen
        self.transmat_frozen = transmat_frozen
        self.emissionprob_frozen = emissionprob_frozen
        self.soft_tie_strength = soft_tie_strength
        self.monitor_ = ConvergenceMonitor(tol, n_iter, verbose)
        self._structure()  # validate the structure now: a bad label matrix fails at construction

    # ------------------------------------------------------------------ structure
    def _structure(self) -> dict[str, Any]:
        """Validate the constructor arguments and build the tying blocks (never mutates self)."""
        K, M = self.n_states, self.n_symbols
        for name, v in (("n_states", K), ("n_symbols", M)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise InvalidParameter(name, v, "must be a positive integer")
        if isinstance(self.n_iter, bool) or not isinstance(self.n_iter, (int, np.integer)) \
                or self.n_iter < 0:
            raise InvalidParameter("n_iter", self.n_iter, "must be an integer >= 0")
        if isinstance(self.tol, bool) or not isinstance(self.tol, (int, float, np.floating)) \
                or math.isnan(self.tol):
            raise InvalidParameter("tol", self.tol, "must be a number")
        if M > 255 and self.alphabet is not None:
            raise InvalidParameter("n_symbols", M, "at most 255 symbols with an alphabet")
        alpha = resolve_alphabet(self.alphabet)
        if alpha is not None and alpha.size != M:
            raise InvalidParameter("n_symbols", M,
                                   f"the {alpha.name} alphabet has {alpha.size} letters")
        try:
            e_tying = Tying.shared_rows(K, M, self.emission_ties)
        except (ValueError, TypeError) as e:
            raise InvalidParameter("emission_ties", self.emission_ties, str(e)) from None
        if self.transition_labels is None:
            labels = np.arange(K * K, dtype=np.int64).reshape(K, K)
        else:
            raw = np.asarray(self.transition_labels)
            if raw.dtype.kind not in "iuf":
                raise InvalidParameter("transition_labels", self.transition_labels,
                                       "must be a matrix of integer labels (-1 = impossible move)")
            if raw.shape != (K, K):
                raise InvalidParameter("transition_labels", self.transition_labels,
                                       f"must have shape ({K}, {K}), got {raw.shape}")
            if raw.size and not np.issubdtype(raw.dtype, np.integer):
                if not np.all(np.mod(raw, 1) == 0):
                    raise InvalidParameter("transition_labels", self.transition_labels,
                                           "labels must be integers (-1 = impossible move)")
            labels = raw.astype(np.int64)
            if labels.min() < -1:
                raise InvalidParameter("transition_labels", labels.tolist(),
                                       "labels must be >= 0, or -1 for an impossible move")
            dead = np.flatnonzero((labels < 0).all(axis=1))
            if dead.size:
                raise InvalidParameter("transition_labels", labels.tolist(),
                                       f"row {int(dead[0])} has no allowed move (all -1); every "
                                       "state needs at least one outgoing transition")
        t_tying = Tying.from_labels(labels)
        blocks = {
            "s": TiedDistributions("startprob", Tying.untied((1, K))),
            "t": TiedDistributions("transition_labels", t_tying, labels),
            "e": TiedDistributions("emission_ties", e_tying),
        }
        sf = self.startprob_frozen
        if sf is not None:
            if np.shape(sf) != (K,):
                raise InvalidParameter("startprob_frozen", sf, f"must have shape ({K},)")
            sf = np.reshape(sf, (1, K))
        frozen = {
            "s": _free_mask(blocks["s"], sf, "startprob_frozen"),
            "t": _free_mask(blocks["t"], self.transmat_frozen, "transmat_frozen"),
            "e": _free_mask(blocks["e"], self.emissionprob_frozen, "emissionprob_frozen"),
        }
        for name, letters in (("params", self.params), ("init_params", self.init_params)):
            if not isinstance(letters, str) or set(letters) - set("ste"):
                raise InvalidParameter(name, letters, "use the letters s, t, e (e.g. 'ste')")
        if self.algorithm not in ("viterbi", "map"):
            raise InvalidParameter("algorithm", self.algorithm, "choose 'viterbi' or 'map'")
        if self.soft_tie_strength is not None and not (float(self.soft_tie_strength) >= 0):
            raise InvalidParameter("soft_tie_strength", self.soft_tie_strength,
                                   "must be >= 0 (or None for hard tying)")
        priors = {}
        for code, name, shape in (("s", "startprob_prior", (1, K)),
                                  ("t", "transmat_prior", (K, K)),
                                  ("e", "emissionprob_prior", (K, M))):
            v = getattr(self, name)
            try:
                arr = np.broadcast_to(np.asarray(v, dtype=np.float64).reshape(
                    shape if np.size(v) == int(np.prod(shape)) else np.shape(v)), shape)
            except ValueError:
                raise InvalidParameter(name, v, f"must be a scalar or have shape {shape}") from None
            if not np.all(np.isfinite(arr)) or np.any(arr < 0):
                raise InvalidParameter(name, v, "Dirichlet concentrations must be finite and >= 0")
            priors[code] = arr
        if alpha is None:
            member = np.eye(M)
        else:
            member = alpha.membership()
        return {"blocks": blocks, "frozen": frozen, "priors": priors, "labels": labels,
                "alphabet": alpha, "membership": member}

    @property
    def n_codes(self) -> int:
        """Number of accepted input codes (symbols plus the alphabet's ambiguity codes)."""
        alpha = resolve_alphabet(self.alphabet)
        return self.n_symbols if alpha is None else len(alpha.symbols)

    # ------------------------------------------------------------------ input
    def _prepare(self, X: Any, lengths: "Sequence[int] | np.ndarray | None") -> tuple[np.ndarray, np.ndarray]:
        """Concatenated codes (uint8, contiguous) and offsets (int64, shape (n_seq + 1,))."""
        n_codes = self.n_codes
        if isinstance(X, (list, tuple)) and X and not np.isscalar(X[0]):
            if lengths is not None:
                raise InvalidParameter("lengths", lengths,
                                       "give lengths only with one concatenated array X")
            parts = [np.asarray(s) for s in X]
            lengths = [p.shape[0] if p.ndim else 1 for p in parts]
            X = np.concatenate([p.reshape(-1) for p in parts]) if parts else np.zeros(0)
        arr = np.asarray(X)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise InvalidParameter("X", f"array of shape {arr.shape}",
                                   "must be a 1-D array of symbol codes (or shape (n, 1))")
        if arr.size == 0:
            raise InvalidParameter("X", "empty array", "needs at least one symbol")
        if not np.issubdtype(arr.dtype, np.integer):
            if arr.dtype.kind == "f" and np.all(np.mod(arr, 1) == 0):
                arr = arr.astype(np.int64)
            else:
                raise AlphabetError(
                    f"X must hold integer symbol codes 0..{n_codes - 1}, got dtype {arr.dtype} "
                    "(encode text with pairhmm.encode)")
        n = arr.shape[0]
        if lengths is None:
            lens = np.array([n], dtype=np.int64)
        else:
            lens = np.asarray(lengths)
            if lens.ndim != 1 or lens.size == 0 or not np.issubdtype(lens.dtype, np.integer):
                raise InvalidParameter("lengths", lengths, "must be a non-empty 1-D array of integers")
            lens = lens.astype(np.int64)
            if lens.min() < 1:
                raise InvalidParameter("lengths", lengths,
                                       f"sequence {int(np.argmin(lens))} has length {int(lens.min())}; "
                                       "every sequence needs at least one symbol")
            if int(lens.sum()) != n:
                raise InvalidParameter("lengths", lengths,
                                       f"sum to {int(lens.sum())} but X has {n} symbols")
        offsets = np.zeros(lens.size + 1, dtype=np.int64)
        np.cumsum(lens, out=offsets[1:])
        lo, hi = int(arr.min()), int(arr.max())
        if lo < 0 or hi >= n_codes:
            bad = int(np.flatnonzero((arr < 0) | (arr >= n_codes))[0])
            s = int(np.searchsorted(offsets, bad, side="right") - 1)
            raise AlphabetError(
                f"sequence {s}: symbol {int(arr[bad])} at position {bad - int(offsets[s]) + 1} is "
                f"outside the alphabet (codes 0..{n_codes - 1})")
        x = np.ascontiguousarray(arr, dtype=np.uint8 if n_codes <= 256 else np.int32)
        return x, offsets

    # ------------------------------------------------------------------ parameters
    @staticmethod
    def _emission_table(st: dict[str, Any], emis: np.ndarray) -> np.ndarray:
        """P(code | state), shape (n_codes, K): membership-summed emission probabilities."""
        return np.ascontiguousarray(st["membership"] @ emis.T)

    def _init_params(self, st: dict[str, Any], x: "np.ndarray | None" = None) -> None:
        """Starting values of the parameters named in ``init_params`` (or not yet set).

        Start: uniform. Transitions: persistent states, each label weighted by a random factor
        in [1, 2), times ``_STICKY`` for labels on the diagonal, normalised per row class.
        Emissions: the symbol frequencies of the training codes ``x`` (plus one), each entry
        times a random factor in [0.5, 1.5), so the states start apart but near the data.
        """
        rng = _rng(self.random_state)
        K, M = self.n_states, self.n_symbols
        b = st["blocks"]
        if "s" in self.init_params or not hasattr(self, "startprob_"):
            self.startprob_ = np.full(K, 1.0 / K)
        if "t" in self.init_params or not hasattr(self, "transmat_"):
            blk = b["t"]
            w = 1.0 + rng.random(blk.n_free)
            idx = blk.tying.index
            diag = np.unique(idx[np.arange(K), np.arange(K)])
            w[diag[diag >= 0]] *= _STICKY
            theta = np.zeros(blk.n_free)
            for c in range(blk.n_classes):
                in_c = blk.class_of == c
                theta[in_c] = w[in_c] / np.sum(blk.mult[in_c] * w[in_c])
            self.transmat_ = blk.tying.expand(theta)
        if "e" in self.init_params or not hasattr(self, "emissionprob_"):
            blk = b["e"]
            freq = np.ones(M)
            if x is not None:
                freq += np.bincount(x[x < M], minlength=M)[:M]
            rows = freq / freq.sum() * rng.uniform(0.5, 1.5, size=(blk.n_free // M, M))
            rows /= rows.sum(axis=1, keepdims=True)
            self.emissionprob_ = blk.tying.expand(rows.ravel())

    def _check_params(self, st: dict[str, Any] | None = None) -> tuple[dict[str, Any], tuple]:
        """Validate the learned arrays against the structure (raises InvalidParameter).

        Returns the structure and (startprob, transmat, emissionprob) as contiguous float64
        arrays; the model itself is not modified.
        """
        st = st or self._structure()
        arrays = []
        K, M = self.n_states, self.n_symbols
        for attr, shape, code in (("startprob_", (K,), "s"), ("transmat_", (K, K), "t"),
                                  ("emissionprob_", (K, M), "e")):
            if not hasattr(self, attr):
                raise InvalidParameter(attr, None, "is not set: fit the model or assign it")
            v = np.asarray(getattr(self, attr), dtype=np.float64)
            if v.shape != shape:
                raise InvalidParameter(attr, v.tolist(), f"must have shape {shape}, got {v.shape}")
            if not np.all(np.isfinite(v)) or v.min() < 0:
                raise InvalidParameter(attr, v.tolist(), "entries must be finite and >= 0")
            sums = v.reshape(-1, shape[-1]).sum(axis=1)
            if not np.allclose(sums, 1.0, atol=_SUM_TOL, rtol=0):
                r = int(np.argmax(np.abs(sums - 1)))
                where = "" if len(shape) == 1 else f" row {r}"
                raise InvalidParameter(attr, v.tolist(), f"{where.strip() or 'it'} must sum to 1 "
                                       f"(got {sums[r]:.6g})")
            blk = st["blocks"][code]
            vv = v.reshape(blk.tying.shape)
            if np.any(vv[~blk.allowed] != 0):
                bad = np.argwhere((~blk.allowed) & (vv != 0))[0].tolist()
                raise InvalidParameter(attr, v.tolist(), f"entry {bad} is an impossible move "
                                       "(label -1) but holds a non-zero probability")
            if self.soft_tie_strength is None:
                try:
                    blk.tying.gather(vv)
                except ValueError:
                    free = first_slot_values(blk.tying, vv)
                    diff = np.abs(blk.tying.expand(free) - vv)
                    bad = np.argwhere(diff > 1e-12 * np.maximum(1, np.abs(vv)))[0].tolist()
                    raise InvalidParameter(attr, v.tolist(),
                                           f"entry {bad} is tied to another entry but holds a "
                                           "different value; tied entries must be equal") from None
            arrays.append(np.ascontiguousarray(v))
        return st, tuple(arrays)

    # ------------------------------------------------------------------ training
    def fit(self, X: Any, lengths: "Sequence[int] | None" = None, *,
            callback: "Callable[[int, float], None] | None" = None,
            n_init: int = 1) -> "TiedHMM":
        """Estimate the parameters with Baum-Welch (EM) over one or many sequences.

        Parameters
        ----------
        X : array_like of int, shape (n_total,) or (n_total, 1), or list of 1-D arrays
            Symbol codes of the concatenated sequences.
        lengths : array_like of int, shape (n_seq,), optional
            Length of each sequence in ``X``; must sum to ``n_total``.
        callback : callable(iteration, objective), optional
            Called after every iteration (the CLI's progress bar).
        n_init : int, default 1
            Number of random starts (EM finds a local maximum; the casino rolls of Durbin et al.
            have three): each runs to convergence and the one with the highest objective is
            kept. The first start is the one ``n_init=1`` uses (``random_state``), the others
            are seeded from it, so the result is reproducible and never worse than one start.
            ``init_scores_`` holds every start's final objective. Starts that initialise
            nothing (``init_params=""`` with every array set) are not repeated.

        Returns
        -------
        self : TiedHMM

        Warns
        -----
        ConvergenceWarning
            When the kept fit stopped at ``n_iter`` iterations before its gain fell below
            ``tol`` (``monitor_.reached_tol`` is then False).
        """
        if not (isinstance(n_init, (int, np.integer)) and n_init >= 1):
            raise InvalidParameter("n_init", n_init, "must be an integer >= 1")
        random_part = any(c in self.init_params or not hasattr(self, a) for c, a in
                          (("s", "startprob_"), ("t", "transmat_"), ("e", "emissionprob_")))
        if n_init > 1 and random_part:
            return self._fit_restarts(X, lengths, callback, int(n_init))
        from ._kernels import hmm as K_

        st = self._structure()
        x, offsets = self._prepare(X, lengths)
        self._init_params(st, x)
        _, (self.startprob_, self.transmat_, self.emissionprob_) = self._check_params(st)
        self.monitor_ = ConvergenceMonitor(self.tol, self.n_iter, self.verbose)
        estep_kernel = K_.drivers(offsets).estep

        def estep() -> tuple:
            ll_seq, start_c, trans_c, code_c = estep_kernel(
                x, offsets, self.startprob_, self.transmat_,
                self._emission_table(st, self.emissionprob_))
            if not np.all(np.isfinite(ll_seq)):
                s = int(np.flatnonzero(~np.isfinite(ll_seq))[0])
                raise TrainingError(
                    f"sequence {s} has probability 0 under the current parameters (iteration "
                    f"{self.monitor_.iter + 1}): an impossible move or a zero emission probability "
                    "is needed; allow it, unfreeze it, or use a pseudocount (prior > 1)")
            objective = float(np.sum(ll_seq)) + self._log_prior(st)
            return (start_c, trans_c, code_c), objective

        def mstep(stats: tuple) -> None:
            start_c, trans_c, code_c = stats
            self._mstep(st, start_c, trans_c, self._emission_counts(st, code_c, self.emissionprob_))

        def report(k: int, objective: float, stats: tuple) -> None:
            if callback is not None:
                callback(k, objective)

        em_loop(estep, mstep, self.monitor_, report)
        mon = self.monitor_
        if not mon.reached_tol and mon.iter >= self.n_iter and self.tol > -math.inf:
            gain = (f"the objective still gaining {mon.history[-1] - mon.history[-2]:.3g} per "
                    "iteration" if len(mon.history) >= 2 else "no gain measured yet")
            warnings.warn(f"Baum-Welch did not converge: stopped at n_iter = {self.n_iter} "
                          f"iteration(s) with {gain} (tol = {self.tol:g}); raise n_iter",
                          ConvergenceWarning, stacklevel=2)
        return self

    def _fit_restarts(self, X: Any, lengths: Any, callback: Any, n_init: int) -> "TiedHMM":
        """``fit`` from ``n_init`` random starts; keeps the best (see :meth:`fit`)."""
        import copy

        base = self.random_state
        if base is None or isinstance(base, (np.random.Generator, np.random.RandomState)):
            rng = _rng(base)
            seeds: list[Any] = [int(v) for v in rng.integers(0, 2**63 - 1, size=n_init)]
        else:
            seeds = [base] + [int(np.random.SeedSequence([int(base), r]).generate_state(1)[0])
                              for r in range(1, n_init)]
        best, best_warnings, scores = None, [], []
        for seed in seeds:
            trial = copy.deepcopy(self)
            trial.random_state = seed
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                trial.fit(X, lengths, callback=callback)
            scores.append(trial.monitor_.history[-1])
            if best is None or scores[-1] > best.monitor_.history[-1]:
                best, best_warnings = trial, caught
        for attr in ("startprob_", "transmat_", "emissionprob_", "monitor_"):
            setattr(self, attr, getattr(best, attr))
        self.init_scores_ = scores
        for w in best_warnings:  # the kept fit's warnings (e.g. ConvergenceWarning)
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return self

    def _emission_counts(self, st: dict[str, Any], code_c: np.ndarray,
                         emis: np.ndarray) -> np.ndarray:
        """Expected (state, symbol) counts from per-(code, state) occupancies, shape (K, M)."""
        M = self.n_symbols
        counts = code_c[:M].T.copy()
        if code_c.shape[0] > M and code_c[M:].any():
            # an ambiguity code splits its occupancy over the letters it may be, in proportion to
            # their emission probabilities (exact EM for a partially observed symbol)
            member = st["membership"][M:]          # (n_amb, M)
            table = member @ emis.T                # (n_amb, K)
            share = np.divide(code_c[M:], table, out=np.zeros_like(table), where=table > 0)
            counts += emis * (share.T @ member)
        return counts

    def _mstep(self, st: dict[str, Any], start_c: np.ndarray, trans_c: np.ndarray,
               emis_c: np.ndarray) -> None:
        soft = self.soft_tie_strength
        b, fr, pr = st["blocks"], st["frozen"], st["priors"]
        if "s" in self.params:
            self.startprob_ = b["s"].mstep(start_c[None, :], pr["s"], self.startprob_[None, :],
                                           fr["s"], None)[0]
        if "t" in self.params:
            self.transmat_ = b["t"].mstep(trans_c, pr["t"], self.transmat_, fr["t"], soft)
        if "e" in self.params:
            self.emissionprob_ = b["e"].mstep(emis_c, pr["e"], self.emissionprob_, fr["e"], soft)

    def _log_prior(self, st: dict[str, Any]) -> float:
        """Dirichlet log-density (up to a constant) of the trained parameters."""
        total = 0.0
        for code, arr in (("s", self.startprob_[None, :]), ("t", self.transmat_),
                          ("e", self.emissionprob_)):
            if code not in self.params:
                continue
            a = st["priors"][code] - 1.0
            use = st["blocks"][code].allowed & (a != 0) & (arr > 0)
            total += float(np.sum(a[use] * np.log(arr[use])))
        return total

    # ------------------------------------------------------------------ inference
    def _ready(self, X: Any, lengths: Any) -> tuple:
        """Validated (x, offsets, start, trans, emission table) for the kernels."""
        st, (start, trans, emis) = self._check_params(self._structure())
        x, offsets = self._prepare(X, lengths)
        return x, offsets, start, trans, self._emission_table(st, emis)

    def score(self, X: Any, lengths: "Sequence[int] | None" = None) -> float:
        """Log-likelihood of the data, summed over sequences.

        Parameters
        ----------
        X : array_like of int, shape (n_total,)
        lengths : array_like of int, shape (n_seq,), optional

        Returns
        -------
        float
        """
        from ._kernels import hmm as K_

        args = self._ready(X, lengths)
        return float(np.sum(K_.drivers(args[1]).loglik(*args)))

    def score_per_sequence(self, X: Any, lengths: "Sequence[int] | None" = None) -> np.ndarray:
        """Log-likelihood of each sequence, shape (n_seq,)."""
        from ._kernels import hmm as K_

        args = self._ready(X, lengths)
        return K_.drivers(args[1]).loglik(*args)

    def score_samples(self, X: Any, lengths: "Sequence[int] | None" = None) -> tuple[float, np.ndarray]:
        """Log-likelihood and posterior state probabilities.

        Raises :class:`~pairhmm.errors.ZeroProbabilityError` when a sequence has probability 0
        (its posteriors are undefined).

        Returns
        -------
        log_prob : float
        posteriors : ndarray, shape (n_total, K)
        """
        from ._kernels import hmm as K_

        args = self._ready(X, lengths)
        ll, post = K_.drivers(args[1]).posteriors(*args)
        self._check_possible(args[0], args[1], args[4], ll)  # else the posteriors are NaN
        return float(np.sum(ll)), post

    def predict_proba(self, X: Any, lengths: "Sequence[int] | None" = None) -> np.ndarray:
        """Posterior state probabilities, shape (n_total, K)."""
        return self.score_samples(X, lengths)[1]

    def decode(self, X: Any, lengths: "Sequence[int] | None" = None,
               algorithm: str | None = None) -> tuple[float, np.ndarray]:
        """Most likely state sequence.

        Parameters
        ----------
        X, lengths : see :meth:`fit`
        algorithm : {"viterbi", "map"}, optional
            ``viterbi``: the most probable path; the log-probability returned is its log joint
            probability with the data (summed over sequences). ``map``: the most probable state at
            each position (posterior decoding); the value returned is the sum over positions of the
            log of that maximum posterior. Default: the model's ``algorithm``.

        Returns
        -------
        log_prob : float
        states : ndarray of int64, shape (n_total,)
        """
        from ._kernels import hmm as K_

        algorithm = algorithm or self.algorithm
        if algorithm not in ("viterbi", "map"):
            raise InvalidParameter("algorithm", algorithm, "choose 'viterbi' or 'map'")
        if algorithm == "map":
            _, post = self.score_samples(X, lengths)  # raises for a sequence of probability 0
            with np.errstate(divide="ignore"):
                return float(np.sum(np.log(post.max(axis=1)))), post.argmax(axis=1)
        x, offsets, start, trans, table = self._ready(X, lengths)
        with np.errstate(divide="ignore"):
            path, lp = K_.drivers(offsets).viterbi(x, offsets, np.log(start), np.log(trans),
                                                   np.log(table))
        self._check_possible(x, offsets, table, lp)
        return float(np.sum(lp)), path

    def _check_possible(self, x: np.ndarray, offsets: np.ndarray, table: np.ndarray,
                        lp: np.ndarray) -> None:
        """Raise :class:`ZeroProbabilityError` when a sequence has probability 0 (its state path
        would be arbitrary), naming the symbols no state emits."""
        bad = np.flatnonzero(~np.isfinite(lp))
        if bad.size == 0:
            return
        k = int(bad[0])
        seg = x[offsets[k]:offsets[k + 1]]
        dead = [int(c) for c in np.unique(seg) if not np.any(table[c] > 0)]
        reason = "has probability 0 under this model, so it has no state path"
        if dead:
            alpha = resolve_alphabet(self.alphabet)
            shown = ", ".join(alpha.symbols[c] if alpha is not None else str(c) for c in dead)
            reason += (f": no state emits {shown} (a model fitted with pseudocount 0 gives "
                       f"probability 0 to symbols its training data lacked: refit with a "
                       f"pseudocount)")
        err = ZeroProbabilityError(f"sequence #{k + 1} {reason}")
        err.index, err.reason = k, reason
        raise err

    def predict(self, X: Any, lengths: "Sequence[int] | None" = None) -> np.ndarray:
        """State path by the model's ``algorithm``, shape (n_total,)."""
        return self.decode(X, lengths)[1]

    def sample(self, n_samples: int = 1, random_state: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """Generate one sequence.

        Parameters
        ----------
        n_samples : int
        random_state : int, Generator, RandomState or None
            Defaults to the model's ``random_state``.

        Returns
        -------
        X : ndarray of int64, shape (n_samples,)
            Symbol codes 0..M-1 (hmmlearn returns shape (n, 1); flatten differences only).
        states : ndarray of int64, shape (n_samples,)
        """
        from ._kernels import hmm as K_

        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 1:
            raise InvalidParameter("n_samples", n_samples, "must be a positive integer")
        _, (start, trans, emis) = self._check_params()
        rng = _rng(self.random_state if random_state is None else random_state)
        u = rng.random((int(n_samples), 2))
        return K_.sample(_cdf(start)[0], _cdf(trans), _cdf(emis), u)

    # ------------------------------------------------------------------ model comparison
    def n_parameters(self) -> int:
        """Number of free parameters (those in ``params``, not frozen), for AIC/BIC and LR tests.

        A row class with ``f`` free labels contributes ``f - 1`` (its rows sum to 1). Under soft
        tying the untied count is returned (an upper bound on the effective number).
        """
        st = self._structure()
        total = 0
        soft = self.soft_tie_strength is not None
        for code in "ste":
            if code not in self.params:
                continue
            blk = st["blocks"][code]
            if soft and code != "s":
                blk = TiedDistributions(blk.name, _untied_like(blk.tying))
                frozen = _free_mask(blk, _slot_mask(st["blocks"][code], st["frozen"][code]), "frozen")
            else:
                frozen = st["frozen"][code]
            for c in range(blk.n_classes):
                f = int(np.sum((blk.class_of == c) & ~frozen))
                total += max(f - 1, 0)
        return total

    def aic(self, X: Any, lengths: "Sequence[int] | None" = None) -> float:
        """Akaike information criterion: ``-2 log L + 2 p``."""
        return -2.0 * self.score(X, lengths) + 2.0 * self.n_parameters()

    def bic(self, X: Any, lengths: "Sequence[int] | None" = None) -> float:
        """Bayesian information criterion: ``-2 log L + p log(n_total)``."""
        x, _ = self._prepare(X, lengths)
        return -2.0 * self.score(X, lengths) + self.n_parameters() * math.log(x.shape[0])

    def untied(self) -> "TiedHMM":
        """The same model without ties (each allowed move its own label), same current values."""
        K = self.n_states
        st = self._structure()
        allowed = st["blocks"]["t"].allowed
        labels = np.where(allowed, np.arange(K * K).reshape(K, K), -1)
        out = TiedHMM(
            K, self.n_symbols, emission_ties=None, transition_labels=labels, alphabet=self.alphabet,
            startprob_prior=self.startprob_prior, transmat_prior=self.transmat_prior,
            emissionprob_prior=self.emissionprob_prior, algorithm=self.algorithm,
            random_state=self.random_state, n_iter=self.n_iter, tol=self.tol, verbose=self.verbose,
            params=self.params, init_params="", startprob_frozen=self.startprob_frozen,
            transmat_frozen=self.transmat_frozen,
            emissionprob_frozen=self.emissionprob_frozen, soft_tie_strength=None)
        for attr in ("startprob_", "transmat_", "emissionprob_"):
            if hasattr(self, attr):
                setattr(out, attr, np.array(getattr(self, attr), dtype=np.float64))
        return out

    def compare_untied(self, X: Any, lengths: "Sequence[int] | None" = None) -> LikelihoodRatioTest:
        """Likelihood-ratio test of this (fitted) tied model against its untied version.

        The untied model is fitted from this model's parameters (so it starts at the tied optimum
        and cannot end below it) with the same ``n_iter``/``tol``.
        """
        general = self.untied().fit(X, lengths)
        return likelihood_ratio_test(self, general, X, lengths)

    # ------------------------------------------------------------------ persistence
    def to_json(self) -> dict[str, Any]:
        """Deprecated name of :meth:`to_dict`."""
        _deprecated("TiedHMM.to_json()", "TiedHMM.to_dict()")
        return self.to_dict()

    @classmethod
    def from_json(cls, d: Any, source: str = "model") -> "TiedHMM":
        """Deprecated name of :meth:`from_dict`."""
        _deprecated("TiedHMM.from_json()", "TiedHMM.from_dict()")
        return cls.from_dict(d, source)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``"format": "pairhmm.TiedHMM"``, ``"version": 1``)."""
        st = self._structure()
        alpha = st["alphabet"]

        def arr(v: Any) -> Any:
            return None if v is None else np.asarray(v).tolist()

        out = {
            "format": FORMAT, "version": VERSION,
            "n_states": int(self.n_states), "n_symbols": int(self.n_symbols),
            "alphabet": None if alpha is None else (
                alpha.name if alpha.name in ("dna", "rna", "protein") else alpha.letters),
            "emission_ties": None if self.emission_ties is None
            else [[int(s) for s in g] for g in self.emission_ties],
            "transition_labels": arr(self.transition_labels),
            "startprob_prior": arr(self.startprob_prior),
            "transmat_prior": arr(self.transmat_prior),
            "emissionprob_prior": arr(self.emissionprob_prior),
            "algorithm": self.algorithm, "n_iter": int(self.n_iter), "tol": float(self.tol),
            "params": self.params, "init_params": self.init_params,
            "startprob_frozen": arr(self.startprob_frozen),
            "transmat_frozen": arr(self.transmat_frozen),
            "emissionprob_frozen": arr(self.emissionprob_frozen),
            "soft_tie_strength": self.soft_tie_strength,
        }
        for attr in ("startprob_", "transmat_", "emissionprob_"):
            out[attr.rstrip("_")] = arr(getattr(self, attr, None))
        return out

    def to_json_text(self) -> str:
        """:meth:`to_dict` as text: one field per line, each array on one line (diff-friendly)."""
        d = self.to_dict()
        return "{\n" + ",\n".join(f" {json.dumps(k)}: {json.dumps(v)}" for k, v in d.items()) + "\n}\n"

    @classmethod
    def from_dict(cls, d: Any, source: str = "model") -> "TiedHMM":
        """Build a model from :meth:`to_dict` output; raises :class:`ModelFileError` if invalid."""
        if not isinstance(d, dict):
            raise ModelFileError(f"{source}: expected a JSON object, got {type(d).__name__}")
        if d.get("format") != FORMAT:
            raise ModelFileError(f"{source}: \"format\" is {d.get('format')!r}, expected {FORMAT!r}")
        if d.get("version") != VERSION:
            raise ModelFileError(f"{source}: unsupported version {d.get('version')!r} "
                                 f"(this pairhmm reads version {VERSION})")
        for key in ("n_states", "n_symbols"):
            if key not in d:
                raise ModelFileError(f"{source}: missing required field {key!r}")
        known = {"format", "version", "startprob", "transmat", "emissionprob"}
        kwargs = {}
        import inspect
        names = set(inspect.signature(cls.__init__).parameters) - {"self"}
        for k, v in d.items():
            if k in known:
                continue
            if k not in names:
                raise ModelFileError(f"{source}: unknown field {k!r}")
            kwargs[k] = v
        if isinstance(kwargs.get("alphabet"), dict):
            try:
                kwargs["alphabet"] = Alphabet.from_json(kwargs["alphabet"])
            except (KeyError, TypeError, ValueError) as e:
                raise ModelFileError(f"{source}: invalid alphabet ({e})") from None
        try:
            model = cls(**kwargs)
            for attr in ("startprob", "transmat", "emissionprob"):
                if d.get(attr) is not None:
                    setattr(model, attr + "_", np.asarray(d[attr], dtype=np.float64))
            if all(d.get(a) is not None for a in ("startprob", "transmat", "emissionprob")):
                model._check_params()
        except (InvalidParameter, AlphabetError) as e:
            raise ModelFileError(f"{source}: {e}") from None
        except (TypeError, ValueError) as e:
            raise ModelFileError(f"{source}: invalid value ({e})") from None
        return model

    def save(self, path: "str | os.PathLike[str]") -> None:
        """Write the model as JSON (atomically: a temporary file renamed into place)."""
        from ._jsonio import write_text_atomic

        write_text_atomic(path, self.to_json_text())

    @classmethod
    def load(cls, path: "str | os.PathLike[str]") -> "TiedHMM":
        """Read a model written by :meth:`save`; raises :class:`ModelFileError` if invalid."""
        from ._jsonio import read_json

        return cls.from_dict(read_json(path), source=os.fspath(path))

    def __repr__(self) -> str:
        return (f"TiedHMM(n_states={self.n_states}, n_symbols={self.n_symbols}, "
                f"emission_ties={self.emission_ties!r}, "
                f"transition_labels={'None' if self.transition_labels is None else '...'})")


def _untied_like(t: Tying) -> Tying:
    idx = np.where(t.index >= 0, np.arange(t.index.size).reshape(t.shape), -1)
    return Tying.from_labels(idx)


def _slot_mask(block: TiedDistributions, frozen_free: np.ndarray) -> np.ndarray:
    m = np.zeros(block.tying.shape, dtype=bool)
    m[block.allowed] = frozen_free[block.tying.index[block.allowed]]
    return m


def _cdf(p: np.ndarray) -> np.ndarray:
    """Row-wise CDF whose last positive entry is exactly 1 (no rounding overshoot)."""
    p = np.atleast_2d(np.asarray(p, dtype=np.float64))
    c = np.cumsum(p, axis=1)
    for r in range(p.shape[0]):
        last = int(np.flatnonzero(p[r] > 0)[-1])
        c[r, last:] = 1.0
    return np.ascontiguousarray(c)


def likelihood_ratio_test(restricted: TiedHMM, general: TiedHMM, X: Any,
                          lengths: "Sequence[int] | None" = None) -> LikelihoodRatioTest:
    """Likelihood-ratio test of a restricted (tied) model against a more general one.

    Parameters
    ----------
    restricted, general : TiedHMM
        Fitted models; ``restricted`` must be nested in ``general`` (e.g. ``general =
        restricted.untied()`` refitted).
    X, lengths : see :meth:`TiedHMM.fit`

    Returns
    -------
    LikelihoodRatioTest
        ``statistic = 2 (log L_general - log L_restricted)``, ``df`` the difference in free
        parameters, ``pvalue`` from the chi-square(df) upper tail (asymptotic; parameters on the
        boundary make it conservative).
    """
    from scipy.stats import chi2

    l0 = restricted.score(X, lengths)
    l1 = general.score(X, lengths)
    df = general.n_parameters() - restricted.n_parameters()
    if df <= 0:
        raise InvalidParameter("general", general, f"has {general.n_parameters()} free parameters, "
                               f"not more than the restricted model's {restricted.n_parameters()}")
    stat = max(2.0 * (l1 - l0), 0.0)
    return LikelihoodRatioTest(stat, int(df), float(chi2.sf(stat, df)), l0, l1)


def _deprecated(old: str, new: str) -> None:
    import warnings

    warnings.warn(f"{old} is deprecated and will be removed in the next release: use {new}",
                  DeprecationWarning, stacklevel=3)
