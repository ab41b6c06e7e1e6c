"""Learning motifs with a shared-weight convolutional network, and reading them back as PWMs.

:class:`MotifCNN` is the smallest network that still learns motifs: every filter is one weight
matrix slid along every position of every sequence (and, with ``rc_shared``, along the reverse
strand as the same weights flipped and complemented), a pooling over positions, and a logistic
output. Its filters are exported as position weight matrices (:meth:`MotifCNN.to_motifs`, as
``Bio.motifs.Motif`` objects), written as MEME / JASPAR files and drawn as sequence logos.

Model
-----
For a sequence ``x`` of length ``L`` (soft one-hot columns ``X[t, b]``, see below), filter ``k``
with weights ``W[k, i, b]`` (width ``w``) and bias ``c[k]`` scores window ``p`` (``0 <= p <= L-w``)

* forward strand: ``f[k, p] = sum_i sum_b W[k, i, b] X[p + i, b]``
* reverse strand: ``r[k, p] = sum_i sum_b W[k, w-1-i, 3-b] X[p + i, b]`` (only when ``rc_shared``)

and is pooled over all windows (and both strands):
``act(max_p max(f[k, p], r[k, p]) + c[k])`` (``pooling="max"``; with ``strand_pooling="mean"``
``act((max_p f[k, p] + max_p r[k, p]) / 2 + c[k])``, both strands' best windows),
``act(log sum_p (exp f[k, p] + exp r[k, p]) + c[k])`` (``pooling="logsumexp"``) or
``mean_p (act(f[k, p] + c[k]) + act(r[k, p] + c[k])) / 2`` (``pooling="mean"``), where ``act`` is
the identity or a ReLU (``activation``). ``pooling="max+mean"`` (any ``+``-joined combination)
gives every filter one feature per pooling, as DeepBind does: max pooling sees the best site, mean
pooling of ReLU activations counts the sites above the filter's threshold. With features ``h``
the output is ``P(bound | x) = sigmoid(sum_j a[j] h[j] + a0)``. Training minimises the mean binary
cross-entropy plus ``l2 * (sum W**2 + sum a**2)`` with Adam on mini-batches (optionally with
dropout on the features), stopping early when the loss on a held-out validation split has not
improved for ``patience`` epochs (the best epoch's parameters are kept).

With ``kmer=k`` the log-odds gain a linear k-mer count term ``sum_u v[u] count(u, x)``, trained
jointly: a k-mer count is a fixed one-hot filter of width ``k`` with sum pooling, its weight
shared over every position (and, with ``rc_shared``, over both strands: a k-mer and its reverse
complement share one weight). With ``n_models=M``, M networks trained from independent seeds are
averaged; as the output is linear in the features, the average is stored as one network with
``M * n_filters`` filters.

Letters other than ACGT: each IUPAC code is the average of the one-hot columns of the letters it
stands for (``N`` = 0.25 each, ``R`` = 0.5 A + 0.5 G, ...), so an ``N`` contributes the filter
column's mean. Sequences may have different lengths (no padding is needed: pooling runs over each
sequence's own windows); a sequence shorter than the filter width is rejected. Note that
log-sum-exp pooling grows with the number of windows (``log(L - w + 1)`` for a flat filter), so
with that pooling sequences of very different lengths are not on the same scale; max pooling is
length-neutral.

Weight tying
------------
The filter weights are stored as free parameters plus a :class:`pairhmm.tying.Tying` map from each
slot ``(k, i, b)`` of ``W`` to the free parameter it uses. An ordinary filter has ``4 w`` free
weights. A *palindromic* filter ties slot ``(k, i, b)`` to ``(k, w-1-i, 3-b)`` (A<->T, C<->G), so it
equals its own reverse complement by construction, with ``2 w`` free weights. The gradient of a
free parameter is the tying engine's pooled sum (:meth:`Tying.pool`) of the gradients of the slots
that use it; the gradient of a slot is itself the sum over every window and both strands where the
filter was applied.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any, Callable, Iterable, Sequence

import numpy as np
from ..alphabet import DNA, encode
from ..errors import InputFormatError, InvalidParameter, ModelFileError, TrainingError
from .._threads import numba_threads
from ..tying import Tying
from .._kernels.cnn import POOL_MAX, POOL_MAX_STRANDS, conv_pool_backward, conv_pool_forward
from .._kernels.cnn import kmer_counts as _kmer_counts
from .._kernels.cnn import sparse_rows_dot as _sparse_rows_dot
from .._kernels.cnn import sparse_rows_tdot as _sparse_rows_tdot
from .._kernels.cnn import linear_out as _linear_out

__all__ = [
    "MotifCNN",
    "LearnedMotif",
    "CONFIGS",
    "AUTO_CANDIDATES",
    "dinucleotide_shuffle",
    "encode_batch",
    "read_labeled",
    "read_sequences",
    "is_tabular",
    "load_training_data",
    "roc_auc",
    "plot_logo",
    "write_motif_file",
]

_POOLINGS = {"max": 0, "logsumexp": 1, "mean": 2}
_FORMAT_VERSION = 2  # 2: k-mer term (version 1 files, without it, are still read)

#: Named configurations (``config=``): values of the model parameters. ``"fast"`` is the small
#: network of the constructor's defaults (a few strong motifs, e.g. one planted site per
#: sequence); ``"chipseq"`` the configuration tuned on ChIP-seq peaks (many filters, a k-mer count
#: term, both strands' best sites); ``"chipseq-wide"`` the same with wider filters (long zinc-
#: finger motifs such as CTCF or REST). How they were chosen: docs/benchmarks.md.
CONFIGS: dict[str, dict[str, Any]] = {
    "fast": {"n_filters": 16, "width": 15, "learning_rate": 0.01, "l2": 1e-3, "kmer": 0,
             "kmer_l2": None, "kmer_learning_rate": None, "strand_pooling": "max", "n_models": 1},
    "chipseq": {"n_filters": 128, "width": 9, "learning_rate": 0.003, "l2": 1e-5, "kmer": 7,
                "kmer_l2": 3e-3, "kmer_learning_rate": 0.001, "strand_pooling": "mean",
                "n_models": 3},
    "chipseq-wide": {"n_filters": 128, "width": 19, "learning_rate": 0.003, "l2": 1e-5,
                     "kmer": 7, "kmer_l2": 3e-3, "kmer_learning_rate": 0.001,
                     "strand_pooling": "mean", "n_models": 3},
}
#: Candidates of ``config="auto"``, in order of preference on a tie.
AUTO_CANDIDATES: tuple[str, ...] = ("chipseq", "chipseq-wide")
#: The parameters a configuration sets.
_CONFIG_KEYS = tuple(sorted({k for c in CONFIGS.values() for k in c}))


# ---------------------------------------------------------------------------------------- encoding
def _soft_onehot() -> np.ndarray:
    """Column of every DNA code: shape (n_codes, 4); IUPAC codes average their letters."""
    m = DNA.membership()
    return m / m.sum(axis=1, keepdims=True)


_ONEHOT = _soft_onehot()
_COMP = DNA.complement_codes()  # the reverse-complement table (IUPAC included)


def kmer_features(k: int, canonical: bool) -> tuple[np.ndarray, list[str]]:
    """Feature index of every k-mer and the name of every feature.

    Parameters
    ----------
    k : int
        k-mer length.
    canonical : bool
        Give a k-mer and its reverse complement one feature (named by the lexicographically
        smaller of the two).

    Returns
    -------
    feature_of : ndarray of int64, shape (4**k,)
        Feature of each k-mer, indexed by its base-4 number (A=0, C=1, G=2, T=3, first letter
        most significant). Features are numbered in increasing order of their name's number.
    names : list of str
        The k-mer naming each feature.
    """
    ids = np.arange(4 ** k, dtype=np.int64)
    digits = (ids[:, None] // 4 ** np.arange(k - 1, -1, -1)[None, :]) % 4
    if canonical:
        rc = ((3 - digits[:, ::-1]) * 4 ** np.arange(k - 1, -1, -1)[None, :]).sum(axis=1)
        rep_id = np.minimum(ids, rc)
    else:
        rep_id = ids
    reps, feature_of = np.unique(rep_id, return_inverse=True)
    names = ["".join("ACGT"[d] for d in digits[r]) for r in reps]
    return feature_of.astype(np.int64), names


def encode_batch(sequences: Iterable[Any], min_length: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Encode DNA sequences into one flat code array plus offsets (a ragged batch).

    Parameters
    ----------
    sequences : iterable of str, Bio.Seq.Seq, SeqRecord or 1-D int array
        Or a 2-D integer array, shape (n, L), of DNA codes.
    min_length : int
        Sequences shorter than this are rejected.

    Returns
    -------
    codes : ndarray of uint8, shape (total,)
    offsets : ndarray of int64, shape (n + 1,)

    Raises
    ------
    AlphabetError
        A character outside the IUPAC DNA alphabet (the message names sequence and position).
    InputFormatError
        No sequences, or a sequence shorter than ``min_length``.
    """
    if isinstance(sequences, np.ndarray) and sequences.ndim == 2:
        sequences = list(sequences)
    parts = []
    for n, s in enumerate(sequences):
        name = getattr(s, "id", None) or f"sequence #{n + 1}"
        codes = encode(s, DNA, name=name)
        if codes.size < min_length:
            raise InputFormatError(
                f"{name} has length {codes.size}, shorter than the filter width {min_length}: "
                f"remove it or use a narrower filter")
        parts.append(codes)
    if not parts:
        raise InputFormatError("no sequences given")
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([p.size for p in parts])
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.uint8), offsets


# ---------------------------------------------------------------------------- dinucleotide shuffle
def dinucleotide_shuffle(seq: Any, random_state: "int | np.random.Generator | None" = None) -> Any:
    """Shuffle a sequence preserving its dinucleotide counts exactly (Altschul & Erickson 1985).

    The sequence is read as an Eulerian path through a graph whose vertices are letters and whose
    edges are its dinucleotides. A new path with the same first and last letter and the same edge
    multiset is drawn uniformly at random: a random arborescence of "last exits" towards the last
    letter is sampled with Wilson's loop-erased random walk, the other exits of every vertex are
    permuted at random, and the path is read off. Letters are treated as plain symbols, so ``N``
    and other codes are shuffled like any letter.

    Parameters
    ----------
    seq : str or 1-D int array
        The sequence (a ``Bio.Seq.Seq`` or ``SeqRecord`` is read as text).
    random_state : int, numpy Generator or None
        Seed for a reproducible shuffle.

    Returns
    -------
    shuffled : str or ndarray
        Same type as the input (a ``str`` for text input), same length and dinucleotide counts.

    Examples
    --------
    >>> s = dinucleotide_shuffle("ACGTTGCAACGT", random_state=1)
    >>> sorted(s[i:i + 2] for i in range(11)) == sorted("ACGTTGCAACGT"[i:i + 2] for i in range(11))
    True
    """
    rng = np.random.default_rng(random_state)
    as_array = isinstance(seq, np.ndarray)
    if as_array:
        symbols = [int(c) for c in seq]
    else:
        if hasattr(seq, "seq"):
            seq = seq.seq
        symbols = list(str(seq))
    n = len(symbols)
    if n <= 2:
        return seq.copy() if as_array else "".join(symbols)
    edges: dict[Any, list] = {}
    for a, b in zip(symbols[:-1], symbols[1:]):
        edges.setdefault(a, []).append(b)
    last = symbols[-1]
    # Wilson's algorithm: a uniform random spanning arborescence oriented towards `last`, each
    # vertex's tree edge drawn among its out-edges (multiplicities count).
    in_tree = {last}
    last_edge: dict[Any, int] = {}
    for start in sorted(edges, key=str):
        u = start
        nxt: dict[Any, int] = {}
        while u not in in_tree:
            e = int(rng.integers(len(edges[u])))
            nxt[u] = e
            u = edges[u][e]
        u = start
        while u not in in_tree:
            in_tree.add(u)
            last_edge[u] = nxt[u]
            u = edges[u][nxt[u]]
    order: dict[Any, list] = {}
    for u, out in edges.items():
        idx = list(range(len(out)))
        if u in last_edge:
            idx.pop(last_edge[u])
            idx = [idx[i] for i in rng.permutation(len(idx))] + [last_edge[u]]
        else:
            idx = [idx[i] for i in rng.permutation(len(idx))]
        order[u] = [out[i] for i in idx]
    pos = {u: 0 for u in edges}
    out_seq = [symbols[0]]
    u = symbols[0]
    for _ in range(n - 1):
        v = order[u][pos[u]]
        pos[u] += 1
        out_seq.append(v)
        u = v
    if as_array:
        return np.asarray(out_seq, dtype=seq.dtype)
    return "".join(out_seq)


