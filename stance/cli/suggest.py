"""``stance suggest``: the sentences most worth labelling next (:func:`stance.suggest.suggest`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional

import typer

from stance.cli._app import app, plural, spinner, status


@app.command("suggest")
def suggest_cli(
    model: Path = typer.Argument(..., help="Model directory."),
    inputs: list[str] = typer.Argument(..., help="Articles: files (.txt, .html, .jsonl of {id, text}), folders, or - for stdin."),
    n: int = typer.Option(200, "--n", "-n", help="How many sentences to suggest."),
    out: Optional[str] = typer.Option(None, "--out", "-o", help="Batch to write as corpus JSONL (default: standard output)."),
    seed: int = typer.Option(0, "--seed", help="Breaks ties between equally uncertain sentences."),
    exclude: list[Path] = typer.Option([], "--exclude", help="Labelled data whose sentences are not suggested again (repeatable)."),
    diversity: float = typer.Option(0.3, "--diversity", help="0: uncertainty only; 1: spread only."),
    trust_model: bool = typer.Option(
        False, "--trust-model", help="Load a joblib model (a pickle: loading it runs code; only models you trust)."
    ),
) -> None:
    """The sentences most worth labelling next: uncertain, diverse, no boilerplate."""
    from stance.suggest import suggest

    counts = {"articles": 0, "sentences": 0, "boilerplate": 0}

    def tick(article: Any, records: list[dict[str, Any]]) -> None:
        counts["articles"] += 1
        counts["sentences"] += len(records)
        counts["boilerplate"] += sum(r["boilerplate"] for r in records)

    to_file = out not in (None, "-")
    with spinner(status(), "scoring and choosing sentences"):
        batch = suggest(
            model,
            inputs,
            n=n,
            seed=seed,
            exclude=exclude,
            diversity=diversity,
            on_article=tick,
            out=out if to_file else None,
            trust_model=trust_model,
        )
    if not to_file:
        for row in batch:
            typer.echo(json.dumps(row, ensure_ascii=False))
    status().print(
        f"{len(batch)} of {plural(counts['sentences'], 'sentence')} in {plural(counts['articles'], 'article')} suggested "
        f"({counts['boilerplate']} boilerplate skipped)" + (f" -> {out}" if to_file else "")
    )
