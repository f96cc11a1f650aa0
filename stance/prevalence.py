"""Corrected prevalence: how often a label occurs in a sample, from the model's known errors.

"Classify and count" (the share of sentences over threshold) is biased whenever the classifier's
true-positive rate (TPR) is below 1 or its false-positive rate (FPR) above 0: a group's raw rate is
``q = prev * TPR + (1 - prev) * FPR``, so a rare label is over-counted and a common one under-counted.
Knowing TPR and FPR from held-out labelled data, this module inverts that equation:

* **ACC**, adjusted classify-and-count (Forman 2008): ``(q - FPR) / (TPR - FPR)``;
* **PACC**, probabilistic ACC (Bella et al. 2010): the same with the mean score of the group in place
  of ``q``, and the mean score among labelled positives and negatives in place of TPR and FPR.

Both are clipped to [0, 1]. Both assume that the errors transfer: a sentence carrying the label
looks the same to the model in every group as in the labelled data (prior-probability shift;
only the label mix changes). ACC is the default: on pseudo-outlets built from the written corpus its
intervals held far better than PACC's; on real text PACC is slightly better (``docs/prevalence.md``
has the figures and where the assumption fails).

The error rates (:class:`ErrorRates`) are measured at training time on the dev split and stored in
the model's manifest (``error_rates``); ``stance calibrate`` re-measures them on other labelled data
(:mod:`stance.calibrate`). They keep every labelled example's score (rounded, counted per value) so
that the intervals of :mod:`stance.groups` can resample the labelled data too.

**Why quapy is not used.** quapy (PyPI 0.2.3) implements ACC/PACC and an aggregative bootstrap
(Moreo & Salvati 2025), but (1) it requires pandas, tqdm, xlrd, abstention, ucimlrepo and certifi,
a lot to install for two lines of arithmetic; (2) its quantifiers take the whole sample of a group
as one array of classifier outputs, whereas ``stance score`` streams millions of sentences into
thousands of groups at once and must keep memory flat; (3) its estimators are single-label
(binary or multiclass; stance's labels are multi-label, one binary problem each), and error rates
must live in the model's JSON manifest rather than in a pickled quantifier. The adjustment is the
textbook one: quapy's own binary adjustment (``quapy.functional.solve_adjustment_binary`` in 0.2.3)
is the same formula, clipped the same way (where TPR = FPR it divides by 1e-8; here the estimate is
left undefined).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from stance.errors import StanceError

METHODS = ("pacc", "acc", "raw")
_CELLS = ("tp", "fn", "fp", "tn")
_BOOT_CHUNK = 50  # labelled-data replicates drawn per multinomial call (bounds memory for large calibration sets)


# ---------------------------------------------------------------------------------------------
# Error rates measured on labelled data


@dataclass
class LabelErrors:
    """One label's errors on labelled data: the scores of its examples by confusion cell.

    Scores are kept rounded to ``decimals`` and counted per distinct value, per cell (``tp``,
    ``fn``, ``fp``, ``tn``), because the bootstrap must resample the labelled examples, not just
    the rates; rounding bounds the size (at most 4 x 10,001 entries at 4 decimals) however large
    the labelled set. The cell of each example is kept exactly, so hard counts never depend on the
    rounding.
    """

    label: str
    threshold: float
    cells: dict[str, list[tuple[float, int]]]

    def _count(self, cell: str) -> int:
        return int(sum(c for _, c in self.cells.get(cell, [])))

    def _sum(self, *cells: str) -> float:
        return float(sum(v * c for cell in cells for v, c in self.cells.get(cell, [])))

    @property
    def n_pos(self) -> int:
        return self._count("tp") + self._count("fn")

    @property
    def n_neg(self) -> int:
        return self._count("fp") + self._count("tn")

    @property
    def tpr(self) -> float:
        return self._count("tp") / self.n_pos if self.n_pos else float("nan")

    @property
    def fpr(self) -> float:
        return self._count("fp") / self.n_neg if self.n_neg else float("nan")

    @property
    def mean_pos(self) -> float:
        """Mean score among labelled positives: PACC's soft TPR."""
        return self._sum("tp", "fn") / self.n_pos if self.n_pos else float("nan")

    @property
    def mean_neg(self) -> float:
        """Mean score among labelled negatives: PACC's soft FPR."""
        return self._sum("fp", "tn") / self.n_neg if self.n_neg else float("nan")

    def summary(self) -> dict[str, Any]:
        """The figures a reader wants (the counts they come from included)."""
        return {
            "threshold": round(self.threshold, 6),
            "positives": self.n_pos,
            "negatives": self.n_neg,
            "true_positives": self._count("tp"),
            "false_positives": self._count("fp"),
            "tpr": json_float(self.tpr),
            "fpr": json_float(self.fpr),
            "mean_score_pos": json_float(self.mean_pos),
            "mean_score_neg": json_float(self.mean_neg),
        }

    def replicates(self, n_boot: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """TPR, FPR and the soft rates of ``n_boot`` multinomial resamples of the labelled examples."""
        values, counts, cell_of = [], [], []
        for k, cell in enumerate(_CELLS):
            for v, c in self.cells.get(cell, []):
                values.append(v)
                counts.append(c)
                cell_of.append(k)
        v = np.asarray(values, dtype=float)
        c = np.asarray(counts, dtype=float)
        cell = np.asarray(cell_of)
        n = int(c.sum())
        pos, hit = cell <= 1, (cell == 0) | (cell == 2)  # tp, fn are positives; tp, fp are predicted
        out = {k: np.empty(n_boot) for k in ("tpr", "fpr", "mean_pos", "mean_neg")}
        with np.errstate(divide="ignore", invalid="ignore"):
            for start in range(0, n_boot, _BOOT_CHUNK):
                stop = min(n_boot, start + _BOOT_CHUNK)
                draws = rng.multinomial(n, c / n, size=stop - start).astype(float)  # (chunk, distinct examples)
                n_pos, n_neg = draws[:, pos].sum(1), draws[:, ~pos].sum(1)
                out["tpr"][start:stop] = draws[:, pos & hit].sum(1) / n_pos
                out["fpr"][start:stop] = draws[:, ~pos & hit].sum(1) / n_neg
                out["mean_pos"][start:stop] = draws[:, pos] @ v[pos] / n_pos
                out["mean_neg"][start:stop] = draws[:, ~pos] @ v[~pos] / n_neg
        return out


@dataclass
class ErrorRates:
    """Per-label errors of a model on held-out labelled data, and where they were measured.

    ``source`` says on what data (e.g. ``{"split": "dev", "path": ..., "sha256": ..., "n": ...}``);
    it is repeated in every prevalence row, so a published figure names its calibration data.
    """

    labels: list[str]
    per_label: dict[str, LabelErrors]
    source: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict for the model manifest (round-trips through :meth:`from_dict`)."""
        return {
            "version": 1,
            "labels": list(self.labels),
            "source": dict(self.source),
            "per_label": {
                lab: {**e.summary(), "cells": {c: [[v, n] for v, n in e.cells.get(c, [])] for c in _CELLS}}
                for lab, e in self.per_label.items()
            },
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> ErrorRates:
        try:
            labels = [str(x) for x in d["labels"]]
            per_label = {
                lab: LabelErrors(
                    lab,
                    float(d["per_label"][lab]["threshold"]),
                    {c: [(float(v), int(n)) for v, n in d["per_label"][lab]["cells"].get(c, [])] for c in _CELLS},
                )
                for lab in labels
            }
        except (KeyError, TypeError, ValueError) as exc:
            raise StanceError(f"malformed error_rates in the manifest ({type(exc).__name__}: {exc})") from None
        return cls(labels, per_label, dict(d.get("source", {})))

    def summary(self) -> dict[str, Any]:
        return {"source": self.source, "per_label": {lab: e.summary() for lab, e in self.per_label.items()}}


def measure_error_rates(
    Y: np.ndarray,
    P: np.ndarray,
    thresholds: Sequence[float] | np.ndarray,
    labels: Sequence[str],
    source: Mapping[str, Any] | None = None,
    decimals: int = 4,
) -> ErrorRates:
    """Error rates of a model from gold labels ``Y`` and its scores ``P`` (n, labels) on held-out data.

    Use data the model was not fitted on (dev, or a separately labelled sample of the corpus being
    scored): rates measured on training data are optimistic and would under-correct. Thresholds
    tuned on the same dev data make the rates slightly optimistic too.
    """
    Y = np.asarray(Y).astype(bool)
    P = np.asarray(P, dtype=float)
    thr = np.asarray(thresholds, dtype=float)
    if Y.shape != P.shape or Y.ndim != 2 or Y.shape[1] != len(labels) or thr.shape != (len(labels),):
        raise ValueError(f"Y {Y.shape}, P {P.shape}, thresholds {thr.shape} do not fit {len(labels)} labels")
    hit = thr <= P  # the same comparison as the model's own predictions
    per_label = {}
    for j, lab in enumerate(labels):
        y, h, p = Y[:, j], hit[:, j], np.round(P[:, j], decimals)
        masks = {"tp": y & h, "fn": y & ~h, "fp": ~y & h, "tn": ~y & ~h}
        cells = {}
        for cell, m in masks.items():
            vals, counts = np.unique(p[m], return_counts=True)
            cells[cell] = [(float(v), int(n)) for v, n in zip(vals.tolist(), counts.tolist())]
        per_label[lab] = LabelErrors(str(lab), float(thr[j]), cells)
    info = {"n": int(len(Y)), **(dict(source) if source else {})}
    return ErrorRates([str(x) for x in labels], per_label, info)


# ---------------------------------------------------------------------------------------------
# The estimators


def acc(raw_rate: Any, tpr: Any, fpr: Any) -> Any:
    """Adjusted classify-and-count (Forman 2008), clipped to [0, 1]; NaN where TPR <= FPR
    (a classifier no better than chance carries no information to correct with)."""
    raw_rate, tpr, fpr = np.asarray(raw_rate, float), np.asarray(tpr, float), np.asarray(fpr, float)
    gap = tpr - fpr
    with np.errstate(divide="ignore", invalid="ignore"):
        est = np.where(gap > 0, np.clip((raw_rate - fpr) / gap, 0.0, 1.0), np.nan)
    return est if est.ndim else float(est)


def pacc(mean_score: Any, mean_pos: Any, mean_neg: Any) -> Any:
    """Probabilistic ACC (Bella et al. 2010): ACC with mean scores in place of hard rates."""
    return acc(mean_score, mean_pos, mean_neg)


def exact_bounds(n: float, count: float, level: float, method: str, rates: Mapping[str, Any] | None) -> tuple[float, float] | None:
    """The Clopper-Pearson interval of the raw rate, corrected with the point error rates (ACC or
    raw; None for PACC, whose soft counts have no binomial interval).

    A floor under the bootstrap interval: a group with no flagged sentence (or only flagged ones)
    has bootstrap replicates that are all alike, and so a zero-width interval, although 0 of 184
    sentences is compatible with a rate of up to 2%. The exact interval gives such a group its
    sampling uncertainty back; elsewhere it is almost always inside the bootstrap's.
    """
    if method == "pacc" or n <= 0:
        return None
    from scipy.stats import beta

    a = (1 - level) / 2
    lo = float(beta.ppf(a, count, n - count + 1)) if count > 0 else 0.0
    hi = float(beta.ppf(1 - a, count + 1, n - count)) if count < n else 1.0
    if method == "raw" or rates is None:
        return lo, hi
    bounds = acc(np.array([lo, hi]), rates["tpr"], rates["fpr"])
    return None if not np.all(np.isfinite(bounds)) else (float(bounds[0]), float(bounds[1]))


def estimate(method: str, n: Any, count: Any, score_sum: Any, rates: Mapping[str, Any] | None) -> Any:
    """Point estimate(s) of one method from sentence counts, flag counts and score sums (arrays broadcast)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.asarray(count, float) / np.asarray(n, float)
        mean = np.asarray(score_sum, float) / np.asarray(n, float)
    if method == "raw" or rates is None:
        return raw
    if method == "acc":
        return acc(raw, rates["tpr"], rates["fpr"])
    return pacc(mean, rates["mean_pos"], rates["mean_neg"])


def json_float(x: Any, nd: int = 4) -> float | None:
    """Rounded float for JSON; None for NaN (JSON has no NaN)."""
    x = float(x)
    return None if not np.isfinite(x) else round(x, nd)
