"""Scoring code of the accuracy benchmark (benchmarks/_balibase.py, benchmarks/accuracy.py).

Hand-made reference alignments with hand-counted reference pairs; coordinates from Biopython's
own ``Alignment.parse_printed_alignment`` against a column walk of the gapped strings; one real
BAliBASE family (shared data) against a direct reading of its files.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from Bio.Align import Alignment
from hypothesis import given, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import _balibase as bb  # noqa: E402
import accuracy  # noqa: E402


def walk_partner(gx: str, gy: str) -> list[int]:
    """Naive: partner of each residue of x by walking the columns of two gapped strings."""
    i = j = 0
    out = []
    for a, b in zip(gx, gy):
        if a != "-" and b != "-":
            out.append(j)
        elif a != "-":
            out.append(-1)
        i += a != "-"
        j += b != "-"
    return out


def coords(gx: str, gy: str) -> np.ndarray:
    """Coordinates of two gapped strings, by Biopython's own parser (independent of ours)."""
    return Alignment.parse_printed_alignment([gx.encode(), gy.encode()])[1]


def write_msf(path: Path, names: list[str], rows: list[str]) -> None:
    L = len(rows[0])
    head = [f"PileUp\n\n   MSF:  {L}  Type: P    Check:  0   ..\n"]
    head += [f" Name: {n} oo  Len:  {L}  Check:  0  Weight:  1.0" for n in names]
    body = [f"{n:<10} {r.replace('-', '.')}" for n, r in zip(names, rows)]
    path.write_text("\n".join(head) + "\n\n//\n\n" + "\n".join(body) + "\n")


def write_xml(path: Path, scores: list[int]) -> None:
    path.write_text("<macsim><alignment>\n<column-score>\n<colsco-name>coreblock</colsco-name>\n"
                    "<colsco-data>\n" + " ".join(map(str, scores)) + "\n</colsco-data>\n"
                    "</column-score>\n</alignment></macsim>\n")


# ---------------------------------------------------------------------------- scoring core
def test_reference_pairs_hand_counted():
    # columns:     0  1  2  3  4  5
    rows = ["AB-CDE", "A-BCDF"]
    # scored: column 3 not core; column 1/2 have a gap in one row
    cs = np.array([1, 1, 1, 0, 1, 1], dtype=bool)
    residue = np.array([[c != "-" for c in r] for r in rows])
    fam = bb.Family("t", ["a", "b"], rows, residue & cs)
    ref = fam.reference_pairs(0, 1)
    # col 0: A0-A0; col 4: D3-D3; col 5: E4-F4
    assert ref.tolist() == [[0, 0], [3, 3], [4, 4]]
    assert fam.n_pairs == 1
    assert fam.sequences == ["ABCDE", "ABCDF"]
    # identity over columns where both have a residue: cols 0, 3, 4, 5 -> A=A, C=C, D=D, E!=F
    assert fam.identity(0, 1) == pytest.approx(75.0)


def test_pair_score_counts_reproduced_pairs():
    ref = np.array([[0, 0], [3, 3], [4, 4]])
    x, y = "ABCDE", "ABCDF"
    # the same alignment as the reference: all reproduced
    same = Alignment([x, y], coords("AB-CDE", "A-BCDF"))
    assert bb.pair_score(ref, same.coordinates, 5) == 1.0
    # ungapped diagonal: A0-A0, B1-B1, C2-C2, D3-D3, E4-F4 -> all 3 reference pairs reproduced
    assert bb.pair_score(ref, [[0, 5], [0, 5]], 5) == 1.0
    # shifted by one: x_i ~ y_{i-1} -> none of them
    shifted = coords("-ABCDE", "ABCDF-")
    assert bb.pair_score(ref, shifted, 5) == 0.0
    # everything gapped
    assert bb.pair_score(ref, [[0, 5, 5], [0, 0, 5]], 5) == 0.0
    # 2 of 3: first three diagonal, then D/E shifted
    part = coords("ABC-DE", "ABCDF-")
    assert bb.pair_score(ref, part, 5) == pytest.approx(1 / 3)
    assert np.isnan(bb.pair_score(np.empty((0, 2)), [[0, 5], [0, 5]], 5))


