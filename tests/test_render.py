"""stance.render: Markdown, HTML pages and plots; the scores page in a real browser."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from stance.articles import Article
from stance.artifact import load_model_cached
from stance.batch import run_scoring
from stance.compare import compare_reports
from stance.evaluate import build_report
from stance.render.html import comparison_html, evaluation_html
from stance.render.markdown import comparison_markdown, evaluation_markdown
from stance.scoring import score_texts
from tests.conftest import (
    SEED_ARTICLE,
)


def _report(Y: np.ndarray, P: np.ndarray, sha: str = "abc") -> dict:
    labels = ["a", "b"]
    from stance.evaluate import build_report

    P = P.astype(float)
    return build_report(
        [f"t{i}" for i in range(len(Y))],
        Y,
        P,
        (P >= 0.5).astype(np.uint8),
        labels,
        [0.5, 0.5],
        {"path": "x", "sha256": sha, "n": len(Y)},
        {"path": "m"},
        n_boot=0,
    )


def test_markdown_and_html_render() -> None:

    rng = np.random.default_rng(4)
    Y = rng.integers(0, 2, (60, 2))
    res = compare_reports([_report(Y, rng.random((60, 2))), _report(Y, rng.random((60, 2)))], ["r1", "r2"], n_resamples=100)
    assert "| macro-F1 |" in comparison_markdown(res)
    page = comparison_html(res)
    assert "<img" in page and "data:image/png;base64" in page


def test_report_renders() -> None:
    rng = np.random.default_rng(1)
    Y = rng.integers(0, 2, (50, 2)).astype(np.uint8)
    P = rng.random((50, 2))
    rep = build_report(
        [f"sentence {i}" for i in range(50)],
        Y,
        P,
        (P >= 0.5).astype(np.uint8),
        ["blame", "threat"],
        [0.5, 0.5],
        {"path": "d.jsonl", "sha256": "0" * 64, "n": 50},
        {"path": "m", "model_sha256": "1" * 64, "thresholds": {"blame": 0.5, "threat": 0.5}, "config": {}, "versions": {}},
        n_boot=50,
    )
    assert rep["schema_version"] == 1 and len(rep["predictions"]) == 50
    assert rep["errors"]["blame"]["false_positives"] or rep["errors"]["blame"]["false_negatives"]
    md = evaluation_markdown(rep)
    assert "| blame |" in md and "macro-F1" in md
    page = evaluation_html(rep)
    assert page.count("data:image/png;base64") == 3


def test_html_renders_in_headless_chromium(default_model: Path, tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        pytest.skip("no Chromium on PATH")
    page = tmp_path / "scores.html"
    run_scoring(str(default_model), [str(SEED_ARTICLE)], str(page), fmt="html")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    shot = tmp_path / "page.png"
    try:
        dom = subprocess.run([browser, *flags, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=90)
        png = subprocess.run(
            [browser, *flags, "--window-size=1200,1600", f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=90
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        pytest.skip(f"{browser} could not run headless here: {exc}")
    if dom.returncode != 0 or "<html" not in dom.stdout:
        pytest.skip(f"{browser} could not run headless here: {dom.stderr.strip()[-300:]}")
    html = dom.stdout
    # the browser parsed the page into the highlighted sentences and both summary tables
    import re

    spans = re.findall(r'<span class="s ([^"]*)"[^>]*>(.*?)</span>', html)
    threat = [text for classes, text in spans if "l-threat" in classes.split()]
    assert any("the answer will be immediate" in t for t in threat)
    # every sentence the scorer labelled is highlighted with its labels, and no other
    from html import unescape

    (records,) = score_texts(load_model_cached(str(default_model)), [Article("seed", SEED_ARTICLE.read_text(encoding="utf-8"))])
    expected = {(r["text"], lab) for r in records for lab in r["labels"]}
    shown = {(unescape(text), c[2:]) for classes, text in spans for c in classes.split() if c.startswith("l-")}
    assert shown == expected and expected
    assert any("Sign Up Now" in text for classes, text in spans if "boiler" in classes.split())
    assert "<h2>Summary</h2>" in html and "<h2>By holder</h2>" in html
    assert re.search(r"<tr><td>Alexander Lukashenko</td><td>\d+</td>", html)
    assert 'class="speakers"' in html and "<b>Alexander Lukashenko</b>" in html
    assert png.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_scores_are_visible_without_hovering(model_dir: Path, tmp_path: Path) -> None:
    """On print and on touch screens there is no hover: each labelled sentence shows its labels and scores."""
    import re
    from html import unescape

    article = tmp_path / "a.txt"
    article.write_text("If they cross the border, we will strike back without mercy. The weather was fine.", encoding="utf-8")
    page = tmp_path / "s.html"
    run_scoring(str(model_dir), [str(article)], str(page), fmt="html", evidence=0)
    html = page.read_text(encoding="utf-8")
    (records,) = score_texts(load_model_cached(str(model_dir)), [Article("a", article.read_text(encoding="utf-8"))], evidence=0)
    labelled = [r for r in records if r["labels"]]
    assert labelled
    shown = [unescape(x) for x in re.findall(r'<sup class="sc">(.*?)</sup>', html)]
    assert shown == [", ".join(f"{lab} {r['scores'][lab]:.2f}" for lab in r["labels"]) for r in labelled]
    assert "@media print" in html
