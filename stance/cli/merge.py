"""``stance merge``: fold a labelled batch into a corpus (:func:`stance.formats.merge_files`)."""

from __future__ import annotations

from pathlib import Path

import typer

from stance.cli._app import app, status


@app.command("merge")
def merge_cli(
    base: Path = typer.Argument(..., help="Corpus JSONL to merge into."),
    new: Path = typer.Argument(..., help="Labelled batch, corpus JSONL (convert tool exports first)."),
    out: Path = typer.Option(..., "--out", "-o", help="Merged corpus to write (may be BASE)."),
    on_conflict: str = typer.Option("error", "--on-conflict", help="error, ours (keep BASE), theirs (take NEW) or union."),
) -> None:
    """Merge a labelled batch into a corpus; the same sentence with different labels is refused unless told how."""
    from stance.formats import merge_files

    c = merge_files(base, new, out, on_conflict)
    status().print(
        f"{c['total']} rows -> {out}: {c['added']} added, {c['duplicates']} already present, "
        f"{c['conflicts']} conflicts ({on_conflict}), {c['unlabelled']} unlabelled skipped"
    )