gapped_pairs = st.lists(st.sampled_from(["M", "X", "Y"]), min_size=1, max_size=40).map(
    lambda path: ("".join("A" if s != "Y" else "-" for s in path),
                  "".join("C" if s != "X" else "-" for s in path)))


@settings(max_examples=200, deadline=None)
@given(gapped_pairs)
def test_aligned_partner_matches_column_walk(pair):
    gx, gy = pair
    n = len(gx.replace("-", ""))
    assert bb.aligned_partner(coords(gx, gy), n).tolist() == walk_partner(gx, gy)


def test_aligned_partner_local_coordinates():
    # a local alignment of x[2:5] with y[1:4] (coordinates not starting at 0)
    p = bb.aligned_partner([[2, 5], [1, 4]], 7)
    assert p.tolist() == [-1, -1, 1, 2, 3, -1, -1]


def test_aligned_partner_rejects_bad_coordinates():
    with pytest.raises(bb.ReferenceError, match="advances x by 2 and y by 3"):
        bb.aligned_partner([[0, 2], [0, 3]], 2)
    with pytest.raises(bb.ReferenceError, match="shape"):
        bb.aligned_partner([0, 1, 2], 2)
    with pytest.raises(bb.ReferenceError, match="beyond its length 3"):
        bb.aligned_partner([[0, 5], [0, 5]], 3)


def test_identity_bins():
    assert bb.identity_bin(0.0) == "<20%"
    assert bb.identity_bin(19.99) == "<20%"
    assert bb.identity_bin(20.0) == "20-30%"
    assert bb.identity_bin(39.9) == "30-40%"
    assert bb.identity_bin(100.0) == ">=40%"
    assert bb.identity_bin(float("nan")) == "n/a"


# ---------------------------------------------------------------------------- readers
def test_read_balibase_hand_made(tmp_path):
    rows = ["MKV-LA", "M-VWLA", "MKVWL-"]
    write_msf(tmp_path / "BB99001.msf", ["s1", "s2", "s3"], rows)
    write_xml(tmp_path / "BB99001.xml", [1, -1, 1, 0, 1, 1])
    (tmp_path / "BB99001.tfa").write_text(">s1\nmkvla\n>s2\nMVWLA\n>s3\nMKVWL\n")
    fam = bb.read_balibase(tmp_path / "BB99001.msf")
    assert fam.ids == ["s1", "s2", "s3"]
    assert fam.rows == rows
    assert fam.n_pairs == 3
    # s1/s2: columns 0 (M-M), 2 (V-V), 4 (L-L), 5 (A-A); column 1 not core, 3 gap in s1
    assert fam.reference_pairs(0, 1).tolist() == [[0, 0], [2, 1], [3, 3], [4, 4]]
    # s2/s3: column 5 has a gap in s3
    assert fam.reference_pairs(1, 2).tolist() == [[0, 0], [1, 2], [3, 4]]
    assert list(fam.pairs()) == [(0, 1), (0, 2), (1, 2)]


def test_read_balibase_errors(tmp_path):
    write_msf(tmp_path / "BB99001.msf", ["s1", "s2"], ["MKV-LA", "M-VWLA"])
    write_xml(tmp_path / "BB99001.xml", [1, 1, 1, 1, 1])
    with pytest.raises(bb.ReferenceError, match="5 column scores for an alignment of 6 columns"):
        bb.read_balibase(tmp_path / "BB99001.msf")
    write_xml(tmp_path / "BB99001.xml", [1, 1, 1, 1, 1, 1])
    (tmp_path / "BB99001.tfa").write_text(">s1\nMKVLA\n>s2\nMVWLG\n")
    with pytest.raises(bb.ReferenceError, match="sequence 's2' differs from its reference row"):
        bb.read_balibase(tmp_path / "BB99001.msf")
    (tmp_path / "BB99001.tfa").write_text(">s1\nMKVLA\n")
    with pytest.raises(bb.ReferenceError, match="sequence 's2' of BB99001.msf is missing"):
        bb.read_balibase(tmp_path / "BB99001.msf")
    (tmp_path / "BB99001.xml").write_text("<macsim></macsim>")
    with pytest.raises(bb.ReferenceError, match="no <column-score>"):
        bb.read_balibase(tmp_path / "BB99001.msf")


