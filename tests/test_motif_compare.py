"""Tests of motif comparison (pairhmm.motif.compare) and of the CNN's motif export (ranking,
merging of near-identical / reverse-complement filters, database annotation)."""

from __future__ import annotations

import numpy as np
import pytest

from pairhmm.errors import InvalidParameter
from pairhmm.motif.compare import (
    MotifDatabase, align, merge_similar, probability_matrix, similarity,
)

from test_motif_cnn import CTCF, CTCF_COUNTS, plant, random_model

pytestmark = pytest.mark.usefixtures("one_numba_thread")

# Two made-up matrices shaped like a GATA site (AGATAA) and a SOX site (ACAATG), for small
# databases with several distinct motifs (not JASPAR's numbers; the real JASPAR file is used in
# test_cli_compare_with_real_jaspar).
GATA1 = np.array([
    [1443, 1186, 1640, 0, 8031, 0, 11, 72, 1040, 1637, 2160],
    [2244, 4245, 1013, 0, 3, 8, 4, 6075, 2446, 1760, 2030],
    [3065, 1277, 5349, 8143, 56, 0, 8108, 1887, 4149, 3488, 1977],
    [1391, 1435, 141, 0, 53, 8135, 20, 103, 508, 1258, 1976],
], dtype=float).T
SOX2 = np.array([
    [59, 67, 102, 7, 304, 310, 0, 305, 8, 82, 92],
    [114, 163, 4, 360, 12, 0, 2, 2, 3, 69, 68],
    [52, 79, 192, 4, 4, 0, 0, 3, 316, 117, 63],
    [135, 51, 62, 0, 40, 50, 358, 50, 33, 92, 137],
], dtype=float).T


def naive_score(q: np.ndarray, t: np.ndarray, offset: int) -> float:
    """Sum of np.corrcoef column correlations of an alignment (0 for a constant column)."""
    total = 0.0
    for i in range(q.shape[0]):
        j = i - offset
        if 0 <= j < t.shape[0]:
            a, b = q[i], t[j]
            if np.std(a) > 1e-12 and np.std(b) > 1e-12:
                total += np.corrcoef(a, b)[0, 1]
    return total


def jaspar_text(entries) -> str:
    out = []
    for mid, name, counts in entries:
        out.append(f">{mid}\t{name}")
        for j, b in enumerate("ACGT"):
            out.append(f"{b}  [ " + " ".join(str(int(round(v))) for v in counts[:, j]) + " ]")
    return "\n".join(out) + "\n"


