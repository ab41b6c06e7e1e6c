"""Numba kernels of the shared-weight motif CNN (:class:`pairhmm.motif.MotifCNN`).

Sequences arrive as one flat ``uint8`` code array plus offsets (a ragged batch: sequence ``s`` is
``codes[offsets[s]:offsets[s + 1]]``), so sequences of different lengths need no padding. A filter
is given as a lookup table ``table[k, i, c]`` = score of code ``c`` at filter position ``i`` (the
weights times the code's soft one-hot column, computed once per step by the wrapper), and
``table_rc[k, i, c] = table[k, i, complement(c)]`` for the reverse strand.

Window ``p`` of a sequence ``x`` scores

* forward: ``sum_i table[k, i, x[p + i]]``
* reverse: ``sum_i table_rc[k, i, x[p + w - 1 - i]]`` (the filter flipped and complemented),

both summed in increasing filter position ``i``, so the reverse score of window ``p`` of ``x`` is
bit-for-bit the forward score of window ``P-1-p`` of ``revcomp(x)``. Pooling over windows and
strands uses only order-free operations (max) or sums that pair window ``p`` with ``P-1-p``
(log-sum-exp, mean), so a sequence and its reverse complement give identical pooled values.

Parallel work: the forward pass runs ``prange`` over sequences (each writes its own output row);
the backward pass runs ``prange`` over filters (each writes its own gradient slice and loops over
the sequences in order). Neither needs a cross-thread reduction, so results do not depend on the
number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

POOL_MAX = 0
POOL_LSE = 1
POOL_MEAN = 2
#: max over each strand's windows, the two maxima averaged (``rc`` only; RCPS-style strand
#: pooling: both strands' best sites count, instead of the better one only)
POOL_MAX_STRANDS = 3


@njit(cache=True)
def _window_scores(codes, start, P, w, table, table_rc, k, rc, f, r):
    """Fill ``f[:P]`` (forward) and, if ``rc``, ``r[:P]`` (reverse) raw window scores of filter k."""
    for p in range(P):
        acc = 0.0
        for i in range(w):
            acc += table[k, i, codes[start + p + i]]
        f[p] = acc
    if rc:
        for p in range(P):
            acc = 0.0
            for i in range(w):
                acc += table_rc[k, i, codes[start + p + w - 1 - i]]
            r[p] = acc


@njit(cache=True)
def _lse_pool(f, r, P, rc):
    """Log-sum-exp over windows (and strands), summed in a strand-symmetric order."""
    m = -np.inf
    for p in range(P):
        if f[p] > m:
            m = f[p]
        if rc and r[p] > m:
            m = r[p]
    total = 0.0
    half = P // 2
    for p in range(half):
        q = P - 1 - p
        if rc:
            a = np.exp(f[p] - m) + np.exp(r[p] - m)
            b = np.exp(f[q] - m) + np.exp(r[q] - m)
        else:
            a = np.exp(f[p] - m)
            b = np.exp(f[q] - m)
        total += a + b
    if P % 2 == 1:
        if rc:
            total += np.exp(f[half] - m) + np.exp(r[half] - m)
        else:
            total += np.exp(f[half] - m)
    return m + np.log(total)


@njit(cache=True)
def _act(x, relu):
    if relu and x < 0.0:
        return 0.0
    return x


@njit(cache=True)
def _mean_pool(f, r, P, rc, b, relu):
    """Mean over windows (and strands) of act(score + b), summed in a strand-symmetric order."""
    total = 0.0
    half = P // 2
    for p in range(half):
        q = P - 1 - p
        if rc:
            a = _act(f[p] + b, relu) + _act(r[p] + b, relu)
            c = _act(f[q] + b, relu) + _act(r[q] + b, relu)
        else:
            a = _act(f[p] + b, relu)
            c = _act(f[q] + b, relu)
        total += a + c
    if P % 2 == 1:
        if rc:
            total += _act(f[half] + b, relu) + _act(r[half] + b, relu)
        else:
            total += _act(f[half] + b, relu)
    return total / (P * (2 if rc else 1))


@njit(cache=True)
def _first_max(v, P):
    """(max of v[:P], index of its first occurrence)."""
    best = -np.inf
    arg = 0
    for p in range(P):
        if v[p] > best:
            best = v[p]
            arg = p
    return best, arg


@njit(cache=True, parallel=True)
def conv_pool_forward(codes, offsets, batch, table, table_rc, bias, rc, relu, pooling, pooled, argmax):
    """Pooled filter activations of the sequences ``batch``.

    Parameters
    ----------
    codes : uint8 array, shape (total,)
    offsets : int64 array, shape (n_seqs + 1,)
    batch : int64 array, shape (nb,)
        Sequence indices to process.
    table, table_rc : float64 arrays, shape (K, w, n_codes)
    bias : float64 array, shape (K,)
        Filter biases (used inside the pooling by ``POOL_MEAN`` only).
    rc : bool
        Score the reverse strand too.
    relu : bool
        Per-window activation of ``POOL_MEAN`` (ReLU, else identity).
    pooling : int
        ``POOL_MAX``, ``POOL_LSE``, ``POOL_MEAN`` or ``POOL_MAX_STRANDS``.
    pooled : float64 array, shape (nb, K)
        Output. Max and log-sum-exp: the pooled raw window score (the caller adds the bias and
        applies the activation, which commute with these poolings). Mean: the mean of
        ``act(score + bias)``.
    argmax : int64 array, shape (nb, K)
        Output (max pooling): best window ``p`` (forward) or ``P + p`` (reverse);
        ``POOL_MAX_STRANDS``: ``p_forward * P + p_reverse``.
    """
    K, w = table.shape[0], table.shape[1]
    nb = batch.shape[0]
    for j in prange(nb):
        s = batch[j]
        start = offsets[s]
        P = offsets[s + 1] - start - w + 1
        f = np.empty(P)
        r = np.empty(P)
        for k in range(K):
            _window_scores(codes, start, P, w, table, table_rc, k, rc, f, r)
            if pooling == POOL_MAX:
                best, arg = _first_max(f, P)
                if rc:
                    br, ar = _first_max(r, P)
                    if br > best:  # ties go to the forward strand
                        best, arg = br, P + ar
                pooled[j, k] = best
                argmax[j, k] = arg
            elif pooling == POOL_MAX_STRANDS:
                bf, af = _first_max(f, P)
                br, ar = _first_max(r, P)
                pooled[j, k] = 0.5 * (bf + br)
                argmax[j, k] = af * P + ar
            elif pooling == POOL_LSE:
                pooled[j, k] = _lse_pool(f, r, P, rc)
                argmax[j, k] = -1
            else:
                pooled[j, k] = _mean_pool(f, r, P, rc, bias[k], relu)
                argmax[j, k] = -1


@njit(cache=True, parallel=True)
def conv_pool_backward(codes, offsets, batch, table, table_rc, bias, comp, rc, relu, pooling, pooled,
                       argmax, grad_pooled, grad_table, grad_bias):
    """Gradient of the loss with respect to the score tables and biases.

    ``pooled`` and ``argmax`` are the forward outputs; ``grad_pooled[j, k]`` is dLoss/d
    pooled[j, k]. Writes ``grad_table`` (K, w, n_codes): the sum, over every window and both
    strands where filter ``k`` was applied, of the window's weight in the pooled value times
    ``grad_pooled``; reverse-strand hits land on the complemented code (the shared parameters
    seen through the flip). ``grad_bias`` (K,): dLoss/d bias through the pooled value (for max
    and log-sum-exp simply the sum of ``grad_pooled``). Both are overwritten.
    """
    K, w = table.shape[0], table.shape[1]
    nb = batch.shape[0]
    for k in prange(K):
        for i in range(w):
            for c in range(grad_table.shape[2]):
                grad_table[k, i, c] = 0.0
        gb = 0.0
        for j in range(nb):
            g = grad_pooled[j, k]
            if g == 0.0:
                continue
            if pooling != POOL_MEAN:
                gb += g
            s = batch[j]
            start = offsets[s]
            P = offsets[s + 1] - start - w + 1
            if pooling == POOL_MAX:
                a = argmax[j, k]
                if a < P:
                    for i in range(w):
                        grad_table[k, i, codes[start + a + i]] += g
                else:
                    p = a - P
                    for i in range(w):
                        grad_table[k, i, comp[codes[start + p + w - 1 - i]]] += g
            elif pooling == POOL_MAX_STRANDS:
                pf = argmax[j, k] // P
                pr = argmax[j, k] - pf * P
                h = 0.5 * g
                for i in range(w):
                    grad_table[k, i, codes[start + pf + i]] += h
                for i in range(w):
                    grad_table[k, i, comp[codes[start + pr + w - 1 - i]]] += h
            elif pooling == POOL_MEAN:
                f = np.empty(P)
                r = np.empty(P)
                _window_scores(codes, start, P, w, table, table_rc, k, rc, f, r)
                wt = g / (P * (2 if rc else 1))
                for p in range(P):
                    if not relu or f[p] + bias[k] > 0.0:
                        gb += wt
                        for i in range(w):
                            grad_table[k, i, codes[start + p + i]] += wt
                if rc:
                    for p in range(P):
                        if not relu or r[p] + bias[k] > 0.0:
                            gb += wt
                            for i in range(w):
                                grad_table[k, i, comp[codes[start + p + w - 1 - i]]] += wt
            else:
                f = np.empty(P)
                r = np.empty(P)
                _window_scores(codes, start, P, w, table, table_rc, k, rc, f, r)
                lse = pooled[j, k]
                for p in range(P):
                    wt = g * np.exp(f[p] - lse)
                    for i in range(w):
                        grad_table[k, i, codes[start + p + i]] += wt
                if rc:
                    for p in range(P):
                        wt = g * np.exp(r[p] - lse)
                        for i in range(w):
                            grad_table[k, i, comp[codes[start + p + w - 1 - i]]] += wt
        grad_bias[k] = gb


@njit(cache=True)
def linear_out(h, a, a0):
    """Logits ``h @ a + a0``, shape (n,), each row summed in feature order.

    A fixed per-row order (rather than BLAS, whose blocking may treat rows differently) keeps
    the logits of a sequence and of its reverse complement bit-identical.
    """
    n, K = h.shape
    z = np.empty(n)
    for j in range(n):
        acc = 0.0
        for k in range(K):
            acc += h[j, k] * a[k]
        z[j] = acc + a0
    return z


@njit(cache=True)
def kmer_counts(codes, offsets, k, feature_of):
    """Sparse k-mer count rows (CSR) of every sequence.

    Parameters
    ----------
    codes : uint8 array, shape (total,)
    offsets : int64 array, shape (n + 1,)
    k : int
        k-mer length.
    feature_of : int64 array, shape (4**k,)
        Feature index of every k-mer (its base-4 number, first letter most significant); two
        k-mers sharing an index (a k-mer and its reverse complement) are counted together.

    Returns
    -------
    indptr : int64 array, shape (n + 1,)
    indices : int64 array, shape (nnz,)
        Feature indices of sequence ``s`` in ``indices[indptr[s]:indptr[s + 1]]``, increasing.
    values : float64 array, shape (nnz,)
        Their counts. Windows holding a code other than A, C, G, T are not counted.
    """
    n = offsets.size - 1
    total = 0
    longest = 0
    for s in range(n):
        P = offsets[s + 1] - offsets[s] - k + 1
        if P > 0:
            total += P
            if P > longest:
                longest = P
    ids = np.empty(longest, np.int64)
    indptr = np.zeros(n + 1, np.int64)
    indices = np.empty(total, np.int64)
    values = np.empty(total, np.float64)
    nnz = 0
    for s in range(n):
        start = offsets[s]
        P = offsets[s + 1] - start - k + 1
        m = 0
        for p in range(P):
            code = 0
            ok = True
            for i in range(k):
                c = codes[start + p + i]
                if c >= 4:
                    ok = False
                    break
                code = code * 4 + c
            if ok:
                ids[m] = feature_of[code]
                m += 1
        srt = np.sort(ids[:m])
        j = 0
        while j < m:
            v = srt[j]
            cnt = 0
            while j < m and srt[j] == v:
                cnt += 1
                j += 1
            indices[nnz] = v
            values[nnz] = cnt
            nnz += 1
        indptr[s + 1] = nnz
    return indptr, indices[:nnz].copy(), values[:nnz].copy()


@njit(cache=True)
def sparse_rows_dot(indptr, indices, values, batch, v, out):
    """``out[j] += sum_t values[t] * v[indices[t]]`` over the row of sequence ``batch[j]``.

    Each row is summed in increasing feature order, so two sequences with the same counts (a
    sequence and its reverse complement, for canonical k-mers) get bit-identical results.
    """
    for j in range(batch.shape[0]):
        s = batch[j]
        acc = 0.0
        for t in range(indptr[s], indptr[s + 1]):
            acc += values[t] * v[indices[t]]
        out[j] += acc


@njit(cache=True)
def sparse_rows_tdot(indptr, indices, values, batch, g, out):
    """``out = sum_j g[j] * row(batch[j])`` (the gradient of :func:`sparse_rows_dot`), overwritten.

    Serial, in batch order, so the result does not depend on the number of threads.
    """
    out[:] = 0.0
    for j in range(batch.shape[0]):
        s = batch[j]
        gj = g[j]
        if gj == 0.0:
            continue
        for t in range(indptr[s], indptr[s + 1]):
            out[indices[t]] += values[t] * gj
