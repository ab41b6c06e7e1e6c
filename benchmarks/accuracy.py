"""Pairwise alignment accuracy on BAliBASE-style references, as a Markdown table.

Every pair of sequences of every reference family is aligned by each method; a pair's score is
the fraction of its reference core residue pairs that the method's alignment also aligns (see
``benchmarks/_balibase.py``). The table gives the mean over pairs, the mean per identity bin
(percent identity of the reference pair over the columns where both have a residue), the number
of pairs and the alignment time (seconds summed over worker processes).

Example::

    python benchmarks/accuracy.py DATA/balibase3/RV12 --jobs 2
    python benchmarks/accuracy.py DATA/balifam100 --jobs 2
    python benchmarks/accuracy.py DATA/balibase3/RV12 --families BB12001 BB12002 --limit 10

Methods (``--list-methods``; choose with ``--methods``, names matched case-insensitively as
substrings):

* Biopython ``PairwiseAligner``, BLOSUM62, open -11 / extend -1 in Biopython's convention
  (``open_gap_score=-11`` is the score of a gap's first position, so a gap of length k scores
  -11 - (k - 1)), global with end gaps penalised, and with free end gaps;
* pairhmm Viterbi and MEA with ``PairHMM.default("protein")`` (3-state) and with the shipped
  ``PairHMM.preset("protein")``; the preset's MEA row is what
  ``pairhmm align`` gives with no options;
* when ``PairHMM.fit`` exists: pairhmm after Baum-Welch on the unaligned pairs, cross-validated
  by family (families sorted by name and dealt alternately into two folds; each fold is scored
  with the model trained on the other, so no family is scored by a model that saw it);
* ``--hmm-variant "delta=0.03,epsilon=0.8,gap_factor=0.5"`` (repeatable) adds a MEA row with
  those parameters (``PairHMM.copy`` arguments such as ``mode=semiglobal`` or
  ``long_gaps=0.008/0.9``, ``gap_factor`` of ``mea``, and ``train=1`` for a cross-validated
  Baum-Welch row from that start): for exploring, not for reporting (choosing parameters on the
  benchmark itself overstates their accuracy).

Per-pair scores go to ``OUT/<dataset>_pairs.csv`` and the table to ``OUT/<dataset>_table.md``
(``--out``, default ``benchmarks/results/``, which git ignores).
"""
from __future__ import annotations

import argparse
import csv
import io
import math
import multiprocessing as mp
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _balibase as bb  # noqa: E402  (benchmarks/ is a folder of scripts, not a package)

# ---------------------------------------------------------------------------- methods


@dataclass(frozen=True)
class Method:
    """One row of the table.

    Attributes
    ----------
    name : str
        Row label.
    align : callable (model, x, y) -> alignment
        Returns an object with ``coordinates`` (shape (2, k)), e.g. a ``Bio.Align.Alignment``.
    model : callable () -> model
        Builds the object passed to ``align`` (a PairHMM, a Biopython aligner, ...); for a
        trained method, the starting point of Baum-Welch.
    train : bool
        Fit the model by Baum-Welch on the other fold's unaligned pairs first.
    available : callable () -> bool
        Whether the method can run with the installed library (skipped otherwise).
    """

    name: str
    align: Callable[[Any, str, str], Any]
    model: Callable[[], Any]
    train: bool = False
    available: Callable[[], bool] = field(default=lambda: True)


def _bio_aligner(free_end_gaps: bool) -> Any:
    from Bio.Align import PairwiseAligner, substitution_matrices

    a = PairwiseAligner(mode="global")
    a.substitution_matrix = substitution_matrices.load("BLOSUM62")
    a.open_gap_score = -11.0
    a.extend_gap_score = -1.0
    if free_end_gaps:
        a.end_gap_score = 0.0
    return a


def _bio_align(aligner: Any, x: str, y: str) -> Any:
    return aligner.align(x, y)[0]


def _protein_preset() -> Any:
    """The shipped protein preset: what ``pairhmm align`` uses with no options."""
    from pairhmm import PairHMM

    return PairHMM.preset("protein")


def _protein_default() -> Any:
    """The textbook 3-state model (``PairHMM.default``)."""
    from pairhmm import PairHMM

    return PairHMM.default("protein")


#: --train-start: the model Baum-Welch starts from
TRAIN_STARTS = {
    "preset": lambda: _protein_preset(),
    "default": lambda: _protein_default(),
    "semiglobal": lambda: _protein_preset().copy(mode="semiglobal"),
}


def _has_fit() -> bool:
    from pairhmm import PairHMM

    return hasattr(PairHMM, "fit")


