"""Counting on known alignments for model variants: expected state-graph transitions along the
columns, against brute force over the hidden states."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from pairhmm import PairHMM
from pairhmm._kernels.pathcount import path_transition_counts
from pairhmm.train import _kind_moves, _path_counts, alignment_stats, estimate_from_alignments, read_alignments
from pairhmm.variants import build_graph


def brute_force(cols, free, G):
    """Sum over every assignment of states (of the right kinds) to the columns."""
    S = len(G.names)
    options = [[s for s in range(S) if G.kind[s] == c] for c in cols]
    cT = np.zeros_like(G.T)
    cE = np.zeros_like(G.end)
    total = 0.0
    if not options or any(not o for o in options):
        return 0.0, cT, cE
    for states in itertools.product(*options):
        w = G.T[S, states[0]]
        for t in range(1, len(states)):
            w *= 1.0 if free[t] else G.T[states[t - 1], states[t]]
        w *= G.end[states[-1]]
        if w == 0:
            continue
        total += w
        cT[S, states[0]] += w
        for t in range(1, len(states)):
            if not free[t]:
                cT[states[t - 1], states[t]] += w
        cE[states[-1]] += w
    if total == 0:
        return 0.0, cT, cE
    return total, cT / total, cE / total


@pytest.mark.parametrize("kw", [dict(long_gaps=(0.04, 0.85)),
                                dict(mode="semiglobal", flank_loop=0.7, flank_start=0.2),
                                dict(mode="local", long_gaps=(0.03, 0.9), flank_loop=0.8, flank_start=0.1)])
def test_expected_transitions_equal_brute_force(kw):
    rng = np.random.default_rng(len(str(kw)))
    model = PairHMM.default("dna").copy(**kw)
    G = build_graph(model)
    moves = np.zeros((3, 3), dtype=bool)
    for p in range(len(G.names)):
        for s in range(len(G.names)):
            moves[G.kind[p], G.kind[s]] |= G.T[p, s] > 0
    np.testing.assert_array_equal(_kind_moves(G), moves)
    for _ in range(8):
        cols = rng.integers(0, 3, int(rng.integers(1, 7)))
        free = np.zeros(cols.size, dtype=bool)
        free[1:] = ~moves[cols[:-1], cols[1:]]
        total, bT, bE = brute_force(cols, free, G)
        cT = np.zeros_like(G.T)
        cE = np.zeros_like(G.end)
        lp = path_transition_counts(cols, free, G.kind, G.T, G.end, cT, cE)
        if total == 0:  # impossible with X|Y moves only where a state makes them
            assert lp == -np.inf and not cT.any()
            free[1:] |= cols[:-1] + cols[1:] == 3
            total, bT, bE = brute_force(cols, free, G)
            assert _path_counts(cols, moves, G, cT, cE) == pytest.approx(math.log(total), rel=1e-12)
            lp = math.log(total)
        assert lp == pytest.approx(math.log(total), rel=1e-12)
        np.testing.assert_allclose(cT, bT, atol=1e-12)
        np.testing.assert_allclose(cE, bE, atol=1e-12)
        # one counted transition into every column (Begin's included) but the free ones
        assert cT.sum() == pytest.approx(cols.size - free[1:].sum(), rel=1e-12)
        assert cE.sum() == pytest.approx(1.0, rel=1e-12)


def test_three_state_graph_counts_are_the_plain_counts(data_dir):
    """On the 3-state graph the hidden state is the column kind: the expected counts are the
    direct counts of the 3-state counting."""
    model = PairHMM.default("dna")
    alns = read_alignments([data_dir / "train" / "tiny.aln"])
    plain = alignment_stats(model, alns)
    G = build_graph(model)
    cT = np.zeros_like(G.T)
    cE = np.zeros_like(G.end)
    for _, _, rows in alns:
        for a, b in itertools.combinations(range(len(rows)), 2):
            ra, rb = rows[a], rows[b]
            cols = [0 if (u != "-" and v != "-") else (1 if u != "-" else 2)
                    for u, v in zip(ra, rb) if not (u == "-" and v == "-")]
            cols = np.array(cols)
            free = np.zeros(cols.size, dtype=bool)
            free[1:] = ((cols[:-1] == 1) & (cols[1:] == 2)) | ((cols[:-1] == 2) & (cols[1:] == 1))
            path_transition_counts(cols, free, G.kind, G.T, G.end, cT, cE)
    S = len(G.names)
    trans = np.zeros((3, 4))
    trans[:, :3] = cT[:3, :3]
    trans[0, :3] += cT[S, :3]      # Begin counts as M
    trans[:, 3] = cE
    np.testing.assert_allclose(trans, plain.trans, atol=1e-12)


def test_variant_counting_is_em_and_increases_the_likelihood(tmp_path):
    """For the 5-state preset the counts are expectations; repeated counting is EM over the
    hidden gap classes, so the likelihood of the column kinds never decreases."""
    start = PairHMM.preset("protein")
    text = ["# STOCKHOLM 1.0"]
    rows = ["MKVLAAGIVG-ALLAW--ERTTQPL", "MKV-AAGLVGQALLAWKKERT--PL", "MRVLSAG-VGQALIAW--ERTTHPL"]
    for k, r in enumerate(rows):
        text.append(f"s{k} {r}")
    text.append("//")
    f = tmp_path / "a.sto"
    f.write_text("\n".join(text) + "\n")
    alns = read_alignments([f])

    def loglik(model):
        """log P(column kinds of every row pair) under the model's transitions."""
        G = model.graph
        total = 0.0
        for _, _, rws in alns:
            for a, b in itertools.combinations(range(len(rws)), 2):
                cols = np.array([0 if (u != "-" and v != "-") else (1 if u != "-" else 2)
                                 for u, v in zip(rws[a], rws[b]) if not (u == "-" and v == "-")])
                total += _path_counts(cols, _kind_moves(G), G, np.zeros_like(G.T), np.zeros_like(G.end))
        return total

    from pairhmm.train import mstep

    model = start
    values = [loglik(model)]
    for _ in range(5):
        model = mstep(model, alignment_stats(model, alns), pseudocount=0.0, freeze=["match", "insert"])
        values.append(loglik(model))
    assert all(b >= a - 1e-9 for a, b in zip(values, values[1:]))
    assert values[-1] > values[0]
    fitted = estimate_from_alignments(alns, model=start, pseudocount=0.0, freeze=["match", "insert"])
    assert fitted.long_gaps and loglik(fitted) >= values[-1] - 1e-9


def test_cli_counts_protein_alignments_with_the_default_preset(tmp_path):
    from click.testing import CliRunner

    from pairhmm.cli import main

    f = tmp_path / "a.sto"
    f.write_text("# STOCKHOLM 1.0\ns1 MKVLAAGIVG-ALLA\ns2 MKV-AAGLVGQALLA\ns3 MRVLSAG-VGQALIA\n//\n")
    out = tmp_path / "m.json"
    res = CliRunner().invoke(main, ["train", str(f), "--from-alignments", "-o", str(out)])
    assert res.exit_code == 0, res.output
    model = PairHMM.load(out)
    assert model.long_gaps and model.alphabet.name == "protein"
