"""Numba kernels of the shared-weight motif CNN (:class:`pairhmm.motif.MotifCNN`).

Sequences arrive as one flat ``uint8`` code array plus offsets (a ragged batch: sequence ``s`` is
``codes[offsets[s]:offsets[s + 1]]``), so sequences of different lengths need no padding. The
filters are given as a lookup table ``table[i, c, k]`` = score of code ``c`` at position ``i`` of
filter ``k`` (the weights times the code's soft one-hot column, computed once per step by the
wrapper), and ``table_rc[i, c, k] = table[i, complement(c), k]`` for the reverse strand. The
filter index is the last, contiguous axis: every inner loop runs over all ``K`` filters at once
(one table row added to one row of window scores), which LLVM vectorises without reordering any
sum (no ``fastmath``).

Window ``p`` of a sequence ``x`` scores, for every filter ``k``,

* forward: ``sum_i table[i, x[p + i], k]``
* reverse: ``sum_i table_rc[i, x[p + w - 1 - i], k]`` (the filter flipped and complemented),

both summed in increasing filter position ``i``, so the reverse score of window ``p`` of ``x`` is
bit-for-bit the forward score of window ``P-1-p`` of ``revcomp(x)``. Pooling over windows and
strands uses only order-free operations (max) or sums that pair window ``p`` with ``P-1-p``
(log-sum-exp, mean), so a sequence and its reverse complement give identical pooled values.

Parallel work: the forward pass runs ``prange`` over sequences (each writes its own output row).
The backward pass cuts the batch into fixed chunks of ``CHUNK`` sequences, runs ``prange`` over
the chunks (each sums its sequences' gradients, in order, into its own buffer) and adds the chunk
buffers in chunk order. The chunks do not depend on the number of threads, so neither do the
results.
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

#: sequences per gradient buffer of the backward pass (fixed: results must not depend on threads)
CHUNK = 16


#: filter positions per block of the score tables (64 ACGT triplets per block)
BLOCK = 3


@njit(cache=True)
def _block_table(table):
    """``out[b, u, k]`` = ``table[lo, u_0, k] + table[lo + 1, u_1, k] + ...`` (summed in
    increasing position) for block ``b`` (filter positions ``lo = BLOCK * b`` onwards; the last
    block may be shorter) and every ACGT q-mer ``u`` (base-4 number, first letter most
    significant), shape (n_blocks, 4**BLOCK, K)."""
    w, K = table.shape[0], table.shape[2]
    nbk = (w + BLOCK - 1) // BLOCK
    out = np.zeros((nbk, 4 ** BLOCK, K))
    digits = np.empty(BLOCK, np.int64)
    for b in range(nbk):
        lo = b * BLOCK
        q = min(BLOCK, w - lo)
        for u in range(4 ** q):
            v = u
            for d in range(q - 1, -1, -1):
                digits[d] = v % 4
                v //= 4
            for k in range(K):
                out[b, u, k] = table[lo, digits[0], k]
            for d in range(1, q):
                for k in range(K):
                    out[b, u, k] += table[lo + d, digits[d], k]
    return out


@njit(cache=True)
def _block_code(codes, t, step, q):
    """Base-4 number of the q-mer ``codes[t], codes[t + step], ...``; -1 if it holds a code >= 4."""
    u = 0
    for d in range(q):
        c = codes[t + d * step]
        if c >= 4:
            return -1
        u = u * 4 + c
    return u


@njit(cache=True)
def _block_slow(table, codes, t, step, lo, q, out):
    """``out[:]`` = the block's score summed from ``table`` (a block holding an ambiguity code),
    in the order :func:`_block_table` sums, so the bits are those a table row would have."""
    K = out.shape[0]
    c = codes[t]
    for k in range(K):
        out[k] = table[lo, c, k]
    for d in range(1, q):
        c = codes[t + d * step]
        for k in range(K):
            out[k] += table[lo + d, c, k]


@njit(cache=True)
def _strand_scores(codes, start, P, table, blocks, step, F):
    """``F[p, :]``: scores of every window ``p < P`` on one strand, as block sums added in
    increasing filter position. Forward: ``step = 1``, block ``b`` reads ``codes[start + p +
    BLOCK b ...]`` onwards; reverse: ``step = -1``, ``table`` and ``blocks`` of the flipped and
    complemented filter, block ``b`` reads backwards from ``codes[start + p + w - 1 - BLOCK b]``."""
    w, K = table.shape[0], table.shape[2]
    nbk = blocks.shape[0]
    tmp = np.empty(K)
    for p in range(P):
        for b in range(nbk):
            lo = b * BLOCK
            q = min(BLOCK, w - lo)
            t = start + p + lo if step == 1 else start + p + w - 1 - lo
            u = _block_code(codes, t, step, q)
            if u >= 0:
                if b == 0:
                    for k in range(K):
                        F[p, k] = blocks[b, u, k]
                else:
                    for k in range(K):
                        F[p, k] += blocks[b, u, k]
            else:
                _block_slow(table, codes, t, step, lo, q, tmp)
                if b == 0:
                    for k in range(K):
                        F[p, k] = tmp[k]
                else:
                    for k in range(K):
                        F[p, k] += tmp[k]


@njit(cache=True)
def _window_scores(codes, start, P, table, table_rc, blocks, blocks_rc, rc, F, R):
    """``F[p, k]`` (forward) and, if ``rc``, ``R[p, k]`` (reverse): raw scores of every window
    ``p < P`` and filter ``k``, as block sums (:func:`_block_table`) added in increasing filter
    position. ``blocks_rc`` is the block table of ``table_rc``."""
    _strand_scores(codes, start, P, table, blocks, 1, F)
    if rc:
        _strand_scores(codes, start, P, table_rc, blocks_rc, -1, R)


@njit(cache=True)
def _first_max(V, P, best, arg):
    """Per column ``k``: ``best[k]`` = max of ``V[:P, k]``, ``arg[k]`` = its first row."""
    K = V.shape[1]
    for k in range(K):
        best[k] = -np.inf
        arg[k] = 0
    for p in range(P):
        for k in range(K):  # branch-free, so that LLVM vectorises it
            v = V[p, k]
            b = best[k]
            gt = v > b
            best[k] = v if gt else b
            arg[k] = p if gt else arg[k]


@njit(cache=True)
def _lse_pool(F, R, P, rc, out):
    """Log-sum-exp over windows (and strands) per filter, summed in a strand-symmetric order."""
    K = F.shape[1]
    m = np.full(K, -np.inf)
    for p in range(P):
        for k in range(K):
            if F[p, k] > m[k]:
                m[k] = F[p, k]
            if rc and R[p, k] > m[k]:
                m[k] = R[p, k]
    total = np.zeros(K)
    half = P // 2
    for p in range(half):
        q = P - 1 - p
        for k in range(K):
            if rc:
                a = np.exp(F[p, k] - m[k]) + np.exp(R[p, k] - m[k])
                b = np.exp(F[q, k] - m[k]) + np.exp(R[q, k] - m[k])
            else:
                a = np.exp(F[p, k] - m[k])
                b = np.exp(F[q, k] - m[k])
            total[k] += a + b
    if P % 2 == 1:
        for k in range(K):
            if rc:
                total[k] += np.exp(F[half, k] - m[k]) + np.exp(R[half, k] - m[k])
            else:
                total[k] += np.exp(F[half, k] - m[k])
    for k in range(K):
        out[k] = m[k] + np.log(total[k])


@njit(cache=True)
def _act(x, relu):
    if relu and x < 0.0:
        return 0.0
    return x


@njit(cache=True)
def _mean_pool(F, R, P, rc, bias, relu, out):
    """Mean over windows (and strands) of act(score + bias), summed in a strand-symmetric order."""
    K = F.shape[1]
    total = np.zeros(K)
    half = P // 2
    for p in range(half):
        q = P - 1 - p
        for k in range(K):
            b = bias[k]
            if rc:
                a = _act(F[p, k] + b, relu) + _act(R[p, k] + b, relu)
                c = _act(F[q, k] + b, relu) + _act(R[q, k] + b, relu)
            else:
                a = _act(F[p, k] + b, relu)
                c = _act(F[q, k] + b, relu)
            total[k] += a + c
    if P % 2 == 1:
        for k in range(K):
            b = bias[k]
            if rc:
                total[k] += _act(F[half, k] + b, relu) + _act(R[half, k] + b, relu)
            else:
                total[k] += _act(F[half, k] + b, relu)
    d = P * (2 if rc else 1)
    for k in range(K):
        out[k] = total[k] / d


@njit(cache=True, parallel=True)
def conv_pool_forward(codes, offsets, batch, table, table_rc, bias, rc, relu, pooling, pooled, argmax):
    """Pooled filter activations of the sequences ``batch``.

    Parameters
    ----------
    codes : uint8 array, shape (total,)
    offsets : int64 array, shape (n_seqs + 1,)
    batch : int64 array, shape (nb,)
        Sequence indices to process.
    table, table_rc : float64 arrays, shape (w, n_codes, K)
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
        ``POOL_MAX_STRANDS``: ``p_forward * P + p_reverse``; else -1.
    """
    w, K = table.shape[0], table.shape[2]
    nb = batch.shape[0]
    blocks, blocks_rc = _block_table(table), _block_table(table_rc)
    for j in prange(nb):
        s = batch[j]
        start = offsets[s]
        P = offsets[s + 1] - start - w + 1
        F = np.empty((P, K))
        R = np.empty((P if rc else 0, K))
        _window_scores(codes, start, P, table, table_rc, blocks, blocks_rc, rc, F, R)
        if pooling == POOL_MAX or pooling == POOL_MAX_STRANDS:
            bf = np.empty(K)
            af = np.empty(K, np.int64)
            _first_max(F, P, bf, af)
            if rc:
                br = np.empty(K)
                ar = np.empty(K, np.int64)
                _first_max(R, P, br, ar)
                for k in range(K):
                    if pooling == POOL_MAX_STRANDS:
                        pooled[j, k] = 0.5 * (bf[k] + br[k])
                        argmax[j, k] = af[k] * P + ar[k]
                    elif br[k] > bf[k]:  # ties go to the forward strand
                        pooled[j, k] = br[k]
                        argmax[j, k] = P + ar[k]
                    else:
                        pooled[j, k] = bf[k]
                        argmax[j, k] = af[k]
            else:
                for k in range(K):
                    pooled[j, k] = bf[k]
                    argmax[j, k] = af[k]
        else:
            if pooling == POOL_LSE:
                _lse_pool(F, R, P, rc, pooled[j])
            else:
                _mean_pool(F, R, P, rc, bias, relu, pooled[j])
            for k in range(K):
                argmax[j, k] = -1


@njit(cache=True)
def _add_window(G, codes, start, p, w, coef):
    """``G[i, x[p + i], :] += coef`` for every filter position ``i`` (forward-strand window)."""
    K = G.shape[2]
    for i in range(w):
        c = codes[start + p + i]
        for k in range(K):
            G[i, c, k] += coef[k]


@njit(cache=True)
def _add_window_rc(G, codes, comp, start, p, w, coef):
    """Reverse-strand window ``p``: position ``i`` of the filter sees the complement of
    ``x[p + w - 1 - i]``."""
    K = G.shape[2]
    for i in range(w):
        c = comp[codes[start + p + w - 1 - i]]
        for k in range(K):
            G[i, c, k] += coef[k]


@njit(cache=True, parallel=True)
def conv_pool_backward(codes, offsets, batch, table, table_rc, bias, comp, rc, relu, pooling, pooled,
                       argmax, grad_pooled, grad_table, grad_bias):
    """Gradient of the loss with respect to the score tables and biases.

    ``pooled`` and ``argmax`` are the forward outputs; ``grad_pooled[j, k]`` is dLoss/d
    pooled[j, k]. Writes ``grad_table`` (w, n_codes, K): the sum, over every window and both
    strands where filter ``k`` was applied, of the window's weight in the pooled value times
    ``grad_pooled``; reverse-strand hits land on the complemented code (the shared parameters
    seen through the flip). ``grad_bias`` (K,): dLoss/d bias through the pooled value (for max
    and log-sum-exp simply the sum of ``grad_pooled``). Both are overwritten.
    """
    w, nc, K = table.shape[0], table.shape[1], table.shape[2]
    nb = batch.shape[0]
    nch = (nb + CHUNK - 1) // CHUNK
    gt = np.zeros((nch, w, nc, K))
    gbs = np.zeros((nch, K))
    if pooling == POOL_LSE or pooling == POOL_MEAN:
        blocks, blocks_rc = _block_table(table), _block_table(table_rc)
    else:  # max poolings need no window scores
        blocks = np.zeros((0, 0, K))
        blocks_rc = blocks
    for ch in prange(nch):
        G = gt[ch]
        gb = gbs[ch]
        coef = np.empty(K)
        for j in range(ch * CHUNK, min(nb, (ch + 1) * CHUNK)):
            s = batch[j]
            start = offsets[s]
            P = offsets[s + 1] - start - w + 1
            if pooling == POOL_MAX or pooling == POOL_MAX_STRANDS:
                for k in range(K):
                    g = grad_pooled[j, k]
                    if g == 0.0:
                        continue
                    gb[k] += g
                    a = argmax[j, k]
                    if pooling == POOL_MAX_STRANDS:
                        pf = a // P
                        pr = a - pf * P
                        h = 0.5 * g
                        for i in range(w):
                            G[i, codes[start + pf + i], k] += h
                        for i in range(w):
                            G[i, comp[codes[start + pr + w - 1 - i]], k] += h
                    elif a < P:
                        for i in range(w):
                            G[i, codes[start + a + i], k] += g
                    else:
                        p = a - P
                        for i in range(w):
                            G[i, comp[codes[start + p + w - 1 - i]], k] += g
                continue
            F = np.empty((P, K))
            R = np.empty((P if rc else 0, K))
            _window_scores(codes, start, P, table, table_rc, blocks, blocks_rc, rc, F, R)
            if pooling == POOL_MEAN:
                d = P * (2 if rc else 1)
                for p in range(P):
                    for k in range(K):
                        wt = grad_pooled[j, k] / d
                        coef[k] = wt if (not relu or F[p, k] + bias[k] > 0.0) else 0.0
                        gb[k] += coef[k]
                    _add_window(G, codes, start, p, w, coef)
                if rc:
                    for p in range(P):
                        for k in range(K):
                            wt = grad_pooled[j, k] / d
                            coef[k] = wt if (not relu or R[p, k] + bias[k] > 0.0) else 0.0
                            gb[k] += coef[k]
                        _add_window_rc(G, codes, comp, start, p, w, coef)
            else:  # log-sum-exp: softmax weights of the windows
                for k in range(K):
                    gb[k] += grad_pooled[j, k]
                for p in range(P):
                    for k in range(K):
                        coef[k] = grad_pooled[j, k] * np.exp(F[p, k] - pooled[j, k])
                    _add_window(G, codes, start, p, w, coef)
                if rc:
                    for p in range(P):
                        for k in range(K):
                            coef[k] = grad_pooled[j, k] * np.exp(R[p, k] - pooled[j, k])
                        _add_window_rc(G, codes, comp, start, p, w, coef)
    for i in range(w):
        for c in range(nc):
            for k in range(K):
                grad_table[i, c, k] = 0.0
    for k in range(K):
        grad_bias[k] = 0.0
    for ch in range(nch):
        for i in range(w):
            for c in range(nc):
                for k in range(K):
                    grad_table[i, c, k] += gt[ch, i, c, k]
        for k in range(K):
            grad_bias[k] += gbs[ch, k]


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