def _mea(model: Any, x: str, y: str) -> Any:
    return model.mea(x, y)


def _viterbi(model: Any, x: str, y: str) -> Any:
    return model.viterbi(x, y)


#: the methods of a run, in table order; adding a method is one line here
METHODS: list[Method] = [
    Method("Biopython global (BLOSUM62 -11/-1)", _bio_align, lambda: _bio_aligner(False)),
    Method("Biopython free end gaps (BLOSUM62 -11/-1)", _bio_align, lambda: _bio_aligner(True)),
    Method("pairhmm Viterbi, 3-state default", _viterbi, _protein_default),
    Method("pairhmm MEA, 3-state default", _mea, _protein_default),
    Method("pairhmm Viterbi, shipped preset", _viterbi, _protein_preset),
    Method("pairhmm MEA, shipped preset (= `pairhmm align`)", _mea, _protein_preset),
    Method("pairhmm Viterbi, Baum-Welch (CV by family)", _viterbi, _protein_preset, True, _has_fit),
    Method("pairhmm MEA, Baum-Welch (CV by family)", _mea, _protein_preset, True, _has_fit),
]


def parse_variant(spec: str) -> dict[str, Any]:
    """``"delta=0.03,epsilon=0.8,gap_factor=0.5"`` -> dict.

    ``train=1`` makes the row a cross-validated Baum-Welch row starting from that model.
    Values are floats; ``a/b`` is a pair of floats (e.g. ``long_gaps=0.008/0.9``); anything else
    stays a string (e.g. ``mode=semiglobal``).
    """
    out: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in spec.split(","))):
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--hmm-variant item {item!r} is not key=value")
        out[key.strip()] = _value(value.strip())
    if not out:
        raise ValueError(f"--hmm-variant {spec!r} is empty")
    return out


def _value(text: str) -> Any:
    try:
        if "/" in text:
            return tuple(float(v) for v in text.split("/"))
        return float(text)
    except ValueError:
        return text


