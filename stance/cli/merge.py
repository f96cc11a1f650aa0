"""``stance merge``: fold a labelled batch into a corpus (:func:`stance.formats.merge_files`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import app, echo_err, plural, status


@app.command("merge")
def merge_cli(
    base: Path = typer.Argument(..., help="Labelled data to merge into: JSONL or CSV/TSV, read as train reads it."),
    new: Path = typer.Argument(..., help="Labelled batch (corpus JSONL from suggest or convert, or data shaped like BASE)."),
    out: Path = typer.Option(..., "--out", "-o", help="Merged data to write, in BASE's shape (may be BASE)."),
    on_conflict: str = typer.Option("error", "--on-conflict", help="error, ours (keep BASE), theirs (take NEW) or union."),
    config: Optional[Path] = typer.Option(
        None, "--config", "-c", help="TOML config: its labels are the target's label set, its [data] fields and label format are used."
    ),
) -> None:
    """Merge a labelled batch into a corpus; the same sentence with different labels is refused unless told how."""
    from stance.formats import merge_files

    labels, dcfg = None, None
    if config is not None:
        from stance.config import load_config

        cfg = load_config(config)
        labels, dcfg = cfg.labels, cfg.data
    c = merge_files(base, new, out, on_conflict, labels=labels, cfg=dcfg)
    for lab, where in c["new_labels"].items():
        echo_err(f"warning: label '{lab}' (first at {where}) is not in {base}; merged (--config refuses labels outside its set)")
    status().print(
        f"{plural(c['total'], 'row')} -> {out}: {c['added']} added, {c['duplicates']} already present, "
        f"{plural(c['conflicts'], 'conflict')} ({on_conflict}), {c['unlabelled']} unlabelled skipped"
    )