def test_read_balifam_case_marks_scored(tmp_path):
    ref = tmp_path / "PF00001.100"
    ref.write_text(">a\nmKV.LA\n>b\nm.VWLA\n>c\nqKVw.A\n")
    fam = bb.read_balifam(ref)
    assert fam.name == "PF00001"
    assert fam.sequences == ["MKVLA", "MVWLA", "QKVWA"]
    # a/b: col 0 lower case (not scored), col 1 gap in b; col 2 V2-V1, col 4 L3-L3, col 5 A4-A4
    assert fam.reference_pairs(0, 1).tolist() == [[2, 1], [3, 3], [4, 4]]
    # b/c: col 3 is lower in c
    assert fam.reference_pairs(1, 2).tolist() == [[1, 2], [4, 4]]
    with pytest.raises(bb.ReferenceError, match="at least 2"):
        (tmp_path / "one.fa").write_text(">a\nMKV\n")
        bb.read_balifam(tmp_path / "one.fa")


def test_find_families(tmp_path):
    for name in ("BB12002", "BB12001", "BBS12001"):
        (tmp_path / f"{name}.msf").write_text("")
    assert [p.name for _, p in bb.find_families(tmp_path)] == ["BB12001.msf", "BB12002.msf"]
    fam = tmp_path / "fam" / "balifam100" / "ref"
    fam.mkdir(parents=True)
    (fam / "PF1.100").write_text(">a\nA\n>b\nA\n")
    assert bb.find_families(tmp_path / "fam") == [("balifam", fam / "PF1.100")]
    with pytest.raises(bb.ReferenceError, match="neither BAliBASE"):
        bb.find_families(tmp_path / "fam" / "balifam100" / "ref")


# ---------------------------------------------------------------------------- the script
def test_folds_are_disjoint_and_balanced():
    names = [f"BB{k:05d}" for k in range(7)]
    folds = accuracy.folds_of(names)
    assert set(folds) == set(names)
    assert sorted(folds.values()).count(0) == 4


