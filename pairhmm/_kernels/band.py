"""Banded pair-HMM kernels over a general state graph (log space).

A band keeps, for each DP row ``i`` (0..n), the columns ``lo[i]..hi[i]``; cells outside it have
probability zero. Banded matrices are stored ragged: row ``i`` occupies entries
``start[i] .. start[i] + hi[i] - lo[i]`` of a flat array, so memory is proportional to the number
of cells in the band, not to n x m. Row buffers that are only needed two at a time are indexed by
the absolute column (length m + 1); every read of a neighbour is checked against the band of its
row, so stale values left in a buffer by an earlier row are never seen.

The state graph is the one of :mod:`pairhmm._kernels.gpair` (``kind``, ``erow``, ``pred``/``succ``,
silent Begin = state S, ``end``), here with log tables ``lem``, ``lq``, ``lT``, ``lend``; kernels
take them as the bundles of :mod:`pairhmm._kernels.bundles` (``BandRows``, ``GraphArrays``,
``GraphLogProbs``, ``GraphCounts``). The 3-state
model is the graph M, X, Y. Values are natural logs, so nothing underflows however long the pair;
a band holds few cells, which pays for the exp/log of the log-sum-exp.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .bundles import GraphCounts
from .pair import _reverse

_NINF = -np.inf


@njit(cache=True, inline="always")
def _emission(s, kind, erow, lem, lq, xi, yj):
    k = kind[s]
    if k == 0:
        return lem[xi, yj]
    if k == 1:
        return lq[erow[s], xi]
    return lq[erow[s], yj]


@njit(cache=True)
def _band_row(i, x, y, band, graph, lp, prv, cur, use_max, bp):
    """Row i of the banded forward (``use_max`` False: log-sum-exp over predecessors) or Viterbi
    (True: maximum, the best predecessor's state into ``bp[flat cell, s]`` unless ``bp`` has no
    rows: the score only).

    ``prv``/``cur``: rows i-1 and i, (m+1, S+1) indexed by the absolute column; the Begin state's
    log 1 at (0, 0) is the caller's. Every cell of row i's band is written.
    """
    lo, hi, start = band
    kind, erow, pred, npred = graph.kind, graph.erow, graph.pred, graph.npred
    lem, lq, lT = lp.lem, lp.lq, lp.lT
    S = lT.shape[0] - 1
    xi = x[i - 1] if i > 0 else 0
    for j in range(lo[i], hi[i] + 1):
        if i == 0 and j == 0:
            continue
        yj = y[j - 1] if j > 0 else 0
        for s in range(S + 1):
            cur[j, s] = _NINF
        for s in range(S):
            k = kind[s]
            if k == 0:
                if i == 0 or j == 0 or j - 1 < lo[i - 1] or j - 1 > hi[i - 1]:
                    continue
                row = prv
                col = j - 1
            elif k == 1:
                if i == 0 or j < lo[i - 1] or j > hi[i - 1]:
                    continue
                row = prv
                col = j
            else:
                if j == 0 or j - 1 < lo[i]:
                    continue
                row = cur
                col = j - 1
            mx = _NINF
            arg = 0
            for a in range(npred[s]):
                p = pred[s, a]
                v = row[col, p] + lT[p, s]
                if v > mx:
                    mx = v
                    arg = p
            if mx == _NINF:
                continue
            if use_max:
                cur[j, s] = mx + _emission(s, kind, erow, lem, lq, xi, yj)
                if bp.shape[0] > 0:
                    bp[start[i] + j - lo[i], s] = arg
                continue
            acc = 0.0
            for a in range(npred[s]):
                p = pred[s, a]
                v = row[col, p]
                if v != _NINF:  # Begin, outside (0, 0)
                    acc += math.exp(v + lT[p, s] - mx)
            cur[j, s] = mx + math.log(acc) + _emission(s, kind, erow, lem, lq, xi, yj)


@njit(cache=True)
def _band_rows(x, y, band, graph, lp, use_max, bp, F):
    """Every row of the banded forward or Viterbi, two rows at a time; with ``F`` of shape
    (n_cells, S) the real states' values of every cell are kept there. Returns the last row."""
    lo, hi, start = band
    lT = lp.lT
    n = x.shape[0]
    m = y.shape[0]
    S1 = lT.shape[0]
    R = np.full((2, m + 1, S1), _NINF)
    R[0, 0, S1 - 1] = 0.0
    keep = F.shape[0] == start[n] + hi[n] - lo[n] + 1
    for i in range(n + 1):
        cur = R[i & 1]
        _band_row(i, x, y, band, graph, lp, R[(i - 1) & 1], cur, use_max, bp)
        if keep:
            for j in range(lo[i], hi[i] + 1):
                c = start[i] + j - lo[i]
                for s in range(S1 - 1):
                    F[c, s] = cur[j, s]
    return R[n & 1]


