"""Motif files as the databases distribute them: reading, writing, format detection, selection.

The formats users download most — MEME minimal (MEME, STREME, FIMO's input, MEME-suite
databases), JASPAR (``.jaspar`` and single-matrix ``.pfm``), TRANSFAC (TRANSFAC itself and
JASPAR's export), HOMER ``.motif`` and plain count matrices — are read by the small line parsers
below, because :mod:`Bio.motifs` rejects them as distributed (a MEME file without a background
line, JASPAR's TRANSFAC export with one space after the key), rounds MEME probabilities times
``nsites`` to integers, and reports errors without a line number. Every parser accepts CRLF line
ends, blank lines and ``#`` comment lines, and reports a malformed file as
``FILE: line N (motif 'ID'): what is wrong``. The parsers return :class:`Bio.motifs.Motif`
objects (counts, ``matrix_id``/``name``), the same objects Bio's own parsers return, so every
other format Bio.motifs reads (``sites``, ``clusterbuster``, ``xms``, ``alignace``, ``mast``, full
MEME text output) still goes through Bio.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from typing import Any, Iterable, Sequence

import numpy as np

from ..errors import InputFormatError, InvalidParameter

__all__ = ["read_motifs", "write_motifs", "detect_motif_format", "motif_ids", "select_motifs",
           "motif_alphabet", "MOTIF_FORMATS", "WRITE_FORMATS", "MEME_DEFAULT_NSITES"]

#: Formats :func:`read_motifs` accepts (Bio.motifs names, plus ``homer`` and ``meme``/``minimal``).
MOTIF_FORMATS = ("jaspar", "pfm", "sites", "minimal", "meme", "transfac", "homer",
                 "pfm-four-columns", "pfm-four-rows", "clusterbuster", "xms", "alignace", "mast")
#: Formats :func:`write_motifs` writes.
WRITE_FORMATS = ("jaspar", "meme", "transfac", "pfm", "clusterbuster")
#: Sites behind a probability matrix that does not say (MEME's default ``nsites``): MEME
#: probabilities without ``nsites=`` and HOMER probabilities become counts out of this many.
MEME_DEFAULT_NSITES = 20
#: How far a row of a MEME letter-probability matrix may sum from 1 (files round to a few
#: decimals; a row of counts, or a typo, is far outside).
MEME_ROW_TOLERANCE = 0.02

_EXT = {
    ".jaspar": "jaspar", ".meme": "minimal", ".minimal": "minimal", ".transfac": "transfac",
    ".dat": "transfac", ".tf": "transfac", ".sites": "sites", ".homer": "homer", ".motif": "homer",
    ".motifs": "homer", ".cb": "clusterbuster", ".xms": "xms",
}
_NUM = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_NUM_RE = re.compile(_NUM)
_DNA, _RNA = "ACGT", "ACGU"
_PROTEIN = "ACDEFGHIKLMNPQRSTVWY"
#: the formats read by the parsers of this module (the rest go through Bio.motifs)
_OWN = ("jaspar", "pfm", "pfm-four-rows", "pfm-four-columns", "homer", "transfac", "minimal")


# --------------------------------------------------------------------------- detection


def _meaningful(text: str) -> list[str]:
    """Non-blank, non-comment lines (``#``), stripped, CRLF/BOM tolerant."""
    return [ln.strip() for ln in text.lstrip("\ufeff").splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


def _is_numbers(tokens: Sequence[str]) -> bool:
    return bool(tokens) and all(_NUM_RE.fullmatch(t) for t in tokens)


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
    lines = _meaningful(head)
    first = lines[0] if lines else ""
    if first.startswith("MEME version"):
        return "minimal"
    if re.match(r"^(AC|ID|NA|DE|P0|PO|VV|BF)(\s|$)", first) or any(
            re.match(r"^(P0|PO)\s+A\s+C\s+G\s+T", ln) for ln in lines[:50]):
        return "transfac"
    if first.startswith(">") and _homer_header(first):
        return "homer"
    if first.startswith(">"):
        nxt = lines[1] if len(lines) > 1 else ""
        if re.match(r"^[ACGTU]\s*[\[|:]", nxt) or re.match(r"^[ACGTU]\s+" + _NUM, nxt):
            return "jaspar"
        if re.fullmatch(r"[ACGTUacgtu]+", nxt):
            return "sites"
        body = []
        for ln in lines[1:]:
            if ln.startswith(">"):
                break
            body.append(ln.split())
        if body and all(_is_numbers(r) for r in body):
            four_rows = len(body) == 4 and len({len(r) for r in body}) == 1
            four_cols = all(len(r) == 4 for r in body)
            if four_cols and (not four_rows or _homer_header(first)
                              or all(abs(sum(map(float, r)) - 1) <= MEME_ROW_TOLERANCE for r in body)):
                return "homer" if _homer_header(first) else "pfm-four-columns"
            if four_rows:
                return "jaspar"  # JASPAR .pfm with a '>ID name' header: four rows of counts
    ext = os.path.splitext(os.fspath(path))[1].lower() if path is not None else ""
    if ext in _EXT:
        return _EXT[ext]
    if lines and re.fullmatch(r"(?:Pos\s+)?A\s+C\s+G\s+[TU]", lines[0], re.I):
        return "pfm-four-columns"
    if ext == ".pfm" or (lines and all(_is_numbers(ln.split()) for ln in lines[:4])):
        rows = [ln.split() for ln in lines]
        if len(rows) == 4 and len({len(r) for r in rows}) == 1:
            return "pfm"
        if rows and all(len(r) == 4 for r in rows):
            return "pfm-four-columns"
        return "pfm"
    raise InputFormatError(
        f"{path or 'motif input'}: cannot tell the motif format (give fmt= / --motif-format, one of "
        f"{', '.join(MOTIF_FORMATS)})")


def _homer_header(line: str) -> bool:
    """A HOMER header: ``>CONSENSUS<tab>NAME<tab>LOG-ODDS THRESHOLD[...]``."""
    parts = line[1:].split("\t")
    return len(parts) >= 3 and bool(_NUM_RE.fullmatch(parts[2].strip()))


# --------------------------------------------------------------------------- reading


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
    """Read every motif of a motif file.

    Parameters
    ----------
    path : str, PathLike or text handle
        Motif file (plain or gzipped).
    fmt : str, optional
        One of :data:`MOTIF_FORMATS`; detected from the content and extension when omitted.
        ``meme``/``minimal`` is MEME's minimal text format (what MEME, STREME and our writer
        produce; full MEME text output goes to Bio's ``meme`` parser), ``homer`` HOMER's
        ``.motif`` format, ``pfm`` four rows (A, C, G, T) of counts, ``pfm-four-columns`` one
        row of four counts per position.

    Returns
    -------
    motifs : list of Bio.motifs.Motif
        In file order; each has at least one column and finite, non-negative counts. MEME
        motifs carry ``name`` (the ID), ``alt_id``, ``num_occurrences`` (``nsites``, default
        20), ``evalue``, ``file_background`` (dict, or None when the file has no background
        line), ``strands`` and ``url``; JASPAR and TRANSFAC motifs ``matrix_id`` and ``name``.

    Raises
    ------
    InputFormatError
        The file cannot be parsed; the message names the file, the line and the motif.
    """
    name, text = _read_text(path)
    text = text.lstrip("\ufeff")
    if not text.strip():
        raise InputFormatError(f"{name}: motif file is empty")
    if fmt is None:
        fmt = detect_motif_format(None if hasattr(path, "read") else name, text[:8192])
    fmt = fmt.lower()
    if fmt not in MOTIF_FORMATS:
        raise InvalidParameter("motif format", fmt, f"choose one of {', '.join(MOTIF_FORMATS)}")
    if fmt == "meme" and _meaningful(text[:4096])[:1] and \
            _meaningful(text[:4096])[0].startswith("MEME version"):
        fmt = "minimal"
    if fmt in _OWN:
        motifs = _PARSERS[fmt](text.splitlines(), name)
    else:
        motifs = _read_with_bio(text, fmt, name)
    if not motifs:
        raise InputFormatError(f"{name}: no motifs found (read as {fmt})")
    for k, m in enumerate(motifs):
        _check_counts(m, k, name)
    return motifs


def _read_with_bio(text: str, fmt: str, name: str) -> list:
    from Bio import motifs as bio_motifs

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            motifs = list(bio_motifs.parse(io.StringIO(text), fmt))
    except Exception as e:  # Bio raises ValueError, KeyError, IndexError ... on bad input
        raise InputFormatError(
            f"{name}: cannot parse as {fmt} motif file ({e.__class__.__name__}: {e})") from None
    if fmt == "sites":
        head = re.search(r"^>\s*(\S+)(?:\s+(\S+))?", text, re.M)
        for m in motifs:
            if not getattr(m, "name", None) and head:  # ">MA0004.1 Arnt 1" headers
                m.matrix_id = head.group(1)
                m.name = head.group(2) or head.group(1)
    return motifs


class _Error:
    """Builds ``FILE: line N (motif 'ID'): message`` errors."""

    def __init__(self, source: str) -> None:
        self.source = source

    def __call__(self, line: int | None, message: str, motif: str | None = None) -> InputFormatError:
        where = f"line {line}" if line is not None else "end of file"
        if motif is not None:
            where += f" (motif {motif!r})"
        return InputFormatError(f"{self.source}: {where}: {message}")


def _new_motif(counts: np.ndarray, letters: str) -> Any:
    """A Bio.motifs.Motif from counts of shape (width, len(letters))."""
    from Bio import motifs as bio_motifs

    return bio_motifs.Motif(alphabet=letters,
                            counts={c: [float(x) for x in counts[:, k]] for k, c in enumerate(letters)})


def _numbers(tokens: Sequence[str], err: _Error, i: int, what: str, motif: str | None) -> list[float]:
    try:
        return [float(t) for t in tokens]
    except ValueError:
        shown = " ".join(tokens)
        raise err(i, f"expected {what}, got {shown[:40]!r}", motif) from None


# -- JASPAR / pfm: four rows (one per letter), optional '>ID name' headers ---------------------


_ROW_LABEL = re.compile(r"^([ACGTUacgtu])\s*(?::|\|)?\s*\[?(.*?)\]?\s*$")


def _parse_letter_rows(lines: list[str], source: str) -> list:
    """JASPAR (``>ID name`` then ``A [ 1 2 ... ]`` rows) and pfm (four rows of numbers)."""
    err = _Error(source)
    out = []
    cur: dict[str, Any] | None = None

    def finish() -> None:
        if cur is None:
            return
        rows, mid = cur["rows"], cur["id"]
        if not rows:
            raise err(cur["line"], "motif has no rows of counts", mid)
        if len(rows) != 4:
            raise err(rows[-1][2], f"the motif ends after {len(rows)} rows of counts (expected 4, "
                                   f"A C G T)", mid)
        labels = [lab for lab, _, _ in rows]
        if all(labels):
            letters = "".join(lab.upper() for lab in labels)
            if sorted(letters) not in (sorted(_DNA), sorted(_RNA)):
                raise err(rows[0][2], f"row labels {letters!r} are not A, C, G and T", mid)
        else:
            letters = _DNA
        widths = {len(v) for _, v, _ in rows}
        if len(widths) != 1:
            short = min(rows, key=lambda r: len(r[1]))
            raise err(short[2], f"this row has {len(short[1])} values, another row has "
                                f"{max(widths)}", mid)
        order = "".join(sorted(letters, key=lambda c: "ACGTU".index(c)))
        counts = np.array([rows[letters.index(c)][1] for c in order]).T
        m = _new_motif(counts, order)
        if cur["id"] is not None:
            m.matrix_id, m.name = cur["id"], cur["name"]
        out.append(m)

    for i, raw in enumerate(lines, 1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith(">"):
            finish()
            fields = s[1:].split()
            cur = {"id": fields[0] if fields else f"motif_{len(out) + 1}",
                   "name": " ".join(fields[1:]), "rows": [], "line": i}
            continue
        if cur is None:
            cur = {"id": None, "name": "", "rows": [], "line": i}
        label = None
        m = _ROW_LABEL.match(s)
        body = s
        if m and not _NUM_RE.fullmatch(s.split()[0]):
            label, body = m.group(1), m.group(2)
        tokens = body.replace("[", " ").replace("]", " ").split()
        shown = cur["id"] if cur["id"] is not None else None
        if not tokens or not _is_numbers(tokens):
            raise err(i, f"expected a row of counts, got {s[:40]!r}", shown)
        if len(cur["rows"]) == 4:
            raise err(i, "a fifth row of counts (expected 4, A C G T)", shown)
        cur["rows"].append((label, [float(t) for t in tokens], i))
    finish()
    if len(out) > 1 and any(getattr(m, "matrix_id", None) is None for m in out):
        raise err(None, "several matrices without '>ID name' headers: give each one a header")
    return out


# -- one row per position, four columns: HOMER and plain four-column count files ----------------


def _parse_position_rows(lines: list[str], source: str, homer: bool) -> list:
    """Rows of four numbers (positions), optional ``>`` headers (HOMER: ``>consensus<TAB>name
    <TAB>threshold``) and an optional column header row (``A C G T``, ``Pos A C G T``)."""
    err = _Error(source)
    out = []
    cur: dict[str, Any] | None = None
    letters = _DNA

    def finish() -> None:
        if cur is None:
            return
        if not cur["rows"]:
            raise err(cur["line"], "motif has no rows", cur["id"])
        counts = np.array(cur["rows"])
        if homer:  # probabilities: as MEME (and FIMO on converted HOMER files), out of 20 sites
            counts = counts * MEME_DEFAULT_NSITES
        order = "".join(sorted(letters, key=lambda c: "ACGTU".index(c)))
        m = _new_motif(counts[:, [letters.index(c) for c in order]], order)
        if cur["id"] is not None:
            m.name = cur["id"]
        if homer:
            m.homer_consensus = cur["consensus"]
            if cur["threshold"] is not None:
                m.homer_threshold = cur["threshold"]
        out.append(m)

    skip_index = False
    for i, raw in enumerate(lines, 1):
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        if s.startswith(">"):
            finish()
            parts = s[1:].split("\t") if homer else s[1:].split()
            parts = [p.strip() for p in parts]
            name = parts[1] if homer and len(parts) > 1 and parts[1] else (parts[0] if parts else "")
            thr = float(parts[2]) if homer and len(parts) > 2 and _NUM_RE.fullmatch(parts[2]) else None
            cur = {"id": name or f"motif_{len(out) + 1}", "consensus": parts[0] if parts else "",
                   "threshold": thr, "rows": [], "line": i}
            continue
        tokens = s.split()
        if re.fullmatch(r"(?:Pos\s+)?[ACGTU]\s+[ACGTU]\s+[ACGTU]\s+[ACGTU]", s, re.I):
            head = [t.upper() for t in tokens if t.upper() != "POS"]
            if sorted(head) not in (sorted(_DNA), sorted(_RNA)):
                raise err(i, f"column header {s!r} does not name A, C, G and T")
            letters, skip_index = "".join(head), len(tokens) == 5
            continue
        if cur is None:
            cur = {"id": None, "consensus": "", "threshold": None, "rows": [], "line": i}
        if skip_index and tokens:
            tokens = tokens[1:]
        what = "four probabilities" if homer else "four counts (A C G T)"
        if len(tokens) != 4:
            raise err(i, f"expected {what}, got {len(tokens)} values", cur["id"])
        cur["rows"].append(_numbers(tokens, err, i, what, cur["id"]))
    finish()
    return out


# -- TRANSFAC (TRANSFAC, JASPAR's export, our writer) ------------------------------------------


def _parse_transfac(lines: list[str], source: str) -> list:
    """TRANSFAC records: two-letter keys (``AC``, ``ID``, ``NA``, ``P0``/``PO`` ...), one or more
    spaces or a tab before the value, ``XX`` separators, ``//`` at the end of each record."""
    err = _Error(source)
    out = []
    rec: dict[str, Any] = {}

    def label() -> str | None:
        return rec.get("ID") or rec.get("AC")

    def finish(i: int | None) -> None:
        if "rows" not in rec:
            return  # a header record (VV, release notes) or one without a matrix
        if not rec["rows"]:
            raise err(rec["p0"], "matrix has no rows", label())
        counts = np.array(rec["rows"])
        letters = rec["letters"]
        order = "".join(sorted(letters, key=lambda c: "ACGTU".index(c)))
        m = _new_motif(counts[:, [letters.index(c) for c in order]], order)
        ac, ident, na = rec.get("AC"), rec.get("ID"), rec.get("NA")
        if na:
            mid, name = ident or ac, na
        elif ac and ident:
            mid, name = ac, ident  # JASPAR's export: AC = matrix ID, ID = TF name
        else:
            mid, name = ident or ac, ""
        m.matrix_id = mid or f"motif_{len(out) + 1}"
        m.name = name or m.matrix_id
        out.append(m)

    for i, raw in enumerate(lines, 1):
        s = raw.rstrip()
        if not s.strip():
            continue
        if s.startswith("#"):
            continue
        if s.startswith("//"):
            finish(i)
            rec = {}
            continue
        key, _, value = s.strip().partition(" ") if "\t" not in s[:3] else s.strip().partition("\t")
        value = value.strip()
        if key in ("P0", "PO"):
            cols = [c.upper() for c in value.split()]
            if sorted(cols) not in (sorted(_DNA), sorted(_RNA)):
                raise err(i, f"matrix header {' '.join(s.split())!r} does not name A, C, G and T",
                          label())
            rec["letters"], rec["rows"], rec["p0"] = "".join(cols), [], i
            continue
        if "rows" in rec and re.fullmatch(r"\d+", key) and "done" not in rec:
            tokens = value.split()
            n = len(rec["letters"])
            if len(tokens) < n:
                raise err(i, f"expected a position number and {n} counts, got {s.strip()[:40]!r}",
                          label())
            rec["rows"].append(_numbers(tokens[:n], err, i, f"{n} counts", label()))
            continue
        if "rows" in rec and rec["rows"]:
            rec["done"] = True  # the matrix ends at the first line that is not a row
        if key in ("AC", "ID", "NA") and key not in rec:
            rec[key] = value.split()[0] if key != "NA" and value else value
    finish(None)
    return out


# -- MEME minimal --------------------------------------------------------------------------------


def _parse_meme(lines: list[str], source: str) -> list:
    """MEME minimal format: ``MEME version`` line; optional ``ALPHABET=``, ``strands:``,
    ``Background letter frequencies``; ``MOTIF id [alt]`` then ``letter-probability matrix:``
    (``alength= w= nsites= E=`` all optional) and its rows; optional ``URL`` lines. Lines of
    other sections (``log-odds matrix:`` rows, text) are skipped."""
    err = _Error(source)
    out = []
    letters: str | None = None
    background: dict[str, float] | None = None
    strands = "+ -"
    seen_version = False
    cur: dict[str, Any] | None = None
    state = "top"  # top | background | lpm | skip
    bg_line = 0

    def finish() -> None:
        if cur is None:
            return
        if cur["rows"] is None:
            raise err(cur["line"], "motif has no letter-probability matrix", cur["id"])
        if not cur["rows"]:
            raise err(cur["lpm"], "letter-probability matrix has no rows", cur["id"])
        if cur["w"] is not None and len(cur["rows"]) != cur["w"]:
            raise err(cur["end"], f"matrix ends after too few rows ({cur['w'] - len(cur['rows'])} "
                                  f"missing: w= {cur['w']})", cur["id"])
        probs = np.array(cur["rows"])
        alpha = cur["letters"]
        counts = probs * cur["nsites"]
        order = "".join(sorted(alpha, key=lambda c: "ACGTU".index(c))) if alpha in (_DNA, _RNA) else alpha
        m = _new_motif(counts[:, [alpha.index(c) for c in order]], order)
        m.name, m.alt_id = cur["id"], cur["alt"]
        m.num_occurrences, m.evalue, m.url = cur["nsites"], cur["evalue"], cur["url"]
        if background:
            missing = [c for c in alpha if c not in background]
            if missing:
                raise err(bg_line, f"the background gives no frequency for {', '.join(missing)}")
        # Bio's Motif.background falls back to uniform, so "absent" is kept in our own attribute
        m.file_background = dict(background) if background else None
        if background:
            m.background = dict(background)
        m.strands = strands
        out.append(m)

    for i, raw in enumerate(lines, 1):
        s = raw.strip()
        if state == "lpm":
            if not s or s.startswith("#"):
                if cur["w"] is None and cur["rows"]:
                    state = "top"  # no w=: a blank line ends the matrix
                continue
            tokens = s.split()
            if not _is_numbers(tokens):
                if cur["w"] is not None and len(cur["rows"]) < cur["w"]:
                    raise err(i, f"expected probabilities, got {s[:40]!r}", cur["id"])
                state = "top"  # fall through: the line belongs to the next section
            else:
                want = len(cur["letters"])
                if len(tokens) != want:
                    raise err(i, f"{len(tokens)} values, the alphabet ({cur['letters']}) has {want}",
                              cur["id"])
                row = [float(t) for t in tokens]
                total = sum(row)
                if abs(total - 1.0) > MEME_ROW_TOLERANCE or min(row) < 0:
                    raise err(i, f"the probabilities of a letter-probability matrix row sum to "
                                 f"{total:.4g}, not 1", cur["id"])
                cur["rows"].append(row)
                cur["end"] = i
                if cur["w"] is not None and len(cur["rows"]) == cur["w"]:
                    state = "top"
                continue
        if state == "background":
            if not s and not background:
                continue
            tokens = s.split()
            if tokens and len(tokens) % 2 == 0 and all(
                    _NUM_RE.fullmatch(v) for v in tokens[1::2]) and not s.startswith("MOTIF"):
                for a, v in zip(tokens[::2], tokens[1::2]):
                    background[a.upper()] = float(v)
                continue
            state = "top"
        if state == "skip":
            if s and _is_numbers(s.split()):
                continue
            state = "top"
        if not s or s.startswith("#"):
            continue
        if s.startswith("MEME version"):
            seen_version = True
            continue
        if not seen_version:
            raise err(i, "not a MEME motif file: the first line must be 'MEME version ...'")
        if s.startswith("ALPHABET"):
            if s.startswith("ALPHABET="):
                letters = s.split("=", 1)[1].strip()
            elif re.search(r"\bDNA-LIKE\b", s):
                letters = _DNA
            elif re.search(r"\bRNA-LIKE\b", s):
                letters = _RNA
            elif re.search(r"\bPROTEIN-LIKE\b", s):
                letters = _PROTEIN
            else:
                raise err(i, f"custom alphabet {s[:40]!r}: only DNA, RNA and protein alphabets are read")
            if not letters:
                raise err(i, "ALPHABET= names no letters")
            continue
        if s.startswith("strands:"):
            strands = s.split(":", 1)[1].strip() or "+"
            continue
        if s.startswith("Background letter frequencies"):
            background, state, bg_line = {}, "background", i
            continue
        if s.startswith("MOTIF"):
            finish()
            fields = s.split()
            if len(fields) < 2:
                raise err(i, "MOTIF line without an identifier")
            cur = {"id": fields[1], "alt": fields[2] if len(fields) > 2 else "", "rows": None,
                   "line": i, "w": None, "nsites": float(MEME_DEFAULT_NSITES), "evalue": 0.0,
                   "url": None, "letters": letters, "end": i}
            continue
        if s.startswith("letter-probability matrix"):
            if cur is None:
                raise err(i, "letter-probability matrix before any MOTIF line")
            keys = dict(re.findall(r"(\w+)\s*=\s*(\S+)", s.split(":", 1)[1] if ":" in s else ""))
            try:
                alength = int(keys["alength"]) if "alength" in keys else None
                cur["w"] = int(keys["w"]) if "w" in keys else None
                if "nsites" in keys:
                    cur["nsites"] = float(keys["nsites"])
                if "E" in keys:
                    cur["evalue"] = float(keys["E"])
            except ValueError:
                raise err(i, f"cannot read {s[:60]!r}", cur["id"]) from None
            if cur["nsites"] <= 0:
                raise err(i, f"nsites= {keys['nsites']} must be > 0", cur["id"])
            alpha = letters or (_PROTEIN if alength == 20 else _DNA)
            if alength is not None and alength != len(alpha):
                raise err(i, f"alength= {alength} but the alphabet {alpha} has {len(alpha)} letters",
                          cur["id"])
            cur["letters"], cur["rows"], cur["lpm"], state = alpha, [], i, "lpm"
            continue
        if s.startswith("log-odds matrix"):
            state = "skip"
            continue
        if s.startswith("URL"):
            if cur is not None:
                cur["url"] = s[3:].strip()
            continue
        # any other line (MEME's text sections, a letter-probability row outside a matrix): skip
    if state == "lpm" and cur is not None:
        cur["end"] = len(lines)
    if not seen_version:
        raise err(1, "not a MEME motif file: no 'MEME version' line")
    finish()
    return out


_PARSERS = {
    "jaspar": _parse_letter_rows,
    "pfm": _parse_letter_rows,
    "pfm-four-rows": _parse_letter_rows,
    "pfm-four-columns": lambda lines, src: _parse_position_rows(lines, src, homer=False),
    "homer": lambda lines, src: _parse_position_rows(lines, src, homer=True),
    "transfac": _parse_transfac,
    "minimal": _parse_meme,
}


def _check_counts(motif: Any, index: int, source: str) -> None:
    mid, _ = motif_ids(motif, index)
    letters = motif_alphabet(motif)
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


# --------------------------------------------------------------------------- names


def motif_ids(motif: Any, index: int = 0) -> tuple[str, str]:
    """Return ``(motif_id, motif_alt_id)`` as FIMO would print them.

    JASPAR: (matrix_id, name); MEME minimal: (name, alt name or ""); others: (name or
    ``motif_<n>``, "").
    """
    mid = getattr(motif, "matrix_id", None)
    name = getattr(motif, "name", None)
    alt = getattr(motif, "alt_id", None)
    if isinstance(motif, dict):  # Bio's TRANSFAC motifs are dicts of their fields
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


# --------------------------------------------------------------------------- writing


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
        nsites = int(round(float(tot[0, 0]))) or MEME_DEFAULT_NSITES
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
