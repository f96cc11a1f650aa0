"""stance.score: inputs, streaming, parallel and Dask runs, evidence, summaries, and the HTML page in
a real browser."""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from stance.score import (
    Article,
    Summary,
    _cached_model,
    explain,
    iter_articles,
    jsonl_lines,
    run_scoring,
    score_stream,
    score_texts,
    write_summary,
)
from stance.segment import split_sentences
from tests.conftest import ROOT, SEED_ARTICLE

LABELS = ["blame", "threat", "denial"]


def _sentences(n: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    with open(ROOT / "seeds" / "corpus" / "test.jsonl", encoding="utf-8") as fh:
        pool = [json.loads(line)["text"] for line in fh]
    return [rng.choice(pool) for _ in range(n)]


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with the seed article and a JSONL of 40 composed articles (several chunks)."""
    folder = tmp_path_factory.mktemp("many")
    shutil.copy(SEED_ARTICLE, folder / "seed.txt")
    sents = _sentences(400)
    with open(folder / "wire.jsonl", "w", encoding="utf-8") as fh:
        for i in range(40):
            body = "\n\n".join(" ".join(sents[i * 10 + k : i * 10 + k + 5]) for k in (0, 5))
            fh.write(json.dumps({"id": f"wire-{i}", "text": body}) + "\n")
    return folder


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------------------------------------
# Parallel and distributed runs give the same bytes


def test_jobs_2_output_identical_to_jobs_1(default_model: Path, many: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    s1 = run_scoring(str(default_model), [str(many)], str(one), jobs=1)
    s2 = run_scoring(str(default_model), [str(many)], str(two), jobs=2)
    assert one.read_bytes() == two.read_bytes()
    assert len(s1.articles) == len(s2.articles) == 41
    assert s1.totals() == s2.totals()


def test_dask_backend_identical_to_local(default_model: Path, many: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    local, remote = tmp_path / "local.jsonl", tmp_path / "dask.jsonl"
    run_scoring(str(default_model), [str(many)], str(local))
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, host="127.0.0.1", protocol="tcp", dashboard_address=None
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        run_scoring(str(default_model), [str(many)], str(remote), backend="dask", scheduler=cluster.scheduler_address)
    assert local.read_bytes() == remote.read_bytes()


# ---------------------------------------------------------------------------------------------
# Inputs


def test_html_input_is_extracted(default_model: Path, tmp_path: Path) -> None:
    page = tmp_path / "story.html"
    page.write_text(
        "<html><head><title>Minsk</title><style>p{color:red}</style><script>var tracking = 1;</script></head><body>"
        "<nav>Home | World | Sign in</nav><article><h1>Lukashenko warns Kyiv</h1>"
        "<p>The president spoke in Minsk on Thursday.</p>"
        "<p>&ldquo;If they attack us, the answer will be immediate,&rdquo; he said. Nobody replied.</p>"
        "</article></body></html>",
        encoding="utf-8",
    )
    (article,) = iter_articles([str(page)])
    assert article.id == str(page)
    assert "The president spoke in Minsk on Thursday." in article.text
    assert "“If they attack us" in article.text  # entities decoded
    assert "tracking" not in article.text and "color:red" not in article.text
    out = tmp_path / "s.jsonl"
    run_scoring(str(default_model), [str(page)], str(out))
    rows = _read_jsonl(out)
    texts = [r["text"] for r in rows]
    assert "Nobody replied." in texts
    for r in rows:
        assert article.text[r["start"] : r["end"]] == r["text"]  # offsets index the extracted text
    quoted = [r for r in rows if r["text"].startswith("“If they attack us")]
    assert quoted and quoted[0]["quote"]


def test_jsonl_articles_input(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps({"id": "a1", "text": "First story. It has two sentences."}),
        "",
        json.dumps({"text": "No id here."}),
        json.dumps({"id": 7, "text": "Numeric id."}),
    ]
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n")
    articles = list(iter_articles([str(path)]))
    assert [a.id for a in articles] == ["a1", f"{path}:3", "7"]
    assert articles[0].text == "First story. It has two sentences."


def test_jsonl_errors_name_the_line(tmp_path: Path) -> None:
    from stance.errors import StanceError

    path = tmp_path / "feed.jsonl"
    path.write_text(json.dumps({"text": "ok"}) + "\n\n" + '{"text": broken\n', encoding="utf-8")
    with pytest.raises(StanceError, match=r"feed.jsonl:3: malformed JSON"):
        list(iter_articles([str(path)]))
    path.write_text(json.dumps({"title": "no text"}) + "\n", encoding="utf-8")
    with pytest.raises(StanceError, match=r"feed.jsonl:1: expected an object"):
        list(iter_articles([str(path)]))


def test_large_jsonl_is_streamed(tmp_path: Path) -> None:
    """A JSONL longer than the sniffing window is read line by line, with the same articles."""
    path = tmp_path / "big.jsonl"
    texts = _sentences(3000, seed=1)
    with open(path, "w", encoding="utf-8") as fh:
        for i, t in enumerate(texts):
            fh.write(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n")
    assert path.stat().st_size > 100_000
    articles = list(iter_articles([str(path)]))
    assert [a.text for a in articles] == texts and articles[-1].id == "2999"


def test_stdin_text_and_jsonl(default_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (article,) = iter_articles(["-"], stdin=io.BytesIO(b"  We will crush them. The weather was fine.\n"))
    assert article.id == "<stdin>" and article.text.startswith("  We will crush")
    feed = b"\n" + b"\n".join(json.dumps({"id": f"s{i}", "text": f"Story {i} is here."}).encode() for i in range(3))
    assert [a.id for a in iter_articles(["-"], stdin=io.BytesIO(feed))] == ["s0", "s1", "s2"]
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(feed)))
    out = tmp_path / "s.jsonl"
    summary = run_scoring(str(default_model), ["-"], str(out))
    assert [r["article"] for r in _read_jsonl(out)] == ["s0", "s1", "s2"] and len(summary.articles) == 3


# ---------------------------------------------------------------------------------------------
# Records, evidence, summaries


def test_seed_speaker_breakdown(default_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    summary = run_scoring(str(default_model), [str(SEED_ARTICLE)], str(out))
    (row,) = list(summary.articles)
    assert row["by_speaker"]["Alexander Lukashenko"]["threat"] > 0
    assert set(row["by_speaker"]["Alexander Lukashenko"]) == set(LABELS)
    assert row["boilerplate_sentences"] == 6 and row["content_sentences"] + 6 == row["sentences"]
    speakers = {s["speaker"]: s for s in summary.speaker_table()}
    assert speakers["Alexander Lukashenko"]["counts"]["threat"] == row["by_speaker"]["Alexander Lukashenko"]["threat"]
    assert "(unattributed)" in speakers
    rows = _read_jsonl(out)
    assert (
        sum("threat" in r["labels"] for r in rows if r["speaker"] == "Alexander Lukashenko" and not r["boilerplate"])
        == (row["by_speaker"]["Alexander Lukashenko"]["threat"])
    )
    for r in rows:
        assert set(r["evidence"]) == set(r["labels"])  # evidence for each predicted label, and only those
        for terms in r["evidence"].values():
            assert terms and all(w > 0 for _, w in terms)


def test_summary_csv_columns(default_model: Path, many: Path, tmp_path: Path) -> None:
    path, js = tmp_path / "summary.csv", tmp_path / "summary.json"
    run_scoring(str(default_model), [str(many)], str(tmp_path / "s.jsonl"), summary_path=str(path))
    run_scoring(str(default_model), [str(many)], str(tmp_path / "s.jsonl"), summary_path=str(js))
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["kind", "name", "sentences", *[f"{x}_count" for x in LABELS], *[f"{x}_rate" for x in LABELS]]
    articles = [r for r in rows if r["kind"] == "article"]
    speakers = [r for r in rows if r["kind"] == "speaker"]
    assert len(articles) == 41 and {r["name"] for r in articles} >= {"wire-0", "wire-39"}
    assert any(r["name"] == "Alexander Lukashenko" for r in speakers)
    summary = json.loads(js.read_text(encoding="utf-8"))
    assert summary["totals"]["articles"] == 41
    for r, a in zip(articles, summary["articles"]):
        assert r["name"] == a["article"] and int(r["sentences"]) == a["content_sentences"]
        assert [int(r[f"{x}_count"]) for x in LABELS] == [a["counts"][x] for x in LABELS]
        assert [float(r[f"{x}_rate"]) for x in LABELS] == [a["rates"][x] for x in LABELS]


def test_summary_rows_spool_to_disk(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Past SUMMARY_ROWS_IN_MEMORY rows the per-article rows go to a temporary file; the summary
    files are the same either way."""
    import stance.score as score

    def run(keep: int) -> tuple[Summary, str]:
        monkeypatch.setattr(score, "SUMMARY_ROWS_IN_MEMORY", keep)
        s = Summary(LABELS)
        for i in range(25):
            recs = [{"labels": ["blame"] if i % 3 else [], "speaker": "Smith" if i % 2 else None, "boilerplate": i == 4}]
            s.add(Article(f"a{i}", "x"), recs)
        write_summary(s, tmp_path / f"s{keep}.json")
        return s, (tmp_path / f"s{keep}.json").read_text(encoding="utf-8")

    (mem, a), (spooled, b) = run(1000), run(10)
    assert a == b and json.loads(a)["totals"] == mem.totals() == spooled.totals()
    assert len(spooled.articles) == 25 and spooled.articles[24]["article"] == "a24" and spooled.articles._spool is not None
    assert a == json.dumps({"totals": mem.totals(), "articles": list(mem.articles), "speakers": mem.speaker_table()}, indent=2) + "\n"


def _evidence_by_reanalysis(model: Any, texts: list[str], F: Any, top_k: int) -> list[dict]:
    """model.evidence with the vocabulary map switched off: terms found by re-analysing each sentence."""
    import copy

    slow = copy.copy(model)
    slow._evidence_cache = (model.coefficients(), None, None)
    return slow.evidence(texts, F, top_k=top_k)


def test_evidence_vocabulary_map_matches_reanalysis(default_model: Path) -> None:
    """Columns are mapped to terms once per model; that must say exactly what re-analysing says."""
    model = _cached_model(str(default_model))
    texts = [s.text for s in split_sentences(SEED_ARTICLE.read_text(encoding="utf-8"))]
    texts += _sentences(300, seed=2)
    F = model.transform_features(texts)
    Yhat = model.thresholds_ <= model.proba_with_features(texts, F)
    assert Yhat.any(axis=1).sum() > 20
    fast = explain(model, texts, F, Yhat, 5)
    rows = np.flatnonzero(Yhat.any(axis=1))
    slow = _evidence_by_reanalysis(model, [texts[i] for i in rows], F[rows], 5)
    for i, full in zip(rows, slow):
        assert fast[int(i)] == {model.labels_[j]: full[model.labels_[j]] for j in np.flatnonzero(Yhat[i])}


@pytest.mark.parametrize("overrides", [["features.char_ngrams=[2, 4]"], ["features.stem_ngrams=[1, 2]"], ['features.kind="hashing"']])
def test_evidence_other_feature_kinds(tiny_config: Path, tmp_path: Path, overrides: list[str]) -> None:
    """Character and stem n-grams use the vocabulary map (terms shared between parts are added up);
    hashed n-grams cannot be mapped back and are re-analysed."""
    from stance.config import load_config
    from stance.train import train

    train(load_config(tiny_config, overrides), tmp_path / "m")
    model = _cached_model(str(tmp_path / "m"))
    texts = _sentences(60, seed=3)
    F = model.transform_features(texts)
    assert (model.features_.column_names() is None) == ("hashing" in overrides[0])
    assert model.evidence(texts, F, top_k=3) == _evidence_by_reanalysis(model, texts, F, 3)


# ---------------------------------------------------------------------------------------------
# Memory


def test_memory_stays_flat_over_many_articles(default_model: Path) -> None:
    """Scoring a generator of 2,000 small articles holds one chunk at a time: the traced peak is no
    higher than for 400 articles, and a small fraction of what holding every output line would take."""
    rng = random.Random(5)
    pool = _sentences(2000, seed=4)

    def articles(n: int):  # noqa: ANN202
        for i in range(n):
            yield Article(f"a{i}", " ".join(rng.choice(pool) for _ in range(5)))

    def peak_and_output(n: int) -> tuple[int, int]:
        total = 0
        tracemalloc.start()
        try:
            for _article, records in score_stream(str(default_model), articles(n)):
                total += len(jsonl_lines(records))
            return tracemalloc.get_traced_memory()[1], total
        finally:
            tracemalloc.stop()

    for _ in score_stream(str(default_model), articles(20)):  # load the model and warm the caches first
        pass
    small, _ = peak_and_output(400)
    peak, total = peak_and_output(2000)
    assert total > 3_000_000
    assert peak < 1.5 * small + 100_000, (small, peak)
    assert peak < total / 5, (peak, total)


# ---------------------------------------------------------------------------------------------
# The HTML page in a real browser


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

    (records,) = score_texts(_cached_model(str(default_model)), [Article("seed", SEED_ARTICLE.read_text(encoding="utf-8"))])
    expected = {(r["text"], lab) for r in records for lab in r["labels"]}
    shown = {(unescape(text), c[2:]) for classes, text in spans for c in classes.split() if c.startswith("l-")}
    assert shown == expected and expected
    assert any("Sign Up Now" in text for classes, text in spans if "boiler" in classes.split())
    assert "<h2>Summary</h2>" in html and "<h2>By speaker</h2>" in html
    assert re.search(r"<tr><td>Alexander Lukashenko</td><td>\d+</td>", html)
    assert 'class="speakers"' in html and "<b>Alexander Lukashenko</b>" in html
    assert png.returncode == 0 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_score_texts_empty_and_whitespace_articles(default_model: Path) -> None:
    model = _cached_model(str(default_model))
    assert score_texts(model, [Article("a", ""), Article("b", "  \n\n ")]) == [[], []]
    out = score_texts(model, [Article("a", ""), Article("b", "They started this war.")], evidence=0)
    assert out[0] == [] and len(out[1]) == 1 and "evidence" not in out[1][0]
