"""Corrected prevalence: estimators on known answers, grouping, the streaming bootstrap, comparisons,
plots, and the acceptance test on pseudo-outlets built from the shipped labelled corpus."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from stance.errors import StanceError
from stance.groups import (
    BAD_DATE,
    MISSING,
    UNATTRIBUTED,
    GroupedPrevalence,
    _holm,
    compare_groups,
    key_value,
    parse_grouping,
    period_of,
    period_start,
)
from stance.prevalence import ErrorRates, acc, measure_error_rates, pacc
from stance.render.files import group_csv_rows
from stance.render.plots import prevalence_plot

ROOT = Path(__file__).resolve().parent.parent
LABELS = ["blame", "threat"]


def known_rates() -> ErrorRates:
    """blame: 10 positives (8 flagged, scores 0.7 on average), 10 negatives (1 flagged, mean 0.2):
    TPR 0.8, FPR 0.1. threat: TPR 0.5, FPR 0.25."""
    y_b = np.r_[np.ones(10), np.zeros(10)]
    p_b = np.r_[[0.9] * 6, [0.6] * 2, [0.4] * 2, [0.6], [0.2] * 4, [0.1] * 5]  # positives: 8 of 10 flagged; negatives: 1 of 10
    y_t = np.r_[np.ones(4), np.zeros(16)]
    p_t = np.r_[[0.8, 0.6, 0.3, 0.3], [0.7] * 4, [0.1] * 12]
    rates = measure_error_rates(np.c_[y_b, y_t], np.c_[p_b, p_t], [0.5, 0.5], LABELS, source={"split": "dev"})
    return rates


def records(n: int, flagged: int, score: float, label: str = "blame", unit: str = "a") -> list[dict]:
    """n sentences of one article; the first ``flagged`` carry ``label``; every score is ``score``."""
    return [
        {"article": f"{unit}{i}", "labels": [label] if i < flagged else [], "scores": {lab: score for lab in LABELS}, "speaker": None}
        for i in range(n)
    ]


# ---------------------------------------------------------------------------------------------
# Estimators and error rates


def test_error_rates_are_counted_exactly() -> None:
    e = known_rates().per_label["blame"]
    assert (e.n_pos, e.n_neg, e.tpr, e.fpr) == (10, 10, 0.8, 0.1)
    assert e.mean_pos == pytest.approx((0.9 * 6 + 0.6 * 2 + 0.4 * 2) / 10)
    assert e.mean_neg == pytest.approx((0.6 + 0.2 * 4 + 0.1 * 5) / 10)
    s = known_rates().summary()["per_label"]["threat"]
    assert (s["positives"], s["true_positives"], s["false_positives"], s["tpr"], s["fpr"]) == (4, 2, 4, 0.5, 0.25)


def test_acc_and_pacc_known_answers_and_clipping() -> None:
    assert acc(0.45, 0.8, 0.1) == pytest.approx(0.5)  # 0.5 * 0.8 + 0.5 * 0.1 = 0.45
    assert pacc(0.45, 0.7, 0.2) == pytest.approx(0.5)
    assert acc(0.05, 0.8, 0.1) == 0.0  # fewer flags than false positives alone would give
    assert acc(0.95, 0.8, 0.1) == 1.0
    assert np.isnan(acc(0.3, 0.2, 0.2))  # a classifier no better than chance: nothing to correct with
    assert acc(np.array([0.1, 0.8, 1.0]), 0.8, 0.1).tolist() == [0.0, 1.0, 1.0]


def test_group_estimate_recovers_a_constructed_prevalence() -> None:
    rates = known_rates()
    e = rates.per_label["blame"]
    # 100 sentences with true prevalence 0.5: 45 flagged (0.5 * TPR + 0.5 * FPR), mean score 0.5 * mean_pos + 0.5 * mean_neg
    mean = 0.5 * e.mean_pos + 0.5 * e.mean_neg
    for method, want in (("acc", 0.5), ("pacc", 0.5), ("raw", 0.45)):
        gp = GroupedPrevalence(LABELS, rates, ["outlet"], method=method, n_boot=200, seed=1)
        gp.add(records(100, 45, mean), meta={"outlet": "A"})
        (row,) = [r for r in gp.results() if r["label"] == "blame"]
        assert (row["sentences"], row["count"], row["raw_rate"]) == (100, 45, 0.45)
        assert row["prevalence"] == pytest.approx(want, abs=1e-4)
        assert row["method"] == method and row["rates_from"]["split"] == "dev"
        lo, hi = row["ci"]
        assert 0 <= lo <= row["prevalence"] <= hi <= 1 and hi - lo > 0.05  # rates from 20 examples: wide


def test_without_rates_the_method_is_raw() -> None:
    gp = GroupedPrevalence(LABELS, None, ["outlet"], n_boot=50)
    gp.add(records(20, 5, 0.3), meta={"outlet": "A"})
    row = gp.results()[0]
    assert row["method"] == "raw" and row["prevalence"] == row["raw_rate"] == 0.25 and row["rates_from"] is None


def test_error_rates_round_trip_through_json() -> None:
    rates = known_rates()
    again = ErrorRates.from_dict(json.loads(json.dumps(rates.to_dict())))
    assert again.to_dict() == rates.to_dict()
    assert again.per_label["blame"].cells == rates.per_label["blame"].cells
    with pytest.raises(StanceError, match="malformed error_rates"):
        ErrorRates.from_dict({"labels": ["blame"], "per_label": {}})


def test_rate_storage_is_bounded_by_rounding() -> None:
    rng = np.random.default_rng(0)
    Y = rng.random((20_000, 1)) < 0.3
    P = rng.random((20_000, 1))
    e = measure_error_rates(Y, P, [0.5], ["blame"], decimals=2).per_label["blame"]
    assert sum(len(v) for v in e.cells.values()) <= 4 * 101
    assert e.n_pos + e.n_neg == 20_000 and e._count("tp") == int((Y[:, 0] & (P[:, 0] >= 0.5)).sum())  # exact despite rounding


def test_unknown_method_and_missing_label_rates_are_errors() -> None:
    with pytest.raises(StanceError, match="unknown prevalence method"):
        GroupedPrevalence(LABELS, known_rates(), ["outlet"], method="hdy")
    with pytest.raises(StanceError, match="denial"):
        GroupedPrevalence([*LABELS, "denial"], known_rates(), ["outlet"])
    with pytest.raises(StanceError, match="at least 10"):
        GroupedPrevalence(LABELS, known_rates(), ["outlet"], n_boot=5)


# ---------------------------------------------------------------------------------------------
# Group keys


def test_group_keys_from_metadata_record_and_holder() -> None:
    rec = {"speaker": "Ilunga", "outlet": "from-record", "meta": {"country": "CD"}}
    assert key_value("outlet", rec, {"outlet": "Wire"}) == "Wire"  # the article's metadata first
    assert key_value("outlet", rec, None) == "from-record"
    assert key_value("country", rec, None) == "CD"
    assert key_value("author", rec, {}) == MISSING
    assert key_value("holder", rec, None) == "Ilunga" == key_value("speaker", rec, None)
    assert key_value("holder", {"holder": "Kivu Front", "speaker": "x"}, None) == "Kivu Front"
    assert key_value("holder", {"speaker": None}, None) == UNATTRIBUTED


@pytest.mark.parametrize(
    ("value", "period", "want"),
    [
        ("2024-02-13", "year", "2024"),
        ("2024-02-13", "month", "2024-02"),
        ("2024-02-13", "week", "2024-W07"),
        ("2024-12-30T08:00:00Z", "week", "2025-W01"),  # ISO week-year, not the calendar year
        ("2023-01-01T23:59:00+02:00", "month", "2023-01"),
        ("2024-02-13 extra", "month", "2024-02"),
        ("13/02/2024", "month", BAD_DATE),
        (None, "month", MISSING),
    ],
)
def test_periods(value: str | None, period: str, want: str) -> None:
    assert period_of(value, period) == want


def test_period_start_and_bad_groupings() -> None:
    assert str(period_start("2024-W07")) == "2024-02-12"
    assert str(period_start("2024-02")) == "2024-02-01"
    assert str(period_start("2024")) == "2024-01-01"
    assert period_start(MISSING) is None
    assert parse_grouping("outlet, date:month") == ("outlet", "date:month")
    with pytest.raises(StanceError, match="date:day"):
        parse_grouping("date:day")
    with pytest.raises(StanceError):
        parse_grouping(" , ")


def test_grouping_by_field_holder_time_and_crossed() -> None:
    gp = GroupedPrevalence(
        LABELS, known_rates(), ["outlet", "holder", "date:month", "date:week", "date:year", "outlet,date:month"], n_boot=50
    )
    arts = [("Wire", "2024-01-03"), ("Wire", "2024-02-20"), ("Daily", "2024-02-21"), ("Daily", None)]
    for k, (outlet, day) in enumerate(arts):
        recs = records(4, 1, 0.4, unit=f"art{k}-")
        recs[0]["speaker"] = "Ilunga"
        recs[1]["boilerplate"] = True  # page furniture is never counted
        gp.add(recs, meta={"outlet": outlet, "date": day})
    sentences = {(r["grouping"], r["name"]): r["sentences"] for r in gp.results() if r["label"] == "blame"}
    assert sentences == {
        ("outlet", "Daily"): 6,
        ("outlet", "Wire"): 6,
        ("holder", "(unattributed)"): 8,
        ("holder", "Ilunga"): 4,
        ("date:month", "(missing)"): 3,
        ("date:month", "2024-01"): 3,
        ("date:month", "2024-02"): 6,
        ("date:week", "(missing)"): 3,
        ("date:week", "2024-W01"): 3,
        ("date:week", "2024-W08"): 6,
        ("date:year", "(missing)"): 3,
        ("date:year", "2024"): 9,
        ("outlet,date:month", "Daily | (missing)"): 3,
        ("outlet,date:month", "Daily | 2024-02"): 3,
        ("outlet,date:month", "Wire | 2024-01"): 3,
        ("outlet,date:month", "Wire | 2024-02"): 3,
    }
    crossed = next(r for r in gp.results("outlet,date:month") if r["name"] == "Wire | 2024-02")
    assert crossed["group"] == {"outlet": "Wire", "date:month": "2024-02"} and crossed["count"] == 1
    assert gp.to_dict()["sentences"] == 12
    table = group_csv_rows(gp.results("outlet"), LABELS)  # one row per group, every label's figures
    assert [row[:3] for row in table] == [["group:outlet", "Daily", 6], ["group:outlet", "Wire", 6]] and len(
        table[0]
    ) == 3 + 2 + 2 + 3 * 2 + 2


# ---------------------------------------------------------------------------------------------
# The streaming bootstrap


def _stream(order: list[int], chunk: int, n_boot: int = 40) -> list[dict]:
    gp = GroupedPrevalence(LABELS, known_rates(), ["outlet"], n_boot=n_boot, seed=3)
    rng = np.random.default_rng(0)
    arts = [(f"art{i}", "A" if i % 3 else "B", int(rng.integers(1, 6)), rng.random()) for i in range(120)]
    batch: list[tuple[list[dict], str]] = []
    for i in order:
        name, outlet, n, s = arts[i]
        batch.append(([{"article": name, "labels": ["blame"] if s > 0.6 else [], "scores": {"blame": s, "threat": 0.1}}] * n, outlet))
        if len(batch) == chunk:
            for recs, o in batch:
                gp.add(recs, meta={"outlet": o})
            batch = []
    for recs, o in batch:
        gp.add(recs, meta={"outlet": o})
    return gp.results()


def test_bootstrap_does_not_depend_on_order_or_chunking() -> None:
    """Weights are a function of (seed, article id): reordering the input, or whether a group folded
    its units into replicates early (A has > n_boot articles) or late, changes nothing."""
    forward = _stream(list(range(120)), 1)
    backward = _stream(list(range(119, -1, -1)), 7)
    assert forward == backward
    assert forward != _stream(list(range(120)), 1, n_boot=41)


def test_sentence_units_do_not_depend_on_order() -> None:
    def run(order: list[int]) -> list[dict]:
        gp = GroupedPrevalence(LABELS, known_rates(), ["outlet"], n_boot=40, seed=0, unit=None)
        for i in order:
            gp.add(
                [{"article": f"a{i // 4}", "sentence": i % 4, "labels": ["blame"] * (i % 3 == 0), "scores": {"blame": i / 60}}],
                {"outlet": "A"},
            )
        return gp.results()

    assert run(list(range(60))) == run(list(range(59, -1, -1)))


def test_group_memory_is_bounded() -> None:
    gp = GroupedPrevalence(LABELS, known_rates(), ["outlet"], n_boot=30, seed=0)
    for i in range(500):
        gp.add(records(3, 1, 0.5, unit=f"a{i}-"), meta={"outlet": "A"})
    g = gp.groups["outlet"][("A",)]
    assert g.units is None and g.reps is not None and g.reps.shape == (30, 1 + 2 * len(LABELS))
    assert int(g.total[0]) == 1500


def test_clustered_articles_widen_the_interval() -> None:
    """The same sentences as 10 articles of 50 (all flagged or none) or as 500 independent ones: the
    clustered interval is much wider, as it should be."""

    def width(unit: str | None) -> float:
        gp = GroupedPrevalence(LABELS, None, ["outlet"], n_boot=400, seed=0, unit=unit)
        for a in range(10):
            recs = [{"article": f"art{a}", "labels": ["blame"] if a < 3 else [], "scores": {"blame": 0.5, "threat": 0.1}}] * 50
            gp.add(recs, meta={"outlet": "A"})
        lo, hi = gp.results()[0]["ci"]
        return hi - lo

    assert width("article") > 3 * width(None)


# ---------------------------------------------------------------------------------------------
# Comparing groups, plots


def test_compare_groups_flags_real_differences_only() -> None:
    rng = np.random.default_rng(5)
    gp = GroupedPrevalence(LABELS, known_rates(), ["outlet"], n_boot=400, seed=2)
    for outlet, share in (("A", 0.15), ("B", 0.15), ("C", 0.7)):
        for i in range(300):
            s = float(rng.random())
            gp.add(
                [{"article": f"{outlet}{i}", "labels": ["blame"] if rng.random() < share else [], "scores": {"blame": s, "threat": s}}],
                {"outlet": outlet},
            )
    pairs = {(p["a"], p["b"]): p for p in compare_groups(gp, "outlet", labels=["blame"])}
    assert set(pairs) == {("A", "B"), ("A", "C"), ("B", "C")}
    assert not pairs[("A", "B")]["differs"]
    assert pairs[("A", "C")]["differs"] and pairs[("B", "C")]["differs"]
    assert pairs[("A", "C")]["ci"][1] < 0 and pairs[("A", "C")]["p_holm"] >= pairs[("A", "C")]["p_value"]
    with pytest.raises(StanceError, match="no grouping"):
        compare_groups(gp, "holder")


def test_a_group_with_no_flag_keeps_its_sampling_uncertainty() -> None:
    """0 flags in 20 sentences: every bootstrap replicate is 0, but the exact binomial bound (0.168
    raw, corrected (0.168 - 0.1) / 0.7 = 0.097) keeps the interval open; its pairs are tested by
    their intervals, not by a bootstrap without spread."""
    gp = GroupedPrevalence(LABELS, known_rates(), ["outlet"], n_boot=200)
    gp.add(records(20, 0, 0.1, unit="z"), meta={"outlet": "Zero"})
    gp.add(records(20, 3, 0.3, unit="s"), meta={"outlet": "Some"})
    gp.add(records(20, 18, 0.8, unit="m"), meta={"outlet": "Most"})
    zero = next(r for r in gp.results() if r["name"] == "Zero" and r["label"] == "blame")
    assert zero["prevalence"] == 0.0 and zero["ci"][0] == 0.0 and zero["ci"][1] == pytest.approx(0.0972, abs=1e-3)
    pairs = {(p["a"], p["b"]): p for p in compare_groups(gp, "outlet", labels=["blame"])}
    assert pairs[("Some", "Zero")]["test"] == "intervals" and pairs[("Some", "Zero")]["p_value"] is None
    assert not pairs[("Some", "Zero")]["differs"]  # 3 of 20 (FPR 0.1) is within the noise of 0 of 20
    assert pairs[("Most", "Zero")]["differs"] and pairs[("Most", "Some")]["test"] == "paired bootstrap"


def test_holm() -> None:
    assert _holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    out = _holm([0.2, float("nan")])
    assert out[0] == 0.2 and np.isnan(out[1])


def test_plots_are_pngs() -> None:
    gp = GroupedPrevalence(LABELS, known_rates(), ["outlet", "outlet,date:month"], n_boot=50)
    for k, (outlet, day) in enumerate([("Wire", "2024-01-03"), ("Wire", "2024-02-20"), ("Daily", "2024-02-21"), ("Daily", "2024-03-01")]):
        gp.add(records(10, k + 1, 0.5, unit=f"{k}-"), meta={"outlet": outlet, "date": day})
    rows = gp.results()
    bars = prevalence_plot(rows, ["outlet"])
    both = prevalence_plot(rows, ["outlet", "outlet,date:month"])
    assert bars[:8] == both[:8] == b"\x89PNG\r\n\x1a\n" and bars != both
    with pytest.raises(StanceError, match="nothing to plot"):
        prevalence_plot(rows, ["holder"])


# ---------------------------------------------------------------------------------------------
# Acceptance: pseudo-outlets with known label mixes from the shipped corpus

# Sampling weight of a sentence by its labels (blame, threat, denial; last: unlabelled): each outlet
# over-represents one label, or unlabelled sentences as real news does.
OUTLET_TILTS = {
    "calm": [1, 1, 1, 12],
    "news": [1, 1, 1, 3],
    "blaming": [6, 1, 1, 1],
    "menacing": [1, 6, 2, 1],
    "denying": [1, 1, 8, 1],
}


@pytest.fixture(scope="module")
def held_out_scores() -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """The default recipe fitted on the train split, thresholds from out-of-fold train predictions
    (so dev and test are both untouched); its scores on the config's dev + test (real text, 6,118 sentences)."""
    from stance.config import load_config
    from stance.data import load_split
    from stance.train import fit_model

    cfg = load_config(ROOT / "configs" / "default.toml")  # its data paths are relative to the config
    train, dev, test = (load_split(cfg, k) for k in ("train", "dev", "test"))
    model, source = fit_model(cfg, train, None)
    assert source == "train-cv"
    return np.vstack([dev.Y, test.Y]), model.predict_proba(dev.texts + test.texts), model.thresholds_, list(cfg.labels)


