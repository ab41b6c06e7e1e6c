"""Alphabets and the one sequence encoder that every entry point uses.

A sequence is encoded as ``uint8`` codes: ``0 .. size-1`` are the canonical letters, ``size ..``
are ambiguity codes (``N`` for nucleotides, ``X``/``B``/``Z``/``J`` for proteins). An ambiguity code
stands for "one of these letters, unknown which": models treat it by summing over the letters it may
be (:meth:`Alphabet.membership`), which is the exact likelihood of a partially observed residue.
Lower case is accepted and means the same as upper case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import AlphabetError

__all__ = ["Alphabet", "DNA", "RNA", "PROTEIN", "get_alphabet", "encode", "guess_alphabet", "as_text"]

_IUPAC_DNA = {
    "N": "ACGT", "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG",
}


@dataclass(frozen=True)
class Alphabet:
    """A residue alphabet.

    Parameters
    ----------
    name : str
        ``"dna"``, ``"rna"``, ``"protein"`` or a user name.
    letters : str
        Canonical letters, in code order.
    ambiguous : dict of str to str
        Ambiguity code -> the canonical letters it stands for.
    complement : str, optional
        Complement of each canonical letter (nucleotide alphabets only).
    """

    name: str
    letters: str
    ambiguous: dict[str, str] = field(default_factory=dict)
    complement: str | None = None

    def __post_init__(self) -> None:
        if len(set(self.letters)) != len(self.letters) or not self.letters:
            raise ValueError(f"alphabet letters must be distinct and non-empty, got {self.letters!r}")
        if len(self.letters) + len(self.ambiguous) > 255:
            raise ValueError("an alphabet holds at most 255 codes")
        table = np.full(256, 255, dtype=np.uint8)
        for i, c in enumerate(self.letters + "".join(self.ambiguous)):
            table[ord(c.upper())] = i
            table[ord(c.lower())] = i
        object.__setattr__(self, "_table", table)

    @property
    def size(self) -> int:
        """Number of canonical letters."""
        return len(self.letters)

    @property
    def symbols(self) -> str:
        """Every code's letter: canonical letters then ambiguity codes."""
        return self.letters + "".join(self.ambiguous)

    def membership(self) -> np.ndarray:
        """Matrix, shape (n_codes, size): 1 where a code may stand for a canonical letter."""
        m = np.zeros((len(self.symbols), self.size))
        m[np.arange(self.size), np.arange(self.size)] = 1.0
        for k, (code, meaning) in enumerate(self.ambiguous.items()):
            for c in meaning:
                m[self.size + k, self.letters.index(c)] = 1.0
        return m

    def complement_codes(self) -> np.ndarray:
        """The reverse-complement table: the code of the complement of every code, ambiguity
        codes included (``N`` -> ``N``, ``R`` <-> ``Y``, ``B`` <-> ``V``, ...), shape (n_codes,),
        int64; an involution. Nucleotide alphabets only (raises :class:`AlphabetError`)."""
        if self.complement is None:
            raise AlphabetError(f"the {self.name} alphabet has no complement")
        member = self.membership()
        comp = np.array([self.letters.index(c) for c in self.complement])
        out = np.empty(len(member), dtype=np.int64)
        for c in range(len(member)):
            target = np.zeros(self.size)
            target[comp[np.flatnonzero(member[c])]] = 1.0
            out[c] = next(d for d in range(len(member)) if np.array_equal(member[d], target))
        return out

    def complement_translation(self) -> dict[int, int]:
        """:meth:`complement_codes` as a ``str.translate`` table over the symbols, both cases."""
        comp = self.complement_codes()
        src = "".join(self.symbols)
        dst = "".join(self.symbols[int(c)] for c in comp)
        return str.maketrans(src + src.lower(), dst + dst.lower())

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "letters": self.letters, "ambiguous": dict(self.ambiguous),
                "complement": self.complement}

    @classmethod
    def from_json(cls, d: Any) -> "Alphabet":
        if isinstance(d, str):
            return get_alphabet(d)
        return cls(d["name"], d["letters"], dict(d.get("ambiguous", {})), d.get("complement"))


