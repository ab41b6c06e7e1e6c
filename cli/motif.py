"""``pairhmm motif``: scan sequences for known motifs, convert motif files (and, when installed,
``train``/``predict`` of the CNN motif learner from :mod:`pairhmm.cli.motif_learn`)."""

from __future__ import annotations

import os
import warnings

import click

from ._common import (LazyGroup, atomic_output, fail, format_option, input_format_option,
                      output_option, progress_option, renamed_argument, renamed_option,
                      scheduler_option, stderr_is_terminal, threads_option, using_threads, writes)

__all__ = ["motif"]

#: what `motif convert -f` writes (pairhmm.motif.WRITE_FORMATS)
_WRITE_FORMATS = ("jaspar", "meme", "transfac", "pfm", "clusterbuster")
_INPUT_HELP = "(jaspar, meme, transfac, pfm, sites, homer, ...); detected when omitted."


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             # the CNN motif learner (an optional module), loaded only when used
             lazy_commands={"train": "motif_learn:train", "predict": "motif_learn:predict"})
def motif() -> None:
    """Known motifs as shared-weight filters: scan sequences, convert motif files."""


def _echo_warnings(caught: list) -> None:
    for w in caught:
        click.echo(f"pairhmm: warning: {w.message}", err=True)


@motif.command("scan")
@click.argument("motifs", metavar="MOTIFS")
@click.argument("fasta", metavar="FASTA")
@output_option("Output file (default: standard output).")
@format_option(["tsv", "bed", "gff"], "tsv",
               "tsv: FIMO columns (1-based); bed: BED6 + p-value; gff: GFF3.")
@input_format_option("Format of MOTIFS " + _INPUT_HELP, name="motif_format")
@renamed_option("--motif-format", to="motif_format", new="--input-format")
@click.option("--motif", "motif_ids", multiple=True, metavar="ID",
              help="Scan only this motif (ID, or name when one motif has it); repeatable.")
@click.option("--pvalue", type=float, default=None,
              help="Report sites with p-value <= this [default: 1e-4].")
@click.option("--qv-thresh", "qv_thresh", type=float, default=None, metavar="Q",
              help="Report sites with q-value <= Q instead of a p-value threshold (FIMO's "
                   "--qv-thresh, which takes the value from --thresh).")
@click.option("--score", type=float, default=None,
              help="Report sites with log-odds score (bits) >= this, instead of --pvalue.")
@click.option("--bg", default="uniform", show_default=True,
              help="Background: 'uniform', 'auto' (estimated from FASTA), 'motif' (the motif "
                   "file's, uniform if none), 'A,C,G,T' frequencies, or a MEME background file. "
                   "Always strand-symmetrised.")
@click.option("--pseudocount", type=float, default=0.1, show_default=True,
              help="Total pseudocount per motif column, spread by the background.")
@click.option("--sort", "sort", type=click.Choice(["position", "pvalue"]), default="position",
              show_default=True,
              help="Output order: motif, sequence, start, strand; or ascending p-value.")
@click.option("--max-hits", type=int, default=None, help="Keep the N hits with the smallest p-values.")
@click.option("--max-stored-scores", type=int, default=None, metavar="N",
              help="Memory bound: keep only the N most significant hits while scanning (q-values "
                   "still count every hit; a warning says how many were dropped) [default: no "
                   "bound].")
@click.option("--best-per-sequence", is_flag=True,
              help="Keep only the best hit of each motif in each sequence.")
@click.option("--forward-only", is_flag=True, help="Scan the given strand only.")
@click.option("--parse-genomic-coord", is_flag=True,
              help="Sequence names like chr1:1000-2000 (1-based start, as FIMO) give genome "
                   "coordinates: the chromosome becomes the sequence name and positions shift.")
@threads_option("Threads of the scan (default: all cores; the hits do not depend on it).")
@progress_option("the bases scanned")
@scheduler_option("Scan batches of records on a Dask cluster (scheduler address). Same hits "
                  "and q-values as a local scan.")
