"""Corrected prevalence: how often each label occurs in a group of sentences, with 95% intervals.

"Classify and count" (the share of sentences over threshold) is biased whenever the classifier's
true-positive rate (TPR) is below 1 or its false-positive rate (FPR) above 0: a group's raw rate is
``q = prev * TPR + (1 - prev) * FPR``, so a rare label is over-counted and a common one under-counted.
Knowing TPR and FPR from held-out labelled data, this module inverts that equation:

* **ACC**, adjusted classify-and-count (Forman 2008): ``(q - FPR) / (TPR - FPR)``;
* **PACC**, probabilistic ACC (Bella et al. 2010): the same with the mean score of the group in place
  of ``q``, and the mean score among labelled positives and negatives in place of TPR and FPR.

Both are clipped to [0, 1]. Both assume that the errors transfer: a sentence carrying the label
looks the same to the model in every group as in the labelled data (prior-probability shift;
only the label mix changes). ACC is the default: on pseudo-outlets built from the shipped corpus its
intervals held better (coverage 90% against PACC's 78%; ``docs/prevalence.md`` has the figures and
where the assumption fails).

**Intervals** are percentile intervals of a bootstrap that resamples both sources of error in the
same replicate: the labelled data the error rates came from (a multinomial resample of its
examples, so the rates' uncertainty is in the interval) and the group's sentences.

**Why quapy is not used.** quapy (PyPI 0.2.3) implements ACC/PACC and an aggregative bootstrap
(Moreo & Salvati 2025), but (1) it requires pandas, tqdm, xlrd, abstention, ucimlrepo and certifi,
a lot to install for two lines of arithmetic; (2) its quantifiers take the whole sample of a group
as one array of classifier outputs, whereas ``stance score`` streams millions of sentences into
thousands of groups at once and must keep memory flat; (3) its estimators are single-label
(binary or multiclass; stance's labels are multi-label, one binary problem each), and error rates must live in the model's JSON manifest rather
than in a pickled quantifier. The adjustment is the textbook one: quapy's own binary adjustment
(``quapy.functional.solve_adjustment_binary`` in 0.2.3) is the same formula, clipped the same way
(where TPR = FPR it divides by 1e-8; here the estimate is left undefined).

**Memory: a streaming (Poisson) bootstrap, clustered by article.** Sentences of one article are
not independent (one story carries many blame sentences), so the resampling unit is the article
(``unit="article"``; ``None`` makes every sentence its own unit). Each unit gets ``n_boot``
Poisson(1) weights, drawn from a generator seeded by ``(seed, hash of the unit id)``: the same unit
gets the same weights whatever the input order, chunking or number of workers, and a unit in two
groups (two holders of one article) is weighted alike in both, which is what the paired comparison
in :func:`compare_groups` needs. A group keeps its per-unit sums (sentences, hard count and score
sum per label) until it has more than ``n_boot`` units, then folds them into ``n_boot`` replicate
sums. So a group never holds more than ``n_boot x (1 + 2 x labels)`` numbers, however many
sentences or articles it sees (Oza 2001; Chamandy et al. 2012, "Estimating uncertainty for
massive data streams").

**Wiring (a later phase).** At training time (``stance/train.py``), with dev data::

    from stance.prevalence import measure_error_rates
    manifest["error_rates"] = measure_error_rates(dev.Y, model.predict_proba(dev.texts), model.thresholds_,
                                                  cfg.labels, source={"split": "dev", "path": cfg.data.dev,
                                                  "sha256": dev.sha256}).to_dict()

``stance calibrate MODEL --data F`` does the same on F and replaces the manifest's ``error_rates``. ``stance score
--group-by outlet --group-by date:month --group-by outlet,date:month``::

    rates = ErrorRates.from_dict(manifest["error_rates"]) if "error_rates" in manifest else None
    grouped = GroupedPrevalence(labels, rates, group_by=["outlet", "date:month", "outlet,date:month"],
                                 seed=manifest_seed)
    for article, records in score_stream(...):
        grouped.add(records, meta=article_metadata)      # boilerplate records are skipped
    rows = grouped.results()                              # JSON rows; csv_rows(rows) for CSV
    pairs = compare_groups(grouped, "outlet")             # stance compare-groups / --compare
    png = plot_groups(rows, "outlet,date:month", path="prevalence.png")
"""