DNA = Alphabet("dna", "ACGT", dict(_IUPAC_DNA), "TGCA")
RNA = Alphabet("rna", "ACGU", {k: v.replace("T", "U") for k, v in _IUPAC_DNA.items()}, "UGCA")
#: The 20 amino acids in the order of Biopython's BLOSUM62 matrix; X any, B = D|N, Z = E|Q, J = I|L;
#: U (selenocysteine) is scored as C and O (pyrrolysine) as K, as HMMER's Easel library does.
PROTEIN = Alphabet(
    "protein", "ARNDCQEGHILKMFPSTWYV",
    {"X": "ARNDCQEGHILKMFPSTWYV", "B": "DN", "Z": "EQ", "J": "IL", "U": "C", "O": "K"},
)
_BY_NAME = {"dna": DNA, "rna": RNA, "protein": PROTEIN}


def get_alphabet(alphabet: "str | Alphabet") -> Alphabet:
    """Return the :class:`Alphabet` named ``alphabet`` (``dna``, ``rna`` or ``protein``)."""
    if isinstance(alphabet, Alphabet):
        return alphabet
    try:
        return _BY_NAME[str(alphabet).lower()]
    except KeyError:
        raise AlphabetError(
            f"unknown alphabet {alphabet!r}: choose one of {', '.join(_BY_NAME)}"
        ) from None


def as_text(seq: Any) -> tuple[str, str | None]:
    """Return (sequence text, record id or None) for str, Bio.Seq.Seq or SeqRecord input."""
    rid = getattr(seq, "id", None)
    if hasattr(seq, "seq"):  # SeqRecord
        seq = seq.seq
    return str(seq), rid


def encode(seq: Any, alphabet: "str | Alphabet", name: str | None = None) -> np.ndarray:
    """Encode a sequence as an array of uint8 codes.

    Parameters
    ----------
    seq : str, Bio.Seq.Seq, Bio.SeqRecord.SeqRecord or array of int
        The sequence. An integer array is checked and returned as ``uint8``.
    alphabet : str or Alphabet
        Alphabet to encode with.
    name : str, optional
        Name of the sequence for error messages (a SeqRecord's id is used otherwise).

    Returns
    -------
    codes : ndarray of uint8, shape (n,)

    Raises
    ------
    AlphabetError
        A character (or code) is outside the alphabet; the message names the sequence, the
        1-based position and the character.
    """
    alpha = get_alphabet(alphabet)
    if isinstance(seq, np.ndarray):
        codes = np.asarray(seq)
        if codes.ndim != 1 or not np.issubdtype(codes.dtype, np.integer):
            raise AlphabetError("an encoded sequence must be a 1-D integer array")
        if codes.size and (codes.min() < 0 or codes.max() >= len(alpha.symbols)):
            bad = int(np.flatnonzero((codes < 0) | (codes >= len(alpha.symbols)))[0])
            raise AlphabetError(
                f"{name or 'sequence'}: code {int(codes[bad])} at position {bad + 1} is outside "
                f"the {alpha.name} alphabet (0..{len(alpha.symbols) - 1})")
        return np.ascontiguousarray(codes, dtype=np.uint8)
    text, rid = as_text(seq)
    name = name or rid or "sequence"
    try:
        raw = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError:
        pos = next(i for i, c in enumerate(text) if ord(c) > 127)
        raise AlphabetError(
            f"{name}: character {text[pos]!r} at position {pos + 1} is not in the "
            f"{alpha.name} alphabet") from None
    codes = alpha._table[raw]  # type: ignore[attr-defined]
    if codes.size and codes.max() == 255:
        pos = int(np.flatnonzero(codes == 255)[0])
        ch = text[pos]
        hint = ""
        if ch in "-.":
            hint = " (gap characters are not allowed in unaligned input)"
        elif ch == "*":
            hint = " (remove stop codons)"
        raise AlphabetError(
            f"{name}: character {ch!r} at position {pos + 1} is not in the {alpha.name} "
            f"alphabet ({alpha.symbols}){hint}")
    return codes


def guess_alphabet(*texts: str) -> Alphabet:
    """Guess dna, rna or protein from sequence text.

    Nucleotide if at least 90% of the letters are A/C/G/T/U/N and the rest are IUPAC
    nucleotide codes; RNA if it has U and no T; protein otherwise.
    """
    joined = "".join(texts).upper()
    if not joined:
        return PROTEIN
    letters = set(joined)
    nuc = set("ACGTUN")
    core = sum(joined.count(c) for c in nuc)
    if letters <= set("ACGTU") | set(_IUPAC_DNA) and core >= 0.9 * len(joined):
        if "U" in letters and "T" not in letters:
            return RNA
        return DNA
    return PROTEIN
