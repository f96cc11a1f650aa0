"""stance.articles: files, folders, HTML, JSONL and standard input; encodings; arbitrary bytes."""

from __future__ import annotations

import io
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stance.articles import Article, SkippedInputWarning, as_articles, iter_articles
from stance.artifact import load_model
from stance.batch import run_scoring
from stance.errors import StanceError
from stance.scoring import score_texts
from tests.conftest import (
    POSIX,
    SEED_ARTICLE,
    assert_one_line_error,
    cli,
    corpus_sentences,
    encodings,
    read_jsonl,
)


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
    rows = read_jsonl(out)
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
    texts = corpus_sentences(3000, seed=1)
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
    assert [r["article"] for r in read_jsonl(out)] == ["s0", "s1", "s2"] and len(summary.articles) == 3


def test_article_encodings_score_identically(model_dir: Path, tmp_path: Path) -> None:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    model, _ = load_model(model_dir)
    (expected,) = score_texts(model, [Article("x", text)])
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in encodings(text).items():
        (folder / f"{name}.txt").write_bytes(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        articles = list(iter_articles([str(folder)]))
    assert len(articles) == 6
    for article in articles:
        assert article.text == text, article.id
        (records,) = score_texts(model, [article])
        assert [(r["start"], r["end"], r["text"], r["scores"]) for r in records] == [
            (r["start"], r["end"], r["text"], r["scores"]) for r in expected
        ]


def test_binary_and_unreadable_files_among_many_are_skipped(model_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    for i in range(5):
        (folder / f"a{i}.txt").write_text(f"They blamed the mayor for flood {i}. We will respond.", encoding="utf-8")
    (folder / "sub" / "photo.txt").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00")
    (folder / "sub" / "archive.html").write_bytes(b"PK\x03\x04\x14\x00\x00\x00")
    (folder / "sub" / "empty.md").write_bytes(b"")
    (folder / "sub" / "utf16.txt").write_bytes("There was no invasion.".encode("utf-16"))
    (folder / "image.png").write_bytes(b"\x89PNG\x00")  # not a text suffix: never opened
    unreadable = folder / "sub" / "locked.txt"
    unreadable.write_text("secret")
    unreadable.chmod(0)
    can_lock = POSIX and os.geteuid() != 0  # root reads anything
    out = tmp_path / "scores.jsonl"
    summary = tmp_path / "summary.json"
    try:
        r = cli("score", model_dir, folder, "--out", out, "--summary", summary)
    finally:
        unreadable.chmod(0o644)
    assert r.exit_code == 0, r.output
    assert "photo.txt: skipped, binary file" in r.stderr and "archive.html: skipped, binary file" in r.stderr
    assert "empty.md: skipped, empty file" in r.stderr
    if can_lock:
        assert "locked.txt: skipped, cannot read" in r.stderr
    articles = {a["article"] for a in json.loads(summary.read_text())["articles"]}
    assert {str(folder / f"a{i}.txt") for i in range(5)} | {str(folder / "sub" / "utf16.txt")} <= articles
    assert not any(name in a for a in articles for name in ("photo", "archive", "empty", "image"))
    assert all(json.loads(line)["article"] in articles for line in out.read_text().splitlines())
    with pytest.warns(SkippedInputWarning):
        list(iter_articles([str(folder)]))


@settings(
    max_examples=int(os.environ.get("STANCE_FUZZ_EXAMPLES", "80")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.one_of(st.binary(max_size=400), st.text(max_size=300).map(lambda s: s.encode("utf-8", "surrogatepass"))),
    suffix=st.sampled_from([".txt", ".jsonl", ".md"]),
    in_folder=st.booleans(),
)
def test_arbitrary_bytes_never_crash_score(tiny_model: Path, data: bytes, suffix: str, in_folder: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "in"
        folder.mkdir()
        article = folder / f"article{suffix}"
        article.write_bytes(data)
        out = Path(tmp) / "out.jsonl"
        result = cli("score", tiny_model, folder if in_folder else article, "--out", out)
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 1), (result.exit_code, result.output)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("error: ")]
        if result.exit_code == 1 and "bad input line" in errors[0]:  # bad JSONL lines: named, skipped, the rest written
            assert len(errors) == 1 and any(line.startswith(f"warning: {article}:") for line in lines), lines
            assert out.exists()
        elif result.exit_code == 1:
            assert len(errors) == 1 and str(article) in errors[0], lines
            assert not out.exists()
        else:
            assert all(line.startswith("warning: ") for line in lines if "error" in line.lower())
            # split on "\n" only: a record's text may hold U+0085 or U+2028, which str.splitlines() also splits on
            records = [json.loads(line) for line in out.read_text(encoding="utf-8").split("\n") if line]
            assert all(0 <= r["start"] <= r["end"] for r in records)
        assert [p.name for p in Path(tmp).iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    "name, data",
    [("page.html", b"<p>Hi</p><![ x ["), ("big.jsonl", b'{"text": "a", "n": ' + b"1" * 5000 + b"}"), ("deep.jsonl", b"[" * 100_000)],
)
def test_score_malformed_markup_and_json_are_one_line_errors(tiny_model: Path, tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    result = cli("score", tiny_model, tmp_path / name, "--out", tmp_path / "out.jsonl")
    assert result.exit_code in (0, 1), result.output


def test_as_articles_from_a_notebook() -> None:
    got = list(as_articles(["First.", Article("b", "Second."), {"id": 7, "text": "Third."}, {"text": "Fourth."}, ("e", "Fifth.")]))
    assert [(a.id, a.text) for a in got] == [("0", "First."), ("b", "Second."), ("7", "Third."), ("3", "Fourth."), ("e", "Fifth.")]
    with pytest.raises(StanceError, match="article 1: expected a string"):
        list(as_articles(["ok", None]))


@pytest.mark.parametrize("name, data", [("e.txt", b""), ("e.jsonl", b""), ("blank.jsonl", b"\n \n"), ("space.md", b"  \n")])
def test_an_empty_file_named_on_the_command_line_is_an_error(model_dir: Path, tmp_path: Path, name: str, data: bytes) -> None:
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(StanceError, match="empty file"):
        list(iter_articles([str(p)]))
    out = tmp_path / "out.jsonl"
    assert_one_line_error(cli("score", model_dir, p, "--out", out), f"{p}: empty file")
    assert not out.exists()
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / name).write_bytes(data)
    with pytest.warns(SkippedInputWarning, match="skipped, empty file"):
        assert list(iter_articles([str(folder)])) == []


BAD_FEED = [
    json.dumps({"id": "a", "text": "They blamed the mayor for the flood."}),
    '{"id": "b", "text": "broken',
    json.dumps({"id": "c", "text": "We will respond."}),
    '"just a string"',
    json.dumps({"id": "d", "title": "no text"}),
    json.dumps({"id": "e", "text": "There was no invasion."}),
]


def test_bad_jsonl_lines_are_named_and_skipped_when_a_handler_is_given(tmp_path: Path) -> None:
    p = tmp_path / "feed.jsonl"
    p.write_text("\n".join(BAD_FEED) + "\n", encoding="utf-8")
    bad: list[StanceError] = []
    assert [a.id for a in iter_articles([str(p)], on_bad_line=bad.append)] == ["a", "c", "e"]
    assert [(e.path, e.line) for e in bad] == [(str(p), 2), (str(p), 4), (str(p), 5)]
    assert str(bad[0]).startswith(f"{p}:2: malformed JSON")
    with pytest.raises(StanceError, match=r"feed.jsonl:2: malformed JSON"):
        list(iter_articles([str(p)]))  # without a handler the first bad line is fatal
    bad.clear()
    stdin = io.BytesIO(("\n".join(BAD_FEED) + "\n").encode())
    assert [a.id for a in iter_articles(["-"], stdin=stdin, on_bad_line=bad.append)] == ["a", "c", "e"]
    assert [e.line for e in bad] == [2, 4, 5]


def test_score_keeps_the_good_articles_of_a_feed_with_bad_lines(model_dir: Path, tmp_path: Path) -> None:
    p = tmp_path / "feed.jsonl"
    p.write_text("\n".join(BAD_FEED) + "\n", encoding="utf-8")
    out = tmp_path / "scores.jsonl"
    r = cli("score", model_dir, p, "--out", out)
    assert r.exit_code == 1, r.output
    assert {row["article"] for row in read_jsonl(out)} == {"a", "c", "e"}
    for line in (2, 4, 5):
        assert f"warning: {p}:{line}: " in r.stderr
    assert_one_line_error(r, "3 bad input lines skipped", "3 articles scored")
    strict = tmp_path / "strict.jsonl"
    r = cli("score", model_dir, p, "--out", strict, "--strict")
    assert_one_line_error(r, f"{p}:2: malformed JSON")
    assert not strict.exists()
