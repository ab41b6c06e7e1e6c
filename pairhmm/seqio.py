"""Reading sequence files: the one FASTA reader of the project, and the tabular format.

Every entry point (``align``, ``score``, ``train``, ``hmm``, ``motif scan/train/predict`` and
the library functions behind them) reads sequences through :func:`iter_fasta`, so a file is read
the same way everywhere, whatever Biopython version is installed (Biopython's ``fasta`` parser
started rejecting text before the first record in 1.85, and decodes with the locale's codec).
The grammar is Pearson FASTA as Biopython's ``SimpleFastaParser`` reads it, with clear errors:

* blank lines and ``;`` comment lines are skipped anywhere (before the first record, too);
* a record starts at ``>``; its id is the first word of the title, its description the whole
  title (Biopython's ``SeqRecord`` convention); white space inside sequence lines is dropped;
* the file is read as bytes: gzip is recognised by its magic bytes (plain files, ``.gz`` files
  and standard input alike), a UTF-8 byte-order mark is ignored, a title may hold any UTF-8;
* anything else is an :class:`~pairhmm.errors.InputFormatError` naming the file and the line:
  text before the first ``>`` (binary junk, a file in another format), a byte outside ASCII in
  a sequence line, a record with no name or no residues, a file with no record.

Records with the same id get one :class:`DuplicateIdWarning` naming them (outputs keyed by id,
such as alignments and scan hits, cannot tell them apart).
"""

from __future__ import annotations

import gzip
import io
import os
import warnings
import zlib
from typing import BinaryIO, Iterator, Sequence

from Bio.Seq import Seq
from Bio.SeqRecord import SeqRecord

from .errors import InputFormatError

__all__ = ["open_text", "open_binary", "iter_fasta", "read_fasta", "read_pairs", "is_tabular",
           "read_tabular", "DuplicateIdWarning"]

_GZIP_MAGIC = b"\x1f\x8b"
_BOM = b"\xef\xbb\xbf"
_WHITESPACE = b" \t\r\n\v\f"


class DuplicateIdWarning(UserWarning):
    """Two or more records of one file share an id (outputs keyed by id become ambiguous)."""


_STDIN: dict = {}


def _stdin_bytes() -> bytes:
    """Standard input, read once: ``"-"`` may be opened several times (a format check, then the
    parse), and standard input can be read only once. Kept per stream object, so a new
    ``sys.stdin`` (as a test runner installs) is read afresh."""
    import sys

    if _STDIN.get("stream") is not sys.stdin:
        buf = getattr(sys.stdin, "buffer", None)
        data = buf.read() if buf is not None else sys.stdin.read().encode("utf-8")
        _STDIN["stream"], _STDIN["data"] = sys.stdin, data
    return _STDIN["data"]


def _display(path: "str | os.PathLike[str]") -> str:
    name = os.fspath(path)
    return "standard input" if name == "-" else name


def _gunzip(data: bytes, name: str) -> bytes:
    if data[:2] != _GZIP_MAGIC:
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:
        raise InputFormatError(f"{name}: broken gzip data ({e})") from None


#: the bytes of inputs that can be read only once (pipes, ``<(...)``), by path
_ONCE: dict = {}


def open_binary(path: "str | os.PathLike[str]") -> BinaryIO:
    """Open a file for reading bytes, gunzipping it when it starts with the gzip magic bytes;
    ``"-"`` is standard input.

    An input that can be read only once (standard input, a named pipe, a shell process
    substitution such as ``<(zcat x.fa.gz)``) is read into memory the first time and served from
    there when it is opened again (a format check, then the parse).

    Raises
    ------
    InputFormatError
        The file does not exist or cannot be read, or a broken gzip stream.
    """
    path = os.fspath(path)
    if path == "-":
        return io.BytesIO(_gunzip(_stdin_bytes(), "standard input"))
    if path in _ONCE:
        return io.BytesIO(_ONCE[path])
    try:
        fh = open(path, "rb")
    except FileNotFoundError:
        raise InputFormatError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFormatError(f"{path}: is a directory, not a file") from None
    except OSError as e:
        raise InputFormatError(f"{path}: cannot read ({e.strerror})") from None
    try:
        if not fh.seekable():  # a pipe: it cannot be opened twice, so keep what it held
            with fh:
                data = _gunzip(fh.read(), path)
            _ONCE[path] = data
            return io.BytesIO(data)
        magic = fh.peek(2)[:2]
    except OSError as e:
        fh.close()
        raise InputFormatError(f"{path}: cannot read ({e.strerror or e})") from None
    if magic == _GZIP_MAGIC:
        fh.close()
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return fh


