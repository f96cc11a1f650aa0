"""``stance convert``: corpus <-> Label Studio / doccano (:func:`stance.formats.convert`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import app, quiet, status


@app.command("convert")
def convert_cli(
    src: Path = typer.Argument(..., help="File to read."),
    dst: Path = typer.Argument(..., help="File to write."),
    from_fmt: str = typer.Option(..., "--from", help="corpus, label-studio or doccano."),
    to_fmt: str = typer.Option(..., "--to", help="corpus, label-studio or doccano."),
    labels: Optional[str] = typer.Option(None, "--labels", help="Comma-separated label set; other labels are errors."),
) -> None:
    """Convert between the corpus format and Label Studio JSON or doccano JSONL."""
    from stance.formats import convert, label_studio_config

    label_list = [x.strip() for x in labels.split(",") if x.strip()] if labels is not None else None
    result = convert(src, dst, from_fmt, to_fmt, label_list)
    status().print(f"wrote {result['rows']} rows ({result['unlabelled']} unlabelled) to {dst} as {to_fmt}")
    if to_fmt == "label-studio" and result["labels"] and not quiet():
        typer.echo("Label Studio labelling interface for these tasks:\n" + label_studio_config(result["labels"]))
