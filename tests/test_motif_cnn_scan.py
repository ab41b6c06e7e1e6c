"""Learned CNN filters, exported as motif files, scan with pairhmm.motif.scan with calibrated p-values."""

from __future__ import annotations

import io

import numpy as np
import pytest

import pairhmm.motif as motif_pkg
from pairhmm.motif.cnn import MotifCNN

from test_motif_cnn import plant, to_text

# tiny kernels: thread start-up costs more than the work (see conftest.one_numba_thread)
pytestmark = pytest.mark.usefixtures("one_numba_thread")


@pytest.fixture(scope="module")
def trained():
    rng = np.random.default_rng(1)
    X, y = plant(400, 50, rng)
    m = MotifCNN(n_filters=2, width=19, max_epochs=20, random_state=0).fit(X, y)
    return m, X, y


@pytest.mark.parametrize("fmt", ["meme", "jaspar"])
def test_exported_motifs_round_trip_through_motif_files(trained, fmt):
    m, _, _ = trained
    buf = io.StringIO()
    m.write_motifs(buf, fmt)
    back = motif_pkg.read_motifs(io.StringIO(buf.getvalue()), fmt=fmt)
    assert len(back) == 2
    for mot, k in zip(back, m.filter_order()):
        got = np.array([mot.counts[b] for b in "ACGT"], dtype=float).T
        # Bio's MEME reader turns probabilities back into integer counts out of nsites (100)
        tol = 0.01 if fmt == "meme" else 1e-4
        np.testing.assert_allclose(got / got.sum(axis=1, keepdims=True), m.filter_pwm(k), atol=tol)


def test_exported_motif_pvalues_are_calibrated_on_random_sequences(trained):
    """Under the uniform background, a fraction alpha of tested windows has p <= alpha."""
    m, _, _ = trained
    motifs = m.to_motifs(filters=[m.filter_order()[0]])
    rng = np.random.default_rng(11)
    seqs = [(f"r{i}", to_text(rng.integers(0, 4, 300))) for i in range(200)]
    alpha = 0.01
    table = motif_pkg.scan(motifs, seqs, pvalue=alpha, table=True)
    tested = int(table.tested[0])
    assert tested == 200 * (300 - 19 + 1) * 2
    expected = alpha * tested
    assert abs(len(table) - expected) < 5 * np.sqrt(expected)
    assert table.pvalue.max() <= alpha


def test_exported_motif_finds_planted_sites(trained):
    m, X, y = trained
    top = m.to_motifs()[0]
    seqs = [(f"s{i}", to_text(x)) for i, x in enumerate(X)]
    hits = motif_pkg.scan([top], seqs, pvalue=1e-4, best_per_sequence=True)
    hit_seqs = {int(h.sequence_name[1:]) for h in hits}
    pos = set(np.flatnonzero(y == 1).tolist())
    assert len(hit_seqs & pos) >= 0.7 * len(pos)
    assert len(hit_seqs - pos) <= 0.05 * len(pos)
    best = max(hits, key=lambda h: h.score)
    assert best.pvalue < 1e-6 and best.end - best.start == 19
