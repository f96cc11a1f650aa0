"""The labelling loop: suggest, audit, annotation-tool formats, merge, a new label, and the commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from stance.cli import app
from stance.errors import StanceError
from stance.labelling import (
    audit,
    convert,
    from_doccano,
    from_label_studio,
    is_unlabelled,
    label_uncertainty,
    merge,
    merge_files,
    normalise_text,
    read_rows_as,
    select_diverse,
    suggest,
    to_doccano,
    to_label_studio,
)
from tests.conftest import ROOT, TINY, write_jsonl

runner = CliRunner()
JUSTIFICATION = ROOT / "tests" / "data" / "justification.jsonl"

# Near-copies of one sentence the tiny model is unsure about; each in its own article, so that the
# segmenter's repeated-paragraph rule (boilerplate) does not remove them first.
NEAR = [
    "The union said the management had not responded to its demands about pay.",
    "The union said the management had not yet responded to its demands about pay.",
    "The union said that management had not responded to its demands about pay.",
    "The union said the management had still not responded to its demands about pay.",
]
OTHERS = [
    "The spokesman said the report about the depot was not accurate.",
    "Protesters gathered outside the court as the judge read out the verdict.",
    "Voters in the north queued for hours to cast their ballots in the cold.",
    "Shares in the bank fell 4 percent after the report was published on Tuesday.",
]
BOILERPLATE_ARTICLE = (
    "The council said the ferry would stop running in winter.\n\n(Photo: Reuters/Jane Doe)\n\nSign up for our daily newsletter."
)


def invoke(*args: object) -> object:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture()
def tiny_model(tiny_config: Path, tmp_path: Path) -> Path:
    from stance.config import load_config
    from stance.train import train

    out = tmp_path / "model"
    train(load_config(tiny_config), out)
    return out


@pytest.fixture()
def articles(tmp_path: Path) -> Path:
    path = tmp_path / "articles.jsonl"
    items = [{"id": f"near{i}", "text": t} for i, t in enumerate(NEAR)] + [{"id": f"other{i}", "text": t} for i, t in enumerate(OTHERS)]
    items.append({"id": "boiler", "text": BOILERPLATE_ARTICLE})
    path.write_text("".join(json.dumps(x) + "\n" for x in items), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# suggest


def test_uncertainty_is_closeness_to_threshold() -> None:
    u = label_uncertainty(np.array([[0.3, 0.0], [0.0, 0.95], [0.15, 0.5]]), np.array([0.3, 0.9]))
    assert u[0] == pytest.approx(1.0)  # exactly on a threshold
    assert u[1] == pytest.approx(0.5)  # halfway between threshold 0.9 and 1
    assert 0 < u[2] < 1


def test_select_diverse_never_picks_two_near_copies() -> None:
    X = sp.csr_matrix(np.array([[1, 0, 0], [0.99, 0.1, 0], [0.98, 0, 0.1], [0, 1, 0], [0, 0, 1]], dtype=float))
    u = np.array([0.9, 0.89, 0.88, 0.5, 0.4])
    assert select_diverse(X, u, 3, diversity=0.0, max_similarity=1.0) == [0, 1, 2]  # uncertainty alone
    assert select_diverse(X, u, 3) == [0, 3, 4]
    assert select_diverse(X, u, 10) == [0, 3, 4]  # fewer than n rather than a near-copy


def test_suggest_is_diverse_and_skips_boilerplate(tiny_model: Path, articles: Path) -> None:
    plain = suggest(tiny_model, [str(articles)], n=3, diversity=0.0, max_similarity=1.0)
    assert sum(r["text"] in NEAR for r in plain) >= 2  # without diversity the near-copies crowd in
    batch = suggest(tiny_model, [str(articles)], n=3)
    assert len(batch) == 3
    assert sum(r["text"] in NEAR for r in batch) <= 1
    rec = batch[0]
    assert set(rec) == {"text", "labels", "suggested", "scores", "uncertainty", "article", "sentence"}
    assert rec["labels"] == [] and set(rec["scores"]) == {"blame", "threat", "denial"}
    assert [r["uncertainty"] for r in plain] == sorted((r["uncertainty"] for r in plain), reverse=True)

    everything = suggest(tiny_model, [str(articles)], n=100)
    texts = {r["text"] for r in everything}
    assert "The council said the ferry would stop running in winter." in texts
    assert not any("Photo" in t or "newsletter" in t for t in texts)


def test_suggest_excludes_labelled_sentences_and_checks_n(tiny_model: Path, articles: Path, tmp_path: Path) -> None:
    labelled = write_jsonl(tmp_path / "done.jsonl", [(OTHERS[0].upper(), [])])
    batch = suggest(tiny_model, [str(articles)], n=100, exclude=[labelled])
    assert OTHERS[0] not in {r["text"] for r in batch}
    with pytest.raises(StanceError, match="--n must be at least 1"):
        suggest(tiny_model, [str(articles)], n=0)


# ---------------------------------------------------------------------------------------------
# audit


@pytest.fixture()
def flipped_config(tmp_path: Path) -> tuple[Path, int]:
    """TINY plus the justification example's sentences (three labels), one label deliberately swapped."""
    extra = [(r["text"], [x for x in r["labels"] if x != "justification"]) for r in map(json.loads, JUSTIFICATION.read_text().splitlines())]
    rows = list(TINY) + extra
    index = 2  # "The union blamed management for the fatal accident at the plant." is blame, not threat
    assert rows[index][1] == ["blame"]
    rows[index] = (rows[index][0], ["threat"])
    data = write_jsonl(tmp_path / "flipped.jsonl", rows)
    cfg = tmp_path / "flipped.toml"
    cfg.write_text(f'labels = ["blame", "threat", "denial"]\nseed = 1\n[data]\ntrain = "{data}"\n[features]\nconstructions = true\n')
    return cfg, index + 1