class _Variant:
    """Picklable MEA method on a modified protein preset (``--hmm-variant``)."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.gap_factor = params.get("gap_factor", 0.0)
        self.train = bool(params.get("train", 0))
        self.changes = {k: v for k, v in params.items() if k not in ("gap_factor", "train")}

    def model(self) -> Any:
        m = _protein_preset()
        return m.copy(**self.changes) if self.changes else m

    def align(self, model: Any, x: str, y: str) -> Any:
        return model.mea(x, y, gap_factor=self.gap_factor)


def build_methods(variants: Sequence[str] = ()) -> list[Method]:
    """The registry plus one exploratory MEA row per ``--hmm-variant`` spec."""
    methods = list(METHODS)
    for spec in variants:
        v = _Variant(parse_variant(spec))
        label = "pairhmm MEA, Baum-Welch (CV by family)" if v.train else "pairhmm MEA"
        methods.append(Method(f"{label} [{spec}] (exploration)", v.align, v.model, v.train, _has_fit))
    return methods


def select_methods(methods: list[Method], patterns: Sequence[str] | None) -> list[Method]:
    """Methods whose name contains one of ``patterns`` (all when None), available ones only."""
    chosen = [m for m in methods
              if patterns is None or any(p.lower() in m.name.lower() for p in patterns)]
    return [m for m in chosen if m.available()]


# ---------------------------------------------------------------------------- training
def fit_model(start: Any, pairs: list[tuple[str, str]], max_iter: int | None, tol: float | None,
              freeze: Sequence[str] | None = None, pseudocount: float = 0.0) -> Any:
    """Baum-Welch from ``start`` on unaligned pairs, through ``PairHMM.fit``."""
    kw: dict[str, Any] = {}
    if pseudocount:
        kw["pseudocount"] = pseudocount
    if freeze:
        kw["freeze"] = list(freeze)
    if max_iter is not None:
        kw["max_iter"] = max_iter
    if tol is not None:
        kw["tol"] = tol
    fitted = start.copy().fit(pairs, **kw)
    return start if fitted is None else fitted


def folds_of(families: Sequence[str]) -> dict[str, int]:
    """Two folds: families sorted by name and dealt alternately (0, 1, 0, 1, ...)."""
    return {name: k % 2 for k, name in enumerate(sorted(families))}


# ---------------------------------------------------------------------------- workers
_W: dict[str, Any] = {}


def _init_worker(variants: Sequence[str]) -> None:
    _W["methods"] = {m.name: m for m in build_methods(variants)}
    _W["models"] = {}
    _W["families"] = {}
    _W["warm"] = set()


def _family(fmt: str, path: str) -> bb.Family:
    fam = _W["families"].get(path)
    if fam is None:
        fam = _W["families"][path] = bb.read_family(fmt, path)
    return fam


def _run_task(task: tuple) -> tuple[str, str, list[tuple], float]:
    """Align and score the (limited) pairs of one family with one method."""
    method_name, fmt, path, limit, trained = task
    method: Method = _W["methods"][method_name]
    if trained is not None:
        model = trained
    else:
        model = _W["models"].get(method_name)
        if model is None:
            model = _W["models"][method_name] = method.model()
    if (method_name, id(model)) not in _W["warm"]:
        method.align(model, "MKVLAAGIV", "MKVAGLIV")  # load/compile kernels outside the timing
        _W["warm"].add((method_name, id(model)))
    fam = _family(fmt, path)
    seqs = fam.sequences
    rows = []
    t0 = time.perf_counter()
    for k, (a, b) in enumerate(fam.pairs()):
        if limit is not None and k >= limit:
            break
        ref = fam.reference_pairs(a, b)
        if ref.shape[0] == 0:
            rows.append((fam.ids[a], fam.ids[b], len(seqs[a]), len(seqs[b]),
                         fam.identity(a, b), 0, float("nan")))
            continue
        aln = method.align(model, seqs[a], seqs[b])
        score = bb.pair_score(ref, aln.coordinates, len(seqs[a]))
        rows.append((fam.ids[a], fam.ids[b], len(seqs[a]), len(seqs[b]),
                     fam.identity(a, b), int(ref.shape[0]), score))
    return method_name, fam.name, rows, time.perf_counter() - t0


# ---------------------------------------------------------------------------- reporting
def summarise(method_names: Sequence[str], results: dict[tuple[str, str], list[tuple]],
              seconds: dict[str, float], train_seconds: dict[str, float], family_order: list[str],
              bins: Sequence[tuple[float, float, str]] = bb.ID_BINS) -> str:
    """Markdown table: method, mean over pairs, mean of family means, per-bin means, pairs, seconds.

    ``results[(method, family)]`` = rows ``(seq_a, seq_b, len_a, len_b, identity, n_ref, score)``;
    pairs with ``n_ref == 0`` are left out. ``seconds`` may lack a method (shown as ``-``).
    """
    ref_method = method_names[0]
    ids = [r[4] for f in family_order for r in results.get((ref_method, f), []) if r[5] > 0]
    counts = {label: sum(bb.identity_bin(i, bins) == label for i in ids) for _, _, label in bins}
    head = (["method", "mean", "family mean"] + [f"{label} (n={counts[label]})" for _, _, label in bins]
            + ["pairs", "seconds"])
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|"]
    for name in method_names:
        rows = [r for f in family_order for r in results.get((name, f), []) if r[5] > 0]
        scores = np.array([r[6] for r in rows], dtype=float)
        fam_means = [np.mean([r[6] for r in results.get((name, f), []) if r[5] > 0])
                     for f in family_order if any(r[5] > 0 for r in results.get((name, f), []))]
        cells = [name, f"{scores.mean():.3f}" if scores.size else "-",
                 f"{np.mean(fam_means):.3f}" if fam_means else "-"]
        for _, _, label in bins:
            s = np.array([r[6] for r in rows if bb.identity_bin(r[4], bins) == label], dtype=float)
            cells.append(f"{s.mean():.3f}" if s.size else "-")
        t = f"{seconds[name]:.1f}" if name in seconds else "-"
        if name in train_seconds:
            t += f" (+{train_seconds[name]:.0f} training)"
        cells += [str(scores.size), t]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def read_csv(path: Path) -> tuple[list[str], dict[tuple[str, str], list[tuple]], list[str]]:
    """Per-pair scores written by :func:`write_csv` -> (method names, results, family order)."""
    methods: dict[str, None] = {}
    families: dict[str, None] = {}
    results: dict[tuple[str, str], list[tuple]] = {}
    with open(path, newline="") as fh:
        for r in csv.DictReader(fh):
            methods.setdefault(r["method"])
            families.setdefault(r["family"])
            score = float(r["score"]) if r["score"] else float("nan")
            results.setdefault((r["method"], r["family"]), []).append(
                (r["seq_a"], r["seq_b"], int(r["len_a"]), int(r["len_b"]), float(r["identity"]),
                 int(r["n_ref_pairs"]), score))
    return list(methods), results, list(families)


def write_csv(path: Path, dataset: str, methods: list[Method],
              results: dict[tuple[str, str], list[tuple]], family_order: list[str]) -> None:
    """One line per (method, pair): the raw scores behind the table."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["dataset", "method", "family", "seq_a", "seq_b", "len_a", "len_b", "identity",
                "identity_bin", "n_ref_pairs", "score"])
    for m in methods:
        for f in family_order:
            for a, b, la, lb, ident, nref, score in results.get((m.name, f), []):
                w.writerow([dataset, m.name, f, a, b, la, lb, f"{ident:.2f}", bb.identity_bin(ident),
                            nref, "" if math.isnan(score) else f"{score:.6f}"])
    _write_atomic(path, buf.getvalue())


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------- main
def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path,
                   help="reference folder: BAliBASE (BB*.msf + .xml + .tfa) or balifam (with ref/)")
    p.add_argument("--methods", nargs="+", metavar="NAME",
                   help="run only the methods whose name contains one of these (case-insensitive)")
    p.add_argument("--from-csv", type=Path, metavar="CSV",
                   help="print the table of a saved per-pair CSV (no alignment; folder ignored)")
    p.add_argument("--list-methods", action="store_true", help="print the method names and exit")
    p.add_argument("--families", nargs="+", metavar="NAME", help="only these families (e.g. BB12001)")
    p.add_argument("--limit", type=int, default=None, metavar="N",
                   help="score at most the first N pairs of each family (quick runs)")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results",
                   help="folder for the per-pair CSV and the table (default benchmarks/results/)")
    p.add_argument("--hmm-variant", action="append", default=[], metavar="SPEC",
                   help="extra exploratory MEA row, e.g. 'delta=0.03,epsilon=0.8,gap_factor=0.5'")
    p.add_argument("--train-start", choices=sorted(TRAIN_STARTS), default="preset",
                   help="model Baum-Welch starts from: the shipped preset (default), the 3-state "
                        "default, or the preset with semiglobal flanks")
    p.add_argument("--train-iter", type=int, default=50, help="Baum-Welch max_iter (default 50)")
    p.add_argument("--train-tol", type=float, default=1.0,
                   help="Baum-Welch tol: stop when the total log-likelihood of the training pairs "
                        "improves by less than this (nats, default 1.0)")
    p.add_argument("--train-freeze", nargs="+", metavar="PARAM", default=None,
                   help="parameters kept fixed by Baum-Welch (PairHMM.fit's freeze: match, insert, "
                        "delta, epsilon, tau)")
    p.add_argument("--train-pseudocount", type=float, default=0.0,
                   help="Dirichlet pseudocount of Baum-Welch (needed for small training sets)")
    p.add_argument("--train-max-pairs", type=int, default=3000,
                   help="at most this many training pairs per fold, a random subset (default 3000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the training-pair subset")
    args = p.parse_args(argv)

    try:
        methods = select_methods(build_methods(args.hmm_variant), args.methods)
    except ValueError as e:
        p.error(str(e))
    if args.from_csv is not None:
        names_, results_, fams_ = read_csv(args.from_csv)
        print(summarise(names_, results_, {}, {}, fams_))
        return 0
    if args.list_methods:
        for m in build_methods(args.hmm_variant):
            print(m.name + ("" if m.available() else "  (not available: PairHMM.fit missing)"))
        return 0
    if not methods:
        p.error("no method selected (see --list-methods)")
    try:
        found = bb.find_families(args.folder)
    except bb.ReferenceError as e:
        p.error(str(e))
    if args.families:
        wanted = {f.split(".")[0] for f in args.families}
        found = [(fmt, path) for fmt, path in found if bb.family_name(path) in wanted]
        missing = wanted - {bb.family_name(path) for _, path in found}
        if missing:
            p.error(f"families not found in {args.folder}: {', '.join(sorted(missing))}")
    names = [bb.family_name(path) for _, path in found]
    dataset = args.folder.resolve().name

    # read every family once up front: a malformed reference fails before any alignment
    families = {bb.family_name(path): bb.read_family(fmt, path) for fmt, path in found}
    n_pairs = sum(min(f.n_pairs, args.limit) if args.limit is not None else f.n_pairs
                  for f in families.values())
    print(f"{dataset}: {len(families)} families, {n_pairs} pairs, {len(methods)} methods",
          file=sys.stderr)

    # Baum-Welch, cross-validated by family: fold k is scored by the model trained on fold 1 - k;
    # rows with the same starting model (e.g. Viterbi and MEA) share one fit per fold
    fold = folds_of(names)
    fits: dict[tuple[Callable, int], Any] = {}
    trained: dict[tuple[str, int], Any] = {}
    train_seconds: dict[str, float] = {}
    for m in (m for m in methods if m.train):
        for k in (0, 1):
            if (m.model, k) not in fits:
                rng = np.random.default_rng([args.seed, k])
                train_pairs = [(f.sequences[a], f.sequences[b]) for name, f in families.items()
                               if fold[name] != k for a, b in f.pairs()]
                if len(train_pairs) > args.train_max_pairs:
                    pick = rng.choice(len(train_pairs), args.train_max_pairs, replace=False)
                    train_pairs = [train_pairs[i] for i in sorted(pick)]
                if not train_pairs:
                    p.error("cross-validated training needs families in both folds (select >= 2)")
                t0 = time.perf_counter()
                # the built-in Baum-Welch rows start from --train-start; other methods from
                # their own model
                start = TRAIN_STARTS[args.train_start]() if m.model is _protein_preset else m.model()
                fitted = fit_model(start, train_pairs, args.train_iter, args.train_tol,
                                   args.train_freeze, args.train_pseudocount)
                fits[(m.model, k)] = (fitted, time.perf_counter() - t0)
                hist = getattr(fitted, "history_", None)
                print(f"trained for fold {k} (families {', '.join(n for n in names if fold[n] == k)[:60]}...) "
                      f"on {len(train_pairs)} pairs of the other fold in {fits[(m.model, k)][1]:.0f} s"
                      + (f", {len(hist)} iterations" if hist else "") + f": {fitted!r}", file=sys.stderr)
            trained[(m.name, k)] = fits[(m.model, k)][0]
            train_seconds[m.name] = train_seconds.get(m.name, 0.0) + fits[(m.model, k)][1]

    tasks = [(m.name, fmt, str(path), args.limit,
              trained.get((m.name, fold[bb.family_name(path)])) if m.train else None)
             for m in methods for fmt, path in found]
    # biggest families first so the pool's tail is short
    tasks.sort(key=lambda t: -families[bb.family_name(t[2])].n_pairs)
    results: dict[tuple[str, str], list[tuple]] = {}
    seconds: dict[str, float] = {}
    t_start = time.perf_counter()
    if args.jobs > 1:
        ctx = mp.get_context("spawn")  # no fork after Numba threads may have started
        with ctx.Pool(args.jobs, initializer=_init_worker, initargs=(args.hmm_variant,)) as pool:
            outputs = pool.imap_unordered(_run_task, tasks)
            for k, out in enumerate(outputs, 1):
                _collect(out, results, seconds)
                print(f"\r{k}/{len(tasks)} tasks", end="", file=sys.stderr)
    else:
        _init_worker(args.hmm_variant)
        for k, task in enumerate(tasks, 1):
            _collect(_run_task(task), results, seconds)
            print(f"\r{k}/{len(tasks)} tasks", end="", file=sys.stderr)
    print(f"\ndone in {time.perf_counter() - t_start:.0f} s wall", file=sys.stderr)

    table = summarise([m.name for m in methods], results, seconds, train_seconds, names)
    skipped = sum(1 for f in names for r in results.get((methods[0].name, f), []) if r[5] == 0)
    note = (f"\n{dataset}: {len(names)} families; mean over pairs with at least one reference core "
            f"pair ({skipped} pair(s) without one left out); identity = % identical over the "
            f"reference columns where both sequences have a residue; seconds = alignment time "
            f"summed over {args.jobs} worker process(es).\n")
    if trained:
        note += (f"Baum-Welch rows: two folds of families (alternate by name), each scored with the "
                 f"model fitted on the other fold's unaligned pairs (at most {args.train_max_pairs} "
                 f"per fold), max_iter {args.train_iter}, tol {args.train_tol}"
                 + (f", frozen: {', '.join(args.train_freeze)}" if args.train_freeze else "")
                 + (f", pseudocount {args.train_pseudocount}" if args.train_pseudocount else "")
                 + "; training seconds are per row, shared by rows with the same start model.\n")
    print(table + note)
    args.out.mkdir(parents=True, exist_ok=True)
    write_csv(args.out / f"{dataset}_pairs.csv", dataset, methods, results, names)
    _write_atomic(args.out / f"{dataset}_table.md", table + note)
    print(f"per-pair scores: {args.out / (dataset + '_pairs.csv')}", file=sys.stderr)
    return 0


def _collect(out: tuple, results: dict, seconds: dict) -> None:
    method_name, fam, rows, dt = out
    results[(method_name, fam)] = rows
    seconds[method_name] = seconds.get(method_name, 0.0) + dt


if __name__ == "__main__":
    sys.exit(main())