@njit(cache=True)
def band_forward(x, y, band, graph, lp):
    """Log forward values of every band cell and state.

    ``band`` is a :class:`~pairhmm._kernels.bundles.BandRows`, ``graph`` a
    :class:`~pairhmm._kernels.bundles.GraphArrays`, ``lp`` a
    :class:`~pairhmm._kernels.bundles.GraphLogProbs` (as in every kernel of this module).

    Returns
    -------
    F : (n_cells, S) float64, log forward value of each real state (emission of the cell
        included); the silent Begin (log 1 at cell (0, 0), flat index 0) is not stored
    logp : float, log P(x, y) over the alignments inside the band
    """
    lo, hi, start = band
    n = x.shape[0]
    S = lp.lT.shape[0] - 1
    F = np.full((start[n] + hi[n] - lo[n] + 1, S), _NINF)
    last = _band_rows(x, y, band, graph, lp, False, np.zeros((1, 1), dtype=np.uint8), F)
    return F, _end_logprob(last, y.shape[0], lp.lend)


@njit(cache=True)
def _end_logprob(F, c, lend):
    mx = _NINF
    for s in range(lend.shape[0]):
        v = F[c, s] + lend[s]
        if v > mx:
            mx = v
    if mx == _NINF:
        return mx
    acc = 0.0
    for s in range(lend.shape[0]):
        acc += math.exp(F[c, s] + lend[s] - mx)
    return mx + math.log(acc)


@njit(cache=True)
def band_forward_logprob(x, y, band, graph, lp):
    """log P(x, y) over the band, keeping two rows only (memory O(m))."""
    last = _band_rows(x, y, band, graph, lp, False, np.zeros((1, 1), dtype=np.uint8),
                      np.zeros((0, 1)))
    return _end_logprob(last, y.shape[0], lp.lend)


@njit(cache=True)
def band_viterbi_logprob(x, y, band, graph, lp):
    """log P(x, y, best path inside the band), keeping two rows only (memory O(m), no
    traceback)."""
    last = _band_rows(x, y, band, graph, lp, True, np.zeros((0, 1), dtype=np.uint8),
                      np.zeros((0, 1)))
    lend = lp.lend
    best = _NINF
    for s in range(lend.shape[0]):
        v = last[y.shape[0], s] + lend[s]
        if v > best:
            best = v
    return best


@njit(cache=True)
def band_posterior(x, y, band, graph, lp):
    """Posterior match probabilities of every band cell, by forward-backward.

    The forward values are kept for the whole band; the backward pass keeps two rows and turns
    each cell into its posterior as it goes.

    Returns
    -------
    P : (n_cells,) float64, P(x_i ~ y_j | x, y) at the flat index of cell (i, j) (zero in row 0
        and column 0)
    logp : float, log P(x, y) over the band
    """
    F, logp = band_forward(x, y, band, graph, lp)
    P = np.zeros(F.shape[0])
    if logp != _NINF:
        z1 = np.zeros((1, 1))
        _band_backward(x, y, band, graph, lp, F, logp, P, False,
                       GraphCounts(z1, np.zeros(1), z1, z1))
    return P, logp


@njit(cache=True)
def band_counts(x, y, band, graph, lp, out):
    """Expected transition and emission counts inside the band (log space), added to ``out``
    (a :class:`~pairhmm._kernels.bundles.GraphCounts`; shapes and meaning as in
    :func:`pairhmm._kernels.gpair.g_counts`: (S+1, S+1), (S,), (C, C) on extended codes, (2, C)).
    Returns log P(x, y) over the band."""
    F, logp = band_forward(x, y, band, graph, lp)
    if logp != _NINF:
        _band_backward(x, y, band, graph, lp, F, logp, np.zeros(1), True, out)
    return logp


