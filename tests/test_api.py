"""stance (the package): the notebook API - load, score, to_frame - and the README's Python example."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

import stance
from stance.errors import StanceError
from tests.conftest import ROOT, SEED_ARTICLE


def test_readme_python_example_runs(default_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## In Python") :]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    # the example's paths are relative to the repository; point them at the trained model and the seed
    assert '"models/default"' in code and '"seeds/belarus-lukashenko-2023.txt"' in code
    code = code.replace('"models/default"', repr(str(default_model))).replace(
        '"seeds/belarus-lukashenko-2023.txt"', repr(str(SEED_ARTICLE))
    )
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    flagged = namespace["flagged"]
    assert len(flagged) and any("threat" in labels for labels in flagged["labels"])
    assert "the answer will be immediate" in " ".join(flagged["text"])
    assert "threat" in capsys.readouterr().out


def test_score_takes_what_a_notebook_holds(default_model: Path) -> None:
    model = stance.load(default_model)
    one = list(stance.score(model, "They started this war. The weather was fine.", evidence=0))
    assert [r["sentence"] for r in one] == [0, 1] and one[0]["article"] == "0" and "evidence" not in one[0]
    many = list(stance.score(str(default_model), [{"id": "x", "text": "We deny everything."}, ("y", "We will strike back.")]))
    assert [r["article"] for r in many] == ["x", "y"]
    with pytest.raises(StanceError, match="article 0"):
        list(stance.score(model, [42]))


def test_to_frame_spreads_scores(default_model: Path) -> None:
    records = list(stance.score(default_model, ["If you attack us, we will respond.", "Shares rose."]))
    df = stance.to_frame(records)
    assert len(df) == len(records) == 2
    assert {"article", "text", "labels", "speaker", "boilerplate", "score_blame", "score_threat", "score_denial"} <= set(df.columns)
    assert {"holder", "holder_source", "quote"} <= set(df.columns)
    said = stance.to_frame(stance.score(default_model, "Governor Alan Pike rejected the criticism. He said the state was not to blame."))
    assert list(said["holder"]) == ["Alan Pike", "Alan Pike"] and list(said["holder_source"]) == ["reporting-verb", "pronoun"]
    assert np.allclose(df["score_threat"], [r["scores"]["threat"] for r in records])
    assert stance.to_frame([]).empty


def test_load_refuses_what_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(StanceError, match="model directory not found"):
        stance.load(tmp_path / "nothing")
