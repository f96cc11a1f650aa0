"""Comparing evaluation reports, and saying which differences are real.

When reports were made on the same data (same sha256), each run after the first is compared with
the first, paired by sentence: a paired bootstrap gives a 95% interval of the F1 difference and an
approximate randomisation test (swapping the two runs' predictions per sentence) gives its p-value.
When the data differ, only the aggregates are set side by side, and the result says so.

Reports with different label sets are compared on the labels they share, and the result names
them: macro-F1 is recomputed over the shared labels (a macro-F1 over three labels is no measure to
set against one over two), and micro-F1, which cannot be recomputed from a report's figures, is
left out. Reports sharing no label are refused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stance.errors import StanceError
from stance.metrics import confusion_parts, f1_from_counts

ALPHA = 0.05


def load_report(path: str | Path) -> dict[str, Any]:
    from stance.fileio import read_text

    text = read_text(path)
    try:
        report = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StanceError(f"not a JSON report: {exc.msg}", path=path, line=exc.lineno) from None
    if not isinstance(report, dict) or "per_label" not in report or "macro_f1" not in report:
        raise StanceError("not a stance evaluation report (no per_label / macro_f1)", path=path)
    return report


def _matrices(report: dict[str, Any], labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    preds = report.get("predictions") or []
    index = {lab: j for j, lab in enumerate(labels)}
    Y = np.zeros((len(preds), len(labels)), dtype=np.int64)
    P = np.zeros_like(Y)
    for i, p in enumerate(preds):
        for lab in p["gold"]:
            if lab in index:  # a label only this report has
                Y[i, index[lab]] = 1
        for lab in p["pred"]:
            if lab in index:
                P[i, index[lab]] = 1
    return Y, P


def paired_test(Y: np.ndarray, A: np.ndarray, B: np.ndarray, n_resamples: int = 2000, seed: int = 0) -> dict[str, Any]:
    """F1 differences (B - A) per label and for macro-F1, with paired-bootstrap 95% intervals and
    approximate-randomisation p-values. Identical predictions give delta 0 and p = 1."""
    rng = np.random.default_rng(seed)
    n, L = Y.shape
    # per-sentence contributions to TP / FP / FN of each run
    parts = {"A": confusion_parts(Y, A), "B": confusion_parts(Y, B)}

    def f1_from(weights: np.ndarray, run: str) -> np.ndarray:  # weights: (R, n) -> (R, L)
        tp, fp, fn = (weights @ m for m in parts[run])
        return f1_from_counts(tp, fp, fn)

    ones = np.ones((1, n))
    fa, fb = f1_from(ones, "A")[0], f1_from(ones, "B")[0]
    delta = fb - fa
    delta_macro = float(fb.mean() - fa.mean())

    # paired bootstrap: the same resampled sentences for both runs
    boot, boot_macro = [], []
    for start in range(0, n_resamples, 250):
        r = min(250, n_resamples - start)
        counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(r)]).astype(np.float64)
        d = f1_from(counts, "B") - f1_from(counts, "A")
        boot.append(d)
        boot_macro.append(d.mean(axis=1))
    boot_arr = np.vstack(boot)
    boot_macro_arr = np.concatenate(boot_macro)

    # approximate randomisation: swap the runs' outputs on a random half of sentences
    hits = np.zeros(L)
    hits_macro = 0
    for start in range(0, n_resamples, 250):
        r = min(250, n_resamples - start)
        S = (rng.random((r, n)) < 0.5).astype(np.float64)
        keep = 1 - S
        tpa = keep @ parts["A"][0] + S @ parts["B"][0]
        fpa = keep @ parts["A"][1] + S @ parts["B"][1]
        fna = keep @ parts["A"][2] + S @ parts["B"][2]
        tpb = keep @ parts["B"][0] + S @ parts["A"][0]
        fpb = keep @ parts["B"][1] + S @ parts["A"][1]
        fnb = keep @ parts["B"][2] + S @ parts["A"][2]
        d = f1_from_counts(tpb, fpb, fnb) - f1_from_counts(tpa, fpa, fna)
        hits += (np.abs(d) >= np.abs(delta) - 1e-12).sum(axis=0)
        hits_macro += int((np.abs(d.mean(axis=1)) >= abs(delta_macro) - 1e-12).sum())
    p = (hits + 1) / (n_resamples + 1)
    p_macro = (hits_macro + 1) / (n_resamples + 1)
    ci = np.percentile(boot_arr, [2.5, 97.5], axis=0).T
    ci_macro = np.percentile(boot_macro_arr, [2.5, 97.5])
    return {
        "per_label": [
            {
                "delta": round(float(delta[j]), 4),
                "ci": [round(float(ci[j][0]), 4), round(float(ci[j][1]), 4)],
                "p_value": round(float(p[j]), 4),
                "significant": bool(p[j] < ALPHA),
            }
            for j in range(L)
        ],
        "macro_f1": {
            "delta": round(delta_macro, 4),
            "ci": [round(float(ci_macro[0]), 4), round(float(ci_macro[1]), 4)],
            "p_value": round(float(p_macro), 4),
            "significant": bool(p_macro < ALPHA),
        },
    }


def compare_reports(reports: Sequence[dict[str, Any]], names: Sequence[str], n_resamples: int = 2000, seed: int = 0) -> dict[str, Any]:
    """N-way comparison; every run after the first is tested against the first."""
    if len(reports) < 2:
        raise StanceError("compare needs at least two reports")
    labels = list(reports[0]["per_label"])
    shared = [lab for lab in labels if all(lab in r["per_label"] for r in reports)]
    if not shared:
        raise StanceError("the reports have no label in common; there is nothing to compare")
    same_labels = all(set(r["per_label"]) == set(shared) for r in reports)
    hashes = {r.get("data", {}).get("sha256") for r in reports}
    same_data = len(hashes) == 1 and None not in hashes and all(r.get("predictions") for r in reports)
    result: dict[str, Any] = {
        "runs": list(names),
        "labels": shared,
        "same_data": same_data,
        "paired": same_data,
        "per_label": {
            lab: {
                "precision": [r["per_label"][lab]["precision"] for r in reports],
                "recall": [r["per_label"][lab]["recall"] for r in reports],
                "f1": [r["per_label"][lab]["f1"] for r in reports],
                "support": [r["per_label"][lab].get("support") for r in reports],
            }
            for lab in shared
        },
        "macro_f1": {"values": [r["macro_f1"] for r in reports]},
        "micro_f1": {"values": [r.get("micro_f1") for r in reports]},
        "warnings": [],
    }
    if not same_labels:
        result["macro_f1"]["values"] = [round(float(np.mean([r["per_label"][lab]["f1"] for lab in shared])), 4) for r in reports]
        result["micro_f1"]["values"] = [None for _ in reports]
        left_out = "; ".join(
            f"{name}: {', '.join(lab for lab in r['per_label'] if lab not in shared)}"
            for name, r in zip(names, reports)
            if set(r["per_label"]) != set(shared)
        )
        result["warnings"].append(
            f"the reports have different label sets: compared on the {len(shared)} shared labels {', '.join(shared)} "
            f"(left out: {left_out}); macro-F1 is recomputed over the shared labels and micro-F1 is not compared"
        )
    if not same_data:
        result["warnings"].append(
            "the reports were made on different data (sha256 differ or predictions missing): "
            "only aggregates are compared, and no significance test is possible"
        )
        for lab in shared:
            f = result["per_label"][lab]["f1"]
            result["per_label"][lab]["delta"] = [round(x - f[0], 4) for x in f[1:]]
        m = result["macro_f1"]["values"]
        result["macro_f1"]["delta"] = [round(x - m[0], 4) for x in m[1:]]
        return result
    Y0, A = _matrices(reports[0], shared)
    pairs = []
    for k, r in enumerate(reports[1:], start=1):
        Yk, B = _matrices(r, shared)
        if Yk.shape != Y0.shape or not np.array_equal(Yk, Y0):
            raise StanceError(f"{names[k]}: same data hash as {names[0]} but different gold labels; reports are inconsistent")
        test = paired_test(Y0, A, B, n_resamples=n_resamples, seed=seed)
        pairs.append({"a": names[0], "b": names[k], **test})
    result["pairs"] = pairs
    # the two-run case at top level, as users read it
    for lab_i, lab in enumerate(shared):
        entry = result["per_label"][lab]
        tests = [p["per_label"][lab_i] for p in pairs]
        if len(tests) == 1:
            entry.update(tests[0])
        else:
            entry["tests"] = tests
    if len(pairs) == 1:
        result["macro_f1"].update(pairs[0]["macro_f1"])
    else:
        result["macro_f1"]["tests"] = [p["macro_f1"] for p in pairs]
    return result


def compare_files(paths: Sequence[str | Path], n_resamples: int = 2000, seed: int = 0) -> dict[str, Any]:
    """:func:`compare_reports` on report files, each run named by :func:`run_names` (write the result
    with :func:`stance.render.files.write_report`)."""
    reports = [load_report(p) for p in paths]
    return compare_reports(reports, run_names(paths), n_resamples=n_resamples, seed=seed)


def run_names(paths: Sequence[str | Path]) -> list[str]:
    """A distinct name per report: its file's stem, with as many of its folders in front as it takes
    to tell it from the others (``run-a/report``, ``run-b/report``); the same file named twice is
    ``report`` and ``report (2)``."""
    resolved = [Path(p).resolve() for p in paths]
    names = []
    for path in resolved:
        others = [q for q in resolved if q != path]
        depth = 0
        while depth < len(path.parts) - 1 and any(_tail(q, depth) == _tail(path, depth) for q in others):
            depth += 1
        names.append(_tail(path, depth))
    out: list[str] = []
    for name in names:
        n = out.count(name) + sum(1 for x in out if x.startswith(name + " ("))
        out.append(name if n == 0 else f"{name} ({n + 1})")
    return out


def _tail(path: Path, depth: int) -> str:
    """The stem with ``depth`` of its folders in front."""
    return "/".join([*path.parent.parts[len(path.parent.parts) - depth :], path.stem] if depth else [path.stem])
