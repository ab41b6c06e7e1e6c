"""Motifs as shared-weight filters: reading and writing motif files, backgrounds, log-odds filters.

A position weight matrix is a convolution filter: the same ``(width, 4)`` weights are applied at
every position of a sequence. This module turns the count matrices that :mod:`Bio.motifs` reads
into such filters:

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

import io
import math
import os
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from ..alphabet import DNA, RNA, encode
from ..errors import AlphabetError, InputFormatError, InvalidParameter

__all__ = [
    "read_motifs", "write_motifs", "motif_ids", "select_motifs", "detect_motif_format", "Background",
    "LogOddsFilter", "MOTIF_FORMATS", "WRITE_FORMATS",
]

#: Formats :func:`read_motifs` accepts (Bio.motifs names, plus ``homer`` and ``meme``/``minimal``).
MOTIF_FORMATS = ("jaspar", "pfm", "sites", "minimal", "meme", "transfac", "homer",
                 "pfm-four-columns", "pfm-four-rows", "clusterbuster", "xms", "alignace", "mast")
#: Formats :func:`write_motifs` writes.
WRITE_FORMATS = ("jaspar", "meme", "transfac", "pfm", "clusterbuster")

_EXT = {
    ".jaspar": "jaspar", ".meme": "minimal", ".minimal": "minimal", ".transfac": "transfac",
    ".dat": "transfac", ".sites": "sites", ".homer": "homer", ".motif": "homer",
    ".motifs": "homer", ".cb": "clusterbuster", ".xms": "xms",
}
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


# --------------------------------------------------------------------------- reading / writing


def detect_motif_format(path: "str | os.PathLike[str] | None", head: str) -> str:
    """Guess a motif file's format from its content (first lines) and extension.

    Parameters
    ----------
    path : path or None
        File name (its extension is used when the content is not conclusive).
    head : str
        The first few kilobytes of the file.

    Returns
    -------
    fmt : str
        A name from :data:`MOTIF_FORMATS`.
    """
    lines = [ln.rstrip("\n") for ln in head.splitlines() if ln.strip()]
    first = lines[0].strip() if lines else ""
    if first.startswith("MEME version"):
        return "minimal"
    if re.match(r"^(AC|ID|NA|DE|P0|PO|VV|ac|id)\b", first) or any(
            re.match(r"^(P0|PO)\s+A\s+C\s+G\s+T", ln) for ln in lines[:50]):
        return "transfac"
    if first.startswith(">"):
        nxt = lines[1].strip() if len(lines) > 1 else ""
        if re.match(r"^[ACGTU]\s*\[", nxt) or re.match(r"^[ACGTU]\s+" + _NUM, nxt):
            return "jaspar"
        if re.fullmatch(r"[ACGTUacgtu]+", nxt):
            return "sites"
        body = []
        for ln in lines[1:]:
            if ln.startswith(">"):
                break
            body.append(ln.split())
        if body and all(all(re.fullmatch(_NUM, x) for x in r) for r in body):
            if len(body) == 4 and len({len(r) for r in body}) == 1 and "\t" not in first:
                return "jaspar"  # JASPAR .pfm with a '>ID name' header: four rows of counts
            if all(len(r) == 4 for r in body):
                return "homer"
    ext = os.path.splitext(os.fspath(path))[1].lower() if path is not None else ""
    if ext in _EXT:
        return _EXT[ext]
    if ext == ".pfm" or (lines and all(re.fullmatch(rf"\s*{_NUM}(\s+{_NUM})*\s*", ln) for ln in lines[:4])):
        rows = [ln.split() for ln in lines]
        if len(rows) == 4 and len({len(r) for r in rows}) == 1:
            return "pfm"
        if rows and all(len(r) == 4 for r in rows):
            return "pfm-four-columns"
        return "pfm"
    raise InputFormatError(
        f"{path or 'motif input'}: cannot tell the motif format (give fmt= / --motif-format, one of "
        f"{', '.join(MOTIF_FORMATS)})")


def _read_text(path: Any) -> tuple[str, str]:
    """Return (display name, whole text) of a motif file path or an open handle."""
    if hasattr(path, "read"):
        return getattr(path, "name", "motif input"), path.read()
    from ..seqio import open_text

    name = os.fspath(path)
    fh = open_text(name)
    try:
        try:
            text = fh.read()
        except (UnicodeDecodeError, OSError, EOFError) as e:
            raise InputFormatError(f"{name}: not a readable text file ({e.__class__.__name__})") from None
    finally:
        if name != "-":
            fh.close()
    return name, text


def read_motifs(path: Any, fmt: str | None = None) -> list:
    """Read every motif of a motif file with :mod:`Bio.motifs`.

    Parameters
    ----------
    path : str, PathLike or text handle
        Motif file (plain or gzipped).
    fmt : str, optional
        One of :data:`MOTIF_FORMATS`; detected from the content and extension when omitted.
        ``meme`` means MEME's minimal text format (what MEME, STREME and our writer produce);
        ``homer`` is HOMER's ``.motif`` format (Bio's ``pfm-four-columns``, with the name taken
        from the header's second field).

    Returns
    -------
    motifs : list of Bio.motifs.Motif
        In file order; each has at least one column and finite, non-negative counts.

    Raises
    ------
    InputFormatError
        The file cannot be parsed; the message names the motif and line where it can be found.
    """
    name, text = _read_text(path)
    if not text.strip():
        raise InputFormatError(f"{name}: motif file is empty")
    if fmt is None:
        fmt = detect_motif_format(None if hasattr(path, "read") else name, text[:8192])
    fmt = fmt.lower()
    if fmt not in MOTIF_FORMATS:
        raise InvalidParameter("motif format", fmt, f"choose one of {', '.join(MOTIF_FORMATS)}")
    bio_fmt = {"meme": "minimal", "homer": "pfm-four-columns"}.get(fmt, fmt)
    if bio_fmt == "minimal" and not text.lstrip().startswith("MEME version"):
        bio_fmt = "meme"  # full MEME output (XML-less text); Bio's 'meme' parser reads it
    bad = _locate_bad_line(text, fmt)
    if bad is not None:
        raise InputFormatError(f"{name}: {bad}")
    from Bio import motifs as bio_motifs

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = bio_motifs.parse(io.StringIO(text), bio_fmt)
            motifs = list(parsed)
    except Exception as e:  # Bio raises ValueError, KeyError, IndexError ... on bad input
        raise InputFormatError(
            f"{name}: cannot parse as {fmt} motif file ({e.__class__.__name__}: {e})") from None
    if not motifs:
        raise InputFormatError(f"{name}: no motifs found (read as {fmt})")
    alts: list[str | None] = []
    if bio_fmt == "minimal":  # Bio's parser drops MEME's alternate name: take it from the text
        alts = [mm.group(2) for mm in re.finditer(r"^MOTIF[ \t]+(\S+)(?:[ \t]+(\S+))?", text, re.M)]
    for k, m in enumerate(motifs):
        if len(alts) == len(motifs) and alts[k]:
            m.alt_id = alts[k]
        if fmt == "sites" and not getattr(m, "name", None):  # ">MA0004.1 Arnt 1" headers
            head = re.search(r"^>\s*(\S+)(?:\s+(\S+))?", text, re.M)
            if head:
                m.matrix_id = head.group(1)
                m.name = head.group(2) or head.group(1)
        if fmt == "homer":
            parts = str(m.name).split("\t")
            m.name = parts[1] if len(parts) > 1 else parts[0]
            m.homer_consensus = parts[0]
        _check_counts(m, k, name)
    return motifs


#: How far a row of a MEME letter-probability matrix may sum from 1 (files round to a few
#: decimals; a row of counts, or a typo, is far outside).
MEME_ROW_TOLERANCE = 0.02


def _locate_bad_line(text: str, fmt: str) -> str | None:
    """Find the first malformed line of a JASPAR, pfm or minimal-MEME file (None if none found).

    Bio.motifs' parsers report errors without a line number; this light check names the motif
    and the line, which is what a user needs to fix the file.
    """
    lines = text.splitlines()
    current = "(before the first motif)"
    if fmt == "jaspar":
        rows = 0
        for i, ln in enumerate(lines, 1):
            s = ln.strip()
            if not s:
                continue
            if s.startswith(">"):
                if rows not in (0, 4):
                    return f"motif {current!r} has {rows} rows (expected 4, A C G T) before line {i}"
                current, rows = s[1:].split()[0] if s[1:].split() else "?", 0
                continue
            body = re.sub(r"^[ACGTU]\s*", "", s).replace("[", " ").replace("]", " ").split()
            if not body or not all(re.fullmatch(_NUM, x) for x in body):
                return f"line {i} (motif {current!r}): expected a row of counts, got {s[:40]!r}"
            rows += 1
        if rows not in (0, 4):
            return f"motif {current!r} has {rows} rows (expected 4, A C G T) at the end of the file"
    elif fmt in ("minimal", "meme") and text.lstrip().startswith("MEME version"):
        in_matrix, left = False, 0
        width = None
        for i, ln in enumerate(lines, 1):
            s = ln.strip()
            if s.startswith("MOTIF"):
                current = (s.split() + ["?"])[1]
                in_matrix = False
                continue
            if s.startswith("letter-probability matrix"):
                m = re.search(r"w=\s*(\d+)", s)
                left = int(m.group(1)) if m else -1
                in_matrix = True
                width = None
                continue
            if in_matrix:
                if not s:
                    if left > 0:
                        return (f"line {i} (motif {current!r}): matrix ends after too few rows "
                                f"({left} missing)")
                    in_matrix = left < 0 and width is None
                    continue
                vals = s.split()
                if not all(re.fullmatch(_NUM, x) for x in vals):
                    if left > 0:
                        return f"line {i} (motif {current!r}): expected probabilities, got {s[:40]!r}"
                    in_matrix = False
                    continue
                if width is None:
                    width = len(vals)
                if len(vals) != width:
                    return (f"line {i} (motif {current!r}): {len(vals)} values, the matrix's other "
                            f"rows have {width}")
                total = sum(float(x) for x in vals)
                if abs(total - 1.0) > MEME_ROW_TOLERANCE:
                    return (f"line {i} (motif {current!r}): the probabilities of a "
                            f"letter-probability matrix row sum to {total:.4g}, not 1")
                left -= 1
    elif fmt == "pfm":
        rows = [ln for ln in lines if ln.strip() and not ln.startswith(">")]
        for i, ln in enumerate(lines, 1):
            if ln.strip() and not ln.startswith(">"):
                vals = re.sub(r"^[ACGTU]\s*", "", ln.strip()).replace("[", " ").replace("]", " ").split()
                if not all(re.fullmatch(_NUM, x) for x in vals):
                    return f"line {i}: expected a row of counts, got {ln.strip()[:40]!r}"
        if len(rows) != 4:
            return f"a pfm file holds one motif of 4 rows (A C G T), found {len(rows)} rows"
    return None


def _check_counts(motif: Any, index: int, source: str) -> None:
    mid, _ = motif_ids(motif, index)
    letters = "".join(motif.counts.alphabet) if hasattr(motif.counts, "alphabet") else "ACGT"
    try:
        arr = np.array([motif.counts[c] for c in letters], dtype=float)
    except (TypeError, ValueError):
        raise InputFormatError(f"{source}: motif {mid!r}: counts are not numbers") from None
    if arr.size == 0 or arr.shape[1] == 0:
        raise InputFormatError(f"{source}: motif {mid!r} has no columns")
    if not np.all(np.isfinite(arr)) or arr.min() < 0:
        j = int(np.argwhere(~np.isfinite(arr) | (arr < 0))[0][1])
        raise InputFormatError(
            f"{source}: motif {mid!r} column {j + 1} has a negative or non-finite count")


def motif_ids(motif: Any, index: int = 0) -> tuple[str, str]:
    """Return ``(motif_id, motif_alt_id)`` as FIMO would print them.

    JASPAR: (matrix_id, name); MEME minimal: (name, alt name or ""); others: (name or
    ``motif_<n>``, "").
    """
    mid = getattr(motif, "matrix_id", None)
    name = getattr(motif, "name", None)
    alt = getattr(motif, "alt_id", None)
    if isinstance(motif, dict):  # TRANSFAC motifs are dicts of their fields
        mid = mid or motif.get("ID") or motif.get("AC")
        name = motif.get("NA") or name
    if mid:
        return str(mid), "" if name in (None, mid) else str(name)
    if name:
        return str(name).strip(), "" if alt in (None, name) else str(alt)
    return f"motif_{index + 1}", ""


def select_motifs(motifs: Sequence[Any], wanted: Iterable[str], source: str = "the motif file") -> list:
    """The motifs named in ``wanted``, in file order (FIMO's ``--motif``).

    Each entry matches motif IDs exactly (:func:`motif_ids`: every motif with that ID); when no
    ID matches, it matches the alternate name (JASPAR TF name, MEME alternate name) if exactly
    one motif has it.

    Raises
    ------
    InvalidParameter
        An entry matches nothing, or only a name that several motifs share.
    """
    ids = [motif_ids(m, k) for k, m in enumerate(motifs)]
    chosen: set[int] = set()
    for w in wanted:
        by_id = [k for k, (mid, _) in enumerate(ids) if mid == w]
        if by_id:
            chosen.update(by_id)
            continue
        by_name = [k for k, (_, alt) in enumerate(ids) if alt == w]
        if len(by_name) == 1:
            chosen.add(by_name[0])
        elif by_name:
            shown = ", ".join(ids[k][0] for k in by_name[:5]) + (", ..." if len(by_name) > 5 else "")
            raise InvalidParameter("motif", w, f"the name is shared by {len(by_name)} motifs in "
                                               f"{source} ({shown}): give the ID")
        else:
            shown = ", ".join(mid for mid, _ in ids[:3]) + (", ..." if len(ids) > 3 else "")
            raise InvalidParameter("motif", w, f"no motif with that ID or name in {source} "
                                               f"({len(ids)} motifs: {shown})")
    return [motifs[k] for k in sorted(chosen)]


def _motif_matrix(motif: Any, letters: str = "ACGT") -> np.ndarray:
    """Counts of ``motif`` as an array, shape (width, len(letters))."""
    return np.array([motif.counts[c] for c in letters], dtype=float).T.copy()


def motif_alphabet(motif: Any) -> str:
    """The letters of a motif's alphabet as a string (``"ACGT"``, ``"ACGU"``, ...)."""
    alpha = getattr(motif, "alphabet", None) or getattr(motif.counts, "alphabet", "ACGT")
    return "".join(alpha)


def write_motifs(motifs: Iterable[Any], path_or_handle: Any, fmt: str) -> None:
    """Write motifs in ``fmt`` (``jaspar``, ``meme``, ``transfac``, ``pfm``, ``clusterbuster``).

    ``meme`` writes MEME's minimal text format (Bio.motifs has no writer for it): letter
    probabilities (counts / column total), ``nsites`` = the first column's total, uniform
    background. ``pfm`` holds a single motif. ``path_or_handle`` is a path (written atomically
    would be the CLI's job) or an open text handle.
    """
    motifs = list(motifs)
    fmt = fmt.lower()
    if fmt not in WRITE_FORMATS:
        raise InvalidParameter("output motif format", fmt, f"choose one of {', '.join(WRITE_FORMATS)}")
    if not motifs:
        raise InvalidParameter("motifs", [], "nothing to write")
    if fmt == "pfm" and len(motifs) != 1:
        raise InvalidParameter("output motif format", fmt,
                               f"a pfm file holds one motif, got {len(motifs)}: use jaspar")
    if fmt == "meme":
        text = _write_meme(motifs)
    elif fmt == "transfac":
        text = _write_transfac(motifs)
    else:
        import copy

        from Bio import motifs as bio_motifs

        named = []
        for k, m in enumerate(motifs):  # Bio's JASPAR writer prints matrix_id and name
            mid, alt = motif_ids(m, k)
            c = copy.copy(m)  # do not touch the caller's objects
            c.matrix_id, c.name = mid, alt or getattr(m, "name", "") or mid
            named.append(c)
        text = bio_motifs.write(named, fmt)
        if fmt == "pfm":
            mid, alt = motif_ids(motifs[0])
            text = f">{mid} {alt}".rstrip() + "\n" + text.lstrip("\n")
    if hasattr(path_or_handle, "write"):
        path_or_handle.write(text)
    else:
        with open(os.fspath(path_or_handle), "w") as fh:
            fh.write(text)


def _write_meme(motifs: Sequence[Any]) -> str:
    letters = motif_alphabet(motifs[0])
    out = ["MEME version 4", "", f"ALPHABET= {letters}", "", "strands: + -", "",
           "Background letter frequencies", " ".join(f"{c} {1 / len(letters):.3f}" for c in letters), ""]
    for k, m in enumerate(motifs):
        mid, alt = motif_ids(m, k)
        counts = _motif_matrix(m, letters)
        tot = counts.sum(axis=1, keepdims=True)
        probs = np.where(tot > 0, counts / np.where(tot > 0, tot, 1), 1.0 / len(letters))
        nsites = int(round(float(tot[0, 0]))) or 20
        out.append(f"MOTIF {mid} {alt}".rstrip())
        out.append("")
        out.append(f"letter-probability matrix: alength= {len(letters)} w= {len(probs)} "
                   f"nsites= {nsites} E= 0")
        out.extend(" " + "  ".join(f"{p:.6f}" for p in row) for row in probs)
        out.append("")
    return "\n".join(out) + "\n"


def _write_transfac(motifs: Sequence[Any]) -> str:
    out = []
    for k, m in enumerate(motifs):
        mid, alt = motif_ids(m, k)
        counts = _motif_matrix(m)
        out.append(f"ID  {mid}")
        if alt:
            out.append(f"NA  {alt}")
        out.append("XX")
        out.append("P0      A      C      G      T")
        for j, row in enumerate(counts):
            cells = " ".join(f"{_fmt_count(x):>6}" for x in row)
            out.append(f"{j + 1:02d}  {cells}")
        out.append("XX")
        out.append("//")
    return "\n".join(out) + "\n"


def _fmt_count(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:.6g}"


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
        """The background a motif file gives (MEME's ``Background letter frequencies``), as
        FIMO's default ``--bfile --motif--``; uniform when the file gives none.

        Raises
        ------
        InvalidParameter
            The motifs carry different backgrounds.
        """
        found = None
        for m in motifs:
            bg = getattr(m, "background", None)
            if not bg:
                continue
            if isinstance(bg, Background):
                freqs = bg.freqs
            else:
                try:
                    freqs = [bg[c] if c in bg else bg["U"] for c in "ACGT"]
                except (KeyError, TypeError):
                    continue
            b = cls(np.asarray(freqs, dtype=float))
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
