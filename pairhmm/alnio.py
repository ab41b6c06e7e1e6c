"""Alignments in and out: pairwise alignments written so that each format's standard reader reads
them back, and multiple alignments read from the files public databases distribute.

Writing (:class:`AlignmentWriter`, used by ``pairhmm align -f FORMAT``): one pairwise alignment
after another, the first sequence of a pair being the reference (SAM, PSL, BED, MAF).

========== ==============================================================================
format     what is written (and which reader reads it back in the tests)
========== ==============================================================================
text       a readable view: a ``#`` header line per pair, the two rows, a ``PP`` row
json       one JSON list, an object per alignment
fasta      aligned FASTA, ``>id description``, two records per pair, one pair after
           another (``Bio.AlignIO.parse(fh, "fasta", seq_count=2)``)
clustal    a ``CLUSTAL`` header line and 60-column blocks per pair, full names
           (``Bio.AlignIO.parse(fh, "clustal")``; ``Bio.Align`` reads a one-pair file)
stockholm  ``# STOCKHOLM 1.0`` ... ``//`` per pair, ``#=GS id DE description``, posterior
           probabilities as ``#=GR id PP`` and ``#=GC PP_cons`` (``Bio.Align``, ``Bio.AlignIO``)
phylip     strict PHYLIP (names padded to 10 characters) when every name fits in 10
           characters, otherwise relaxed PHYLIP (full names followed by a space, as RAxML,
           PhyML and IQ-TREE read it); one data set per pair (``Bio.AlignIO`` ``phylip`` /
           ``phylip-relaxed``)
nexus      one NEXUS data block (one pair per file) (``Bio.Align``, ``Bio.AlignIO``)
maf        a ``##maf version=1`` header, one ``a`` block per pair (``Bio.Align``)
sam        ``@HD``, one ``@SQ`` per reference, ``@PG``; one line per pair: POS = first
           aligned reference residue, unaligned ends of the query soft-clipped, ``AS:i``
           (rounded score), ``NM:i`` (edit distance) (pysam with ``check_sq``)
psl        BLAT's PSL without the header (``-noHead``), one line per pair (``Bio.Align``)
bed        BED12 + 2 columns: score (column 5) = round(1000 x mean column posterior), an
           integer 0-1000 as the BED spec requires; column 13 = the mean posterior, column 14
           = the method's score (``Bio.Align`` and pysam read the first 12 columns; bedtools
           and ``bedToBigBed -type=bed12+2`` read all)
========== ==============================================================================

Reading (:func:`read_alignment_file`): aligned FASTA (with :mod:`pairhmm.seqio`), A2M
(``Bio.Align``), and Clustal, Stockholm, GCG MSF, PHYLIP (strict or relaxed) and NEXUS with
``Bio.AlignIO``, whose readers take the files as distributed (BAliBASE's MSF files end their
``..`` header line with a blank, which ``Bio.Align``'s MSF reader rejects; Pfam's Stockholm
``#=GF``/``#=GS``/``#=GR`` keys) and behave the same in every Biopython version pairhmm allows.
The format is detected from the content when not given (:func:`detect_alignment_format`).
"""

from __future__ import annotations

import io
import json
import math
import os
import warnings
from typing import Any, Iterable, Sequence, TextIO

import numpy as np
from Bio.Align import Alignment

from .alignment import PairAlignment
from .errors import InputFormatError, InvalidParameter

__all__ = ["OUTPUT_FORMATS", "INPUT_FORMATS", "PairAlignment", "AlignmentWriter", "check_output",
           "read_alignment_file", "detect_alignment_format", "OutputWarning"]

#: formats ``pairhmm align -f`` writes
OUTPUT_FORMATS = ("text", "fasta", "clustal", "stockholm", "phylip", "nexus", "maf", "sam", "psl",
                  "bed", "json")
#: formats ``pairhmm train --from-alignments`` reads
INPUT_FORMATS = ("fasta", "clustal", "stockholm", "msf", "phylip", "a2m", "nexus")
#: formats whose rows are keyed by name (two rows of one name would be merged by readers)
_NAME_KEYED = ("clustal", "stockholm", "phylip", "nexus")
_GAPS = "-."


class OutputWarning(UserWarning):
    """An alignment that a format cannot hold was left out of the output."""




