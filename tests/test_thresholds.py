"""stance.thresholds: the F1-optimal threshold and base-rate weights."""

from __future__ import annotations

import numpy as np

from stance.thresholds import base_rate_weights, best_f1_threshold


def test_threshold_search() -> None:
    p = np.array([0.9, 0.8, 0.7, 0.3, 0.2, 0.1])
    y = np.array([1, 1, 1, 0, 0, 0])
    t = best_f1_threshold(p, y, np.ones(6))
    assert 0.3 < t < 0.7
    w = base_rate_weights(np.array([[1, 0], [0, 0], [0, 1], [0, 0]]), none_rate=0.9)
    assert w[1] == w[3] > 1 and w[0] == 1
    # weights never reduce unlabelled rows
    assert (base_rate_weights(np.array([[0, 0]] * 9 + [[1, 0]]), none_rate=0.5) == 1).all()
