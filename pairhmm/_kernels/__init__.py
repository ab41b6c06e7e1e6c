"""Numba kernels (plain ``@njit(cache=True)`` functions on arrays).

Importing this package first makes sure Numba can cache the kernels, before any kernel module is
decorated. Numba looks for a cache folder in this order: ``NUMBA_CACHE_DIR``, ``__pycache__``
beside the source files, the user's cache folder (``~/.cache/numba``); when none is writable (a
read-only site-packages and a read-only or absent HOME, as on shared clusters and in containers)
every ``cache=True`` function raises ``RuntimeError: cannot cache function ... no locator
available``. Then the kernels are cached in a private folder of the temporary directory
(``pairhmm-numba-cache-UID``, reused by later runs), or, if even that cannot be had, compiled
without caching; one :class:`CacheFallbackWarning` says which. Nothing changes when Numba has a
place of its own: in particular nothing is written in HOME when the package folder is writable.
"""

from __future__ import annotations

import os
import stat
import tempfile
import warnings

__all__ = ["CacheFallbackWarning", "CACHE_FALLBACK"]


class CacheFallbackWarning(UserWarning):
    """Numba had no writable cache folder for the kernels; a fallback is in use."""


#: None when Numba caches the kernels in its usual place; else the fallback folder in use, or
#: "" when the kernels are compiled without caching.
CACHE_FALLBACK: "str | None" = None


def _probe() -> None:  # pragma: no cover - never called: its source file is what Numba locates
    pass


def _numba_can_cache() -> bool:
    """Would Numba find a cache locator for a function defined in this folder?

    Asks Numba itself (its locator classes, in its order, with its own writability test), so
    the answer follows whatever the installed Numba version does.
    """
    from numba.core.caching import FunctionCache

    try:
        FunctionCache(_probe)
    except RuntimeError:
        return False
    return True


def _private_folder(path: str) -> bool:
    """Create ``path`` (mode 0700) if needed; True if it is a folder of ours that no one else
    can write, so that loading compiled code from it is as safe as from our own HOME."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.lstat(path)
    except OSError:
        return False
    return (stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid()
            and not st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def _disable_caching_of_our_kernels() -> None:
    """Last resort: compile pairhmm's kernels without caching (Numba offers no switch for one
    package, so its ``enable_caching`` skips functions of this package)."""
    from numba.core.dispatcher import Dispatcher

    original = Dispatcher.enable_caching
    if getattr(original, "pairhmm_patched", False):
        return

    def enable_caching(self) -> None:  # noqa: ANN001
        if getattr(self.py_func, "__module__", "").startswith(__name__ + "."):
            return
        original(self)

    enable_caching.pairhmm_patched = True  # type: ignore[attr-defined]
    Dispatcher.enable_caching = enable_caching  # type: ignore[method-assign]


def _ensure_cache_locator() -> None:
    global CACHE_FALLBACK
    if _numba_can_cache():
        return
    from numba.core import config

    candidates = []
    with_uid = f"pairhmm-numba-cache-{os.getuid()}" if hasattr(os, "getuid") else "pairhmm-numba-cache"
    try:
        candidates.append(os.path.join(tempfile.gettempdir(), with_uid))
    except (OSError, FileNotFoundError):
        pass
    previous = config.CACHE_DIR
    for folder in candidates:
        if not _private_folder(folder):
            try:  # someone else's folder of that name: a fresh one of our own, for this run
                folder = tempfile.mkdtemp(prefix="pairhmm-numba-cache-")
            except OSError:
                continue
            import atexit
            import shutil

            atexit.register(shutil.rmtree, folder, True)
        config.CACHE_DIR = folder
        if _numba_can_cache():
            CACHE_FALLBACK = folder
            warnings.warn(f"no writable Numba cache folder (package folder read-only, no "
                          f"writable ~/.cache, NUMBA_CACHE_DIR unset or read-only): compiled "
                          f"kernels are cached in {folder}; set NUMBA_CACHE_DIR to choose",
                          CacheFallbackWarning, stacklevel=2)
            return
        config.CACHE_DIR = previous
    CACHE_FALLBACK = ""
    _disable_caching_of_our_kernels()
    warnings.warn("no writable Numba cache folder (package folder, ~/.cache, NUMBA_CACHE_DIR and "
                  "the temporary folder are read-only): kernels are compiled on every run; set "
                  "NUMBA_CACHE_DIR to a writable folder to cache them", CacheFallbackWarning,
                  stacklevel=2)


_ensure_cache_locator()
