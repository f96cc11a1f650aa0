"""The estimator: text features + one binary classifier per label + per-label decision thresholds.

:class:`StanceClassifier` follows scikit-learn's conventions: ``__init__`` only stores parameters,
``fit`` validates and learns everything, thresholds included (as ``TunedThresholdClassifierCV``
does), and sets attributes ending in ``_``. So ``clone(model).fit(...)`` on the same data gives the
same model, and it can be cross-validated and searched like any estimator. Its public surface is
``fit``, ``predict_proba``, ``decide`` (probabilities -> 0/1 labels), ``predict`` and ``explain``
(which terms pushed each score up); nothing outside this module reads its fitted parts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from numbers import Real
from typing import Any

import numpy as np
from joblib import parallel_config
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from stance.config import Config, ModelConfig
from stance.evidence import term_keys, top_terms
from stance.features import TextFeatures, build_features
from stance.soft import fit_ovr, fit_weighted_ovr, is_soft
from stance.thresholds import learn_thresholds

THRESHOLD_MODES = ("dev", "cv")


def build_classifier(cfg: ModelConfig, seed: int) -> Any:
    """A binary classifier with ``predict_proba``, from the [model] section."""
    class_weight = "balanced" if cfg.class_weight == "balanced" else None
    if cfg.kind == "logreg":
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=cfg.C, class_weight=class_weight, max_iter=cfg.max_iter, solver="liblinear", random_state=seed)
    if cfg.kind == "linear_svm":
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import LinearSVC

        svm = LinearSVC(C=cfg.C, class_weight=class_weight, max_iter=cfg.max_iter, random_state=seed)
        return CalibratedClassifierCV(svm, cv=cfg.calibration_folds, method="sigmoid")
    if cfg.kind == "sgd":
        from sklearn.linear_model import SGDClassifier

        return SGDClassifier(
            loss="log_loss", alpha=cfg.alpha, class_weight=class_weight, max_iter=cfg.max_iter, tol=1e-4, random_state=seed
        )
    raise ValueError(f"unknown model kind {cfg.kind!r}")  # config validation makes this unreachable


class StanceClassifier(ClassifierMixin, BaseEstimator):
    """Multi-label sentence classifier: ``fit(texts, Y)`` with Y a 0/1 matrix, one column per label.

    Parameters
    ----------
    features, classifier
        A text transformer (default :class:`~stance.features.TextFeatures`) and a binary classifier
        with ``predict_proba``, fitted once per label (one-vs-rest).
    labels
        Label names, one per column of Y.
    threshold
        ``"dev"``: per label, the F1-optimal threshold on ``X_dev, Y_dev`` given to ``fit`` (on
        out-of-fold predictions on the training data when there is none); ``"cv"``: always on
        out-of-fold predictions on the training data (``cv`` folds); a float: that value for every label.
    none_rate
        Share of unlabelled sentences the thresholds are tuned for (see
        :func:`stance.thresholds.base_rate_weights`); 0 tunes on the data as it is.
    threshold_min, threshold_max
        Bounds of a learnt threshold.
    cv, random_state
        Folds and seed of the out-of-fold predictions.
    n_jobs
        Parallel per-label fits.
    clause_max
        Also score each clause of a compound sentence and keep, per label, the highest score.

    Attributes
    ----------
    labels_, classes_, features_, thresholds_ (one per label), thresholds_from_ (``"dev"``,
    ``"train-cv"`` or ``"fixed"``).
    """

    def __init__(
        self,
        features: TextFeatures | None = None,
        classifier: Any = None,
        labels: Sequence[str] | None = None,
        threshold: str | float = "dev",
        none_rate: float = 0.0,
        threshold_min: float = 0.05,
        threshold_max: float = 0.95,
        cv: int = 3,
        random_state: int | None = None,
        n_jobs: int | None = None,
        clause_max: bool = False,
    ) -> None:
        self.features = features
        self.classifier = classifier
        self.labels = labels
        self.threshold = threshold
        self.none_rate = none_rate
        self.threshold_min = threshold_min
        self.threshold_max = threshold_max
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.clause_max = clause_max

    # -----------------------------------------------------------------------------------------
    def fit(
        self,
        X: Sequence[str],
        Y: Any,
        X_dev: Sequence[str] | None = None,
        Y_dev: Any = None,
        sample_weight: Any = None,
    ) -> StanceClassifier:
        """Fit features and classifiers on ``X, Y``, then learn ``thresholds_`` (see ``threshold``).

        ``Y`` may hold soft targets in [0, 1] (a teacher's probabilities, for distillation): each
        such row is learnt as a positive of weight y and a negative of weight 1 - y, which is the
        cross-entropy against y. ``sample_weight`` weighs rows (for example distilled against gold).
        """
        from sklearn.linear_model import LogisticRegression

        X = list(X)
        Y = np.asarray(Y)
        self._check_params(X, Y, X_dev, Y_dev)
        soft = is_soft(Y)
        if (soft or sample_weight is not None) and self.threshold == "cv":
            raise ValueError("soft targets and sample weights need threshold='dev' (with a dev split) or a number")
        if soft and self.threshold == "dev" and X_dev is None:
            raise ValueError("soft targets need a dev split to learn thresholds on (or a fixed threshold)")
        self.features_ = clone(self.features if self.features is not None else TextFeatures())
        base = clone(self.classifier if self.classifier is not None else LogisticRegression(class_weight="balanced"))
        F = self.features_.fit_transform(X)
        # per-label fits (stance.soft) in forked processes read the matrix in place; in joblib's workers,
        # memory-mapped copy-on-write: liblinear refuses a read-only map ("WRITEBACKIFCOPY base is
        # read-only"), and a pickled copy per label took seconds
        with parallel_config(mmap_mode="c"):
            if soft or sample_weight is not None:
                self.ovr_ = fit_weighted_ovr(base, F, Y.astype(np.float64), sample_weight, self.n_jobs)
            else:
                self.ovr_ = fit_ovr(base, F, Y, self.n_jobs)
        self.labels_ = list(self.labels) if self.labels is not None else [str(j) for j in range(Y.shape[1])]
        self.classes_ = np.arange(Y.shape[1])
        self._evidence_cache = None
        self._evidence_key_cache = None
        if isinstance(self.threshold, Real):
            self.thresholds_ = np.full(Y.shape[1], float(self.threshold))
            self.thresholds_from_ = "fixed"
            return self
        if self.threshold == "dev" and X_dev is not None:
            P, Y_held, self.thresholds_from_ = self.predict_proba(X_dev), np.asarray(Y_dev), "dev"
        else:
            from stance.folds import out_of_fold

            fold_model = clone(self).set_params(threshold=0.5)  # its own thresholds are not used
            P, Y_held, self.thresholds_from_ = out_of_fold(fold_model, X, Y, self.cv, self.random_state).P, Y, "train-cv"
        self.thresholds_ = learn_thresholds(P, Y_held, self.none_rate, self.threshold_min, self.threshold_max)
        return self

    def _check_params(self, X: list[str], Y: np.ndarray, X_dev: Any, Y_dev: Any) -> None:
        if Y.ndim != 2:
            raise ValueError("Y must be a 2-d 0/1 matrix (n_samples, n_labels)")
        if Y.dtype.kind == "f" and (np.isnan(Y).any() or Y.min(initial=0) < 0 or Y.max(initial=0) > 1):
            raise ValueError("Y must hold 0/1 labels or probabilities in [0, 1]")
        if len(X) != len(Y):
            raise ValueError(f"X has {len(X)} texts but Y has {len(Y)} rows")
        if self.labels is not None and len(self.labels) != Y.shape[1]:
            raise ValueError(f"labels names {len(self.labels)} labels but Y has {Y.shape[1]} columns")
        if (X_dev is None) != (Y_dev is None):
            raise ValueError("give both X_dev and Y_dev, or neither")
        if Y_dev is not None and np.asarray(Y_dev).shape[1:] != Y.shape[1:]:
            raise ValueError("Y_dev must have the same columns as Y")
        if isinstance(self.threshold, Real):
            if not 0 < float(self.threshold) < 1:
                raise ValueError(f"threshold must be in (0, 1), got {self.threshold}")
        elif self.threshold not in THRESHOLD_MODES:
            raise ValueError(f"threshold must be 'dev', 'cv' or a number, got {self.threshold!r}")

    # -----------------------------------------------------------------------------------------
    def transform(self, X: Sequence[str]) -> Any:
        """The feature matrix of ``X`` (what ``features=`` of :meth:`predict_proba` and :meth:`explain` take)."""
        check_is_fitted(self, "ovr_")
        return self.features_.transform(list(X))

    def predict_proba(self, X: Sequence[str], *, features: Any = None) -> np.ndarray:
        """(n_samples, n_labels) probabilities, with clause pooling if ``clause_max``; ``features``:
        ``self.transform(X)`` where the caller has it already (scoring reuses it for evidence)."""
        check_is_fitted(self, "ovr_")
        X = list(X)
        P = self._proba(self.features_.transform(X) if features is None else features)
        if self.clause_max:
            owners, clauses = [], []
            for i, text in enumerate(X):
                parts = split_clauses(text)
                if len(parts) > 1:
                    owners += [i] * len(parts)
                    clauses += parts
            if clauses:
                np.maximum.at(P, np.array(owners), self._proba(self.features_.transform(clauses)))
        return P

    def _proba(self, F: Any) -> np.ndarray:
        return np.asarray(self.ovr_.predict_proba(F), dtype=np.float64)

    def decide(self, P: np.ndarray, threshold: float | None = None) -> np.ndarray:
        """0/1 labels from probabilities: ``P >= thresholds_`` per label, or ``P >= threshold`` for a
        what-if with one value for every label (the learnt thresholds are left as they are)."""
        check_is_fitted(self, "thresholds_")
        t = self.thresholds_ if threshold is None else np.full(len(self.thresholds_), float(threshold))
        return (np.asarray(P) >= t).astype(np.uint8)

    def predict(self, X: Sequence[str]) -> np.ndarray:
        return self.decide(self.predict_proba(X))

    def score(self, X: Sequence[str], Y: np.ndarray, sample_weight: Any = None) -> float:
        """Macro-F1 (the default metric for searches and cross-validation)."""
        from stance.metrics import f1_scores

        return f1_scores(np.asarray(Y, dtype=np.uint8), self.predict(X))[2]

    # -----------------------------------------------------------------------------------------
    def explain(
        self, X: Sequence[str], top_k: int = 5, only: np.ndarray | None = None, *, features: Any = None
    ) -> list[dict[str, list[list[Any]]]]:
        """For each text and label: the terms whose weight x value pushed the score up most, as
        ``[term, contribution]``, at most ``top_k``. ``only`` (n_texts, n_labels) 0/1 restricts which
        labels are explained (a text's own decisions, say); ``features``: ``self.transform(X)``
        where the caller has it already.

        Columns are mapped to terms through the fitted vocabularies once per model; hashed n-grams,
        which cannot be mapped back without the sentence, are found by re-analysing each sentence.
        The same string from two parts (word "this", stem "this") is added up.
        """
        check_is_fitted(self, "ovr_")
        texts = list(X)
        if not texts:
            return []
        F = (self.features_.transform(texts) if features is None else features).tocsr()
        W, names, shared = self._evidence_tables()
        if names is not None:
            return self._explain_named(F, W, top_k, only)
        out = []
        for i, text in enumerate(texts):
            a, b = F.indptr[i], F.indptr[i + 1]
            cols, vals = F.indices[a:b], F.data[a:b]
            terms = self.features_.column_terms(text)
            term_of = [terms.get(c) for c in cols.tolist()]
            per_label: dict[str, list[list[Any]]] = {}
            for j, label in enumerate(self.labels_):
                if only is not None and not only[i, j]:
                    continue
                contrib = vals * W[j, cols]
                keep = [k for k in np.flatnonzero(contrib > 0).tolist() if term_of[k] is not None]
                by_term: dict[str, float] = {}
                for k in keep:
                    by_term[term_of[k]] = by_term.get(term_of[k], 0.0) + float(contrib[k])
                ranked = sorted(by_term.items(), key=lambda kv: -kv[1])[:top_k]
                per_label[label] = [[term, round(value, 4)] for term, value in ranked]
            out.append(per_label)
        return out

    def _explain_named(self, F: Any, W: np.ndarray, top_k: int, only: np.ndarray | None) -> list[dict[str, list[list[Any]]]]:
        """:meth:`explain` for columns named by the vocabularies, vectorised over all texts and terms
        (:func:`stance.evidence.top_terms`: a Python loop over every active column of every text was the
        largest part of scoring)."""
        names, key = self._evidence_names()
        return top_terms(F, W, names, key, self.labels_, top_k, only)

    def _evidence_tables(self) -> tuple[np.ndarray, list[str | None] | None, np.ndarray | None]:
        """(weights, column terms, which columns share their term with another), once per model."""
        if getattr(self, "_evidence_cache", None) is None:
            names = self.features_.term_names()
            shared = None
            if names is not None:
                seen: dict[str, int] = {}
                for n in names:
                    if n is not None:
                        seen[n] = seen.get(n, 0) + 1
                shared = np.array([n is not None and seen[n] > 1 for n in names], dtype=bool)
            self._evidence_cache = (self._coefficients(), names, shared)
        return self._evidence_cache

    def _evidence_names(self) -> tuple[list[str | None], np.ndarray]:
        """Column terms, and per column a term key: the first column with the same term (-1: none)."""
        cache = getattr(self, "_evidence_key_cache", None)
        if cache is None:
            names = self._evidence_tables()[1]
            assert names is not None
            key = term_keys(names)
            cache = self._evidence_key_cache = (names, key)
        return cache

    def _coefficients(self) -> np.ndarray:
        """(n_labels, n_features) linear weights, averaged over calibration folds where needed."""
        rows = []
        for est in self.ovr_.estimators_:
            if hasattr(est, "coef_"):
                rows.append(np.ravel(est.coef_))
            elif hasattr(est, "calibrated_classifiers_"):
                rows.append(np.mean([np.ravel(c.estimator.coef_) for c in est.calibrated_classifiers_], axis=0))
            else:  # a constant predictor (label absent in training)
                rows.append(np.zeros(self.features_.n_features_out_))
        return np.vstack(rows)

    def __getstate__(self) -> dict[str, Any]:
        state = super().__getstate__()
        state.pop("_evidence_cache", None)
        state.pop("_evidence_key_cache", None)
        return state


_CLAUSE_RX = re.compile(r"\s*(?:;|:|\s[—–-]{1,2}\s|—)\s*")


def split_clauses(text: str) -> list[str]:
    """Clauses of a compound sentence, split at semicolons, colons and dashes; each at least 4 words."""
    parts = [p for p in _CLAUSE_RX.split(text) if len(p.split()) >= 4]
    return parts if len(parts) > 1 else [text]


def build_model(cfg: Config, n_jobs: int | None = None) -> Any:
    """The estimator a config describes (unfitted): a :class:`StanceClassifier`, or for
    ``model.kind = "transformer"`` a :class:`~stance.transformer.TransformerClassifier`."""
    t = cfg.thresholds
    if cfg.model.kind == "transformer":
        return build_transformer(cfg)
    return StanceClassifier(
        features=build_features(cfg.features),
        classifier=build_classifier(cfg.model, cfg.seed),
        labels=cfg.labels,
        threshold=t.fixed if t.strategy == "fixed" else t.strategy,
        none_rate=t.none_rate,
        threshold_min=t.min,
        threshold_max=t.max,
        cv=3,
        random_state=cfg.seed,
        n_jobs=n_jobs,
        clause_max=cfg.model.clause_max,
    )


def build_transformer(cfg: Config) -> Any:
    """The accurate tier's estimator from ``[model]`` and ``[thresholds]``; needs the extra only to fit."""
    from stance.transformer import TransformerClassifier

    m, t = cfg.model, cfg.thresholds
    return TransformerClassifier(
        model_path=m.encoder,
        labels=cfg.labels,
        max_length=m.max_length,
        epochs=m.epochs,
        batch_size=m.batch_size,
        lr=m.lr,
        head_lr=m.head_lr,
        weight_decay=m.weight_decay,
        warmup=m.warmup,
        dropout=m.dropout,
        freeze_embeddings=m.freeze_embeddings,
        threshold=t.fixed if t.strategy == "fixed" else "dev",
        none_rate=t.none_rate,
        threshold_min=t.min,
        threshold_max=t.max,
        random_state=cfg.seed,
        device=m.device,
        runtime=m.runtime,
    )