# ------------------------------------------------------------------------------------ data files
def _fasta_records(path: "str | os.PathLike[str]") -> list:
    """Records of a FASTA file (:func:`pairhmm.seqio.iter_fasta` and its errors)."""
    from ..seqio import iter_fasta

    return list(iter_fasta(path))


def is_tabular(path: "str | os.PathLike[str]") -> bool:
    """True if the file's first line looks like tabular ``>id SEQUENCE LABEL`` input
    (:func:`pairhmm.seqio.is_tabular`)."""
    from ..seqio import is_tabular as _is_tabular

    return _is_tabular(path)


def _read_tabular(path: "str | os.PathLike[str]") -> tuple[list[str], list[str], list[int]]:
    from ..seqio import read_tabular

    return read_tabular(path)


def read_sequences(path: "str | os.PathLike[str]", fmt: str | None = None) -> tuple[list[str], list[str]]:
    """Read ids and sequences from a FASTA file or a tabular file (labels ignored).

    Parameters
    ----------
    path : str or path
        FASTA (plain or gzipped), or the *tabular* format: one ``>id SEQUENCE LABEL`` line per
        sequence.
    fmt : {"fasta", "tabular"} or None
        ``None`` detects tabular input from its first lines.

    Returns
    -------
    ids, sequences : list of str
    """
    if fmt not in (None, "fasta", "tabular"):
        raise InvalidParameter("fmt", fmt, "choose 'fasta', 'tabular' or None (detect)")
    if fmt == "tabular" or (fmt is None and is_tabular(path)):
        ids, seqs, _ = _read_tabular(path)
        return ids, seqs
    ids, seqs = [], []
    for rec in _fasta_records(path):
        ids.append(rec.id)
        seqs.append(str(rec.seq))
    return ids, seqs


def read_labeled(path: "str | os.PathLike[str]", fmt: str | None = None,
                 ) -> tuple[list[str], list[str], np.ndarray]:
    """Read labeled sequences: tabular ``>id SEQUENCE LABEL`` lines, or FASTA with ``>id LABEL``.

    In FASTA input the label is the last word of the header line and must be 0 (unbound) or 1
    (bound).

    Returns
    -------
    ids, sequences : list of str
    labels : ndarray of int8, shape (n,)
    """
    if fmt not in (None, "fasta", "tabular"):
        raise InvalidParameter("fmt", fmt, "choose 'fasta', 'tabular' or None (detect)")
    if fmt == "tabular" or (fmt is None and is_tabular(path)):
        ids, seqs, labels = _read_tabular(path)
        return ids, seqs, np.asarray(labels, dtype=np.int8)
    ids, seqs, labels = [], [], []
    for n, rec in enumerate(_fasta_records(path), 1):
        words = rec.description.split()
        lab = words[-1] if len(words) >= 2 else None
        if lab not in ("0", "1"):
            raise InputFormatError(
                f"{os.fspath(path)}: record {rec.id!r} (#{n}) has no label: labeled FASTA needs "
                f"headers '>id LABEL' with LABEL 0 or 1 (found {rec.description[:40]!r})")
        ids.append(rec.id)
        seqs.append(str(rec.seq))
        labels.append(int(lab))
    return ids, seqs, np.asarray(labels, dtype=np.int8)


def load_training_data(positives: "str | os.PathLike[str]",
                       negatives: "str | os.PathLike[str] | None" = None, *, labeled: bool = False,
                       random_state: "int | np.random.Generator | None" = None,
                       return_sources: bool = False) -> tuple:
    """Assemble a labeled training set from files.

    * ``positives`` and ``negatives`` given: label 1 and 0; a labeled ``positives`` file
      (tabular, or FASTA headers ``>id LABEL`` with ``labeled=True``) keeps its own labels, so
      its 0 rows stay unbound; a tabular ``negatives`` file must hold only 0 rows.
    * ``positives`` alone with ``labeled=True`` (or a tabular file): labels from the file
      (see :func:`read_labeled`).
    * ``positives`` alone otherwise: one negative per positive by :func:`dinucleotide_shuffle`,
      seeded by ``random_state`` (negative ids are ``<id>_shuf``).

    Returns
    -------
    ids, sequences : list of str
    labels : ndarray of int8, shape (n,)
    sources : list of str
        With ``return_sources``: the file each sequence came from (as given).
    """
    ids, seqs, labels, n_first = _training_data(positives, negatives, labeled, random_state)
    if not return_sources:
        return ids, seqs, labels
    sources = [os.fspath(positives)] * n_first + [os.fspath(negatives or positives)] * (len(ids) - n_first)
    return ids, seqs, labels, sources


