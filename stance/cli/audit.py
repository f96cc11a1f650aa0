"""``stance audit``: likely label errors in the training data (:func:`stance.audit.audit`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import app, status


@app.command("audit")
def audit_cli(
    config: Path = typer.Option(..., "--config", "-c", help="TOML config; its train and dev splits are audited."),
    folds: int = typer.Option(5, "--folds", "-k", help="Cross-validation folds for out-of-fold predictions."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the ranked issues as JSONL."),
    top: int = typer.Option(50, "--top", help="How many issues to show and write (0: all)."),
    method: str = typer.Option("auto", "--method", help="cleanlab (extra 'labelling'), fallback, or auto."),
    overrides: list[str] = typer.Option([], "--set", help="Override a config value: section.key=value."),
) -> None:
    """Likely label errors in the training data, from out-of-fold predictions, most likely first."""
    from stance.audit import audit
    from stance.config import load_config

    cfg = load_config(config, overrides)
    with status().status(f"cross-validating over {folds} folds"):
        result = audit(cfg, folds, method=method, top=top, out=out)
    for issue in result["issues"]:
        change = ", ".join([f"+{lab}" for lab in issue["add"]] + [f"-{lab}" for lab in issue["remove"]]) or "check"
        typer.echo(
            f"{issue['rank']:>3}. {issue['file']}:{issue['line']}  [{', '.join(issue['labels']) or 'none'}] -> {change}  {issue['text']}"
        )
    typer.echo(
        f"{result['n_issues']} likely label errors among {result['n']} sentences ({result['method']}, {folds} folds)"
        + (f"; top {len(result['issues'])} -> {out}" if out else "")
    )
