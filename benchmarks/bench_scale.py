"""Scale: all-vs-all throughput on 1 and 2 cores and on a Dask LocalCluster, and a 50 kb x 50 kb
Viterbi alignment in bounded memory.

* A protein family of ``--n`` sequences (default 200) of ~300 aa, each evolved from one random
  root by the default protein model's substitution matrix and gap process (seeded): all
  n (n - 1) / 2 pairs aligned by MEA (what ``pairhmm align`` does), pairs/s with 1 and 2 worker
  processes (``pairhmm.batch.align_pairs``) and with a 2-worker Dask ``LocalCluster`` (the
  overhead is the difference to the 2-process run). The outputs are checked identical.
* Two related 50 kb DNA sequences (10% substitutions, short indels) aligned by ``pairhmm align``
  in subprocesses, each with its wall time and peak resident memory: the default MEA with
  ``--max-memory 2G`` (the full posterior does not fit, so ``--band auto`` aligns in a band
  around k-mer anchors), MEA in +-100 and +-500 bands, the exact checkpointed Viterbi
  (O(m sqrt(n)) memory) and Viterbi in a +-100 band (equal scores = the band held the optimum).
* The same pair with a 300-residue insertion compensated 700 residues later, where a +-100 band
  around the anchors misses the alignment: ``--band auto`` must widen (compare with ``--band 500``).

Run ``python benchmarks/bench_scale.py`` (``--quick`` for a small version, ``--long-only`` for
the long pairs only). Prints Markdown.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def evolve(rng, root: np.ndarray, P: np.ndarray, sub_rate: float, indel_rate: float, A: int) -> np.ndarray:
    """Copy ``root`` with substitutions drawn from the conditional of the joint matrix ``P`` and
    geometric-length indels."""
    cond = P / P.sum(axis=1, keepdims=True)
    out = []
    i = 0
    n = root.size
    while i < n:
        u = rng.random()
        if u < indel_rate / 2:  # deletion
            i += int(rng.geometric(0.5))
            continue
        if u < indel_rate:  # insertion
            out.extend(rng.integers(0, A, int(rng.geometric(0.5))))
        a = int(root[i])
        out.append(int(rng.choice(A, p=cond[a])) if rng.random() < sub_rate else a)
        i += 1
    return np.array(out, dtype=np.uint8)


def family(n: int, length: int, seed: int):
    from pairhmm import PairHMM

    rng = np.random.default_rng(seed)
    m = PairHMM.default("protein")
    root = rng.choice(20, length, p=m.insert_x).astype(np.uint8)
    letters = m.alphabet.letters
    seqs = []
    for k in range(n):
        s = evolve(rng, root, m.match, sub_rate=rng.uniform(0.3, 0.7), indel_rate=0.03, A=20)
        seqs.append("".join(letters[c] for c in s))
    return seqs


def all_vs_all(seqs, n_jobs=None, scheduler=None):
    from pairhmm import PairHMM
    from pairhmm.batch import align_pairs

    model = PairHMM.default("protein")
    pairs = [(seqs[i], seqs[j]) for i in range(len(seqs)) for j in range(i + 1, len(seqs))]
    t0 = time.perf_counter()
    paths = [a.path for a in align_pairs(model, pairs, n_jobs=n_jobs, scheduler=scheduler)]
    return len(pairs), time.perf_counter() - t0, paths


def run_measured(cmd: list[str], cwd: str) -> tuple[float, float, str]:
    """Run ``cmd``; (wall seconds, peak resident MiB of that process, its stderr)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    dt = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {err}")
    return dt, usage.ru_maxrss / 1024, err


def related_pair(L: int) -> tuple[np.ndarray, np.ndarray]:
    """Two related L-bp DNA sequences (90% identity, 2% indels; seed 2)."""
    rng = np.random.default_rng(2)
    x = rng.integers(0, 4, L).astype(np.uint8)
    P = np.full((4, 4), 0.1 / 12)
    np.fill_diagonal(P, 0.9 / 4)
    return x, evolve(rng, x, P, sub_rate=1.0, indel_rate=0.02, A=4)