def pseudo_outlet_cells(
    Y: np.ndarray, P: np.ndarray, thr: np.ndarray, labels: list[str], method: str, draws: int, size: int = 400
) -> list[dict]:
    """For each draw: a random half of the held-out sentences measures the error rates, the other
    half is the pool the outlets are sampled from (without replacement within an outlet); the truth
    of a cell is the share of the outlet's sampled sentences that carry the label."""
    cells = []
    for d in range(draws):
        rng = np.random.default_rng(d)
        perm = rng.permutation(len(Y))
        cal, pool = perm[: len(Y) // 2], perm[len(Y) // 2 :]
        rates = measure_error_rates(Y[cal], P[cal], thr, labels, source={"split": f"held-out half {d}"})
        gp = GroupedPrevalence(labels, rates, ["outlet"], method=method, n_boot=500, seed=d)
        truth = {}
        for name, tilt in OUTLET_TILTS.items():
            w = np.where(Y[pool].any(1), (Y[pool] * np.array(tilt[:3])).max(1), tilt[3]).astype(float)
            chosen = rng.choice(pool, size=size, replace=False, p=w / w.sum())
            truth[name] = Y[chosen].mean(0)
            hit = thr <= P[chosen]
            recs = [
                {
                    "article": f"s{i}",
                    "labels": [lab for j, lab in enumerate(labels) if hit[k, j]],
                    "scores": dict(zip(labels, P[i].round(4).tolist())),
                }
                for k, i in enumerate(chosen)
            ]
            gp.add(recs, meta={"outlet": name})
        for r in gp.results():
            cells.append({**r, "truth": float(truth[r["name"]][labels.index(r["label"])])})
    return cells


def test_acceptance_corrected_prevalence_on_pseudo_outlets(held_out_scores: tuple) -> None:
    """Done-when of issue 16: corrected prevalence closer to the truth than the raw rate in most
    cells, and 95% intervals covering the truth in at least 80% of cells over repeated draws.
    Measured (20 draws x 5 outlets x 3 labels = 300 cells, default ACC, real-text dev + test held
    out): closer in 59%, coverage 97%, mean absolute error 0.016 against 0.029 for the raw rate."""
    cells = pseudo_outlet_cells(*held_out_scores, method="acc", draws=20)
    assert len(cells) == 20 * len(OUTLET_TILTS) * 3
    closer = np.mean([abs(c["prevalence"] - c["truth"]) < abs(c["raw_rate"] - c["truth"]) for c in cells])
    covered = np.mean([c["ci"][0] <= c["truth"] <= c["ci"][1] for c in cells])
    mae_raw = np.mean([abs(c["raw_rate"] - c["truth"]) for c in cells])
    mae = np.mean([abs(c["prevalence"] - c["truth"]) for c in cells])
    print(f"closer than raw {closer:.3f}, coverage {covered:.3f}, MAE corrected {mae:.4f} vs raw {mae_raw:.4f}")
    assert closer > 0.5
    assert covered >= 0.8
    assert mae < mae_raw
