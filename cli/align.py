"""``pairhmm align``, ``pairhmm score`` and ``pairhmm posterior``: pair-HMM alignment of FASTA files."""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any, Callable

import click

from ._common import atomic_output, fail

#: Biopython alignment writers that can hold a pairwise alignment, plus our own views.
ALIGNMENT_FORMATS = ["text", "fasta", "clustal", "stockholm", "phylip", "nexus", "maf", "sam",
                     "psl", "bed", "json"]


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


def load_model_and_pairs(files: tuple[str, ...], model_path: str | None, preset: str | None,
                         alphabet: str | None, all_pairs: bool = False, consecutive: bool = False,
                         mode: str | None = None):
    """Read the pairs and choose the model; checks alphabets (library errors propagate)."""
    from pairhmm import PairHMM
    from pairhmm.alphabet import guess_alphabet
    from pairhmm.errors import AlphabetError
    from pairhmm.seqio import read_pairs

    if model_path and preset:
        fail("give either --model or --preset, not both")
    pairs = read_pairs(files, all_pairs=all_pairs, consecutive=consecutive)
    model = PairHMM.load(model_path) if model_path else None
    if model is not None:
        if alphabet and alphabet != model.alphabet.name:
            fail(f"--alphabet {alphabet} does not match the model's alphabet ({model.alphabet.name})")
        alpha = model.alphabet.name
    elif alphabet:
        alpha = alphabet
    elif preset:
        alpha = preset
    else:
        # guess per file, so that mixing DNA and protein files is caught (from the records
        # already read: x of every pair comes from the first file, y from the last)
        sides = {files[0]: [rx for rx, _ in pairs[:50]], files[-1]: [ry for _, ry in pairs[:50]]}
        if len(files) == 1:
            sides = {files[0]: [r for p in pairs[:25] for r in p]}
        guesses = {f: guess_alphabet(*(str(r.seq) for r in recs)).name for f, recs in sides.items()}
        if len(set(guesses.values())) > 1:
            detail = ", ".join(f"{f} looks like {g}" for f, g in guesses.items())
            raise AlphabetError(f"mixed alphabets: {detail}; pass --alphabet to choose one")
        alpha = next(iter(guesses.values()))
    if model is None:
        model = PairHMM.preset(preset or alpha)
        if model.alphabet.name != alpha:
            fail(f"--preset {preset} is for {model.alphabet.name} but the sequences are {alpha}")
    if mode is not None and mode != model.mode:
        model = model.copy(mode=mode)
    # encode every sequence once up front: bad characters fail before anything is written
    for rx, ry in pairs:
        model.encode(rx)
        model.encode(ry)
    return model, pairs


# ------------------------------------------------------------------------------------------------
@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--method", type=click.Choice(["mea", "viterbi", "sample"]), default="mea",
              show_default=True,
              help="mea: maximum expected accuracy (posterior decoding); viterbi: most probable "
                   "path; sample: --samples alignments per pair drawn from the posterior.")
@click.option("--samples", type=click.IntRange(1, None), default=10, show_default=True,
              help="With --method sample: alignments drawn per pair.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="With --method sample: random seed (the same seed gives the same samples).")
@model_options
@click.option("--all", "all_pairs", is_flag=True,
              help="Align every record of A with every record of B (one file: all vs all).")
@click.option("-f", "--format", "fmt", type=click.Choice(ALIGNMENT_FORMATS), default="text",
              show_default=True, help="Output format (Biopython writers, a text view, or json).")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False),
              help="Output file (default: standard output).")
@click.option("--gap-factor", default=0.0, show_default=True, type=float,
              help="MEA only: reward for each residue correctly left unaligned (0 = ProbCons).")
@click.option("--min-posterior", default=None, type=click.FloatRange(0.0, 1.0),
              help="Show columns whose posterior probability is below this in lower case.")
@click.option("--threads", type=click.IntRange(1, None), default=None,
              help="Worker processes for many pairs (default: all cores). Output is identical "
                   "for any value.")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on a Dask cluster (scheduler address, e.g. tcp://host:8786); needs "
                   "pairhmm[distributed].")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal and there are "
                   "several pairs).")
