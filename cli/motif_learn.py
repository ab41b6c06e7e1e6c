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
              help="Write the learned motifs as PWMs: ranked by importance, trimmed, "
                   "near-identical and reverse-complement copies merged (see --top-motifs, "
                   "--trim, --merge, --rank-by).")
@click.option("--motif-format", type=click.Choice(_MOTIF_FORMATS),
              help="Format of --motifs (default: from the extension, else MEME).")
@click.option("--logos", "logos_dir", type=OUTPUT_PATH,
              help="Write one sequence-logo PNG per exported motif into this folder (needs "
                   "matplotlib).")
@click.option("--labeled", is_flag=True,
              help="POSITIVES alone carries labels: FASTA headers '>id LABEL' (tabular "
                   "'>id SEQUENCE LABEL' files are detected without this flag).")
@click.option("--config", "config", default="auto", show_default=True,
              type=click.Choice(["auto", "chipseq", "chipseq-wide", "fast"]),
              help="Model configuration. auto: train the chipseq and chipseq-wide configurations "
                   "on the same validation split of the training data and keep the better "
                   "(validation AUROC), completed to an average of 3 networks; chipseq: 3 x 128 "
                   "filters of 9 bp + a 7-mer term; chipseq-wide: the same with 19 bp filters; "
                   "fast: 16 filters of 15 bp (one strong motif, small data). Model options given "
                   "below override the configuration's values.")
@click.option("--filters", "n_filters", default=None, type=click.IntRange(1),
              help="Filters per network [config; fast: 16].")
@click.option("--width", default=None, type=click.IntRange(1), help="Filter width [config].")
@click.option("--rc/--no-rc", "rc_shared", default=True, show_default=True,
              help="Share each filter between both strands (reverse-complement tied).")
@click.option("--augment-rc", is_flag=True,
              help="Also train on reverse complements (for --no-rc models).")
@click.option("--conjoin", is_flag=True,
              help="With --no-rc: predict with the mean log-odds of a sequence and its reverse "
                   "complement (post-hoc conjoining; best with --augment-rc).")
