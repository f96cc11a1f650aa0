"""``stance audit``: likely label errors in the training data (:func:`stance.audit.audit`)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import app, plural, spinner, status


@app.command("audit")
def audit_cli(
    config: Path = typer.Option(..., "--config", "-c", help="TOML config; its train and dev splits are audited."),
    folds: int = typer.Option(5, "--folds", "-k", help="Cross-validation folds for out-of-fold predictions."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the ranked issues as JSONL."),
    top: int = typer.Option(50, "--top", help="How many issues to show and write (0: all)."),
    method: str = typer.Option("auto", "--method", help="cleanlab (extra 'labelling'), fallback, or auto."),
    overrides: list[str] = typer.Option([], "--set", metavar="SECTION.KEY=VALUE", help="Override a config value: section.key=value."),
) -> None:
    """Likely label errors in the training data, from out-of-fold predictions, most likely first."""
    from stance.audit import audit
    from stance.config import load_config

    cfg = load_config(config, overrides)
    t0 = time.perf_counter()
    with spinner(status(), f"cross-validating over {folds} folds", lines=True) as line:
        result = audit(
            cfg, folds, method=method, top=top, out=out, on_step=lambda m: line.update(f"{m} ({time.perf_counter() - t0:.0f} s)")
        )
    for issue in result["issues"]:
        change = ", ".join([f"+{lab}" for lab in issue["add"]] + [f"-{lab}" for lab in issue["remove"]]) or "check"
        typer.echo(
            f"{issue['rank']:>3}. {issue['file']}:{issue['line']}  [{', '.join(issue['labels']) or 'none'}] -> {change}  {issue['text']}"
        )
    typer.echo(
        f"{plural(result['n_issues'], 'likely label error')} among {plural(result['n'], 'sentence')} ({result['method']}, {folds} folds)"
        + (f"; top {len(result['issues'])} -> {out}" if out else "")
    )
