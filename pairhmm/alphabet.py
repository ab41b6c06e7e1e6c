"""Alphabets and the one sequence encoder that every entry point uses.

A sequence is encoded as ``uint8`` codes: ``0 .. size-1`` are the canonical letters, ``size ..``
are ambiguity codes (``N`` for nucleotides, ``X``/``B``/``Z``/``J`` for proteins). An ambiguity code
stands for "one of these letters, unknown which": models treat it by summing over the letters it may
be (:meth:`Alphabet.membership`), which is the exact likelihood of a partially observed residue.
Lower case is accepted and means the same as upper case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np

from .errors import AlphabetError


class AlphabetWarning(UserWarning):
    """Sequences look like another alphabet than the one they are read with (``--alphabet``,
    ``--preset`` or a model file)."""

__all__ = ["Alphabet", "DNA", "RNA", "PROTEIN", "get_alphabet", "encode", "guess_alphabet", "as_text",
           "sequence_kind", "pair_alphabets", "common_alphabet", "alphabet_mismatches",
           "AlphabetWarning", "CONFIDENT_LENGTH"]

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


def sequence_kind(seq: Any) -> str:
    """What one sequence looks like: ``"dna"``, ``"rna"``, ``"nucleotide"`` (nucleotide letters
    with neither T nor U, so DNA or RNA) or ``"protein"``, by the rule of :func:`guess_alphabet`.
    """
    text, _ = as_text(seq)
    alpha = guess_alphabet(text)
    if alpha is PROTEIN:
        return "protein"
    up = text.upper()
    if "U" in up and "T" not in up:
        return "rna"
    if "T" in up:
        return "dna"
    return "nucleotide"


def _resolve(kinds: "set[str]") -> "str | None":
    """The alphabet name several sequence kinds agree on, or None when they cannot."""
    if "protein" in kinds:
        return "protein" if kinds == {"protein"} else None
    if {"dna", "rna"} <= kinds:
        return None
    return "rna" if "rna" in kinds else "dna"


#: sequences shorter than this do not vote on an alphabet: a peptide such as GAGTAC can be read
#: either way. A protein's residues are A, C, G, T or N about 26% of the time (UniProt
#: composition), so a protein of 8 residues looks like DNA with probability about 0.26^8 = 2e-5.
#: When every sequence is shorter, their joined text is guessed.
CONFIDENT_LENGTH = 8


def _votes(seqs: "Iterable[Any]", memo: "dict | None" = None) -> dict[str, str]:
    """kind -> the name of the first sequence of that kind, over the sequences that vote
    (``memo`` keeps each sequence object's kind, for sequences met in many pairs)."""
    items = list(seqs)
    texts = [as_text(s) for s in items]
    long = [(s, t, n) for s, (t, n) in zip(items, texts) if len(t) >= CONFIDENT_LENGTH]
    if not long:
        joined = "".join(t for t, _ in texts)
        return {sequence_kind(joined): texts[0][1] or "sequence"} if texts else {}
    out: dict[str, str] = {}
    for k, (s, t, n) in enumerate(long, 1):
        if memo is None:
            kind = sequence_kind(t)
        else:
            kind = memo.get(id(s))
            if kind is None:
                kind = memo[id(s)] = sequence_kind(t)
        out.setdefault(kind, n or f"#{k}")
    return out


def common_alphabet(seqs: "Iterable[Any]", what: str = "the sequences") -> Alphabet:
    """The one alphabet of a set of sequences (see :func:`pair_alphabets` for the rule).

    Raises
    ------
    AlphabetError
        Some sequences look like protein and others like nucleotides (or DNA and RNA); the
        message names one of each.
    """
    votes = _votes(seqs)
    name = _resolve(set(votes)) if votes else "protein"
    if name is None:
        detail = ", ".join(f"{n} looks like {k}" for k, n in votes.items())
        raise AlphabetError(f"mixed alphabets in {what}: {detail}; one model reads one alphabet: "
                            "split the input, or pass --alphabet")
    return _BY_NAME[name]


def pair_alphabets(pairs: "Sequence[tuple[Any, Any]]") -> list[Alphabet]:
    """The alphabet of every pair, detected from its two sequences (not from the whole file).

    Each sequence of at least :data:`CONFIDENT_LENGTH` residues is classified by
    :func:`sequence_kind` (two shorter ones are guessed together); a pair is protein when its
    sequences look like protein, RNA when one has U and neither T, DNA otherwise.

    Raises
    ------
    AlphabetError
        A pair holds a nucleotide and a protein sequence (or DNA and RNA); the message names the
        first such pair and the fix (``--alphabet``).
    """
    out = []
    memo: dict = {}  # by object (alive in ``pairs``): with --all each record is in many pairs
    for k, (x, y) in enumerate(pairs, 1):
        votes = _votes([x, y], memo)
        name = _resolve(set(votes))
        if name is None:
            ix, iy = as_text(x)[1] or "x", as_text(y)[1] or "y"
            (kx, _), (ky, _) = votes.items()
            raise AlphabetError(
                f"mixed alphabets: pair #{k} ({ix} vs {iy}): {ix} looks like {kx}, {iy} like "
                f"{ky}; align nucleotide and protein sequences separately, or pass --alphabet "
                "to read both with one alphabet")
        out.append(_BY_NAME[name])
    return out


def alphabet_mismatches(seqs: "Iterable[Any]", alphabet: "str | Alphabet") -> list[str]:
    """Names of the sequences (of at least :data:`CONFIDENT_LENGTH` residues) that look like
    another alphabet than ``alphabet``: a nucleotide sequence read as protein, a protein read as
    DNA, RNA read as DNA, ..."""
    alpha = get_alphabet(alphabet)
    if _BY_NAME.get(alpha.name) is not alpha:
        return []  # a user alphabet: nothing to compare with
    bad = []
    for k, s in enumerate(seqs, 1):
        text, name = as_text(s)
        if len(text) >= CONFIDENT_LENGTH and _resolve({sequence_kind(text), alpha.name}) is None:
            bad.append(name or f"#{k}")
    return bad
