"""Prevalence by group: per outlet, holder, period (or crossed), per label, with 95% intervals.

:class:`GroupedPrevalence` is fed sentence records as ``stance score`` streams them (with each
article's metadata) and gives, per group and label: sentences, count, raw rate, corrected
prevalence (:mod:`stance.prevalence`) and its interval; :func:`compare_groups` says which pairs of
groups differ.

**Intervals** are percentile intervals of a bootstrap that resamples both sources of error in the
same replicate: the labelled data the error rates came from (a multinomial resample of its
examples, so the rates' uncertainty is in the interval) and the group's sentences.

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
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.holders import HolderNames
from stance.prevalence import METHODS, ErrorRates, estimate, exact_bounds, json_float

PERIODS = ("year", "month", "week")
MISSING = "(missing)"
BAD_DATE = "(invalid date)"
UNATTRIBUTED = "(unattributed)"
MAX_COMPARED = 30  # groups per grouping compared pairwise in a summary (the largest by sentences)

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


def key_value(key: str, record: Mapping[str, Any], meta: Mapping[str, Any] | None, holders: HolderNames | None = None) -> str:
    """A record's value for one group key: the article's metadata first, then the record. ``holder`` (alias
    ``speaker``): the record's ``holder`` or ``speaker`` (keyed by ``holders`` if given), else ``(unattributed)``."""
    if key in ("holder", "speaker"):
        who = record.get("holder") or record.get("speaker")
        return (holders.key(str(who)) if holders else str(who)) if who else UNATTRIBUTED
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
            raise StanceError(f"--bootstrap {n_boot}: at least 10 resamples are needed for an interval")
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
        self.holders = HolderNames()  # holder groups: one per normalised name across articles

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
                k = (spec, tuple(key_value(key, r, meta, self.holders) for key in keys), unit)
                acc_row = partial.get(k)
                partial[k] = row if acc_row is None else acc_row + row
        for (spec, key, unit), row in partial.items():
            group = self.groups[spec].get(key)
            if group is None:
                group = self.groups[spec][key] = _Group(1 + 2 * L)
            group.add(unit, row, self)

    def shown(self, spec: str, key: tuple[str, ...]) -> list[str]:
        """A group's values as shown: holders in their most frequent written form."""
        return [self.holders.name(v) if k in ("holder", "speaker") else v for k, v in zip(self.groupings[spec], key)]

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
        return np.asarray(estimate(self.method, reps[:, 0], reps[:, 1 + j], reps[:, 1 + L + j], self.rate_replicates(label)))

    def _interval(self, reps: np.ndarray, exact: tuple[float, float] | None) -> list[float] | None:
        """The bootstrap percentile interval, widened to the corrected exact binomial interval
        where that is wider (see :func:`stance.prevalence.exact_bounds`)."""
        ok = reps[np.isfinite(reps)]
        if len(ok) < 0.9 * len(reps):  # undefined in >10% of replicates: no honest interval
            return None
        a = (1 - self.level) / 2 * 100
        lo, hi = np.percentile(ok, [a, 100 - a])
        if exact is not None:
            lo, hi = min(lo, exact[0]), max(hi, exact[1])
        return [json_float(lo), json_float(hi)]

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
                reps, shown = g.replicates(self), self.shown(spec, key)
                for j, lab in enumerate(self.labels):
                    e = self.rates.per_label[lab] if self.rates is not None else None
                    rates = {"tpr": e.tpr, "fpr": e.fpr, "mean_pos": e.mean_pos, "mean_neg": e.mean_neg} if e else None
                    point = estimate(self.method, g.total[0], g.total[1 + j], g.total[1 + L + j], rates)
                    exact = exact_bounds(n, g.total[1 + j], self.level, self.method, rates)
                    rows.append(
                        {
                            "grouping": spec,
                            "group": dict(zip(keys, shown)),
                            "name": " | ".join(shown),
                            "label": lab,
                            "sentences": n,
                            "count": int(g.total[1 + j]),
                            "raw_rate": json_float(g.total[1 + j] / n) if n else None,
                            "mean_score": json_float(g.total[1 + L + j] / n) if n else None,
                            "prevalence": json_float(point),
                            "ci": self._interval(self.estimate_replicates(spec, key, lab, reps), exact),
                            "method": self.method,
                            "rates_from": self.rates_source(),
                        }
                    )
        return rows

    def to_dict(self, max_compared: int = MAX_COMPARED) -> dict[str, Any]:
        """The summary block: settings, the error rates used and where they were measured, the rows,
        and per grouping the pairwise comparisons of its ``max_compared`` largest groups."""
        rows = self.results()
        return {
            "method": self.method,
            "level": self.level,
            "n_boot": self.n_boot,
            "unit": self.unit or "sentence",
            "seed": self.seed,
            "sentences": self._sentences,
            "error_rates": self.rates.summary() if self.rates is not None else None,
            "groups": rows,
            "comparisons": {spec: compare_groups(self, spec, max_groups=max_compared, rows=rows) for spec in self.groupings},
        }