# ----------------------------------------------------------------------------------- helpers
def _version() -> str:
    from . import __version__

    return __version__


def _title(rec: Any) -> str:
    """A record's description without its id (SeqIO keeps the whole title line there)."""
    desc = (getattr(rec, "description", "") or "").strip()
    rid = getattr(rec, "id", "")
    if desc == rid:
        return ""
    if rid and desc.startswith(rid) and desc[len(rid):len(rid) + 1].isspace():
        return desc[len(rid):].strip()
    return desc


def _segments(aln: Any) -> list[tuple[str, int, int, int]]:
    """(op, start in x, start in y, length) of each run of columns: op M (both), D (x only),
    I (y only)."""
    c = np.asarray(aln.coordinates)
    out = []
    for k in range(c.shape[1] - 1):
        dx = int(c[0, k + 1] - c[0, k])
        dy = int(c[1, k + 1] - c[1, k])
        if dx and dy:
            if dx != dy:
                raise ValueError("unequal step sizes in a pairwise alignment")
            out.append(("M", int(c[0, k]), int(c[1, k]), dx))
        elif dx:
            out.append(("D", int(c[0, k]), int(c[1, k]), dx))
        elif dy:
            out.append(("I", int(c[0, k]), int(c[1, k]), dy))
    return out


def _mean_posterior(aln: Any) -> "float | None":
    post = getattr(aln, "column_posterior", None)
    if post is None or len(post) == 0:
        return None
    return float(np.mean(post))


def _masked(aln: Any, min_posterior: "float | None", annotate: bool) -> Alignment:
    """Copy of ``aln`` with clean descriptions; residues in columns whose posterior is below
    ``min_posterior`` in lower case; with ``annotate``, posterior codes as Stockholm PP lines."""
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    from .pair import posterior_codes

    post = getattr(aln, "column_posterior", None)
    records = []
    for row, rec in enumerate(aln.sequences):
        seq = str(rec.seq)
        rp = aln.residue_posterior[row] if post is not None else None
        if rp is not None and min_posterior is not None:
            seq = "".join(c.lower() if p < min_posterior else c.upper() for c, p in zip(seq, rp))
        new = SeqRecord(Seq(seq), id=rec.id, name=rec.id, description=_title(rec))
        if rp is not None and annotate:
            new.letter_annotations["posterior probability"] = posterior_codes(rp)
        records.append(new)
    out = Alignment(records, aln.coordinates)
    out.score = getattr(aln, "score", None)
    out.column_annotations = {}
    if post is not None and annotate:
        out.column_annotations = {"consensus posterior probability": posterior_codes(post)}
    return out


def _is_protein(text: str) -> bool:
    from .alphabet import sequence_kind

    return sequence_kind(text) == "protein"


# --------------------------------------------------------------------------------- checking
def check_output(fmt: str, pairs: Sequence[tuple[Any, Any]], n_alignments: int) -> None:
    """Check, before any work, that the alignments of ``pairs`` can be written as ``fmt``.

    Raises
    ------
    InvalidParameter
        ``fmt`` is not an output format, or nexus is asked to hold more than one alignment.
    InputFormatError
        A pair whose two records share an id, in a format whose rows are keyed by name; or,
        in SAM, one reference id naming two different sequences.
    """
    if fmt not in OUTPUT_FORMATS:
        raise InvalidParameter("format", fmt, f"choose one of {', '.join(OUTPUT_FORMATS)}")
    if fmt == "nexus" and n_alignments > 1:
        raise InvalidParameter(
            "format", fmt, f"a NEXUS file holds one alignment and there are {n_alignments}: "
            "use stockholm, clustal, fasta or phylip for several pairs")
    if fmt in _NAME_KEYED:
        for k, (x, y) in enumerate(pairs, 1):
            if x.id == y.id:
                raise InputFormatError(
                    f"pair #{k}: both sequences are called {x.id!r}, and {fmt} keys alignment "
                    "rows by name (a reader would merge them): rename one, or use -f fasta/sam/json")
    if fmt == "sam":
        seen: dict[str, str] = {}
        for x, _ in pairs:
            s = str(x.seq).upper()
            if seen.setdefault(x.id, s) != s:
                raise InputFormatError(
                    f"two different reference sequences are called {x.id!r}: SAM names each "
                    "reference once (@SQ); rename one")