def missed_pair(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``y`` with a 300-residue insertion at 40% of its length, compensated by deleting the 300
    residues that start 700 later; every 10th residue of the 700 between is changed, so no
    unique k-mer anchors the shifted stretch (seed 3): an ±100 band around the anchors misses it."""
    rng = np.random.default_rng(3)
    at = int(0.4 * y.size)
    mid = y[at:at + 700].copy()
    mid[5::10] = (mid[5::10] + 1) % 4
    return np.concatenate([y[:at], rng.integers(0, 4, 300).astype(np.uint8), mid, y[at + 1000:]])


def long_pair(L: int, missed: bool = False) -> str:
    """Two related L-bp DNA sequences through `pairhmm align` in 2 GiB: default MEA (banded
    automatically), exact checkpointed Viterbi, and banded Viterbi (same score = the band held
    the optimum). ``missed``: the pair of :func:`missed_pair`, which ``--band auto`` must widen
    for."""
    import json

    x, y = related_pair(L)
    runs = [("MEA (default), `--max-memory 2G`", ["--max-memory", "2G"]),
            ("MEA, `--band 100`", ["--band", "100"]),
            ("MEA, `--band 500`", ["--band", "500"]),
            ("Viterbi, exact (checkpoints), `--max-memory 2G`", ["--method", "viterbi", "--max-memory", "2G"]),
            ("Viterbi, `--band 100`", ["--method", "viterbi", "--band", "100"])]
    title = "90% identity, 2% indels"
    if missed:
        y = missed_pair(x, y)
        runs = runs[:3] + runs[3:4]
        title += ", plus a 300-residue insertion compensated 700 residues later"
    rows = []
    with tempfile.TemporaryDirectory() as d:
        fa, fb = Path(d) / "a.fa", Path(d) / "b.fa"
        fa.write_text(">a\n" + "".join("ACGT"[c] for c in x) + "\n")
        fb.write_text(">b\n" + "".join("ACGT"[c] for c in y) + "\n")
        for label, opts in runs:
            out = Path(d) / "out.json"
            cmd = [sys.executable, "-m", "pairhmm", "align", str(fa), str(fb), "-f", "json",
                   "-o", str(out)] + opts
            dt, peak, err = run_measured(cmd, d)
            rec = json.loads(out.read_text())[0]
            band = rec.get("band")
            where = "full DP" if band is None else (
                f"+-{band['width']} around {band['anchors']} anchors, {band['cells'] / 1e6:.1f} M cells"
                f", edge cells {band['edge_cells']}")
            if "warning" in err:
                where += "; " + next(line for line in err.splitlines() if "warning" in line)
            rows.append((label, dt, peak, rec["score"], where))
    lines = [f"\n### {L // 1000} kb x {len(y) // 1000} kb DNA ({title}), `pairhmm align`\n",
             f"A full DP matrix of one byte per cell would need {L * len(y) / 2**30:.1f} GiB. Wall time "
             "includes process start and the Numba cache load; peak = resident memory of the process.\n",
             "| command | wall s | peak MiB | score | DP |", "|---|---:|---:|---:|---|"]
    for label, dt, peak, score, where in rows:
        lines.append(f"| {label} | {dt:.1f} | {peak:.0f} | {score:.3f} | {where} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="40 sequences, a 5 kb pair")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--long", type=int, default=50_000, help="length of the long DNA pair")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--long-only", action="store_true", help="only the long pairs")
    args = ap.parse_args()
    n = 40 if args.quick else args.n
    L = 5_000 if args.quick else args.long
    # the long pair first, each command in its own subprocess with its own peak memory
    long_report = long_pair(L) + long_pair(L, missed=True)
    if args.long_only:
        print(long_report)
        return

    seqs = family(n, 300, seed=1)
    # warm the Numba cache in this process and the workers' (fork copies it)
    all_vs_all(seqs[:3], n_jobs=1)
    rows = []
    base = None
    for jobs in (1, 2):
        npairs, dt, paths = all_vs_all(seqs, n_jobs=jobs)
        if base is None:
            base = (dt, paths)
        rows.append((f"{jobs} process{'es' if jobs > 1 else ''}", npairs, dt, npairs / dt,
                     base[0] / dt, paths == base[1]))
    if not args.no_dask:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            print("(dask not installed: LocalCluster row skipped)", file=sys.stderr)
        else:
            with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              dashboard_address=None) as cluster, Client(cluster) as client:
                all_vs_all(seqs[:4], scheduler=client)  # workers load the kernels
                npairs, dt, paths = all_vs_all(seqs, scheduler=client)
                rows.append(("Dask LocalCluster, 2 workers", npairs, dt, npairs / dt, base[0] / dt,
                             paths == base[1]))
    print(f"### All vs all: {n} protein sequences of ~300 aa, MEA with the 3-state `PairHMM.default(\"protein\")`\n")
    print("| engine | pairs | seconds | pairs/s | speed-up vs 1 process | same alignments |")
    print("|---|---:|---:|---:|---:|:---:|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.1f} | {r[4]:.2f}x | {'yes' if r[5] else 'NO'} |")

    print(long_report)


if __name__ == "__main__":
    main()
