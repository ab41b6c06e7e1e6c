"""``pairhmm hmm``: fit, decode, score and sample tied-parameter HMMs on FASTA files.

A thin layer over :class:`pairhmm.TiedHMM`: read FASTA, encode with the model's alphabet, call the
library, write the output atomically. Errors become one line on stderr and exit code 2.
"""

from __future__ import annotations

import os
import warnings
from typing import Iterator

import click
import numpy as np

from pairhmm.errors import ZeroProbabilityError

from ._common import (FitProgress, Group, atomic_output, fail, fit_options, format_option,
                      output_option, progress_bar, progress_option, renamed_option, seed_option,
                      threads_option, using_threads, writes)

__all__ = ["hmm"]

#: decode/score work on batches of records of about this many symbols (bounded memory)
_BATCH_SYMBOLS = 2_000_000


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
def hmm() -> None:
    """Tied-parameter hidden Markov models with discrete emissions (TiedHMM)."""


# ------------------------------------------------------------------------------ helpers
def _parse_groups(texts: "tuple[str, ...] | str | None") -> list[list[int]] | None:
    """('0,1 2,3',) or ('0,1', '2,3') or '0,1;2,3' -> [[0, 1], [2, 3]]."""
    if isinstance(texts, str):
        texts = (texts,)
    text = " ".join(texts or ())
    if not text.strip():
        return None
    groups = []
    for part in text.replace(";", " ").split():
        try:
            groups.append([int(v) for v in part.split(",") if v != ""])
        except ValueError:
            fail(f"--tie-emissions: cannot read group {part!r}; write groups of state numbers "
                 "separated by spaces, states in a group by commas, e.g. '0,1 2,3,4'")
    return groups


def _parse_labels(text: str | None) -> np.ndarray | None:
    """A label matrix from a file (rows on lines) or a string with rows separated by ';'."""
    if text is None:
        return None
    if os.path.exists(text):
        with open(text) as fh:
            rows = [ln for ln in (line.split("#")[0].strip() for line in fh) if ln]
        source = text
    else:
        rows = [r.strip() for r in text.split(";") if r.strip()]
        source = "--transition-labels"
    try:
        mat = [[int(v) for v in r.replace(",", " ").split()] for r in rows]
    except ValueError:
        fail(f"{source}: labels must be integers (-1 = impossible move), rows separated by "
             "';' or newlines, entries by commas or spaces")
    if not mat or len({len(r) for r in mat}) != 1:
        fail(f"{source}: every row of the label matrix must have the same number of entries")
    return np.array(mat, dtype=np.int64)


def _alphabet_option(alphabet: str | None, symbols: str | None):
    from pairhmm.hmm import resolve_alphabet

    if alphabet and symbols:
        fail("give --alphabet or --symbols, not both")
    if symbols:
        return resolve_alphabet(symbols)
    if alphabet:
        return resolve_alphabet(alphabet)
    return None


def _model_alphabet(model, alphabet: str | None = None, symbols: str | None = None):
    from pairhmm.hmm import resolve_alphabet

    given = _alphabet_option(alphabet, symbols)
    alpha = resolve_alphabet(model.alphabet)
    if given is not None:
        if given.size != model.n_symbols:
            fail(f"the alphabet {given.symbols!r} has {given.size} letters but the model emits "
                 f"{model.n_symbols} symbols")
        if alpha is not None and alpha.letters != given.letters:
            fail(f"the model's alphabet is {alpha.letters!r}, not {given.letters!r}")
        return given
    if alpha is None:
        fail("the model has no alphabet: give --symbols (its letters in code order) or "
             "--alphabet dna|rna|protein")
    return alpha


