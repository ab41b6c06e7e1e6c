"""Scanning many motifs over many sequences, both strands, in one convolution pass.

All filters (each motif and its reverse complement) are stacked and slid over each sequence chunk
by one Numba kernel (:func:`pairhmm._kernels.motif.scan_filters`), ``prange`` over filters with one
output buffer per filter, so results do not depend on the number of threads. Records are streamed
one by one; a long record is cut into chunks of ``chunk_size`` window starts (plus
``max_width - 1`` bases of overlap), so the working memory beyond the record itself is bounded.

Ambiguity codes (``N``, ``R``, ``Y``, ...): a window that contains one is never a hit and is not
counted among the tested positions (its score would depend on what the code stands for).

Every candidate the kernel reports is rescored canonically (the forward motif summed column by
column over the site, read on its own strand), so the score of a site and of its mirror image in
the reverse-complemented sequence are bit-identical, then filtered exactly: ``score >= --score``,
or ``pvalue(score) <= --pvalue``.
"""

from __future__ import annotations

import functools
import math
import os
import re
import warnings
from typing import IO, Any, Iterable, Iterator, NamedTuple, Sequence

import numpy as np

from .._kernels.motif import good_runs, qgram_index, rescore, scan_filters, scan_filters_serial
from ..alphabet import DNA, RNA, encode
from ..errors import AlphabetError, InvalidParameter
from .pvalue import ScoreDistribution, bh_by_value, check_pvalue, qvalues
from .pwm import Background, LogOddsFilter

__all__ = ["Hit", "HitTable", "Scanner", "ScanPart", "scan", "scan_table", "scan_records",
           "build_filters", "write_hits", "parse_genomic_name", "OUTPUT_FORMATS"]

OUTPUT_FORMATS = ("tsv", "bed", "gff")
_DNA_COMPLEMENT = DNA.complement_translation()
_RNA_COMPLEMENT = RNA.complement_translation()
#: Columns of the TSV output (FIMO's, in FIMO's order).
TSV_COLUMNS = ("motif_id", "motif_alt_id", "sequence_name", "start", "stop", "strand", "score",
               "p-value", "q-value", "matched_sequence")


class Hit(NamedTuple):
    """One motif occurrence. ``start``/``end`` are 0-based, end-exclusive (Python slicing)."""

    motif_id: str
    motif_alt_id: str
    sequence_name: str
    start: int
    end: int
    strand: str
    score: float
    pvalue: float
    qvalue: float
    matched_sequence: str


def build_filters(motifs: Iterable[Any], background: Background | None = None,
                  pseudocount: float = 0.1) -> list[LogOddsFilter]:
    """Turn Bio.motifs motifs (or ready :class:`LogOddsFilter` objects) into filters.

    A ready filter whose background differs from ``background`` is rebuilt from its counts.
    """
    bg = background if background is not None else Background.uniform()
    out = []
    for k, m in enumerate(motifs):
        if isinstance(m, LogOddsFilter):
            if background is not None and (m.background != bg or m.pseudocount != pseudocount):
                m = LogOddsFilter(m.counts, bg, pseudocount, m.motif_id, m.alt_id, m.alphabet)
            out.append(m)
        else:
            out.append(LogOddsFilter.from_motif(m, bg, pseudocount, index=k))
    if not out:
        raise InvalidParameter("motifs", [], "no motifs to scan")
    return out


@functools.lru_cache(maxsize=None)
def _digits(q: int) -> np.ndarray:
    """Base-4 digits (first letter most significant) of every q-gram code, shape (4**q, q)."""
    d = (np.arange(4 ** q)[:, None] >> (2 * np.arange(q - 1, -1, -1))[None, :]) & 3
    d.setflags(write=False)
    return d