def open_text(path: "str | os.PathLike[str]"):
    """Open a text file (UTF-8) for reading, transparently gunzipping gzip files; ``"-"`` is
    standard input (held in memory, so it can be opened again).

    Raises
    ------
    InputFormatError
        The file does not exist or cannot be read.
    """
    return io.TextIOWrapper(open_binary(path), encoding="utf-8")


def _lines(path: "str | os.PathLike[str]") -> Iterator[tuple[int, bytes]]:
    """(1-based line number, line bytes) of a file; read errors become InputFormatError."""
    name = _display(path)
    with open_binary(path) as fh:
        lineno = 0
        try:
            for lineno, line in enumerate(fh, 1):
                if lineno == 1 and line.startswith(_BOM):
                    line = line[len(_BOM):]
                yield lineno, line
        except (OSError, EOFError, zlib.error) as e:  # truncated or corrupt gzip data
            raise InputFormatError(f"{name}: cannot read past line {lineno} ({e})") from None


def _shown(line: bytes, n: int = 30) -> str:
    """A line as an error message shows it: its start, or 'binary data'."""
    text = line.strip()
    try:
        shown = text.decode("utf-8")
    except UnicodeDecodeError:
        return "binary data"
    if any(c < " " and c != "\t" for c in shown):
        return "binary data"
    return repr(shown[:n])


def _non_ascii(name: str, rid: str, lineno: int, line: bytes) -> InputFormatError:
    col = next(i for i, b in enumerate(line) if b > 127)
    return InputFormatError(
        f"{name}, line {lineno}: record {rid!r} has a byte that is not a residue letter "
        f"(0x{line[col]:02x}, column {col + 1}): sequence lines must be plain ASCII letters")


def iter_fasta(path: "str | os.PathLike[str]") -> Iterator[SeqRecord]:
    """Stream the records of a FASTA file one by one (bounded memory).

    Parameters
    ----------
    path : str or path
        A FASTA file, plain or gzipped; ``"-"`` is standard input (plain or gzipped).

    Yields
    ------
    SeqRecord
        ``id`` = first word of the title, ``description`` = the whole title, ``seq`` = the
        residues (white space removed, case kept).

    Raises
    ------
    InputFormatError
        Missing or unreadable file, a file that is not FASTA (text other than blank lines and
        ``;`` comments before the first ``>``), an empty file, a record without a name or
        without residues, a byte outside ASCII in a sequence line.

    Warns
    -----
    DuplicateIdWarning
        Once, at the end of the file, when two or more records share an id.
    """
    name = _display(path)
    seen: set[str] = set()
    dups: dict[str, int] = {}
    n = 0
    rid = title = ""
    start = 0                     # line number of the current record's title (0: none yet)
    chunks: list[bytes] = []      # its sequence lines, one entry per line after the title
    any_text = False

    def record() -> SeqRecord:
        seq = b"".join(chunks).translate(None, _WHITESPACE)
        if not seq.isascii():
            for k, chunk in enumerate(chunks):
                if not chunk.isascii():
                    raise _non_ascii(name, rid, start + 1 + k, chunk)
        if not seq:
            raise InputFormatError(f"{name}: record {rid!r} (#{n}) has an empty sequence")
        if rid in seen:
            dups[rid] = dups.get(rid, 1) + 1
        else:
            seen.add(rid)
        return SeqRecord(Seq(seq.decode("ascii")), id=rid, name=rid, description=title)

    for lineno, line in _lines(path):
        first = line[0]
        if first == 62:               # '>'
            if start:
                yield record()
            n += 1
            any_text = True
            title = line[1:].strip().decode("utf-8", "replace")
            words = title.split(None, 1)
            if not words:
                raise InputFormatError(f"{name}, line {lineno}: record #{n} has no name after '>'")
            rid = words[0]
            start = lineno
            chunks = []
        elif first == 59:             # ';': a comment line (Pearson FASTA)
            any_text = True
            if start:
                chunks.append(b"")
        elif start:
            chunks.append(line)
        elif line.strip():
            raise InputFormatError(
                f"{name}, line {lineno}: not FASTA (expected a '>' title line; only blank lines "
                f"and ';' comments may come before the first record, got {_shown(line)})")
    if start:
        yield record()
    if not n:
        if not any_text:
            raise InputFormatError(f"{name}: file is empty (expected FASTA records)")
        raise InputFormatError(f"{name}: no FASTA records found")
    if dups:
        _warn_duplicates(name, dups)


