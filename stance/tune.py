"""Cross-validation and hyperparameter search over configs.

Both work on configs rather than estimator parameters, so what they report or save is a config a
user can train from. Test data never enters: ``cv`` uses train+dev, ``tune`` scores candidates by
cross-validation on train and measures only the winner on dev.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np

from stance.config import Config, apply_overrides, config_from_dict
from stance.data import LabelledData, concat, load_data, stratified_kfold
from stance.errors import StanceError
from stance.evaluate import compute_metrics


def _fold_scores(cfg: Config, data: LabelledData, folds: int) -> list[dict[str, Any]]:
    from stance.train import fit_model

    out = []
    for tr, te in stratified_kfold(data.Y, folds, cfg.seed):
        model, _ = fit_model(cfg, data.subset(tr), None)
        test = data.subset(te)
        out.append(compute_metrics(test.Y, model.predict_proba(test.texts), model.thresholds_, cfg.labels, n_boot=0))
    return out


def cross_validate(cfg: Config, folds: int = 5, on_fold: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Multi-label stratified k-fold on train+dev; mean and standard deviation per metric.

    In each fold, thresholds are tuned on out-of-fold predictions within that fold's training part.
    """
    parts = [load_data(cfg.data.train, cfg.labels, cfg.data)]
    if cfg.data.dev:
        parts.append(load_data(cfg.data.dev, cfg.labels, cfg.data))
    data = concat(parts)
    if len(data) < folds * 2:
        raise StanceError(f"{len(data)} records are too few for {folds} folds", path=data.source)
    scores = _fold_scores(cfg, data, folds)
    if on_fold:
        on_fold(folds)

    def agg(values: list[float]) -> dict[str, float]:
        return {"mean": round(float(np.mean(values)), 4), "std": round(float(np.std(values, ddof=1)), 4)}

    return {
        "folds": folds,
        "n": len(data),
        "data": data.source,
        "macro_f1": agg([s["macro_f1"] for s in scores]),
        "micro_f1": agg([s["micro_f1"] for s in scores]),
        "per_label": {lab: {m: agg([s["per_label"][lab][m] for s in scores]) for m in ("precision", "recall", "f1")} for lab in cfg.labels},
        "per_fold": [{"macro_f1": s["macro_f1"], "micro_f1": s["micro_f1"]} for s in scores],
    }


_DISTS = ("uniform", "loguniform", "randint")


def _space(grid: dict[str, Any]) -> dict[str, Any]:
    """Validate the [tune.grid] table into lists and scipy distributions."""
    from scipy import stats

    space: dict[str, Any] = {}
    for key, spec in grid.items():
        if isinstance(spec, list):
            if not spec:
                raise StanceError(f"config key 'tune.grid.{key}': empty list")
            space[key] = spec
        elif isinstance(spec, dict):
            dist, low, high = spec.get("dist"), spec.get("low"), spec.get("high")
            if dist not in _DISTS or not isinstance(low, (int, float)) or not isinstance(high, (int, float)) or low >= high:
                raise StanceError(
                    f"config key 'tune.grid.{key}': expected {{dist = {'|'.join(_DISTS)}, low = ..., high = ...}} with low < high"
                )
            if dist == "uniform":
                space[key] = stats.uniform(low, high - low)
            elif dist == "loguniform":
                if low <= 0:
                    raise StanceError(f"config key 'tune.grid.{key}': loguniform needs low > 0")
                space[key] = stats.loguniform(low, high)
            else:
                space[key] = stats.randint(int(low), int(high) + 1)
        else:
            raise StanceError(f"config key 'tune.grid.{key}': expected a list of values or a distribution table")
    return space


def grid_candidates(grid: dict[str, Any], n_iter: int = 0, seed: int = 0) -> list[dict[str, Any]]:
    """Candidates from [tune.grid]: the full grid, or ``n_iter`` samples (scikit-learn's
    ParameterGrid / ParameterSampler)."""
    if not grid:
        raise StanceError('config has no [tune] grid; add e.g. [tune.grid] "model.C" = [0.5, 1, 4]')
    from sklearn.model_selection import ParameterGrid, ParameterSampler

    space = _space(grid)
    if n_iter > 0:
        return [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in p.items()} for p in ParameterSampler(space, n_iter, random_state=seed)
        ]
    if any(not isinstance(v, list) for v in space.values()):
        raise StanceError("config key 'tune.n_iter': distributions need random search; set tune.n_iter > 0")
    return list(ParameterGrid(space))


def _with(cfg: Config, params: dict[str, Any]) -> Config:
    raw = cfg.to_dict()
    items = [f"{k}={json.dumps(v)}" for k, v in params.items()]
    try:
        return config_from_dict(apply_overrides(raw, items))
    except StanceError as exc:
        raise StanceError(f"[tune.grid]: {exc}") from None


def tune(cfg: Config, n_jobs: int = 1, on_candidate: Callable[[dict[str, Any], float], None] | None = None) -> dict[str, Any]:
    """Grid search: each candidate config scored by k-fold macro-F1 on train (in parallel with
    joblib); the best is refitted on train, thresholds tuned on dev, and measured on dev."""
    from joblib import Parallel, delayed

    from stance.train import fit_model

    candidates = grid_candidates(cfg.tune.grid, cfg.tune.n_iter, cfg.seed)
    configs = [_with(cfg, p) for p in candidates]
    train = load_data(cfg.data.train, cfg.labels, cfg.data)
    metric = cfg.tune.metric

    def run(c: Config) -> float:
        return float(np.mean([s[metric] for s in _fold_scores(c, train, cfg.tune.folds)]))

    results = []
    for params, score in zip(candidates, Parallel(n_jobs=n_jobs, return_as="generator")(delayed(run)(c) for c in configs)):
        results.append({"params": params, metric: round(score, 4)})
        if on_candidate:
            on_candidate(params, score)
    best_i = int(np.argmax([r[metric] for r in results]))
    best_cfg = configs[best_i]
    dev_metrics = None
    if best_cfg.data.dev:
        dev = load_data(best_cfg.data.dev, cfg.labels, cfg.data)
        model, _ = fit_model(best_cfg, train, dev)
        dev_metrics = compute_metrics(dev.Y, model.predict_proba(dev.texts), model.thresholds_, cfg.labels, n_boot=0)
    return {"metric": metric, "candidates": results, "best": results[best_i], "best_config": best_cfg.to_dict(), "dev_metrics": dev_metrics}


def to_toml(d: dict[str, Any]) -> str:
    """A config dict as TOML (the subset of TOML configs use: tables of scalars and lists)."""

    def val(v: Any) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, (int, float)):
            return repr(v)
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, (list, tuple)):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {val(x)}" for k, x in v.items()) + "}"
        raise TypeError(type(v))

    lines, tables = [], []
    for k, v in d.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif v is not None:
            lines.append(f"{k} = {val(v)}")
    for name, table in tables:
        sub = [(k, v) for k, v in table.items() if isinstance(v, dict)]
        lines += ["", f"[{name}]"] + [f"{k} = {val(v)}" for k, v in table.items() if v is not None and not isinstance(v, dict)]
        for k, v in sub:
            lines += ["", f"[{name}.{k}]"] + [f"{json.dumps(kk)} = {val(vv)}" for kk, vv in v.items()]
    return "\n".join(lines) + "\n"