def _batches(path: str, alpha, progress: bool | None, what: str) -> Iterator[tuple[list[str], list[np.ndarray]]]:
    """Encoded FASTA records in batches of about ``_BATCH_SYMBOLS`` symbols."""
    from pairhmm.alphabet import encode
    from pairhmm.seqio import iter_fasta

    bar = progress_bar(desc=what, unit="seq", enabled=progress)
    ids: list[str] = []
    seqs: list[np.ndarray] = []
    size = 0
    try:
        for rec in iter_fasta(path):
            seqs.append(encode(rec, alpha))
            ids.append(rec.id)
            size += seqs[-1].size
            if size >= _BATCH_SYMBOLS:
                yield ids, seqs
                bar.update(len(ids))
                ids, seqs, size = [], [], 0
        if ids:
            yield ids, seqs
            bar.update(len(ids))
    finally:
        bar.close()


def _segments(path: np.ndarray) -> Iterator[tuple[int, int, int]]:
    """Runs of equal states: (start, end, state), 0-based half-open."""
    if path.size == 0:
        return
    cut = np.flatnonzero(np.diff(path)) + 1
    starts = np.concatenate([[0], cut])
    ends = np.concatenate([cut, [path.size]])
    for s, e in zip(starts.tolist(), ends.tolist()):
        yield s, e, int(path[s])


def _write_segments(fh, seq_id: str, path: np.ndarray, names: list[str] | None) -> None:
    """One line per run of equal states: seq_id, start, end, state (TSV and BED4 alike)."""
    for s, e, k in _segments(path):
        state = names[k] if names else str(k)
        fh.write(f"{seq_id}\t{s}\t{e}\t{state}\n")


def _load(model_path: str):
    from pairhmm.hmm import TiedHMM

    return TiedHMM.load(model_path)


def _state_names(text: str | None, n_states: int) -> list[str] | None:
    if text is None:
        return None
    names = [v.strip() for v in text.split(",")]
    if len(names) != n_states:
        fail(f"--state-names: {len(names)} names given for {n_states} states")
    return names


_THREADS_HELP = ("Threads over the sequences (default: all cores; results do not depend on "
                 "it).")
_symbols_opt = click.option(
    "--symbols", default=None,
    help="Custom alphabet: its letters in code order, e.g. 123456 for dice rolls.")
_alphabet_opt = click.option(
    "--alphabet", type=click.Choice(["dna", "rna", "protein"]), default=None,
    help="Standard alphabet (ambiguity codes such as N are scored as the exact marginal).")


# ------------------------------------------------------------------------------ fit
@hmm.command("fit")
@click.argument("fasta", metavar="FASTA")
@output_option("Model file to write (JSON).", required=True)
@click.option("--states", type=int, default=None, help="Number of hidden states.")
@click.option("--model", "init_model", default=None,
              help="Start from this model file (its structure and parameters) instead of --states.")
@_alphabet_opt
@_symbols_opt
@click.option("--tie-emissions", multiple=True,
              help="Groups of states sharing one emission distribution: '0,1 2,3' "
                   "(groups separated by spaces or ';', states by commas); may be repeated, "
                   "--tie-emissions 0,1 --tie-emissions 2,3.")
@click.option("--transition-labels", default=None,
              help="Label matrix (entries with one label share a probability, -1 = impossible): "
                   "a file with one row per line, or rows separated by ';', e.g. '0,1;1,0'.")
@fit_options(1000, 1e-4, min_iter=1,
             max_iter_help="Maximum Baum-Welch iterations (EM stops earlier once it converges; a "
                           "fit that reaches this many gets a warning).",
             tol_help="Stop when the log-likelihood gains less than this.")
