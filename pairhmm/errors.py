"""Exception types of pairhmm.

Every error subclasses a builtin (``ValueError`` or ``OSError``) so callers that do not know pairhmm
can still catch it; the command line turns any :class:`PairHMMError` into one line on stderr and exit
code 2.
"""

from __future__ import annotations

__all__ = [
    "PairHMMError",
    "AlphabetError",
    "InvalidParameter",
    "ModelFileError",
    "InputFormatError",
    "MemoryLimitError",
    "TrainingError",
    "ZeroProbabilityError",
    "DistributedError",
]


class PairHMMError(Exception):
    """Base class of every error that pairhmm raises on purpose."""


class AlphabetError(PairHMMError, ValueError):
    """A sequence holds a character outside the alphabet, or two inputs use different alphabets."""


class InvalidParameter(PairHMMError, ValueError):
    """A model parameter is out of range, has the wrong shape, or is not a distribution.

    Parameters
    ----------
    name : str
        Name of the parameter as the user gave it.
    value : object
        The offending value (shown abbreviated in the message).
    reason : str
        What is wrong, and the fix where there is one.
    """

    def __init__(self, name: str, value: object, reason: str) -> None:
        self.name = name
        self.value = value
        self.reason = reason
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        super().__init__(f"invalid {name} = {shown}: {reason}")


class ModelFileError(PairHMMError, ValueError):
    """A model file cannot be read, is not valid JSON, or does not describe a valid model."""


class InputFormatError(PairHMMError, ValueError):
    """An input file is missing, empty, or not in the expected format."""


class MemoryLimitError(PairHMMError, MemoryError):
    """A request would need more memory than the configured limit."""


class TrainingError(PairHMMError, ValueError):
    """Training cannot proceed (for example a frozen zero parameter that the data need)."""


class ZeroProbabilityError(PairHMMError, ValueError):
    """The model gives probability 0 to every alignment of a pair (e.g. a residue whose emission
    probabilities are all 0, as maximum-likelihood training leaves residues it never saw)."""


class DistributedError(PairHMMError, RuntimeError):
    """The Dask scheduler cannot be reached, or Dask is not installed."""
