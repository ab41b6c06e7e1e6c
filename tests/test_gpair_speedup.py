"""The general state-graph kernels on arbitrary graphs: against brute force over every state path
of random small graphs (including cycles among y-insert states, which take the kernels'
column-by-column path), and their E-step against sums over the full forward and backward
matrices (the checkpointed segments) and against counting identities on a long pair."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pairhmm import PairHMM
from pairhmm._kernels import gpair
from pairhmm._kernels.bundles import GraphArrays, GraphCounts, GraphLogProbs, GraphProbs
from pairhmm._kernels.pair import BLOCK
from pairhmm.variants import _adjacency

C = 4  # alphabet size of the random graphs
R = 2  # insert emission rows


def random_graph(rng: np.random.Generator, y_cycle: bool):
    """kind, erow, T (S+1, S+1; row S = Begin, column S zero), end, em (C, C), q (R, C)."""
    S = int(rng.integers(2, 6))
    kind = rng.integers(0, 3, S)
    kind[0] = 0
    if y_cycle:
        kind[1] = kind[2 % S] = 2
    erow = rng.integers(0, R, S)
    T = rng.random((S + 1, S + 1)) * (rng.random((S + 1, S + 1)) < 0.6)
    T[:, S] = 0.0
    T[S, 0] = max(T[S, 0], 0.3)
    if y_cycle and S > 2:
        T[1, 2] = max(T[1, 2], 0.2)
        T[2, 1] = max(T[2, 1], 0.2)
    end = rng.random(S) * (rng.random(S) < 0.7)
    end[0] = max(end[0], 0.1)
    end[T[:S].sum(axis=1) + end == 0] = 1.0
    tot = T[:S].sum(axis=1) + end
    T[:S] /= tot[:, None]
    end /= tot
    T[S] /= T[S].sum()
    em = rng.dirichlet(np.ones(C * C)).reshape(C, C)
    q = rng.dirichlet(np.ones(C), size=R)
    return kind.astype(np.int64), erow.astype(np.int64), T, end, em, q


def brute_force(kind, erow, T, end, em, q, x, y):
    """Total and best path probability, posterior match matrix, expected transition, end,
    match-emission and insert-emission counts, by enumerating every state path."""
    S = kind.size
    n, m = len(x), len(y)
    out = dict(total=0.0, best=0.0, post=np.zeros((n, m)), T=np.zeros_like(T), end=np.zeros(S),
               em=np.zeros_like(em), q=np.zeros_like(q))

    def rec(state, i, j, p, steps):
        if i == n and j == m and state < S and end[state] > 0:
            w = p * end[state]
            out["total"] += w
            out["best"] = max(out["best"], w)
            out["end"][state] += w
            for (a, s, ii, jj) in steps:
                out["T"][a, s] += w
                if kind[s] == 0:
                    out["post"][ii, jj] += w
                    out["em"][x[ii], y[jj]] += w
                elif kind[s] == 1:
                    out["q"][erow[s], x[ii]] += w
                else:
                    out["q"][erow[s], y[jj]] += w
        for s in range(S):
            t = T[state, s]
            k = kind[s]
            if t <= 0 or (k == 0 and (i >= n or j >= m)) or (k == 1 and i >= n) or (k == 2 and j >= m):
                continue
            e = em[x[i], y[j]] if k == 0 else q[erow[s], x[i]] if k == 1 else q[erow[s], y[j]]
            i2, j2 = i + (k != 2), j + (k != 1)
            rec(s, i2, j2, p * t * e, steps + [(state, s, i, j)])

    rec(S, 0, 0, 1.0, [])
    Z = out["total"]
    if Z > 0:
        for key in ("post", "T", "end", "em", "q"):
            out[key] = out[key] / Z
    return out


def kernel_args(kind, erow, T, end, em, q):
    pred, npred = _adjacency(T.T)
    succ, nsucc = _adjacency(T)
    return pred, npred, succ, nsucc


# the kernels take argument bundles; these spell them out from the arrays the tests build
def g_forward(x, y, kind, erow, em, q, T, end, pred, npred):
    return gpair.g_forward(x, y, GraphArrays(kind, erow, pred, npred, pred, npred),
                           GraphProbs(em, q, T, end))


def g_forward_logprob(x, y, kind, erow, em, q, T, end, pred, npred):
    return gpair.g_forward_logprob(x, y, GraphArrays(kind, erow, pred, npred, pred, npred),
                                   GraphProbs(em, q, T, end))


def g_backward(x, y, kind, erow, em, q, T, end, succ, nsucc):
    pred, npred = _adjacency(T.T)
    return gpair.g_backward(x, y, GraphArrays(kind, erow, pred, npred, succ, nsucc),
                            GraphProbs(em, q, T, end))


def g_posterior(x, y, kind, erow, em, q, T, end, pred, npred, succ, nsucc):
    return gpair.g_posterior(x, y, GraphArrays(kind, erow, pred, npred, succ, nsucc),
                             GraphProbs(em, q, T, end))


def g_viterbi(x, y, kind, erow, lem, lq, lT, lend, pred, npred):
    return gpair.g_viterbi(x, y, GraphArrays(kind, erow, pred, npred, pred, npred),
                           GraphLogProbs(lem, lq, lT, lend))


def g_viterbi_score(x, y, kind, erow, lem, lq, lT, lend, pred, npred):
    return gpair.g_viterbi_score(x, y, GraphArrays(kind, erow, pred, npred, pred, npred),
                                 GraphLogProbs(lem, lq, lT, lend))


def run_counts(x, y, kind, erow, T, end, em, q, pred, npred, succ, nsucc, full_cells=None):
    """g_counts, or with ``full_cells`` g_counts_limited with that limit on the forward
    matrices kept whole (0: always by checkpoints)."""
    S1 = T.shape[0]
    o = GraphCounts(np.zeros((S1, S1)), np.zeros(S1 - 1), np.zeros(em.shape), np.zeros(q.shape))
    a = (x, y, GraphArrays(kind, erow, pred, npred, succ, nsucc), GraphProbs(em, q, T, end), o)
    lp = gpair.g_counts(*a) if full_cells is None else gpair.g_counts_limited(*a, full_cells)
    return lp, list(o)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), y_cycle=st.booleans())
def test_random_graphs_equal_brute_force(seed, y_cycle):
    rng = np.random.default_rng(seed)
    kind, erow, T, end, em, q = random_graph(rng, y_cycle)
    pred, npred, succ, nsucc = kernel_args(kind, erow, T, end, em, q)
    n, m = (int(v) for v in rng.integers(0, 4, 2))
    x = rng.integers(0, C, n).astype(np.uint8)
    y = rng.integers(0, C, m).astype(np.uint8)
    ref = brute_force(kind, erow, T, end, em, q, x, y)
    fargs = (x, y, kind, erow, em, q, T, end, pred, npred)
    _, _, lp = g_forward(*fargs)
    if ref["total"] == 0.0:
        assert lp == -np.inf and g_forward_logprob(*fargs) == -np.inf
        return
    assert lp == pytest.approx(math.log(ref["total"]), rel=1e-12, abs=1e-12)
    assert g_forward_logprob(*fargs) == lp
    B, SB = g_backward(x, y, kind, erow, em, q, T, end, succ, nsucc)
    S = kind.size
    assert math.log(B[S, 0, 0]) + SB[0, 0] * math.log(2) == pytest.approx(lp, rel=1e-12, abs=1e-12)
    P, lp2 = g_posterior(*fargs, succ, nsucc)
    assert lp2 == lp
    np.testing.assert_allclose(P, ref["post"], rtol=1e-10, atol=1e-13)
    for full_cells in (None, 0):
        lp3, (cT, cE, cM, cQ) = run_counts(x, y, kind, erow, T, end, em, q, pred, npred, succ, nsucc,
                                           full_cells)
        assert lp3 == lp
        for got, want in ((cT, ref["T"]), (cE, ref["end"]), (cM, ref["em"]), (cQ, ref["q"])):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-13)
    with np.errstate(divide="ignore"):
        largs = (x, y, kind, erow, np.log(em), np.log(q), np.log(T), np.log(end), pred, npred)
    score, states = g_viterbi(*largs)
    assert score == pytest.approx(math.log(ref["best"]), rel=1e-12, abs=1e-12)
    assert g_viterbi_score(*largs) == score
    # the returned path has the returned score
    lpath, i, j, prev = 0.0, 0, 0, S
    for s in states:
        k = kind[s]
        e = em[x[i], y[j]] if k == 0 else q[erow[s], x[i]] if k == 1 else q[erow[s], y[j]]
        lpath += math.log(T[prev, s] * e)
        i, j, prev = i + (k != 2), j + (k != 1), s
    assert (i, j) == (n, m)
    assert lpath + math.log(end[prev]) == pytest.approx(score, rel=1e-12, abs=1e-12)


def preset_with_y_cycle(model: PairHMM):
    """The model's graph plus Y <-> Y2 transitions of probability 1e-30: the same values to
    about 1e-30, computed by the kernels' column-by-column path for y-insert cycles."""
    G = model.graph
    T = G.T.copy()
    y, y2 = G.index("Y"), G.index("Y2")
    T[y, y2] = T[y2, y] = 1e-30
    pred, npred = _adjacency(T.T)
    succ, nsucc = _adjacency(T)
    return G, T, pred, npred, succ, nsucc


