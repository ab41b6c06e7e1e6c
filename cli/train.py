"""``pairhmm train`` and ``pairhmm test-symmetry``: learn pair-HMM parameters from sequence pairs.

Input is either unaligned pairs (two FASTA files with records matched by position, or one FASTA
file of consecutive pairs: records 1+2, 3+4, ...) or, with ``--from-alignments``, alignment files
(:func:`pairhmm.alnio.read_alignment_file`: aligned FASTA, Stockholm, Clustal, GCG MSF, PHYLIP,
A2M, NEXUS; every pair of rows of a multiple alignment counts).

Output conventions: the model JSON goes to ``-o`` (written atomically: a failed run leaves no
file); the summary table of the learned parameters goes to standard output (to standard error
when ``-o -`` puts the model on standard output); the progress bar (iteration and current
log-likelihood) goes to standard error when it is a terminal.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import click

from pairhmm.alnio import INPUT_FORMATS

from ._common import (Command, FitProgress, atomic_output, deprecated, fail, fit_options,
                      format_option, input_format_option, load_model_and_pairs, output_option,
                      progress_option, renamed_option, scheduler_option, seed_option,
                      summary_to_stderr, threads_option, writes)

ALIGNMENT_FORMATS = list(INPUT_FORMATS)
FREEZABLE = ("match", "insert", "delta", "epsilon", "tau", "flank_loop")


# ------------------------------------------------------------------------------------------------
def input_options(fn: Callable) -> Callable:
    """Options shared by both commands: how to read PAIRS, which model starts the fit, and how
    the E-step runs (threads, cluster, progress bar)."""
    for opt in reversed([
        click.option("--from-alignments", "from_alignments", is_flag=True,
                     help="FILES are alignments (aligned FASTA, Clustal, Stockholm, GCG MSF, PHYLIP, "
                          "A2M, NEXUS; plain or gzipped)."),
        input_format_option("Format of the alignments with --from-alignments (default: "
                            "detected from each file's content).", choices=ALIGNMENT_FORMATS,
                            name="aln_format"),
        click.option("--model", "model_path", type=click.Path(dir_okay=False), default=None,
                     help="Starting model JSON (default: the preset of the alphabet)."),
        click.option("--preset", type=click.Choice(["dna", "rna", "protein"]), default=None,
                     help="Built-in starting model."),
        click.option("--alphabet", type=click.Choice(["dna", "rna", "protein"]), default=None,
                     help="Sequence alphabet (auto-detected otherwise)."),
        click.option("--mode", type=click.Choice(["global", "semiglobal", "local"]), default=None,
                     help="End-gap model of the trained model (default: the start model's)."),
        threads_option("Threads for the E-step (default: all cores; results do not depend on "
                       "it)."),
        renamed_option("-j", "--jobs", to="threads", new="--threads",
                       type=click.IntRange(min=1)),
        progress_option("the Baum-Welch iterations (with the log-likelihood)"),
        renamed_option("-q", "--quiet", to="progress", new="--no-progress", is_flag=True,
                       value=lambda v: False),
        scheduler_option("Run the E-step on a Dask cluster (scheduler address). Results equal "
                         "the local run."),
    ]):
        fn = opt(fn)
    return fn


def training_options(max_iter: int, tol: float, pseudocount_help: str,
                     tol_help: str = "Stop when the total log-likelihood (nats) improves by less "
                                     "than this.") -> Callable:
    """Baum-Welch options shared by `train` and `test-symmetry` (only the defaults differ)."""
    def deco(fn: Callable) -> Callable:
        for opt in reversed([
            fit_options(max_iter, tol, max_iter_help="Maximum Baum-Welch iterations (of each fit).",
                        tol_help=tol_help),
            click.option("--freeze", default=None, metavar="LIST",
                         help="Comma-separated parameters kept at their start value: "
                              f"{', '.join(FREEZABLE)}."),
            click.option("--pseudocount", default=None, type=click.FloatRange(min=0.0),
                         help=pseudocount_help),
            click.option("--init", type=click.Choice(["model", "random"]), default="model",
                         show_default=True,
                         help="Start from the model's values or from random ones with its structure."),
            seed_option(None, "Random seed for --init random."),
        ]):
            fn = opt(fn)
        return fn
    return deco


def _alignment_pairs(alignments: list) -> list:
    """Every pair of rows of every alignment, gaps removed, as (SeqRecord, SeqRecord)."""
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    from pairhmm.errors import InputFormatError

    pairs = []
    for path, ids, rows in alignments:
        plain = [r.replace("-", "").replace(".", "") for r in rows]
        for i, (rid, s) in enumerate(zip(ids, plain)):
            if not s:
                raise InputFormatError(f"{path}: row {rid!r} (#{i + 1}) has no residues (only gaps): "
                                       "it cannot form a sequence pair")
        recs = [SeqRecord(Seq(s), id=rid, description="") for rid, s in zip(ids, plain)]
        pairs += [(recs[a], recs[b]) for a in range(len(recs)) for b in range(a + 1, len(recs))]
    return pairs


def load_inputs(files: tuple[str, ...], from_alignments: bool, aln_format: str | None,
                model_path: str | None, preset: str | None, alphabet: str | None,
                mode: str | None):
    """(start model, unaligned pairs, alignments or None); library errors propagate."""
    from pairhmm import PairHMM

    if not from_alignments:
        if aln_format:
            fail("--input-format applies to --from-alignments only")
        model, pairs = load_model_and_pairs(files, model_path, preset, alphabet,
                                            consecutive=len(files) == 1, mode=mode)
        return model, pairs, None

    import warnings

    from pairhmm.alphabet import AlphabetWarning, alphabet_mismatches, common_alphabet
    from pairhmm.train import read_alignments

    if model_path and preset:
        fail("give either --model or --preset, not both")
    alignments = read_alignments(files, fmt=aln_format)
    pairs = _alignment_pairs(alignments)
    if model_path:
        model = PairHMM.load(model_path)
        if alphabet and alphabet != model.alphabet.name:
            fail(f"--alphabet {alphabet} does not match the model's alphabet ({model.alphabet.name})")
    else:
        model = PairHMM.preset(preset or alphabet) if (preset or alphabet) else None
        if model is not None and alphabet and model.alphabet.name != alphabet:
            fail(f"--preset {preset} is for {model.alphabet.name} but --alphabet is {alphabet}")
    rows = list({id(s): s for p in pairs for s in p}.values())
    forced = model is not None
    if model is None:
        # one model is trained, so every row of every file must be of one alphabet
        model = PairHMM.preset(common_alphabet(rows, "the alignments").name)
    if mode is not None and mode != model.mode:
        model = model.copy(mode=mode)
    for rec in rows:  # bad characters fail before any work
        model.encode(rec, rec.id)
    odd = alphabet_mismatches(rows, model.alphabet) if forced else []
    if odd:
        more = f" and {len(odd) - 3} more" if len(odd) > 3 else ""
        warnings.warn(f"{len(odd)} sequence(s) do not look like {model.alphabet.name}: "
                      f"{', '.join(odd[:3])}{more}", AlphabetWarning, stacklevel=2)
    return model, pairs, alignments


# ------------------------------------------------------------------------------------------------
def _fmt(v: float) -> str:
    return f"{v:.5g}"


def summary_table(model: Any, start: Any, n_pairs: int, how: str) -> str:
    """Plain-text table of the learned parameters (what `pairhmm train` prints)."""
    letters = model.alphabet.letters
    rows: list[tuple[str, str]] = [
        ("training", how),
        ("pairs", str(n_pairs)),
        ("alphabet", model.alphabet.name),
        ("mode", model.mode),
        ("X/Y", "tied (symmetric indels)" if model.tied else "untied"),
        ("match matrix", "symmetric (p_ab = p_ba)" if model.symmetric_match else "asymmetric"),
        ("free parameters", str(model.n_parameters())),
    ]
    # the log-likelihoods (with a pseudocount `history_` holds the MAP objective instead)
    h = getattr(model, "log_likelihoods_", None) or []
    if h:
        rows += [("iterations", str(len(h) - 1)),
                 ("converged", "yes" if model.converged_ else "no (raise --max-iter?)"),
                 ("log-likelihood", f"{h[0]:.4f} -> {h[-1]:.4f}"),
                 ("AIC", f"{2 * model.n_parameters() - 2 * h[-1]:.4f}")]
    if model.tied:
        rows += [("delta", f"{_fmt(model.delta_x)}  (start {_fmt(start.delta_x)})"),
                 ("epsilon", f"{_fmt(model.epsilon_x)}  (start {_fmt(start.epsilon_x)})")]
    else:
        rows += [("delta x, y", f"{_fmt(model.delta_x)}, {_fmt(model.delta_y)}"),
                 ("epsilon x, y", f"{_fmt(model.epsilon_x)}, {_fmt(model.epsilon_y)}")]
    if model.long_gaps:
        rows.append(("long gaps", ", ".join(_fmt(v) for v in _flatten(model.long_gap_params))))
    rows.append(("tau", _fmt(model.tau)))
    if model.mode != "global":
        rows.append(("flank loop", _fmt(model.flank_loop)))
    match = model.match
    rows.append(("identity mass", f"{float(match.trace()):.4f} (sum of p_aa)"))
    ins = [("insert", model.insert_x)] if model.tied else [("insert x", model.insert_x),
                                                           ("insert y", model.insert_y)]
    for name, q in ins:
        rows.append((name, " ".join(f"{a}:{v:.3f}" for a, v in zip(letters, q))))
    w = max(len(r[0]) for r in rows)
    lines = [f"{k.ljust(w)}  {v}" for k, v in rows]
    if len(letters) <= 5:
        lines.append("match p_ab (rows x, columns y):")
        lines.append("       " + "".join(f"{b:>9}" for b in letters))
        for a, row in zip(letters, match):
            lines.append(f"    {a}  " + "".join(f"{v:9.5f}" for v in row))
    return "\n".join(lines) + "\n"


def _flatten(v: Any) -> list[float]:
    if isinstance(v, (tuple, list)):
        return [x for item in v for x in _flatten(item)]
    return [float(v)]


def _parse_freeze(text: str | None) -> list[str] | None:
    if not text:
        return None
    names = [f.strip() for f in text.split(",") if f.strip()]
    bad = [n for n in names if n not in FREEZABLE]
    if bad:
        raise click.BadParameter(f"{', '.join(bad)} (choose from {', '.join(FREEZABLE)})",
                                 param_hint="--freeze")
    return names


# ------------------------------------------------------------------------------------------------
@click.command(cls=Command)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@output_option("Model JSON to write ('-' = standard output; the summary then goes to stderr).",
               required=True)
@input_options
@renamed_option("--format", to="aln_format", new="--input-format",
                type=click.Choice(ALIGNMENT_FORMATS))
@click.option("--untied", is_flag=True,
              help="Untie InsertX and InsertY (separate delta, epsilon and insert emissions).")
@click.option("--asymmetric-match", is_flag=True,
              help="Do not tie p_ab = p_ba (for ordered pairs, e.g. ancestor -> descendant).")
@training_options(100, 1e-4, "Dirichlet pseudocount added to every count [default: 1, so "
                  "residues and pairs the training data lacks keep a non-zero probability; 0 = "
                  "maximum likelihood].")
@click.option("--baum-welch/--count-only", "baum_welch", default=None,
              help="With --from-alignments: refine the counted model by Baum-Welch on the "
                   "unaligned row pairs (default: count only). Without it Baum-Welch always runs.")
@writes(output="-o")
def train(files, output, from_alignments, aln_format, model_path, preset, alphabet, mode, threads,
          progress, scheduler, untied, asymmetric_match, max_iter, tol, freeze, pseudocount,
          baum_welch, init, seed):
    """Learn pair-HMM parameters: Baum-Welch on unaligned pairs, or counting on alignments.

    FILES: two FASTA files (record i of the first with record i of the second), one FASTA file of
    consecutive pairs (records 1+2, 3+4, ...), or with --from-alignments one or more alignment
    files (every pair of rows of each alignment counts). The model goes to -o, atomically; the
    summary table goes to standard output.

    \b
    Examples:
      pairhmm train data/train/pairs.fa -o model.json
      pairhmm train data/train/tiny.aln --from-alignments --baum-welch -o model.json
      pairhmm align --model model.json a.fa b.fa
    """
    from pairhmm.train import estimate_from_alignments

    frozen = _parse_freeze(freeze)
    if baum_welch is not None and not from_alignments:
        fail("--baum-welch/--count-only apply to --from-alignments only")
    if init == "random" and from_alignments and not baum_welch:
        fail("--init random needs Baum-Welch (add --baum-welch)")
    start, pairs, alignments = load_inputs(files, from_alignments, aln_format, model_path, preset,
                                           alphabet, mode)
    if untied and start.tied:
        start = start.untied()
    if asymmetric_match and start.symmetric_match:
        start = start.copy(symmetric_match=False)
    model = start.copy()  # fit trains in place: keep the start for the summary
    how = []
    if alignments is not None:
        pc = 1.0 if pseudocount is None else pseudocount
        model = estimate_from_alignments(alignments, model=start, pseudocount=pc, freeze=frozen)
        how.append(f"counted on {len(alignments)} alignment(s), pseudocount {pc:g}")
    if alignments is None or baum_welch:
        pc = 1.0 if pseudocount is None else pseudocount
        with FitProgress(max_iter + 1, "Baum-Welch", progress) as bar:
            model = model.fit(pairs, max_iter=max_iter, tol=tol, pseudocount=pc, freeze=frozen,
                              init=init, random_state=seed, n_jobs=threads, callback=bar,
                              scheduler=scheduler)
        how.append(f"Baum-Welch (tol {tol:g} nats, pseudocount {pc:g})")
    table = summary_table(model, start, len(pairs), "; then ".join(how))
    with atomic_output(output) as fh:
        json.dump(model.to_dict(), fh, indent=1)
        fh.write("\n")
    click.echo(table, err=summary_to_stderr(), nl=False)


# ------------------------------------------------------------------------------------------------
@click.command("test-symmetry", cls=Command)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@input_options
@training_options(500, 1e-6, "Dirichlet pseudocount added to every count of both fits "
                  "[default: 0, maximum likelihood, as the likelihood-ratio test assumes; with a "
                  "pseudocount the fits maximise the posterior and the statistic compares those "
                  "objectives].",
                  tol_help="Convergence tolerance (nats) of each fit: keep it tight, the "
                           "statistic is a difference of two maximised log-likelihoods.")
@click.option("--alpha", default=0.05, show_default=True, type=click.FloatRange(0.0, 1.0,
                                                                                min_open=True),
              help="Significance level for the one-line conclusion.")
# --format ALIGNMENT-FORMAT (the input's, before -f/--format named the output's) still works
@format_option(["table", "json"], "table", "table (with a one-line conclusion) or json "
               "(statistic, df, p-value, both log-likelihoods and both fitted models).",
               old=tuple(ALIGNMENT_FORMATS))
@renamed_option("--json", to="fmt", new="-f json", is_flag=True, value=lambda v: "json")
@output_option("Write the table (or JSON) here instead of standard output.")
@writes(output="-o")
def test_symmetry(files, from_alignments, aln_format, model_path, preset, alphabet, mode, threads,
                  progress, scheduler, max_iter, tol, freeze, pseudocount, init, seed, alpha, fmt,
                  output):
    """Likelihood-ratio test of symmetric indels: tied vs untied InsertX/InsertY.

    Fits the tied model (shared delta, epsilon and insert emissions) and the untied one from the
    same start; the statistic 2 (logL_untied - logL_tied) is compared with a chi-square
    distribution whose degrees of freedom are the parameters that tying removes. FILES as for
    `pairhmm train` (alignment rows are used unaligned).
    """
    from pairhmm.train import symmetry_test

    if fmt in ALIGNMENT_FORMATS:  # the old meaning of --format: the input's format
        if aln_format is not None:
            fail(f"--format {fmt} is the old spelling of --input-format: give --input-format only")
        deprecated(f"--format {fmt}", f"--input-format {fmt}")
        aln_format, fmt = fmt, "table"
    frozen = _parse_freeze(freeze)
    start, pairs, _ = load_inputs(files, from_alignments, aln_format, model_path, preset,
                                  alphabet, mode)
    pc = 0.0 if pseudocount is None else pseudocount
    if init == "random":  # one random start shared by both fits (max_iter=0: no EM step)
        start = start.fit(pairs, max_iter=0, init="random", random_state=seed, freeze=frozen,
                          n_jobs=threads, scheduler=scheduler)
    with FitProgress(3 * (max_iter + 1), "tied and untied fits", progress) as bar:
        res = symmetry_test(pairs, model=start, max_iter=max_iter, tol=tol, n_jobs=threads,
                            callback=bar, scheduler=scheduler, pseudocount=pc, freeze=frozen)
    reject = res.pvalue < alpha
    with atomic_output(output) as fh:
        if fmt == "json":
            json.dump({
                "statistic": res.statistic, "df": res.df, "pvalue": res.pvalue,
                "alpha": alpha, "reject_symmetric": bool(reject), "pairs": len(pairs),
                "log_likelihood_tied": res.log_likelihood_tied,
                "log_likelihood_untied": res.log_likelihood_untied,
                "tied": res.tied.to_dict(), "untied": res.untied.to_dict(),
            }, fh, indent=1)
            fh.write("\n")
        else:
            fh.write(f"pairs: {len(pairs)}\n")
            fh.write(res.table() + "\n")
            verdict = ("reject symmetric indels" if reject
                       else "no evidence against symmetric indels")
            fh.write(f"at alpha = {alpha:g}: {verdict}\n")