from __future__ import annotations

import hashlib
import io
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError

METHODS = ("pacc", "acc", "raw")
PERIODS = ("year", "month", "week")
MISSING = "(missing)"
BAD_DATE = "(invalid date)"
UNATTRIBUTED = "(unattributed)"
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
            "tpr": _r(self.tpr),
            "fpr": _r(self.fpr),
            "mean_score_pos": _r(self.mean_pos),
            "mean_score_neg": _r(self.mean_neg),
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


def _estimate(method: str, n: Any, count: Any, score_sum: Any, rates: Mapping[str, Any] | None) -> Any:
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.asarray(count, float) / np.asarray(n, float)
        mean = np.asarray(score_sum, float) / np.asarray(n, float)
    if method == "raw" or rates is None:
        return raw
    if method == "acc":
        return acc(raw, rates["tpr"], rates["fpr"])
    return pacc(mean, rates["mean_pos"], rates["mean_neg"])


# ---------------------------------------------------------------------------------------------
# Group keys


def parse_grouping(spec: str) -> tuple[str, ...]:
    """``"outlet"``, ``"holder"``, ``"date:month"`` or crossed ``"outlet,date:month"`` -> its keys."""
    keys = tuple(k.strip() for k in spec.split(",") if k.strip())
    if not keys:
        raise StanceError(f"empty --group-by {spec!r}")
    for k in keys:
        if ":" in k:
            fld, period = k.rsplit(":", 1)
            if not fld or period not in PERIODS:
                raise StanceError(f"bad time grouping {k!r}: use FIELD:year, FIELD:month or FIELD:week (e.g. date:month)")
    return keys


def period_of(value: Any, period: str) -> str:
    """``2024-02-13`` -> ``2024`` / ``2024-02`` / ``2024-W07`` (ISO week; sorts as text)."""
    if value is None or value == "":
        return MISSING
    text = str(value).strip()
    try:
        d = datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        try:
            d = date.fromisoformat(text[:10])
        except ValueError:
            return BAD_DATE
    if period == "year":
        return f"{d.year:04d}"
    if period == "month":
        return f"{d.year:04d}-{d.month:02d}"
    y, w, _ = d.isocalendar()
    return f"{y:04d}-W{w:02d}"


def period_start(value: str) -> date | None:
    """The first day of a period label made by :func:`period_of` (None for missing/invalid)."""
    try:
        if "-W" in value:
            y, w = value.split("-W")
            return date.fromisocalendar(int(y), int(w), 1)
        parts = value.split("-")
        return date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, 1)
    except (ValueError, IndexError):
        return None


def key_value(key: str, record: Mapping[str, Any], meta: Mapping[str, Any] | None) -> str:
    """A record's value for one group key: the article's metadata first, then the record itself.

    ``holder`` (alias ``speaker``) is who holds the stance: the record's ``holder`` or ``speaker``,
    ``(unattributed)`` when neither is known.
    """
    if key in ("holder", "speaker"):
        who = record.get("holder") or record.get("speaker")
        return str(who) if who else UNATTRIBUTED
    if ":" in key:
        fld, period = key.rsplit(":", 1)
        return period_of(_lookup(fld, record, meta), period)
    value = _lookup(key, record, meta)
    return MISSING if value is None or value == "" else str(value)


def _lookup(fld: str, record: Mapping[str, Any], meta: Mapping[str, Any] | None) -> Any:
    if meta is not None and fld in meta:
        return meta[fld]
    nested = record.get("meta")
    if isinstance(nested, Mapping) and fld in nested:
        return nested[fld]
    return record.get(fld)


# ---------------------------------------------------------------------------------------------
# Streaming accumulation