@pytest.mark.parametrize("mode", ["global", "local"])
def test_y_cycle_path_equals_the_chain_path(mode):
    model = PairHMM.preset("protein").copy(mode=mode)
    G, Tc, pc, npc, sc, nsc = preset_with_y_cycle(model)
    tab = model.tables
    q = np.stack([tab.qx, tab.qy])
    rng = np.random.default_rng(3)
    x = rng.integers(0, 20, 150).astype(np.uint8)
    y = np.concatenate([rng.integers(0, 20, 40), x[20:130]]).astype(np.uint8)
    a = (x, y, G.kind, G.erow, tab.em, q)
    _, _, lp = g_forward(*a, G.T, G.end, G.pred, G.npred)
    _, _, lpc = g_forward(*a, Tc, G.end, pc, npc)
    assert lpc == pytest.approx(lp, rel=1e-14)
    P, _ = g_posterior(*a, G.T, G.end, G.pred, G.npred, G.succ, G.nsucc)
    Pc, _ = g_posterior(*a, Tc, G.end, pc, npc, sc, nsc)
    np.testing.assert_allclose(Pc, P, rtol=1e-12, atol=1e-14)
    _, o = run_counts(x, y, G.kind, G.erow, G.T, G.end, tab.em, q, G.pred, G.npred, G.succ, G.nsucc)
    _, oc = run_counts(x, y, G.kind, G.erow, Tc, G.end, tab.em, q, pc, npc, sc, nsc)
    for u, v in zip(oc, o):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-20)
    with np.errstate(divide="ignore"):
        la = (x, y, G.kind, G.erow, tab.lem, np.log(q))
        s1, p1 = g_viterbi(*la, np.log(G.T), np.log(G.end), G.pred, G.npred)
        s2, p2 = g_viterbi(*la, np.log(Tc), np.log(G.end), pc, npc)
    assert s2 == pytest.approx(s1, rel=1e-14)
    np.testing.assert_array_equal(p1, p2)


