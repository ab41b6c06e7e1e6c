"""The tying engine: free parameters, and a map from every model slot to the parameter it uses.

A model written with tying has a small vector of *free* parameters and an integer ``index`` array
with the shape of the model's *expanded* parameter array (an emission matrix, a transition matrix,
the pair HMM's per-state gap parameters ...). ``index[s]`` is the free parameter that slot ``s``
uses, or ``-1`` for a slot that is structurally zero. Two slots with the same index are tied: they
are the same stored number, so they are equal by construction.

Training uses the same map in the other direction: the E-step accumulates expected counts per slot
(per state), :meth:`Tying.pool` sums them over each tie group, and the model's M-step normalises
the pooled counts once. Both :class:`pairhmm.TiedHMM` and :class:`pairhmm.PairHMM` are built on it.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .errors import InvalidParameter

__all__ = ["Tying"]


class Tying:
    """Map from the slots of an expanded parameter array to shared free parameters.

    Parameters
    ----------
    index : array_like of int
        Shape of the expanded array; entry = index of the free parameter used there, -1 = fixed 0.
        Free parameter indices must be ``0 .. n_free-1``, each used at least once.

    Examples
    --------
    Two insert states sharing one emission vector over 4 letters:

    >>> t = Tying.shared_rows(n_rows=2, width=4, groups=[[0, 1]])
    >>> t.n_free
    4
    >>> t.expand(np.array([0.1, 0.2, 0.3, 0.4]))[1].tolist()
    [0.1, 0.2, 0.3, 0.4]
    """

    def __init__(self, index: "np.ndarray | Sequence") -> None:
        idx = np.asarray(index, dtype=np.int64)
        used = idx[idx >= 0]
        n_free = int(used.max()) + 1 if used.size else 0
        if idx.min(initial=0) < -1:
            raise InvalidParameter("tying index", int(idx.min()), "entries must be >= -1")
        if used.size and np.unique(used).size != n_free:
            raise InvalidParameter("tying index", sorted(set(used.tolist()))[:10], "must use every free parameter 0..n_free-1")
        self.index = idx
        self.index.setflags(write=False)
        self.n_free = n_free
        self._mask = idx >= 0
        self._flat = idx[self._mask]

    # ------------------------------------------------------------------ constructors
    @classmethod
    def untied(cls, shape: "int | tuple[int, ...]") -> "Tying":
        """Every slot its own free parameter."""
        n = int(np.prod(shape))
        return cls(np.arange(n).reshape(shape))

    @classmethod
    def shared_rows(cls, n_rows: int, width: int, groups: "Sequence[Sequence[int]] | None" = None) -> "Tying":
        """Rows of an (n_rows, width) array, rows in one group sharing one free row.

        Rows not named in any group get a free row of their own. Free rows are numbered in order of
        each group's smallest row.
        """
        row_of = -np.ones(n_rows, dtype=np.int64)
        for g in groups or []:
            g = list(g)
            if not g:
                raise InvalidParameter("tie group", [], "cannot be empty")
            for r in g:
                if not 0 <= r < n_rows:
                    raise InvalidParameter("tie group", g, f"row {r} is outside 0..{n_rows - 1}")
                if row_of[r] >= 0:
                    raise InvalidParameter("tie groups", r, "a row is in more than one tie group")
                row_of[r] = min(g) + n_rows  # provisional label
        for r in range(n_rows):
            if row_of[r] < 0:
                row_of[r] = r + n_rows
        _, free_row = np.unique(row_of, return_inverse=True)
        # renumber free rows in order of first appearance
        order = {}
        for r in range(n_rows):
            order.setdefault(int(free_row[r]), len(order))
        free_row = np.array([order[int(f)] for f in free_row])
        return cls(free_row[:, None] * width + np.arange(width)[None, :])

    @classmethod
    def from_labels(cls, labels: "np.ndarray | Sequence") -> "Tying":
        """Slots with the same non-negative label share one parameter; -1 is a fixed zero.

        Labels need not be contiguous; they are renumbered ``0..n_free-1`` in sorted order.
        """
        lab = np.asarray(labels, dtype=np.int64)
        out = -np.ones_like(lab)
        pos = lab >= 0
        if pos.any():
            _, inv = np.unique(lab[pos], return_inverse=True)
            out[pos] = inv
        return cls(out)

    # ------------------------------------------------------------------ the two directions
    @property
    def shape(self) -> tuple[int, ...]:
        return self.index.shape

    def expand(self, free: np.ndarray) -> np.ndarray:
        """Expanded array: ``out[s] = free[index[s]]`` (0 where ``index[s] == -1``)."""
        free = np.asarray(free, dtype=np.float64)
        if free.shape != (self.n_free,):
            raise InvalidParameter("free parameters", free.shape, f"expected shape ({self.n_free},)")
        out = np.zeros(self.index.shape)
        out[self._mask] = free[self._flat]
        return out

    def pool(self, counts: np.ndarray) -> np.ndarray:
        """Sum per-slot expected counts over each tie group: shape (n_free,)."""
        counts = np.asarray(counts, dtype=np.float64)
        if counts.shape != self.index.shape:
            raise InvalidParameter("counts", counts.shape, f"must have the tying's shape {self.index.shape}")
        return np.bincount(self._flat, weights=counts[self._mask], minlength=self.n_free)

    def multiplicity(self) -> np.ndarray:
        """How many slots use each free parameter: shape (n_free,)."""
        return np.bincount(self._flat, minlength=self.n_free).astype(np.float64)

    def gather(self, full: np.ndarray) -> np.ndarray:
        """Free parameters read back from an expanded array (first slot of each group).

        Raises ``InvalidParameter`` (a ``ValueError``) if tied slots of ``full`` are not equal.
        """
        full = np.asarray(full, dtype=np.float64)
        free = np.zeros(self.n_free)
        free[self._flat[::-1]] = full[self._mask][::-1]
        if not np.allclose(self.expand(free)[self._mask], full[self._mask], rtol=1e-12, atol=0):
            raise InvalidParameter("tied values", "unequal", "slots that share a parameter must hold the same value")
        return free

    def is_tied(self) -> bool:
        """True if at least two slots share a free parameter."""
        return self.n_free < self._flat.size

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tying) and np.array_equal(self.index, other.index)

    def __repr__(self) -> str:
        return f"Tying(shape={self.shape}, n_free={self.n_free})"
