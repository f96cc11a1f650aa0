"""The accurate tier through the command line: `stance train` on a `model.kind = "transformer"`
config (a tiny local encoder, a few sentences, one epoch, 16 word pieces), then `stance score` and
`stance evaluate` on the model it wrote. Skips cleanly without the extra `accurate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("jax")
pytest.importorskip("tokenizers")
pytest.importorskip("safetensors")

from stance.config import config_from_dict  # noqa: E402
from stance.errors import StanceError  # noqa: E402
from tests.conftest import assert_one_line_error, cli, invoke, write_jsonl  # noqa: E402
from tests.test_transformer import tiny_encoder, toy  # noqa: E402


def _rows() -> list[tuple[str, list[str]]]:
    X, Y = toy()
    return [(x, [lab for lab, y in zip(["cat", "rain"], row) if y]) for x, row in zip(X, Y)]


def _config(tmp_path: Path, **model: object) -> Path:
    rows = _rows()
    write_jsonl(tmp_path / "train.jsonl", rows)
    write_jsonl(tmp_path / "dev.jsonl", rows[::3])
    tiny_encoder(tmp_path / "enc")
    extra = "".join(f"{k} = {json.dumps(v)}\n" for k, v in model.items())
    cfg = tmp_path / "transformer.toml"
    cfg.write_text(
        'labels = ["cat", "rain"]\nseed = 3\n[data]\ntrain = "train.jsonl"\ndev = "dev.jsonl"\n'
        '[model]\nkind = "transformer"\nencoder = "enc"\nepochs = 1\nmax_length = 16\nbatch_size = 8\nhead_lr = 0.01\n'
        + extra
        + '[thresholds]\nstrategy = "dev"\n',
        encoding="utf-8",
    )
    return cfg


def test_train_score_evaluate_a_transformer(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    model = tmp_path / "model"
    r = invoke("train", "--config", cfg, "--out", model)
    assert r.exit_code == 0, r.output
    manifest = json.loads((model / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["thresholds_from"] == "dev"
    desc = manifest["transformer"]
    assert desc["kind"] == "transformer" and desc["hyperparameters"]["max_length"] == 16
    assert Path(desc["encoder"]["path"]) == (tmp_path / "enc").resolve() or desc["encoder"]["path"].endswith("enc")
    assert len(desc["history"]) == 1
    # off a terminal the fine-tune's progress comes as lines: the first batch, then each tenth
    progress = [line for line in r.stderr.splitlines() if line.startswith("train: ")]
    assert progress[0].startswith("train: 1/") and progress[-1].endswith("elapsed)") and "(100%" in progress[-1]
    assert any("left)" in line for line in progress[1:-1]) or len(progress) == 2

    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps({"id": "a1", "text": "The farmer fed the cat this morning. The rain will not stop."}) + "\n")
    scores = tmp_path / "scores.jsonl"
    r = invoke("score", model, articles, "--out", scores, "--evidence", "2")
    assert r.exit_code == 0, r.output
    records = [json.loads(line) for line in scores.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2 and all(set(r["scores"]) == {"cat", "rain"} for r in records)

    report = tmp_path / "report.json"
    r = invoke("evaluate", model, "--data", tmp_path / "dev.jsonl", "--out", report, "--bootstrap", "0")
    assert r.exit_code == 0, r.output
    rep = json.loads(report.read_text(encoding="utf-8"))
    assert set(rep["per_label"]) == {"cat", "rain"}


def test_transformer_keys_are_validated_by_name(tmp_path: Path) -> None:
    for key, value in (("max_length", 4), ("epochs", 0), ("warmup", 1.5), ("dropout", -0.1), ("lr", 0)):
        with pytest.raises(StanceError, match=f"model.{key}"):
            config_from_dict({"model": {"kind": "transformer", key: value}})
    with pytest.raises(StanceError, match="model.device"):
        config_from_dict({"model": {"kind": "transformer", "device": "tpu"}})
    with pytest.raises(StanceError, match="thresholds.strategy"):
        config_from_dict({"model": {"kind": "transformer"}, "thresholds": {"strategy": "cv"}})


def test_a_transformer_without_dev_split_says_so(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    r = cli("train", "--config", cfg, "--out", tmp_path / "m", "--set", "data.dev=''")
    assert_one_line_error(r, "data.dev", "fixed")


def test_scoring_a_transformer_with_several_jobs_does_not_hang(tmp_path: Path) -> None:
    """In a fresh process (JAX not yet imported when the jobs are set up), --jobs 2 must neither fork
    XLA's threads (a deadlock) nor differ from one process."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    model = tmp_path / "model"
    assert invoke("train", "--config", _config(tmp_path), "--out", model).exit_code == 0
    articles = tmp_path / "articles.jsonl"
    articles.write_text(
        "".join(json.dumps({"id": f"a{i}", "text": "The farmer fed the cat. The rain will not stop."}) + "\n" for i in range(20))
    )
    outs = []
    for jobs in ("2", "1"):
        out = tmp_path / f"scores{jobs}.jsonl"
        proc = subprocess.run(
            [sys.executable, "-m", "stance", "score", str(model), str(articles), "--out", str(out), "--jobs", jobs],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr
        outs.append(out.read_text(encoding="utf-8"))
    assert outs[0] == outs[1] and len(outs[0].splitlines()) == 40