@pytest.mark.parametrize("method", ["fallback", "cleanlab"])
def test_audit_ranks_a_flipped_label_near_the_top(flipped_config: tuple[Path, int], method: str) -> None:
    from stance.config import load_config

    if method == "cleanlab":
        pytest.importorskip("cleanlab")
    cfg, line = flipped_config
    result = audit(load_config(cfg), folds=5, method=method)
    assert result["method"] == method and result["n"] == len(TINY) + 43
    ranks = {i["line"]: i for i in result["issues"]}
    assert line in ranks and ranks[line]["rank"] <= 3
    issue = ranks[line]
    assert issue["labels"] == ["threat"] and "blame" in issue["suspected"] and "blame" in issue["add"]
    assert issue["file"].endswith("flipped.jsonl") and issue["text"].startswith("The union blamed")
    assert set(issue["scores"]) == {"blame", "threat", "denial"}
    assert len(audit(load_config(cfg), folds=5, method=method, top=2)["issues"]) == 2


def test_audit_without_cleanlab_falls_back(flipped_config: tuple[Path, int], monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    from stance.config import load_config

    real_import = builtins.__import__

    def no_cleanlab(name: str, *args: object, **kwargs: object) -> object:
        if name == "cleanlab" or name.startswith("cleanlab."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_cleanlab)
    cfg = load_config(flipped_config[0])
    assert audit(cfg, folds=3, method="auto", top=1)["method"] == "fallback"
    with pytest.raises(StanceError, match="stance\\[labelling\\]"):
        audit(cfg, folds=3, method="cleanlab")


# ---------------------------------------------------------------------------------------------
# formats


ROWS = [
    {"text": "The company denied any wrongdoing.", "labels": ["denial"], "source": "t"},
    {"text": "It is not a coup; the president's rivals staged this chaos.", "labels": ["denial", "blame"], "source": "t"},
    {"text": "Shares rose 3 percent.", "labels": [], "source": "t"},
    {
        "text": "We will see what happens.",
        "labels": [],
        "suggested": ["threat"],
        "scores": {"threat": 0.4},
        "uncertainty": 0.8,
        "article": "a",
        "sentence": 3,
    },
]


def test_label_studio_round_trip() -> None:
    tasks = to_label_studio(ROWS)
    assert tasks[0]["annotations"][0]["result"][0]["value"]["choices"] == ["denial"]
    assert tasks[0]["annotations"][0]["result"][0]["type"] == "choices"
    assert tasks[2]["annotations"][0]["result"][0]["value"]["choices"] == []  # labelled: none of the labels
    assert "annotations" not in tasks[3] and tasks[3]["predictions"][0]["result"][0]["value"]["choices"] == ["threat"]
    back = from_label_studio(json.loads(json.dumps(tasks)))
    assert back == ROWS


def test_label_studio_export_from_the_tool() -> None:
    """A task as Label Studio exports it: a cancelled annotation, a ground truth, other control tags."""
    choice = {"from_name": "label", "to_name": "text", "type": "choices"}
    tasks = [
        {
            "id": 7,
            "data": {"text": "They started it.", "article": "x"},
            "annotations": [
                {"was_cancelled": True, "result": [{**choice, "value": {"choices": ["threat"]}}]},
                {
                    "ground_truth": True,
                    "result": [{**choice, "value": {"choices": ["blame"]}}, {"type": "textarea", "value": {"text": ["ok"]}}],
                },
                {"result": [{**choice, "value": {"choices": ["denial"]}}]},
            ],
        }
    ]
    assert from_label_studio(tasks) == [{"text": "They started it.", "labels": ["blame"], "article": "x"}]
    with pytest.raises(StanceError, match=r"task 1 \(id 7\): unknown label 'blame'"):
        from_label_studio(tasks, labels=["threat", "denial"])
    with pytest.raises(StanceError, match=r"task 1: 'data.text' must be a non-empty string \(did you mean \"Text\"\?\)"):
        from_label_studio([{"data": {"Text": "x"}}])


def test_doccano_round_trip() -> None:
    labelled = ROWS[:3]
    lines = to_doccano(labelled)
    assert lines[1] == {"text": ROWS[1]["text"], "label": ["denial", "blame"], "source": "t"}
    assert from_doccano(lines) == labelled
    # doccano cannot say whether a document was reviewed: its rows count as labelled
    back = from_doccano(to_doccano(ROWS[3:]))
    assert back[0]["labels"] == [] and not is_unlabelled(back[0])
    with pytest.raises(StanceError, match="sequence labelling"):
        from_doccano([{"text": "a b", "label": [[0, 1, "blame"]]}], "x.jsonl")


def test_convert_files_round_trip(tmp_path: Path) -> None:
    src = tmp_path / "corpus.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in ROWS[:3]), encoding="utf-8")
    for fmt, name in (("label-studio", "ls.json"), ("doccano", "doccano.jsonl")):
        convert(src, tmp_path / name, "corpus", fmt)
        convert(tmp_path / name, tmp_path / f"back-{fmt}.jsonl", fmt, "corpus")
        assert read_rows_as(tmp_path / f"back-{fmt}.jsonl", "corpus") == ROWS[:3]
    with pytest.raises(StanceError, match="unknown format 'doccan'"):
        convert(src, tmp_path / "x", "corpus", "doccan")


def test_the_whole_loop_through_label_studio(tiny_model: Path, articles: Path, tmp_path: Path) -> None:
    """suggest -> Label Studio -> (an annotator labels two tasks) -> corpus -> merge."""
    batch = tmp_path / "batch.jsonl"
    from stance.labelling import write_jsonl as write_rows

    write_rows(batch, suggest(tiny_model, [str(articles)], n=4))
    convert(batch, tmp_path / "tasks.json", "corpus", "label-studio")
    tasks = json.loads((tmp_path / "tasks.json").read_text())
    assert len(tasks) == 4 and all("annotations" not in t and t["predictions"] for t in tasks)
    tasks[0]["annotations"] = [{"result": [{"type": "choices", "from_name": "label", "to_name": "text", "value": {"choices": ["threat"]}}]}]
    tasks[1]["annotations"] = [{"result": []}]  # looked at: none of the labels
    (tmp_path / "tasks.json").write_text(json.dumps(tasks))
    convert(tmp_path / "tasks.json", tmp_path / "labelled.jsonl", "label-studio", "corpus")
    base = write_jsonl(tmp_path / "base.jsonl", TINY)
    counts = merge_files(base, tmp_path / "labelled.jsonl", tmp_path / "merged.jsonl")
    assert (counts["added"], counts["unlabelled"], counts["total"]) == (2, 2, len(TINY) + 2)
    merged = [json.loads(x) for x in (tmp_path / "merged.jsonl").read_text().splitlines()]
    assert merged[-2]["text"] == tasks[0]["data"]["text"] and merged[-2]["labels"] == ["threat"]
    assert merged[-1]["labels"] == [] and not set(merged[-1]) & {"suggested", "scores", "uncertainty"}


# ---------------------------------------------------------------------------------------------
# merge


BASE = [{"text": "The company denied any wrongdoing.", "labels": ["denial"]}, {"text": "Shares rose.", "labels": []}]


def test_merge_adds_skips_and_refuses_conflicts() -> None:
    new = [
        {"text": "the company  denied any wrongdoing.", "labels": ["denial"]},  # same sentence, same labels
        {"text": "They will pay.", "labels": ["threat"], "suggested": [], "scores": {}, "uncertainty": 0.5, "article": "a"},
        {"text": "Untouched.", "labels": [], "suggested": ["blame"]},
        {"text": "Shares rose.", "labels": ["blame"]},  # conflict
    ]
    with pytest.raises(StanceError, match=r"1 conflict\(s\).*'Shares rose\.'.*\[\] at base:2 vs \['blame'\] at new:4"):
        merge(BASE, new)
    rows, counts = merge(BASE, new, "ours")
    assert counts == {"base": 2, "added": 1, "duplicates": 1, "conflicts": 1, "unlabelled": 1}
    assert rows[1]["labels"] == [] and rows[2] == {"text": "They will pay.", "labels": ["threat"], "article": "a"}
    assert merge(BASE, new, "theirs")[0][1]["labels"] == ["blame"]
    assert merge(BASE, [{"text": "The company denied any wrongdoing!", "labels": ["blame"]}], "union")[0][2]["labels"] == ["blame"]
    assert merge(BASE, [{"text": "THE COMPANY DENIED ANY WRONGDOING.", "labels": ["blame"]}], "union")[0][0]["labels"] == [
        "denial",
        "blame",
    ]
    with pytest.raises(StanceError, match="unlabelled suggestions"):
        merge(BASE, [{"text": "Untouched.", "labels": [], "suggested": ["blame"]}])
    assert normalise_text("It’s  “fine”") == normalise_text('it\'s "FINE"')


def test_merge_files_writes_atomically(tmp_path: Path) -> None:
    base = write_jsonl(tmp_path / "base.jsonl", [("A sentence here.", ["blame"])])
    new = write_jsonl(tmp_path / "new.jsonl", [("A sentence here.", ["threat"]), ("Another one.", [])])
    with pytest.raises(StanceError, match="new.jsonl:1"):
        merge_files(base, new, base)
    assert base.read_text().count("\n") == 1  # untouched after the refusal
    counts = merge_files(base, new, base, "theirs")
    assert counts["total"] == 2 and [json.loads(x)["labels"] for x in base.read_text().splitlines()] == [["threat"], []]


# ---------------------------------------------------------------------------------------------
# a new label, no code


def test_justification_example_trains_and_scores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from stance.config import load_config
    from stance.score import Article, score_texts
    from stance.train import train

    rows = [json.loads(x) for x in JUSTIFICATION.read_text().splitlines()]
    assert 35 <= len(rows) <= 50 and sum("justification" in r["labels"] for r in rows) >= 12
    monkeypatch.chdir(ROOT)  # config paths are relative to where the command runs
    cfg = load_config(ROOT / "configs" / "justification-example.toml")
    assert cfg.labels == ["blame", "threat", "denial", "justification"]
    manifest = train(cfg, tmp_path / "model")
    assert set(manifest["thresholds"]) == set(cfg.labels)
    from stance.artifact import load_model

    model, _ = load_model(tmp_path / "model")
    text = "The curfew was necessary to protect residents while the fires were brought under control, the governor said."
    (records,) = score_texts(model, [Article("a", text)])
    assert "justification" in records[0]["labels"] and set(records[0]["scores"]) == set(cfg.labels)


# ---------------------------------------------------------------------------------------------
# commands


def test_cli_suggest(tiny_model: Path, articles: Path, tmp_path: Path) -> None:
    out = tmp_path / "batch.jsonl"
    r = invoke("suggest", tiny_model, articles, "--n", 3, "--out", out, "--seed", 1)
    assert r.exit_code == 0, r.output
    batch = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(batch) == 3 and all(b["labels"] == [] and "suggested" in b for b in batch)
    r = invoke("suggest", tiny_model, tmp_path / "missing.txt", "--out", out)
    assert r.exit_code == 1 and "missing.txt: file not found" in r.output and "Traceback" not in r.output
    r = invoke("suggest", tiny_model, articles, "--n", 0)
    assert r.exit_code == 1 and "--n must be at least 1" in r.output


def test_cli_audit(flipped_config: tuple[Path, int], tmp_path: Path) -> None:
    cfg, line = flipped_config
    out = tmp_path / "issues.jsonl"
    r = invoke("audit", "--config", cfg, "--folds", 5, "--out", out, "--top", 5, "--method", "fallback")
    assert r.exit_code == 0, r.output
    issues = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(issues) == 5 and line in [i["line"] for i in issues]
    assert f"flipped.jsonl:{line}" in r.output and "likely label errors" in r.output
    r = invoke("audit", "--config", cfg, "--folds", 500)
    assert r.exit_code == 1 and "too few for 500 folds" in r.output
    r = invoke("audit", "--config", cfg, "--method", "magic")
    assert r.exit_code == 1 and "unknown audit method 'magic'" in r.output


def test_cli_convert(tmp_path: Path) -> None:
    src = tmp_path / "corpus.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8")
    ls = tmp_path / "tasks.json"
    r = invoke("convert", src, ls, "--from", "corpus", "--to", "label-studio", "--labels", "blame,threat,denial")
    assert r.exit_code == 0, r.output
    assert len(json.loads(ls.read_text())) == 4 and '<Choices name="label" toName="text" choice="multiple"' in r.output
    back = tmp_path / "back.jsonl"
    assert invoke("convert", ls, back, "--from", "label-studio", "--to", "corpus").exit_code == 0
    assert read_rows_as(back, "corpus") == ROWS
    r = invoke("convert", src, ls, "--from", "corpus", "--to", "label-studio", "--labels", "blame,threat")
    assert r.exit_code == 1 and "corpus.jsonl:1: unknown label 'denial'" in r.output
    (tmp_path / "bad.jsonl").write_text('{"text": "x", "labels": ["blame"]}\n{"text": \n', encoding="utf-8")
    r = invoke("convert", tmp_path / "bad.jsonl", ls, "--from", "doccano", "--to", "label-studio")
    assert r.exit_code == 1 and "bad.jsonl:2: malformed JSON" in r.output


def test_cli_merge(tmp_path: Path) -> None:
    base = write_jsonl(tmp_path / "base.jsonl", [("A sentence here.", ["blame"])])
    new = write_jsonl(tmp_path / "new.jsonl", [("A  sentence here.", ["threat"]), ("Another one.", ["denial"])])
    out = tmp_path / "merged.jsonl"
    r = invoke("merge", base, new, "--out", out)
    assert r.exit_code == 1 and "1 conflict(s)" in r.output and "--on-conflict" in r.output and not out.exists()
    r = invoke("merge", base, new, "--out", out, "--on-conflict", "union")
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["labels"] for x in out.read_text().splitlines()] == [["blame", "threat"], ["denial"]]
    r = invoke("merge", base, new, "--out", out, "--on-conflict", "mine")
    assert r.exit_code == 1 and "unknown --on-conflict 'mine'" in r.output
