"""Numba kernels of the discrete-emission HMM (:class:`pairhmm.TiedHMM`).

Plain functions on contiguous arrays, no validation (the public wrapper in :mod:`pairhmm.hmm` does
that). Conventions shared by every kernel:

- ``x`` : uint8, shape (n_total,), the concatenated sequences as emission *codes*;
  ``offsets`` : int64, shape (n_seq + 1,), sequence ``s`` is ``x[offsets[s]:offsets[s + 1]]``.
- ``emis`` : float64, shape (n_codes, K), ``emis[c, k]`` = P(code c | state k). For a canonical
  symbol this is the emission probability; for an ambiguity code it is the sum over the symbols the
  code may stand for (the exact marginal), so the kernels never see the alphabet.
- Forward/backward use per-position scaling (Rabiner): every forward row is normalised to sum 1 and
  the log-likelihood is the sum of the logs of the scale factors, so nothing underflows however long
  the sequence. Viterbi works in log space.
- Work over sequences runs in ``prange`` with one output buffer per sequence; sums over sequences
  are then taken serially in sequence order, so the parallel result is bit-identical to the serial
  one. Buffers are used in chunks of ``_CHUNK`` sequences to bound memory.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np
from numba import njit, prange

_CHUNK = 2048


_TINY = 1e-200


@njit(cache=True)
def _forward(x, lo, hi, start, trans, emis, alpha, scale):
    """Scaled forward pass of one sequence; fills ``alpha[:T]``/``scale[:T]``, returns log P.

    Returns -inf (and stops) at the first position whose probability is exactly 0. The log of the
    scale factors is taken on their running product, flushed before it can underflow (one ``log``
    per ~100 positions instead of one per position).
    """
    K = start.shape[0]
    T = hi - lo
    c = x[lo]
    s = 0.0
    for k in range(K):
        v = start[k] * emis[c, k]
        alpha[0, k] = v
        s += v
    if s <= 0.0:
        return -np.inf
    scale[0] = s
    inv = 1.0 / s
    for k in range(K):
        alpha[0, k] *= inv
    ll = np.log(s)
    prod = 1.0
    cur = np.empty(K)
    for t in range(1, T):
        c = x[lo + t]
        # loop over j innermost (no reduction in it), so LLVM vectorises without reassociating
        for j in range(K):
            cur[j] = 0.0
        for i in range(K):
            a = alpha[t - 1, i]
            for j in range(K):
                cur[j] += a * trans[i, j]
        s = 0.0
        for j in range(K):
            v = cur[j] * emis[c, j]
            alpha[t, j] = v
            s += v
        if s <= 0.0:
            return -np.inf
        scale[t] = s
        inv = 1.0 / s
        for j in range(K):
            alpha[t, j] *= inv
        if s < 1e-100:
            ll += np.log(s)
        else:
            prod *= s
            if prod < _TINY:
                ll += np.log(prod)
                prod = 1.0
    return ll + np.log(prod)


@njit(cache=True)
def _backward_posteriors(x, lo, hi, trans_t, emis, alpha, scale, post):
    """Backward pass of one sequence writing posteriors ``post[lo + t]`` (alpha * beta).

    ``trans_t`` is the transposed transition matrix (contiguous), so the inner loop runs over
    contiguous memory without a reduction.
    """
    K = trans_t.shape[0]
    T = hi - lo
    beta = np.ones(K)
    tmp = np.empty(K)
    t = T - 1
    for k in range(K):
        post[lo + t, k] = alpha[t, k]
    for t in range(T - 2, -1, -1):
        c1 = x[lo + t + 1]
        inv = 1.0 / scale[t + 1]
        for j in range(K):
            tmp[j] = emis[c1, j] * beta[j] * inv
            beta[j] = 0.0
        for j in range(K):
            b = tmp[j]
            for i in range(K):
                beta[i] += trans_t[j, i] * b
        for i in range(K):
            post[lo + t, i] = alpha[t, i] * beta[i]


@njit(cache=True)
def _backward_counts(x, lo, hi, trans_t, emis, alpha, scale, start_c, trans_c, code_c):
    """Backward pass of one sequence fused with the expected counts (added to the buffers).

    ``trans_c[i, j]`` receives ``sum_t alpha_t(i) * b_j(x_t+1) * beta_t+1(j) / c_t+1``; the caller
    multiplies by ``trans[i, j]`` once at the end (one multiply per entry instead of per position).
    """
    K = trans_t.shape[0]
    T = hi - lo
    beta = np.ones(K)
    tmp = np.empty(K)
    t = T - 1
    c = x[lo + t]
    for k in range(K):
        code_c[c, k] += alpha[t, k]
    for t in range(T - 2, -1, -1):
        c1 = x[lo + t + 1]
        inv = 1.0 / scale[t + 1]
        for j in range(K):
            tmp[j] = emis[c1, j] * beta[j] * inv
            beta[j] = 0.0
        for j in range(K):
            b = tmp[j]
            for i in range(K):
                beta[i] += trans_t[j, i] * b
        for i in range(K):
            a = alpha[t, i]
            for j in range(K):
                trans_c[i, j] += a * tmp[j]
        c = x[lo + t]
        for i in range(K):
            code_c[c, i] += alpha[t, i] * beta[i]
    for k in range(K):
        start_c[k] += alpha[0, k] * beta[k]


# ---------------------------------------------------------------------------- one sequence
@njit(cache=True)
def _seq_counts(x, lo, hi, start, trans, trans_t, emis, start_c, trans_c, code_c):
    """Forward-backward of one sequence; expected counts added to the buffers; returns log P.

    ``trans_c`` receives the xi sums *without* the factor ``trans[i, j]`` (see _backward_counts).
    """
    T = hi - lo
    K = start.shape[0]
    alpha = np.empty((T, K))
    scale = np.empty(T)
    ll = _forward(x, lo, hi, start, trans, emis, alpha, scale)
    if ll > -np.inf:
        _backward_counts(x, lo, hi, trans_t, emis, alpha, scale, start_c, trans_c, code_c)
    return ll


@njit(cache=True)
def _seq_posteriors(x, lo, hi, start, trans, trans_t, emis, post):
    """Posteriors of one sequence into ``post[lo:hi]`` (NaN if impossible); returns log P."""
    T = hi - lo
    K = start.shape[0]
    alpha = np.empty((T, K))
    scale = np.empty(T)
    ll = _forward(x, lo, hi, start, trans, emis, alpha, scale)
    if ll > -np.inf:
        _backward_posteriors(x, lo, hi, trans_t, emis, alpha, scale, post)
    else:
        post[lo:hi, :] = np.nan
    return ll


@njit(cache=True)
def _seq_loglik(x, lo, hi, start, trans, emis):
    """log P of one sequence in O(K) memory: the same arithmetic as _forward (same result)."""
    K = start.shape[0]
    alpha = np.empty((2, K))
    c = x[lo]
    s = 0.0
    for k in range(K):
        v = start[k] * emis[c, k]
        alpha[0, k] = v
        s += v
    if s <= 0.0:
        return -np.inf
    inv = 1.0 / s
    for k in range(K):
        alpha[0, k] *= inv
    ll = np.log(s)
    prod = 1.0
    cur = np.empty(K)
    r = 0
    for t in range(lo + 1, hi):
        c = x[t]
        for j in range(K):
            cur[j] = 0.0
        for i in range(K):
            a = alpha[r, i]
            for j in range(K):
                cur[j] += a * trans[i, j]
        r = 1 - r
        s = 0.0
        for j in range(K):
            v = cur[j] * emis[c, j]
            alpha[r, j] = v
            s += v
        if s <= 0.0:
            return -np.inf
        inv = 1.0 / s
        for j in range(K):
            alpha[r, j] *= inv
        if s < 1e-100:
            ll += np.log(s)
        else:
            prod *= s
            if prod < _TINY:
                ll += np.log(prod)
                prod = 1.0
    return ll + np.log(prod)


@njit(cache=True)
def _seq_viterbi(x, lo, hi, log_start, log_trans, log_emis, path):
    """Viterbi path of one sequence into ``path[lo:hi]``; returns its log joint probability."""
    K = log_start.shape[0]
    T = hi - lo
    back = np.empty((T, K), dtype=np.int32)
    d = np.empty(K)
    nd = np.empty(K)
    c = x[lo]
    for k in range(K):
        d[k] = log_start[k] + log_emis[c, k]
    for t in range(1, T):
        c = x[lo + t]
        for j in range(K):
            best = -np.inf
            arg = 0
            for i in range(K):
                v = d[i] + log_trans[i, j]
                if v > best:
                    best = v
                    arg = i
            nd[j] = best + log_emis[c, j]
            back[t, j] = arg
        for j in range(K):
            d[j] = nd[j]
    best = -np.inf
    arg = 0
    for k in range(K):
        if d[k] > best:
            best = d[k]
            arg = k
    path[hi - 1] = arg
    for t in range(T - 1, 0, -1):
        arg = back[t, arg]
        path[lo + t - 1] = arg
    return best


# ---------------------------------------------------------------------------- drivers
# Each kernel has a parallel driver (prange over sequences) and a serial one with the same
# arithmetic, for small inputs: waking a thread pool costs more than it saves on a few short
# sequences (and a lot on a busy machine). Both give bit-identical results.

@njit(cache=True, parallel=True)
def estep(x, offsets, start, trans, emis):
    """Expected counts over all sequences (one Baum-Welch E-step), sequences in parallel.

    Returns
    -------
    loglik : float64, shape (n_seq,)
        Log-likelihood of each sequence (-inf if impossible; it then adds no counts).
    start_c : float64, shape (K,)
    trans_c : float64, shape (K, K)
    code_c : float64, shape (n_codes, K)
        Posterior occupancy summed per (emission code, state).
    """
    K = start.shape[0]
    n_codes = emis.shape[0]
    n_seq = offsets.shape[0] - 1
    loglik = np.empty(n_seq)
    start_c = np.zeros(K)
    trans_c = np.zeros((K, K))
    code_c = np.zeros((n_codes, K))
    trans_t = np.ascontiguousarray(trans.T)
    chunk = min(_CHUNK, n_seq)
    b_start = np.empty((chunk, K))
    b_trans = np.empty((chunk, K, K))
    b_code = np.empty((chunk, n_codes, K))
    for c0 in range(0, n_seq, chunk):
        c1 = min(c0 + chunk, n_seq)
        for b in prange(c1 - c0):
            b_start[b, :] = 0.0
            b_trans[b, :, :] = 0.0
            b_code[b, :, :] = 0.0
            loglik[c0 + b] = _seq_counts(x, offsets[c0 + b], offsets[c0 + b + 1], start, trans,
                                         trans_t, emis, b_start[b], b_trans[b], b_code[b])
        # serial reduction in sequence order: identical to a serial run
        for b in range(c1 - c0):
            start_c += b_start[b]
            trans_c += b_trans[b]
            code_c += b_code[b]
    trans_c *= trans
    return loglik, start_c, trans_c, code_c


@njit(cache=True)
def estep_serial(x, offsets, start, trans, emis):
    """:func:`estep` on one thread (same per-sequence buffers and summation order)."""
    K = start.shape[0]
    n_codes = emis.shape[0]
    n_seq = offsets.shape[0] - 1
    loglik = np.empty(n_seq)
    start_c = np.zeros(K)
    trans_c = np.zeros((K, K))
    code_c = np.zeros((n_codes, K))
    trans_t = np.ascontiguousarray(trans.T)
    b_start = np.empty(K)
    b_trans = np.empty((K, K))
    b_code = np.empty((n_codes, K))
    for s in range(n_seq):
        b_start[:] = 0.0
        b_trans[:, :] = 0.0
        b_code[:, :] = 0.0
        loglik[s] = _seq_counts(x, offsets[s], offsets[s + 1], start, trans, trans_t, emis,
                                b_start, b_trans, b_code)
        start_c += b_start
        trans_c += b_trans
        code_c += b_code
    trans_c *= trans
    return loglik, start_c, trans_c, code_c


@njit(cache=True, parallel=True)
def posteriors(x, offsets, start, trans, emis):
    """Posterior state probabilities, shape (n_total, K), and log-likelihoods, shape (n_seq,).

    Rows of an impossible sequence (log-likelihood -inf) are NaN.
    """
    n_seq = offsets.shape[0] - 1
    post = np.empty((x.shape[0], start.shape[0]))
    loglik = np.empty(n_seq)
    trans_t = np.ascontiguousarray(trans.T)
    for s in prange(n_seq):
        loglik[s] = _seq_posteriors(x, offsets[s], offsets[s + 1], start, trans, trans_t, emis, post)
    return loglik, post


@njit(cache=True)
def posteriors_serial(x, offsets, start, trans, emis):
    """:func:`posteriors` on one thread."""
    n_seq = offsets.shape[0] - 1
    post = np.empty((x.shape[0], start.shape[0]))
    loglik = np.empty(n_seq)
    trans_t = np.ascontiguousarray(trans.T)
    for s in range(n_seq):
        loglik[s] = _seq_posteriors(x, offsets[s], offsets[s + 1], start, trans, trans_t, emis, post)
    return loglik, post


@njit(cache=True, parallel=True)
def loglik(x, offsets, start, trans, emis):
    """Log-likelihood of each sequence, shape (n_seq,), by the scaled forward pass (O(K) memory)."""
    n_seq = offsets.shape[0] - 1
    out = np.empty(n_seq)
    for s in prange(n_seq):
        out[s] = _seq_loglik(x, offsets[s], offsets[s + 1], start, trans, emis)
    return out


@njit(cache=True)
def loglik_serial(x, offsets, start, trans, emis):
    """:func:`loglik` on one thread."""
    n_seq = offsets.shape[0] - 1
    out = np.empty(n_seq)
    for s in range(n_seq):
        out[s] = _seq_loglik(x, offsets[s], offsets[s + 1], start, trans, emis)
    return out


@njit(cache=True, parallel=True)
def viterbi(x, offsets, log_start, log_trans, log_emis):
    """Most probable state path of each sequence, in log space.

    Returns
    -------
    path : int64, shape (n_total,)
    logprob : float64, shape (n_seq,)
        Log joint probability of each sequence with its path (-inf if impossible).
    Ties go to the lowest state index.
    """
    n_seq = offsets.shape[0] - 1
    path = np.empty(x.shape[0], dtype=np.int64)
    logprob = np.empty(n_seq)
    for s in prange(n_seq):
        logprob[s] = _seq_viterbi(x, offsets[s], offsets[s + 1], log_start, log_trans, log_emis,
                                  path)
    return path, logprob


@njit(cache=True)
def viterbi_serial(x, offsets, log_start, log_trans, log_emis):
    """:func:`viterbi` on one thread."""
    n_seq = offsets.shape[0] - 1
    path = np.empty(x.shape[0], dtype=np.int64)
    logprob = np.empty(n_seq)
    for s in range(n_seq):
        logprob[s] = _seq_viterbi(x, offsets[s], offsets[s + 1], log_start, log_trans, log_emis,
                                  path)
    return path, logprob


#: inputs with fewer symbols than this (or a single sequence) use the serial drivers
PARALLEL_MIN_SYMBOLS = 100_000


class Drivers(NamedTuple):
    """One set of drivers: every kernel of this module over many sequences."""

    estep: Callable
    posteriors: Callable
    loglik: Callable
    viterbi: Callable


#: the parallel drivers (prange over sequences) and their one-thread twins
PARALLEL = Drivers(estep, posteriors, loglik, viterbi)
SERIAL = Drivers(estep_serial, posteriors_serial, loglik_serial, viterbi_serial)


def drivers(offsets):
    """:data:`PARALLEL` for many sequences with enough symbols, else :data:`SERIAL` (the same
    results: waking a thread pool costs more than it saves on a few short sequences)."""
    n_seq = offsets.shape[0] - 1
    if n_seq > 1 and offsets[-1] >= PARALLEL_MIN_SYMBOLS:
        return PARALLEL
    return SERIAL


@njit(cache=True)
def sample(start_cdf, trans_cdf, emis_cdf, u):
    """Sample a state path and symbols by inverse CDF from uniforms ``u``, shape (n, 2).

    Returns (symbols int64 (n,), states int64 (n,)).
    """
    n = u.shape[0]
    K = start_cdf.shape[0]
    M = emis_cdf.shape[1]
    states = np.empty(n, dtype=np.int64)
    symbols = np.empty(n, dtype=np.int64)
    st = 0
    for t in range(n):
        r = u[t, 0]
        if t == 0:
            st = K - 1
            for k in range(K):
                if r < start_cdf[k]:
                    st = k
                    break
        else:
            prev = st
            st = K - 1
            for k in range(K):
                if r < trans_cdf[prev, k]:
                    st = k
                    break
        states[t] = st
        r = u[t, 1]
        sym = M - 1
        for a in range(M):
            if r < emis_cdf[st, a]:
                sym = a
                break
        symbols[t] = sym
    return symbols, states
