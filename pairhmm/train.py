"""Training the pair HMM: Baum-Welch on unaligned pairs, counting on known alignments, and the
likelihood-ratio test of a symmetric indel process.

Baum-Welch itself (E-step statistics, M-step, the loop) is :mod:`pairhmm.baumwelch`, which
:meth:`pairhmm.PairHMM.fit` runs; its names are re-exported here.

Both estimators produce the same statistics, expected (Baum-Welch) or observed (alignments):
transition counts between M, X, Y and End, match-pair counts and insert counts. The tying engine
pools them (:meth:`pairhmm.tying.Tying.pool`) over every slot that shares a parameter, so one
shared gap-open probability learns from M -> X *and* M -> Y moves of every pair, and the M-step
normalises the pooled counts once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from .baumwelch import PairStats, expected_stats, mstep, to_canonical
from .errors import InputFormatError
from .pair import PairHMM

__all__ = ["fit", "estimate_from_alignments", "symmetry_test", "SymmetryTest", "PairStats",
           "expected_stats", "alignment_stats", "read_alignments"]

def fit(model: PairHMM, pairs: Iterable[tuple[Any, Any]], **kwargs: Any) -> PairHMM:
    """Baum-Welch from ``model``, which is left unchanged: a new fitted model (the same as
    ``model.copy().fit(pairs, **kwargs)``, see :meth:`PairHMM.fit`)."""
    return model.copy().fit(pairs, **kwargs)


# ---------------------------------------------------------------------------------------------
# supervised: counting on known alignments (Durbin section 3.3)
# ---------------------------------------------------------------------------------------------
def read_alignments(paths: Sequence["str | os.PathLike[str]"], fmt: str | None = None) -> list:
    """Multiple alignments from files: aligned FASTA, Clustal, Stockholm, GCG MSF, PHYLIP, A2M,
    NEXUS (plain or gzipped), read by :func:`pairhmm.alnio.read_alignment_file`.

    Parameters
    ----------
    paths : sequence of paths
    fmt : str, optional
        The format of every file; detected from each file's content when None.

    Returns
    -------
    list of (path, row ids, gapped rows)
        One entry per alignment (a Stockholm or Clustal file may hold several).
    """
    from .alnio import read_alignment_file

    out = []
    for path in paths:
        name = os.fspath(path)
        for ids, rows in read_alignment_file(name, fmt):
            out.append((name, ids, rows))
    return out


@dataclass
class _Columns:
    """What counting needs from a set of alignments, read once: the column kinds of every row
    pair (0 match, 1 x only, 2 y only), the 3-state transition counts and the emission counts
    on extended codes."""

    kinds: list
    trans: np.ndarray
    em_ext: np.ndarray
    qx_ext: np.ndarray
    qy_ext: np.ndarray


def _alignment_columns(model: PairHMM, alignments: Iterable, max_rows: int | None) -> _Columns:
    C = len(model.alphabet.symbols)
    cols = _Columns([], np.zeros((3, 4)), np.zeros((C, C)), np.zeros(C), np.zeros(C))
    gapchars = set("-.")
    for path, ids, rows in alignments:
        enc = []
        for rid, r in zip(ids, rows):
            up = r.upper()
            codes = np.full(len(up), 255, dtype=np.int64)
            mask = np.array([c not in gapchars for c in up], dtype=bool)
            try:
                codes[mask] = model.encode("".join(c for c in up if c not in gapchars), rid)
            except Exception as err:
                raise InputFormatError(f"{os.fspath(path)}: {err}") from None
            enc.append(codes)
        R = len(enc) if max_rows is None else min(len(enc), max_rows)
        for a in range(R):
            for b in range(a + 1, R):
                ra, rb = enc[a], enc[b]
                keep = (ra != 255) | (rb != 255)
                ra, rb = ra[keep], rb[keep]
                if ra.size == 0:
                    continue
                st = np.where((ra != 255) & (rb != 255), 0, np.where(ra != 255, 1, 2))
                cols.kinds.append(st)
                # transitions (Begin counts as M); an X|Y adjacency is not counted
                prev = np.concatenate([[0], st[:-1]])
                ok = prev + st != 3
                np.add.at(cols.trans, (prev[ok], st[ok]), 1)
                cols.trans[st[-1], 3] += 1
                m_, x_, y_ = st == 0, st == 1, st == 2
                np.add.at(cols.em_ext, (ra[m_], rb[m_]), 1)
                np.add.at(cols.qx_ext, ra[x_], 1)
                np.add.at(cols.qy_ext, rb[y_], 1)
    if not cols.kinds:
        raise InputFormatError("the alignments hold no pair of rows to count")
    return cols


def _kind_moves(G: Any) -> np.ndarray:
    """(3, 3) bool: which kinds of state the graph can move between (kind -> kind)."""
    S = len(G.names)
    p, s = np.nonzero(G.T[:S, :S] > 0)
    moves = np.zeros((3, 3), dtype=bool)
    moves[G.kind[p], G.kind[s]] = True
    return moves


def alignment_stats(model: PairHMM, alignments: Iterable, max_rows: int | None = None,
                    _columns: _Columns | None = None) -> PairStats:
    """Observed counts from every pair of rows of every alignment.

    Columns where both rows have a gap are skipped; an X column directly followed by a Y column
    (or Y by X), which the pair HMM cannot produce, contributes its emissions but not that
    transition. Ambiguity codes are distributed over their letters in proportion to ``model``.

    For a model variant (double affine gaps, flanks) the alignment leaves open which state of a
    kind made each column (a short or a long gap, a flank or a core gap): the transitions are
    then expected counts over the state graph given the columns' kinds
    (:func:`pairhmm._kernels.pathcount.path_transition_counts`, exact forward-backward along
    the columns under ``model``), so the counts of a variant depend on the model they start from.
    """
    cols = _columns if _columns is not None else _alignment_columns(model, alignments, max_rows)
    match, ins = to_canonical(model, cols.em_ext, cols.qx_ext, cols.qy_ext)
    if not model.is_general:
        return PairStats(cols.trans.copy(), match, ins)
    G = model.graph
    moves = _kind_moves(G)
    gT = np.zeros_like(G.T)
    gE = np.zeros_like(G.end)
    for st in cols.kinds:
        _path_counts(st, moves, G, gT, gE)
    return PairStats(cols.trans.copy(), match, ins, graph_trans=gT, graph_end=gE)


def _path_counts(cols: np.ndarray, kind_moves: np.ndarray, G: Any, out_T: np.ndarray,
                 out_end: np.ndarray) -> float:
    """Expected graph transitions of one row pair's column kinds, added to ``out_*``.

    An x-only column next to a y-only one is a move only some states make (local flanks); when
    the columns cannot be produced with it, every such step is taken as unobserved instead, as
    the 3-state counting does.
    """
    from ._kernels.pathcount import path_transition_counts

    free = np.zeros(cols.size, dtype=bool)
    free[1:] = ~kind_moves[cols[:-1], cols[1:]]
    lp = path_transition_counts(cols, free, G.kind, G.T, G.end, out_T, out_end)
    if np.isfinite(lp):
        return lp
    free[1:] |= cols[:-1] + cols[1:] == 3  # every X|Y adjacency: then every kind sequence is possible
    return path_transition_counts(cols, free, G.kind, G.T, G.end, out_T, out_end)


def estimate_from_alignments(alignments: Iterable, model: PairHMM | None = None,
                             alphabet: str = "protein", tied: bool = True,
                             pseudocount: float = 1.0, freeze: Any = None) -> PairHMM:
    """Maximum-likelihood parameters from known alignments (counting; Durbin et al. section 3.3).

    Parameters
    ----------
    alignments : iterable
        Output of :func:`read_alignments` (every pair of rows of each multiple alignment counts).
    model : PairHMM, optional
        Template (alphabet, tying choices, frozen values); default ``PairHMM.default(alphabet)``.
    pseudocount : float
        Added to every count (default 1: Laplace), so unseen pairs keep non-zero probability.

    Notes
    -----
    In a model variant the alignment does not say which state of a kind made a column (short or
    long gap, flank or core gap); the transition counts are then expectations under the current
    model, and counting is repeated (EM over the hidden states, the emissions being observed)
    until the parameters change by less than 1e-6, at most 200 times.
    """
    if model is None:
        model = PairHMM.default(alphabet, tied=tied)
    cols = _alignment_columns(model, alignments, None)  # read once, recounted under each model
    new = mstep(model, alignment_stats(model, None, _columns=cols), pseudocount=pseudocount,
                freeze=freeze)
    for _ in range(199 if model.is_general else 0):
        if max(np.abs(new.graph.T - model.graph.T).max(), np.abs(new.graph.end - model.graph.end).max()) < 1e-6:
            break
        model = new
        new = mstep(model, alignment_stats(model, None, _columns=cols), pseudocount=pseudocount,
                    freeze=freeze)
    return new


# ---------------------------------------------------------------------------------------------
# symmetric-indel test
# ---------------------------------------------------------------------------------------------
@dataclass
class SymmetryTest:
    """Likelihood-ratio test of tied (symmetric indels) against untied insert states.

    Attributes
    ----------
    statistic : float
        2 (logL_untied - logL_tied), clipped at 0.
    df : int
        Number of parameters that tying removes.
    pvalue : float
        Upper tail of the chi-square distribution with ``df`` degrees of freedom.
    tied, untied : PairHMM
        The two fitted models (each with ``history_``).
    """

    statistic: float
    df: int
    pvalue: float
    tied: PairHMM
    untied: PairHMM

    @property
    def log_likelihood_tied(self) -> float:
        return self.tied.history_[-1]

    @property
    def log_likelihood_untied(self) -> float:
        return self.untied.history_[-1]

    def table(self) -> str:
        """The test as a small text table."""
        t, u = self.tied, self.untied
        rows = [
            ("", "tied", "untied"),
            ("log-likelihood", f"{self.log_likelihood_tied:.4f}", f"{self.log_likelihood_untied:.4f}"),
            ("free parameters", str(t.n_parameters()), str(u.n_parameters())),
            ("delta (x, y)", f"{t.delta_x:.5g}", f"{u.delta_x:.5g}, {u.delta_y:.5g}"),
            ("epsilon (x, y)", f"{t.epsilon_x:.5g}", f"{u.epsilon_x:.5g}, {u.epsilon_y:.5g}"),
            ("tau", f"{t.tau:.5g}", f"{u.tau:.5g}"),
        ]
        w = [max(len(r[i]) for r in rows) for i in range(3)]
        lines = ["  ".join(r[i].ljust(w[i]) for i in range(3)).rstrip() for r in rows]
        lines.append(f"LR statistic 2(logL_untied - logL_tied) = {self.statistic:.4f}, df = {self.df}, "
                     f"p = {self.pvalue:.4g}")
        return "\n".join(lines)


def symmetry_test(pairs: Iterable[tuple[Any, Any]], model: PairHMM | None = None,
                  alphabet: str | None = None, max_iter: int = 500, tol: float = 1e-6,
                  **fit_kwargs: Any) -> SymmetryTest:
    """Is the indel process symmetric? Fit tied and untied models from the same start.

    Parameters
    ----------
    pairs : iterable of (x, y)
    model : PairHMM, optional
        Starting point (its tied version starts the tied fit, the same numbers untied start the
        untied fit). Default: ``PairHMM.default(alphabet)``.
    max_iter, tol, **fit_kwargs
        Passed to :meth:`PairHMM.fit`; a tight ``tol`` matters: the statistic is a difference
        of two maximised likelihoods.

    Returns
    -------
    SymmetryTest
    """
    from scipy.stats import chi2

    pairs = list(pairs)
    if model is None:
        if alphabet is None:
            from .alphabet import as_text, guess_alphabet
            alphabet = guess_alphabet(*(as_text(s)[0] for p in pairs[:50] for s in p)).name
        model = PairHMM.default(alphabet)
    if model.tied:
        tied_start = model
    else:
        # the average of X and Y, keeping everything else (mode, long gaps, flanks, eta)
        long_gaps = None
        if model.long_gaps:
            long_gaps = ((model.delta2_x + model.delta2_y) / 2, (model.epsilon2_x + model.epsilon2_y) / 2)
        tied_start = model.copy(insert=(model.insert_x + model.insert_y) / 2,
                                delta=(model.delta_x + model.delta_y) / 2,
                                epsilon=(model.epsilon_x + model.epsilon_y) / 2, long_gaps=long_gaps)
    tied = tied_start.copy().fit(pairs, max_iter=max_iter, tol=tol, **fit_kwargs)
    untied = tied_start.untied().fit(pairs, max_iter=max_iter, tol=tol, **fit_kwargs)
    # EM finds a local optimum; the untied family contains the tied optimum, so continuing from
    # there guarantees logL_untied >= logL_tied. Keep whichever untied fit is better.
    again = tied.untied().fit(pairs, max_iter=max_iter, tol=tol, **fit_kwargs)
    if again.history_[-1] > untied.history_[-1]:
        untied = again
    stat = max(0.0, 2.0 * (untied.history_[-1] - tied.history_[-1]))
    df = untied.n_parameters() - tied.n_parameters()
    return SymmetryTest(stat, df, float(chi2.sf(stat, df)), tied, untied)
