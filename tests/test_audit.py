"""stance.audit: likely label errors from out-of-fold predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stance.audit import audit, disagreement, rank_disagreements
from stance.errors import StanceError
from tests.conftest import (
    TINY,
)


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


def test_fallback_ranks_the_most_confident_disagreement_first() -> None:
    Y = np.array([[1, 0], [0, 0], [1, 1], [0, 1]])
    P = np.array([[0.1, 0.2], [0.6, 0.1], [0.9, 0.8], [0.45, 0.7]])
    D = np.array([[0, 0], [1, 0], [1, 1], [1, 1]])  # the fold models' own decisions
    assert disagreement(Y, P, D).round(2).tolist() == [0.9, 0.6, 0.0, 0.45]
    assert rank_disagreements(Y, P, D) == [0, 1, 3]  # row 2 agrees everywhere: not an issue


def test_top_must_not_be_negative(flipped_config: tuple[Path, int]) -> None:
    from stance.config import load_config

    with pytest.raises(StanceError, match="--top must be 0"):
        audit(load_config(flipped_config[0]), folds=2, top=-1)
