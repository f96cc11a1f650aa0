"""stance.features: the config's feature parts in a scikit-learn FeatureUnion, with named columns."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import FeatureUnion

from stance.config import FeaturesConfig
from stance.features import TextFeatures, build_features, mask_text, plain_text
from tests.conftest import TINY

TEXTS = [t for t, _ in TINY]


def test_parts_are_a_feature_union_with_named_columns() -> None:
    f = TextFeatures(word_ngrams=(1, 2), char_ngrams=(2, 3), stem_ngrams=(1, 1), constructions=True)
    F = f.fit_transform(TEXTS)
    assert isinstance(f.union_, FeatureUnion) and [n for n, _ in f.union_.transformer_list] == ["word", "char", "stem", "constructions"]
    names = f.get_feature_names_out()
    assert F.shape == (len(TEXTS), len(names)) == (len(TEXTS), f.n_features_out_)
    assert {"word__accused", "word__the minister", "stem__accus", "constructions__<denial_verb>"} <= set(names)
    assert any(n.startswith("char__") for n in names)
    # the same matrix as the union itself gives
    assert (abs(F - f.union_.transform(TEXTS)) > 1e-12).nnz == 0
    # column names and the terms used for evidence agree
    terms = f.term_names()
    assert [f"{n.split('__', 1)[0]}__{t}" for n, t in zip(names, terms)] == list(names)


def test_hashed_columns_are_named_by_index_and_mapped_per_sentence() -> None:
    f = TextFeatures(kind="hashing", word_ngrams=(1, 1), n_features=64).fit(TEXTS)
    assert list(f.get_feature_names_out()[:2]) == ["word__hash_0", "word__hash_1"] and f.term_names() is None
    cols = f.column_terms("The company denied any wrongdoing.")
    X = f.transform(["The company denied any wrongdoing."])
    assert set(cols) == set(X.indices.tolist()) and "denied" in cols.values()


def test_clone_and_config() -> None:
    f = build_features(FeaturesConfig(word_ngrams=[1, 3], stop_words=["attribution"], constructions=True))
    assert f.word_ngrams == (1, 3) and f.stop_words == ("attribution",) and f.constructions
    c = clone(f)
    assert c.get_params() == f.get_params() and not hasattr(c, "union_")
    with pytest.raises(NotFittedError):
        c.transform(["x"])
    fitted = f.fit(TEXTS)
    assert "word__said" not in set(fitted.get_feature_names_out())  # attribution words are dropped


def test_quotes_are_not_features_and_names_can_be_masked() -> None:
    assert plain_text('He said "No."') == "he said  no. "
    assert mask_text("Talks in Minsk on 12 May, Smith said.") == "talks in xname on 0 xname, xname said."
    f = TextFeatures(word_ngrams=(1, 1)).fit(['"Quoted" words.', "Plain words."])
    assert not any('"' in n for n in f.get_feature_names_out())
    assert np.array_equal(f.transform(['"Quoted"']).toarray(), f.transform(["Quoted"]).toarray())


def test_fitted_vocabularies_are_saved_as_arrays() -> None:
    import pickle

    import skops.io as sio

    from stance.features import TextFeatures
    from stance.trust import STANCE_TYPES

    texts = [t for t, _ in TINY]
    tf = TextFeatures(word_ngrams=(1, 2), stem_ngrams=(1, 2), constructions=True).fit(texts)
    state = tf.__getstate__()
    assert set(state["vocabularies_"]) == {"word", "stem"}
    assert not any(hasattr(part, "vocabulary_") for _, part in state["union_"].transformer_list)
    assert all(hasattr(part, "vocabulary_") for _, part in tf.union_.transformer_list[:2])  # the live object is untouched
    for copy in (pickle.loads(pickle.dumps(tf)), sio.loads(sio.dumps(tf), trusted=STANCE_TYPES)):
        for (_, a), (_, b) in zip(tf.union_.transformer_list[:2], copy.union_.transformer_list[:2]):
            assert a.vocabulary_ == b.vocabulary_
        assert (tf.transform(texts) != copy.transform(texts)).nnz == 0