@click.option("--strand-pooling", type=click.Choice(["max", "mean"]), default=None,
              help="[config] "
                   "With --rc and max pooling: the better strand's best window (max), or the mean "
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
@click.option("--l2", default=None, type=float, help="L2 penalty [config].")
@click.option("--kmer", default=None, type=click.IntRange(0, 10),
              help="[config] Add a jointly trained linear term on k-mer counts of this length (0 = none; "
                   "canonical k-mers with --rc).")
@click.option("--kmer-l2", default=None, type=float,
              help="L2 penalty of the k-mer weights [config; fast: --l2].")
@click.option("--kmer-learning-rate", default=None, type=float,
              help="Adam step size of the k-mer weights [default: --learning-rate].")
@click.option("--models", "n_models", default=None, type=click.IntRange(1),
              help="Average this many networks trained from independent seeds (stored as one "
                   "model) [config].")
@click.option("--learning-rate", default=None, type=float, help="Adam step size [config].")
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
@click.option("--trim", default=0.3, show_default=True, type=float,
              help="Drop flanking PWM columns with less information (bits) than this.")
@click.option("--top-motifs", default=20, show_default=True, type=click.IntRange(1),
              help="Export at most this many motifs (after merging), most important first.")
@click.option("--merge", default=0.8, show_default=True, type=click.FloatRange(0, 1, min_open=True),
              help="Merge exported motifs this similar (column Pearson correlation per column of "
                   "the narrower motif, either strand); 1 merges only exact copies.")
@click.option("--rank-by", type=click.Choice(["auroc", "weight"]), default="auroc",
              show_default=True,
              help="Rank filters by drop-in AUROC loss on the validation split, or by output "
                   "weight x feature spread.")
@click.option("--compare", "compare_path", type=click.Path(dir_okay=False),
              help="Annotate exported motifs (and top k-mers) with the closest motifs of this "
                   "database (JASPAR, MEME, TRANSFAC, ...; Tomtom-style p-values).")
@click.option("--report", "report_path", type=OUTPUT_PATH,
              help="Write the exported motifs as a TSV: rank, importance, merged filters, best "
                   "database match.")
@click.option("--kmers", "kmers_path", type=OUTPUT_PATH,
              help="Write the k-mer term's top k-mers (weight, best database match) as a TSV.")
@seed_option(0, "Random seed (initialisation, validation split, batches, shuffled negatives).")
@threads_option()
@progress_option("the epochs (with the losses and validation AUROC)")
@renamed_option("-q", "--quiet", to="progress", new="--no-progress", is_flag=True,
                value=lambda v: False)
@writes(model_path="-o", motifs_path="--motifs", logos_dir=folder("--logos"),
        report_path="--report", kmers_path="--kmers")
def train(positives, negatives, model_path, motifs_path, motif_format, logos_dir, labeled,
          config, n_filters, width, rc_shared, augment_rc, conjoin, strand_pooling, palindromic,
          pooling, activation,
          dropout, init, init_scale,
          l2, kmer, kmer_l2, kmer_learning_rate, n_models, learning_rate, batch_size,
          max_epochs, patience, validation_fraction, pwm_from, beta, trim, top_motifs, merge,
          rank_by, compare_path, report_path, kmers_path, seed, threads, progress):
    """Train a motif CNN on POSITIVES (bound) vs NEGATIVES (unbound).

    Without NEGATIVES, POSITIVES is either labeled (--labeled, or a tabular file) or every positive
    gets a dinucleotide-shuffled negative (seeded by --seed). Prints a summary and the per-filter
    parameter counts (shared vs locally connected).
    """
    def body():
        from pairhmm.errors import InvalidParameter
        from pairhmm.motif.cnn import AUTO_CANDIDATES, CONFIGS, MotifCNN, load_training_data, write_motif_file
        from pairhmm.motif.compare import MotifDatabase

        if logos_dir:  # fail before training, not after
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                raise InvalidParameter("--logos", logos_dir,
                                       "needs matplotlib: pip install 'pairhmm[plot]'") from None
        database = MotifDatabase.read(compare_path) if compare_path else None  # fail early
        ids, seqs, labels, sources = load_training_data(positives, negatives, labeled=labeled,
                                                        random_state=seed, return_sources=True)
        # model options given on the command line override the configuration's values
        given = {"n_filters": n_filters, "width": width, "strand_pooling": strand_pooling,
                 "l2": l2, "kmer": kmer, "kmer_l2": kmer_l2, "n_models": n_models,
                 "learning_rate": learning_rate}
        given = {k: v for k, v in given.items() if v is not None}
        model = MotifCNN(**given, rc_shared=rc_shared,
                         palindromic=_parse_palindromic(palindromic, n_filters or 16),
                         pooling=pooling,
                         activation=activation, dropout=dropout, init=init, augment_rc=augment_rc,
                         conjoin=conjoin,
                         init_scale=(init_scale if init_scale is not None
                                     else 1.0 if init == "data" else 0.1),
                         kmer_learning_rate=kmer_learning_rate,
                         batch_size=batch_size,
                         max_epochs=max_epochs, patience=patience,
                         validation_fraction=validation_fraction, config=config,
                         keep=tuple(given) + (("kmer_learning_rate",) if kmer_learning_rate else ()),
                         n_jobs=threads,
                         random_state=seed)
        names = AUTO_CANDIDATES if config == "auto" else (config,)
        if kmers_path and not any(given.get("kmer", CONFIGS[c]["kmer"]) for c in names):
            raise InvalidParameter("--kmers", kmers_path, "the model has no k-mer term (--kmer 0)")
        most = max(given.get("n_models", CONFIGS[c].get("n_models", 1)) for c in names)
        total = max_epochs * (len(names) + most - 1 if config == "auto" else most)
        bar = None

        def tick(entry: dict) -> None:
            nonlocal bar
            if bar is None:  # opened at the first epoch, so input errors print no empty bar
                bar = progress_bar(total=total, desc="epochs", unit="epoch", enabled=progress)
            bar.update(1)
            tag = {"config": entry["config"]} if config == "auto" else {}
            if "model" in entry:
                tag["model"] = entry["model"]
            bar.set_postfix(**tag, epoch=entry["epoch"], loss=f"{entry['train_loss']:.4f}",
                            val_loss=f"{entry['val_loss']:.4f}",
                            val_auroc=f"{entry['val_auroc']:.4f}")

        named = _named(ids, seqs, sources)
        try:
            model.fit(named, labels, callback=tick)
        finally:
            if bar is not None:
                bar.close()
        with atomic_output(model_path, "w") as fh:
            model.save(fh)
        bound = [s for s, lab in zip(seqs, labels) if lab == 1] if pwm_from == "sites" else None
        learned = model.export_motifs(sites=bound, top=top_motifs, trim=trim, merge=merge,
                                      database=database, by=rank_by, beta=beta)
        exported = [lm.motif for lm in learned]
        kmer_rows = model.export_kmers(10, database) if model.kmer else []
        if report_path:
            with atomic_output(report_path, "w") as fh:
                _write_report(fh, learned)
        if kmers_path:
            with atomic_output(kmers_path, "w") as fh:
                _write_kmers(fh, kmer_rows)
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
        choice = getattr(model, "config_", None)
        if choice:
            cands = ", ".join(f"{c['config']} {c['validation_auroc']:.4f}"
                              for c in choice["candidates"])
            how = (f"chosen by validation AUROC ({cands})" if choice["config"] == "auto"
                   else f"validation AUROC {choice['candidates'][0]['validation_auroc']:.4f}")
            fixed = ", ".join(f"{k}={v}" for k, v in choice["fixed"].items())
            echo(f"configuration: {choice['chosen']} ({how}){'; set: ' + fixed if fixed else ''}")
        echo(f"model: {model.n_models} x {model.n_filters} filters of {model.width} bp"
                   + (f", {model.kmer}-mer term" if model.kmer else "")
                   + f", learning rate {model.learning_rate}, l2 {model.l2}, strand pooling "
                   f"{model.strand_pooling}")
        for i, e in enumerate(model.best_epochs_, 1):
            best = runs[i][e - 1]
            who = f"model {i}: " if model.n_models > 1 else ""
            echo(f"{who}best epoch {e} of {len(runs[i])}, validation loss "
                       f"{best['val_loss']:.4f}, validation AUROC {best['val_auroc']:.4f}")
        if getattr(model, "filter_auroc_loss_", None) is not None:
            msg = (f"importance measured on the {model.importance_data_}: AUROC "
                   f"{model.importance_auroc_:.4f}")
            if model.kmer:
                msg += f"; without the k-mer term {model.importance_auroc_ - model.kmer_auroc_loss_:.4f}"
            echo(msg)
        echo("top motifs:")
        for lm in learned[:5]:
            line = (f"  {lm.rank}. {lm.motif.name} {lm.motif.consensus} (AUROC loss "
                    f"{lm.auroc_loss:.4f}, {len(lm.merged)} merged, group "
                    f"{lm.group_importance:.4f})")
            if lm.matches:
                mt = lm.matches[0]
                line += (f"  best match {mt.id} {mt.name} (offset {mt.offset}, strand {mt.strand}, "
                         f"p = {mt.pvalue:.2g})")
            echo(line)
        if kmer_rows:
            echo("top k-mers: " + ", ".join(
                f"{r['kmer']} {r['weight']:+.3f}" + (f" ({r['match'].name})" if "match" in r else "")
                for r in kmer_rows[:5]))
        echo("")
        echo("parameters per filter (shared convolution vs a locally-connected layer over "
                   f"L = {model.seq_length_} bp):")
        echo(model.parameter_report())

    run_guarded(body)


def _write_report(fh, learned) -> None:
    """The exported motifs as a TSV (one row per motif, most important first)."""
    fh.write("rank\tmotif\tfilter\tconsensus\twidth\tauroc_loss\tweight_importance\t"
             "group_importance\tmerged\t"
             "match_id\tmatch_name\toffset\tstrand\toverlap\tscore\tpvalue\tevalue\n")
    for lm in learned:
        merged = ",".join(f"{k}({st})" for k, st in lm.merged)
        row = [lm.rank, lm.motif.matrix_id, lm.filter, lm.motif.consensus, lm.motif.length,
               f"{lm.auroc_loss:.5f}", f"{lm.weight_importance:.5f}",
               f"{lm.group_importance:.5f}", merged or "-"]
        if lm.matches:
            mt = lm.matches[0]
            row += [mt.id, mt.name, mt.offset, mt.strand, mt.overlap, f"{mt.score:.3f}",
                    f"{mt.pvalue:.3g}", f"{mt.evalue:.3g}"]
        else:
            row += ["-"] * 8
        fh.write("\t".join(str(v) for v in row) + "\n")


def _write_kmers(fh, rows) -> None:
    """The top k-mers as a TSV."""
    fh.write("rank\tkmer\tweight\tmatch_id\tmatch_name\toffset\tstrand\tpvalue\n")
    for r in rows:
        row = [r["rank"], r["kmer"], f"{r['weight']:.5f}"]
        mt = r.get("match")
        row += [mt.id, mt.name, mt.offset, mt.strand, f"{mt.pvalue:.3g}"] if mt else ["-"] * 5
        fh.write("\t".join(str(v) for v in row) + "\n")


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