@renamed_option("--n-iter", to="max_iter", new="--max-iter", type=click.IntRange(min=1))
@click.option("--pseudocount", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Added to every expected count (Dirichlet prior = 1 + pseudocount).")
@seed_option(0, "Seed of the random starts.")
@click.option("--n-init", type=click.IntRange(min=1), default=10, show_default=True,
              help="Random starts (EM finds a local maximum): each runs to convergence and the "
                   "most likely is kept. A --model with parameters starts once.")
@threads_option(_THREADS_HELP)
@progress_option("reading and the Baum-Welch iterations")
@writes(output="-o")
def fit_cmd(fasta: str, output: str, states: int | None, init_model: str | None,
            alphabet: str | None, symbols: str | None, tie_emissions: tuple[str, ...],
            transition_labels: str | None, max_iter: int, tol: float, pseudocount: float,
            seed: int, n_init: int, threads: int | None, progress: bool | None) -> None:
    """Fit a TiedHMM to the sequences of FASTA by Baum-Welch and save it as JSON."""
    from pairhmm.hmm import TiedHMM

    groups = _parse_groups(tie_emissions)
    labels = _parse_labels(transition_labels)
    if init_model is not None:
        if states is not None or groups is not None or labels is not None:
            fail("--model fixes the structure: do not combine it with --states, "
                 "--tie-emissions or --transition-labels")
        model = _load(init_model)
        alpha = _model_alphabet(model, alphabet, symbols)
        model.alphabet = model.alphabet if model.alphabet is not None else alpha.letters
        have = all(hasattr(model, a) for a in ("startprob_", "transmat_", "emissionprob_"))
        model.init_params = "" if have else "ste"
    else:
        if states is None:
            fail("give --states N (or --model FILE)")
        alpha = _alphabet_option(alphabet, symbols)
        if alpha is None:
            fail("give --alphabet dna|rna|protein or --symbols LETTERS (e.g. --symbols 123456)")
        spec = alpha.name if alpha.name in ("dna", "rna", "protein") else alpha.letters
        model = TiedHMM(states, alpha.size, emission_ties=groups, transition_labels=labels,
                        alphabet=spec, random_state=seed)
    prior = 1.0 + pseudocount
    model.startprob_prior = model.transmat_prior = model.emissionprob_prior = prior
    model.n_iter, model.tol = max_iter, tol
    seqs = []
    for _, batch in _batches(fasta, alpha, progress, "reading"):
        seqs.extend(batch)
    starts = n_init if model.init_params else 1
    with FitProgress(max_iter * starts, "Baum-Welch", progress) as bar, using_threads(threads):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(seqs, callback=bar, n_init=starts)
    from pairhmm.hmm import ConvergenceWarning

    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):  # said below, with the option names
            click.echo(f"pairhmm: warning: {w.message}", err=True)
    hist = model.monitor_.history
    if not model.monitor_.reached_tol:
        gain = f"still gaining {hist[-1] - hist[-2]:.3g} > --tol {tol:g}" if len(hist) >= 2 else ""
        click.echo(f"pairhmm: warning: Baum-Welch did not converge in --max-iter {max_iter} "
                   f"iterations ({gain}); the model is written but may be far from the "
                   "maximum: raise --max-iter".replace(" ()", ""), err=True)
    with atomic_output(output) as fh:
        fh.write(model.to_json_text())
    with using_threads(threads):
        ll = model.score(seqs)
    n = sum(s.size for s in seqs)
    conv = "converged" if model.monitor_.reached_tol else "NOT converged"
    scores = getattr(model, "init_scores_", None)
    if scores:
        conv += f" (best of {len(scores)} starts)"
    click.echo(f"pairhmm: {len(seqs)} sequences, {n} symbols; {len(hist)} iterations, {conv}; "
               f"log-likelihood {ll:.6f}; {model.n_parameters()} free parameters; "
               f"BIC {-2 * ll + model.n_parameters() * np.log(n):.3f}", err=True)


# ------------------------------------------------------------------------------ decode
@hmm.command("decode")
@click.argument("model_path", metavar="MODEL")
@click.argument("fasta", metavar="FASTA")
@output_option("Output file (default: standard output).")
@format_option(["tsv", "bed"], "tsv", "tsv: seq_id, start, end, state with a header; bed: BED4 "
               "(name = state). Both 0-based, half-open.")
@click.option("--algorithm", type=click.Choice(["viterbi", "map"]), default="viterbi",
              show_default=True, help="viterbi: most probable path; map: most probable state "
                                      "at each position (posterior decoding).")
