"""`kgsynth demo`: the main job, the whole pipeline on BBC News."""

from __future__ import annotations

import click

from kgsynth.app.cli.state import CliState, pass_state


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--seeds", default=8, show_default=True, help="Seed examples per label.")
    @click.option(
        "--test-per-label", default=60, show_default=True, help="Held-out articles per label."
    )
    @click.option(
        "--per-label", default=300, show_default=True, help="Training examples per label."
    )
    @click.option("--epochs", default=2, show_default=True)
    @click.option("--seed", default=0, show_default=True)
    @click.option("--max-docs", type=int, help="Ingest only this many articles (a quick run).")
    @pass_state
    def demo(state: CliState, seeds, test_per_label, per_label, epochs, seed, max_docs) -> None:
        """Run the whole pipeline on BBC News: ingest → classification set from the seeds →
        annotate → clean → export → fine-tune → evaluate on held-out articles."""
        from kgsynth.app.demo import DemoOptions, run_demo

        opts = DemoOptions(
            seeds_per_label=seeds,
            test_per_label=test_per_label,
            per_label=per_label,
            epochs=epochs,
            seed=seed,
            max_docs=max_docs,
        )
        result = run_demo(state.workspace(create=True), opts, log=click.echo)
        click.echo(f"\nmacro-F1 on held-out articles: {result.macro_f1:.3f}")
        click.echo(f"report: {result.report_md}")
        click.echo(f"export: {result.export_dir}   model: {result.run_dir}")
