"""pairhmm: weight-sharing (parameter-tying) models for biological sequences.

Public entry points
-------------------
PairHMM
    Durbin et al. 3-state pair HMM (Match / InsertX / InsertY), X and Y tied by default.
TiedHMM
    Discrete-emission HMM with tied emissions and tied transitions.
pairhmm.motif
    Motif scanning as a shared-weight convolution, and a shared-weight CNN motif learner.
encode, get_alphabet, DNA, RNA, PROTEIN
    The one sequence encoder and the alphabets.
Tying
    The tying engine that the models are built on.
"""

from __future__ import annotations

import os as _os
from importlib import import_module
from typing import Any

from .alphabet import DNA, PROTEIN, RNA, Alphabet, encode, get_alphabet
from .errors import (
    AlphabetError,
    InputFormatError,
    InvalidParameter,
    MemoryLimitError,
    ModelFileError,
    PairHMMError,
    TrainingError,
    ZeroProbabilityError,
)
from .tying import Tying

__version__ = "0.1.0"

# Installed, the command line is the subpackage pairhmm.cli. In a source checkout it is the
# top-level cli/ folder: let `python -m pairhmm` and the tests find it there too.
_root = _os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
if (not _os.path.isdir(_os.path.join(__path__[0], "cli"))
        and _os.path.isfile(_os.path.join(_root, "cli", "__init__.py"))
        and _os.path.isfile(_os.path.join(_root, "pyproject.toml"))):
    __path__.append(_root)  # type: ignore[name-defined]

# Heavier modules load on first use, so `import pairhmm` stays fast for the CLI.
_LAZY = {
    "PairHMM": ".pair",
    "symmetry_test": ".train",
    "SymmetryTest": ".train",
    "TiedHMM": ".hmm",
    "motif": ".motif",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        mod = import_module(_LAZY[name], __name__)
        return mod if name == "motif" else getattr(mod, name)
    raise AttributeError(f"module 'pairhmm' has no attribute {name!r}")


__all__ = [
    "Alphabet", "DNA", "RNA", "PROTEIN", "encode", "get_alphabet", "Tying",
    "PairHMMError", "AlphabetError", "InvalidParameter", "ModelFileError", "InputFormatError",
    "MemoryLimitError", "TrainingError", "ZeroProbabilityError", "PairHMM", "TiedHMM", "symmetry_test", "SymmetryTest",
    "motif", "__version__",
]
