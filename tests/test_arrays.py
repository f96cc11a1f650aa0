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


def test_token_lookup_by_hash_falls_back_to_the_dict_on_collisions(default_model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stance.tokens

    texts = corpus_texts()[:300] + ["Ünïcödé İstanbul 😀 ΟΔΟΣ rock-'n'-roll", "x" * 50, "governmentalisationisms ΣΑΣ", "they"]
    want = load_scorer(default_model).transform(texts)
    lean = load_scorer(default_model)
    assert all(p.by_hash is not None for p in lean.parts)
    # a token whose hash finds another token: the part's dict for the batch
    first = lean.parts[0]
    first.vocab.cp = first.vocab.cp.copy()
    first.vocab.cp[first.vocab.starts[first.token_id["they"]]] = ord("q")
    got = lean.transform(texts)
    assert np.array_equal(got.indices, want.indices) and np.array_equal(got.data, want.data)
    # the stem part: stems of the words the word part knows, its own table (here misled) for the rest
    stems = next(p for p in lean.parts if p.stem_length is not None)
    assert stems.stems_of is not None
    stems.vocab.cp = stems.vocab.cp + 1
    got = lean.transform(texts)
    assert np.array_equal(got.indices, want.indices) and np.array_equal(got.data, want.data)
    # two table tokens with one hash: no table by hash, the dict for every batch
    monkeypatch.setattr(stance.tokens, "hash_code_points", lambda cp, s, e: np.zeros(len(s), dtype=np.uint64))
    lean = load_scorer(default_model)
    assert all(p.by_hash is None for p in lean.parts)
    got = lean.transform(texts)
    assert np.array_equal(got.indptr, want.indptr) and np.array_equal(got.indices, want.indices) and np.array_equal(got.data, want.data)


def test_sorted_keys_by_16_bit_halves_are_np_sort() -> None:
    from stance.arrays import _sorted

    rng = np.random.default_rng(3)
    for keys in [np.zeros(0, dtype=np.int64), rng.integers(0, 2**32, 5000), rng.integers(0, 300, 999), rng.integers(0, 2**40, 100)]:
        assert np.array_equal(_sorted(keys.astype(np.int64)), np.sort(keys))
    assert np.array_equal(_sorted(np.array([2**32, 5, 2**32 - 1, 0])), [0, 5, 2**32 - 1, 2**32])


def test_pair_table_finds_keys_packed_with_their_columns_or_apart() -> None:
    from stance.arrays import PairTable

    rng = np.random.default_rng(5)
    for high in [2**40, 2**62]:  # keys that fit beside their columns (one packed array), and that do not
        keys = np.unique(rng.integers(0, high, 3000))
        cols = rng.integers(0, 2**20, len(keys))
        table = PairTable(keys, cols)
        assert (table._cols is None) == (high == 2**40)
        probe = np.concatenate((keys, rng.integers(0, high, 500), [0, high - 1]))
        want = dict(zip(keys.tolist(), cols.tolist()))
        assert table.find(probe).tolist() == [want.get(k, -1) for k in probe.tolist()]
    empty = PairTable(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    assert empty.find(np.array([0, 7])).tolist() == [-1, -1] and empty.find(np.zeros(0, dtype=np.int64)).tolist() == []
