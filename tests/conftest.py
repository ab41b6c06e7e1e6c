"""Shared test fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
# Reference data sets live beside the project (read-only); a user's machine does not have them.
SHARED = Path(os.environ.get("PAIRHMM_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of the shared reference data folder; skips the test when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"reference data folder {SHARED} is absent (only on developer/CI machines)")
    return SHARED


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture
def one_numba_thread():
    """Run Numba parallel regions on one thread for the test (tiny kernels: on a busy 2-core
    machine thread start-up costs more than the work). Tests that compare thread counts pass
    ``n_jobs`` explicitly, which overrides this."""
    import numba

    old = numba.get_num_threads()
    numba.set_num_threads(1)
    yield
    numba.set_num_threads(old)