@writes(output="-o")
def scan_cmd(motifs: str, fasta: str, output: str, fmt: str, motif_format: str | None,
             motif_ids: tuple[str, ...], pvalue: float | None, qv_thresh: float | None,
             score: float | None, bg: str, pseudocount: float, sort: str, max_hits: int | None,
             max_stored_scores: int | None, best_per_sequence: bool, forward_only: bool,
             parse_genomic_coord: bool, threads: int | None, progress: bool | None,
             scheduler: str | None) -> None:
    """Scan FASTA (plain or gzipped) for every motif in MOTIFS, both strands.

    Windows holding N or another ambiguity code never produce a hit. Output is sorted by motif,
    sequence, start and strand (--sort pvalue: by p-value).
    """
    from pairhmm.motif import Background, read_motifs, scan_table, select_motifs, write_hits

    given = [name for name, v in (("--pvalue", pvalue), ("--qv-thresh", qv_thresh), ("--score", score))
             if v is not None]
    if len(given) > 1:
        fail(f"give {' or '.join(given)}, not both")
    if max_hits is not None and max_hits < 1:
        fail(f"invalid --max-hits = {max_hits}: must be a positive integer")
    if max_stored_scores is not None and max_stored_scores < 1:
        fail(f"invalid --max-stored-scores = {max_stored_scores}: must be a positive integer")
    if progress is None:
        progress = stderr_is_terminal()
    with warnings.catch_warnings(record=True) as caught, using_threads(threads):
        warnings.simplefilter("always")
        found = read_motifs(motifs, motif_format)
        if motif_ids:
            found = select_motifs(found, motif_ids, motifs)
        if bg.strip().lower() == "motif":
            background = Background.from_motifs(found)
        else:
            background = Background.parse(bg)
        if background is None:  # auto: one extra streaming pass over the FASTA
            if fasta == "-":
                fail("--bg auto reads the sequences twice: give a FASTA file, not stdin")
            from pairhmm.seqio import iter_fasta

            background = Background.from_sequences(iter_fasta(fasta))
        table = scan_table(found, fasta, background=background,
                           pvalue=None if qv_thresh is not None else pvalue, score=score,
                           qvalue=qv_thresh, both_strands=not forward_only,
                           pseudocount=pseudocount, max_hits=max_hits,
                           best_per_sequence=best_per_sequence, max_stored=max_stored_scores,
                           sort=sort, parse_genomic_coord=parse_genomic_coord,
                           progress=progress, scheduler=scheduler)
    _echo_warnings(caught)
    with atomic_output(output) as fh:
        write_hits(table, fh, fmt)


@motif.command("convert")
@click.argument("source", metavar="INPUT")
@renamed_argument("dest", to="output", new="-o/--output OUTPUT", old="the OUTPUT argument")
@output_option("Motif file to write (default: standard output).", name="output")
@format_option(_WRITE_FORMATS, None, "jaspar, meme, transfac, pfm or clusterbuster [default: "
               "from the extension of -o].")
@renamed_option("--to", to="fmt", new="-f/--format", type=click.Choice(list(_WRITE_FORMATS)))
@input_format_option("Format of INPUT " + _INPUT_HELP)
@renamed_option("--from", to="input_format", new="--input-format")
@writes(output="-o")
def convert_cmd(source: str, output: str, fmt: str | None, input_format: str | None) -> None:
    """Convert a motif file between formats (jaspar, meme, transfac, pfm, clusterbuster)."""
    from pairhmm.motif import read_motifs, write_motifs

    if fmt is None:
        ext = os.path.splitext(output)[1].lower().lstrip(".") if output != "-" else ""
        fmt = {"jaspar": "jaspar", "meme": "meme", "txt": "meme", "transfac": "transfac",
               "dat": "transfac", "pfm": "pfm", "cb": "clusterbuster"}.get(ext)
        if fmt is None:
            where = "standard output" if output == "-" else repr(output)
            fail(f"cannot tell the output format from {where}: give -f/--format")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = read_motifs(source, input_format)
    _echo_warnings(caught)
    with atomic_output(output) as fh:
        write_motifs(found, fh, fmt)
    where = "standard output" if output == "-" else output
    click.echo(f"pairhmm: wrote {len(found)} motif(s) as {fmt} to {where}", err=True)
