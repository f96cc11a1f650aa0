"""stance.arrays: the scorer arrays give the scikit-learn model's numbers to the bit, load without
scikit-learn, and are refused when damaged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stance.arrays import SCORER_FILE, ArrayModel, export
from stance.articles import Article
from stance.artifact import load_model, load_model_cached, load_scorer
from stance.errors import StanceError
from stance.scoring import score_texts
from tests.conftest import ROOT, SEED_ARTICLE, assert_one_line_error, cli, copy_model

EDGE = [
    "",
    "   ",
    "a\x00b c",  # the separator the batch joins texts with, inside a text
    'Σ ΣΑΣ "quoted" text!?',  # str.lower() that depends on context
    "?!?!",
    "It's not—an invasion; they're “lying”.",
    "Ünïcödé wörds and 2024-05-01 numbers 3.5 %",
]


def corpus_texts() -> list[str]:
    texts = []
    for path in ["seeds/real/test.jsonl", "seeds/corpus/test.jsonl", "seeds/out-of-style/test.jsonl"]:
        with open(ROOT / path, encoding="utf-8") as fh:
            texts += [json.loads(line)["text"] for line in fh]
    return texts + EDGE


def test_scorer_arrays_give_the_models_numbers_to_the_bit(default_model: Path) -> None:
    assert (default_model / SCORER_FILE).exists()
    model, _ = load_model(default_model)
    lean = load_scorer(default_model)
    assert isinstance(lean, ArrayModel) and lean.labels_ == list(model.labels_)
    texts = corpus_texts()
    P = model.predict_proba(texts)
    assert np.array_equal(lean.predict_proba(texts), P)
    D = model.decide(P)
    assert np.array_equal(lean.decide(P), D) and D.any()
    assert lean.explain(texts, only=D) == model.explain(texts, only=D)
    F, G = model.transform(texts).tocsr(), lean.transform(texts)
    assert np.array_equal(F.indptr, G.indptr) and np.array_equal(F.indices, G.indices) and np.array_equal(F.data, G.data)
    rows = np.array([3, 0, len(texts) - 1, 7])  # row selection, as scoring passes the flagged sentences
    assert lean.explain([texts[i] for i in rows], only=D[rows], features=G[rows]) == [
        model.explain([texts[i]], only=D[i : i + 1])[0] for i in rows
    ]
    assert lean.transform([]).shape == (0, F.shape[1]) and lean.explain([]) == []


def test_scoring_records_are_the_same_with_arrays_or_the_model(default_model: Path) -> None:
    articles = [Article("seed", SEED_ARTICLE.read_text(encoding="utf-8")), Article("two", "They lied. We will strike back if attacked.")]
    with_arrays = load_model_cached(default_model, arrays=True)
    assert isinstance(with_arrays, ArrayModel)
    assert score_texts(with_arrays, articles) == score_texts(load_model_cached(default_model), articles)


def test_score_does_not_import_scikit_learn(default_model: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from stance.cli import app; "
        f"sys.argv = ['stance', 'score', {str(default_model)!r}, {str(SEED_ARTICLE)!r}, '--out', {str(tmp_path / 'o.jsonl')!r}]\n"
        "try:\n    app()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print(sorted(m for m in ('sklearn', 'scipy', 'skops') if m in sys.modules))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "o.jsonl").read_text(encoding="utf-8").count("\n") > 20


def test_damaged_scorer_is_refused(default_model: Path, tmp_path: Path) -> None:
    m = copy_model(default_model, tmp_path)
    with open(m / SCORER_FILE, "r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02")
    r = cli("score", m, SEED_ARTICLE, "--out", tmp_path / "o.jsonl")
    assert_one_line_error(r, "scorer.npz", "sha256 does not match")
    assert not (tmp_path / "o.jsonl").exists()
    r = cli("verify", m)
    assert r.exit_code == 1 and "scorer.npz" in r.output


def test_scorer_with_a_pickle_is_refused(default_model: Path, tmp_path: Path) -> None:
    """Even with a matching sha256 (whoever can edit the file can edit the manifest), an .npz holding
    objects is not loaded: allow_pickle=False."""
    import hashlib

    m = copy_model(default_model, tmp_path)
    with np.load(m / SCORER_FILE, allow_pickle=False) as z:
        arrays = dict(z)
    arrays["labels"] = np.array(["blame", "threat", "denial"], dtype=object)
    np.savez(m / SCORER_FILE, **arrays)
    manifest = json.loads((m / "manifest.json").read_text(encoding="utf-8"))
    manifest["scorer_sha256"] = hashlib.sha256((m / SCORER_FILE).read_bytes()).hexdigest()
    (m / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(StanceError, match="cannot load the scorer arrays"):
        load_scorer(m)


def test_models_the_arrays_do_not_reproduce_have_none(tiny_cfg: Path, tmp_path: Path) -> None:
    from stance.config import load_config
    from stance.train import train

    for name, overrides in {
        "cues": [],
        "char": ["features.constructions=false", "features.char_ngrams=[2, 4]"],
        "svm": ["features.constructions=false", "model.kind=linear_svm"],
    }.items():
        out = tmp_path / name
        train(load_config(tiny_cfg, overrides), out)
        assert not (out / SCORER_FILE).exists()
        assert "scorer_file" not in json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        assert load_scorer(out) is None
    # retrained into the same folder as a model that has arrays, the stale file goes
    train(load_config(tiny_cfg, ["features.constructions=false"]), tmp_path / "char", force=True)
    assert (tmp_path / "char" / SCORER_FILE).exists()
    train(load_config(tiny_cfg, ["features.constructions=false", "features.char_ngrams=[2, 4]"]), tmp_path / "char", force=True)
    assert not (tmp_path / "char" / SCORER_FILE).exists()


def test_export_refuses_what_it_would_not_reproduce(default_model: Path) -> None:
    model, _ = load_model(default_model)
    assert export(model, ["They lied."]) is not None
    model.clause_max = 1  # clause pooling: probabilities the arrays do not compute
    assert export(model, ["They lied."]) is None


def test_round4_is_round_to_four_places() -> None:
    from stance.arrays import round4

    rng = np.random.default_rng(3)
    halves = (np.arange(20_000) + 0.5) / 10_000
    near = [halves, np.nextafter(halves, 0), np.nextafter(halves, 9), rng.random(50_000) * 3, rng.random(10_000) ** 9]
    special = [0.0, -0.0, -0.00003, -1.23456, 0.03125, 1 / 32 * 3, 5e-5, 5e-324, 1e300, 214748.36475, 1e12 + 0.5, np.nan, np.inf]
    values = np.concatenate([*near, special])
    got = round4(values).tolist()
    want = [round(v, 4) for v in values.tolist()]
    assert [repr(x) for x in got] == [repr(x) for x in want]


def test_top_terms_edge_cases() -> None:
    """No rows, no pair wanted, every pair (``only`` None), a row without entries, a term from two
    columns (summed, kept at the first), ties (the term seen first in the row)."""
    from stance.arrays import Rows, top_terms

    names = ["a", "b", "a", "c", "d"]
    key = np.array([0, 1, 0, 3, -1])
    W = np.array([[1.0, 2.0, 1.0, 0.5, 9.0], [-1.0, 1.0, 1.0, 1.0, 1.0]])
    rows = Rows(np.array([0, 4, 4, 6]), np.array([0, 1, 2, 3, 1, 4]), np.array([1.0, 0.5, 0.5, 2.0, 1.0, 1.0]), 5)
    labels = ["x", "y"]
    assert top_terms(rows[np.array([], dtype=np.int64)], W, names, key, labels, 5, np.zeros((0, 2))) == []
    assert top_terms(rows, W, names, key, labels, 5, np.zeros((3, 2))) == [{}, {}, {}]
    everything = top_terms(rows, W, names, key, labels, 5, None)
    assert everything == [
        {"x": [["a", 1.5], ["b", 1.0], ["c", 1.0]], "y": [["c", 2.0], ["b", 0.5], ["a", 0.5]]},
        {"x": [], "y": []},
        {"x": [["b", 2.0]], "y": [["b", 1.0]]},
    ]
    only = np.array([[0, 1], [1, 0], [1, 1]])
    assert top_terms(rows, W, names, key, labels, 2, only) == [{"y": [["c", 2.0], ["b", 0.5]]}, {"x": []}, everything[2]]


def _top_terms_by_hand(rows, W, names, key, labels, top_k, only):  # type: ignore[no-untyped-def]
    out = []
    for i in range(rows.shape[0]):
        a, b = rows.indptr[i], rows.indptr[i + 1]
        per = {}
        for j, label in enumerate(labels):
            if only is not None and not only[i, j]:
                continue
            total: dict[int, float] = {}  # by term key, in the row's column order
            for col, val in zip(rows.indices[a:b].tolist(), rows.data[a:b].tolist()):
                c = val * W[j, col]
                if c > 0 and key[col] >= 0:
                    total[key[col]] = total[key[col]] + c if key[col] in total else c
            ranked = sorted(total, key=lambda k: -total[k])[:top_k]  # ties: the term seen first (with a positive entry)
            per[label] = [[names[k], round(float(total[k]), 4)] for k in ranked]
        out.append(per)
    return out


@pytest.mark.parametrize("top_k", [1, 2, 5])
def test_top_terms_is_summing_and_sorting_term_by_term(top_k: int) -> None:
    """Random rows with many ties (values and weights from a few levels, spread over octaves), terms
    named by two columns, columns without a name: the vectorised lists equal the loop's, the few
    candidates left after the bucket filter included."""
    from stance.arrays import Rows, top_terms

    rng = np.random.default_rng(top_k)
    n_cols, n_rows = 60, 300
    names = [f"t{c % 40}" for c in range(n_cols)]
    key = np.array([c % 40 if c % 13 else -1 for c in range(n_cols)])
    W = rng.choice([-1.0, 0.25, 0.5, 1.0, 3.0, 1e-5, 2e-9], size=(3, n_cols))
    lengths = rng.integers(0, 25, n_rows)
    indptr = np.concatenate([[0], np.cumsum(lengths)])
    indices = np.concatenate([np.sort(rng.choice(n_cols, size=k, replace=False)) for k in lengths])
    data = rng.choice([0.1, 0.2, 0.3, 1.0, 7.0], size=len(indices))
    rows = Rows(indptr, indices, data, n_cols)
    only = rng.integers(0, 2, (n_rows, 3))
    for wanted in (only, None):
        assert top_terms(rows, W, names, key, ["x", "y", "z"], top_k, wanted) == _top_terms_by_hand(
            rows, W, names, key, ["x", "y", "z"], top_k, wanted
        )