# ---------------------------------------------------------------------------------- writing
class AlignmentWriter:
    """Write pairwise alignments in one format to a text stream, one at a time.

    Parameters
    ----------
    handle : text stream
    fmt : str
        One of :data:`OUTPUT_FORMATS`.
    references : sequence of SeqRecord, optional
        The first sequence of every pair to come (SAM lists them in ``@SQ`` header lines).
    method : str
        The method that made the alignments (text and JSON views say it).
    min_posterior : float, optional
        Residues in columns whose posterior probability is below this are written in lower case.

    Use as a context manager, or call :meth:`close` after the last :meth:`write`.
    """

    def __init__(self, handle: TextIO, fmt: str, references: Iterable[Any] = (),
                 method: str = "mea", min_posterior: "float | None" = None) -> None:
        if fmt not in OUTPUT_FORMATS:
            raise InvalidParameter("format", fmt, f"choose one of {', '.join(OUTPUT_FORMATS)}")
        self.handle = handle
        self.fmt = fmt
        self.method = method
        self.min_posterior = min_posterior
        self.count = 0
        self._references = list(references)
        self._closed = False
        self._warned_protein = False

    def __enter__(self) -> "AlignmentWriter":
        return self

    def __exit__(self, exc_type: Any, *exc: Any) -> None:
        if exc_type is None:
            self.close()

    # header and footer -------------------------------------------------------------------
    def _header(self) -> str:
        if self.fmt == "json":
            return "["
        if self.fmt == "maf":
            return "##maf version=1 program=pairhmm\n\n"
        if self.fmt == "sam":
            lines = ["@HD\tVN:1.6\tSO:unsorted"]
            seen = set()
            for rec in self._references:
                if rec.id not in seen:
                    seen.add(rec.id)
                    lines.append(f"@SQ\tSN:{rec.id}\tLN:{len(rec.seq)}")
            lines.append(f"@PG\tID:pairhmm\tPN:pairhmm\tVN:{_version()}")
            return "\n".join(lines) + "\n"
        return ""

    def write(self, aln: Any) -> None:
        """Write one pairwise alignment (a ``Bio.Align.Alignment`` of two SeqRecords)."""
        if self.count == 0:
            self.handle.write(self._header())
        if self.fmt == "sam" and not self._warned_protein and _is_protein(str(aln.sequences[1].seq)):
            self._warned_protein = True
            warnings.warn("SAM text holds protein letters, but samtools and pysam store "
                          "nucleotide codes only (BAM): other letters become N there",
                          OutputWarning, stacklevel=2)
        self.handle.write(self.format(aln, first=self.count == 0))
        self.count += 1

    def close(self) -> None:
        """Finish the output (the JSON list's closing bracket; a SAM header when nothing was
        written)."""
        if self._closed:
            return
        self._closed = True
        if self.count == 0:
            self.handle.write(self._header())
        if self.fmt == "json":
            self.handle.write("\n]\n")

    # one alignment ------------------------------------------------------------------------
    def format(self, aln: Any, first: bool = True) -> str:
        """One alignment's text in this writer's format (no file header)."""
        fmt = self.fmt
        if fmt == "text":
            return ("" if first else "\n") + self._text(aln)
        if fmt == "json":
            return ("" if first else ",") + "\n" + json.dumps(self._json(aln))
        if fmt == "sam":
            return _sam_line(aln)
        if fmt == "bed":
            return _bed_line(aln, self._skip)
        if fmt == "clustal":
            return _clustal(_masked(aln, self.min_posterior, False))
        if fmt == "phylip":
            return _phylip(_masked(aln, self.min_posterior, False))
        if fmt == "psl" and not any(op == "M" for op, *_ in _segments(aln)):
            self._skip(aln)
            return ""
        shown = _masked(aln, self.min_posterior, annotate=fmt == "stockholm")
        if fmt == "nexus":
            for rec in shown.sequences:
                rec.annotations["molecule_type"] = "protein" if _is_protein(str(rec.seq)) else "DNA"
        try:
            return shown.format(fmt)
        except Exception as e:  # a Biopython writer that cannot hold this alignment
            rx, ry = aln.sequences
            raise InvalidParameter("format", fmt, f"cannot write {rx.id} vs {ry.id} this way "
                                   f"({e}); choose another format") from None

    def _skip(self, aln: Any) -> None:
        rx, ry = aln.sequences
        warnings.warn(f"{rx.id} vs {ry.id}: no aligned residues, so no {self.fmt.upper()} line "
                      "(the format describes aligned blocks)", OutputWarning, stacklevel=4)

    def _text(self, aln: Any) -> str:
        from .alignment import posterior_codes

        shown = _masked(aln, self.min_posterior, False)
        post = getattr(aln, "column_posterior", None)
        rx, ry = aln.sequences
        rows = [str(shown[0]), str(shown[1])]
        ident = sum(1 for a, b in zip(rows[0].upper(), rows[1].upper()) if a == b and a not in _GAPS)
        head = f"# {rx.id} vs {ry.id}  method={self.method}  "
        if getattr(aln, "sample_index", None):
            head += f"sample={aln.sample_index}  "
        n = len(rows[0])
        head += f"score={aln.score:.4f}  length={n}  identity={ident}/{n}"
        if post is not None:
            head += f"  mean_posterior={float(post.mean()):.3f}"
        if getattr(aln, "band", None) is not None:
            b = aln.band
            head += f"  band_width={b.width}  band_guide={b.guide.split()[0]}"
        body = f"{rx.id}\t{rows[0]}\n{ry.id}\t{rows[1]}\n"
        if post is not None:
            body += f"PP\t{posterior_codes(post)}\n"
        return head + "\n" + body

    def _json(self, aln: Any) -> dict:
        shown = _masked(aln, self.min_posterior, False)
        post = getattr(aln, "column_posterior", None)
        rx, ry = aln.sequences
        out: dict = {"x": rx.id, "y": ry.id, "method": self.method}
        if getattr(aln, "sample_index", None):
            out["sample"] = aln.sample_index
        out.update({
            "score": aln.score,
            "aligned": [str(shown[0]), str(shown[1])],
            "path": getattr(aln, "path", None),
            "coordinates": np.asarray(aln.coordinates).tolist(),
        })
        if post is not None:
            out["column_posterior"] = [round(float(p), 6) for p in post]
        b = getattr(aln, "band", None)
        if b is not None:
            out["band"] = {"width": b.width, "guide": b.guide, "cells": b.n_cells,
                           "anchors": int(len(b.anchors)), "edge_cells": aln.band_edge_cells}
            if getattr(aln, "band_miss", None):
                out["band"]["miss"] = aln.band_miss
        return out