class _Group:
    """Sums of one group, plus what the bootstrap needs (bounded: see the module docstring)."""

    __slots__ = ("total", "units", "reps")

    def __init__(self, width: int) -> None:
        self.total = np.zeros(width)
        self.units: dict[str, np.ndarray] | None = {}
        self.reps: np.ndarray | None = None

    def add(self, unit: str, row: np.ndarray, owner: GroupedPrevalence) -> None:
        self.total += row
        if self.units is not None:
            prev = self.units.get(unit)
            self.units[unit] = row.copy() if prev is None else prev + row
            if len(self.units) > owner.n_boot:
                self.reps = self.replicates(owner)
                self.units = None
            return
        assert self.reps is not None
        self.reps += np.outer(owner.weights(unit), row)

    def replicates(self, owner: GroupedPrevalence) -> np.ndarray:
        """(n_boot, width) replicate sums."""
        if self.reps is not None:
            return self.reps
        reps = np.zeros((owner.n_boot, len(self.total)))
        for unit, row in (self.units or {}).items():
            reps += np.outer(owner.weights(unit), row)
        return reps


class GroupedPrevalence:
    """Per group and label: sentences, count, raw rate, corrected prevalence and its 95% interval.

    ``group_by`` lists groupings, each a key or crossed keys joined by commas (``"outlet"``,
    ``"holder"``, ``"date:month"``, ``"outlet,date:month"``); keys are looked up in the article
    metadata given to :meth:`add`, then in the record. ``rates`` None (a model without measured
    error rates) gives raw rates with a sentence-only bootstrap interval, labelled ``method: raw``.
    """

    def __init__(
        self,
        labels: Sequence[str],
        rates: ErrorRates | None,
        group_by: Sequence[str],
        method: str = "acc",
        n_boot: int = 1000,
        seed: int = 0,
        unit: str | None = "article",
        level: float = 0.95,
    ) -> None:
        if method not in METHODS:
            raise StanceError(f"unknown prevalence method {method!r} (use {', '.join(METHODS)})")
        if rates is not None and (missing := [lab for lab in labels if lab not in rates.per_label]):
            raise StanceError(f"the error rates have no entry for label(s) {', '.join(missing)}; run stance calibrate")
        if n_boot < 10:
            raise ValueError("n_boot must be at least 10")
        self.labels = [str(x) for x in labels]
        self.rates = rates
        self.method = method if rates is not None else "raw"
        self.n_boot = n_boot
        self.seed = seed
        self.unit = unit
        self.level = level
        self.groupings = {spec: parse_grouping(spec) for spec in group_by}
        self.groups: dict[str, dict[tuple[str, ...], _Group]] = {spec: {} for spec in self.groupings}
        self._sentences = 0
        self._weights: dict[str, np.ndarray] = {}
        self._rate_reps: dict[str, dict[str, np.ndarray]] = {}

    # -- input ------------------------------------------------------------------------------
    def weights(self, unit: str) -> np.ndarray:
        """The unit's Poisson(1) bootstrap weights: a function of (seed, unit id) only."""
        w = self._weights.get(unit)
        if w is None:
            h = int.from_bytes(hashlib.blake2b(unit.encode("utf-8"), digest_size=8).digest(), "big")
            w = np.random.default_rng([self.seed, h]).poisson(1.0, self.n_boot).astype(float)
            if len(self._weights) >= 256:  # a cache for the units of the current article or group, not a store
                self._weights.clear()
            self._weights[unit] = w
        return w

    def _unit_of(self, r: Mapping[str, Any]) -> str:
        """The resampling unit's id: the record's ``unit`` field (the article); for sentence units,
        or records without one, ``article#sentence`` where known (so weights do not depend on input
        order), else a running number."""
        if self.unit and r.get(self.unit) is not None:
            return str(r[self.unit])
        if r.get("article") is not None and r.get("sentence") is not None:
            return f"{r['article']}#{r['sentence']}"
        return f"#{self._sentences}"

    def add(self, records: Iterable[Mapping[str, Any]], meta: Mapping[str, Any] | None = None) -> None:
        """Add sentence records (``labels``, ``scores``; ``boilerplate`` ones are skipped) of one
        article, or of several when each record carries its own metadata fields."""
        L = len(self.labels)
        partial: dict[tuple[str, tuple[str, ...], str], np.ndarray] = {}
        for r in records:
            if r.get("boilerplate"):
                continue
            self._sentences += 1
            unit = self._unit_of(r)
            row = np.empty(1 + 2 * L)
            row[0] = 1.0
            got = set(r.get("labels") or ())
            scores = r.get("scores") or {}
            for j, lab in enumerate(self.labels):
                row[1 + j] = lab in got
                row[1 + L + j] = float(scores.get(lab, 0.0))
            for spec, keys in self.groupings.items():
                k = (spec, tuple(key_value(key, r, meta) for key in keys), unit)
                acc_row = partial.get(k)
                partial[k] = row if acc_row is None else acc_row + row
        for (spec, key, unit), row in partial.items():
            group = self.groups[spec].get(key)
            if group is None:
                group = self.groups[spec][key] = _Group(1 + 2 * L)
            group.add(unit, row, self)

    # -- output -----------------------------------------------------------------------------
    def rate_replicates(self, label: str) -> dict[str, np.ndarray] | None:
        """Bootstrap replicates of the label's error rates, shared by all groups (their
        uncertainty is common to every group's estimate, and cancels partly in differences)."""
        if self.rates is None:
            return None
        if label not in self._rate_reps:
            j = self.labels.index(label)
            rng = np.random.default_rng([self.seed, 1_000_003, j])
            self._rate_reps[label] = self.rates.per_label[label].replicates(self.n_boot, rng)
        return self._rate_reps[label]

    def estimate_replicates(self, spec: str, key: tuple[str, ...], label: str, reps: np.ndarray | None = None) -> np.ndarray:
        """The ``n_boot`` bootstrap replicates of one group's corrected prevalence (NaN where undefined)."""
        L, j = len(self.labels), self.labels.index(label)
        if reps is None:
            reps = self.groups[spec][key].replicates(self)
        return np.asarray(_estimate(self.method, reps[:, 0], reps[:, 1 + j], reps[:, 1 + L + j], self.rate_replicates(label)))

    def _interval(self, reps: np.ndarray) -> list[float] | None:
        ok = reps[np.isfinite(reps)]
        if len(ok) < 0.9 * len(reps):  # undefined in >10% of replicates: no honest interval
            return None
        a = (1 - self.level) / 2 * 100
        lo, hi = np.percentile(ok, [a, 100 - a])
        return [_r(lo), _r(hi)]

    def rates_source(self) -> dict[str, Any] | None:
        return self.rates.source if self.rates is not None else None

    def results(self, grouping: str | None = None) -> list[dict[str, Any]]:
        """One row per grouping, group and label, groups in sorted order (JSON-ready)."""
        L = len(self.labels)
        rows = []
        for spec in [grouping] if grouping else list(self.groupings):
            keys = self.groupings[spec]
            for key in sorted(self.groups[spec]):
                g = self.groups[spec][key]
                n = int(g.total[0])
                reps = g.replicates(self)
                for j, lab in enumerate(self.labels):
                    rates = self.rates.per_label[lab] if self.rates is not None else None
                    point = _estimate(
                        self.method,
                        g.total[0],
                        g.total[1 + j],
                        g.total[1 + L + j],
                        {"tpr": rates.tpr, "fpr": rates.fpr, "mean_pos": rates.mean_pos, "mean_neg": rates.mean_neg} if rates else None,
                    )
                    rows.append(
                        {
                            "grouping": spec,
                            "group": dict(zip(keys, key)),
                            "name": " | ".join(key),
                            "label": lab,
                            "sentences": n,
                            "count": int(g.total[1 + j]),
                            "raw_rate": _r(g.total[1 + j] / n) if n else None,
                            "mean_score": _r(g.total[1 + L + j] / n) if n else None,
                            "prevalence": _r(point),
                            "ci": self._interval(self.estimate_replicates(spec, key, lab, reps)),
                            "method": self.method,
                            "rates_from": self.rates_source(),
                        }
                    )
        return rows

    def to_dict(self) -> dict[str, Any]:
        """The JSON summary block: settings, the error rates used, and the rows."""
        return {
            "method": self.method,
            "level": self.level,
            "n_boot": self.n_boot,
            "unit": self.unit or "sentence",
            "seed": self.seed,
            "sentences": self._sentences,
            "error_rates": self.rates.summary() if self.rates is not None else None,
            "groups": self.results(),
        }


