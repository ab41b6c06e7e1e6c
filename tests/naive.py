"""Slow, obviously-correct references: enumerate every alignment of two short sequences.

Written independently of the kernels: a path's probability is computed straight from the model's
public parameters (``match``, ``insert_x``, ``delta_x`` ...), not from the kernel tables.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Iterator

import numpy as np


def all_paths(n: int, m: int, adjacent_gaps: bool = False) -> Iterator[str]:
    """Every state path (M/X/Y) that consumes n and m residues.

    The pair HMM has no X <-> Y moves; ``adjacent_gaps=True`` lists those alignments too (every
    alignment, as MEA may return them).
    """

    def rec(i: int, j: int, prev: str, acc: list[str]):
        if i == n and j == m:
            yield "".join(acc)
            return
        if i < n and j < m:
            acc.append("M")
            yield from rec(i + 1, j + 1, "M", acc)
            acc.pop()
        if i < n and (prev != "Y" or adjacent_gaps):
            acc.append("X")
            yield from rec(i + 1, j, "X", acc)
            acc.pop()
        if j < m and (prev != "X" or adjacent_gaps):
            acc.append("Y")
            yield from rec(i, j + 1, "Y", acc)
            acc.pop()

    yield from rec(0, 0, "M", [])


def path_prob(model, x: np.ndarray, y: np.ndarray, path: str) -> float:
    """P(x, y, path) from the model's public parameters; x, y are canonical codes."""
    dx, dy, ex, ey, tau = model.delta_x, model.delta_y, model.epsilon_x, model.epsilon_y, model.tau
    trans = {
        ("M", "M"): 1 - dx - dy - tau, ("M", "X"): dx, ("M", "Y"): dy, ("M", "E"): tau,
        ("X", "M"): 1 - ex - tau, ("X", "X"): ex, ("X", "E"): tau,
        ("Y", "M"): 1 - ey - tau, ("Y", "Y"): ey, ("Y", "E"): tau,
    }
    p = 1.0
    prev = "M"
    i = j = 0
    for s in path:
        p *= trans[(prev, s)]
        if s == "M":
            p *= model.match[x[i], y[j]]
            i += 1
            j += 1
        elif s == "X":
            p *= model.insert_x[x[i]]
            i += 1
        else:
            p *= model.insert_y[y[j]]
            j += 1
        prev = s
    return p * trans[(prev, "E")]


def enumerate_pair(model, x: np.ndarray, y: np.ndarray):
    """(total probability, best path, its probability, posterior match matrix) by enumeration."""
    n, m = len(x), len(y)
    total = 0.0
    best, best_p = None, -1.0
    post = np.zeros((n, m))
    for path in all_paths(n, m):
        p = path_prob(model, x, y, path)
        total += p
        if p > best_p:
            best, best_p = path, p
        i = j = 0
        for s in path:
            if s == "M":
                post[i, j] += p
                i += 1
                j += 1
            elif s == "X":
                i += 1
            else:
                j += 1
    return total, best, best_p, post / total


def logsumexp_forward(model, x: np.ndarray, y: np.ndarray) -> float:
    """Straightforward log-space forward in pure NumPy row loops (reference for numerics)."""
    n, m = len(x), len(y)
    T = model.transitions()
    with np.errstate(divide="ignore"):
        lT = np.log(T)
        le = np.log(model.match)
        lqx = np.log(model.insert_x)
        lqy = np.log(model.insert_y)
    ninf = -np.inf
    Mp = np.full(m + 1, ninf); Xp = np.full(m + 1, ninf); Yp = np.full(m + 1, ninf)
    Mp[0] = 0.0
    for j in range(1, m + 1):
        Yp[j] = lqy[y[j - 1]] + np.logaddexp(Mp[j - 1] + lT[0, 2], Yp[j - 1] + lT[2, 2])
    for i in range(1, n + 1):
        M = np.full(m + 1, ninf); X = np.full(m + 1, ninf); Y = np.full(m + 1, ninf)
        X[0] = lqx[x[i - 1]] + np.logaddexp(Mp[0] + lT[0, 1], Xp[0] + lT[1, 1])
        M[1:] = le[x[i - 1], y] + np.logaddexp(np.logaddexp(Mp[:-1] + lT[0, 0], Xp[:-1] + lT[1, 0]),
                                               Yp[:-1] + lT[2, 0])
        X[1:] = lqx[x[i - 1]] + np.logaddexp(Mp[1:] + lT[0, 1], Xp[1:] + lT[1, 1])
        for j in range(1, m + 1):
            Y[j] = lqy[y[j - 1]] + np.logaddexp(M[j - 1] + lT[0, 2], Y[j - 1] + lT[2, 2])
        Mp, Xp, Yp = M, X, Y
    return float(np.logaddexp.reduce([Mp[m] + lT[0, 3], Xp[m] + lT[1, 3], Yp[m] + lT[2, 3]]))