def _clustal(aln: Alignment, width: int = 60) -> str:
    """Clustal W format: the CLUSTAL header line, blocks of ``width`` columns, full names, and
    the consensus line (``*`` = identical residues)."""
    names = [rec.id for rec in aln.sequences]
    rows = [str(aln[i]) for i in range(len(names))]
    pad = max(16, max(len(n) for n in names) + 6)
    cons = "".join("*" if len({r[j].upper() for r in rows}) == 1 and rows[0][j] not in _GAPS
                   else " " for j in range(len(rows[0])))
    out = [f"CLUSTAL multiple sequence alignment by pairhmm {_version()}\n\n\n"]
    for s in range(0, len(rows[0]), width):
        for n, r in zip(names, rows):
            out.append(n.ljust(pad) + r[s:s + width] + "\n")
        out.append(" " * pad + cons[s:s + width] + "\n\n")
    return "".join(out)


def _phylip(aln: Alignment) -> str:
    """Sequential PHYLIP: strict (names padded to 10) when every name fits, else relaxed."""
    names = [rec.id for rec in aln.sequences]
    rows = [str(aln[i]) for i in range(len(names))]
    longest = max(len(n) for n in names)
    pad = 10 if longest <= 10 else longest + 1
    lines = [f"{len(rows)} {len(rows[0])}"]
    lines += [n.ljust(pad) + r for n, r in zip(names, rows)]
    return "\n".join(lines) + "\n"


def _trimmed(segs: list) -> "tuple[list, int, int] | None":
    """The segments from the first to the last aligned (M) run, with the unaligned query
    residues before and after them; None when nothing is aligned."""
    ms = [k for k, s in enumerate(segs) if s[0] == "M"]
    if not ms:
        return None
    a, b = ms[0], ms[-1]
    core = segs[a:b + 1]
    head = sum(s[3] for s in segs[:a] if s[0] == "I")
    tail = sum(s[3] for s in segs[b + 1:] if s[0] == "I")
    return core, head, tail


