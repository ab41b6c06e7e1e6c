"""The EM core of every model that trains by Baum-Welch: the tied M-step, the convergence
monitor and the loop (hmmlearn's ``fit`` skeleton: E-step over the data, M-step, report).

* :class:`TiedDistributions`: rows of a tied parameter array that are probability distributions.
  Expected counts per slot are pooled over each tie group (:meth:`pairhmm.tying.Tying.pool`),
  and each free parameter ``l`` of a row class gets ``theta_l = (1 - frozen mass) n_l /
  (m_l N)`` (``m_l``: its multiplicity in one row, ``N``: the class's pooled total), the exact
  maximiser of the expected complete-data log-likelihood. :class:`pairhmm.TiedHMM` (start,
  transitions, emissions) and :class:`pairhmm.PairHMM` (match and insert emissions) use it.
* :class:`ConvergenceMonitor`: the objective of every iteration, the warning when it falls,
  and the stopping rule.
* :func:`em_loop`: E-step, M-step, report, stop; the models supply the two steps.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any, Callable

import numpy as np

from .errors import InvalidParameter
from .tying import Tying

__all__ = ["TiedDistributions", "ConvergenceMonitor", "ConvergenceWarning", "LikelihoodDecreaseWarning",
           "em_loop"]


class LikelihoodDecreaseWarning(RuntimeWarning):
    """The EM objective fell between two iterations (a bug or a numerical problem)."""


class ConvergenceWarning(RuntimeWarning):
    """EM stopped at its iteration limit before the objective's gain fell below ``tol`` (raise
    the limit; ``monitor_.reached_tol`` is False)."""


class ConvergenceMonitor:
    """Keeps the EM objective of every iteration and decides convergence (hmmlearn's monitor).

    Parameters
    ----------
    tol : float
        EM stops when the objective improves by less than ``tol`` between two iterations.
    n_iter : int
        Maximum number of iterations (M-steps).
    verbose : bool
        Print one line per iteration on stderr.
    decrease_tol : float
        A fall of the objective by more than ``decrease_tol * max(1, |previous|)`` raises a
        :class:`LikelihoodDecreaseWarning` (smaller falls are rounding). :class:`pairhmm.TiedHMM`
        uses 1e-9; :class:`pairhmm.PairHMM` 1e-7 (its E-step sums far more terms).

    Attributes
    ----------
    history : list of float
        The objective (log-likelihood plus log-prior) of each iteration's parameters.
    iter : int
        Iterations reported.
    """

    def __init__(self, tol: float, n_iter: int, verbose: bool = False,
                 decrease_tol: float = 1e-9) -> None:
        self.tol = tol
        self.n_iter = n_iter
        self.verbose = verbose
        self.decrease_tol = decrease_tol
        self.history: list[float] = []
        self.iter = 0

    def reset(self) -> None:
        """Forget the history (a new fit)."""
        self.iter = 0
        self.history = []

    _reset = reset  # hmmlearn's name

    def report(self, objective: float) -> None:
        """Record one iteration's objective; warn if it fell (beyond rounding)."""
        if self.history:
            prev = self.history[-1]
            delta = objective - prev
            if delta < -self.decrease_tol * max(1.0, abs(prev)):
                warnings.warn(
                    f"EM objective decreased at iteration {self.iter + 1}: "
                    f"{prev:.10g} -> {objective:.10g} (delta {delta:.3g})",
                    LikelihoodDecreaseWarning, stacklevel=4)
        else:
            delta = float("nan")
        if self.verbose:
            print(f"{self.iter + 1:>10d} {objective:>16.8f} {delta:>+16.8f}", file=sys.stderr)
        self.history.append(float(objective))
        self.iter += 1

    @property
    def reached_tol(self) -> bool:
        """True when the last improvement was below ``tol``."""
        return len(self.history) >= 2 and self.history[-1] - self.history[-2] < self.tol

    @property
    def converged(self) -> bool:
        """True when the last improvement is below ``tol`` or ``n_iter`` iterations are done."""
        return self.iter >= self.n_iter or self.reached_tol

    def __repr__(self) -> str:
        return (f"ConvergenceMonitor(tol={self.tol}, n_iter={self.n_iter}, iter={self.iter}, "
                f"history={self.history})")


def em_loop(estep: Callable[[], tuple], mstep: Callable[[Any], None], monitor: ConvergenceMonitor,
            on_iteration: Callable[[int, float, Any], None] | None = None,
            evaluate_final: bool = False) -> None:
    """Run EM: ``stats, objective = estep()`` on the current parameters, ``mstep(stats)``
    updates them, ``monitor.report(objective)``, ``on_iteration(k, objective, stats)`` after the
    k-th E-step; stop when ``monitor`` says so.

    Parameters
    ----------
    evaluate_final : bool
        False (hmmlearn's order, :class:`pairhmm.TiedHMM`): every E-step is followed by its
        M-step, so the last parameters are one M-step past the last objective reported; at most
        ``monitor.n_iter`` iterations. True (:class:`pairhmm.PairHMM`): convergence is tested
        before the M-step, so the loop ends with an E-step and the last objective reported is
        that of the final parameters (a likelihood-ratio test needs it); at most
        ``monitor.n_iter`` M-steps and one more E-step.
    """
    monitor.reset()
    n_estep = monitor.n_iter + (1 if evaluate_final else 0)
    for k in range(1, n_estep + 1):
        stats, objective = estep()
        if not evaluate_final:
            mstep(stats)
        monitor.report(objective)
        if on_iteration is not None:
            on_iteration(k, objective, stats)
        if evaluate_final:
            if monitor.reached_tol or k == n_estep:
                break
            mstep(stats)
        elif monitor.converged:
            break


class TiedDistributions:
    """The rows of a tied parameter array, each a probability distribution, and their M-step.

    Parameters
    ----------
    name : str
        The parameter's name, for messages.
    tying : Tying
        Index of shape (n_rows, width): row r's slots use free parameters ``index[r]``
        (-1: a structural zero). A 1-D or higher tying is one distribution per leading row;
        pass ``Tying(index.reshape(1, -1))`` for one distribution over every slot.
    user_labels : array, optional
        The labels the user gave (for messages), when ``tying`` renumbered them.

    Raises
    ------
    InvalidParameter
        Rows that share a free parameter do not use the same free parameters with the same
        multiplicities (the row-class rule, which makes the M-step closed-form).
    """

    def __init__(self, name: str, tying: Tying, user_labels: np.ndarray | None = None) -> None:
        self.name = name
        self.tying = tying
        self.allowed = tying.index >= 0
        self.n_free = tying.n_free
        #: row class of each free parameter, and its multiplicity within one row
        self.class_of = np.full(self.n_free, -1, dtype=np.int64)
        self.mult = np.zeros(self.n_free)
        self._check_row_classes(user_labels)

    def _check_row_classes(self, user_labels: np.ndarray | None) -> None:
        idx = self.tying.index
        n_rows = idx.shape[0]
        lab = user_labels if user_labels is not None else idx
        rows_of: dict[int, list[int]] = {}
        for r in range(n_rows):
            for f in np.unique(idx[r][idx[r] >= 0]):
                rows_of.setdefault(int(f), []).append(r)
        multiset = [tuple(sorted(idx[r][idx[r] >= 0].tolist())) for r in range(n_rows)]
        for f, rows in rows_of.items():
            r0 = rows[0]
            for r in rows[1:]:
                if multiset[r] != multiset[r0]:
                    def show(row: int) -> str:
                        vals = lab[row][lab[row] >= 0].tolist()
                        return "{" + ", ".join(str(v) for v in sorted(vals)) + "}"
                    shared = int(lab[r0][idx[r0] == f][0])
                    raise InvalidParameter(
                        f"{self.name}", lab.tolist(),
                        f"rows {r0} and {r} share label {shared} but row {r0} uses labels "
                        f"{show(r0)} and row {r} uses {show(r)}; rows that share a label must use "
                        "the same labels, each the same number of times (a row class), so that "
                        "every row sums to 1 and the M-step stays closed-form")
        # union of rows linked by shared labels = row classes (all rows of a class are equal)
        cls_id: dict[tuple, int] = {}
        for r in range(n_rows):
            free = idx[r][idx[r] >= 0]
            if free.size == 0:
                continue
            c = cls_id.setdefault(multiset[r], len(cls_id))
            vals, counts = np.unique(free, return_counts=True)
            self.class_of[vals] = c
            self.mult[vals] = counts
        self.n_classes = len(cls_id)

    def normalise(self, pooled: np.ndarray, current: np.ndarray, frozen: np.ndarray,
                  sums: str = "sequential") -> np.ndarray:
        """The M-step on free parameters: ``theta_l = (1 - frozen mass) n_l / (m_l N)`` in every
        row class that has evidence (a class without counts keeps its current values).

        Parameters
        ----------
        pooled : ndarray, shape (n_free,)
            Expected counts pooled per free parameter (pseudocounts included).
        current : ndarray, shape (n_free,)
            The current values (kept for frozen parameters and classes without evidence).
        frozen : ndarray of bool, shape (n_free,)
        sums : {"sequential", "pairwise"}
            How a class's totals are summed: in parameter order (``np.bincount``,
            :class:`pairhmm.TiedHMM`) or by NumPy's pairwise summation one class at a time
            (:class:`pairhmm.PairHMM`). Both are the same estimate; each model keeps the
            rounding it has always had.
        """
        theta = np.array(current, dtype=np.float64, copy=True)
        n = pooled
        if sums == "pairwise":
            for g in np.unique(self.class_of):
                sel = self.class_of == g
                free = sel & ~frozen
                if not free.any():
                    continue
                frozen_mass = float((self.mult[sel & frozen] * current[sel & frozen]).sum())
                total = float(n[free].sum())
                if total <= 0:
                    continue  # no evidence: keep the current values
                theta[free] = (1.0 - frozen_mass) * n[free] / (self.mult[free] * total)
            return theta
        if sums != "sequential":
            raise InvalidParameter("sums", sums, "choose sequential or pairwise")
        nc = self.n_classes
        free = ~frozen
        tot = np.bincount(self.class_of[free], weights=n[free], minlength=nc)
        frozen_mass = np.bincount(self.class_of[frozen],
                                  weights=self.mult[frozen] * current[frozen], minlength=nc)
        # a class without counts (no data reached it) keeps its current values
        upd = free & (tot[self.class_of] > 0)
        cls = self.class_of[upd]
        theta[upd] = (1.0 - frozen_mass[cls]) * n[upd] / (self.mult[upd] * tot[cls])
        return theta

    def mstep(self, counts: np.ndarray, prior: np.ndarray, current: np.ndarray,
              frozen_free: np.ndarray, soft: float | None) -> np.ndarray:
        """New expanded array from expected ``counts`` (the shape of the tying) and Dirichlet
        concentrations ``prior`` (``prior - 1`` added to every allowed count, clipped at 0),
        closed form per row class; ``soft``: soft tying of that strength (see :meth:`soft`)."""
        t = self.tying
        pc = np.where(self.allowed, np.maximum(counts + prior - 1.0, 0.0), 0.0)
        theta = self.normalise(t.pool(pc), first_slot_values(t, current), frozen_free)
        hard = t.expand(theta)
        if soft is None:
            return hard
        return self.soft(pc, hard, current, frozen_free, float(soft))

    def soft(self, pc: np.ndarray, hard: np.ndarray, current: np.ndarray,
             frozen_free: np.ndarray, lam: float) -> np.ndarray:
        """Untied M-step with a Dirichlet prior of strength ``lam`` centred on the tied estimate.

        Each row: ``theta_r = (c_r + lam * tau_r) / (C_r + lam)`` over its free slots, with ``tau``
        the hard-tied estimate from the same counts; ``lam = 0`` is the untied M-step and
        ``lam -> inf`` the tied one.
        """
        idx = self.tying.index
        frozen_slot = np.zeros(idx.shape, dtype=bool)
        frozen_slot[self.allowed] = frozen_free[idx[self.allowed]]
        free_slot = self.allowed & ~frozen_slot
        out = np.where(frozen_slot, current, 0.0)
        for r in range(idx.shape[0]):
            f = free_slot[r]
            if not f.any():
                continue
            mass = 1.0 - float(out[r].sum())
            tau = hard[r] * f
            ts = tau.sum()
            tau = tau / ts if ts > 0 else f / f.sum()
            c = pc[r] * f
            den = c.sum() + lam
            if den <= 0.0:
                out[r][f] = current[r][f]
                continue
            out[r][f] = mass * ((c + lam * tau) / den)[f]
        return out


def first_slot_values(t: Tying, full: np.ndarray) -> np.ndarray:
    """Value of each free parameter read at its first slot (no equality check)."""
    flat_idx = t.index.ravel()
    flat = np.asarray(full, dtype=np.float64).ravel()
    out = np.zeros(t.n_free)
    pos = np.flatnonzero(flat_idx >= 0)
    out[flat_idx[pos][::-1]] = flat[pos][::-1]
    return out
