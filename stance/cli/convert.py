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
    config: Optional[Path] = typer.Option(
        None, "--config", "-c", help="TOML config: a corpus is read with its [data] fields and label format; its labels unless --labels."
    ),
) -> None:
    """Convert between the corpus format and Label Studio JSON or doccano JSONL."""
    from stance.formats import convert, label_studio_config

    label_list = [x.strip() for x in labels.split(",") if x.strip()] if labels is not None else None
    dcfg = None
    if config is not None:
        from stance.config import load_config

        cfg = load_config(config)
        label_list, dcfg = label_list if label_list is not None else cfg.labels, cfg.data
    result = convert(src, dst, from_fmt, to_fmt, label_list, dcfg)
    status().print(f"wrote {result['rows']} rows ({result['unlabelled']} unlabelled) to {dst} as {to_fmt}")
    if to_fmt == "label-studio" and result["labels"] and not quiet():
        typer.echo("Label Studio labelling interface for these tasks:\n" + label_studio_config(result["labels"]))