def counts_from_matrices(x, y, kind, erow, em, q, T, end, pred, npred, succ, nsucc):
    """Expected transition counts summed over the full forward and backward matrices."""
    F, SF, lp = g_forward(x, y, kind, erow, em, q, T, end, pred, npred)
    B, SB = g_backward(x, y, kind, erow, em, q, T, end, succ, nsucc)
    n, m = len(x), len(y)
    S = kind.size
    ln2 = math.log(2)
    col = np.arange(m + 1) // BLOCK
    out = np.zeros_like(T)
    with np.errstate(divide="ignore"):
        for s in range(S):
            k = kind[s]
            di, dj = int(k != 2), int(k != 1)
            ii, jj = np.meshgrid(np.arange(di, n + 1), np.arange(dj, m + 1), indexing="ij")
            if ii.size == 0:
                continue
            xi = x[ii - 1] if di else None
            yj = y[jj - 1] if dj else None
            e = em[xi, yj] if k == 0 else q[erow[s], xi] if k == 1 else q[erow[s], yj]
            lw = np.log(e * B[s, ii, jj]) + SB[ii, col[jj]] * ln2 - lp
            for p in range(S + 1):
                if T[p, s] > 0:
                    f = F[p, ii - di, jj - dj] * T[p, s]
                    v = np.log(f) + SF[ii - di, col[jj - dj]] * ln2 + lw
                    out[p, s] = np.exp(v[np.isfinite(v)]).sum()
    return out


