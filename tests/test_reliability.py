"""Reliability and security (issue 7): one-line user errors, encodings, nothing half-written, model
integrity (sha256, version drift, skops trust), reproducibility, and arbitrary bytes as articles.

The command line is driven through Typer's ``CliRunner``; interrupts and kills use real processes
(``python -m stance``), since a signal is the only honest way to cut a write short.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from stance import artifact
from stance.artifact import INCOMPLETE, VersionWarning, load_model, read_manifest, verify_model
from stance.cli import app
from stance.config import load_config
from stance.data import load_data
from stance.errors import StanceError
from stance.fileio import DecodeWarning, atomic_write, temp_files, write_json
from stance.score import Article, SkippedInputWarning, iter_articles, score_texts
from stance.train import train
from tests.conftest import ROOT, SEED_ARTICLE, TINY, copy_model

runner = CliRunner()
LABELS = ["blame", "threat", "denial"]
POSIX = os.name == "posix"


def cli(*args: object) -> Any:
    """Run a command in-process; never lets an exception escape (as a user's shell would not)."""
    return runner.invoke(app, [str(a) for a in args])


def assert_one_line_error(result: Any, *fragments: str) -> str:
    """Exit code 1, a single 'error: ...' line on stderr containing every fragment, no traceback."""
    assert result.exit_code == 1, (result.exit_code, result.output, result.exception)
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, lines
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


def jsonl(path: Path, rows: list[tuple[str, list[str]]]) -> Path:
    path.write_text("".join(json.dumps({"text": t, "labels": labs}) + "\n" for t, labs in rows), encoding="utf-8")
    return path


def config(tmp: Path, train_path: Path, dev_path: Path | None = None, extra: str = "", name: str = "cfg.toml") -> Path:
    cfg = tmp / name
    dev = f'dev = "{dev_path}"\n' if dev_path else ""
    cfg.write_text(
        f'labels = ["blame", "threat", "denial"]\nseed = 1\n[data]\ntrain = "{train_path}"\n{dev}'
        f"[features]\nword_ngrams = [1, 2]\nconstructions = true\n{extra}",
        encoding="utf-8",
    )
    return cfg


def python_stance(*args: object, **kw: Any) -> subprocess.Popen:
    """``python -m stance ...`` in a child process whose SIGINT raises KeyboardInterrupt (a child of a
    shell without job control would otherwise inherit SIGINT ignored)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-m", "stance", *[str(a) for a in args]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)) if POSIX else None,
        **kw,
    )


@pytest.fixture(autouse=True)
def _private_hf_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the `datasets` cache that Parquet / saved-dataset loading writes out of the user's home."""
    import datasets.config

    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.getbasetemp() / "hf-cache")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model trained on the tiny corpus, once for this module; tests copy it before damaging it."""
    tmp = tmp_path_factory.mktemp("reliability")
    data = jsonl(tmp / "train.jsonl", TINY)
    out = tmp / "model"
    train(load_config(config(tmp, data, data)), out)
    return out


@pytest.fixture()
def model_dir(tiny_model: Path, tmp_path: Path) -> Path:
    return copy_model(tiny_model, tmp_path)


@pytest.fixture()
def tiny_cfg(tmp_path: Path) -> Path:
    data = jsonl(tmp_path / "train.jsonl", TINY)
    return config(tmp_path, data, data)


# =============================================================================================
# Every user error: one line naming the file (and line), exit 1, no traceback


def _data_cases(tmp: Path) -> list[tuple[Path, tuple[str, ...]]]:
    cases: list[tuple[Path, tuple[str, ...]]] = []

    def add(name: str, content: bytes | str, *fragments: str) -> None:
        p = tmp / name
        if isinstance(content, str):
            p.write_text(content, encoding="utf-8")
        else:
            p.write_bytes(content)
        cases.append((p, fragments))

    cases.append((tmp / "missing.jsonl", (f"{tmp / 'missing.jsonl'}: file not found",)))
    cases.append((tmp / "missing.csv", (f"{tmp / 'missing.csv'}: file not found",)))
    add("empty.jsonl", b"", "empty.jsonl: no records (the file is empty)")
    add("empty.csv", b"", "empty.csv: no records (the file is empty)")
    add("blank.csv", b"\n \n", "blank.csv: no records")
    add("binary.jsonl", b"PK\x03\x04\x00\x00binary", "binary.jsonl: binary file, not text")
    add("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary.csv: binary file, not text")
    add("header.csv", "text,labels\n", "header.csv: no records: the file has a header line but no rows")
    add(
        "fields.csv",
        "text,labels\nA.,blame\nB, unquoted comma.,threat\n",
        "fields.csv:3: malformed CSV: 3 fields where the header (line 1) has 2",
    )
    add("fewer.tsv", "text\tlabels\nA.\tblame\nB.\n", "fewer.tsv:3: malformed CSV: 1 fields where the header")
    add("quote.csv", 'text,labels\nA.,blame\n"B, never closed.,threat\nC.,\n', "quote.csv:3: malformed CSV: a quoted field is never closed")
    add("after-quote.csv", 'text,labels\nA.,blame\n"B\non two lines.",threat\nC.,denial,x\n', "after-quote.csv:5: malformed CSV")
    add("dup.csv", "text,text\nA.,B.\n", "dup.csv:1: malformed CSV header: column 'text' appears twice")
    add("nul.csv", "text,labels\n" + "A.,blame\n" * 2000 + "B\x00.,blame\n", "nul.csv:2002: malformed CSV")
    add("bad.jsonl", '{"text": "A.", "labels": []}\n{"text": broken\n', "bad.jsonl:2: malformed JSON")
    add("notobject.jsonl", '{"text": "A.", "labels": []}\n[1, 2]\n', "notobject.jsonl:2: expected a JSON object, got list")
    add("notext.csv", "sentence,labels\nA.,blame\n", "notext.csv:2: missing text field 'text'")
    add("notext.jsonl", '{"txt": "A.", "labels": []}\n', "notext.jsonl:1: missing text field 'text' (did you mean \"txt\"?)")
    add("emptytext.csv", 'text,labels\nA.,blame\n"",threat\n', "emptytext.csv:3: 'text' must be a non-empty string")
    add("nolabels.csv", "text,tags\nA.,blame\n", "nolabels.csv: no 'labels' column and no 0/1 column per label")
    add("label.csv", "text,labels\nA.,blame\nB.,threat;blmae\n", "label.csv:3: unknown label 'blmae'", 'did you mean "blame"?')
    add("label.jsonl", '{"text": "A.", "labels": ["Threat"]}\n', "label.jsonl:1: unknown label 'Threat'", 'did you mean "threat"?')
    add("wide.csv", "text,blame,threat,denial\nA.,1,0,0\nB.,yes,0,0\n", "wide.csv:3: column 'blame' must be 0 or 1")
    add("data.xlsx", "not really", "data.xlsx: unsupported data format '.xlsx'")
    add("bad.parquet", b"not parquet at all", "bad.parquet: cannot load data:")
    return cases


def test_bad_data_files_are_one_line_errors_in_evaluate(model_dir: Path, tmp_path: Path) -> None:
    for path, fragments in _data_cases(tmp_path):
        assert_one_line_error(cli("evaluate", model_dir, "--data", path, "--bootstrap", "0"), *fragments)


def test_bad_data_files_are_one_line_errors_in_train(tmp_path: Path) -> None:
    good = jsonl(tmp_path / "good.jsonl", TINY)
    for path, fragments in _data_cases(tmp_path)[:8]:  # the loader is shared; a sample proves train uses it
        cfg = config(tmp_path, path, good)
        assert_one_line_error(cli("train", "--config", cfg, "--out", tmp_path / "m"), *fragments)
        cfg = config(tmp_path, good, path)  # a bad dev split
        assert_one_line_error(cli("train", "--config", cfg, "--out", tmp_path / "m"), *fragments)
    assert not (tmp_path / "m").exists()


def test_training_problems_are_one_line_errors(tmp_path: Path, tiny_cfg: Path) -> None:
    few = jsonl(tmp_path / "few.jsonl", [(t, [x for x in labs if x != "threat"]) for t, labs in TINY][:-2] + [TINY[6]])
    no_denial_dev = jsonl(tmp_path / "dev.jsonl", [(t, labs) for t, labs in TINY if "denial" not in labs])
    full = jsonl(tmp_path / "all.jsonl", TINY)
    every = jsonl(tmp_path / "every.jsonl", [(t, ["blame", "threat", "denial"]) for t, _ in TINY])
    out = tmp_path / "m"
    cases = [
        (
            config(tmp_path, few, full, name="1.toml"),
            "few.jsonl: label 'threat' has 1 example(s) in the training split; at least 3 are needed",
        ),
        (config(tmp_path, every, full, name="2.toml"), "every.jsonl: label 'blame' is on every record"),
        (config(tmp_path, full, no_denial_dev, name="3.toml"), "dev.jsonl: label 'denial' has no example in the dev split"),
        (
            config(tmp_path, full, full, '[model]\nkind = "linear_svm"\ncalibration_folds = 9\n', name="4.toml"),
            "all.jsonl: label 'blame' has 7 example(s) in the training split; at least 9 are needed",
        ),
        (
            config(tmp_path, full, full, "min_df = 1000\n", name="5.toml"),
            "all.jsonl: no n-gram features left to learn from",
            "features.min_df",
        ),
    ]
    for cfg, *fragments in cases:
        assert_one_line_error(cli("train", "--config", cfg, "--out", out), *fragments)
    assert not out.exists()
    # a config or an output that is wrong is caught before any training
    assert_one_line_error(cli("train", "--config", tmp_path / "nope.toml", "--out", out), "nope.toml: file not found")
    (tmp_path / "bin.toml").write_bytes(b"\x00\x01\x02")
    assert_one_line_error(cli("train", "--config", tmp_path / "bin.toml", "--out", out), "bin.toml: binary file, not text")
    assert_one_line_error(cli("train", "--config", tiny_cfg, "--out", out, "--format", "pickle"), "unknown model format 'pickle'")
    (tmp_path / "file").write_text("x")
    assert_one_line_error(cli("train", "--config", tiny_cfg, "--out", tmp_path / "file"), "file: exists and is not a directory")


def test_model_directory_is_not_overwritten_without_force(tiny_cfg: Path, tmp_path: Path) -> None:
    out = tmp_path / "m"
    assert cli("train", "--config", tiny_cfg, "--out", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    t0 = time.perf_counter()
    assert_one_line_error(cli("train", "--config", tiny_cfg, "--out", out), f"{out}: already holds a model; use --force")
    assert time.perf_counter() - t0 < 5  # refused before training, not after
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert cli("train", "--config", tiny_cfg, "--out", out, "--force").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "model.joblib"]


def test_bad_model_directories_are_one_line_errors(model_dir: Path, tmp_path: Path) -> None:
    article = tmp_path / "a.txt"
    article.write_text("They started this war.", encoding="utf-8")
    (tmp_path / "empty").mkdir()
    cases: list[tuple[Path, tuple[str, ...]]] = [
        (tmp_path / "none", ("none: model directory not found",)),
        (tmp_path / "empty", ("empty: no manifest.json: not a stance model directory",)),
        (article, ("a.txt: not a model directory",)),
    ]
    for directory, fragments in cases:
        for args in (["verify", directory], ["score", directory, article], ["evaluate", directory, "--data", article]):
            assert_one_line_error(cli(*args), *fragments)
    mf = model_dir / "manifest.json"
    manifest = json.loads(mf.read_text())
    for damage, fragment in [
        ({"labels": "blame"}, "manifest 'labels' must be a list"),
        ({"thresholds": {"blame": 0.5}}, "manifest 'thresholds' must give a number for every label"),
        ({"model_file": "../../etc/passwd"}, "manifest names an unexpected model file"),
        ({"model_format": "skops"}, "manifest says format 'skops' for model.joblib"),
    ]:
        mf.write_text(json.dumps({**manifest, **damage}))
        assert_one_line_error(cli("score", model_dir, article), "manifest.json: " + fragment)
    mf.write_bytes(b"\xff\xfe\x00garbage")
    assert_one_line_error(cli("verify", model_dir), "manifest.json: manifest is not valid JSON")


def test_article_errors_and_warnings(model_dir: Path, tmp_path: Path) -> None:
    assert_one_line_error(cli("score", model_dir, tmp_path / "gone.txt"), "gone.txt: file not found")
    (tmp_path / "bin.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00")
    assert_one_line_error(cli("score", model_dir, tmp_path / "bin.txt"), "bin.txt: binary file, not text")
    (tmp_path / "bad.jsonl").write_text('{"id": "a", "text": "A."}\n{"id": "b", "text": 5}\n')
    assert_one_line_error(cli("score", model_dir, tmp_path / "bad.jsonl"), 'bad.jsonl:2: expected an object with a "text" string')
    (tmp_path / "empty.txt").write_bytes(b"")
    r = cli("score", model_dir, tmp_path / "empty.txt")
    assert r.exit_code == 0 and "empty.txt: skipped, empty file" in r.stderr
    (tmp_path / "latin1.txt").write_bytes("They blamed the café owner.\nNo more.".encode("latin-1"))
    r = cli("score", model_dir, tmp_path / "latin1.txt")
    assert r.exit_code == 0, r.output
    assert "warning: " in r.stderr and "latin1.txt:1: not valid UTF-8; undecodable bytes were replaced" in r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert [row["text"] for row in rows] == ["They blamed the caf\ufffd owner.", "No more."]


def test_debug_shows_the_traceback(model_dir: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    plain = python_stance("evaluate", model_dir, "--data", missing)
    debug = python_stance("--debug", "evaluate", model_dir, "--data", missing)
    out_plain, err_plain = plain.communicate(timeout=60)
    out_debug, err_debug = debug.communicate(timeout=60)
    assert plain.returncode == 1 and err_plain.strip() == f"error: {missing}: file not found"
    assert debug.returncode != 0
    assert "Traceback (most recent call last)" in err_debug and f"StanceError: {missing}: file not found" in err_debug


# =============================================================================================
# Encodings: data files and articles


TEXT_ROWS = [("Zelenskyy’s “peace” plan — they blamed Kyiv.", ["blame"]), ("123", []), ("Ünïcödé, 日本語; nothing.", ["threat", "denial"])]


def _encodings(text: str) -> dict[str, bytes]:
    return {
        "utf-8": text.encode("utf-8"),
        "utf-8-bom": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "utf-16-le-bom": b"\xff\xfe" + text.encode("utf-16-le"),
        "utf-16-be-bom": b"\xfe\xff" + text.encode("utf-16-be"),
        "crlf": text.replace("\n", "\r\n").encode("utf-8"),
        "bom-crlf": b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"),
    }


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".tsv"])
def test_data_file_encodings_load_identically(tmp_path: Path, suffix: str) -> None:
    if suffix == ".jsonl":
        text = "".join(json.dumps({"text": t, "labels": labs}, ensure_ascii=False) + "\n" for t, labs in TEXT_ROWS)
    else:
        sep = "," if suffix == ".csv" else "\t"
        text = f"text{sep}labels\n" + "".join(f'"{t}"{sep}{";".join(labs)}\n' for t, labs in TEXT_ROWS)
    for name, data in _encodings(text).items():
        p = tmp_path / f"{name}{suffix}"
        p.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loaded = load_data(p, LABELS)
        assert loaded.texts == [t for t, _ in TEXT_ROWS], name
        assert loaded.label_lists() == [["blame"], [], ["threat", "denial"]], name
        assert loaded.lines == ([1, 2, 3] if suffix == ".jsonl" else [2, 3, 4]), name


def test_undecodable_data_is_replaced_with_a_warning_naming_the_line(tmp_path: Path) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes("text,labels\nA.,blame\nLe café est fermé.,\n".encode("latin-1"))
    with pytest.warns(DecodeWarning, match=rf"^{p}:3: not valid UTF-8"):
        data = load_data(p, LABELS)
    assert data.texts == ["A.", "Le caf\ufffd est ferm\ufffd."]


def test_csv_values_stay_strings(tmp_path: Path) -> None:
    """pandas would read these texts as 123, 7 and 1.5; a text column of numbers is still text."""
    p = tmp_path / "digits.csv"
    p.write_text('text,labels,id\n123,blame,007\n007,,8\n1.50,threat;denial,x\n"2,000",,\n', encoding="utf-8")
    data = load_data(p, LABELS)
    assert data.texts == ["123", "007", "1.50", "2,000"]
    assert data.label_lists() == [["blame"], [], ["threat", "denial"], []]
    assert data.extra["id"] == ["007", "8", "x", ""]
    wide = tmp_path / "wide.csv"
    wide.write_text("text,blame,threat,denial\n1,TRUE,false,0\n2, 1 ,0.0,\n", encoding="utf-8")
    assert load_data(wide, LABELS).label_lists() == [["blame"], ["blame"]]


def test_csv_line_numbers_follow_the_file(tmp_path: Path) -> None:
    p = tmp_path / "multi.csv"
    p.write_text('\ntext,labels\n"A quote\nover\nthree lines.",blame\n\nB.,denial\nC.,blmae\n', encoding="utf-8")
    with pytest.raises(StanceError) as info:
        load_data(p, LABELS)
    assert (info.value.path, info.value.line) == (str(p), 8)
    p.write_text('\ntext,labels\n"A quote\nover\nthree lines.",blame\n\nB.,denial\n', encoding="utf-8")
    data = load_data(p, LABELS)
    assert data.lines == [3, 7] and data.texts[0] == "A quote\nover\nthree lines."


def test_numeric_text_column_from_datasets_is_cast_to_string(tmp_path: Path) -> None:
    import datasets

    folder = tmp_path / "ds"
    datasets.Dataset.from_dict({"text": [123, 7], "labels": [["blame"], []]}).save_to_disk(str(folder))
    assert load_data(folder, LABELS).texts == ["123", "7"]


def test_article_encodings_score_identically(model_dir: Path, tmp_path: Path) -> None:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    model, _ = load_model(model_dir)
    (expected,) = score_texts(model, [Article("x", text)])
    folder = tmp_path / "in"
    folder.mkdir()
    for name, data in _encodings(text).items():
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


# =============================================================================================
# Nothing half-written


def test_interrupt_inside_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    write_json(target, {"old": True})
    old = target.read_bytes()
    with pytest.raises(KeyboardInterrupt), atomic_write(target) as fh:
        fh.write('{"new": ')
        fh.flush()
        assert temp_files(target)  # the partial write lives only in the temp file
        raise KeyboardInterrupt
    assert target.read_bytes() == old
    assert temp_files(target) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_unwritable_outputs_are_one_line_errors(model_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    data = jsonl(tmp_path / "d.jsonl", TINY[:6])
    assert_one_line_error(cli("score", model_dir, SEED_ARTICLE, "--out", tmp_path / "file" / "s.jsonl"), "file/s.jsonl: cannot write:")
    assert_one_line_error(cli("score", model_dir, SEED_ARTICLE, "--out", tmp_path), f"{tmp_path}: is a directory")
    r = cli("evaluate", model_dir, "--data", data, "--out", tmp_path / "file" / "r.json", "--bootstrap", "0")
    assert_one_line_error(r, "file/r.json: cannot write:")


def test_evaluate_and_score_outputs_are_replaced_atomically(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = jsonl(tmp_path / "test.jsonl", TINY[::3])
    rep, md, scores = tmp_path / "report.json", tmp_path / "report.md", tmp_path / "scores.jsonl"
    for p in (rep, md, scores):
        p.write_text("old\n")
    import stance.report

    def boom(*a: Any, **k: Any) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(stance.report, "evaluation_markdown", boom)
    r = cli("evaluate", model_dir, "--data", data, "--out", rep, "--markdown", md, "--bootstrap", "0")
    assert r.exit_code == 130 and "interrupted" in r.stderr
    assert json.loads(rep.read_text())["n"] == len(TINY[::3])  # written in full before the interrupt
    assert md.read_text() == "old\n"
    monkeypatch.undo()

    import stance.score

    calls = {"n": 0}
    real = stance.score.score_texts

    def interrupted_after_one_chunk(*a: Any, **k: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(stance.score, "score_texts", interrupted_after_one_chunk)
    many = tmp_path / "many.jsonl"
    many.write_text("".join(json.dumps({"id": f"a{i}", "text": "They blamed us. We deny it."}) + "\n" for i in range(100)))
    r = cli("score", model_dir, many, "--out", scores)
    assert r.exit_code == 130
    assert scores.read_text() == "old\n" and temp_files(scores) == []
    monkeypatch.undo()
    r = cli("score", model_dir, many, "--out", scores)
    assert r.exit_code == 0 and len(scores.read_text().splitlines()) == 200


def _many_articles(path: Path, n: int) -> Path:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    path.write_text("".join(json.dumps({"id": f"a{i}", "text": text}) + "\n" for i in range(n)), encoding="utf-8")
    return path


def _wait_for_temp(target: Path, proc: subprocess.Popen, min_size: int = 1, timeout: float = 60) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for tmp in temp_files(target):
            try:
                if tmp.stat().st_size >= min_size:
                    return tmp
            except FileNotFoundError:
                pass
        if proc.poll() is not None:
            raise AssertionError(f"finished before it could be interrupted: {proc.communicate()}")
        time.sleep(0.01)
    proc.kill()
    raise AssertionError("no output appeared")


@pytest.mark.skipif(not POSIX, reason="signals")
def test_ctrl_c_during_scoring_leaves_the_old_output(model_dir: Path, tmp_path: Path) -> None:
    articles = _many_articles(tmp_path / "many.jsonl", 3000)
    out = tmp_path / "scores.jsonl"
    out.write_text("previous run\n")
    proc = python_stance("score", model_dir, articles, "--out", out)
    _wait_for_temp(out, proc, min_size=64 * 1024)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted; no partial output was left behind" in err and "Traceback" not in err
    assert out.read_text() == "previous run\n"
    assert temp_files(out) == []


@pytest.mark.skipif(not POSIX, reason="signals")
def test_kill_during_scoring_leaves_the_old_output_and_the_next_run_cleans_up(model_dir: Path, tmp_path: Path) -> None:
    articles = _many_articles(tmp_path / "many.jsonl", 3000)
    out = tmp_path / "scores.jsonl"
    proc = python_stance("score", model_dir, articles, "--out", out)
    tmp = _wait_for_temp(out, proc, min_size=64 * 1024)
    proc.kill()
    proc.communicate(timeout=60)
    assert not out.exists()  # a new file: absent, not truncated
    assert temp_files(out) == [tmp]  # SIGKILL cannot be cleaned up after ...
    r = cli("score", model_dir, SEED_ARTICLE, "--out", out)
    assert r.exit_code == 0
    assert temp_files(out) == []  # ... but the next write to the same target removes it
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows and rows[-1]["article"] == str(SEED_ARTICLE)


def test_stale_temp_files_of_live_processes_are_kept(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    dead = tmp_path / f".out.txt.{child.pid}.abc123.tmp"
    alive = tmp_path / f".out.txt.{os.getppid()}.def456.tmp"
    other = tmp_path / f".other.txt.{child.pid}.abc123.tmp"
    for p in (dead, alive, other):
        p.write_text("partial")
    with atomic_write(target) as fh:
        fh.write("new")
    if POSIX:
        assert not dead.exists()
    assert alive.exists() and other.exists()  # someone else's write, or another target
    assert target.read_text() == "new"


def _interrupt(*a: Any, **k: Any) -> Any:
    """Patched over one step of save_model, to cut it short there as Ctrl-C would."""
    raise KeyboardInterrupt


def _state(model: Path) -> str:
    """'ok' or the one-line error that loading the model directory gives."""
    try:
        load_model(model)
    except StanceError as exc:
        return str(exc)
    return "ok"


def test_interrupted_model_writes_are_never_mistaken_for_tampering(
    tiny_cfg: Path, model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = load_config(tiny_cfg)
    old = (model_dir / "model.joblib").read_bytes()
    old_manifest = read_manifest(model_dir)

    # 1. interrupted while serialising: nothing on disk has changed
    import joblib

    monkeypatch.setattr(joblib, "dump", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, model_dir, force=True)
    monkeypatch.undo()
    assert sorted(p.name for p in model_dir.iterdir()) == ["manifest.json", "model.joblib"]
    assert _state(model_dir) == "ok"

    # 2. interrupted while writing the model file: the old model and manifest are still consistent
    real_atomic = artifact.atomic_write

    class HalfWrite:
        def __init__(self, path: Any, mode: str = "w", **kw: Any) -> None:
            self.cm = real_atomic(path, mode, **kw)

        def __enter__(self) -> Any:
            fh = self.cm.__enter__()
            fh.write(b"\x80\x04half a pickle")
            fh.flush()
            return self

        def write(self, data: bytes) -> None:
            raise KeyboardInterrupt

        def __exit__(self, *exc: Any) -> Any:
            return self.cm.__exit__(*exc)

    monkeypatch.setattr(artifact, "atomic_write", HalfWrite)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, model_dir, force=True)
    monkeypatch.undo()
    assert (model_dir / "model.joblib").read_bytes() == old
    assert (model_dir / INCOMPLETE).exists()
    assert _state(model_dir) == "ok"
    assert cli("verify", model_dir).exit_code == 0
    assert not [p for p in model_dir.iterdir() if p.name.endswith(".tmp")]

    # 3. interrupted between the model file and the manifest: said so, not "modified"
    monkeypatch.setattr(artifact, "write_json", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        train(load_config(tiny_cfg, ["model.C=0.5"]), model_dir, force=True)  # a different model
    monkeypatch.undo()
    assert (model_dir / "model.joblib").read_bytes() != old and read_manifest(model_dir) == old_manifest
    for args in (["verify", model_dir], ["score", model_dir, SEED_ARTICLE]):
        line = assert_one_line_error(cli(*args), "the model was not completely written", "train again with --force")
        assert "sha256" not in line
    # without the marker the same state is what tampering looks like, and is called that
    (model_dir / INCOMPLETE).rename(tmp_path / "marker")
    assert "sha256 does not match manifest.json" in _state(model_dir)
    (tmp_path / "marker").rename(model_dir / INCOMPLETE)

    # training again repairs the directory, and leaves nothing else behind
    assert_one_line_error(cli("train", "--config", tiny_cfg, "--out", model_dir), "already holds a model")
    assert cli("train", "--config", tiny_cfg, "--out", model_dir, "--force").exit_code == 0
    assert sorted(p.name for p in model_dir.iterdir()) == ["manifest.json", "model.joblib"]
    assert _state(model_dir) == "ok"


def test_interrupted_first_write_and_format_switch(tiny_cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = load_config(tiny_cfg)
    fresh = tmp_path / "fresh"
    monkeypatch.setattr(artifact, "write_json", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, fresh)
    assert sorted(p.name for p in fresh.iterdir()) == [INCOMPLETE, "model.joblib"]
    assert "the model was not completely written" in _state(fresh)
    monkeypatch.undo()
    train(cfg, fresh)  # no manifest: nothing to protect, no --force needed
    assert _state(fresh) == "ok" and not (fresh / INCOMPLETE).exists()

    pytest.importorskip("skops")
    monkeypatch.setattr(artifact, "write_json", _interrupt)
    with pytest.raises(KeyboardInterrupt):
        train(cfg, fresh, force=True, fmt="skops")
    monkeypatch.undo()
    assert _state(fresh) == "ok"  # the old joblib model and its manifest are untouched
    assert read_manifest(fresh)["model_format"] == "joblib"
    train(cfg, fresh, force=True, fmt="skops")
    assert sorted(p.name for p in fresh.iterdir()) == ["manifest.json", "model.skops"]


@pytest.mark.skipif(not POSIX, reason="signals")
@pytest.mark.parametrize("moment", ["first-write", "model-replaced"])
def test_kill_during_training_never_leaves_a_confusing_directory(tiny_cfg: Path, model_dir: Path, moment: str) -> None:
    """SIGKILL `stance train --force` into a directory holding a model, as soon as it starts writing
    there, or as soon as the model file has been replaced (the manifest may not be yet)."""
    listing = set(os.listdir(model_dir))
    mtime = (model_dir / "model.joblib").stat().st_mtime_ns

    def changed() -> bool:
        if moment == "first-write":
            return set(os.listdir(model_dir)) != listing
        try:
            return (model_dir / "model.joblib").stat().st_mtime_ns != mtime
        except FileNotFoundError:
            return False

    proc = python_stance("train", "--config", tiny_cfg, "--out", model_dir, "--force", "--set", "model.C=0.5")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not changed():
        time.sleep(0.0002)
    proc.kill()
    proc.communicate(timeout=60)
    state = _state(model_dir)
    assert state == "ok" or "the model was not completely written" in state, state
    assert cli("train", "--config", tiny_cfg, "--out", model_dir, "--force").exit_code == 0
    assert sorted(os.listdir(model_dir)) == ["manifest.json", "model.joblib"]  # temp files of the killed run removed


# =============================================================================================
# Model integrity


def test_tampered_model_is_refused_everywhere(model_dir: Path, tmp_path: Path) -> None:
    data = jsonl(tmp_path / "d.jsonl", TINY[:6])
    blob = bytearray((model_dir / "model.joblib").read_bytes())
    blob[len(blob) // 2] ^= 0xFF  # same size, one bit pattern changed
    (model_dir / "model.joblib").write_bytes(bytes(blob))
    for args in (["verify", model_dir], ["score", model_dir, SEED_ARTICLE], ["evaluate", model_dir, "--data", data]):
        assert_one_line_error(cli(*args), "model.joblib: sha256 does not match manifest.json", "refusing to load it")
    with pytest.raises(StanceError, match="sha256 does not match"):
        load_model(model_dir)
    (model_dir / "model.joblib").unlink()
    assert_one_line_error(cli("verify", model_dir), "model.joblib: model file is missing")


def test_version_drift_warns_in_every_command(model_dir: Path, tmp_path: Path) -> None:
    mf = model_dir / "manifest.json"
    manifest = json.loads(mf.read_text())
    manifest["versions"]["scikit-learn"] = "0.0.1"
    mf.write_text(json.dumps(manifest))
    data = jsonl(tmp_path / "d.jsonl", TINY[:6])
    for args in (["verify", model_dir], ["score", model_dir, SEED_ARTICLE], ["evaluate", model_dir, "--data", data, "--bootstrap", "0"]):
        r = cli(*args)
        assert r.exit_code == 0, r.output
        assert "warning: " in r.stderr and "trained with scikit-learn 0.0.1, installed is" in r.stderr, args
    with pytest.warns(VersionWarning):
        verify_model(model_dir)


def test_readme_warns_about_joblib() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "runs code when it is loaded" in readme and "--format skops" in readme and "stance verify" in readme


# --- skops ------------------------------------------------------------------------------------


class Evil:
    """Stands for any class skops has no reason to trust; constructing it must never happen."""

    constructed = False

    def __setstate__(self, state: dict[str, Any]) -> None:
        Evil.constructed = True
        self.__dict__.update(state)


def _skops_dir(tmp_path: Path, obj: Any, name: str = "evil") -> Path:
    """A model directory whose skops file holds ``obj`` and whose manifest vouches for it."""
    import skops.io as sio

    d = tmp_path / name
    d.mkdir()
    (d / "model.skops").write_bytes(sio.dumps(obj))
    from stance.fileio import sha256_file

    manifest = {
        "format_version": 1,
        "labels": LABELS,
        "thresholds": dict.fromkeys(LABELS, 0.5),
        "model_file": "model.skops",
        "model_format": "skops",
        "model_sha256": sha256_file(d / "model.skops"),
        "versions": artifact.library_versions(),
    }
    (d / "manifest.json").write_text(json.dumps(manifest))
    return d


@pytest.mark.parametrize(
    "extra",
    [
        "",
        'char_ngrams = [2, 4]\n[model]\nkind = "linear_svm"\n',  # holds sklearn's private calibration classes
        '[model]\nkind = "sgd"\n',
        "stem_ngrams = [1, 2]\nmask_names = true\n",  # stance.features.StemAnalyzer and mask_text
    ],
    ids=["logreg", "svm", "sgd", "stems"],
)
def test_skops_end_to_end(tmp_path: Path, extra: str) -> None:
    pytest.importorskip("skops")
    data = jsonl(tmp_path / "train.jsonl", TINY)
    cfg = config(tmp_path, data, data, extra)
    for fmt in ("joblib", "skops"):
        r = cli("train", "--config", cfg, "--out", tmp_path / fmt, "--format", fmt)
        assert r.exit_code == 0, r.output
    assert sorted(os.listdir(tmp_path / "skops")) == ["manifest.json", "model.skops"]
    r = cli("verify", tmp_path / "skops")
    assert r.exit_code == 0 and "model.skops matches" in r.stdout
    outs = {}
    for fmt in ("joblib", "skops"):
        outs[fmt] = tmp_path / f"{fmt}.jsonl"
        r = cli("score", tmp_path / fmt, SEED_ARTICLE, "--out", outs[fmt])
        assert r.exit_code == 0, r.output
        r = cli("evaluate", tmp_path / fmt, "--data", data, "--out", tmp_path / f"{fmt}.json", "--bootstrap", "0")
        assert r.exit_code == 0, r.output
    assert outs["joblib"].read_bytes() == outs["skops"].read_bytes()
    reports = [json.loads((tmp_path / f"{fmt}.json").read_text()) for fmt in ("joblib", "skops")]
    assert reports[0]["predictions"] == reports[1]["predictions"]


def test_skops_refuses_untrusted_types(tmp_path: Path) -> None:
    pytest.importorskip("skops")
    d = _skops_dir(tmp_path, {"model": Evil()})
    for args in (["verify", d], ["score", d, SEED_ARTICLE]):
        assert_one_line_error(cli(*args), "model.skops: refusing to load untrusted types: tests.test_reliability.Evil")
    with pytest.raises(StanceError, match="untrusted types: tests.test_reliability.Evil"):
        load_model(d)
    assert Evil.constructed is False


def test_skops_refuses_functions_hidden_in_a_real_model(tiny_model: Path, tmp_path: Path) -> None:
    pytest.importorskip("skops")
    from sklearn.utils import check_array

    model, _ = load_model(tiny_model)
    vec = model.features_.parts_[0][1]
    for name, fn, expected in [("os", os.system, "system"), ("sk", check_array, "sklearn.utils")]:
        vec.preprocessor = fn  # called on every text at prediction time
        d = _skops_dir(tmp_path, model, name)
        line = assert_one_line_error(cli("score", d, SEED_ARTICLE), "refusing to load untrusted types:")
        assert expected in line


def test_skops_trust_rules() -> None:
    from stance.artifact import _trusted_library_class

    for name in (
        "sklearn.calibration._CalibratedClassifier",
        "sklearn.calibration._SigmoidCalibration",
        "numpy.ndarray",
        "numpy.dtypes.Float64DType",
        "scipy.sparse._csr.csr_matrix",
    ):
        assert _trusted_library_class(name), name
    for name in (
        "sklearn.utils.check_array",
        "numpy.load",
        "os.system",
        "builtins.eval",
        "numpy.f2py.__main__.main",
        "sklearn.nonexistent.Thing",
        "sklearnx.Thing",
        "numpy",
        "tests.test_reliability.Evil",
        "numpy.ndarray.tofile",
    ):
        assert not _trusted_library_class(name), name
    for name in artifact.STANCE_TYPES:  # every name on the list exists
        module, _, attr = name.rpartition(".")
        if module != "stance.embeddings":  # optional extra
            assert hasattr(__import__(module, fromlist=[attr]), attr), name


def test_skops_without_skops_installed_is_one_line(tiny_cfg: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "skops", None)
    monkeypatch.setitem(sys.modules, "skops.io", None)
    assert_one_line_error(cli("train", "--config", tiny_cfg, "--out", tmp_path / "m", "--format", "skops"), "pip install 'stance[skops]'")
    assert not (tmp_path / "m").exists()


# =============================================================================================
# Reproducibility


@pytest.mark.parametrize(
    "extra",
    ['[model]\nkind = "linear_svm"\n', '[model]\nkind = "sgd"\n', 'kind = "hashing"\nn_features = 4096\n[model]\nkind = "sgd"\n'],
    ids=["linear_svm", "sgd", "hashing-sgd"],
)
def test_training_twice_is_byte_identical(tmp_path: Path, extra: str) -> None:
    data = jsonl(tmp_path / "train.jsonl", TINY)
    cfg = load_config(config(tmp_path, data, data, extra))
    a = train(cfg, tmp_path / "a")
    b = train(cfg, tmp_path / "b")
    assert a["thresholds"] == b["thresholds"]
    ma, _ = load_model(tmp_path / "a")
    mb, _ = load_model(tmp_path / "b")
    texts = [t for t, _ in TINY] + ["They provoked this war.", "We deny it all.", "If you attack, we will respond."]
    assert ma.predict_proba(texts).tobytes() == mb.predict_proba(texts).tobytes()
    (ra,) = score_texts(ma, [Article("x", SEED_ARTICLE.read_text(encoding="utf-8"))])
    (rb,) = score_texts(mb, [Article("x", SEED_ARTICLE.read_text(encoding="utf-8"))])
    assert json.dumps(ra) == json.dumps(rb)


@pytest.mark.skipif(not POSIX, reason="uses a child process")
def test_training_is_reproducible_across_processes(tiny_cfg: Path, tmp_path: Path) -> None:
    """Another interpreter with another string-hash seed trains the same model."""
    train(load_config(tiny_cfg), tmp_path / "here")
    env = {**os.environ, "PYTHONHASHSEED": "12345", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "stance", "train", "--config", str(tiny_cfg), "--out", str(tmp_path / "there")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    here, there = read_manifest(tmp_path / "here"), read_manifest(tmp_path / "there")
    assert here["thresholds"] == there["thresholds"]
    texts = [t for t, _ in TINY]
    assert (
        load_model(tmp_path / "here")[0].predict_proba(texts).tobytes() == load_model(tmp_path / "there")[0].predict_proba(texts).tobytes()
    )


# =============================================================================================
# Arbitrary bytes as articles


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
        if result.exit_code == 1:
            errors = [line for line in lines if line.startswith("error: ")]
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
