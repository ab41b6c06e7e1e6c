"""Reading BAliBASE-style reference alignments and scoring pairwise alignments against them.

Two formats are read, both into :class:`Family`:

* **BAliBASE 3** (``RV12/``): per family ``BBnnnnn.msf`` (the reference alignment),
  ``BBnnnnn.xml`` (its ``<column-score>`` block: one integer per alignment column, 1 = core block,
  0 or -1 = not scored) and ``BBnnnnn.tfa`` (the unaligned input). A residue is *scored* when its
  column has column score 1.
* **balifam** (``balifam100/ref/``): aligned FASTA, upper-case letters = residues in the core
  regions to be scored, lower case = not scored, ``.``/``-`` = gap (qscore's convention).

Score of a method on a pair (x, y): the reference pairs are the residue pairs (i, j) that the
reference puts in one column with both residues scored; the score is the fraction of them that
the method's pairwise alignment also aligns (the developer score / "Q" of the pair). Pairs with no
reference pair are left out (:func:`reference_pairs` returns an empty array for them).

Everything here is plain NumPy and Biopython so tests can import it (``benchmarks`` is a folder of
scripts, not a package: put it on ``sys.path``).
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

GAP_CHARS = "-.~"
#: identity bins (percent, lower bound inclusive, upper bound exclusive) and their labels
ID_BINS: tuple[tuple[float, float, str], ...] = (
    (0.0, 20.0, "<20%"),
    (20.0, 30.0, "20-30%"),
    (30.0, 40.0, "30-40%"),
    (40.0, 101.0, ">=40%"),
)


class ReferenceError(ValueError):
    """A reference file is missing, malformed, or disagrees with its companion files."""


@dataclass
class Family:
    """One reference multiple alignment.

    Attributes
    ----------
    name : str
        Family name (file stem, e.g. ``BB12001`` or ``PF00009``).
    ids : list of str
        Sequence names, in file order.
    rows : list of str
        Aligned rows, upper case, gaps as ``-``; all of length L.
    scored : ndarray of bool, shape (n_seqs, L)
        ``scored[r, c]``: row r has a residue in column c and that residue is scored.
    """

    name: str
    ids: list[str]
    rows: list[str]
    scored: np.ndarray

    def __post_init__(self) -> None:
        lengths = {len(r) for r in self.rows}
        if len(lengths) != 1:
            raise ReferenceError(f"{self.name}: aligned rows have different lengths {sorted(lengths)}")
        if self.scored.shape != (len(self.rows), len(self.rows[0])):
            raise ReferenceError(f"{self.name}: scored mask has shape {self.scored.shape}, "
                                 f"expected {(len(self.rows), len(self.rows[0]))}")
        self._residue = np.array([[c != "-" for c in r] for r in self.rows], dtype=bool)
        if np.any(self.scored & ~self._residue):
            raise ReferenceError(f"{self.name}: a gap is marked as a scored residue")
        # residue index of each column (valid where there is a residue)
        self._index = np.cumsum(self._residue, axis=1) - 1

    @property
    def sequences(self) -> list[str]:
        """Unaligned sequences (the rows without gaps), upper case."""
        return [r.replace("-", "") for r in self.rows]

    @property
    def n_pairs(self) -> int:
        """Number of unordered sequence pairs, n (n - 1) / 2."""
        n = len(self.rows)
        return n * (n - 1) // 2

    def pairs(self) -> Iterator[tuple[int, int]]:
        """Index pairs (a, b), a < b, in a fixed order."""
        return itertools.combinations(range(len(self.rows)), 2)

    def reference_pairs(self, a: int, b: int) -> np.ndarray:
        """Residue pairs of rows a and b aligned in the reference with both residues scored.

        Returns
        -------
        ndarray of int64, shape (k, 2)
            Columns: residue index in sequence a, residue index in sequence b (0-based).
        """
        cols = np.flatnonzero(self.scored[a] & self.scored[b])
        return np.stack([self._index[a, cols], self._index[b, cols]], axis=1).astype(np.int64)

    def identity(self, a: int, b: int) -> float:
        """Percent identity of rows a and b over the reference columns where both have a residue.

        All such columns count (core or not); NaN when the two rows share no column.
        """
        both = np.flatnonzero(self._residue[a] & self._residue[b])
        if both.size == 0:
            return float("nan")
        ra = np.frombuffer(self.rows[a].encode(), dtype=np.uint8)[both]
        rb = np.frombuffer(self.rows[b].encode(), dtype=np.uint8)[both]
        return 100.0 * float(np.mean(ra == rb))


# ---------------------------------------------------------------------------- readers
def _clean_row(text: str) -> str:
    row = "".join(text.split())
    return re.sub(f"[{re.escape(GAP_CHARS)}]", "-", row)


def _column_scores(xml_path: Path) -> np.ndarray:
    """The integers of the first ``<column-score>`` block of a BAliBASE XML file."""
    try:
        text = xml_path.read_text()
    except OSError as e:
        raise ReferenceError(f"cannot read {xml_path}: {e.strerror}") from None
    m = re.search(r"<column-score>.*?<colsco-data>(.*?)</colsco-data>", text, re.S)
    if m is None:
        raise ReferenceError(f"{xml_path}: no <column-score> ... <colsco-data> block")
    try:
        return np.array([int(v) for v in m.group(1).split()], dtype=np.int64)
    except ValueError:
        raise ReferenceError(f"{xml_path}: <colsco-data> holds a value that is not an integer") from None


def read_balibase(msf_path: "str | Path", xml_path: "str | Path | None" = None,
                  tfa_path: "str | Path | None" = None) -> Family:
    """Read one BAliBASE 3 family: MSF reference, XML core-column scores, TFA inputs.

    Parameters
    ----------
    msf_path : path
        ``BBnnnnn.msf``.
    xml_path, tfa_path : path, optional
        Default: the same stem with ``.xml`` / ``.tfa``. The TFA file, when present, must hold
        the same sequences as the MSF rows with gaps removed (compared case-insensitively);
        a mismatch raises :class:`ReferenceError`.

    Returns
    -------
    Family
        ``scored[r, c]`` = row r has a residue in column c and the column score is 1.
    """
    from Bio import AlignIO, SeqIO

    msf_path = Path(msf_path)
    xml_path = Path(xml_path) if xml_path is not None else msf_path.with_suffix(".xml")
    tfa_path = Path(tfa_path) if tfa_path is not None else msf_path.with_suffix(".tfa")
    try:
        aln = AlignIO.read(str(msf_path), "msf")
    except (OSError, ValueError) as e:
        raise ReferenceError(f"cannot read {msf_path} as MSF: {e}") from None
    ids = [r.id for r in aln]
    rows = [_clean_row(str(r.seq)).upper() for r in aln]
    cs = _column_scores(xml_path)
    if cs.size != len(rows[0]):
        raise ReferenceError(f"{xml_path.name}: {cs.size} column scores for an alignment of "
                             f"{len(rows[0])} columns ({msf_path.name})")
    if tfa_path.exists():
        tfa = {r.id: str(r.seq).upper() for r in SeqIO.parse(str(tfa_path), "fasta")}
        for name, row in zip(ids, rows):
            if name not in tfa:
                raise ReferenceError(f"{tfa_path.name}: sequence {name!r} of {msf_path.name} is missing")
            if tfa[name] != row.replace("-", ""):
                raise ReferenceError(f"{tfa_path.name}: sequence {name!r} differs from its "
                                     f"reference row in {msf_path.name} with gaps removed")
    residue = np.array([[c != "-" for c in r] for r in rows], dtype=bool)
    scored = residue & (cs == 1)[None, :]
    return Family(msf_path.stem, ids, rows, scored)


def read_balifam(path: "str | Path") -> Family:
    """Read one balifam reference (aligned FASTA; upper case = scored residue, ``.``/``-`` = gap).

    Returns
    -------
    Family
        ``scored[r, c]`` = the letter of row r in column c is upper case.
    """
    from Bio import SeqIO

    path = Path(path)
    try:
        recs = list(SeqIO.parse(str(path), "fasta"))
    except (OSError, ValueError) as e:
        raise ReferenceError(f"cannot read {path} as FASTA: {e}") from None
    if len(recs) < 2:
        raise ReferenceError(f"{path}: {len(recs)} sequence(s); a reference needs at least 2")
    raw = [_clean_row(str(r.seq)) for r in recs]
    scored = np.array([[c.isupper() for c in r] for r in raw], dtype=bool)
    name = path.name.split(".")[0]
    return Family(name, [r.id for r in recs], [r.upper() for r in raw], scored)


def find_families(folder: "str | Path") -> list[tuple[str, Path]]:
    """Locate the reference families of a benchmark folder.

    A folder with ``BB*.msf`` files is BAliBASE (the full-length ``BB`` families only; the
    core-only ``BBS`` ones are skipped); a folder with a ``ref/`` subfolder (directly or one level
    down, as in ``balifam100/balifam100/ref``) is balifam.

    Returns
    -------
    list of (format, path)
        ``format`` is ``"balibase"`` (path = the ``.msf``) or ``"balifam"``; sorted by name.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ReferenceError(f"{folder}: not a folder")
    msf = sorted(p for p in folder.glob("BB*.msf") if not p.name.startswith("BBS"))
    if msf:
        return [("balibase", p) for p in msf]
    for ref in (folder / "ref", *sorted(folder.glob("*/ref"))):
        if ref.is_dir():
            files = sorted(p for p in ref.iterdir() if p.is_file() and not p.name.startswith("."))
            if files:
                return [("balifam", p) for p in files]
    raise ReferenceError(f"{folder}: neither BAliBASE (BB*.msf) nor balifam (ref/) reference files")