@njit(cache=True)
def _band_backward(x, y, band, graph, lp, F, logp, P, counting, out):
    """Backward pass over the band (two rows), combined cell by cell with the stored forward
    values ``F``: posterior match probabilities into ``P``, or with ``counting`` expected
    transition, End and emission counts into ``out``."""
    lo, hi, start = band
    kind, erow, succ, nsucc = graph.kind, graph.erow, graph.succ, graph.nsucc
    lem, lq, lT, lend = lp
    out_T, out_end, out_em, out_q = out
    n = x.shape[0]
    m = y.shape[0]
    S1 = lT.shape[0]
    S = S1 - 1
    Bb = np.full((2, m + 1, S1), _NINF)
    for i in range(n, -1, -1):
        cur = Bb[i & 1]
        nxt = Bb[(i + 1) & 1]
        xn = x[i] if i < n else 0
        for j in range(lo[i], hi[i] + 1):
            for s in range(S1):
                cur[j, s] = _NINF
        for j in range(hi[i], lo[i] - 1, -1):
            yn = y[j] if j < m else 0
            c = start[i] + j - lo[i]
            # successor cells: diagonal (i+1, j+1), down (i+1, j), right (i, j+1)
            okd = i < n and j < m and j + 1 >= lo[i + 1] and j + 1 <= hi[i + 1]
            oku = i < n and j >= lo[i + 1] and j <= hi[i + 1]
            okr = j < hi[i]
            # the silent Begin only at (0, 0), where it is the only state with mass
            for s in range(S1 if c == 0 else S):
                if i == n and j == m:
                    cur[j, s] = lend[s]
                    if counting:
                        v = F[c, s] + lend[s] - logp
                        if v > -745.0:
                            out_end[s] += math.exp(v)
                    continue
                fs = 0.0 if s == S else F[c, s]
                # two passes (maximum, then sum) spell out the successor terms: a shared helper
                # function doubled the time of this loop
                mx = _NINF
                for a in range(nsucc[s]):
                    t = succ[s, a]
                    k = kind[t]
                    if k == 0:
                        if not okd:
                            continue
                        v = nxt[j + 1, t] + lem[xn, yn]
                    elif k == 1:
                        if not oku:
                            continue
                        v = nxt[j, t] + lq[erow[t], xn]
                    else:
                        if not okr:
                            continue
                        v = cur[j + 1, t] + lq[erow[t], yn]
                    v += lT[s, t]
                    if v > mx:
                        mx = v
                if mx == _NINF:
                    continue
                acc = 0.0
                for a in range(nsucc[s]):
                    t = succ[s, a]
                    k = kind[t]
                    if k == 0:
                        if not okd:
                            continue
                        v = nxt[j + 1, t] + lem[xn, yn]
                    elif k == 1:
                        if not oku:
                            continue
                        v = nxt[j, t] + lq[erow[t], xn]
                    else:
                        if not okr:
                            continue
                        v = cur[j + 1, t] + lq[erow[t], yn]
                    acc += math.exp(v + lT[s, t] - mx)
                    if counting and fs != _NINF:
                        w = fs + v + lT[s, t] - logp
                        if w > -745.0:
                            out_T[s, t] += math.exp(w)
                cur[j, s] = mx + math.log(acc)
            if counting:
                for s in range(S):
                    v = F[c, s] + cur[j, s] - logp
                    if v <= -745.0:
                        continue
                    g = math.exp(v)
                    k = kind[s]
                    if k == 0:
                        out_em[x[i - 1], y[j - 1]] += g
                    elif k == 1:
                        out_q[erow[s], x[i - 1]] += g
                    else:
                        out_q[erow[s], y[j - 1]] += g
            elif i > 0 and j > 0:
                p = 0.0
                for s in range(S):
                    if kind[s] == 0:
                        v = F[c, s] + cur[j, s] - logp
                        if v > -745.0:
                            p += math.exp(v)
                P[c] = min(p, 1.0)


