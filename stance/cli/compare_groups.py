"""``stance compare-groups``: which groups of a grouped summary differ (:func:`stance.summary.read_comparisons`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from stance.cli._app import app, print_table


@app.command("compare-groups")
def compare_groups_cli(
    summary: Path = typer.Argument(..., help="JSON summary from `stance score --summary FILE.json --group-by FIELD`."),
    grouping: Optional[str] = typer.Option(None, "--grouping", "-g", help="Only this grouping (as given to --group-by)."),
    label: Optional[str] = typer.Option(None, "--label", "-l", help="Only this label."),
    every: bool = typer.Option(False, "--all", help="Every compared pair, not only those that differ."),
    out: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the pairs as JSON."),
) -> None:
    """Which pairs of groups differ in corrected prevalence (paired bootstrap, Holm-adjusted over pairs)."""
    from stance.fileio import write_json
    from stance.summary import read_comparisons

    result = read_comparisons(summary, grouping, label, every)
    pairs = result["pairs"]
    if pairs:
        rows = [["grouping", "label", "a", "b", "a %", "b %", "a - b", "95% interval", "p (Holm)", "differs"]]
        for p in pairs:
            ci = f"[{100 * p['ci'][0]:+.1f}, {100 * p['ci'][1]:+.1f}]" if p["ci"] else "–"
            rows.append(
                [
                    p["grouping"],
                    p["label"],
                    p["a"],
                    p["b"],
                    _pct(p["prevalence_a"]),
                    _pct(p["prevalence_b"]),
                    _pct(p["difference"], "+"),
                    ci,
                ]
                + [f"{p['p_holm']:.3f}" if p["p_holm"] is not None else "–", "yes" if p["differs"] else "no"]
            )
        print_table(rows)
    kind = "compared pairs" if every else "pairs that differ"
    typer.echo(
        f"{len(pairs)} {kind} ({result['method'].upper()}, paired bootstrap, Holm-adjusted p < 0.05)" + (f" -> {out}" if out else "")
    )
    if out:
        write_json(out, result)


def _pct(x: float | None, sign: str = "") -> str:
    return "–" if x is None else f"{100 * x:{sign}.1f}"