def _warn_duplicates(name: str, dups: dict) -> None:
    shown = ", ".join(f"{k!r} ({v} records)" for k, v in list(dups.items())[:5])
    more = f" and {len(dups) - 5} more" if len(dups) > 5 else ""
    warnings.warn(f"{name}: duplicate record ids {shown}{more}: outputs keyed by id cannot tell "
                  "these records apart", DuplicateIdWarning, stacklevel=3)


def read_fasta(path: "str | os.PathLike[str]") -> list[SeqRecord]:
    """Read every record of a FASTA file (see :func:`iter_fasta` for the errors)."""
    return list(iter_fasta(path))


# ------------------------------------------------------------------------------------ tabular
def is_tabular(path: "str | os.PathLike[str]") -> bool:
    """True if the file's first lines look like tabular ``>id SEQUENCE LABEL`` input (one
    line per sequence, label 0 or 1)."""
    lines = []
    for _, line in _lines(path):
        if line.strip() and not line.startswith(b";"):
            lines.append(line)
        if len(lines) == 2:
            break
    if not lines:
        return False
    tok = lines[0].split()
    # the sequence column is not checked here (read_tabular names a bad letter and its line)
    return (len(tok) == 3 and tok[0].startswith(b">") and not tok[1].isdigit()
            and tok[2] in (b"0", b"1") and (len(lines) == 1 or lines[1].startswith(b">")))


def read_tabular(path: "str | os.PathLike[str]") -> tuple[list[str], list[str], list[int]]:
    """Read a tabular file: one ``>id SEQUENCE LABEL`` line per sequence (label 0 or 1).

    Returns
    -------
    ids, sequences : list of str
    labels : list of int

    Raises
    ------
    InputFormatError
        A line with another shape, a label other than 0/1, a byte outside ASCII, an empty file.

    Warns
    -----
    DuplicateIdWarning
        When two or more lines share an id.
    """
    name = _display(path)
    ids: list[str] = []
    seqs: list[str] = []
    labels: list[int] = []
    for lineno, line in _lines(path):
        if not line.strip() or line.startswith(b";"):
            continue
        tok = line.split()
        if len(tok) != 3 or not tok[0].startswith(b">"):
            raise InputFormatError(
                f"{name}, line {lineno}: expected '>id SEQUENCE LABEL' (tabular input), "
                f"got {_shown(line, 40)}")
        if not tok[1].isascii():
            raise _non_ascii(name, tok[0][1:].decode("utf-8", "replace"), lineno, line)
        if tok[2] not in (b"0", b"1"):
            raise InputFormatError(
                f"{name}, line {lineno}: label must be 0 or 1, got {_shown(tok[2])}")
        ids.append(tok[0][1:].decode("utf-8", "replace"))
        seqs.append(tok[1].decode("ascii"))
        labels.append(int(tok[2]))
    if not ids:
        raise InputFormatError(f"{name}: file is empty (expected labeled sequences)")
    counts: dict[str, int] = {}
    for i in ids:
        counts[i] = counts.get(i, 0) + 1
    dups = {k: v for k, v in counts.items() if v > 1}
    if dups:
        _warn_duplicates(name, dups)
    return ids, seqs, labels


# -------------------------------------------------------------------------------------- pairs
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
                f"{_display(paths[0])} has {len(a)} record(s) but {_display(paths[1])} has {len(b)}: "
                "records are paired by position (use --all to align every record with every other)")
        return list(zip(a, b))
    if len(paths) == 1:
        a = read_fasta(paths[0])
        if all_pairs:
            return [(a[i], a[j]) for i in range(len(a)) for j in range(i + 1, len(a))]
        if consecutive:
            if len(a) % 2:
                raise InputFormatError(
                    f"{_display(paths[0])} has an odd number of records ({len(a)}): a pairs file holds "
                    "consecutive pairs (records 1+2, 3+4, ...)")
            return [(a[i], a[i + 1]) for i in range(0, len(a), 2)]
        raise InputFormatError(f"{_display(paths[0])}: give a second FASTA file, or --all for all pairs")
    raise InputFormatError(f"expected one or two FASTA files, got {len(paths)}")