@njit(cache=True)
def band_viterbi(x, y, band, graph, lp):
    """Most probable path inside the band: (log probability, states first to last).

    Scores are kept two rows at a time; the traceback takes one byte per band cell and state.
    """
    lo, hi, start = band
    kind = graph.kind
    lend = lp.lend
    n = x.shape[0]
    m = y.shape[0]
    S = lp.lT.shape[0] - 1
    bp = np.zeros((start[n] + hi[n] - lo[n] + 1, S), dtype=np.uint8)
    last = _band_rows(x, y, band, graph, lp, True, bp, np.zeros((0, 1)))
    best = _NINF
    state = 0
    for s in range(S):
        v = last[m, s] + lend[s]
        if v > best:
            best = v
            state = s
    if best == _NINF:
        return best, np.empty(0, dtype=np.int8)
    path = np.empty(n + m, dtype=np.int8)
    kk = 0
    i = n
    j = m
    while not (i == 0 and j == 0):
        path[kk] = state
        kk += 1
        prev = bp[start[i] + j - lo[i], state]
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
def band_mea(P, n, m, band, gx, gy):
    """Maximum expected accuracy path inside the band (see :func:`pair.mea_align`).

    ``P`` is the flat banded posterior of :func:`band_posterior`; ``gx``/``gy`` the rewards of
    unaligned residues. Returns (score, states 0 = M, 1 = X, 2 = Y).
    """
    lo, hi, start = band
    ncell = P.shape[0]
    tb = np.zeros(ncell, dtype=np.int8)
    A = np.full((2, m + 1), _NINF)
    A[0, 0] = 0.0
    for i in range(n + 1):
        cur = A[i & 1]
        prv = A[(i - 1) & 1]
        g = gx[i - 1] if i > 0 else 0.0
        for j in range(lo[i], hi[i] + 1):
            if i == 0 and j == 0:
                continue
            c = start[i] + j - lo[i]
            best = _NINF
            code = 0
            if i > 0 and j > 0 and j - 1 >= lo[i - 1] and j - 1 <= hi[i - 1]:
                best = prv[j - 1] + P[c]
            if i > 0 and j >= lo[i - 1] and j <= hi[i - 1]:
                v = prv[j] + g
                if v > best:
                    best = v
                    code = 1
            if j > 0 and j - 1 >= lo[i]:
                v = cur[j - 1] + gy[j - 1]
                if v > best:
                    best = v
                    code = 2
            cur[j] = best
            tb[c] = code
    path = np.empty(n + m, dtype=np.int8)
    k = 0
    i = n
    j = m
    while i > 0 or j > 0:
        code = tb[start[i] + j - lo[i]]
        path[k] = code
        k += 1
        if code == 0:
            i -= 1
            j -= 1
        elif code == 1:
            i -= 1
        else:
            j -= 1
    return A[n & 1, m], _reverse(path, k)


@njit(cache=True)
def band_gap_posteriors(P, n, m, band):
    """Row and column sums of a flat banded posterior: P(x_i matched), P(y_j matched)."""
    lo, hi, start = band
    rx = np.zeros(n)
    ry = np.zeros(m)
    for i in range(1, n + 1):
        for j in range(max(lo[i], 1), hi[i] + 1):
            v = P[start[i] + j - lo[i]]
            rx[i - 1] += v
            ry[j - 1] += v
    return rx, ry


@njit(cache=True)
def band_sample(x, y, band, graph, lp, F, n_samples, seed):
    """Alignments drawn from P(path | x, y) restricted to the band, by stochastic traceback
    through the log forward values ``F`` of :func:`band_forward`.

    Each step compares the predecessors' values at one cell, so the draw is exact in log space.

    Returns
    -------
    states : (n_samples, n + m) int8, the state path first to last, padded with -1
    logp : (n_samples,) float64, log P(x, y, path) of each path
    """
    lo, hi, start = band
    kind, erow, pred, npred = graph.kind, graph.erow, graph.pred, graph.npred
    lem, lq, lT, lend = lp
    np.random.seed(seed)
    n = x.shape[0]
    m = y.shape[0]
    S = lT.shape[0] - 1
    out = np.full((n_samples, n + m), -1, dtype=np.int8)
    lps = np.zeros(n_samples)
    buf = np.empty(n + m, dtype=np.int8)
    w = np.empty(S)
    cN = start[n] + m - lo[n]
    for r in range(n_samples):
        for s in range(S):
            w[s] = F[cN, s] + lend[s]
        state = _draw(w)
        lp = lend[state]
        i = n
        j = m
        k = 0
        while True:
            buf[k] = state
            k += 1
            lp += _emission(state, kind, erow, lem, lq, x[i - 1] if i > 0 else 0,
                            y[j - 1] if j > 0 else 0)
            kd = kind[state]
            if kd == 0:
                i -= 1
                j -= 1
            elif kd == 1:
                i -= 1
            else:
                j -= 1
            if i == 0 and j == 0:
                lp += lT[S, state]  # only Begin has mass at (0, 0)
                break
            c = start[i] + j - lo[i]
            for s in range(S):
                w[s] = _NINF
            for a in range(npred[state]):
                p = pred[state, a]
                if p != S:
                    w[p] = F[c, p] + lT[p, state]
            p = _draw(w)
            lp += lT[p, state]
            state = p
        for q in range(k):
            out[r, q] = buf[k - 1 - q]
        lps[r] = lp
    return out, lps


@njit(cache=True)
def _draw(logw):
    """An index drawn with probability proportional to exp(logw)."""
    mx = _NINF
    for s in range(logw.shape[0]):
        if logw[s] > mx:
            mx = logw[s]
    tot = 0.0
    for s in range(logw.shape[0]):
        tot += math.exp(logw[s] - mx) if logw[s] != _NINF else 0.0
    u = np.random.random() * tot
    last = 0
    for s in range(logw.shape[0]):
        if logw[s] == _NINF:
            continue
        last = s
        u -= math.exp(logw[s] - mx)
        if u < 0.0:
            return s
    return last
