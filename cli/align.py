"""``pairhmm align``, ``pairhmm score`` and ``pairhmm posterior``: pair-HMM alignment of FASTA files."""

from __future__ import annotations

import math
import re
from typing import Any, Callable

import click

from pairhmm.alnio import OUTPUT_FORMATS

from ._common import (OUTPUT_PATH, Command, atomic_output, fail, format_option,
                      load_model_and_pairs, load_models_and_pairs, output_option, progress_bar,
                      progress_option, scheduler_option, seed_option, threads_option, writes)

#: what `align -f` writes (pairhmm.alnio: each read back by its format's standard reader)
ALIGNMENT_FORMATS = list(OUTPUT_FORMATS)


def parse_size(text: str) -> int:
    """'4G', '500M', '1.5GiB', '1000000' -> bytes."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt]?)(i?b)?\s*", str(text), re.I)
    if not m:
        raise click.BadParameter(f"{text!r} is not a size (examples: 4G, 500M, 1000000)")
    value = float(m.group(1)) * 1024 ** " KMGT".index((m.group(2) or " ").upper())
    return int(value)


def model_options(fn: Callable) -> Callable:
    """--model / --preset / --alphabet / --mode / --max-memory, shared by the alignment commands."""
    fn = click.option("--mode", type=click.Choice(["global", "semiglobal", "local"]), default=None,
                      help="End-gap model: global (Durbin), semiglobal (free terminal gaps of one "
                           "sequence at each end) or local (unaligned flanks in both). "
                           "Default: the model's own.")(fn)
    fn = click.option("--max-memory", default="4G", show_default=True, metavar="SIZE",
                      help="Refuse full-matrix DP requests larger than this (e.g. 500M, 8G).")(fn)
    fn = click.option("--alphabet", type=click.Choice(["dna", "rna", "protein"]), default=None,
                      help="Sequence alphabet (auto-detected from the sequences otherwise).")(fn)
    fn = click.option("--preset", type=click.Choice(["dna", "rna", "protein"]), default=None,
                      help="Built-in model (default: the preset of the alphabet).")(fn)
    fn = click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None,
                      help="Model JSON file (from `pairhmm train` or PairHMM.save).")(fn)
    return fn


class BandParam(click.ParamType):
    """--band: auto, none, or a half-width in cells."""

    name = "W|auto|none"

    def __init__(self, allow_auto: bool = True) -> None:
        self.allow_auto = allow_auto

    def convert(self, value: Any, param: Any, ctx: Any) -> "int | str | None":
        if value is None or isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text == "none":
            return None
        if text == "auto" and self.allow_auto:
            return "auto"
        if text.isdigit():
            return int(text)
        choices = "a width in cells (e.g. 200), auto or none" if self.allow_auto else \
            "a width in cells (e.g. 200) or none"
        self.fail(f"{value!r} is not {choices}", param, ctx)


def band_options(default: str, allow_auto: bool = True) -> Callable:
    """--band / --band-guide / --kmer, shared by align, score and posterior."""
    def deco(fn: Callable) -> Callable:
        fn = click.option("--kmer", type=click.IntRange(1, None), default=None, metavar="K",
                          help="Anchor word length for --band W (default: long enough that "
                               "fewer than 0.01 chance matches are expected).")(fn)
        fn = click.option("--band-guide", type=click.Choice(["anchors", "diagonal"]),
                          default="anchors", show_default=True,
                          help="Where a --band W lies: around the longest co-linear chain of "
                               "k-mers unique in both sequences, or around the diagonals "
                               "through the corners.")(fn)
        help_auto = ("auto = the full DP when it fits in --max-memory, else a band around "
                     "k-mer anchors of 100, doubled until the alignment neither touches its edge "
                     "nor leaves it (over 0.1% of the probability outside), up to the widest "
                     "that fits (at most 500); " if allow_auto else "")
        fn = click.option("--band", type=BandParam(allow_auto), default=default,
                          show_default=True,
                          help="Banded DP for long pairs: W = only cells within W of a guide "
                               "path; " + help_auto + "none = the full DP.")(fn)
        return fn
    return deco


def _runs(models: list) -> list[tuple[Any, int, int]]:
    """(model, start, end) of each run of consecutive pairs that share a model."""
    out: list = []
    for k, m in enumerate(models):
        if out and out[-1][0] is m:
            out[-1][2] = k + 1
        else:
            out.append([m, k, k + 1])
    return [tuple(r) for r in out]


# ------------------------------------------------------------------------------------------------
@click.command(cls=Command)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--method", type=click.Choice(["mea", "viterbi", "sample"]), default="mea",
              show_default=True,
              help="mea: maximum expected accuracy (posterior decoding); viterbi: most probable "
                   "path; sample: --samples alignments per pair drawn from the posterior.")
@click.option("--samples", type=click.IntRange(1, None), default=10, show_default=True,
              help="With --method sample: alignments drawn per pair.")
@seed_option(0, "With --method sample: random seed (the same seed gives the same samples).")
@model_options
@click.option("--all", "all_pairs", is_flag=True,
              help="Align every record of A with every record of B (one file: all vs all).")
@format_option(ALIGNMENT_FORMATS, "text", "a text view, json, or a standard alignment format "
               "(docs/cli.md says how each is written).")
@output_option("Output file (default: standard output).")
@click.option("--gap-factor", default=0.0, show_default=True, type=float,
              help="MEA only: reward for each residue correctly left unaligned (0 = ProbCons).")
@click.option("--min-posterior", default=None, type=click.FloatRange(0.0, 1.0),
              help="Show columns whose posterior probability is below this in lower case.")
@threads_option("Worker processes for many pairs (default: all cores). Output is identical "
                "for any value.")
@scheduler_option("Run on a Dask cluster (scheduler address, e.g. tcp://host:8786).")
@progress_option("the pairs (--method sample: the alignments)")
@band_options("auto")
@writes(output="-o")
def align(files, method, samples, seed, model_path, preset, alphabet, max_memory, mode, all_pairs,
          fmt, output, gap_factor, min_posterior, threads, scheduler, progress, band, band_guide,
          kmer):
    """Align sequence pairs with the pair HMM.

    FILES is A.fa B.fa (record i of A with record i of B, or every pair with --all), or one
    file with --all (all vs all). Gzipped FASTA is read transparently.

    Long pairs: with the default --band auto, a pair whose DP matrices do not fit in
    --max-memory is aligned in a band around exact k-mer anchors (a note on stderr says so);
    an alignment that runs along its band's edge gets a warning.
    """
    import itertools

    from pairhmm.alnio import AlignmentWriter, check_output

    limit = parse_size(max_memory)
    models, pairs = load_models_and_pairs(files, model_path, preset, alphabet,
                                          all_pairs=all_pairs, mode=mode)
    check_output(fmt, pairs, len(pairs) * (samples if method == "sample" else 1))
    need_post = fmt in ("stockholm", "json", "text", "bed") or min_posterior is not None
    from pairhmm.batch import align_pairs

    if method == "sample":
        if min_posterior is not None:
            fail("--min-posterior needs posterior annotation, which sampled alignments do not carry")
        if scheduler is not None:
            fail("--method sample runs in this process; drop --scheduler")
        stream = _samples(models, pairs, samples, seed, limit, band, band_guide, kmer)
        stream = _band_notes(stream, band, max_memory)
        stream = progress_bar(stream, total=len(pairs) * samples, unit="alignments",
                              enabled=progress)
    else:
        # one model per alphabet: consecutive pairs of one alphabet go through one batch
        stream = itertools.chain.from_iterable(
            align_pairs(m, pairs[a:b], method=method, gap_factor=gap_factor, max_memory=limit,
                        with_posterior=need_post, n_jobs=threads, scheduler=scheduler,
                        band=band, band_guide=band_guide, kmer=kmer)
            for m, a, b in _runs(models))
        stream = _band_notes(stream, band, max_memory)
        stream = progress_bar(stream, total=len(pairs), unit="pairs", enabled=progress)
    # results are written as they arrive (in input order) into a temporary file that replaces
    # the output only when every pair has succeeded
    with atomic_output(output) as fh, AlignmentWriter(
            fh, fmt, references=[rx for rx, _ in pairs], method=method,
            min_posterior=min_posterior) as writer:
        for aln in stream:
            writer.write(aln)


def _samples(models: list, pairs: list, n: int, seed: int, limit: int, band: Any, band_guide: str,
             kmer: int | None):
    """``n`` posterior samples of every pair, in input order (pair k seeded by (seed, k))."""
    import numpy as np

    for k, (model, (rx, ry)) in enumerate(zip(models, pairs)):
        b = model.make_band(rx, ry, band, guide=band_guide, k=kmer) if isinstance(band, int) else band
        drawn = model.sample_alignments(rx, ry, n=n, random_state=np.random.default_rng([seed, k]),
                                        max_memory=limit, band=b)
        for i, aln in enumerate(drawn, 1):
            aln.sample_index = i  # shown as sample=i (text) / "sample": i (JSON)
            yield aln


def _band_notes(stream, band: Any, max_memory: str):
    """One stderr line per alignment that was banded by --band auto, touched its band's edge, or
    lies partly outside the widest band --band auto could use."""
    import warnings

    from pairhmm.band import BandEdgeWarning

    # this process only prints: the library's warning becomes the one line below
    warnings.simplefilter("ignore", BandEdgeWarning)
    for aln in stream:
        rx, ry = aln.sequences
        b = getattr(aln, "band", None)
        k = getattr(aln, "sample_index", None)
        what = "the alignment" if k is None else f"sample {k}"
        if k is not None and k > 1:  # a pair's samples share its band: its notes come once
            _edge_warning(aln, what)
            yield aln
            continue
        if b is not None and band == "auto":
            click.echo(f"pairhmm: note: {rx.id} vs {ry.id}: the full DP does not fit in "
                       f"--max-memory {max_memory}; aligned in a band ({b.describe()}, "
                       f"{b.n_cells:,} cells)", err=True)
        if getattr(aln, "band_miss", None):
            # --band auto could not confirm even the widest band that fits (BandMissWarning)
            click.echo(f"pairhmm: warning: {rx.id} vs {ry.id}: {aln.band_miss}", err=True)
        _edge_warning(aln, what)
        yield aln


def _edge_warning(aln: Any, what: str) -> None:
    if getattr(aln, "band_edge_cells", 0):
        rx, ry = aln.sequences
        click.echo(f"pairhmm: warning: {rx.id} vs {ry.id}: {what} touches the band's edge at "
                   f"{aln.band_edge_cells} cell(s); a wider --band may give a better one", err=True)


# ------------------------------------------------------------------------------------------------
@click.command(cls=Command)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@model_options
@click.option("--all", "all_pairs", is_flag=True, help="Score every pair (see `align --all`).")
@output_option("TSV file (default: standard output).")
@threads_option("Worker processes for many pairs (default: all cores). Output is identical "
                "for any value.")
@scheduler_option("Run on a Dask cluster (scheduler address).")
@progress_option("the pairs")
@band_options("none", allow_auto=False)
@writes(output="-o")
def score(files, model_path, preset, alphabet, max_memory, mode, all_pairs, output, threads,
          scheduler, progress, band, band_guide, kmer):
    """Score pairs: forward log-likelihood, log-odds and Viterbi log-probability (TSV).

    All three are computed in linear memory, so this works on pairs far larger than `align`.
    Natural logarithms. With --band W, over the alignments inside the band only (faster on long
    pairs; lower bounds of the exact values).
    """
    import itertools

    models, pairs = load_models_and_pairs(files, model_path, preset, alphabet,
                                          all_pairs=all_pairs, mode=mode)
    from pairhmm.batch import score_pairs

    scores = itertools.chain.from_iterable(
        score_pairs(m, pairs[a:b], n_jobs=threads, scheduler=scheduler, band=band,
                    band_guide=band_guide, kmer=kmer) for m, a, b in _runs(models))
    with atomic_output(output) as fh:
        fh.write("x\ty\tx_len\ty_len\tlog_likelihood\tlog_odds\tviterbi_logprob\n")
        scores = progress_bar(scores, total=len(pairs), unit="pairs", enabled=progress)
        for (ll, lo, vit), (rx, ry) in zip(scores, pairs):
            fh.write(f"{rx.id}\t{ry.id}\t{len(rx)}\t{len(ry)}\t{_f(ll)}\t{_f(lo)}\t{_f(vit)}\n")


def _f(v: float) -> str:
    return f"{v:.6f}" if math.isfinite(v) else str(v)


# ------------------------------------------------------------------------------------------------
@click.command(cls=Command)
@click.argument("files", nargs=2, type=click.Path(dir_okay=False))
@model_options
@output_option("Matrix file: .npy (NumPy) or anything else for TSV (rows = x, columns = y).",
               required=True)
@click.option("--plot", "plot_path", default=None, type=OUTPUT_PATH,
              help="Also draw the matrix as a PNG (needs the `plot` extra: matplotlib).")
@band_options("none", allow_auto=False)
@writes(output="-o", plot_path="--plot")
def posterior(files, model_path, preset, alphabet, max_memory, mode, output, plot_path, band,
              band_guide, kmer):
    """Posterior match probabilities P(x_i ~ y_j) of the first record of A and of B.

    With --band W the matrix is sparse (zero outside the band): .npz is a SciPy sparse matrix
    (scipy.sparse.load_npz), anything else a TSV of the non-zero entries (x_pos, y_pos,
    probability; 1-based).
    """
    import numpy as np

    if plot_path and band is not None:
        fail("--plot draws the full matrix; it cannot be combined with --band")
    if plot_path:  # before any work
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            fail("--plot needs matplotlib: pip install 'pairhmm[plot]'")
    limit = parse_size(max_memory)
    model, pairs = load_model_and_pairs(files, model_path, preset, alphabet, mode=mode)
    if len(pairs) != 1:
        fail(f"posterior takes one record per file (got {len(pairs)} pairs)")
    rx, ry = pairs[0]
    if band is not None:
        if plot_path:
            fail("--plot draws the full matrix; it cannot be combined with --band")
        b = model.make_band(rx, ry, band, guide=band_guide, k=kmer)
        _write_sparse_posterior(model.sparse_posterior(rx, ry, b, max_memory=limit), output)
        return
    P = model.posterior(rx, ry, max_memory=limit)
    if plot_path:
        try:
            import matplotlib
        except ImportError:
            fail("--plot needs matplotlib: pip install 'pairhmm[plot]'")
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    with atomic_output(output, "wb") as fh:
        if output.endswith(".npy"):
            np.save(fh, P)
        else:
            header = "\t".join([f"{rx.id}\\{ry.id}"] + [f"{j + 1}{c}" for j, c in enumerate(str(ry.seq))])
            fh.write((header + "\n").encode())
            for i, c in enumerate(str(rx.seq)):
                fh.write((f"{i + 1}{c}\t" + "\t".join(f"{v:.6g}" for v in P[i]) + "\n").encode())
    if plot_path:
        fig, ax = plt.subplots(figsize=(6, 6 * max(0.2, min(5.0, P.shape[0] / max(1, P.shape[1])))))
        im = ax.imshow(P, cmap="viridis", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
        ax.set_xlabel(f"{ry.id} position")
        ax.set_ylabel(f"{rx.id} position")
        ax.set_title("posterior match probability")
        fig.colorbar(im, ax=ax, shrink=0.8)
        with atomic_output(plot_path, "wb") as fh:
            fig.savefig(fh, format="png", dpi=120, bbox_inches="tight")
        plt.close(fig)


def _write_sparse_posterior(P: Any, output: str) -> None:
    if output.endswith(".npz"):
        from scipy.sparse import save_npz

        with atomic_output(output, "wb") as fh:
            save_npz(fh, P.tocsr())
        return
    coo = P.tocoo()
    keep = coo.data > 0
    with atomic_output(output) as fh:
        fh.write("x_pos\ty_pos\tposterior\n")
        for i, j, v in zip(coo.row[keep], coo.col[keep], coo.data[keep]):
            fh.write(f"{i + 1}\t{j + 1}\t{v:.6g}\n")
