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
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .pair import BLOCK, _NEG, _exp2i, _level


@njit(cache=True)
def _emit(s, kind, erow, em, q, xi, yj):
    k = kind[s]
    if k == 0:
        return em[xi, yj]
    if k == 1:
        return q[erow[s], xi]
    return q[erow[s], yj]


@njit(cache=True)
def _g_forward_row(i, x, y, kind, erow, em, q, T, pred, npred, Fp, SCp, LVp, Fc, SCc, LVc):
    """Forward row i of every state into ``Fc`` (S+1, m+1) from row i-1 in ``Fp`` (unused for
    i = 0), with the block exponents ``SC*`` and levels ``LV*`` of both rows."""
    m = y.shape[0]
    S1 = T.shape[0]
    S = S1 - 1
    nb = m // BLOCK + 1
    xi = x[i - 1] if i > 0 else 0
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
        big = 0.0
        for j in range(j0, j1):
            if i == 0 and j == 0:
                big = 1.0
                continue
            Fc[S, j] = 0.0
            fd = r_d if j == j0 else r_up
            fl = r_l if j == j0 else 1.0
            yj = y[j - 1] if j > 0 else 0
            tot = 0.0
            for s in range(S):
                k = kind[s]
                acc = 0.0
                if k == 0:
                    if i > 0 and j > 0:
                        for a in range(npred[s]):
                            p = pred[s, a]
                            acc += Fp[p, j - 1] * T[p, s]
                        v = acc * fd * em[xi, yj]
                    else:
                        v = 0.0
                elif k == 1:
                    if i > 0:
                        for a in range(npred[s]):
                            p = pred[s, a]
                            acc += Fp[p, j] * T[p, s]
                        v = acc * r_up * q[erow[s], xi]
                    else:
                        v = 0.0
                else:
                    if j > 0:
                        for a in range(npred[s]):
                            p = pred[s, a]
                            acc += Fc[p, j - 1] * T[p, s]
                        v = acc * fl * q[erow[s], yj]
                    else:
                        v = 0.0
                Fc[s, j] = v
                tot += v
            if tot > big:
                big = tot
        e = _level(big)
        if e == _NEG:
            SCc[b] = target
        else:
            if e < -200 or e > 200:
                # ldexp per value: exact, and safe when the largest value is subnormal
                for j in range(j0, j1):
                    for s in range(S1):
                        Fc[s, j] = math.ldexp(Fc[s, j], -e)
                SCc[b] = target + e
            else:
                SCc[b] = target
            LVc[b] = target + e


@njit(cache=True)
def g_forward(x, y, kind, erow, em, q, T, end, pred, npred):
    """Forward matrices F (S+1, n+1, m+1), block exponents (n+1, nb) and log P(x, y)."""
    n = x.shape[0]
    m = y.shape[0]
    S1 = T.shape[0]
    nb = m // BLOCK + 1
    F = np.zeros((S1, n + 1, m + 1))
    SC = np.zeros((n + 1, nb), dtype=np.int64)
    LV = np.full((n + 1, nb), _NEG, dtype=np.int64)
    F[S1 - 1, 0, 0] = 1.0
    for i in range(n + 1):
        p = max(i - 1, 0)
        _g_forward_row(i, x, y, kind, erow, em, q, T, pred, npred, F[:, p], SC[p], LV[p],
                       F[:, i], SC[i], LV[i])
    return F, SC, _g_end(F[:, n], SC[n], m, end)


@njit(cache=True)
def g_forward_logprob(x, y, kind, erow, em, q, T, end, pred, npred):
    """log P(x, y) by the forward algorithm in linear memory (two rows of every state)."""
    n = x.shape[0]
    m = y.shape[0]
    S1 = T.shape[0]
    nb = m // BLOCK + 1
    F = np.zeros((2, S1, m + 1))
    SC = np.zeros((2, nb), dtype=np.int64)
    LV = np.full((2, nb), _NEG, dtype=np.int64)
    F[0, S1 - 1, 0] = 1.0
    for i in range(n + 1):
        p = (i - 1) & 1
        c = i & 1
        _g_forward_row(i, x, y, kind, erow, em, q, T, pred, npred, F[p], SC[p], LV[p],
                       F[c], SC[c], LV[c])
    return _g_end(F[n & 1], SC[n & 1], m, end)