def _sam_line(aln: Any) -> str:
    """One SAM line: the second sequence (query) against the first (reference)."""
    rx, ry = aln.sequences
    seq = str(ry.seq)
    flag = 256 if (getattr(aln, "sample_index", None) or 1) > 1 else 0  # later samples: secondary
    segs = _segments(aln)
    trimmed = _trimmed(segs)
    if trimmed is None:  # nothing aligned: an unmapped read
        return f"{ry.id}\t{flag | 4}\t*\t0\t0\t*\t*\t0\t0\t{seq}\t*\n"
    core, head, tail = trimmed
    cigar = (f"{head}S" if head else "") + "".join(f"{n}{op}" for op, _, _, n in core) + \
        (f"{tail}S" if tail else "")
    x, y = str(rx.seq).upper(), seq.upper()
    nm = sum(n for op, _, _, n in core if op != "M")
    nm += sum(x[i + k] != y[j + k] for op, i, j, n in core if op == "M" for k in range(n))
    pos = core[0][1] + 1
    tags = [f"NM:i:{nm}"]
    score = getattr(aln, "score", None)
    if score is not None and math.isfinite(score):
        tags.insert(0, f"AS:i:{int(round(score))}")
    return "\t".join([ry.id, str(flag), rx.id, str(pos), "255", cigar, "*", "0", "0", seq, "*",
                      *tags]) + "\n"


def _bed_line(aln: Any, skip: Any) -> str:
    """One BED12+2 line: the aligned blocks of the query on the reference."""
    rx, ry = aln.sequences
    blocks = [(i, n) for op, i, _, n in _segments(aln) if op == "M"]
    if not blocks:
        skip(aln)
        return ""
    start = blocks[0][0]
    end = blocks[-1][0] + blocks[-1][1]
    post = _mean_posterior(aln)
    score = 0 if post is None else int(round(1000 * min(1.0, max(0.0, post))))
    sizes = "".join(f"{n}," for _, n in blocks)
    starts = "".join(f"{i - start}," for i, _ in blocks)
    method_score = getattr(aln, "score", None)
    fields = [rx.id, str(start), str(end), ry.id, str(score), "+", str(start), str(end), "0",
              str(len(blocks)), sizes, starts,
              "." if post is None else f"{post:.4f}",
              "." if method_score is None else f"{method_score:.6g}"]
    return "\t".join(fields) + "\n"


# ---------------------------------------------------------------------------------- reading
_CLUSTAL_HEADERS = ("CLUSTAL", "PROBCONS", "MUSCLE", "MSAPROBS", "Kalign", "Biopython")


def detect_alignment_format(path: "str | os.PathLike[str]") -> str:
    """The format of an alignment file, from its content.

    ``# STOCKHOLM`` = stockholm; a ``CLUSTAL`` (or MUSCLE, PROBCONS, ...) header = clustal;
    ``!!AA_MULTIPLE_ALIGNMENT``, ``!!NA_MULTIPLE_ALIGNMENT``, ``PileUp`` or a ``MSF: ... ..``
    line before the ``//`` = msf; ``#NEXUS`` = nexus; two integers = phylip; ``>`` = fasta.

    Raises
    ------
    InputFormatError
        None of these.
    """
    from .seqio import open_text

    name = os.fspath(path)
    first = None
    try:
        with open_text(name) as fh:
            for k, line in enumerate(fh):
                s = line.strip()
                if first is None:
                    if not s or s.startswith(";"):  # blank, or a FASTA comment
                        continue
                    first = s
                    if s.startswith("# STOCKHOLM"):
                        return "stockholm"
                    if s.split()[0] in _CLUSTAL_HEADERS:
                        return "clustal"
                    if s.upper().startswith("#NEXUS"):
                        return "nexus"
                    if s.startswith(">"):
                        return "fasta"
                    words = s.split()
                    if len(words) == 2 and all(w.isdigit() for w in words):
                        return "phylip"
                    if s.split()[0] in ("!!AA_MULTIPLE_ALIGNMENT", "!!NA_MULTIPLE_ALIGNMENT", "PileUp"):
                        return "msf"
                # GCG files may open with free text before the MSF line
                if "MSF:" in s and s.endswith(".."):
                    return "msf"
                if s == "//" or k > 200:
                    break
    except UnicodeDecodeError:
        raise InputFormatError(f"{name}: not a text file (an alignment file was expected)") from None
    if first is None:
        raise InputFormatError(f"{name}: file is empty (expected an alignment)")
    raise InputFormatError(
        f"{name}: cannot tell the alignment format (not Stockholm, Clustal, GCG MSF, NEXUS, "
        f"PHYLIP or aligned FASTA; first line {first[:30]!r}): give it (e.g. --format clustal)")


