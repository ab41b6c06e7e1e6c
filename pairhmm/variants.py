"""Model variants of the pair HMM as explicit state graphs: double affine gaps, and semiglobal and
local alignment with flanking states (Durbin et al. fig. 4.3).

A variant is the 3-state core plus extra states:

* **double affine** (ProbCons' 5-state model): a second pair of insert states ``X2``/``Y2`` with
  their own gap-open ``delta2`` and gap-extend ``epsilon2`` (short and long gaps); each pair is
  tied X/Y by the same tying engine as the core.
* **semiglobal**: flanking states ``FX1``/``FY1`` before the core and ``FX2``/``FY2`` after it emit
  unaligned terminal residues of *one* sequence (end gaps) from the insert distribution, with
  their own loop probability ``flank_loop`` (``lambda``) and entry probability ``flank_start``
  (``phi``). With lambda close to 1 - eta a terminal residue costs almost nothing in log-odds:
  free end gaps.
* **local**: the same flanks, but a prefix (and a suffix) of *both* sequences may be left
  unaligned: ``FX1 -> FY1`` and ``FX2 -> FY2`` are allowed (local alignment).

Transitions (``c(s)`` = the M row of the core without End: ``1 - sum(delta) - tau``, ``delta``...)::

    Begin -> FX1, FY1: phi      Begin -> core s: (1 - 2 phi) c(s)
    FX1 -> FX1: lambda          FX1 -> FY1: (1 - lambda) phi [local]   FX1 -> core s: rest * c(s)
    FY1 -> FY1: lambda          FY1 -> core s: (1 - lambda) c(s)
    core s -> FX2, FY2: tau phi    core s -> End: tau (1 - 2 phi)
    FX2 -> FX2: lambda          FX2 -> FY2: (1 - lambda) phi [local]   FX2 -> End: rest
    FY2 -> FY2: lambda          FY2 -> End: 1 - lambda

Training (:func:`mstep_general`) pools expected counts exactly as for the core: transitions into
core states from M-like rows (M, Begin and the flanks) estimate the M row; ``tau`` = end-ish
counts / all core counts; ``lambda`` pools every flank's loop; ``phi`` stays fixed. Flank and
insert states emit from the same insert distributions, so their emission counts pool too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Graph", "build_graph"]

M, X, Y = 0, 1, 2  # state kinds


@dataclass
class Graph:
    """A pair-HMM state graph in the form the general kernels take."""

    names: list[str]
    kind: np.ndarray      # (S,) int64
    erow: np.ndarray      # (S,) int64: 0 = insert_x, 1 = insert_y (unused for pair states)
    T: np.ndarray         # (S+1, S+1), row S = Begin
    end: np.ndarray       # (S,)
    pred: np.ndarray
    npred: np.ndarray
    succ: np.ndarray
    nsucc: np.ndarray

    def index(self, name: str) -> int:
        return self.names.index(name)


def build_graph(model) -> Graph:
    """State graph of a :class:`~pairhmm.PairHMM` with ``mode`` / ``long_gaps`` set."""
    names = ["M", "X", "Y"]
    kind = [M, X, Y]
    erow = [0, 0, 1]
    classes = [(model.delta_x, model.delta_y, model.epsilon_x, model.epsilon_y)]
    if model.long_gaps:
        names += ["X2", "Y2"]
        kind += [X, Y]
        erow += [0, 1]
        classes.append((model.delta2_x, model.delta2_y, model.epsilon2_x, model.epsilon2_y))
    flanks = model.mode in ("semiglobal", "local")
    if flanks:
        names += ["FX1", "FY1", "FX2", "FY2"]
        kind += [X, Y, X, Y]
        erow += [0, 1, 0, 1]
    S = len(names)
    T = np.zeros((S + 1, S + 1))
    end = np.zeros(S)
    tau = model.tau
    # the core's M row without End, over core states
    c = np.zeros(S)
    c[0] = 1.0 - sum(dx + dy for dx, dy, _, _ in classes) - tau
    ins_x = [1] + ([3] if model.long_gaps else [])
    ins_y = [2] + ([4] if model.long_gaps else [])
    for k, (dx, dy, ex, ey) in enumerate(classes):
        c[ins_x[k]] = dx
        c[ins_y[k]] = dy
    core = [0] + ins_x + ins_y
    T[0, :S] = c
    for k, (dx, dy, ex, ey) in enumerate(classes):
        xs, ys = ins_x[k], ins_y[k]
        T[xs, 0] = 1.0 - ex - tau
        T[xs, xs] = ex
        T[ys, 0] = 1.0 - ey - tau
        T[ys, ys] = ey
    B = S
    if not flanks:
        T[B, :S] = c
        for s in core:
            end[s] = tau
    else:
        phi = model.flank_start
        lam = model.flank_loop
        fx1, fy1, fx2, fy2 = (names.index(n) for n in ("FX1", "FY1", "FX2", "FY2"))
        local = model.mode == "local"
        T[B, fx1] = phi
        T[B, fy1] = phi
        T[B, :S] += (1.0 - 2.0 * phi) * c
        T[fx1, fx1] = lam
        if local:
            T[fx1, fy1] = (1.0 - lam) * phi
            T[fx1, :S] += (1.0 - lam) * (1.0 - phi) * c
        else:
            T[fx1, :S] += (1.0 - lam) * c
        T[fy1, fy1] = lam
        T[fy1, :S] += (1.0 - lam) * c
        for s in core:
            T[s, fx2] = tau * phi
            T[s, fy2] = tau * phi
            end[s] = tau * (1.0 - 2.0 * phi)
        T[fx2, fx2] = lam
        if local:
            T[fx2, fy2] = (1.0 - lam) * phi
            end[fx2] = (1.0 - lam) * (1.0 - phi)
        else:
            end[fx2] = 1.0 - lam
        T[fy2, fy2] = lam
        end[fy2] = 1.0 - lam
    pred, npred = _adjacency(T.T)
    succ, nsucc = _adjacency(T)
    return Graph(names, np.array(kind, dtype=np.int64), np.array(erow, dtype=np.int64), T, end,
                 pred, npred, succ, nsucc)


def _adjacency(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row r of the result lists the columns c with A[r, c] > 0."""
    n = A.shape[0]
    lists = [np.flatnonzero(A[r] > 0) for r in range(n)]
    width = max(1, max(len(l) for l in lists))
    out = np.zeros((n, width), dtype=np.int64)
    cnt = np.zeros(n, dtype=np.int64)
    for r, l in enumerate(lists):
        out[r, :len(l)] = l
        cnt[r] = len(l)
    return out, cnt


