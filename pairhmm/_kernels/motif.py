"""Numba kernels of the motif scanner: q-gram lookup convolution, rescoring, score distributions.

Plain functions on contiguous arrays; the public wrappers in :mod:`pairhmm.motif.scan` and
:mod:`pairhmm.motif.pvalue` validate and convert.

The scanner treats every filter (a motif, or its reverse complement) as a few *blocks* of
adjacent columns: the most informative ``q1`` columns (default 6), then blocks of 4. For each
block a table holds the summed weight of all ``4**q`` q-mers (plus one entry, ``-inf``, for any
q-mer holding an ambiguity code), so a window's score is a sum of a few table lookups into a
precomputed q-gram index of the sequence. Blocks are visited in decreasing order of their score
range and a window is abandoned as soon as its partial score plus the best the remaining blocks
can add falls below the threshold (MOODS' lookahead filtering), so most windows cost one lookup.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange


@njit(cache=True)
def qgram_index(codes, q, out):
    """Write the base-4 code of ``codes[i:i+q]`` to ``out[i]``.

    ``out[i] = 4**q`` (the sentinel) where the q-mer holds a code >= 4 (ambiguity) or runs past
    the end. ``codes`` uint8 shape (n,), ``out`` uint16 shape (n,) (so q <= 7).
    """
    n = codes.shape[0]
    sentinel = 4 ** q
    mask = sentinel - 1
    last_bad = -1
    val = 0
    for j in range(n):
        c = codes[j]
        if c >= 4:
            last_bad = j
            val = 0
        else:
            val = ((val << 2) | c) & mask
        i = j - q + 1
        if i >= 0:
            out[i] = val if last_bad < i else sentinel
    start = n - q + 1
    if start < 0:
        start = 0
    for i in range(start, n):
        out[i] = sentinel


@njit(cache=True)
def _scan_one(f, qidx, f_bstart, f_nblocks, f_width, f_thr, b_qrow, b_tstart, b_offset, b_rem,
              tables, n_owned, out_pos, out_score):
    """Slide filter ``f`` over the chunk; return its number of hits (see :func:`scan_filters`)."""
    n = qidx.shape[1]
    cap = out_pos.shape[1]
    b0 = f_bstart[f]
    b1 = b0 + f_nblocks[f]
    thr = f_thr[f]
    last = n - f_width[f] + 1
    if last > n_owned:
        last = n_owned
    # The first (most informative, widest) block is a tight loop of its own: most windows stop
    # there after one lookup.
    row0 = qidx[b_qrow[b0]]
    t0 = tables[b_tstart[b0]:]
    off0 = b_offset[b0]
    thr0 = thr - b_rem[b0]
    cnt = 0
    for i in range(max(last, 0)):
        s = t0[row0[i + off0]]
        if s < thr0:
            continue
        hit = True
        for b in range(b0 + 1, b1):
            s += tables[b_tstart[b] + qidx[b_qrow[b], i + b_offset[b]]]
            if s + b_rem[b] < thr:
                hit = False
                break
        if hit:
            if cnt < cap:
                out_pos[f, cnt] = i
                out_score[f, cnt] = s
            cnt += 1
    return cnt


@njit(cache=True, parallel=True)
def scan_filters(qidx, f_bstart, f_nblocks, f_width, f_thr, b_qrow, b_tstart, b_offset, b_rem,
                 tables, n_owned, out_pos, out_score, counts):
    """Slide every filter over one chunk; record windows scoring >= the filter's threshold.

    ``prange`` over filters; each filter writes only its own rows of the outputs, so the result
    is the same as :func:`scan_filters_serial`'s.

    Parameters
    ----------
    qidx : uint16, shape (n_q, n)
        q-gram index of the chunk for each q in use.
    f_bstart, f_nblocks, f_width : int64, shape (n_filters,)
        Per filter: first block, number of blocks, width.
    f_thr : float64, shape (n_filters,)
        Score threshold per filter.
    b_qrow, b_tstart, b_offset : int64, shape (n_blocks,)
        Per block (a filter's blocks in visiting order): q-gram row, start of its table in
        ``tables``, column offset inside the window.
    b_rem : float64, shape (n_blocks,)
        Best score the blocks visited after this one can still add.
    tables : float64, shape (total_table_size,)
        Concatenated block tables: score per q-gram code, then ``-inf`` for the sentinel.
    n_owned : int
        Windows starting at ``0 .. n_owned-1`` belong to this chunk (the rest of the chunk is
        overlap with the next one).
    out_pos : int64, shape (n_filters, capacity)
    out_score : float64, shape (n_filters, capacity)
        Hit start positions and (block-order) scores, first ``capacity`` per filter.
    counts : int64, shape (n_filters,)
        Hits per filter (may exceed capacity: then the caller rescans with more room).
    """
    for f in prange(f_width.shape[0]):
        counts[f] = _scan_one(f, qidx, f_bstart, f_nblocks, f_width, f_thr, b_qrow, b_tstart,
                              b_offset, b_rem, tables, n_owned, out_pos, out_score)


@njit(cache=True)
def scan_filters_serial(qidx, f_bstart, f_nblocks, f_width, f_thr, b_qrow, b_tstart, b_offset,
                        b_rem, tables, n_owned, out_pos, out_score, counts):
    """:func:`scan_filters` on one thread (few filters: thread start-up costs more than it saves)."""
    for f in range(f_width.shape[0]):
        counts[f] = _scan_one(f, qidx, f_bstart, f_nblocks, f_width, f_thr, b_qrow, b_tstart,
                              b_offset, b_rem, tables, n_owned, out_pos, out_score)


@njit(cache=True)
def rescore(codes, pos, midx, strand, weights, widths, out):
    """Canonical score of each hit: the forward motif summed column by column over the site.

    A reverse-strand hit is scored on the reverse complement of its window, so a site and its
    mirror image in the reverse-complemented sequence get bit-identical scores.

    Parameters
    ----------
    codes : uint8, shape (n,)
    pos, midx : int64, shape (h,)
        Window start and motif index of each hit.
    strand : int8, shape (h,)
        0 forward, 1 reverse.
    weights : float64, shape (n_motifs, max_width, 4)
    widths : int64, shape (n_motifs,)
    out : float64, shape (h,)
    """
    for k in range(pos.shape[0]):
        m = midx[k]
        w = widths[m]
        p = pos[k]
        s = 0.0
        if strand[k] == 0:
            for j in range(w):
                s += weights[m, j, codes[p + j]]
        else:
            for j in range(w):
                s += weights[m, j, 3 - codes[p + w - 1 - j]]
        out[k] = s


@njit(cache=True)
def good_runs(codes, n, carry, out):
    """Lengths of maximal runs of unambiguous codes (< 4) in ``codes[:n]``.

    ``carry`` is the length of the run still open from the previous chunk. Completed runs are
    written to ``out`` (length >= number of ambiguous codes + 1); returns ``(n_written, open_run)``.
    """
    k = 0
    run = carry
    for i in range(n):
        if codes[i] >= 4:
            if run > 0:
                out[k] = run
                k += 1
            run = 0
        else:
            run += 1
    return k, run


@njit(cache=True)
def score_pmf(int_weights, bg, total):
    """Distribution of the integer score of a random window under an order-0 background.

    Parameters
    ----------
    int_weights : int64, shape (width, 4)
        Integer weights shifted so each column's minimum is 0.
    bg : float64, shape (4,)
    total : int
        Sum of the column maxima (the highest shifted score).

    Returns
    -------
    pmf : float64, shape (total + 1,)
        ``pmf[k]`` = probability that the shifted integer score equals ``k``.
    """
    w = int_weights.shape[0]
    cur = np.zeros(total + 1)
    nxt = np.zeros(total + 1)
    cur[0] = 1.0
    top = 0
    for j in range(w):
        cmax = 0
        for a in range(4):
            if int_weights[j, a] > cmax:
                cmax = int_weights[j, a]
        for k in range(top + cmax + 1):
            nxt[k] = 0.0
        for a in range(4):
            d = int_weights[j, a]
            pa = bg[a]
            for k in range(top + 1):
                nxt[k + d] += cur[k] * pa
        top += cmax
        for k in range(top + 1):
            cur[k] = nxt[k]
    return cur


@njit(cache=True)
def tail_sums(pmf):
    """``tail[k] = sum(pmf[k:])``, summed from the top so small tails keep their precision."""
    n = pmf.shape[0]
    tail = np.zeros(n)
    acc = 0.0
    for k in range(n - 1, -1, -1):
        acc += pmf[k]
        tail[k] = acc
    return tail