def read_alignment_file(path: "str | os.PathLike[str]", fmt: "str | None" = None,
                        ) -> list[tuple[list[str], list[str]]]:
    """Every alignment of a file, as (row ids, gapped rows).

    Parameters
    ----------
    path : str or path
        Plain or gzipped.
    fmt : str, optional
        One of :data:`INPUT_FORMATS`; detected from the content when None.

    Raises
    ------
    InputFormatError
        Unreadable file, unknown format, a file the format's reader rejects, rows of different
        lengths, no alignment.
    """
    from .seqio import open_text, read_fasta

    name = os.fspath(path)
    if fmt is None:
        fmt = detect_alignment_format(name)
    if fmt not in INPUT_FORMATS:
        raise InvalidParameter("format", fmt, f"choose one of {', '.join(INPUT_FORMATS)}")
    if fmt == "fasta":
        recs = read_fasta(name)
        rows = [str(r.seq) for r in recs]
        for r, row in zip(recs[1:], rows[1:]):
            if len(row) != len(rows[0]):
                raise InputFormatError(
                    f"{name}: alignment rows differ in length (row {recs[0].id!r} has {len(rows[0])} "
                    f"columns, row {r.id!r} has {len(row)}); is this an unaligned FASTA file?")
        return [([r.id for r in recs], rows)]
    out: list[tuple[list[str], list[str]]] = []
    try:
        if fmt == "a2m":
            from Bio import Align

            with open_text(name) as fh:
                for a in Align.parse(fh, "a2m"):
                    out.append(([getattr(s, "id", f"row{i}") for i, s in enumerate(a.sequences)],
                                [str(a[i]) for i in range(len(a))]))
        else:
            out = _alignio(name, fmt)
    except InputFormatError:
        raise
    except Exception as e:  # Biopython's readers raise ValueError, but also AssertionError ...
        detail = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise InputFormatError(f"{name}: not a valid {fmt} alignment ({detail})") from None
    if not out:
        raise InputFormatError(f"{name}: no alignment found in this {fmt} file")
    for ids, rows in out:
        lengths = {len(r) for r in rows}
        if len(lengths) > 1:
            raise InputFormatError(f"{name}: alignment rows differ in length ({sorted(lengths)})")
    return out


def _alignio(name: str, fmt: str) -> list[tuple[list[str], list[str]]]:
    from Bio import AlignIO

    from .seqio import open_text

    try:
        with open_text(name) as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise InputFormatError(f"{name}: not a text file (a {fmt} alignment was expected)") from None
    if fmt == "clustal":
        # the conservation lines ('*', ':', '.') carry nothing pairhmm reads, and Biopython
        # fails on one that lost its trailing blanks (an editor, a copy-paste): drop them
        text = "".join(line for line in text.splitlines(True)
                       if not (line[:1].isspace() and line.strip() and not line.strip(" *:.\r\n")))
    variants = {"phylip": ("phylip-relaxed", "phylip", "phylip-sequential")}.get(fmt, (fmt,))
    error: "Exception | None" = None
    for variant in variants:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # BiopythonParserWarning on checksums etc.
                found = [([rec.id for rec in a], [str(rec.seq) for rec in a])
                         for a in AlignIO.parse(io.StringIO(text), variant)]
        except Exception as e:  # try the next variant (phylip), else report the first error
            error = error or e
            continue
        if fmt == "phylip" and found and any(len({len(r) for r in rows}) > 1 for _, rows in found):
            continue
        return found
    assert error is not None
    raise error