@pytest.mark.parametrize("n", [0, 1, 2, 3, 8, 15, 24, 35, 48])
def test_checkpointed_counts_equal_full_matrix_sums(n):
    """The E-step with the forward matrices kept whole and with checkpoints (every segment
    boundary: about sqrt(n) rows) against sums over the full matrices."""
    model = PairHMM.preset("protein").copy(mode="local")
    G = model.graph
    tab = model.tables
    q = np.stack([tab.qx, tab.qy])
    rng = np.random.default_rng(n)
    x = rng.integers(0, 20, n).astype(np.uint8)
    y = rng.integers(0, 20, 70).astype(np.uint8)
    args = (x, y, G.kind, G.erow, tab.em, q, G.T, G.end, G.pred, G.npred, G.succ, G.nsucc)
    want = counts_from_matrices(*args)
    whole = run_counts(x, y, G.kind, G.erow, G.T, G.end, tab.em, q, G.pred, G.npred, G.succ,
                       G.nsucc)[1]
    ckpt = run_counts(x, y, G.kind, G.erow, G.T, G.end, tab.em, q, G.pred, G.npred, G.succ,
                      G.nsucc, full_cells=0)[1]
    np.testing.assert_allclose(whole[0], want, rtol=1e-11, atol=1e-14)
    # the same forward values either way, so the same counts to the last bit
    for a, b in zip(whole, ckpt):
        np.testing.assert_array_equal(a, b)


def test_counts_identities_on_a_long_pair():
    """Long local pair (many blocks below the double range): every residue is emitted once and
    every path ends once, in expectation."""
    rng = np.random.default_rng(4)
    model = PairHMM.preset("protein").copy(mode="local")
    G = model.graph
    tab = model.tables
    q = np.stack([tab.qx, tab.qy])
    x = rng.integers(0, 20, 1200).astype(np.uint8)
    y = np.concatenate([rng.integers(0, 20, 600), x[200:700], rng.integers(0, 20, 300)]).astype(np.uint8)
    lp, (cT, cE, cM, cQ) = run_counts(x, y, G.kind, G.erow, G.T, G.end, tab.em, q, G.pred, G.npred,
                                      G.succ, G.nsucc, full_cells=0)
    assert lp == pytest.approx(model.log_likelihood(x, y), rel=1e-13)
    assert cE.sum() == pytest.approx(1.0, rel=1e-10)
    assert cM.sum() + cQ[0].sum() == pytest.approx(x.size, rel=1e-10)
    assert cM.sum() + cQ[1].sum() == pytest.approx(y.size, rel=1e-10)
    # one transition into every emitting state on the path
    assert cT[:, :-1].sum() == pytest.approx(cM.sum() + cQ.sum(), rel=1e-10)
    assert cT[-1].sum() == pytest.approx(1.0, rel=1e-10)
    # the shared segment is matched
    assert cM.sum() > 400


