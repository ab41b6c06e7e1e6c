"""Speed of the general state-graph kernels (``pairhmm._kernels.gpair``) that run the model
variants: the shipped protein preset (ProbCons' 5-state double-affine model, what ``pairhmm
align`` uses with no options) and a local-mode variant of it (9 states: the preset plus flanks).

For each model and size: forward (log-likelihood, linear memory), posterior (forward +
backward), MEA (posterior + decoding), Viterbi with traceback, and the Baum-Welch E-step of one
pair (``expected_stats``, one thread). Figures are medians of CPU time (``time.process_time``)
over repeats after a warm-up run, so they hold roughly on a shared machine; M cells/s counts the
n x m DP cells once per call.

``--baseline FILE`` times a second version of the kernel module too (e.g. an older commit's,
``git show <commit>:pairhmm/_kernels/gpair.py > old_gpair.py``) by swapping its functions in,
and prints the speed-up and the largest difference between the two results: relative for the
log-likelihood, absolute for the posterior matrix, relative score difference for MEA and
Viterbi (``inf`` when the paths differ), and for the E-step the largest difference of any
count table relative to that table's largest entry.

Run ``python benchmarks/bench_variants.py`` (``--quick``: small sizes, one repeat). Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from bench_align import timeit  # median CPU time after a warm-up (this folder is on sys.path)

KERNELS = ("g_forward", "g_forward_logprob", "g_backward", "g_posterior", "g_counts",
           "g_counts_many", "g_viterbi", "g_viterbi_score")


def related_pair(rng: np.random.Generator, n: int, identity: float = 0.4) -> tuple[str, str]:
    """A random protein of length n and a mutated copy (substitutions, short indels)."""
    letters = np.array(list("ARNDCQEGHILKMFPSTWYV"))
    x = rng.choice(letters, n)
    y = []
    i = 0
    while i < n:
        u = rng.random()
        if u < 0.03:      # deletion of 1-4 residues
            i += int(rng.integers(1, 5))
            continue
        if u < 0.06:      # insertion of 1-4 residues
            y.extend(rng.choice(letters, int(rng.integers(1, 5))))
        y.append(x[i] if rng.random() < identity else rng.choice(letters))
        i += 1
    return "".join(x), "".join(y)


def load_baseline(path: Path):
    """Import a kernel module from a file as a sibling of ``pairhmm._kernels.gpair``.

    The file is copied to a fresh temporary folder first, so Numba's cache of an earlier run
    (keyed by file location) is never picked up for a different version."""
    copy = Path(tempfile.mkdtemp(prefix="gpair_baseline_")) / "gpair_baseline.py"
    shutil.copy(path, copy)
    spec = importlib.util.spec_from_file_location("pairhmm._kernels._gpair_baseline", copy)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # Numba's cache finds the module by name when it reloads
    spec.loader.exec_module(mod)
    return mod


class use_kernels:
    """Context manager: route the library's calls to another kernel module's functions."""

    def __init__(self, mod) -> None:
        self.mod = mod

    def __enter__(self):
        from pairhmm._kernels import gpair

        self.saved = {k: getattr(gpair, k) for k in KERNELS}
        if self.mod is not None:
            for k in KERNELS:
                setattr(gpair, k, getattr(self.mod, k))
        return self

    def __exit__(self, *exc):
        from pairhmm._kernels import gpair

        for k, v in self.saved.items():
            setattr(gpair, k, v)


def measure(model, x: str, y: str, repeats: int) -> tuple[dict, dict]:
    """CPU seconds of each algorithm, and the results (for the baseline comparison)."""
    from pairhmm.train import expected_stats

    out = {}
    res = {}
    ops = {
        "forward": lambda: model.log_likelihood(x, y),
        "posterior": lambda: model.posterior(x, y),
        "MEA": lambda: model.mea(x, y),
        "Viterbi": lambda: model.viterbi(x, y),
        "E-step": lambda: expected_stats(model, [(x, y)], n_jobs=1),
    }
    for name, fn in ops.items():
        out[name] = timeit(fn, repeats)
        res[name] = fn()
    return out, res


def same(name: str, a, b) -> float:
    """Largest relative difference between two results of one algorithm."""
    if name == "forward":
        return abs(a - b) / abs(b)
    if name == "posterior":
        return float(np.max(np.abs(a - b)))
    if name in ("MEA", "Viterbi"):
        if list(a.path) != list(b.path):
            return np.inf
        return abs(a.score - b.score) / max(abs(b.score), 1e-300)
    d = [abs(a.log_likelihood - b.log_likelihood) / abs(b.log_likelihood)]
    for u, v in ((a.graph_trans, b.graph_trans), (a.match, b.match), (a.insert, b.insert)):
        d.append(float(np.max(np.abs(u - v)) / max(np.max(np.abs(v)), 1e-300)))
    return max(d)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sizes", type=int, nargs="+", default=[2000, 300])
    ap.add_argument("--baseline", type=Path, help="another gpair.py to time and compare against")
    args = ap.parse_args()

    import numba

    numba.set_num_threads(1)
    from pairhmm import PairHMM

    sizes = [200, 60] if args.quick else args.sizes
    repeats = 1 if args.quick else args.repeats
    base = load_baseline(args.baseline) if args.baseline else None
    preset = PairHMM.preset("protein")
    models = {"preset (5 states)": preset,
              "local preset (9 states)": preset.copy(mode="local")}
    rng = np.random.default_rng(0)
    pairs = {n: related_pair(rng, n) for n in sizes}

    head = "| model | n x m | algorithm | CPU s | M cells/s |"
    rule = "|---|---|---|---:|---:|"
    if base is not None:
        head += " baseline CPU s | speed-up | max diff |"
        rule += "---:|---:|---:|"
    print(f"CPU time medians of {repeats} runs (time.process_time, one thread)\n")
    print(head)
    print(rule)
    for mname, model in models.items():
        for n in sizes:
            x, y = pairs[n]
            cells = len(x) * len(y)
            with use_kernels(None):
                t_new, r_new = measure(model, x, y, repeats)
            if base is not None:
                with use_kernels(base):
                    t_old, r_old = measure(model, x, y, repeats)
            for op, t in t_new.items():
                row = f"| {mname} | {len(x)} x {len(y)} | {op} | {t:.3f} | {cells / t / 1e6:.1f} |"
                if base is not None:
                    row += (f" {t_old[op]:.3f} | {t_old[op] / t:.1f}x | "
                            f"{same(op, r_new[op], r_old[op]):.1e} |")
                print(row, flush=True)


if __name__ == "__main__":
    main()