@band_options("auto")
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
    limit = parse_size(max_memory)
    model, pairs = load_model_and_pairs(files, model_path, preset, alphabet, all_pairs=all_pairs,
                                        mode=mode)
    need_post = fmt in ("stockholm", "json", "text") or min_posterior is not None
    from pairhmm.batch import align_pairs

    if method == "sample":
        if min_posterior is not None:
            fail("--min-posterior needs posterior annotation, which sampled alignments do not carry")
        if scheduler is not None:
            fail("--method sample runs in this process; drop --scheduler")
        stream = _samples(model, pairs, samples, seed, limit, band, band_guide, kmer)
        stream = _band_notes(stream, band, max_memory)
        stream = _progress(stream, len(pairs) * samples, "alignments", progress)
    else:
        stream = align_pairs(model, pairs, method=method, gap_factor=gap_factor, max_memory=limit,
                             with_posterior=need_post, n_jobs=threads, scheduler=scheduler,
                             band=band, band_guide=band_guide, kmer=kmer)
        stream = _band_notes(stream, band, max_memory)
        stream = _progress(stream, len(pairs), "pairs", progress)
    if method == "sample":
        pairs = [p for p in pairs for _ in range(samples)]  # one output record per sample
    # results are written as they arrive (in input order) into a temporary file that replaces
    # the output only when every pair has succeeded
    with atomic_output(output) as fh:
        if fmt == "json":
            fh.write("[")
            for k, ((rx, ry), aln) in enumerate(zip(pairs, stream)):
                fh.write(("," if k else "") + "\n" + json.dumps(_as_json(rx, ry, aln, method, min_posterior)))
            fh.write("\n]\n")
            return
        for k, aln in enumerate(stream):
            fh.write(_format_one(aln, fmt, method, min_posterior, first=k == 0))


def _samples(model: Any, pairs: list, n: int, seed: int, limit: int, band: Any, band_guide: str,
             kmer: int | None):
    """``n`` posterior samples of every pair, in input order (pair k seeded by (seed, k))."""
    import numpy as np

    for k, (rx, ry) in enumerate(pairs):
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


def _progress(it, total: int, unit: str, enabled: bool | None):
    import sys

    if enabled is None:
        enabled = total > 1 and sys.stderr.isatty()
    if not enabled:
        return it
    from tqdm import tqdm

    return tqdm(it, total=total, unit=unit, file=sys.stderr, dynamic_ncols=True)


def _masked(aln: Any, min_posterior: float | None) -> Any:
    """Copy of ``aln`` whose residues in low-posterior columns are lower case, annotated with PP."""
    from Bio.Align import Alignment
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    from pairhmm.pair import posterior_codes

    post = getattr(aln, "column_posterior", None)
    records = []
    for row, rec in enumerate(aln.sequences):
        seq = str(rec.seq)
        if post is not None:
            rp = aln.residue_posterior[row]
            if min_posterior is not None:
                seq = "".join(c.lower() if p < min_posterior else c.upper() for c, p in zip(seq, rp))
            new = SeqRecord(Seq(seq), id=rec.id, name=rec.name, description=rec.description)
            new.letter_annotations["posterior probability"] = posterior_codes(rp)
        else:
            new = SeqRecord(Seq(seq), id=rec.id, name=rec.name, description=rec.description)
        records.append(new)
    out = Alignment(records, aln.coordinates)
    out.score = aln.score
    if post is not None:
        out.column_annotations = {"consensus posterior probability": posterior_codes(post)}
    return out


def _format_one(aln: Any, fmt: str, method: str, min_posterior: float | None, first: bool) -> str:
    shown = _masked(aln, min_posterior)
    if fmt == "text":
        post = getattr(aln, "column_posterior", None)
        rx, ry = aln.sequences
        ident = sum(1 for a, b in zip(aln[0].upper(), aln[1].upper()) if a == b and a != "-")
        head = f"# {rx.id} vs {ry.id}  method={method}  "
        if getattr(aln, "sample_index", None):
            head += f"sample={aln.sample_index}  "
        head += f"score={aln.score:.4f}  length={aln.length}  identity={ident}/{aln.length}"
        if post is not None:
            head += f"  mean_posterior={float(post.mean()):.3f}"
        if getattr(aln, "band", None) is not None:
            b = aln.band
            head += f"  band_width={b.width}  band_guide={b.guide.split()[0]}"
        body = _plain(shown)
        if post is not None:
            from pairhmm.pair import posterior_codes
            body = _with_pp(body, posterior_codes(post))
        return ("" if first else "\n") + head + "\n" + body
    if fmt != "stockholm":
        for rec in shown.sequences:
            rec.letter_annotations.clear()
        shown.column_annotations = {}
    if fmt == "nexus":
        for rec in shown.sequences:
            rec.annotations["molecule_type"] = "protein" if _is_protein(rec) else "DNA"
    try:
        return shown.format(fmt)
    except Exception as e:  # a Biopython writer that cannot hold this alignment
        fail(f"cannot write this alignment as {fmt}: {e}")
    raise AssertionError  # pragma: no cover


