"""Numba kernels of the 3-state pair HMM (Durbin et al. ch. 4): Match, InsertX, InsertY.

Conventions shared by every kernel
----------------------------------
* ``x`` (length n) and ``y`` (length m) are uint8 code arrays; ``em[a, b]`` is the match emission
  of codes a, b (ambiguity codes already marginalised), ``qx[a]`` / ``qy[b]`` the insert emissions.
* ``t`` is a float64 array of the 9 transition probabilities, in the order of the ``T_*`` constants
  below (End included). ``Begin`` behaves as M.
* DP cell (i, j) means x[:i] and y[:j] have been emitted; row 0 and column 0 are the boundary.
* Probability-space kernels (forward, backward) keep one *binary exponent per block of ``BLOCK``
  columns per row*: the stored value v in block b of row i stands for ``v * 2**s[i, b]``.
  Rescaling is by powers of two (exact), the exponent is chosen from the neighbours that feed a
  block, so no value can overflow and values only underflow when they are below 2**-1074 of the
  largest value in their own block (negligible). Per-row or per-anti-diagonal scaling fails on long
  thin matrices because one row then spans hundreds of orders of magnitude; a block of 32 columns
  never does.
* Log-space kernels (Viterbi) use natural logs with -inf for impossible moves.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

# transition order in the ``t`` vector
T_MM, T_MX, T_MY, T_ME, T_XM, T_XX, T_XE, T_YM, T_YY, T_YE = range(10)
N_TRANS = 10

BLOCK = 32
_NEG = -(1 << 40)  # exponent of an all-zero block: never the largest


@njit(cache=True, inline="always")
def _exp2i(k):
    # 2**k for an integer k, 0 below the double range, capped above (never reached by design)
    if k < -1100:
        return 0.0
    if k > 1000:
        k = 1000
    return math.ldexp(1.0, k)


@njit(cache=True, inline="always")
def _level(v):
    # binary exponent e with v in [2**(e-1), 2**e), or _NEG for v == 0
    if v <= 0.0:
        return _NEG
    return math.frexp(v)[1]


@njit(cache=True, inline="always")
def _close_block(M, X, Y, j0, j1, b, big, target, s, lv):
    """Set block b's exponent and level from its largest value ``big``, stored relative to
    2**target; rescale the block to keep its values near 1 when they drift past 2**+-200."""
    e = _level(big)
    if e == _NEG:
        s[b] = target
        lv[b] = _NEG
        return
    if e < -200 or e > 200:
        # ldexp per value: exact, and safe when the block's largest value is subnormal
        # (2**-e alone would overflow there)
        for j in range(j0, j1):
            M[j] = math.ldexp(M[j], -e)
            X[j] = math.ldexp(X[j], -e)
            Y[j] = math.ldexp(Y[j], -e)
        s[b] = target + e
    else:
        s[b] = target
    lv[b] = target + e


@njit(cache=True)
def profiles(y, em, qy):
    """Per-column tables of y: prof[a, j] = em[a, y_j] and qyc[j] = qy[y_j] (1-based j; column 0
    unused), so the row loops read contiguous arrays instead of gathering."""
    m = y.shape[0]
    C = em.shape[0]
    prof = np.zeros((C, m + 1))
    qyc = np.zeros(m + 1)
    for j in range(1, m + 1):
        b = y[j - 1]
        qyc[j] = qy[b]
        for a in range(C):
            prof[a, j] = em[a, b]
    return prof, qyc


# ----------------------------------------------------------------------------------------------
# forward
# ----------------------------------------------------------------------------------------------
@njit(cache=True)
def _forward_row(i, x, y, prof, qx, qyc, t, Mp, Xp, Yp, sp, lp, M, X, Y, s, lv):
    """Fill row i (i >= 1) of the forward matrices from row i-1.

    Mp/Xp/Yp, sp, lp: previous row values, block exponents and block levels (exponent of the
    block's largest value in absolute terms). Writes M/X/Y, s, lv of row i.
    """
    m = y.shape[0]
    nb = s.shape[0]
    xi = x[i - 1]
    qxi = qx[xi]
    erow = prof[xi]
    for b in range(nb):
        j0 = b * BLOCK
        j1 = min(j0 + BLOCK, m + 1)
        # choose this block's exponent: the largest level among the blocks that feed it
        target = lp[b]
        if b > 0:
            if lp[b - 1] > target:
                target = lp[b - 1]
            if lv[b - 1] > target:
                target = lv[b - 1]
        if target == _NEG:
            target = sp[b]
        r_up = _exp2i(sp[b] - target)
        aMM = t[T_MM] * r_up
        aXM = t[T_XM] * r_up
        aYM = t[T_YM] * r_up
        aMX = t[T_MX] * r_up
        aXX = t[T_XX] * r_up
        tMY = t[T_MY]
        tYY = t[T_YY]
        jstart = j0
        if j0 == 0:
            # column 0: only InsertX reachable (x consumed, y not)
            M[0] = 0.0
            Y[0] = 0.0
            X[0] = qxi * (aMX * Mp[0] + aXX * Xp[0])
            jstart = 1
        else:
            r_d = _exp2i(sp[b - 1] - target)
            r_l = _exp2i(s[b - 1] - target)
            j = j0
            M[j] = erow[j] * r_d * (t[T_MM] * Mp[j - 1] + t[T_XM] * Xp[j - 1] + t[T_YM] * Yp[j - 1])
            X[j] = qxi * (aMX * Mp[j] + aXX * Xp[j])
            Y[j] = qyc[j] * r_l * (tMY * M[j - 1] + tYY * Y[j - 1])
            jstart = j0 + 1
        # match and insert-x need only the previous row: no dependency along j
        for j in range(jstart, j1):
            M[j] = erow[j] * (aMM * Mp[j - 1] + aXM * Xp[j - 1] + aYM * Yp[j - 1])
            X[j] = qxi * (aMX * Mp[j] + aXX * Xp[j])
        # insert-y is a linear recurrence along the row
        if j0 == 0:
            jy = 1
        else:
            jy = j0 + 1
        # the block's largest value, folded into the serial insert-y loop (it hides in the
        # loop's latency instead of costing a pass of its own)
        big = M[j0] + X[j0] + Y[j0]
        for j in range(jy, j1):
            yv = qyc[j] * (tMY * M[j - 1] + tYY * Y[j - 1])
            Y[j] = yv
            big = max(big, M[j] + X[j] + yv)
        _close_block(M, X, Y, j0, j1, b, big, target, s, lv)


@njit(cache=True)
def _forward_row0(y, qy, t, M, X, Y, s, lv):
    """Row 0: Begin at (0, 0), then InsertY along the row."""
    m = y.shape[0]
    nb = s.shape[0]
    M[0] = 1.0
    X[0] = 0.0
    Y[0] = 0.0
    for j in range(1, m + 1):
        M[j] = 0.0
        X[j] = 0.0
    for b in range(nb):
        j0 = b * BLOCK
        j1 = min(j0 + BLOCK, m + 1)
        target = 0
        if b > 0:
            target = lv[b - 1] if lv[b - 1] != _NEG else s[b - 1]
            r_l = _exp2i(s[b - 1] - target)
            Y[j0] = qy[y[j0 - 1]] * r_l * (t[T_MY] * M[j0 - 1] + t[T_YY] * Y[j0 - 1])
            jy = j0 + 1
        else:
            jy = 1
        for j in range(jy, j1):
            Y[j] = qy[y[j - 1]] * (t[T_MY] * M[j - 1] + t[T_YY] * Y[j - 1])
        big = 0.0
        for j in range(j0, j1):
            v = M[j] + Y[j]
            if v > big:
                big = v
        e = _level(big)
        if e == _NEG:
            s[b] = target
            lv[b] = _NEG
        else:
            for j in range(j0, j1):
                M[j] = math.ldexp(M[j], -e)
                Y[j] = math.ldexp(Y[j], -e)
            s[b] = target + e
            lv[b] = target + e


@njit(cache=True)
def _end_logprob(Mn, Xn, Yn, sn, m, t):
    b = m // BLOCK
    v = Mn[m] * t[T_ME] + Xn[m] * t[T_XE] + Yn[m] * t[T_YE]
    if v <= 0.0:
        return -np.inf
    return math.log(v) + sn[b] * math.log(2.0)


@njit(cache=True)
def forward_full(x, y, em, qx, qy, t):
    """Forward algorithm keeping every row.

    Returns
    -------
    F : float64 array, shape (3, n+1, m+1)
        Scaled forward values of M, X, Y.
    S : int64 array, shape (n+1, n_blocks)
        Binary exponent of each row block.
    logp : float
        Natural log of P(x, y).
    """
    n = x.shape[0]
    m = y.shape[0]
    nb = m // BLOCK + 1
    prof, qyc = profiles(y, em, qy)
    return forward_into(x, y, prof, qx, qy, qyc, t, np.empty(3 * (n + 1) * (m + 1)),
                        np.empty((n + 1) * nb, dtype=np.int64), np.empty((n + 1) * nb, dtype=np.int64))


@njit(cache=True)
def forward_into(x, y, prof, qx, qy, qyc, t, Fbuf, Sbuf, Lbuf):
    """:func:`forward_full` on the column tables of :func:`profiles`, writing into caller-owned
    flat buffers (reused across pairs, so a batch of pairs does not fault in fresh pages for
    every pair); every entry is overwritten."""
    n = x.shape[0]
    m = y.shape[0]
    nb = m // BLOCK + 1
    F = Fbuf[: 3 * (n + 1) * (m + 1)].reshape((3, n + 1, m + 1))
    S = Sbuf[: (n + 1) * nb].reshape((n + 1, nb))
    L = Lbuf[: (n + 1) * nb].reshape((n + 1, nb))
    _forward_row0(y, qy, t, F[0, 0], F[1, 0], F[2, 0], S[0], L[0])
    for i in range(1, n + 1):
        _forward_row(i, x, y, prof, qx, qyc, t, F[0, i - 1], F[1, i - 1], F[2, i - 1], S[i - 1],
                     L[i - 1], F[0, i], F[1, i], F[2, i], S[i], L[i])
    return F, S, _end_logprob(F[0, n], F[1, n], F[2, n], S[n], m, t)


@njit(cache=True)
def forward_logprob(x, y, em, qx, qy, t):
    """log P(x, y) by the forward algorithm in linear memory (two rows)."""
    prof, qyc = profiles(y, em, qy)
    n = x.shape[0]
    m = y.shape[0]
    nb = m // BLOCK + 1
    A = np.zeros((2, 3, m + 1))
    S = np.zeros((2, nb), dtype=np.int64)
    L = np.empty((2, nb), dtype=np.int64)
    _forward_row0(y, qy, t, A[0, 0], A[0, 1], A[0, 2], S[0], L[0])
    for i in range(1, n + 1):
        p = (i - 1) & 1
        c = i & 1
        _forward_row(i, x, y, prof, qx, qyc, t, A[p, 0], A[p, 1], A[p, 2], S[p], L[p],
                     A[c, 0], A[c, 1], A[c, 2], S[c], L[c])
    c = n & 1
    return _end_logprob(A[c, 0], A[c, 1], A[c, 2], S[c], m, t)


# ----------------------------------------------------------------------------------------------
# backward
# ----------------------------------------------------------------------------------------------
@njit(cache=True)
def _backward_row(i, n, x, y, prof, qx, qyc, t, Mn, Xn, Yn, sn, ln, M, X, Y, s, lv):
    """Fill row i of the backward matrices from row i+1 (``Mn`` ... ; unused when i == n).

    B_s(i, j) = P(x[i:], y[j:] and End | state s emitted x_i, y_j at cell (i, j)).
    Blocks are processed right to left; the exponent of a block is chosen from the blocks that
    feed it (row i+1 blocks b and b+1, row i block b+1).
    """
    m = y.shape[0]
    nb = s.shape[0]
    last = i == n
    xn = x[i] if not last else 0  # x_{i+1}
    qxn = qx[xn]
    erow = prof[xn]
    for b in range(nb - 1, -1, -1):
        j0 = b * BLOCK
        j1 = min(j0 + BLOCK, m + 1)
        target = _NEG
        if not last:
            target = ln[b]
            if b + 1 < nb and ln[b + 1] > target:
                target = ln[b + 1]
        if b + 1 < nb and lv[b + 1] > target:
            target = lv[b + 1]
        if target == _NEG:
            target = 0 if last else sn[b]
        if last:
            r_dn = 0.0
        else:
            r_dn = _exp2i(sn[b] - target)
        # u_j = e(x_{i+1}, y_{j+1}) * B_M(i+1, j+1) ; w_j = qx(x_{i+1}) * B_X(i+1, j)
        # the last column of the block reads (i+1, j1) from block b+1 (or nothing at j = m)
        if j1 - 1 == m:
            # cell (i, m): no y left
            j = m
            if last:
                M[j] = t[T_ME]
                X[j] = t[T_XE]
                Y[j] = t[T_YE]
            else:
                w = qxn * Xn[j] * r_dn
                M[j] = t[T_MX] * w
                X[j] = t[T_XX] * w
                Y[j] = 0.0
            jend = m - 1
        else:
            j = j1 - 1
            r_dd = 0.0 if last else _exp2i(sn[b + 1] - target)
            r_r = _exp2i(s[b + 1] - target)
            vy = qyc[j + 1] * Y[j + 1] * r_r
            if last:
                u = 0.0
                w = 0.0
            else:
                u = erow[j + 1] * Mn[j + 1] * r_dd
                w = qxn * Xn[j] * r_dn
            Y[j] = t[T_YM] * u + t[T_YY] * vy
            M[j] = t[T_MM] * u + t[T_MX] * w + t[T_MY] * vy
            X[j] = t[T_XM] * u + t[T_XX] * w
            jend = j1 - 2
        # insert-y recurrence (right to left), then M and X
        tYM = t[T_YM]
        tYY = t[T_YY]
        if last:
            for j in range(jend, j0 - 1, -1):
                vy = qyc[j + 1] * Y[j + 1]
                Y[j] = tYY * vy
                M[j] = t[T_MY] * vy
                X[j] = 0.0
        else:
            aMM = t[T_MM] * r_dn
            aMX = t[T_MX] * r_dn
            aXM = t[T_XM] * r_dn
            aXX = t[T_XX] * r_dn
            aYM = tYM * r_dn
            for j in range(jend, j0 - 1, -1):
                Y[j] = aYM * erow[j + 1] * Mn[j + 1] + tYY * qyc[j + 1] * Y[j + 1]
            tMY = t[T_MY]
            for j in range(jend, j0 - 1, -1):
                u = erow[j + 1] * Mn[j + 1]
                w = qxn * Xn[j]
                M[j] = aMM * u + aMX * w + tMY * qyc[j + 1] * Y[j + 1]
                X[j] = aXM * u + aXX * w
        big = 0.0
        for j in range(j0, j1):
            v = M[j] + X[j] + Y[j]
            if v > big:
                big = v
        _close_block(M, X, Y, j0, j1, b, big, target, s, lv)


@njit(cache=True)
def backward_full(x, y, em, qx, qy, t):
    """Backward algorithm keeping every row: (B, S) shaped like :func:`forward_full`'s."""
    prof, qyc = profiles(y, em, qy)
    n = x.shape[0]
    m = y.shape[0]
    nb = m // BLOCK + 1
    B = np.zeros((3, n + 1, m + 1))
    S = np.zeros((n + 1, nb), dtype=np.int64)
    L = np.empty((n + 1, nb), dtype=np.int64)
    _backward_row(n, n, x, y, prof, qx, qyc, t, B[0, n], B[1, n], B[2, n], S[n], L[n],
                  B[0, n], B[1, n], B[2, n], S[n], L[n])
    for i in range(n - 1, -1, -1):
        _backward_row(i, n, x, y, prof, qx, qyc, t, B[0, i + 1], B[1, i + 1], B[2, i + 1], S[i + 1],
                      L[i + 1], B[0, i], B[1, i], B[2, i], S[i], L[i])
    return B, S


@njit(cache=True)
def backward_logprob(x, y, em, qx, qy, t):
    """log P(x, y) from the backward matrices (Begin behaves as M at cell (0, 0))."""
    B, S = backward_full(x, y, em, qx, qy, t)
    v = B[0, 0, 0]
    if v <= 0.0:
        return -np.inf
    return math.log(v) + S[0, 0] * math.log(2.0)


@njit(cache=True)
def forward_match_only(x, y, prof, qx, qy, qyc, t):
    """Forward pass keeping only the match matrix (rows of X and Y roll): (FM, S, logp).

    A third of the memory of :func:`forward_full`: the posterior needs nothing else. ``prof``,
    ``qyc``: the column tables of :func:`profiles`.
    """
    n = x.shape[0]
    m = y.shape[0]
    nb = m // BLOCK + 1
    FM = np.empty((n + 1, m + 1))
    S = np.zeros((n + 1, nb), dtype=np.int64)
    L = np.empty((2, nb), dtype=np.int64)
    A = np.zeros((2, 3, m + 1))
    _forward_row0(y, qy, t, A[0, 0], A[0, 1], A[0, 2], S[0], L[0])
    FM[0] = A[0, 0]
    for i in range(1, n + 1):
        p = (i - 1) & 1
        c = i & 1
        _forward_row(i, x, y, prof, qx, qyc, t, A[p, 0], A[p, 1], A[p, 2], S[i - 1], L[p],
                     A[c, 0], A[c, 1], A[c, 2], S[i], L[c])
        FM[i] = A[c, 0]
    c = n & 1
    return FM, S, _end_logprob(A[c, 0], A[c, 1], A[c, 2], S[n], m, t)


@njit(cache=True)
def posterior_match(x, y, em, qx, qy, t):
    """P(x_i aligned to y_j | x, y), shape (n, m), and log P(x, y)."""
    prof, qyc = profiles(y, em, qy)
    n = x.shape[0]
    m = y.shape[0]
    FM, SF, logp = forward_match_only(x, y, prof, qx, qy, qyc, t)
    nb = m // BLOCK + 1
    P = np.zeros((n, m))
    if logp == -np.inf:
        return P, logp
    # backward rows are computed on the fly and combined with the stored forward rows
    Bc = np.zeros((2, 3, m + 1))
    SB = np.zeros((2, nb), dtype=np.int64)
    LB = np.empty((2, nb), dtype=np.int64)
    ln2 = math.log(2.0)
    c = n & 1
    _backward_row(n, n, x, y, prof, qx, qyc, t, Bc[c, 0], Bc[c, 1], Bc[c, 2], SB[c], LB[c],
                  Bc[c, 0], Bc[c, 1], Bc[c, 2], SB[c], LB[c])
    for i in range(n, 0, -1):
        c = i & 1
        if i < n:
            p = (i + 1) & 1
            _backward_row(i, n, x, y, prof, qx, qyc, t, Bc[p, 0], Bc[p, 1], Bc[p, 2], SB[p], LB[p],
                          Bc[c, 0], Bc[c, 1], Bc[c, 2], SB[c], LB[c])
        for b in range(nb):
            j0 = b * BLOCK
            j1 = min(j0 + BLOCK, m + 1)
            k = (SF[i, b] + SB[c, b]) * ln2 - logp
            if k < -1000.0:
                continue
            f = math.exp(k) if k < 700.0 else np.inf
            for j in range(max(j0, 1), j1):
                P[i - 1, j - 1] = FM[i, j] * Bc[c, 0, j] * f
    return P, logp


# ----------------------------------------------------------------------------------------------
# Viterbi (log space, full traceback)
# ----------------------------------------------------------------------------------------------
@njit(cache=True, inline="always")
def _vcell_m(mp, xp, yp, tMM, tXM, tYM, e):
    # best predecessor of a match cell: (score, code 0 M / 1 X / 2 Y), branch-free
    a = mp + tMM
    bx = xp + tXM
    by = yp + tYM
    gx = bx > a
    best = max(a, bx)
    gy = by > best
    return max(best, by) + e, np.uint8(gx) + np.uint8(gy) * np.uint8(2 - gx)


@njit(cache=True)
def _vit_rows(x, i0, i1, Mp, Xp, Yp, tb, off, keep, lprof, lqx, cMY, cYY, lt):
    """Viterbi rows i0+1 .. i1 from row i0's values in Mp/Xp/Yp (updated in place to row i1).

    Traceback bytes of row r go to ``tb[r - off]`` (with ``keep``), else to scratch rows 1-2.
    Rows are processed two at a time in one loop over columns: the insert-y recurrence of each
    row is a serial chain, and interleaving two independent chains hides their latency.
    """
    m = Mp.shape[0] - 1
    ninf = -np.inf
    tMM = lt[T_MM]
    tXM = lt[T_XM]
    tYM = lt[T_YM]
    tMX = lt[T_MX]
    tXX = lt[T_XX]
    i = i0 + 1
    while i <= i1:
        two = i + 1 <= i1
        x1 = x[i - 1]
        lq1 = lqx[x1]
        p1 = lprof[x1]
        t1 = tb[i - off] if keep else tb[1]
        if two:
            x2 = x[i]
            lq2 = lqx[x2]
            p2 = lprof[x2]
            t2 = tb[i + 1 - off] if keep else tb[2]
        else:
            lq2 = ninf
            p2 = p1
            t2 = t1
        # column 0: insert-x only
        a = Mp[0] + tMX
        c = Xp[0] + tXX
        xx1 = max(a, c) + lq1
        t1[0] = np.uint8(c > a) * np.uint8(4)
        a = ninf
        c = xx1 + tXX
        xx2 = max(a, c) + lq2
        m1p = ninf
        x1p = xx1
        y1p = ninf
        y1 = ninf
        # row i+1 values of column j-1, written back into the previous-row arrays one column late
        # (the row-i computation of column j still reads the previous row's column j-1)
        m2p = ninf
        x2p = xx2
        y2p = ninf
        if two:
            t2[0] = np.uint8(4)
        for j in range(1, m + 1):
            # row i
            m1, code1 = _vcell_m(Mp[j - 1], Xp[j - 1], Yp[j - 1], tMM, tXM, tYM, p1[j])
            a = Mp[j] + tMX
            c = Xp[j] + tXX
            xx1 = max(a, c) + lq1
            code1 |= np.uint8(c > a) * np.uint8(4)
            a = m1p + cMY[j]
            c = y1 + cYY[j]
            y1 = max(a, c)
            code1 |= np.uint8(c > a) * np.uint8(8)
            t1[j] = code1
            if two:
                # row i + 1, from row i's values held in registers
                m2, code2 = _vcell_m(m1p, x1p, y1p, tMM, tXM, tYM, p2[j])
                a = m1 + tMX
                c = xx1 + tXX
                xx2 = max(a, c) + lq2
                code2 |= np.uint8(c > a) * np.uint8(4)
                a = m2p + cMY[j]
                c = y2p + cYY[j]
                y2 = max(a, c)
                code2 |= np.uint8(c > a) * np.uint8(8)
                t2[j] = code2
                Mp[j - 1] = m2p
                Xp[j - 1] = x2p
                Yp[j - 1] = y2p
                m2p = m2
                x2p = xx2
                y2p = y2
            else:
                Mp[j - 1] = m1p
                Xp[j - 1] = x1p
                Yp[j - 1] = y1p
            m1p = m1
            x1p = xx1
            y1p = y1
        if two:
            Mp[m] = m2p
            Xp[m] = x2p
            Yp[m] = y2p
        else:
            Mp[m] = m1p
            Xp[m] = x1p
            Yp[m] = y1p
        i += 2 if two else 1


@njit(cache=True)
def _vit_setup(y, lem, lqy, lt):
    """Per-column constants of the insert-y recurrence and the log query profile."""
    m = y.shape[0]
    ninf = -np.inf
    cMY = np.empty(m + 1)
    cYY = np.empty(m + 1)
    cMY[0] = ninf
    cYY[0] = ninf
    for j in range(1, m + 1):
        q = lqy[y[j - 1]]
        cMY[j] = lt[T_MY] + q
        cYY[j] = lt[T_YY] + q
    # query profile: lprof[a, j] = lem[a, y_j], so each row reads a contiguous array
    lprof = np.empty((lem.shape[0], m + 1))
    for a in range(lem.shape[0]):
        lprof[a, 0] = ninf
        for j in range(1, m + 1):
            lprof[a, j] = lem[a, y[j - 1]]
    return cMY, cYY, lprof


@njit(cache=True)
def _vit_row0(Mp, Xp, Yp, tb0, cMY, cYY):
    """Row 0: Begin at (0, 0), then insert-y only."""
    m = Mp.shape[0] - 1
    Mp[:] = -np.inf
    Xp[:] = -np.inf
    Yp[:] = -np.inf
    Mp[0] = 0.0
    tb0[0] = 0
    for j in range(1, m + 1):
        a = Mp[j - 1] + cMY[j]
        c = Yp[j - 1] + cYY[j]
        gc = c > a
        Yp[j] = max(a, c)
        tb0[j] = np.uint8(gc) * np.uint8(8)


@njit(cache=True)
def _vit_end(Mp, Xp, Yp, lt):
    m = Mp.shape[0] - 1
    a = Mp[m] + lt[T_ME]
    bx = Xp[m] + lt[T_XE]
    by = Yp[m] + lt[T_YE]
    state = 0
    score = a
    if bx > score:
        score = bx
        state = 1
    if by > score:
        score = by
        state = 2
    return score, state


@njit(cache=True)
def _vit_trace(tb, off, stop, state, i, j, path, k):
    """Follow traceback bytes from (state, i, j) while i > stop (or to (0, 0) when stop < 0).

    Appends states to ``path`` (last first); returns the new (state, i, j, k).
    """
    while (i > stop) and not (i == 0 and j == 0):
        path[k] = state
        k += 1
        code = tb[i - off, j]
        if state == 0:
            state = code & 3
            i -= 1
            j -= 1
        elif state == 1:
            state = 1 if code & 4 else 0
            i -= 1
        else:
            state = 2 if code & 8 else 0
            j -= 1
    return state, i, j, k


@njit(cache=True)
def _reverse(path, k):
    out = np.empty(k, dtype=np.int8)
    for q in range(k):
        out[q] = path[k - 1 - q]
    return out


@njit(cache=True)
def viterbi(x, y, lem, lqx, lqy, lt, keep=True):
    """Most probable path, with a full traceback matrix (one byte per cell).

    ``lem``, ``lqx``, ``lqy``, ``lt`` are natural-log emission/transition tables (-inf allowed).
    With ``keep=False`` only two rows are kept: the score in linear memory, no path.

    Returns
    -------
    score : float
        log P(x, y, best path).
    states : int8 array
        The path as states 0 = M, 1 = X, 2 = Y, first to last.
    """
    n = x.shape[0]
    m = y.shape[0]
    # traceback byte per cell: bits 0-1 = predecessor of M (0 M, 1 X, 2 Y), bit 2 = of X
    # (0 M, 1 X), bit 3 = of Y (0 M, 1 Y)
    tb = np.zeros((n + 1 if keep else 3, m + 1), dtype=np.uint8)
    Mp = np.empty(m + 1)
    Xp = np.empty(m + 1)
    Yp = np.empty(m + 1)
    cMY, cYY, lprof = _vit_setup(y, lem, lqy, lt)
    _vit_row0(Mp, Xp, Yp, tb[0], cMY, cYY)
    _vit_rows(x, 0, n, Mp, Xp, Yp, tb, 0, keep, lprof, lqx, cMY, cYY, lt)
    score, state = _vit_end(Mp, Xp, Yp, lt)
    if score == -np.inf or not keep:
        return score, np.empty(0, dtype=np.int8)
    path = np.empty(n + m, dtype=np.int8)
    state, i, j, k = _vit_trace(tb, 0, -1, state, n, m, path, 0)
    return score, _reverse(path, k)


@njit(cache=True)
def viterbi_checkpointed(x, y, lem, lqx, lqy, lt, seg):
    """Most probable path in O(m sqrt(n)) memory: the same path as :func:`viterbi`.

    A first pass keeps the DP rows at every ``seg``-th row (checkpoints) and no traceback; the
    traceback then recomputes one segment of ``seg`` rows at a time from its checkpoint, last
    segment first, storing traceback bytes for that segment only. Time: about two passes.
    """
    n = x.shape[0]
    m = y.shape[0]
    n_ck = n // seg + 1
    CK = np.empty((n_ck, 3, m + 1))
    Mp = np.empty(m + 1)
    Xp = np.empty(m + 1)
    Yp = np.empty(m + 1)
    tb0 = np.zeros((1, m + 1), dtype=np.uint8)
    scratch = np.zeros((3, m + 1), dtype=np.uint8)
    cMY, cYY, lprof = _vit_setup(y, lem, lqy, lt)
    _vit_row0(Mp, Xp, Yp, tb0[0], cMY, cYY)
    for c in range(n_ck):
        CK[c, 0] = Mp
        CK[c, 1] = Xp
        CK[c, 2] = Yp
        i0 = c * seg
        i1 = min(i0 + seg, n)
        if i1 > i0:
            _vit_rows(x, i0, i1, Mp, Xp, Yp, scratch, 0, False, lprof, lqx, cMY, cYY, lt)
    score, state = _vit_end(Mp, Xp, Yp, lt)
    if score == -np.inf:
        return score, np.empty(0, dtype=np.int8)
    path = np.empty(n + m, dtype=np.int8)
    tbseg = np.zeros((seg, m + 1), dtype=np.uint8)
    i = n
    j = m
    k = 0
    while not (i == 0 and j == 0):
        if i == 0:
            state, i, j, k = _vit_trace(tb0, 0, -1, state, i, j, path, k)
            break
        c = (i - 1) // seg
        i0 = c * seg
        Mp[:] = CK[c, 0]
        Xp[:] = CK[c, 1]
        Yp[:] = CK[c, 2]
        # rows i0+1 .. i, traceback of row r at tbseg[r - i0 - 1]
        _vit_rows(x, i0, i, Mp, Xp, Yp, tbseg, i0 + 1, True, lprof, lqx, cMY, cYY, lt)
        state, i, j, k = _vit_trace(tbseg, i0 + 1, i0, state, i, j, path, k)
    return score, _reverse(path, k)


# ----------------------------------------------------------------------------------------------
# maximum expected accuracy
# ----------------------------------------------------------------------------------------------
@njit(cache=True)
def mea_align(P, gx, gy):
    """Maximum expected accuracy path over a posterior matrix.

    Maximises sum of P[i, j] over matched pairs plus ``gx[i]`` for every x_i left unmatched and
    ``gy[j]`` for every y_j left unmatched (ProbCons with gx = gy = 0).

    Returns
    -------
    score : float
    states : int8 array (0 = M, 1 = X, 2 = Y)
    """
    n, m = P.shape
    A = np.empty((n + 1, m + 1))
    tb = np.zeros((n + 1, m + 1), dtype=np.int8)
    A[0, 0] = 0.0
    for j in range(1, m + 1):
        A[0, j] = A[0, j - 1] + gy[j - 1]
        tb[0, j] = 2
    for i in range(1, n + 1):
        A[i, 0] = A[i - 1, 0] + gx[i - 1]
        tb[i, 0] = 1
        g = gx[i - 1]
        for j in range(1, m + 1):
            best = A[i - 1, j - 1] + P[i - 1, j - 1]
            code = 0
            v = A[i - 1, j] + g
            if v > best:
                best = v
                code = 1
            v = A[i, j - 1] + gy[j - 1]
            if v > best:
                best = v
                code = 2
            A[i, j] = best
            tb[i, j] = code
    path = np.empty(n + m, dtype=np.int8)
    k = 0
    i = n
    j = m
    while i > 0 or j > 0:
        c = tb[i, j]
        path[k] = c
        k += 1
        if c == 0:
            i -= 1
            j -= 1
        elif c == 1:
            i -= 1
        else:
            j -= 1
    return A[n, m], _reverse(path, k)


# ----------------------------------------------------------------------------------------------
# stochastic traceback
# ----------------------------------------------------------------------------------------------
@njit(cache=True)
def sample_paths(x, y, em, qx, qy, t, F, n_samples, seed):
    """Draw alignments from P(path | x, y) by stochastic traceback through forward matrices ``F``.

    Returns an int8 array, shape (n_samples, n+m), of states padded with -1.
    """
    np.random.seed(seed)
    n = x.shape[0]
    m = y.shape[0]
    out = np.full((n_samples, n + m), -1, dtype=np.int8)
    buf = np.empty(n + m, dtype=np.int8)
    w = np.empty(3)
    for r in range(n_samples):
        # final state: proportional to F_s(n, m) * t(s -> End); one cell, one exponent
        w[0] = F[0, n, m] * t[T_ME]
        w[1] = F[1, n, m] * t[T_XE]
        w[2] = F[2, n, m] * t[T_YE]
        state = _pick(w)
        i = n
        j = m
        k = 0
        while i > 0 or j > 0:
            buf[k] = state
            k += 1
            if state == 0:
                i -= 1
                j -= 1
                if i == 0 and j == 0:
                    break
                w[0] = F[0, i, j] * t[T_MM]
                w[1] = F[1, i, j] * t[T_XM]
                w[2] = F[2, i, j] * t[T_YM]
            elif state == 1:
                i -= 1
                if i == 0 and j == 0:
                    break
                w[0] = F[0, i, j] * t[T_MX]
                w[1] = F[1, i, j] * t[T_XX]
                w[2] = 0.0
            else:
                j -= 1
                if i == 0 and j == 0:
                    break
                w[0] = F[0, i, j] * t[T_MY]
                w[1] = 0.0
                w[2] = F[2, i, j] * t[T_YY]
            state = _pick(w)
        for q in range(k):
            out[r, q] = buf[k - 1 - q]
    return out


@njit(cache=True)
def _pick(w):
    tot = w[0] + w[1] + w[2]
    u = np.random.random() * tot
    if u < w[0]:
        return 0
    if u < w[0] + w[1] or w[2] == 0.0:
        return 1 if w[1] > 0.0 else 0
    return 2


# ----------------------------------------------------------------------------------------------
# expected counts (Baum-Welch E-step)
# ----------------------------------------------------------------------------------------------
# layout of one pair's statistics vector: transitions (3 x 4: from M, X, Y to M, X, Y, End),
# match emissions (C x C extended codes), insert-x emissions (C), insert-y emissions (C), log P
@njit(cache=True)
def stats_size(n_codes):
    return 12 + n_codes * n_codes + 2 * n_codes + 1


@njit(cache=True, inline="always")
def _safe_factor(k):
    # exp(k) for the scale factor of a block pair, and whether it is in the double range (else
    # the caller forms each term in log space)
    if k < -700.0 or k > 700.0:
        return 0.0, False
    return math.exp(k), True


@njit(cache=True)
def expected_counts(x, y, em, qx, qy, t, out, Fbuf, Sbuf, Lbuf):
    """Accumulate the expected counts of one pair into ``out`` (see :func:`stats_size`).

    Forward matrices are stored (in the flat work buffers ``Fbuf``, ``Sbuf``, ``Lbuf``, at least
    3(n+1)(m+1) and (n+1)(m // BLOCK + 1) long); backward rows are computed from the last row up
    and combined with them cell by cell, so memory is that of one forward pass.
    """
    prof, qyc = profiles(y, em, qy)
    n = x.shape[0]
    m = y.shape[0]
    C = em.shape[0]
    o_qx = 12 + C * C
    o_qy = o_qx + C
    F, SF, logp = forward_into(x, y, prof, qx, qy, qyc, t, Fbuf, Sbuf, Lbuf)
    out[o_qy + C] += logp
    if logp == -np.inf:
        return
    ln2 = math.log(2.0)
    nb = m // BLOCK + 1
    Bc = np.zeros((2, 3, m + 1))
    SB = np.zeros((2, nb), dtype=np.int64)
    LB = np.empty((2, nb), dtype=np.int64)
    # End transitions
    bn = m // BLOCK
    k = SF[n, bn] * ln2 - logp
    f = math.exp(k) if k < 700.0 else 0.0
    out[3] += F[0, n, m] * t[T_ME] * f
    out[7] += F[1, n, m] * t[T_XE] * f
    out[11] += F[2, n, m] * t[T_YE] * f
    for i in range(n, -1, -1):
        c = i & 1
        if i == n:
            _backward_row(n, n, x, y, prof, qx, qyc, t, Bc[c, 0], Bc[c, 1], Bc[c, 2], SB[c], LB[c],
                          Bc[c, 0], Bc[c, 1], Bc[c, 2], SB[c], LB[c])
        else:
            p = (i + 1) & 1
            _backward_row(i, n, x, y, prof, qx, qyc, t, Bc[p, 0], Bc[p, 1], Bc[p, 2], SB[p], LB[p],
                          Bc[c, 0], Bc[c, 1], Bc[c, 2], SB[c], LB[c])
        BM = Bc[c, 0]
        BX = Bc[c, 1]
        BY = Bc[c, 2]
        for b in range(nb):
            j0 = b * BLOCK
            j1 = min(j0 + BLOCK, m + 1)
            sb = SB[c, b]
            be = b - 1 if b > 0 else 0
            # scale factors of this block's predecessors: diagonal and left predecessors of the
            # block's first column lie in the previous block
            if i > 0:
                kd_in = (SF[i - 1, b] + sb) * ln2 - logp
                kd_ed = (SF[i - 1, be] + sb) * ln2 - logp
            else:
                kd_in = kd_ed = 0.0
            kl_in = (SF[i, b] + sb) * ln2 - logp
            kl_ed = (SF[i, be] + sb) * ln2 - logp
            fd_in, ok1 = _safe_factor(kd_in)
            fd_ed, ok2 = _safe_factor(kd_ed)
            fl_in, ok3 = _safe_factor(kl_in)
            fl_ed, ok4 = _safe_factor(kl_ed)
            if ok1 and ok2 and ok3 and ok4:
                _counts_block_fast(i, j0, j1, x, y, em, qx, qy, t, F, BM, BX, BY,
                                   fd_in, fd_ed, fl_in, fl_ed, out, C)
            else:
                _counts_block_slow(i, j0, j1, x, y, em, qx, qy, t, F, BM, BX, BY,
                                   kd_in, kd_ed, kl_in, kl_ed, out, C)


@njit(cache=True)
def _counts_block_fast(i, j0, j1, x, y, em, qx, qy, t, F, BM, BX, BY, fd_in, fd_ed, fl_in,
                       fl_ed, out, C):
    o_em = 12
    o_qx = 12 + C * C
    o_qy = o_qx + C
    tMM = t[T_MM]
    tXM = t[T_XM]
    tYM = t[T_YM]
    tMX = t[T_MX]
    tXX = t[T_XX]
    tMY = t[T_MY]
    tYY = t[T_YY]
    sMM = 0.0
    sXM = 0.0
    sYM = 0.0
    sMX = 0.0
    sXX = 0.0
    sMY = 0.0
    sYY = 0.0
    if i > 0:
        xi = x[i - 1]
        Fm = F[0, i - 1]
        Fx = F[1, i - 1]
        Fy = F[2, i - 1]
        qxi = qx[xi]
        erow = em[xi]
        ex = 0.0
        for j in range(j0, j1):
            fd = fd_ed if j == j0 else fd_in
            if j > 0:
                yj = y[j - 1]
                w = erow[yj] * BM[j] * fd
                a0 = Fm[j - 1] * tMM * w
                a1 = Fx[j - 1] * tXM * w
                a2 = Fy[j - 1] * tYM * w
                sMM += a0
                sXM += a1
                sYM += a2
                out[o_em + xi * C + yj] += a0 + a1 + a2
            w = qxi * BX[j] * fd_in
            a0 = Fm[j] * tMX * w
            a1 = Fx[j] * tXX * w
            sMX += a0
            sXX += a1
            ex += a0 + a1
        out[o_qx + xi] += ex
    Fm = F[0, i]
    Fy = F[2, i]
    for j in range(max(j0, 1), j1):
        yj = y[j - 1]
        fl = fl_ed if j == j0 else fl_in
        w = qy[yj] * BY[j] * fl
        a0 = Fm[j - 1] * tMY * w
        a2 = Fy[j - 1] * tYY * w
        sMY += a0
        sYY += a2
        out[o_qy + yj] += a0 + a2
    out[0] += sMM
    out[4] += sXM
    out[8] += sYM
    out[1] += sMX
    out[5] += sXX
    out[2] += sMY
    out[10] += sYY


@njit(cache=True)
def _counts_block_slow(i, j0, j1, x, y, em, qx, qy, t, F, BM, BX, BY, kd_in, kd_ed, kl_in,
                       kl_ed, out, C):
    # the same sums as _counts_block_fast, with each term formed in log space (rare: only for
    # blocks whose scale factor is outside the double range)
    o_em = 12
    o_qx = 12 + C * C
    o_qy = o_qx + C
    if i > 0:
        xi = x[i - 1]
        for j in range(j0, j1):
            kd = kd_ed if j == j0 else kd_in
            if j > 0:
                yj = y[j - 1]
                w = em[xi, yj] * BM[j]
                a0 = _slow(F[0, i - 1, j - 1] * t[T_MM], w, kd)
                a1 = _slow(F[1, i - 1, j - 1] * t[T_XM], w, kd)
                a2 = _slow(F[2, i - 1, j - 1] * t[T_YM], w, kd)
                out[0] += a0
                out[4] += a1
                out[8] += a2
                out[o_em + xi * C + yj] += a0 + a1 + a2
            w = qx[xi] * BX[j]
            a0 = _slow(F[0, i - 1, j] * t[T_MX], w, kd_in)
            a1 = _slow(F[1, i - 1, j] * t[T_XX], w, kd_in)
            out[1] += a0
            out[5] += a1
            out[o_qx + xi] += a0 + a1
    for j in range(max(j0, 1), j1):
        yj = y[j - 1]
        kl = kl_ed if j == j0 else kl_in
        w = qy[yj] * BY[j]
        a0 = _slow(F[0, i, j - 1] * t[T_MY], w, kl)
        a2 = _slow(F[2, i, j - 1] * t[T_YY], w, kl)
        out[2] += a0
        out[10] += a2
        out[o_qy + yj] += a0 + a2


@njit(cache=True)
def _slow(a, w, k):
    # a * w * exp(k) without overflow in the intermediate factor
    if a <= 0.0 or w <= 0.0:
        return 0.0
    v = math.log(a) + math.log(w) + k
    return math.exp(v) if v > -745.0 else 0.0


@njit(cache=True, parallel=True)
def expected_counts_many(seqs, offsets, pair_index, em, qx, qy, t):
    """Expected counts of many pairs in parallel, one row of statistics per pair.

    ``seqs`` holds every sequence back to back, ``offsets`` their starts (length n_seqs + 1),
    ``pair_index`` (n_pairs, 2) the two sequence numbers of each pair. Rows are summed by the
    caller in pair order, so the result does not depend on the number of threads.
    """
    n_pairs = pair_index.shape[0]
    K = stats_size(em.shape[0])
    out = np.zeros((n_pairs, K))
    # pairs are dealt into a fixed number of groups (pairs g, g + G, ...); each group reuses one
    # set of work buffers. Every pair's row is computed on its own, so neither the grouping nor
    # the number of threads changes any result.
    G = min(n_pairs, 64)
    for g in prange(G):
        big_f = 1
        big_s = 1
        for p in range(g, n_pairs, G):
            a = pair_index[p, 0]
            b = pair_index[p, 1]
            n = offsets[a + 1] - offsets[a]
            m = offsets[b + 1] - offsets[b]
            big_f = max(big_f, 3 * (n + 1) * (m + 1))
            big_s = max(big_s, (n + 1) * (m // BLOCK + 1))
        Fbuf = np.empty(big_f)
        Sbuf = np.empty(big_s, dtype=np.int64)
        Lbuf = np.empty(big_s, dtype=np.int64)
        for p in range(g, n_pairs, G):
            a = pair_index[p, 0]
            b = pair_index[p, 1]
            expected_counts(seqs[offsets[a]:offsets[a + 1]], seqs[offsets[b]:offsets[b + 1]],
                            em, qx, qy, t, out[p], Fbuf, Sbuf, Lbuf)
    return out