class _Bank:
    """The stacked filters in the kernel's flat-array layout.

    Each filter is cut into blocks: first the ``q1`` adjacent columns with the largest summed
    score range, then the columns left and right of it in blocks of 4 (a shorter remainder is
    widened to 4 columns inside the motif, the columns another block already covers weighing 0).
    A filter no wider than ``q1`` is one block.
    """

    Q = 4

    def __init__(self, filters: Sequence[LogOddsFilter], thresholds: np.ndarray, both_strands: bool,
                 q1: int) -> None:
        self.n_motifs = len(filters)
        self.widths = np.array([f.width for f in filters], dtype=np.int64)
        self.max_width = int(self.widths.max())
        self.weights = np.zeros((self.n_motifs, self.max_width, 4))
        for m, f in enumerate(filters):
            self.weights[m, : f.width] = f.weights
        active = [m for m in range(self.n_motifs) if thresholds[m] < math.inf]
        qs: list[int] = sorted({min(q1, int(self.widths[m])) for m in active}
                               | ({self.Q} if any(self.widths[m] > q1 for m in active) else set()))
        self.qs = qs or [self.Q]
        tables: list[np.ndarray] = []
        # per filter: (q, codes its first block lets through, their first-block scores)
        first_lists: list[tuple[int, np.ndarray, np.ndarray]] = []
        b_qrow, b_tstart, b_offset, b_rem = [], [], [], []
        f_motif, f_strand, f_bstart, f_nb, f_width, f_thr = [], [], [], [], [], []
        tsize = 0
        for m in active:
            f = filters[m]
            thr = float(thresholds[m])
            kthr = thr - 1e-9 * max(1.0, abs(thr)) if thr > -math.inf else -math.inf
            # finite even for p = 1, so windows over an ambiguity code (score -inf) never pass
            kthr = max(kthr, f.min_score - 1.0)
            for strand, wts in ((0, f.weights), (1, f.weights_rc))[: 2 if both_strands else 1]:
                blocks = self._blocks(wts, q1)
                first, rest = blocks[0], sorted(blocks[1:], key=lambda b: -b[3])
                order = [first] + rest
                maxes = [b[4] for b in order]
                rem = np.concatenate([np.cumsum(maxes[::-1])[::-1][1:], [0.0]])
                f_motif.append(m)
                f_strand.append(strand)
                f_bstart.append(len(b_qrow))
                f_nb.append(len(order))
                f_width.append(f.width)
                f_thr.append(kthr)
                for k, (r, (off, q, table, _rng, _mx)) in enumerate(zip(rem, order)):
                    b_qrow.append(self.qs.index(q))
                    b_offset.append(off)
                    b_rem.append(r)
                    if k == 0:  # the first block lives in the inverted lists, not in `tables`
                        t0 = table[: 4 ** q]
                        codes = np.flatnonzero(t0 >= kthr - r)
                        first_lists.append((q, codes, t0[codes]))
                        b_tstart.append(-1)
                    else:
                        tables.append(table)
                        b_tstart.append(tsize)
                        tsize += table.size
        self.n_filters = len(f_motif)
        self.f_motif = np.array(f_motif, dtype=np.int64)
        self.f_strand = np.array(f_strand, dtype=np.int8)
        self.f_bstart = np.array(f_bstart, dtype=np.int64)
        self.f_nblocks = np.array(f_nb, dtype=np.int64)
        self.f_width = np.array(f_width, dtype=np.int64)
        self.f_thr = np.array(f_thr, dtype=np.float64)
        self.tables = np.concatenate(tables) if tables else np.zeros(1)
        self.b_qrow = np.array(b_qrow, dtype=np.int64)
        self.b_tstart = np.array(b_tstart, dtype=np.int64)
        self.b_offset = np.array(b_offset, dtype=np.int64)
        self.b_rem = np.array(b_rem, dtype=np.float64)
        self.f_off0 = self.b_offset[self.f_bstart] if self.n_filters else np.zeros(0, dtype=np.int64)
        self._invert(first_lists)

    def _invert(self, first: list[tuple[int, np.ndarray, np.ndarray]]) -> None:
        """Per first-block q: CSR lists from q-gram code to the filters it does not rule out."""
        self.groups = []
        if not self.n_filters:
            return
        q0 = np.array([q for q, _, _ in first])
        for q in sorted(set(q0.tolist())):
            codes, filt, vals = [], [], []
            for f in np.flatnonzero(q0 == q):
                _, c, v = first[f]
                codes.append(c)
                filt.append(np.full(c.size, f, dtype=np.int64))
                vals.append(v)
            code = np.concatenate(codes)
            order = np.argsort(code, kind="stable")
            ptr = np.zeros(4 ** q + 2, dtype=np.int64)
            np.cumsum(np.bincount(code, minlength=4 ** q + 1), out=ptr[1:])
            self.groups.append((self.qs.index(q), ptr, np.concatenate(filt)[order],
                                np.ascontiguousarray(np.concatenate(vals)[order])))

    @classmethod
    def _blocks(cls, wts: np.ndarray, q1: int) -> list[tuple[int, int, np.ndarray, float, float]]:
        """Blocks of a (width, 4) filter as (offset, q, table, range, max); the first is the
        widest, most informative one."""
        w = wts.shape[0]
        if w <= q1:
            return [cls._table(wts, 0, w, 0, w)]
        col_rng = wts.max(axis=1) - wts.min(axis=1)
        sums = np.convolve(col_rng, np.ones(q1), mode="valid")
        s1 = int(np.argmax(sums))
        out = [cls._table(wts, s1, q1, s1, s1 + q1)]
        q = cls.Q
        for a, b in ((0, s1), (s1 + q1, w)):
            for lo in range(a, b, q):
                hi = min(lo + q, b)
                start = min(lo, w - q)
                out.append(cls._table(wts, start, q, lo, hi))
        return out

    @staticmethod
    def _table(wts: np.ndarray, start: int, q: int, lo: int,
               hi: int) -> tuple[int, int, np.ndarray, float, float]:
        """Table of the q-gram starting at column ``start``; only columns lo..hi-1 count."""
        digits = _digits(q)
        vals = np.zeros(4 ** q)
        for k in range(q):
            if lo <= start + k < hi:
                vals = vals + wts[start + k][digits[:, k]]
        table = np.append(vals, -np.inf)
        return start, q, table, float(vals.max() - vals.min()), float(vals.max())


#: A FASTA name holding genomic coordinates, as FIMO's ``--parse-genomic-coord`` reads them (UCSC
#: / samtools style ``chrom:start-end``, optional ``(+)``/``(-)`` and ``_tag`` suffixes).
GENOMIC_NAME = re.compile(r"([^\s:]+):(\d+)-(\d+)(?:\(([+-])\))?(?:_\S*)?")


def parse_genomic_name(name: str) -> "tuple[str, int, int, str] | None":
    """Genomic coordinates of a FASTA name, as FIMO's ``--parse-genomic-coord`` reads them.

    ``chr1:1000-2000`` means the record's first base is base 1000 of ``chr1`` counted from 1
    (FIMO subtracts 1 from the start and counts from there; samtools faidx and the UCSC browser
    write regions this way). ``(+)``/``(-)`` after the end and ``_anything`` are allowed.

    Returns
    -------
    (chrom, start0, end, strand) or None
        0-based start of the record's first base, 1-based inclusive end (= 0-based exclusive),
        strand ``"+"``, ``"-"`` or ``""``; None when the name holds no coordinates.
    """
    m = GENOMIC_NAME.fullmatch(name)
    if m is None:
        return None
    return m.group(1), int(m.group(2)) - 1, int(m.group(3)), m.group(4) or ""


