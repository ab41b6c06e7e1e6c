"""Thread count of Numba's parallel regions, set for the duration of a call."""

from __future__ import annotations

from typing import Any

from .errors import InvalidParameter


class numba_threads:
    """Context manager: run Numba parallel regions on ``n`` threads (None = leave as is: all
    cores unless the caller set fewer). The previous count is restored on exit."""

    def __init__(self, n: int | None) -> None:
        self.n = n

    def __enter__(self) -> "numba_threads":
        import numba

        self.old = numba.get_num_threads()
        if self.n is not None:
            if self.n < 1:
                raise InvalidParameter("n_jobs", self.n, "must be >= 1")
            numba.set_num_threads(min(int(self.n), numba.config.NUMBA_NUM_THREADS))
        return self

    def __exit__(self, *exc: Any) -> None:
        import numba

        numba.set_num_threads(self.old)