def csv_rows(rows: Sequence[Mapping[str, Any]]) -> list[list[Any]]:
    """Result rows flattened for CSV, header first (the same figures as the JSON)."""
    out: list[list[Any]] = [
        ["grouping", "group", "label", "sentences", "count", "raw_rate", "prevalence", "ci_low", "ci_high", "method", "rates_from"]
    ]
    for r in rows:
        ci = r["ci"] or [None, None]
        src = r["rates_from"] or {}
        where = src.get("split") or src.get("path") or ""
        out.append(
            [r["grouping"], r["name"], r["label"], r["sentences"], r["count"], r["raw_rate"], r["prevalence"], *ci, r["method"], where]
        )
    return out


# ---------------------------------------------------------------------------------------------
# Comparing groups


def compare_groups(
    grouped: GroupedPrevalence,
    grouping: str,
    labels: Sequence[str] | None = None,
    alpha: float = 0.05,
    min_sentences: int = 1,
) -> list[dict[str, Any]]:
    """Which pairs of groups differ: a paired bootstrap of each difference of corrected prevalence.

    Replicate ``b`` of both groups uses the same resample of the labelled data (the error rates
    are common to both, so their uncertainty cancels partly in the difference, as it should) and
    the same weight for any article in both groups. Each pair gets the difference, its percentile
    interval, a two-sided bootstrap p-value (``2 x`` the share of replicates on the far side of 0;
    resolution ``1/n_boot``) and a Holm-adjusted p-value over all pairs of the label; ``differs``
    is adjusted p < ``alpha``, so a grouping with many groups does not flag chance differences.
    Comparing overlap of the two groups' own intervals instead would be too conservative.
    """
    if grouping not in grouped.groupings:
        raise StanceError(f"no grouping {grouping!r} (have {', '.join(grouped.groupings) or 'none'})")
    keys = [k for k in sorted(grouped.groups[grouping]) if grouped.groups[grouping][k].total[0] >= min_sentences]
    point = {(r["name"], r["label"]): r for r in grouped.results(grouping)}
    a = (1 - grouped.level) / 2 * 100
    out = []
    for lab in labels or grouped.labels:
        reps = {k: grouped.estimate_replicates(grouping, k, lab) for k in keys}
        block = []
        for k1, k2 in itertools.combinations(keys, 2):
            d = reps[k1] - reps[k2]
            d = d[np.isfinite(d)]
            p1, p2 = point[(" | ".join(k1), lab)]["prevalence"], point[(" | ".join(k2), lab)]["prevalence"]
            if len(d) < 0.9 * grouped.n_boot or p1 is None or p2 is None:
                ci, p = None, float("nan")
            else:
                lo, hi = np.percentile(d, [a, 100 - a])
                ci, p = [_r(lo), _r(hi)], float(min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0))))
            block.append(
                {
                    "label": lab,
                    "a": " | ".join(k1),
                    "b": " | ".join(k2),
                    "prevalence_a": p1,
                    "prevalence_b": p2,
                    "difference": _r(p1 - p2) if p1 is not None and p2 is not None else None,
                    "ci": ci,
                    "p_value": _r(p),
                }
            )
        for entry, adj in zip(block, _holm([e["p_value"] if e["p_value"] is not None else float("nan") for e in block])):
            entry["p_holm"] = _r(adj)
            entry["differs"] = bool(np.isfinite(adj) and adj < alpha)
        out += block
    return out