# ---------------------------------------------------------------------------------------------
# Comparing groups


def compare_groups(
    grouped: GroupedPrevalence,
    grouping: str,
    labels: Sequence[str] | None = None,
    alpha: float = 0.05,
    min_sentences: int = 1,
    max_groups: int | None = None,
    rows: Sequence[Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """Which pairs of groups differ: a paired bootstrap of each difference of corrected prevalence.

    Replicate ``b`` of both groups uses the same resample of the labelled data (the error rates
    are common to both, so their uncertainty cancels partly in the difference, as it should) and
    the same weight for any article in both groups. Each pair gets the difference, its percentile
    interval, a two-sided bootstrap p-value (``2 x`` the share of replicates on the far side of 0;
    resolution ``1/n_boot``) and a Holm-adjusted p-value over all pairs of the label; ``differs``
    is adjusted p < ``alpha``, so a grouping with many groups does not flag chance differences.
    Where a group's replicates have no spread (none of its sentences flagged), a bootstrap test
    would be overconfident: that pair differs only if the two intervals do not overlap.
    Comparing overlap of the two groups' own intervals instead would be too conservative (each
    pair still says whether they overlap). Only the ``max_groups`` groups with most sentences are
    compared, if given (pairs grow with the square of the groups); ``rows`` are the grouping's
    :meth:`~GroupedPrevalence.results` if already computed.
    """
    if grouping not in grouped.groupings:
        raise StanceError(f"no grouping {grouping!r} (have {', '.join(grouped.groupings) or 'none'})")
    sizes = {k: g.total[0] for k, g in grouped.groups[grouping].items() if g.total[0] >= min_sentences}
    keys = sorted(sorted(sizes, key=lambda k: (-sizes[k], k))[:max_groups])
    point = {(r["name"], r["label"]): r for r in (rows if rows is not None else grouped.results(grouping)) if r["grouping"] == grouping}
    a = (1 - grouped.level) / 2 * 100
    out = []
    for lab in labels or grouped.labels:
        reps = {k: grouped.estimate_replicates(grouping, k, lab) for k in keys}
        block = []
        for k1, k2 in itertools.combinations(keys, 2):
            d = reps[k1] - reps[k2]
            d = d[np.isfinite(d)]
            r1, r2 = (point[(" | ".join(grouped.shown(grouping, k)), lab)] for k in (k1, k2))
            p1, p2 = r1["prevalence"], r2["prevalence"]
            flat = min(np.ptp(np.nan_to_num(reps[k1])), np.ptp(np.nan_to_num(reps[k2]))) == 0
            if len(d) < 0.9 * grouped.n_boot or p1 is None or p2 is None or flat:
                ci, p = None, float("nan")
            else:
                lo, hi = np.percentile(d, [a, 100 - a])
                ci, p = [json_float(lo), json_float(hi)], float(min(1.0, 2 * min(np.mean(d <= 0), np.mean(d >= 0))))
            block.append(
                {
                    "grouping": grouping,
                    "label": lab,
                    "a": r1["name"],
                    "b": r2["name"],
                    "prevalence_a": p1,
                    "prevalence_b": p2,
                    "difference": json_float(p1 - p2) if p1 is not None and p2 is not None else None,
                    "ci": ci,
                    "p_value": json_float(p),
                    "intervals_overlap": _overlap(r1["ci"], r2["ci"]),
                    # a group whose replicates are all alike (no flagged sentence) has no bootstrap
                    # spread to test with: such a pair differs only if the intervals do not overlap
                    "test": "intervals" if flat else "paired bootstrap",
                }
            )
        for entry, adj in zip(block, _holm([e["p_value"] if e["p_value"] is not None else float("nan") for e in block])):
            entry["p_holm"] = json_float(adj)
            entry["differs"] = (
                entry["intervals_overlap"] is False if entry["test"] == "intervals" else bool(np.isfinite(adj) and adj < alpha)
            )
        out += block
    return out


def _overlap(a: Sequence[float] | None, b: Sequence[float] | None) -> bool | None:
    return None if a is None or b is None else bool(a[0] <= b[1] and b[0] <= a[1])


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
