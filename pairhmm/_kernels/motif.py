"""Numba kernels of the motif scanner: q-gram lookup convolution, rescoring, score distributions.

Plain functions on contiguous arrays; the public wrappers in :mod:`pairhmm.motif.scan` and
:mod:`pairhmm.motif.pvalue` validate and convert.

The scanner treats every filter (a motif, or its reverse complement) as a few *blocks* of
adjacent columns: the most informative ``q1`` columns (default 7), then blocks of 4. For each
block a table holds the summed weight of all ``4**q`` q-mers (plus one entry, ``-inf``, for any
q-mer holding an ambiguity code), so a window's score is a sum of a few table lookups into a
precomputed q-gram index of the sequence. Blocks are visited in decreasing order of their score
range and a window is abandoned as soon as its partial score plus the best the remaining blocks
can add falls below the threshold (MOODS' lookahead filtering). The first block is inverted: for
each q-gram code, the list of filters it does not rule out, so each sequence position costs one
lookup for all filters together, and only the few windows on those lists are scored further.
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
def _scan_segment(lo, hi, g, qidx, row0, ptr, ent_f, ent_val, f_off0, f_bstart, f_nblocks,
                  f_width, f_thr, b_qrow, b_tstart, b_offset, b_rem, tables, n_owned,
                  out_f, out_pos, out_score):
    """Scan q-gram positions ``lo .. hi-1`` of a chunk; return the number of hits found.

    At each position the q-gram code selects (CSR ``ptr``/``ent_f``) the few filters whose first
    block, read at this position, still leaves their window able to reach the threshold (MOODS'
    multi-matrix lookahead); only those windows are scored further. Hits go to row ``g`` of the
    outputs (filter, window start, score), in position order.
    """
    n = qidx.shape[1]
    cap = out_pos.shape[1]
    r0 = qidx[row0]
    cnt = 0
    for j in range(lo, hi):
        c = r0[j]
        for e in range(ptr[c], ptr[c + 1]):
            f = ent_f[e]
            i = j - f_off0[f]
            if i < 0 or i >= n_owned or i + f_width[f] > n:
                continue
            s = ent_val[e]
            thr = f_thr[f]
            hit = True
            b0 = f_bstart[f]
            for b in range(b0 + 1, b0 + f_nblocks[f]):
                s += tables[b_tstart[b] + qidx[b_qrow[b], i + b_offset[b]]]
                if s + b_rem[b] < thr:
                    hit = False
                    break
            if hit:
                if cnt < cap:
                    out_f[g, cnt] = f
                    out_pos[g, cnt] = i
                    out_score[g, cnt] = s
                cnt += 1
    return cnt


@njit(cache=True, parallel=True)
def scan_filters(seg_lo, seg_hi, qidx, row0, ptr, ent_f, ent_val, f_off0, f_bstart, f_nblocks,
                 f_width, f_thr, b_qrow, b_tstart, b_offset, b_rem, tables, n_owned,
                 out_f, out_pos, out_score, counts):
    """Slide a group of stacked filters over one chunk; record windows scoring >= threshold.

    ``prange`` over a fixed list of position segments, each writing its own output row, so the
    result does not depend on the number of threads (and equals :func:`scan_filters_serial`'s).

    Parameters
    ----------
    seg_lo, seg_hi : int64, shape (n_seg,)
        q-gram positions of each segment.
    qidx : uint16, shape (n_q, n)
        q-gram index of the chunk for each q in use; ``row0`` is the group's first-block row.
    ptr : int64, shape (4**q + 2,)
        CSR pointers: entries ``ptr[c] .. ptr[c+1]-1`` belong to q-gram code ``c``.
    ent_f : int64, shape (n_entries,)
        Filter of each entry; ``ent_val`` (float64) its first-block score for that code.
    f_off0, f_bstart, f_nblocks, f_width : int64, shape (n_filters,)
        Per filter: first-block column offset, first block, number of blocks, width.
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
        Windows starting at ``0 .. n_owned-1`` belong to this chunk (the rest is overlap).
    out_f, out_pos : int64, shape (n_seg, capacity)
    out_score : float64, shape (n_seg, capacity)
        Hits per segment: filter, window start, (block-order) score.
    counts : int64, shape (n_seg,)
        Hits per segment (may exceed capacity: then the caller rescans with more room).
    """
    for g in prange(seg_lo.shape[0]):
        counts[g] = _scan_segment(seg_lo[g], seg_hi[g], g, qidx, row0, ptr, ent_f, ent_val, f_off0,
                                  f_bstart, f_nblocks, f_width, f_thr, b_qrow, b_tstart, b_offset,
                                  b_rem, tables, n_owned, out_f, out_pos, out_score)


@njit(cache=True)
def scan_filters_serial(seg_lo, seg_hi, qidx, row0, ptr, ent_f, ent_val, f_off0, f_bstart,
                        f_nblocks, f_width, f_thr, b_qrow, b_tstart, b_offset, b_rem, tables,
                        n_owned, out_f, out_pos, out_score, counts):
    """:func:`scan_filters` on one thread (small jobs: thread start-up costs more than it saves)."""
    for g in range(seg_lo.shape[0]):
        counts[g] = _scan_segment(seg_lo[g], seg_hi[g], g, qidx, row0, ptr, ent_f, ent_val, f_off0,
                                  f_bstart, f_nblocks, f_width, f_thr, b_qrow, b_tstart, b_offset,
                                  b_rem, tables, n_owned, out_f, out_pos, out_score)


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
