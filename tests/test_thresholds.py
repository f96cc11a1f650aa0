"""stance.thresholds: the F1-optimal threshold and base-rate weights."""

from __future__ import annotations

import numpy as np

from stance.thresholds import base_rate_weights, best_f1_threshold, learn_thresholds


def test_threshold_search() -> None:
    p = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 1, 0, 0, 0])
    t = best_f1_threshold(p, y, np.ones(6))
    assert 0.3 < t < 0.7
    w = base_rate_weights(np.array([[1, 0], [0, 0], [0, 1], [0, 0]]), none_rate=0.9)
    assert w[1] == w[3] > 1 and w[0] == 1
    # weights never reduce unlabelled rows
    assert (base_rate_weights(np.array([[0, 0]] * 9 + [[1, 0]]), none_rate=0.5) == 1).all()


def test_learn_thresholds_is_per_label_and_bounded() -> None:
    P = np.array([[0.9, 0.2], [0.8, 0.3], [0.2, 0.99], [0.1, 0.97]])
    Y = np.array([[1, 0], [1, 0], [0, 1], [0, 1]])
    t = learn_thresholds(P, Y)
    assert 0.2 < t[0] < 0.8 and 0.3 < t[1] < 0.97
    assert learn_thresholds(P, Y, hi=0.5)[1] == 0.5  # clipped to the upper bound
    assert learn_thresholds(P, np.zeros_like(Y), hi=0.9).tolist() == [0.9, 0.9]  # no positives: the highest allowed
