"""Benchmark: pairhmm motif scanning vs MOODS and Biopython ``PSSM.search``.

Random DNA (seeded), p = 1e-4, both strands; one motif (CTCF, MA0139) and the first N JASPAR 2024
vertebrate motifs. Every tool gets the same log-odds matrices (pairhmm's, bits, pseudocount 0.1,
uniform background) and the same score thresholds, so the hit counts must agree. Times are
medians over ``--repeats`` runs (wall clock; the machine may be shared, so expect noise).

    python benchmarks/bench_motif_scan.py ../shared/data/jaspar2024/ [--mbp 10] [--motifs 100]

Prints a Markdown table. Biopython is timed on ``--bio-mbp`` (default 1) Mbp only and its rate
reported per base (it is far slower).

``--check-pvalues`` then classifies the many-motif p <= threshold decisions against a 20x finer
grid: windows certified to pass (their p-value on the fine grid, an upper bound of the exact one,
passes), certified to fail (a lower bound fails), and what pairhmm and the rounding of ``s / delta``
that pairhmm used before issue 14 report for them.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np


def _median_time(fn, repeats: int):
    """Median wall time, median CPU time (all threads of this process), last result."""
    times, cpus, out = [], [], None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c)
    _median_time.cpu = statistics.median(cpus)  # type: ignore[attr-defined]
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("jaspar_dir", type=Path, help="folder with JASPAR2024_CORE_vertebrates_latest.jaspar")
    ap.add_argument("--mbp", type=float, default=10.0, help="random DNA length in Mbp (default 10)")
    ap.add_argument("--motifs", type=int, default=100, help="motifs in the many-motif run (default 100)")
    ap.add_argument("--pvalue", type=float, default=1e-4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bio-mbp", type=float, default=1.0, help="Mbp given to Biopython (default 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--check-pvalues", action="store_true",
                    help="classify the many-motif hits against a 20x finer p-value grid")
    args = ap.parse_args(argv)
    import warnings

    warnings.simplefilter("ignore")  # short motifs that cannot reach the p-value: counted below

    from pairhmm.motif import Background, LogOddsFilter, read_motifs, scan, score_threshold

    try:
        from pairhmm.motif import scan_table
    except ImportError:  # an older pairhmm (before/after comparisons): scan(table=True)
        def scan_table(*a, **k):
            return scan(*a, table=True, **k)

    path = args.jaspar_dir / "JASPAR2024_CORE_vertebrates_latest.jaspar"
    allm = read_motifs(path)
    ctcf = [m for m in allm if str(m.matrix_id).startswith("MA0139")][:1]
    many = allm[: args.motifs]
    rng = np.random.default_rng(args.seed)
    n = int(args.mbp * 1e6)
    seq = "".join(np.array(list("ACGT"))[rng.integers(0, 4, n)])
    bio_seq = seq[: int(args.bio_mbp * 1e6)]
    bg = Background.uniform()
    try:
        import MOODS.scan  # type: ignore
    except ImportError:  # pragma: no cover
        MOODS = None

    # warm-up (Numba compilation is cached, but the first call still loads it)
    scan(ctcf, [("warm", seq[:10000])], background=bg, pvalue=args.pvalue)

    rows = []
    for label, motifs in (("1 motif (CTCF)", ctcf), (f"{len(many)} JASPAR motifs", many)):
        k = len(motifs)
        filters = [LogOddsFilter.from_motif(m, bg, 0.1, i) for i, m in enumerate(motifs)]
        t_thr, thr = _median_time(lambda: [score_threshold(
            LogOddsFilter.from_motif(m, bg, 0.1, i), args.pvalue) for i, m in enumerate(motifs)],
            args.repeats)
        cpu_thr = _median_time.cpu  # type: ignore[attr-defined]
        t, hits = _median_time(lambda: scan_table(motifs, [("chr", seq)], background=bg,
                                                  pvalue=args.pvalue), args.repeats)
        rows.append(("pairhmm", label, args.mbp, t, n * k / t, len(hits), _median_time.cpu))
        if MOODS is not None:
            mats, thrs = [], []
            for f, th in zip(filters, thr):
                if th == float("inf"):
                    continue
                for wts in (f.weights, f.weights_rc):
                    mats.append([list(map(float, wts[:, a])) for a in range(4)])
                    thrs.append(float(th))
            t, res = _median_time(lambda: MOODS.scan.scan_dna(seq, mats, [0.25] * 4, thrs, 7),
                                  args.repeats)
            rows.append(("MOODS 1.9 (scan_dna)", label, args.mbp, t, n * k / t,
                         sum(len(r) for r in res), _median_time.cpu))
        nb = len(bio_seq)
        pssms = [(f.to_bio_pssm(), th) for f, th in zip(filters, thr) if th != float("inf")]

        def bio():
            c = 0
            for pssm, th in pssms:
                c += sum(1 for _ in pssm.search(bio_seq, threshold=th, both=True))
            return c

        t, c = _median_time(bio, 1 if k > 1 else args.repeats)
        rows.append((f"Biopython PSSM.search ({args.bio_mbp:g} Mbp)", label, args.bio_mbp, t,
                     nb * k / t, c, _median_time.cpu))
        unreachable = sum(1 for th in thr if th == float("inf"))
        rows.append((f"(pairhmm p -> score thresholds; {unreachable} motif(s) cannot reach p)",
                     label, 0, t_thr, float("nan"), k, cpu_thr))

    print(f"Random DNA, seed {args.seed}, p = {args.pvalue:g}, both strands, medians of "
          f"{args.repeats} runs (Biopython many-motif: 1 run).\n")
    print("| tool | motifs | Mbp | median wall (s) | median CPU (s) | M bp·motif/s (wall) | hits |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for tool, label, mbp, t, rate, h, cpu in rows:
        r = "" if rate != rate else f"{rate / 1e6:.1f}"
        print(f"| {tool} | {label} | {mbp:g} | {t:.3f} | {cpu:.3f} | {r} | {h} |")
    try:
        import os

        print(f"\nLoad average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores.")
    except OSError:  # pragma: no cover
        pass
    if args.check_pvalues:
        check_pvalues(many, seq, bg, args.pvalue)


def check_pvalues(motifs, seq: str, bg, p: float, refine: int = 20, enumerate_up_to: int = 10) -> None:
    """Count, over every window scoring near the threshold, how the p-values decide.

    The exact p-value of each window comes from enumerating all 4^w words for motifs of width
    <= ``enumerate_up_to``; for wider ones it is bracketed by a ``refine`` times finer grid
    (upper bound: pairhmm's own mapping; lower bound: words whose integer score guarantees a
    score >= s), and a window is undecided when the bracket straddles ``p``.
    """
    import numpy as np

    from pairhmm.motif import LogOddsFilter, scan_table
    from pairhmm.motif.pvalue import N_BINS, SCORE_TOL, ScoreDistribution

    t = scan_table(motifs, [("chr", seq)], background=bg, pvalue=min(1.0, 3 * p))
    c = dict.fromkeys(["pairhmm", "pass", "fail", "undecided", "pairhmm misses a pass",
                       "pairhmm reports a fail", "rounded", "rounded reports a fail",
                       "rounded misses a pass"], 0)
    for k, m in enumerate(motifs):
        f = LogOddsFilter.from_motif(m, bg, 0.1, k)
        s = t.score[t.motif == k]
        coarse = ScoreDistribution(f.weights, bg.freqs)
        if f.width <= enumerate_up_to:
            score, prob = np.zeros(1), np.ones(1)
            for j in range(f.width):  # every word, in column order like the scanner's sums
                score = (score[:, None] + f.weights[j][None, :]).ravel()
                prob = (prob[:, None] * bg.freqs[None, :]).ravel()
            order = np.argsort(score)
            tail = np.append(np.cumsum(prob[order][::-1])[::-1], 0.0)
            hi = lo = tail[np.searchsorted(score[order], s - SCORE_TOL, side="left")]
        else:
            fine = ScoreDistribution(f.weights, bg.freqs, n_bins=refine * N_BINS)
            hi = fine.pvalue(s)  # >= the exact p-value
            kk = np.ceil((s + fine.e_hi + SCORE_TOL) / fine.step) - fine.offset
            lo = fine.tail[np.clip(kk, 0, fine.tail.size - 1).astype(int)]
            lo = np.where(kk > fine.tail.size - 1, 0.0, lo)  # <= the exact p-value
        ours = coarse.pvalue(s) <= p
        ko = np.clip(np.floor(s / coarse.step + 0.5) - coarse.offset, 0, coarse.tail.size - 1)
        rounded = coarse.tail[ko.astype(int)] <= p
        ok, bad = hi <= p * (1 + 1e-12), lo > p * (1 + 1e-12)
        c["pairhmm"] += int(ours.sum())
        c["pass"] += int(ok.sum())
        c["fail"] += int(bad.sum())
        c["undecided"] += int((~ok & ~bad).sum())
        c["pairhmm misses a pass"] += int((ok & ~ours).sum())
        c["pairhmm reports a fail"] += int((bad & ours).sum())
        c["rounded"] += int(rounded.sum())
        c["rounded reports a fail"] += int((bad & rounded).sum())
        c["rounded misses a pass"] += int((ok & ~rounded).sum())
    print(f"\np-value check ({len(motifs)} motifs, p <= {p:g}, windows with p <= {3 * p:g}; exact "
          f"by enumeration for width <= {enumerate_up_to}, else bracketed on a {refine}x finer grid):")
    for key, v in c.items():
        print(f"  {key}: {v}")


if __name__ == "__main__":
    main()