class _RecordingModel:
    """Stands in for a PairHMM: remembers the pairs it was fitted on; aligns on the diagonal."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def copy(self) -> "_RecordingModel":
        return _RecordingModel()

    def fit(self, pairs, **kw):  # trains in place, as PairHMM.fit does
        self.seen = {s for p in pairs for s in p}
        return self


def _write_balifam(folder: Path, n_families: int) -> None:
    ref = folder / "ref"
    ref.mkdir(parents=True)
    rng = np.random.default_rng(1)
    for k in range(n_families):
        seqs = ["".join(rng.choice(list("ACDEFGHIKLMNPQRSTVWY"), 12)) for _ in range(3)]
        (ref / f"PF{k:05d}.100").write_text("".join(f">s{k}_{i}\n{s}\n" for i, s in enumerate(seqs)))


def test_cross_validation_never_scores_a_family_with_its_own_model(tmp_path, monkeypatch, capsys):
    _write_balifam(tmp_path / "data", 4)
    scored_with: list[tuple[set, str, str]] = []

    def align(model, x, y):
        scored_with.append((model.seen, x, y))
        return Alignment([x, y], np.array([[0, len(x)], [0, len(y)]]))

    monkeypatch.setattr(accuracy, "METHODS", [
        accuracy.Method("diagonal", lambda m, x, y: Alignment([x, y], [[0, len(x)], [0, len(y)]]),
                        lambda: None),
        accuracy.Method("recorded (CV)", align, _RecordingModel, train=True)])
    rc = accuracy.main([str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    assert rc == 0
    real = [(seen, x, y) for seen, x, y in scored_with if x != "MKVLAAGIV"]  # drop warm-up calls
    assert len(real) == 4 * 3
    for seen, x, y in real:
        assert seen and x not in seen and y not in seen
    out = capsys.readouterr().out
    # equal-length random sequences aligned on the diagonal: every reference pair reproduced
    assert re.search(r"\| diagonal \| 1\.000 \|", out)
    assert "| recorded (CV) | 1.000 |" in out
    csv_lines = (tmp_path / "out" / "data_pairs.csv").read_text().splitlines()
    assert len(csv_lines) == 1 + 2 * 4 * 3


def test_script_runs_biopython_rows(tmp_path):
    _write_balifam(tmp_path / "data", 2)
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "accuracy.py"),
                          str(tmp_path / "data"), "--methods", "biopython", "--out",
                          str(tmp_path / "out")], capture_output=True, text=True, check=True).stdout
    assert "| Biopython global (BLOSUM62 -11/-1) | 1.000 |" in out
    assert "pairs | seconds |" in out
    assert (tmp_path / "out" / "data_table.md").read_text().startswith("| method | mean |")


def test_hmm_variant_spec():
    assert accuracy.parse_variant("delta=0.03, gap_factor=0.5") == {"delta": 0.03, "gap_factor": 0.5}
    assert accuracy.parse_variant("mode=semiglobal,long_gaps=0.008/0.9") == {
        "mode": "semiglobal", "long_gaps": (0.008, 0.9)}
    with pytest.raises(ValueError, match="not key=value"):
        accuracy.parse_variant("delta")
    names = [m.name for m in accuracy.build_methods(["epsilon=0.9"])]
    assert names[-1] == "pairhmm MEA [epsilon=0.9] (exploration)"
    trained = accuracy.build_methods(["mode=semiglobal,train=1"])[-1]
    assert trained.train and "Baum-Welch" in trained.name


# ---------------------------------------------------------------------------- real data
def test_real_balibase_family(shared_data):
    folder = shared_data / "balibase3" / "RV12"
    fam = bb.read_balibase(folder / "BB12003.msf")
    assert len(fam.ids) == 8 and fam.n_pairs == 28
    # direct reading of the XML: the column-score line, one integer per column
    xml = (folder / "BB12003.xml").read_text()
    scores = re.search(r"<colsco-data>(.*?)</colsco-data>", xml, re.S).group(1).split()
    assert len(scores) == len(fam.rows[0]) == 92
    core = [c for c, v in enumerate(scores) if v == "1"]
    assert len(core) == 37
    # reference pairs of the first two rows, counted by walking the gapped rows
    r0, r1 = fam.rows[0], fam.rows[1]
    i = j = 0
    expected = []
    for c, (a, b) in enumerate(zip(r0, r1)):
        if a != "-" and b != "-" and c in core:
            expected.append([i, j])
        i += a != "-"
        j += b != "-"
    assert fam.reference_pairs(0, 1).tolist() == expected
    # the .tfa inputs are the rows without gaps (checked by the reader; check one directly)
    tfa = (folder / "BB12003.tfa").read_text().split(">")[1].splitlines()
    assert fam.ids[0] == tfa[0].split()[0] and fam.sequences[0] == "".join(tfa[1:]).upper()


def test_real_balibase_pair_count(shared_data):
    found = bb.find_families(shared_data / "balibase3" / "RV12")
    assert len(found) == 44
    assert sum(bb.read_family(fmt, p).n_pairs for fmt, p in found) == 2335


def test_real_balifam_family(shared_data):
    path = shared_data / "balifam100" / "balifam100" / "ref" / "PF00009.100"
    if not path.exists():
        pytest.skip("balifam100 reference PF00009 absent")
    fam = bb.read_balifam(path)
    raw = [line for line in path.read_text().splitlines()]
    n_records = sum(line.startswith(">") for line in raw)
    assert len(fam.ids) == n_records == 36 and fam.n_pairs == 630
    # scored residues are exactly the upper-case letters, counted on the raw file
    n_upper = sum(c.isupper() for line in raw if not line.startswith(">") for c in line)
    assert int(fam.scored.sum()) == n_upper