@click.option("--state-names", default=None, help="Comma-separated names for the states.")
@_symbols_opt
@threads_option(_THREADS_HELP)
@progress_option("the sequences")
@writes(output="-o")
def decode_cmd(model_path: str, fasta: str, output: str, fmt: str, algorithm: str,
               state_names: str | None, symbols: str | None, threads: int | None,
               progress: bool | None) -> None:
    """Decode the hidden state path of each FASTA record, written as segments."""
    model = _load(model_path)
    alpha = _model_alphabet(model, None, symbols)
    names = _state_names(state_names, model.n_states)
    with atomic_output(output) as fh:
        if fmt == "tsv":
            fh.write("seq_id\tstart\tend\tstate\n")
        for ids, seqs in _batches(fasta, alpha, progress, "decoding"):
            try:
                with using_threads(threads):
                    _, path = model.decode(seqs, algorithm=algorithm)
            except ZeroProbabilityError as e:
                fail(f"{ids[e.index]} {e.reason}")
            lo = 0
            for rid, s in zip(ids, seqs):
                _write_segments(fh, rid, path[lo:lo + s.size], names)
                lo += s.size


# ------------------------------------------------------------------------------ score
@hmm.command("score")
@click.argument("model_path", metavar="MODEL")
@click.argument("fasta", metavar="FASTA")
@output_option("Output file (default: standard output).")
@_symbols_opt
@threads_option(_THREADS_HELP)
@progress_option("the sequences")
@writes(output="-o")
def score_cmd(model_path: str, fasta: str, output: str, symbols: str | None,
              threads: int | None, progress: bool | None) -> None:
    """Log-likelihood (natural log) of each FASTA record: TSV seq_id, length, loglik."""
    model = _load(model_path)
    alpha = _model_alphabet(model, None, symbols)
    total = 0.0
    with atomic_output(output) as fh:
        fh.write("seq_id\tlength\tloglik\n")
        for ids, seqs in _batches(fasta, alpha, progress, "scoring"):
            with using_threads(threads):
                ll = model.score_per_sequence(seqs)
            for rid, s, v in zip(ids, seqs, ll.tolist()):
                fh.write(f"{rid}\t{s.size}\t{v:.6f}\n")
            total += float(np.sum(ll))
    click.echo(f"pairhmm: total log-likelihood {total:.6f}", err=True)


# ------------------------------------------------------------------------------ sample
@hmm.command("sample")
@click.argument("model_path", metavar="MODEL")
@output_option("FASTA output (default: standard output).")
@click.option("-n", "--length", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Length of each sequence.")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True,
              help="Number of sequences.")
@seed_option(None, "Random seed (default: unpredictable).")
@click.option("--states-output", default=None,
              help="Also write the true state paths as TSV segments to this file.")
@_symbols_opt
@progress_option("the sequences")
@writes(output="-o", states_output="--states-output")
def sample_cmd(model_path: str, output: str, length: int, count: int, seed: int | None,
               states_output: str | None, symbols: str | None, progress: bool | None) -> None:
    """Generate sequences from a model (FASTA), optionally with their state paths."""
    model = _load(model_path)
    alpha = _model_alphabet(model, None, symbols)
    rng = np.random.default_rng(seed)
    letters = np.frombuffer(alpha.letters.encode("ascii"), dtype=np.uint8)
    import contextlib

    states_ctx = atomic_output(states_output) if states_output else contextlib.nullcontext(None)
    with atomic_output(output) as fh, states_ctx as sh:
        if states_output:
            sh.write("seq_id\tstart\tend\tstate\n")
        for i in progress_bar(range(count), unit="seq", enabled=progress):
            x, states = model.sample(length, random_state=rng)
            text = letters[x].tobytes().decode("ascii")
            fh.write(f">sample{i + 1}\n")
            for j in range(0, len(text), 60):
                fh.write(text[j:j + 60] + "\n")
            if states_output:
                _write_segments(sh, f"sample{i + 1}", states, None)
