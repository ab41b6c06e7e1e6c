"""Model files: JSON written atomically, read with one clear error per failure."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from .errors import ModelFileError

__all__ = ["write_json_atomic", "write_text_atomic", "read_json"]


def write_json_atomic(path: "str | os.PathLike[str]", obj: Any) -> None:
    """Write ``obj`` as JSON atomically (see :func:`write_text_atomic`)."""
    write_text_atomic(path, json.dumps(obj, indent=1, allow_nan=True) + "\n")


def write_text_atomic(path: "str | os.PathLike[str]", text: str) -> None:
    """Write ``text`` through a temporary file renamed into place.

    A failed write (full disk, interrupted run) leaves no partial file; the new file gets the
    usual permissions (0666 minus the umask) rather than ``mkstemp``'s private 0600.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        fd, tmp = tempfile.mkstemp(prefix=".pairhmm-", dir=directory)
    except OSError as e:  # name the file the caller asked for, not the temporary one
        raise type(e)(e.errno, e.strerror, path) from None
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        replace_public(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def replace_public(tmp: str, path: str) -> None:
    """Rename the temporary file ``tmp`` to ``path`` with the permissions a new file would get
    (0666 minus the umask), not ``mkstemp``'s private 0600."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def read_json(path: "str | os.PathLike[str]") -> Any:
    """Parse a JSON model file; every failure is a :class:`ModelFileError` naming the file."""
    path = os.fspath(path)
    try:
        with open(path) as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such model file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: is a directory, not a model file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ModelFileError(f"{path}: cannot read model file ({e.__class__.__name__})") from None
    except json.JSONDecodeError as e:
        raise ModelFileError(f"{path}: not valid JSON (line {e.lineno}: {e.msg})") from None
