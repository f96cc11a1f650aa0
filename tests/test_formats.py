"""stance.formats: Label Studio and doccano both ways, convert, merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stance.errors import StanceError
from stance.formats import (
    convert,
    from_doccano,
    from_label_studio,
    is_unlabelled,
    merge,
    merge_files,
    normalise_text,
    read_rows_as,
    to_doccano,
    to_label_studio,
)
from stance.suggest import suggest
from tests.conftest import (
    ROWS,
    TINY,
    write_jsonl,
)


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


def test_the_whole_loop_through_label_studio(tiny_config_model: Path, articles: Path, tmp_path: Path) -> None:
    """suggest -> Label Studio -> (an annotator labels two tasks) -> corpus -> merge."""
    batch = tmp_path / "batch.jsonl"
    from stance.fileio import write_jsonl as write_rows

    write_rows(batch, suggest(tiny_config_model, [str(articles)], n=4))
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


LABEL_SET = ["blame", "threat", "denial"]
BATCH = [
    {"text": "They will pay for this.", "labels": ["threat"], "suggested": ["threat"], "scores": {"threat": 0.6}, "article": "a"},
    {"text": "Shares rose.", "labels": []},  # already in the base, same labels
]


def _batch(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_merge_reads_a_csv_corpus_and_writes_it_back_as_csv(tmp_path: Path) -> None:
    from stance.data import load_data
    from tests.conftest import cli

    base = tmp_path / "train.csv"
    base.write_text('text,labels,source\n"The company denied any wrongdoing.",denial,t\nShares rose.,,t\n', encoding="utf-8")
    new = _batch(tmp_path / "batch.jsonl", BATCH)
    out = tmp_path / "merged.csv"
    r = cli("merge", base, new, "--out", out)
    assert r.exit_code == 0, r.output
    data = load_data(out, LABEL_SET)
    assert data.texts == ["The company denied any wrongdoing.", "Shares rose.", "They will pay for this."]
    assert data.label_lists() == [["denial"], [], ["threat"]]
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("text,labels,source")


def test_merge_honours_the_configs_fields_and_label_format(tmp_path: Path) -> None:
    from tests.conftest import cli

    base = _batch(
        tmp_path / "base.jsonl",
        [{"sentence": "The company denied any wrongdoing.", "tags": "denial"}, {"sentence": "Shares rose.", "tags": ""}],
    )
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        f'labels = {json.dumps(LABEL_SET)}\n[data]\ntrain = "{base}"\ntext_field = "sentence"\nlabels_field = "tags"\nlabel_format = "delimited"\n'
    )
    new = _batch(tmp_path / "batch.jsonl", BATCH)
    out = tmp_path / "merged.jsonl"
    r = cli("merge", base, new, "--out", out, "--config", cfg)
    assert r.exit_code == 0, r.output
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert [(r["sentence"], r["tags"]) for r in rows] == [
        ("The company denied any wrongdoing.", "denial"),
        ("Shares rose.", ""),
        ("They will pay for this.", "threat"),
    ]
    assert "text" not in rows[2] and "suggested" not in rows[2] and rows[2]["article"] == "a"


def test_merge_refuses_labels_outside_the_targets_set(tmp_path: Path) -> None:
    from tests.conftest import assert_one_line_error, cli

    base = write_jsonl(tmp_path / "base.jsonl", TINY)
    new = _batch(tmp_path / "batch.jsonl", [{"text": "Well done, team.", "labels": ["praise"]}, *BATCH])
    cfg = tmp_path / "c.toml"
    cfg.write_text(f'labels = {json.dumps(LABEL_SET)}\n[data]\ntrain = "{base}"\n')
    out = tmp_path / "merged.jsonl"
    assert_one_line_error(cli("merge", base, new, "--out", out, "--config", cfg), f"{new}:1", "unknown label 'praise'")
    assert not out.exists()
    with pytest.raises(StanceError, match="unknown label 'praise'"):
        merge(BASE, [{"text": "Well done.", "labels": ["praise"]}], labels=LABEL_SET)
    # without a config the base's labels are the target's: a new one is merged, and named
    r = cli("merge", base, new, "--out", out)
    assert r.exit_code == 0, r.output
    assert "warning: " in r.stderr and "'praise'" in r.stderr and f"{new}:1" in r.stderr


def test_convert_reads_a_csv_corpus(tmp_path: Path) -> None:
    src = tmp_path / "train.csv"
    src.write_text('text,labels\n"It is not a coup; the rivals staged this chaos.",denial;blame\nShares rose.,\n', encoding="utf-8")
    result = convert(src, tmp_path / "d.jsonl", "corpus", "doccano")
    assert result["rows"] == 2
    rows = [json.loads(x) for x in (tmp_path / "d.jsonl").read_text().splitlines()]
    assert rows[0]["label"] == ["denial", "blame"] and rows[1]["label"] == []
