"""Reading sequence files (FASTA, plain or gzipped) with Biopython, with clear errors."""

from __future__ import annotations

import gzip
import os
from typing import Iterator

from Bio import SeqIO
from Bio.SeqRecord import SeqRecord

from .errors import InputFormatError

__all__ = ["open_text", "iter_fasta", "read_fasta"]


def open_text(path: "str | os.PathLike[str]"):
    """Open a text file for reading, transparently gunzipping ``.gz`` (or gzip-magic) files.

    Raises
    ------
    InputFormatError
        The file does not exist or cannot be read.
    """
    path = os.fspath(path)
    if path == "-":
        import sys
        return sys.stdin
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
    fh = open_text(path)
    n = 0
    try:
        try:
            first = ""
            while True:
                line = fh.readline()
                if not line:
                    break
                if line.strip():
                    first = line
                    break
        except (UnicodeDecodeError, OSError, EOFError) as e:
            raise InputFormatError(f"{name}: not a readable text file ({e.__class__.__name__})") from None
        if not first:
            raise InputFormatError(f"{name}: file is empty (expected FASTA records)")
        if not first.startswith(">"):
            raise InputFormatError(
                f"{name}: not FASTA (first non-blank line should start with '>', got {first[:20].rstrip()!r})")
        import itertools
        stream = itertools.chain([first], fh)
        try:
            for rec in SeqIO.parse(_LineReader(stream), "fasta"):
                n += 1
                if len(rec.seq) == 0:
                    raise InputFormatError(f"{name}: record {rec.id!r} (#{n}) has an empty sequence")
                yield rec
        except (UnicodeDecodeError, EOFError, OSError) as e:
            raise InputFormatError(f"{name}: not a readable text file ({e.__class__.__name__})") from None
        if n == 0:
            raise InputFormatError(f"{name}: no FASTA records found")
    finally:
        if fh is not None and name != "-":
            fh.close()


class _LineReader:
    """File-like adapter so Bio.SeqIO can read an iterator of lines."""

    def __init__(self, lines):
        self._lines = iter(lines)

    def __iter__(self):
        return self._lines

    def readline(self):
        return next(self._lines, "")

    def read(self, size=-1):
        return "".join(self._lines)


def read_fasta(path: "str | os.PathLike[str]") -> list[SeqRecord]:
    """Read every record of a FASTA file (see :func:`iter_fasta` for the errors)."""
    return list(iter_fasta(path))