def decoys(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [(f"DEC{i:03d}.1", f"decoy{i}", 100 * rng.dirichlet(np.full(4, 0.4), size=int(rng.integers(6, 16))))
            for i in range(n)]


# ---------------------------------------------------------------------------- alignment
def test_alignment_offset_strand_and_score_agree_with_a_naive_reference():
    sub = CTCF[4:13]
    a = align(sub, CTCF)
    assert (a.strand, a.offset, a.overlap) == ("+", -4, 9)
    assert a.score == pytest.approx(9.0, abs=1e-9)
    rc = align(sub, CTCF[::-1, ::-1])
    assert (rc.strand, rc.offset, rc.overlap) == ("-", -4, 9)
    rng = np.random.default_rng(1)
    for _ in range(20):
        q = rng.dirichlet(np.ones(4), size=int(rng.integers(5, 12)))
        t = rng.dirichlet(np.ones(4), size=int(rng.integers(5, 12)))
        al = align(q, t, min_overlap=5)
        pq, pt = probability_matrix(q), probability_matrix(t)
        tt = pt if al.strand == "+" else pt[::-1, ::-1]
        assert al.score == pytest.approx(naive_score(pq, tt, al.offset), abs=1e-9)
        # it is the best over every offset and both strands (brute force)
        best = max(naive_score(pq, s, o) for s in (pt, pt[::-1, ::-1])
                   for o in range(-(t.shape[0] - 5), q.shape[0] - 5 + 1))
        assert al.score == pytest.approx(best, abs=1e-9)


def test_similarity_and_merge_of_rc_copies_and_near_duplicates():
    rng = np.random.default_rng(3)
    noisy = np.clip(CTCF + rng.normal(0, 0.04, CTCF.shape), 1e-3, None)
    gata_rc = GATA1[::-1, ::-1]
    assert similarity(CTCF, CTCF[::-1, ::-1])[0] == pytest.approx(1.0)
    assert similarity(CTCF, noisy)[0] > 0.9
    assert similarity(CTCF, GATA1)[0] < 0.6
    groups = merge_similar([CTCF, GATA1, CTCF[::-1, ::-1], noisy, SOX2, gata_rc])
    assert groups == [(0, [(2, "-"), (3, "+")]), (1, [(5, "-")]), (4, [])]
    with pytest.raises(InvalidParameter, match="threshold"):
        merge_similar([CTCF], threshold=0)


# ----------------------------------------------------------------------------- database
def test_database_search_names_the_planted_matrix_with_a_small_pvalue(tmp_path):
    path = tmp_path / "db.jaspar"
    path.write_text(jaspar_text([("SYN.GATA", "gata_like", GATA1), ("MA0139.1", "CTCF", CTCF_COUNTS),
                                 ("SYN.SOX", "sox_like", SOX2)] + decoys(40)))
    db = MotifDatabase.read(path)
    assert len(db) == 43
    hits = db.search(CTCF[2:17][::-1, ::-1], top=3)  # a trimmed reverse-complement copy
    assert (hits[0].id, hits[0].name, hits[0].strand, hits[0].offset) == ("MA0139.1", "CTCF", "-", -2)
    assert hits[0].pvalue < 1e-6 < hits[1].pvalue
    assert hits[0].evalue == pytest.approx(hits[0].pvalue * 43)
    gata = db.search(GATA1[2:9], top=1)[0]
    assert (gata.id, gata.strand, gata.offset) == ("SYN.GATA", "+", -2)


def test_database_pvalues_are_roughly_calibrated_for_unrelated_motifs():
    """Random queries against random targets from the same column distribution: the corrected
    p-values of the best alignments are roughly uniform (the null assumes independent columns)."""
    db = MotifDatabase([m for _, _, m in decoys(60, seed=5)])
    rng = np.random.default_rng(6)
    ps = []
    for _ in range(40):
        q = 100 * rng.dirichlet(np.full(4, 0.4), size=int(rng.integers(6, 16)))
        ps += [m.pvalue for m in db.search(q, top=len(db))]
    ps = np.array(ps)
    assert 0.01 <= np.mean(ps <= 0.05) <= 0.12
    assert 0.35 <= np.median(ps) <= 0.65


def test_database_rejects_empty_input():
    with pytest.raises(InvalidParameter, match="no motif"):
        MotifDatabase([])


# ------------------------------------------------------------------------- CNN export
def _model_with_filters(filters: list[np.ndarray], losses: list[float]):
    rng = np.random.default_rng(0)
    w = filters[0].shape[0]
    m = random_model(rng, n_filters=len(filters), width=w)
    m.filters_ = np.array(filters)
    m.free_ = m.tying_.gather(m.filters_)
    m.weights_ = np.ones(len(filters))
    m.filter_auroc_loss_ = np.array(losses, float)
    m.filter_importance_ = np.array(losses, float)
    return m


def test_export_merges_rc_copies_and_near_duplicates_keeps_distinct_motifs():
    rng = np.random.default_rng(2)
    ctcf = np.log(probability_matrix(CTCF[4:15]) / 0.25)
    gata = np.log(probability_matrix(GATA1) / 0.25)
    filters = [ctcf, gata, ctcf[::-1, ::-1], ctcf + rng.normal(0, 0.15, ctcf.shape),
               rng.normal(0, 1.0, ctcf.shape)]
    m = _model_with_filters(filters, [0.05, 0.02, 0.04, 0.03, 0.001])
    out = m.export_motifs(beta=1.0, trim=None, merge=0.8)
    assert [lm.filter for lm in out] == [0, 1, 4]
    assert out[0].merged == [(2, "-"), (3, "+")]
    assert out[1].merged == [] and out[2].merged == []
    assert [lm.rank for lm in out] == [1, 2, 3]
    assert out[0].auroc_loss == 0.05
    # without merging every filter is its own motif, still by importance
    assert [lm.filter for lm in m.export_motifs(beta=1.0, trim=None, merge=None)] == [0, 2, 3, 1, 4]


def test_export_annotates_with_database(tmp_path):
    path = tmp_path / "db.jaspar"
    path.write_text(jaspar_text([("SYN.GATA", "gata_like", GATA1), ("MA0139.1", "CTCF", CTCF_COUNTS)]
                                + decoys(20)))
    ctcf = np.log(probability_matrix(CTCF[3:16]) / 0.25)
    gata = np.log(probability_matrix(GATA1) / 0.25)
    m = _model_with_filters([gata[:9], ctcf[:9]], [0.01, 0.03])
    out = m.export_motifs(beta=1.0, trim=None, database=path, n_matches=2)
    assert [lm.matches[0].id for lm in out] == ["MA0139.1", "SYN.GATA"]
    assert len(out[0].matches) == 2


def test_cli_compare_names_the_planted_motif_first(tmp_path):
    """A CTCF site planted in random sequences, learned, exported, annotated: the top motif's best
    database match is CTCF's entry."""
    from click.testing import CliRunner

    from pairhmm.cli.motif_learn import train

    rng = np.random.default_rng(1)
    X, y = plant(600, 50, rng)
    text = lambda s: "".join("ACGT"[c] for c in s)  # noqa: E731
    pos = tmp_path / "pos.fa"
    neg = tmp_path / "neg.fa"
    pos.write_text("".join(f">p{i}\n{text(s)}\n" for i, s in enumerate(X[y == 1])))
    neg.write_text("".join(f">n{i}\n{text(s)}\n" for i, s in enumerate(X[y == 0])))
    db = tmp_path / "db.jaspar"
    db.write_text(jaspar_text([("SYN.GATA", "gata_like", GATA1), ("SYN.SOX", "sox_like", SOX2),
                               ("MA0139.1", "CTCF", CTCF_COUNTS)] + decoys(30)))
    report = tmp_path / "motifs.tsv"
    r = CliRunner().invoke(train, [str(pos), str(neg), "-o", str(tmp_path / "m.json"),
                                   "--config", "fast", "--filters", "4", "--width", "19",
                                   "--epochs", "30", "-q", "--compare", str(db),
                                   "--report", str(report), "--motifs", str(tmp_path / "m.meme")])
    assert r.exit_code == 0, r.output
    rows = [line.split("\t") for line in report.read_text().splitlines()]
    head, first = rows[0], dict(zip(rows[0], rows[1]))
    assert head[:3] == ["rank", "motif", "filter"]
    assert (first["rank"], first["match_id"], first["match_name"]) == ("1", "MA0139.1", "CTCF")
    assert float(first["pvalue"]) < 1e-4
    assert "best match MA0139.1 CTCF" in r.output


def test_cli_compare_with_real_jaspar(shared_data, tmp_path):
    """The same against all JASPAR 2024 vertebrate matrices (879), as JASPAR distributes them."""
    from pairhmm.motif import read_motifs

    db = MotifDatabase.read(shared_data / "jaspar2024" / "JASPAR2024_CORE_vertebrates_latest.jaspar")
    assert len(db) == 879
    m = read_motifs(shared_data / "jaspar2024" / "JASPAR2024_CORE_vertebrates_latest.jaspar")
    ctcf = next(x for x in m if x.matrix_id == "MA0139.2")
    p = probability_matrix(ctcf)
    hit = db.search(p[2:13][::-1, ::-1], top=1)[0]
    assert (hit.name, hit.strand) == ("CTCF", "-")