def read_family(fmt: str, path: "str | Path") -> Family:
    """Read a family found by :func:`find_families`."""
    if fmt == "balibase":
        return read_balibase(path)
    if fmt == "balifam":
        return read_balifam(path)
    raise ReferenceError(f"unknown reference format {fmt!r}")


def family_name(path: "str | Path") -> str:
    """The family name of a reference file (``BB12001.msf`` -> ``BB12001``, ``PF00009.100`` -> ``PF00009``)."""
    return Path(path).name.split(".")[0]


# ---------------------------------------------------------------------------- scoring
def aligned_partner(coordinates: Any, n: int) -> np.ndarray:
    """Partner in y of each residue of x under a pairwise alignment.

    Parameters
    ----------
    coordinates : array_like, shape (2, k)
        Biopython ``Alignment.coordinates``: breakpoints in x (row 0) and y (row 1); a segment
        where both advance is aligned, where one stays put it is a gap. Coordinates need not
        start at 0 or end at the sequence ends (local alignments).
    n : int
        Length of x.

    Returns
    -------
    ndarray of int64, shape (n,)
        ``partner[i]`` = index in y aligned to x_i, or -1 when x_i is unaligned.
    """
    c = np.asarray(coordinates, dtype=np.int64)
    if c.ndim != 2 or c.shape[0] != 2:
        raise ReferenceError(f"coordinates must have shape (2, k), got {c.shape}")
    partner = np.full(n, -1, dtype=np.int64)
    for k in range(c.shape[1] - 1):
        dx = c[0, k + 1] - c[0, k]
        dy = c[1, k + 1] - c[1, k]
        if dx > 0 and dy > 0:
            if dx != dy:
                raise ReferenceError(f"segment {k} advances x by {dx} and y by {dy}: not a "
                                     "pairwise alignment")
            if c[0, k + 1] > n:
                raise ReferenceError(f"coordinates reach x position {c[0, k + 1]} beyond its length {n}")
            partner[c[0, k]:c[0, k + 1]] = np.arange(c[1, k], c[1, k + 1])
        elif dx < 0 or dy < 0:
            raise ReferenceError(f"coordinates go backwards at segment {k}")
    return partner


def pair_score(ref_pairs: np.ndarray, coordinates: Any, n: int) -> float:
    """Fraction of reference residue pairs that an alignment reproduces.

    Parameters
    ----------
    ref_pairs : ndarray, shape (k, 2)
        Reference pairs (i, j), from :meth:`Family.reference_pairs`.
    coordinates : array_like, shape (2, m)
        The method's alignment of x (length n) and y.
    n : int
        Length of x.

    Returns
    -------
    float
        In [0, 1]; NaN when ``ref_pairs`` is empty.
    """
    ref_pairs = np.asarray(ref_pairs, dtype=np.int64).reshape(-1, 2)
    if ref_pairs.shape[0] == 0:
        return float("nan")
    partner = aligned_partner(coordinates, n)
    return float(np.mean(partner[ref_pairs[:, 0]] == ref_pairs[:, 1]))


def identity_bin(identity: float, bins: Sequence[tuple[float, float, str]] = ID_BINS) -> str:
    """Label of the identity bin (percent) that holds ``identity``; ``"n/a"`` for NaN."""
    for lo, hi, label in bins:
        if lo <= identity < hi:
            return label
    return "n/a"
