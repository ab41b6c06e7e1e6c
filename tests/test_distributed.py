"""Batch alignment, scoring and the Baum-Welch E-step on a 2-worker Dask LocalCluster."""

from __future__ import annotations

import numpy as np
import pytest

distributed = pytest.importorskip("dask.distributed", reason="the distributed extra is not installed")

from pairhmm import PairHMM  # noqa: E402
from pairhmm.batch import align_pairs, score_pairs  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def pairs():
    truth = PairHMM.default("dna").copy(tau=0.02)
    return [(a, b) for a, b, _ in truth.sample_pairs(24, random_state=5)]


@pytest.mark.filterwarnings("ignore::pairhmm.band.BandEdgeWarning")
def test_alignments_equal_local_run(client, pairs):
    model = PairHMM.default("dna")
    local = list(align_pairs(model, pairs, n_jobs=1, with_posterior=True, method="viterbi"))
    remote = list(align_pairs(model, pairs, scheduler=client, with_posterior=True, method="viterbi"))
    assert [a.path for a in local] == [a.path for a in remote]
    assert [a.score for a in local] == [a.score for a in remote]
    mea_l = [a.path for a in align_pairs(model, pairs, n_jobs=1)]
    mea_r = [a.path for a in align_pairs(model, pairs, scheduler=client)]
    assert mea_l == mea_r
    # banded, with the band's placement options passed through to the workers
    opts = dict(band=3, band_guide="diagonal")
    band_l = [(a.path, a.band_edge_cells) for a in align_pairs(model, pairs, n_jobs=1, **opts)]
    band_r = [(a.path, a.band_edge_cells) for a in align_pairs(model, pairs, scheduler=client, **opts)]
    assert band_l == band_r


def test_scores_equal_local_run(client, pairs):
    model = PairHMM.default("dna")
    assert list(score_pairs(model, pairs, n_jobs=1)) == list(score_pairs(model, pairs, scheduler=client))
    local = list(score_pairs(model, pairs, n_jobs=1, band=2, band_guide="diagonal"))
    assert local == list(score_pairs(model, pairs, scheduler=client, band=2, band_guide="diagonal"))


def test_baum_welch_estep_on_the_cluster_equals_local(client, pairs):
    start = PairHMM.default("dna")
    local = start.copy().fit(pairs, max_iter=3, tol=0.0, n_jobs=1)
    remote = start.copy().fit(pairs, max_iter=3, tol=0.0, scheduler=client)
    assert local.history_ == remote.history_  # bit for bit: counts summed in pair order
    np.testing.assert_array_equal(local.match, remote.match)


def test_unreachable_scheduler_is_a_clear_error(pairs):
    from pairhmm.distributed import DistributedError as OldPath
    from pairhmm.errors import DistributedError

    assert OldPath is DistributedError  # the old import path still works
    with pytest.raises(DistributedError, match="cannot reach"):
        list(score_pairs(PairHMM.default("dna"), pairs, scheduler="tcp://127.0.0.1:1"))


def test_cli_scheduler_option(client, pairs, tmp_path):
    from click.testing import CliRunner

    from pairhmm.cli import main

    f = tmp_path / "pairs.fa"
    f.write_text("".join(f">p{k}x\n{a}\n>p{k}y\n{b}\n" for k, (a, b) in enumerate(pairs[:8])))
    addr = client.scheduler.address
    local = CliRunner().invoke(main, ["score", "--all", str(f), "--threads", "1"])
    remote = CliRunner().invoke(main, ["score", "--all", str(f), "--scheduler", addr])
    assert local.exit_code == remote.exit_code == 0, remote.stderr
    assert local.stdout == remote.stdout
    out = tmp_path / "m.json"
    r = CliRunner().invoke(main, ["train", str(f), "-o", str(out), "--max-iter", "2", "--no-progress",
                                  "--scheduler", addr])
    assert r.exit_code == 0, r.stderr
    assert out.exists()


def test_motif_scan_on_the_cluster_equals_local(client, tmp_path):
    from pairhmm.motif import read_motifs, scan

    root = __import__("pathlib").Path(__file__).resolve().parent.parent / "data" / "motifs"
    motifs = read_motifs(root / "jaspar2024_examples.jaspar")
    rng = np.random.default_rng(3)
    recs = [(f"r{k}", "".join(rng.choice(list("ACGT"), int(rng.integers(500, 5000))))) for k in range(30)]
    local = scan(motifs, recs, pvalue=1e-3, table=True)
    from importlib import import_module

    sc = import_module("pairhmm.motif.scan")  # the module (pairhmm.motif.scan is also a function)

    old = sc.DASK_BATCH_BASES
    sc.DASK_BATCH_BASES = 20_000  # small batches: many tasks
    try:
        remote = scan(motifs, recs, pvalue=1e-3, table=True, scheduler=client)
    finally:
        sc.DASK_BATCH_BASES = old
    assert len(local) > 50
    for col in ("motif", "seq", "start", "strand", "score", "pvalue", "qvalue"):
        np.testing.assert_array_equal(getattr(local, col), getattr(remote, col))