def _holm(p: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment (NaN entries stay NaN and do not count)."""
    arr = np.asarray(p, dtype=float)
    ok = np.flatnonzero(np.isfinite(arr))
    adj = np.full(len(arr), np.nan)
    m = len(ok)
    running = 0.0
    for rank, i in enumerate(ok[np.argsort(arr[ok], kind="stable")]):
        running = max(running, min(1.0, (m - rank) * arr[i]))
        adj[i] = running
    return adj.tolist()


# ---------------------------------------------------------------------------------------------
# Plots


def plot_groups(rows: Sequence[Mapping[str, Any]], grouping: str, path: str | Path | None = None, dpi: int = 100) -> bytes:
    """A PNG of one grouping's rows: one panel per label.

    Without a time key: each group's corrected prevalence with its interval bar (the raw rate as a
    hollow marker beside it). With one (``date:month``...): prevalence over time, a line per value
    of the other keys (one line if there are none) with its interval shaded. Returns the PNG bytes
    and writes them atomically to ``path`` if given. Uses matplotlib's object API (no pyplot, no
    global backend), so it is safe in threads and servers.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    keys = parse_grouping(grouping)
    rows = [r for r in rows if r["grouping"] == grouping]
    labels = list(dict.fromkeys(r["label"] for r in rows))
    if not rows:
        raise StanceError(f"nothing to plot for grouping {grouping!r}")
    time_keys = [k for k in keys if ":" in k]
    groups = sorted({r["name"] for r in rows})
    width = 4.2 if time_keys else max(3.5, 0.45 * len(groups) + 1.5)
    fig = Figure(figsize=(width * len(labels), 3.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(labels), squeeze=False, sharey=True)[0]
    for ax, lab in zip(axes, labels):
        mine = [r for r in rows if r["label"] == lab]
        if time_keys:
            _time_panel(ax, mine, time_keys[0], [k for k in keys if k != time_keys[0]])
        else:
            _bar_panel(ax, mine)
        ax.set_title(lab)
        ax.grid(axis="y", alpha=0.3)
    tops = [r["ci"][1] if r["ci"] else (r["prevalence"] or 0.0) for r in rows] + [r["raw_rate"] or 0.0 for r in rows]
    axes[0].set_ylim(0, min(1.0, 1.15 * max(tops) + 0.02))  # rare labels stay readable; panels share the axis
    method = rows[0]["method"]
    axes[0].set_ylabel("prevalence" if method == "raw" else f"corrected prevalence ({method.upper()})")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    png = buf.getvalue()
    if path is not None:
        from stance.fileio import atomic_write

        with atomic_write(path, "wb") as fh:
            fh.write(png)
    return png


def _err(rows: Sequence[Mapping[str, Any]]) -> np.ndarray:
    """Asymmetric error-bar lengths (a zero bar where no interval could be given)."""
    lo = [(r["prevalence"] - r["ci"][0]) if r["ci"] and r["prevalence"] is not None else 0.0 for r in rows]
    hi = [(r["ci"][1] - r["prevalence"]) if r["ci"] and r["prevalence"] is not None else 0.0 for r in rows]
    return np.maximum(0.0, np.array([lo, hi]))


def _bar_panel(ax: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    x = np.arange(len(rows))
    y = [r["prevalence"] if r["prevalence"] is not None else np.nan for r in rows]
    ax.errorbar(x, y, yerr=_err(rows), fmt="o", capsize=3, label="corrected, 95% interval")
    ax.plot(x + 0.15, [r["raw_rate"] for r in rows], "o", mfc="none", color="grey", label="raw rate")
    ax.set_xticks(x)
    ax.set_xticklabels([r["name"] for r in rows], rotation=45, ha="right", fontsize=8)
    ax.legend(fontsize=7, loc="upper right")


def _time_panel(ax: Any, rows: Sequence[Mapping[str, Any]], time_key: str, others: Sequence[str]) -> None:
    series: dict[str, list[Mapping[str, Any]]] = {}
    for r in rows:
        series.setdefault(" | ".join(r["group"][k] for k in others) or "all", []).append(r)
    for name, points in sorted(series.items()):
        pts = sorted(((period_start(r["group"][time_key]), r) for r in points), key=lambda t: t[0] or date.min)
        pts = [(d, r) for d, r in pts if d is not None and r["prevalence"] is not None]
        if not pts:
            continue
        xs = [d for d, _ in pts]
        (line,) = ax.plot(xs, [r["prevalence"] for _, r in pts], marker="o", label=name)
        lo = [r["ci"][0] if r["ci"] else r["prevalence"] for _, r in pts]
        hi = [r["ci"][1] if r["ci"] else r["prevalence"] for _, r in pts]
        ax.fill_between(xs, lo, hi, alpha=0.2, color=line.get_color())
    ax.legend(fontsize=7, loc="upper right")
    for tick in ax.get_xticklabels():
        tick.set_rotation(45)
        tick.set_ha("right")


def _r(x: Any, nd: int = 4) -> float | None:
    """Rounded float for JSON; None for NaN (JSON has no NaN)."""
    x = float(x)
    return None if not np.isfinite(x) else round(x, nd)