@njit(cache=True)
def _g_end(Fn, SCn, m, end):
    """log P(x, y) from the last row's values (S+1, m+1) and block exponents."""
    v = 0.0
    for s in range(end.shape[0]):
        v += Fn[s, m] * end[s]
    if v <= 0.0:
        return -np.inf
    return math.log(v) + SCn[m // BLOCK] * math.log(2.0)


@njit(cache=True)
def g_backward(x, y, kind, erow, em, q, T, end, succ, nsucc):
    """Backward matrices B (S+1, n+1, m+1) and block exponents; B[Begin, 0, 0] = P(x, y).

    ``succ[s, :nsucc[s]]`` lists the states s2 with T[s, s2] > 0.
    """
    n = x.shape[0]
    m = y.shape[0]
    S1 = T.shape[0]
    S = S1 - 1
    nb = m // BLOCK + 1
    B = np.zeros((S1, n + 1, m + 1))
    SC = np.zeros((n + 1, nb), dtype=np.int64)
    LV = np.full((n + 1, nb), _NEG, dtype=np.int64)
    for i in range(n, -1, -1):
        xn = x[i] if i < n else 0
        for b in range(nb - 1, -1, -1):
            j0 = b * BLOCK
            j1 = min(j0 + BLOCK, m + 1)
            target = _NEG
            if i < n:
                target = LV[i + 1, b]
                if b + 1 < nb and LV[i + 1, b + 1] > target:
                    target = LV[i + 1, b + 1]
            if b + 1 < nb and LV[i, b + 1] > target:
                target = LV[i, b + 1]
            if target == _NEG:
                target = SC[i + 1, b] if i < n else 0
            r_dn = _exp2i(SC[i + 1, b] - target) if i < n else 0.0
            r_dd = _exp2i(SC[i + 1, b + 1] - target) if (i < n and b + 1 < nb) else 0.0
            r_r = _exp2i(SC[i, b + 1] - target) if b + 1 < nb else 0.0
            big = 0.0
            for j in range(j1 - 1, j0 - 1, -1):
                fdd = r_dd if j == j1 - 1 else r_dn
                fr = r_r if j == j1 - 1 else 1.0
                yn = y[j] if j < m else 0
                tot = 0.0
                # the Begin state (index S) only matters at (0, 0); computing it everywhere is
                # harmless and keeps the loop uniform
                for s in range(S1):
                    acc = 0.0
                    if i == n and j == m and s < S:
                        acc = end[s] * _exp2i(-target)
                    for a in range(nsucc[s]):
                        s2 = succ[s, a]
                        k = kind[s2]
                        if k == 0:
                            if i < n and j < m:
                                acc += T[s, s2] * em[xn, yn] * B[s2, i + 1, j + 1] * fdd
                        elif k == 1:
                            if i < n:
                                acc += T[s, s2] * q[erow[s2], xn] * B[s2, i + 1, j] * r_dn
                        else:
                            if j < m:
                                acc += T[s, s2] * q[erow[s2], yn] * B[s2, i, j + 1] * fr
                    B[s, i, j] = acc
                    if s < S:
                        tot += acc
                if tot > big:
                    big = tot
            e = _level(big)
            if e == _NEG:
                SC[i, b] = target
            else:
                if e < -200 or e > 200:
                    for j in range(j0, j1):
                        for s in range(S1):
                            B[s, i, j] = math.ldexp(B[s, i, j], -e)
                    SC[i, b] = target + e
                else:
                    SC[i, b] = target
                LV[i, b] = target + e
    return B, SC


@njit(cache=True)
def g_posterior(x, y, kind, erow, em, q, T, end, pred, npred, succ, nsucc):
    """P(x_i ~ y_j) summed over the pair-emitting states, shape (n, m), and log P(x, y)."""
    n = x.shape[0]
    m = y.shape[0]
    S = T.shape[0] - 1
    F, SF, logp = g_forward(x, y, kind, erow, em, q, T, end, pred, npred)
    P = np.zeros((n, m))
    if logp == -np.inf:
        return P, logp
    B, SB = g_backward(x, y, kind, erow, em, q, T, end, succ, nsucc)
    ln2 = math.log(2.0)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            b = j // BLOCK
            k = (SF[i, b] + SB[i, b]) * ln2 - logp
            if k < -740.0:
                continue
            f = math.exp(k) if k < 700.0 else np.inf
            v = 0.0
            for s in range(S):
                if kind[s] == 0:
                    v += F[s, i, j] * B[s, i, j]
            P[i - 1, j - 1] = v * f
    return P, logp


@njit(cache=True)
def g_counts(x, y, kind, erow, em, q, T, end, pred, npred, succ, nsucc, out_T, out_end, out_em, out_q):
    """Add the expected counts of one pair: transitions (S+1, S+1; row S = Begin), ends (S),
    match emissions (C, C) and per-row insert emissions (R, C). Returns log P(x, y)."""
    n = x.shape[0]
    m = y.shape[0]
    S = T.shape[0] - 1
    F, SF, logp = g_forward(x, y, kind, erow, em, q, T, end, pred, npred)
    if logp == -np.inf:
        return logp
    B, SB = g_backward(x, y, kind, erow, em, q, T, end, succ, nsucc)
    ln2 = math.log(2.0)
    for s in range(S):
        k = SF[n, m // BLOCK] * ln2 - logp
        out_end[s] += F[s, n, m] * end[s] * math.exp(k)
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            bj = j // BLOCK
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
                w = e * B[s, i, j]
                if w == 0.0:
                    continue
                k = (SF[pi, pj // BLOCK] + SB[i, bj]) * ln2 - logp
                tot = 0.0
                if -700.0 < k < 700.0:
                    wf = w * math.exp(k)
                    for a in range(npred[s]):
                        p = pred[s, a]
                        c = F[p, pi, pj] * T[p, s] * wf
                        out_T[p, s] += c
                        tot += c
                else:
                    # scale factor outside the double range: form each term in log space
                    lw = math.log(w) + k
                    for a in range(npred[s]):
                        p = pred[s, a]
                        fv = F[p, pi, pj] * T[p, s]
                        if fv > 0.0:
                            c = math.exp(math.log(fv) + lw)
                            out_T[p, s] += c
                            tot += c
                if kd == 0:
                    out_em[x[i - 1], y[j - 1]] += tot
                elif kd == 1:
                    out_q[erow[s], x[i - 1]] += tot
                else:
                    out_q[erow[s], y[j - 1]] += tot
    return logp


@njit(cache=True, parallel=True)
def g_counts_many(seqs, offsets, pair_index, kind, erow, em, q, T, end, pred, npred, succ, nsucc):
    """Expected counts of many pairs in parallel; per-pair outputs, summed by the caller."""
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
        ll[p] = g_counts(seqs[offsets[a]:offsets[a + 1]], seqs[offsets[b]:offsets[b + 1]], kind, erow,
                         em, q, T, end, pred, npred, succ, nsucc, oT[p], oE[p], oM[p], oQ[p])
    return oT, oE, oM, oQ, ll


@njit(cache=True)
def g_viterbi(x, y, kind, erow, lem, lq, lT, lend, pred, npred):
    """Most probable state path (log space): (log probability, states first to last)."""
    n = x.shape[0]
    m = y.shape[0]
    S1 = lT.shape[0]
    S = S1 - 1
    ninf = -np.inf
    V = np.full((S1, n + 1, m + 1), ninf)
    bp = np.zeros((S, n + 1, m + 1), dtype=np.uint8)
    V[S, 0, 0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            for s in range(S):
                k = kind[s]
                if k == 0:
                    if i == 0 or j == 0:
                        continue
                    pi, pj = i - 1, j - 1
                    e = lem[x[i - 1], y[j - 1]]
                elif k == 1:
                    if i == 0:
                        continue
                    pi, pj = i - 1, j
                    e = lq[erow[s], x[i - 1]]
                else:
                    if j == 0:
                        continue
                    pi, pj = i, j - 1
                    e = lq[erow[s], y[j - 1]]
                best = ninf
                arg = 0
                for a in range(npred[s]):
                    p = pred[s, a]
                    v = V[p, pi, pj] + lT[p, s]
                    if v > best:
                        best = v
                        arg = p
                V[s, i, j] = best + e
                bp[s, i, j] = arg
    best = ninf
    state = 0
    for s in range(S):
        v = V[s, n, m] + lend[s]
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
    out = np.empty(kk, dtype=np.int8)
    for a in range(kk):
        out[a] = path[kk - 1 - a]
    return best, out


@njit(cache=True)
def g_viterbi_score(x, y, kind, erow, lem, lq, lT, lend, pred, npred):
    """log probability of the most probable path in linear memory (two rows, no traceback)."""
    n = x.shape[0]
    m = y.shape[0]
    S1 = lT.shape[0]
    S = S1 - 1
    ninf = -np.inf
    V = np.full((S1, 2, m + 1), ninf)
    V[S, 0, 0] = 0.0
    for i in range(n + 1):
        c = i & 1
        p_ = (i - 1) & 1
        for j in range(m + 1):
            if i == 0 and j == 0:
                continue
            V[S, c, j] = ninf
            for s in range(S):
                k = kind[s]
                if k == 0:
                    if i == 0 or j == 0:
                        V[s, c, j] = ninf
                        continue
                    row, col = p_, j - 1
                    e = lem[x[i - 1], y[j - 1]]
                elif k == 1:
                    if i == 0:
                        V[s, c, j] = ninf
                        continue
                    row, col = p_, j
                    e = lq[erow[s], x[i - 1]]
                else:
                    if j == 0:
                        V[s, c, j] = ninf
                        continue
                    row, col = c, j - 1
                    e = lq[erow[s], y[j - 1]]
                best = ninf
                for a in range(npred[s]):
                    p = pred[s, a]
                    v = V[p, row, col] + lT[p, s]
                    if v > best:
                        best = v
                V[s, c, j] = best + e
    best = ninf
    for s in range(S):
        v = V[s, n & 1, m] + lend[s]
        if v > best:
            best = v
    return best