def pool_transition_counts(model, graph: Graph, cT: np.ndarray, cE: np.ndarray) -> dict:
    """Reduce state-graph transition counts to the counts each parameter's M-step needs.

    Returns a dict with ``nMM`` (M-like rows -> M), ``D`` (classes x 2: M-like -> insert of
    class k, side x/y), ``E`` (classes x 2: insert self loops), ``R`` (classes x 2: insert -> M),
    ``nE`` (every transition carrying tau), ``flank_loop`` and ``flank_exit`` counts.
    """
    names = graph.names
    S = len(names)
    n_cls = 2 if model.long_gaps else 1
    ins = [(names.index("X"), names.index("Y"))]
    if model.long_gaps:
        ins.append((names.index("X2"), names.index("Y2")))
    inserts = {s for pair in ins for s in pair}
    flank_names = [n for n in names if n.startswith("F")]
    flanks = [names.index(n) for n in flank_names]
    core = [0] + sorted(inserts)
    m_like = [0, S] + [names.index(n) for n in ("FX1", "FY1") if n in names]
    nMM = float(sum(cT[r, 0] for r in m_like))
    D = np.array([[sum(cT[r, ins[k][side]] for r in m_like) for side in (0, 1)] for k in range(n_cls)])
    E = np.array([[cT[ins[k][side], ins[k][side]] for side in (0, 1)] for k in range(n_cls)])
    R = np.array([[cT[ins[k][side], 0] for side in (0, 1)] for k in range(n_cls)])
    # transitions that carry a tau factor: core -> End and core -> trailing flanks
    nE = float(sum(cE[s] for s in core))
    for n in ("FX2", "FY2"):
        if n in names:
            nE += float(sum(cT[s, names.index(n)] for s in core))
    loop = float(sum(cT[f, f] for f in flanks))
    exit_ = float(sum(cT[f, :S].sum() - cT[f, f] + cE[f] for f in flanks))
    return dict(nMM=nMM, D=D, E=E, R=R, nE=nE, flank_loop=loop, flank_exit=exit_)