def _logspace_forward_kernel():
    from numba import njit

    @njit(cache=True)
    def kernel(x, y, le, lqx, lqy, lT):
        n = x.shape[0]
        m = y.shape[0]
        ninf = -np.inf
        Mp = np.full(m + 1, ninf)
        Xp = np.full(m + 1, ninf)
        Yp = np.full(m + 1, ninf)
        M = np.full(m + 1, ninf)
        X = np.full(m + 1, ninf)
        Y = np.full(m + 1, ninf)
        Mp[0] = 0.0
        for j in range(1, m + 1):
            Yp[j] = lqy[y[j - 1]] + np.logaddexp(Mp[j - 1] + lT[0, 2], Yp[j - 1] + lT[2, 2])
        for i in range(1, n + 1):
            M[0] = ninf
            Y[0] = ninf
            X[0] = lqx[x[i - 1]] + np.logaddexp(Mp[0] + lT[0, 1], Xp[0] + lT[1, 1])
            for j in range(1, m + 1):
                M[j] = le[x[i - 1], y[j - 1]] + np.logaddexp(
                    np.logaddexp(Mp[j - 1] + lT[0, 0], Xp[j - 1] + lT[1, 0]), Yp[j - 1] + lT[2, 0])
                X[j] = lqx[x[i - 1]] + np.logaddexp(Mp[j] + lT[0, 1], Xp[j] + lT[1, 1])
                Y[j] = lqy[y[j - 1]] + np.logaddexp(M[j - 1] + lT[0, 2], Y[j - 1] + lT[2, 2])
            Mp, M = M, Mp
            Xp, X = X, Xp
            Yp, Y = Y, Yp
        return np.logaddexp(np.logaddexp(Mp[m] + lT[0, 3], Xp[m] + lT[1, 3]), Yp[m] + lT[2, 3])

    return kernel


_LS = None


def logspace_forward(model, x: np.ndarray, y: np.ndarray) -> float:
    """The same log-space forward as :func:`logsumexp_forward`, compiled (for long sequences)."""
    global _LS
    if _LS is None:
        _LS = _logspace_forward_kernel()
    with np.errstate(divide="ignore"):
        return float(_LS(x, y, np.log(model.match), np.log(model.insert_x), np.log(model.insert_y),
                         np.log(model.transitions())))


def enumerate_graph(model, x: np.ndarray, y: np.ndarray, cell_ok=None):
    """Brute force over every state path of a general model's state graph.

    Returns (total probability, best path probability, posterior match matrix). Written from the
    graph's transition table and the model's public emission parameters. ``cell_ok(i, j)``, when
    given, restricts the sum to paths whose every DP cell (i residues of x and j of y consumed)
    passes it (a band).
    """
    from pairhmm.variants import build_graph

    G = build_graph(model)
    n, m = len(x), len(y)
    S = len(G.names)
    total = 0.0
    best = 0.0
    post = np.zeros((n, m))

    def emit(s, i, j):
        k = G.kind[s]
        if k == 0:
            return model.match[x[i], y[j]], i + 1, j + 1
        if k == 1:
            return model.insert_x[x[i]], i + 1, j
        return model.insert_y[y[j]], i, j + 1

    def rec(state, i, j, p, matches):
        nonlocal total, best
        if i == n and j == m and state < S:
            q = p * G.end[state]
            if q > 0:
                total += q
                best = max(best, q)
                for (a, b) in matches:
                    post[a, b] += q
        for s in range(S):
            t = G.T[state, s]
            if t <= 0:
                continue
            k = G.kind[s]
            if (k == 0 and (i >= n or j >= m)) or (k == 1 and i >= n) or (k == 2 and j >= m):
                continue
            e, i2, j2 = emit(s, i, j)
            if e <= 0 or (cell_ok is not None and not cell_ok(i2, j2)):
                continue
            rec(s, i2, j2, p * t * e, matches + [(i, j)] if k == 0 else matches)

    rec(S, 0, 0, 1.0, [])
    return total, best, (post / total if total > 0 else post)
