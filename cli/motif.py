"""``pairhmm motif``: scan sequences for known motifs, convert motif files (and, when installed,
``train``/``predict`` of the CNN motif learner from :mod:`pairhmm.cli.motif_learn`)."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import warnings

import click

from ._common import atomic_output, fail, writes

__all__ = ["motif"]

#: subcommands that live in motif_learn.py (the CNN learner), loaded only when used
_LEARN_COMMANDS = ("train", "predict")
_LEARN_MODULE = "pairhmm.cli.motif_learn"


def _learn_available() -> bool:
    try:
        return importlib.util.find_spec(_LEARN_MODULE) is not None
    except (ImportError, ValueError):
        return False


class _MotifGroup(click.Group):
    """The motif group; ``train`` and ``predict`` come from motif_learn.py if it exists."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        if _learn_available():
            names |= set(_LEARN_COMMANDS)
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in _LEARN_COMMANDS and _learn_available():
            return getattr(importlib.import_module(_LEARN_MODULE), name, None)
        return super().get_command(ctx, name)


@click.group(cls=_MotifGroup, context_settings={"help_option_names": ["-h", "--help"]})
def motif() -> None:
    """Known motifs as shared-weight filters: scan sequences, convert motif files."""


def _echo_warnings(caught: list) -> None:
    for w in caught:
        click.echo(f"pairhmm: warning: {w.message}", err=True)


@motif.command("scan")
@click.argument("motifs", metavar="MOTIFS")
@click.argument("fasta", metavar="FASTA")
@click.option("-o", "--output", default="-", show_default=True, help="Output file ('-' = stdout).")
@click.option("--format", "fmt", type=click.Choice(["tsv", "bed", "gff"]), default="tsv",
              show_default=True, help="tsv: FIMO columns (1-based); bed: BED6 + p-value; gff: GFF3.")
@click.option("--motif-format", default=None,
              help="Motif file format (jaspar, meme, transfac, pfm, sites, homer, ...); "
                   "detected when omitted.")
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
@click.option("--progress/--no-progress", default=None,
              help="Progress bar over bases scanned [default: when stderr is a terminal].")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Scan batches of records on a Dask cluster (scheduler address); needs "
                   "pairhmm[distributed]. Same hits and q-values as a local scan.")
@writes(output="-o")
def scan_cmd(motifs: str, fasta: str, output: str, fmt: str, motif_format: str | None,
             motif_ids: tuple[str, ...], pvalue: float | None, qv_thresh: float | None,
             score: float | None, bg: str, pseudocount: float, sort: str, max_hits: int | None,
             max_stored_scores: int | None, best_per_sequence: bool, forward_only: bool,
             parse_genomic_coord: bool, progress: bool | None, scheduler: str | None) -> None:
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
        progress = sys.stderr.isatty()
    with warnings.catch_warnings(record=True) as caught:
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
@click.argument("dest", metavar="OUTPUT")
@click.option("--from", "src_fmt", default=None, help="Input format (detected when omitted).")
@click.option("--to", "dst_fmt", type=click.Choice(["jaspar", "meme", "transfac", "pfm", "clusterbuster"]),
              default=None, help="Output format (from OUTPUT's extension when omitted).")
@writes(dest="OUTPUT")
def convert_cmd(source: str, dest: str, src_fmt: str | None, dst_fmt: str | None) -> None:
    """Convert a motif file between formats (jaspar, meme, transfac, pfm, clusterbuster)."""
    from pairhmm.motif import read_motifs, write_motifs

    if dst_fmt is None:
        ext = os.path.splitext(dest)[1].lower().lstrip(".")
        dst_fmt = {"jaspar": "jaspar", "meme": "meme", "txt": "meme", "transfac": "transfac",
                   "dat": "transfac", "pfm": "pfm", "cb": "clusterbuster"}.get(ext)
        if dst_fmt is None:
            fail(f"cannot tell the output format from {dest!r}: give --to")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = read_motifs(source, src_fmt)
    _echo_warnings(caught)
    with atomic_output(dest) as fh:
        write_motifs(found, fh, dst_fmt)
    click.echo(f"pairhmm: wrote {len(found)} motif(s) as {dst_fmt} to {dest}", err=True)
