"""scan_table's new options give the local result when the records are scanned on Dask."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

distributed = pytest.importorskip("dask.distributed", reason="the distributed extra is not installed")


def test_qvalue_threshold_memory_bound_and_order_on_dask_equal_local():
    from pairhmm.motif import read_motifs, scan_table

    root = __import__("pathlib").Path(__file__).resolve().parent.parent / "data" / "motifs"
    motifs = read_motifs(root / "jaspar2024_examples.jaspar")
    rng = np.random.default_rng(4)
    site = "CCGCGNGGNGGCAG".replace("N", "A")  # near the CTCF consensus: planted, so q-values are small
    recs = []
    for k in range(12):
        s = "".join(rng.choice(list("ACGT"), 2000))
        s = s[:500] + site + s[514:1200] + site + s[1214:]
        recs.append((f"chr{k}:{1000 * k + 1}-{1000 * k + 2000}" + ("(-)" if k % 3 == 0 else ""), s))
    opts = dict(qvalue=0.2, max_stored=15, sort="pvalue", parse_genomic_coord=True)
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    try:
        with distributed.Client(cluster) as client, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the memory bound's and the short motif's warnings
            local = scan_table(motifs, recs, **opts)
            unbounded = scan_table(motifs, recs, qvalue=0.2)
            remote = scan_table(motifs, recs, scheduler=client, **opts)
    finally:
        cluster.close()
    assert len(unbounded) > 15 >= len(local) > 5  # the bound is active
    assert local.to_hits() == remote.to_hits()
