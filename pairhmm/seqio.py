"""Reading sequence files (FASTA, plain or gzipped) with Biopython, with clear errors."""

from __future__ import annotations

import gzip
import io
import os
from typing import Iterator, Sequence

from Bio import SeqIO
from Bio.SeqRecord import SeqRecord

from .errors import InputFormatError

__all__ = ["open_text", "iter_fasta", "read_fasta"]


_STDIN: dict = {}


def _stdin_text() -> str:
    """Standard input, read once: ``"-"`` may be opened several times (a format check, then the
    parse), and standard input can be read only once. Kept per stream object, so a new
    ``sys.stdin`` (as a test runner installs) is read afresh."""
    import sys

    if _STDIN.get("stream") is not sys.stdin:
        _STDIN["stream"], _STDIN["text"] = sys.stdin, sys.stdin.read()
    return _STDIN["text"]


def open_text(path: "str | os.PathLike[str]"):
    """Open a text file for reading, transparently gunzipping ``.gz`` (or gzip-magic) files;
    ``"-"`` is standard input (held in memory, so it can be opened again).

    Raises
    ------
    InputFormatError
        The file does not exist or cannot be read.
    """
    path = os.fspath(path)
    if path == "-":
        return io.StringIO(_stdin_text())
    try:
        with open(path, "rb") as fh:
            magic = fh.read(2)
    except FileNotFoundError:
        raise InputFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFormatError(f"{path}: is a directory, not a file") from None
    except OSError as e:
        raise InputFormatError(f"{path}: cannot read ({e.strerror})") from None
    if magic == b"\x1f\x8b":
        return gzip.open(path, "rt")
    return open(path, "rt")


def iter_fasta(path: "str | os.PathLike[str]") -> Iterator[SeqRecord]:
    """Stream the records of a FASTA file one by one (bounded memory).

    Raises
    ------
    InputFormatError
        Missing or unreadable file, a file that is not FASTA, an empty file, or a record with an
        empty sequence.
    """
    name = os.fspath(path)
    if name == "-":
        name = "standard input"

    def handle_factory():
        return open_text(path)
    # look at the first non-blank line before handing the file to Biopython
    with handle_factory() as fh:
        try:
            first = ""
            for line in fh:
                if line.strip():
                    first = line
                    break
        except (UnicodeDecodeError, OSError, EOFError) as e:
            raise InputFormatError(f"{name}: not a readable text file ({e.__class__.__name__})") from None
    if not first:
        raise InputFormatError(f"{name}: file is empty (expected FASTA records)")
    if not first.startswith(">"):
        raise InputFormatError(
            f"{name}: not FASTA (the first non-blank line should start with '>', got {first[:20].rstrip()!r})")
    n = 0
    with handle_factory() as fh:
        try:
            for rec in SeqIO.parse(fh, "fasta"):
                n += 1
                if len(rec.seq) == 0:
                    raise InputFormatError(f"{name}: record {rec.id!r} (#{n}) has an empty sequence")
                yield rec
        except (UnicodeDecodeError, EOFError, OSError) as e:
            raise InputFormatError(f"{name}: not a readable text file ({e.__class__.__name__})") from None
    if n == 0:
        raise InputFormatError(f"{name}: no FASTA records found")


def read_fasta(path: "str | os.PathLike[str]") -> list[SeqRecord]:
    """Read every record of a FASTA file (see :func:`iter_fasta` for the errors)."""
    return list(iter_fasta(path))


def read_pairs(paths: "Sequence[str | os.PathLike[str]]", all_pairs: bool = False,
               consecutive: bool = False) -> list[tuple[SeqRecord, SeqRecord]]:
    """Sequence pairs from FASTA files, the way the command line takes them.

    Parameters
    ----------
    paths : one or two FASTA paths
        Two files: record i of the first with record i of the second (the counts must match),
        or with ``all_pairs`` every record of the first with every record of the second.
        One file: ``consecutive`` pairs records 1+2, 3+4, ... (an even count is required);
        ``all_pairs`` pairs every record with every later record (all vs all).
    """
    paths = list(paths)
    if len(paths) == 2:
        a = read_fasta(paths[0])
        b = read_fasta(paths[1])
        if all_pairs:
            return [(r, s) for r in a for s in b]
        if len(a) != len(b):
            raise InputFormatError(
                f"{os.fspath(paths[0])} has {len(a)} record(s) but {os.fspath(paths[1])} has {len(b)}: "
                "records are paired by position (use --all to align every record with every other)")
        return list(zip(a, b))
    if len(paths) == 1:
        a = read_fasta(paths[0])
        if all_pairs:
            return [(a[i], a[j]) for i in range(len(a)) for j in range(i + 1, len(a))]
        if consecutive:
            if len(a) % 2:
                raise InputFormatError(
                    f"{os.fspath(paths[0])} has an odd number of records ({len(a)}): a pairs file holds "
                    "consecutive pairs (records 1+2, 3+4, ...)")
            return [(a[i], a[i + 1]) for i in range(0, len(a), 2)]
        raise InputFormatError(f"{os.fspath(paths[0])}: give a second FASTA file, or --all for all pairs")
    raise InputFormatError(f"expected one or two FASTA files, got {len(paths)}")
