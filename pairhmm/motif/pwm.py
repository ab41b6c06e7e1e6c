"""Motifs as shared-weight filters: backgrounds and log-odds filters.

A position weight matrix is a convolution filter: the same ``(width, 4)`` weights are applied at
every position of a sequence. This module turns count matrices (:mod:`.formats` reads them from
motif files) into such filters:

* counts -> probabilities with a pseudocount spread over the letters by the background,
  ``p[j, a] = (n[j, a] + c * bg[a]) / (N_j + c)`` (MEME/FIMO's ``--motif-pseudo``), where ``N_j`` is
  the column total (JASPAR columns need not have equal totals);
* probabilities -> log-odds in bits, ``w[j, a] = log2(p[j, a] / bg[a])``, exactly as
  ``Bio.motifs`` ``counts.normalize(pseudocounts={a: c * bg[a]}).log_odds(bg)`` computes them.

Backgrounds are always strand-symmetrised (``A = T``, ``C = G``), so the reverse-complement filter
of a motif is again a log-odds filter against the same background, and a site scores the same on
either strand.
"""

from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from ..alphabet import DNA, RNA, encode
from ..errors import AlphabetError, InputFormatError, InvalidParameter
# reading and writing motif files live in .formats; re-exported here for older imports
from .formats import (MOTIF_FORMATS, WRITE_FORMATS, _motif_matrix, detect_motif_format,  # noqa: F401
                      motif_alphabet, motif_ids, read_motifs, select_motifs, write_motifs)

__all__ = ["Background", "LogOddsFilter"]


# --------------------------------------------------------------------------- background


@dataclass(frozen=True)
class Background:
    """A strand-symmetrised order-0 background over A, C, G, T.

    Parameters
    ----------
    freqs : array of float, shape (4,)
        Frequencies of A, C, G, T. They are normalised and symmetrised on construction:
        ``A = T = (A + T) / 2``, ``C = G = (C + G) / 2``.
    """

    freqs: np.ndarray = field(default_factory=lambda: np.full(4, 0.25))

    def __post_init__(self) -> None:
        f = np.asarray(self.freqs, dtype=float).reshape(-1)
        if f.shape != (4,) or not np.all(np.isfinite(f)) or f.min() < 0 or f.sum() <= 0:
            raise InvalidParameter("background", self.freqs,
                                   "need four non-negative frequencies for A, C, G, T")
        f = f / f.sum()
        at, cg = (f[0] + f[3]) / 2, (f[1] + f[2]) / 2
        f = np.array([at, cg, cg, at])
        if f.min() <= 0:
            raise InvalidParameter("background", self.freqs,
                                   "every letter needs a positive frequency (A+T and C+G both > 0)")
        f.setflags(write=False)
        object.__setattr__(self, "freqs", f)

    @classmethod
    def uniform(cls) -> "Background":
        """The uniform background (0.25 each)."""
        return cls(np.full(4, 0.25))

    @classmethod
    def from_frequencies(cls, freqs: Any) -> "Background":
        """From a dict ``{"A": .., "C": .., "G": .., "T": ..}`` or a sequence of four numbers."""
        if isinstance(freqs, dict):
            try:
                freqs = [freqs[c] if c in freqs else freqs["U"] if c == "T" else freqs[c]
                         for c in "ACGT"]
            except KeyError as e:
                raise InvalidParameter("background", freqs, f"missing letter {e.args[0]!r}") from None
        return cls(np.asarray(freqs, dtype=float))

    @classmethod
    def from_sequences(cls, sequences: Iterable[Any], pseudocount: float = 1.0) -> "Background":
        """Estimate from sequences (SeqRecord, str, ``(name, str)`` or code arrays).

        Counts A, C, G, T (ambiguity codes are ignored), adds ``pseudocount`` to each letter and
        symmetrises.
        """
        counts = np.full(4, float(pseudocount))
        for item in sequences:
            seq = item[1] if isinstance(item, tuple) else item
            codes = encode(seq, DNA if not _looks_rna(seq) else RNA)
            counts += np.bincount(codes, minlength=16)[:4]
        return cls(counts)

    @classmethod
    def from_file(cls, path: "str | os.PathLike[str]") -> "Background":
        """Read a MEME background file (lines ``A 0.3``; ``#`` comments; order-0 lines used)."""
        from ..seqio import open_text

        name = os.fspath(path)
        found: dict[str, float] = {}
        with open_text(name) as fh:
            for i, line in enumerate(fh, 1):
                s = line.split("#", 1)[0].strip()
                if not s:
                    continue
                parts = s.split()
                if len(parts) != 2:
                    raise InputFormatError(f"{name}: line {i}: expected 'LETTER FREQUENCY', got {s[:40]!r}")
                key = parts[0].upper()
                if len(key) != 1:
                    continue  # higher-order Markov entries: we use order 0 only
                try:
                    found[key.replace("U", "T")] = float(parts[1])
                except ValueError:
                    raise InputFormatError(f"{name}: line {i}: {parts[1]!r} is not a number") from None
        missing = [c for c in "ACGT" if c not in found]
        if missing:
            raise InputFormatError(f"{name}: background file lacks letter(s) {', '.join(missing)}")
        f = np.array([found[c] for c in "ACGT"])
        if np.all(np.isfinite(f)) and abs(f.sum() - 1.0) > 0.01:
            raise InputFormatError(f"{name}: the order-0 frequencies of A, C, G, T sum to "
                                   f"{f.sum():.4g}, not 1")
        return cls(f)

    @classmethod
    def from_motifs(cls, motifs: Iterable[Any]) -> "Background":
        """The background a motif file gives (MEME's ``Background letter frequencies``, kept by
        :func:`read_motifs` as each motif's ``file_background``), as FIMO's default
        ``--bfile --motif--``; uniform when the file gives none.

        Raises
        ------
        InvalidParameter
            The motifs carry different backgrounds.
        """
        found = None
        for m in motifs:
            bg = getattr(m, "file_background", None)
            if not bg:
                continue
            b = cls.from_frequencies(bg)
            if found is not None and b != found:
                raise InvalidParameter("--bg", "motif", "the motifs carry different backgrounds: "
                                                        "give one with --bg")
            found = b
        return found if found is not None else cls.uniform()

    @classmethod
    def parse(cls, spec: "str | Background | None") -> "Background | None":
        """Parse a ``--bg`` value: ``uniform``, ``A,C,G,T`` frequencies (summing to 1 within
        0.01), or a background file.

        ``auto`` (estimate from the scanned sequences) returns None: the caller estimates.
        """
        if spec is None or isinstance(spec, Background):
            return spec
        s = str(spec).strip()
        if s.lower() == "uniform":
            return cls.uniform()
        if s.lower() == "auto":
            return None
        parts = s.split(",")
        if len(parts) == 4:
            try:
                f = np.array([float(p) for p in parts])
            except ValueError:
                pass
            else:
                if np.all(np.isfinite(f)) and abs(f.sum() - 1.0) > 0.01:  # typed probabilities
                    raise InvalidParameter("--bg", s, f"the four frequencies sum to {f.sum():.4g}, "
                                                      f"not 1")
                return cls(f)
        if os.path.exists(s):
            return cls.from_file(s)
        raise InvalidParameter("--bg", s, "use 'uniform', 'auto', four frequencies 'A,C,G,T' "
                                          "(e.g. 0.3,0.2,0.2,0.3) or a MEME background file")

    def as_dict(self, letters: str = "ACGT") -> dict[str, float]:
        """Frequencies as a dict keyed by letter (``letters`` renames T to U for RNA)."""
        return {c: float(f) for c, f in zip(letters, self.freqs)}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Background) and bool(np.array_equal(self.freqs, other.freqs))

    def __hash__(self) -> int:
        return hash(tuple(self.freqs))

    def __repr__(self) -> str:
        return "Background(A={:.4g}, C={:.4g}, G={:.4g}, T={:.4g})".format(*self.freqs)