def viterbi_cell_by_cell(kind, erow, lT, lend, lem, lq, x, y):
    """Log-space Viterbi, one cell at a time, predecessors in state order with the Begin last,
    strict > (ties to the lowest state number): score and path."""
    S = kind.size
    n, m = len(x), len(y)
    V = np.full((S + 1, n + 1, m + 1), -np.inf)
    bp = np.zeros((S, n + 1, m + 1), dtype=int)
    V[S, 0, 0] = 0.0
    for i in range(n + 1):
        for j in range(m + 1):
            for s in range(S):
                k = kind[s]
                pi, pj = i - (k != 2), j - (k != 1)
                if pi < 0 or pj < 0:
                    continue
                e = lem[x[pi], y[pj]] if k == 0 else lq[erow[s], x[pi]] if k == 1 else lq[erow[s], y[pj]]
                best, arg = -np.inf, 0
                for p in range(S + 1):
                    if lT[p, s] == -np.inf:
                        continue
                    v = V[p, pi, pj] + lT[p, s]
                    if v > best:
                        best, arg = v, p
                V[s, i, j] = best + e
                bp[s, i, j] = arg
    ends = V[:S, n, m] + lend
    state = int(np.argmax(ends))
    score = ends[state]
    path = []
    i, j = n, m
    while (i, j) != (0, 0) and score > -np.inf:
        path.append(state)
        prev = bp[state, i, j]
        k = kind[state]
        i, j = i - (k != 2), j - (k != 1)
        state = prev
    return score, path[::-1]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), y_cycle=st.booleans())
def test_viterbi_ties_go_to_the_lowest_state(seed, y_cycle):
    """Probabilities that are powers of 1/2 make many paths tie exactly: the kernel must pick
    the same path as the cell-by-cell scan."""
    rng = np.random.default_rng(seed)
    kind, erow, T, end, em, q = random_graph(rng, y_cycle)
    pow2 = lambda a: np.where(a > 0, 2.0 ** -np.round(-np.log2(np.where(a > 0, a, 1.0))), 0.0)
    T, end, em, q = pow2(T), pow2(end), pow2(em), pow2(q)
    pred, npred, succ, nsucc = kernel_args(kind, erow, T, end, em, q)
    n, m = (int(v) for v in rng.integers(0, 6, 2))
    x = rng.integers(0, C, n).astype(np.uint8)
    y = rng.integers(0, C, m).astype(np.uint8)
    with np.errstate(divide="ignore"):
        lg = [np.log(a) for a in (T, end, em, q)]
    score, path = g_viterbi(x, y, kind, erow, lg[2], lg[3], lg[0], lg[1], pred, npred)
    ref_score, ref_path = viterbi_cell_by_cell(kind, erow, lg[0], lg[1], lg[2], lg[3], x, y)
    assert score == ref_score
    if score > -np.inf:
        assert list(path) == ref_path


@pytest.mark.parametrize("dup_first", [False, True])
def test_viterbi_tie_between_a_y_chain_and_another_y_state(dup_first):
    """A y-insert state D that duplicates another one, Y (same inputs, an edge Y -> D as
    likely as D's self loop), has the same values as Y everywhere: D's self loop and the edge
    from Y tie at every column, and so do Y and D as predecessors of M."""
    y_, d = (2, 1) if dup_first else (1, 2)
    kind = np.array([0, 2, 2], dtype=np.int64)
    erow = np.array([0, 1, 1], dtype=np.int64)
    T = np.zeros((4, 4))
    T[3, 0] = 1.0
    T[0, 0], T[0, y_], T[0, d] = 0.5, 0.25, 0.25
    T[y_, y_], T[y_, 0], T[y_, d] = 0.5, 0.25, 0.5
    T[d, d], T[d, 0] = 0.5, 0.25
    end = np.zeros(3)
    end[0] = end[d] = 0.25
    em = np.full((C, C), 1.0 / 16)
    q = np.full((R, C), 0.25)
    pred, npred, succ, nsucc = kernel_args(kind, erow, T, end, em, q)
    x = np.array([0, 1, 2], dtype=np.uint8)
    y = np.array([3, 2, 1, 0, 1, 2], dtype=np.uint8)
    with np.errstate(divide="ignore"):
        lg = [np.log(a) for a in (T, end, em, q)]
    score, path = g_viterbi(x, y, kind, erow, lg[2], lg[3], lg[0], lg[1], pred, npred)
    ref_score, ref_path = viterbi_cell_by_cell(kind, erow, lg[0], lg[1], lg[2], lg[3], x, y)
    assert score == ref_score
    assert list(path) == ref_path
    assert ref_path[-1] == d and min(y_, d) in ref_path  # the tie decided the path