def _is_protein(rec: Any) -> bool:
    return bool(set(str(rec.seq).upper()) - set("ACGTUN"))


def _plain(aln: Any) -> str:
    rows = [str(aln[0]), str(aln[1])]
    ids = [r.id for r in aln.sequences]
    return "\n".join(f"{i}\t{r}" for i, r in zip(ids, rows)) + "\n"


def _with_pp(body: str, pp: str) -> str:
    return body + f"PP\t{pp}\n"


def _as_json(rx: Any, ry: Any, aln: Any, method: str, min_posterior: float | None) -> dict:
    shown = _masked(aln, min_posterior)
    post = getattr(aln, "column_posterior", None)
    out: dict = {"x": rx.id, "y": ry.id, "method": method}
    if getattr(aln, "sample_index", None):
        out["sample"] = aln.sample_index
    out.update({
        "score": aln.score,
        "aligned": [str(shown[0]), str(shown[1])],
        "path": aln.path,
        "coordinates": aln.coordinates.tolist(),
    })
    if post is not None:
        out["column_posterior"] = [round(float(p), 6) for p in post]
    b = getattr(aln, "band", None)
    if b is not None:
        out["band"] = {"width": b.width, "guide": b.guide, "cells": b.n_cells,
                       "anchors": int(len(b.anchors)), "edge_cells": aln.band_edge_cells}
        if getattr(aln, "band_miss", None):
            out["band"]["miss"] = aln.band_miss
    return out


# ------------------------------------------------------------------------------------------------
@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@model_options
@click.option("--all", "all_pairs", is_flag=True, help="Score every pair (see `align --all`).")
@click.option("-o", "--output", default="-", type=click.Path(dir_okay=False))
@click.option("--threads", type=click.IntRange(1, None), default=None,
              help="Worker processes for many pairs (default: all cores).")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on a Dask cluster (scheduler address); needs pairhmm[distributed].")
@band_options("none", allow_auto=False)
def score(files, model_path, preset, alphabet, max_memory, mode, all_pairs, output, threads,
          scheduler, band, band_guide, kmer):
    """Score pairs: forward log-likelihood, log-odds and Viterbi log-probability (TSV).

    All three are computed in linear memory, so this works on pairs far larger than `align`.
    Natural logarithms. With --band W, over the alignments inside the band only (faster on long
    pairs; lower bounds of the exact values).
    """
    model, pairs = load_model_and_pairs(files, model_path, preset, alphabet, all_pairs=all_pairs,
                                        mode=mode)
    from pairhmm.batch import score_pairs

    scores = score_pairs(model, pairs, n_jobs=threads, scheduler=scheduler, band=band,
                         band_guide=band_guide, kmer=kmer)
    with atomic_output(output) as fh:
        fh.write("x\ty\tx_len\ty_len\tlog_likelihood\tlog_odds\tviterbi_logprob\n")
        for (rx, ry), (ll, lo, vit) in zip(pairs, scores):
            fh.write(f"{rx.id}\t{ry.id}\t{len(rx)}\t{len(ry)}\t{_f(ll)}\t{_f(lo)}\t{_f(vit)}\n")


def _f(v: float) -> str:
    return f"{v:.6f}" if math.isfinite(v) else str(v)


# ------------------------------------------------------------------------------------------------
@click.command()
@click.argument("files", nargs=2, type=click.Path(dir_okay=False))
@model_options
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Matrix file: .npy (NumPy) or anything else for TSV (rows = x, columns = y).")
@click.option("--plot", "plot_path", default=None, type=click.Path(dir_okay=False),
              help="Also draw the matrix as a PNG (needs the `plot` extra: matplotlib).")
@band_options("none", allow_auto=False)
def posterior(files, model_path, preset, alphabet, max_memory, mode, output, plot_path, band,
              band_guide, kmer):
    """Posterior match probabilities P(x_i ~ y_j) of the first record of A and of B.

    With --band W the matrix is sparse (zero outside the band): .npz is a SciPy sparse matrix
    (scipy.sparse.load_npz), anything else a TSV of the non-zero entries (x_pos, y_pos,
    probability; 1-based).
    """
    import numpy as np

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
