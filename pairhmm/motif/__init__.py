"""Motif scanning as a shared-weight convolution, and (in :mod:`.cnn`) a CNN motif learner.

Public entry points
-------------------
read_motifs, write_motifs, select_motifs
    Motif files via :mod:`Bio.motifs` (JASPAR, MEME minimal, TRANSFAC, pfm, sites, HOMER, ...).
Background
    Strand-symmetrised order-0 background (uniform, given, or estimated from sequences).
LogOddsFilter
    A motif as a log-odds convolution filter (bits), with its reverse-complement filter.
scan, scan_table, Scanner, Hit, HitTable, write_hits
    Many motifs over many sequences, both strands, with exact p-values and q-values
    (``scan`` returns a list of Hit, ``scan_table`` a columnar HitTable).
score_threshold, pvalue_of_score, ScoreDistribution, qvalues
    The exact (discretised) score distribution of a filter.
MotifCNN, dinucleotide_shuffle
    The shared-weight CNN motif learner (loaded on first use).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .pvalue import ScoreDistribution, pvalue_of_score, qvalues, score_distribution, score_threshold
from .formats import detect_motif_format, motif_ids, read_motifs, select_motifs, write_motifs
from .pwm import Background, LogOddsFilter
from .scan import Hit, HitTable, Scanner, build_filters, parse_genomic_name, scan, scan_table, write_hits

# The CNN learner is another module (heavier, written separately): load it on first use.
_LAZY = {"MotifCNN": ".cnn", "dinucleotide_shuffle": ".cnn"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'pairhmm.motif' has no attribute {name!r}")


__all__ = [
    "read_motifs", "write_motifs", "detect_motif_format", "motif_ids", "select_motifs", "Background",
    "LogOddsFilter", "scan", "scan_table", "Scanner", "Hit", "HitTable", "write_hits", "build_filters",
    "parse_genomic_name",
    "ScoreDistribution", "score_distribution", "score_threshold", "pvalue_of_score", "qvalues",
    "MotifCNN", "dinucleotide_shuffle",
]
