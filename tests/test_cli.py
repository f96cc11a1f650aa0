"""Each command through Typer's test runner (in-process) and as a child process (signals), on the
shipped seeds and on damaged inputs: one-line errors, nothing half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from stance.cli import app
from stance.fileio import temp_files
from stance.formats import read_rows_as
from tests.conftest import (
    POSIX,
    ROWS,
    SEED_ARTICLE,
    TINY,
    assert_one_line_error,
    cli,
    config,
    invoke,
    jsonl,
    model_state,
    python_stance,
    runner,
    write_jsonl,
)


def test_help_lists_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for cmd in ("train", "evaluate", "score", "compare", "verify"):
        assert cmd in result.output


def test_train_evaluate_score_compare_on_tiny(tiny_config: Path, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    model = tmp_path / "m"
    r = invoke("train", "--config", tiny_config, "--out", model)
    assert r.exit_code == 0, r.output
    manifest = json.loads((model / "manifest.json").read_text())
    assert manifest["labels"] == ["blame", "threat", "denial"]
    assert set(manifest["thresholds"]) == {"blame", "threat", "denial"}
    for key in ("config", "data", "model_sha256", "versions", "dev_metrics", "created"):
        assert key in manifest
    assert len(manifest["data"]["train"]["sha256"]) == 64

    # refusing to overwrite without --force, and one line on stderr
    r = runner.invoke(app, ["train", "--config", str(tiny_config), "--out", str(model)])
    assert r.exit_code == 1
    assert "already holds a model" in r.output and "Traceback" not in r.output

    rep = tmp_path / "report.json"
    md = tmp_path / "report.md"
    r = invoke("evaluate", model, "--data", tiny_data["test"], "--out", rep, "--markdown", md, "--bootstrap", "50")
    assert r.exit_code == 0, r.output
    report = json.loads(rep.read_text())
    assert {"per_label", "micro_f1", "macro_f1", "predictions", "data", "model"} <= set(report)
    assert set(report["per_label"]["blame"]) >= {"precision", "recall", "f1", "support"}
    assert report["data"]["sha256"] and len(report["predictions"]) == report["n"]
    assert "macro-F1" in r.output and "# stance evaluation report" in md.read_text()

    rep2 = tmp_path / "report2.json"
    r = invoke("evaluate", model, "--data", tiny_data["test"], "--out", rep2, "--threshold", "0.3", "--bootstrap", "0")
    assert r.exit_code == 0
    cmp_out = tmp_path / "cmp.json"
    r = invoke("compare", rep, rep2, "--out", cmp_out, "--resamples", "200")
    assert r.exit_code == 0, r.output
    assert "macro-F1" in r.output
    result = json.loads(cmp_out.read_text())
    assert result["paired"] is True
    assert {"delta", "ci", "p_value", "significant"} <= set(result["macro_f1"])


def test_score_seed_article_jsonl(default_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.jsonl"
    r = invoke("score", default_model, SEED_ARTICLE, "--out", out)
    assert r.exit_code == 0, r.output
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) > 30
    for row in rows:
        assert text[row["start"] : row["end"]] == row["text"]
        assert set(row["scores"]) == {"blame", "threat", "denial"}
        assert {"article", "sentence", "labels", "boilerplate", "quote", "speaker"} <= set(row)
    assert "blame" in r.output  # the article summary


def test_score_formats_and_summary(default_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(SEED_ARTICLE.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "b.jsonl").write_text(json.dumps({"id": "x1", "text": "They started this war. We deny everything."}) + "\n")
    (folder / "junk.txt").write_bytes(b"\x00\x01\x02binary")
    csv_out = tmp_path / "s.csv"
    summary = tmp_path / "summary.json"
    r = runner.invoke(app, ["score", str(default_model), str(folder), "--format", "csv", "--out", str(csv_out), "--summary", str(summary)])
    assert r.exit_code == 0, r.output
    assert "skipped, binary file" in r.output
    head = csv_out.read_text().splitlines()[0]
    assert head.startswith("article,sentence,start,end,text,labels")
    s = json.loads(summary.read_text())
    assert s["totals"]["articles"] == 2 and {a["article"] for a in s["articles"]} >= {"x1"}
    html_out = tmp_path / "s.html"
    r = invoke("score", default_model, SEED_ARTICLE, "--format", "html", "--out", html_out)
    assert r.exit_code == 0
    page = html_out.read_text()
    assert page.startswith("<!doctype html>") and "title=" in page and "By holder" in page


HOLDER_ARTICLES = [
    {
        "id": "okafor",
        "text": "Chidi Okafor, the farmers' union leader, blamed the ministry for the failed harvest.\n\n"
        "Mr. Okafor warned that farmers would block the roads if the ministry did not pay.\n\n"
        "Okafor also thanked the volunteers. Farmers blamed the drought on the dam.",
    },
    {
        "id": "drought",
        "text": "The harvest failed because the dam was closed, farmers said.\n\nThe ministry denied that it had closed the dam.",
    },
]


def test_score_records_and_summaries_carry_holders(default_model: Path, tmp_path: Path) -> None:
    """Every sentence format carries holder and holder_source (speaker and quote kept); the JSON and
    CSV summaries, the HTML page and the terminal count each holder once under its normalised name."""
    import csv

    import pandas as pd

    src = tmp_path / "articles.jsonl"
    src.write_text("".join(json.dumps(a) + "\n" for a in HOLDER_ARTICLES), encoding="utf-8")
    outs = {fmt: tmp_path / f"s.{fmt}" for fmt in ("jsonl", "csv", "parquet", "html")}
    for fmt, out in outs.items():
        r = invoke("score", default_model, src, "--format", fmt, "--out", out, "--summary", tmp_path / f"summary-{fmt}.json")
        assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in outs["jsonl"].read_text(encoding="utf-8").splitlines()]
    expected = [("Chidi Okafor", "reporting-verb")] * 3 + [
        ("Farmers", "reporting-verb"),
        ("farmers", "reporting-verb"),
        ("the ministry", "reporting-verb"),
    ]
    assert [(x["holder"], x["holder_source"]) for x in rows] == expected
    assert all(x["speaker"] == x["holder"] and x["quote"] is False for x in rows)
    with open(outs["csv"], newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert {"speaker", "holder", "holder_source", "quote"} <= set(table[0])
    assert [(x["holder"], x["holder_source"]) for x in table] == expected
    df = pd.read_parquet(outs["parquet"])
    assert list(zip(df["holder"], df["holder_source"])) == expected
    page = outs["html"].read_text(encoding="utf-8")
    assert "holder: Chidi Okafor (reporting-verb)" in page and "By holder" in page
    r = invoke("score", default_model, src, "--out", tmp_path / "again.jsonl", "--summary", tmp_path / "summary.csv")
    assert r.exit_code == 0, r.output
    assert "by holder: Chidi Okafor: blame 1, threat 1" in r.output  # across articles, in the terminal
    summary = json.loads((tmp_path / "summary-jsonl.json").read_text(encoding="utf-8"))
    holders = {s["speaker"]: s["sentences"] for s in summary["speakers"]}
    assert holders == {"Chidi Okafor": 3, "Farmers": 2, "the ministry": 1}  # "Farmers" and "farmers" across articles are one
    with open(tmp_path / "summary.csv", newline="", encoding="utf-8") as fh:
        assert {x["name"]: int(x["sentences"]) for x in csv.DictReader(fh) if x["kind"] == "speaker"} == holders


def test_score_stdin(default_model: Path) -> None:
    r = runner.invoke(app, ["score", str(default_model), "-"], input="We will crush anyone who crosses the border. The weather was fine.")
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == 2


def test_verify_and_tampered_model(model_copy: Path, tmp_path: Path) -> None:
    r = invoke("verify", model_copy)
    assert r.exit_code == 0 and "ok" in r.output
    with open(model_copy / "model.skops", "ab") as fh:
        fh.write(b"tampered")
    for args in (["verify", str(model_copy)], ["score", str(model_copy), str(SEED_ARTICLE)]):
        r = runner.invoke(app, args)
        assert r.exit_code == 1
        assert "sha256 does not match" in r.output and "Traceback" not in r.output


def test_bad_inputs_are_one_line_errors(default_model: Path, tiny_config: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "labels": []}\n{"text": broken\n')
    cases = [
        (["evaluate", str(default_model), "--data", str(tmp_path / "missing.jsonl")], "missing.jsonl: file not found"),
        (["evaluate", str(default_model), "--data", str(bad)], "bad.jsonl:2: malformed JSON"),
        (["score", str(tmp_path / "nomodel"), str(SEED_ARTICLE)], "model directory not found"),
        (["train", "--config", str(tiny_config), "--out", str(tmp_path / "m"), "--set", "model.kind=forest"], "config key 'model.kind'"),
        (["train", "--config", str(tiny_config), "--out", str(tmp_path / "m"), "--set", "modle.C=1"], "unknown config key 'modle'"),
        (["compare", str(bad), str(bad)], "bad.jsonl"),
    ]
    for args, expected in cases:
        r = runner.invoke(app, args)
        assert r.exit_code != 0, args
        assert expected in r.output, (args, r.output)
        assert "Traceback" not in r.output


def test_cv_tune_and_html_report(tiny_config: Path, tiny_data: dict[str, Path], tmp_path: Path) -> None:
    r = invoke("cv", "--config", tiny_config, "--folds", "2", "--out", tmp_path / "cv.json")
    assert r.exit_code == 0, r.output
    assert "macro-F1" in r.output and json.loads((tmp_path / "cv.json").read_text())["folds"] == 2
    r = invoke(
        "tune", "--config", tiny_config, "--set", 'tune.grid={"model.C"=[0.5, 2.0]}', "--set", "tune.folds=2", "--out", tmp_path / "tuned"
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "tuned" / "best.toml").exists() and (tmp_path / "tuned" / "report.json").exists()
    r = invoke("train", "--config", tmp_path / "tuned" / "best.toml", "--out", tmp_path / "m")
    assert r.exit_code == 0, r.output
    r = invoke("evaluate", tmp_path / "m", "--data", tiny_data["test"], "--html", tmp_path / "r.html", "--bootstrap", "20")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "r.html").read_text().count("data:image/png;base64") == 3
    r = runner.invoke(app, ["tune", "--config", str(tiny_config)])
    assert r.exit_code == 1 and "no [tune] grid" in r.output


# ---------------------------------------------------------------------------------------------
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
    add("notext.csv", "sentence,labels\nA.,blame\n", "notext.csv: no text column 'text'; the file's columns are sentence, labels")
    add(
        "notext.jsonl",
        '{"txt": "A.", "labels": []}\n',
        "notext.jsonl:1: no text column 'text' (did you mean \"txt\"?)",
        "columns are txt, labels",
    )
    add("emptytext.csv", 'text,labels\nA.,blame\n"",threat\n', "emptytext.csv:3: 'text' must be a non-empty string")
    add(
        "nolabels.csv",
        "text,tags\nA.,blame\n",
        "nolabels.csv: no labels column 'labels' and no 0/1 column per label",
        "columns are text, tags",
    )
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
    assert sorted(p.name for p in out.iterdir()) == ["manifest.json", "model.skops"]


def test_article_errors_and_warnings(model_dir: Path, tmp_path: Path) -> None:
    assert_one_line_error(cli("score", model_dir, tmp_path / "gone.txt"), "gone.txt: file not found")
    (tmp_path / "bin.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00")
    assert_one_line_error(cli("score", model_dir, tmp_path / "bin.txt"), "bin.txt: binary file, not text")
    (tmp_path / "bad.jsonl").write_text('{"id": "a", "text": "A."}\n{"id": "b", "text": 5}\n')
    r = cli("score", model_dir, tmp_path / "bad.jsonl", "--strict")
    assert_one_line_error(r, 'bad.jsonl:2: expected an object with a "text" string')
    r = cli("score", model_dir, tmp_path / "bad.jsonl")
    assert_one_line_error(r, "1 bad input line skipped")
    assert 'bad.jsonl:2: expected an object with a "text" string' in r.stderr and '"article": "a"' in r.stdout
    (tmp_path / "empty.txt").write_bytes(b"")
    assert_one_line_error(cli("score", model_dir, tmp_path / "empty.txt"), "empty.txt: empty file")
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


# ---------------------------------------------------------------------------------------------
# Nothing half-written


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
    import stance.render.markdown

    def boom(*a: Any, **k: Any) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(stance.render.markdown, "evaluation_markdown", boom)
    r = cli("evaluate", model_dir, "--data", data, "--out", rep, "--markdown", md, "--bootstrap", "0")
    assert r.exit_code == 130 and "interrupted" in r.stderr
    assert json.loads(rep.read_text())["n"] == len(TINY[::3])  # written in full before the interrupt
    assert md.read_text() == "old\n"
    monkeypatch.undo()

    import stance.scoring

    calls = {"n": 0}
    real = stance.scoring._scored  # what every chunk of one process goes through

    def interrupted_after_one_chunk(*a: Any, **k: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(*a, **k)

    monkeypatch.setattr(stance.scoring, "_scored", interrupted_after_one_chunk)
    many = tmp_path / "many.jsonl"
    many.write_text("".join(json.dumps({"id": f"a{i}", "text": "They blamed us. We deny it."}) + "\n" for i in range(100)))
    # one process: the patched function must run here, not in a worker that imported a fresh copy
    r = cli("score", model_dir, many, "--out", scores, "--jobs", "1")
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


@pytest.mark.skipif(not POSIX, reason="signals")
@pytest.mark.parametrize("moment", ["first-write", "model-replaced"])
def test_kill_during_training_never_leaves_a_confusing_directory(tiny_cfg: Path, model_dir: Path, moment: str) -> None:
    """SIGKILL `stance train --force` into a directory holding a model, as soon as it starts writing
    there, or as soon as the model file has been replaced (the manifest may not be yet)."""
    listing = set(os.listdir(model_dir))
    mtime = (model_dir / "model.skops").stat().st_mtime_ns

    def changed() -> bool:
        if moment == "first-write":
            return set(os.listdir(model_dir)) != listing
        try:
            return (model_dir / "model.skops").stat().st_mtime_ns != mtime
        except FileNotFoundError:
            return False

    proc = python_stance("train", "--config", tiny_cfg, "--out", model_dir, "--force", "--set", "model.C=0.5")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None and not changed():
        time.sleep(0.0002)
    proc.kill()
    proc.communicate(timeout=60)
    state = model_state(model_dir)
    assert state == "ok" or "the model was not completely written" in state, state
    assert cli("train", "--config", tiny_cfg, "--out", model_dir, "--force").exit_code == 0
    assert sorted(os.listdir(model_dir)) == ["manifest.json", "model.skops"]  # temp files of the killed run removed


# ---------------------------------------------------------------------------------------------
# The labelling loop


def test_cli_suggest(tiny_config_model: Path, articles: Path, tmp_path: Path) -> None:
    out = tmp_path / "batch.jsonl"
    r = cli("suggest", tiny_config_model, articles, "--n", 3, "--out", out, "--seed", 1)
    assert r.exit_code == 0, r.output
    batch = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(batch) == 3 and all(b["labels"] == [] and "suggested" in b for b in batch)
    r = cli("suggest", tiny_config_model, tmp_path / "missing.txt", "--out", out)
    assert r.exit_code == 1 and "missing.txt: file not found" in r.output and "Traceback" not in r.output
    r = cli("suggest", tiny_config_model, articles, "--n", 0)
    assert r.exit_code == 1 and "--n must be at least 1" in r.output


def test_cli_audit(flipped_config: tuple[Path, int], tmp_path: Path) -> None:
    cfg, line = flipped_config
    out = tmp_path / "issues.jsonl"
    r = cli("audit", "--config", cfg, "--folds", 5, "--out", out, "--top", 5, "--method", "fallback")
    assert r.exit_code == 0, r.output
    issues = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(issues) == 5 and line in [i["line"] for i in issues]
    assert f"flipped.jsonl:{line}" in r.output and "likely label errors" in r.output
    r = cli("audit", "--config", cfg, "--folds", 500)
    assert r.exit_code == 1 and "too few for 500 folds" in r.output
    r = cli("audit", "--config", cfg, "--method", "magic")
    assert r.exit_code == 1 and "unknown audit method 'magic'" in r.output


def test_cli_convert(tmp_path: Path) -> None:
    src = tmp_path / "corpus.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    ls = tmp_path / "tasks.json"
    r = cli("convert", src, ls, "--from", "corpus", "--to", "label-studio", "--labels", "blame,threat,denial")
    assert r.exit_code == 0, r.output
    assert len(json.loads(ls.read_text())) == 4 and '<Choices name="label" toName="text" choice="multiple"' in r.output
    back = tmp_path / "back.jsonl"
    assert cli("convert", ls, back, "--from", "label-studio", "--to", "corpus").exit_code == 0
    assert read_rows_as(back, "corpus") == ROWS
    r = cli("convert", src, ls, "--from", "corpus", "--to", "label-studio", "--labels", "blame,threat")
    assert r.exit_code == 1 and "corpus.jsonl:1: unknown label 'denial'" in r.output
    (tmp_path / "bad.jsonl").write_text('{"text": "x", "labels": ["blame"]}\n{"text": \n', encoding="utf-8")
    r = cli("convert", tmp_path / "bad.jsonl", ls, "--from", "doccano", "--to", "label-studio")
    assert r.exit_code == 1 and "bad.jsonl:2: malformed JSON" in r.output


def test_cli_merge(tmp_path: Path) -> None:
    base = write_jsonl(tmp_path / "base.jsonl", [("A sentence here.", ["blame"])])
    new = write_jsonl(tmp_path / "new.jsonl", [("A  sentence here.", ["threat"]), ("Another one.", ["denial"])])
    out = tmp_path / "merged.jsonl"
    r = cli("merge", base, new, "--out", out)
    assert r.exit_code == 1 and "1 conflict(s)" in r.output and "--on-conflict" in r.output and not out.exists()
    r = cli("merge", base, new, "--out", out, "--on-conflict", "union")
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["labels"] for x in out.read_text().splitlines()] == [["blame", "threat"], ["denial"]]
    r = cli("merge", base, new, "--out", out, "--on-conflict", "mine")
    assert r.exit_code == 1 and "unknown --on-conflict 'mine'" in r.output


# ---------------------------------------------------------------------------------------------
# The command line as a newcomer meets it


def test_version() -> None:
    from stance.version import __version__

    r = cli("--version")
    assert r.exit_code == 0 and r.stdout.strip() == f"stance {__version__}"


COMMANDS = ["train", "evaluate", "score", "compare", "verify", "cv", "tune", "suggest", "convert", "merge", "audit"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_keeps_its_brackets_and_plain_usage(command: str) -> None:
    r = cli(command, "--help")
    assert r.exit_code == 0, r.output
    assert "<bool>" not in r.output and "{" + "model}" not in r.output and "{" not in r.output.split("\n\n")[0]
    usage = next(line for line in r.output.splitlines() if "Usage:" in line)
    assert f" {command} [OPTIONS]" in usage
    if command in ("evaluate", "score", "verify", "suggest"):
        assert "MODEL" in usage


def test_help_text_keeps_square_brackets() -> None:
    """Rich markup used to eat "[tune.grid]" from the help."""
    assert " ".join(cli("tune", "--help").output.split()).count("[tune.grid]") == 2  # the command's line and --config's


def test_usage_errors_are_usage_errors() -> None:
    r = cli("train", "--bogus")
    assert r.exit_code == 2 and "No such option: --bogus" in r.output and "unexpected" not in r.output


def test_global_options_after_the_subcommand(model_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "s.jsonl"
    r = cli("score", model_dir, SEED_ARTICLE, "--out", out, "-q")
    assert r.exit_code == 0, r.output
    assert r.stderr == "" and out.read_text()
    r = cli("score", "-q", model_dir, tmp_path / "missing.txt")
    assert_one_line_error(r, "missing.txt: file not found")
    r = cli("score", model_dir, tmp_path / "missing.txt", "--debug")
    assert r.exit_code != 0 and isinstance(r.exception, Exception) and not isinstance(r.exception, SystemExit)


def test_one_article_is_singular(model_dir: Path, tmp_path: Path) -> None:
    r = cli("score", model_dir, SEED_ARTICLE, "--out", tmp_path / "s.jsonl")
    assert r.exit_code == 0
    assert "1 article," in r.stderr and "1 articles" not in r.stderr


def test_output_is_not_wrapped_at_80_columns_when_piped(model_dir: Path, tmp_path: Path) -> None:
    name = tmp_path / ("a-rather-long-article-file-name-" * 3 + ".txt")
    name.write_text("They blamed the mayor for the flood. We will respond.", encoding="utf-8")
    r = cli("score", model_dir, name, "--out", tmp_path / "s.jsonl")
    assert r.exit_code == 0
    assert any(line.startswith(f"{name}: ") and "blame" in line for line in r.stderr.splitlines()), r.stderr


@pytest.mark.parametrize("which", ["score", "train", "audit"])
def test_no_blank_line_before_an_error(which: str, tmp_path: Path) -> None:
    missing = tmp_path / "missing.jsonl"
    cfg = config(tmp_path, missing)
    args = {"score": ["score", tmp_path / "no-model", SEED_ARTICLE], "train": ["train", "--config", cfg, "--out", tmp_path / "m"]}
    args["audit"] = ["audit", "--config", cfg]
    proc = python_stance(*args[which])
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert not err.startswith("\n") and "\n\n" not in err, repr(err)  # progress lines (audit) may come first, blank ones never
    assert err.rstrip("\n").splitlines()[-1].startswith("error: "), repr(err)
