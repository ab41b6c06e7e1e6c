"""`pairhmm motif train` and `pairhmm motif predict`: learn motifs with a shared-weight CNN.

Registered lazily by the ``motif`` group (``cli/motif.py``) as the module attributes ``train`` and
``predict``. The bodies read input, call :class:`pairhmm.motif.cnn.MotifCNN`, write output.
"""

from __future__ import annotations

import os

import click

from ._common import (OUTPUT_PATH, Command, atomic_output, folder, output_option, progress_bar,
                      progress_option, renamed_option, run_guarded, seed_option, staged_folder,
                      summary_to_stderr, threads_option, writes)

__all__ = ["train", "predict"]

_MOTIF_FORMATS = ("meme", "jaspar", "transfac", "pfm")


def _parse_palindromic(value: str | None, n_filters: int):
    from pairhmm.errors import InvalidParameter

    if value is None or value == "":
        return False
    if value.lower() == "all":
        return True
    try:
        return [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise InvalidParameter("--palindromic", value,
                               f"give 'all' or comma-separated filter indices 0..{n_filters - 1}") from None


def _named(ids: list, seqs: list, files: list) -> list:
    """Sequences as records named "FILE: record 'ID'", so an input error names both."""
    from Bio.Seq import Seq
    from Bio.SeqRecord import SeqRecord

    return [SeqRecord(Seq(s), id=f"{f}: record {i!r}") for i, s, f in zip(ids, seqs, files)]


def _motif_format(path: str, fmt: str | None) -> str:
    if fmt:
        return fmt
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    return {"jaspar": "jaspar", "transfac": "transfac", "pfm": "pfm"}.get(ext, "meme")


@click.command("train", cls=Command)
@click.argument("positives", type=click.Path(dir_okay=False, allow_dash=False))
@click.argument("negatives", required=False, type=click.Path(dir_okay=False))
@output_option("Trained model (JSON).", required=True, name="model_path")
@click.option("--motifs", "motifs_path", type=OUTPUT_PATH,
              help="Write the learned filters as PWMs (most important first).")
@click.option("--motif-format", type=click.Choice(_MOTIF_FORMATS),
              help="Format of --motifs (default: from the extension, else MEME).")
@click.option("--logos", "logos_dir", type=OUTPUT_PATH,
              help="Write one sequence-logo PNG per filter into this folder (needs matplotlib).")
@click.option("--labeled", is_flag=True,
              help="POSITIVES alone carries labels: FASTA headers '>id LABEL' (tabular "
                   "'>id SEQUENCE LABEL' files are detected without this flag).")
@click.option("--filters", "n_filters", default=16, show_default=True, type=click.IntRange(1))
@click.option("--width", default=15, show_default=True, type=click.IntRange(1))
@click.option("--rc/--no-rc", "rc_shared", default=True, show_default=True,
              help="Share each filter between both strands (reverse-complement tied).")
@click.option("--augment-rc", is_flag=True,
              help="Also train on reverse complements (for --no-rc models).")
@click.option("--conjoin", is_flag=True,
              help="With --no-rc: predict with the mean log-odds of a sequence and its reverse "
                   "complement (post-hoc conjoining; best with --augment-rc).")
@click.option("--strand-pooling", type=click.Choice(["max", "mean"]), default="max",
              show_default=True,
              help="With --rc and max pooling: the better strand's best window (max), or the mean "
                   "of both strands' best windows (mean; better on ChIP-seq with many weak sites).")
@click.option("--palindromic", default=None, metavar="all|I,J,...",
              help="Filters tied to their own reverse complement.")
@click.option("--pooling", default="max", show_default=True,
              help="max, logsumexp, mean, or a '+'-joined combination such as max+mean.")
@click.option("--activation", default="linear", show_default=True,
              type=click.Choice(["linear", "relu"]))
@click.option("--dropout", default=0.0, show_default=True, type=float,
              help="Dropout rate on the pooled features during training.")
@click.option("--init", "init", default="random", show_default=True,
              type=click.Choice(["random", "data"]),
              help="Initial filters: random, or random windows of bound sequences.")
@click.option("--init-scale", default=None, type=float,
              help="Scale of the initial filter weights [default: 0.1 random, 1.0 data].")
@click.option("--l2", default=1e-3, show_default=True, type=float)
@click.option("--kmer", default=0, show_default=True, type=click.IntRange(0, 10),
              help="Add a jointly trained linear term on k-mer counts of this length (0 = none; "
                   "canonical k-mers with --rc).")
@click.option("--kmer-l2", default=None, type=float,
              help="L2 penalty of the k-mer weights [default: --l2].")
@click.option("--kmer-learning-rate", default=None, type=float,
              help="Adam step size of the k-mer weights [default: --learning-rate].")
@click.option("--models", "n_models", default=1, show_default=True, type=click.IntRange(1),
              help="Average this many networks trained from independent seeds (stored as one model).")
@click.option("--learning-rate", default=0.01, show_default=True, type=float)
@click.option("--batch-size", default=64, show_default=True, type=click.IntRange(1))
@click.option("--epochs", "max_epochs", default=50, show_default=True, type=click.IntRange(1),
              help="Maximum number of epochs.")
@click.option("--patience", default=5, show_default=True, type=click.IntRange(1))
@click.option("--validation-fraction", default=0.1, show_default=True, type=float)
@click.option("--pwm-from", "pwm_from", type=click.Choice(["weights", "sites"]), default="sites",
              show_default=True,
              help="Export PWMs from the letter counts of the bound training windows that "
                   "activate each filter most (sites), or from the filter weights "
                   "(p ∝ exp(beta·W)).")
@click.option("--beta", default=None, type=float,
              help="PWM export sharpness: p ∝ exp(beta·W) (default: |output weight| per filter).")
@click.option("--trim", default=None, type=float,
              help="Drop flanking PWM columns with less information (bits) than this.")
@seed_option(0, "Random seed (initialisation, validation split, batches, shuffled negatives).")
@threads_option()
@progress_option("the epochs (with the losses and validation AUROC)")
@renamed_option("-q", "--quiet", to="progress", new="--no-progress", is_flag=True,
                value=lambda v: False)
@writes(model_path="-o", motifs_path="--motifs", logos_dir=folder("--logos"))
def train(positives, negatives, model_path, motifs_path, motif_format, logos_dir, labeled,
          n_filters, width, rc_shared, augment_rc, conjoin, strand_pooling, palindromic, pooling,
          activation,
          dropout, init, init_scale,
          l2, kmer, kmer_l2, kmer_learning_rate, n_models, learning_rate, batch_size,
          max_epochs, patience, validation_fraction, pwm_from, beta, trim, seed, threads,
          progress):
    """Train a motif CNN on POSITIVES (bound) vs NEGATIVES (unbound).

    Without NEGATIVES, POSITIVES is either labeled (--labeled, or a tabular file) or every positive
    gets a dinucleotide-shuffled negative (seeded by --seed). Prints a summary and the per-filter
    parameter counts (shared vs locally connected).
    """
    def body():
        from pairhmm.motif.cnn import MotifCNN, load_training_data, write_motif_file

        if logos_dir:  # fail before training, not after
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                from pairhmm.errors import InvalidParameter

                raise InvalidParameter("--logos", logos_dir,
                                       "needs matplotlib: pip install 'pairhmm[plot]'") from None
        ids, seqs, labels, sources = load_training_data(positives, negatives, labeled=labeled,
                                                        random_state=seed, return_sources=True)
        model = MotifCNN(n_filters=n_filters, width=width, rc_shared=rc_shared,
                         palindromic=_parse_palindromic(palindromic, n_filters), pooling=pooling,
                         activation=activation, dropout=dropout, init=init, augment_rc=augment_rc,
                         conjoin=conjoin, strand_pooling=strand_pooling,
                         init_scale=(init_scale if init_scale is not None
                                     else 1.0 if init == "data" else 0.1),
                         l2=l2, kmer=kmer, kmer_l2=kmer_l2, kmer_learning_rate=kmer_learning_rate,
                         n_models=n_models,
                         learning_rate=learning_rate, batch_size=batch_size,
                         max_epochs=max_epochs, patience=patience,
                         validation_fraction=validation_fraction, n_jobs=threads,
                         random_state=seed)
        bar = None

        def tick(entry: dict) -> None:
            nonlocal bar
            if bar is None:  # opened at the first epoch, so input errors print no empty bar
                bar = progress_bar(total=max_epochs * n_models, desc="epochs", unit="epoch",
                                   enabled=progress)
            bar.update(1)
            bar.set_postfix(loss=f"{entry['train_loss']:.4f}", val_loss=f"{entry['val_loss']:.4f}",
                            val_auroc=f"{entry['val_auroc']:.4f}")

        named = _named(ids, seqs, sources)
        try:
            model.fit(named, labels, callback=tick)
        finally:
            if bar is not None:
                bar.close()
        with atomic_output(model_path, "w") as fh:
            model.save(fh)
        export = {"beta": beta, "trim": trim}
        if pwm_from == "sites":
            export["sites"] = [s for s, lab in zip(seqs, labels) if lab == 1]
        exported = model.to_motifs(**export)
        if motifs_path:
            with atomic_output(motifs_path, "w") as fh:
                write_motif_file(exported, fh, _motif_format(motifs_path, motif_format))
        if logos_dir:
            model.save_logos(staged_folder(logos_dir), motifs=exported)

        # the summary goes with the data only when the data are not on standard output
        def echo(text: str) -> None:
            click.echo(text, err=summary_to_stderr())

        runs: dict[int, list] = {}
        for entry in model.history_:
            runs.setdefault(entry.get("model", 1), []).append(entry)
        n_pos = int(labels.sum())
        echo(f"trained on {len(labels)} sequences ({n_pos} bound, {len(labels) - n_pos} unbound)")
        for i, e in enumerate(model.best_epochs_, 1):
            best = runs[i][e - 1]
            who = f"model {i}: " if n_models > 1 else ""
            echo(f"{who}best epoch {e} of {len(runs[i])}, validation loss "
                 f"{best['val_loss']:.4f}, validation AUROC {best['val_auroc']:.4f}")
        top = exported[:3]
        echo("top filters: " + ", ".join(f"{m.name} {m.consensus}" for m in top))
        if kmer:
            echo("top k-mers: " + ", ".join(f"{u} {w:+.3f}" for u, w in model.top_kmers(5)))
        echo("")
        echo("parameters per filter (shared convolution vs a locally-connected layer over "
             f"L = {model.seq_length_} bp):")
        echo(model.parameter_report())

    run_guarded(body)


@click.command("predict", cls=Command)
@click.argument("model_path", type=click.Path(dir_okay=False))
@click.argument("sequences", type=click.Path(dir_okay=False, allow_dash=True))
@output_option("Output TSV (default: standard output).")
@threads_option()
@writes(output="-o")
def predict(model_path, sequences, output, threads):
    """Score SEQUENCES (FASTA or tabular) with a trained motif CNN.

    Writes a TSV: id, probability of being bound, log-odds. Tabular input with labels also gets
    a label column and the AUROC on stderr.
    """
    def body():
        from scipy.special import expit

        from pairhmm.motif.cnn import MotifCNN, is_tabular, read_labeled, read_sequences, roc_auc

        model = MotifCNN.load(model_path)
        if threads is not None:
            model.n_jobs = threads
        labels = None
        if is_tabular(sequences):
            ids, seqs, labels = read_labeled(sequences, fmt="tabular")
        else:
            ids, seqs = read_sequences(sequences, fmt="fasta")
        logit = model.decision_function(_named(ids, seqs, [sequences] * len(ids)))
        prob = expit(logit)
        with atomic_output(output, "w") as fh:
            fh.write("id\tprobability\tlog_odds" + ("\tlabel" if labels is not None else "") + "\n")
            for j, sid in enumerate(ids):
                row = f"{sid}\t{prob[j]:.6g}\t{logit[j]:.6g}"
                if labels is not None:
                    row += f"\t{int(labels[j])}"
                fh.write(row + "\n")
        if labels is not None and 0 < labels.sum() < labels.size:
            click.echo(f"AUROC {roc_auc(labels, logit):.4f} on {labels.size} labeled sequences",
                       err=True)

    run_guarded(body)
