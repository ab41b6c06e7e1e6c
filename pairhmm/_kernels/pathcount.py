"""Expected state-graph transitions along a known alignment.

A pairwise alignment fixes the kind of every column (match, x-only, y-only) but not, in a model
variant, which state produced it: a short or a long gap (double affine), a flank or a core gap
(semiglobal/local). Within a kind every state emits from the same distribution (``erow`` is
fixed per kind in :func:`pairhmm.variants.build_graph`), so the posterior over the hidden states
depends on the transitions only: a one-dimensional HMM along the columns, solved by scaled
forward-backward.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True)
def path_transition_counts(cols, free, kind, T, end, out_T, out_end):
    """Add the expected transition counts of one alignment to ``out_T``/``out_end``.

    Parameters
    ----------
    cols : (L,) int array, kind of each column (0 match, 1 x only, 2 y only)
    free : (L,) bool array, True where the step into column t cannot be made by the graph (an
        x-only column next to a y-only one in a model without such a move): that step is taken
        with weight 1 from every state and not counted (the transition is unobserved)
    kind, T, end : the state graph (T is (S+1, S+1) with Begin = S)
    out_T : (S+1, S+1) float, out_end : (S,) float, accumulated into

    Returns
    -------
    log probability of the column kinds under the graph (-inf when impossible; nothing is
    added then)
    """
    L = cols.shape[0]
    S1 = T.shape[0]
    S = S1 - 1
    if L == 0:
        return -np.inf
    A = np.zeros((L, S))
    c = np.zeros(L + 1)
    for s in range(S):
        if kind[s] == cols[0]:
            A[0, s] = T[S, s]
    for t in range(L):
        if t > 0:
            for s in range(S):
                if kind[s] != cols[t]:
                    continue
                v = 0.0
                for p in range(S):
                    v += A[t - 1, p] * (1.0 if free[t] else T[p, s])
                A[t, s] = v
        tot = 0.0
        for s in range(S):
            tot += A[t, s]
        if tot <= 0.0:
            return -np.inf
        c[t] = tot
        for s in range(S):
            A[t, s] /= tot
    tot = 0.0
    for s in range(S):
        tot += A[L - 1, s] * end[s]
    if tot <= 0.0:
        return -np.inf
    c[L] = tot
    B = np.zeros((L, S))
    for s in range(S):
        B[L - 1, s] = end[s] / c[L]
        out_end[s] += A[L - 1, s] * B[L - 1, s]
    for t in range(L - 1, 0, -1):
        for p in range(S):
            if kind[p] != cols[t - 1]:
                continue
            v = 0.0
            for s in range(S):
                if kind[s] != cols[t] or B[t, s] == 0.0:
                    continue
                w = (1.0 if free[t] else T[p, s]) * B[t, s] / c[t]
                v += w
                if not free[t]:
                    out_T[p, s] += A[t - 1, p] * w
            B[t - 1, p] = v
    for s in range(S):
        if kind[s] == cols[0]:
            out_T[S, s] += T[S, s] * B[0, s] / c[0]
    logp = 0.0
    for t in range(L + 1):
        logp += math.log(c[t])
    return logp