class HitTable:
    """Hits as columns (compact for many hits); :meth:`to_hits` gives :class:`Hit` tuples.

    Attributes
    ----------
    motif, seq, start, strand : ndarray of int, shape (h,)
        Motif index, sequence index, 0-based start, strand (0 ``+``, 1 ``-``).
    score, pvalue, qvalue : ndarray of float, shape (h,)
    matched : list of str
        The site as read on its strand (decoded on first use).
    motif_ids, motif_alt_ids, widths : per motif
    sequence_names : per sequence
    sequence_lengths : ndarray of int or None
        Per sequence (None when not known, e.g. merged from a cluster run).
    tested : ndarray of int, shape (n_motifs,)
        Tested positions per motif (windows without ambiguity codes, times strands).
    """

    _COLUMNS = ("motif", "seq", "start", "strand", "score", "pvalue", "qvalue", "site")

    def __init__(self, filters: Sequence[LogOddsFilter], names: list[str], cols: dict[str, np.ndarray],
                 tested: np.ndarray, rna: bool = False, lengths: "np.ndarray | None" = None) -> None:
        self.motif_ids = [f.motif_id for f in filters]
        self.motif_alt_ids = [f.alt_id for f in filters]
        self.widths = np.array([f.width for f in filters], dtype=np.int64)
        self.sequence_names = names
        self.sequence_lengths = lengths
        self.motif = cols["motif"]
        self.seq = cols["seq"]
        self.start = cols["start"]
        self.strand = cols["strand"]
        self.score = cols["score"]
        self.pvalue = cols["pvalue"]
        self.qvalue = cols.get("qvalue", np.full(self.motif.size, np.nan))
        self.site = cols["site"]
        self._rna = rna
        self.tested = tested

    def __len__(self) -> int:
        return int(self.motif.size)

    def take(self, idx: np.ndarray) -> "HitTable":
        """A new table with the rows ``idx`` (in that order)."""
        new = object.__new__(HitTable)
        new.__dict__.update(self.__dict__)
        for k in self._COLUMNS:
            setattr(new, k, getattr(self, k)[idx])
        return new

    def sort(self, by: str = "position") -> "HitTable":
        """A new table sorted ``by`` ``"position"`` (motif, sequence, start, strand: the default
        order) or ``"pvalue"`` (ascending p-value as FIMO's tables; ties: higher score, then
        position order)."""
        pos = (self.strand, self.start, self.seq, self.motif)
        if by == "position":
            order = np.lexsort(pos)
        elif by == "pvalue":
            order = np.lexsort(pos + (-self.score, self.pvalue))
        else:
            raise InvalidParameter("sort", by, "choose 'position' or 'pvalue'")
        return self.take(order)

    def genomic(self) -> "HitTable":
        """A new table in genome coordinates, from sequence names such as ``chr1:1000-2000``.

        As FIMO's ``--parse-genomic-coord``: see :func:`parse_genomic_name` for the names read
        (the start is 1-based, as FIMO reads it); the sequence name becomes the chromosome and
        each start moves by the record's offset. A record named ``chr1:1000-2000(-)`` holds the
        reverse complement of that region, so its hits are mirrored onto the genome's forward
        strand and change strand (FIMO ignores the ``(-)``). Names without coordinates are kept
        with record coordinates. Sorted by position.

        Warns (once, naming the first such record) when a record's length is not ``end - start
        + 1``: names written by ``bedtools getfasta`` (``chr1:999-2000`` for the same 1,001
        bases) are 0-based, and their hits come out one base off.
        """
        parsed = [parse_genomic_name(n) for n in self.sequence_names]
        names = [p[0] if p else n for n, p in zip(self.sequence_names, parsed)]
        off = np.array([p[1] if p else 0 for p in parsed], dtype=np.int64)
        end = np.array([p[2] if p else 0 for p in parsed], dtype=np.int64)
        rev = np.array([bool(p) and p[3] == "-" for p in parsed], dtype=bool)
        if self.sequence_lengths is not None:
            bad = [k for k, p in enumerate(parsed)
                   if p and self.sequence_lengths[k] != p[2] - p[1]]
            if bad:
                k = bad[0]
                warnings.warn(
                    f"{len(bad)} record name(s) with genomic coordinates do not match the record's "
                    f"length, e.g. {self.sequence_names[k]!r} has {self.sequence_lengths[k]} bases "
                    f"(--parse-genomic-coord reads the start as 1-based, as FIMO; bedtools getfasta "
                    f"names are 0-based, so their hits come out one base off)", stacklevel=2)
        new = self.take(np.arange(len(self)))
        new.sequence_names = names
        w = self.widths[self.motif]
        r = rev[self.seq]
        # a (-) record is the reverse complement of [off, end): record [b, b + w) is genome
        # [end - b - w, end - b) on the other strand; its site, read on its strand, is unchanged
        new.start = np.where(r, end[self.seq] - self.start - w, off[self.seq] + self.start)
        new.strand = np.where(r, 1 - self.strand, self.strand).astype(self.strand.dtype)
        if r.any():
            comp = np.frombuffer(_complement_table(self._rna), dtype=np.uint8)
            site = self.site.copy()
            for k in np.flatnonzero(r):
                site[k, : w[k]] = comp[self.site[k, : w[k]][::-1]]
            new.site = site
        return new.sort("position")

    @property
    def matched(self) -> list[str]:
        """Each site's letters as read on its strand (reverse-complemented for ``-``)."""
        comp = _RNA_COMPLEMENT if self._rna else _DNA_COMPLEMENT
        w = self.widths[self.motif]
        return [bytes(row[:k]).decode("ascii") if st == 0 else
                bytes(row[:k][::-1]).decode("ascii").translate(comp)
                for row, k, st in zip(self.site, w.tolist(), self.strand.tolist())]

    def to_hits(self) -> list[Hit]:
        """The hits as :class:`Hit` tuples, in table order."""
        w = self.widths[self.motif]
        return [
            Hit(self.motif_ids[m], self.motif_alt_ids[m], self.sequence_names[s], int(b), int(b + ww),
                "+" if st == 0 else "-", float(sc), float(p), float(qv), mt)
            for m, s, b, ww, st, sc, p, qv, mt in zip(
                self.motif.tolist(), self.seq.tolist(), self.start.tolist(), w.tolist(),
                self.strand.tolist(), self.score.tolist(), self.pvalue.tolist(),
                self.qvalue.tolist(), self.matched)
        ]