def _looks_rna(seq: Any) -> bool:
    if isinstance(seq, np.ndarray):
        return False
    text = seq if isinstance(seq, str) else str(getattr(seq, "seq", seq))
    return ("U" in text or "u" in text) and "T" not in text and "t" not in text


# --------------------------------------------------------------------------- log-odds filter


class LogOddsFilter:
    """A motif as a log-odds convolution filter (bits) against a strand-symmetric background.

    Parameters
    ----------
    counts : array of float, shape (width, 4)
        Counts (or frequencies) of A, C, G, T per motif column.
    background : Background, optional
        Defaults to uniform.
    pseudocount : float
        Total pseudocount per column, spread over the letters by the background
        (``p = (n + c * bg) / (N + c)``); default 0.1 as in FIMO. It keeps zero counts (and
        all-zero columns) finite: an all-zero column becomes the background (weight 0).
    motif_id, alt_id : str
        Names printed in the output.
    alphabet : str
        ``"ACGT"`` or ``"ACGU"`` (RNA motifs scan RNA sequences; U is treated as T).

    Attributes
    ----------
    probs : ndarray, shape (width, 4)
    weights : ndarray, shape (width, 4)
        Log2-odds ``log2(probs / background)``.
    weights_rc : ndarray, shape (width, 4)
        The reverse-complement filter (scores the reverse strand when slid along the forward one).
    """

    def __init__(self, counts: Any, background: Background | None = None, pseudocount: float = 0.1,
                 motif_id: str = "motif", alt_id: str = "", alphabet: str = "ACGT") -> None:
        bg = background if background is not None else Background.uniform()
        counts = np.asarray(counts, dtype=float)
        if counts.ndim != 2 or counts.shape[1] != 4 or counts.shape[0] == 0:
            raise InvalidParameter(f"counts of motif {motif_id}", counts.shape,
                                   "need shape (width, 4) with width >= 1")
        if not np.all(np.isfinite(counts)) or counts.min() < 0:
            raise InvalidParameter(f"counts of motif {motif_id}", counts,
                                   "counts must be finite and non-negative")
        try:
            pc = float(pseudocount)
        except (TypeError, ValueError):
            raise InvalidParameter("pseudocount", pseudocount, "must be a number >= 0") from None
        if not math.isfinite(pc) or pc < 0:
            raise InvalidParameter("pseudocount", pseudocount, "must be a number >= 0")
        totals = counts.sum(axis=1)
        if pc == 0:
            zero = np.argwhere(counts == 0)
            if zero.size:
                j, a = zero[0]
                raise InvalidParameter(
                    "pseudocount", pseudocount,
                    f"motif {motif_id} column {j + 1} has a zero count for {alphabet[a]} "
                    f"(log-odds would be -inf): use a pseudocount > 0")
        empty = np.flatnonzero(totals == 0)
        if empty.size:
            warnings.warn(
                f"motif {motif_id}: column(s) {', '.join(str(j + 1) for j in empty)} have zero counts; "
                f"the pseudocount makes them equal to the background (weight 0)", stacklevel=2)
        freqs = bg.freqs
        self.counts = counts
        self.background = bg
        self.pseudocount = pc
        self.motif_id = str(motif_id)
        self.alt_id = str(alt_id)
        self.alphabet = alphabet
        self.probs = (counts + pc * freqs) / (totals + pc)[:, None]
        self.weights = np.log2(self.probs / freqs)
        # reverse complement: reverse the columns, swap A<->T and C<->G (codes 0..3 -> 3..0)
        self.weights_rc = np.ascontiguousarray(self.weights[::-1, ::-1])

    @classmethod
    def from_motif(cls, motif: Any, background: Background | None = None, pseudocount: float = 0.1,
                   index: int = 0) -> "LogOddsFilter":
        """Build from a :class:`Bio.motifs.Motif` (its counts; names via :func:`motif_ids`)."""
        letters = motif_alphabet(motif)
        mid, alt = motif_ids(motif, index)
        if sorted(letters) not in (sorted("ACGT"), sorted("ACGU")):
            raise AlphabetError(
                f"motif {mid!r} has alphabet {letters!r}: only nucleotide motifs (ACGT or ACGU) "
                f"can scan nucleotide sequences")
        order = "ACGT" if "T" in letters else "ACGU"
        counts = _motif_matrix(motif, order)
        return cls(counts, background, pseudocount, mid, alt, order)

    @property
    def width(self) -> int:
        """Number of motif columns."""
        return int(self.weights.shape[0])

    @property
    def min_score(self) -> float:
        """Lowest possible score (sum of column minima)."""
        return float(self.weights.min(axis=1).sum())

    @property
    def max_score(self) -> float:
        """Highest possible score (sum of column maxima)."""
        return float(self.weights.max(axis=1).sum())

    def to_bio_pssm(self):
        """The same filter as a :class:`Bio.motifs` PSSM (for cross-checks and plotting)."""
        from Bio.motifs.matrix import FrequencyPositionMatrix

        letters = self.alphabet
        fpm = FrequencyPositionMatrix(letters, {c: list(self.counts[:, k]) for k, c in enumerate(letters)})
        pcs = {c: self.pseudocount * float(f) for c, f in zip(letters, self.background.freqs)}
        return fpm.normalize(pseudocounts=pcs).log_odds(self.background.as_dict(letters))

    def score(self, sequence: Any) -> tuple[np.ndarray, np.ndarray]:
        """Scores of every window on both strands (dense; for checks and small inputs).

        Parameters
        ----------
        sequence : str, Seq, SeqRecord or array of codes

        Returns
        -------
        forward, reverse : ndarray of float, shape (max(n - width + 1, 0),)
            ``forward[i]`` scores ``sequence[i:i+width]``; ``reverse[i]`` scores its reverse
            complement. Windows holding an ambiguity code score ``nan``.
        """
        codes = encode(sequence, RNA if self.alphabet == "ACGU" else DNA)
        w = self.width
        n = codes.size - w + 1
        if n <= 0:
            return np.zeros(0), np.zeros(0)
        win = np.lib.stride_tricks.sliding_window_view(codes, w)
        bad = (win >= 4).any(axis=1)
        safe = np.where(win >= 4, 0, win)
        cols = np.arange(w)
        fwd = np.zeros(n)
        rev = np.zeros(n)
        for j in range(w):  # sum in column order, as the scanner's canonical rescoring does
            fwd += self.weights[cols[j], safe[:, j]]
            rev += self.weights[cols[j], 3 - safe[:, w - 1 - j]]
        fwd[bad] = np.nan
        rev[bad] = np.nan
        return fwd, rev

    def __repr__(self) -> str:
        return f"LogOddsFilter({self.motif_id!r}, width={self.width}, pseudocount={self.pseudocount})"
