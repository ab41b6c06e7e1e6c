"""Numba kernels of a general pair HMM: any number of states of three kinds.

The 3-state model has hand-specialised kernels in :mod:`pairhmm._kernels.pair`; the model
variants (double affine gaps, semiglobal and local alignment with flanking states) run here.

State graph
-----------
``kind[s]``: 0 = emits a pair (match-like, moves diagonally), 1 = emits x only (moves down),
2 = emits y only (moves right). State ``S`` (one past the last real state) is the silent Begin:
it holds probability 1 at cell (0, 0) and nothing elsewhere, and ``T[S, s]`` is P(Begin -> s).
``T`` is (S+1, S+1) with column S zero; ``end[s]`` is P(s -> End). Emissions: every pair state
uses ``em`` (C x C); state s of kind 1/2 uses row ``erow[s]`` of ``q`` (R x C).
``pred[s, :npred[s]]`` lists the states p with T[p, s] > 0 (the Begin included).

Scaling is the block scheme of the 3-state kernels: one binary exponent per block of ``BLOCK``
columns per row, chosen from the blocks that feed the block.

How the rows are computed
-------------------------
The techniques of the 3-state kernels, for any graph. Values are stored as one contiguous row
of m+1 columns per state (``F[s, i]``), so every loop over columns is unit-stride:

* y is turned into column tables once (``prof[a, j] = em[a, y_j]``, ``qyc[r, j] = q[r, y_j]``),
  so rows read contiguous arrays instead of gathering ``em[x_i, y_j]``.
* Pair and x-insert states depend on the previous row only: for each (state, predecessor)
  pair one vectorisable loop over the whole row adds that predecessor's term (unscaled); each
  block then applies its factor and the emission.
* y-insert states form the one serial recurrence along the row. Their graph without self loops
  is acyclic in every model variant, so they are computed one state at a time in topological
  order: the other predecessors' terms in a vector loop, then the self loop as a scalar chain;
  two consecutive states with no edge between them (Y and Y2) run their chains in one loop.
  (A graph with a cycle among y-insert states falls back to a column-by-column loop.)
* The backward pass mirrors this: the terms from the next row are summed over the whole row,
  each block multiplies them by its factor (a power of two) and adds the y-insert terms.
* The Begin state only feeds cells (1, 1), (1, 0) and (0, 1): it is left out of the interior
  loops and added at those cells.
* The block's largest column sum is found as an integer maximum over the sums' bit patterns
  (non-negative doubles order like their bit patterns), which vectorises.

Memory: the posterior keeps only the pair states' forward rows (with one pair state, inside the
output matrix) and rolls the backward rows; the E-step rolls the backward rows and recomputes
forward rows from checkpoints for large pairs; Viterbi keeps two rows of values and one
traceback byte per state and cell.

Results: a y-insert state's self-loop term is added after its other predecessors' terms, so
forward values equal a cell-by-cell sum over ``pred`` in order bit for bit when the self loop
is the last nonzero term (the double-affine and semiglobal variants); with local flanks they
differ by rounding, as do backward values, posteriors and expected counts everywhere (a few
units in the last place; counts are summed per column, then over columns). Viterbi scores and
paths, ties included (the lowest predecessor number wins, the Begin last), are those of the
cell-by-cell scan.

Loops whose start index is only known at run time run over slices from 0: Numba then drops
its negative-index wraparound test and LLVM vectorises them.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .bundles import GraphCounts
from .pair import BLOCK, _NEG, _exp2i, _level, _reverse


# ----------------------------------------------------------------------------------------------
# graph tables
# ----------------------------------------------------------------------------------------------
@njit(cache=True)
def _plan(kind, erow, T, pred, npred, succ, nsucc):
    """Tables the row kernels share: (kind, erow, ipred, nip, ms, xs, ys, yord, ypair, acyclic,
    succ, nsucc).

    ``ipred[s, :nip[s]]``: the predecessors of s without the Begin; ``ms``/``xs``/``ys``: the
    states of kind 0/1/2; ``yord``: the y-insert states in topological order of the edges
    between them (self loops left out), valid when ``acyclic`` is 1.
    """
    S = T.shape[0] - 1
    W = max(pred.shape[1], 1)
    ipred = np.zeros((S, W), dtype=np.int64)
    nip = np.zeros(S, dtype=np.int64)
    counts = np.zeros(3, dtype=np.int64)
    for s in range(S):
        k = 0
        for a in range(npred[s]):
            p = pred[s, a]
            if p != S:
                ipred[s, k] = p
                k += 1
        nip[s] = k
        counts[kind[s]] += 1
    ms = np.empty(counts[0], dtype=np.int64)
    xs = np.empty(counts[1], dtype=np.int64)
    ys = np.empty(counts[2], dtype=np.int64)
    c = np.zeros(3, dtype=np.int64)
    for s in range(S):
        k = kind[s]
        if k == 0:
            ms[c[0]] = s
        elif k == 1:
            xs[c[1]] = s
        else:
            ys[c[2]] = s
        c[k] += 1
    # Kahn's algorithm over the y -> y edges, lowest state first
    nY = ys.shape[0]
    indeg = np.zeros(S, dtype=np.int64)
    for a in range(nY):
        s = ys[a]
        for k in range(nip[s]):
            p = ipred[s, k]
            if p != s and kind[p] == 2:
                indeg[s] += 1
    done = np.zeros(S, dtype=np.bool_)
    yord = np.empty(nY, dtype=np.int64)
    n_done = 0
    progress = True
    while progress and n_done < nY:
        progress = False
        for a in range(nY):
            s = ys[a]
            if done[s] or indeg[s] > 0:
                continue
            done[s] = True
            yord[n_done] = s
            n_done += 1
            progress = True
            for b2 in range(nY):
                t = ys[b2]
                if t == s:
                    continue
                for k in range(nip[t]):
                    if ipred[t, k] == s:
                        indeg[t] -= 1
            break
    acyclic = 1 if n_done == nY else 0
    # ypair[a] = 1: no edge between yord[a] and yord[a + 1], so their chains can run side by side
    ypair = np.zeros(nY, dtype=np.int64)
    if acyclic == 1:
        for a in range(nY - 1):
            s = yord[a]
            t = yord[a + 1]
            ypair[a] = 1
            for k in range(nip[t]):
                if ipred[t, k] == s:
                    ypair[a] = 0
            for k in range(nip[s]):
                if ipred[s, k] == t:
                    ypair[a] = 0
    return kind, erow, ipred, nip, ms, xs, ys, yord, ypair, acyclic, succ, nsucc


@njit(cache=True)
def _profiles(y, em, q):
    """Column tables of y: prof[a, j] = em[a, y_j], qyc[r, j] = q[r, y_j] (1-based j; column 0
    is zero and never read)."""
    m = y.shape[0]
    C = em.shape[0]
    R = q.shape[0]
    prof = np.zeros((C, m + 1))
    qyc = np.zeros((R, m + 1))
    for a in range(C):
        for j in range(1, m + 1):
            prof[a, j] = em[a, y[j - 1]]
    for r in range(R):
        for j in range(1, m + 1):
            qyc[r, j] = q[r, y[j - 1]]
    return prof, qyc


@njit(cache=True)
def _close(Fc, ic, S1, j0, j1, b, big, target, SCc, LVc):
    """Block b's exponent and level from its largest value ``big`` (relative to 2**target);
    rescale the block when it drifts past 2**+-200."""
    e = _level(big)
    if e == _NEG:
        SCc[b] = target
        return
    if e < -200 or e > 200:
        # ldexp per value: exact, and safe when the largest value is subnormal
        for s in range(S1):
            Fs = Fc[s, ic]
            for j in range(j0, j1):
                Fs[j] = math.ldexp(Fs[j], -e)
        SCc[b] = target + e
    else:
        SCc[b] = target
    LVc[b] = target + e


@njit(cache=True)
def _block_big(Fc, ic, S, j0, j1, tot, tbits, big):
    """Largest sum over the real states (in state order) of a column of the block, at least
    ``big``. ``tbits`` is ``tot`` viewed as int64: the sums are >= 0, and non-negative doubles
    order like their bit patterns, so the maximum is an integer maximum (which vectorises)."""
    w = j1 - j0
    F0 = Fc[0, ic][j0:j1]
    for jj in range(w):
        tot[jj] = F0[jj]
    for s in range(1, S):
        F2 = Fc[s, ic][j0:j1]
        for jj in range(w):
            tot[jj] += F2[jj]
    mb = tbits[0]
    for jj in range(1, w):
        v = tbits[jj]
        mb = v if v > mb else mb
    tbits[0] = mb
    v = tot[0]
    return v if v > big else big


# ----------------------------------------------------------------------------------------------
# forward
# ----------------------------------------------------------------------------------------------
@njit(cache=True)
def _fwd_y_sums(s, Fc, ic, T, ipred, nip, jy, j1):
    """Columns jy..j1-1 of y-insert state s: the sum of its other predecessors' terms (current
    row, column j-1), unscaled. Returns the self-loop probability."""
    Fs = Fc[s, ic]
    tss = 0.0
    first = True
    for k in range(nip[s]):
        p = ipred[s, k]
        if p == s:
            tss = T[s, s]
            continue
        t = T[p, s]
        A = Fc[p, ic]
        F2 = Fs[jy:j1]
        A2 = A[jy - 1:j1 - 1]
        if first:
            for k in range(F2.shape[0]):
                F2[k] = A2[k] * t
            first = False
        else:
            for k in range(F2.shape[0]):
                F2[k] += A2[k] * t
    if first:
        for j in range(jy, j1):
            Fs[j] = 0.0
    return tss


@njit(cache=True)
def _g_forward_row(i, x, T, q, prof, qyc, plan, Fp, ip, Fc, ic, SCp, LVp, SCc, LVc, tot):
    """Forward row i of every state into ``Fc[:, ic]`` from row i-1 in ``Fp[:, ip]`` (unused for
    i = 0), with the block exponents ``SC*`` and levels ``LV*`` of both rows."""
    kind, erow, ipred, nip, ms, xs, ys, yord, ypair, acyclic, succ, nsucc = plan
    m = prof.shape[1] - 1
    S1 = T.shape[0]
    S = S1 - 1
    nb = SCc.shape[0]
    tbits = tot.view(np.int64)
    FB = Fc[S, ic]
    for j in range(m + 1):
        FB[j] = 0.0
    if i == 0:
        FB[0] = 1.0
        for a in range(ms.shape[0]):
            Fs = Fc[ms[a], ic]
            for j in range(m + 1):
                Fs[j] = 0.0
        for a in range(xs.shape[0]):
            Fs = Fc[xs[a], ic]
            for j in range(m + 1):
                Fs[j] = 0.0
        xi = 0
    else:
        xi = x[i - 1]
        # unscaled predecessor sums of the pair and x-insert states, whole row at once
        for a in range(ms.shape[0]):
            s = ms[a]
            Fs = Fc[s, ic]
            Fs[0] = 0.0
            for j in range(1, m + 1):
                Fs[j] = 0.0
            F2 = Fs[1:]
            for k in range(nip[s]):
                p = ipred[s, k]
                t = T[p, s]
                A2 = Fp[p, ip][:m]
                for jj in range(m):
                    F2[jj] += A2[jj] * t
            if i == 1 and m > 0:
                Fs[1] += Fp[S, ip][0] * T[S, s]
        for a in range(xs.shape[0]):
            s = xs[a]
            Fs = Fc[s, ic]
            for j in range(m + 1):
                Fs[j] = 0.0
            for k in range(nip[s]):
                p = ipred[s, k]
                t = T[p, s]
                A = Fp[p, ip]
                for j in range(m + 1):
                    Fs[j] += A[j] * t
            if i == 1:
                Fs[0] += Fp[S, ip][0] * T[S, s]
    er = prof[xi]
    for b in range(nb):
        LVc[b] = _NEG
    for b in range(nb):
        j0 = b * BLOCK
        j1 = min(j0 + BLOCK, m + 1)
        if i == 0 and b == 0:
            target = 0
        else:
            target = _NEG
            if i > 0:
                target = LVp[b]
                if b > 0 and LVp[b - 1] > target:
                    target = LVp[b - 1]
            if b > 0 and LVc[b - 1] > target:
                target = LVc[b - 1]
            if target == _NEG:
                target = SCp[b] if i > 0 else 0
        r_up = _exp2i(SCp[b] - target) if i > 0 else 0.0
        r_d = _exp2i(SCp[b - 1] - target) if (i > 0 and b > 0) else 0.0
        r_l = _exp2i(SCc[b - 1] - target) if b > 0 else 0.0
        if i > 0:
            for a in range(ms.shape[0]):
                Fs = Fc[ms[a], ic]
                js = j0
                if j0 == 0:
                    js = 1
                else:
                    Fs[j0] = Fs[j0] * r_d * er[j0]
                    js = j0 + 1
                # loops over slices from 0: Numba then proves the index non-negative (no
                # wraparound test), and LLVM vectorises
                F2 = Fs[js:j1]
                e2 = er[js:j1]
                for k in range(F2.shape[0]):
                    F2[k] = F2[k] * r_up * e2[k]
            for a in range(xs.shape[0]):
                s = xs[a]
                F2 = Fc[s, ic][j0:j1]
                qx = q[erow[s], xi]
                for k in range(F2.shape[0]):
                    F2[k] = F2[k] * r_up * qx
        jy = j0 if j0 > 0 else 1
        if acyclic == 1:
            a = 0
            while a < yord.shape[0]:
                s = yord[a]
                two = ypair[a] == 1
                s2 = yord[a + 1] if two else s
                F1 = Fc[s, ic]
                F2 = Fc[s2, ic]
                t1 = _fwd_y_sums(s, Fc, ic, T, ipred, nip, jy, j1)
                t2 = _fwd_y_sums(s2, Fc, ic, T, ipred, nip, jy, j1) if two else 0.0
                q1 = qyc[erow[s]]
                q2 = qyc[erow[s2]]
                if i == 0 and b == 0 and m > 0:
                    F1[1] += FB[0] * T[S, s]
                    if two:
                        F2[1] += FB[0] * T[S, s2]
                if j0 > 0:
                    # the first column reads the previous block: its scale factor
                    F1[j0] = (F1[j0] + F1[j0 - 1] * t1) * r_l * q1[j0]
                    if two:
                        F2[j0] = (F2[j0] + F2[j0 - 1] * t2) * r_l * q2[j0]
                    start = j0 + 1
                else:
                    F1[0] = 0.0
                    F2[0] = 0.0
                    start = 1
                p1 = F1[start - 1]
                if two:
                    # two independent chains in one loop hide each other's latency
                    p2 = F2[start - 1]
                    for j in range(start, j1):
                        p1 = (F1[j] + p1 * t1) * q1[j]
                        p2 = (F2[j] + p2 * t2) * q2[j]
                        F1[j] = p1
                        F2[j] = p2
                    a += 2
                else:
                    for j in range(start, j1):
                        p1 = (F1[j] + p1 * t1) * q1[j]
                        F1[j] = p1
                    a += 1
        else:
            if j0 == 0:
                for a in range(ys.shape[0]):
                    Fc[ys[a], ic][0] = 0.0
            for j in range(jy, j1):
                fl = r_l if j == j0 else 1.0
                for a in range(ys.shape[0]):
                    s = ys[a]
                    acc = 0.0
                    for k in range(nip[s]):
                        p = ipred[s, k]
                        acc += Fc[p, ic][j - 1] * T[p, s]
                    if i == 0 and j == 1:
                        acc += FB[0] * T[S, s]
                    Fc[s, ic][j] = acc * fl * qyc[erow[s], j]
        big = _block_big(Fc, ic, S, j0, j1, tot, tbits, 1.0 if (i == 0 and b == 0) else 0.0)
        _close(Fc, ic, S1, j0, j1, b, big, target, SCc, LVc)


@njit(cache=True)
def _forward_full(x, T, end, q, prof, qyc, plan, Fbuf, Sbuf, Lbuf):
    """Forward matrices (S+1, n+1, m+1), block exponents (n+1, nb) and log P(x, y), written
    into the flat buffers ``Fbuf`` (at least (S+1)(n+1)(m+1) long), ``Sbuf`` and ``Lbuf``
    (at least (n+1) nb): every entry is overwritten, so buffers can be reused across pairs."""
    n = x.shape[0]
    m = prof.shape[1] - 1
    S1 = T.shape[0]
    nb = m // BLOCK + 1
    F = Fbuf[: S1 * (n + 1) * (m + 1)].reshape((S1, n + 1, m + 1))
    SC = Sbuf[: (n + 1) * nb].reshape((n + 1, nb))
    LV = Lbuf[: (n + 1) * nb].reshape((n + 1, nb))
    tot = np.empty(BLOCK)
    for i in range(n + 1):
        p = max(i - 1, 0)
        _g_forward_row(i, x, T, q, prof, qyc, plan, F, p, F, i, SC[p], LV[p], SC[i], LV[i], tot)
    return F, SC, _g_end(F, n, SC[n], m, end)


@njit(cache=True)
def g_forward(x, y, graph, probs):
    """Forward matrices F (S+1, n+1, m+1), block exponents (n+1, nb) and log P(x, y).

    ``graph`` is a :class:`~pairhmm._kernels.bundles.GraphArrays`, ``probs`` a
    :class:`~pairhmm._kernels.bundles.GraphProbs` (as in every probability-space kernel here).
    """
    q, T, end = probs.q, probs.T, probs.end
    plan = _plan(graph.kind, graph.erow, T, graph.pred, graph.npred, graph.succ, graph.nsucc)
    prof, qyc = _profiles(y, probs.em, q)
    n = x.shape[0]
    m = y.shape[0]
    size = (n + 1) * (m // BLOCK + 1)
    return _forward_full(x, T, end, q, prof, qyc, plan, np.empty(T.shape[0] * (n + 1) * (m + 1)),
                         np.empty(size, dtype=np.int64), np.empty(size, dtype=np.int64))


@njit(cache=True)
def g_forward_logprob(x, y, graph, probs):
    """log P(x, y) by the forward algorithm in linear memory (two rows of every state)."""
    q, T, end = probs.q, probs.T, probs.end
    plan = _plan(graph.kind, graph.erow, T, graph.pred, graph.npred, graph.succ, graph.nsucc)
    prof, qyc = _profiles(y, probs.em, q)
    n = x.shape[0]
    m = y.shape[0]
    S1 = T.shape[0]
    nb = m // BLOCK + 1
    F = np.zeros((S1, 2, m + 1))
    SC = np.zeros((2, nb), dtype=np.int64)
    LV = np.full((2, nb), _NEG, dtype=np.int64)
    tot = np.empty(BLOCK)
    for i in range(n + 1):
        p = (i - 1) & 1
        c = i & 1
        _g_forward_row(i, x, T, q, prof, qyc, plan, F, p, F, c, SC[p], LV[p], SC[c], LV[c], tot)
    return _g_end(F, n & 1, SC[n & 1], m, end)


@njit(cache=True)
def _g_end(F, r, SCn, m, end):
    """log P(x, y) from the last row's values ``F[:, r]`` and block exponents."""
    v = 0.0
    for s in range(end.shape[0]):
        v += F[s, r, m] * end[s]
    if v <= 0.0:
        return -np.inf
    return math.log(v) + SCn[m // BLOCK] * math.log(2.0)


# ----------------------------------------------------------------------------------------------
# backward
# ----------------------------------------------------------------------------------------------
@njit(cache=True)
def _bwd_y_sums(s, Bc, ic, T, kind, succ, nsucc, Ub, j0, j1):
    """Add the terms of the other y-insert successors of y-insert state s (their ``Ub`` rows,
    already filled for this block) to columns j0..j1-1. Returns the self-loop probability."""
    Bs = Bc[s, ic]
    tss = 0.0
    for k in range(nsucc[s]):
        s2 = succ[s, k]
        if kind[s2] != 2:
            continue
        if s2 == s:
            tss = T[s, s]
            continue
        t = T[s, s2]
        B2 = Bs[j0:j1]
        U2 = Ub[s2]
        for k in range(B2.shape[0]):
            B2[k] += t * U2[k]
    return tss


@njit(cache=True)
def _g_backward_row(i, x, T, end, q, prof, qyc, plan, Bn, in_, Bc, ic, SCn, LVn, SCc, LVc, U, Ub,
                    tot):
    """Backward row i of every state into ``Bc[:, ic]`` from row i+1 in ``Bn[:, in_]`` (unused
    for i = n). ``U`` (S, m+1) and ``Ub`` (S, BLOCK) are work arrays.

    The terms from row i+1 are summed over the whole row first, unscaled (``U[s2, j]`` is the
    emission times B of pair or x-insert state s2 at its cell); each block then multiplies them
    by its factor (a power of two) and adds the terms of the y-insert successors, which are
    computed right to left inside the block (``Ub[s2, j - j0]``: emission times B of y-insert
    state s2 at (i, j+1), times the block factor).
    """
    kind, erow, ipred, nip, ms, xs, ys, yord, ypair, acyclic, succ, nsucc = plan
    n = x.shape[0]
    m = prof.shape[1] - 1
    S1 = T.shape[0]
    S = S1 - 1
    nb = SCc.shape[0]
    tbits = tot.view(np.int64)
    last = i == n
    if not last:
        xn = x[i]
        er = prof[xn]
        for a in range(ms.shape[0]):
            s = ms[a]
            Us = U[s]
            Bs = Bn[s, in_]
            e2 = er[1:]
            B2 = Bs[1:]
            for j in range(m):
                Us[j] = e2[j] * B2[j]
            Us[m] = 0.0
        for a in range(xs.shape[0]):
            s = xs[a]
            Us = U[s]
            Bs = Bn[s, in_]
            qx = q[erow[s], xn]
            for j in range(m + 1):
                Us[j] = qx * Bs[j]
    for s in range(S1):
        Bs = Bc[s, ic]
        for j in range(m + 1):
            Bs[j] = 0.0
        if last or s == S:
            continue
        for k in range(nsucc[s]):
            s2 = succ[s, k]
            if kind[s2] == 2:
                continue
            t = T[s, s2]
            Us = U[s2]
            for j in range(m + 1):
                Bs[j] += t * Us[j]
    for b in range(nb):
        LVc[b] = _NEG
    for b in range(nb - 1, -1, -1):
        j0 = b * BLOCK
        j1 = min(j0 + BLOCK, m + 1)
        jl = j1 - 1
        target = _NEG
        if not last:
            target = LVn[b]
            if b + 1 < nb and LVn[b + 1] > target:
                target = LVn[b + 1]
        if b + 1 < nb and LVc[b + 1] > target:
            target = LVc[b + 1]
        if target == _NEG:
            target = SCn[b] if not last else 0
        r_dn = _exp2i(SCn[b] - target) if not last else 0.0
        r_dd = _exp2i(SCn[b + 1] - target) if (not last and b + 1 < nb) else 0.0
        r_r = _exp2i(SCc[b + 1] - target) if b + 1 < nb else 0.0
        if not last:
            for s in range(S):
                Bs = Bc[s, ic]
                B2 = Bs[j0:jl]
                for k in range(B2.shape[0]):
                    B2[k] *= r_dn
                # the last column's diagonal successors lie in block b+1 of row i+1
                acc = 0.0
                for k in range(nsucc[s]):
                    s2 = succ[s, k]
                    kd2 = kind[s2]
                    if kd2 == 0:
                        acc += T[s, s2] * (U[s2, jl] * r_dd)
                    elif kd2 == 1:
                        acc += T[s, s2] * (U[s2, jl] * r_dn)
                Bs[jl] = acc
        elif jl == m:
            # cell (n, m): End
            escale = _exp2i(-target)
            for s in range(S):
                Bc[s, ic][m] = end[s] * escale
        # y-insert states: the serial recurrence along the row, right to left
        if acyclic == 1:
            a = yord.shape[0] - 1
            while a >= 0:
                s = yord[a]
                two = a > 0 and ypair[a - 1] == 1
                s2 = yord[a - 1] if two else s
                t1 = _bwd_y_sums(s, Bc, ic, T, kind, succ, nsucc, Ub, j0, j1)
                t2 = _bwd_y_sums(s2, Bc, ic, T, kind, succ, nsucc, Ub, j0, j1) if two else 0.0
                B1 = Bc[s, ic]
                B2 = Bc[s2, ic]
                q1 = qyc[erow[s]]
                q2 = qyc[erow[s2]]
                v1 = 0.0 if jl == m else q1[jl + 1] * B1[jl + 1] * r_r
                Ub[s, jl - j0] = v1
                p1 = B1[jl] + v1 * t1
                B1[jl] = p1
                if two:
                    v2 = 0.0 if jl == m else q2[jl + 1] * B2[jl + 1] * r_r
                    Ub[s2, jl - j0] = v2
                    p2 = B2[jl] + v2 * t2
                    B2[jl] = p2
                    # two independent chains in one loop hide each other's latency
                    for j in range(jl - 1, j0 - 1, -1):
                        v1 = q1[j + 1] * p1
                        v2 = q2[j + 1] * p2
                        Ub[s, j - j0] = v1
                        Ub[s2, j - j0] = v2
                        p1 = B1[j] + v1 * t1
                        p2 = B2[j] + v2 * t2
                        B1[j] = p1
                        B2[j] = p2
                    a -= 2
                else:
                    for j in range(jl - 1, j0 - 1, -1):
                        v1 = q1[j + 1] * p1
                        Ub[s, j - j0] = v1
                        p1 = B1[j] + v1 * t1
                        B1[j] = p1
                    a -= 1
        else:
            for j in range(jl, j0 - 1, -1):
                fr = r_r if j == jl else 1.0
                for a in range(ys.shape[0]):
                    s = ys[a]
                    acc = Bc[s, ic][j]
                    if j < m:
                        for k in range(nsucc[s]):
                            s2 = succ[s, k]
                            if kind[s2] == 2:
                                acc += T[s, s2] * (qyc[erow[s2], j + 1] * Bc[s2, ic][j + 1] * fr)
                    Bc[s, ic][j] = acc
            for a in range(ys.shape[0]):
                s = ys[a]
                Bs = Bc[s, ic]
                qs = qyc[erow[s]]
                for j in range(j0, j1):
                    fr = r_r if j == jl else 1.0
                    Ub[s, j - j0] = qs[j + 1] * Bs[j + 1] * fr if j < m else 0.0
        # pair and x-insert states: add the y-insert successors' terms
        for kd in range(2):
            grp = ms if kd == 0 else xs
            for a in range(grp.shape[0]):
                s = grp[a]
                Bs = Bc[s, ic]
                for k in range(nsucc[s]):
                    s2 = succ[s, k]
                    if kind[s2] != 2:
                        continue
                    t = T[s, s2]
                    B2 = Bs[j0:j1]
                    U2 = Ub[s2]
                    for k in range(B2.shape[0]):
                        B2[k] += t * U2[k]
        if i == 0 and b == 0:
            acc = 0.0
            for k in range(nsucc[S]):
                s2 = succ[S, k]
                kd2 = kind[s2]
                if kd2 == 2:
                    acc += T[S, s2] * Ub[s2, 0]
                elif not last:
                    acc += T[S, s2] * (U[s2, 0] * (r_dd if (kd2 == 0 and jl == 0) else r_dn))
            Bc[S, ic][0] = acc
        big = _block_big(Bc, ic, S, j0, j1, tot, tbits, 0.0)
        _close(Bc, ic, S1, j0, j1, b, big, target, SCc, LVc)


@njit(cache=True)
def g_backward(x, y, graph, probs):
    """Backward matrices B (S+1, n+1, m+1) and block exponents; B[Begin, 0, 0] = P(x, y)
    (the Begin's other entries are 0)."""
    T = probs.T
    S1 = T.shape[0]
    plan = _plan(graph.kind, graph.erow, T, graph.pred, graph.npred, graph.succ, graph.nsucc)
    prof, qyc = _profiles(y, probs.em, probs.q)
    n = x.shape[0]
    m = y.shape[0]
    nb = m // BLOCK + 1
    B = np.zeros((S1, n + 1, m + 1))
    SC = np.zeros((n + 1, nb), dtype=np.int64)
    LV = np.full((n + 1, nb), _NEG, dtype=np.int64)
    U = np.zeros((S1 - 1, m + 1))
    Ub = np.zeros((S1 - 1, BLOCK))
    tot = np.empty(BLOCK)
    for i in range(n, -1, -1):
        r = min(i + 1, n)
        _g_backward_row(i, x, T, probs.end, probs.q, prof, qyc, plan, B, r, B, i, SC[r], LV[r],
                        SC[i], LV[i], U, Ub, tot)
    return B, SC


# ----------------------------------------------------------------------------------------------
# posterior and expected counts
# ----------------------------------------------------------------------------------------------
@njit(cache=True)
def g_posterior(x, y, graph, probs):
    """P(x_i ~ y_j) summed over the pair-emitting states, shape (n, m), and log P(x, y).

    Only the pair states' forward rows are kept (with one pair state, in the output matrix
    itself); the backward rows are computed from the last row up, two at a time, and combined
    with them.
    """
    q, T, end = probs.q, probs.T, probs.end
    plan = _plan(graph.kind, graph.erow, T, graph.pred, graph.npred, graph.succ, graph.nsucc)
    ms = plan[4]
    prof, qyc = _profiles(y, probs.em, q)
    n = x.shape[0]
    m = y.shape[0]
    S1 = T.shape[0]
    nM = ms.shape[0]
    nb = m // BLOCK + 1
    direct = nM == 1
    FM = np.zeros((1, 1, 1)) if direct else np.zeros((nM, n + 1, m + 1))
    P = np.empty((n, m)) if direct else np.zeros((n, m))
    SF = np.zeros((n + 1, nb), dtype=np.int64)
    LF = np.full((2, nb), _NEG, dtype=np.int64)
    R = np.zeros((S1, 2, m + 1))
    tot = np.empty(BLOCK)
    for i in range(n + 1):
        p = (i - 1) & 1
        c = i & 1
        _g_forward_row(i, x, T, q, prof, qyc, plan, R, p, R, c, SF[max(i - 1, 0)], LF[p], SF[i],
                       LF[c], tot)
        if direct:
            if i > 0:
                Pi = P[i - 1]
                Fs = R[ms[0], c]
                for j in range(1, m + 1):
                    Pi[j - 1] = Fs[j]
        else:
            for a in range(nM):
                FM[a, i] = R[ms[a], c]
    logp = _g_end(R, n & 1, SF[n], m, end)
    if logp == -np.inf:
        P[:, :] = 0.0
        return P, logp
    SB = np.zeros((2, nb), dtype=np.int64)
    LB = np.full((2, nb), _NEG, dtype=np.int64)
    U = np.zeros((S1 - 1, m + 1))
    Ub = np.zeros((S1 - 1, BLOCK))
    ln2 = math.log(2.0)
    for i in range(n, 0, -1):
        c = i & 1
        p = (i + 1) & 1 if i < n else c
        _g_backward_row(i, x, T, end, q, prof, qyc, plan, R, p, R, c, SB[p], LB[p], SB[c], LB[c], U,
                        Ub, tot)
        Pi = P[i - 1]
        for b in range(nb):
            j0 = b * BLOCK
            j1 = min(j0 + BLOCK, m + 1)
            js = max(j0, 1)
            k = (SF[i, b] + SB[c, b]) * ln2 - logp
            if k < -740.0:
                if direct:
                    for j in range(js, j1):
                        Pi[j - 1] = 0.0
                continue
            f = math.exp(k) if k < 700.0 else np.inf
            if direct:
                P2 = Pi[js - 1:j1 - 1]
                B2 = R[ms[0], c][js:j1]
                for k in range(P2.shape[0]):
                    P2[k] = P2[k] * B2[k] * f
                continue
            for j in range(js, j1):
                tot[j - j0] = 0.0
            for a in range(nM):
                Fs = FM[a, i]
                Bs = R[ms[a], c]
                for j in range(js, j1):
                    tot[j - j0] += Fs[j] * Bs[j]
            for j in range(js, j1):
                Pi[j - 1] = tot[j - j0] * f
    return P, logp


@njit(cache=True)
def _counts_row(i, x, probs, prof, qyc, plan, F, off, Bc, c, fD, fU, fL, Tl, Ecol, Qcol, XQ, wf, tc):
    """Transition and emission counts into the cells of row i, whole row at once, from the
    forward rows i-1 and i (``F[:, i - 1 - off]``, ``F[:, i - off]``) and backward row i.

    ``fD``/``fU``/``fL``: per column, exp of the scale of a cell and its diagonal / upper / left
    predecessor relative to P(x, y) (0 in blocks left to :func:`_counts_block_slow`). Counts go
    to per-column accumulators, summed once at the end: ``Tl`` (S, W+1, m+1; column k of state s
    is predecessor ``ipred[s, k]``, column ``nip[s]`` the Begin), ``Ecol`` (C, m+1) match
    emissions by x code, ``Qcol`` (R, m+1) y-insert emissions, ``XQ`` (R, C, m+1) x-insert
    emissions by x code.
    """
    kind, erow, ipred, nip, ms, xs, ys, yord, ypair, acyclic, succ, nsucc = plan
    q, T = probs.q, probs.T
    m = prof.shape[1] - 1
    S = T.shape[0] - 1
    for s in range(S):
        kd = kind[s]
        Bs = Bc[s, c]
        if kd == 0:
            if i == 0:
                continue
            js = 1
            er = prof[x[i - 1]]
            for j in range(1, m + 1):
                wf[j] = er[j] * Bs[j] * fD[j]
            pr = i - 1
            o = 1
        elif kd == 1:
            if i == 0:
                continue
            js = 0
            qx = q[erow[s], x[i - 1]]
            for j in range(m + 1):
                wf[j] = qx * Bs[j] * fU[j]
            pr = i - 1
            o = 0
        else:
            js = 1
            qs = qyc[erow[s]]
            for j in range(1, m + 1):
                wf[j] = qs[j] * Bs[j] * fL[j]
            pr = i
            o = 1
        for j in range(js, m + 1):
            tc[j] = 0.0
        W2 = wf[js:]
        C2 = tc[js:]
        for k in range(nip[s]):
            p = ipred[s, k]
            t = T[p, s]
            A2 = F[p, pr - off][js - o:m + 1 - o]
            L2 = Tl[s, k][js:]
            for jj in range(W2.shape[0]):
                v = A2[jj] * t * W2[jj]
                L2[jj] += v
                C2[jj] += v
        # the Begin feeds (1, 1), (1, 0) and (0, 1) only (those rows have off = 0)
        if (kd != 2 and i == 1) or (kd == 2 and i == 0):
            jb = 0 if kd == 1 else 1
            if jb <= m:
                v = F[S, 0, 0] * T[S, s] * wf[jb]
                Tl[s, nip[s], jb] += v
                tc[jb] += v
        if kd == 0:
            E = Ecol[x[i - 1]]
        elif kd == 1:
            E = XQ[erow[s], x[i - 1]]
        else:
            E = Qcol[erow[s]]
        E2 = E[js:]
        for jj in range(C2.shape[0]):
            E2[jj] += C2[jj]


@njit(cache=True)
def _counts_block_slow(i, x, y, graph, probs, F, off, SF, Bc, c, sb, logp, j0, j1, out):
    """The counts of :func:`_counts_row` for the cells j0..j1-1 of row i, cell by cell, for
    blocks whose scale factor exp(k) is outside the double range: k in (-1400, -700] is applied
    as two factors exp(k/2); beyond that each term is formed in log space."""
    kind, erow, pred, npred = graph.kind, graph.erow, graph.pred, graph.npred
    em, q, T = probs.em, probs.q, probs.T
    out_T, out_em, out_q = out.T, out.em, out.q
    S = T.shape[0] - 1
    ln2 = math.log(2.0)
    k_last = 0.0
    f_last = 1.0
    for j in range(j0, j1):
        if i == 0 and j == 0:
            continue
        for s in range(S):
            kd = kind[s]
            if kd == 0:
                if i == 0 or j == 0:
                    continue
                pi, pj = i - 1, j - 1
                e = em[x[i - 1], y[j - 1]]
            elif kd == 1:
                if i == 0:
                    continue
                pi, pj = i - 1, j
                e = q[erow[s], x[i - 1]]
            else:
                if j == 0:
                    continue
                pi, pj = i, j - 1
                e = q[erow[s], y[j - 1]]
            w = e * Bc[s, c, j]
            if w == 0.0:
                continue
            k = (SF[pi, pj // BLOCK] + sb) * ln2 - logp
            tot = 0.0
            if k != k_last:
                k_last = k
                f_last = math.exp(k) if -700.0 < k < 700.0 else math.exp(0.5 * k)
            if -700.0 < k < 700.0:
                wf = w * f_last
                for a in range(npred[s]):
                    p = pred[s, a]
                    v = F[p, pi - off, pj] * T[p, s] * wf
                    out_T[p, s] += v
                    tot += v
            elif -1400.0 < k < 0.0:
                # the factor split in two halves, each in the double range
                wf = w * f_last
                for a in range(npred[s]):
                    p = pred[s, a]
                    v = F[p, pi - off, pj] * T[p, s] * f_last * wf
                    out_T[p, s] += v
                    tot += v
            else:
                lw = math.log(w) + k
                for a in range(npred[s]):
                    p = pred[s, a]
                    fv = F[p, pi - off, pj] * T[p, s]
                    if fv > 0.0:
                        v = math.exp(math.log(fv) + lw)
                        out_T[p, s] += v
                        tot += v
            if kd == 0:
                out_em[x[i - 1], y[j - 1]] += tot
            elif kd == 1:
                out_q[erow[s], x[i - 1]] += tot
            else:
                out_q[erow[s], y[j - 1]] += tot


# the E-step keeps the forward matrices whole up to this many state cells (S+1)(n+1)(m+1)
# (32 MB), and recomputes them from checkpoints above
FULL_COUNTS_CELLS = 4_000_000


@njit(cache=True)
def g_counts(x, y, graph, probs, out):
    """Add the expected counts of one pair to ``out`` (a
    :class:`~pairhmm._kernels.bundles.GraphCounts`: transitions (S+1, S+1; row S = Begin), ends
    (S), match emissions (C, C) and per-row insert emissions (R, C)). Returns log P(x, y).

    See :func:`g_counts_limited` (with ``full_cells = FULL_COUNTS_CELLS``)."""
    return g_counts_limited(x, y, graph, probs, out, FULL_COUNTS_CELLS)


@njit(cache=True)
def g_counts_limited(x, y, graph, probs, out, full_cells):
    """:func:`g_counts`. The forward matrices of a pair with at most ``full_cells`` state cells
    (S+1)(n+1)(m+1) are kept whole. Above that, memory is O((S+1) m sqrt(n)): a first forward
    pass keeps every K-th row (K about sqrt(n)); the backward pass then runs from the last row
    up, recomputing the forward rows of one segment of K rows at a time from its checkpoint
    (the same values), so the forward algorithm runs twice but nothing of the size of the full
    matrix is written (faulting in fresh pages for it costs more than the second pass).
    """
    em, q, T, end = probs
    out_T, out_end, out_em, out_q = out
    plan = _plan(graph.kind, graph.erow, T, graph.pred, graph.npred, graph.succ, graph.nsucc)
    ipred, nip = plan[2], plan[3]
    prof, qyc = _profiles(y, em, q)
    n = x.shape[0]
    m = y.shape[0]
    S1 = T.shape[0]
    S = S1 - 1
    C = em.shape[0]
    R = q.shape[0]
    nb = m // BLOCK + 1
    full = S1 * (n + 1) * (m + 1) <= full_cells
    K = n + 1 if full else int(math.sqrt(n + 1)) + 1
    nck = n // K + 1
    SF = np.empty((n + 1, nb), dtype=np.int64)
    LF = np.empty((n + 1, nb), dtype=np.int64)
    CK = np.empty((S1, 1 if full else nck, m + 1))
    Fs = np.empty((S1, K + 1, m + 1))
    tot = np.empty(BLOCK)
    for i in range(n + 1):
        p = max(i - 1, 0) if full else (i - 1) & 1
        c = i if full else i & 1
        _g_forward_row(i, x, T, q, prof, qyc, plan, Fs, p, Fs, c, SF[max(i - 1, 0)],
                       LF[max(i - 1, 0)], SF[i], LF[i], tot)
        if i % K == 0 and not full:
            for s in range(S1):
                CK[s, i // K] = Fs[s, c]
    c = n if full else n & 1
    logp = _g_end(Fs, c, SF[n], m, end)
    if logp == -np.inf:
        return logp
    ln2 = math.log(2.0)
    for s in range(S):
        k = SF[n, m // BLOCK] * ln2 - logp
        out_end[s] += Fs[s, c, m] * end[s] * math.exp(k)
    Bc = np.zeros((S1, 2, m + 1))
    SB = np.zeros((2, nb), dtype=np.int64)
    LB = np.full((2, nb), _NEG, dtype=np.int64)
    U = np.zeros((S, m + 1))
    Ub = np.zeros((S, BLOCK))
    Tl = np.zeros((S, ipred.shape[1] + 1, m + 1))
    Ecol = np.zeros((C, m + 1))
    Qcol = np.zeros((R, m + 1))
    XQ = np.zeros((R, C, m + 1))
    fD = np.zeros(m + 1)
    fU = np.zeros(m + 1)
    fL = np.zeros(m + 1)
    wf = np.zeros(m + 1)
    tc = np.zeros(m + 1)
    slow = np.zeros(nb, dtype=np.bool_)
    lim = 700.0
    for seg in range(nck - 1, -1, -1):
        r0 = seg * K
        r1 = min(r0 + K, n)
        # (kept whole: rows 0..n are in Fs already, nothing to recompute)
        if not full:
            for s in range(S1):
                Fs[s, 0] = CK[s, seg]
        for i in range(r0 + 1, (r0 if full else r1) + 1):
            _g_forward_row(i, x, T, q, prof, qyc, plan, Fs, i - 1 - r0, Fs, i - r0, SF[i - 1],
                           LF[i - 1], SF[i], LF[i], tot)
        for i in range(r1, r0 if seg > 0 else -1, -1):
            c = i & 1
            p = (i + 1) & 1 if i < n else c
            _g_backward_row(i, x, T, end, q, prof, qyc, plan, Bc, p, Bc, c, SB[p], LB[p], SB[c],
                            LB[c], U, Ub, tot)
            # per-column scale factors; blocks outside the double range go cell by cell
            for b in range(nb):
                j0 = b * BLOCK
                j1 = min(j0 + BLOCK, m + 1)
                sb = SB[c, b]
                be = b - 1 if b > 0 else b
                ok = True
                fd_in = fd_ed = 0.0
                kd_in = kd_ed = 0.0
                if i > 0:
                    kd_in = (SF[i - 1, b] + sb) * ln2 - logp
                    kd_ed = (SF[i - 1, be] + sb) * ln2 - logp
                    ok = -lim < kd_in < lim and -lim < kd_ed < lim
                    if ok:
                        fd_in = math.exp(kd_in)
                        fd_ed = math.exp(kd_ed)
                kl_in = (SF[i, b] + sb) * ln2 - logp
                kl_ed = (SF[i, be] + sb) * ln2 - logp
                ok = ok and -lim < kl_in < lim and -lim < kl_ed < lim
                # a block whose scale factors are all below e**-1100 adds exact zeros (stored
                # values are below 2**201, so every term is below e**-822): skip it
                skip = kl_in < -1100.0 and kl_ed < -1100.0 and (
                    i == 0 or (kd_in < -1100.0 and kd_ed < -1100.0))
                slow[b] = not ok and not skip
                if ok:
                    fl_in = math.exp(kl_in)
                    fl_ed = math.exp(kl_ed)
                else:
                    fd_in = fd_ed = fl_in = fl_ed = 0.0
                d2 = fD[j0:j1]
                u2 = fU[j0:j1]
                l2 = fL[j0:j1]
                for k in range(d2.shape[0]):
                    d2[k] = fd_in
                    u2[k] = fd_in
                    l2[k] = fl_in
                fD[j0] = fd_ed
                fL[j0] = fl_ed
            _counts_row(i, x, probs, prof, qyc, plan, Fs, r0, Bc, c, fD, fU, fL, Tl, Ecol, Qcol, XQ,
                        wf, tc)
            for b in range(nb):
                if slow[b]:
                    j0 = b * BLOCK
                    _counts_block_slow(i, x, y, graph, probs, Fs, r0, SF, Bc, c, SB[c, b], logp,
                                       j0, min(j0 + BLOCK, m + 1), out)
    for s in range(S):
        for k in range(nip[s] + 1):
            p = ipred[s, k] if k < nip[s] else S
            out_T[p, s] += _sum(Tl[s, k])
    for j in range(1, m + 1):
        yj = y[j - 1]
        for a in range(C):
            out_em[a, yj] += Ecol[a, j]
        for r in range(R):
            out_q[r, yj] += Qcol[r, j]
    for r in range(R):
        for a in range(C):
            out_q[r, a] += _sum(XQ[r, a])
    return logp


@njit(cache=True)
def _sum(a):
    # four partial sums: a fixed order, and no serial chain of additions
    s0 = s1 = s2 = s3 = 0.0
    n4 = a.shape[0] // 4 * 4
    for j in range(0, n4, 4):
        s0 += a[j]
        s1 += a[j + 1]
        s2 += a[j + 2]
        s3 += a[j + 3]
    for j in range(n4, a.shape[0]):
        s0 += a[j]
    return (s0 + s1) + (s2 + s3)


@njit(cache=True, parallel=True)
def g_counts_many(seqs, offsets, pair_index, graph, probs):
    """Expected counts of many pairs in parallel; per-pair outputs, summed by the caller."""
    em, q, T = probs.em, probs.q, probs.T
    P = pair_index.shape[0]
    S1 = T.shape[0]
    C = em.shape[0]
    R = q.shape[0]
    oT = np.zeros((P, S1, S1))
    oE = np.zeros((P, S1 - 1))
    oM = np.zeros((P, C, C))
    oQ = np.zeros((P, R, C))
    ll = np.zeros(P)
    for p in prange(P):
        a = pair_index[p, 0]
        b = pair_index[p, 1]
        ll[p] = g_counts(seqs[offsets[a]:offsets[a + 1]], seqs[offsets[b]:offsets[b + 1]], graph,
                         probs, GraphCounts(oT[p], oE[p], oM[p], oQ[p]))
    return oT, oE, oM, oQ, ll


# ----------------------------------------------------------------------------------------------
# Viterbi (log space)
# ----------------------------------------------------------------------------------------------
@njit(cache=True)
def _vit_y_others(s, i, m, S, lT, ipred, nip, Vc, ic, bp, ib):
    """Best of y-insert state s's other predecessors (current row, column j-1) into
    ``Vc[s, ic]`` and ``bp[s, ib]`` (the Begin at (0, 1)); returns the log self-loop
    probability."""
    ninf = -np.inf
    Vs = Vc[s, ic]
    Bs = bp[s, ib]
    for j in range(m + 1):
        Vs[j] = ninf
        Bs[j] = 0
    tss = ninf
    for k in range(nip[s]):
        p = ipred[s, k]
        if p == s:
            tss = lT[s, s]
            continue
        t = lT[p, s]
        A2 = Vc[p, ic][:m]
        V2 = Vs[1:]
        B2 = Bs[1:]
        pp = np.uint8(p)
        for jj in range(m):
            v = A2[jj] + t
            g = v > V2[jj]
            V2[jj] = v if g else V2[jj]
            B2[jj] = pp if g else B2[jj]
    if i == 0 and m > 0:
        v = Vc[S, ic][0] + lT[S, s]
        if v > Vs[1]:
            Vs[1] = v
            Bs[1] = np.uint8(S)
    return tss


@njit(cache=True)
def _g_viterbi_row(i, x, lT, lq, lprof, lqyc, plan, Vp, ip, Vc, ic, bp, ib):
    """Viterbi row i of every state into ``Vc[:, ic]`` from row i-1 in ``Vp[:, ip]``, the best
    predecessor of each cell into ``bp[:, ib]``. Ties go to the lowest predecessor number (the
    Begin last), as in a cell-by-cell scan of ``pred``."""
    kind, erow, ipred, nip, ms, xs, ys, yord, ypair, acyclic, succ, nsucc = plan
    m = lprof.shape[1] - 1
    S = lT.shape[0] - 1
    ninf = -np.inf
    VB = Vc[S, ic]
    for j in range(m + 1):
        VB[j] = ninf
    if i == 0:
        VB[0] = 0.0
    xi = x[i - 1] if i > 0 else 0
    for kd in range(2):
        grp = ms if kd == 0 else xs
        js = 1 if kd == 0 else 0
        for a in range(grp.shape[0]):
            s = grp[a]
            Vs = Vc[s, ic]
            Bs = bp[s, ib]
            for j in range(m + 1):
                Vs[j] = ninf
                Bs[j] = 0
            if i == 0:
                continue
            for k in range(nip[s]):
                p = ipred[s, k]
                t = lT[p, s]
                A = Vp[p, ip]
                pp = np.uint8(p)
                V2 = Vs[js:]
                B2 = Bs[js:]
                A2 = A[:m + 1 - js]
                for k in range(V2.shape[0]):
                    v = A2[k] + t
                    g = v > V2[k]
                    V2[k] = v if g else V2[k]
                    B2[k] = pp if g else B2[k]
            if i == 1 and js <= m:
                v = Vp[S, ip][0] + lT[S, s]
                if v > Vs[js]:
                    Vs[js] = v
                    Bs[js] = np.uint8(S)
            if kd == 0:
                er = lprof[xi]
                for j in range(1, m + 1):
                    Vs[j] += er[j]
            else:
                e = lq[erow[s], xi]
                for j in range(m + 1):
                    Vs[j] += e
    if acyclic == 1:
        a = 0
        while a < yord.shape[0]:
            s1 = yord[a]
            two = ypair[a] == 1
            s2 = yord[a + 1] if two else s1
            t1 = _vit_y_others(s1, i, m, S, lT, ipred, nip, Vc, ic, bp, ib)
            t2 = _vit_y_others(s2, i, m, S, lT, ipred, nip, Vc, ic, bp, ib) if two else ninf
            V1 = Vc[s1, ic]
            B1 = bp[s1, ib]
            q1 = lqyc[erow[s1]]
            V2 = Vc[s2, ic]
            B2 = bp[s2, ib]
            q2 = lqyc[erow[s2]]
            u1 = np.uint8(s1)
            u2 = np.uint8(s2)
            # the self loops: chains along the row, branch-free (max of the two candidates is
            # the chosen value; on a tie the lower state number wins)
            p1 = ninf
            p2 = ninf
            if two:
                for j in range(1, m + 1):
                    a1 = V1[j]
                    a2 = V2[j]
                    v1 = p1 + t1
                    v2 = p2 + t2
                    b1 = B1[j]
                    b2 = B2[j]
                    B1[j] = u1 if (v1 > a1) | ((v1 == a1) & (u1 < b1)) else b1
                    B2[j] = u2 if (v2 > a2) | ((v2 == a2) & (u2 < b2)) else b2
                    p1 = max(a1, v1) + q1[j]
                    p2 = max(a2, v2) + q2[j]
                    V1[j] = p1
                    V2[j] = p2
                a += 2
            else:
                for j in range(1, m + 1):
                    a1 = V1[j]
                    v1 = p1 + t1
                    b1 = B1[j]
                    B1[j] = u1 if (v1 > a1) | ((v1 == a1) & (u1 < b1)) else b1
                    p1 = max(a1, v1) + q1[j]
                    V1[j] = p1
                a += 1
    else:
        for a in range(ys.shape[0]):
            s = ys[a]
            Vc[s, ic][0] = ninf
            bp[s, ib][0] = 0
        for j in range(1, m + 1):
            for a in range(ys.shape[0]):
                s = ys[a]
                best = ninf
                arg = 0
                for k in range(nip[s]):
                    p = ipred[s, k]
                    v = Vc[p, ic][j - 1] + lT[p, s]
                    if v > best:
                        best = v
                        arg = p
                if i == 0 and j == 1:
                    v = VB[0] + lT[S, s]
                    if v > best:
                        best = v
                        arg = S
                Vc[s, ic][j] = best + lqyc[erow[s], j]
                bp[s, ib][j] = arg


@njit(cache=True)
def _log_profiles(y, lem, lq):
    m = y.shape[0]
    lprof = np.full((lem.shape[0], m + 1), -np.inf)
    lqyc = np.full((lq.shape[0], m + 1), -np.inf)
    for a in range(lem.shape[0]):
        for j in range(1, m + 1):
            lprof[a, j] = lem[a, y[j - 1]]
    for r in range(lq.shape[0]):
        for j in range(1, m + 1):
            lqyc[r, j] = lq[r, y[j - 1]]
    return lprof, lqyc


@njit(cache=True)
def g_viterbi(x, y, graph, lp):
    """Most probable state path (log space): (log probability, states first to last).

    ``lp`` is a :class:`~pairhmm._kernels.bundles.GraphLogProbs`. Two rows of values and one
    traceback byte per state and cell.
    """
    kind = graph.kind
    lem, lq, lT, lend = lp
    n = x.shape[0]
    m = y.shape[0]
    S1 = lT.shape[0]
    S = S1 - 1
    ninf = -np.inf
    # lT: for its shape only
    plan = _plan(kind, graph.erow, lT, graph.pred, graph.npred, graph.succ, graph.nsucc)
    lprof, lqyc = _log_profiles(y, lem, lq)
    V = np.full((S1, 2, m + 1), ninf)
    bp = np.zeros((S, n + 1, m + 1), dtype=np.uint8)
    for i in range(n + 1):
        _g_viterbi_row(i, x, lT, lq, lprof, lqyc, plan, V, (i - 1) & 1, V, i & 1, bp, i)
    best = ninf
    state = 0
    c = n & 1
    for s in range(S):
        v = V[s, c, m] + lend[s]
        if v > best:
            best = v
            state = s
    if best == ninf:
        return best, np.empty(0, dtype=np.int8)
    path = np.empty(n + m, dtype=np.int8)
    kk = 0
    i = n
    j = m
    while not (i == 0 and j == 0):
        path[kk] = state
        kk += 1
        prev = bp[state, i, j]
        k = kind[state]
        if k == 0:
            i -= 1
            j -= 1
        elif k == 1:
            i -= 1
        else:
            j -= 1
        state = prev
    return best, _reverse(path, kk)


@njit(cache=True)
def g_viterbi_score(x, y, graph, lp):
    """log probability of the most probable path in linear memory (two rows, no traceback)."""
    lem, lq, lT, lend = lp
    n = x.shape[0]
    m = y.shape[0]
    S1 = lT.shape[0]
    S = S1 - 1
    ninf = -np.inf
    # lT: for its shape only
    plan = _plan(graph.kind, graph.erow, lT, graph.pred, graph.npred, graph.succ, graph.nsucc)
    lprof, lqyc = _log_profiles(y, lem, lq)
    V = np.full((S1, 2, m + 1), ninf)
    bp = np.zeros((S, 1, m + 1), dtype=np.uint8)
    for i in range(n + 1):
        _g_viterbi_row(i, x, lT, lq, lprof, lqyc, plan, V, (i - 1) & 1, V, i & 1, bp, 0)
    best = ninf
    c = n & 1
    for s in range(S):
        v = V[s, c, m] + lend[s]
        if v > best:
            best = v
    return best