def _training_data(positives: Any, negatives: Any, labeled: bool, random_state: Any) -> tuple:
    """(ids, sequences, labels, number of them read from ``positives``)."""
    if negatives is not None:
        # labels written in a file win over its place on the command line: a labeled file
        # (tabular, or FASTA with --labeled) keeps its 0 rows unbound beside NEGATIVES
        if labeled or is_tabular(positives):
            pid, pseq, plab = read_labeled(positives)
        else:
            pid, pseq = read_sequences(positives, fmt="fasta")
            plab = np.ones(len(pid), np.int8)
        if is_tabular(negatives):
            nid, nseq, nlab = read_labeled(negatives, fmt="tabular")
            if nlab.any():
                raise InputFormatError(
                    f"{os.fspath(negatives)}: NEGATIVES holds {int(nlab.sum())} sequence(s) "
                    "labeled 1 (bound): give a labeled file as POSITIVES (alone, or with an "
                    "unlabeled NEGATIVES file)")
        else:
            nid, nseq = read_sequences(negatives, fmt="fasta")
        labels = np.r_[np.asarray(plab, np.int8), np.zeros(len(nid), np.int8)]
        return pid + nid, pseq + nseq, labels, len(pid)
    if labeled or is_tabular(positives):
        ids, seqs, labels = read_labeled(positives)
        return ids, seqs, labels, len(ids)
    rng = np.random.default_rng(random_state)
    pid, pseq = read_sequences(positives)
    nseq = [dinucleotide_shuffle(s, rng) for s in pseq]
    labels = np.r_[np.ones(len(pid), np.int8), np.zeros(len(pid), np.int8)]
    ids = pid + [f"{i}_shuf" for i in pid]
    return ids, pseq + nseq, labels, len(ids)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    from scipy.stats import rankdata

    labels = np.asarray(labels).astype(bool)
    n1 = int(labels.sum())
    n0 = labels.size - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(np.asarray(scores, dtype=np.float64))
    return float((ranks[labels].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


# ---------------------------------------------------------------------------------------- kernels
def _check_random_state(random_state):
    return np.random.default_rng(random_state)


# ------------------------------------------------------------------------------------- the model
class MotifCNN:
    """A one-layer convolutional network whose filters are motifs.

    Parameters
    ----------
    n_filters : int
        Number of filters ``K``.
    width : int
        Filter width ``w`` (bp).
    rc_shared : bool
        Apply each filter to both strands with tied weights (the reverse strand sees the filter
        flipped and complemented); predictions are then exactly invariant to reverse-complementing
        the input.
    palindromic : bool or sequence of int
        Filters tied to their own reverse complement (``True`` = all, or a list of filter indices).
    pooling : {"max", "logsumexp", "mean"} or a "+"-joined combination such as "max+mean"
        Pooling over windows and strands; a combination gives each filter one feature per pooling.
        ``"mean"`` is useful with ``activation="relu"`` (the mean of a linear score only sees base
        composition).
    strand_pooling : {"max", "mean"}
        With ``rc_shared`` and max pooling: how a filter's two strands are combined. ``"max"``:
        the best window over both strands (one site counts). ``"mean"``: the best window of
        each strand, averaged (both strands' best sites count; the sum over strands of
        reverse-complement parameter-sharing networks, Shrikumar et al. 2017, and of conjoined
        models). On STAT3 ChIP-seq "mean" was better (CNN alone: validation AUROC 0.828 vs
        0.807); on synthetic data with one strong planted site per sequence, "max" recovered
        the motif more sharply. Either way predictions stay exactly strand-invariant.
    activation : {"linear", "relu"}
        Applied to each pooled activation (plus bias) before the output layer; ``"relu"`` makes a
        filter a thresholded detector (below its bias it contributes nothing).
    dropout : float
        During training, each pooled feature is zeroed with this probability (and the rest scaled
        by ``1 / (1 - dropout)``), a regulariser for many filters; off at prediction time.
    l2 : float
        Weight of the L2 penalty on filter weights and output weights.
    learning_rate : float
        Adam step size.
    batch_size : int
        Sequences per mini-batch.
    max_epochs : int
        Upper bound on passes over the training data.
    patience : int
        Stop after this many epochs without a lower validation loss.
    validation_fraction : float
        Fraction of the training data held out for early stopping (ignored when ``fit`` gets
        explicit validation data; 0 = no early stopping).
    init : {"random", "data"}
        ``"random"``: filter weights start as N(0, init_scale). ``"data"``: each filter starts as
        a random window of a bound training sequence, ``init_scale * (one_hot - 0.25)``, a sharp
        k-mer detector (helps log-sum-exp pooling, whose gradient at a flat start only sees the
        base composition).
    init_scale : float
        Scale of the initial filter weights (output weights start as N(0, 0.1)).
    augment_rc : bool
        Also train on the reverse complement of every training sequence (the validation split
        stays unaugmented). The usual remedy for a model without ``rc_shared``; redundant with it.
    kmer : int
        Length ``k`` of a linear k-mer count term trained jointly with the filters (0 = none):
        the log-odds gain ``sum_u v[u] * count(u, x)`` over all k-mers ``u``. A k-mer count is a
        fixed one-hot filter of width ``k`` with sum pooling, so its weight ``v[u]`` is shared
        over every position (and, with ``rc_shared``, both strands: a k-mer and its reverse
        complement share one weight, which keeps predictions exactly RC-invariant). It captures
        the many weak, short signals that a max-pooled read-out of a few filters misses, and
        leaves the filters free to learn the strong motifs. Windows holding a letter other than
        A, C, G, T are not counted. ``4**k`` weights (about half with ``rc_shared``); ``k`` in
        1..10.
    kmer_l2 : float or None
        L2 penalty weight of the k-mer weights (``None`` = ``l2``).
    kmer_learning_rate : float or None
        Adam step size of the k-mer weights (``None`` = ``learning_rate``). Each k-mer weight
        sees every occurrence of its k-mer, so the k-mer term fits faster than the filters; a
        smaller step lets the filters train for more epochs before early stopping.
    n_models : int
        Train this many networks from independent seeds (initialisation, validation split,
        batch order; all drawn from ``random_state``) and average their log-odds. Because the
        output is linear in the pooled features, the average is itself one network with
        ``n_models * n_filters`` filters (output weights divided by ``n_models``, k-mer weights
        and intercepts averaged), so the trained model is stored, exported and applied like a
        single one; filter ``m * n_filters + k`` is filter ``k`` of member ``m``. Averaging
        reduces the variance between training runs.
    conjoin : bool
        Only with ``rc_shared=False``: predict with the average of the log-odds of a sequence and
        of its reverse complement, ``(z(x) + z(rc(x))) / 2`` ("post-hoc conjoining", Zhou et al.
        2021, best combined with ``augment_rc``). Training is unchanged (strand-blind; the
        epoch history and early stopping use the plain model); predictions become exactly
        invariant to reverse-complementing the input and cost twice as much. The weights are
        not tied: it is the strand-blind model's answer asked on both strands.
    config : {None, "fast", "chipseq", "chipseq-wide", "auto"}
        ``None``: the parameters as given. A name (:data:`CONFIGS`): that configuration's values
        for the model parameters left at their defaults (others are kept). ``"auto"``: the best
        of :data:`AUTO_CANDIDATES` by validation AUROC on one split of the training data, then
        completed to its number of averaged networks (what ``pairhmm motif train`` runs by
        default; see docs/motif-learning.md). ``fit`` sets the chosen values and records the
        choice in :attr:`config_`.
    keep : sequence of str
        Parameters a configuration must not change even where they equal their defaults (the
        command line passes the options given explicitly).
    n_jobs : int or None
        Threads for the kernels (``None`` = Numba's default, all cores). Results do not depend
        on it. A mini-batch step is a few milliseconds of parallel work: with Numba's OpenMP
        threading layer, idle threads spin between steps and a busy core can then slow training
        several-fold; set ``OMP_WAIT_POLICY=PASSIVE`` in the environment before the first call
        (the ``pairhmm`` command does) or pass ``n_jobs=1`` on a loaded machine.
    random_state : int, numpy Generator or None
        Seed for initialisation, the validation split and batch order.

    Attributes
    ----------
    filters_ : ndarray, shape (n_models * n_filters, width, 4)
        Filter weights ``W`` (columns A, C, G, T), expanded from the free parameters.
    free_ : ndarray, shape (n_free,)
        The free filter parameters (see :attr:`tying_`).
    tying_ : pairhmm.tying.Tying
        Map from each slot of ``filters_`` to its free parameter.
    filter_bias_ : ndarray, shape (n_models * n_filters,)
    weights_ : ndarray, shape (n_features,)
        Output weight of each pooled feature (``n_features = n_models * n_filters * number of
        poolings``, features grouped by pooling).
    kmer_weights_ : ndarray, shape (n_kmer_features,)
        Weight of each k-mer (empty without a k-mer term; names in :meth:`top_kmers`).
    intercept_ : float
    feature_importance_ : ndarray, shape (n_features,)
        ``weights_ * std(feature)`` on the training data: how far each feature moves the log-odds;
        positive = evidence for binding.
    filter_importance_ : ndarray, shape (n_models * n_filters,)
        Sum of a filter's feature importances.
    history_ : list of dict
        Per epoch: ``epoch``, ``train_loss``, ``val_loss``, ``val_auroc`` (and ``model``, the
        member's number from 1, when ``n_models > 1``).
    best_epochs_ : list of int
        Epoch whose parameters were kept, per member.
    best_epoch_ : int
        The last of :attr:`best_epochs_` (the best epoch of a single model).
    seq_length_ : int
        Longest training sequence (used by :meth:`parameter_counts`).
    config_ : dict
        With ``config``: ``config``, ``chosen``, ``fixed`` (the parameters you set) and
        ``candidates`` (each one's ``validation_auroc`` and ``best_epochs``); the trials' CPU
        seconds are in ``config_seconds_`` (not saved with the model).
    filter_auroc_loss_ : ndarray, shape (n_models * n_filters,)
        Drop-in AUROC loss of each filter on the validation split (see :meth:`measure_importance`).
    kmer_auroc_loss_ : float
        The same for the whole k-mer term (NaN without one).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> seqs = ["".join(rng.choice(list("ACGT"), 30)) for _ in range(40)]
    >>> seqs = [s[:10] + "TTCCCGGAA" + s[19:] if i % 2 else s for i, s in enumerate(seqs)]
    >>> y = np.arange(40) % 2
    >>> m = MotifCNN(n_filters=2, width=9, max_epochs=3, random_state=0).fit(seqs, y)
    >>> m.predict_proba(seqs).shape
    (40,)
    """

    def __init__(self, n_filters: int = 16, width: int = 15, rc_shared: bool = True,
                 palindromic: "bool | Sequence[int]" = False, pooling: str = "max",
                 activation: str = "linear", dropout: float = 0.0, l2: float = 1e-3,
                 learning_rate: float = 0.01, batch_size: int = 64,
                 max_epochs: int = 50, patience: int = 5, validation_fraction: float = 0.1,
                 init: str = "random", init_scale: float = 0.1, augment_rc: bool = False,
                 kmer: int = 0, kmer_l2: float | None = None,
                 kmer_learning_rate: float | None = None, n_models: int = 1,
                 conjoin: bool = False, strand_pooling: str = "max", config: str | None = None,
                 keep: Sequence[str] = (), n_jobs: int | None = None,
                 random_state: "int | np.random.Generator | None" = None) -> None:
        self.n_filters = n_filters
        self.width = width
        self.rc_shared = rc_shared
        self.palindromic = palindromic
        self.pooling = pooling
        self.activation = activation
        self.dropout = dropout
        self.l2 = l2
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.init = init
        self.init_scale = init_scale
        self.augment_rc = augment_rc
        self.kmer = kmer
        self.kmer_l2 = kmer_l2
        self.kmer_learning_rate = kmer_learning_rate
        self.n_models = n_models
        self.conjoin = conjoin
        self.strand_pooling = strand_pooling
        self.config = config
        self.keep = keep
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ----------------------------------------------------------------------------- validation
    def _check_params(self) -> None:
        for name in ("n_filters", "width", "batch_size", "max_epochs", "patience", "n_models"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise InvalidParameter(name, v, "must be a positive integer")
        self._pool_list()
        if self.activation not in ("linear", "relu"):
            raise InvalidParameter("activation", self.activation, "choose 'linear' or 'relu'")
        for name in ("l2", "init_scale"):
            v = getattr(self, name)
            if not np.isfinite(v) or v < 0:
                raise InvalidParameter(name, v, "must be a finite number >= 0")
        if not np.isfinite(self.learning_rate) or self.learning_rate <= 0:
            raise InvalidParameter("learning_rate", self.learning_rate, "must be > 0")
        if self.init not in ("random", "data"):
            raise InvalidParameter("init", self.init, "choose 'random' or 'data'")
        if not 0 <= self.dropout < 1:
            raise InvalidParameter("dropout", self.dropout, "must be in [0, 1)")
        if not 0 <= self.validation_fraction < 1:
            raise InvalidParameter("validation_fraction", self.validation_fraction,
                                   "must be in [0, 1)")
        if (not isinstance(self.kmer, (int, np.integer)) or isinstance(self.kmer, bool)
                or not 0 <= self.kmer <= 10):
            raise InvalidParameter("kmer", self.kmer, "must be an integer in 0..10 (0 = no k-mer term)")
        if self.kmer_l2 is not None and (not np.isfinite(self.kmer_l2) or self.kmer_l2 < 0):
            raise InvalidParameter("kmer_l2", self.kmer_l2, "must be a finite number >= 0 or None")
        klr = self.kmer_learning_rate
        if klr is not None and (not np.isfinite(klr) or klr <= 0):
            raise InvalidParameter("kmer_learning_rate", klr, "must be > 0 or None")
        if self.strand_pooling not in ("max", "mean"):
            raise InvalidParameter("strand_pooling", self.strand_pooling, "choose 'max' or 'mean'")
        if self.strand_pooling == "mean" and not self.rc_shared:
            raise InvalidParameter("strand_pooling", self.strand_pooling,
                                   "'mean' combines the two strands of rc_shared=True filters; a "
                                   "strand-blind model has one (see conjoin)")
        if self.strand_pooling == "mean" and "max" not in self._pool_list():
            raise InvalidParameter("strand_pooling", self.strand_pooling,
                                   "'mean' changes max pooling only (log-sum-exp and mean pooling "
                                   "already combine both strands)")
        if not isinstance(self.conjoin, (bool, np.bool_)):
            raise InvalidParameter("conjoin", self.conjoin, "must be True or False")
        if self.conjoin and self.rc_shared:
            raise InvalidParameter("conjoin", self.conjoin,
                                   "applies to rc_shared=False only (an RC-shared model is already "
                                   "invariant to reverse-complementing its input)")
        if isinstance(self.keep, str) or any(k not in _CONFIG_KEYS for k in (self.keep or ())):
            raise InvalidParameter("keep", self.keep,
                                   f"a list of parameter names among {', '.join(_CONFIG_KEYS)}")
        if self.config is not None and self.config not in (*CONFIGS, "auto"):
            raise InvalidParameter("config", self.config,
                                   f"choose {', '.join(repr(c) for c in (*CONFIGS, 'auto'))} or None")
        if self.n_jobs is not None and (not isinstance(self.n_jobs, (int, np.integer)) or self.n_jobs < 1):
            raise InvalidParameter("n_jobs", self.n_jobs, "must be a positive integer or None")
        self._palindromic_set()

    def _pool_code(self, name: str) -> int:
        """Kernel code of pooling ``name`` (max becomes per-strand max with
        ``strand_pooling="mean"``)."""
        if name == "max" and self.rc_shared and self.strand_pooling == "mean":
            return POOL_MAX_STRANDS
        return _POOLINGS[name]

    def _pool_list(self) -> list[str]:
        """The poolings, in feature order (``"max+mean"`` -> ``["max", "mean"]``)."""
        names = str(self.pooling).split("+")
        if not names or any(n not in _POOLINGS for n in names) or len(set(names)) != len(names):
            raise InvalidParameter("pooling", self.pooling,
                                   "choose 'max', 'logsumexp', 'mean' or a '+'-joined combination "
                                   "such as 'max+mean'")
        return names

    @property
    def n_total_filters(self) -> int:
        """Filters in the (averaged) model: ``n_models * n_filters``."""
        return self.n_filters * self.n_models

    @property
    def n_features(self) -> int:
        """Number of pooled features feeding the output layer (filters x poolings)."""
        return self.n_total_filters * len(self._pool_list())

    def _palindromic_all(self) -> list[int]:
        """Palindromic filters of the averaged model (the member set, repeated per member)."""
        own = self._palindromic_set()
        return [m * self.n_filters + k for m in range(self.n_models) for k in own]

    def _palindromic_set(self) -> list[int]:
        p = self.palindromic
        if isinstance(p, (bool, np.bool_)):
            return list(range(self.n_filters)) if p else []
        try:
            idx = sorted({int(k) for k in p})
        except (TypeError, ValueError):
            raise InvalidParameter("palindromic", p,
                                   "must be True/False or a list of filter indices") from None
        if idx and (idx[0] < 0 or idx[-1] >= self.n_filters):
            raise InvalidParameter("palindromic", p, f"filter indices must be in 0..{self.n_filters - 1}")
        return idx

    def _make_tying(self) -> Tying:
        """Tying of the (K, w, 4) filter array: palindromic filters tie (i, b) with (w-1-i, 3-b)."""
        K, w = self.n_total_filters, self.width
        labels = np.arange(K * w * 4, dtype=np.int64).reshape(K, w, 4)
        for k in self._palindromic_all():
            own = labels[k].copy()
            labels[k] = np.minimum(own, own[::-1, ::-1])
        return Tying.from_labels(labels)

    # ---------------------------------------------------------------------------- parameters
    def _kmer_map(self) -> tuple[np.ndarray, list[str]]:
        """k-mer -> feature map of the k-mer term (canonical k-mers when ``rc_shared``)."""
        if getattr(self, "_kmer_cache", None) is None or self._kmer_cache[0] != (self.kmer, self.rc_shared):
            self._kmer_cache = ((self.kmer, self.rc_shared),
                                kmer_features(self.kmer, bool(self.rc_shared)) if self.kmer else
                                (np.zeros(0, np.int64), []))
        return self._kmer_cache[1]

    @property
    def n_kmer_features(self) -> int:
        """Number of k-mer weights (0 without a k-mer term)."""
        return len(self._kmer_map()[1])

    def _prepare(self, data: tuple) -> tuple:
        """``(codes, offsets)`` -> ``(codes, offsets, kmer CSR rows or None)``."""
        codes, offsets = data[0], data[1]
        km = None
        if self.kmer:
            km = _kmer_counts(codes, offsets, int(self.kmer), self._kmer_map()[0])
        return codes, offsets, km

    def _n_theta(self) -> int:
        return self.tying_.n_free + self.n_total_filters + self.n_features + self.n_kmer_features + 1

    def _pack(self) -> np.ndarray:
        return np.concatenate([self.free_, self.filter_bias_, self.weights_, self.kmer_weights_,
                               [self.intercept_]])

    def _unpack(self, theta: np.ndarray) -> None:
        nf, K, F = self.tying_.n_free, self.n_total_filters, self.n_features
        self.free_ = theta[:nf].copy()
        self.filters_ = self.tying_.expand(self.free_)
        self.filter_bias_ = theta[nf:nf + K].copy()
        self.weights_ = theta[nf + K:nf + K + F].copy()
        self.kmer_weights_ = theta[nf + K + F:nf + K + F + self.n_kmer_features].copy()
        self.intercept_ = float(theta[-1])

    def _tables(self, W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Score tables of the kernels, shape (w, n_codes, K): ``table[i, c, k]`` = score of code
        ``c`` at position ``i`` of filter ``k``; ``table_rc`` the same for complemented codes."""
        table = np.ascontiguousarray(np.einsum("kib,cb->ick", W, _ONEHOT))
        table_rc = np.ascontiguousarray(table[:, _COMP, :])
        return table, table_rc

    # ------------------------------------------------------------------------- forward/backward
    def _forward(self, data, batch, W, bias):
        """Features (nb, n_features) and, per pooling, what the backward pass needs."""
        codes, offsets = data[0], data[1]
        table, table_rc = self._tables(W)
        relu = self.activation == "relu"
        nb = batch.size
        feats, cache = [], []
        for name in self._pool_list():
            raw = np.empty((nb, self.n_total_filters))
            argmax = np.empty((nb, self.n_total_filters), dtype=np.int64)
            conv_pool_forward(codes, offsets, batch, table, table_rc, bias, bool(self.rc_shared),
                              relu, self._pool_code(name), raw, argmax)
            if name == "mean":  # bias and activation are applied per window inside the mean
                pre, h = None, raw
            else:  # they commute with max / log-sum-exp: applied once to the pooled value
                pre = raw + bias[None, :]
                h = np.maximum(pre, 0.0) if relu else pre
            feats.append(h)
            cache.append((name, raw, argmax, pre))
        H = feats[0] if len(feats) == 1 else np.ascontiguousarray(np.concatenate(feats, axis=1))
        return H, cache, table, table_rc

    def _loss_grad(self, theta: np.ndarray, data, batch: np.ndarray, y: np.ndarray,
                   need_grad: bool = True, mask: np.ndarray | None = None,
                   ) -> tuple[float, np.ndarray | None]:
        """Penalised mean cross-entropy over ``batch`` and its gradient with respect to ``theta``.

        ``mask`` (nb, n_features), if given, multiplies the features (inverted dropout).
        """
        nf, K, F, V = self.tying_.n_free, self.n_total_filters, self.n_features, self.n_kmer_features
        W = self.tying_.expand(theta[:nf])
        bias = np.ascontiguousarray(theta[nf:nf + K])
        a = np.ascontiguousarray(theta[nf + K:nf + K + F])
        v = np.ascontiguousarray(theta[nf + K + F:nf + K + F + V])
        a0 = float(theta[-1])
        h, cache, table, table_rc = self._forward(data, batch, W, bias)
        if mask is not None:
            h = h * mask
        z = _linear_out(h, a, a0)
        km = data[2] if V else None
        if km is not None:
            _sparse_rows_dot(km[0], km[1], km[2], batch, v, z)
        kl2 = self.l2 if self.kmer_l2 is None else self.kmer_l2
        yb = y[batch].astype(np.float64)
        nb = batch.size
        loss = float(np.sum(np.logaddexp(0.0, z) - yb * z) / nb
                     + self.l2 * (np.sum(W * W) + np.sum(a * a)) + kl2 * np.sum(v * v))
        if not need_grad:
            return loss, None
        dz = (_sigmoid(z) - yb) / nb
        grad = np.empty_like(theta)
        grad[nf + K:nf + K + F] = (h * dz[:, None]).sum(axis=0) + 2 * self.l2 * a
        if km is not None:
            gv = np.empty(V)
            _sparse_rows_tdot(km[0], km[1], km[2], batch, dz, gv)
            grad[nf + K + F:nf + K + F + V] = gv + 2 * kl2 * v
        grad[-1] = dz.sum()
        gfeat = dz[:, None] * a[None, :]
        if mask is not None:
            gfeat = gfeat * mask
        relu = self.activation == "relu"
        gtable_sum = np.zeros_like(table)
        gbias_sum = np.zeros(K)
        gtable = np.empty_like(table)
        gbias = np.empty(K)
        codes, offsets = data[0], data[1]
        for j, (name, raw, argmax, pre) in enumerate(cache):
            g = gfeat[:, j * K:(j + 1) * K]
            if relu and pre is not None:
                g = g * (pre > 0)
            conv_pool_backward(codes, offsets, batch, table, table_rc, bias, _COMP,
                               bool(self.rc_shared), relu, self._pool_code(name), raw, argmax,
                               np.ascontiguousarray(g), gtable, gbias)
            gtable_sum += gtable
            gbias_sum += gbias
        gW = np.einsum("ick,cb->kib", gtable_sum, _ONEHOT) + 2 * self.l2 * W
        grad[:nf] = self.tying_.pool(gW)
        grad[nf:nf + K] = gbias_sum
        return loss, grad

    # ----------------------------------------------------------------------------------- fit
    def _initial_theta(self, rng, data, y, train_idx) -> np.ndarray:
        """Initial parameters (see ``init``); zero biases; intercept = prior log-odds."""
        prior = float(np.clip(y[train_idx].mean(), 1e-6, 1 - 1e-6))
        free = rng.normal(0.0, self.init_scale, self.tying_.n_free)
        out_w = rng.normal(0.0, 0.1, self.n_features)
        if self.init == "data":
            codes, offsets = data
            pos = train_idx[y[train_idx] == 1]
            W = np.empty((self.n_filters, self.width, 4))
            for k in range(self.n_filters):
                s = int(pos[rng.integers(pos.size)])
                p = int(rng.integers(offsets[s + 1] - offsets[s] - self.width + 1))
                window = codes[offsets[s] + p:offsets[s] + p + self.width]
                W[k] = self.init_scale * (_ONEHOT[window] - 0.25)
            # tied slots (palindromic filters) start at the mean of the slots they tie
            free = self.tying_.pool(W) / self.tying_.multiplicity()
        return np.concatenate([free, np.zeros(self.n_filters), out_w, np.zeros(self.n_kmer_features),
                               [math.log(prior / (1 - prior))]])

    def fit(self, X: Any, y: Any, X_val: Any = None, y_val: Any = None,
            callback: Callable[[dict], None] | None = None) -> "MotifCNN":
        """Train on labeled sequences.

        Parameters
        ----------
        X : sequence of str / Bio.Seq / SeqRecord / int arrays, or int array shape (n, L)
            DNA sequences (IUPAC codes allowed; lengths may differ but must be >= ``width``).
        y : array_like of {0, 1}, shape (n,)
            1 = bound (positive), 0 = unbound.
        X_val, y_val : optional
            Validation data for early stopping; default: a random ``validation_fraction`` of X.
        callback : callable, optional
            Called after every epoch with the epoch's ``history_`` entry.

        Returns
        -------
        self
        """
        self._check_params()
        if self.config is not None:
            return self._fit_config(X, y, X_val, y_val, callback)
        if self.n_models > 1:
            return self._fit_average(X, y, X_val, y_val, callback)
        data = encode_batch(X, min_length=self.width)
        y = _check_labels(y, data[1].size - 1)
        rng = _check_random_state(self.random_state)
        self.tying_ = self._make_tying()
        nf, K = self.tying_.n_free, self.n_filters
        n = y.size
        if X_val is not None:
            vdata = encode_batch(X_val, min_length=self.width)
            yv = _check_labels(y_val, vdata[1].size - 1, name="y_val", need_both=False)
            train_idx = np.arange(n, dtype=np.int64)
            val_idx = np.arange(yv.size, dtype=np.int64)
        else:
            perm = rng.permutation(n)
            n_val = int(round(self.validation_fraction * n))
            val_idx = np.sort(perm[:n_val]).astype(np.int64)
            train_idx = np.sort(perm[n_val:]).astype(np.int64)
            vdata, yv = data, y
            if np.unique(y[train_idx]).size < 2:
                raise TrainingError("after the validation split the training part holds one class "
                                    "only: give more sequences or a smaller validation_fraction")
        theta = self._initial_theta(rng, data, y, train_idx)
        lengths = np.diff(data[1])
        self.seq_length_ = int(lengths.max())
        same = vdata is data
        if self.augment_rc:  # vdata still refers to the original, unaugmented sequences
            data, y, train_idx = _with_reverse_complements(data, y, train_idx)
        data = self._prepare(data)
        vdata = data if same and not self.augment_rc else self._prepare(vdata)
        m1 = np.zeros_like(theta)
        m2 = np.zeros_like(theta)
        lr = np.full(theta.size, float(self.learning_rate))
        if self.kmer_learning_rate is not None:
            lo = self.tying_.n_free + K + self.n_features
            lr[lo:lo + self.n_kmer_features] = self.kmer_learning_rate
        b1, b2, eps, t = 0.9, 0.999, 1e-8, 0
        self.history_ = []
        best = (np.inf, theta.copy(), 0)
        stale = 0
        with numba_threads(self.n_jobs):
            for epoch in range(1, self.max_epochs + 1):
                order = train_idx[rng.permutation(train_idx.size)]
                total = 0.0
                for s in range(0, order.size, self.batch_size):
                    batch = np.ascontiguousarray(order[s:s + self.batch_size])
                    mask = None
                    if self.dropout > 0:
                        mask = ((rng.random((batch.size, self.n_features)) >= self.dropout)
                                / (1.0 - self.dropout))
                    loss, grad = self._loss_grad(theta, data, batch, y, mask=mask)
                    total += loss * batch.size
                    t += 1
                    m1 = b1 * m1 + (1 - b1) * grad
                    m2 = b2 * m2 + (1 - b2) * grad * grad
                    step = lr * (m1 / (1 - b1 ** t)) / (np.sqrt(m2 / (1 - b2 ** t)) + eps)
                    theta = theta - step
                    if not np.all(np.isfinite(theta)):
                        raise TrainingError(f"parameters became non-finite in epoch {epoch}: "
                                            f"lower learning_rate (now {self.learning_rate})")
                entry = {"epoch": epoch, "train_loss": total / order.size,
                         "val_loss": float("nan"), "val_auroc": float("nan")}
                if val_idx.size:
                    vloss, _ = self._loss_grad(theta, vdata, val_idx, yv, need_grad=False)
                    self._unpack(theta)
                    entry["val_loss"] = vloss
                    entry["val_auroc"] = roc_auc(yv[val_idx], self._decision(vdata, val_idx))
                self.history_.append(entry)
                if callback is not None:
                    callback(entry)
                if val_idx.size:
                    if entry["val_loss"] < best[0] - 1e-6:
                        best = (entry["val_loss"], theta.copy(), epoch)
                        stale = 0
                    else:
                        stale += 1
                        if stale >= self.patience:
                            break
                else:
                    best = (entry["train_loss"], theta.copy(), epoch)
            self._unpack(best[1])
            self.best_epoch_ = best[2]
            self.best_epochs_ = [best[2]]
            h = self._features(data, train_idx)
            if val_idx.size and np.unique(yv[val_idx]).size == 2:
                self._measure_importance(vdata, val_idx, yv[val_idx], "validation split")
            else:
                self._measure_importance(data, train_idx, y[train_idx], "training data")
        self.feature_importance_ = self.weights_ * h.std(axis=0)
        self.filter_importance_ = self.feature_importance_.reshape(-1, K).sum(axis=0)
        return self

    def _measure_importance(self, data, idx, y, where: str) -> None:
        """Drop-in AUROC loss of every filter and of the k-mer term on labeled data.

        A filter is removed by replacing its pooled features with their mean over ``idx`` (the
        log-odds lose ``a_j (h_j - mean h_j)``); its importance is the AUROC of the full model
        minus the AUROC without it. Sets ``filter_auroc_loss_``, ``kmer_auroc_loss_``,
        ``importance_auroc_`` and ``importance_data_``.
        """
        h = self._features(data, idx)
        z = self._decision(data, idx)
        base = roc_auc(y, z)
        K = self.n_total_filters
        per_filter = ((h - h.mean(axis=0)) * self.weights_).reshape(h.shape[0], -1, K).sum(axis=1)
        self.filter_auroc_loss_ = np.array([base - roc_auc(y, z - per_filter[:, k]) for k in range(K)])
        self.kmer_auroc_loss_ = float("nan")
        if self.kmer:
            km = data[2]
            kz = np.zeros(idx.size)
            _sparse_rows_dot(km[0], km[1], km[2], idx, np.ascontiguousarray(self.kmer_weights_), kz)
            self.kmer_auroc_loss_ = base - roc_auc(y, z - (kz - kz.mean()))
        self.importance_auroc_ = base
        self.importance_data_ = f"{where} ({idx.size} sequences)"

    def measure_importance(self, X: Any, y: Any) -> np.ndarray:
        """Drop-in AUROC loss of every filter on labeled sequences ``X, y`` (stored in
        :attr:`filter_auroc_loss_`, which :meth:`filter_order` ``(by="auroc")`` ranks by).

        Returns
        -------
        ndarray, shape (n_models * n_filters,)
        """
        self._check_fitted()
        data = encode_batch(X, min_length=self.width)
        yy = _check_labels(y, data[1].size - 1)
        with numba_threads(self.n_jobs):
            self._measure_importance(self._prepare(data), np.arange(yy.size, dtype=np.int64), yy,
                                     "given data")
        return self.filter_auroc_loss_

    def _given_params(self) -> dict:
        """The parameters as the user set them (kept from the first configured fit, which
        replaces the configured ones by the values it chose)."""
        if getattr(self, "_given", None) is None:
            self._given = self.get_params()
        return dict(self._given)

    @staticmethod
    def _config_params(given: dict, name: str, fixed: dict) -> dict:
        """Parameters of configuration ``name`` completed by the user's: ``fixed`` values win;
        the configuration's strand pooling applies to RC-shared max-pooling models only."""
        params = {**given, **CONFIGS[name], **fixed, "config": None}
        if "strand_pooling" not in fixed and (
                not params["rc_shared"] or "max" not in str(params["pooling"]).split("+")):
            params["strand_pooling"] = "max"
        return params

    def _fit_config(self, X, y, X_val, y_val, callback) -> "MotifCNN":
        """Fit under ``config``: a named configuration, or ``"auto"``, the best of
        :data:`AUTO_CANDIDATES` by validation AUROC. A model parameter left at its constructor
        default takes the configuration's value; one set to anything else is kept."""
        import inspect
        import time

        given = self._given_params()
        defaults = {k: v.default for k, v in inspect.signature(type(self).__init__).parameters.items()
                    if k != "self"}
        keep = set(given["keep"] or ())
        fixed = {k: given[k] for k in _CONFIG_KEYS if given[k] != defaults[k] or k in keep}
        names = AUTO_CANDIDATES if given["config"] == "auto" else (given["config"],)
        if not isinstance(X, list):
            X = list(X)
        # input errors first, for the narrowest candidate; a candidate whose filters are wider
        # than the shortest sequence is left out of the search
        widths = [fixed.get("width", CONFIGS[n]["width"]) for n in names]
        lengths = np.diff(encode_batch(X, min_length=min(widths))[1])
        _check_labels(y, lengths.size)
        names = tuple(n for n, w in zip(names, widths) if w <= lengths.min())
        rng = _check_random_state(self.random_state)
        if len(names) > 1 and X_val is None:
            # one validation split of the training data, shared by every candidate: they are
            # compared (and each stops early) on the same sequences
            yy = _check_labels(y, len(X))
            perm = rng.permutation(yy.size)
            n_val = int(round(self.validation_fraction * yy.size))
            if n_val < 2 or np.unique(yy[perm[:n_val]]).size < 2:
                raise TrainingError("config='auto' compares configurations on a validation split, "
                                    "which needs both classes: give more sequences, a larger "
                                    "validation_fraction or X_val, or name a configuration "
                                    "(config='fast'; --config fast)")
            val, fit = np.sort(perm[:n_val]), np.sort(perm[n_val:])
            X, X_val = [X[i] for i in fit], [X[i] for i in val]
            y, y_val = yy[fit], yy[val]
        search = len(names) > 1
        results = []
        for name in names:
            params = self._config_params(given, name, fixed)
            if search:  # candidates are single networks; the chosen one gets its other members
                params["n_models"] = 1

            def tagged(entry, name=name):
                entry["config"] = name
                if callback is not None:
                    callback(entry)

            t = time.process_time()
            m = type(self)(**params, random_state=self.random_state).fit(X, y, X_val, y_val,
                                                                        callback=tagged)
            cpu = time.process_time() - t
            if X_val is not None:
                auc = m.score(X_val, y_val)
            else:  # the model's own early-stopping split
                runs: dict[int, list] = {}
                for h in m.history_:
                    runs.setdefault(h.get("model", 1), []).append(h)
                auc = float(np.mean([runs[i + 1][e - 1]["val_auroc"]
                                     for i, e in enumerate(m.best_epochs_)]))
            results.append((name, auc, m, cpu))
        best = max(range(len(results)),
                   key=lambda i: (np.nan_to_num(results[i][1], nan=-1.0), -i))
        name, auc, m, _ = results[best]
        n_models = self._config_params(given, name, fixed)["n_models"]
        if search and n_models > 1:
            params = {**self._config_params(given, name, fixed), "n_models": 1}
            members = [m]
            member_seeds = [int(v) for v in rng.integers(0, 2 ** 63 - 1, n_models - 1)]
            for i, seed in enumerate(member_seeds, 2):
                def tagged(entry, i=i):
                    entry["config"] = name
                    entry["model"] = i
                    if callback is not None:
                        callback(entry)
                members.append(type(self)(**params, random_state=seed).fit(
                    X, y, X_val, y_val, callback=tagged))
            m = type(self)(**{**params, "n_models": n_models})._set_average(members, X, y, X_val,
                                                                           y_val)
        state = {k: v for k, v in m.__dict__.items() if k not in ("config", "_given")}
        self.__dict__.update(state)
        self.config_ = {
            "config": given["config"], "chosen": name, "fixed": fixed,
            "candidates": [{"config": n, "validation_auroc": a, "best_epochs": mm.best_epochs_}
                           for n, a, mm, c in results],
        }
        # CPU seconds of each candidate's trial: not in config_, which the model file stores
        # (a file must depend only on the data and the seed)
        self.config_seconds_ = {n: round(c, 2) for n, a, mm, c in results}
        return self

    def _fit_average(self, X, y, X_val, y_val, callback) -> "MotifCNN":
        """Train ``n_models`` members from independent seeds; store their average as one model."""
        if not isinstance(X, list):  # each member reads X again (a 2-D array becomes its rows)
            X = list(X)
        rng = _check_random_state(self.random_state)
        seeds = [int(v) for v in rng.integers(0, 2 ** 63 - 1, self.n_models)]
        params = {**self.get_params(), "n_models": 1}
        members = []
        for i, seed in enumerate(seeds, 1):
            def tagged(entry, i=i):
                entry["model"] = i
                if callback is not None:
                    callback(entry)
            m = type(self)(**params, random_state=seed).fit(X, y, X_val, y_val, callback=tagged)
            members.append(m)
        return self._set_average(members, X, y, X_val, y_val)

    def _set_average(self, members: list, X: Any, y: Any, X_val: Any = None,
                     y_val: Any = None) -> "MotifCNN":
        """Store the average of trained single networks (this model's parameters, ``n_models``
        = their number) as this model; feature importances on ``X`` (AUROC losses on the
        validation data when given, else on ``X``)."""
        self.history_ = []
        for i, m in enumerate(members, 1):
            for entry in m.history_:
                self.history_.append({**entry, "model": i})
        M, K, npool = self.n_models, self.n_filters, len(self._pool_list())
        self.tying_ = self._make_tying()
        W = np.concatenate([m.filters_ for m in members])
        a = np.concatenate([m.weights_.reshape(npool, K) for m in members], axis=1).ravel() / M
        theta = np.concatenate([self.tying_.gather(W), np.concatenate([m.filter_bias_ for m in members]),
                                a, np.mean([m.kmer_weights_ for m in members], axis=0),
                                [float(np.mean([m.intercept_ for m in members]))]])
        self._unpack(theta)
        self.best_epochs_ = [m.best_epoch_ for m in members]
        self.best_epoch_ = self.best_epochs_[-1]
        self.seq_length_ = members[0].seq_length_
        data = self._prepare(encode_batch(X, min_length=self.width))
        with numba_threads(self.n_jobs):
            h = self._features(data, np.arange(data[1].size - 1, dtype=np.int64))
            if X_val is not None and np.unique(np.asarray(y_val)).size == 2:
                vdata = self._prepare(encode_batch(X_val, min_length=self.width))
                yv = _check_labels(y_val, vdata[1].size - 1)
                self._measure_importance(vdata, np.arange(yv.size, dtype=np.int64), yv, "validation split")
            else:
                yy = _check_labels(y, data[1].size - 1)
                self._measure_importance(data, np.arange(yy.size, dtype=np.int64), yy, "training data")
        self.feature_importance_ = self.weights_ * h.std(axis=0)
        self.filter_importance_ = self.feature_importance_.reshape(-1, M * K).sum(axis=0)
        return self

    # ------------------------------------------------------------------------------- predict
    def _check_fitted(self) -> None:
        if not hasattr(self, "filters_"):
            raise TrainingError("this MotifCNN is not trained yet: call fit() or MotifCNN.load()")

    def _features(self, data, idx) -> np.ndarray:
        return self._forward(data, idx, self.filters_, self.filter_bias_)[0]

    def _decision(self, data, idx) -> np.ndarray:
        z = _linear_out(self._features(data, idx), np.ascontiguousarray(self.weights_),
                        float(self.intercept_))
        if self.kmer:
            km = data[2]
            _sparse_rows_dot(km[0], km[1], km[2], idx, np.ascontiguousarray(self.kmer_weights_), z)
        return z

    def transform(self, X: Any) -> np.ndarray:
        """Pooled filter activations (bias and activation included), shape (n, n_filters)."""
        self._check_fitted()
        data = encode_batch(X, min_length=self.width)
        with numba_threads(self.n_jobs):
            return self._features(data, np.arange(data[1].size - 1, dtype=np.int64))

    def decision_function(self, X: Any) -> np.ndarray:
        """Log-odds of being bound, shape (n,)."""
        self._check_fitted()
        data = encode_batch(X, min_length=self.width)
        idx = np.arange(data[1].size - 1, dtype=np.int64)
        with numba_threads(self.n_jobs):
            z = self._decision(self._prepare(data), idx)
            if self.conjoin:  # sequence i's reverse complement is sequence n - 1 - i there
                z = (z + self._decision(self._prepare(_reverse_complement_data(data)), idx[::-1])) / 2
        return z

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of being bound, shape (n,)."""
        return _sigmoid(self.decision_function(X))

    def predict(self, X: Any) -> np.ndarray:
        """Class labels (1 = bound when the probability is >= 0.5), shape (n,)."""
        return (self.decision_function(X) >= 0).astype(np.int8)

    def score(self, X: Any, y: Any) -> float:
        """Area under the ROC curve of :meth:`decision_function` on labeled data."""
        z = self.decision_function(X)
        return roc_auc(_check_labels(y, z.size), z)

    # ---------------------------------------------------------------------- parameter report
    def parameter_counts(self, seq_length: int | None = None) -> list[dict]:
        """Free parameters per filter, shared convolution vs a locally-connected layer.

        A shared filter of width ``w`` has ``4 w + 1`` parameters (``2 w + 1`` when palindromic),
        whatever the sequence length; a locally-connected (unshared) layer with the same receptive
        field needs its own ``4 w + 1`` weights at each of the ``L - w + 1`` windows. Reverse-
        complement sharing costs nothing (an unshared model would need a second set per strand;
        not counted in the locally-connected column).

        Parameters
        ----------
        seq_length : int, optional
            Sequence length ``L`` (default: the longest training sequence).

        Returns
        -------
        list of dict
            One per filter: ``filter``, ``width``, ``palindromic``, ``shared``,
            ``locally_connected``, ``ratio``.
        """
        L = seq_length if seq_length is not None else getattr(self, "seq_length_", None)
        if L is None:
            raise InvalidParameter("seq_length", None, "give a sequence length (model not trained)")
        if L < self.width:
            raise InvalidParameter("seq_length", L, f"must be >= the filter width {self.width}")
        pal = set(self._palindromic_all())
        w = self.width
        out = []
        for k in range(self.n_total_filters):
            shared = (2 * w if k in pal else 4 * w) + 1
            local = (L - w + 1) * (4 * w + 1)
            out.append({"filter": k, "width": w, "palindromic": k in pal, "shared": shared,
                        "locally_connected": local, "ratio": local / shared})
        return out

    def parameter_report(self, seq_length: int | None = None) -> str:
        """:meth:`parameter_counts` as a Markdown table."""
        rows = self.parameter_counts(seq_length)
        lines = ["| filter | width | palindromic | shared params | locally-connected params | ratio |",
                 "|---:|---:|:---:|---:|---:|---:|"]
        for r in rows:
            lines.append(f"| {r['filter']} | {r['width']} | {'yes' if r['palindromic'] else 'no'} | "
                         f"{r['shared']} | {r['locally_connected']} | {r['ratio']:.0f}x |")
        return "\n".join(lines)

    # ------------------------------------------------------------------------------ PWM export
    def filter_pwm(self, k: int, beta: float | None = None) -> np.ndarray:
        """Probability matrix of filter ``k``: ``p[i, b] ∝ exp(beta * W[k, i, b])``, shape (w, 4).

        ``beta`` defaults to ``|weights_[k]|``, the output weight of the filter's first pooled
        feature: with max pooling ``beta * W`` is then the change in the model's log-odds of
        binding caused by each base in the filter's best window, so the PWM's log-odds are the
        network's own evidence units. Weakly weighted filters give flat PWMs; pass ``beta``, or
        export from activating sites (:meth:`to_motifs` with ``sites``).
        """
        self._check_fitted()
        if not 0 <= k < self.n_total_filters:
            raise InvalidParameter("filter", k, f"must be in 0..{self.n_total_filters - 1}")
        b = abs(float(self.weights_[k])) if beta is None else float(beta)
        if not np.isfinite(b) or b < 0:
            raise InvalidParameter("beta", beta, "must be a finite number >= 0")
        s = b * self.filters_[k]
        s = s - s.max(axis=1, keepdims=True)
        p = np.exp(s)
        return p / p.sum(axis=1, keepdims=True)

    def filter_order(self, by: str = "weight") -> np.ndarray:
        """Filter indices, most important first.

        Parameters
        ----------
        by : {"weight", "auroc"}
            ``"weight"``: largest positive :attr:`filter_importance_` (output weight x spread of
            the feature: evidence *for* binding) first. ``"auroc"``: largest drop-in AUROC loss
            (:attr:`filter_auroc_loss_`, measured on the validation split: what the prediction
            loses without the filter, whichever the sign of its evidence) first; ties by weight.
        """
        self._check_fitted()
        if by not in ("weight", "auroc"):
            raise InvalidParameter("by", by, "choose 'weight' or 'auroc'")
        if by == "auroc" and getattr(self, "filter_auroc_loss_", None) is not None:
            return np.lexsort((-self.filter_importance_, -self.filter_auroc_loss_))
        return np.argsort(-self.filter_importance_, kind="stable")

    def top_kmers(self, n: int = 10, sign: int = 1) -> list[tuple[str, float]]:
        """The k-mers of the k-mer term with the largest weights.

        Parameters
        ----------
        n : int
            How many.
        sign : {1, -1}
            1: most positive weights first (evidence for binding); -1: most negative first.

        Returns
        -------
        list of (str, float)
            ``(k-mer, weight)``; with ``rc_shared`` each k-mer stands for itself and its reverse
            complement (named by the lexicographically smaller one).
        """
        self._check_fitted()
        if not self.kmer:
            raise InvalidParameter("kmer", self.kmer, "this model has no k-mer term (kmer=0)")
        if sign not in (1, -1):
            raise InvalidParameter("sign", sign, "choose 1 or -1")
        names = self._kmer_map()[1]
        order = np.argsort(-sign * self.kmer_weights_, kind="stable")[:n]
        return [(names[i], float(self.kmer_weights_[i])) for i in order]

    def site_counts(self, X: Any, fraction: float = 0.5) -> np.ndarray:
        """Letter counts of the windows that activate each filter strongly, shape (K, w, 4).

        For filter ``k``, each sequence's best window (either strand; reverse-strand windows are
        reverse-complemented) is kept when its score is at least
        ``median + fraction * (max - median)`` of the best-window scores over ``X``. Letters are
        counted per column; ambiguity codes add their soft one-hot column. One pass over ``X``
        serves all filters.
        """
        self._check_fitted()
        if not 0 <= fraction <= 1:
            raise InvalidParameter("fraction", fraction, "must be in [0, 1]")
        codes, offsets = encode_batch(X, min_length=self.width)
        n = offsets.size - 1
        table, table_rc = self._tables(self.filters_)
        best = np.empty((n, self.n_total_filters))
        arg = np.empty((n, self.n_total_filters), dtype=np.int64)
        with numba_threads(self.n_jobs):
            conv_pool_forward(codes, offsets, np.arange(n, dtype=np.int64), table, table_rc,
                              self.filter_bias_, bool(self.rc_shared), False, POOL_MAX, best, arg)
        w = self.width
        counts = np.zeros((self.n_total_filters, w, 4))
        starts = offsets[:-1]
        P = offsets[1:] - starts - w + 1
        cols = np.arange(w)
        for k in range(self.n_total_filters):
            score = best[:, k]
            med = float(np.median(score))
            keep = np.flatnonzero(score >= med + fraction * (score.max() - med))
            a = arg[keep, k]
            fwd = a < P[keep]
            if fwd.any():
                pos = starts[keep[fwd]][:, None] + a[fwd][:, None] + cols[None, :]
                counts[k] += _ONEHOT[codes[pos]].sum(axis=0)
            if (~fwd).any():
                p = a[~fwd] - P[keep[~fwd]]
                pos = starts[keep[~fwd]][:, None] + p[:, None] + cols[None, ::-1]
                counts[k] += _ONEHOT[_COMP[codes[pos]]].sum(axis=0)
        return counts

    def filter_sites(self, X: Any, k: int, fraction: float = 0.5) -> np.ndarray:
        """Site counts of filter ``k`` alone, shape (w, 4) (see :meth:`site_counts`)."""
        if not 0 <= k < self.n_total_filters:
            raise InvalidParameter("filter", k, f"must be in 0..{self.n_total_filters - 1}")
        return self.site_counts(X, fraction)[k]

    def to_motifs(self, beta: float | None = None, n_sites: int = 100, trim: float | None = None,
                  filters: Sequence[int] | None = None, sites: Any = None,
                  site_fraction: float = 0.5) -> list:
        """Export filters as ``Bio.motifs.Motif`` objects holding counts.

        Two transforms: by default the weights, ``p[i, b] ∝ exp(beta * W[k, i, b])`` (see
        :meth:`filter_pwm`) with counts ``p * n_sites``; with ``sites`` (sequences, e.g. the bound
        training sequences), the letter counts of the windows that activate the filter most
        (see :meth:`filter_sites`).

        Parameters
        ----------
        beta : float, optional
            Sharpness of the weight transform (see :meth:`filter_pwm`); default per filter.
        n_sites : int
            Weight transform: counts are ``p * n_sites`` (floats; every column sums to
            ``n_sites``).
        sites : sequences, optional
            Count aligned activating windows from these sequences instead.
        site_fraction : float
            Threshold of :meth:`filter_sites`.
        trim : float, optional
            Drop flanking columns whose information content (bits, uniform background) is below
            ``trim``; a filter with no column above it keeps its single best column.
        filters : sequence of int, optional
            Which filters, in order (default: :meth:`filter_order`, most important first).

        Returns
        -------
        list of Bio.motifs.Motif
            Named ``filter<k>``; ``matrix_id`` ``CNN.<k>``.
        """
        from Bio import motifs as bio_motifs

        self._check_fitted()
        if n_sites <= 0:
            raise InvalidParameter("n_sites", n_sites, "must be > 0")
        order = self.filter_order() if filters is None else [int(k) for k in filters]
        out = []
        all_sites = self.site_counts(sites, site_fraction) if sites is not None else None
        for k in order:
            if all_sites is not None:
                c = all_sites[k]
                n_k = float(c[0].sum())  # >= 1: the best sequence always passes the threshold
                p = c / c.sum(axis=1, keepdims=True)
            else:
                p = self.filter_pwm(k, beta)
                n_k = float(n_sites)
            if trim is not None:
                ic = 2.0 + np.sum(p * np.log2(np.where(p > 0, p, 1.0)), axis=1)
                keep = np.flatnonzero(ic >= trim)
                lo, hi = (keep[0], keep[-1] + 1) if keep.size else (int(ic.argmax()), int(ic.argmax()) + 1)
                p = p[lo:hi]
            counts = {b: [float(v) for v in p[:, j] * n_k] for j, b in enumerate("ACGT")}
            m = bio_motifs.Motif(alphabet="ACGT", counts=counts)
            m.name = f"filter{k}"
            m.matrix_id = f"CNN.{k}"
            out.append(m)
        return out

    def export_motifs(self, sites: Any = None, top: int = 20, trim: float | None = 0.3,
                      merge: float | None = 0.8, database: Any = None, by: str = "auroc",
                      n_matches: int = 1, site_fraction: float = 0.5, beta: float | None = None,
                      ) -> list["LearnedMotif"]:
        """The learned motifs a biologist reads: ranked, trimmed, de-duplicated, annotated.

        1. Filters are ranked by importance (:meth:`filter_order`; by default the drop-in AUROC
           loss measured on the validation split) and the ``3 * top`` most important are
           exported (:meth:`to_motifs`: from activating ``sites`` when given, else from the
           weights), their flanks trimmed below ``trim`` bits.
        2. Near-identical motifs are merged (:func:`pairhmm.motif.compare.merge_similar`:
           column Pearson similarity >= ``merge`` on either strand, so a reverse-complement copy
           and a near-duplicate join the more important filter's group), and the groups are
           ranked by their filters' summed importance (copies of one motif make each other
           redundant, so each copy alone loses little).
        3. With a ``database`` (:class:`pairhmm.motif.compare.MotifDatabase`, or a path of any
           motif file :func:`pairhmm.motif.read_motifs` reads), each is annotated with its
           closest known motifs (Tomtom-style p-values).

        Parameters
        ----------
        sites : sequences, optional
            Bound sequences to count activating sites in (recommended; see :meth:`to_motifs`).
        top : int
            At most this many motifs (groups) are returned.
        trim : float or None
            Information threshold (bits) of the flank trimming; None = no trimming.
        merge : float or None
            Similarity threshold of the merging; None = no merging.
        database : MotifDatabase, path or None
        by : {"auroc", "weight"}
            Ranking (:meth:`filter_order`).
        n_matches : int
            Database matches kept per motif.

        Returns
        -------
        list of LearnedMotif
            Most important first.
        """
        from .compare import MotifDatabase, merge_similar

        self._check_fitted()
        if not isinstance(top, (int, np.integer)) or top < 1:
            raise InvalidParameter("top", top, "must be a positive integer")
        if isinstance(database, (str, os.PathLike)):
            database = MotifDatabase.read(database)
        order = [int(k) for k in self.filter_order(by)[:3 * top]]
        motifs = self.to_motifs(beta=beta, trim=trim, filters=order, sites=sites,
                                site_fraction=site_fraction)
        groups = merge_similar(motifs, merge) if merge is not None else [(i, []) for i in range(len(motifs))]
        loss = getattr(self, "filter_auroc_loss_", None)
        key = loss if by == "auroc" and loss is not None else self.filter_importance_
        # a motif learned by several filters: each copy makes the others redundant, so the group
        # is ranked by the sum of its filters' importances (ties: the representative's order)
        score = [float(sum(key[order[i]] for i in [rep] + [j for j, _ in members]))
                 for rep, members in groups]
        ranked = sorted(range(len(groups)), key=lambda g: (-score[g], groups[g][0]))
        out = []
        for rank, g in enumerate(ranked[:top], 1):
            rep, members = groups[g]
            k = order[rep]
            matches = database.search(motifs[rep], n_matches) if database is not None else []
            out.append(LearnedMotif(
                motif=motifs[rep], filter=k, rank=rank,
                auroc_loss=float(loss[k]) if loss is not None else float("nan"),
                weight_importance=float(self.filter_importance_[k]),
                merged=[(order[i], strand) for i, strand in members], matches=matches,
                group_importance=score[g]))
        return out

    def export_kmers(self, n: int = 10, database: Any = None) -> list[dict]:
        """The k-mer term's strongest k-mers for binding (largest weights), with the closest
        database motif of each (a k-mer compared as a one-hot matrix) when ``database`` is given.

        Returns
        -------
        list of dict
            ``rank``, ``kmer``, ``weight`` and, with a database, ``match`` (a
            :class:`pairhmm.motif.compare.Match`).
        """
        from .compare import MotifDatabase

        if isinstance(database, (str, os.PathLike)):
            database = MotifDatabase.read(database)
        rows = []
        for rank, (u, wt) in enumerate(self.top_kmers(n), 1):
            row: dict[str, Any] = {"rank": rank, "kmer": u, "weight": wt}
            if database is not None:
                onehot = np.array([[1.0 if b == c else 0.0 for b in "ACGT"] for c in u])
                row["match"] = database.search(onehot, 1)[0]
            rows.append(row)
        return rows

    def write_motifs(self, path_or_handle: Any, fmt: str = "meme", **kwargs: Any) -> None:
        """Write :meth:`to_motifs` (``kwargs`` passed on) as ``meme``, ``jaspar``, ``transfac`` or ``pfm``."""
        write_motif_file(self.to_motifs(**kwargs), path_or_handle, fmt)

    def save_logos(self, out_dir: "str | os.PathLike[str]", motifs: list | None = None,
                   **kwargs: Any) -> list[str]:
        """Write one sequence-logo PNG per motif into ``out_dir``; returns the paths.

        ``motifs`` defaults to :meth:`to_motifs` (``kwargs`` passed on), in importance order.
        """
        os.makedirs(out_dir, exist_ok=True)
        paths = []
        for rank, m in enumerate(motifs if motifs is not None else self.to_motifs(**kwargs), 1):
            path = os.path.join(os.fspath(out_dir), f"{rank:02d}_{m.name}.png")
            plot_logo(m, path, title=f"{m.name} (rank {rank})")
            paths.append(path)
        return paths

    # ------------------------------------------------------------------------------ save/load
    def get_params(self) -> dict:
        return {k: getattr(self, k) for k in (
            "n_filters", "width", "rc_shared", "palindromic", "pooling", "activation", "dropout",
            "l2", "learning_rate",
            "batch_size", "max_epochs", "patience", "validation_fraction", "init", "init_scale",
            "augment_rc", "kmer", "kmer_l2", "kmer_learning_rate", "n_models", "conjoin", "strand_pooling",
            "config", "keep", "n_jobs")}

    def to_dict(self) -> dict:
        """JSON-ready description of the trained model."""
        self._check_fitted()
        params = self.get_params()
        params["palindromic"] = (bool(self.palindromic)
                                 if isinstance(self.palindromic, (bool, np.bool_))
                                 else self._palindromic_set())
        rs = self.random_state
        params["random_state"] = rs if isinstance(rs, (int, type(None))) else None
        params["keep"] = list(self.keep or ())
        return {
            "format": "pairhmm.MotifCNN", "version": _FORMAT_VERSION, "alphabet": "dna",
            "params": params,
            "free": self.free_.tolist(), "filter_bias": self.filter_bias_.tolist(),
            "weights": self.weights_.tolist(), "kmer_weights": self.kmer_weights_.tolist(),
            "intercept": self.intercept_,
            "feature_importance": self.feature_importance_.tolist(),
            "seq_length": self.seq_length_, "best_epoch": self.best_epoch_,
            "best_epochs": self.best_epochs_, "history": self.history_,
            "config_choice": getattr(self, "config_", None),
            "importance": ({"filter_auroc_loss": self.filter_auroc_loss_.tolist(),
                            "kmer_auroc_loss": self.kmer_auroc_loss_,
                            "auroc": self.importance_auroc_, "data": self.importance_data_}
                           if getattr(self, "filter_auroc_loss_", None) is not None else None),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "MotifCNN":
        """Rebuild a trained model from :meth:`to_dict` output."""
        try:
            if d.get("format") != "pairhmm.MotifCNN":
                raise ModelFileError(f"not a MotifCNN model (format = {d.get('format')!r})")
            if d.get("version") not in (1, _FORMAT_VERSION):
                raise ModelFileError(f"unsupported MotifCNN model version {d.get('version')!r}")
            params = dict(d["params"])
            if "keep" in params:  # a JSON list; the constructor's default is a tuple
                params["keep"] = tuple(params["keep"] or ())
            model = cls(**params)
            model._check_params()
            model.tying_ = model._make_tying()
            K = model.n_total_filters
            theta = np.concatenate([np.asarray(d["free"], float), np.asarray(d["filter_bias"], float),
                                    np.asarray(d["weights"], float),
                                    np.asarray(d.get("kmer_weights", []), float),
                                    [float(d["intercept"])]])
            if theta.size != model._n_theta():
                raise ModelFileError(f"model has {theta.size} parameters, expected {model._n_theta()}")
            if not np.all(np.isfinite(theta)):
                raise ModelFileError("model parameters are not all finite")
            model._unpack(theta)
            fi = np.asarray(d.get("feature_importance", np.zeros(model.n_features)), float)
            if fi.shape != (model.n_features,):
                raise ModelFileError(f"feature_importance has shape {fi.shape}, expected "
                                     f"({model.n_features},)")
            model.feature_importance_ = fi
            model.filter_importance_ = fi.reshape(-1, K).sum(axis=0)
            model.seq_length_ = int(d["seq_length"])
            model.best_epoch_ = int(d.get("best_epoch", 0))
            model.best_epochs_ = [int(e) for e in d.get("best_epochs", [model.best_epoch_])]
            model.history_ = list(d.get("history", []))
            if d.get("config_choice") is not None:
                model.config_ = dict(d["config_choice"])
            imp = d.get("importance")
            if imp is not None:
                loss = np.asarray(imp["filter_auroc_loss"], float)
                if loss.shape != (K,):
                    raise ModelFileError(f"filter_auroc_loss has shape {loss.shape}, expected ({K},)")
                model.filter_auroc_loss_ = loss
                model.kmer_auroc_loss_ = float(imp.get("kmer_auroc_loss", float("nan")))
                model.importance_auroc_ = float(imp.get("auroc", float("nan")))
                model.importance_data_ = str(imp.get("data", ""))
        except ModelFileError:
            raise
        except (KeyError, TypeError, ValueError) as e:
            if isinstance(e, InvalidParameter):
                raise ModelFileError(f"invalid model parameter: {e}") from None
            raise ModelFileError(f"malformed MotifCNN model ({e.__class__.__name__}: {e})") from None
        return model

    def save(self, path_or_handle: Any) -> None:
        """Write the model as JSON (a path or a text handle)."""
        text = json.dumps(self.to_dict(), indent=1, allow_nan=True)
        if hasattr(path_or_handle, "write"):
            path_or_handle.write(text + "\n")
        else:
            from .._jsonio import write_text_atomic

            write_text_atomic(path_or_handle, text + "\n")

    @classmethod
    def load(cls, path: "str | os.PathLike[str]") -> "MotifCNN":
        """Read a model written by :meth:`save`."""
        from .._jsonio import read_json

        name = os.fspath(path)
        d = read_json(name)
        if not isinstance(d, dict):
            raise ModelFileError(f"{name}: not a MotifCNN model")
        try:
            return cls.from_dict(d)
        except ModelFileError as e:
            raise ModelFileError(f"{name}: {e}") from None

    def __repr__(self) -> str:
        extra = f", kmer={self.kmer}" if self.kmer else ""
        extra += f", n_models={self.n_models}" if self.n_models != 1 else ""
        extra += ", conjoin=True" if self.conjoin else ""
        extra += f", strand_pooling={self.strand_pooling!r}" if self.strand_pooling != "max" else ""
        extra += f", config={self.config!r}" if self.config is not None else ""
        return (f"MotifCNN(n_filters={self.n_filters}, width={self.width}, "
                f"rc_shared={self.rc_shared}, pooling={self.pooling!r}{extra})")


# ------------------------------------------------------------------------------------- helpers
class LearnedMotif:
    """One exported motif of :meth:`MotifCNN.export_motifs`.

    Attributes
    ----------
    motif : Bio.motifs.Motif
        The representative filter's PWM (named ``filter<k>``, ``matrix_id`` ``CNN.<k>``).
    filter : int
        The representative (most important) filter of the group.
    rank : int
        1 = most important.
    auroc_loss : float
        Drop-in AUROC loss of the representative filter (NaN if not measured).
    weight_importance : float
        Its output weight x feature spread (:attr:`MotifCNN.filter_importance_`).
    merged : list of (int, str)
        Filters merged into it and the strand on which each matches it.
    matches : list of pairhmm.motif.compare.Match
        Closest database motifs, best first (empty without a database).
    group_importance : float
        The rank's key: the importance (drop-in AUROC loss, or weight x spread with
        ``by="weight"``) summed over the representative and the merged filters.
    """

    __slots__ = ("motif", "filter", "rank", "auroc_loss", "weight_importance", "merged", "matches",
                 "group_importance")

    def __init__(self, motif, filter, rank, auroc_loss, weight_importance, merged, matches,
                 group_importance=float("nan")):
        self.motif, self.filter, self.rank = motif, filter, rank
        self.auroc_loss, self.weight_importance = auroc_loss, weight_importance
        self.merged, self.matches = merged, matches
        self.group_importance = group_importance

    def __repr__(self) -> str:
        best = f", best match {self.matches[0].id} {self.matches[0].name}" if self.matches else ""
        return (f"LearnedMotif(rank={self.rank}, filter={self.filter}, "
                f"consensus={str(self.motif.consensus)!r}, merged={len(self.merged)}{best})")


def _with_reverse_complements(data, y, train_idx):
    """Append the reverse complement of every sequence; training indices cover both copies
    (the copy of sequence ``i`` is sequence ``2n - 1 - i``)."""
    codes, offsets = data
    n = offsets.size - 1
    rc_codes, rc_offsets = _reverse_complement_data(data)
    all_codes = np.concatenate([codes, rc_codes])
    all_offsets = np.concatenate([offsets, offsets[-1] + rc_offsets[1:]])
    all_y = np.concatenate([y, y[::-1]])
    all_idx = np.sort(np.concatenate([train_idx, 2 * n - 1 - train_idx])).astype(np.int64)
    return (np.ascontiguousarray(all_codes), all_offsets.astype(np.int64)), all_y, all_idx


def _reverse_complement_data(data):
    """``(codes, offsets)`` of the reverse complements. Reversing the flat code array reverses
    the sequence order too: the reverse complement of sequence ``i`` is sequence ``n - 1 - i``."""
    codes, offsets = data[0], data[1]
    rc_offsets = np.concatenate([[0], np.cumsum(np.diff(offsets)[::-1])]).astype(np.int64)
    return np.ascontiguousarray(_COMP[codes[::-1]].astype(np.uint8)), rc_offsets


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


def _check_labels(y: Any, n: int, name: str = "y", need_both: bool = True) -> np.ndarray:
    try:
        arr = np.asarray(y)
    except Exception:  # pragma: no cover
        raise InvalidParameter(name, y, "must be an array of 0/1 labels") from None
    if arr.ndim != 1 or arr.size != n:
        raise InvalidParameter(name, f"shape {arr.shape}", f"need one label per sequence ({n})")
    if arr.dtype == bool:
        arr = arr.astype(np.int8)
    if not np.isin(arr, (0, 1)).all():
        bad = arr[~np.isin(arr, (0, 1))][0]
        raise InvalidParameter(name, bad, "labels must be 0 (unbound) or 1 (bound)")
    arr = arr.astype(np.int8)
    if need_both and np.unique(arr).size < 2:
        raise TrainingError(
            f"the labels hold a single class (all {int(arr[0])}): training needs bound (1) and "
            f"unbound (0) sequences; give negatives, or positives alone to get shuffled negatives")
    return arr


def write_motif_file(motifs: list, path_or_handle: Any, fmt: str = "meme") -> None:
    """Write motifs with the motif package's writer (:func:`pairhmm.motif.write_motifs`).

    Falls back to ``Bio.motifs.write`` (jaspar, transfac, pfm) when that writer is unavailable.
    """
    fmt = fmt.lower()
    if fmt not in ("meme", "jaspar", "transfac", "pfm"):
        raise InvalidParameter("fmt", fmt, "choose meme, jaspar, transfac or pfm")
    writer = None
    try:
        from . import write_motifs as writer  # type: ignore[attr-defined]
    except ImportError:
        writer = None
    if writer is not None:
        writer(motifs, path_or_handle, fmt)
        return
    if fmt == "meme":
        raise InvalidParameter("fmt", fmt, "MEME output needs pairhmm.motif.write_motifs")
    from Bio import motifs as bio_motifs

    text = bio_motifs.write(motifs, fmt)
    if hasattr(path_or_handle, "write"):
        path_or_handle.write(text)
    else:
        with open(path_or_handle, "w") as fh:
            fh.write(text)


def plot_logo(motif: Any, path: "str | os.PathLike[str]", title: str | None = None) -> None:
    """Draw an information-content sequence logo of a motif as a PNG.

    Parameters
    ----------
    motif : Bio.motifs.Motif or array, shape (w, 4)
        Counts (a motif) or a probability matrix with columns A, C, G, T.
    path : str or path
        Output PNG file.
    title : str, optional

    Raises
    ------
    ImportError
        matplotlib is missing (install the ``plot`` extra: ``pip install pairhmm[plot]``).
    """
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        from matplotlib.font_manager import FontProperties
        from matplotlib.patches import PathPatch
        from matplotlib.textpath import TextPath
        from matplotlib.transforms import Affine2D
    except ImportError:
        raise ImportError("sequence logos need matplotlib: pip install 'pairhmm[plot]'") from None
    if hasattr(motif, "counts"):
        p = np.array([motif.counts[b] for b in "ACGT"], dtype=float).T
    else:
        p = np.asarray(motif, dtype=float)
    p = p / p.sum(axis=1, keepdims=True)
    ic = 2.0 + np.sum(p * np.log2(np.where(p > 0, p, 1.0)), axis=1)
    colors = {"A": "#109648", "C": "#255C99", "G": "#F7B32B", "T": "#D62839"}
    font = FontProperties(family="DejaVu Sans", weight="bold")
    fig, ax = plt.subplots(figsize=(max(2.0, 0.45 * len(p)), 2.0))
    for i, col in enumerate(p):
        y = 0.0
        for j in np.argsort(col, kind="stable"):
            h = col[j] * ic[i]
            if h <= 1e-3:
                continue
            letter = "ACGT"[j]
            tp = TextPath((0, 0), letter, size=1, prop=font)
            bb = tp.get_extents()
            tr = (Affine2D().translate(-bb.x0, -bb.y0)
                  .scale(0.9 / bb.width, h / bb.height).translate(i + 0.05, y))
            ax.add_patch(PathPatch(tr.transform_path(tp), color=colors[letter], lw=0))
            y += h
    ax.set_xlim(0, len(p))
    ax.set_ylim(0, 2)
    ax.set_xticks(np.arange(len(p)) + 0.5)
    ax.set_xticklabels([str(i + 1) for i in range(len(p))], fontsize=7)
    ax.set_ylabel("bits")
    if title:
        ax.set_title(title, fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    fig.savefig(os.fspath(path), dpi=100)
    plt.close(fig)