@functools.lru_cache(maxsize=2)
def _complement_table(rna: bool) -> bytes:
    """256-byte table: byte -> its complement letter (case kept; other bytes unchanged), from
    the alphabet's one complement map."""
    table = bytearray(range(256))
    for a, b in (_RNA_COMPLEMENT if rna else _DNA_COMPLEMENT).items():
        table[a] = b
    return bytes(table)


class ScanPart(NamedTuple):
    """The result of scanning some records (:meth:`Scanner.partial`), to be merged in order."""

    names: list
    lengths: list
    hits: list
    tested: np.ndarray
    dropped: dict
    bases_scanned: int


class Scanner:
    """Scan a fixed set of motifs over any number of sequences (see :func:`scan_table`).

    Parameters
    ----------
    motifs : list of Bio.motifs.Motif or LogOddsFilter
    background : Background, optional
        Uniform when omitted (estimate one with :meth:`Background.from_sequences` for ``auto``).
    pvalue : float, optional
        Report windows with p-value <= this (default 1e-4 when neither ``score`` nor
        ``qvalue`` is given); ignored when ``score`` is given.
    score : float, optional
        Report windows with log-odds score >= this (bits) instead.
    both_strands : bool
        Scan the reverse strand too (default).
    pseudocount : float
        Total pseudocount per column, spread by the background (default 0.1).
    chunk_size : int
        Window starts per kernel call (bounds the working memory).
    q : int
        Columns of the first lookup block (a table of ``4**q`` entries; 1..7, default 7).
    qvalue : float, optional
        Report windows with q-value <= this instead (FIMO's ``--qv-thresh``). A window's
        q-value is never below its p-value, so the scan keeps every window with p <= ``qvalue``,
        computes the q-values over all of them (exact Benjamini-Hochberg) and reports those with
        q <= ``qvalue``.
    max_stored : int, optional
        Memory bound (FIMO's ``--max-stored-scores``): keep only the ``max_stored`` most
        significant hits (smallest p-value, then highest score, then position order), holding at
        most twice that many at any time. The p-values of the hits dropped are still counted
        (as a histogram of distinct values), so the q-values stay exactly those of the full
        scan; :meth:`result` warns once, saying how many were dropped. Default: no bound.

    Attributes
    ----------
    thresholds : ndarray, shape (n_motifs,)
        Score threshold of each motif (``inf``: it cannot reach the p-value).
    bases_scanned : int
    """

    #: position segments of a chunk scanned in parallel (fixed, so results never depend on threads)
    N_SEGMENTS = 16

    def __init__(self, motifs: Iterable[Any], background: Background | None = None,
                 pvalue: float | None = None, score: float | None = None, both_strands: bool = True,
                 pseudocount: float = 0.1, chunk_size: int = 1 << 18, q: int = 7,
                 qvalue: float | None = None, max_stored: int | None = None) -> None:
        self.filters = build_filters(motifs, background, pseudocount)
        self.background = self.filters[0].background
        self.both_strands = bool(both_strands)
        self.score = None if score is None else float(score)
        if self.score is not None and math.isnan(self.score):
            raise InvalidParameter("score", score, "must be a number")
        if qvalue is not None and (score is not None or pvalue is not None):
            raise InvalidParameter("qvalue", qvalue, "give one threshold: pvalue, score or qvalue")
        self.qvalue = None if qvalue is None else check_pvalue(qvalue, "qvalue")
        # the p-value threshold of the scan itself (a q-value threshold scans at p <= q)
        self.pvalue = self.qvalue if self.qvalue is not None else check_pvalue(
            1e-4 if pvalue is None else pvalue)
        if int(chunk_size) < 1:
            raise InvalidParameter("chunk_size", chunk_size, "must be >= 1")
        self.chunk_size = int(chunk_size)
        if not 1 <= int(q) <= 7:
            raise InvalidParameter("q", q, "must be between 1 and 7")
        if max_stored is not None and (int(max_stored) != max_stored or max_stored < 1):
            raise InvalidParameter("max_stored", max_stored, "must be a positive integer")
        self.max_stored = None if max_stored is None else int(max_stored)
        alphas = {f.alphabet for f in self.filters}
        if len(alphas) > 1:
            raise AlphabetError("the motifs mix DNA (ACGT) and RNA (ACGU) alphabets; scan them separately")
        self.alphabet = RNA if alphas == {"ACGU"} else DNA
        n = len(self.filters)
        self.thresholds = np.empty(n)
        # keep only the top of each score distribution: hits score at or above the threshold
        self.dists = []
        unreachable = []
        for m, f in enumerate(self.filters):
            dist = getattr(f, "_score_distribution", None) or ScoreDistribution(
                f.weights, f.background.freqs)
            if self.score is not None:
                self.thresholds[m] = self.score
            else:
                self.thresholds[m] = dist.threshold(self.pvalue)
                if self.thresholds[m] == math.inf:
                    unreachable.append((f, dist.best_pvalue))
            self.dists.append(dist.upper_part(float(self.thresholds[m])))
        if unreachable:
            self._warn_unreachable(unreachable)
        self._bank = _Bank(self.filters, self.thresholds, self.both_strands, int(q))
        self._cap = 1024
        #: filters at or below this count run on one thread (identical results either way)
        self._serial_below = 4
        self._reset()

    def _warn_unreachable(self, found: list[tuple[LogOddsFilter, float]]) -> None:
        """One warning line for every motif that no window can bring below the threshold."""
        goal = (f"q <= {self.qvalue:g} (which needs p <= {self.qvalue:g})" if self.qvalue is not None
                else f"p <= {self.pvalue:g}")
        shown = ", ".join(f"{f.motif_id} (width {f.width}, best p {bp:.3g})" for f, bp in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        warnings.warn(f"{len(found)} of {len(self.filters)} motif(s) cannot reach {goal} and report "
                      f"no hits: {shown}{more}", stacklevel=3)

    def _reset(self) -> None:
        # The scan's whole state: per-sequence names and lengths, hit columns in parts, tested
        # positions per motif, and (under max_stored) the dropped hits' p-values per motif as
        # (distinct values, counts). Two scanners with the same settings merge by concatenating
        # names/lengths/parts (sequence indices shifted), adding tested/bases_scanned and
        # concatenating the dropped histograms; result() then prunes to max_stored.
        self._names: list[str] = []
        self._lengths: list[int] = []
        self._parts: list[dict[str, np.ndarray]] = []
        self._tested = np.zeros(len(self.filters), dtype=np.int64)
        self._dropped: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self._n_stored = 0
        self._pvalue_cut = math.inf  # hits with a larger p-value cannot be among the kept ones
        self.bases_scanned = 0

    def options(self) -> dict[str, Any]:
        """The settings that rebuild this scanner from its filters: ``Scanner(self.filters,
        **self.options())`` scans the same way (a worker's scanner, see :func:`scan_records`).
        A q-value threshold is applied by the scanner that merges the parts (:meth:`result`),
        so a worker scans at its p-value, ``qvalue``."""
        return dict(background=self.background, pvalue=self.pvalue, score=self.score,
                    both_strands=self.both_strands, chunk_size=self.chunk_size,
                    max_stored=self.max_stored)

    def partial(self) -> "ScanPart":
        """What this scanner has found so far, to be merged into another scanner with the same
        filters and settings (:meth:`merge`): the records' names and lengths, their hits, the
        tested positions per motif, the p-values of hits dropped under ``max_stored`` and the
        bases scanned."""
        return ScanPart(list(self._names), list(self._lengths), list(self._parts),
                        self._tested.copy(), dict(self._dropped), self.bases_scanned)

    def merge(self, part: "ScanPart") -> None:
        """Add the records of a :meth:`partial` result after those scanned so far, as if this
        scanner had scanned them (hits, tested positions, the dropped hits' p-values and so the
        q-values are those of one scan; under ``max_stored`` the hits held are pruned again)."""
        off = len(self._names)
        self._names.extend(part.names)
        self._lengths.extend(part.lengths)
        for hits in part.hits:
            hits = dict(hits)
            hits["seq"] = hits["seq"] + off
            self._parts.append(hits)
            self._n_stored += int(hits["seq"].size)
        for m, (vals, counts) in part.dropped.items():
            if m in self._dropped:
                old_v, old_c = self._dropped[m]
                u, inv = np.unique(np.concatenate([old_v, vals]), return_inverse=True)
                self._dropped[m] = (u, np.bincount(inv, weights=np.concatenate([old_c, counts]),
                                                   minlength=u.size).astype(np.int64))
            else:
                self._dropped[m] = (vals, counts)
        self._tested += part.tested
        self.bases_scanned += part.bases_scanned
        if self.max_stored is not None and self._n_stored > 2 * self.max_stored:
            self._prune()

    # -- scanning -------------------------------------------------------------------------

    def add(self, name: str, sequence: Any) -> None:
        """Scan one sequence (str, Seq, SeqRecord or code array) and keep its hits."""
        text = sequence if isinstance(sequence, str) else (
            str(sequence.seq) if hasattr(sequence, "seq") else
            None if isinstance(sequence, np.ndarray) else str(sequence))
        codes = encode(sequence if text is None else text, self.alphabet, name)
        # the letters as typed (case kept), to cut out matched sites
        raw = (np.frombuffer(text.encode("ascii"), dtype=np.uint8) if text is not None else
               np.frombuffer(self.alphabet.symbols.encode(), dtype=np.uint8)[codes])
        sidx = len(self._names)
        self._names.append(name)
        self._lengths.append(int(codes.size))
        n = codes.size
        self.bases_scanned += n
        self._count_tested(codes)
        bank = self._bank
        if bank.n_filters == 0 or n < int(bank.widths.min()):
            return  # a sequence shorter than every motif has no windows: no hits, no error
        for s in range(0, n, self.chunk_size):
            owned_end = min(s + self.chunk_size, n)
            sub = np.ascontiguousarray(codes[s: min(owned_end + bank.max_width - 1, n)])
            self._scan_chunk(sub, owned_end - s, s, sidx, raw)

    def _count_tested(self, codes: np.ndarray) -> None:
        nbad = int(np.count_nonzero(codes >= 4))
        out = np.zeros(nbad + 1, dtype=np.int64)
        k, last = good_runs(codes, codes.size, 0, out)
        runs = out[:k]
        if last > 0:
            runs = np.append(runs, last)
        strands = 2 if self.both_strands else 1
        for m, w in enumerate(self._bank.widths):
            self._tested[m] += strands * int(np.maximum(runs - w + 1, 0).sum())

    def _scan_chunk(self, sub: np.ndarray, n_owned: int, offset: int, sidx: int, raw: np.ndarray) -> None:
        bank = self._bank
        n = sub.size
        qidx = np.empty((len(bank.qs), n), dtype=np.uint16)
        for r, q in enumerate(bank.qs):
            qgram_index(sub, q, qidx[r])
        parallel = bank.n_filters > self._serial_below and n >= 4096
        n_seg = self.N_SEGMENTS if parallel else 1
        edges = np.linspace(0, n, n_seg + 1).astype(np.int64)
        kernel = scan_filters if parallel else scan_filters_serial
        found_f, found_pos = [], []
        for row0, ptr, ent_f, ent_val in bank.groups:
            while True:
                out_f = np.empty((n_seg, self._cap), dtype=np.int64)
                out_pos = np.empty((n_seg, self._cap), dtype=np.int64)
                out_sc = np.empty((n_seg, self._cap))
                counts = np.zeros(n_seg, dtype=np.int64)
                kernel(edges[:-1], edges[1:], qidx, row0, ptr, ent_f, ent_val, bank.f_off0,
                       bank.f_bstart, bank.f_nblocks, bank.f_width, bank.f_thr, bank.b_qrow,
                       bank.b_tstart, bank.b_offset, bank.b_rem, bank.tables, n_owned,
                       out_f, out_pos, out_sc, counts)
                if counts.max(initial=0) <= self._cap:
                    break
                self._cap = int(counts.max()) + 16
            keep = np.arange(self._cap)[None, :] < counts[:, None]
            found_f.append(out_f[keep])
            found_pos.append(out_pos[keep])
        hfil = np.concatenate(found_f) if found_f else np.zeros(0, dtype=np.int64)
        total = hfil.size
        if total == 0:
            return
        hpos = np.concatenate(found_pos)
        hmot = bank.f_motif[hfil]
        hstr = bank.f_strand[hfil]
        score = np.empty(total)
        rescore(sub, hpos, hmot, hstr, bank.weights, bank.widths, score)
        ok = np.zeros(total, dtype=bool)
        pval = np.empty(total)
        for m in np.unique(hmot):
            sel = hmot == m
            pval[sel] = self.dists[m].pvalue(score[sel])
            if self.score is not None:
                ok[sel] = score[sel] >= self.score
            else:
                ok[sel] = pval[sel] <= self.pvalue
        if not ok.any():
            return
        hpos, hmot, hstr, score, pval = hpos[ok], hmot[ok], hstr[ok], score[ok], pval[ok]
        if self._pvalue_cut < math.inf:  # under max_stored: these cannot be kept, only counted
            worse = pval > self._pvalue_cut
            if worse.any():
                self._count_dropped(hmot[worse], pval[worse])
                keep = ~worse
                hpos, hmot, hstr, score, pval = hpos[keep], hmot[keep], hstr[keep], score[keep], pval[keep]
                if not hpos.size:
                    return
        start = hpos + offset
        # the sites' letters (max_width bytes per hit; decoded to text only when output)
        idx = np.minimum(start[:, None] + np.arange(bank.max_width)[None, :], raw.size - 1)
        self._parts.append({"motif": hmot, "seq": np.full(hpos.size, sidx, dtype=np.int64),
                            "start": start, "strand": hstr, "score": score, "pvalue": pval,
                            "site": raw[idx]})
        self._n_stored += hpos.size
        if self.max_stored is not None and self._n_stored > 2 * self.max_stored:
            self._prune()

    # -- the memory bound ---------------------------------------------------------------

    _KEYS = ("motif", "seq", "start", "strand", "score", "pvalue", "site")

    def _columns(self) -> dict[str, np.ndarray]:
        """The stored hits as one set of columns (in storage order)."""
        if not self._parts:
            cols = {k: np.zeros(0, dtype=float if k in ("score", "pvalue") else np.int64)
                    for k in self._KEYS}
            cols["strand"] = cols["strand"].astype(np.int8)
            cols["site"] = np.zeros((0, self._bank.max_width), dtype=np.uint8)
            return cols
        if len(self._parts) == 1:
            return dict(self._parts[0])
        return {k: np.concatenate([p[k] for p in self._parts]) for k in self._KEYS}

    def _count_dropped(self, motif: np.ndarray, pvalue: np.ndarray) -> None:
        """Add hits to the dropped p-value histograms (distinct values and counts per motif)."""
        for m in np.unique(motif).tolist():
            vals = pvalue[motif == m]
            if m in self._dropped:
                old_v, old_c = self._dropped[m]
                vals = np.concatenate([old_v, vals])
                counts = np.concatenate([old_c, np.ones(vals.size - old_v.size, dtype=np.int64)])
            else:
                counts = np.ones(vals.size, dtype=np.int64)
            u, inv = np.unique(vals, return_inverse=True)
            self._dropped[m] = (u, np.bincount(inv, weights=counts, minlength=u.size).astype(np.int64))

    def _prune(self) -> None:
        """Keep the ``max_stored`` most significant hits; count the rest in the histograms."""
        if self.max_stored is None:
            return
        cols = self._columns()
        n = cols["motif"].size
        self._n_stored = n
        if n <= self.max_stored:
            return
        # most significant first: p-value, then score, then position order (a total order, so
        # the hits kept do not depend on when pruning happened)
        order = np.lexsort((cols["strand"], cols["start"], cols["seq"], cols["motif"], -cols["score"],
                            cols["pvalue"]))
        keep, drop = np.sort(order[: self.max_stored]), order[self.max_stored:]
        self._count_dropped(cols["motif"][drop], cols["pvalue"][drop])
        self._pvalue_cut = float(cols["pvalue"][order[self.max_stored - 1]])
        self._parts = [{k: v[keep] for k, v in cols.items()}]
        self._n_stored = self.max_stored

    # -- results ------------------------------------------------------------------------

    def result(self, max_hits: int | None = None, best_per_sequence: bool = False,
               sort: str = "position") -> HitTable:
        """All hits so far as a :class:`HitTable`, with q-values.

        Parameters
        ----------
        max_hits : int, optional
            Keep the ``max_hits`` hits with the smallest p-values (ties: higher score, then
            position order); q-values are computed before this cut.
        best_per_sequence : bool
            Keep only the best hit (smallest p-value, then highest score, then leftmost, ``+``
            first) of each motif in each sequence; after the q-values, before ``max_hits``.
        sort : {"position", "pvalue"}
            Output order: motif, sequence, start, strand (default), or ascending p-value (ties:
            higher score, then position order).
        """
        if max_hits is not None and (int(max_hits) != max_hits or max_hits < 1):
            raise InvalidParameter("max_hits", max_hits, "must be a positive integer")
        if sort not in ("position", "pvalue"):
            raise InvalidParameter("sort", sort, "choose 'position' or 'pvalue'")
        self._prune()
        cols = self._columns()
        q = np.full(cols["motif"].size, np.nan)
        lost = 0  # dropped hits that pass the q-value threshold
        for m in range(len(self.filters)):
            sel = np.flatnonzero(cols["motif"] == m)
            dropped = self._dropped.get(m)
            if sel.size:
                q[sel] = qvalues(cols["pvalue"][sel], int(self._tested[m]), dropped)
            if self.qvalue is not None and dropped is not None:
                uniq, q_at = bh_by_value(np.concatenate([cols["pvalue"][sel], dropped[0]]),
                                         np.concatenate([np.ones(sel.size, dtype=np.int64), dropped[1]]),
                                         int(self._tested[m]))
                qd = q_at[np.searchsorted(uniq, dropped[0])]
                lost += int(dropped[1][qd <= self.qvalue].sum())
        cols["qvalue"] = q
        if self._dropped:
            self._warn_dropped(cols, lost)
        lengths = (np.array(self._lengths, dtype=np.int64) if len(self._lengths) == len(self._names)
                   else None)
        table = HitTable(self.filters, list(self._names), cols, self._tested.copy(),
                         rna=self.alphabet is RNA, lengths=lengths)
        if self.qvalue is not None:
            table = table.take(np.flatnonzero(table.qvalue <= self.qvalue))
        table = table.sort("position")
        if best_per_sequence and len(table):
            rank = np.lexsort((table.strand, table.start, -table.score, table.pvalue, table.seq, table.motif))
            mm, ss = table.motif[rank], table.seq[rank]
            first = np.ones(rank.size, dtype=bool)
            first[1:] = (mm[1:] != mm[:-1]) | (ss[1:] != ss[:-1])
            table = table.take(np.sort(rank[first]))
        if max_hits is not None and len(table) > max_hits:
            rank = np.lexsort((np.arange(len(table)), -table.score, table.pvalue))
            table = table.take(np.sort(rank[: int(max_hits)]))
        return table.sort(sort) if sort != "position" else table

    def _warn_dropped(self, cols: dict[str, np.ndarray], lost: int) -> None:
        n_drop = sum(int(c.sum()) for _, c in self._dropped.values())
        best = min(float(v[0]) for v, _ in self._dropped.values())
        msg = (f"memory bound (max_stored / --max-stored-scores = {self.max_stored}): kept the "
               f"{cols['motif'].size} most significant hits, dropped {n_drop} with p-value >= "
               f"{best:.3g}; the q-values count every hit")
        if self.qvalue is not None:
            msg += (f"; {lost} dropped hit(s) had q-value <= {self.qvalue:g}, so the output is "
                    f"incomplete" if lost else f"; no dropped hit had q-value <= {self.qvalue:g}")
        warnings.warn(msg, stacklevel=3)


#: bases of records per task when scanning on a Dask cluster
DASK_BATCH_BASES = 4_000_000


def scan_records(records: list, filters: list, options: dict) -> ScanPart:
    """Task of a distributed scan: ``(name, sequence)`` records scanned by a
    ``Scanner(filters, **options)``; returns its :meth:`Scanner.partial` result."""
    sc = Scanner(filters, **options)
    for name, seq in records:
        sc.add(name, seq)
    return sc.partial()


def _batches(named: Iterable[tuple[str, Any]], batch_bases: int) -> Iterator[list]:
    """Records as text, grouped into lists of about ``batch_bases`` bases (read lazily)."""
    cur, size = [], 0
    for name, seq in named:
        text = seq if isinstance(seq, str) else str(getattr(seq, "seq", seq))
        cur.append((name, text))
        size += len(text)
        if size >= batch_bases:
            yield cur
            cur, size = [], 0
    if cur:
        yield cur


def _iter_named(sequences: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(sequences, (str, os.PathLike)):
        from ..seqio import iter_fasta

        sequences = iter_fasta(sequences)
    for k, item in enumerate(sequences):
        if isinstance(item, tuple):
            yield str(item[0]), item[1]
        else:
            yield (getattr(item, "id", None) or f"sequence_{k + 1}"), item


def scan_table(motifs: Iterable[Any], sequences: Any, background: "Background | str | None" = None,
               pvalue: float | None = None, score: float | None = None, qvalue: float | None = None,
               both_strands: bool = True, pseudocount: float = 0.1, max_hits: int | None = None,
               best_per_sequence: bool = False, max_stored: int | None = None,
               sort: str = "position", parse_genomic_coord: bool = False, progress: bool = False,
               chunk_size: int = 1 << 18, scheduler: Any = None) -> HitTable:
    """Scan motifs over sequences; return the hits, with p-values and q-values, as a
    :class:`HitTable` (columns; :func:`scan` gives a list of :class:`Hit`).

    Parameters
    ----------
    motifs : iterable of Bio.motifs.Motif or LogOddsFilter
        E.g. from :func:`pairhmm.motif.read_motifs`.
    sequences : iterable of SeqRecord, or of (name, str), or a FASTA path (plain or gzipped)
    background : Background, "uniform", "auto", "motif", "A,C,G,T" numbers or a file, optional
        Uniform when omitted; ``"auto"`` estimates it from ``sequences`` first (a path is read
        twice; other iterables are materialised); ``"motif"`` takes the motif file's background
        (:meth:`Background.from_motifs`).
    pvalue : float, optional
        P-value threshold (0, 1], default 1e-4.
    score : float, optional
        Log-odds score threshold in bits, used instead of ``pvalue``.
    qvalue : float, optional
        q-value threshold instead of a p-value threshold (FIMO's ``--qv-thresh``).
    both_strands : bool
    pseudocount : float
    max_hits : int, optional
    best_per_sequence : bool
    sort : {"position", "pvalue"}
        See :meth:`Scanner.result`.
    max_stored : int, optional
        Memory bound on the hits held (see :class:`Scanner`).
    parse_genomic_coord : bool
        Sequence names such as ``chr1:1000-2000`` give genome coordinates
        (:meth:`HitTable.genomic`).
    progress : bool
        Show a tqdm progress bar over bases scanned (on stderr).
    chunk_size : int
        Window starts per kernel call.
    scheduler : str or dask.distributed.Client, optional
        Scan batches of records on a Dask cluster (see :mod:`pairhmm.distributed`); the hits
        and q-values equal the local scan.

    Returns
    -------
    HitTable
        0-based ``start``; sorted by motif (input order), sequence (input order), start, strand
        unless ``sort="pvalue"``.
    """
    bg = background
    if isinstance(bg, str) and bg.strip().lower() == "motif":
        motifs = list(motifs)
        bg = Background.from_motifs(motifs)
    elif isinstance(bg, str):
        bg = Background.parse(bg)
        if bg is None:  # auto
            if not isinstance(sequences, (str, os.PathLike)):
                sequences = list(sequences)
            bg = Background.from_sequences(s for _, s in _iter_named(sequences))
    scanner = Scanner(motifs, bg, pvalue=pvalue, score=score, qvalue=qvalue,
                      both_strands=both_strands, pseudocount=pseudocount, chunk_size=chunk_size,
                      max_stored=max_stored)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit="bp", unit_scale=True, desc="scanning", leave=False)
    try:
        if scheduler is not None:
            # records in batches on a Dask cluster, merged in input order (same hits and q-values)
            from ..parallel import ordered_map

            for part in ordered_map(scan_records, _batches(_iter_named(sequences), DASK_BATCH_BASES),
                                    scheduler=scheduler,
                                    args=(list(scanner.filters), scanner.options())):
                scanner.merge(part)
                if bar is not None:
                    bar.update(part.bases_scanned)
        else:
            for name, seq in _iter_named(sequences):
                before = scanner.bases_scanned
                scanner.add(name, seq)
                if bar is not None:
                    bar.update(scanner.bases_scanned - before)
    finally:
        if bar is not None:
            bar.close()
    res = scanner.result(max_hits=max_hits, best_per_sequence=best_per_sequence,
                         sort="position" if parse_genomic_coord else sort)
    if parse_genomic_coord:
        res = res.genomic()
        if sort != "position":
            res = res.sort(sort)
    return res


def scan(motifs: Iterable[Any], sequences: Any, background: "Background | str | None" = None,
         pvalue: float | None = None, score: float | None = None, both_strands: bool = True,
         pseudocount: float = 0.1, max_hits: int | None = None, best_per_sequence: bool = False,
         progress: bool = False, table: bool | None = None, chunk_size: int = 1 << 18,
         scheduler: Any = None, **options: Any) -> Any:
    """Scan motifs over sequences; return the hits as a list of :class:`Hit`.

    Takes the parameters of :func:`scan_table` (``qvalue``, ``max_stored``, ``sort``,
    ``parse_genomic_coord`` as keywords). ``start``/``end`` of each hit are 0-based
    end-exclusive; :func:`write_hits` prints FIMO's 1-based coordinates.

    ``table=True`` (return a :class:`HitTable`) is deprecated: use :func:`scan_table`. It still
    works in this release and emits a :class:`DeprecationWarning`.
    """
    res = scan_table(motifs, sequences, background=background, pvalue=pvalue, score=score,
                     both_strands=both_strands, pseudocount=pseudocount, max_hits=max_hits,
                     best_per_sequence=best_per_sequence, progress=progress,
                     chunk_size=chunk_size, scheduler=scheduler, **options)
    if table is not None:
        warnings.warn("scan(table=...) is deprecated and will be removed in the next release: "
                      "use scan_table() for a HitTable, scan() for a list of Hit",
                      DeprecationWarning, stacklevel=2)
        if table:
            return res
    return res.to_hits()


# --------------------------------------------------------------------------- writers


def _gff_escape(s: str) -> str:
    return "".join(f"%{ord(c):02X}" if c in ";=&,%\t\n" or ord(c) < 32 else c for c in s)


def write_hits(hits: "HitTable | Sequence[Hit]", handle: IO[str], fmt: str = "tsv") -> int:
    """Write hits as FIMO-style TSV, BED6+p-value, or GFF3; return the number written.

    * ``tsv``: FIMO's columns (:data:`TSV_COLUMNS`), 1-based inclusive ``start``/``stop``;
      ``matched_sequence`` is the site read on its strand.
    * ``bed``: ``chrom start end name score strand pvalue``; 0-based half-open; ``name`` is the
      motif id; ``score`` is ``min(1000, round(-10 log10 p))`` (BED wants an integer 0-1000; the
      log-odds score is in the GFF and TSV outputs).
    * ``gff``: GFF3, type ``TF_binding_site`` (SO:0000235), column 6 the log-odds score,
      attributes ``Name``, ``motif_id``, ``motif_alt_id``, ``pvalue``, ``qvalue``, ``sequence``.
    """
    fmt = fmt.lower()
    if fmt not in OUTPUT_FORMATS:
        raise InvalidParameter("output format", fmt, f"choose one of {', '.join(OUTPUT_FORMATS)}")
    rows = hits.to_hits() if isinstance(hits, HitTable) else list(hits)
    w = handle.write
    if fmt == "tsv":
        w("\t".join(TSV_COLUMNS) + "\n")
        for h in rows:
            w(f"{h.motif_id}\t{h.motif_alt_id}\t{h.sequence_name}\t{h.start + 1}\t{h.end}\t{h.strand}\t"
              f"{h.score:.6g}\t{h.pvalue:.3g}\t{h.qvalue:.3g}\t{h.matched_sequence}\n")
    elif fmt == "bed":
        for h in rows:
            bscore = 1000 if h.pvalue <= 0 else min(1000, int(round(-10 * math.log10(h.pvalue))))
            w(f"{h.sequence_name}\t{h.start}\t{h.end}\t{h.motif_id}\t{bscore}\t{h.strand}\t{h.pvalue:.3g}\n")
    else:
        w("##gff-version 3\n")
        for h in rows:
            name = h.motif_alt_id or h.motif_id
            attrs = (f"Name={_gff_escape(name)};motif_id={_gff_escape(h.motif_id)};"
                     f"motif_alt_id={_gff_escape(h.motif_alt_id)};pvalue={h.pvalue:.3g};"
                     f"qvalue={h.qvalue:.3g};sequence={_gff_escape(h.matched_sequence)}")
            w(f"{_gff_escape(h.sequence_name)}\tpairhmm\tTF_binding_site\t{h.start + 1}\t{h.end}\t"
              f"{h.score:.6g}\t{h.strand}\t.\t{attrs}\n")
    return len(rows)
