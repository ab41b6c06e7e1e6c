"""Make the figures of docs/weight-sharing.md (seeded; every number measured with pairhmm).

    python docs/figures/make_figures.py            # full mode: the committed PNGs, a few minutes
    python docs/figures/make_figures.py --quick    # small sizes, well under a minute (CI)
    python docs/figures/make_figures.py --out DIR  # elsewhere (default: next to this file)

Each figure function returns a dict of the numbers it drew; the script prints them as JSON on
standard output (the numbers quoted in docs/weight-sharing.md come from a full-mode run) and
writes them to ``numbers.json`` in the output folder.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from pairhmm import PairHMM, TiedHMM, symmetry_test  # noqa: E402
from pairhmm.motif import MotifCNN  # noqa: E402
from pairhmm.tying import Tying  # noqa: E402

HERE = Path(__file__).resolve().parent
COMP = np.array([3, 2, 1, 0])  # A<->T, C<->G on codes 0..3
LETTERS = np.array(list("ACGT"))


# ------------------------------------------------------------------------------------ helpers
def auroc(score: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with mid-ranks for ties)."""
    from scipy.stats import rankdata

    r = rankdata(score)
    pos = y == 1
    n1, n0 = pos.sum(), (~pos).sum()
    return float((r[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def planted(n: int, length: int, motif: str, rng: np.random.Generator, both_strands: bool,
            noise: float = 0.15) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences (codes, shape (n, length)); half carry ``motif`` at a random position.

    Each motif letter is replaced by a random letter with probability ``noise``; with
    ``both_strands`` the site is planted as the motif or its reverse complement (coin flip).
    """
    X = rng.integers(0, 4, size=(n, length)).astype(np.uint8)
    y = np.arange(n) % 2
    m = np.array(["ACGT".index(c) for c in motif], dtype=np.uint8)
    w = len(m)
    for i in np.flatnonzero(y):
        site = m.copy()
        if both_strands and rng.random() < 0.5:
            site = COMP[site[::-1]].astype(np.uint8)
        mut = rng.random(w) < noise
        site[mut] = rng.integers(0, 4, mut.sum())
        p = rng.integers(0, length - w + 1)
        X[i, p:p + w] = site
    perm = rng.permutation(n)
    return X[perm], y[perm]


def windows(X: np.ndarray, w: int) -> np.ndarray:
    """One-hot windows, shape (n, L - w + 1, w * 4)."""
    oh = np.eye(4)[X]  # (n, L, 4)
    P = X.shape[1] - w + 1
    idx = np.arange(P)[:, None] + np.arange(w)[None, :]
    return oh[:, idx, :].reshape(X.shape[0], P, w * 4)


class LocallyConnected:
    """The unshared baseline: MotifCNN's architecture with its own filter at every window.

    Each of ``K`` filters of width ``w`` has its own weights at every window position ``p``
    (``W[k, p]``, shape (4 w,), and a bias ``b[k, p]``), forward strand only, max-pooled over
    windows, then one logistic output ``sigmoid(sum_k a[k] * max_p(W[k, p] . x_p + b[k, p]) + a0)``:
    ``MotifCNN(n_filters=K, rc_shared=False, pooling="max", activation="linear")`` except that
    the window weights are not tied (and start random: there is no shared filter to start from
    data windows). Trained like MotifCNN: Adam on mini-batches of 64, the same L2 penalty and
    learning rate, early stopping on a 10% validation split (patience 10), best epoch kept.
    """

    def __init__(self, n_filters: int, width: int, l2: float, learning_rate: float,
                 max_epochs: int, random_state: int) -> None:
        self.n_filters, self.width, self.l2, self.lr = n_filters, width, l2, learning_rate
        self.max_epochs, self.random_state = max_epochs, random_state

    def _forward(self, Z: np.ndarray, params: list) -> tuple:
        W, b, a, a0 = params  # (K, P, D), (K, P), (K,), ()
        s = np.einsum("npd,kpd->nkp", Z, W) + b
        arg = s.argmax(axis=2)  # (n, K)
        h = np.take_along_axis(s, arg[:, :, None], axis=2)[:, :, 0]
        return h @ a + a0, h, arg

    def fit(self, X: np.ndarray, y: np.ndarray) -> "LocallyConnected":
        rng = np.random.default_rng(self.random_state)
        Z = windows(X, self.width)
        n, P, D = Z.shape
        perm = rng.permutation(n)
        n_val = max(1, int(round(0.1 * n)))
        va, tr = perm[:n_val], perm[n_val:]
        K = self.n_filters
        params = [rng.normal(0, 0.1, (K, P, D)), np.zeros((K, P)), np.full(K, 0.1), np.array(0.0)]
        m = [np.zeros_like(p) for p in params]
        v = [np.zeros_like(p) for p in params]
        t, best, best_params, bad = 0, np.inf, None, 0
        for _ in range(self.max_epochs):
            order = rng.permutation(tr)
            for start in range(0, len(order), 64):
                bi = order[start:start + 64]
                logit, h, arg = self._forward(Z[bi], params)
                g = (1 / (1 + np.exp(-logit)) - y[bi]) / len(bi)  # dLoss/dlogit
                gh = g[:, None] * params[2][None, :]  # (n, K)
                gW = np.zeros_like(params[0])
                gb = np.zeros_like(params[1])
                for k in range(K):
                    np.add.at(gW[k], arg[:, k], gh[:, k, None] * Z[bi, arg[:, k]])
                    np.add.at(gb[k], arg[:, k], gh[:, k])
                grads = [gW + 2 * self.l2 * params[0], gb,
                         g @ h + 2 * self.l2 * params[2], np.array(g.sum())]
                t += 1
                for k, (p, gr) in enumerate(zip(params, grads)):
                    m[k] = 0.9 * m[k] + 0.1 * gr
                    v[k] = 0.999 * v[k] + 0.001 * gr ** 2
                    params[k] = p - self.lr * (m[k] / (1 - 0.9 ** t)) / (
                        np.sqrt(v[k] / (1 - 0.999 ** t)) + 1e-8)
            logit = self._forward(Z[va], params)[0]
            loss = np.mean(np.logaddexp(0, logit) - y[va] * logit)
            if loss < best - 1e-6:
                best, best_params, bad = loss, [p.copy() for p in params], 0
            else:
                bad += 1
                if bad >= 5:
                    break
        self.params_ = best_params
        self.n_parameters_ = K * P * (D + 1) + K + 1
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        return self._forward(windows(X, self.width), self.params_)[0]


def cnn(**kw) -> MotifCNN:
    base = dict(n_filters=4, width=10, pooling="max", activation="linear", l2=1e-3,
                learning_rate=0.02, max_epochs=80, patience=10, init="data", n_jobs=1)
    base.update(kw)
    return MotifCNN(**base)


# ------------------------------------------------------------------------------------ figures
def fig_parameter_counts(out: Path, quick: bool) -> dict:
    """1. Parameters of a fully connected, a locally connected and a convolutional layer."""
    w, K = 15, 16
    lengths = np.array([20, 50, 101, 200, 500, 1000])
    model = MotifCNN(n_filters=K, width=w)
    conv, local, dense = [], [], []
    for L in lengths:
        rows = model.parameter_counts(int(L))  # pairhmm's own count, per filter
        conv.append(sum(r["shared"] for r in rows))
        local.append(sum(r["locally_connected"] for r in rows))
        P = L - w + 1
        dense.append(K * P * (4 * L + 1))  # every output unit sees the whole one-hot input
    conv, local, dense = map(np.array, (conv, local, dense))
    ratio = local / conv
    assert np.array_equal(ratio, lengths - w + 1)  # the ratio is the number of positions
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for vals, lab in ((dense, "fully connected"), (local, "locally connected"),
                      (conv, "convolutional (shared)")):
        ax[0].loglog(lengths, vals, "o-", label=lab)
    ax[0].set_xlabel("sequence length L")
    ax[0].set_ylabel("parameters")
    ax[0].set_title(f"{K} filters of width {w}, one-hot DNA input")
    ax[0].legend()
    ax[1].plot(lengths, ratio, "o-", label="locally connected / convolutional")
    ax[1].plot(lengths, lengths - w + 1, "k:", label="L - w + 1 (positions)")
    ax[1].set_xlabel("sequence length L")
    ax[1].set_ylabel("ratio")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(out / "parameter_counts.png", dpi=110)
    plt.close(fig)
    i = list(lengths).index(101)
    return {"L": lengths.tolist(), "conv": conv.tolist(), "local": local.tolist(),
            "dense": dense.tolist(), "ratio": ratio.tolist(),
            "at_101": {"conv": int(conv[i]), "local": int(local[i]), "dense": int(dense[i])}}


def _learning_curve(sizes, seeds, length, motif, both_strands, models, n_test) -> dict:
    res = {name: np.zeros((len(seeds), len(sizes))) for name in models}
    for si, seed in enumerate(seeds):
        rng = np.random.default_rng(seed)
        Xte, yte = planted(n_test, length, motif, rng, both_strands)
        for ni, n in enumerate(sizes):
            Xtr, ytr = planted(n, length, motif, rng, both_strands)
            for name, make in models.items():
                m = make(seed).fit(Xtr, ytr)
                res[name][si, ni] = auroc(m.decision_function(Xte), yte)
    return {k: v for k, v in res.items()}


def _plot_curve(path: Path, sizes, res: dict, title: str) -> None:
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, a in res.items():
        ax.plot(sizes, np.median(a, axis=0), "o-", label=name)
        if a.shape[0] > 1:
            ax.fill_between(sizes, a.min(axis=0), a.max(axis=0), alpha=0.2)
    ax.set_xscale("log")
    ax.set_xlabel("training sequences")
    ax.set_ylabel("held-out AUROC")
    ax.set_ylim(0.45, 1.0)
    ax.axhline(0.5, color="grey", lw=0.5)
    ax.set_title(f"{title}\nmedian of {next(iter(res.values())).shape[0]} seeds, band = min-max",
                 fontsize=9)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def fig_sample_efficiency(out: Path, quick: bool) -> dict:
    """2. Shared (convolutional) vs unshared (locally connected) motif learner."""
    sizes = [40, 100] if quick else [50, 100, 200, 400, 800, 1600]
    seeds = [0] if quick else [0, 1, 2, 3, 4]
    length, motif = 50, "GATTACAGCT"
    models = {
        "convolutional: MotifCNN (4 filters, shared)": lambda s: cnn(rc_shared=False,
                                                                      random_state=s),
        "locally connected (4 filters, unshared, NumPy)": lambda s: LocallyConnected(
            4, 10, l2=1e-3, learning_rate=0.02, max_epochs=60, random_state=s),
    }
    res = _learning_curve(sizes, seeds, length, motif, False, models, 400 if quick else 2000)
    _plot_curve(out / "sample_efficiency.png", sizes, res,
                f"planted {motif} (15% noise) in {length} bp, forward strand")
    n_par = {"conv": 4 * (4 * 10 + 1) + 5, "local": 4 * (length - 10 + 1) * (4 * 10 + 1) + 5}
    return {"sizes": sizes, "seeds": seeds, "parameters": n_par,
            "median": {k: np.median(v, axis=0).round(3).tolist() for k, v in res.items()},
            "per_seed": {k: v.round(3).tolist() for k, v in res.items()}}


def fig_toeplitz(out: Path, quick: bool) -> dict:
    """3. A shared 1-D filter is a banded Toeplitz matrix; an unshared one is merely banded."""
    rng = np.random.default_rng(3)
    L, w = 14, 4
    P = L - w + 1
    f = np.array([1.0, -0.5, 2.0, 0.7])
    # the matrix, built through the tying engine: slot (p, j) uses free parameter j - p
    index = np.full((P, L), -1, dtype=np.int64)
    for p in range(P):
        index[p, p:p + w] = np.arange(w)
    T = Tying(index).expand(f)
    x = rng.normal(size=L)
    assert np.allclose(T @ x, np.correlate(x, f, mode="valid"))  # the matrix is the convolution
    local_index = np.full((P, L), -1, dtype=np.int64)
    for p in range(P):
        local_index[p, p:p + w] = p * w + np.arange(w)
    U = Tying(local_index).expand(rng.normal(size=P * w))
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    for a, M, title, nfree in ((ax[0], T, "convolution (shared)", Tying(index).n_free),
                               (ax[1], U, "locally connected (unshared)",
                                Tying(local_index).n_free)):
        masked = np.ma.masked_where(M == 0, M)
        a.imshow(masked, cmap="coolwarm", vmin=-2.2, vmax=2.2)
        a.set_title(f"{title}: {nfree} free parameters", fontsize=10)
        a.set_xlabel("input position")
        a.set_ylabel("output (window) position")
        if M is T:
            for p in range(P):
                for j in range(w):
                    a.text(p + j, p, f"{f[j]:g}", ha="center", va="center", fontsize=6)
    fig.tight_layout()
    fig.savefig(out / "toeplitz.png", dpi=110)
    plt.close(fig)
    return {"L": L, "w": w, "shared_free": int(Tying(index).n_free),
            "local_free": int(Tying(local_index).n_free), "nonzeros": int((T != 0).sum())}


def _set(model: TiedHMM, start, trans, emis) -> TiedHMM:
    model.startprob_, model.transmat_, model.emissionprob_ = start.copy(), trans.copy(), emis.copy()
    return model


def fig_soft_tying(out: Path, quick: bool) -> dict:
    """4. Soft tying tends to hard tying as its strength grows."""
    gen = _set(TiedHMM(3, 4, init_params=""), np.full(3, 1 / 3),
               np.array([[0.9, 0.05, 0.05], [0.05, 0.9, 0.05], [0.05, 0.05, 0.9]]),
               np.array([[0.5, 0.3, 0.1, 0.1], [0.3, 0.5, 0.1, 0.1], [0.1, 0.1, 0.4, 0.4]]))
    X, _ = gen.sample(600, random_state=8)
    init = (np.full(3, 1 / 3), np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.1, 0.1, 0.8]]),
            np.array([[0.3, 0.3, 0.2, 0.2]] * 2 + [[0.2, 0.2, 0.3, 0.3]]))
    kw = dict(emission_ties=[[0, 1]], n_iter=15, tol=-np.inf, init_params="")
    hard = _set(TiedHMM(3, 4, **kw), *init).fit(X)
    untied = _set(TiedHMM(3, 4, **kw, soft_tie_strength=0.0), *init).fit(X)
    lams = np.logspace(-1, 6, 8 if quick else 22)
    gaps, spreads, ll = [], [], []
    for lam in lams:
        soft = _set(TiedHMM(3, 4, **kw, soft_tie_strength=float(lam)), *init).fit(X)
        gaps.append(np.abs(soft.emissionprob_ - hard.emissionprob_).max())
        spreads.append(np.abs(soft.emissionprob_[0] - soft.emissionprob_[1]).max())
        ll.append(soft.score(X))
    gaps, spreads = np.array(gaps), np.array(spreads)
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    ax[0].loglog(lams, gaps, "o-", label="max |soft - hard| (emissions)")
    ax[0].loglog(lams, spreads, "s-", label="spread between the tied rows")
    ax[0].loglog(lams, gaps[-1] * lams[-1] / lams, "k:", label="1 / strength")
    ax[0].axhline(np.abs(untied.emissionprob_ - hard.emissionprob_).max(), color="grey", ls="--",
                  label="untied fit (strength 0)")
    ax[0].set_xlabel("soft_tie_strength")
    ax[0].legend(fontsize=8)
    ax[0].set_title("TiedHMM, states 0 and 1 softly tied", fontsize=10)
    ax[1].semilogx(lams, ll, "o-", label="soft")
    ax[1].axhline(hard.score(X), color="C1", ls="--", label="hard-tied")
    ax[1].axhline(untied.score(X), color="grey", ls=":", label="untied")
    ax[1].set_xlabel("soft_tie_strength")
    ax[1].set_ylabel("log-likelihood of the data")
    ax[1].ticklabel_format(axis="y", useOffset=False)
    ax[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "soft_tying.png", dpi=110)
    plt.close(fig)
    return {"strengths": lams.tolist(), "gap": gaps.tolist(), "spread": spreads.tolist(),
            "gap_untied": float(np.abs(untied.emissionprob_ - hard.emissionprob_).max()),
            "loglik_hard": float(hard.score(X)), "loglik_untied": float(untied.score(X))}


def fig_symmetry(out: Path, quick: bool) -> dict:
    """5. The symmetric-indel likelihood-ratio test: calibration and power."""
    match = np.full((4, 4), 0.2 / 12)
    np.fill_diagonal(match, 0.2)  # Jukes-Cantor, 80% identity (as data/train/make_pairs.py)
    n_pairs = 10 if quick else 20
    n_null = 1 if quick else 24
    ratios = [4.0] if quick else [1.5, 2.0, 3.0, 4.0]
    n_rep = 1 if quick else 8
    fit = dict(alphabet="dna", max_iter=40 if quick else 300, tol=1e-5)
    rng = np.random.default_rng(5)

    def one(dx: float, dy: float) -> float:
        gen = PairHMM(match, [0.25] * 4, (dx, dy), 0.6, 0.01, alphabet="dna")
        pairs = [(x, y) for x, y, _ in gen.sample_pairs(n_pairs, random_state=rng)]
        return symmetry_test(pairs, **fit).pvalue

    null_p = np.array([one(0.04, 0.04) for _ in range(n_null)])
    power = []
    for r in ratios:
        # total gap-open rate fixed (dx + dy = 0.08), dy / dx = r
        dx = 0.08 / (1 + r)
        ps = np.array([one(dx, 0.08 - dx) for _ in range(n_rep)])
        power.append(float((ps <= 0.05).mean()))
    fig, ax = plt.subplots(1, 2, figsize=(10, 4))
    q = np.sort(null_p)
    ax[0].plot((np.arange(len(q)) + 0.5) / len(q), q, "o", label="symmetric data")
    ax[0].plot([0, 1], [0, 1], "k:", label="uniform")
    ax[0].set_xlabel("uniform quantile")
    ax[0].set_ylabel("p-value")
    ax[0].set_title(f"calibration: {n_null} data sets of {n_pairs} pairs", fontsize=10)
    ax[0].legend()
    # ratio 1 is the symmetric case: its rejection rate is the calibration panel's
    ax[1].plot([1.0] + ratios, [float((null_p <= 0.05).mean())] + power, "o-")
    ax[1].axhline(0.05, color="grey", ls=":")
    ax[1].set_xlabel("asymmetry delta_y / delta_x (delta_x + delta_y = 0.08)")
    ax[1].set_ylabel("fraction rejected at alpha = 0.05")
    ax[1].set_title(f"power: {n_rep} data sets of {n_pairs} pairs per point "
                    f"({n_null} at ratio 1)", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "symmetry_test.png", dpi=110)
    plt.close(fig)
    return {"n_pairs": n_pairs, "null_pvalues": null_p.round(4).tolist(),
            "null_rejected_at_0.05": float((null_p <= 0.05).mean()), "ratios": ratios,
            "power": power}


def fig_palindromic(out: Path, quick: bool) -> dict:
    """6. A palindromic filter does not hear the antisymmetric part of a site."""
    w = 8
    # the palindromic tying: slot (i, b) and slot (w-1-i, 3-b) share one free parameter
    index = np.zeros((w, 4), dtype=np.int64)
    for i in range(w):
        for b in range(4):
            j, c = w - 1 - i, 3 - b
            index[i, b] = min(i * 4 + b, j * 4 + c)
    _, index = np.unique(index, return_inverse=True)
    pal = Tying(index.reshape(w, 4))

    def onehot(s: str) -> np.ndarray:
        return np.eye(4)[["ACGT".index(c) for c in s]]

    def rc(Xo: np.ndarray) -> np.ndarray:
        return Xo[::-1, ::-1]

    sites = {"TGACGTCA (palindrome)": "TGACGTCA", "GATTACAG (asymmetric)": "GATTACAG"}
    rows = {}
    for name, s in sites.items():
        free = onehot(s) - 0.25  # the filter matched to the site (free weights)
        # the best palindromic filter: the projection onto the tied space, i.e. the mean of
        # the two slots of each tie group (Tying.pool sums them, multiplicity counts them)
        W = pal.expand(pal.pool(free) / pal.multiplicity())
        assert np.allclose(W, rc(W))  # equal to its own reverse complement
        Xo = onehot(s)
        sym, anti = (Xo + rc(Xo)) / 2, (Xo - rc(Xo)) / 2
        rows[name] = {f: {"site": float((F * Xo).sum()),
                          "reverse complement": float((F * rc(Xo)).sum()),
                          "symmetric part": float((F * sym).sum()),
                          "antisymmetric part": float((F * anti).sum())}
                      for f, F in (("palindromic", W), ("free", free))}
    # measured on learning: a palindromic-tied MotifCNN vs a free one, motif planted on one strand
    n, length = (200, 40) if quick else (1000, 50)
    learn = {}
    for motif in ("TGACGTCA", "GATTACAG"):
        r = np.random.default_rng(7)
        Xtr, ytr = planted(n, length, motif, r, both_strands=False)
        Xte, yte = planted(1000, length, motif, r, both_strands=False)
        for tag, pal_opt in (("palindromic", True), ("free", False)):
            m = cnn(width=w, rc_shared=True, palindromic=pal_opt, random_state=0).fit(Xtr, ytr)
            learn[f"{motif} {tag}"] = round(auroc(m.decision_function(Xte), yte), 3)
    fig, ax = plt.subplots(1, 3, figsize=(14, 4))
    parts = ["site", "reverse complement", "symmetric part", "antisymmetric part"]
    for a, (name, r) in zip(ax[:2], rows.items()):
        xx = np.arange(len(parts))
        a.bar(xx - 0.2, [r["palindromic"][p] for p in parts], 0.4, label="palindromic filter")
        a.bar(xx + 0.2, [r["free"][p] for p in parts], 0.4, label="free filter")
        a.set_xticks(xx, parts, rotation=15, fontsize=8)
        a.axhline(0, color="k", lw=0.5)
        a.set_title(f"response to {name}", fontsize=10)
        a.legend(fontsize=8)
    keys = list(learn)
    ax[2].bar(range(len(keys)), [learn[k] for k in keys],
              color=["C0", "C1"] * (len(keys) // 2))
    ax[2].set_xticks(range(len(keys)), keys, rotation=15, fontsize=8)
    ax[2].set_ylim(0.45, 1)
    ax[2].set_ylabel("held-out AUROC")
    ax[2].set_title(f"MotifCNN (4 filters, w={w}, RC-shared), {n} training seqs", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "palindromic.png", dpi=110)
    plt.close(fig)
    return {"responses": rows, "auroc": learn, "n_train": n}


def fig_rc_sharing(out: Path, quick: bool) -> dict:
    """7. Reverse-complement sharing vs an untied CNN, motif planted on either strand."""
    sizes = [40, 100] if quick else [50, 100, 200, 400, 800, 1600]
    seeds = [0] if quick else [0, 1, 2, 3, 4]
    models = {
        "RC-shared MotifCNN (rc_shared=True)": lambda s: cnn(rc_shared=True, random_state=s),
        "untied (rc_shared=False)": lambda s: cnn(rc_shared=False, random_state=s),
        "untied, 8 filters": lambda s: cnn(n_filters=8, rc_shared=False, random_state=s),
    }
    res = _learning_curve(sizes, seeds, 50, "GATTACAGCT", True, models, 400 if quick else 2000)
    _plot_curve(out / "rc_sharing.png", sizes, res,
                "planted GATTACAGCT or its reverse complement (15% noise), 50 bp")
    return {"sizes": sizes, "seeds": seeds,
            "median": {k: np.median(v, axis=0).round(3).tolist() for k, v in res.items()},
            "per_seed": {k: v.round(3).tolist() for k, v in res.items()}}


FIGURES = [fig_parameter_counts, fig_sample_efficiency, fig_toeplitz, fig_soft_tying,
           fig_symmetry, fig_palindromic, fig_rc_sharing]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (CI)")
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: docs/figures)")
    ap.add_argument("--only", default=None, help="comma-separated figure function names")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    numbers = {}
    saved = args.out / "numbers.json"
    if args.only and saved.exists():  # redraw some figures, keep the others' numbers
        numbers = json.loads(saved.read_text())
    for f in FIGURES:
        if args.only and f.__name__ not in args.only.split(","):
            continue
        t = time.perf_counter()
        numbers[f.__name__] = f(args.out, args.quick)
        numbers[f.__name__]["seconds"] = round(time.perf_counter() - t, 1)
    text = json.dumps(numbers, indent=1, default=float)
    saved.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
